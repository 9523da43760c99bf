// More watchers than the connection pool: at most pool_size of them poll at
// once, the others wait in the hub's FIFO for a poll slot. What must hold
// there: nobody waits in the connection pool, a queued watcher's deadline
// and cancellation still act at once, and a slot nobody wants passes on.
// Also: every cancellation type is honoured by async_next.
#include "client/watch_support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <vector>

using namespace test_support;
using namespace watch_support;
using namespace std::chrono_literals;

namespace {

asio::awaitable<void> emit_after(asio::cancellation_signal& sig, milliseconds after,
                                 asio::cancellation_type t, clock::time_point& when)
{
    co_await sleep_for(after);
    when = clock::now();
    sig.emit(t);
}

} // namespace

TEST_CASE("watch queue: 60 watchers on a pool of 4 all finish, and no GET ever waits for a connection")
{
    sim_fixture f;
    test_io ioc;
    auto o = f.copts;
    o.pool_size = 4;
    o.watch_rate = 0; // the budget is not the point here
    hd::client c(ioc, o);
    constexpr int n = 60;
    std::vector<std::string> ids;
    auto make = [&]() -> asio::awaitable<void> {
        for (int i = 0; i < n; ++i) // one at a time: the creates queue nowhere either
            ids.push_back(co_await create(c, "queued watcher #turns:1"));
    };
    run(ioc, make(), 20s);
    REQUIRE(c.stats().peak_waiting_calls == 0);

    std::vector<hd::task_watcher> ws;
    for (auto& id : ids)
        ws.push_back(c.watch(id, fast_watch()));
    std::vector<watch_log> logs(n);
    int finished = 0;
    std::size_t most_queued = 0;
    auto follow = [&](int i) -> asio::awaitable<void> {
        logs[i] = co_await collect(ws[i], &f);
        ++finished;
    };
    for (int i = 0; i < n; ++i)
        asio::co_spawn(ioc, follow(i), asio::detached);
    ioc.restart();
    auto deadline = clock::now() + 20s;
    while (finished < n && clock::now() < deadline) {
        ioc.run_for(2ms);
        most_queued = std::max(most_queued, c.stats().watch_polls_waiting);
    }
    REQUIRE(finished == n);
    for (auto& log : logs) {
        CHECK_FALSE(log.ec);
        REQUIRE(log.terminal());
        CHECK(log.terminal()->status == hd::task_status::completed);
        check_invariants(log);
    }
    auto st = c.stats();
    CHECK(st.peak_waiting_calls == 0); // the watchers' GETs never queued in the pool
    CHECK(st.peak_open_connections <= 4);
    CHECK(most_queued > 0); // ... because they queued in the hub instead
    CHECK(st.watch_polls_waiting == 0);
}

TEST_CASE("watch queue: a watcher queued behind a hung GET still ends at its deadline")
{
    auto so = fast_sim();
    so.stall = 3s;
    sim_fixture f(so);
    test_io ioc;
    auto o = f.copts; // attempt timeout 10 s
    o.pool_size = 1;
    o.watch_rate = 0;
    hd::client c(ioc, o);
    auto body = [&]() -> asio::awaitable<void> {
        auto hung = co_await create(c, "hangs #pending-ms:60000 #get-fault:stall:1");
        auto other = co_await create(c, "waits #pending-ms:60000");
        auto a = c.watch(hung, fast_watch());
        asio::co_spawn(
            ioc, [&a]() -> asio::awaitable<void> { co_await collect(a); }, asio::detached);
        co_await sleep_for(100ms); // a's GET hangs and holds the only poll slot
        auto wo = fast_watch();
        wo.deadline = 400ms;
        auto b = c.watch(other, wo);
        stopwatch sw;
        auto log = co_await collect(b);
        CHECK(log.ec == hd::error::timeout);
        CHECK(sw.ms() >= 350);
        CHECK(sw.ms() < 1500); // not when the hung GET ends (3 s)
        CHECK(log.events.empty());
        a.cancel();
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch queue: cancelling or stopping a queued watcher ends its async_next at once, and the slot "
          "passes on")
{
    auto so = fast_sim();
    so.stall = 1500ms;
    sim_fixture f(so);
    test_io ioc;
    auto o = f.copts;
    o.pool_size = 1;
    o.watch_rate = 0;
    hd::client c(ioc, o);
    auto body = [&]() -> asio::awaitable<void> {
        auto hung = co_await create(c, "hangs once #get-fault:stall:1");
        auto b_id = co_await create(c, "b #turns:1");
        auto d_id = co_await create(c, "d #turns:1");
        auto a = c.watch(hung, fast_watch());
        watch_log a_log;
        bool a_done = false;
        auto follow_a = [&]() -> asio::awaitable<void> {
            a_log = co_await collect(a);
            a_done = true;
        };
        asio::co_spawn(ioc, follow_a(), asio::detached);
        co_await sleep_for(100ms); // a holds the only poll slot for 1.5 s

        auto b = c.watch(b_id, fast_watch());
        auto d = c.watch(d_id, fast_watch());
        // d queues too, and is stopped for good while queued.
        hd::diagnostics dd;
        bool d_done = false;
        boost::system::error_code d_ec;
        clock::time_point d_end;
        d.async_next(dd, [&](boost::system::error_code ec, std::optional<hd::watch_event>) {
            d_ec = ec;
            d_end = clock::now();
            d_done = true;
        });
        // b's async_next is cancelled through its slot while queued.
        asio::cancellation_signal sig;
        clock::time_point cancelled_at;
        asio::co_spawn(ioc, emit_after(sig, 200ms, asio::cancellation_type::terminal, cancelled_at),
                       asio::detached);
        hd::diagnostics bd;
        auto token = asio::bind_cancellation_slot(sig.slot(), asio::as_tuple(asio::use_awaitable));
        auto [ec, ev] = co_await b.async_next(bd, std::move(token));
        CHECK(ec == hd::error::cancelled);
        CHECK(ms_between(cancelled_at, clock::now()) < 150);
        CHECK(c.stats().watch_polls_waiting >= 1); // d (and b's old place) are still queued
        auto stopped_at = clock::now();
        d.cancel();
        while (!d_done)
            co_await sleep_for(5ms);
        CHECK(d_ec == hd::error::cancelled);
        CHECK(ms_between(stopped_at, d_end) < 150);
        CHECK(d.done());

        // b goes on: it queues again behind its own stale place and d's; both
        // pass the slot on when a's GET ends, and b's watch runs to the end.
        stopwatch sw;
        auto rest = co_await collect(b, &f);
        CHECK_FALSE(rest.ec);
        REQUIRE(rest.terminal());
        CHECK(rest.terminal()->status == hd::task_status::completed);
        check_invariants(rest);
        CHECK(sw.ms() < 5000);
        while (!a_done)
            co_await sleep_for(10ms);
        CHECK_FALSE(a_log.ec);
        CHECK(c.stats().watch_polls_waiting == 0);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch cancel: partial and total cancellation end a waiting async_next like terminal")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&](asio::cancellation_type type) -> asio::awaitable<void> {
        CAPTURE(static_cast<int>(type));
        auto id = co_await create(c, "later #pending-ms:2000");
        auto w = c.watch(id, fixed_watch(100ms));
        for (int i = 0; i < 2; ++i) { // pending status and pending turn
            auto ev = co_await w.async_next();
            REQUIRE(ev);
        }
        asio::cancellation_signal sig;
        clock::time_point at;
        asio::co_spawn(ioc, emit_after(sig, 150ms, type, at), asio::detached);
        hd::diagnostics d;
        auto token = asio::bind_cancellation_slot(sig.slot(), asio::as_tuple(asio::use_awaitable));
        auto [ec, ev] = co_await w.async_next(d, std::move(token));
        CHECK(ec == hd::error::cancelled);
        CHECK(ms_between(at, clock::now()) < 150);
        CHECK_FALSE(w.done());
        w.cancel();
    };
    for (auto type : {asio::cancellation_type::partial, asio::cancellation_type::total,
                      asio::cancellation_type::terminal})
        run(ioc, body(type), 20s);
}
