// Internal: JSON text written straight from a model, without building a
// boost::json::value first (the request of every create).
#pragma once

#include <handinger/models.hpp>

#include <string>
#include <string_view>

namespace handinger::detail {

/// Appends `s` as a JSON string (quoted; '"', '\\' and control characters
/// escaped as Boost.JSON's serializer escapes them; other bytes as they are).
void append_json_string(std::string& out, std::string_view s);

/// The body of POST /api/tasks: the same text as
/// serialize(value_from(p)) (keys in the same order, absent optionals left
/// out), with one allocation.
std::string create_request_body(const create_task_params& p);

} // namespace handinger::detail
