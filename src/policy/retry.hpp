// Retry decisions: pure functions of what one attempt produced. No I/O, no
// clocks read here; callers pass "now" and randomness in.
#pragma once

#include <boost/system/error_code.hpp>

#include <chrono>
#include <optional>
#include <string_view>

namespace handinger::detail {

using std::chrono::milliseconds;

/// What one attempt produced, as far as retrying is concerned.
struct attempt_facts {
    /// Error kind of the attempt (a handinger::error), or none when a response
    /// with `status` arrived.
    boost::system::error_code ec;
    int status = 0; ///< 0 when no response arrived
    /// Some bytes of the request may have reached the server: the request was
    /// (partly) written before the failure. False for connect/TLS failures.
    bool maybe_delivered = false;
    /// No response: the failure was the peer closing the connection (end of
    /// stream, reset, broken pipe), not the client giving up on it.
    bool peer_closed = false;
    /// No complete response, but some of one had arrived.
    bool response_started = false;
    std::string_view x_should_retry; ///< header value, "" when absent
    std::string_view retry_after_ms; ///< header value, "" when absent
    std::string_view retry_after;    ///< header value, "" when absent
};

/// Whether the attempt's outcome is one worth retrying, by the official SDKs'
/// rules: `x-should-retry: true|false` wins; else 408, 409, 429 and >= 500,
/// connection errors, timeouts and TLS failures other than verification.
/// Cancellation, verification failures, invalid responses and other statuses
/// are final.
bool is_retryable(const attempt_facts& f);

/// What a failed attempt says about where its request went.
enum class delivery {
    /// No byte of the request left the client: it cannot have arrived.
    not_sent,
    /// A response refused it (409, 429, other 4xx but 408): it took no effect.
    refused,
    /// The server had the whole request: it answered 408 or >= 500 (but
    /// 504), or had begun to answer. It may have acted; nothing of it is
    /// still on its way.
    answered,
    /// The peer closed the connection before any answer: what reached the
    /// server did so before the close, nothing more will.
    cut,
    /// The client gave up on the connection (its deadline, or an error of
    /// its own) with bytes of the request possibly still on their way: a
    /// network, a proxy, or the kernel's send buffer (a closed socket still
    /// sends what it holds) may deliver them later. Also a 504: a gateway
    /// gave up waiting, the request may still reach the service.
    abandoned,
};

delivery classify_delivery(const attempt_facts& f);

/// Whether a POST's outcome leaves it unknown if the server acted on it: the
/// request may have been delivered and no response says it was refused
/// (answered, cut or abandoned above). Such a POST must not be resent
/// before checking whether it took effect. Never for a cancelled attempt.
bool is_ambiguous_delivery(const attempt_facts& f);

/// The longest wait a server can ask for; longer requests are capped.
inline constexpr milliseconds max_retry_after{60'000};

/// The wait a response asks for: `retry-after-ms` (milliseconds, may be
/// fractional), else `retry-after` as seconds (may be fractional) or as an
/// HTTP date relative to `now`. Negative or unparseable values are ignored
/// (nullopt); a date in the past is zero; values over max_retry_after are
/// capped to it.
std::optional<milliseconds> retry_after_delay(std::string_view retry_after_ms, std::string_view retry_after,
                                              std::chrono::system_clock::time_point now);

/// Exponential backoff with jitter, as the official SDKs: min(0.5 * 2^n, 8) s
/// scaled by a factor in [0.75, 1] (random01 in [0, 1) picks it). n = retries
/// already made.
milliseconds backoff_delay(int retries_done, double random01);

/// Parses an HTTP date (IMF-fixdate, RFC 850 or asctime form). A date
/// outside system_clock's range (years 1678 to 2261) is clamped to it.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view s);

struct retry_decision {
    bool retry = false;
    milliseconds delay{0};
    /// Why not, when retry is false: "not retryable", "retries exhausted",
    /// "deadline".
    std::string_view reason;
};

/// Everything about "retry, and after how long?".
struct retry_inputs {
    attempt_facts facts;
    int retries_done = 0; ///< retries already made (0 after the first attempt)
    int max_retries = 2;
    std::chrono::system_clock::time_point now{};
    /// Time left before the call's overall deadline; nullopt = no deadline.
    std::optional<milliseconds> remaining;
    /// A retry is only worth starting with at least this much time left after
    /// its wait.
    milliseconds min_attempt_time{100};
    double random01 = 0.5;
};

retry_decision decide_retry(const retry_inputs& in);

/// A failure on a connection taken from the pool, before any byte of a
/// response arrived, because the peer had closed it (end of stream, reset,
/// broken pipe; `peer_closed`), is what a server's closing of an idle
/// keep-alive connection produces: the request is resent once on a new
/// connection without counting as a retry. Only once per call
/// (`stale_retry_used`).
bool is_stale_connection_failure(bool reused, bool response_started, bool peer_closed, bool stale_retry_used);

/// Everything about "what now?" after an attempt failed.
struct failure_inputs {
    retry_inputs retry;            ///< the attempt's facts and the retry budget
    bool reused = false;           ///< it ran on a pooled connection
    bool stale_retry_used = false; ///< the call's one stale-connection resend is spent
    /// The request may be checked for having taken effect before a resend
    /// (a create: retrieve the task).
    bool can_check = false;
};

/// The plan after a failed attempt.
struct failure_plan {
    bool retry = false;
    /// Why not, when retry is false (decide_retry's reasons).
    std::string_view reason;
    /// Wait this long before the check (if any) and the resend. A check
    /// goes after the wait, not before: the later it looks, the more time
    /// a late copy of the request had to arrive and show.
    milliseconds delay{0};
    /// Check whether the request took effect before resending.
    bool check = false;
    delivery how = delivery::not_sent;
    bool new_connection = false; ///< resend on a new connection (stale)
    bool counts_as_retry = true; ///< false for the stale-connection resend
};

/// A stale pooled connection (is_stale_connection_failure) is resent at once
/// on a new connection, without counting as a retry, unless the request may
/// have been delivered and can be checked: then the check comes first, after
/// the backoff a retry would wait (bounded by the time left), since a peer
/// that closed mid-request may still be acting on what it received. Any
/// other failure follows decide_retry, with a check first when the
/// delivery is ambiguous and a check is possible.
failure_plan plan_after_failure(const failure_inputs& in);

/// A check found no trace of the request. What next?
struct absent_inputs {
    delivery how = delivery::abandoned;
    /// Checks of this failure that found nothing, the last one included.
    int absent_checks = 1;
    /// The call's per-attempt timeout.
    milliseconds attempt_timeout{60'000};
    /// Time left before the call's overall deadline; nullopt = no deadline.
    std::optional<milliseconds> remaining;
    /// A check, and a resend, are only worth starting with this much time.
    milliseconds min_attempt_time{100};
};

struct absent_decision {
    enum class step {
        resend,      ///< safe, as far as a client can know
        check_again, ///< after `wait`
        give_up,     ///< no time to look again: do not resend
    } next = step::resend;
    milliseconds wait{0};
    std::string_view reason; ///< for give_up
};

/// An answered or cut request that left no trace will not leave one later:
/// resend. An abandoned one may still be on its way, so "absent" is only
/// believed when a second check, an attempt timeout after the first,
/// finds nothing either; a copy that arrives even later than that is past
/// what any client can see (see client::async_create). When the overall
/// deadline leaves no room for the wait, a check and a resend: give up.
absent_decision after_absent(const absent_inputs& in);

} // namespace handinger::detail
