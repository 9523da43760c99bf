// How a watcher reacts to a failed poll, and when a watch has run out of
// time: pure functions of what happened and of the clock values passed in.
#pragma once

#include <handinger/watch_options.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <optional>

namespace handinger::detail {

/// What a watcher does after a poll failed.
enum class watch_step {
    not_visible_yet, ///< keep polling as if pending (a create may still be in flight)
    retry,           ///< transient: poll again after the error backoff
    fail,            ///< end the watch with the error
};

/// The step for a poll that failed with `ec` (a handinger::error, or any
/// other code) and, when a response arrived, HTTP status `http_status` (0
/// otherwise).
///
/// - error::not_found: not_visible_yet when the task was never seen
///   (`seen_before` false) and `since_start < grace`; else fail. So a grace
///   of zero or less never hides a 404, and a 404 exactly at the grace fails.
/// - retry: error::connection, timeout, rate_limited, server_error, tls (not
///   tls_verification), and error::unexpected_status with http_status 408.
/// - fail: everything else: bad_request, authentication, permission_denied,
///   conflict, unprocessable_entity, unexpected_status other than 408,
///   invalid_response, tls_verification, invalid_argument, cancelled, proxy, codes of
///   other categories, and a success code (a caller bug; failing ends the
///   watch instead of polling forever on it).
watch_step decide(const boost::system::error_code& ec, int http_status, bool seen_before,
                  std::chrono::milliseconds since_start, std::chrono::milliseconds grace) noexcept;

/// Which limit ended a watch.
enum class watch_timeout {
    deadline, ///< watch_options::deadline since the watch started
    stalled,  ///< watch_options::stall_timeout since the last change
};

/// Whether the watch has run out of time at `now`: `deadline` when
/// now - started >= options.deadline, else `stalled` when
/// now - last_change >= options.stall_timeout, else nullopt (the deadline is
/// reported when both have passed). The limits are taken literally: zero or
/// negative ones have passed at once. Exact to the nanosecond, and no
/// overflow for any limit (milliseconds::max() never passes in practice).
std::optional<watch_timeout> deadline_check(std::chrono::steady_clock::time_point now,
                                            std::chrono::steady_clock::time_point started,
                                            std::chrono::steady_clock::time_point last_change,
                                            const watch_options& options) noexcept;

/// The earliest instant at which deadline_check reports a timeout (for as
/// long as last_change stays the same): min(started + deadline,
/// last_change + stall_timeout), saturated at time_point::max() instead of
/// overflowing for huge limits.
std::chrono::steady_clock::time_point next_timeout(std::chrono::steady_clock::time_point started,
                                                   std::chrono::steady_clock::time_point last_change,
                                                   const watch_options& options) noexcept;

} // namespace handinger::detail
