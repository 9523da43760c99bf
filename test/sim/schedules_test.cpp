// The simulator's Schedules routes and runs: without sockets at chosen
// instants (exact statuses, bodies, counters, and which tasks the runs make
// when), then over TLS with curl, where the simulator's own timer starts the
// runs with no request to prompt it.
#include "service_harness.hpp"

#include <boost/json/serialize.hpp>

using namespace sim_harness;
using namespace std::chrono_literals;

namespace {

std::string schedules_path(const std::string& worker)
{
    return "/api/workers/" + worker + "/schedules";
}

struct sched_harness : harness {
    using harness::harness;

    // Makes a schedule on `worker` from `when` (a JSON object's text) and
    // returns the answer.
    boost::json::object schedule(const std::string& worker, std::string_view when,
                                 std::string_view input = "look again", std::string_view auth = owner,
                                 std::int64_t now = t0)
    {
        call("POST", schedules_path(worker),
             "{\"input\":\"" + std::string(input) + "\",\"when\":" + std::string(when) + "}", auth, now);
        INFO(res.body);
        REQUIRE(res.status == 200);
        return json().as_object();
    }
    // The ids of the worker's schedules, as listed at `now`.
    std::vector<std::string> listed(const std::string& worker, std::int64_t now = t0)
    {
        call("GET", schedules_path(worker), {}, owner, now);
        REQUIRE(res.status == 200);
        std::vector<std::string> ids;
        const auto v = json();
        for (const auto& s : v.at("schedules").as_array())
            ids.emplace_back(s.at("id").as_string());
        return ids;
    }
    // The worker's latest task as retrieved at `now` (null when it has none);
    // its turns stay in json().
    boost::json::value latest_task(const std::string& worker, std::int64_t now)
    {
        call("GET", "/api/workers/" + worker, {}, owner, now);
        if (res.status == 404)
            return nullptr;
        REQUIRE(res.status == 200);
        const std::string task_id = header("x-sim-task-id"); // (the run does not name its task)
        call("GET", "/api/tasks/" + task_id, {}, owner, now);
        REQUIRE(res.status == 200);
        return json().at("task");
    }
};

} // namespace

TEST_CASE("schedules: create answers each variant with its next run")
{
    sched_harness h;
    const std::string w = h.worker();
    // t0 is 2023-11-14T22:13:20.000Z; one schedule second is 1000 ms.
    auto s = h.schedule(w, R"({"type":"delayed","delayInSeconds":60})");
    CHECK(std::string(s.at("id").as_string()).rfind("sch_", 0) == 0);
    CHECK(s.at("type") == "delayed");
    CHECK(s.at("input") == "look again");
    CHECK(s.at("budget") == "standard");
    CHECK(s.at("nextRunAt") == "2023-11-14T22:14:20.000Z");
    CHECK(s.at("delayInSeconds") == 60);
    CHECK(s.size() == 6);

    s = h.schedule(w, R"({"type":"interval","intervalSeconds":3600})");
    CHECK(s.at("nextRunAt") == "2023-11-14T23:13:20.000Z");
    CHECK(s.at("intervalSeconds") == 3600);

    s = h.schedule(w, R"({"type":"cron","cron":"0 9 * * *"})");
    CHECK(s.at("nextRunAt") == "2023-11-15T09:00:00.000Z");
    CHECK(s.at("cron") == "0 9 * * *");
    CHECK_FALSE(s.contains("timezone"));
    s = h.schedule(w, R"({"type":"cron","cron":"30 23 * * *","timezone":"UTC"})");
    CHECK(s.at("nextRunAt") == "2023-11-14T23:30:00.000Z");
    CHECK(s.at("timezone") == "UTC");

    s = h.schedule(w, R"({"type":"scheduled","date":"2030-01-01T00:00:00+01:00"})");
    CHECK(s.at("nextRunAt") == "2029-12-31T23:00:00.000Z");
    CHECK(s.at("date") == "2030-01-01T00:00:00+01:00"); // as given

    h.call("POST", schedules_path(w),
           R"({"input":"x","when":{"type":"delayed","delayInSeconds":5},"budget":"high"})");
    CHECK(h.str("budget") == "high");

    CHECK(h.listed(w).size() == 6);
    CHECK(h.stat({"schedules_created"}) == 6);
    CHECK(h.stat({"schedules"}) == 6);
    CHECK(h.stat({"requests", "POST /api/workers/{id}/schedules", "200"}) == 6);
    CHECK(h.stat({"requests", "GET /api/workers/{id}/schedules", "200"}) == 1);
}

TEST_CASE("schedules: the list is the worker's, in the order made, with its workerId")
{
    sched_harness h;
    const std::string w1 = h.worker(), w2 = h.worker();
    CHECK(h.listed(w1).empty());
    CHECK(h.res.body == R"({"schedules":[],"workerId":")" + w1 + "\"}");
    const std::string a(h.schedule(w1, R"({"type":"delayed","delayInSeconds":5})").at("id").as_string());
    const std::string b(h.schedule(w2, R"({"type":"delayed","delayInSeconds":5})").at("id").as_string());
    const std::string c(h.schedule(w1, R"({"type":"interval","intervalSeconds":5})").at("id").as_string());
    CHECK(h.listed(w1) == std::vector<std::string>{a, c});
    CHECK(h.listed(w2) == std::vector<std::string>{b});
    CHECK(h.str("workerId") == w2);
}

TEST_CASE("schedules: each limit at its bound is accepted, one past it is 422 naming the field")
{
    sched_harness h;
    const std::string w = h.worker();
    for (std::string_view field : {"delayInSeconds", "intervalSeconds"}) {
        const std::string type = field == "delayInSeconds" ? "delayed" : "interval";
        const std::string name(field);
        INFO(name);
        auto when = [&](std::string_view n) {
            return R"({"type":")" + type + R"(",")" + name + "\":" + std::string(n) + "}";
        };
        h.schedule(w, when("1"));
        h.schedule(w, when("31536000"));
        h.schedule(w, when("60.0")); // an integral number
        for (std::string_view bad : {"0", "31536001", "-1"}) {
            h.call("POST", schedules_path(w), R"({"input":"x","when":)" + when(bad) + "}");
            CHECK(h.res.status == 422);
            CHECK(h.str("error") == "validation_error");
            CHECK(h.str("field") == "when." + name);
            CHECK(h.str("message") == "when." + name + ": must be between 1 and 31536000");
        }
        for (std::string_view bad : {"1.5", "\"60\"", "null"}) {
            h.call("POST", schedules_path(w), R"({"input":"x","when":)" + when(bad) + "}");
            CHECK(h.res.status == 422);
            CHECK(h.str("message") == "when." + name + ": must be an integer");
        }
    }
    CHECK(h.stat({"schedules_created"}) == 6);
    CHECK(h.stat({"requests", "POST /api/workers/{id}/schedules", "422"}) == 12);
}

TEST_CASE("schedules: every malformed body is refused with its field and problem")
{
    sched_harness h;
    const std::string w = h.worker();
    struct row {
        std::string_view body;
        int status;
        std::string_view field, message;
    };
    const row rows[] = {
        {"{", 400, "", "body: invalid JSON"},
        {"[]", 400, "", "body: must be a JSON object"},
        {R"({"when":{"type":"delayed","delayInSeconds":5}})", 422, "input", "input: required"},
        {R"({"input":"","when":{"type":"delayed","delayInSeconds":5}})", 422, "input",
         "input: must be at least 1 character"},
        {R"({"input":5,"when":{"type":"delayed","delayInSeconds":5}})", 422, "input",
         "input: must be a string"},
        {R"({"input":"x"})", 422, "when", "when: required"},
        {R"({"input":"x","when":"daily"})", 422, "when", "when: must be an object"},
        {R"({"input":"x","when":{}})", 422, "when.type", "when.type: required"},
        {R"({"input":"x","when":{"type":"weekly"}})", 422, "when.type",
         "when.type: must be one of scheduled, delayed, cron, interval"},
        {R"({"input":"x","when":{"type":"delayed"}})", 422, "when.delayInSeconds",
         "when.delayInSeconds: required"},
        {R"({"input":"x","when":{"type":"cron"}})", 422, "when.cron", "when.cron: required"},
        {R"({"input":"x","when":{"type":"cron","cron":""}})", 422, "when.cron",
         "when.cron: must be at least 1 character"},
        {R"({"input":"x","when":{"type":"cron","cron":"* 24 * * *"}})", 422, "when.cron",
         "when.cron: hour: 24 is out of range 0-23"},
        {R"({"input":"x","when":{"type":"cron","cron":"0 0 31 2 *"}})", 422, "when.cron",
         "when.cron: no month given has one of the days of the month given, so it never runs"},
        {R"({"input":"x","when":{"type":"cron","cron":"@daily"}})", 422, "when.cron",
         "when.cron: expected 5 fields separated by spaces, got 1"},
        {R"({"input":"x","when":{"type":"cron","cron":"0 9 * * *","timezone":"Europe/Paris"}})", 422,
         "when.timezone", "when.timezone: the simulator evaluates cron in UTC only (UTC, Etc/UTC)"},
        {R"({"input":"x","when":{"type":"cron","cron":"0 9 * * *","timezone":3}})", 422, "when.timezone",
         "when.timezone: must be a string"},
        {R"({"input":"x","when":{"type":"scheduled"}})", 422, "when.date", "when.date: required"},
        {R"({"input":"x","when":{"type":"scheduled","date":"2030-01-01"}})", 422, "when.date",
         "when.date: must be an RFC 3339 date-time"},
        {R"({"input":"x","when":{"type":"scheduled","date":"2030-02-30T00:00:00Z"}})", 422, "when.date",
         "when.date: must be an RFC 3339 date-time"},
        {R"({"input":"x","when":{"type":"delayed","delayInSeconds":5},"budget":"huge"})", 422, "budget",
         "budget: must be one of low, standard, high, unlimited"},
    };
    for (const auto& r : rows) {
        INFO(r.body);
        h.call("POST", schedules_path(w), r.body);
        CHECK(h.res.status == r.status);
        CHECK(h.str("message") == r.message);
        if (!r.field.empty())
            CHECK(h.str("field") == r.field);
    }
    CHECK(h.stat({"schedules_created"}) == 0);
    CHECK(h.listed(w).empty());
}

TEST_CASE("schedules: unknown and deleted workers are 404, another key's private worker 403")
{
    sched_harness h;
    constexpr std::string_view when = R"({"input":"x","when":{"type":"delayed","delayInSeconds":5}})";
    // A worker the simulator has not made (a task's create would adopt it).
    for (const char* method : {"POST", "GET"}) {
        h.call(method, schedules_path("wrk_nobody"), when);
        CHECK(h.res.status == 404);
        CHECK(h.str("message") == "worker wrk_nobody not found");
    }
    h.call("DELETE", schedules_path("wrk_nobody") + "/sch_1");
    CHECK(h.res.status == 404);

    const std::string priv = h.worker(R"({"visibility":"private"})");
    const std::string sch(h.schedule(priv, R"({"type":"delayed","delayInSeconds":5})").at("id").as_string());
    h.call("POST", schedules_path(priv), when, other);
    CHECK(h.res.status == 403);
    CHECK(h.str("message") == "no access to worker " + priv);
    h.call("GET", schedules_path(priv), {}, other);
    CHECK(h.res.status == 403);
    h.call("DELETE", schedules_path(priv) + "/" + sch, {}, other);
    CHECK(h.res.status == 403);

    h.call("DELETE", "/api/workers/" + priv);
    REQUIRE(h.res.status == 200);
    h.call("GET", schedules_path(priv));
    CHECK(h.res.status == 404);
    h.call("POST", schedules_path(priv), when);
    CHECK(h.res.status == 404);
    CHECK(h.stat({"requests", "POST /api/workers/{id}/schedules", "403"}) == 1);
    CHECK(h.stat({"requests", "GET /api/workers/{id}/schedules", "404"}) == 2);
    CHECK(h.stat({"requests", "DELETE /api/workers/{id}/schedules/{scheduleId}", "403"}) == 1);
}

TEST_CASE("schedules: cancel is the creating key's, and a cancelled schedule is gone")
{
    sched_harness h;
    const std::string w = h.worker(); // public: the other key may schedule on it
    const std::string mine(h.schedule(w, R"({"type":"interval","intervalSeconds":5})").at("id").as_string());
    const std::string theirs(
        h.schedule(w, R"({"type":"interval","intervalSeconds":5})", "theirs", other).at("id").as_string());
    CHECK(h.listed(w) == std::vector<std::string>{mine, theirs}); // every key's

    h.call("DELETE", schedules_path(w) + "/" + theirs);
    CHECK(h.res.status == 403);
    CHECK(h.str("message") == "only the key that created schedule " + theirs + " may cancel it");
    h.call("DELETE", schedules_path(w) + "/" + mine, {}, other);
    CHECK(h.res.status == 403);

    h.call("DELETE", schedules_path(w) + "/" + mine);
    CHECK(h.res.status == 200);
    CHECK(h.res.body == R"({"cancelled":true})");
    CHECK(h.listed(w) == std::vector<std::string>{theirs});
    h.call("DELETE", schedules_path(w) + "/" + mine);
    CHECK(h.res.status == 404);
    CHECK(h.str("message") == "schedule " + mine + " not found for worker " + w);
    // A schedule is found under its own worker only.
    const std::string w2 = h.worker(R"({})", other);
    h.call("DELETE", schedules_path(w2) + "/" + theirs, {}, other);
    CHECK(h.res.status == 404);
    h.call("DELETE", schedules_path(w) + "/" + theirs, {}, other);
    CHECK(h.res.status == 200);
    CHECK(h.stat({"schedules_cancelled"}) == 2);
    CHECK(h.stat({"schedules"}) == 0);
    CHECK(h.stat({"requests", "DELETE /api/workers/{id}/schedules/{scheduleId}", "200"}) == 2);
    CHECK(h.stat({"requests", "DELETE /api/workers/{id}/schedules/{scheduleId}", "404"}) == 2);
}

TEST_CASE("schedules: a delayed schedule runs once at its time, as a task of the worker, then leaves")
{
    sched_harness h;
    const std::string w = h.worker();
    const std::string sch(
        h.schedule(w, R"({"type":"delayed","delayInSeconds":60})", "brief me #turns:1").at("id").as_string());
    CHECK(h.latest_task(w, t0 + 59'999).is_null()); // not yet
    CHECK(h.listed(w, t0 + 59'999) == std::vector<std::string>{sch});
    CHECK(h.stat({"schedule_runs"}) == 0);

    auto task = h.latest_task(w, t0 + 60'000);
    REQUIRE(task.is_object());
    CHECK(task.at("triggeredBy") == "schedule");
    CHECK(task.at("createdAt") == "2023-11-14T22:14:20.000Z"); // its due time
    CHECK(task.at("workerId").as_string() == w);
    CHECK(task.at("title") == "brief me #turns:1");
    CHECK(task.at("status") == "pending");
    CHECK(h.json().at("turns").as_array().size() == 1);
    CHECK(h.stat({"schedule_runs"}) == 1);
    CHECK(h.stat({"tasks_created"}) == 0); // (POST /api/tasks only)
    // Once run, it is gone: neither listed nor cancellable.
    CHECK(h.listed(w, t0 + 60'001).empty());
    h.call("DELETE", schedules_path(w) + "/" + sch, {}, owner, t0 + 60'001);
    CHECK(h.res.status == 404);
    h.latest_task(w, t0 + 10'000'000);
    CHECK(h.stat({"schedule_runs"}) == 1);
    CHECK(h.stat({"tasks"}) == 1);
}

TEST_CASE("schedules: a run found late is made at its due time, whenever the simulator looks")
{
    sched_harness h;
    const std::string w = h.worker();
    h.schedule(w, R"({"type":"delayed","delayInSeconds":60})");
    // Asked an hour later: the task was made at t0 + 60 s and has run its course.
    auto task = h.latest_task(w, t0 + 3'600'000);
    CHECK(task.at("createdAt") == "2023-11-14T22:14:20.000Z");
    CHECK(task.at("status") == "completed");
}

TEST_CASE("schedules: an interval schedule runs at every interval, and stays")
{
    sched_harness h;
    const std::string w = h.worker();
    auto s = h.schedule(w, R"({"type":"interval","intervalSeconds":10})");
    const std::string sch(s.at("id").as_string());
    // Nothing at t0 + 9.999 s; three runs by t0 + 35 s, each at its own time.
    h.listed(w, t0 + 9'999);
    CHECK(h.stat({"schedule_runs"}) == 0);
    CHECK(h.latest_task(w, t0 + 35'000).at("createdAt") == "2023-11-14T22:13:50.000Z");
    CHECK(h.stat({"schedule_runs"}) == 3);
    CHECK(h.stat({"tasks"}) == 3);
    h.call("GET", schedules_path(w), {}, owner, t0 + 35'000);
    REQUIRE(h.json().at("schedules").as_array().size() == 1);
    CHECK(h.json().at("schedules").at(0).at("nextRunAt") == "2023-11-14T22:14:00.000Z");
    // Cancelled: no more runs.
    h.call("DELETE", schedules_path(w) + "/" + sch, {}, owner, t0 + 35'000);
    CHECK(h.res.status == 200);
    h.listed(w, t0 + 100'000);
    CHECK(h.stat({"schedule_runs"}) == 3);
}

TEST_CASE("schedules: a schedule late by many runs makes 100 and skips the rest")
{
    sched_harness h;
    const std::string w = h.worker();
    h.schedule(w, R"({"type":"interval","intervalSeconds":1})");
    h.call("GET", schedules_path(w), {}, owner, t0 + 1'000'500);
    CHECK(h.stat({"schedule_runs"}) == 100);
    // The next run comes one interval after the simulator looked.
    CHECK(h.json().at("schedules").at(0).at("nextRunAt") == "2023-11-14T22:30:01.500Z");
}

TEST_CASE("schedules: a cron schedule runs at each match, in UTC, and a past date runs at once")
{
    sched_harness h;
    const std::string w = h.worker();
    auto s = h.schedule(w, R"({"type":"cron","cron":"* * * * *"})");
    CHECK(s.at("nextRunAt") == "2023-11-14T22:14:00.000Z");
    // Two minutes on (22:15:20): runs at 22:14 and 22:15, the next at 22:16.
    CHECK(h.latest_task(w, t0 + 120'000).at("createdAt") == "2023-11-14T22:15:00.000Z");
    CHECK(h.stat({"schedule_runs"}) == 2);
    h.call("GET", schedules_path(w), {}, owner, t0 + 120'000);
    CHECK(h.json().at("schedules").at(0).at("nextRunAt") == "2023-11-14T22:16:00.000Z");

    const std::string w2 = h.worker();
    s = h.schedule(w2, R"({"type":"scheduled","date":"2020-01-01T00:00:00Z"})");
    CHECK(s.at("nextRunAt") == "2020-01-01T00:00:00.000Z");
    CHECK(h.latest_task(w2, t0).at("triggeredBy") == "schedule");
    CHECK(h.listed(w2).empty());
}

TEST_CASE("schedules: a run is the creating key's task, and a deleted worker's schedules end")
{
    sched_harness h;
    const std::string w = h.worker();
    h.schedule(w, R"({"type":"delayed","delayInSeconds":1})", "theirs", other);
    auto task = h.latest_task(w, t0 + 1'000);
    const std::string id(task.at("id").as_string());
    h.call("DELETE", "/api/tasks/" + id, {}, owner, t0 + 1'000);
    CHECK(h.res.status == 403); // the worker's owner did not make it
    h.call("DELETE", "/api/tasks/" + id, {}, other, t0 + 1'000);
    CHECK(h.res.status == 200);

    h.schedule(w, R"({"type":"interval","intervalSeconds":1})", "x", owner, t0 + 1'000);
    h.call("DELETE", "/api/workers/" + w, {}, owner, t0 + 1'000);
    REQUIRE(h.res.status == 200);
    h.call("GET", "/_sim/stats", {}, owner, t0 + 60'000);
    CHECK(h.stat({"schedule_runs"}) == 1);
    CHECK(h.stat({"schedules"}) == 0);
}

TEST_CASE("schedules: fire_due says when the next run is due")
{
    options o = two_keys();
    o.schedule_second = std::chrono::milliseconds(10);
    sched_harness h(o);
    CHECK_FALSE(h.svc.fire_due(t0));
    const std::string w = h.worker();
    h.schedule(w, R"({"type":"interval","intervalSeconds":5})"); // 50 ms
    h.schedule(w, R"({"type":"delayed","delayInSeconds":3})");   // 30 ms
    CHECK(h.svc.fire_due(t0) == t0 + 30);
    CHECK(h.svc.fire_due(t0 + 30) == t0 + 50);
    CHECK(h.stat({"schedule_runs"}) == 1);
    CHECK(h.svc.fire_due(t0 + 50) == t0 + 100);
    CHECK(h.stat({"schedule_runs"}) == 2);
}

TEST_CASE("schedules: unknown paths are 404, wrong methods 405 with allow")
{
    sched_harness h;
    h.check_routes({
        {"PUT", "/api/workers/wrk_1/schedules", 405, "GET, POST"},
        {"GET", "/api/workers/wrk_1/schedules/sch_1", 405, "DELETE"},
        {"DELETE", "/api/workers/wrk_1/schedules/", 404, ""},
        {"DELETE", "/api/workers/wrk_1/schedules/sch_1/x", 404, ""},
        {"GET", "/api/workers/wrk_1/email/x", 404, ""},
        {"GET", "/api/tasks/tsk_1/turns/x", 404, ""},
    });
    h.call("GET", "/api/workers/wrk_1/schedules", {}, "Bearer wrong");
    CHECK(h.res.status == 401);
    CHECK(h.stat({"requests", "GET /api/workers/{id}/schedules", "401"}) == 1);
}

TEST_CASE("tls: schedules over HTTPS, and the simulator's timer starts the runs without a request")
{
    options o;
    o.schedule_second = std::chrono::milliseconds(1);
    sim_test::fixture f(o);
    auto r = f.post("{}", "/api/workers");
    REQUIRE(r.status == 200);
    const std::string w = sim_test::str(r.json(), "id");
    r = f.post(R"({"input":"tick #turns:1","when":{"type":"interval","intervalSeconds":20}})",
               schedules_path(w));
    INFO(r.body);
    REQUIRE(r.status == 200);
    const std::string sch = sim_test::str(r.json(), "id");
    // stats() is no request: the runs it counts are the timer's.
    CHECK(
        sim_test::eventually([&] { return sim_test::stat_of(f.stats(), {"schedule_runs"}) >= 3; }, 10s, 5ms));
    r = f.get(schedules_path(w));
    CHECK(r.status == 200);
    CHECK(r.json().at("schedules").at(0).at("id").as_string() == sch);
    r = f.del(schedules_path(w) + "/" + sch);
    CHECK(r.status == 200);
    CHECK(r.body == R"({"cancelled":true})");
    const auto runs = sim_test::stat_of(f.stats(), {"schedule_runs"});
    r = f.get(schedules_path(w));
    CHECK(r.body == R"({"schedules":[],"workerId":")" + w + "\"}");
    CHECK(sim_test::stat_of(f.stats(), {"schedule_runs"}) == runs); // none after the cancel
    // A schedule far off leaves the timer waiting: stop() still returns.
    r = f.post(R"({"input":"later","when":{"type":"delayed","delayInSeconds":31536000}})", schedules_path(w));
    CHECK(r.status == 200);
    f.sim().stop();
}
