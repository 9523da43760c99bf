// The bytes of an HTTP response. Written by hand rather than by Beast's
// serializer so that faults can cut the bytes anywhere (half a body, a body in
// dribbles) and so that one response is one contiguous buffer: one TLS record
// and one write on the hot path.
#pragma once

#include <handinger/sim/detail/service.hpp>

#include <cstddef>
#include <string>

namespace handinger::sim::detail {

struct wire_style {
    bool http10 = false;  ///< "HTTP/1.0" status line (always with content-length)
    bool chunked = false; ///< transfer-encoding: chunked (ignored with http10)
    bool close = false;   ///< "Connection: close"
};

/// Replaces `out` with the response's bytes and returns how many of them are
/// the head (status line and headers, up to and including the blank line).
std::size_t render_wire(std::string& out, const http_response& res, const wire_style& style);

/// "OK", "Not Found", ...; "Unknown" for a status it does not know.
const char* reason_phrase(int status);

} // namespace handinger::sim::detail
