// async_next (and async_wait) with every kind of completion token:
// use_awaitable, deferred, as_tuple with the error-code form, plain
// callbacks chained one after the other, and use_future with the
// io_context run by another thread.
#include "client/watch_support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/deferred.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <functional>
#include <thread>

using namespace test_support;
using namespace watch_support;
using namespace std::chrono_literals;

TEST_CASE("watch tokens: use_awaitable in a while loop, errors thrown")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "awaited #turns:2");
        auto w = c.watch(id, fast_watch());
        watch_log log;
        while (auto ev = co_await w.async_next())
            log.events.push_back(recorded{std::move(*ev), 0, clock::now()});
        log.ended = true;
        check_invariants(log);
        REQUIRE(log.terminal());
        CHECK(log.terminal()->status == hd::task_status::completed);
        CHECK(w.done());

        // An error is thrown as api_error, and again on the next call.
        auto o = fast_watch();
        o.not_found_grace = 100ms;
        auto missing = c.watch("tsk_missing", o);
        for (int i = 0; i < 2; ++i) {
            bool threw = false;
            try {
                while (co_await missing.async_next()) {
                }
            } catch (const hd::api_error& e) {
                threw = true;
                CHECK(e.code() == hd::error::not_found);
                CHECK(e.status() == 404);
            }
            CHECK(threw);
        }
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch tokens: deferred, awaited later")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "deferred #turns:1");
        auto w = c.watch(id, fast_watch());
        int n = 0;
        bool terminal = false;
        for (;;) {
            auto op = w.async_next(asio::deferred); // nothing runs yet
            auto ev = co_await std::move(op)(asio::use_awaitable);
            if (!ev)
                break;
            ++n;
            terminal = std::holds_alternative<hd::events::terminal>(*ev);
        }
        CHECK(terminal);
        CHECK(n >= 4);
        // async_wait with deferred too.
        auto wait = c.async_wait(id, fast_watch(), asio::deferred);
        auto t = co_await std::move(wait)(asio::use_awaitable);
        CHECK(t.task.status == hd::task_status::completed);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch tokens: the error-code form with as_tuple never throws")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "tupled #turns:2");
        auto w = c.watch(id, fast_watch());
        auto log = co_await collect(w, &f); // as_tuple(use_awaitable) inside
        CHECK_FALSE(log.ec);
        check_invariants(log);
        REQUIRE(log.terminal());

        auto o = fast_watch();
        o.not_found_grace = 100ms;
        auto missing = c.watch("tsk_missing", o);
        hd::diagnostics d;
        boost::system::error_code ec;
        std::optional<hd::watch_event> ev;
        do {
            std::tie(ec, ev) = co_await missing.async_next(d, asio::as_tuple(asio::use_awaitable));
        } while (!ec && ev);
        CHECK(ec == hd::error::not_found);
        CHECK(d.status == 404);
        CHECK_FALSE(ev);

        // The throwing form under as_tuple: the exception as an exception_ptr.
        auto [ep, ev2] = co_await missing.async_next(asio::as_tuple(asio::use_awaitable));
        REQUIRE(ep);
        CHECK_FALSE(ev2);
        bool caught = false;
        try {
            std::rethrow_exception(ep);
        } catch (const hd::api_error& e) {
            caught = true;
            CHECK(e.code() == hd::error::not_found);
        }
        CHECK(caught);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch tokens: plain callbacks, each starting the next async_next")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    std::string id;
    {
        auto made = asio::co_spawn(ioc, create(c, "called back #turns:2"), asio::use_future);
        run_until(ioc, [&] { return made.wait_for(0s) == std::future_status::ready; });
        id = made.get();
    }
    auto w = c.watch(id, fast_watch());

    // Throwing form: void(exception_ptr, optional<watch_event>).
    watch_log log;
    bool done = false;
    std::exception_ptr failure;
    std::function<void()> next = [&] {
        w.async_next([&](std::exception_ptr e, std::optional<hd::watch_event> ev) {
            if (e || !ev) {
                failure = e;
                done = true;
                log.ended = true;
                return;
            }
            log.events.push_back(recorded{std::move(*ev), 0, clock::now()});
            next();
        });
    };
    next();
    run_until(ioc, [&] { return done; });
    CHECK_FALSE(failure);
    check_invariants(log);
    REQUIRE(log.terminal());
    CHECK(log.terminal()->status == hd::task_status::completed);

    // Error-code form: void(error_code, optional<watch_event>).
    auto o = fast_watch();
    o.not_found_grace = 100ms;
    auto missing = c.watch("tsk_missing", o);
    hd::diagnostics d;
    boost::system::error_code got;
    bool ended = false;
    int calls = 0;
    std::function<void()> next_ec = [&] {
        missing.async_next(d, [&](boost::system::error_code ec, std::optional<hd::watch_event> ev) {
            ++calls;
            if (ec || !ev) {
                got = ec;
                ended = true;
                return;
            }
            next_ec();
        });
    };
    next_ec();
    run_until(ioc, [&] { return ended; });
    CHECK(got == hd::error::not_found);
    CHECK(calls == 1);
    CHECK(d.status == 404);

    // async_wait with a callback.
    bool waited = false;
    hd::task_with_turns final_state;
    c.async_wait(id, fast_watch(), [&](std::exception_ptr e, hd::task_with_turns t) {
        CHECK_FALSE(e);
        final_state = std::move(t);
        waited = true;
    });
    run_until(ioc, [&] { return waited; });
    CHECK(final_state.task.status == hd::task_status::completed);
}

TEST_CASE("watch tokens: use_future with the io_context run by another thread")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto guard = asio::make_work_guard(ioc);
    std::thread runner([&] { ioc.run(); });
    hd::create_task_params p;
    p.input = "from another thread #turns:2";
    auto created = c.async_create(p, asio::use_future).get();
    auto w = c.watch(created.task_id, fast_watch());
    watch_log log;
    for (int i = 0; i < 1000; ++i) {
        auto fut = w.async_next(asio::use_future);
        if (fut.wait_for(10s) != std::future_status::ready)
            break;
        auto ev = fut.get();
        if (!ev) {
            log.ended = true;
            break;
        }
        log.events.push_back(recorded{std::move(*ev), 0, clock::now()});
    }
    CHECK(log.ended);
    check_invariants(log);
    REQUIRE(log.terminal());
    CHECK(log.terminal()->snapshot.turns.size() == 2);

    // Errors: the throwing form's future throws api_error, the error-code
    // form's future throws system_error with the code.
    auto o = fast_watch();
    o.not_found_grace = 100ms;
    auto missing = c.watch("tsk_missing", o);
    auto fut = missing.async_next(asio::use_future);
    REQUIRE(fut.wait_for(10s) == std::future_status::ready);
    CHECK_THROWS_AS(fut.get(), hd::api_error);
    hd::diagnostics d;
    auto fut2 = missing.async_next(d, asio::use_future);
    REQUIRE(fut2.wait_for(10s) == std::future_status::ready);
    try {
        fut2.get();
        FAIL("no error");
    } catch (const boost::system::system_error& e) {
        CHECK(e.code() == hd::error::not_found);
    }

    auto t = c.async_wait(created.task_id, fast_watch(), asio::use_future);
    REQUIRE(t.wait_for(10s) == std::future_status::ready);
    CHECK(t.get().task.status == hd::task_status::completed);

    guard.reset();
    ioc.stop();
    runner.join();
}
