// Validation before any I/O, every HTTP status to its error kind with the
// server's words in the diagnostics, the response size limit.
#include "client/support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;
using boost::system::error_code;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);

bool contains(const std::string& s, const std::string& part)
{
    return s.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("validation: bad create parameters and empty ids fail before any I/O")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        struct bad {
            hd::create_task_params p;
            std::string field;
        };
        std::vector<bad> cases;
        cases.push_back({{}, "input"});
        {
            hd::create_task_params p;
            p.input = "x";
            p.task_id = "";
            cases.push_back({p, "taskId"});
        }
        {
            hd::create_task_params p;
            p.input = "x";
            p.worker_id = "";
            cases.push_back({p, "workerId"});
        }
        {
            hd::create_task_params p;
            p.input = "x";
            p.budget = hd::open_enum<hd::task_budget>::from_string("huge");
            cases.push_back({p, "budget"});
        }
        for (auto& k : cases) {
            CAPTURE(k.field);
            hd::diagnostics d;
            auto [ec, r] = co_await c.async_create(k.p, d, tup);
            CHECK(ec == hd::error::invalid_argument);
            CHECK(d.attempts == 0);
            CHECK(d.status == 0);
            CHECK(d.method == "POST");
            CHECK(d.path == "/api/tasks");
            CHECK(contains(d.client_message, k.field));
            CHECK(r.task_id.empty());
            // The throwing form throws api_error with the same code.
            bool thrown = false;
            try {
                co_await c.async_create(k.p);
            } catch (const hd::api_error& e) {
                thrown = true;
                CHECK(e.code() == hd::error::invalid_argument);
                CHECK(contains(e.what(), k.field));
            }
            CHECK(thrown);
        }

        hd::diagnostics d;
        auto [e1, t] = co_await c.async_retrieve("", d, tup);
        CHECK(e1 == hd::error::invalid_argument);
        CHECK(d.method == "GET");
        CHECK(contains(d.client_message, "task_id"));
        auto [e2, a] = co_await c.async_archive("", d, tup);
        CHECK(e2 == hd::error::invalid_argument);
        CHECK(d.method == "DELETE");
        auto [e3, l] = co_await c.async_list_turns("", d, tup);
        CHECK(e3 == hd::error::invalid_argument);
        CHECK(contains(d.client_message, "task_id"));
        bool thrown = false;
        try {
            co_await c.async_retrieve("");
        } catch (const hd::api_error& e) {
            thrown = e.code() == hd::error::invalid_argument;
        }
        CHECK(thrown);
    };
    run(ioc, body(), 10s);
    CHECK(f.api_requests() == 0);
    CHECK(f.stat("connections_accepted") == 0);
    CHECK(c.stats().attempts == 0);
}

TEST_CASE("validation: text that is not UTF-8 is refused before I/O, not sent as invalid JSON")
{
    // JSON text must be UTF-8 (RFC 8259, API.md "bodies"). Boost.JSON writes
    // the bytes of a std::string as they are, so an input with a stray 0xFF
    // would go out as an unparseable body (the service answers 400).
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        std::vector<hd::create_task_params> cases(3);
        cases[0].input = "bad \xff\xfe bytes";
        cases[1].input = "ok";
        cases[1].task_id = "tsk_\xc3";
        cases[2].input = "ok";
        cases[2].worker_id = "wrk_\xed\xa0\x80"; // an encoded surrogate
        for (auto& p : cases) {
            hd::diagnostics d;
            auto [ec, r] = co_await c.async_create(p, d, tup);
            CHECK(ec == hd::error::invalid_argument);
            CHECK(d.attempts == 0);
        }
        // Valid UTF-8 beyond ASCII is fine.
        hd::create_task_params ok;
        ok.input = "naïve café ✓ 🚀";
        hd::diagnostics d;
        auto [ec, r] = co_await c.async_create(ok, d, tup);
        CHECK_FALSE(ec);
        auto t = co_await c.async_retrieve(r.task_id);
        CHECK(t.task.title == "naïve café ✓ 🚀");
    };
    run(ioc, body(), 10s);
    CHECK(f.requests("POST /api/tasks", "400") == 0);
    CHECK(f.requests("POST /api/tasks") == 1);
}

TEST_CASE("validation: a per-call timeout that is not positive, or negative retries, is invalid_argument")
{
    // The client's options refuse these at construction ("timeout must be
    // positive", "max_retries must not be negative"); the same values per
    // call should not silently make every attempt time out at once (and
    // retry), or mean "no retries".
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        std::vector<hd::request_options> cases(3);
        cases[0].timeout = 0ms;
        cases[1].timeout = -5ms;
        cases[2].max_retries = -1;
        for (auto& ro : cases) {
            hd::diagnostics d;
            stopwatch sw;
            auto [ec, t] = co_await c.async_retrieve("tsk_x", ro, d, tup);
            CHECK(ec == hd::error::invalid_argument);
            CHECK(d.attempts == 0);
            CHECK(sw.ms() < 200);
        }
    };
    run(ioc, body(), 15s);
    CHECK(f.stat("connections_accepted") == 0);
    CHECK(c.stats().attempts == 0);
}

TEST_CASE("validation: a header value with CR or LF is refused, not injected")
{
    // Header values go onto the wire verbatim, so "a\r\nConnection: close"
    // would add a header of the caller's making (and "\r\n\r\n" could
    // smuggle a second request). The client refuses such a value before any
    // I/O, as it refuses an API key with a control character.
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::request_options ro;
        ro.headers = {{"X-Tenant", "a\r\nConnection: close"}};
        hd::diagnostics d;
        auto [ec, t] = co_await c.async_retrieve("tsk_anything", ro, d, tup);
        CHECK(ec == hd::error::invalid_argument);
        auto [ec2, t2] = co_await c.async_retrieve("tsk_anything", ro, d, tup);
        CHECK(ec2 == hd::error::invalid_argument);
    };
    run(ioc, body(), 10s);
    // Had they been sent, each would have carried its own "Connection:
    // close" and needed a connection of its own.
    CHECK(f.api_requests() == 0);
    CHECK(f.stat("connections_accepted") == 0);

    auto bad = f.copts;
    bad.headers = {{"X-Tenant", "b\nX-Injected: 1"}};
    bool thrown = false;
    try {
        hd::client c2(ioc, bad);
    } catch (const hd::api_error& e) {
        thrown = e.code() == hd::error::invalid_argument;
    }
    CHECK(thrown);
}

TEST_CASE("diagnostics: a successful call of every operation reports method, path, status and attempts")
{
    // The error_code form writes the diagnostics before the handler runs;
    // for a success they say how the call went (e.g. that it took a retry).
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "diag on success #get-fault:503";
        hd::diagnostics d;
        auto [e1, cr] = co_await c.async_create(p, d, tup);
        REQUIRE_FALSE(e1);
        CHECK(d.method == "POST");
        CHECK(d.status == 200);
        CHECK(d.attempts == 1);
        const std::string path = "/api/tasks/" + cr.task_id;

        d = {};
        auto [e2, t] = co_await c.async_retrieve(cr.task_id, d, tup); // 503, then 200
        CHECK_FALSE(e2);
        CHECK(d.method == "GET");
        CHECK(d.path == path);
        CHECK(d.status == 200);
        CHECK(d.attempts == 2);

        d = {};
        auto [e3, l] = co_await c.async_list_turns(cr.task_id, d, tup);
        CHECK_FALSE(e3);
        CHECK(d.path == path + "/turns");
        CHECK(d.status == 200);
        CHECK(d.attempts == 1);

        d = {};
        auto [e4, a] = co_await c.async_archive(cr.task_id, d, tup);
        CHECK_FALSE(e4);
        CHECK(d.method == "DELETE");
        CHECK(d.path == path);
        CHECK(d.status == 200);
        CHECK(d.attempts == 1);
    };
    run(ioc, body(), 10s);
    CHECK(f.requests("GET /api/tasks/{id}", "503") == 1);
}

TEST_CASE("status 401: wrong API key is authentication, not retried, message kept")
{
    sim_fixture f;
    f.copts.api_key = "sk-not-the-key";
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::diagnostics d;
        auto [ec, t] = co_await c.async_retrieve("tsk_x", d, tup);
        CHECK(ec == hd::error::authentication);
        CHECK(d.status == 401);
        CHECK(d.server_message == "invalid API key");
        CHECK(d.method == "GET");
        CHECK(d.path == "/api/tasks/tsk_x");
        CHECK(d.attempts == 1);
        CHECK(contains(d.body_excerpt, "unauthorized"));
        hd::create_task_params hello;
        hello.input = "hello";
        try {
            co_await c.async_create(hello);
            FAIL("expected api_error");
        } catch (const hd::api_error& e) {
            CHECK(e.code() == hd::error::authentication);
            CHECK(e.status() == 401);
            CHECK(std::string(e.what()) == "POST /api/tasks: 401 authentication failed: invalid API key");
        }
    };
    run(ioc, body(), 10s);
    CHECK(f.requests("GET /api/tasks/{id}", "401") == 1);
    CHECK(f.requests("POST /api/tasks", "401") == 1);
    CHECK(f.stat("tasks_created") == 0);
}

TEST_CASE("status 403: archiving with another accepted key is permission_denied")
{
    auto o = fast_sim();
    o.other_keys = {"sk-sim-other"};
    sim_fixture f(o);
    test_io ioc;
    hd::client owner(ioc, f.copts);
    auto other_opts = f.copts;
    other_opts.api_key = "sk-sim-other";
    hd::client other(ioc, other_opts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create_task(owner, "owned");
        // The other key may read it...
        auto t = co_await other.async_retrieve(id);
        CHECK(t.task.id == id);
        // ...but not archive it.
        hd::diagnostics d;
        auto [ec, r] = co_await other.async_archive(id, d, tup);
        CHECK(ec == hd::error::permission_denied);
        CHECK(d.status == 403);
        CHECK(d.server_message == "only the key that created task " + id + " may archive it");
        CHECK(d.method == "DELETE");
        CHECK(d.path == "/api/tasks/" + id);
        CHECK(d.attempts == 1);
        try {
            co_await other.async_archive(id);
            FAIL("expected api_error");
        } catch (const hd::api_error& e) {
            CHECK(e.code() == hd::error::permission_denied);
            std::string w = e.what();
            CHECK(w == "DELETE /api/tasks/" + id + ": 403 permission denied: " + d.server_message);
        }
        auto ok = co_await owner.async_archive(id);
        CHECK(ok.archived);
    };
    run(ioc, body(), 10s);
    CHECK(f.requests("DELETE /api/tasks/{id}", "403") == 2);
    CHECK(f.requests("DELETE /api/tasks/{id}", "200") == 1);
}

TEST_CASE("status 404: unknown id is not_found for retrieve, list_turns and archive")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::diagnostics d;
        auto [ec, t] = co_await c.async_retrieve("tsk_00000000000000000000000000", d, tup);
        CHECK(ec == hd::error::not_found);
        CHECK(d.status == 404);
        CHECK(d.server_message == "task tsk_00000000000000000000000000 not found");
        CHECK(d.attempts == 1);
        // An id is one path segment: '/' and '?' are percent-encoded.
        auto [ec2, l] = co_await c.async_list_turns("a/b?c", d, tup);
        CHECK(ec2 == hd::error::not_found);
        CHECK(d.path == "/api/tasks/a%2Fb%3Fc/turns");
        CHECK(d.server_message == "task a/b?c not found");
        try {
            co_await c.async_archive("tsk_nope");
            FAIL("expected api_error");
        } catch (const hd::api_error& e) {
            CHECK(e.code() == hd::error::not_found);
            CHECK(std::string(e.what()) ==
                  "DELETE /api/tasks/tsk_nope: 404 not found: task tsk_nope not found");
        }
    };
    run(ioc, body(), 10s);
    CHECK(f.requests("GET /api/tasks/{id}", "404") == 1);
    CHECK(f.requests("GET /api/tasks/{id}/turns", "404") == 1);
    CHECK(f.requests("DELETE /api/tasks/{id}", "404") == 1);
}

TEST_CASE("status 409: a follow-up naming another worker is conflict")
{
    sim_fixture f;
    f.copts.max_retries = 1; // 409 is retried (as the SDKs do): keep it short
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "first";
        p.worker_id = "wrk_owner";
        auto cr = co_await c.async_create(p);
        auto t = co_await c.async_retrieve(cr.task_id);
        CHECK(t.task.worker_id == "wrk_owner");

        hd::create_task_params q;
        q.input = "second";
        q.task_id = cr.task_id;
        q.worker_id = "wrk_intruder";
        hd::diagnostics d;
        hd::request_options ro;
        ro.max_retries = 0;
        auto [ec, r] = co_await c.async_create(q, ro, d, tup);
        CHECK(ec == hd::error::conflict);
        CHECK(d.status == 409);
        CHECK(d.server_message == "task " + cr.task_id + " belongs to worker wrk_owner, not wrk_intruder");
        CHECK(d.method == "POST");
        CHECK(d.path == "/api/tasks");
        CHECK(d.attempts == 1);

        // With the client's retry (1): two attempts, then conflict.
        try {
            co_await c.async_create(q);
            FAIL("expected api_error");
        } catch (const hd::api_error& e) {
            CHECK(e.code() == hd::error::conflict);
            CHECK(e.diag().attempts == 2);
            CHECK(contains(e.what(), "409 conflict: task " + cr.task_id));
            CHECK(contains(e.what(), "(after 2 attempts)"));
        }
    };
    run(ioc, body(), 10s);
    CHECK(f.requests("POST /api/tasks", "409") == 3);
    CHECK(f.stat("followup_turns") == 0);
}

// 422: the simulator answers 422 only for a CreateTask that breaks the
// schema, and the client validates exactly those rules before sending, so a
// 422 cannot be reached through the client (see the validation test).

TEST_CASE("status 429: rate limit with retries exhausted is rate_limited")
{
    auto o = fast_sim();
    o.retry_after = hd::sim::retry_after_form::ms;
    o.retry_after_value = 50ms;
    sim_fixture f(o);
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "too many #fault:429:5";
        hd::diagnostics d;
        stopwatch sw;
        auto [ec, r] = co_await c.async_create(p, d, tup);
        CHECK(ec == hd::error::rate_limited);
        CHECK(d.status == 429);
        CHECK(d.server_message == "too many requests (simulated)");
        CHECK(d.attempts == 3);
        CHECK(sw.ms() >= 100); // two waits of 50 ms
        CHECK(sw.ms() < 2000);
    };
    run(ioc, body(), 10s);
    CHECK(f.requests("POST /api/tasks", "429") == 3);
    CHECK(f.stat("tasks_created") == 0);
}

TEST_CASE("status 429 from the simulator's rate limit, then success")
{
    auto o = fast_sim();
    o.rate_limit_rps = 2;
    o.retry_after = hd::sim::retry_after_form::ms;
    sim_fixture f(o);
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        int recovered_after_wait = 0;
        for (int i = 0; i < 3; ++i) {
            hd::diagnostics d;
            hd::create_task_params p;
            p.input = "burst " + std::to_string(i);
            auto [ec, r] = co_await c.async_create(p, d, tup);
            CHECK_FALSE(ec);
            if (d.attempts > 1)
                ++recovered_after_wait;
        }
        CHECK(recovered_after_wait == 1); // the third POST waited for a token
    };
    run(ioc, body(), 10s);
    CHECK(f.stat("rate_limited") == 1);
    CHECK(f.stat("tasks_created") == 3);
}

TEST_CASE("status 5xx with retries exhausted is server_error")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create_task(c, "broken #get-fault:503:5");
        hd::diagnostics d;
        hd::request_options ro;
        ro.max_retries = 1;
        auto [ec, t] = co_await c.async_retrieve(id, ro, d, tup);
        CHECK(ec == hd::error::server_error);
        CHECK(d.status == 503);
        CHECK(d.server_message == "simulated unavailability");
        CHECK(d.attempts == 2);
        CHECK(d.path == "/api/tasks/" + id);
        try {
            co_await c.async_list_turns(id, ro);
            FAIL("expected api_error");
        } catch (const hd::api_error& e) {
            CHECK(e.code() == hd::error::server_error);
            CHECK(std::string(e.what()) == "GET /api/tasks/" + id +
                                               "/turns: 503 server error: simulated unavailability (after 2 "
                                               "attempts)");
        }
    };
    run(ioc, body(), 10s);
    CHECK(f.faults("503") == 4);
}

TEST_CASE("x-should-retry: false is final after exactly one attempt")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "do not retry #fault:no-retry";
        hd::diagnostics d;
        auto [ec, r] = co_await c.async_create(p, d, tup);
        CHECK(ec == hd::error::server_error);
        CHECK(d.status == 503);
        CHECK(d.attempts == 1);
        CHECK(d.server_message == "simulated unavailability, not to be retried");
    };
    run(ioc, body(), 10s);
    CHECK(f.requests("POST /api/tasks", "503") == 1);
    CHECK(f.requests("GET /api/tasks/{id}") == 0); // no probe either: the server said no
    CHECK(f.stat("tasks_created") == 0);
}

TEST_CASE("x-should-retry: true makes a 400 retryable, then success")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "retry me #fault:retry-true";
        hd::diagnostics d;
        auto [ec, r] = co_await c.async_create(p, d, tup);
        CHECK_FALSE(ec);
        CHECK(d.attempts == 2);
        CHECK_FALSE(r.recovered);
    };
    run(ioc, body(), 10s);
    CHECK(f.requests("POST /api/tasks", "400") == 1);
    CHECK(f.requests("POST /api/tasks", "200") == 1);
    CHECK(f.stat("tasks_created") == 1);
    CHECK(f.stat("duplicate_posts") == 0);
}

TEST_CASE("max_body_size: a larger response is invalid_response, and the next call still works")
{
    sim_fixture f;
    test_io ioc;
    hd::client big(ioc, f.copts);
    auto small_opts = f.copts;
    small_opts.max_body_size = 100; // a retrieve is ~1 KB; {"archived":true} is 17 bytes
    hd::client c(ioc, small_opts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create_task(big, "size limit");
        f.sim.reset_stats();
        hd::diagnostics d;
        auto [ec, t] = co_await c.async_retrieve(id, d, tup);
        CHECK(ec == hd::error::invalid_response);
        CHECK(d.attempts == 1);
        CHECK(contains(d.client_message, "100 bytes"));
        auto [ec2, a] = co_await c.async_archive(id, d, tup);
        CHECK_FALSE(ec2);
        CHECK(a.archived);
    };
    run(ioc, body(), 10s);
    CHECK(f.requests("GET /api/tasks/{id}", "200") == 1); // not retried
    // The connection with the unread rest of the body was dropped.
    CHECK(f.stat("connections_accepted") == 2);
    CHECK(c.stats().connections_created == 2);
}

TEST_CASE("a base URL path prefix is applied to every request")
{
    sim_fixture f;
    f.copts.base_url = f.sim.url() + "/v9/";
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::diagnostics d;
        auto [ec, t] = co_await c.async_retrieve("tsk_1", d, tup);
        CHECK(ec == hd::error::not_found);
        CHECK(d.path == "/v9/api/tasks/tsk_1");
        CHECK(d.server_message == "no route for GET /v9/api/tasks/tsk_1");
    };
    run(ioc, body(), 10s);
    CHECK(f.requests("other", "404") == 1);
}
