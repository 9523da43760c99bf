// bench/watch_scale: many tasks watched at once on one thread, and the
// adaptive poll schedule against fixed intervals on the same workload.
// scripts/bench.sh watch_scale starts the simulator (default timings) and
// passes its URL. Last line: one JSON object with the figures.
//
// Latency of a turn = when its event reached the caller minus when the
// simulator made that state visible: a turn_added against the turn's
// startedAt, its completion (turn_updated to completed) against completedAt.
#include "bench_util.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace hd = handinger;
using namespace std::chrono_literals;

namespace {

struct args {
    std::string url, ca, key = "sk-bench";
    int watchers = 10000;      // the scale run
    int curve_watchers = 1000; // each run of the schedule comparison
    std::vector<int> fixed = {250, 500, 1000, 2000};
    std::string long_url, long_ca; // a second simulator with longer timings (optional)
    int long_watchers = 300;
};

long rss_bytes()
{
    std::ifstream f("/proc/self/statm");
    long pages = 0, resident = 0;
    f >> pages >> resident;
    return resident * sysconf(_SC_PAGESIZE);
}

using bench::iso_ms;
using bench::now_ms;
using bench::percentile;

struct run_result {
    std::uint64_t gets = 0, shared = 0, events = 0, failures = 0;
    std::vector<double> latency_ms;
    double cpu_s = 0, wall_s = 0;
    double bytes_per_watcher = 0, estimate_per_watcher = 0;
};

hd::client_options client_opts(const args& a)
{
    hd::client_options o;
    o.base_url = a.url;
    o.api_key = a.key;
    o.tls.ca_file = a.ca;
    o.pool_size = 64;
    o.watch_rate = 0; // the benchmark measures the schedule, not the budget
    return o;
}

// Creates n tasks (64 at a time) and returns their ids.
std::vector<std::string> create_tasks(const args& a, int n)
{
    asio::io_context ioc(1);
    hd::client c(ioc, client_opts(a));
    std::vector<std::string> ids(static_cast<std::size_t>(n));
    int next = 0;
    auto worker = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "watch_scale: summarise the filings";
        hd::diagnostics d;
        while (next < n) {
            int i = next++;
            auto [ec, r] = co_await c.async_create(p, d, asio::as_tuple(asio::use_awaitable));
            if (ec)
                std::cerr << "create failed: " << d.to_string(ec) << "\n";
            ids[static_cast<std::size_t>(i)] = r.task_id;
        }
    };
    for (int i = 0; i < 64; ++i)
        asio::co_spawn(ioc, worker(), asio::detached);
    ioc.run();
    return ids;
}

// Watches every task to its end on one thread. With measure_memory, the RSS
// growth is read once every watcher has had its first event (all idle).
run_result watch_all(const args& a, const std::vector<std::string>& ids, const hd::watch_options& wo,
                     bool measure_memory)
{
    asio::io_context ioc(1);
    hd::client c(ioc, client_opts(a));
    run_result rr;
    long baseline = rss_bytes();
    std::vector<hd::task_watcher> watchers;
    watchers.reserve(ids.size());
    for (const auto& id : ids)
        watchers.push_back(c.watch(id, wo));
    std::size_t started = 0;
    bool measured = !measure_memory;
    auto measure = [&] {
        measured = true;
        rr.bytes_per_watcher =
            static_cast<double>(rss_bytes() - baseline) / static_cast<double>(watchers.size());
        std::size_t est = 0;
        for (auto& w : watchers)
            est += w.memory_estimate();
        rr.estimate_per_watcher = static_cast<double>(est) / static_cast<double>(watchers.size());
    };
    // Each watcher starts at a random moment within a second, so that no
    // schedule polls in step with the tasks' lifecycles (all created at once).
    std::minstd_rand rng(42);
    auto follow = [&](hd::task_watcher& w, std::chrono::milliseconds offset) -> asio::awaitable<void> {
        asio::steady_timer start(co_await asio::this_coro::executor, offset);
        co_await start.async_wait(asio::use_awaitable);
        bool first = true;
        std::string completed_seen;
        hd::diagnostics d;
        for (;;) {
            auto [ec, ev] = co_await w.async_next(d, asio::as_tuple(asio::use_awaitable));
            if (ec) {
                ++rr.failures;
                break;
            }
            if (!ev)
                break;
            ++rr.events;
            auto t = now_ms();
            if (auto* add = std::get_if<hd::events::turn_added>(&*ev)) {
                if (auto v = iso_ms(add->turn.started_at); v > 0)
                    rr.latency_ms.push_back(static_cast<double>(t - v));
            } else if (auto* up = std::get_if<hd::events::turn_updated>(&*ev)) {
                if (up->turn.status == hd::turn_status::completed && up->turn.completed_at)
                    if (auto v = iso_ms(*up->turn.completed_at); v > 0)
                        rr.latency_ms.push_back(static_cast<double>(t - v));
            }
            if (first) {
                first = false;
                if (++started == watchers.size() && !measured)
                    measure();
            }
        }
    };
    double cpu0 = bench::self_cpu();
    auto t0 = std::chrono::steady_clock::now();
    for (auto& w : watchers)
        asio::co_spawn(ioc, follow(w, std::chrono::milliseconds(rng() % 1000)), asio::detached);
    ioc.run();
    rr.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rr.cpu_s = bench::self_cpu() - cpu0;
    auto st = c.stats();
    rr.gets = st.watch_gets;
    rr.shared = st.watch_gets_shared;
    return rr;
}

long heap_bytes()
{
    return static_cast<long>(mallinfo2().uordblks);
}

struct idle_figures {
    double rss_per_watcher = 0, heap_per_watcher = 0, heap_idle_per_watcher = 0, estimate_per_watcher = 0;
};

// Idle watchers: tasks that stay pending for a minute; each watcher has had
// its first events and waits in its next async_next (its next poll 30 s
// away; the caller waits through a plain callback). Measured once the GETs have settled; then the pending
// async_next are cancelled and the watchers' own state measured.
idle_figures measure_idle(const args& a, int n)
{
    args slow = a;
    auto ids = [&] {
        asio::io_context ioc(1);
        hd::client c(ioc, client_opts(a));
        std::vector<std::string> out;
        auto mk = [&]() -> asio::awaitable<void> {
            hd::create_task_params p;
            p.input = "idle watcher #pending-ms:60000";
            hd::diagnostics d;
            while (static_cast<int>(out.size()) < n) {
                auto [ec, r] = co_await c.async_create(p, d, asio::as_tuple(asio::use_awaitable));
                out.push_back(r.task_id);
            }
        };
        asio::co_spawn(ioc, mk(), asio::detached);
        ioc.run();
        return out;
    }();
    asio::io_context ioc(1);
    hd::client c(ioc, client_opts(slow));
    // Warm-up GETs, as many at once as the pool has connections, so that the
    // pool is open (TLS and all) before the baseline: the connections are the
    // client's, not the watchers'.
    auto warm = [&]() -> asio::awaitable<void> { co_await c.async_retrieve(ids.front()); };
    for (std::size_t i = 0; i < c.options().pool_size; ++i)
        asio::co_spawn(ioc, warm(), asio::detached);
    ioc.run();
    ioc.restart();
    malloc_trim(0);
    long rss0 = rss_bytes(), heap0 = heap_bytes();
    // After its first poll a watcher sleeps 30 s: nothing is in flight
    // while the memory is read, only what a waiting watcher holds.
    hd::watch_options idle_opts;
    idle_opts.first_interval = idle_opts.min_interval = std::chrono::seconds(30);
    std::vector<hd::task_watcher> ws;
    ws.reserve(ids.size());
    for (auto& id : ids)
        ws.push_back(c.watch(id, idle_opts));
    std::size_t ready = 0;
    auto follow = [&](hd::task_watcher& w) -> asio::awaitable<void> {
        hd::diagnostics d;
        for (int k = 0; k < 2; ++k) // the status, then the first turn (pending)
            co_await w.async_next(d, asio::as_tuple(asio::use_awaitable));
        ++ready;
        // Waits: nothing changes for a minute. A callback, so that what is
        // measured is what the library holds for a waiting watcher, not
        // this benchmark's coroutine frame as well.
        w.async_next([](std::exception_ptr, std::optional<hd::watch_event>) {});
    };
    for (auto& w : ws)
        asio::co_spawn(ioc, follow(w), asio::detached);
    while (ready < ws.size())
        ioc.run_one();
    ioc.run_for(std::chrono::milliseconds(300)); // the GETs in flight settle
    malloc_trim(0);
    idle_figures f;
    f.rss_per_watcher = static_cast<double>(rss_bytes() - rss0) / n;
    f.heap_per_watcher = static_cast<double>(heap_bytes() - heap0) / n;
    std::size_t est = 0;
    for (auto& w : ws)
        est += w.memory_estimate();
    f.estimate_per_watcher = static_cast<double>(est) / n;
    for (auto& w : ws)
        w.cancel();
    ioc.run_for(std::chrono::milliseconds(300));
    f.heap_idle_per_watcher = static_cast<double>(heap_bytes() - heap0) / n;
    return f;
}

hd::watch_options fixed_schedule(int ms)
{
    hd::watch_options o;
    o.first_interval = o.min_interval = o.max_interval_running = o.max_interval_pending =
        std::chrono::milliseconds(ms);
    o.backoff = 1.0;
    o.jitter = 0.0;
    return o;
}

args parse(int argc, char** argv)
{
    args a;
    bench::arg_reader r(argc, argv);
    for (auto k = r.next(); !k.empty(); k = r.next()) {
        if (r.server(k, a.url, a.ca, a.key))
            continue;
        if (k == "--watchers")
            a.watchers = std::stoi(r.value());
        else if (k == "--curve-watchers")
            a.curve_watchers = std::stoi(r.value());
        else if (k == "--long-url")
            a.long_url = r.value();
        else if (k == "--long-ca")
            a.long_ca = r.value();
        else if (k == "--long-watchers")
            a.long_watchers = std::stoi(r.value());
        else if (k == "--fixed") {
            a.fixed.clear();
            std::string s = r.value();
            for (std::size_t p = 0; p < s.size();) {
                auto q = s.find(',', p);
                a.fixed.push_back(std::stoi(s.substr(p, q - p)));
                p = q == std::string::npos ? s.size() : q + 1;
            }
        } else {
            r.unknown();
        }
    }
    if (a.url.empty()) {
        std::cerr << "usage: bench_watch_scale --url URL --ca FILE [--watchers N] [--curve-watchers M]\n";
        std::exit(2);
    }
    return a;
}

} // namespace

int main(int argc, char** argv)
{
    auto a = parse(argc, argv);
    boost::json::object out;

    // 1. Scale: N watchers on one thread, to completion.
    auto ids = create_tasks(a, a.watchers);
    auto scale = watch_all(a, ids, hd::watch_options{}, true);
    double cpu_us_per_poll = scale.gets ? scale.cpu_s / static_cast<double>(scale.gets) * 1e6 : 0;
    std::printf(
        "scale: %d watchers on one thread, %.1f s, %llu GETs (%llu shared), %llu events, %llu failed\n",
        a.watchers, scale.wall_s, static_cast<unsigned long long>(scale.gets),
        static_cast<unsigned long long>(scale.shared), static_cast<unsigned long long>(scale.events),
        static_cast<unsigned long long>(scale.failures));
    std::printf("       %.0f bytes RSS per watcher mid-run (state estimate %.0f), %.1f us CPU per poll, p50 "
                "%.0f ms, p99 %.0f "
                "ms\n",
                scale.bytes_per_watcher, scale.estimate_per_watcher, cpu_us_per_poll,
                percentile(scale.latency_ms, 0.5), percentile(scale.latency_ms, 0.99));

    // 2. Idle watchers: memory per watcher.
    auto idle = measure_idle(a, a.watchers);
    std::printf(
        "idle:  %d watchers, each waiting in async_next: %.0f bytes RSS, %.0f bytes heap per watcher; "
        "without a pending async_next: %.0f bytes heap (estimate %.0f)\n",
        a.watchers, idle.rss_per_watcher, idle.heap_per_watcher, idle.heap_idle_per_watcher,
        idle.estimate_per_watcher);

    // 3. The schedule: adaptive against fixed intervals, same workload each.
    auto curve_run = [&](const hd::watch_options& wo) {
        auto cids = create_tasks(a, a.curve_watchers);
        return watch_all(a, cids, wo, false);
    };
    auto adaptive = curve_run(hd::watch_options{});
    std::printf("adaptive:      %6llu GETs, p50 %4.0f ms, p99 %4.0f ms\n",
                static_cast<unsigned long long>(adaptive.gets), percentile(adaptive.latency_ms, 0.5),
                percentile(adaptive.latency_ms, 0.99));
    boost::json::array fixed;
    for (int ms : a.fixed) {
        auto f = curve_run(fixed_schedule(ms));
        std::printf("fixed %4d ms: %6llu GETs, p50 %4.0f ms, p99 %4.0f ms\n", ms,
                    static_cast<unsigned long long>(f.gets), percentile(f.latency_ms, 0.5),
                    percentile(f.latency_ms, 0.99));
        fixed.push_back(boost::json::object{{"interval_ms", ms},
                                            {"gets", f.gets},
                                            {"p50_ms", percentile(f.latency_ms, 0.5)},
                                            {"p99_ms", percentile(f.latency_ms, 0.99)}});
    }

    // 4. The same comparison on longer timings (pending 3 s, turns of 4 s, text
    //    in 2 steps), where polls that see nothing new are common.
    boost::json::object long_curve;
    if (!a.long_url.empty()) {
        args la = a;
        la.url = a.long_url;
        la.ca = a.long_ca;
        auto long_run = [&](const hd::watch_options& wo) {
            auto cids = create_tasks(la, la.long_watchers);
            return watch_all(la, cids, wo, false);
        };
        auto ad = long_run(hd::watch_options{});
        std::printf("long timings, adaptive:      %6llu GETs, p50 %4.0f ms, p99 %4.0f ms\n",
                    static_cast<unsigned long long>(ad.gets), percentile(ad.latency_ms, 0.5),
                    percentile(ad.latency_ms, 0.99));
        boost::json::array lf;
        for (int ms : a.fixed) {
            auto f = long_run(fixed_schedule(ms));
            std::printf("long timings, fixed %4d ms: %6llu GETs, p50 %4.0f ms, p99 %4.0f ms\n", ms,
                        static_cast<unsigned long long>(f.gets), percentile(f.latency_ms, 0.5),
                        percentile(f.latency_ms, 0.99));
            lf.push_back(boost::json::object{{"interval_ms", ms},
                                             {"gets", f.gets},
                                             {"p50_ms", percentile(f.latency_ms, 0.5)},
                                             {"p99_ms", percentile(f.latency_ms, 0.99)}});
        }
        long_curve["watchers"] = la.long_watchers;
        long_curve["adaptive"] = boost::json::object{{"gets", ad.gets},
                                                     {"p50_ms", percentile(ad.latency_ms, 0.5)},
                                                     {"p99_ms", percentile(ad.latency_ms, 0.99)}};
        long_curve["fixed"] = std::move(lf);
    }

    out["watchers"] = a.watchers;
    out["bytes_per_watcher"] = idle.rss_per_watcher;
    out["heap_bytes_per_watcher"] = idle.heap_per_watcher;
    out["heap_bytes_per_watcher_not_waiting"] = idle.heap_idle_per_watcher;
    out["estimate_bytes_per_watcher"] = idle.estimate_per_watcher;
    out["busy_rss_bytes_per_watcher"] = scale.bytes_per_watcher;
    out["cpu_us_per_poll"] = cpu_us_per_poll;
    out["scale_gets"] = scale.gets;
    out["scale_events"] = scale.events;
    out["scale_failures"] = scale.failures;
    out["scale_wall_s"] = scale.wall_s;
    out["curve_watchers"] = a.curve_watchers;
    out["adaptive"] = boost::json::object{{"gets", adaptive.gets},
                                          {"p50_ms", percentile(adaptive.latency_ms, 0.5)},
                                          {"p99_ms", percentile(adaptive.latency_ms, 0.99)}};
    out["fixed"] = std::move(fixed);
    if (!long_curve.empty())
        out["long_timings"] = std::move(long_curve);
    std::cout << boost::json::serialize(out) << std::endl;
    return scale.failures == 0 ? 0 : 1;
}
