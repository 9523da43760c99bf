#include "policy/poll_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace handinger::detail {
namespace {

constexpr double max_ms = static_cast<double>(max_poll_delay.count());

// Largest double below 1: the top of the half-open [0, 1).
const double below_one = std::nextafter(1.0, 0.0);

// A duration option as milliseconds in [lo, max_ms]; negative reads as zero
// before the lower bound applies.
double sanitize(milliseconds d, double lo) noexcept
{
    double v = static_cast<double>(std::max<milliseconds::rep>(d.count(), 0));
    return std::clamp(v, lo, max_ms);
}

double unit_interval(double r, double nan_value) noexcept
{
    if (std::isnan(r))
        return nan_value;
    return std::clamp(r, 0.0, below_one);
}

} // namespace

poll_phase phase_of(const open_enum<task_status>& s) noexcept
{
    if (s == task_status::pending)
        return poll_phase::pending;
    if (s == task_status::running)
        return poll_phase::running;
    return poll_phase::other;
}

poll_schedule::poll_schedule(const watch_options& opts) noexcept
    : first_ms_(sanitize(opts.first_interval, 1.0)), min_ms_(sanitize(opts.min_interval, 0.0)),
      // !(x >= 1) also catches NaN.
      backoff_(opts.backoff >= 1.0 ? opts.backoff : 1.0),
      cap_running_ms_(sanitize(opts.max_interval_running, 1.0)),
      cap_pending_ms_(sanitize(opts.max_interval_pending, 1.0)), jitter_(unit_interval(opts.jitter, 0.0)),
      assisted_ms_(opts.webhook_assisted ? sanitize(opts.safety_poll_interval, 1.0) : 0.0),
      base_ms_(first_ms_)
{}

double poll_schedule::cap_ms(poll_phase p) const noexcept
{
    return p == poll_phase::pending ? cap_pending_ms_ : cap_running_ms_;
}

milliseconds poll_schedule::first_delay() const noexcept
{
    return milliseconds(static_cast<milliseconds::rep>(assisted_ms_));
}

milliseconds poll_schedule::next_delay(const poll_outcome& o) noexcept
{
    if (assisted_ms_ > 0)
        return finish(assisted_ms_, o.retry_after, o.random01);
    if (o.changed)
        base_ms_ = first_ms_;
    const double cap = cap_ms(o.phase);
    const double used = std::min(base_ms_, cap);
    // A changed poll leaves the base at first_interval; an unchanged one grows
    // it. Capping every step keeps it finite (backoff may be huge or infinite:
    // min(inf, cap) is cap, and the base is never zero, so never 0 * inf).
    base_ms_ = o.changed ? first_ms_ : std::min(used * backoff_, cap);
    return finish(used, o.retry_after, o.random01);
}

milliseconds poll_schedule::next_delay_after_error(int consecutive_errors,
                                                   std::optional<milliseconds> retry_after,
                                                   double random01) const noexcept
{
    // Past 2^64 the cap has long won; clamping the exponent keeps ldexp finite.
    const int n = std::clamp(consecutive_errors, 1, 64);
    const double base = std::min(std::ldexp(first_ms_, n - 1), cap_running_ms_);
    return finish(base, retry_after, random01);
}

milliseconds poll_schedule::finish(double base_ms, std::optional<milliseconds> retry_after,
                                   double random01) const noexcept
{
    const double r = unit_interval(random01, 0.5);
    double d = std::round(base_ms * (1.0 + jitter_ * (2.0 * r - 1.0)));
    d = std::max({d, min_ms_, 1.0});
    auto delay = milliseconds(static_cast<milliseconds::rep>(std::min(d, max_ms)));
    if (retry_after)
        delay = std::max(delay, *retry_after);
    return std::min(delay, max_poll_delay);
}

} // namespace handinger::detail
