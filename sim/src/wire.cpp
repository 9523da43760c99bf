#include <handinger/sim/detail/wire.hpp>

#include <algorithm>
#include <charconv>

namespace handinger::sim::detail {

const char* reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

namespace {

void append_number(std::string& out, std::size_t n, int base = 10)
{
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, n, base);
    out.append(buf, r.ptr);
}

} // namespace

std::size_t render_wire(std::string& out, const http_response& res, const wire_style& style)
{
    const bool chunked = style.chunked && !style.http10;
    out.clear();
    out += style.http10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    append_number(out, static_cast<std::size_t>(res.status));
    out += ' ';
    out += reason_phrase(res.status);
    out += "\r\nServer: handinger-sim\r\nContent-Type: application/json\r\n";
    if (chunked) {
        out += "Transfer-Encoding: chunked\r\n";
    } else {
        out += "Content-Length: ";
        append_number(out, res.body.size());
        out += "\r\n";
    }
    if (style.close || style.http10)
        out += "Connection: close\r\n";
    for (const auto& [name, value] : res.headers) {
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    out += "\r\n";
    const std::size_t head = out.size();
    if (!chunked) {
        out += res.body;
        return head;
    }
    // Several chunks rather than one, so that clients' chunk reassembly is
    // actually exercised.
    constexpr std::size_t chunk = 512;
    for (std::size_t at = 0; at < res.body.size(); at += chunk) {
        const std::size_t n = std::min(chunk, res.body.size() - at);
        append_number(out, n, 16);
        out += "\r\n";
        out.append(res.body, at, n);
        out += "\r\n";
    }
    out += "0\r\n\r\n";
    return head;
}

} // namespace handinger::sim::detail
