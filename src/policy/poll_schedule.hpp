// When a watcher polls next: a pure function of what the last poll produced.
// No clocks or randomness are read here; callers pass random numbers in.
#pragma once

#include <handinger/models.hpp>
#include <handinger/watch_options.hpp>

#include <chrono>
#include <optional>

namespace handinger::detail {

using std::chrono::milliseconds;

/// Which interval cap applies to a poll.
enum class poll_phase {
    pending, ///< the task is pending, or not visible yet (a 404 within the grace)
    running, ///< the task is running
    other,   ///< anything else (terminal); the running cap applies
};

/// pending -> pending, running -> running, anything else -> other.
poll_phase phase_of(const open_enum<task_status>& s) noexcept;

/// What one successful poll produced, as far as scheduling is concerned.
struct poll_outcome {
    bool changed = false; ///< the poll produced at least one event
    poll_phase phase = poll_phase::pending;
    /// A wait the server asked for (e.g. retry-after on a 200 or a 429).
    std::optional<milliseconds> retry_after;
    double random01 = 0.5; ///< uniform in [0, 1); picks the jitter (0.5 = none)
};

/// No delay this class returns is longer than this, whatever the options or
/// the server ask for: a day is far past any useful poll interval, and the
/// bound keeps `now + delay` far from overflowing any clock.
inline constexpr milliseconds max_poll_delay{std::chrono::hours(24)};

/// The interval between a watcher's polls (watch_options' first_interval,
/// min_interval, backoff, max_interval_running, max_interval_pending, jitter).
///
/// The base interval: after a poll that changed something, and before any
/// unchanged poll, the base is first_interval. Each unchanged poll uses the
/// base, then multiplies it by backoff for the next one. So, with no server
/// waits and no jitter, a watch whose polls never change waits
///
///     first, first*b, first*b^2, ..., cap, cap, ...
///
/// and after a changed poll the waits start again at first: the changed poll
/// itself waits first, the first unchanged poll after it first again, then
/// first*b, ... (activity keeps the fast cadence for one more poll). With the
/// defaults (250 ms, x1.5, caps 5 s / 15 s), rounded to the millisecond:
///
///     running: 250 375 563 844 1266 1898 2848 4271 5000 5000 ...
///     pending: 250 375 563 844 1266 1898 2848 4271 6407 9611 14416 15000 ...
///
/// The cap is that of the poll's own phase and applies to the base before it
/// is used, so a phase change re-caps at once (a pending base of 12 s becomes
/// 5 s on the first running poll and grows from there).
///
/// Each delay, in this order:
///  1. base (capped as above);
///  2. jitter: base * (1 + jitter * (2 * random01 - 1)), i.e. within
///     [base * (1 - jitter), base * (1 + jitter)], rounded to the nearest ms;
///  3. floor: at least min_interval, and at least 1 ms (a watch never spins);
///  4. the server's wait: at least retry_after, even above the caps;
///  5. at most max_poll_delay.
/// A server's wait only stretches that one delay; it does not change the base.
///
/// Option sanitising (done once, in the constructor): negative durations read
/// as zero; first_interval and both caps are at least 1 ms (a zero base could
/// never grow, and a zero cap means "as fast as min_interval allows"); any of
/// these durations above max_poll_delay reads as max_poll_delay; backoff
/// below 1 (or NaN) reads as 1 (constant interval); jitter is clamped to
/// [0, 1) (NaN reads as 0); random01 is clamped to [0, 1) (NaN reads as 0.5).
/// A cap below first_interval wins over it; min_interval wins over both.
///
/// Not thread-safe: one per watcher, used by that watcher only.
class poll_schedule {
public:
    explicit poll_schedule(const watch_options& opts = {}) noexcept;

    /// The wait after a successful poll with outcome `o`; advances the base.
    /// A webhook-assisted watch (watch_options::webhook_assisted) waits
    /// safety_poll_interval instead of the base, with the same jitter,
    /// floor, server wait and bound.
    milliseconds next_delay(const poll_outcome& o) noexcept;

    /// The wait before a watch's first poll: none, or safety_poll_interval
    /// (no jitter) for a webhook-assisted watch.
    milliseconds first_delay() const noexcept;

    /// The wait after the `consecutive_errors`-th transient failure in a row
    /// (1 for the first; values below 1 read as 1): first_interval *
    /// 2^(consecutive_errors - 1), capped at max_interval_running, then the
    /// same jitter, floor, server wait and bound as next_delay. Errors neither
    /// reset nor grow the base of successful polls: after the errors end,
    /// next_delay continues where it was.
    milliseconds next_delay_after_error(int consecutive_errors, std::optional<milliseconds> retry_after,
                                        double random01) const noexcept;

    /// The base, in milliseconds, that the next unchanged poll will use
    /// (before its phase's cap). For tests and diagnostics.
    double base_ms() const noexcept { return base_ms_; }

private:
    double cap_ms(poll_phase p) const noexcept;
    milliseconds finish(double base_ms, std::optional<milliseconds> retry_after,
                        double random01) const noexcept;

    double first_ms_;
    double min_ms_;
    double backoff_;
    double cap_running_ms_;
    double cap_pending_ms_;
    double jitter_;
    double assisted_ms_; // safety_poll_interval of a webhook-assisted watch; 0: adaptive
    double base_ms_;
};

} // namespace handinger::detail
