// The Schedules resource (c.schedules()) against the simulator over verified
// TLS: each variant made, listed and cancelled in both forms, a delayed and
// an interval schedule starting tasks, the access rules, arguments refused
// before any I/O, and a create whose answer was lost.
#include "client/wire_support.hpp"

#include <handinger/client.hpp>
#include <handinger/schedules.hpp>
#include <handinger/workers.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);

hd::create_schedule_params make(hd::schedule_when w, std::string input = "check the news")
{
    hd::create_schedule_params p;
    p.input = std::move(input);
    p.when = std::move(w);
    return p;
}

// Two keys, and one schedule second lasts a millisecond: a delay of 30 runs
// 30 ms later.
handinger::sim::options quick_schedules()
{
    auto o = two_keys();
    o.schedule_second = 1ms;
    return o;
}

asio::awaitable<std::string> new_worker(hd::client& c, std::optional<hd::worker_visibility> v = std::nullopt)
{
    hd::create_worker_params p;
    if (v)
        p.visibility = *v;
    auto w = co_await c.workers().async_create(std::move(p));
    co_return w.id;
}

// Every request of the schedule routes, whatever its status.
long long schedule_requests(const sim_fixture& f)
{
    return f.requests("POST /api/workers/{id}/schedules") + f.requests("GET /api/workers/{id}/schedules") +
           f.requests("DELETE /api/workers/{id}/schedules/{scheduleId}");
}

} // namespace

TEST_CASE("schedules: each variant made, listed and cancelled, throwing form")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        const std::string w = co_await new_worker(c);
        auto schedules = c.schedules();

        // (Arguments are named: g++ 12 frees twice a temporary made inside a co_await.)
        const auto params1 = make(hd::schedule_delayed{3600});
        auto d = co_await schedules.async_create(w, params1);
        CHECK(d.id.rfind("sch_", 0) == 0);
        CHECK(d.type() == hd::schedule_type::delayed);
        REQUIRE(std::holds_alternative<hd::schedule_delayed>(d.when));
        CHECK(std::get<hd::schedule_delayed>(d.when).delay_in_seconds == 3600);
        CHECK(d.input == "check the news");
        CHECK(d.budget == hd::task_budget::standard);
        REQUIRE(d.next_run_at);
        CHECK(d.presence.all_values());

        auto p = make(hd::schedule_interval{86400}, "daily digest");
        p.budget = hd::task_budget::low;
        auto i = co_await schedules.async_create(w, p);
        CHECK(std::get<hd::schedule_interval>(i.when).interval_seconds == 86400);
        CHECK(i.budget == hd::task_budget::low);
        CHECK(i.input == "daily digest");

        const auto params2 = make(hd::schedule_cron{"0 9 * * MON-FRI", "UTC"});
        auto cr = co_await schedules.async_create(w, params2);
        REQUIRE(std::holds_alternative<hd::schedule_cron>(cr.when));
        CHECK(std::get<hd::schedule_cron>(cr.when).cron == "0 9 * * MON-FRI");
        CHECK(std::get<hd::schedule_cron>(cr.when).timezone == "UTC");
        REQUIRE(cr.next_run_at);
        CHECK(cr.next_run_at->substr(10) == "T09:00:00.000Z"); // (the day depends on today)

        const auto params3 = make(hd::schedule_at{"2099-01-01T00:00:00+02:00"});
        auto at = co_await schedules.async_create(w, params3);
        CHECK(std::get<hd::schedule_at>(at.when).date == "2099-01-01T00:00:00+02:00");
        CHECK(at.next_run_at == "2098-12-31T22:00:00.000Z");

        auto list = co_await schedules.async_list(w);
        CHECK(list.worker_id == w);
        REQUIRE(list.schedules.size() == 4);
        CHECK(list.schedules[0] == d);
        CHECK(list.schedules[1] == i);
        CHECK(list.schedules[2] == cr);
        CHECK(list.schedules[3] == at);

        auto cancelled = co_await schedules.async_cancel(w, i.id);
        CHECK(cancelled.cancelled);
        list = co_await schedules.async_list(w);
        CHECK(list.schedules.size() == 3);
        try {
            co_await schedules.async_cancel(w, i.id);
            FAIL("expected not_found");
        } catch (const hd::api_error& e) {
            CHECK(e.code() == hd::error::not_found);
            CHECK(e.diag().server_message == "schedule " + i.id + " not found for worker " + w);
        }
    };
    run(ioc, body());
    CHECK(f.requests("POST /api/workers/{id}/schedules", "200") == 4);
    CHECK(f.requests("GET /api/workers/{id}/schedules", "200") == 2);
    CHECK(f.requests("DELETE /api/workers/{id}/schedules/{scheduleId}", "200") == 1);
    CHECK(f.requests("DELETE /api/workers/{id}/schedules/{scheduleId}", "404") == 1);
    CHECK(f.stat("schedules_created") == 4);
    CHECK(f.stat("schedules_cancelled") == 1);
}

TEST_CASE("schedules: every operation in the error_code form, with options")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    hd::request_options ro;
    ro.max_retries = 0;
    auto body = [&]() -> asio::awaitable<void> {
        const std::string w = co_await new_worker(c);
        auto schedules = c.schedules();
        hd::diagnostics d;
        const auto params4 = make(hd::schedule_delayed{600});
        auto [e1, s] = co_await schedules.async_create(w, params4, ro, d, tup);
        REQUIRE_FALSE(e1);
        CHECK(d.status == 200);
        CHECK(d.method == "POST");
        CHECK(d.path == "/api/workers/" + w + "/schedules");
        auto [e2, l] = co_await schedules.async_list(w, ro, d, tup);
        CHECK_FALSE(e2);
        CHECK(d.method == "GET");
        REQUIRE(l.schedules.size() == 1);
        auto [e3, c1] = co_await schedules.async_cancel(w, s.id, ro, d, tup);
        CHECK_FALSE(e3);
        CHECK(c1.cancelled);
        CHECK(d.method == "DELETE");
        CHECK(d.path == "/api/workers/" + w + "/schedules/" + s.id);
        auto [e4, c2] = co_await schedules.async_cancel(w, s.id, d, tup);
        CHECK(e4 == hd::error::not_found);
        CHECK_FALSE(c2.cancelled);
        auto [e5, l2] = co_await schedules.async_list("wrk_nobody", d, tup);
        CHECK(e5 == hd::error::not_found);
        CHECK(d.server_message == "worker wrk_nobody not found");
        const auto params5 = make(hd::schedule_delayed{5});
        auto [e6, s2] = co_await schedules.async_create("wrk_nobody", params5, d, tup);
        CHECK(e6 == hd::error::not_found);
    };
    run(ioc, body());
    CHECK(f.requests("GET /api/workers/{id}/schedules", "404") == 1);
    CHECK(f.requests("POST /api/workers/{id}/schedules", "404") == 1);
}

TEST_CASE("schedules: a delayed schedule starts one task, an interval one a task at each interval")
{
    sim_fixture f(quick_schedules());
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        const std::string w = co_await new_worker(c);
        hd::diagnostics d;
        auto [e0, none] = co_await c.workers().async_retrieve(w, d, tup);
        CHECK(e0 == hd::error::not_found); // no task yet

        const auto params6 = make(hd::schedule_delayed{30}, "once #turns:1");
        auto once = co_await c.schedules().async_create(w, params6);
        // Waits for it to run (bounded): it then leaves the list.
        hd::schedule_list l;
        for (int i = 0; i < 500; ++i) {
            l = co_await c.schedules().async_list(w);
            if (l.schedules.empty())
                break;
            co_await sleep_for(5ms);
        }
        CHECK(l.schedules.empty());
        CHECK(f.stat("schedule_runs") == 1);
        // Its task is the worker's latest run.
        auto run1 = co_await c.workers().async_retrieve(w);
        CHECK_FALSE(run1.id.empty());

        const auto params7 = make(hd::schedule_interval{20}, "tick #turns:1");
        auto every = co_await c.schedules().async_create(w, params7);
        auto first_next = every.next_run_at;
        // At least three more runs (bounded wait), the schedule staying, its next run moving on.
        for (int i = 0; i < 1000 && f.stat("schedule_runs") < 4; ++i)
            co_await sleep_for(5ms);
        CHECK(f.stat("schedule_runs") >= 4);
        l = co_await c.schedules().async_list(w);
        REQUIRE(l.schedules.size() == 1);
        CHECK(l.schedules[0].id == every.id);
        CHECK(l.schedules[0].next_run_at != first_next);
        auto run2 = co_await c.workers().async_retrieve(w);
        CHECK(run2.id != run1.id);

        auto cancelled = co_await c.schedules().async_cancel(w, every.id);
        CHECK(cancelled.cancelled);
        auto [e1, gone] = co_await c.schedules().async_cancel(w, once.id, d, tup);
        CHECK(e1 == hd::error::not_found); // it had run
    };
    run(ioc, body());
    CHECK(f.stat("schedules_created") == 2);
    CHECK(f.stat("tasks_created") == 0); // every task came from a schedule
}

TEST_CASE("schedules: another key's private worker and another key's schedule are permission_denied")
{
    sim_fixture f(quick_schedules());
    test_io ioc;
    hd::client owner(ioc, f.copts);
    auto other_opts = f.copts;
    other_opts.api_key = "sk-sim-other";
    hd::client other(ioc, other_opts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::diagnostics d;
        // A public worker: the other key may schedule on it and list...
        const std::string pub = co_await new_worker(owner);
        const auto params8 = make(hd::schedule_delayed{3600});
        auto theirs = co_await other.schedules().async_create(pub, params8);
        const auto params9 = make(hd::schedule_delayed{3600});
        auto mine = co_await owner.schedules().async_create(pub, params9);
        auto l = co_await other.schedules().async_list(pub);
        CHECK(l.schedules.size() == 2);
        // ...but cancel only its own.
        auto [e1, r1] = co_await other.schedules().async_cancel(pub, mine.id, d, tup);
        CHECK(e1 == hd::error::permission_denied);
        CHECK(d.status == 403);
        CHECK(d.server_message == "only the key that created schedule " + mine.id + " may cancel it");
        CHECK(d.attempts == 1);
        auto [e2, r2] = co_await owner.schedules().async_cancel(pub, theirs.id, d, tup);
        CHECK(e2 == hd::error::permission_denied);
        auto r3 = co_await other.schedules().async_cancel(pub, theirs.id);
        CHECK(r3.cancelled);

        // A private worker is the owner's alone.
        const std::string priv = co_await new_worker(owner, hd::worker_visibility::private_);
        const auto params10 = make(hd::schedule_delayed{3600});
        auto s = co_await owner.schedules().async_create(priv, params10);
        const auto params11 = make(hd::schedule_delayed{5});
        auto [e4, r4] = co_await other.schedules().async_create(priv, params11, d, tup);
        CHECK(e4 == hd::error::permission_denied);
        CHECK(d.server_message == "no access to worker " + priv);
        auto [e5, r5] = co_await other.schedules().async_list(priv, d, tup);
        CHECK(e5 == hd::error::permission_denied);
        auto [e6, r6] = co_await other.schedules().async_cancel(priv, s.id, d, tup);
        CHECK(e6 == hd::error::permission_denied);
    };
    run(ioc, body());
    CHECK(f.requests("DELETE /api/workers/{id}/schedules/{scheduleId}", "403") == 3);
    CHECK(f.requests("POST /api/workers/{id}/schedules", "403") == 1);
    CHECK(f.requests("GET /api/workers/{id}/schedules", "403") == 1);
}

TEST_CASE("schedules: bad arguments are refused before any I/O, each limit one past its bound")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto schedules = c.schedules();
        hd::diagnostics d;
        const std::string path = "/api/workers/wrk_1/schedules";
        const std::string bound = "must be between 1 and 31536000 (got ";
        struct row {
            hd::schedule_when when;
            std::string what;
        };
        const row rows[] = {
            {hd::schedule_delayed{0}, "when.delayInSeconds: " + bound + "0)"},
            {hd::schedule_delayed{31'536'001}, "when.delayInSeconds: " + bound + "31536001)"},
            {hd::schedule_interval{0}, "when.intervalSeconds: " + bound + "0)"},
            {hd::schedule_interval{31'536'001}, "when.intervalSeconds: " + bound + "31536001)"},
            {hd::schedule_cron{"", std::nullopt}, "when.cron: must be at least 1 character"},
            {hd::schedule_cron{"60 * * * *", std::nullopt}, "when.cron: minute: 60 is out of range 0-59"},
            {hd::schedule_cron{"0 9 * *", std::nullopt},
             "when.cron: expected 5 fields separated by spaces, got 4"},
            {hd::schedule_cron{"0 9 * * *", ""}, "when.timezone: must be at least 1 character"},
            {hd::schedule_at{"2026-05-01 09:30:00"},
             "when.date: must be an RFC 3339 date-time such as 2026-05-01T09:30:00Z"},
            {hd::schedule_unknown{{{"type", "weekly"}}},
             R"(when.type: must be one of scheduled, delayed, cron, interval (got "weekly"))"},
        };
        for (const auto& r : rows) {
            INFO(r.what);
            const auto params12 = make(r.when);
            auto [ec, s] = co_await schedules.async_create("wrk_1", params12, d, tup);
            check_refused(ec, d, "POST", path, r.what);
        }
        auto p = make(hd::schedule_delayed{5});
        p.budget = hd::open_enum<hd::task_budget>::from_string("huge");
        auto [e1, s1] = co_await schedules.async_create("wrk_1", p, d, tup);
        check_refused(e1, d, "POST", path,
                      R"(budget: must be one of low, standard, high, unlimited (got "huge"))");
        const auto params13 = make(hd::schedule_delayed{5}, "");
        auto [e2, s2] = co_await schedules.async_create("wrk_1", params13, d, tup);
        check_refused(e2, d, "POST", path, "input: must be at least 1 character");
        const auto params14 = make(hd::schedule_delayed{5});
        auto [e3, s3] = co_await schedules.async_create("", params14, d, tup);
        check_refused(e3, d, "POST", "/api/workers//schedules", "worker_id: must be at least 1 character");
        auto [e4, l4] = co_await schedules.async_list("", d, tup);
        check_refused(e4, d, "GET", "/api/workers//schedules", "worker_id: must be at least 1 character");
        auto [e5, c5] = co_await schedules.async_cancel("wrk_1", "", d, tup);
        check_refused(e5, d, "DELETE", path + "/", "schedule_id: must be at least 1 character");
        auto [e6, c6] = co_await schedules.async_cancel("", "sch_1", d, tup);
        check_refused(e6, d, "DELETE", "/api/workers//schedules/sch_1",
                      "worker_id: must be at least 1 character");
        try {
            const auto params15 = make(hd::schedule_interval{0});
            co_await schedules.async_create("wrk_1", params15);
            FAIL("expected invalid_argument");
        } catch (const hd::api_error& e) {
            CHECK(e.code() == hd::error::invalid_argument);
            CHECK(e.diag().client_message == "when.intervalSeconds: " + bound + "0)");
        }
    };
    run(ioc, body());
    CHECK(schedule_requests(f) == 0);
    CHECK(f.stat("connections_accepted") == 0);
}

TEST_CASE("schedules: ids are sent as one percent-encoded path segment each")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::diagnostics d;
        auto [e1, l1] = co_await c.schedules().async_list("a/b c?", d, tup);
        CHECK(e1 == hd::error::not_found);
        CHECK(d.path == "/api/workers/a%2Fb%20c%3F/schedules");
        CHECK(d.server_message == "worker a/b c? not found");
        const std::string w = co_await new_worker(c);
        auto [e2, c2] = co_await c.schedules().async_cancel(w, "..", d, tup);
        CHECK(e2 == hd::error::not_found);
        CHECK(d.path == "/api/workers/" + w + "/schedules/%2E%2E");
        auto [e3, c3] = co_await c.schedules().async_cancel(w, "sch 1/x", d, tup);
        CHECK(d.path == "/api/workers/" + w + "/schedules/sch%201%2Fx");
        CHECK(d.server_message == "schedule sch 1/x not found for worker " + w);
    };
    run(ioc, body());
    CHECK(f.requests("DELETE /api/workers/{id}/schedules/{scheduleId}", "404") == 2);
}

TEST_CASE("schedules: a create whose answer was lost is not resent")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    std::string w;
    run(ioc, [&]() -> asio::awaitable<void> { w = co_await new_worker(c); }());
    handinger::sim::fault_options lost;
    lost.p_reset_after = 100; // every request processed, then its answer lost
    f.sim.set_faults(lost);
    auto body = [&]() -> asio::awaitable<void> {
        hd::diagnostics d;
        const auto params16 = make(hd::schedule_delayed{3600});
        auto [ec, s] = co_await c.schedules().async_create(w, params16, d, tup);
        CHECK(ec);
        CHECK(d.client_message.find("not resent: whether the POST made a schedule cannot be checked") !=
              std::string::npos);
        CHECK(d.attempts == 1);
    };
    run(ioc, body());
    CHECK(f.requests("POST /api/workers/{id}/schedules", "none") == 1);
    CHECK(f.stat("schedules_created") == 1);
}
