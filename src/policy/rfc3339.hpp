// RFC 3339 date-times (a schedule's `date`, its `nextRunAt`): parsed to a
// UTC time and written back, without clocks.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace handinger::detail {

using sys_ms = std::chrono::sys_time<std::chrono::milliseconds>;

/// Reads an RFC 3339 date-time, section 5.6: `YYYY-MM-DDTHH:MM:SS`, an
/// optional fraction of a second (any number of digits; milliseconds are
/// kept, the rest cut off), then `Z` or an offset `+HH:MM` / `-HH:MM`; `T`
/// and `Z` may be lower case. The date must exist (no 30th of February, a
/// 29th only in a leap year); second 60 (a leap second) reads as the next
/// minute's first. Nothing else is accepted: no space for `T`, no missing
/// offset, no week or ordinal dates. Returns the UTC time, or nothing.
std::optional<sys_ms> parse_rfc3339(std::string_view s);

/// "2026-05-01T09:30:00.000Z": UTC, with milliseconds (years 0 to 9999).
std::string format_rfc3339(sys_ms t);

} // namespace handinger::detail
