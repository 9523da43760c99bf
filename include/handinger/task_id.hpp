// Client-side task ids.
#pragma once

#include <string>

namespace handinger {

/// A new task id of the service's own form: "tsk_" and a ULID (26 Crockford
/// base32 characters: 48 bits of milliseconds since the epoch, then 80
/// random bits from the kernel's CSPRNG). Ids sort by creation time.
std::string make_task_id();

} // namespace handinger
