// Shared by the client tests: a simulator in-process over real TLS on
// loopback, a client configured for it, and a way to run a coroutine to its
// end with a bound on time.
#pragma once

#include <handinger/client.hpp>
#include <handinger/sim/simulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/object.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <string>
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
    explicit sim_fixture(handinger::sim::options o = fast_sim()) : sim(std::move(o))
    {
        sim.start();
        copts.base_url = sim.url();
        copts.api_key = "sk-sim-test";
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
