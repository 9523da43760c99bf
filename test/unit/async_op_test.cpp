// detail/async_op.hpp without sockets: the trailing arguments each
// operation accepts (checked at compile time), both completion forms with
// every kind of token, cancellation reaching the operation's coroutine, and
// an exception escaping it. The operations here are small coroutines that
// produce an op_result the test picks; the client's own operations are the
// same helper over the real thing (test/client/tokens_test.cpp).
#include <handinger/client.hpp>
#include <handinger/detail/async_op.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

namespace asio = boost::asio;
namespace hd = handinger;
namespace detail = handinger::detail;
using boost::system::error_code;
using namespace std::chrono_literals;

namespace {

// ---- what an operation's trailing arguments may be -----------------------

using detail::op_tail;
static_assert(op_tail<>);
static_assert(op_tail<asio::use_awaitable_t<>>);
static_assert(op_tail<const asio::deferred_t&>);
static_assert(op_tail<hd::diagnostics&>);
static_assert(op_tail<hd::diagnostics&, asio::use_future_t<>>);
static_assert(op_tail<hd::diagnostics&, decltype(asio::as_tuple(asio::use_awaitable))&>);
// Options are not tokens, diagnostics come before the token, a copy or a
// const of the diagnostics cannot receive them, and one token is all.
static_assert(!op_tail<hd::request_options>);
static_assert(!op_tail<hd::watch_options&>);
static_assert(!op_tail<hd::batch_options>);
static_assert(!op_tail<hd::diagnostics>);
static_assert(!op_tail<const hd::diagnostics&>);
static_assert(!op_tail<asio::deferred_t, hd::diagnostics&>);
static_assert(!op_tail<hd::diagnostics&, hd::diagnostics&>);
static_assert(!op_tail<hd::diagnostics&, asio::deferred_t, asio::deferred_t>);

// The public operations accept exactly those, after their own arguments and
// optional options (braces included).
template <class... A>
concept can_create = requires(hd::client& c, A&&... a)
{
    c.async_create(std::forward<A>(a)...);
};
template <class... A>
concept can_wait = requires(hd::client& c, A&&... a)
{
    c.async_wait(std::forward<A>(a)...);
};
static_assert(can_create<hd::create_task_params>);
static_assert(can_create<hd::create_task_params, hd::request_options>);
static_assert(can_create<hd::create_task_params, hd::request_options&, hd::diagnostics&>);
static_assert(can_create<hd::create_task_params, hd::diagnostics&, asio::deferred_t>);
static_assert(!can_create<hd::create_task_params, hd::diagnostics&, hd::request_options>);
static_assert(!can_create<hd::create_task_params, hd::watch_options>);
static_assert(!can_create<hd::create_task_params, hd::request_options, hd::request_options>);
static_assert(can_wait<std::string, hd::watch_options, hd::diagnostics&>);
static_assert(!can_wait<std::string, hd::request_options>);

// ---- a test operation ------------------------------------------------------

hd::diagnostics diag_saying(std::string what)
{
    hd::diagnostics d;
    d.client_message = std::move(what);
    d.status = 503;
    return d;
}

// Completes with `value`, or with error `e` and its diagnostics.
asio::awaitable<detail::op_result<int>> op(int value, hd::error e = {})
{
    detail::op_result<int> r;
    r.value = value;
    if (e != hd::error{}) {
        r.ec = e;
        r.diag = diag_saying("the test said so");
    }
    co_return r;
}

// Waits up to 10 s; a cancellation of the caller ends it with
// error::cancelled (as the library's operations report one).
asio::awaitable<detail::op_result<int>> slow_op(bool* started)
{
    co_await asio::this_coro::throw_if_cancelled(false);
    *started = true;
    detail::op_result<int> r;
    asio::steady_timer t(co_await asio::this_coro::executor, 10s);
    error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        r.ec = hd::error::cancelled;
        r.diag = diag_saying("cancelled");
    } else {
        r.value = 1;
    }
    co_return r;
}

asio::awaitable<detail::op_result<int>> throwing_op()
{
    throw std::runtime_error("the caller's own code threw");
    co_return detail::op_result<int>{};
}

template <class... Tail>
auto start(asio::io_context& ioc, asio::awaitable<detail::op_result<int>> a, Tail&&... tail)
{
    return detail::async_op(ioc.get_executor(), std::move(a), std::forward<Tail>(tail)...);
}

} // namespace

TEST_CASE("async_op: the throwing form with callbacks: the value, or an api_error with the diagnostics")
{
    asio::io_context ioc;
    std::optional<int> got;
    start(ioc, op(7), [&](std::exception_ptr e, int v) {
        CHECK_FALSE(e);
        got = v;
    });
    std::exception_ptr failure;
    start(ioc, op(7, hd::error::server_error), [&](std::exception_ptr e, int v) {
        failure = e;
        CHECK(v == 7); // the value travels with the error
    });
    ioc.run();
    CHECK(got == 7);
    REQUIRE(failure);
    try {
        std::rethrow_exception(failure);
    } catch (const hd::api_error& x) {
        CHECK(x.code() == hd::error::server_error);
        CHECK(x.diag().client_message == "the test said so");
        CHECK(x.diag().status == 503);
    }
}

TEST_CASE("async_op: the error_code form writes the diagnostics before the handler runs")
{
    asio::io_context ioc;
    hd::diagnostics d;
    d.client_message = "stale";
    bool ran = false;
    start(ioc, op(3, hd::error::server_error), d, [&](error_code ec, int v) {
        CHECK(ec == hd::error::server_error);
        CHECK(v == 3);
        CHECK(d.client_message == "the test said so");
        ran = true;
    });
    ioc.run();
    CHECK(ran);

    // A success leaves empty diagnostics (a previous failure's are replaced).
    ioc.restart();
    ran = false;
    start(ioc, op(4), d, [&](error_code ec, int v) {
        CHECK_FALSE(ec);
        CHECK(v == 4);
        CHECK(d.client_message.empty());
        CHECK(d.status == 0);
        ran = true;
    });
    ioc.run();
    CHECK(ran);
}

TEST_CASE("async_op: use_awaitable by default, both forms")
{
    asio::io_context ioc;
    int sum = 0;
    error_code seen;
    hd::diagnostics d;
    auto body = [&]() -> asio::awaitable<void> {
        sum += co_await start(ioc, op(1));                      // no token at all
        sum += co_await start(ioc, op(2), asio::use_awaitable); // the same, named
        auto [ec, v] = co_await start(ioc, op(4, hd::error::timeout), d, asio::as_tuple(asio::use_awaitable));
        seen = ec;
        sum += v;
        try {
            co_await start(ioc, op(8, hd::error::not_found));
            sum += 1000; // not reached
        } catch (const hd::api_error& x) {
            CHECK(x.code() == hd::error::not_found);
        }
    };
    asio::co_spawn(ioc, body(), [](std::exception_ptr e) { CHECK_FALSE(e); });
    ioc.run();
    CHECK(sum == 7);
    CHECK(seen == hd::error::timeout);
    CHECK(d.client_message == "the test said so");
}

TEST_CASE("async_op: deferred starts nothing until invoked")
{
    asio::io_context ioc;
    int runs = 0;
    auto counted = [&]() -> asio::awaitable<detail::op_result<int>> {
        ++runs;
        co_return detail::op_result<int>{{}, {}, 5};
    };
    hd::diagnostics d;
    auto later = start(ioc, counted(), d, asio::deferred);
    ioc.run();
    CHECK(runs == 0);
    ioc.restart();
    int got = 0;
    std::move(later)([&](error_code ec, int v) {
        CHECK_FALSE(ec);
        got = v;
    });
    ioc.run();
    CHECK(runs == 1);
    CHECK(got == 5);
}

TEST_CASE("async_op: use_future with the io_context on another thread, both forms")
{
    asio::io_context ioc;
    auto work = asio::make_work_guard(ioc);
    std::thread runner([&] { ioc.run(); });
    auto f1 = start(ioc, op(9), asio::use_future);
    hd::diagnostics d;
    auto f2 = start(ioc, op(1, hd::error::rate_limited), d, asio::use_future);
    auto f3 = start(ioc, op(1, hd::error::rate_limited), asio::use_future);
    CHECK(f1.get() == 9);
    // use_future turns an error_code first argument into an exception of
    // its own (system_error): the code is there.
    try {
        f2.get();
        CHECK(false);
    } catch (const boost::system::system_error& x) {
        CHECK(x.code() == hd::error::rate_limited);
    }
    try {
        f3.get();
        CHECK(false);
    } catch (const hd::api_error& x) {
        CHECK(x.code() == hd::error::rate_limited);
    }
    work.reset();
    runner.join();
    CHECK(d.status == 503);
}

TEST_CASE("async_op: the handler's cancellation slot reaches the coroutine, in both forms")
{
    for (bool ec_form : {false, true}) {
        CAPTURE(ec_form);
        asio::io_context ioc;
        asio::cancellation_signal sig;
        bool started = false, done = false;
        hd::diagnostics d;
        if (ec_form) {
            start(ioc, slow_op(&started), d,
                  asio::bind_cancellation_slot(sig.slot(), [&](error_code ec, int) {
                      CHECK(ec == hd::error::cancelled);
                      done = true;
                  }));
        } else {
            start(ioc, slow_op(&started),
                  asio::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr e, int) {
                      REQUIRE(e);
                      try {
                          std::rethrow_exception(e);
                      } catch (const hd::api_error& x) {
                          CHECK(x.code() == hd::error::cancelled);
                      }
                      done = true;
                  }));
        }
        ioc.run_for(50ms);
        REQUIRE(started);
        CHECK_FALSE(done);
        auto t0 = std::chrono::steady_clock::now();
        sig.emit(asio::cancellation_type::terminal);
        ioc.restart();
        ioc.run_for(5s);
        CHECK(done);
        CHECK(std::chrono::steady_clock::now() - t0 < 5s); // not the op's 10 s
        if (ec_form)
            CHECK(d.client_message == "cancelled");
    }
}

TEST_CASE("async_op: an exception escaping the operation reaches the throwing form's handler as it is")
{
    asio::io_context ioc;
    std::string what;
    start(ioc, throwing_op(), [&](std::exception_ptr e, int v) {
        CHECK(v == 0);
        REQUIRE(e);
        try {
            std::rethrow_exception(e);
        } catch (const hd::api_error&) {
            what = "an api_error";
        } catch (const std::runtime_error& x) {
            what = x.what();
        }
    });
    ioc.run();
    CHECK(what == "the caller's own code threw");
}

TEST_CASE("async_op: with_tail hands each tail to the form it names")
{
    hd::diagnostics d;
    auto probe = [](auto form, hd::diagnostics* diag, auto&&) { return std::pair(bool(form), diag); };
    CHECK(detail::with_tail(probe) == std::pair(false, static_cast<hd::diagnostics*>(nullptr)));
    CHECK(detail::with_tail(probe, asio::deferred) ==
          std::pair(false, static_cast<hd::diagnostics*>(nullptr)));
    CHECK(detail::with_tail(probe, d) == std::pair(true, &d));
    CHECK(detail::with_tail(probe, d, asio::deferred) == std::pair(true, &d));
}
