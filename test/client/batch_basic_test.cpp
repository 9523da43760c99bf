// Batch submission against the simulator: a result for every input.
#include "client/support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <set>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;

namespace {

std::vector<hd::create_task_params> inputs(std::size_t n, std::size_t invalid_every = 0)
{
    std::vector<hd::create_task_params> v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i].input = (invalid_every && i % invalid_every == 0) ? "" : "batch item " + std::to_string(i);
    return v;
}

} // namespace

TEST_CASE("batch: every input gets one result by index, invalid ones fail alone before any I/O")
{
    sim_fixture f;
    asio::io_context ioc;
    hd::client c(ioc, f.copts);
    std::vector<hd::batch_progress> seen;
    auto body = [&]() -> asio::awaitable<void> {
        hd::batch_options o;
        o.initial_in_flight = 4;
        o.progress_interval = 0ms;
        o.on_progress = [&](const hd::batch_progress& p) { seen.push_back(p); };
        auto in = inputs(60, 10); // inputs 0, 10, 20... are invalid
        auto results = co_await c.async_submit_batch(in, o);
        REQUIRE(results.size() == 60);
        std::set<std::string> ids;
        for (std::size_t i = 0; i < results.size(); ++i) {
            CAPTURE(i);
            CHECK(results[i].index == i);
            if (i % 10 == 0) {
                CHECK(results[i].ec == hd::error::invalid_argument);
                CHECK(results[i].task_id.empty());
                CHECK(results[i].diag.client_message == "input: must be at least 1 character");
            } else {
                CHECK_FALSE(results[i].ec);
                CHECK(results[i].run);
                CHECK(ids.insert(results[i].task_id).second);
            }
        }
    };
    run(ioc, body(), 30s);
    CHECK(f.stat("tasks_created") == 54);
    CHECK(f.stat("duplicate_posts") == 0);
    REQUIRE_FALSE(seen.empty());
    CHECK(seen.back().done == 60);
    CHECK(seen.back().failed == 6);
    CHECK(seen.back().submitted == 54);
    CHECK(seen.back().in_flight == 0);
}

TEST_CASE("batch: wait returns the final snapshot of every task")
{
    sim_fixture f;
    asio::io_context ioc;
    auto o2 = f.copts;
    o2.watch_rate = 0;
    hd::client c(ioc, o2);
    auto body = [&]() -> asio::awaitable<void> {
        hd::batch_options o;
        o.wait = true;
        o.watch.first_interval = o.watch.min_interval = 20ms;
        auto results = co_await c.async_submit_batch(inputs(12), o);
        for (auto& r : results) {
            CHECK_FALSE(r.ec);
            REQUIRE(r.final_state);
            CHECK(r.final_state->task.status == hd::task_status::completed);
            CHECK(r.final_state->task.id == r.task_id);
        }
    };
    run(ioc, body(), 30s);
}

TEST_CASE("batch: a stream over an endless source keeps its unread results bounded and stops when cancelled")
{
    sim_fixture f;
    asio::io_context ioc;
    hd::client c(ioc, f.copts);
    std::size_t pulled = 0;
    auto body = [&]() -> asio::awaitable<void> {
        hd::batch_options o;
        o.initial_in_flight = 8;
        o.max_in_flight = 16;
        auto source = [&]() -> std::optional<hd::create_task_params> {
            if (pulled >= 1'000'000)
                return std::nullopt;
            hd::create_task_params p;
            p.input = "endless " + std::to_string(pulled++);
            return p;
        };
        auto s = c.stream_batch(source, o);
        std::set<std::size_t> indexes;
        for (int i = 0; i < 200; ++i) {
            auto r = co_await s.async_next();
            REQUIRE(r);
            CHECK_FALSE(r->ec);
            CHECK(indexes.insert(r->index).second);
        }
        // Reading stops: the stream may not pull more than its bound ahead.
        asio::steady_timer t(co_await asio::this_coro::executor, 300ms);
        co_await t.async_wait(asio::use_awaitable);
        CHECK(pulled <= 200 + 16);
        s.cancel();
        std::size_t after = 0;
        while (auto r = co_await s.async_next())
            ++after;
        CHECK(after <= 16);
    };
    run(ioc, body(), 30s);
    CHECK(f.stat("duplicate_posts") == 0);
}

TEST_CASE("batch: cancelling the whole batch still gives a result for every input")
{
    auto so = fast_sim();
    so.create = hd::sim::create_mode::wait; // each create takes the whole run
    sim_fixture f(so);
    asio::io_context ioc;
    hd::client c(ioc, f.copts);
    std::vector<hd::batch_item_result> results;
    bool done = false;
    asio::cancellation_signal sig;
    hd::batch_options o;
    o.initial_in_flight = 4;
    o.adaptive = false;
    c.async_submit_batch(inputs(40), o,
                         asio::bind_cancellation_slot(
                             sig.slot(), [&](std::exception_ptr e, std::vector<hd::batch_item_result> r) {
                                 CHECK_FALSE(e);
                                 results = std::move(r);
                                 done = true;
                             }));
    ioc.run_for(150ms);
    sig.emit(asio::cancellation_type::terminal);
    auto start = std::chrono::steady_clock::now();
    run_until(ioc, [&] { return done; });
    CHECK(std::chrono::steady_clock::now() - start < 1s);
    REQUIRE(results.size() == 40);
    std::size_t cancelled = 0, ok = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
        CHECK(results[i].index == i);
        cancelled += results[i].ec == hd::error::cancelled;
        ok += !results[i].ec;
    }
    CHECK(cancelled + ok == 40);
    CHECK(cancelled >= 30);
}
