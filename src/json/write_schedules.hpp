// Internal: the body of a schedule's create (POST).
#pragma once

#include <handinger/schedule_models.hpp>

#include <string>

namespace handinger::detail {

/// The body of POST /api/workers/{id}/schedules: serialize(value_from(p)).
std::string create_schedule_body(const create_schedule_params& p);

} // namespace handinger::detail
