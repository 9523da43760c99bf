// bench/faults: creates through a proxy that resets and stalls connections,
// against the simulator; counts what no client may ever do: lose an input
// (no task for it) or make a duplicate (a second run on a task).
//
// The simulator and the fault proxy (test/proxy) run in this process, each
// on a thread of its own; the client runs on the main thread. Every
// connection the proxy accepts draws a seeded random plan: refused at
// accept, or reset or stalled at a random byte offset of either direction
// (TLS handshake included), stalls for a time or until a side closes, their
// held bytes dropped or delivered after the sender closed ("late": a request
// the client gave up on that arrives after all). `--creates` creates with
// unique inputs run `--in-flight` at a time (each with its own connection:
// pool_size = in-flight), per-attempt timeout `--timeout-ms`, `--max-retries`
// retries. Once all are done the program waits for the longest stall to end
// (late bytes still held by the proxy land), then reads the simulator's
// counters and retrieves every task id directly (not through the proxy).
//
// Last line, one JSON object:
//   creates     inputs submitted
//   faults      faults the proxy injected (refused + resets + stalls)
//   ok          creates that completed without error
//   lost        inputs whose task id the simulator does not know
//   duplicates  the simulator's followup_turns + duplicate_posts (each task
//               here is new, so any follow-up turn is a second run of one input)
//   recovered   creates whose response was lost and that found their task
//   p99_ms      99th percentile of a create's time, retries and checks included
//   seconds     the creates' wall time
// The line before it has the details (fault kinds, attempts, share of
// attempts hit, the plans' parameters).
#include "bench_util.hpp"
#include "fault_proxy.hpp"

#include <handinger/client.hpp>
#include <handinger/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace hd = handinger;
namespace fp = handinger::fault_proxy;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

struct args {
    int creates = 20000;
    int in_flight = 64;
    std::uint64_t seed = 1;
    int timeout_ms = 1000;
    int max_retries = 8;
    int sim_threads = 1;
    int max_seconds = 1500; // the whole program ends itself after this
    fp::random_options r = [] {
        fp::random_options r;
        r.refuse = 0.03;
        r.fault = 1.0; // every other connection meets a fault, somewhere in its bytes
        r.reset = 0.5;
        r.to_client = 0.5;
        r.max_offset_to_server = 10000;
        r.max_offset_to_client = 20000;
        r.stall_until_closed = 0.3;
        r.min_stall = 100ms;
        r.max_stall = 1800ms;
        r.deliver_late = 0.5;
        return r;
    }();
};

args parse(int argc, char** argv)
{
    args a;
    bench::arg_reader in(argc, argv);
    for (auto name = in.next(); !name.empty(); name = in.next()) {
        if (name == "--creates")
            a.creates = std::stoi(in.value());
        else if (name == "--in-flight")
            a.in_flight = std::stoi(in.value());
        else if (name == "--seed")
            a.seed = std::stoull(in.value());
        else if (name == "--timeout-ms")
            a.timeout_ms = std::stoi(in.value());
        else if (name == "--max-retries")
            a.max_retries = std::stoi(in.value());
        else if (name == "--sim-threads")
            a.sim_threads = std::stoi(in.value());
        else if (name == "--max-seconds")
            a.max_seconds = std::stoi(in.value());
        else if (name == "--refuse")
            a.r.refuse = std::stod(in.value());
        else if (name == "--fault")
            a.r.fault = std::stod(in.value());
        else if (name == "--reset")
            a.r.reset = std::stod(in.value());
        else if (name == "--to-client")
            a.r.to_client = std::stod(in.value());
        else if (name == "--max-offset-to-server")
            a.r.max_offset_to_server = std::stoull(in.value());
        else if (name == "--max-offset-to-client")
            a.r.max_offset_to_client = std::stoull(in.value());
        else if (name == "--until-closed")
            a.r.stall_until_closed = std::stod(in.value());
        else if (name == "--min-stall-ms")
            a.r.min_stall = std::chrono::milliseconds(std::stoi(in.value()));
        else if (name == "--max-stall-ms")
            a.r.max_stall = std::chrono::milliseconds(std::stoi(in.value()));
        else if (name == "--deliver-late")
            a.r.deliver_late = std::stod(in.value());
        else
            in.unknown();
    }
    return a;
}

long long counter(const boost::json::object& o, const char* key)
{
    auto* v = o.if_contains(key);
    return v && v->is_int64() ? v->as_int64() : 0;
}

struct outcome {
    std::string task_id;
    bool ok = false;
    bool recovered = false;
    std::string error; // the diagnostics of a failure
    double ms = 0;
};

} // namespace

int main(int argc, char** argv)
{
    const auto a = parse(argc, argv);
    // Bounded whatever happens: a hang is reported, not waited out.
    std::thread([limit = a.max_seconds] {
        std::this_thread::sleep_for(std::chrono::seconds(limit));
        std::cerr << "bench_faults: still running after " << limit << " s; giving up\n";
        std::_Exit(3);
    }).detach();

    hd::sim::options so;
    so.api_key = "sk-bench";
    so.threads = a.sim_threads;
    so.seed = a.seed;
    hd::sim::simulator sim(so);
    sim.start();

    fp::options po;
    po.target_port = sim.port();
    po.seed = a.seed;
    po.random = a.r;
    po.history = 0;
    fp::proxy proxy(po);
    proxy.start();

    hd::client_options co;
    co.base_url = "https://" + proxy.address();
    co.api_key = "sk-bench";
    co.tls.ca_pem = sim.ca_pem();
    co.timeout = std::chrono::milliseconds(a.timeout_ms);
    co.max_retries = a.max_retries;
    co.pool_size = static_cast<std::size_t>(a.in_flight);

    asio::io_context ioc(1);
    hd::client cl(ioc, co);
    std::vector<outcome> results(static_cast<std::size_t>(a.creates));
    int next = 0;
    auto worker = [&]() -> asio::awaitable<void> {
        while (next < a.creates) {
            const int i = next++;
            auto& r = results[static_cast<std::size_t>(i)];
            hd::create_task_params p;
            p.input = "Fault benchmark input " + std::to_string(i) + ": summarise the quarterly filings";
            hd::diagnostics d;
            hd::request_options ro;
            auto t0 = clock_type::now();
            auto [ec, res] =
                co_await cl.async_create(std::move(p), ro, d, asio::as_tuple(asio::use_awaitable));
            r.ms = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
            r.task_id = res.task_id;
            r.ok = !ec;
            r.recovered = res.recovered;
            if (ec)
                r.error = d.to_string(ec);
        }
    };
    const auto t0 = clock_type::now();
    for (int w = 0; w < a.in_flight; ++w)
        asio::co_spawn(ioc, worker(), asio::detached);
    ioc.run();
    const double seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    const auto attempts = cl.stats().attempts;

    // Bytes the proxy still holds for a timed stall land when it ends.
    std::this_thread::sleep_for(a.r.max_stall + 1500ms);
    proxy.stop();
    const auto ps = proxy.stats();
    const auto ss = sim.stats();

    // Every input's task, asked of the simulator directly.
    hd::client_options direct = co;
    direct.base_url = sim.url();
    direct.timeout = 10s;
    direct.max_retries = 2;
    asio::io_context ioc2(1);
    hd::client checker(ioc2, direct);
    long long lost = 0, unverified = 0;
    std::size_t at = 0;
    auto verify = [&]() -> asio::awaitable<void> {
        while (at < results.size()) {
            auto& r = results[at++];
            if (r.task_id.empty()) {
                ++lost;
                continue;
            }
            hd::diagnostics d;
            hd::request_options ro;
            auto [ec, t] =
                co_await checker.async_retrieve(r.task_id, ro, d, asio::as_tuple(asio::use_awaitable));
            if (ec == hd::error::not_found)
                ++lost;
            else if (ec)
                ++unverified;
        }
    };
    for (int w = 0; w < 32; ++w)
        asio::co_spawn(ioc2, verify(), asio::detached);
    ioc2.run();

    long long ok = 0, recovered = 0;
    std::vector<double> ms;
    ms.reserve(results.size());
    int shown = 0;
    for (const auto& r : results) {
        ok += r.ok;
        recovered += r.recovered;
        ms.push_back(r.ms);
        if (!r.ok && shown++ < 10)
            std::cerr << "create " << r.task_id << " failed: " << r.error << "\n";
    }
    std::sort(ms.begin(), ms.end());
    const double p99 = ms.empty() ? 0 : ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
    const long long followups = counter(ss, "followup_turns");
    const long long dup_posts = counter(ss, "duplicate_posts");
    const long long duplicates = followups + dup_posts;

    std::printf(
        "details: {\"seed\":%llu,\"attempts\":%llu,\"hit_share\":%.4f,\"connections\":%llu,"
        "\"refused\":%llu,\"resets\":%llu,\"resets_to_server\":%llu,\"resets_to_client\":%llu,"
        "\"stalls\":%llu,\"stalls_to_server\":%llu,\"stalls_to_client\":%llu,\"late_deliveries\":%llu,"
        "\"dropped\":%llu,\"tasks_created\":%lld,\"posts\":%lld,\"followup_turns\":%lld,"
        "\"duplicate_posts\":%lld,\"unverified\":%lld,\"timeout_ms\":%d,\"max_retries\":%d,"
        "\"in_flight\":%d,\"stall_ms\":[%lld,%lld],\"until_closed\":%.2f,\"deliver_late\":%.2f,"
        "\"max_offsets\":[%llu,%llu]}\n",
        (unsigned long long)a.seed, (unsigned long long)attempts,
        attempts ? static_cast<double>(ps.faults()) / static_cast<double>(attempts) : 0.0,
        (unsigned long long)ps.connections, (unsigned long long)ps.refused, (unsigned long long)ps.resets,
        (unsigned long long)ps.resets_to_server, (unsigned long long)ps.resets_to_client,
        (unsigned long long)ps.stalls, (unsigned long long)ps.stalls_to_server,
        (unsigned long long)ps.stalls_to_client, (unsigned long long)ps.late_deliveries,
        (unsigned long long)ps.dropped, counter(ss, "tasks_created"), counter(ss, "posts"), followups,
        dup_posts, unverified, a.timeout_ms, a.max_retries, a.in_flight, (long long)a.r.min_stall.count(),
        (long long)a.r.max_stall.count(), a.r.stall_until_closed, a.r.deliver_late,
        (unsigned long long)a.r.max_offset_to_server, (unsigned long long)a.r.max_offset_to_client);
    std::printf(
        "{\"creates\":%d,\"faults\":%llu,\"ok\":%lld,\"lost\":%lld,\"duplicates\":%lld,\"recovered\":%lld,"
        "\"p99_ms\":%.0f,\"seconds\":%.1f}\n",
        a.creates, (unsigned long long)ps.faults(), ok, lost, duplicates, recovered, p99, seconds);
    std::fflush(stdout);
    sim.stop();
    return lost == 0 && duplicates == 0 && unverified == 0 ? 0 : 1;
}
