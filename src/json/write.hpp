// Internal: the body of a create request, written straight to text.
#pragma once

#include <handinger/models.hpp>

#include <string>
#include <string_view>

namespace handinger::detail {

/// The fields of a create request in wire order, absent optionals left out:
/// the one description of the body, which both its writers follow (the text
/// below, and value_from(create_task_params) in write_models.cpp).
template <class F>
void for_each_create_field(const create_task_params& p, F&& f)
{
    f(std::string_view("input"), std::string_view(p.input));
    if (p.budget)
        f(std::string_view("budget"), p.budget->str());
    if (p.task_id)
        f(std::string_view("taskId"), std::string_view(*p.task_id));
    if (p.worker_id)
        f(std::string_view("workerId"), std::string_view(*p.worker_id));
}

/// The body of POST /api/tasks: the same text as
/// serialize(value_from(p)), with one allocation.
std::string create_request_body(const create_task_params& p);

} // namespace handinger::detail
