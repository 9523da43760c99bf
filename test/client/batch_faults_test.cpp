// Batch submission under faults: 5xx, resets, lost responses and a 429
// window; stop on first error; the per-item deadline.
#include "client/support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <set>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;

namespace {

hd::create_task_params params(std::string input)
{
    hd::create_task_params p;
    p.input = std::move(input);
    return p;
}

// The three kinds of invalid input of the big batch, and the message each
// must carry.
enum class invalid_kind { none, empty_input, empty_worker, unknown_budget };

invalid_kind kind_of(std::size_t i)
{
    if (i % 10 != 7)
        return invalid_kind::none; // 10% invalid
    switch ((i / 10) % 3) {
    case 0: return invalid_kind::empty_input;
    case 1: return invalid_kind::empty_worker;
    default: return invalid_kind::unknown_budget;
    }
}

hd::create_task_params big_input(std::size_t i)
{
    auto p = params("big batch item " + std::to_string(i));
    switch (kind_of(i)) {
    case invalid_kind::none:
        if (i % 4 == 1)
            p.budget = hd::task_budget::low; // some valid optional fields too
        break;
    case invalid_kind::empty_input: p.input.clear(); break;
    case invalid_kind::empty_worker: p.worker_id = ""; break;
    case invalid_kind::unknown_budget: p.budget = hd::open_enum<hd::task_budget>::from_string("huge"); break;
    }
    return p;
}

std::string expected_message(invalid_kind k)
{
    switch (k) {
    case invalid_kind::empty_input: return "input: must be at least 1 character";
    case invalid_kind::empty_worker: return "workerId: must be at least 1 character";
    case invalid_kind::unknown_budget:
        return "budget: must be one of low, standard, high, unlimited (got \"huge\")";
    default: return {};
    }
}

} // namespace

TEST_CASE("batch faults: 2000 inputs with invalid ones, 5xx, resets, lost responses and a 429 window")
{
    constexpr std::size_t n = 2000;
    auto so = fast_sim();
    so.p5xx = 5;
    so.p_reset_before = 2.5; // reset before processing: safe to resend
    so.p_reset_after = 2.5;  // processed, then reset: must be recovered, not resent
    so.retry_after = hd::sim::retry_after_form::ms;
    so.retry_after_value = 150ms;
    hd::sim::fault_options base = so; // the knobs outside the 429 window
    sim_fixture f(so);

    test_io ioc;
    auto co = f.copts;
    co.pool_size = 8;
    co.max_retries = 10; // every valid input must get through the faults
    hd::client c(ioc, co);

    std::vector<hd::create_task_params> in;
    for (std::size_t i = 0; i < n; ++i)
        in.push_back(big_input(i));
    std::size_t valid = 0;
    for (std::size_t i = 0; i < n; ++i)
        valid += kind_of(i) == invalid_kind::none;
    REQUIRE(valid == 1800);

    std::atomic<std::size_t> done{0};
    std::vector<std::size_t> limits;
    bool window_opened = false;
    std::vector<hd::batch_item_result> results;
    stopwatch sw;
    // The 429 window: 30% of /api requests get a 429 (retry-after-ms 150),
    // opened once a quarter of the batch is done, for at least 100 ms and
    // until it produced a few 429s (the batch goes in bursts: when every slot
    // waits out a 5xx backoff, no request is sent for a while).
    auto window = [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 2000 && done.load() < n / 4; ++i)
            co_await sleep_for(2ms);
        auto w = base;
        w.p429 = 30;
        f.sim.set_faults(w);
        window_opened = true;
        stopwatch open;
        while (open.elapsed() < 100ms || (f.faults("429") < 3 && open.elapsed() < 3s))
            co_await sleep_for(5ms);
        f.sim.set_faults(base);
    };
    auto body = [&]() -> asio::awaitable<void> {
        auto window_coro = window();
        asio::co_spawn(co_await asio::this_coro::executor, std::move(window_coro), asio::detached);
        hd::batch_options o;
        // A fixed limit: with adaptation, the 2.5% of 503s keep halving it
        // and the backoffs of the items that met them hold most of the few
        // slots (the limit sits at 2-4 and the batch takes ~16 s). The
        // limit's behaviour is tested on its own (batch_aimd_test.cpp).
        o.adaptive = false;
        o.initial_in_flight = 32; // above the pool's 8 connections
        o.max_in_flight = 64;
        o.progress_interval = 0ms;
        o.on_progress = [&](const hd::batch_progress& p) {
            done = p.done;
            limits.push_back(p.limit);
        };
        results = co_await c.async_submit_batch(in, o);
    };
    // 60 s: a bound on a hang, not a timing claim (those are bench/'s). A
    // lost response is now checked after the backoff, and an ASan build on a
    // loaded machine took 12.4 s.
    run(ioc, body(), 60s);
    MESSAGE("2000-input faulty batch took "
            << sw.ms() << " ms; sim faults: " << boost::json::serialize(f.sim.stats().at("faults")));
    CHECK(window_opened);

    REQUIRE(results.size() == n);
    std::set<std::string> ids;
    std::size_t ok = 0, recovered = 0;
    for (std::size_t i = 0; i < n; ++i) {
        CAPTURE(i);
        const auto& r = results[i];
        REQUIRE(r.index == i);
        auto k = kind_of(i);
        if (k != invalid_kind::none) {
            CHECK(r.ec == hd::error::invalid_argument);
            CHECK(r.task_id.empty());
            REQUIRE(r.diag);
            CHECK(r.diag->client_message == expected_message(k));
            CHECK_FALSE(r.run);
            continue;
        }
        CAPTURE(r.diag ? r.diag->to_string(r.ec) : std::string("ok"));
        CHECK_FALSE(r.ec);
        CHECK_FALSE(r.diag); // diagnostics only with a failure
        CHECK(r.attempts >= 1);
        CHECK(r.task_id.rfind("tsk_", 0) == 0);
        CHECK(ids.insert(r.task_id).second);
        CHECK(r.run.has_value() != r.recovered); // a response, or a recovery: never both
        ok += !r.ec;
        recovered += r.recovered;
    }
    CHECK(ok == valid);
    CHECK(recovered > 0); // lost responses happened and were recovered, not resent
    CHECK(f.stat("tasks_created") == static_cast<long long>(valid));
    CHECK(f.stat("posts") == static_cast<long long>(valid));
    CHECK(f.stat("duplicate_posts") == 0);
    // The pool's own count is exact; the simulator's may run one over when it
    // accepts a new connection before it has read the FIN of one the client
    // already closed (seen once: a peak of 9, in a CI run of this test).
    CHECK(c.stats().peak_open_connections == 8);
    CHECK(f.stat("connections_peak") <= 8 + 1);
    CHECK(f.faults("429") > 0);
    CHECK(f.faults("reset") > 0);
    CHECK(f.faults("lost") > 0);
    CHECK(f.faults("500") + f.faults("503") > 0);
    // Not adaptive: the 429s and 503s left the limit alone.
    REQUIRE_FALSE(limits.empty());
    CHECK(*std::min_element(limits.begin(), limits.end()) == 32);
    CHECK(*std::max_element(limits.begin(), limits.end()) == 32);
}

TEST_CASE("batch faults: stop_on_first_error at a 503 that must not be retried")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    constexpr std::size_t n = 30, bad = 4;
    std::vector<hd::create_task_params> in;
    // The input after the bad one answers slowly (its body over about a
    // second): while the bad one is in flight, the other of the two slots
    // holds it, and no later input can start before the 503 is known (unless
    // the 503 takes longer than that second). With every create answered at
    // once, a loaded machine let the other slot run inputs 5 and 6 while the
    // 503 of input 4 was on its way (seen once in a canary run), which a bound
    // on how many follow the failure cannot tell from a batch that does not
    // stop.
    for (std::size_t i = 0; i < n; ++i)
        in.push_back(params("stop item " + std::to_string(i) +
                            (i == bad       ? " #fault:no-retry"
                             : i == bad + 1 ? " #fault:slow"
                                            : "")));
    std::vector<hd::batch_item_result> results;
    auto body = [&]() -> asio::awaitable<void> {
        hd::batch_options o;
        o.initial_in_flight = 2;
        o.adaptive = false;
        o.stop_on_first_error = true;
        results = co_await c.async_submit_batch(in, o);
    };
    run(ioc, body(), 10s);
    REQUIRE(results.size() == n);
    std::size_t first_cancelled = n, succeeded = 0;
    for (std::size_t i = 0; i < n; ++i) {
        CAPTURE(i);
        const auto& r = results[i];
        CHECK(r.index == i);
        if (i == bad) {
            CHECK(r.ec == hd::error::server_error);
            REQUIRE(r.diag);
            CHECK(r.diag->status == 503);
            CHECK(r.diag->attempts == 1); // x-should-retry: false
            CHECK(r.attempts == 1);
            CHECK_FALSE(r.task_id.empty());
        } else if (r.ec == hd::error::cancelled) {
            first_cancelled = std::min(first_cancelled, i);
            CHECK(r.task_id.empty()); // never submitted
            CHECK(r.diag->client_message == "not submitted: the batch stopped at the failure of input 4");
        } else {
            CHECK_FALSE(r.ec);
            CHECK(r.run);
            ++succeeded;
        }
    }
    // Those before the failure finished normally; after it, only what was
    // already in flight (at most limit - 1 = 1 input, the slow one) was
    // submitted.
    CHECK(first_cancelled > bad);
    CHECK(first_cancelled <= bad + 2);
    for (std::size_t i = 0; i < bad; ++i)
        CHECK_FALSE(results[i].ec);
    for (std::size_t i = first_cancelled; i < n; ++i)
        CHECK(results[i].ec == hd::error::cancelled);
    CHECK(f.stat("tasks_created") == static_cast<long long>(succeeded));
    CHECK(f.requests("POST /api/tasks") == static_cast<long long>(succeeded + 1));
}

TEST_CASE("batch faults: stop_on_first_error at an invalid input cancels exactly the inputs after it")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    constexpr std::size_t n = 20, bad = 4;
    std::vector<hd::create_task_params> in;
    for (std::size_t i = 0; i < n; ++i)
        in.push_back(params(i == bad ? "" : "stop item " + std::to_string(i)));
    std::vector<hd::batch_item_result> results;
    auto body = [&]() -> asio::awaitable<void> {
        hd::batch_options o;
        o.initial_in_flight = 8;
        o.stop_on_first_error = true;
        results = co_await c.async_submit_batch(in, o);
    };
    run(ioc, body(), 10s);
    REQUIRE(results.size() == n);
    for (std::size_t i = 0; i < n; ++i) {
        CAPTURE(i);
        CHECK(results[i].index == i);
        if (i < bad)
            CHECK_FALSE(results[i].ec); // submitted before the failure: finished normally
        else if (i == bad)
            CHECK(results[i].ec == hd::error::invalid_argument);
        else {
            CHECK(results[i].ec == hd::error::cancelled);
            CHECK(results[i].diag->client_message.find("stopped at the failure of input 4") !=
                  std::string::npos);
        }
    }
    CHECK(f.stat("tasks_created") == static_cast<long long>(bad));
}

TEST_CASE("batch faults: a stalled create fails alone with timeout at the item deadline")
{
    auto so = fast_sim();
    so.stall = 3s; // the stalled response hangs well past the item deadline
    sim_fixture f(so);
    test_io ioc;
    hd::client c(ioc, f.copts);
    constexpr std::size_t n = 12, stalled = 3;
    std::vector<hd::create_task_params> in;
    for (std::size_t i = 0; i < n; ++i)
        in.push_back(params("deadline item " + std::to_string(i) + (i == stalled ? " #fault:stall" : "")));
    std::vector<hd::batch_item_result> results;
    stopwatch sw;
    auto body = [&]() -> asio::awaitable<void> {
        hd::batch_options o;
        o.initial_in_flight = 4;
        o.item_deadline = 400ms;
        results = co_await c.async_submit_batch(in, o);
    };
    run(ioc, body(), 10s);
    auto took = sw.elapsed();
    CHECK(took >= 350ms);
    CHECK(took < 2s); // the deadline, not the 3 s stall nor the 10 s attempt timeout
    REQUIRE(results.size() == n);
    for (std::size_t i = 0; i < n; ++i) {
        CAPTURE(i);
        CHECK(results[i].index == i);
        if (i == stalled) {
            // The engine's behaviour: the POST was processed, but the item
            // deadline leaves no time to check for it, so the item fails with
            // timeout (not recovered), its task id set so the caller can look.
            CHECK(results[i].ec == hd::error::timeout);
            CHECK_FALSE(results[i].recovered);
            CHECK_FALSE(results[i].run);
            CHECK(results[i].task_id.rfind("tsk_", 0) == 0);
        } else {
            CHECK_FALSE(results[i].ec);
        }
    }
    // The stalled POST was processed once and not resent.
    CHECK(f.stat("tasks_created") == static_cast<long long>(n));
    CHECK(f.stat("duplicate_posts") == 0);
    CHECK(f.requests("POST /api/tasks") == static_cast<long long>(n));
}
