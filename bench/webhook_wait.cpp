// bench/webhook_wait: tasks awaited with async_wait, woken by their webhook
// deliveries (watch_options::webhook_assisted, client::notify_finished),
// against the same wait on the adaptive poll schedule without a webhook.
// scripts/bench.sh webhook_wait starts the simulator (default timings: a
// task runs 1.5 s; each delivery POSTed --webhook-delay-ms after its task
// ends) and passes its URL. Both runs happen in this one process, one after
// the other, each on one thread with its own client; tasks are created at
// --rate a second (default 500; 0: as fast as 64 creates in flight go).
//
// For each task: its end is the final snapshot's completedAt (the
// simulator's clock, the same system clock); the wait's completion latency
// is when async_wait completed minus that end; the delivery's time is when
// the receiver here read it minus that end. GETs per task are the watchers'
// GETs (client_stats::watch_gets) over the tasks. Last line: one JSON
// object with the figures.
#include "bench_util.hpp"

#include <handinger/client.hpp>
#include <handinger/webhook_delivery.hpp>
#include <handinger/webhooks.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <unordered_map>
#include <vector>

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace hd = handinger;
using asio::ip::tcp;

namespace {

struct args {
    std::string url, ca, key = "sk-bench";
    int tasks = 2000;
    int in_flight = 64; // creates at once
    // Creates a second at most (0: as fast as in_flight allows). Tasks end
    // at the rate they start: 500 a second is what one client thread and
    // one simulator thread sustain together here (deliveries, then GETs),
    // so that the figures are the wake-up's, not a queue's.
    int rate = 500;
    int delay_ms = -1; // the simulator's --webhook-delay-ms, for the report only
};

struct figures {
    std::uint64_t gets = 0;
    int failures = 0;
    std::size_t woken = 0;           // watchers the deliveries woke
    std::vector<double> latency_ms;  // wait completed - task ended
    std::vector<double> delivery_ms; // delivery read - task ended
    // From the executions the simulator lists (read back with the pager):
    std::vector<double> sim_late_ms; // the attempt's start - (task ended + delay)
    std::vector<double> exchange_ms; // the attempt's durationMs
    double wall_s = 0;
};

hd::client_options client_opts(const args& a)
{
    hd::client_options o;
    o.base_url = a.url;
    o.api_key = a.key;
    o.tls.ca_file = a.ca;
    o.pool_size = 64;
    o.watch_rate = 0; // the benchmark measures the waits, not the budget
    return o;
}

// The receiving end: reads each delivery, notes when it came, wakes the
// task's waiter.
struct receiver {
    tcp::acceptor acceptor;
    hd::client& c;
    std::string token;
    std::unordered_map<std::string, std::int64_t> arrived; // task id -> unix ms
    figures& fig;

    asio::awaitable<void> connection(tcp::socket sock)
    {
        boost::beast::tcp_stream stream(std::move(sock));
        boost::beast::flat_buffer buf;
        for (;;) {
            stream.expires_after(std::chrono::seconds(30));
            http::request<http::string_body> req;
            auto [ec, n] = co_await http::async_read(stream, buf, req, asio::as_tuple(asio::use_awaitable));
            if (ec)
                co_return;
            boost::system::error_code bad;
            auto d = hd::read_webhook_delivery(token, req[hd::webhook_token_header], req.body(), bad);
            if (!bad) {
                arrived.emplace(d.task_id, bench::now_ms());
                fig.woken += c.notify_finished(d.task_id);
            }
            http::response<http::empty_body> res{bad ? http::status::unauthorized : http::status::no_content,
                                                 11};
            res.prepare_payload();
            auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
            if (wec)
                co_return;
        }
    }
    asio::awaitable<void> accept()
    {
        for (;;) {
            auto [ec, sock] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec)
                co_return;
            asio::co_spawn(acceptor.get_executor(), connection(std::move(sock)), asio::detached);
        }
    }
};

// Creates a.tasks tasks on a new worker (its webhook pointed at a receiver
// here when `webhook`) and awaits each with `wo` as soon as it is created.
figures run(const args& a, bool webhook)
{
    asio::io_context ioc(1);
    hd::client c(ioc, client_opts(a));
    figures fig;
    receiver rec{tcp::acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0}), c, {}, {}, fig};
    hd::watch_options wo;
    wo.webhook_assisted = webhook;
    std::vector<std::pair<std::string, std::int64_t>> done; // task id, completed (unix ms)
    std::unordered_map<std::string, std::int64_t> ended;    // task id -> completedAt
    int next = 0, creates_left = a.tasks, waiting = 0;
    // Every task created and awaited: the receiver stops (and the
    // connections the simulator keeps alive to it are not waited for).
    bool all_done = false;
    auto maybe_done = [&] {
        if (creates_left == 0 && waiting == 0) {
            all_done = true;
            rec.acceptor.close();
            ioc.stop();
        }
    };
    auto wait_one = [&](std::string id) -> asio::awaitable<void> {
        hd::diagnostics d;
        auto [ec, t] = co_await c.async_wait(id, wo, d, asio::as_tuple(asio::use_awaitable));
        const auto at = bench::now_ms();
        if (ec || !t.task.completed_at) {
            ++fig.failures;
            std::cerr << "wait failed: " << d.to_string(ec) << "\n";
        } else {
            done.emplace_back(id, at);
            ended[id] = bench::iso_ms(*t.task.completed_at);
        }
        --waiting;
        maybe_done();
    };
    std::string worker_id;
    std::chrono::steady_clock::time_point creates_from;
    // (The coroutine lambdas live in this frame, as long as their coroutines.)
    auto lane = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "webhook_wait: summarise the filings";
        p.worker_id = worker_id;
        hd::diagnostics d;
        asio::steady_timer pace(ioc);
        while (next < a.tasks) {
            const int i = next++;
            if (a.rate > 0) { // the i-th create not before i / rate seconds
                pace.expires_at(creates_from + std::chrono::microseconds(1'000'000LL * i / a.rate));
                co_await pace.async_wait(asio::as_tuple(asio::use_awaitable));
            }
            auto [ec, r] = co_await c.async_create(p, d, asio::as_tuple(asio::use_awaitable));
            --creates_left;
            if (ec) {
                ++fig.failures;
                std::cerr << "create failed: " << d.to_string(ec) << "\n";
                maybe_done();
                continue;
            }
            ++waiting;
            asio::co_spawn(ioc, wait_one(r.task_id), asio::detached);
        }
    };
    auto body = [&]() -> asio::awaitable<void> {
        auto w = co_await c.workers().async_create(hd::create_worker_params{});
        worker_id = w.id;
        if (webhook) {
            auto port = rec.acceptor.local_endpoint().port();
            auto hook =
                co_await c.webhooks().async_update(w.id, "http://127.0.0.1:" + std::to_string(port) + "/");
            rec.token = hook.token.value_or("");
            asio::co_spawn(ioc, rec.accept(), asio::detached);
        }
        creates_from = std::chrono::steady_clock::now();
        for (int i = 0; i < a.in_flight; ++i)
            asio::co_spawn(ioc, lane(), asio::detached);
    };
    const auto t0 = std::chrono::steady_clock::now();
    asio::co_spawn(ioc, body(), asio::detached);
    ioc.run();
    fig.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fig.gets = c.stats().watch_gets;
    if (webhook && all_done) {
        // What the simulator recorded of each delivery: when it started, how
        // long the exchange took (every page, with the pager).
        ioc.restart();
        auto pages = c.webhooks().executions(worker_id);
        auto walk = [&]() -> asio::awaitable<void> {
            while (auto page = co_await pages.async_next_page())
                for (const auto& e : *page) {
                    auto end = ended.find(e.task_id.value_or(""));
                    if (end == ended.end())
                        continue;
                    const auto start = bench::iso_ms(e.created_at) - e.duration_ms;
                    fig.sim_late_ms.push_back(static_cast<double>(start - end->second - a.delay_ms));
                    fig.exchange_ms.push_back(static_cast<double>(e.duration_ms));
                }
        };
        asio::co_spawn(ioc, walk(),
                       [&](std::exception_ptr) { ioc.stop(); }); // (kept connections: not waited for)
        ioc.run();
    }
    for (const auto& [id, at] : done) {
        const auto end = ended[id];
        fig.latency_ms.push_back(static_cast<double>(at - end));
        if (auto it = rec.arrived.find(id); it != rec.arrived.end())
            fig.delivery_ms.push_back(static_cast<double>(it->second - end));
    }
    return fig;
}

} // namespace

int main(int argc, char** argv)
{
    args a;
    bench::arg_reader r(argc, argv);
    for (auto name = r.next(); !name.empty(); name = r.next()) {
        if (r.server(name, a.url, a.ca, a.key))
            continue;
        if (name == "--tasks")
            a.tasks = std::stoi(r.value());
        else if (name == "--in-flight")
            a.in_flight = std::stoi(r.value());
        else if (name == "--rate")
            a.rate = std::stoi(r.value());
        else if (name == "--delay-ms")
            a.delay_ms = std::stoi(r.value());
        else
            r.unknown();
    }
    if (a.url.empty()) {
        std::cerr << "usage: bench_webhook_wait --url URL --ca FILE [--key K] [--tasks N] [--in-flight C] "
                     "[--rate R] [--delay-ms D]\n";
        return 2;
    }

    const figures with = run(a, true);
    const double n = a.tasks;
    const double p50 = bench::percentile(with.latency_ms, 0.5),
                 p99 = bench::percentile(with.latency_ms, 0.99);
    const double d50 = bench::percentile(with.delivery_ms, 0.5),
                 d99 = bench::percentile(with.delivery_ms, 0.99);
    std::printf("with the webhook: %d tasks in %.1f s, %llu GETs (%.2f a task), %zu waiters woken by a "
                "delivery, %zu deliveries read; wait done p50 %.0f ms p99 %.0f ms after the task's end, "
                "delivery p50 %.0f ms p99 %.0f ms; %d failures\n",
                a.tasks, with.wall_s, static_cast<unsigned long long>(with.gets),
                static_cast<double>(with.gets) / n, with.woken, with.delivery_ms.size(), p50, p99, d50, d99,
                with.failures);
    std::printf(
        "  as the simulator recorded them (%zu executions): started p50 %.0f ms p99 %.0f ms after due, "
        "exchange p50 %.0f ms p99 %.0f ms\n",
        with.exchange_ms.size(), bench::percentile(with.sim_late_ms, 0.5),
        bench::percentile(with.sim_late_ms, 0.99), bench::percentile(with.exchange_ms, 0.5),
        bench::percentile(with.exchange_ms, 0.99));
    const figures without = run(a, false);
    const double q50 = bench::percentile(without.latency_ms, 0.5),
                 q99 = bench::percentile(without.latency_ms, 0.99);
    std::printf(
        "without (adaptive schedule): %d tasks in %.1f s, %llu GETs (%.2f a task); wait done p50 %.0f "
        "ms p99 %.0f ms after the task's end; %d failures\n",
        a.tasks, without.wall_s, static_cast<unsigned long long>(without.gets),
        static_cast<double>(without.gets) / n, q50, q99, without.failures);

    boost::json::object out{
        {"tasks", a.tasks},
        {"gets_per_task", static_cast<double>(with.gets) / n},
        {"completion_latency_p50_ms", p50},
        {"p99_ms", p99},
        {"delivery_p50_ms", d50},
        {"delivery_p99_ms", d99},
        {"webhook_delay_ms", a.delay_ms},
        {"create_rate", a.rate},
        {"failures", with.failures + without.failures},
        {"without",
         {{"gets_per_task", static_cast<double>(without.gets) / n}, {"p50_ms", q50}, {"p99_ms", q99}}},
    };
    std::cout << boost::json::serialize(out) << std::endl;
    return with.failures + without.failures == 0 ? 0 : 1;
}
