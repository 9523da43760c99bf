// Shared by the client tests: a simulator in-process over real TLS on
// loopback, a client configured for it, and a way to run a coroutine to its
// end with a bound on time.
#pragma once

#include <handinger/client.hpp>
#include <handinger/sim/simulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/object.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace test_support {

namespace asio = boost::asio;

inline handinger::sim::options fast_sim()
{
    handinger::sim::options o;
    o.pending = std::chrono::milliseconds(40);
    o.turn = std::chrono::milliseconds(50);
    o.turns_per_task = 2;
    o.text_steps = 2;
    return o;
}

/// A started simulator and client options pointing at it (CA trusted, key set).
struct sim_fixture {
    explicit sim_fixture(handinger::sim::options o = fast_sim()) : key(o.api_key), sim(std::move(o))
    {
        sim.start();
        copts.base_url = sim.url();
        copts.api_key = key;
        copts.tls.ca_pem = sim.ca_pem();
        copts.timeout = std::chrono::seconds(10);
    }

    /// A counter of the simulator's stats by dotted path ("requests.POST /api/tasks.200").
    long long stat(const std::string& key) const
    {
        auto s = sim.stats();
        if (auto* v = s.if_contains(key); v && v->is_int64())
            return v->as_int64();
        return 0;
    }
    long long requests(const std::string& route, const std::string& status) const
    {
        auto s = sim.stats();
        auto* r = s.if_contains("requests");
        if (!r || !r->is_object())
            return 0;
        auto* rt = r->as_object().if_contains(route);
        if (!rt || !rt->is_object())
            return 0;
        auto* n = rt->as_object().if_contains(status);
        return n && n->is_int64() ? n->as_int64() : 0;
    }
    /// Every response of a route, whatever its status ("none" included).
    long long requests(const std::string& route) const
    {
        auto s = sim.stats();
        auto* r = s.if_contains("requests");
        if (!r || !r->is_object())
            return 0;
        auto* rt = r->as_object().if_contains(route);
        if (!rt || !rt->is_object())
            return 0;
        long long n = 0;
        for (auto& [k, v] : rt->as_object())
            if (v.is_int64())
                n += v.as_int64();
        return n;
    }
    /// Every /api request the simulator saw (any route, any status).
    long long api_requests() const
    {
        return requests("POST /api/tasks") + requests("GET /api/tasks/{id}") +
               requests("GET /api/tasks/{id}/turns") + requests("DELETE /api/tasks/{id}") + requests("other");
    }
    /// How many times the simulator injected fault `kind` ("429", "reset", ...).
    long long faults(const std::string& kind) const
    {
        auto s = sim.stats();
        auto* f = s.if_contains("faults");
        if (!f || !f->is_object())
            return 0;
        auto* n = f->as_object().if_contains(kind);
        return n && n->is_int64() ? n->as_int64() : 0;
    }

    std::string key; ///< the simulator's accepted API key (copts.api_key)
    handinger::sim::simulator sim;
    handinger::client_options copts;
};

/// Runs `f` (a coroutine) on `ioc` until it ends; fails the test if it takes
/// longer than `limit`. Rethrows what the coroutine throws.
template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> a, std::chrono::seconds limit = std::chrono::seconds(30))
{
    auto fut = asio::co_spawn(ioc, std::move(a), asio::use_future);
    ioc.restart();
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        if (std::chrono::steady_clock::now() > deadline) {
            FAIL("coroutine did not finish in time");
        }
        ioc.run_for(std::chrono::milliseconds(50));
    }
    return fut.get();
}

/// Runs `ioc` (on this thread) until `done()` is true; fails the test after `limit`.
template <class Pred>
void run_until(asio::io_context& ioc, Pred done, std::chrono::milliseconds limit = std::chrono::seconds(10))
{
    ioc.restart();
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            FAIL("operation did not complete in time");
        ioc.run_for(std::chrono::milliseconds(10));
        ioc.restart();
    }
}

/// Waits `d` on the current coroutine's executor.
inline asio::awaitable<void> sleep_for(std::chrono::milliseconds d)
{
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

/// Wall-clock time since construction.
struct stopwatch {
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    std::chrono::milliseconds elapsed() const
    {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                     start);
    }
    long long ms() const { return elapsed().count(); }
};

/// Creates a task with `input` and returns its id (throws on failure).
inline asio::awaitable<std::string> create_task(handinger::client& c, std::string input)
{
    handinger::create_task_params p;
    p.input = std::move(input);
    auto r = co_await c.async_create(std::move(p), asio::use_awaitable);
    co_return r.task_id;
}

/// Polls the task until its status is terminal (bounded by `tries`).
inline asio::awaitable<handinger::task_with_turns> wait_terminal(handinger::client& c, std::string id,
                                                                 int tries = 200)
{
    handinger::task_with_turns t;
    for (int i = 0; i < tries; ++i) {
        t = co_await c.async_retrieve(id, asio::use_awaitable);
        if (handinger::is_terminal(t.task.status))
            break;
        co_await sleep_for(std::chrono::milliseconds(15));
    }
    co_return t;
}

/// Runs `ioc` on `n` threads until `done` is ready or `limit` passes; then
/// stops and joins. Returns whether `done` became ready.
template <class T>
bool run_threads(asio::io_context& ioc, int n, std::future<T>& done, std::chrono::seconds limit)
{
    auto guard = asio::make_work_guard(ioc);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
        threads.emplace_back([&] { ioc.run(); });
    bool ok = done.wait_for(limit) == std::future_status::ready;
    guard.reset();
    ioc.stop();
    for (auto& t : threads)
        t.join();
    return ok;
}

/// Sets (or unsets, with nullopt) an environment variable for a scope and
/// restores the previous value afterwards.
struct env_guard {
    std::string name;
    std::optional<std::string> old;
    env_guard(std::string n, std::optional<std::string> value) : name(std::move(n))
    {
        if (const char* v = std::getenv(name.c_str()))
            old = v;
        if (value)
            ::setenv(name.c_str(), value->c_str(), 1);
        else
            ::unsetenv(name.c_str());
    }
    ~env_guard()
    {
        if (old)
            ::setenv(name.c_str(), old->c_str(), 1);
        else
            ::unsetenv(name.c_str());
    }
    env_guard(const env_guard&) = delete;
    env_guard& operator=(const env_guard&) = delete;
};

/// A logger that keeps every line.
struct captured_log {
    std::mutex mu;
    std::vector<std::string> lines;
    handinger::logger_fn fn()
    {
        return [this](handinger::log_level, std::string_view l) {
            std::lock_guard lk(mu);
            lines.emplace_back(l);
        };
    }
    std::string all()
    {
        std::lock_guard lk(mu);
        std::string s;
        for (auto& l : lines)
            s += l + "\n";
        return s;
    }
};

} // namespace test_support
