// Stopping a watch: the caller's cancellation slot, cancel(), destroying the
// watcher; what it does to the GETs (none afterwards), to a GET in flight
// (stalled, or shared with another watcher), and whether the watcher can go
// on afterwards.
#include "client/watch_support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>

using namespace test_support;
using namespace watch_support;
using namespace std::chrono_literals;

namespace {

// Emits terminal cancellation on `sig` after `after`.
asio::awaitable<void> cancel_after(asio::cancellation_signal& sig, milliseconds after,
                                   clock::time_point& when)
{
    co_await sleep_for(after);
    when = clock::now();
    sig.emit(asio::cancellation_type::terminal);
}

} // namespace

TEST_CASE("watch cancel: the caller's slot cancels a waiting async_next, the watch can go on afterwards")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "later #pending-ms:900");
        auto w = c.watch(id, fixed_watch(40ms));
        watch_log log;
        for (int i = 0; i < 2; ++i) { // pending status and pending turn
            auto ev = co_await w.async_next();
            REQUIRE(ev);
            log.events.push_back(recorded{std::move(*ev), gets(f), clock::now()});
        }
        // The third waits (nothing changes until 900 ms): cancel it.
        asio::cancellation_signal sig;
        clock::time_point cancelled_at;
        asio::co_spawn(ioc, cancel_after(sig, 300ms, cancelled_at), asio::detached);
        auto token = asio::bind_cancellation_slot(sig.slot(), asio::use_awaitable);
        bool threw = false;
        try {
            co_await w.async_next(std::move(token));
        } catch (const hd::api_error& e) {
            threw = true;
            CHECK(e.code() == hd::error::cancelled);
        }
        CHECK(threw);
        CHECK(ms_between(cancelled_at, clock::now()) < 200);
        CHECK(gets(f) >= 4); // it was polling until then
        CHECK_FALSE(w.done());
        // No polling after the cancellation. A GET already under way when
        // the cancel came may still reach the simulator: count from when
        // none is: no connection lent out, and the simulator has ended every
        // connection the client closed (so it has read, and counted, any
        // request sent on one; an ASan build once counted such a GET after
        // the client side alone looked quiet).
        for (int i = 0; i < 500; ++i) {
            auto st = c.stats();
            if (st.open_connections == st.idle_connections && st.waiting_calls == 0 &&
                st.watch_polls_waiting == 0 &&
                f.stat("connections_open") == static_cast<long long>(st.open_connections))
                break;
            co_await sleep_for(10ms);
        }
        auto n = gets(f);
        co_await sleep_for(500ms);
        CHECK(gets(f) == n);
        // The watch goes on where it was: no event twice, none lost.
        auto rest = co_await collect(w, &f);
        CHECK_FALSE(rest.ec);
        for (auto& r : rest.events)
            log.events.push_back(r);
        log.ended = true;
        check_invariants(log);
        REQUIRE(log.terminal());
        CHECK(log.terminal()->status == hd::task_status::completed);
        CHECK(log.count<hd::events::turn_added>() == 2);
        auto firsts = 0;
        for (auto* s : log.all<hd::events::status_changed>())
            firsts += !s->from.has_value();
        CHECK(firsts == 1);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch cancel: the error-code form reports cancelled without throwing, and can go on")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "later #pending-ms:600");
        auto w = c.watch(id, fixed_watch(40ms));
        co_await w.async_next();
        co_await w.async_next();
        asio::cancellation_signal sig;
        clock::time_point cancelled_at;
        asio::co_spawn(ioc, cancel_after(sig, 100ms, cancelled_at), asio::detached);
        hd::diagnostics d;
        auto token = asio::bind_cancellation_slot(sig.slot(), asio::as_tuple(asio::use_awaitable));
        auto [ec, ev] = co_await w.async_next(d, std::move(token));
        CHECK(ec == hd::error::cancelled);
        CHECK_FALSE(ev);
        CHECK(ms_between(cancelled_at, clock::now()) < 200);
        CHECK_FALSE(w.done());
        auto rest = co_await collect(w, &f);
        CHECK_FALSE(rest.ec);
        REQUIRE(rest.terminal());
        CHECK(rest.terminal()->status == hd::task_status::completed);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch cancel: cancel() ends a waiting async_next and the watch for good")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "stopped #pending-ms:5000");
        auto w = c.watch(id, fixed_watch(40ms));
        co_await w.async_next();
        co_await w.async_next();
        auto stopper = [&]() -> asio::awaitable<void> {
            co_await sleep_for(200ms);
            w.cancel();
        };
        asio::co_spawn(ioc, stopper(), asio::detached);
        stopwatch sw;
        auto log = co_await collect(w, &f);
        CHECK(log.ec == hd::error::cancelled);
        CHECK(log.events.empty());
        CHECK(sw.ms() >= 190);
        CHECK(sw.ms() < 400);
        CHECK(w.done());
        auto n = gets(f);
        // Over: further calls are cancelled at once, without a GET.
        for (int i = 0; i < 2; ++i) {
            stopwatch again_sw;
            auto again = co_await collect(w, &f);
            CHECK(again.ec == hd::error::cancelled);
            CHECK(again_sw.ms() < 50);
        }
        co_await sleep_for(300ms);
        CHECK(gets(f) == n);
        REQUIRE(w.snapshot());
        CHECK(w.snapshot()->task.status == hd::task_status::pending);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch cancel: cancel() before the first async_next, and destroying idle watchers, send nothing")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "ignored #pending-ms:5000");
        {
            auto never = c.watch(id, fixed_watch(20ms));
        }
        auto idle = std::make_unique<hd::task_watcher>(c.watch(id, fixed_watch(20ms)));
        co_await idle->async_next(); // one GET; the pending turn stays buffered
        CHECK(gets(f) == 1);
        idle.reset();
        auto stopped = c.watch(id, fixed_watch(20ms));
        stopped.cancel();
        auto log = co_await collect(stopped, &f);
        CHECK(log.ec == hd::error::cancelled);
        CHECK(stopped.done());
        co_await sleep_for(300ms);
        CHECK(gets(f) == 1);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch cancel: cancelling during a hung GET completes at once, the next async_next goes on")
{
    auto so = fast_sim();
    so.stall = 3s;
    sim_fixture f(so);
    test_io ioc;
    hd::client c(ioc, f.copts); // attempt timeout 10 s
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "hangs once #turns:1 #get-fault:stall:1");
        auto w = c.watch(id, fast_watch());
        asio::cancellation_signal sig;
        clock::time_point cancelled_at;
        asio::co_spawn(ioc, cancel_after(sig, 300ms, cancelled_at), asio::detached);
        hd::diagnostics d;
        auto token = asio::bind_cancellation_slot(sig.slot(), asio::as_tuple(asio::use_awaitable));
        auto [ec, ev] = co_await w.async_next(d, std::move(token));
        CHECK(ec == hd::error::cancelled);
        CHECK(ms_between(cancelled_at, clock::now()) < 200);
        CHECK(gets(f) == 1);
        // The next poll is a new GET (the hung one was abandoned) and the
        // watch runs to the end.
        stopwatch sw;
        auto rest = co_await collect(w, &f);
        CHECK_FALSE(rest.ec);
        REQUIRE(rest.terminal());
        CHECK(rest.terminal()->status == hd::task_status::completed);
        CHECK(sw.ms() < 1500);
        check_invariants(rest);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch cancel: a watcher cancelled during a GET it shares leaves the other watcher its result")
{
    auto so = fast_sim();
    so.stall = 3s;
    sim_fixture f(so);
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        // The task's first GET hangs. Watcher a makes it; b, asking while it
        // is in flight, waits for its result. Then a is cancelled: b must
        // not be left waiting for the hung GET (3 s), nor fail.
        auto id = co_await create(c, "shared #pending-ms:5000 #get-fault:stall:1");
        auto a = c.watch(id, fast_watch());
        auto b = c.watch(id, fast_watch());
        asio::cancellation_signal sig;
        hd::diagnostics da;
        boost::system::error_code a_ec;
        bool a_done = false;
        a.async_next(da, asio::bind_cancellation_slot(sig.slot(), [&](boost::system::error_code ec, auto) {
                         a_ec = ec;
                         a_done = true;
                     }));
        co_await sleep_for(100ms);
        CHECK(gets(f) == 1);
        auto b_next = asio::co_spawn(ioc, b.async_next(), asio::use_future);
        co_await sleep_for(100ms);
        CHECK(gets(f) == 1); // b shares the GET in flight
        stopwatch sw;
        sig.emit(asio::cancellation_type::terminal);
        while (!a_done || b_next.wait_for(0s) != std::future_status::ready) {
            if (sw.ms() > 2000)
                break;
            co_await sleep_for(5ms);
        }
        REQUIRE(a_done);
        CHECK(a_ec == hd::error::cancelled);
        REQUIRE(b_next.wait_for(0s) == std::future_status::ready);
        CHECK(sw.ms() < 1000);
        auto ev = b_next.get();
        REQUIRE(ev);
        auto* s = std::get_if<hd::events::status_changed>(&*ev);
        REQUIRE(s);
        CHECK(s->to == hd::task_status::pending);
        CHECK(gets(f) == 2);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch cancel: destroying a watcher during a GET it shares leaves the other watcher its result")
{
    auto so = fast_sim();
    so.stall = 3s;
    sim_fixture f(so);
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "shared #pending-ms:5000 #get-fault:stall:1");
        auto a = std::make_unique<hd::task_watcher>(c.watch(id, fast_watch()));
        auto b = c.watch(id, fast_watch());
        hd::diagnostics da;
        boost::system::error_code a_ec;
        bool a_done = false;
        a->async_next(da, [&](boost::system::error_code ec, auto) {
            a_ec = ec;
            a_done = true;
        });
        co_await sleep_for(100ms);
        auto b_next = asio::co_spawn(ioc, b.async_next(), asio::use_future);
        co_await sleep_for(100ms);
        stopwatch sw;
        a.reset();
        while (!a_done || b_next.wait_for(0s) != std::future_status::ready) {
            if (sw.ms() > 2000)
                break;
            co_await sleep_for(5ms);
        }
        REQUIRE(a_done);
        CHECK(a_ec == hd::error::cancelled);
        REQUIRE(b_next.wait_for(0s) == std::future_status::ready);
        CHECK(sw.ms() < 1000);
        auto ev = b_next.get();
        REQUIRE(ev);
        CHECK(std::holds_alternative<hd::events::status_changed>(*ev));
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch cancel: a second async_next while one runs is refused, the first goes on")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "one at a time #pending-ms:300");
        auto w = c.watch(id, fixed_watch(30ms));
        co_await w.async_next();
        co_await w.async_next();
        // The next event is the status going running, about 300 ms away.
        auto first = asio::co_spawn(ioc, w.async_next(), asio::use_future);
        co_await sleep_for(50ms);
        hd::diagnostics d;
        auto [ec, ev] = co_await w.async_next(d, asio::as_tuple(asio::use_awaitable));
        CHECK(ec == hd::error::invalid_argument);
        CHECK(d.client_message.find("already") != std::string::npos);
        CHECK_FALSE(ev);
        CHECK_FALSE(w.done());
        stopwatch sw;
        while (first.wait_for(0s) != std::future_status::ready && sw.ms() < 2000)
            co_await sleep_for(5ms);
        REQUIRE(first.wait_for(0s) == std::future_status::ready);
        auto e1 = first.get();
        REQUIRE(e1);
        auto* s = std::get_if<hd::events::status_changed>(&*e1);
        REQUIRE(s);
        CHECK(s->to == hd::task_status::running);
        auto rest = co_await collect(w, &f);
        CHECK_FALSE(rest.ec);
        CHECK(rest.terminal());
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch cancel: moving a watcher onto another stops the one it replaces")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id1 = co_await create(c, "replaced #pending-ms:5000");
        auto id2 = co_await create(c, "replacement #turns:1");
        auto w = c.watch(id1, fixed_watch(20ms));
        co_await w.async_next(); // status pending
        co_await w.async_next(); // pending turn; the next one waits
        hd::diagnostics d;
        boost::system::error_code got;
        bool done = false;
        w.async_next(d, [&](boost::system::error_code ec, auto) {
            got = ec;
            done = true;
        });
        co_await sleep_for(100ms);
        w = c.watch(id2, fast_watch());
        stopwatch sw;
        while (!done && sw.ms() < 1000)
            co_await sleep_for(5ms);
        CHECK(done);
        CHECK(got == hd::error::cancelled);
        CHECK(w.task_id() == id2);
        auto log = co_await collect(w, &f);
        CHECK_FALSE(log.ec);
        REQUIRE(log.terminal());
        CHECK(log.terminal()->snapshot.task.id == id2);
    };
    run(ioc, body(), 20s);
}
