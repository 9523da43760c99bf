// How a watch ends when things go wrong, against the simulator (and a canned
// server for what the simulator cannot produce): 404 within and after the
// grace period, transient errors ridden out, final errors at once, the
// deadline and the stall timeout, and submit()'s background POST.
#include "client/watch_support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/use_awaitable.hpp>

using namespace test_support;
using namespace watch_support;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& s, const std::string& part)
{
    return s.find(part) != std::string::npos;
}

// Watches `input`'s task with report_retrying to its end and checks it
// completed; returns the log.
asio::awaitable<watch_log> ride_out(hd::client& c, const sim_fixture& f, std::string input)
{
    auto id = co_await create(c, std::move(input));
    auto o = fast_watch();
    o.report_retrying = true;
    auto w = c.watch(id, o);
    auto log = co_await collect(w, &f);
    CHECK(log.ended);
    CHECK_FALSE(log.ec);
    REQUIRE(log.terminal());
    CHECK(log.terminal()->status == hd::task_status::completed);
    CHECK(log.terminal()->snapshot.turns.size() == 2);
    co_return log;
}

} // namespace

// --- 404: not visible yet, or gone ---

TEST_CASE("watch errors: a task created after the watch began is seen, 404s within the grace are not errors")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        const std::string id = "tsk_watch_before_create";
        auto o = fast_watch();
        o.report_retrying = true; // a 404 within the grace is not even a retry
        auto w = c.watch(id, o);
        auto later = [&]() -> asio::awaitable<void> {
            co_await sleep_for(300ms);
            co_await create(c, "late #turns:2", id);
        };
        auto created = asio::co_spawn(ioc, later(), asio::use_future);
        auto log = co_await collect(w, &f);
        created.get();
        REQUIRE(log.ended);
        CHECK_FALSE(log.ec);
        check_invariants(log);
        CHECK(log.count<hd::events::retrying>() == 0);
        REQUIRE(log.terminal());
        CHECK(log.terminal()->status == hd::task_status::completed);
        CHECK(log.terminal()->snapshot.turns.size() == 2);
        CHECK(f.requests(get_route, "404") >= 3); // it kept looking while the task was not there
        // The first event came only once the task existed.
        CHECK(ms_between(log.events.front().at, log.end_at) < 1000);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch errors: a task that never appears ends with not_found after the grace")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto o = fast_watch();
        o.not_found_grace = 300ms;
        auto w = c.watch("tsk_never_there", o);
        stopwatch sw;
        auto log = co_await collect(w, &f);
        auto took = sw.ms();
        REQUIRE(log.ended);
        CHECK(log.ec == hd::error::not_found);
        CHECK(log.events.empty());
        CHECK(log.diag.status == 404);
        CHECK(log.diag.method == "GET");
        CHECK(contains(log.diag.path, "tsk_never_there"));
        CHECK(contains(log.diag.client_message, "not visible within 300 ms"));
        CHECK(took >= 300);
        CHECK(took < 1000);
        CHECK(gets(f) >= 3);
        CHECK(w.done());
        CHECK(w.snapshot() == nullptr);
        // Over for good: the same error again, without a GET.
        auto n = gets(f);
        auto again = co_await collect(w, &f);
        CHECK(again.ec == hd::error::not_found);
        CHECK(gets(f) == n);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch errors: a 404 after the task was seen ends the watch at once")
{
    // Tasks never vanish from the simulator: a canned server answers once,
    // then 404s.
    canned_server s;
    s.push(200, "OK", R"({"task":{"id":"tsk_1","status":"running"},"turns":[]})");
    s.fallback.status = 404;
    s.fallback.reason = "Not Found";
    s.fallback.body = R"({"error":"not_found","message":"task tsk_1 not found"})";
    hd::client_options co;
    co.base_url = s.url();
    co.api_key = "sk-watch";
    co.timeout = 5s;
    test_io ioc;
    hd::client c(ioc, co);
    auto body = [&]() -> asio::awaitable<void> {
        auto w = c.watch("tsk_1", fast_watch()); // grace 10 s: not what ends it
        auto log = co_await collect(w);
        REQUIRE(log.ended);
        CHECK(log.ec == hd::error::not_found);
        REQUIRE(log.events.size() == 1);
        CHECK(std::holds_alternative<hd::events::status_changed>(log.events[0].ev));
        CHECK(log.diag.status == 404);
        CHECK(log.diag.server_message == "task tsk_1 not found");
        CHECK(contains(log.diag.client_message, "seen, then not found"));
        CHECK(ms_between(log.events[0].at, log.end_at) < 500);
        CHECK(s.requests().size() == 2);
        REQUIRE(w.snapshot());
        CHECK(w.snapshot()->task.status == hd::task_status::running);
        CHECK(w.done());
    };
    run(ioc, body(), 10s);
}

// --- transient errors, ridden out ---

TEST_CASE("watch errors: 500s are ridden out, reported as retrying")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto log = co_await ride_out(c, f, "flaky #get-fault:500:3");
        auto r = log.all<hd::events::retrying>();
        REQUIRE(r.size() == 3);
        for (auto* e : r) {
            CHECK(e->ec == hd::error::server_error);
            CHECK(e->diag.status == 500);
            CHECK(e->delay >= 10ms);
        }
        // The error backoff doubles: 20, 40, 80 ms (+-20%).
        CHECK(r[1]->delay > r[0]->delay);
        CHECK(r[2]->delay > r[1]->delay);
        // The retrying events come before anything else: the first 3 GETs failed.
        for (std::size_t i = 0; i < 3; ++i)
            CHECK(std::holds_alternative<hd::events::retrying>(log.events[i].ev));
        CHECK(f.faults("500") == 3);
        check_invariants(log);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch errors: connection resets are ridden out")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto log = co_await ride_out(c, f, "resets #get-fault:reset:2");
        // A reset on a reused connection may be resent at once by the
        // transport (a stale pooled connection); at least one reaches the watch.
        auto r = log.all<hd::events::retrying>();
        CHECK(r.size() >= 1);
        CHECK(r.size() <= 2);
        for (auto* e : r)
            CHECK(e->ec == hd::error::connection);
        CHECK(f.faults("reset") == 2);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch errors: a stalled GET times out and is ridden out")
{
    auto o = fast_sim();
    o.stall = 2s;
    sim_fixture f(o);
    f.copts.timeout = 250ms;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        stopwatch sw;
        auto log = co_await ride_out(c, f, "stalls #get-fault:stall:1");
        auto r = log.all<hd::events::retrying>();
        REQUIRE(r.size() == 1);
        CHECK(r[0]->ec == hd::error::timeout);
        CHECK(f.faults("stall") == 1);
        CHECK(sw.ms() < 1500); // the attempt timeout, not the stall, set the pace
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch errors: 429s are ridden out after their retry-after")
{
    auto o = fast_sim();
    o.retry_after = hd::sim::retry_after_form::ms;
    o.retry_after_value = 150ms;
    sim_fixture f(o);
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto log = co_await ride_out(c, f, "limited #get-fault:429:2");
        auto r = log.all<hd::events::retrying>();
        REQUIRE(r.size() == 2);
        for (auto* e : r) {
            CHECK(e->ec == hd::error::rate_limited);
            CHECK(e->delay >= 150ms);
        }
        CHECK(ms_between(log.events[0].at, log.events[2].at) >= 290);
        CHECK(f.faults("429") == 2);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch errors: without report_retrying, transient errors stay silent")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "quietly flaky #get-fault:503:2");
        auto w = c.watch(id, fast_watch());
        auto log = co_await collect(w, &f);
        CHECK_FALSE(log.ec);
        CHECK(log.count<hd::events::retrying>() == 0);
        REQUIRE(log.terminal());
        CHECK(log.terminal()->status == hd::task_status::completed);
        CHECK(f.faults("503") == 2);
        check_invariants(log);
    };
    run(ioc, body(), 20s);
}

// --- final errors, at once ---

TEST_CASE("watch errors: a wrong API key ends the watch at once with authentication")
{
    sim_fixture f;
    auto bad = f.copts;
    bad.api_key = "sk-wrong";
    test_io ioc;
    hd::client good(ioc, f.copts);
    hd::client c(ioc, bad);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(good, "exists #pending-ms:5000");
        auto o = fast_watch();
        o.report_retrying = true;
        auto w = c.watch(id, o);
        stopwatch sw;
        auto log = co_await collect(w, &f);
        CHECK(sw.ms() < 500);
        CHECK(log.ec == hd::error::authentication);
        CHECK(log.events.empty());
        CHECK(log.diag.status == 401);
        CHECK(w.done());
        CHECK(gets(f) == 1);
        // The throwing form throws the same.
        auto w2 = c.watch(id, o);
        bool threw = false;
        try {
            co_await w2.async_next();
        } catch (const hd::api_error& e) {
            threw = true;
            CHECK(e.code() == hd::error::authentication);
            CHECK(e.status() == 401);
        }
        CHECK(threw);
        CHECK(gets(f) == 2);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch errors: a 400, even with x-should-retry true, ends the watch at once")
{
    // The watcher makes its GETs with max_retries 0 and decides by its own
    // policy (watch.hpp: 400 ends the watch at once); the header, which the
    // SDKs' retry rule would obey, is not consulted.
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "bad once #get-fault:retry-true:1");
        auto o = fast_watch();
        o.report_retrying = true;
        auto w = c.watch(id, o);
        auto log = co_await collect(w, &f);
        CHECK(log.ec == hd::error::bad_request);
        CHECK(log.diag.status == 400);
        CHECK(log.events.empty());
        CHECK(gets(f) == 1);
        CHECK(w.done());
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch errors: a 503 with x-should-retry false is still ridden out")
{
    // The other side of the same policy: 5xx are transient for a watch,
    // whatever x-should-retry says.
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto log = co_await ride_out(c, f, "no retry #get-fault:no-retry:1");
        auto r = log.all<hd::events::retrying>();
        REQUIRE(r.size() == 1);
        CHECK(r[0]->ec == hd::error::server_error);
        CHECK(r[0]->diag.status == 503);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch errors: a 403 ends the watch at once, a 408 is ridden out")
{
    // Neither is produced by the simulator for a GET: a canned server.
    canned_server s;
    s.push(403, "Forbidden", R"({"error":"permission_denied","message":"not yours"})");
    s.push(408, "Request Timeout", R"({"message":"too slow"})");
    s.fallback.body = R"({"task":{"id":"tsk_1","status":"completed"},"turns":[]})";
    hd::client_options co;
    co.base_url = s.url();
    co.api_key = "sk-watch";
    co.timeout = 5s;
    test_io ioc;
    hd::client c(ioc, co);
    auto body = [&]() -> asio::awaitable<void> {
        auto o = fast_watch();
        o.report_retrying = true;
        auto forbidden = c.watch("tsk_1", o);
        auto log = co_await collect(forbidden);
        CHECK(log.ec == hd::error::permission_denied);
        CHECK(log.diag.status == 403);
        CHECK(log.diag.server_message == "not yours");
        CHECK(log.events.empty());
        CHECK(s.requests().size() == 1);

        auto timed_out = c.watch("tsk_1", o);
        auto log2 = co_await collect(timed_out);
        CHECK_FALSE(log2.ec);
        REQUIRE(log2.events.size() == 3); // retrying, status, terminal
        auto* r = std::get_if<hd::events::retrying>(&log2.events[0].ev);
        REQUIRE(r);
        CHECK(r->ec == hd::error::unexpected_status);
        CHECK(r->diag.status == 408);
        REQUIRE(log2.terminal());
        CHECK(s.requests().size() == 3);
    };
    run(ioc, body(), 10s);
}

// --- deadline and stall timeout ---

TEST_CASE("watch errors: the deadline ends a watch of a pending task, the last snapshot kept")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "too slow #pending-ms:5000");
        auto o = fast_watch();
        o.deadline = 500ms;
        auto w = c.watch(id, o);
        stopwatch sw;
        auto log = co_await collect(w, &f);
        auto took = sw.ms();
        CHECK(log.ec == hd::error::timeout);
        CHECK(contains(log.diag.client_message, "deadline"));
        CHECK(contains(log.diag.client_message, "500 ms"));
        CHECK(took >= 500);
        CHECK(took < 1000);
        CHECK(log.events.size() == 2);
        CHECK(w.done());
        REQUIRE(w.snapshot());
        CHECK(w.snapshot()->task.id == id);
        CHECK(w.snapshot()->task.status == hd::task_status::pending);
        CHECK(w.snapshot()->turns.size() == 1);
        auto n = gets(f);
        auto again = co_await collect(w, &f);
        CHECK(again.ec == hd::error::timeout);
        CHECK(gets(f) == n);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch errors: the stall timeout ends a watch that sees no change")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "stuck #pending-ms:5000");
        auto o = fast_watch();
        o.stall_timeout = 400ms;
        auto w = c.watch(id, o);
        stopwatch sw;
        auto log = co_await collect(w, &f);
        auto took = sw.ms();
        CHECK(log.ec == hd::error::timeout);
        CHECK(contains(log.diag.client_message, "no change for 400 ms"));
        CHECK(took >= 400);
        CHECK(took < 900);
        CHECK(gets(f) >= 5);
        REQUIRE(w.snapshot());
        CHECK(w.snapshot()->task.status == hd::task_status::pending);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch errors: the stall timeout restarts with every change")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        // 4 turns of 200 ms, each with 2 text steps: a change every 100 ms,
        // for 800 ms in all; a 300 ms stall timeout never fires.
        auto id = co_await create(c, "busy #turns:4 #turn-ms:200");
        auto o = fast_watch();
        o.stall_timeout = 300ms;
        auto w = c.watch(id, o);
        auto log = co_await collect(w, &f);
        CHECK_FALSE(log.ec);
        REQUIRE(log.terminal());
        CHECK(log.terminal()->snapshot.turns.size() == 4);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch errors: async_wait past its deadline fails with timeout, the last snapshot with it")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "waited for #pending-ms:5000");
        auto o = fast_watch();
        o.deadline = 300ms;
        hd::diagnostics d;
        stopwatch sw;
        auto [ec, t] = co_await c.async_wait(id, o, d, asio::as_tuple(asio::use_awaitable));
        CHECK(sw.ms() < 800);
        CHECK(ec == hd::error::timeout);
        CHECK(contains(d.client_message, "deadline"));
        CHECK(t.task.id == id);
        CHECK(t.task.status == hd::task_status::pending);

        bool threw = false;
        try {
            co_await c.async_wait(id, o);
        } catch (const hd::api_error& e) {
            threw = true;
            CHECK(e.code() == hd::error::timeout);
        }
        CHECK(threw);

        // With room enough, the same call returns the final snapshot.
        auto id2 = co_await create(c, "quick");
        auto done = co_await c.async_wait(id2, fast_watch());
        CHECK(done.task.status == hd::task_status::completed);
        CHECK(done.turns.size() == 2);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch errors: the deadline holds while the shared budget delays the next GET")
{
    // One GET a second for all the watchers of the client, no burst: after
    // its first GET the watcher's next slot is a second away, past its
    // 300 ms deadline. The watch must end at the deadline, not after a GET
    // made once it has passed.
    sim_fixture f;
    auto co = f.copts;
    co.watch_rate = 1;
    co.watch_burst = 1;
    test_io ioc;
    hd::client c(ioc, co);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "slow budget #pending-ms:5000");
        auto o = fixed_watch(20ms);
        o.deadline = 300ms;
        auto w = c.watch(id, o);
        stopwatch sw;
        auto log = co_await collect(w, &f);
        auto took = sw.ms();
        CHECK(log.ec == hd::error::timeout);
        CHECK(took < 700);
        CHECK(gets(f) == 1);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch errors: the deadline holds while a GET hangs")
{
    // The GET stalls for 3 s; the client's attempt timeout is 10 s. The
    // watch's 500 ms deadline must end it, not the GET's own end.
    auto so = fast_sim();
    so.stall = 3s;
    sim_fixture f(so);
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "hangs #pending-ms:5000 #get-fault:stall:1");
        auto o = fast_watch();
        o.deadline = 500ms;
        auto w = c.watch(id, o);
        stopwatch sw;
        auto log = co_await collect(w, &f);
        auto took = sw.ms();
        CHECK(log.ec == hd::error::timeout);
        CHECK(contains(log.diag.client_message, "deadline"));
        CHECK(took < 1000);
    };
    run(ioc, body(), 20s);
}

// --- submit() ---

TEST_CASE("watch errors: submit refuses invalid params before any I/O")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    hd::create_task_params empty_input;
    CHECK_THROWS_AS(c.submit(empty_input), hd::api_error);
    try {
        c.submit(empty_input);
    } catch (const hd::api_error& e) {
        CHECK(e.code() == hd::error::invalid_argument);
        CHECK(e.diag().method == "POST");
        CHECK(contains(e.diag().client_message, "input"));
    }
    hd::create_task_params empty_id;
    empty_id.input = "fine";
    empty_id.task_id = "";
    CHECK_THROWS_AS(c.submit(empty_id), hd::api_error);
    hd::create_task_params empty_worker;
    empty_worker.input = "fine";
    empty_worker.worker_id = "";
    CHECK_THROWS_AS(c.submit(empty_worker), hd::api_error);
    CHECK_THROWS_AS(c.watch(""), hd::api_error);
    // Nothing was sent, even with the io_context run.
    ioc.run_for(100ms);
    CHECK(f.api_requests() == 0);
}

TEST_CASE("watch errors: a submit whose POST fails for good fails the watch with that error")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        // 503 with x-should-retry false: the create gives up at once, the task
        // is never created, and the watch (which sees 404s within its grace)
        // reports the POST's failure.
        hd::create_task_params p;
        p.input = "refused #fault:no-retry";
        auto w = c.submit(p, fast_watch());
        stopwatch sw;
        auto log = co_await collect(w, &f);
        CHECK(log.ec == hd::error::server_error);
        CHECK(log.diag.method == "POST");
        CHECK(log.diag.status == 503);
        CHECK(log.events.empty());
        CHECK(sw.ms() < 1000);
        CHECK(w.done());
        CHECK(f.stat("tasks_created") == 0);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch errors: a submit with a wrong key fails the watch with authentication")
{
    sim_fixture f;
    auto bad = f.copts;
    bad.api_key = "sk-wrong";
    test_io ioc;
    hd::client c(ioc, bad);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "never accepted";
        auto w = c.submit(p, fast_watch());
        auto log = co_await collect(w, &f);
        CHECK(log.ec == hd::error::authentication);
        CHECK(log.diag.status == 401);
        CHECK(log.events.empty());
        CHECK(f.stat("tasks_created") == 0);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch errors: submit sends its POST without a GET first")
{
    // submit() generates the task id itself: no task can have it yet, so
    // there is nothing to look up before the POST (async_create without a
    // taskId sends none either). Nobody calls async_next here, so every GET
    // the simulator sees comes from the submission.
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "just post it";
        auto w = c.submit(p, fast_watch());
        for (int i = 0; i < 100 && f.stat("posts") == 0; ++i)
            co_await sleep_for(10ms);
        co_await sleep_for(50ms);
        CHECK(f.stat("posts") == 1);
        CHECK(gets(f) == 0);
        // For comparison: async_create without a taskId sends no GET.
        auto before = gets(f);
        hd::create_task_params q;
        q.input = "created";
        co_await c.async_create(q);
        CHECK(gets(f) == before);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch errors: a submit's POST failure reaches a watch that sleeps between polls")
{
    // The POST meets a 429 (retry-after 1 s), is retried once, meets another
    // and fails for good about 1 s in. The watcher saw a 404 (within the
    // grace) at once and waits 2 s for its next poll. The waiting async_next
    // should report the POST's failure when it happens, not sit out the
    // whole interval first (with the default schedule that interval reaches
    // 15 s while the task is not visible).
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "refused twice #fault:429:2";
        hd::request_options ro;
        ro.max_retries = 1;
        auto w = c.submit(p, fixed_watch(2000ms), ro);
        stopwatch sw;
        auto log = co_await collect(w, &f);
        auto took = sw.ms();
        CHECK(log.ec == hd::error::rate_limited);
        CHECK(log.diag.method == "POST");
        CHECK(f.requests("POST /api/tasks", "429") == 2);
        CHECK(took >= 900);
        CHECK(took < 1600);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch errors: 404s while submit's own POST is still under way do not end the watch")
{
    // The POST meets a 429 with retry-after 1 s and succeeds on its retry,
    // so the task exists only after about 1 s; the watch's not_found_grace
    // is 300 ms. The grace is there for "a create still in flight": while
    // the watcher's own POST is known to be in flight, a 404 cannot mean
    // that the task is gone, and the watch should go on to the task's end.
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "accepted on the second try #fault:429:1";
        auto o = fast_watch();
        o.not_found_grace = 300ms;
        auto w = c.submit(p, o);
        auto log = co_await collect(w, &f);
        CHECK_FALSE(log.ec);
        INFO(log.diag.to_string(log.ec));
        REQUIRE(log.terminal());
        CHECK(log.terminal()->status == hd::task_status::completed);
        CHECK(f.requests("POST /api/tasks", "429") == 1);
    };
    run(ioc, body(), 20s);
    CHECK(f.stat("tasks_created") == 1);
}

TEST_CASE("watch errors: a submit whose response is lost is recovered, not resent, and watched to the end")
{
    auto so = fast_sim();
    so.create = hd::sim::create_mode::wait; // the POST answers at the run's end
    sim_fixture f(so);
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "lost answer #fault:lost";
        auto w = c.submit(p, fast_watch());
        auto log = co_await collect(w, &f);
        CHECK_FALSE(log.ec);
        REQUIRE(log.terminal());
        CHECK(log.terminal()->status == hd::task_status::completed);
        check_invariants(log);
    };
    run(ioc, body(), 20s);
    CHECK(f.stat("tasks_created") == 1);
    CHECK(f.stat("posts") == 1);
    CHECK(f.stat("duplicate_posts") == 0);
}
