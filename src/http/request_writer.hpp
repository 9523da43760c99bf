// An HTTP/1.1 request as bytes: what the transport sends for one attempt.
// No Beast, no I/O.
#pragma once

#include "http/transport.hpp"

#include <string>
#include <string_view>

namespace handinger::detail::http {

/// The header lines every request to one host carries: Host, User-Agent,
/// Accept and Authorization, each ending in CRLF.
std::string fixed_request_headers(std::string_view host_header, std::string_view user_agent,
                                  std::string_view authorization);

/// Writes `req` into `out` (cleared first; its capacity is reused): the
/// request line, `fixed_headers`, x-stainless-retry-count, the caller's
/// headers but those the transport owns (Host, Authorization,
/// Content-Length, Transfer-Encoding, Connection, and Content-Type when
/// the request sets its own), and for a body or a POST/PUT/PATCH,
/// Content-Type (req.content_type, else application/json) and
/// Content-Length; then the body. The whole
/// request in one buffer: one TLS record and one send. Header names and
/// values were checked for CR/LF when the options were resolved; the target
/// is built percent-encoded.
void write_request(const request& req, std::string_view fixed_headers, std::string& out);

} // namespace handinger::detail::http
