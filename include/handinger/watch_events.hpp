// What a task watcher reports, and how it is configured.
#pragma once

#include <handinger/error.hpp>
#include <handinger/models.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <variant>

namespace handinger {

/// Settings of a watch. Defaults as documented per field.
struct watch_options {
    /// Wait before the second poll, and after any poll that saw a change.
    /// (The first poll happens at once.) Default 250 ms.
    std::chrono::milliseconds first_interval{250};
    /// No two polls of a watcher closer than this. Default 250 ms.
    std::chrono::milliseconds min_interval{250};
    /// Each unchanged poll multiplies the interval by this. Default 1.5.
    double backoff = 1.5;
    /// Interval cap while the task runs. Default 5 s.
    std::chrono::milliseconds max_interval_running{5'000};
    /// Interval cap while the task is pending (or not visible yet). Default 15 s.
    std::chrono::milliseconds max_interval_pending{15'000};
    /// Each wait is scaled by a random factor in [1 - jitter, 1 + jitter].
    /// Default 0.2.
    double jitter = 0.2;
    /// A 404 this soon after the watch began means "not visible yet" (a
    /// create still in flight); later, or after the task was seen, it ends
    /// the watch with error::not_found. Default 10 s.
    std::chrono::milliseconds not_found_grace{10'000};
    /// The whole watch ends with error::timeout after this. Default 30 min.
    std::chrono::milliseconds deadline{std::chrono::minutes(30)};
    /// The watch ends with error::timeout when nothing changed for this long.
    /// Default 10 min.
    std::chrono::milliseconds stall_timeout{std::chrono::minutes(10)};
    /// Report transient errors being ridden out as `retrying` events.
    /// Default off.
    bool report_retrying = false;
};

namespace events {

/// The task's status changed. `from` is empty for the first status seen.
struct status_changed {
    std::optional<open_enum<task_status>> from;
    open_enum<task_status> to;
};

/// A turn appeared (reported once per turn, in seq order).
struct turn_added {
    handinger::turn turn;
};

/// A turn seen before changed (once per change). When the old outputText is
/// a prefix of the new one, `text` is the appended part and `replaced` is
/// false; otherwise `text` is the whole new text and `replaced` is true.
struct turn_updated {
    handinger::turn turn;
    std::string text;
    bool replaced = false;
};

/// The task reached a terminal status (completed, error, aborted, or one
/// this library does not know). The last event of a watch.
struct terminal {
    open_enum<task_status> status;
    task_with_turns snapshot;
};

/// A transient failure is being ridden out (only with
/// watch_options::report_retrying); polling resumes after `delay`.
struct retrying {
    boost::system::error_code ec;
    diagnostics diag;
    std::chrono::milliseconds delay{0};
};

} // namespace events

/// One event of a watch.
using watch_event = std::variant<events::status_changed, events::turn_added, events::turn_updated,
                                 events::terminal, events::retrying>;

} // namespace handinger
