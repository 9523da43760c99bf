// Cancellation through the token's cancellation slot, at each place a call
// can wait, and the client's destruction with calls in flight.
#include "client/support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;
using boost::system::error_code;

namespace {

// A call's completion, seen from a plain error_code callback.
struct completion {
    bool done = false;
    error_code ec;
    hd::diagnostics d;
    stopwatch since_start;
    std::optional<long long> at_ms;

    auto handler()
    {
        return [this](error_code e, auto) {
            ec = e;
            done = true;
            at_ms = since_start.ms();
        };
    }
};

// Emits terminal cancellation on `sig` after `after`, on ioc's thread.
void cancel_after(asio::io_context& ioc, asio::cancellation_signal& sig, std::chrono::milliseconds after,
                  stopwatch& emitted_at, bool& emitted)
{
    auto t = std::make_shared<asio::steady_timer>(ioc, after);
    t->async_wait([t, &sig, &emitted_at, &emitted](error_code) {
        emitted_at = stopwatch{};
        emitted = true;
        sig.emit(asio::cancellation_type::terminal);
    });
}

hd::sim::options stalling_sim()
{
    auto o = fast_sim();
    o.stall = 5s;
    return o;
}

} // namespace

TEST_CASE("cancel: a call stalled waiting for the response completes promptly with cancelled")
{
    sim_fixture f(stalling_sim());
    test_io ioc;
    hd::client c(ioc, f.copts);
    std::string id = run(ioc, create_task(c, "stall me #get-fault:stall"), 10s);

    asio::cancellation_signal sig;
    completion cmp;
    c.async_retrieve(id, cmp.d, asio::bind_cancellation_slot(sig.slot(), cmp.handler()));
    stopwatch emitted_at;
    bool emitted = false;
    cancel_after(ioc, sig, 200ms, emitted_at, emitted);
    run_until(
        ioc, [&] { return cmp.done; }, 5s);
    CHECK(cmp.ec == hd::error::cancelled);
    CHECK(emitted);
    CHECK(emitted_at.ms() < 1000); // completed soon after the cancellation
    CHECK(*cmp.at_ms < 1000);
    CHECK(cmp.d.attempts == 1);
    CHECK(f.faults("stall") == 1);

    // The stalled connection is not kept: nothing open, a new call opens a new one.
    CHECK(c.stats().open_connections == 0);
    auto body = [&]() -> asio::awaitable<void> {
        auto t = co_await c.async_retrieve(id);
        CHECK(t.task.id == id);
    };
    run(ioc, body(), 10s);
    CHECK(f.stat("connections_accepted") == 2);
    CHECK(c.stats().connections_created == 2);
}

TEST_CASE("cancel: the throwing awaitable form with a bound slot throws api_error(cancelled)")
{
    sim_fixture f(stalling_sim());
    test_io ioc;
    hd::client c(ioc, f.copts);
    std::string id = run(ioc, create_task(c, "stall me #get-fault:stall"), 10s);
    asio::cancellation_signal sig;
    stopwatch emitted_at;
    bool emitted = false;
    auto body = [&]() -> asio::awaitable<void> {
        cancel_after(ioc, sig, 150ms, emitted_at, emitted);
        bool thrown = false;
        try {
            co_await c.async_retrieve(id, asio::bind_cancellation_slot(sig.slot(), asio::use_awaitable));
        } catch (const hd::api_error& e) {
            thrown = true;
            CHECK(e.code() == hd::error::cancelled);
        }
        CHECK(thrown);
    };
    run(ioc, body(), 10s);
    CHECK(emitted);
    CHECK(emitted_at.ms() < 1000);
}

TEST_CASE("cancel: a call waiting for a pool connection completes promptly with cancelled")
{
    sim_fixture f(stalling_sim());
    f.copts.pool_size = 1;
    test_io ioc;
    hd::client c(ioc, f.copts);
    std::string stalled = run(ioc, create_task(c, "holder #get-fault:stall"), 10s);
    std::string other = run(ioc, create_task(c, "other"), 10s);

    asio::cancellation_signal sig_a, sig_b;
    completion a, b;
    c.async_retrieve(stalled, a.d, asio::bind_cancellation_slot(sig_a.slot(), a.handler()));
    c.async_retrieve(other, b.d, asio::bind_cancellation_slot(sig_b.slot(), b.handler()));
    run_until(
        ioc, [&] { return c.stats().waiting_calls == 1; }, 5s);
    run(ioc, sleep_for(100ms), 5s);
    CHECK_FALSE(b.done);
    stopwatch emitted_at;
    sig_b.emit(asio::cancellation_type::terminal);
    run_until(
        ioc, [&] { return b.done; }, 5s);
    CHECK(emitted_at.ms() < 1000);
    CHECK(b.ec == hd::error::cancelled);
    CHECK(b.d.client_message.find("waiting for a connection") != std::string::npos);
    CHECK(c.stats().waiting_calls == 0);
    CHECK_FALSE(a.done);

    // Now the holder; then the pool (size 1) must still serve a call.
    stopwatch emitted_a;
    sig_a.emit(asio::cancellation_type::terminal);
    run_until(
        ioc, [&] { return a.done; }, 5s);
    CHECK(emitted_a.ms() < 1000);
    CHECK(a.ec == hd::error::cancelled);
    CHECK(c.stats().open_connections == 0);
    auto body = [&]() -> asio::awaitable<void> {
        auto t = co_await c.async_retrieve(other);
        CHECK(t.task.id == other);
    };
    run(ioc, body(), 10s);
    CHECK(f.requests("GET /api/tasks/{id}", "200") == 1); // the cancelled waiter never sent
    CHECK(f.stat("connections_accepted") == 2);
}

TEST_CASE("cancel: a call waiting to retry after a 429 completes promptly with cancelled")
{
    auto o = fast_sim();
    o.retry_after = hd::sim::retry_after_form::ms;
    o.retry_after_value = 5000ms;
    sim_fixture f(o);
    test_io ioc;
    hd::client c(ioc, f.copts);
    std::string id = run(ioc, create_task(c, "later #get-fault:429"), 10s);

    asio::cancellation_signal sig;
    completion cmp;
    c.async_retrieve(id, cmp.d, asio::bind_cancellation_slot(sig.slot(), cmp.handler()));
    stopwatch emitted_at;
    bool emitted = false;
    cancel_after(ioc, sig, 200ms, emitted_at, emitted);
    run_until(
        ioc, [&] { return cmp.done; }, 8s);
    CHECK(cmp.ec == hd::error::cancelled);
    CHECK(emitted_at.ms() < 1000);
    CHECK(*cmp.at_ms < 1000);
    CHECK(cmp.d.attempts == 1);
    CHECK(cmp.d.client_message == "cancelled while waiting to retry");
    CHECK(f.requests("GET /api/tasks/{id}", "429") == 1);
    CHECK(f.requests("GET /api/tasks/{id}", "200") == 0);

    // The 429's connection was complete and stays usable.
    auto body = [&]() -> asio::awaitable<void> {
        auto t = co_await c.async_retrieve(id);
        CHECK(t.task.id == id);
    };
    run(ioc, body(), 10s);
    CHECK(f.stat("connections_accepted") == 1);
}

TEST_CASE("cancel: a create stalled after the server took it completes with cancelled")
{
    sim_fixture f(stalling_sim());
    test_io ioc;
    hd::client c(ioc, f.copts);
    asio::cancellation_signal sig;
    completion cmp;
    hd::create_task_params p;
    p.input = "cancel my create #fault:stall";
    c.async_create(p, cmp.d, asio::bind_cancellation_slot(sig.slot(), cmp.handler()));
    stopwatch emitted_at;
    bool emitted = false;
    cancel_after(ioc, sig, 200ms, emitted_at, emitted);
    run_until(
        ioc, [&] { return cmp.done; }, 5s);
    CHECK(cmp.ec == hd::error::cancelled);
    CHECK(emitted_at.ms() < 1000);
    CHECK(f.stat("tasks_created") == 1);
    CHECK(f.requests("POST /api/tasks") == 1); // not resent after the cancellation
}

TEST_CASE("client destroyed: a call waiting for a connection completes with cancelled")
{
    sim_fixture f(stalling_sim());
    f.copts.pool_size = 1;
    f.copts.timeout = 500ms;
    f.copts.max_retries = 0;
    test_io ioc;
    std::optional<hd::client> c(std::in_place, ioc, f.copts);
    std::string id = run(ioc, create_task(*c, "holder #get-fault:stall"), 10s);
    completion a, b;
    c->async_retrieve(id, a.d, a.handler());
    c->async_retrieve(id, b.d, b.handler());
    run_until(
        ioc, [&] { return c->stats().waiting_calls == 1; }, 5s);
    stopwatch destroyed_at;
    c.reset();
    run_until(
        ioc, [&] { return b.done; }, 5s);
    CHECK(b.ec == hd::error::cancelled);
    CHECK(destroyed_at.ms() < 1000);
    // The exchange under way finishes on its own terms (its timeout).
    run_until(
        ioc, [&] { return a.done; }, 5s);
    CHECK(a.ec == hd::error::timeout);
}

TEST_CASE("client destroyed: a call waiting to retry completes promptly with cancelled")
{
    auto o = fast_sim();
    o.retry_after = hd::sim::retry_after_form::ms;
    o.retry_after_value = 3000ms;
    sim_fixture f(o);
    test_io ioc;
    std::optional<hd::client> c(std::in_place, ioc, f.copts);
    std::string id = run(ioc, create_task(*c, "later #get-fault:429"), 10s);
    completion cmp;
    c->async_retrieve(id, cmp.d, cmp.handler());
    run(ioc, sleep_for(200ms), 5s);
    REQUIRE(f.requests("GET /api/tasks/{id}", "429") == 1);
    CHECK_FALSE(cmp.done);
    stopwatch destroyed_at;
    c.reset();
    run_until(
        ioc, [&] { return cmp.done; }, 5s);
    CHECK(cmp.ec == hd::error::cancelled);
    CHECK(destroyed_at.ms() < 1000); // not after the whole 3 s wait
    CHECK(f.requests("GET /api/tasks/{id}", "200") == 0);
}
