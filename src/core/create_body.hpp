// Internal: the body of POST /api/tasks, JSON or, with files, a
// multipart/form-data form (http/multipart.hpp).
#pragma once

#include <handinger/models.hpp>

#include <functional>
#include <optional>
#include <string>

namespace handinger::detail {

struct create_body {
    std::string bytes;
    std::string content_type; ///< empty: application/json
};

/// The body of a create of `p`: JSON without files; with files, a form of
/// the same fields in the same order (json/write.hpp for_each_create_field)
/// then one `files` part per file, under a boundary from `boundary` (by
/// default http::random_boundary) that occurs in none of them. The files'
/// bytes must be in memory (load_attachments). nullopt only when no
/// candidate boundary fits (not expected of random ones).
std::optional<create_body> make_create_body(const create_task_params& p,
                                            const std::function<std::string()>& boundary = {});

} // namespace handinger::detail
