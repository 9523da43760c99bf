// bench_batch: client::async_submit_batch under a rate limit, and the same
// number of creates through the official TypeScript SDK.
//
// Part 0: each configuration once against a simulator without a limit: what
// it reaches unlimited, and the round trip at the smallest fixed limit.
//
// Part 1, the in-flight limit under a rate limit: N submissions to a simulator
// that answers 429 to POSTs beyond R per second (a token bucket, burst = R),
// once per configuration (adaptive, then the fixed limits) per round, each
// run on a fresh client (one pool for all: the largest limit), after a pause
// that lets the bucket refill. Per run: seconds, the simulator's rate_limited
// and duplicate_posts deltas, retries (the client's attempts minus the
// submissions), failures. Two simulators: creates answered at once (the
// capacity, R x round trip, is then below one in flight), and creates answered
// after ~10 ms (capacity about 20 in flight, between the fixed limits).
//
// Part 2, throughput against the TypeScript SDK: N creates with 64 in flight
// against a simulator without a rate limit, over HTTPS and over plain HTTP:
// our client (async_submit_batch, fixed limit 64, all results kept) in a
// child process (this program re-run with --child-ours; also with --stream:
// stream_batch, results dropped as read), and the SDK's tasks.create under a
// 64-slot semaphore in Promise.all (bench/ts_sdk/create_many.mjs under node).
// Both are measured alike: requests/s and CPU of the measured phase as each
// reports it (after a warm-up of the same shape), peak RSS (VmHWM) as each
// reports it and as sampled from /proc while it runs, the whole process's CPU
// from wait4.
//
// scripts/bench.sh batch starts the simulators, installs the SDK into a
// temporary directory and passes the URLs. Last line: one JSON object.
//
// The scenarios live in files of their own beside this one: unlimited.cpp
// (part 0), rate_limited.cpp (part 1), throughput_vs_sdk.cpp (part 2); run_batch.cpp
// runs one batch for all of them, sim_stats.cpp reads the simulator's
// counters.
#include "bench_batch.hpp"
#include "bench_util.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace bench::batch {
namespace {

std::vector<std::size_t> parse_list(const std::string& s)
{
    std::vector<std::size_t> v;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');)
        if (!item.empty())
            v.push_back(static_cast<std::size_t>(std::stoul(item)));
    return v;
}

args parse(int argc, char** argv)
{
    args a;
    bench::arg_reader r(argc, argv);
    for (auto k = r.next(); !k.empty(); k = r.next()) {
        if (k == "--n")
            a.n = std::stoi(r.value());
        else if (k == "--url")
            a.url = r.value();
        else if (k == "--ca")
            a.ca = r.value();
        else if (k == "--rate-limit")
            a.rate_limit = std::stoi(r.value());
        else if (k == "--retry-after-form")
            a.retry_after_form = r.value();
        else if (k == "--initial")
            a.initial = std::stoul(r.value());
        else if (k == "--max-in-flight")
            a.max_in_flight = std::stoul(r.value());
        else if (k == "--fixed")
            a.fixed = parse_list(r.value());
        else if (k == "--max-retries")
            a.max_retries = std::stoi(r.value());
        else if (k == "--repeats")
            a.repeats = std::max(1, std::stoi(r.value()));
        else if (k == "--settle-ms")
            a.settle_ms = std::stoi(r.value());
        else if (k == "--run-timeout")
            a.run_timeout_s = std::stoi(r.value());
        else if (k == "--open-url")
            a.open_url = r.value();
        else if (k == "--open-ca")
            a.open_ca = r.value();
        else if (k == "--plain-url")
            a.plain_url = r.value();
        else if (k == "--ts-dir")
            a.ts_dir = r.value();
        else if (k == "--concurrency")
            a.concurrency = std::stoi(r.value());
        else if (k == "--throughput-repeats")
            a.throughput_repeats = std::max(1, std::stoi(r.value()));
        else if (k == "--warmup")
            a.warmup = std::stoi(r.value());
        else if (k == "--key")
            a.key = r.value();
        else if (k == "--latency-url")
            a.latency_url = r.value();
        else if (k == "--latency-ca")
            a.latency_ca = r.value();
        else if (k == "--child-ours")
            a.child_ours = true;
        else if (k == "--stream")
            a.stream = true;
        else
            r.unknown();
    }
    return a;
}

} // namespace
} // namespace bench::batch

using namespace bench::batch;

int main(int argc, char** argv)
{
    auto a = parse(argc, argv);
    if (a.child_ours)
        return child_ours(a);

    json::object out;
    bool ok = true;
    std::printf("batch: %d submissions per run\n", a.n);

    // -- Part 0: what each limit reaches without a rate limit (the capacity
    // of the immediate scenario in flight: rate x round trip).
    double round_trip_ms = 0;
    out["unlimited_rps"] = unlimited_scenario(a, round_trip_ms);

    // -- Part 1: the limits under the rate limit. The figures are
    // those of the immediate simulator (creates answered at once); the
    // second simulator answers each create after ~10 ms.
    long long duplicates = 0;
    json::object immediate, latency;
    if (!a.url.empty()) {
        immediate = rate_limited_scenario(a, a.url, a.ca, "immediate creates", round_trip_ms, duplicates);
        for (auto& kv : immediate)
            out[kv.key()] = kv.value();
        ok = ok && !immediate["timed_out"].as_bool();
    }
    if (!a.latency_url.empty()) {
        latency =
            rate_limited_scenario(a, a.latency_url, a.latency_ca, "creates taking ~10 ms", 0, duplicates);
        out["with_latency"] = latency;
        ok = ok && !latency["timed_out"].as_bool();
    }
    out["duplicates"] = duplicates;

    // -- Part 2: ours against the TypeScript SDK, and its targets (the
    // rate-limit ones per scenario, above).
    json::object targets;
    if (!throughput_scenario(a, out, targets))
        ok = false;
    if (!immediate.empty())
        for (auto& kv : immediate["targets"].as_object())
            targets[kv.key()] = kv.value();
    if (!latency.empty())
        for (auto& kv : latency["targets"].as_object())
            targets[std::string(kv.key()) + "_with_latency"] = kv.value();
    out["targets"] = targets;
    out["n"] = a.n;
    out["rate_limit_rps"] = a.rate_limit;
    out["retry_after_form"] = a.retry_after_form;
    out["max_retries"] = a.max_retries;
    out["repeats"] = a.repeats;
    out["concurrency"] = a.concurrency;
    std::cout << json::serialize(out) << std::endl;
    return ok ? 0 : 1;
}
