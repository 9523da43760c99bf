// The simulator's Webhooks routes and its schedule of deliveries: without
// sockets (exact statuses, bodies, which task ends call for a delivery and
// when, the executions and counters), then once over TLS with curl, with a
// delivery to a port where nothing listens recorded as an error.
#include "loopback_port.hpp"
#include "service_harness.hpp"

#include <set>

using namespace handinger::sim;
using namespace handinger::sim::detail;

namespace {

using namespace sim_harness;

// A run with the default timings: pending 300 ms, then 3 turns of 400 ms.
constexpr std::int64_t run_ms = 300 + 3 * 400;

struct webhook_harness : sim_harness::harness {
    using sim_harness::harness::harness;

    // Sets worker `id`'s webhook URL; returns the answer's token.
    std::string set_url(const std::string& id, std::string_view url, std::int64_t now = t0)
    {
        call("PUT", "/api/workers/" + id + "/webhook", R"({"url":")" + std::string(url) + "\"}", owner, now);
        INFO(res.body);
        REQUIRE(res.status == 200);
        return str("token");
    }
    // The deliveries due at `now`; `next` says when the next one is.
    std::vector<delivery_job> due(std::int64_t now, std::optional<std::int64_t>* next = nullptr)
    {
        std::vector<delivery_job> out;
        auto n = svc.take_due(now, out);
        if (next)
            *next = n;
        return out;
    }
};

std::string url_of_length(std::size_t n)
{
    std::string u = "http://h/";
    u.resize(n, 'a');
    return u;
}

} // namespace

TEST_CASE("webhooks: none at first, the first URL makes a token, later ones keep it, null clears both")
{
    webhook_harness h;
    const std::string id = h.worker();
    const std::string path = "/api/workers/" + id + "/webhook";
    h.call("GET", path);
    CHECK(h.res.status == 200);
    CHECK(h.res.body == R"({"token":null,"url":null})");

    const std::string token = h.set_url(id, "http://127.0.0.1:9/a");
    CHECK(token.rfind("whk_", 0) == 0);
    CHECK(token.size() == 28);
    CHECK(h.str("url") == "http://127.0.0.1:9/a");
    CHECK(h.set_url(id, "https://example.com/b") == token);
    h.call("GET", path);
    CHECK(h.str("url") == "https://example.com/b");
    CHECK(h.str("token") == token);

    h.call("POST", path + "/regenerate-token");
    CHECK(h.res.status == 200);
    const std::string fresh = h.str("token");
    CHECK(fresh.rfind("whk_", 0) == 0);
    CHECK(fresh != token);
    CHECK(h.str("url") == "https://example.com/b");

    h.call("PUT", path, R"({"url":null})");
    CHECK(h.res.status == 200);
    CHECK(h.res.body == R"({"token":null,"url":null})");
    const std::string again = h.set_url(id, "http://127.0.0.1:9/c");
    CHECK(again != fresh); // a new token after clearing
    h.call("DELETE", path);
    CHECK(h.res.status == 200);
    CHECK(h.res.body == R"({"token":null,"url":null})");
    h.call("POST", path + "/regenerate-token");
    CHECK(h.res.status == 404);
    CHECK(h.str("message") == "worker " + id + " has no webhook");

    CHECK(h.stat({"requests", "GET /api/workers/{id}/webhook", "200"}) == 2);
    CHECK(h.stat({"requests", "PUT /api/workers/{id}/webhook", "200"}) == 4);
    CHECK(h.stat({"requests", "DELETE /api/workers/{id}/webhook", "200"}) == 1);
    CHECK(h.stat({"requests", "POST /api/workers/{id}/webhook/regenerate-token", "200"}) == 1);
    CHECK(h.stat({"requests", "POST /api/workers/{id}/webhook/regenerate-token", "404"}) == 1);
}

TEST_CASE("webhooks: the URL at its bound is set, one past it and a non-URI are 422, bad bodies 400")
{
    webhook_harness h;
    const std::string id = h.worker();
    const std::string path = "/api/workers/" + id + "/webhook";
    h.set_url(id, url_of_length(2048));
    CHECK(h.str("url").size() == 2048);
    struct row {
        std::string body, message;
    };
    const row rows[] = {
        {R"({"url":")" + url_of_length(2049) + "\"}", "url: must be at most 2048 characters"},
        {R"({"url":"/relative"})", "url: must be a URI"},
        {R"({"url":""})", "url: must be a URI"},
        {R"({"url":"http://exa mple.com"})", "url: must be a URI"},
        {R"({"url":5})", "url: must be a string or null"},
        {R"({"url":{"href":"http://h"}})", "url: must be a string or null"},
        {R"({})", "url: required"},
    };
    for (const auto& r : rows) {
        INFO(r.body.substr(0, 60));
        h.call("PUT", path, r.body);
        CHECK(h.res.status == 422);
        CHECK(h.str("error") == "validation_error");
        CHECK(h.str("field") == "url");
        CHECK(h.str("message") == r.message);
    }
    h.call("PUT", path, "{nope");
    CHECK(h.res.status == 400);
    h.call("PUT", path, R"(["http://h"])");
    CHECK(h.res.status == 400);
    h.call("GET", path);
    CHECK(h.str("url").size() == 2048); // unchanged by the refused ones
    CHECK(h.stat({"requests", "PUT /api/workers/{id}/webhook", "422"}) == 7);
}

TEST_CASE("webhooks: another key gets 403 on every route, unknown or deleted workers 404, wrong methods 405")
{
    webhook_harness h;
    const std::string id = h.worker();
    h.set_url(id, "http://127.0.0.1:9/");
    const std::string path = "/api/workers/" + id + "/webhook";
    struct op {
        const char* method;
        std::string target, body, verb;
    };
    const op ops[] = {
        {"GET", path, "", "read"},
        {"PUT", path, R"({"url":null})", "set"},
        {"DELETE", path, "", "clear"},
        {"POST", path + "/regenerate-token", "", "regenerate the token of"},
        {"GET", path + "/executions", "", "list the executions of"},
    };
    for (const auto& o : ops) {
        INFO(o.method << " " << o.target);
        h.call(o.method, o.target, o.body, other);
        CHECK(h.res.status == 403);
        CHECK(h.str("message") ==
              "only the key that created worker " + id + " may " + o.verb + " its webhook");
        h.call(o.method, "/api/workers/wrk_none/webhook" + o.target.substr(path.size()), o.body);
        CHECK(h.res.status == 404);
        CHECK(h.str("message") == "worker wrk_none not found");
    }
    h.call("GET", path);
    CHECK(h.str("url") == "http://127.0.0.1:9/"); // the other key changed nothing
    h.call("DELETE", "/api/workers/" + id);
    REQUIRE(h.res.status == 200);
    h.call("GET", path);
    CHECK(h.res.status == 404);

    const std::string id2 = h.worker();
    const std::string path2 = "/api/workers/" + id2 + "/webhook";
    h.call("POST", path2);
    CHECK(h.res.status == 405);
    h.call("GET", path2 + "/regenerate-token");
    CHECK(h.res.status == 405);
    h.call("POST", path2 + "/executions");
    CHECK(h.res.status == 405);
    h.call("GET", path2 + "/nothing");
    CHECK(h.res.status == 404);
    h.call("GET", "/api/tasks/tsk_1/turns/x");
    CHECK(h.res.status == 404);
    CHECK(h.stat({"requests", "GET /api/workers/{id}/webhook", "403"}) == 1);
    CHECK(h.stat({"requests", "GET /api/workers/{id}/webhook/executions", "403"}) == 1);
    CHECK(h.stat({"requests", "POST /api/workers/{id}/webhook/regenerate-token", "404"}) == 1);
}

TEST_CASE("webhooks: a delivery is due when the task finishes, plus the delay, with the token and body")
{
    auto o = two_keys();
    o.webhook_delay = std::chrono::milliseconds(250);
    webhook_harness h(o);
    const std::string id = h.worker();
    const std::string token = h.set_url(id, "http://127.0.0.1:9/hook?x=1");
    const std::string task = h.start(id, "#fail report");

    std::optional<std::int64_t> next;
    CHECK(h.due(t0 + run_ms + 249, &next).empty());
    CHECK(next == t0 + run_ms + 250);
    auto jobs = h.due(t0 + run_ms + 250, &next);
    REQUIRE(jobs.size() == 1);
    CHECK_FALSE(next);
    CHECK(jobs[0].url == "http://127.0.0.1:9/hook?x=1");
    CHECK(jobs[0].token == token);
    CHECK(jobs[0].worker_id == id);
    CHECK(jobs[0].task_id == task);
    CHECK(jobs[0].task_title == "#fail report");
    CHECK(jobs[0].body == R"({"event":"task.finished","taskId":")" + task + R"(","workerId":")" + id +
                              R"(","status":"error"})");
    CHECK(h.due(t0 + 100'000).empty()); // once
}

TEST_CASE("webhooks: a task a schedule starts is delivered when it finishes, as a created one is")
{
    webhook_harness h;
    const std::string id = h.worker();
    const std::string token = h.set_url(id, "http://127.0.0.1:9/hook");
    h.call("POST", "/api/workers/" + id + "/schedules",
           R"({"input":"look again","when":{"type":"delayed","delayInSeconds":5}})");
    REQUIRE(h.res.status == 200);
    CHECK(h.due(t0 + 100'000).empty()); // nothing has run yet

    const std::int64_t due = t0 + 5'000;                 // (one schedule second: 1000 ms)
    h.call("GET", "/api/workers/" + id, {}, owner, due); // the request runs what is due first
    REQUIRE(h.res.status == 200);
    CHECK(h.stat({"schedule_runs"}) == 1);
    std::optional<std::int64_t> next;
    CHECK(h.due(due + run_ms - 1, &next).empty());
    CHECK(next == due + run_ms);
    auto jobs = h.due(due + run_ms);
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].token == token);
    CHECK(jobs[0].worker_id == id);
    CHECK(jobs[0].body == R"({"event":"task.finished","taskId":")" + jobs[0].task_id + R"(","workerId":")" +
                              id + R"(","status":"completed"})");
}

TEST_CASE("webhooks: which task ends call for a delivery")
{
    webhook_harness h;
    const std::string id = h.worker();

    SUBCASE("none without a URL, nor for another worker's task")
    {
        h.task(id);
        const std::string id2 = h.worker();
        h.set_url(id2, "http://127.0.0.1:9/");
        h.task(id);
        CHECK(h.due(t0 + 100'000).empty());
    }
    SUBCASE("every final status: completed, error, aborted, a raw one")
    {
        h.set_url(id, "http://127.0.0.1:9/");
        h.start(id, "plain");
        h.start(id, "#fail");
        h.start(id, "#abort");
        h.start(id, "#status:paused");
        auto jobs = h.due(t0 + 100'000);
        REQUIRE(jobs.size() == 4);
        std::multiset<std::string> statuses;
        for (auto& j : jobs)
            statuses.insert(std::string(boost::json::parse(j.body).at("status").as_string()));
        CHECK(statuses == std::multiset<std::string>{"aborted", "completed", "error", "paused"});
    }
    SUBCASE("a follow-up posted before the run ends: one delivery, at the follow-up's end")
    {
        h.set_url(id, "http://127.0.0.1:9/");
        const std::string task = h.start(id, "first", t0, "tsk_follow");
        h.start(id, "second", t0 + 100, task);
        CHECK(h.due(t0 + run_ms).empty()); // the first run's end: the second goes on
        auto jobs = h.due(t0 + 2 * run_ms);
        REQUIRE(jobs.size() == 1);
        CHECK(jobs[0].task_id == task);
    }
    SUBCASE("a follow-up posted after the task finished: one delivery for each end")
    {
        h.set_url(id, "http://127.0.0.1:9/");
        const std::string task = h.start(id, "first", t0, "tsk_again");
        CHECK(h.due(t0 + run_ms).size() == 1);
        h.start(id, "second", t0 + 5000, task);
        CHECK(h.due(t0 + 5000 + run_ms).size() == 1);
    }
    SUBCASE("a URL set while the task runs counts; one set after it ended does not")
    {
        const std::string running = h.start(id, "a", t0);
        h.start(id, "b", t0 - 10'000); // ended before the URL
        h.set_url(id, "http://127.0.0.1:9/", t0 + 100);
        auto jobs = h.due(t0 + 100'000);
        REQUIRE(jobs.size() == 1);
        CHECK(jobs[0].task_id == running);
    }
    SUBCASE("set, cleared and set again while it runs: delivered once")
    {
        h.start(id, "a", t0);
        h.set_url(id, "http://127.0.0.1:9/", t0 + 10);
        h.call("PUT", "/api/workers/" + id + "/webhook", R"({"url":null})", owner, t0 + 20);
        h.set_url(id, "http://127.0.0.1:9/", t0 + 30);
        CHECK(h.due(t0 + 100'000).size() == 1);
    }
    SUBCASE("none when the URL was cleared before the end, or the worker deleted")
    {
        h.set_url(id, "http://127.0.0.1:9/");
        h.task(id);
        h.call("DELETE", "/api/workers/" + id + "/webhook");
        const std::string id2 = h.worker();
        h.set_url(id2, "http://127.0.0.1:9/");
        h.task(id2);
        h.call("DELETE", "/api/workers/" + id2);
        CHECK(h.due(t0 + 100'000).empty());
    }
    SUBCASE("the URL and token in force when it is due")
    {
        h.set_url(id, "http://127.0.0.1:9/old");
        h.task(id);
        h.set_url(id, "http://127.0.0.1:9/new");
        h.call("POST", "/api/workers/" + id + "/webhook/regenerate-token");
        const std::string token = h.str("token");
        auto jobs = h.due(t0 + 100'000);
        REQUIRE(jobs.size() == 1);
        CHECK(jobs[0].url == "http://127.0.0.1:9/new");
        CHECK(jobs[0].token == token);
    }
}

TEST_CASE("webhooks: the engine is woken only when a delivery is scheduled earlier than it sleeps")
{
    webhook_harness h;
    int wakes = 0;
    h.svc.set_wake([&] { ++wakes; });
    const std::string id = h.worker();
    h.set_url(id, "http://127.0.0.1:9/");
    h.start(id, "a", t0);
    CHECK(wakes == 1);
    std::optional<std::int64_t> next;
    CHECK(h.due(t0, &next).empty());
    CHECK(next == t0 + run_ms);
    h.start(id, "b", t0 + 10); // later: no wake
    CHECK(wakes == 1);
    h.start(id, "#turns:1 c", t0 - 1000); // earlier: wake
    CHECK(wakes == 2);
    h.svc.set_wake(nullptr);
    h.start(id, "#turns:0 d", t0 - 5000);
    CHECK(wakes == 2);
}

TEST_CASE("webhooks: executions are listed newest first, 50 a page, with their outcome")
{
    webhook_harness h;
    const std::string id = h.worker();
    const std::string path = "/api/workers/" + id + "/webhook/executions";
    h.call("GET", path);
    CHECK(h.res.status == 200);
    CHECK(h.res.body == R"({"logs":[],"page":1,"pageCount":0,"totalCount":0})");

    delivery_job job;
    job.url = "http://127.0.0.1:9/";
    job.worker_id = id;
    job.task_title = "T";
    for (int i = 0; i < 120; ++i) {
        job.task_id = "tsk_" + std::to_string(i);
        delivery_outcome out;
        out.started_ms = t0 + i * 10;
        out.ended_ms = out.started_ms + 3;
        if (i % 3 == 1)
            out.status = 500;
        else if (i % 3 == 2)
            out.error = "connect: Connection refused";
        else
            out.status = 204;
        h.svc.record_delivery(job, out);
    }
    CHECK(h.stat({"webhook_deliveries"}) == 120);
    CHECK(h.stat({"webhook_delivery_failures"}) == 80);

    std::vector<std::string> order;
    for (int page = 1; page <= 3; ++page) {
        h.call("GET", path + "?page=" + std::to_string(page));
        REQUIRE(h.res.status == 200);
        auto v = h.json().as_object();
        CHECK(v.at("page") == page);
        CHECK(v.at("pageCount") == 3);
        CHECK(v.at("totalCount") == 120);
        const auto& logs = v.at("logs").as_array();
        CHECK(logs.size() == (page < 3 ? 50u : 20u));
        for (const auto& l : logs)
            order.push_back(std::string(l.at("taskId").as_string()));
    }
    REQUIRE(order.size() == 120);
    for (int i = 0; i < 120; ++i)
        CHECK(order[static_cast<std::size_t>(i)] == "tsk_" + std::to_string(119 - i));

    h.call("GET", path + "?page=1");
    auto first = h.json().at("logs").at(0).as_object(); // tsk_119: 119 % 3 == 2, no answer
    CHECK(sim_test::str(first, "id").rfind("whx_", 0) == 0);
    CHECK(first.at("createdAt") == "2023-11-14T22:13:21.193Z");
    CHECK(first.at("durationMs") == 3);
    CHECK(first.at("requestStatus") == "error");
    CHECK(first.at("responseStatus").is_null());
    CHECK(first.at("errorMessage") == "connect: Connection refused");
    CHECK(first.at("taskTitle") == "T");
    CHECK(first.at("url") == "http://127.0.0.1:9/");
    CHECK(sim_test::str(first, "workerId") == id);
    auto second = h.json().at("logs").at(1).as_object(); // tsk_118: 500
    CHECK(second.at("requestStatus") == "error");
    CHECK(second.at("responseStatus") == 500);
    CHECK(second.at("errorMessage") == "the endpoint answered 500");
    auto third = h.json().at("logs").at(2).as_object(); // tsk_117: 204
    CHECK(third.at("requestStatus") == "success");
    CHECK(third.at("responseStatus") == 204);
    CHECK(third.at("errorMessage").is_null());

    h.call("GET", path + "?page=4");
    CHECK(h.res.status == 200);
    CHECK(h.json().at("logs").as_array().empty());
    for (std::string bad : {"0", "-1", "x", "1.5", "", "99999999999999999999"}) {
        INFO(bad);
        h.call("GET", path + "?page=" + bad);
        CHECK(h.res.status == 422);
        CHECK(h.str("field") == "page");
        CHECK(h.str("message") == "page: must be an integer of at least 1");
    }
    // The executions outlive the configuration.
    h.call("DELETE", "/api/workers/" + id + "/webhook");
    h.call("GET", path);
    CHECK(h.json().at("totalCount") == 120);
}

TEST_CASE("webhooks over TLS: the routes with curl, and a delivery nobody receives recorded as an error")
{
    test_support::unused_port nobody;
    REQUIRE(nobody.port() != 0);
    const std::string hook = nobody.url("/hook");

    options o;
    o.pending = std::chrono::milliseconds(10);
    o.turn = std::chrono::milliseconds(10);
    o.turns_per_task = 1;
    sim_test::fixture f(o);
    auto r = f.post("{}", "/api/workers");
    REQUIRE(r.status == 200);
    const std::string id = sim_test::str(r.json(), "id");
    r = f.curl(
        {.method = "PUT", .path = "/api/workers/" + id + "/webhook", .body = R"({"url":")" + hook + "\"}"});
    CHECK(r.status == 200);
    CHECK(sim_test::str(r.json(), "token").rfind("whk_", 0) == 0);
    const std::string task = f.create(R"({"input":"ping","workerId":")" + id + "\"}");
    CHECK(sim_test::eventually([&] { return sim_test::stat_of(f.stats(), {"webhook_deliveries"}) == 1; }));
    CHECK(sim_test::stat_of(f.stats(), {"webhook_delivery_failures"}) == 1);
    r = f.get("/api/workers/" + id + "/webhook/executions?page=1");
    CHECK(r.status == 200);
    auto v = r.json();
    REQUIRE(v.at("logs").as_array().size() == 1);
    const auto& e = v.at("logs").at(0);
    CHECK(e.at("requestStatus") == "error");
    CHECK(e.at("responseStatus").is_null());
    CHECK(sim_test::str(e, "errorMessage").rfind("connect: ", 0) == 0);
    CHECK(sim_test::str(e, "taskId") == task);
    CHECK(sim_test::str(e, "url") == hook);
    r = f.curl({.method = "POST", .path = "/api/workers/" + id + "/webhook/regenerate-token"});
    CHECK(r.status == 200);
    r = f.del("/api/workers/" + id + "/webhook");
    CHECK(r.status == 200);
    CHECK(r.body == R"({"token":null,"url":null})");
}
