// bench_batch's shared pieces: its options, one batch on a fresh client,
// the simulator's counters, and the scenarios main.cpp runs in turn (each in
// a file of its own). No Beast here: only sim_stats.cpp speaks HTTP itself.
#pragma once

#include <handinger/client.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace bench::batch {

namespace asio = boost::asio;
namespace json = boost::json;
namespace hd = handinger;
using clock_type = std::chrono::steady_clock;

struct args {
    int n = 10000;
    // Part 1
    std::string url, ca;                 // the rate-limited simulator, creates answered at once
    std::string latency_url, latency_ca; // the same limit, creates answered after ~10 ms
    int rate_limit = 0;                  // its limit (for the report; the simulator enforces it)
    std::string retry_after_form = "seconds";
    // The adaptive configuration: batch_options' defaults unless given.
    std::size_t initial = hd::batch_options{}.initial_in_flight,
                max_in_flight = hd::batch_options{}.max_in_flight;
    std::vector<std::size_t> fixed = {8, 64, 256};
    int max_retries = 2;
    int repeats = 3;
    int settle_ms = 1500; // pause before each run: the bucket refills (burst = rate, 1 s)
    int run_timeout_s = 120;
    // Part 2
    std::string open_url, open_ca, plain_url; // simulators without a rate limit
    std::string ts_dir;                       // the SDK installed there, with create_many.mjs
    int concurrency = 64;
    int warmup = 1000;
    int throughput_repeats = 5;
    std::string key = "sk-bench";
    // child mode
    bool child_ours = false;
    bool stream = false; // child: stream_batch, results dropped as read
};

// ---------------------------------------------------------------------------
// The simulator's /_sim endpoints (not part of the client library's API):
// sim_stats.cpp.

/// GET /_sim/stats of the simulator at `base` (`ca`: its CA file, for
/// https); throws on failure. Bounded: 10 s.
json::object sim_stats(const std::string& base, const std::string& ca);

/// A counter of a /_sim/stats object; 0 when absent.
long long counter(const json::object& o, const char* name);

// ---------------------------------------------------------------------------
// One batch on a fresh client and io_context: run_batch.cpp.

struct batch_setup {
    std::string url, ca, key;
    int n = 0;
    bool adaptive = true;
    std::size_t initial = 16, max_in_flight = 256, pool = 256;
    int max_retries = 2;
    int warmup = 0;
    int timeout_s = 120;
    bool stream = false; // stream_batch, each result dropped once read
};

struct batch_outcome {
    double seconds = 0, cpu_s = 0;
    long long failures = 0, recovered = 0, attempts = 0, connections = 0;
    std::map<std::string, long long> failure_kinds;
    std::string first_failure;
    std::vector<std::pair<double, std::size_t>> limits; // (seconds, limit) samples
    bool timed_out = false;
};

// Runs setup.warmup creates (not measured), then setup.n as the measured
// batch, on a fresh client and io_context.
batch_outcome run_batch(const batch_setup& s);

// ---------------------------------------------------------------------------
// The scenarios, in the order main() runs them.

/// Part 0 (unlimited.cpp): each configuration once against the simulator
/// without a limit (a.open_url; nothing when it is empty). Returns the
/// requests/s per configuration; sets `round_trip_ms` from the smallest fixed
/// limit.
json::object unlimited_scenario(const args& a, double& round_trip_ms);

/// Part 1 (rate_limited.cpp) for one rate-limited simulator: rounds of every configuration
/// (interleaved, so that drift on the machine hits them alike), then the
/// medians. `latency_ms`: the round trip of one create when not limited, if
/// known (else it is taken from the smallest fixed limit's runs when they drew
/// no 429); the capacity in flight is then rate x latency.
json::object rate_limited_scenario(const args& a, const std::string& url, const std::string& ca,
                                   const std::string& label, double latency_ms, long long& duplicates);

/// Part 2 (throughput_vs_sdk.cpp): ours against the TypeScript SDK, each side a
/// child process. Writes the figures into `out` and the throughput and
/// memory targets into `targets`; false when one of our runs failed.
bool throughput_scenario(const args& a, json::object& out, json::object& targets);

/// The child of Part 2 (--child-ours): warm-up, then a.n creates with a fixed
/// limit of a.concurrency; prints its figures as one JSON line.
int child_ours(const args& a);

} // namespace bench::batch
