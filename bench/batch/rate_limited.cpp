// Part 1: the in-flight limit under a rate limit. Rounds of every
// configuration (adaptive, then the fixed limits) against a rate-limited
// simulator, then their medians.
#include "bench_batch.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <thread>

namespace bench::batch {
namespace {

struct batch_run {
    std::string name;
    std::size_t limit = 0; // fixed limit, or 0 for adaptive
    double seconds = 0;
    long long rate_limited = 0, duplicates = 0, tasks_created = 0;
    long long attempts = 0, retries = 0, failures = 0, recovered = 0, connections = 0;
    std::map<std::string, long long> failure_kinds;
    std::size_t limit_min = 0, limit_max = 0;
    double limit_mean = 0;
    std::string limit_trace; // the adaptive limit every ~250 ms
    bool timed_out = false;
};

batch_run limited_run(const args& a, std::size_t fixed_limit)
{
    batch_setup s;
    s.url = a.url;
    s.ca = a.ca;
    s.key = a.key;
    s.n = a.n;
    s.adaptive = fixed_limit == 0;
    s.initial = s.adaptive ? a.initial : fixed_limit;
    s.max_in_flight = s.adaptive ? a.max_in_flight : fixed_limit;
    // The same pool for every configuration: the largest limit of the run.
    s.pool = a.max_in_flight;
    for (auto f : a.fixed)
        s.pool = std::max(s.pool, f);
    s.max_retries = a.max_retries;
    s.timeout_s = a.run_timeout_s;

    std::this_thread::sleep_for(std::chrono::milliseconds(a.settle_ms));
    const auto before = sim_stats(a.url, a.ca);
    auto o = run_batch(s);
    const auto after = sim_stats(a.url, a.ca);

    batch_run r;
    r.name = s.adaptive ? "adaptive" : "fixed " + std::to_string(fixed_limit);
    r.limit = fixed_limit;
    r.seconds = o.seconds;
    r.rate_limited = counter(after, "rate_limited") - counter(before, "rate_limited");
    r.duplicates = counter(after, "duplicate_posts") - counter(before, "duplicate_posts");
    r.tasks_created = counter(after, "tasks_created") - counter(before, "tasks_created");
    r.attempts = o.attempts;
    r.retries = o.attempts - a.n;
    r.failures = o.failures;
    r.recovered = o.recovered;
    r.connections = o.connections;
    r.failure_kinds = o.failure_kinds;
    r.timed_out = o.timed_out;
    if (!o.first_failure.empty())
        std::printf("  first failure: %s\n", o.first_failure.c_str());
    if (!o.limits.empty()) {
        r.limit_min = r.limit_max = o.limits.front().second;
        double sum = 0;
        std::ostringstream trace;
        for (auto& [t, l] : o.limits) {
            r.limit_min = std::min(r.limit_min, l);
            r.limit_max = std::max(r.limit_max, l);
            sum += static_cast<double>(l);
            trace << (trace.tellp() > 0 ? " " : "") << l;
        }
        r.limit_mean = sum / static_cast<double>(o.limits.size());
        r.limit_trace = trace.str();
    }
    return r;
}

template <class T>
T median_of(std::vector<T> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

// Part 1 for one rate-limited simulator: rounds of every configuration
// (interleaved, so that drift on the machine hits them alike), then the
// medians. `latency_ms`: the round trip of one create when not limited, if
// known (else it is taken from the smallest fixed limit's runs when they drew
// no 429); the capacity in flight is then rate x latency.
json::object rate_limited_scenario(const args& a, const std::string& url, const std::string& ca,
                                   const std::string& label, double latency_ms, long long& duplicates)
{
    args b = a;
    b.url = url;
    b.ca = ca;
    std::printf("%s: rate limit %d POST/s (429 hint: %s), max_retries %d, pool %zu, adaptive initial %zu "
                "max %zu; %d round(s)\n",
                label.c_str(), a.rate_limit, a.retry_after_form.c_str(), a.max_retries, a.max_in_flight,
                a.initial, a.max_in_flight, a.repeats);
    std::vector<std::size_t> configs = {0};
    configs.insert(configs.end(), a.fixed.begin(), a.fixed.end());
    std::map<std::size_t, std::vector<batch_run>> runs;
    for (int rep = 0; rep < a.repeats; ++rep)
        for (auto c : configs) {
            auto r = limited_run(b, c);
            std::printf("  %-12s %6.2f s  429s %6lld  retries %6lld  failed %5lld  duplicates %lld  created "
                        "%lld  connections %lld%s",
                        r.name.c_str(), r.seconds, r.rate_limited, r.retries, r.failures, r.duplicates,
                        r.tasks_created, r.connections, r.timed_out ? "  TIMED OUT" : "");
            for (auto& [k, v] : r.failure_kinds)
                std::printf("  [%s: %lld]", k.c_str(), v);
            if (c == 0)
                std::printf("\n    limit min %zu max %zu mean %.1f; sampled: %s", r.limit_min, r.limit_max,
                            r.limit_mean, r.limit_trace.c_str());
            std::printf("\n");
            std::fflush(stdout);
            duplicates += r.duplicates;
            runs[c].push_back(std::move(r));
        }

    json::object out;
    auto median_field = [&](std::size_t c, auto field) {
        std::vector<long long> v;
        for (auto& r : runs[c])
            v.push_back(r.*field);
        return median_of(v);
    };
    auto median_seconds = [&](std::size_t c) {
        std::vector<double> v;
        for (auto& r : runs[c])
            v.push_back(r.seconds);
        return median_of(v);
    };
    auto mean_limit = [&](std::size_t c) {
        double sum = 0;
        for (auto& r : runs[c])
            sum += r.limit_mean;
        return sum / static_cast<double>(runs[c].size());
    };
    // The round trip, from the smallest fixed limit when it was never limited.
    const auto smallest = *std::min_element(a.fixed.begin(), a.fixed.end());
    if (latency_ms <= 0 && median_field(smallest, &batch_run::rate_limited) == 0)
        latency_ms = static_cast<double>(smallest) * median_seconds(smallest) / a.n * 1000.0;
    const double capacity = latency_ms > 0 ? a.rate_limit * latency_ms / 1000.0 : 0;

    std::printf("  medians over %d round(s); round trip %.3f ms, so the capacity is %.2f in flight:\n",
                a.repeats, latency_ms, capacity);
    json::array fixed_out;
    double best_fixed = 0;
    std::size_t best_limit = 0;
    long long least_429_above = -1;
    bool timed_out = false;
    for (auto c : configs) {
        const auto sec = median_seconds(c);
        const auto rl = median_field(c, &batch_run::rate_limited);
        const auto re = median_field(c, &batch_run::retries);
        const auto fa = median_field(c, &batch_run::failures);
        for (auto& r : runs[c])
            timed_out = timed_out || r.timed_out;
        std::printf("    %-12s %6.2f s  429s %6lld  retries %6lld  failed %5lld%s\n",
                    c == 0 ? "adaptive" : ("fixed " + std::to_string(c)).c_str(), sec, rl, re, fa,
                    c == 0 ? ("  (limit mean " + std::to_string(mean_limit(0)).substr(0, 5) + ")").c_str()
                           : "");
        json::array all_s, all_429;
        for (auto& r : runs[c]) {
            all_s.push_back(r.seconds);
            all_429.push_back(r.rate_limited);
        }
        if (c == 0) {
            out["adaptive_s"] = sec;
            out["adaptive_rate_limited"] = rl;
            out["adaptive_retries"] = re;
            out["adaptive_failures"] = fa;
            out["adaptive_runs_s"] = all_s;
            out["adaptive_runs_rate_limited"] = all_429;
            out["adaptive_limit_mean"] = mean_limit(0);
            continue;
        }
        json::object f;
        f["limit"] = c;
        f["seconds"] = sec;
        f["rate_limited"] = rl;
        f["retries"] = re;
        f["failures"] = fa;
        f["runs_s"] = all_s;
        f["runs_rate_limited"] = all_429;
        fixed_out.push_back(f);
        // Only a limit that completed every input can be the best.
        if (fa == 0 && (best_fixed == 0 || sec < best_fixed)) {
            best_fixed = sec;
            best_limit = c;
        }
        // At or above the capacity (unknown capacity: every limit counts).
        if (static_cast<double>(c) >= capacity && (least_429_above < 0 || rl < least_429_above))
            least_429_above = rl;
    }
    out["fixed"] = fixed_out;
    out["round_trip_ms"] = latency_ms;
    out["capacity_in_flight"] = capacity;
    out["best_fixed_limit"] = best_limit;
    out["best_fixed_s"] = best_fixed;
    json::object targets;
    const double ad = median_seconds(0);
    const auto ad429 = median_field(0, &batch_run::rate_limited);
    if (best_fixed > 0) {
        out["adaptive_vs_best_fixed"] = ad / best_fixed;
        targets["adaptive_within_10pct"] =
            ad <= 1.10 * best_fixed && median_field(0, &batch_run::failures) == 0;
    }
    targets["adaptive_fewer_429s"] = least_429_above >= 0 && ad429 < least_429_above;
    out["targets"] = targets;
    out["timed_out"] = timed_out;
    return out;
}

} // namespace bench::batch
