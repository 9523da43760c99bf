// When the watcher polls, counted in the simulator's GETs: the backoff of
// the poll schedule, polling only on demand, the server's retry-after, the
// request budget shared by all the watchers of a client, and the GETs
// shared by the watchers of one task.
#include "client/watch_support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>

using namespace test_support;
using namespace watch_support;
using namespace std::chrono_literals;

namespace {

// Runs a watch of a task pending far longer than `deadline` with options
// `o`, and returns how many GETs the simulator saw before the watch's
// deadline ended it.
asio::awaitable<long long> gets_until_deadline(hd::client& c, const sim_fixture& f, hd::watch_options o,
                                               milliseconds deadline)
{
    auto id = co_await create(c, "long pending #pending-ms:60000");
    o.deadline = deadline;
    auto w = c.watch(id, o);
    auto log = co_await collect(w);
    CHECK(log.ec == hd::error::timeout);
    CHECK(log.events.size() == 2); // pending status and pending turn, once
    co_return gets(f);
}

} // namespace

TEST_CASE("watch schedule: the default backoff on a pending task, counted in GETs")
{
    // The defaults: first 250 ms, x1.5 per unchanged poll, cap 15 s while
    // pending. The first poll (at once) changes something, so the waits are
    // 250 250 375 563 844 1266 ...: GETs at 0 250 500 875 1438 2282 3548 ms,
    // so 6 GETs within 3 s without jitter; with the default jitter (+-20% on
    // each wait) the 6th comes at 1825..2738 ms and the 7th at 2838 ms at the
    // earliest: 6 or 7. A constant 250 ms would give 12.
    sim_fixture f_exact;
    sim_fixture f_jitter;
    test_io ioc;
    hd::client c_exact(ioc, f_exact.copts);
    hd::client c_jitter(ioc, f_jitter.copts);
    long long exact = 0, jittered = 0;
    auto a = [&]() -> asio::awaitable<void> {
        hd::watch_options o;
        o.jitter = 0;
        exact = co_await gets_until_deadline(c_exact, f_exact, o, 3000ms);
    };
    auto b = [&]() -> asio::awaitable<void> {
        jittered = co_await gets_until_deadline(c_jitter, f_jitter, hd::watch_options{}, 3000ms);
    };
    auto both = [&]() -> asio::awaitable<void> {
        auto fa = asio::co_spawn(ioc, a(), asio::use_future);
        co_await b();
        while (fa.wait_for(0s) != std::future_status::ready)
            co_await sleep_for(10ms);
        fa.get();
    };
    run(ioc, both(), 15s);
    CHECK(exact == 6);
    CHECK(jittered >= 6);
    CHECK(jittered <= 7);
}

TEST_CASE("watch schedule: a fixed short interval polls that often")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    long long n = 0;
    auto body = [&]() -> asio::awaitable<void> {
        n = co_await gets_until_deadline(c, f, fixed_watch(50ms), 1000ms);
    };
    run(ioc, body(), 10s);
    // One GET at once, then one per 50 ms plus the GET's own time.
    CHECK(n >= 14);
    CHECK(n <= 21);
}

TEST_CASE("watch schedule: no GET unless an async_next waits, buffered events without a GET")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "pending #pending-ms:10000");
        auto w = c.watch(id, fixed_watch(20ms));
        // Created, never asked: nothing.
        co_await sleep_for(300ms);
        CHECK(gets(f) == 0);
        // The first async_next polls once: status pending, and the pending
        // turn stays buffered.
        auto first = co_await w.async_next();
        REQUIRE(first);
        CHECK(std::holds_alternative<hd::events::status_changed>(*first));
        CHECK(gets(f) == 1);
        // Nobody waits: no polling, however short the interval.
        co_await sleep_for(500ms);
        CHECK(gets(f) == 1);
        // The buffered event comes at once, without a GET.
        stopwatch sw;
        auto second = co_await w.async_next();
        CHECK(sw.ms() < 50);
        REQUIRE(second);
        CHECK(std::holds_alternative<hd::events::turn_added>(*second));
        CHECK(gets(f) == 1);
        co_await sleep_for(300ms);
        CHECK(gets(f) == 1);
        // A waiting async_next polls again (and keeps polling, as nothing changes).
        asio::cancellation_signal sig;
        hd::diagnostics d;
        bool done = false;
        boost::system::error_code got;
        w.async_next(d, asio::bind_cancellation_slot(sig.slot(), [&](boost::system::error_code ec, auto) {
                         got = ec;
                         done = true;
                     }));
        co_await sleep_for(300ms);
        CHECK(gets(f) >= 5);
        sig.emit(asio::cancellation_type::terminal);
        while (!done)
            co_await sleep_for(5ms);
        CHECK(got == hd::error::cancelled);
        auto after = gets(f);
        co_await sleep_for(300ms);
        CHECK(gets(f) == after);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch schedule: a 429's retry-after holds the next GET back")
{
    auto o = fast_sim();
    o.retry_after = hd::sim::retry_after_form::ms;
    o.retry_after_value = 600ms;
    sim_fixture f(o);
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "busy #pending-ms:10000 #get-fault:429:1");
        auto wo = fixed_watch(20ms);
        wo.report_retrying = true;
        auto w = c.watch(id, wo);
        auto first = co_await w.async_next();
        auto t0 = clock::now();
        REQUIRE(first);
        auto* r = std::get_if<hd::events::retrying>(&*first);
        REQUIRE(r);
        CHECK(r->ec == hd::error::rate_limited);
        CHECK(r->diag.status == 429);
        REQUIRE(r->diag.retry_after);
        CHECK(*r->diag.retry_after == 600ms);
        CHECK(r->delay >= 600ms);
        CHECK(gets(f) == 1);
        // The interval is 20 ms, but the server asked for 600.
        co_await sleep_for(400ms);
        CHECK(gets(f) == 1);
        auto second = co_await w.async_next();
        auto waited = ms_between(t0, clock::now());
        REQUIRE(second);
        CHECK(std::holds_alternative<hd::events::status_changed>(*second));
        CHECK(gets(f) == 2);
        CHECK(waited >= 590);
        CHECK(waited < 1500);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch schedule: a retry-after on a successful GET stretches the next wait")
{
    canned_server s;
    canned_server::response pending;
    pending.body = R"({"task":{"id":"tsk_1","status":"pending"},"turns":[]})";
    pending.headers = {"retry-after-ms: 700"};
    s.push(pending);
    s.fallback.body = R"({"task":{"id":"tsk_1","status":"completed"},"turns":[]})";
    hd::client_options co;
    co.base_url = s.url();
    co.api_key = "sk-watch";
    co.timeout = 5s;
    test_io ioc;
    hd::client c(ioc, co);
    auto body = [&]() -> asio::awaitable<void> {
        auto w = c.watch("tsk_1", fixed_watch(20ms));
        auto log = co_await collect(w);
        CHECK_FALSE(log.ec);
        REQUIRE(log.events.size() == 3); // pending, completed, terminal
        auto gap = ms_between(log.events[0].at, log.events[1].at);
        CHECK(gap >= 690);
        CHECK(gap < 1500);
        CHECK(s.requests().size() == 2);
    };
    run(ioc, body(), 10s);
}

TEST_CASE("watch schedule: 200 watchers on one client stay within the shared GET budget")
{
    auto o = fast_sim();
    o.threads = 2;
    sim_fixture f(o);
    auto copts = f.copts;
    copts.watch_rate = 50; // burst: one second's worth, 50
    test_io ioc;
    hd::client c(ioc, copts);
    constexpr int n = 200;
    std::vector<std::string> ids;
    long long at_2s = 0;
    auto body = [&]() -> asio::awaitable<void> {
        std::vector<std::future<std::string>> created;
        for (int i = 0; i < n; ++i)
            created.push_back(
                asio::co_spawn(ioc, create(c, "one of many #pending-ms:60000"), asio::use_future));
        for (auto& cr : created) {
            while (cr.wait_for(0s) != std::future_status::ready)
                co_await sleep_for(5ms);
            ids.push_back(cr.get());
        }
        f.sim.reset_stats();
        std::vector<std::unique_ptr<hd::task_watcher>> ws;
        std::vector<std::future<watch_log>> logs;
        auto wo = fixed_watch(20ms); // alone, each would poll 50 times a second
        for (auto& id : ids) {
            ws.push_back(std::make_unique<hd::task_watcher>(c.watch(id, wo)));
            logs.push_back(asio::co_spawn(ioc, collect(*ws.back()), asio::use_future));
        }
        co_await sleep_for(2000ms);
        at_2s = gets(f);
        ws.clear(); // stops them all: each pending async_next ends with cancelled
        for (auto& l : logs)
            while (l.wait_for(0s) != std::future_status::ready)
                co_await sleep_for(5ms);
        int cancelled = 0, seen = 0;
        for (auto& l : logs) {
            auto lg = l.get();
            cancelled += lg.ec == hd::error::cancelled;
            seen += !lg.events.empty();
        }
        CHECK(cancelled == n);
        CHECK(seen >= 100); // the budget was shared out, not hoarded
        auto after = gets(f);
        co_await sleep_for(300ms);
        CHECK(gets(f) == after);
    };
    run(ioc, body(), 30s);
    // 50 at once, then 50 a second: at most 150 in 2 s (a little margin for
    // the GETs in flight at the 2 s mark), and the budget is used, not
    // starved.
    CHECK(at_2s <= 155);
    CHECK(at_2s >= 110);
    CHECK(f.requests(get_route, "429") == 0);
}

TEST_CASE("watch schedule: watchers of one task share its GETs")
{
    // The budget is off, so that only the sharing can limit the GETs.
    sim_fixture f_one;
    sim_fixture f_many;
    auto c1o = f_one.copts;
    c1o.watch_rate = 0;
    auto cno = f_many.copts;
    cno.watch_rate = 0;
    test_io ioc;
    hd::client c1(ioc, c1o);
    hd::client cn(ioc, cno);
    constexpr int n = 20;
    auto wo = fixed_watch(50ms);
    wo.deadline = 1000ms;
    long long one = 0, many = 0;
    auto body = [&]() -> asio::awaitable<void> {
        auto id1 = co_await create(c1, "alone #pending-ms:60000");
        auto idn = co_await create(cn, "together #pending-ms:60000");
        auto w1 = c1.watch(id1, wo);
        std::vector<std::unique_ptr<hd::task_watcher>> ws;
        std::vector<std::future<watch_log>> logs;
        for (int i = 0; i < n; ++i) {
            ws.push_back(std::make_unique<hd::task_watcher>(cn.watch(idn, wo)));
            logs.push_back(asio::co_spawn(ioc, collect(*ws.back()), asio::use_future));
        }
        auto l1 = co_await collect(w1);
        CHECK(l1.ec == hd::error::timeout);
        for (auto& l : logs)
            while (l.wait_for(0s) != std::future_status::ready)
                co_await sleep_for(10ms);
        for (auto& l : logs) {
            auto lg = l.get();
            CHECK(lg.ec == hd::error::timeout);
            CHECK(lg.events.size() == 2); // each watcher got the pending status and turn
        }
        one = gets(f_one);
        many = gets(f_many);
    };
    run(ioc, body(), 15s);
    INFO("one watcher: " << one << " GETs, " << n << " watchers of one task: " << many << " GETs");
    CHECK(one >= 12);
    // Unshared, 20 watchers would make 20x as many.
    CHECK(many <= 3 * one);
}

TEST_CASE("watch schedule: watchers of one task with the default jitter share its GETs")
{
    sim_fixture f_one;
    sim_fixture f_many;
    auto c1o = f_one.copts;
    c1o.watch_rate = 0;
    auto cno = f_many.copts;
    cno.watch_rate = 0;
    test_io ioc;
    hd::client c1(ioc, c1o);
    hd::client cn(ioc, cno);
    constexpr int n = 20;
    hd::watch_options wo; // default schedule: 250 ms, x1.5, jitter 0.2
    wo.deadline = 2500ms;
    long long one = 0, many = 0;
    auto body = [&]() -> asio::awaitable<void> {
        auto id1 = co_await create(c1, "alone #pending-ms:60000");
        auto idn = co_await create(cn, "together #pending-ms:60000");
        auto w1 = c1.watch(id1, wo);
        std::vector<std::unique_ptr<hd::task_watcher>> ws;
        std::vector<std::future<watch_log>> logs;
        for (int i = 0; i < n; ++i) {
            ws.push_back(std::make_unique<hd::task_watcher>(cn.watch(idn, wo)));
            logs.push_back(asio::co_spawn(ioc, collect(*ws.back()), asio::use_future));
        }
        auto l1 = co_await collect(w1);
        CHECK(l1.ec == hd::error::timeout);
        for (auto& l : logs)
            while (l.wait_for(0s) != std::future_status::ready)
                co_await sleep_for(10ms);
        one = gets(f_one);
        many = gets(f_many);
    };
    run(ioc, body(), 15s);
    INFO("one watcher: " << one << " GETs, " << n << " watchers of one task: " << many << " GETs");
    CHECK(one >= 5);
    CHECK(many <= 3 * one);
}
