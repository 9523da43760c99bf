#include <handinger/sim/detail/multipart.hpp>

#include "util/text.hpp" // the library's own (src/util)

#include <cstring>

namespace handinger::sim::detail {

using handinger::detail::iequals;
using handinger::detail::trim;

namespace {

bool is_token_char(char ch)
{
    const auto c = static_cast<unsigned char>(ch);
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

bool is_bchar(char ch)
{
    const auto c = static_cast<unsigned char>(ch);
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != 0 && std::strchr("'()+_,-./:=? ", c) != nullptr);
}

std::string_view skip_ows(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    return s;
}

// The parameters after a media type or a disposition type: `; name=value`
// with value a token or a quoted string (no escapes inside, as the HTML
// standard reads them). Calls f(name, value) for each; false when malformed.
template <class F>
bool for_each_param(std::string_view s, F&& f)
{
    for (;;) {
        s = skip_ows(s);
        if (s.empty())
            return true;
        if (s.front() != ';')
            return false;
        s = skip_ows(s.substr(1));
        if (s.empty())
            return true; // a trailing ';'
        std::size_t n = 0;
        while (n < s.size() && is_token_char(s[n]))
            ++n;
        if (n == 0)
            return false;
        const std::string_view name = s.substr(0, n);
        s = skip_ows(s.substr(n));
        if (s.empty() || s.front() != '=')
            return false;
        s = skip_ows(s.substr(1));
        std::string_view value;
        if (!s.empty() && s.front() == '"') {
            const auto close = s.find('"', 1);
            if (close == std::string_view::npos)
                return false;
            value = s.substr(1, close - 1);
            s = s.substr(close + 1);
        } else {
            std::size_t m = 0;
            while (m < s.size() && is_token_char(s[m]))
                ++m;
            if (m == 0)
                return false;
            value = s.substr(0, m);
            s = s.substr(m);
        }
        if (!f(name, value))
            return false;
    }
}

// %22, %0D and %0A back to the characters the HTML standard escapes.
std::string decode_form_name(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 3 <= s.size()) {
            const std::string_view esc = s.substr(i, 3);
            const char c = esc == "%22" ? '"' : esc == "%0D" ? '\r' : esc == "%0A" ? '\n' : '\0';
            if (c != '\0') {
                out += c;
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

std::string part_label(std::size_t index)
{
    return "part " + std::to_string(index + 1);
}

// The Content-Disposition of a part: form-data, its name and filename.
std::optional<std::string> read_disposition(std::string_view value, form_part& p)
{
    value = trim(value);
    const auto semi = std::min(value.find(';'), value.size());
    if (!iequals(trim(value.substr(0, semi)), "form-data"))
        return std::string("Content-Disposition is not form-data");
    bool named = false, duplicate = false;
    const bool ok = for_each_param(value.substr(semi), [&](std::string_view name, std::string_view v) {
        if (iequals(name, "name")) {
            duplicate |= named;
            named = true;
            p.name = decode_form_name(v);
        } else if (iequals(name, "filename")) {
            duplicate |= p.filename.has_value();
            p.filename = decode_form_name(v);
        }
        return true;
    });
    if (!ok)
        return std::string("malformed Content-Disposition parameters");
    if (duplicate)
        return std::string("a Content-Disposition parameter given twice");
    if (!named)
        return std::string("no name in its Content-Disposition");
    return std::nullopt;
}

} // namespace

body_type classify_body(std::string_view content_type)
{
    body_type t;
    const auto semi = std::min(content_type.find(';'), content_type.size());
    const std::string_view media = trim(content_type.substr(0, semi));
    if (media.size() < 10 || !iequals(media.substr(0, 10), "multipart/"))
        return t; // json
    if (!iequals(media, "multipart/form-data")) {
        t.kind = body_type::unsupported;
        t.problem = "Content-Type: " + std::string(media) + " is not supported (multipart/form-data or JSON)";
        return t;
    }
    t.kind = body_type::bad;
    std::optional<std::string_view> boundary;
    const bool ok = for_each_param(content_type.substr(semi), [&](std::string_view name, std::string_view v) {
        if (iequals(name, "boundary")) {
            if (boundary)
                return false;
            boundary = v;
        }
        return true;
    });
    if (!ok) {
        t.problem = "Content-Type: malformed parameters";
        return t;
    }
    if (!boundary) {
        t.problem = "Content-Type: multipart/form-data without a boundary";
        return t;
    }
    bool chars_ok = !boundary->empty() && boundary->size() <= 70 && boundary->back() != ' ';
    for (char c : *boundary)
        chars_ok = chars_ok && is_bchar(c);
    if (!chars_ok) {
        t.problem =
            "Content-Type: the boundary must be 1 to 70 characters of RFC 2046 (not ending in a space)";
        return t;
    }
    t.kind = body_type::form;
    t.boundary = std::string(*boundary);
    return t;
}

std::optional<form_error> parse_form(std::string_view body, std::string_view boundary,
                                     std::vector<form_part>& parts, const form_limits& limits)
{
    parts.clear();
    const std::string dash = "--" + std::string(boundary);
    const std::string delimiter = "\r\n" + dash;
    auto bad = [](std::string message) { return form_error{400, std::move(message)}; };

    // The first delimiter line may open the body or follow a preamble.
    std::size_t pos = 0;
    if (body.substr(0, dash.size()) != dash) {
        const auto at = body.find(delimiter);
        if (at == std::string_view::npos)
            return bad("body: no boundary line (--" + std::string(boundary) + ")");
        pos = at + 2;
    }
    for (;;) {
        pos += dash.size(); // at the end of "--boundary"
        if (body.substr(pos, 2) == "--")
            return std::nullopt; // the closing delimiter: the rest is epilogue
        while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t'))
            ++pos;
        if (body.substr(pos, 2) != "\r\n")
            return bad("body: a boundary line must end with CRLF (" + part_label(parts.size()) + ")");
        pos += 2;
        if (parts.size() == limits.max_parts)
            return form_error{413, "body: more than " + std::to_string(limits.max_parts) + " parts"};
        form_part p;
        const std::string label = part_label(parts.size());
        bool disposition = false;
        const std::size_t headers_start = pos;
        for (;;) {
            const auto eol = body.find("\r\n", pos);
            if (eol == std::string_view::npos)
                return bad(label + ": its headers do not end");
            if (eol - headers_start > limits.max_header_bytes)
                return form_error{413, label + ": more than " + std::to_string(limits.max_header_bytes) +
                                           " bytes of headers"};
            const std::string_view line = body.substr(pos, eol - pos);
            pos = eol + 2;
            if (line.empty())
                break;
            if (line.front() == ' ' || line.front() == '\t')
                return bad(label + ": a folded header line");
            const auto colon = line.find(':');
            if (colon == std::string_view::npos || colon == 0)
                return bad(label + ": a header line without a name");
            const std::string_view name = line.substr(0, colon);
            for (char c : name)
                if (!is_token_char(c))
                    return bad(label + ": a header name that is not a token");
            const std::string_view value = trim(line.substr(colon + 1));
            if (iequals(name, "content-disposition")) {
                if (disposition)
                    return bad(label + ": two Content-Disposition headers");
                disposition = true;
                if (auto problem = read_disposition(value, p))
                    return bad(label + ": " + *problem);
            } else if (iequals(name, "content-type")) {
                p.content_type = std::string(value);
            }
        }
        if (!disposition)
            return bad(label + ": no Content-Disposition header");
        const auto end = body.find(delimiter, pos);
        if (end == std::string_view::npos)
            return bad("body: no closing boundary (--" + std::string(boundary) + "--)");
        p.content = body.substr(pos, end - pos);
        parts.push_back(std::move(p));
        pos = end + 2;
    }
}

} // namespace handinger::sim::detail
