#include "http/proxy.hpp"

#include "http/url.hpp"
#include "util/text.hpp"

#include <handinger/error.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <optional>

namespace handinger::detail::http {

namespace {

std::string lower(std::string_view s)
{
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// An IPv4 or IPv6 address as 16 bytes (IPv4 in the first 4), its family.
struct ip_address {
    int family = 0; // AF_INET or AF_INET6
    std::array<unsigned char, 16> bytes{};
    int bits() const { return family == AF_INET ? 32 : 128; }
};

std::optional<ip_address> parse_ip(std::string_view text)
{
    const std::string s(text);
    ip_address a;
    if (::inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1)
        a.family = AF_INET;
    else if (::inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1)
        a.family = AF_INET6;
    else
        return std::nullopt;
    return a;
}

// Whether the first `prefix` bits of a and b are equal.
bool same_prefix(const ip_address& a, const ip_address& b, int prefix)
{
    int i = 0;
    for (; prefix >= 8; prefix -= 8, ++i)
        if (a.bytes[i] != b.bytes[i])
            return false;
    if (prefix == 0)
        return true;
    const auto mask = static_cast<unsigned char>(0xFF << (8 - prefix));
    return (a.bytes[i] & mask) == (b.bytes[i] & mask);
}

// One NO_PROXY entry against the host (lowercase, no final '.') and port.
bool entry_matches(std::string_view entry, const std::string& host, const std::optional<ip_address>& host_ip,
                   std::string_view port)
{
    // The entry's port, if any: "[v6]:port", or "name:port" / "v4:port"
    // (one colon; a bare IPv6 address has several).
    std::string_view name = entry;
    if (!name.empty() && name.front() == '[') {
        auto close = name.find(']');
        if (close == std::string_view::npos)
            return false;
        auto rest = name.substr(close + 1);
        name = name.substr(1, close - 1);
        if (!rest.empty()) {
            if (rest.front() != ':' || !valid_port(rest.substr(1)) || rest.substr(1) != port)
                return false;
        }
    } else if (auto colon = name.find(':');
               colon != std::string_view::npos && name.find(':', colon + 1) == std::string_view::npos) {
        auto p = name.substr(colon + 1);
        if (!valid_port(p) || p != port)
            return false;
        name = name.substr(0, colon);
    }
    if (name.empty())
        return false;

    // An address or a CIDR block.
    auto slash = name.find('/');
    if (auto ip = parse_ip(name.substr(0, slash))) {
        if (!host_ip || host_ip->family != ip->family)
            return false;
        int prefix = ip->bits();
        if (slash != std::string_view::npos) {
            auto bits = name.substr(slash + 1);
            auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
            if (bits.empty() || ec != std::errc() || end != bits.data() + bits.size() || prefix < 0 ||
                prefix > ip->bits())
                return false;
        }
        return same_prefix(*host_ip, *ip, prefix);
    }
    if (slash != std::string_view::npos)
        return false;

    // A name: itself and its subdomains.
    if (name.substr(0, 2) == "*.")
        name.remove_prefix(2);
    else if (name.front() == '.')
        name.remove_prefix(1);
    auto n = lower(name);
    if (!n.empty() && n.back() == '.')
        n.pop_back();
    if (n.empty() || n.find_first_of("*/@") != std::string::npos)
        return false;
    if (host == n)
        return true;
    return host.size() > n.size() && host.compare(host.size() - n.size(), n.size(), n) == 0 &&
           host[host.size() - n.size() - 1] == '.';
}

// Printable ASCII of `s`, at most `max` characters (a remote peer's words
// going into messages and logs).
std::string printable(std::string_view s, std::size_t max)
{
    std::string out;
    for (unsigned char c : s) {
        if (out.size() == max)
            break;
        out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
    }
    return out;
}

} // namespace

std::string base64(std::string_view bytes)
{
    static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        unsigned v = static_cast<unsigned char>(bytes[i]) << 16 |
                     static_cast<unsigned char>(bytes[i + 1]) << 8 | static_cast<unsigned char>(bytes[i + 2]);
        for (int shift : {18, 12, 6, 0})
            out.push_back(table[(v >> shift) & 63]);
    }
    if (auto left = bytes.size() - i) {
        unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        if (left == 2)
            v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        out.push_back(table[(v >> 18) & 63]);
        out.push_back(table[(v >> 12) & 63]);
        out.push_back(left == 2 ? table[(v >> 6) & 63] : '=');
        out.push_back('=');
    }
    return out;
}

bool parse_proxy_url(std::string_view text, proxy_endpoint& out, std::string& what)
{
    // Written without a scheme ("proxy.corp:3128"), as proxy variables often
    // are: http:// is meant.
    std::string full(text);
    if (text.find("://") == std::string_view::npos)
        full = "http://" + full;
    auto shown = [&] { return "proxy URL \"" + redact_url(full) + "\""; };
    auto r = boost::urls::parse_uri(full);
    if (!r) {
        what = shown() + " is not a valid URL (http://[user:password@]host[:port])";
        return false;
    }
    const auto& u = *r;
    if (iequals(u.scheme(), "https")) {
        what = shown() + ": https:// proxies (TLS to the proxy) are not supported; use http:// (the "
                         "connection to the service inside the tunnel is TLS either way)";
        return false;
    }
    if (!iequals(u.scheme(), "http")) {
        what = shown() + ": the scheme must be http:// (no socks or other proxies)";
        return false;
    }
    if (!u.has_authority() || u.encoded_host().empty()) {
        what = shown() + " has no host";
        return false;
    }
    auto path = u.encoded_path();
    if (!(path.empty() || path == "/") || u.has_query() || u.has_fragment()) {
        // (Boost.URL 1.81 takes "http://1.2.3.4x" for host 1.2.3.4 and path
        // "x", and a password holding '/' for a path: both end here.)
        what = shown() + " must be http://[user:password@]host[:port], without a path, query or fragment";
        return false;
    }
    proxy_endpoint p;
    p.host = u.host_type() == boost::urls::host_type::ipv6 ? std::string(u.encoded_host_address())
                                                           : std::string(u.host());
    // A name is letters, digits, '-', '.', '_' or '~', written as such (not
    // percent-encoded): it is resolved and shown as written, and "%40"
    // would show as an '@', "%31" hide a name that is not one.
    auto name_char = [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
    };
    if (!valid_host_chars(p.host) || u.host_type() == boost::urls::host_type::ipvfuture ||
        (u.host_type() == boost::urls::host_type::name &&
         (u.encoded_host() != p.host || !std::all_of(p.host.begin(), p.host.end(), name_char)))) {
        what = shown() + " has an invalid host";
        return false;
    }
    if (u.has_port() && !valid_port(u.port())) {
        what = shown() + " has an invalid port";
        return false;
    }
    p.port = u.has_port() ? std::string(u.port()) : std::string("80");
    p.shown = connect_authority(p.host, p.port);
    if (u.has_userinfo()) {
        std::string user = u.user();
        std::string password = u.password();
        p.authorization = "Basic " + base64(user + ":" + password);
    }
    out = std::move(p);
    return true;
}

std::string shown_proxy_url(const proxy_endpoint& p)
{
    return std::string("http://") + (p.authorization.empty() ? "" : "***@") + p.shown;
}

bool no_proxy_matches(std::string_view list, std::string_view host, std::string_view port)
{
    auto h = lower(host);
    if (!h.empty() && h.back() == '.')
        h.pop_back();
    const auto host_ip = parse_ip(h);
    static constexpr std::string_view separators = ", \t\r\n";
    while (!list.empty()) {
        auto start = list.find_first_not_of(separators);
        if (start == std::string_view::npos)
            break;
        list.remove_prefix(start);
        auto end = list.find_first_of(separators);
        auto entry = list.substr(0, end);
        list.remove_prefix(end == std::string_view::npos ? list.size() : end);
        if (entry == "*" || entry_matches(entry, h, host_ip, port))
            return true;
    }
    return false;
}

std::string connect_authority(std::string_view host, std::string_view port)
{
    std::string a;
    if (host.find(':') != std::string_view::npos)
        a.append("[").append(host).append("]");
    else
        a.append(host);
    return a.append(":").append(port);
}

std::string connect_request(std::string_view authority, const proxy_endpoint& proxy,
                            std::string_view user_agent)
{
    std::string r;
    r.append("CONNECT ").append(authority).append(" HTTP/1.1\r\n");
    r.append("Host: ").append(authority).append("\r\n");
    if (!user_agent.empty())
        r.append("User-Agent: ").append(user_agent).append("\r\n");
    if (!proxy.authorization.empty())
        r.append("Proxy-Authorization: ").append(proxy.authorization).append("\r\n");
    r.append("\r\n");
    return r;
}

connect_verdict verdict_of(int status) noexcept
{
    if (status >= 200 && status < 300)
        return connect_verdict::tunnel;
    if (status >= 500 && status < 600)
        return connect_verdict::transient;
    return connect_verdict::refused;
}

boost::system::error_code refusal_error(int status) noexcept
{
    switch (verdict_of(status)) {
    case connect_verdict::tunnel: return {};
    case connect_verdict::transient: return error::connection;
    case connect_verdict::refused: return error::proxy;
    }
    return error::proxy;
}

std::string refusal_message(const proxy_endpoint& proxy, std::string_view authority, int status,
                            std::string_view reason)
{
    std::string m = "proxy " + proxy.shown;
    m += verdict_of(status) == connect_verdict::transient ? " failed CONNECT to " : " refused CONNECT to ";
    m.append(authority).append(": ").append(std::to_string(status));
    auto r = printable(reason, 100);
    if (!r.empty())
        m.append(" ").append(r);
    if (status == 407 || status == 401) // (tinyproxy answers a wrong password with 401)
        m += proxy.authorization.empty() ? " (the proxy URL has no user:password)"
                                         : " (the proxy did not accept the user:password of its URL)";
    return m;
}

} // namespace handinger::detail::http
