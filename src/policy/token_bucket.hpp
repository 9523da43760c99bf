// The request budget shared by all watchers of a client: a token bucket in
// its GCRA ("virtual scheduling") form. Pure: callers pass "now" in.
#pragma once

#include <chrono>

namespace handinger::detail {

/// Spreads requests to at most `rate` per second, after an initial burst of
/// `burst` requests at once.
///
/// reserve(now) books the next free slot and returns when the caller may
/// send (>= now): callers never fail, they wait, so N callers arriving at
/// once get their slots 1/rate apart once the burst is spent. Idle time
/// refills the bucket at `rate` per second, up to `burst` and not beyond.
///
/// GCRA: the bucket keeps one time point, the theoretical arrival time (TAT)
/// of the next request if requests came exactly 1/rate apart. A request at
/// `now` may go at max(now, TAT - (burst - 1)/rate), and then TAT becomes
/// max(TAT, now) + 1/rate. So the k-th of many requests arriving together
/// (k from 0) goes max(0, k - burst + 1)/rate after them: with rate 50 and
/// burst 50, the first 50 at once, then one every 20 ms.
///
/// Parameters: rate <= 0 (or NaN, or infinite) means unlimited: reserve
/// returns `now` and books nothing. Rates below 1e-6 per second read as
/// 1e-6. burst below 1 (or NaN) reads as 1 (strict spacing, no burst);
/// bursts above 1e9 read as 1e9. Slots fall on whole clock ticks
/// (nanoseconds); the fraction of a tick in 1/rate is carried from slot to
/// slot, so k back-to-back slots span k/rate seconds to within a tick. The
/// TAT saturates instead of overflowing.
///
/// Not thread-safe: the engine shares one per client and guards it with a
/// mutex.
class token_bucket {
public:
    using clock = std::chrono::steady_clock;

    /// Defaults: 50 requests per second, a burst of one second's worth.
    token_bucket() noexcept : token_bucket(50.0, 50.0) {}
    token_bucket(double rate, double burst) noexcept;

    /// When the caller may send (>= now); books that slot.
    clock::time_point reserve(clock::time_point now) noexcept;

    bool unlimited() const noexcept { return unlimited_; }
    double rate() const noexcept { return rate_; }   ///< as sanitised (0 when unlimited)
    double burst() const noexcept { return burst_; } ///< as sanitised

private:
    bool unlimited_ = false;
    double rate_ = 0;
    double burst_ = 1;
    // The emission interval 1/rate: whole ticks, plus rem/rate of a tick.
    clock::duration interval_{0};
    double interval_rem_ = 0;
    // The burst's tolerance, (burst - 1)/rate, rounded to the nanosecond.
    clock::duration tolerance_{0};
    clock::time_point tat_ = clock::time_point::min();
    double tat_rem_ = 0; // in [0, rate): tat_ plus tat_rem_/rate of a tick
};

} // namespace handinger::detail
