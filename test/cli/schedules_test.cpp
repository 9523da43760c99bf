// `handinger schedules create|list|cancel`: each `when` flag, the output
// formats, a delayed schedule running, exit status 1 for a failed call and 2
// for bad arguments (each limit one past its bound, refused before any
// request).
#include "cli/cli_support.hpp"

#include <regex>

using namespace cli_test;

namespace {

// One schedule second lasts a millisecond.
handinger::sim::options quick_schedules()
{
    auto o = test_support::fast_sim();
    o.schedule_second = 1ms;
    return o;
}

// A worker, made by a task's create (this tool has no workers command).
std::string make_worker(const cli_fixture& f)
{
    auto c = f.run({"tasks", "create", "--input", "a worker", "--format", "jsonl"});
    INFO(c.dump());
    REQUIRE(c.status == 0);
    auto g = f.run({"tasks", "get", str_at(parse_doc(c.out), "taskId"), "--format", "jsonl"});
    INFO(g.dump());
    REQUIRE(g.status == 0);
    auto id = str_at(parse_doc(g.out).at("task"), "workerId");
    REQUIRE(starts_with(id, "wrk_"));
    return id;
}

long long schedule_requests(const cli_fixture& f)
{
    return f.fx.requests("POST /api/workers/{id}/schedules") +
           f.fx.requests("GET /api/workers/{id}/schedules") +
           f.fx.requests("DELETE /api/workers/{id}/schedules/{scheduleId}");
}

} // namespace

TEST_CASE("schedules create: each when flag, in the human form and as JSON")
{
    cli_fixture f;
    const std::string w = make_worker(f);
    auto d = f.run({"schedules", "create", "--worker", w, "--input", "later", "--delay", "3600"});
    INFO(d.dump());
    CHECK(d.status == 0);
    CHECK(d.err.empty());
    CHECK(std::regex_match(d.out, std::regex(R"(created sch_\w+ \(delayed 3600 s, next run \S+Z\)\n)")));

    auto e = f.run({"schedules", "create", "--worker-id", w, "--input", "hourly", "--every", "3600",
                    "--budget", "low", "--format", "json"});
    INFO(e.dump());
    CHECK(e.status == 0);
    CHECK(contains(e.out, "\n  \"intervalSeconds\": 3600"));
    auto v = parse_doc(e.out);
    CHECK(str_at(v, "type") == "interval");
    CHECK(str_at(v, "budget") == "low");
    CHECK(str_at(v, "input") == "hourly");
    const std::string every_id = str_at(v, "id");

    auto c = f.run({"schedules", "create", "--worker-id", w, "--input", "mornings", "--cron",
                    "30 9 * * MON-FRI", "--timezone", "UTC"});
    INFO(c.dump());
    CHECK(c.status == 0);
    CHECK(std::regex_match(
        c.out,
        std::regex(R"(created sch_\w+ \(cron "30 9 \* \* MON-FRI" UTC, next run \S+T09:30:00.000Z\)\n)")));

    auto a = f.run({"schedules", "create", "--worker-id", w, "--input", "new year", "--at",
                    "2099-01-01T00:00:00Z", "--format", "jsonl"});
    INFO(a.dump());
    CHECK(a.status == 0);
    CHECK(a.out_lines().size() == 1);
    CHECK(str_at(parse_doc(a.out), "nextRunAt") == "2099-01-01T00:00:00.000Z");

    // The list: one line each, in the order made; as JSON, the service's object.
    auto l = f.run({"schedules", "list", "--worker", w});
    INFO(l.dump());
    CHECK(l.status == 0);
    auto lines = l.out_lines();
    REQUIRE(lines.size() == 4);
    CHECK(std::regex_match(lines[0], std::regex(R"(sch_\w+  delayed 3600 s  next \S+Z  "later")")));
    CHECK(std::regex_match(lines[1], std::regex(R"(sch_\w+  every 3600 s  next \S+Z  "hourly")")));
    CHECK(starts_with(lines[1], every_id + "  "));
    CHECK(std::regex_match(lines[2],
                           std::regex(R"(sch_\w+  cron "30 9 \* \* MON-FRI" UTC  next \S+Z  "mornings")")));
    CHECK(std::regex_match(
        lines[3],
        std::regex(R"(sch_\w+  at 2099-01-01T00:00:00Z  next 2099-01-01T00:00:00.000Z  "new year")")));
    auto j = f.run({"schedules", "list", "--worker-id", w, "--format", "jsonl"});
    CHECK(j.status == 0);
    auto doc = parse_doc(j.out);
    CHECK(str_at(doc, "workerId") == w);
    CHECK(doc.at("schedules").as_array().size() == 4);
    CHECK(f.fx.stat("schedules_created") == 4);
}

TEST_CASE("schedules cancel: exit 0 when cancelled, 1 when the call fails")
{
    cli_fixture f;
    const std::string w = make_worker(f);
    auto e = f.run(
        {"schedules", "create", "--worker-id", w, "--input", "x", "--every", "60", "--format", "jsonl"});
    REQUIRE(e.status == 0);
    const std::string id = str_at(parse_doc(e.out), "id");
    auto c = f.run({"schedules", "cancel", "--worker-id", w, id});
    INFO(c.dump());
    CHECK(c.status == 0);
    CHECK(c.out == id + " cancelled\n");
    auto again = f.run({"schedules", "cancel", id, "--worker-id", w, "--format", "json"});
    INFO(again.dump());
    CHECK(again.status == 1);
    CHECK(again.out.empty());
    CHECK(contains(again.err, "404"));
    CHECK(contains(again.err, "schedule " + id + " not found for worker " + w));
    auto l = f.run({"schedules", "list", "--worker-id", w});
    CHECK(l.status == 0);
    CHECK(l.out == "no schedules on " + w + "\n");
    // A worker the service does not know.
    auto nf = f.run({"schedules", "list", "--worker-id", "wrk_nobody"});
    CHECK(nf.status == 1);
    CHECK(contains(nf.err, "worker wrk_nobody not found"));
    CHECK(f.fx.requests("DELETE /api/workers/{id}/schedules/{scheduleId}", "200") == 1);
    CHECK(f.fx.requests("DELETE /api/workers/{id}/schedules/{scheduleId}", "404") == 1);
}

TEST_CASE("schedules create --delay: the schedule runs, then leaves the list")
{
    cli_fixture f(quick_schedules());
    const std::string w = make_worker(f);
    auto d = f.run({"schedules", "create", "--worker-id", w, "--input", "soon #turns:1", "--delay", "10"});
    INFO(d.dump());
    REQUIRE(d.status == 0);
    REQUIRE(eventually([&] { return f.fx.stat("schedule_runs") == 1; }, 20s));
    auto l = f.run({"schedules", "list", "--worker-id", w});
    CHECK(l.status == 0);
    CHECK(l.out == "no schedules on " + w + "\n");
}

TEST_CASE("schedules: exit 2 for bad arguments, each limit one past its bound, no request")
{
    cli_fixture f;
    const std::vector<std::string> base = {"schedules", "create", "--worker-id", "wrk_1", "--input", "x"};
    auto with = [&](std::vector<std::string> more) {
        auto args = base;
        args.insert(args.end(), more.begin(), more.end());
        return args;
    };
    struct row {
        std::vector<std::string> args;
        std::string says;
    };
    const std::vector<row> rows = {
        {{"schedules"}, "'handinger schedules' needs a command: create, list, cancel"},
        {{"schedules", "create", "--input", "x", "--delay", "5"}, "--worker is required"},
        {{"schedules", "create", "--worker-id", "wrk_1", "--delay", "5"}, "--input"},
        {base, "Exactly 1 option from [--at,--delay,--cron,--every] is required"},
        {with({"--delay", "5", "--every", "5"}), "and 2 were given"},
        {with({"--delay", "0"}),
         "invalid schedule: when.delayInSeconds: must be between 1 and 31536000 (got 0)"},
        {with({"--delay", "31536001"}),
         "invalid schedule: when.delayInSeconds: must be between 1 and 31536000 (got 31536001)"},
        {with({"--every", "0"}),
         "invalid schedule: when.intervalSeconds: must be between 1 and 31536000 (got 0)"},
        {with({"--every", "31536001"}),
         "invalid schedule: when.intervalSeconds: must be between 1 and 31536000 (got 31536001)"},
        {with({"--delay", "soon"}), "soon"},
        {with({"--cron", "* * * *"}),
         "invalid schedule: when.cron: expected 5 fields separated by spaces, got 4"},
        {with({"--cron", "0 24 * * *"}), "invalid schedule: when.cron: hour: 24 is out of range 0-23"},
        {with({"--cron", "0 9 * * *", "--timezone", ""}),
         "invalid schedule: when.timezone: must be at least 1 character"},
        {with({"--delay", "5", "--timezone", "UTC"}), "--cron"},
        {with({"--at", "tomorrow"}),
         "invalid schedule: when.date: must be an RFC 3339 date-time such as 2026-05-01T09:30:00Z"},
        {with({"--delay", "5", "--budget", "huge"}), "huge"},
        {{"schedules", "create", "--worker-id", "wrk_1", "--input", "", "--delay", "5"},
         "invalid schedule: input: must be at least 1 character"},
        {{"schedules", "list"}, "--worker is required"},
        {{"schedules", "cancel", "--worker-id", "wrk_1"}, "SCHEDULE_ID"},
    };
    for (const auto& r : rows) {
        std::string shown;
        for (const auto& a : r.args)
            shown += " '" + a + "'";
        INFO("handinger", shown);
        auto res = f.run(r.args);
        INFO(res.dump());
        CHECK(res.status == 2);
        CHECK(res.out.empty());
        CHECK(res.err_lines().size() == 1);
        CHECK(contains(res.err, r.says));
    }
    CHECK(schedule_requests(f) == 0);
}
