// How a task watcher polls: watch_options (client::watch, client::submit,
// client::async_wait, batch_options::watch).
#pragma once

#include <chrono>

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
    /// Waiting that a webhook wakes: for a task whose worker has a webhook
    /// whose deliveries reach client::notify_finished. The watch then does
    /// not poll on the adaptive schedule: it polls when notified, and
    /// otherwise only every safety_poll_interval (a delivery may be lost),
    /// the first time one interval after the watch began (at once when the
    /// client was notified of the task shortly before). Turns and status
    /// changes of a running task are then seen only at those polls. Errors
    /// are retried as usual. Default off.
    bool webhook_assisted = false;
    /// The polls of a webhook-assisted watch between notifications. Default
    /// 30 s.
    std::chrono::milliseconds safety_poll_interval{30'000};
};

} // namespace handinger
