// Fault decisions: the per-request percentage draw, the retry-after hint of a
// 429, and the POST rate limiter. Pure functions of their inputs.
#pragma once

#include <handinger/sim/detail/directives.hpp>
#include <handinger/sim/simulator.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace handinger::sim::detail {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// The fault (or none) for the `counter`-th /api request. The draw is a
/// function of (seed, counter) only, so a given sequence of requests meets the
/// same faults on every run.
fault_kind draw_fault(const fault_options& f, std::uint64_t seed, std::uint64_t counter);

/// Adds the retry hint of a 429 in the given form: retry-after-ms, retry-after
/// in whole seconds (rounded up, at least 1), or retry-after as an HTTP date.
void add_retry_after(header_list& headers, retry_after_form form, std::int64_t wait_ms, std::int64_t now_ms);

/// A token bucket: `rate` tokens per second, holding at most `rate`.
class token_bucket {
public:
    /// Takes a token at `now_ms`; when none is left returns false and sets
    /// wait_ms to when the next one comes. A rate <= 0 always succeeds.
    bool take(int rate, std::int64_t now_ms, std::int64_t& wait_ms);

private:
    double tokens_ = -1; // < 0: not started, fill on first use
    std::int64_t last_ms_ = 0;
};

} // namespace handinger::sim::detail
