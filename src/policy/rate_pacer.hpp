// The rate at which an adaptive batch submits, learnt from the service's
// 429s. Pure: time and outcomes are parameters.
//
// An in-flight limit cannot express a rate limit when creates are answered at
// once: one create in flight may already exceed the service's rate. So a
// batch also paces its submissions, from the first 429 on.
//
// Windows. The first 429 after the previous pause has ended starts a "wave"
// (later 429s of the same wave change nothing). A wave closes the window that
// began when the previous wave's pause ended (or at the first submission):
// the service took `successes` in it, and takes nothing more until this
// wave's pause ends, so what the service gives, over a cycle of burst and
// pause, is
//
//     rate = successes / (pause_end - window_start).
//
// For a token bucket that refills its whole burst within one pause (the usual
// "N per second" limit with retry-after: 1), that is its rate exactly; for a
// smaller bucket it is what bursting and pausing would have reached, so pacing
// at it never does worse than not pacing. A window with fewer than
// min_successes successes (the service was already exhausted when the batch
// began, say) gives no estimate.
//
// Pacing. Once a rate is known, submissions take tokens from a bucket that
// mirrors the service's: refilled at margin x rate, holding at most `burst`
// worth of it, empty when the wave's 429 arrives (so it holds what the
// service regained by the end of the pause).
//
// Probing. An estimate may be low (a small bucket gives little per pause).
// While the pacer is what holds submissions back and no wave came for the
// probe interval (probe_after at first), the rate rises by probe_factor, and
// again after each interval. A wave after a probe that finds no more than
// the rate before the probe (within 10%) doubles the interval (up to 64
// times probe_after): the estimate was right, and each probe costs a wave.
// A wave that finds more resets it.
//
// Not thread-safe: one per batch, guarded by whoever owns the batch.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

namespace handinger::detail {

struct pacer_options {
    double margin = 0.95;                        ///< pace at this share of the learnt rate
    std::chrono::milliseconds burst{1000};       ///< the mirror bucket holds this long at the rate
    std::chrono::milliseconds probe_after{5000}; ///< pacing this long without a wave raises the rate
    double probe_factor = 1.25;                  ///< ... by this factor
    std::size_t min_successes = 8;               ///< fewer in a window: no estimate from it
};

class rate_pacer {
public:
    using clock = std::chrono::steady_clock;

    explicit rate_pacer(const pacer_options& o = {}) noexcept;

    /// A submission starts at `now`: it takes a token when pacing. The first
    /// call opens the first window.
    void on_start(clock::time_point now) noexcept;
    /// A create succeeded at `now`.
    void on_success(clock::time_point now) noexcept;
    /// A 429 at `now`; new submissions are paused until `pause_end`.
    void on_rate_limited(clock::time_point now, clock::time_point pause_end) noexcept;

    /// When the next submission may start: clock::time_point::min() when it
    /// may start at once (always, before a rate is known).
    clock::time_point next_start(clock::time_point now) const noexcept;

    /// The learnt rate in submissions per second (before the margin), if any.
    std::optional<double> rate() const noexcept;
    /// Waves of 429s seen.
    std::size_t waves() const noexcept { return waves_; }

private:
    double tokens_at(clock::time_point now) const noexcept;
    double capacity() const noexcept;

    pacer_options o_;
    bool started_ = false;
    clock::time_point window_start_{};
    std::size_t successes_ = 0;
    clock::time_point pause_end_ = clock::time_point::min();
    std::size_t waves_ = 0;

    double rate_ = 0; // 0: not pacing
    double tokens_ = 0;
    clock::time_point refilled_at_{};
    clock::time_point last_change_{}; // the last estimate or probe
    bool binding_ = false;            // the pacer held a submission back since last_change_
    clock::duration probe_interval_{};
    double rate_before_probe_ = 0; // the estimate a probe of this window raised (0: no probe)
};

} // namespace handinger::detail
