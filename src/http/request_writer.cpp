#include "http/request_writer.hpp"

#include "util/text.hpp"

namespace handinger::detail::http {

namespace {

bool reserved_header(std::string_view name)
{
    auto is = [&](std::string_view n) { return iequals(name, n); };
    return is("host") || is("authorization") || is("content-length") || is("transfer-encoding") ||
           is("connection");
}

} // namespace

std::string fixed_request_headers(std::string_view host_header, std::string_view user_agent,
                                  std::string_view authorization)
{
    std::string h = "Host: ";
    h += host_header;
    h += "\r\nUser-Agent: ";
    h += user_agent;
    h += "\r\nAccept: application/json\r\nAuthorization: ";
    h += authorization;
    h += "\r\n";
    return h;
}

void write_request(const request& req, std::string_view fixed_headers, std::string& out)
{
    out.clear();
    out.reserve(fixed_headers.size() + req.target.size() + req.body.size() + 160);
    out.append(req.method);
    out += ' ';
    out.append(req.target);
    out += " HTTP/1.1\r\n";
    out += fixed_headers;
    out += "x-stainless-retry-count: ";
    out += std::to_string(req.retry_count);
    out += "\r\n";
    if (req.headers)
        for (const auto& [name, value] : *req.headers)
            if (!reserved_header(name) && (req.content_type.empty() || !iequals(name, "content-type"))) {
                out += name;
                out += ": ";
                out += value;
                out += "\r\n";
            }
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
