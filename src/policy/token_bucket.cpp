#include "policy/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace handinger::detail {
namespace {

using clock = token_bucket::clock;

constexpr double min_rate = 1e-6;
constexpr double max_burst = 1e9;

clock::time_point saturating_add(clock::time_point tp, clock::duration d) noexcept
{
    // d >= 0 here.
    if (tp > clock::time_point::max() - d)
        return clock::time_point::max();
    return tp + d;
}

clock::time_point saturating_sub(clock::time_point tp, clock::duration d) noexcept
{
    if (tp < clock::time_point::min() + d)
        return clock::time_point::min();
    return tp - d;
}

// A non-negative number of ticks as a duration, saturated at its maximum.
clock::duration ticks(double n) noexcept
{
    constexpr auto max = static_cast<double>(clock::duration::max().count());
    // 2^63 is not representable: stop well before the conversion overflows.
    if (n >= max / 2)
        return clock::duration::max() / 2;
    return clock::duration(static_cast<clock::rep>(n));
}

} // namespace

token_bucket::token_bucket(double rate, double burst) noexcept
{
    burst_ = burst >= 1.0 ? std::min(burst, max_burst) : 1.0; // !(NaN >= 1)
    if (!(rate > 0.0) || !std::isfinite(rate)) {
        unlimited_ = true;
        return;
    }
    rate_ = std::max(rate, min_rate);
    // Ticks per request; the clock's period is a ratio (nanoseconds here).
    const double per_second =
        static_cast<double>(clock::period::den) / static_cast<double>(clock::period::num);
    const double t = per_second / rate_;
    const double whole = std::floor(t);
    interval_ = ticks(whole);
    // 1/rate of a second is `whole` ticks and rem/rate of a tick, with
    // rem = per_second - whole * rate (fma: one rounding). The fraction is
    // carried as its numerator rem, exact for integer and most decimal rates
    // (with rate 3 or 7, 3 or 7 intervals make exactly one second), instead
    // of as a rounded fraction whose errors would pile up.
    interval_rem_ = std::clamp(std::fma(-whole, rate_, per_second), 0.0, rate_);
    // Floor, like the slots themselves: a slot is then off its exact time by
    // less than one tick.
    tolerance_ = ticks(std::floor((burst_ - 1.0) * t));
}

clock::time_point token_bucket::reserve(clock::time_point now) noexcept
{
    if (unlimited_)
        return now;
    // An idle bucket is full, never fuller: the TAT never lags behind now.
    if (tat_ < now) {
        tat_ = now;
        tat_rem_ = 0;
    }
    const clock::time_point at = std::max(now, saturating_sub(tat_, tolerance_));
    tat_rem_ += interval_rem_;
    clock::duration carry{0};
    if (tat_rem_ >= rate_) {
        tat_rem_ -= rate_;
        carry = clock::duration(1);
    }
    tat_ = saturating_add(saturating_add(tat_, interval_), carry);
    return at;
}

} // namespace handinger::detail
