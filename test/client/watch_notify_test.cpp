// client::notify_finished and webhook-assisted watches against the
// simulator: a watcher that would sleep 30 s (its safety interval, or a long
// adaptive interval) polls at once when notified, with the GETs counted;
// notifications for tasks nobody watches, and ones that come before the
// watch starts.
#include "client/watch_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace test_support;
using namespace watch_support;
using namespace std::chrono_literals;

namespace {

hd::watch_options assisted()
{
    hd::watch_options o;
    o.webhook_assisted = true;
    o.safety_poll_interval = 30s; // longer than any of these tests may take
    return o;
}

// Runs `ioc` for `d` (restarted first: run() leaves it stopped).
void run_for(test_io& ioc, std::chrono::milliseconds d)
{
    ioc.restart();
    ioc.run_for(d);
}

// Creates a task that finishes after about `ms` and returns its id.
std::string quick_task(test_io& ioc, hd::client& c, int ms)
{
    return run(ioc, create_task(c, "notify #turns:1 #turn-ms:" + std::to_string(ms)));
}

} // namespace

TEST_CASE("notify: a webhook-assisted async_wait sends no GET until notified, then one")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto id = quick_task(ioc, c, 100);
    bool done = false;
    hd::task_with_turns final_state;
    hd::diagnostics d;
    c.async_wait(id, assisted(), d, [&](boost::system::error_code ec, hd::task_with_turns t) {
        CHECK_FALSE(ec);
        final_state = std::move(t);
        done = true;
    });
    run_for(ioc, 200ms);
    CHECK(c.stats().watch_gets == 0);
    // The task ends (seen by retrieves, not by the watch, which waits for
    // its safety interval).
    REQUIRE(hd::is_terminal(run(ioc, wait_terminal(c, id)).task.status));
    CHECK_FALSE(done);
    CHECK(c.stats().watch_gets == 0);
    const auto before = gets(f);
    CHECK(c.notify_finished(id) == 1);
    run_until(
        ioc, [&] { return done; }, 10s); // well before the 30 s safety poll
    CHECK(done);
    CHECK(hd::is_terminal(final_state.task.status));
    CHECK(gets(f) == before + 1);
    CHECK(c.notify_finished(id) == 0); // nobody watches it any more
}

TEST_CASE("notify: a watcher sleeping a long adaptive interval polls at once")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto id = quick_task(ioc, c, 300);
    auto w = c.watch(id, fixed_watch(30s));
    bool terminal = false;
    auto body = [&]() -> asio::awaitable<void> {
        while (auto ev = co_await w.async_next()) {
            if (std::holds_alternative<hd::events::terminal>(*ev))
                terminal = true;
        }
    };
    asio::co_spawn(ioc, body(), [](std::exception_ptr e) { CHECK_FALSE(e); });
    run_until(
        ioc, [&] { return c.stats().watch_gets == 1; }, 10s); // the first poll; the next is 30 s away
    REQUIRE(hd::is_terminal(run(ioc, wait_terminal(c, id)).task.status));
    CHECK_FALSE(terminal);
    CHECK(c.stats().watch_gets == 1);
    const auto before = gets(f);
    CHECK(c.notify_finished(id) == 1);
    run_until(
        ioc, [&] { return terminal; }, 10s);
    CHECK(terminal);
    CHECK(gets(f) == before + 1);
}

TEST_CASE("notify: every watcher of the task wakes, others do not")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto id = quick_task(ioc, c, 100);
    auto other = quick_task(ioc, c, 100);
    int done = 0;
    bool other_done = false;
    for (int i = 0; i < 3; ++i)
        c.async_wait(id, assisted(), [&](std::exception_ptr e, hd::task_with_turns) {
            CHECK_FALSE(e);
            ++done;
        });
    c.async_wait(other, assisted(), [&](std::exception_ptr, hd::task_with_turns) { other_done = true; });
    REQUIRE(hd::is_terminal(run(ioc, wait_terminal(c, id)).task.status));
    REQUIRE(hd::is_terminal(run(ioc, wait_terminal(c, other)).task.status));
    CHECK(c.notify_finished(id) == 3);
    run_until(
        ioc, [&] { return done == 3; }, 10s);
    CHECK(done == 3);
    run_for(ioc, 200ms);
    CHECK_FALSE(other_done);
    CHECK(c.stats().watch_gets <= 3); // one GET, maybe shared, per woken watcher at most
    CHECK(c.notify_finished("tsk_nobody_watches") == 0);
    c.notify_finished(other);
    run_until(
        ioc, [&] { return other_done; }, 10s);
}

TEST_CASE("notify: a notification shortly before the watch starts makes its first poll immediate")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto id = quick_task(ioc, c, 50);
    REQUIRE(hd::is_terminal(run(ioc, wait_terminal(c, id)).task.status));
    CHECK(c.notify_finished(id) == 0); // the webhook came before anyone waited
    const auto before = gets(f);
    hd::diagnostics d;
    auto body = [&]() -> asio::awaitable<boost::system::error_code> {
        auto [ec, t] = co_await c.async_wait(id, assisted(), d, asio::as_tuple(asio::use_awaitable));
        CHECK(hd::is_terminal(t.task.status));
        co_return ec;
    };
    CHECK_FALSE(run(ioc, body(), 10s));
    CHECK(gets(f) == before + 1);
    // Another client was not notified: its assisted watch would wait.
    hd::client c2(ioc, f.copts);
    bool done = false;
    c2.async_wait(id, assisted(), [&](std::exception_ptr, hd::task_with_turns) { done = true; });
    run_for(ioc, 300ms);
    CHECK_FALSE(done);
    c2.notify_finished(id);
    run_until(
        ioc, [&] { return done; }, 10s);
    CHECK(done);
}
