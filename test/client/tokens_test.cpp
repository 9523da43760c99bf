// Every operation in every completion-token style, the two completion
// signatures (exception_ptr / error_code + diagnostics), per-call request
// options, and retrieve's fallback to /turns.
#include "client/support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <thread>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;
using boost::system::error_code;

namespace {

hd::create_task_params params(std::string input)
{
    hd::create_task_params p;
    p.input = std::move(input);
    return p;
}

// Catches the api_error of a throwing call; returns its code (success when none).
template <class F>
error_code code_of(F&& f)
{
    try {
        f();
    } catch (const hd::api_error& e) {
        return e.code();
    }
    return {};
}

} // namespace

TEST_CASE("tokens: use_awaitable, default and explicit, for every operation")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        // Default token (use_awaitable).
        auto cr = co_await c.async_create(params("tokens awaitable"));
        CHECK(cr.task_id.rfind("tsk_", 0) == 0);
        CHECK(cr.run.object == "worker");
        CHECK_FALSE(cr.recovered);
        auto t = co_await wait_terminal(c, cr.task_id);
        CHECK(t.task.id == cr.task_id);
        CHECK(t.task.status == hd::task_status::completed);
        CHECK(t.turns.size() == 2);
        auto turns = co_await c.async_list_turns(cr.task_id);
        CHECK(turns.task_id == cr.task_id);
        CHECK(turns.items.size() == 2);
        CHECK(turns.items == t.turns);
        // Explicit token, and with request_options.
        auto t2 = co_await c.async_retrieve(cr.task_id, hd::request_options{}, asio::use_awaitable);
        CHECK(t2 == t);
        auto del = co_await c.async_archive(cr.task_id, asio::use_awaitable);
        CHECK(del.archived);
        // A failure throws api_error with the code.
        bool thrown = false;
        try {
            co_await c.async_retrieve("tsk_unknown", asio::use_awaitable);
        } catch (const hd::api_error& e) {
            thrown = true;
            CHECK(e.code() == hd::error::not_found);
            CHECK(e.status() == 404);
            CHECK(e.diag().path == "/api/tasks/tsk_unknown");
        }
        CHECK(thrown);
    };
    run(ioc, body(), 10s);
    CHECK(f.stat("tasks_created") == 1);
    CHECK(f.requests("DELETE /api/tasks/{id}", "200") == 1);
    CHECK(f.requests("GET /api/tasks/{id}/turns", "200") == 1);
    CHECK(f.requests("GET /api/tasks/{id}", "404") == 1);
}

TEST_CASE("tokens: error_code form with as_tuple(use_awaitable) for every operation")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        constexpr auto tok = asio::as_tuple(asio::use_awaitable);
        hd::diagnostics d;
        auto [ec1, cr] = co_await c.async_create(params("tokens tuple"), d, tok);
        CHECK_FALSE(ec1);
        CHECK(d.attempts == 1);
        CHECK(d.method == "POST");
        CHECK(d.path == "/api/tasks");
        CHECK(d.status == 200);
        CHECK(cr.task_id.size() == 30);
        co_await wait_terminal(c, cr.task_id);

        auto [ec2, t] = co_await c.async_retrieve(cr.task_id, d, tok);
        CHECK_FALSE(ec2);
        CHECK(t.task.id == cr.task_id);
        CHECK(t.turns.size() == 2);

        auto [ec3, turns] = co_await c.async_list_turns(cr.task_id, hd::request_options{}, d, tok);
        CHECK_FALSE(ec3);
        CHECK(turns.items.size() == 2);

        auto [ec4, del] = co_await c.async_archive(cr.task_id, d, tok);
        CHECK_FALSE(ec4);
        CHECK(del.archived);

        // Failures arrive as codes, never as exceptions; diagnostics filled.
        auto [ec5, none] = co_await c.async_list_turns("tsk_missing", d, tok);
        CHECK(ec5 == hd::error::not_found);
        CHECK(none.items.empty());
        CHECK(d.status == 404);
        CHECK(d.method == "GET");
        CHECK(d.path == "/api/tasks/tsk_missing/turns");
        CHECK(d.server_message == "task tsk_missing not found");
        auto [ec6, nothing] = co_await c.async_archive("tsk_missing", d, tok);
        CHECK(ec6 == hd::error::not_found);
        CHECK(d.method == "DELETE");
        auto p = params("");
        auto [ec7, cr2] = co_await c.async_create(p, d, tok);
        CHECK(ec7 == hd::error::invalid_argument);
    };
    run(ioc, body(), 10s);
}

TEST_CASE("tokens: plain callbacks, exception_ptr and error_code signatures")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);

    // void(std::exception_ptr, T)
    bool done = false;
    hd::create_result cr;
    auto on_create = [&](std::exception_ptr e, hd::create_result r) {
        CHECK_FALSE(e);
        cr = std::move(r);
        done = true;
    };
    c.async_create(params("callbacks"), on_create);
    run_until(ioc, [&] { return done; });
    REQUIRE(cr.task_id.size() == 30);
    run(ioc, wait_terminal(c, cr.task_id), 10s);

    done = false;
    hd::task_with_turns t;
    auto on_retrieve = [&](std::exception_ptr e, hd::task_with_turns r) {
        CHECK_FALSE(e);
        t = std::move(r);
        done = true;
    };
    c.async_retrieve(cr.task_id, on_retrieve);
    run_until(ioc, [&] { return done; });
    CHECK(t.task.id == cr.task_id);
    CHECK(t.turns.size() == 2);

    done = false;
    std::size_t items = 0;
    auto on_turns = [&](std::exception_ptr e, hd::task_turn_list r) {
        CHECK_FALSE(e);
        items = r.items.size();
        done = true;
    };
    c.async_list_turns(cr.task_id, on_turns);
    run_until(ioc, [&] { return done; });
    CHECK(items == 2);

    // An error: the exception_ptr holds an api_error.
    done = false;
    error_code got;
    auto on_missing = [&](std::exception_ptr e, hd::task_with_turns) {
        REQUIRE(e);
        got = code_of([&] { std::rethrow_exception(e); });
        done = true;
    };
    c.async_retrieve("tsk_nope", on_missing);
    run_until(ioc, [&] { return done; });
    CHECK(got == hd::error::not_found);

    // void(error_code, T) with diagnostics.
    done = false;
    hd::diagnostics d;
    bool archived = false;
    error_code ec;
    auto on_archive = [&](error_code e, hd::delete_task_response r) {
        ec = e;
        archived = r.archived;
        done = true;
    };
    c.async_archive(cr.task_id, d, on_archive);
    run_until(ioc, [&] { return done; });
    CHECK_FALSE(ec);
    CHECK(archived);

    done = false;
    auto on_create_ec = [&](error_code e, hd::create_result r) {
        ec = e;
        cr = std::move(r);
        done = true;
    };
    c.async_create(params("callbacks ec"), d, on_create_ec);
    run_until(ioc, [&] { return done; });
    CHECK_FALSE(ec);
    CHECK(cr.task_id.size() == 30);

    done = false;
    auto on_retrieve_ec = [&](error_code e, hd::task_with_turns r) {
        ec = e;
        t = std::move(r);
        done = true;
    };
    c.async_retrieve(cr.task_id, d, on_retrieve_ec);
    run_until(ioc, [&] { return done; });
    CHECK_FALSE(ec);
    CHECK(t.task.id == cr.task_id);

    done = false;
    auto on_turns_ec = [&](error_code e, hd::task_turn_list r) {
        ec = e;
        items = r.items.size();
        done = true;
    };
    c.async_list_turns("tsk_gone", d, on_turns_ec);
    run_until(ioc, [&] { return done; });
    CHECK(ec == hd::error::not_found);
    CHECK(items == 0);
    CHECK(d.status == 404);
    CHECK(d.path == "/api/tasks/tsk_gone/turns");
    CHECK(f.stat("tasks_created") == 2);
}

TEST_CASE("tokens: asio::deferred, invoked with a callback, both signatures")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);

    bool done = false;
    hd::create_result cr;
    auto op = c.async_create(params("deferred"), asio::deferred);
    CHECK(f.stat("posts") == 0); // nothing happens before the operation is invoked
    auto on_create = [&](std::exception_ptr e, hd::create_result r) {
        CHECK_FALSE(e);
        cr = std::move(r);
        done = true;
    };
    std::move(op)(on_create);
    run_until(ioc, [&] { return done; });
    REQUIRE(cr.task_id.size() == 30);
    CHECK(f.stat("posts") == 1);
    run(ioc, wait_terminal(c, cr.task_id), 10s);

    done = false;
    std::size_t turns = 0;
    auto rop = c.async_retrieve(cr.task_id, asio::deferred);
    auto on_retrieve = [&](std::exception_ptr e, hd::task_with_turns t) {
        CHECK_FALSE(e);
        turns = t.turns.size();
        done = true;
    };
    std::move(rop)(on_retrieve);
    run_until(ioc, [&] { return done; });
    CHECK(turns == 2);

    done = false;
    auto lop = c.async_list_turns(cr.task_id, asio::deferred);
    auto on_list = [&](std::exception_ptr e, hd::task_turn_list l) {
        CHECK_FALSE(e);
        turns = l.items.size();
        done = true;
    };
    std::move(lop)(on_list);
    run_until(ioc, [&] { return done; });
    CHECK(turns == 2);

    // The error_code form with deferred.
    done = false;
    hd::diagnostics d;
    error_code ec;
    bool archived = false;
    auto aop = c.async_archive(cr.task_id, d, asio::deferred);
    auto on_archive = [&](error_code e, hd::delete_task_response r) {
        ec = e;
        archived = r.archived;
        done = true;
    };
    std::move(aop)(on_archive);
    run_until(ioc, [&] { return done; });
    CHECK_FALSE(ec);
    CHECK(archived);
    CHECK(d.method == "DELETE");

    done = false;
    auto mop = c.async_retrieve("tsk_none", d, asio::deferred);
    auto on_missing = [&](error_code e, hd::task_with_turns) {
        ec = e;
        done = true;
    };
    std::move(mop)(on_missing);
    run_until(ioc, [&] { return done; });
    CHECK(ec == hd::error::not_found);
    CHECK(d.status == 404);

    // The throwing signature's error through deferred.
    done = false;
    error_code thrown;
    auto xop = c.async_archive("tsk_none", asio::deferred);
    auto on_x = [&](std::exception_ptr e, hd::delete_task_response) {
        REQUIRE(e);
        thrown = code_of([&] { std::rethrow_exception(e); });
        done = true;
    };
    std::move(xop)(on_x);
    run_until(ioc, [&] { return done; });
    CHECK(thrown == hd::error::not_found);
}

TEST_CASE("tokens: use_future with the io_context run on another thread")
{
    sim_fixture f;
    test_io ioc;
    auto guard = asio::make_work_guard(ioc);
    hd::client c(ioc, f.copts);
    std::thread runner([&] { ioc.run(); });
    struct joiner {
        asio::io_context& ioc;
        std::thread& t;
        decltype(guard)& g;
        ~joiner()
        {
            g.reset();
            ioc.stop();
            t.join();
        }
    } j{ioc, runner, guard};

    auto fc = c.async_create(params("future"), asio::use_future);
    REQUIRE(fc.wait_for(5s) == std::future_status::ready);
    auto cr = fc.get();
    REQUIRE(cr.task_id.size() == 30);

    hd::task_with_turns t;
    for (int i = 0; i < 200; ++i) {
        auto fr = c.async_retrieve(cr.task_id, asio::use_future);
        REQUIRE(fr.wait_for(5s) == std::future_status::ready);
        t = fr.get();
        if (hd::is_terminal(t.task.status))
            break;
        std::this_thread::sleep_for(15ms);
    }
    CHECK(t.task.status == hd::task_status::completed);

    auto fl = c.async_list_turns(cr.task_id, asio::use_future);
    REQUIRE(fl.wait_for(5s) == std::future_status::ready);
    CHECK(fl.get().items.size() == 2);

    // The error_code form: the future holds the value, or throws system_error.
    hd::diagnostics d;
    auto fa = c.async_archive(cr.task_id, d, asio::use_future);
    REQUIRE(fa.wait_for(5s) == std::future_status::ready);
    CHECK(fa.get().archived);
    CHECK(d.method == "DELETE");

    auto fm = c.async_retrieve("tsk_nope", asio::use_future);
    REQUIRE(fm.wait_for(5s) == std::future_status::ready);
    CHECK(code_of([&] { fm.get(); }) == hd::error::not_found);

    auto fm2 = c.async_retrieve("tsk_nope", d, asio::use_future);
    REQUIRE(fm2.wait_for(5s) == std::future_status::ready);
    try {
        fm2.get();
        FAIL("expected an error");
    } catch (const boost::system::system_error& e) {
        CHECK(e.code() == hd::error::not_found);
    }
    CHECK(d.status == 404);
}

TEST_CASE("request options: max_retries = 0 makes a single attempt where the client would retry")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create_task(c, "ro retries #get-fault:500:1");
        hd::diagnostics d;
        hd::request_options ro;
        ro.max_retries = 0;
        auto [ec, t] = co_await c.async_retrieve(id, ro, d, asio::as_tuple(asio::use_awaitable));
        CHECK(ec == hd::error::server_error);
        CHECK(d.attempts == 1);
        CHECK(d.status == 500);
        // The fault is spent: the next call succeeds at once.
        auto [ec2, t2] = co_await c.async_retrieve(id, d, asio::as_tuple(asio::use_awaitable));
        CHECK_FALSE(ec2);
    };
    run(ioc, body(), 10s);
    CHECK(f.requests("GET /api/tasks/{id}", "500") == 1);
    CHECK(f.requests("GET /api/tasks/{id}", "200") == 1);
}

TEST_CASE("request options: a per-call timeout overrides the client's")
{
    auto o = fast_sim();
    o.stall = 5s;
    sim_fixture f(o);
    test_io ioc;
    hd::client c(ioc, f.copts); // client timeout 10 s
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create_task(c, "ro timeout #get-fault:stall");
        hd::diagnostics d;
        hd::request_options ro;
        ro.timeout = 300ms;
        ro.max_retries = 0;
        stopwatch sw;
        auto [ec, t] = co_await c.async_retrieve(id, ro, d, asio::as_tuple(asio::use_awaitable));
        CHECK(ec == hd::error::timeout);
        CHECK(sw.ms() >= 250);
        CHECK(sw.ms() < 1500);
        CHECK(d.attempts == 1);
        CHECK(d.status == 0);
        CHECK(d.client_message.find("timed out") != std::string::npos);
    };
    run(ioc, body(), 10s);
    CHECK(f.faults("stall") == 1);
}

TEST_CASE("request options: total_timeout refuses a retry that would wait past it")
{
    auto o = fast_sim();
    o.retry_after = hd::sim::retry_after_form::ms;
    o.retry_after_value = 5000ms;
    sim_fixture f(o);
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create_task(c, "ro total #get-fault:429:3");
        hd::diagnostics d;
        hd::request_options ro;
        ro.total_timeout = 1000ms;
        stopwatch sw;
        auto [ec, t] = co_await c.async_retrieve(id, ro, d, asio::as_tuple(asio::use_awaitable));
        CHECK(ec == hd::error::rate_limited);
        CHECK(d.attempts == 1);
        CHECK(d.status == 429);
        CHECK(sw.ms() < 900);
    };
    run(ioc, body(), 10s);
}

TEST_CASE("request options: headers are sent without breaking the call, reserved names are ignored")
{
    // The simulator does not echo request headers, so this checks behaviour:
    // extra headers do not disturb the exchange, and a per-call
    // Authorization / Host / Content-Length cannot replace the client's own.
    sim_fixture f;
    f.copts.headers = {{"X-Client-Header", "one"}, {"Authorization", "Bearer sk-wrong"}};
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::request_options ro;
        ro.headers = {{"X-Call-Header", "two"},
                      {"x-client-header", "override"},
                      {"authorization", "Bearer sk-also-wrong"},
                      {"Host", "evil.example"},
                      {"Content-Length", "0"}};
        auto p = params("headers test");
        hd::diagnostics d;
        auto [ec, cr] = co_await c.async_create(p, ro, d, asio::as_tuple(asio::use_awaitable));
        CHECK_FALSE(ec);
        CHECK(d.status == 200);
        auto [ec2, t] = co_await c.async_retrieve(cr.task_id, ro, d, asio::as_tuple(asio::use_awaitable));
        CHECK_FALSE(ec2);
        CHECK(t.task.id == cr.task_id);
    };
    run(ioc, body(), 10s);
    CHECK(f.requests("POST /api/tasks", "200") == 1);
    CHECK(f.requests("other", "401") == 0);
}

TEST_CASE("retrieve: the task_only shape gets its turns from /turns")
{
    auto o = fast_sim();
    o.shape = hd::sim::retrieve_shape::task_only;
    sim_fixture f(o);
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create_task(c, "shape task only #pending-ms:0 #turn-ms:1");
        co_await sleep_for(30ms);
        f.sim.reset_stats();
        auto t = co_await c.async_retrieve(id);
        CHECK(t.task.id == id);
        CHECK(t.task.status == hd::task_status::completed);
        REQUIRE(t.turns.size() == 2);
        CHECK(t.turns[0].task_id == id);
        CHECK(t.turns[0].seq + 1 == t.turns[1].seq);
        CHECK_FALSE(t.turns[1].output_text.empty());
        CHECK(t.raw.contains("task"));
        CHECK_FALSE(t.raw.contains("turns"));
    };
    run(ioc, body(), 10s);
    CHECK(f.requests("GET /api/tasks/{id}", "200") == 1);
    CHECK(f.requests("GET /api/tasks/{id}/turns", "200") == 1);
}

TEST_CASE("a moved-from client's operations go on in the moved-to one")
{
    sim_fixture f;
    test_io ioc;
    hd::client a(ioc, f.copts);
    std::string id = run(ioc, create_task(a, "before the move"), 10s);
    hd::client b(std::move(a));
    auto body = [&]() -> asio::awaitable<void> {
        auto t = co_await b.async_retrieve(id);
        CHECK(t.task.id == id);
    };
    run(ioc, body(), 10s);
    CHECK(b.stats().connections_created == 1); // the pool moved with it
    CHECK(b.stats().attempts == 2);
    hd::client c(ioc, f.copts);
    c = std::move(b); // move assignment: c's own state goes, b's comes
    auto body_c = [&]() -> asio::awaitable<void> {
        auto t = co_await c.async_list_turns(id);
        CHECK(t.task_id == id);
    };
    run(ioc, body_c(), 10s);
    CHECK(c.stats().attempts == 3);
    CHECK(c.stats().connections_created == 1);
    CHECK(f.stat("connections_accepted") == 1);
}

TEST_CASE("create in the service's wait mode returns the finished run")
{
    auto o = fast_sim();
    o.create = hd::sim::create_mode::wait;
    sim_fixture f(o);
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        stopwatch sw;
        auto cr = co_await c.async_create(params("wait for me"));
        CHECK(sw.ms() >= 100); // pending 40 ms + 2 turns of 50 ms
        CHECK(cr.run.status == hd::run_status::completed);
        CHECK_FALSE(cr.run.running);
        CHECK_FALSE(cr.run.output_text.empty());
        CHECK_FALSE(cr.recovered);
        auto t = co_await c.async_retrieve(cr.task_id);
        CHECK(t.task.status == hd::task_status::completed);
        REQUIRE(t.turns.size() == 2);
        CHECK(t.turns.back().output_text == cr.run.output_text);
    };
    run(ioc, body(), 10s);
}

TEST_CASE("final statuses through the client: error, aborted, and one this library does not know")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto failed = co_await create_task(c, "#fail #pending-ms:0 #turn-ms:1");
        auto aborted = co_await create_task(c, "#abort #pending-ms:0 #turn-ms:1");
        auto paused = co_await create_task(c, "#status:paused #pending-ms:0 #turn-ms:1");
        auto t1 = co_await wait_terminal(c, failed);
        CHECK(t1.task.status == hd::task_status::error);
        REQUIRE_FALSE(t1.turns.empty());
        CHECK(t1.turns.back().status == hd::turn_status::error);
        auto t2 = co_await wait_terminal(c, aborted);
        CHECK(t2.task.status == hd::task_status::aborted);
        CHECK(t2.turns.size() <= 1);
        auto t3 = co_await wait_terminal(c, paused);
        CHECK(t3.task.status.value() == hd::task_status::unknown);
        CHECK(t3.task.status.str() == "paused");
        CHECK(hd::is_terminal(t3.task.status));
    };
    run(ioc, body(), 10s);
}
