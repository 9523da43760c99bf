#include "http/multipart.hpp"

#include "util/random.hpp"

#include <algorithm>
#include <functional>

namespace handinger::detail::http {

namespace {

constexpr std::string_view crlf = "\r\n";

bool contains(std::string_view hay,
              const std::boyer_moore_horspool_searcher<std::string_view::const_iterator>& s)
{
    return std::search(hay.begin(), hay.end(), s) != hay.end();
}

std::size_t escaped_size(std::string_view text)
{
    std::size_t n = text.size();
    for (char c : text)
        if (c == '"' || c == '\r' || c == '\n')
            n += 2;
    return n;
}

} // namespace

void append_form_escaped(std::string& out, std::string_view text)
{
    for (char c : text) {
        switch (c) {
        case '"': out += "%22"; break;
        case '\r': out += "%0D"; break;
        case '\n': out += "%0A"; break;
        default: out += c;
        }
    }
}

bool boundary_fits(std::string_view boundary, std::span<const form_part> parts)
{
    const std::boyer_moore_horspool_searcher s(boundary.begin(), boundary.end());
    for (const auto& p : parts)
        if (contains(p.name, s) || (p.filename && contains(*p.filename, s)) || contains(p.content_type, s) ||
            contains(p.content, s))
            return false;
    return true;
}

std::optional<std::string> pick_boundary(std::span<const form_part> parts,
                                         const std::function<std::string()>& next, int tries)
{
    for (int i = 0; i < tries; ++i) {
        auto b = next();
        if (!b.empty() && boundary_fits(b, parts))
            return b;
    }
    return std::nullopt;
}

std::string random_boundary()
{
    static constexpr char digits[] = "0123456789abcdefghijklmnopqrstuv";
    unsigned char bytes[20];
    random_bytes(bytes, sizeof bytes);
    std::string b = "handinger-";
    // 5 bits a character: 160 bits, 32 characters.
    unsigned acc = 0;
    int bits = 0;
    for (unsigned char byte : bytes) {
        acc = (acc << 8) | byte;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            b += digits[(acc >> bits) & 31u];
        }
    }
    return b;
}

std::size_t form_size(std::span<const form_part> parts, std::string_view boundary)
{
    static constexpr std::string_view disposition = "Content-Disposition: form-data; name=\"\"";
    static constexpr std::string_view filename = "; filename=\"\"";
    static constexpr std::string_view type = "Content-Type: ";
    std::size_t n = 0;
    for (const auto& p : parts) {
        n += 2 + boundary.size() + crlf.size(); // --boundary CRLF
        n += disposition.size() + escaped_size(p.name);
        if (p.filename)
            n += filename.size() + escaped_size(*p.filename);
        n += crlf.size();
        if (!p.content_type.empty())
            n += type.size() + p.content_type.size() + crlf.size();
        n += crlf.size() + p.content.size() + crlf.size();
    }
    return n + 2 + boundary.size() + 2 + crlf.size(); // --boundary-- CRLF
}

void write_form(std::string& out, std::span<const form_part> parts, std::string_view boundary)
{
    out.reserve(out.size() + form_size(parts, boundary));
    for (const auto& p : parts) {
        out += "--";
        out += boundary;
        out += "\r\nContent-Disposition: form-data; name=\"";
        append_form_escaped(out, p.name);
        out += '"';
        if (p.filename) {
            out += "; filename=\"";
            append_form_escaped(out, *p.filename);
            out += '"';
        }
        out += crlf;
        if (!p.content_type.empty()) {
            out += "Content-Type: ";
            out += p.content_type;
            out += crlf;
        }
        out += crlf;
        out += p.content;
        out += crlf;
    }
    out += "--";
    out += boundary;
    out += "--\r\n";
}

std::string form_content_type(std::string_view boundary)
{
    return "multipart/form-data; boundary=" + std::string(boundary);
}

} // namespace handinger::detail::http
