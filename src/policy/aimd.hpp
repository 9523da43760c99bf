// The in-flight limit of a batch: additive increase while the limit is in
// use, multiplicative decrease on overload (429/503), and a pause of new
// submissions after a 429. Pure: time and outcomes are parameters.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

namespace handinger::detail {

struct aimd_options {
    std::size_t initial = 16;  ///< starting limit (clamped to [1, maximum])
    std::size_t maximum = 256; ///< the highest limit; 0 reads as 1
    bool adaptive = true;      ///< false: the limit stays at `initial` (429s still pause)
    /// The least pause of new submissions after a 429 (the server's
    /// retry-after, when longer, wins). Negative reads as zero.
    std::chrono::milliseconds min_pause{1000};
    /// The shortest window: the limit grows at most once per min_window,
    /// however fast the round trip (creates answered in a fraction of a
    /// millisecond would otherwise raise it by thousands per second, far
    /// past any use, and the next 429 would meet all of it in flight).
    /// Zero: a window is `limit` successes, however short. Default zero.
    std::chrono::milliseconds min_window{0};
};

/// What one attempt of one submission met (reported per attempt, retries
/// included).
enum class attempt_signal {
    success,      ///< a 2xx
    overloaded,   ///< 503 (or another 5xx the caller deems overload): halve, no pause
    rate_limited, ///< 429: halve and pause new submissions
    other,        ///< anything else (connection errors, 4xx...): no change
};

/// The limit and the pause, as the caller reports attempts.
///
/// Options are sanitised once, in the constructor: maximum 0 reads as 1 (a
/// batch always makes progress), initial is clamped to [1, maximum],
/// min_pause below zero reads as zero.
///
/// Windows. A decrease opens a "recovery": the submissions that were in
/// flight when the decreasing attempt completed (in_flight, at most the limit
/// before the decrease) were all sent under the old limit, so the next
/// min(in_flight, old limit) - 1 completions of any signal are the rest of
/// that burst. During recovery, overload signals do not halve again (a 429
/// still pauses) and successes earn no credit: the limit reacts once per
/// burst, and growth restarts from the new limit once the old burst drained.
///
/// Not adaptive: the limit never moves and no credit or recovery is kept,
/// but a 429 still pauses: the pause obeys the server's explicit request,
/// not the adaptation.
///
/// The pause only ever moves later (paused_until() is non-decreasing); it
/// starts at clock::time_point::min() (not paused) and saturates at
/// clock::time_point::max() instead of overflowing. retry_after is used as
/// given (retry_after_delay already caps it at max_retry_after); a negative
/// one reads as zero.
///
/// Not thread-safe: one per batch, guarded by whoever owns the batch.
class aimd_limit {
public:
    using clock = std::chrono::steady_clock;

    explicit aimd_limit(const aimd_options& o) noexcept;

    /// The current limit, in [1, maximum].
    std::size_t limit() const noexcept { return limit_; }

    /// Records an attempt's outcome at `now`. `in_flight` is the number of
    /// submissions in flight when it completed, this one included (so a full
    /// limit reports in_flight == limit; 0 reads as 1). The limit is in use
    /// when in_flight >= limit. `retry_after` is the server's hint.
    ///  - success: while the limit is in use and outside recovery, one
    ///    credit; once the credits reach the limit, and min_window has passed
    ///    since the limit last grew, the limit grows by 1 (never above
    ///    maximum) and the credits restart (about +1 per round trip, at most
    ///    one per min_window). Successes while not in use neither earn nor
    ///    reset credit.
    ///  - overloaded / rate_limited: outside recovery, the limit halves
    ///    (rounded down, at least 1), the credits restart and a recovery
    ///    opens (see Windows); during recovery, no change to the limit.
    ///  - rate_limited also pauses new submissions until
    ///    now + max(retry_after, min_pause) (extending, never shortening, a
    ///    pause already set), in recovery or not, adaptive or not.
    ///  - other: no change to the limit, credits or pause; it only counts as
    ///    one completion of a recovering burst.
    void record(attempt_signal s, std::size_t in_flight, clock::time_point now,
                std::optional<std::chrono::milliseconds> retry_after = std::nullopt) noexcept;

    /// New submissions may start at or after this time.
    clock::time_point paused_until() const noexcept { return paused_until_; }

    /// Whether a new submission may start now with `in_flight` running:
    /// now >= paused_until() and in_flight < limit().
    bool may_start(std::size_t in_flight, clock::time_point now) const noexcept
    {
        return now >= paused_until_ && in_flight < limit_;
    }

    /// Pauses new submissions until now + max(retry_after, min_pause)
    /// (extending only), without touching the limit: for a 429 seen before
    /// the submission it belongs to is over (its outcome is recorded then).
    void pause(clock::time_point now, std::optional<std::chrono::milliseconds> retry_after) noexcept;

private:
    std::size_t maximum_;
    bool adaptive_;
    clock::duration min_pause_;
    std::size_t limit_;
    std::size_t credits_ = 0; // successes in use since the last change
    clock::duration min_window_{};
    bool grown_ = false; // the limit grew once: grown_at_ is set
    clock::time_point grown_at_{};
    std::size_t recovery_ = 0; // completions left of the burst before a decrease
    clock::time_point paused_until_ = clock::time_point::min();
};

} // namespace handinger::detail
