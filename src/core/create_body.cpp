#include "core/create_body.hpp"

#include "http/multipart.hpp"
#include "json/write.hpp"

#include <vector>

namespace handinger::detail {

std::optional<create_body> make_create_body(const create_task_params& p,
                                            const std::function<std::string()>& boundary)
{
    if (p.files.empty())
        return create_body{create_request_body(p), {}};
    std::vector<http::form_part> parts;
    parts.reserve(4 + p.files.size());
    for_each_create_field(p, [&](std::string_view key, std::string_view value) {
        parts.push_back({key, std::nullopt, {}, value});
    });
    for (const auto& f : p.files)
        parts.push_back({"files", std::string_view(f.filename),
                         f.content_type.empty() ? std::string_view("application/octet-stream")
                                                : std::string_view(f.content_type),
                         f.content});
    auto b =
        http::pick_boundary(parts, boundary ? boundary : std::function<std::string()>(http::random_boundary));
    if (!b)
        return std::nullopt;
    create_body out;
    http::write_form(out.bytes, parts, *b);
    out.content_type = http::form_content_type(*b);
    return out;
}

} // namespace handinger::detail
