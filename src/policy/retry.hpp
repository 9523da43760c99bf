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

/// Whether a POST's outcome leaves it unknown if the server acted on it: the
/// request may have been delivered and no response says it was refused
/// (no response at all, 408, or >= 500). Such a POST must not be resent
/// before checking whether it took effect.
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

} // namespace handinger::detail
