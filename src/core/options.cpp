#include "core/client_impl.hpp"
#include "http/proxy.hpp"
#include "http/url.hpp"
#include "util/text.hpp"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <iostream>
#include <mutex>
#include <optional>
#include <utility>

namespace handinger::detail {
namespace {

std::string env(const char* name)
{
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

// A boolean environment variable: "1", "true", "yes" or "on" (any case).
bool env_flag(const char* name)
{
    auto v = env(name);
    for (auto& c : v)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return v == "1" || v == "true" || v == "yes" || v == "on";
}

// The blanks around a header line, its name and its value (a CR too: the
// text may have CRLF line ends).
constexpr std::string_view header_blanks = " \t\r";

[[noreturn]] void invalid(std::string what)
{
    diagnostics d;
    d.client_message = std::move(what);
    throw api_error(error::invalid_argument, d);
}

// The first of `names` set to a non-empty value: its name and value, else
// empty ones (as curl: https_proxy before HTTPS_PROXY).
std::pair<std::string, std::string> first_env(std::initializer_list<const char*> names)
{
    for (const char* n : names)
        if (auto v = env(n); !v.empty())
            return {n, std::move(v)};
    return {};
}

// The proxy in effect for `ep`: client_options::proxy, else for an https://
// base URL $https_proxy / $HTTPS_PROXY; none when it is "" or the no-proxy
// list names the host. Writes back what is in effect: the proxy without its
// user info ("" for none) and the list.
std::optional<http::proxy_endpoint> resolve_proxy(client_options& o, const http::endpoint& ep)
{
    auto no_proxy = o.no_proxy ? *o.no_proxy : first_env({"no_proxy", "NO_PROXY"}).second;
    std::string from = "client_options::proxy";
    auto url = o.proxy;
    if (!url && ep.tls)
        if (auto [name, value] = first_env({"https_proxy", "HTTPS_PROXY"}); !value.empty()) {
            from = "$" + name;
            url = std::move(value);
        }
    std::optional<http::proxy_endpoint> proxy;
    if (url && !url->empty()) {
        // Checked even when the list bypasses it: bad syntax is an error
        // before any I/O, wherever it would take the client.
        http::proxy_endpoint p;
        std::string what;
        if (!http::parse_proxy_url(*url, p, what))
            invalid(what + " (from " + from + ")");
        if (!http::no_proxy_matches(no_proxy, ep.host, ep.port))
            proxy = std::move(p);
    }
    o.proxy = proxy ? http::shown_proxy_url(*proxy) : std::string();
    o.no_proxy = std::move(no_proxy);
    return proxy;
}

logger_fn stderr_logger()
{
    static std::mutex mu;
    return [](log_level lv, std::string_view line) {
        std::lock_guard lk(mu);
        const char* tag = lv == log_level::debug ? "debug" : lv == log_level::info ? "info" : "warn";
        std::fprintf(stderr, "handinger %s: %.*s\n", tag, static_cast<int>(line.size()), line.data());
    };
}

} // namespace

header_list parse_header_lines(std::string_view text)
{
    header_list out;
    while (!text.empty()) {
        auto nl = text.find('\n');
        auto line = trim(text.substr(0, nl), header_blanks);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0)
            continue;
        auto name = trim(line.substr(0, colon), header_blanks);
        auto value = trim(line.substr(colon + 1), header_blanks);
        if (name.empty() || name.find_first_of(" \t") != std::string_view::npos)
            continue;
        out.emplace_back(std::string(name), std::string(value));
    }
    return out;
}

std::string check_headers(const header_list& h)
{
    static constexpr std::string_view token_specials = "!#$%&'*+-.^_`|~";
    for (const auto& [name, value] : h) {
        std::size_t good = 0; // the leading token characters
        while (good < name.size() && (std::isalnum(static_cast<unsigned char>(name[good])) ||
                                      token_specials.find(name[good]) != std::string_view::npos))
            ++good;
        // Only the valid start is shown: a whole "Authorization: Bearer ..."
        // line given as a name must not put its key in the message.
        if (name.empty() || good < name.size())
            return "headers: invalid header name \"" + name.substr(0, good) +
                   "...\" (a name is letters, digits and !#$%&'*+-.^_`|~)";
        for (char c : value)
            if (c == '\r' || c == '\n' || c == '\0')
                return "headers: the value of \"" + name + "\" contains CR, LF or NUL";
    }
    return {};
}

resolved_options resolve_options(client_options o)
{
    resolved_options r;
    if (o.base_url.empty())
        o.base_url = env("HANDINGER_BASE_URL");
    if (o.base_url.empty())
        o.base_url = "https://handinger.com";
    std::string what;
    if (!http::parse_base_url(o.base_url, r.ep, what))
        invalid(what);
    if (!o.allow_insecure_http)
        o.allow_insecure_http = env_flag("HANDINGER_ALLOW_INSECURE_HTTP");
    if (!r.ep.tls && !o.allow_insecure_http && !http::is_loopback_host(r.ep.host))
        invalid("base URL \"" + http::redact_url(o.base_url) +
                "\": plain http:// would send the API key in clear text to a host that is not loopback; "
                "use https://, or allow it explicitly with client_options::allow_insecure_http or "
                "HANDINGER_ALLOW_INSECURE_HTTP=1 (insecure)");

    r.proxy = resolve_proxy(o, r.ep); // (o.proxy keeps no password from here on)

    r.api_key = o.api_key.empty() ? env("HANDINGER_API_KEY") : o.api_key;
    if (r.api_key.empty())
        invalid("no API key: set client_options::api_key or the HANDINGER_API_KEY environment variable");
    for (char c : r.api_key)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            invalid("the API key contains a control character");
    o.api_key.clear(); // kept once, in the transport's authorization header

    // Environment headers go under the ones given in code.
    auto env_headers = parse_header_lines(env("HANDINGER_CUSTOM_HEADERS"));
    for (auto& [name, value] : env_headers) {
        bool overridden = false;
        for (const auto& h : o.headers)
            overridden = overridden || iequals(h.first, name);
        if (!overridden)
            o.headers.emplace_back(std::move(name), std::move(value));
    }

    if (o.tls.ca_file.empty())
        o.tls.ca_file = env("HANDINGER_CA_FILE");
    if (auto bad = check_headers(o.headers); !bad.empty())
        invalid(bad);

    if (!o.logger) {
        auto lv = env("HANDINGER_LOG");
        if (lv == "debug" || lv == "info") {
            o.logger = stderr_logger();
            o.level = lv == "debug" ? log_level::debug : log_level::info;
        }
    }
    if (o.max_retries < 0)
        invalid("max_retries must not be negative");
    if (o.timeout.count() <= 0)
        invalid("timeout must be positive");
    if (o.pool_size == 0)
        invalid("pool_size must be at least 1");
    r.opts = std::move(o);
    return r;
}

} // namespace handinger::detail
