#include "http/request_writer.hpp"

#include "http/platform_headers.hpp"
#include "util/text.hpp"

namespace handinger::detail::http {

namespace {

bool reserved_header(std::string_view name)
{
    auto is = [&](std::string_view n) { return iequals(name, n); };
    return is("host") || is("authorization") || is("content-length") || is("transfer-encoding") ||
           is("connection");
}

void append_header(std::string& out, std::string_view name, std::string_view value)
{
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
}

} // namespace

std::string fixed_request_headers(std::string_view host_header, const header_list& builtins,
                                  std::string_view authorization)
{
    std::string h = "Host: ";
    h += host_header;
    h += "\r\n";
    for (const auto& [name, value] : builtins)
        append_header(h, name, value);
    append_header(h, "Authorization", authorization);
    return h;
}

void write_request(const request& req, std::string_view fixed_headers, std::string& out)
{
    out.clear();
    out.reserve(fixed_headers.size() + req.target.size() + req.body.size() + 200);
    out.append(req.method);
    out += ' ';
    out.append(req.target);
    out += " HTTP/1.1\r\n";
    // A caller's header that replaces a built-in one: the built-in line stays out.
    auto replaced = [&](std::string_view name) {
        if (!req.replaces_builtin || !req.headers)
            return false;
        for (const auto& h : *req.headers)
            if (iequals(h.first, name))
                return replaces_builtin(name);
        return false;
    };
    if (!req.replaces_builtin) {
        out += fixed_headers;
    } else {
        for (auto rest = fixed_headers; !rest.empty();) {
            auto end = rest.find("\r\n");
            auto line = rest.substr(0, end == std::string_view::npos ? rest.size() : end + 2);
            rest.remove_prefix(line.size());
            if (!replaced(line.substr(0, line.find(':'))))
                out += line;
        }
    }
    if (!replaced("X-Stainless-Retry-Count")) {
        out += "X-Stainless-Retry-Count: ";
        out += std::to_string(req.retry_count);
        out += "\r\n";
    }
    if (req.timeout_seconds > 0 && !replaced("X-Stainless-Timeout")) {
        out += "X-Stainless-Timeout: ";
        out += std::to_string(req.timeout_seconds);
        out += "\r\n";
    }
    if (req.headers)
        for (const auto& [name, value] : *req.headers)
            if (!reserved_header(name) && (req.content_type.empty() || !iequals(name, "content-type")))
                append_header(out, name, value);
    if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
        out += "Content-Type: ";
        out += req.content_type.empty() ? std::string_view("application/json") : req.content_type;
        out += "\r\nContent-Length: ";
        out += std::to_string(req.body.size());
        out += "\r\n";
    }
    out += "\r\n";
    out.append(req.body);
}

} // namespace handinger::detail::http
