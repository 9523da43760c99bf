// Every fault kind as curl meets it over TLS.
#include "sim_test_util.hpp"

using namespace sim_test;

TEST_CASE("faults: 429 carries retry-after in each form")
{
    fixture f;
    sim::fault_options fo;
    fo.p429 = 100;
    fo.retry_after_value = 1500ms;

    fo.retry_after = sim::retry_after_form::ms;
    f.sim().set_faults(fo);
    auto r = f.get("/api/tasks/x");
    CHECK(r.status == 429);
    CHECK(str(r.json(), "error") == "rate_limited");
    CHECK(r.header("retry-after-ms") == "1500");
    CHECK(r.header("retry-after") == "");

    fo.retry_after = sim::retry_after_form::seconds;
    f.sim().set_faults(fo);
    r = f.get("/api/tasks/x");
    CHECK(r.header("retry-after") == "2");

    fo.retry_after = sim::retry_after_form::http_date;
    f.sim().set_faults(fo);
    r = f.get("/api/tasks/x");
    const std::string date = r.header("retry-after");
    CHECK(date.size() == 29); // "Tue, 14 Nov 2023 22:13:20 GMT"
    CHECK(date.substr(date.size() - 4) == " GMT");

    fo.retry_after = sim::retry_after_form::none;
    f.sim().set_faults(fo);
    r = f.get("/api/tasks/x");
    CHECK(r.status == 429);
    CHECK(r.header("retry-after") == "");
    CHECK(r.header("retry-after-ms") == "");
    CHECK(stat_of(f.stats(), {"faults", "429"}) == 4);

    f.sim().set_faults({});
    CHECK(f.get("/api/tasks/x").status == 404);
    CHECK(f.get("/_sim/stats").status == 200); // never faulted
}

TEST_CASE("faults: #fault 500, 503, no-retry and retry-true, then served normally")
{
    fixture f;
    auto r = f.post(R"({"input":"#fault:500:2","taskId":"tsk_5"})");
    CHECK(r.status == 500);
    CHECK(r.header("x-should-retry") == "");
    CHECK(f.post(R"({"input":"#fault:500:2","taskId":"tsk_5"})").status == 500);
    CHECK(f.post(R"({"input":"#fault:500:2","taskId":"tsk_5"})").status == 200);

    r = f.post(R"({"input":"#fault:503"})");
    CHECK(r.status == 503);
    CHECK(r.header("x-should-retry") == "");
    CHECK(f.post(R"({"input":"#fault:503"})").status == 200);

    r = f.post(R"({"input":"#fault:no-retry"})");
    CHECK(r.status == 503);
    CHECK(r.header("x-should-retry") == "false");

    r = f.post(R"({"input":"#fault:retry-true"})");
    CHECK(r.status == 400);
    CHECK(r.header("x-should-retry") == "true");

    r = f.post(R"({"input":"#fault:429"})");
    CHECK(r.status == 429);
    CHECK(r.header("retry-after") == "1");
    auto s = f.stats();
    CHECK(stat_of(s, {"faults", "500"}) == 2);
    CHECK(stat_of(s, {"faults", "no-retry"}) == 1);
    CHECK(stat_of(s, {"faults", "retry-true"}) == 1);
}

TEST_CASE("faults: reset gives no response and creates nothing")
{
    fixture f;
    auto r = f.post(R"({"input":"#fault:reset","taskId":"tsk_reset"})");
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.status == 0);
    CHECK(f.get("/api/tasks/tsk_reset").status == 404);
    CHECK(f.post(R"({"input":"#fault:reset","taskId":"tsk_reset"})").status == 200);
    CHECK(stat_of(f.stats(), {"requests", "POST /api/tasks", "none"}) == 1);
}

TEST_CASE("faults: lost gives no response but the task exists")
{
    fixture f;
    auto r = f.post(R"({"input":"#fault:lost","taskId":"tsk_lost"})");
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.status == 0);
    CHECK(f.get("/api/tasks/tsk_lost").status == 200);
    CHECK(stat_of(f.stats(), {"faults", "lost"}) == 1);
    CHECK(stat_of(f.stats(), {"tasks_created"}) == 1);
}

TEST_CASE("faults: stall hangs until the client gives up")
{
    sim::options o;
    o.stall = 3000ms;
    fixture f(o);
    auto r = f.curl({.method = "POST",
                     .path = "/api/tasks",
                     .body = R"({"input":"#fault:stall","taskId":"tsk_st"})",
                     .max_time = 0.5});
    CHECK(r.exit_code == 28); // operation timed out
    CHECK(r.status == 0);
    CHECK(f.get("/api/tasks/tsk_st").status == 200); // it was processed
}

TEST_CASE("faults: stall closes after options::stall")
{
    sim::options o;
    o.stall = 300ms;
    fixture f(o);
    auto r = f.curl(
        {.method = "POST", .path = "/api/tasks", .body = R"({"input":"#fault:stall"})", .max_time = 5});
    CHECK(r.exit_code != 0);
    CHECK(r.exit_code != 28);
    CHECK(r.time_total >= 0.25);
}

TEST_CASE("faults: truncate sends half the promised body")
{
    fixture f;
    const std::string id = f.create(R"({"input":"#get-fault:truncate"})");
    auto r = f.get("/api/tasks/" + id);
    INFO(r.err);
    CHECK(r.exit_code == 18); // partial file
    CHECK(r.status == 200);
    const auto promised = std::stoul(r.header("content-length"));
    CHECK(r.body.size() == promised / 2);
    CHECK(f.get("/api/tasks/" + id).exit_code == 0); // only the first GET
}

TEST_CASE("faults: slow dribbles the body over about a second")
{
    fixture f;
    auto r = f.post(R"({"input":"#fault:slow"})");
    CHECK(r.exit_code == 0);
    CHECK(r.status == 200);
    CHECK(r.time_total >= 0.8);
    CHECK(str(r.json(), "object") == "worker");
    CHECK(stat_of(f.stats(), {"faults", "slow"}) == 1);
}

TEST_CASE("faults: #get-fault spoils the first N GETs of a task")
{
    fixture f;
    const std::string id = f.create(R"({"input":"#get-fault:503:2"})");
    CHECK(f.get("/api/tasks/" + id).status == 503);
    CHECK(f.get("/api/tasks/" + id + "/turns").status == 503);
    CHECK(f.get("/api/tasks/" + id).status == 200);
}

TEST_CASE("faults: percentages apply to /api requests")
{
    sim::options o;
    o.p5xx = 100;
    fixture f(o);
    for (int i = 0; i < 3; ++i) {
        auto r = f.get("/api/tasks/x");
        CHECK((r.status == 500 || r.status == 503));
        CHECK(r.header("x-should-retry") == "");
    }
    CHECK(f.get("/_sim/stats").status == 200);
    auto s = f.stats();
    CHECK(stat_of(s, {"faults", "500"}) + stat_of(s, {"faults", "503"}) == 3);

    sim::fault_options fo;
    fo.p_reset_before = 100;
    f.sim().set_faults(fo);
    auto r = f.get("/api/tasks/x");
    CHECK(r.status == 0);
    CHECK(r.exit_code != 0);
}

TEST_CASE("faults: the rate limit answers 429 with a retry hint")
{
    sim::options o;
    o.rate_limit_rps = 1;
    fixture f(o);
    long ok = 0, limited = 0;
    std::string hint;
    for (int i = 0; i < 6; ++i) {
        auto r = f.post(R"({"input":"burst"})");
        ok += r.status == 200;
        if (r.status == 429) {
            ++limited;
            hint = r.header("retry-after");
        }
    }
    // A burst of one, then one per second: six quick POSTs cannot all pass.
    CHECK(limited >= 3);
    CHECK(ok >= 1);
    CHECK(hint == "1");
    CHECK(stat_of(f.stats(), {"rate_limited"}) == limited);
}
