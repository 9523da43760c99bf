// The request handling without sockets: exact statuses, messages and
// counters at chosen instants.
#include <handinger/sim/detail/service.hpp>

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include <chrono>

using namespace handinger::sim;
using namespace handinger::sim::detail;

namespace {

constexpr std::int64_t t0 = 1'700'000'000'000;

struct harness {
    service svc;
    http_response res;
    explicit harness(options o = {}) : svc(o) {}

    http_response& call(std::string_view method, std::string_view target, std::string_view body = {},
                        std::int64_t now = t0, std::string_view auth = "Bearer sk-sim-test")
    {
        svc.handle(http_request{method, target, auth, body, now, {}}, res);
        return res;
    }
    boost::json::value json() const { return boost::json::parse(res.body); }
    std::string header(std::string_view name) const
    {
        for (auto& [n, v] : res.headers)
            if (n == name)
                return v;
        return {};
    }
    std::int64_t stat_of(std::string_view a, std::string_view b = {}, std::string_view c = {})
    {
        auto s = svc.stats();
        const boost::json::value* v = s.if_contains(a);
        if (v && !b.empty())
            v = v->as_object().if_contains(b);
        if (v && !c.empty())
            v = v->as_object().if_contains(c);
        return v ? v->as_int64() : 0;
    }
};

} // namespace

TEST_CASE("service: 422 names each field rule, 400 for bad bodies")
{
    harness h;
    struct row {
        const char* body;
        const char* field;
        const char* message;
    };
    const row rows[] = {
        {R"({})", "input", "input: required"},
        {R"({"input":5})", "input", "input: must be a string"},
        {R"({"input":""})", "input", "input: must be at least 1 character"},
        {R"({"input":"x","budget":"huge"})", "budget",
         "budget: must be one of low, standard, high, unlimited"},
        {R"({"input":"x","budget":1})", "budget", "budget: must be one of low, standard, high, unlimited"},
        {R"({"input":"x","taskId":""})", "taskId", "taskId: must be at least 1 character"},
        {R"({"input":"x","taskId":7})", "taskId", "taskId: must be a string"},
        {R"({"input":"x","workerId":""})", "workerId", "workerId: must be at least 1 character"},
        {R"({"input":"x","workerId":null})", "workerId", "workerId: must be a string"},
    };
    for (const auto& r : rows) {
        INFO(r.body);
        h.call("POST", "/api/tasks", r.body);
        CHECK(h.res.status == 422);
        auto v = h.json();
        CHECK(v.at("error").as_string() == "validation_error");
        CHECK(v.at("field").as_string() == r.field);
        CHECK(v.at("message").as_string() == r.message);
    }
    h.call("POST", "/api/tasks", "{nope");
    CHECK(h.res.status == 400);
    CHECK(h.json().at("message").as_string() == "body: invalid JSON");
    h.call("POST", "/api/tasks", "[1]");
    CHECK(h.res.status == 400);
    for (const char* ok : {"low", "standard", "high", "unlimited"}) {
        h.call("POST", "/api/tasks", std::string(R"({"input":"x","budget":")") + ok + "\"}");
        CHECK(h.res.status == 200);
    }
    CHECK(h.stat_of("tasks_created") == 4);
    CHECK(h.stat_of("requests", "POST /api/tasks", "422") == 9);
}

TEST_CASE("service: auth, routes, methods")
{
    harness h;
    CHECK(h.call("GET", "/api/tasks/x", {}, t0, "").status == 401);
    CHECK(h.call("GET", "/api/tasks/x", {}, t0, "Bearer wrong").status == 401);
    CHECK(h.json().at("error").as_string() == "unauthorized");
    CHECK(h.call("GET", "/api/tasks/x", {}, t0, "bearer  sk-sim-test ").status == 404);
    CHECK(h.call("GET", "/api/tasks/tsk%2Fx").status == 404);
    CHECK(h.json().at("message").as_string() == "task tsk/x not found");
    CHECK(h.call("GET", "/api/tasks/a/b").status == 404);
    CHECK(h.call("GET", "/api/tasks/").status == 404);
    CHECK(h.call("GET", "/nope", {}, t0, "").status == 404);
    CHECK(h.call("GET", "/api/tasks").status == 405);
    CHECK(h.header("allow") == "POST");
    CHECK(h.call("PUT", "/api/tasks/x").status == 405);
    CHECK(h.call("POST", "/api/tasks/x/turns").status == 405);
    CHECK(h.call("GET", "/_sim/stats", {}, t0, "").status == 200);
    CHECK(h.call("POST", "/_sim/stats").status == 405);
    CHECK(h.stat_of("requests", "GET /api/tasks/{id}", "401") == 2);
}

TEST_CASE("service: follow-ups, conflicts, duplicates, archive")
{
    options o;
    o.other_keys = {"sk-other"};
    harness h(o);
    h.call("POST", "/api/tasks", R"({"input":"first","taskId":"tsk_a","workerId":"wrk_a"})");
    REQUIRE(h.res.status == 200);
    CHECK(h.header("x-sim-task-id") == "tsk_a");
    h.call("POST", "/api/tasks", R"({"input":"again","taskId":"tsk_a"})", t0 + 500);
    CHECK(h.res.status == 200);
    h.call("POST", "/api/tasks", R"({"input":"x","taskId":"tsk_a","workerId":"wrk_b"})", t0 + 600);
    CHECK(h.res.status == 409);
    CHECK(h.json().at("error").as_string() == "conflict");
    h.call("POST", "/api/tasks", R"({"input":"later","taskId":"tsk_a"})", t0 + 5000);
    CHECK(h.stat_of("tasks_created") == 1);
    CHECK(h.stat_of("followup_turns") == 2);
    CHECK(h.stat_of("duplicate_posts") == 1); // only the one 500 ms after the first
    CHECK(h.stat_of("posts") == 3);

    h.call("GET", "/api/tasks/tsk_a", {}, t0 + 100'000);
    auto v = h.json();
    auto& turns = v.at("turns").as_array();
    REQUIRE(turns.size() == 9);
    for (std::size_t i = 0; i < turns.size(); ++i)
        CHECK(turns[i].at("seq").as_int64() == static_cast<std::int64_t>(i + 1));
    CHECK(turns[3].at("input").as_string() == "again");
    CHECK(v.at("task").at("title").as_string() == "first");
    CHECK(v.at("task").at("workerId").as_string() == "wrk_a");

    CHECK(h.call("DELETE", "/api/tasks/tsk_a", {}, t0, "Bearer sk-other").status == 403);
    CHECK(h.call("DELETE", "/api/tasks/tsk_a").status == 200);
    CHECK(h.res.body == R"({"archived":true})");
    CHECK(h.call("DELETE", "/api/tasks/tsk_a").status == 200);
    CHECK(h.call("GET", "/api/tasks/tsk_a").status == 200);
    CHECK(h.call("DELETE", "/api/tasks/tsk_zz").status == 404);
}

TEST_CASE("service: #fault counts attempts per taskId and input, #get-fault counts GETs")
{
    harness h;
    const char* body = R"({"input":"go #fault:503:2","taskId":"tsk_f"})";
    CHECK(h.call("POST", "/api/tasks", body).status == 503);
    CHECK(h.call("POST", "/api/tasks", body).status == 503);
    CHECK(h.call("GET", "/api/tasks/tsk_f").status == 404); // nothing was created
    CHECK(h.call("POST", "/api/tasks", body).status == 200);
    CHECK(h.stat_of("faults", "503") == 2);

    CHECK(h.call("POST", "/api/tasks", R"({"input":"#fault:lost","taskId":"tsk_l"})").status == 200);
    CHECK(h.res.transport == fault_kind::lost);
    CHECK(h.call("GET", "/api/tasks/tsk_l").status == 200); // lost, but created
    CHECK(h.res.transport == fault_kind::none);

    h.call("POST", "/api/tasks", R"({"input":"#get-fault:429:2","taskId":"tsk_g"})");
    CHECK(h.call("GET", "/api/tasks/tsk_g").status == 429);
    CHECK(h.header("retry-after") == "1");
    CHECK(h.call("GET", "/api/tasks/tsk_g/turns").status == 429);
    CHECK(h.call("GET", "/api/tasks/tsk_g").status == 200);

    CHECK(h.call("POST", "/api/tasks", R"({"input":"#fault:no-retry"})").status == 503);
    CHECK(h.header("x-should-retry") == "false");
    CHECK(h.call("POST", "/api/tasks", R"({"input":"#fault:retry-true"})").status == 400);
    CHECK(h.header("x-should-retry") == "true");
    CHECK(h.call("POST", "/api/tasks", R"({"input":"#fault:reset"})").transport == fault_kind::reset);
    CHECK(h.stat_of("requests", "POST /api/tasks", "none") == 2); // lost and reset
}

TEST_CASE("service: percentage faults are deterministic for a seed and changeable at runtime")
{
    auto run = [](std::uint64_t seed) {
        options o;
        o.seed = seed;
        o.p429 = 30;
        o.p5xx = 30;
        harness h(o);
        std::string statuses;
        for (int i = 0; i < 40; ++i)
            statuses += std::to_string(h.call("GET", "/api/tasks/none").status) + ",";
        return statuses;
    };
    CHECK(run(3) == run(3));
    CHECK(run(3) != run(4));
    const std::string s = run(3);
    CHECK(s.find("429") != std::string::npos);
    CHECK(s.find("404") != std::string::npos);

    harness h;
    fault_options f;
    f.p_truncate = 100;
    h.svc.set_faults(f);
    h.call("GET", "/api/tasks/x");
    CHECK(h.res.transport == fault_kind::truncate);
    h.svc.set_faults({});
    h.call("GET", "/api/tasks/x");
    CHECK(h.res.transport == fault_kind::none);
    CHECK(h.call("GET", "/_sim/stats").transport == fault_kind::none); // not an /api route
}

TEST_CASE("service: rate limit, create mode wait, task-only shape")
{
    options o;
    o.rate_limit_rps = 2;
    o.create = create_mode::wait;
    o.shape = retrieve_shape::task_only;
    o.retry_after = retry_after_form::ms;
    harness h(o);
    CHECK(h.call("POST", "/api/tasks", R"({"input":"a"})").status == 200);
    CHECK(h.res.send_at_ms == t0 + 300 + 3 * 400);
    auto v = h.json();
    CHECK(v.at("status").as_string() == "completed");
    CHECK_FALSE(v.at("running").as_bool());
    CHECK(v.at("output_text").as_string().size() > 0);
    std::string id = h.header("x-sim-task-id");
    CHECK(h.call("POST", "/api/tasks", R"({"input":"b"})").status == 200);
    CHECK(h.call("POST", "/api/tasks", R"({"input":"c"})").status == 429);
    CHECK(h.header("retry-after-ms") == "500");
    CHECK(h.stat_of("rate_limited") == 1);
    CHECK(h.call("POST", "/api/tasks", R"({"input":"c"})", t0 + 600).status == 200);

    h.call("GET", "/api/tasks/" + id, {}, t0 + 10'000);
    v = h.json();
    CHECK(v.at("task").at("status").as_string() == "completed");
    CHECK_FALSE(v.as_object().contains("turns"));
    h.call("GET", "/api/tasks/" + id + "/turns", {}, t0 + 10'000);
    v = h.json();
    CHECK(v.at("taskId").as_string() == id);
    CHECK(v.at("items").as_array().size() == 3);
}

TEST_CASE("service: ten thousand tasks are cheap to hold and to read")
{
    harness h;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 10'000; ++i)
        REQUIRE(h.call("POST", "/api/tasks", R"({"input":"bulk"})", t0 + i).status == 200);
    const std::string id = h.header("x-sim-task-id");
    for (int i = 0; i < 1000; ++i)
        REQUIRE(h.call("GET", "/api/tasks/" + id, {}, t0 + 20'000).status == 200);
    CHECK(h.stat_of("tasks") == 10'000);
    // Generous: it takes tens of milliseconds; a per-task timer or scan would show.
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}
