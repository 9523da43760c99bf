#include "policy/aimd.hpp"

#include <algorithm>

namespace handinger::detail {
namespace {

using clock = aimd_limit::clock;

clock::time_point saturating_add(clock::time_point tp, clock::duration d) noexcept
{
    // d >= 0 here.
    if (tp > clock::time_point::max() - d)
        return clock::time_point::max();
    return tp + d;
}

// A non-negative millisecond count as the clock's duration, saturated rather
// than overflowing in the conversion.
clock::duration to_duration(std::chrono::milliseconds ms) noexcept
{
    if (ms <= std::chrono::milliseconds::zero())
        return clock::duration::zero();
    if (ms >= std::chrono::duration_cast<std::chrono::milliseconds>(clock::duration::max()))
        return clock::duration::max();
    return std::chrono::duration_cast<clock::duration>(ms);
}

} // namespace

aimd_limit::aimd_limit(const aimd_options& o) noexcept
    : maximum_(std::max<std::size_t>(o.maximum, 1)), adaptive_(o.adaptive),
      min_pause_(to_duration(o.min_pause)), limit_(std::clamp<std::size_t>(o.initial, 1, maximum_)),
      min_window_(to_duration(o.min_window))
{}

void aimd_limit::pause(clock::time_point now, std::optional<std::chrono::milliseconds> retry_after) noexcept
{
    const clock::duration wait =
        std::max(min_pause_, retry_after ? to_duration(*retry_after) : clock::duration{});
    paused_until_ = std::max(paused_until_, saturating_add(now, wait));
}

void aimd_limit::record(attempt_signal s, std::size_t in_flight, clock::time_point now,
                        std::optional<std::chrono::milliseconds> retry_after) noexcept
{
    if (s == attempt_signal::rate_limited)
        pause(now, retry_after);
    if (!adaptive_)
        return;
    in_flight = std::max<std::size_t>(in_flight, 1);

    // This completion belongs to the burst in flight at the last decrease.
    if (recovery_ > 0) {
        --recovery_;
        return;
    }

    switch (s) {
    case attempt_signal::success:
        if (in_flight < limit_)
            return;
        if (limit_ == maximum_) {
            credits_ = 0;
            return;
        }
        if (++credits_ >= limit_ && (!grown_ || now - grown_at_ >= min_window_)) {
            ++limit_;
            credits_ = 0;
            grown_ = true;
            grown_at_ = now;
        }
        return;
    case attempt_signal::overloaded:
    case attempt_signal::rate_limited:
        // The others in flight were sent under the old limit.
        recovery_ = std::min(in_flight, limit_) - 1;
        limit_ = std::max<std::size_t>(limit_ / 2, 1);
        credits_ = 0;
        return;
    case attempt_signal::other: return;
    }
}

} // namespace handinger::detail
