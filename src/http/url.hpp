// Base URLs and request paths: pure string functions, no I/O (and no Asio,
// Beast or OpenSSL), so that a fuzz target can compile them alone; what a
// message may show of a URL, and whether a host is this machine.
#pragma once

#include <string>
#include <string_view>

namespace handinger::detail::http {

/// Where requests go, from the base URL.
struct endpoint {
    bool tls = true;
    std::string host;        ///< name or address, no brackets
    std::string port;        ///< decimal
    std::string path_prefix; ///< "" or "/prefix" without trailing slash
    std::string host_header; ///< Host header value (host[:port] when not default)
};

/// Parses a base URL ("https://handinger.com", "http://127.0.0.1:8080/x").
/// On failure returns false and sets `what`.
bool parse_base_url(std::string_view url, endpoint& out, std::string& what);

/// Whether `port` is a decimal port number in 1..65535 (digits only).
bool valid_port(std::string_view port);

/// Whether `host` can go to the resolver, SNI and certificate checks as a C
/// string: not empty, no NUL (from "%00"), control character or space.
bool valid_host_chars(std::string_view host);

/// Appends `s` to `out` percent-encoded as one path segment (everything but
/// RFC 3986 unreserved characters is encoded, so '/' cannot split it).
void append_segment(std::string& out, std::string_view s);

/// `prefix` + "/api/tasks/" + the id as one segment + `suffix`. The ids "."
/// and ".." are written "%2E" and "%2E%2E" (as dot segments a server would
/// resolve them away).
std::string task_path(std::string_view prefix, std::string_view id, std::string_view suffix = {});

/// `url` as it may appear in a message: user info replaced by "***" (with
/// everything else before the last '@' of the authority, so that a password
/// holding '/' or '#' does not slip through), and any query or fragment by
/// "?..." or "#...". Used for every message that shows a base URL: a
/// password in user info, or a key in a query, must not reach logs.
std::string redact_url(std::string_view url);

/// True for "localhost" (any case, with or without a final dot), an IPv4
/// address in 127.0.0.0/8, "::1", and ::ffff:127.x.y.z: hosts where plain
/// HTTP does not leave the machine. A name that merely resolves to loopback
/// is not recognised (its resolution is not known before connecting).
bool is_loopback_host(std::string_view host);

} // namespace handinger::detail::http
