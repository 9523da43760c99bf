// An HTTP/1.1 request as bytes: what the transport sends for one attempt.
// No Beast, no I/O.
#pragma once

#include "http/transport.hpp"

#include <string>
#include <string_view>

namespace handinger::detail::http {

/// The header lines every request to one host carries: Host, then
/// `builtins` (platform_headers.hpp: User-Agent, Accept, X-Stainless-*),
/// then Authorization, each ending in CRLF.
std::string fixed_request_headers(std::string_view host_header, const header_list& builtins,
                                  std::string_view authorization);

/// Writes `req` into `out` (cleared first; its capacity is reused): the
/// request line, `fixed_headers`, X-Stainless-Retry-Count,
/// X-Stainless-Timeout (when req.timeout_seconds > 0), the caller's headers
/// but those the transport owns (Host, Authorization, Content-Length,
/// Transfer-Encoding, Connection, and Content-Type when the request sets its
/// own), and for a body or a POST/PUT/PATCH, Content-Type (req.content_type,
/// else application/json) and Content-Length; then the body. When
/// req.replaces_builtin, a caller's header that replaces a built-in one
/// (platform_headers.hpp: same name, any case) is sent instead of it, never
/// beside it. The whole request in one buffer: one TLS record and one send.
/// Header names and values were checked for CR/LF when the options were
/// resolved; the target is built percent-encoded.
void write_request(const request& req, std::string_view fixed_headers, std::string& out);

} // namespace handinger::detail::http
