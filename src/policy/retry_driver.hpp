// The retry loop of one call as a state machine without I/O: it says what to
// do next (send an attempt, wait, check whether a lost request took effect,
// or finish), and the caller does it and reports back. Time and randomness
// are parameters; the decisions themselves are retry.hpp's.
//
// One call, seen from the driver:
//
//     start()  -> send
//     send      --attempt_done()-->  succeed | fail | wait | check | send
//     wait      --waited()------->   check | send | fail (cancelled)
//     check     --checked()------>   recovered | send | wait (to look again) | fail
//
// succeed, recovered and fail end the call.
#pragma once

#include "policy/retry.hpp"

#include <boost/system/error_code.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace handinger::detail {

/// The limits of one call, as its options resolve them.
struct call_limits {
    milliseconds timeout{60'000};         ///< per attempt; must be positive
    milliseconds total_timeout{0};        ///< the whole call, checks and waits included; 0 = none
    milliseconds connect_timeout{10'000}; ///< only to name the limit that ran out
    int max_retries = 2;                  ///< must not be negative
    /// The request can be checked for having taken effect before a resend
    /// (a create: its task is retrieved). `task_id` names that task in
    /// messages (a view: it must outlive the driver).
    bool can_check = false;
    std::string_view task_id;
};

/// "" when the limits are usable; else which one is not, as an
/// invalid_argument message naming the request_options field.
std::string check_limits(const call_limits& l);

/// What the caller does next.
struct call_step {
    enum class kind {
        send,      ///< an attempt: before `deadline`, on a new connection if `new_connection`
        wait,      ///< wait `delay` (a retry's backoff, or before a check), then waited()
        check,     ///< look whether the request took effect (within `deadline`), then checked()
        succeed,   ///< the last attempt's 2xx is the answer
        recovered, ///< the request took effect though its answer was lost: do not resend
        fail,      ///< the call fails with `ec`
    };
    kind what = kind::send;
    std::chrono::steady_clock::time_point deadline{}; ///< send, check
    bool new_connection = false;                      ///< send
    int retries = 0;                                  ///< send: retries made so far (x-stainless-retry-count)
    milliseconds delay{0};                            ///< wait
    boost::system::error_code ec;                     ///< fail
    /// fail: the message, which replaces the last attempt's own when
    /// `replace_message`, else is appended to it.
    std::string message;
    bool replace_message = false;
    /// A line for the debug log (info for `recovered`), "" for none.
    std::string log;
};

/// How an attempt ended, as far as the driver needs to know.
struct attempt_report {
    attempt_facts facts;    ///< ec set, or the status of a complete response
    bool reused = false;    ///< it ran on a pooled connection
    bool cancelled = false; ///< the call was cancelled (whatever the attempt's outcome)
    /// A pause shared with other calls (a batch's, after a 429): a retry
    /// does not start before it. time_point::min(): none.
    std::chrono::steady_clock::time_point not_before = std::chrono::steady_clock::time_point::min();
};

/// Whether a check found the request.
enum class check_result {
    present, ///< it took effect
    absent,  ///< no trace of it (yet)
    unknown, ///< could not tell: do not resend
};

class retry_driver {
public:
    using clock = std::chrono::steady_clock;

    /// `limits` must pass check_limits.
    retry_driver(call_limits limits, clock::time_point start);

    /// The first attempt, at `now`.
    call_step start(clock::time_point now);

    /// The attempt of the last `send` ended at `now`. `wall` reads an HTTP
    /// date's retry-after; `random01` in [0, 1) picks the backoff's jitter.
    call_step attempt_done(const attempt_report& r, clock::time_point now,
                           std::chrono::system_clock::time_point wall, double random01);

    /// The last `wait` ended at `now`; `completed` false when it was cut
    /// short (the call cancelled, the client shut down).
    call_step waited(bool completed, clock::time_point now);

    /// The last `check` ended at `now`: what it found (`why`, for unknown,
    /// says what went wrong), and whether the call was cancelled meanwhile.
    call_step checked(check_result found, std::string_view why, bool cancelled, clock::time_point now);

    /// " (timeout 1000 ms)" or the like: which limit ran out, for a timeout
    /// of the last attempt (`connecting`: while connecting or in TLS).
    std::string timeout_note(bool connecting) const;

    /// Attempts made so far (a stale connection's resend is the same attempt).
    int attempts() const noexcept { return retries_ + 1; }
    /// Time left before the overall deadline at `now`; nullopt = none.
    std::optional<milliseconds> remaining(clock::time_point now) const;

private:
    call_step send(clock::time_point now);
    call_step fail(std::string note = {});
    call_step fail_replacing(boost::system::error_code ec, std::string message);
    call_step after_wait(clock::time_point now);

    enum class phase { sending, backing_off, checking, waiting_to_check_again, done };

    call_limits limits_;
    clock::time_point overall_;
    clock::time_point attempt_deadline_{};
    phase phase_ = phase::sending;
    int retries_ = 0;
    bool stale_used_ = false;
    boost::system::error_code failed_ec_; // the last attempt's error kind
    failure_plan plan_;                   // after the last failed attempt
    int absent_checks_ = 0;
};

} // namespace handinger::detail
