// HTTPS proxies: the proxy URL, NO_PROXY matching, the CONNECT request and
// what its answer means. Pure string functions, no I/O (and no Asio, Beast
// or OpenSSL); the tunnel itself is opened by http/proxy_connect.hpp.
#pragma once

#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>

namespace handinger::detail::http {

/// An HTTP proxy, from its URL.
struct proxy_endpoint {
    std::string host; ///< name or address, no brackets
    std::string port; ///< decimal
    /// "host:port" (IPv6 in brackets): how messages name the proxy. Never
    /// the credentials.
    std::string shown;
    /// "Basic <base64(user:password)>" from the URL's percent-decoded user
    /// info, or empty without user info. Goes on the wire only.
    std::string authorization;
};

/// Parses "http://[user[:password]@]host[:port][/]", or the same without
/// "http://". The port defaults to 80. Any other scheme (https:// included:
/// no TLS to the proxy), a path, a query or a fragment fail: false, with
/// `what` saying why and showing the URL without its user info.
bool parse_proxy_url(std::string_view url, proxy_endpoint& out, std::string& what);

/// `url` as a message may show it: scheme (http:// when none was written),
/// user info as "***", host and port.
std::string shown_proxy_url(const proxy_endpoint& p);

/// Whether a NO_PROXY list sends `host` (as written in the base URL,
/// brackets removed) and `port` directly, not through the proxy. The rules
/// are client_options::no_proxy's: entries separated by commas or blanks;
/// "*" alone matches every host; a name matches itself and its subdomains,
/// a leading "." or "*." changes nothing; an address matches itself, a
/// CIDR block every address in it (a host name is never resolved); an entry
/// with ":port" ("[v6]:port" for an IPv6 address) matches that port only;
/// no case, a final '.' of a name ignored; malformed entries match nothing.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::string_view port);

/// "host:port" as a CONNECT request names it (an IPv6 address in brackets).
std::string connect_authority(std::string_view host, std::string_view port);

/// The CONNECT request that asks `proxy` for a tunnel to `authority`: the
/// request line, Host, User-Agent and, with credentials, Proxy-Authorization.
std::string connect_request(std::string_view authority, const proxy_endpoint& proxy,
                            std::string_view user_agent);

/// What a proxy's answer to CONNECT means.
enum class connect_verdict {
    tunnel,    ///< 2xx: the tunnel is open
    transient, ///< 5xx: the proxy could not reach the service (or is overloaded): a connection error, retried
    refused,   ///< anything else (407, 403, 1xx, 3xx, 4xx): the proxy's configuration; not retried
};

connect_verdict verdict_of(int status) noexcept;

/// The error of a refused or failed CONNECT (error::proxy or
/// error::connection, by verdict_of), and its message: "proxy 127.0.0.1:8888
/// refused CONNECT to host:443: 407 Proxy Authentication Required". The
/// reason phrase is the proxy's, cut to printable ASCII and 100 characters.
boost::system::error_code refusal_error(int status) noexcept;
std::string refusal_message(const proxy_endpoint& proxy, std::string_view authority, int status,
                            std::string_view reason);

/// Base64 (RFC 4648, with padding).
std::string base64(std::string_view bytes);

} // namespace handinger::detail::http
