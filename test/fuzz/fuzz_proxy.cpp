// libFuzzer target: HTTPS proxy settings (src/http/proxy.cpp).
//
// The input's lines (LF-separated): a proxy URL, a NO_PROXY list, a host, a
// port (the service's, and NO_PROXY's), then any bytes (a proxy's reason
// phrase, a User-Agent, base64 input).
//
// Invariants:
//  - parse_proxy_url fails with a message, or gives a host without blanks or
//    control characters, a port in 1..65535, `shown` == connect_authority,
//    and an authorization that is empty or "Basic " + base64; the URL it
//    shows parses back to the same host and port.
//  - A password never shows: when the input has user info with a password of
//    8 characters or more that appears nowhere else in it, neither the error
//    message, nor `shown`, nor the shown URL, nor a refusal message holds it.
//  - connect_request is one request that Beast's parser reads whole: method
//    CONNECT, the service's authority (from a base URL) as target and Host, the User-Agent given, the
//    Proxy-Authorization when there are credentials, nothing behind it.
//  - no_proxy_matches: "*" matches every host; case does not matter; extra
//    separators around the list change nothing; another entry never turns a
//    match into none; a plain name or address given as the list matches
//    itself.
//  - base64 has the length 4 * ceil(n / 3), its alphabet, and decodes back.
//  - A refusal message is printable ASCII and names the proxy.
#include "http/proxy.hpp"
#include "http/url.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <cctype>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace handinger::detail::http;
namespace beast = boost::beast;

[[noreturn]] void die(const char* why, std::string_view a, std::string_view b = {})
{
    std::fprintf(stderr, "fuzz_proxy: %s: [%.*s] [%.*s]\n", why, static_cast<int>(a.size()), a.data(),
                 static_cast<int>(b.size()), b.data());
    std::abort();
}

bool contains(std::string_view s, std::string_view part)
{
    return s.find(part) != std::string_view::npos;
}

std::string upper(std::string_view s)
{
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

// The password written in `url`'s user info, when it can be told apart: 8
// characters or more, nowhere else in the URL, no "***". Empty otherwise.
std::string secret_of(std::string_view url)
{
    auto sep = url.find("://");
    auto rest = sep == std::string_view::npos ? url : url.substr(sep + 3);
    auto at = rest.rfind('@');
    if (at == std::string_view::npos)
        return {};
    auto info = rest.substr(0, at);
    auto colon = info.find(':');
    if (colon == std::string_view::npos)
        return {};
    auto pw = info.substr(colon + 1);
    if (pw.size() < 8)
        return {};
    auto without = std::string(url.substr(0, url.size() - rest.size())) + std::string(info.substr(0, colon)) +
                   std::string(rest.substr(at));
    // (nor made of the redaction mark: "/***@host" is what a URL shows)
    if (contains(without, pw) || contains(pw, "***"))
        return {};
    return std::string(pw);
}

int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

void check_base64(std::string_view bytes)
{
    const auto e = base64(bytes);
    if (e.size() != (bytes.size() + 2) / 3 * 4)
        die("base64 length", bytes, e);
    std::string back;
    unsigned v = 0;
    int bits = 0;
    std::size_t pad = 0;
    for (char c : e) {
        if (c == '=') {
            ++pad;
            continue;
        }
        if (pad)
            die("base64: a digit after '='", e);
        int d = b64_value(c);
        if (d < 0)
            die("base64 alphabet", e);
        v = (v << 6) | static_cast<unsigned>(d);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            back.push_back(static_cast<char>((v >> bits) & 0xFF));
        }
    }
    if (pad > 2 || back != bytes)
        die("base64 does not decode back", bytes, e);
}

bool valid_port_text(std::string_view p)
{
    int n = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
    return !p.empty() && ec == std::errc() && end == p.data() + p.size() && n >= 1 && n <= 65535;
}

void check_connect_request(const proxy_endpoint& p, const std::string& authority, std::string_view user_agent)
{
    const auto r = connect_request(authority, p, user_agent);
    beast::http::request_parser<beast::http::empty_body> parser;
    parser.eager(true);
    beast::error_code ec;
    auto used = parser.put(boost::asio::buffer(r), ec);
    if (ec || !parser.is_done())
        die("Beast does not read the CONNECT request", r, ec.message());
    if (used != r.size())
        die("bytes behind the CONNECT request", r);
    const auto& m = parser.get();
    if (m.method() != beast::http::verb::connect || m.target() != authority ||
        m[beast::http::field::host] != authority)
        die("CONNECT request line or Host", r);
    if (m[beast::http::field::user_agent] != user_agent)
        die("CONNECT User-Agent", r);
    if (m[beast::http::field::proxy_authorization] != p.authorization)
        die("CONNECT Proxy-Authorization", r);
}

// `service` is where the tunnel goes ("host:port"), from a base URL.
void check_proxy_url(std::string_view url, const std::string& service, std::string_view tail)
{
    const auto secret = secret_of(url.find("://") == std::string_view::npos ? "http://" + std::string(url)
                                                                            : std::string(url));
    proxy_endpoint p;
    std::string what;
    if (!parse_proxy_url(url, p, what)) {
        if (what.empty())
            die("a refused proxy URL without a message", url);
        // The message: `proxy URL "<the URL shown>"` and fixed words (which
        // a fuzzer can take for a password: "(http://[user:password@]...").
        const std::string_view head = "proxy URL \"";
        const auto close = what.rfind('"');
        if (what.rfind(head, 0) != 0 || close < head.size())
            die("message form", url, what);
        const auto shown = std::string_view(what).substr(head.size(), close - head.size());
        if (!secret.empty() && contains(shown, secret))
            die("the password in the message", url, what);
        return;
    }
    if (p.host.empty())
        die("empty host", url);
    for (unsigned char c : p.host)
        if (c <= 0x20 || c == 0x7f)
            die("blank or control character in the host", url, p.host);
    if (!valid_port_text(p.port))
        die("port", url, p.port);
    if (p.shown != connect_authority(p.host, p.port))
        die("shown", url, p.shown);
    if (!p.authorization.empty()) {
        if (p.authorization.rfind("Basic ", 0) != 0)
            die("authorization", url, p.authorization);
        for (char c : std::string_view(p.authorization).substr(6))
            if (c != '=' && b64_value(c) < 0)
                die("authorization alphabet", url, p.authorization);
    }
    const auto shown_url = shown_proxy_url(p);
    if (!secret.empty() && (contains(p.shown, secret) || contains(shown_url, secret)))
        die("the password shown", url, shown_url);
    proxy_endpoint again;
    if (!parse_proxy_url(shown_url, again, what) || again.host != p.host || again.port != p.port)
        die("the shown URL does not parse back", url, shown_url);

    // A User-Agent as the library sends one: printable, no CR or LF.
    std::string user_agent;
    for (unsigned char c : tail.substr(0, 200))
        if (c > 0x20 && c < 0x7f)
            user_agent.push_back(static_cast<char>(c));
    check_connect_request(p, service, user_agent);

    const auto msg = refusal_message(p, connect_authority("service.example", "443"), 407, tail);
    for (unsigned char c : msg)
        if (c < 0x20 || c >= 0x7f)
            die("refusal message not printable", msg);
    // (the proxy's own words may hold anything: the secret only when not in
    // them; the hint's fixed words say "user:password")
    std::string_view variable = msg;
    for (std::string_view hint : {" (the proxy URL has no user:password)",
                                  " (the proxy did not accept the user:password of its URL)"})
        if (variable.size() >= hint.size() && variable.substr(variable.size() - hint.size()) == hint)
            variable.remove_suffix(hint.size());
    if (!contains(msg, p.shown) || (!secret.empty() && !contains(tail, secret) && contains(variable, secret)))
        die("refusal message", url, msg);
}

// A host every NO_PROXY rule reads as a plain name or address.
bool plain_host(std::string_view h)
{
    if (h.empty() || !std::isalnum(static_cast<unsigned char>(h.front())))
        return false;
    for (unsigned char c : h)
        if (!std::isalnum(c) && c != '.' && c != '-')
            return false;
    return true;
}

void check_no_proxy(std::string_view list, std::string_view host, std::string_view port)
{
    const bool m = no_proxy_matches(list, host, port);
    if (!no_proxy_matches("*", host, port))
        die("\"*\" does not match", host);
    if (no_proxy_matches(upper(list), upper(host), port) != m)
        die("case changes the match", list, host);
    if (no_proxy_matches(", \t" + std::string(list) + " ,", host, port) != m)
        die("separators around the list change the match", list, host);
    if (m && !no_proxy_matches(std::string(list) + ",other.invalid", host, port))
        die("another entry undoes a match", list, host);
    if (m && !no_proxy_matches("other.invalid " + std::string(list), host, port))
        die("an entry before undoes a match", list, host);
    if (plain_host(host) && !no_proxy_matches(host, host, port))
        die("a host does not match itself", host);
}

std::string_view next_line(std::string_view& in)
{
    auto nl = in.find('\n');
    auto line = in.substr(0, nl);
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    return line;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view in(reinterpret_cast<const char*>(data), size);
    const auto url = next_line(in);
    const auto list = next_line(in);
    const auto host = next_line(in);
    const auto port = next_line(in);
    const auto tail = in;
    // The service: the host and port lines as a base URL (example.com when
    // they do not make one).
    std::string service = "example.com:443";
    {
        std::string base = "https://" + std::string(host);
        if (!port.empty())
            base += ":" + std::string(port);
        endpoint ep;
        std::string what;
        if (parse_base_url(base, ep, what))
            service = connect_authority(ep.host, ep.port);
    }
    check_proxy_url(url, service, tail);
    check_no_proxy(list, host, port);
    check_base64(tail.substr(0, 300));
    return 0;
}
