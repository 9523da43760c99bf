// Small deterministic helpers of the simulator: hashing, a PRNG, time
// formatting, id generation and the pseudo-text of turns. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace handinger::sim::detail {

/// splitmix64's finalizer: a cheap, well-mixed 64-bit hash of x.
std::uint64_t mix64(std::uint64_t x);
/// FNV-1a of s, mixed with seed.
std::uint64_t hash_str(std::string_view s, std::uint64_t seed);

/// splitmix64: small, fast and reproducible across platforms (std:: engines'
/// distributions are not), which determinism for a seed needs.
class prng {
public:
    explicit prng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next();
    /// Uniform in [0, n); n > 0.
    std::uint64_t below(std::uint64_t n) { return next() % n; }

private:
    std::uint64_t state_;
};

/// "2024-05-06T07:08:09.123Z"
std::string iso8601_ms(std::int64_t unix_ms);
/// IMF-fixdate, as in Retry-After: "Wed, 21 Oct 2015 07:28:00 GMT"
std::string http_date(std::int64_t unix_ms);
/// Milliseconds since the epoch, from the system clock.
std::int64_t unix_now_ms();

/// "tsk_" + a ULID: 10 Crockford base32 characters of time, 16 of randomness.
std::string make_task_id(std::int64_t unix_ms, prng& rng);
/// "wrk_" + 14 URL-safe characters, like the service's worker ids.
std::string make_worker_id(prng& rng);
/// "sch_" + 16 Crockford base32 characters.
std::string make_schedule_id(prng& rng);
/// "run_" + 24 lower-case base32 characters.
std::string make_run_id(prng& rng);
/// "trn_" + 20 characters derived from the task id and seq (stable across GETs).
std::string make_turn_id(std::uint64_t seed, std::string_view task_id, int seq);

/// The full text a turn ends with: plain ASCII words, 40..~200 characters,
/// determined by (seed, task_id, seq).
std::string pseudo_text(std::uint64_t seed, std::string_view task_id, int seq);

} // namespace handinger::sim::detail
