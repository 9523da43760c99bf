// Base URLs and request paths: pure string functions, no I/O (and no Asio,
// Beast or OpenSSL), so that a fuzz target can compile them alone.
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

/// Appends `s` to `out` percent-encoded as one path segment (everything but
/// RFC 3986 unreserved characters is encoded, so '/' cannot split it).
void append_segment(std::string& out, std::string_view s);

/// `prefix` + "/api/tasks/" + the id as one segment + `suffix`. The ids "."
/// and ".." are written "%2E" and "%2E%2E" (as dot segments a server would
/// resolve them away).
std::string task_path(std::string_view prefix, std::string_view id, std::string_view suffix = {});

} // namespace handinger::detail::http
