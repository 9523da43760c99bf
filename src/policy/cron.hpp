// A cron expression of the classic five fields, parsed and evaluated in UTC,
// without I/O or clocks: the library refuses a malformed one before any
// request, and the simulator computes a cron schedule's next run with it.
//
// The dialect (API.md: the service documents none; this is ours):
//
//     minute hour day-of-month month day-of-week
//     0-59   0-23 1-31         1-12  0-7 (0 and 7 are Sunday)
//
// Fields are separated by spaces or tabs. Each is a comma-separated list of
// items: `*`, a number `n`, a range `a-b` (a <= b), each of them optionally
// followed by a step `/s` (s >= 1; `n/s` means `n-max/s`). Months may be
// named JAN..DEC and days of the week SUN..SAT (any case), in ranges too.
// Nothing else: no `@daily`, no `?`, `L`, `W` or `#`, no seconds field.
//
// The day fields follow Vixie cron: when both are restricted, a day matches
// when either matches; when one of them starts with `*` (`*` or `*/2`),
// only the other one counts.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace handinger::detail {

class cron_expr {
public:
    /// Parses `text`. On failure returns nothing and sets `error` to what is
    /// wrong, naming the field: "hour: 24 is out of range 0-23",
    /// "expected 5 fields separated by spaces, got 6". An expression that no
    /// date can match ("0 0 31 2 *": February has no 31st) is refused too.
    static std::optional<cron_expr> parse(std::string_view text, std::string& error);

    /// The first whole minute strictly after `t` that the expression matches
    /// (UTC), or nothing when none comes within nine years (only an
    /// expression at the very end of the clock's range).
    std::optional<std::chrono::sys_seconds> next_after(std::chrono::sys_seconds t) const;

    /// Whether the minute containing `t` matches.
    bool matches(std::chrono::sys_seconds t) const;

    friend bool operator==(const cron_expr&, const cron_expr&) = default;

private:
    cron_expr() = default;
    bool day_matches(std::chrono::sys_days d) const;

    std::uint64_t minutes_ = 0; // bit m: minute m (0-59)
    std::uint32_t hours_ = 0;   // bit h: hour h (0-23)
    std::uint32_t mdays_ = 0;   // bit d: day of month d (1-31)
    std::uint32_t months_ = 0;  // bit m: month m (1-12)
    std::uint32_t wdays_ = 0;   // bit w: day of week w (0-6, Sunday 0)
    bool mday_star_ = false;    // the day-of-month field starts with '*'
    bool wday_star_ = false;    // the day-of-week field starts with '*'
};

} // namespace handinger::detail
