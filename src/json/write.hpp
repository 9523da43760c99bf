// Internal: JSON text written straight from a model, without building a
// boost::json::value first (the request of every create).
#pragma once

#include <handinger/detail/json_text.hpp>
#include <handinger/models.hpp>

#include <string>
#include <string_view>

namespace handinger::detail {

/// The body of POST /api/tasks: the same text as
/// serialize(value_from(p)) (keys in the same order, absent optionals left
/// out), with one allocation.
std::string create_request_body(const create_task_params& p);

} // namespace handinger::detail
