// The Schedules operations on the wire, against a canned server: the
// request lines and bodies as sent, which failures are retried (a cancel
// is; a create that may have arrived is not), and a `when` of a type this
// library does not know, kept raw. (The simulator sends only the four known
// types, so that answer needs the canned server.)
#include "client/wire_support.hpp"

#include <handinger/client.hpp>
#include <handinger/schedules.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view schedule_json =
    R"({"id":"sch_1","type":"delayed","input":"go","budget":"standard","nextRunAt":"2026-05-01T09:31:00.000Z","delayInSeconds":60})";

hd::create_schedule_params make(hd::schedule_when w)
{
    hd::create_schedule_params p;
    p.input = "go";
    p.when = std::move(w);
    return p;
}

} // namespace

TEST_CASE("schedules wire: each operation's method, path and body")
{
    canned_server s;
    s.fallback.body = std::string(schedule_json);
    test_io ioc;
    hd::client c(ioc, options_for(s));
    auto body = [&]() -> asio::awaitable<void> {
        // (Arguments are named: g++ 12 frees twice a temporary made inside a co_await.)
        const auto params1 = make(hd::schedule_delayed{60});
        co_await c.schedules().async_create("wrk 1", params1);
        auto p = make(hd::schedule_cron{"30 9 * * MON-FRI", "Europe/Paris"});
        p.budget = hd::task_budget::high;
        co_await c.schedules().async_create("wrk_1", p);
        const auto params2 = make(hd::schedule_at{"2026-05-01T09:30:00Z"});
        co_await c.schedules().async_create("wrk_1", params2);
        const auto params3 = make(hd::schedule_interval{3600});
        co_await c.schedules().async_create("wrk_1", params3);
        s.fallback.body = R"({"schedules":[],"workerId":"wrk_1"})";
        co_await c.schedules().async_list("wrk_1");
        s.fallback.body = R"({"cancelled":true})";
        co_await c.schedules().async_cancel("wrk_1", "sch/1");
    };
    run(ioc, body());
    REQUIRE(s.requests().size() == 6);
    CHECK(request_line(s, 0) == "POST /base/api/workers/wrk%201/schedules HTTP/1.1");
    CHECK(s.header(0, "content-type") == "application/json");
    CHECK(s.body(0) == R"({"input":"go","when":{"type":"delayed","delayInSeconds":60}})");
    CHECK(
        s.body(1) ==
        R"({"input":"go","when":{"type":"cron","cron":"30 9 * * MON-FRI","timezone":"Europe/Paris"},"budget":"high"})");
    CHECK(s.body(2) == R"({"input":"go","when":{"type":"scheduled","date":"2026-05-01T09:30:00Z"}})");
    CHECK(s.body(3) == R"({"input":"go","when":{"type":"interval","intervalSeconds":3600}})");
    CHECK(request_line(s, 4) == "GET /base/api/workers/wrk_1/schedules HTTP/1.1");
    CHECK(s.body(4).empty());
    CHECK(request_line(s, 5) == "DELETE /base/api/workers/wrk_1/schedules/sch%2F1 HTTP/1.1");
    CHECK(s.body(5).empty());
    CHECK_FALSE(s.header(5, "content-type"));
}

TEST_CASE("schedules wire: a when of a type this library does not know is kept raw")
{
    canned_server s;
    constexpr std::string_view weekly =
        R"({"id":"sch_7","type":"weekly","days":["mon","thu"],"at":"09:30","input":"go","budget":"low","nextRunAt":"2026-05-04T09:30:00.000Z"})";
    s.fallback.body = R"({"schedules":[)" + std::string(schedule_json) + "," + std::string(weekly) +
                      R"(],"workerId":"wrk_1","page":1})";
    test_io ioc;
    hd::client c(ioc, options_for(s));
    auto body = [&]() -> asio::awaitable<void> {
        auto l = co_await c.schedules().async_list("wrk_1");
        REQUIRE(l.schedules.size() == 2);
        CHECK(l.schedules[0].type() == hd::schedule_type::delayed);
        const auto& w = l.schedules[1];
        CHECK(w.id == "sch_7");
        CHECK(w.type().value() == hd::schedule_type::unknown);
        CHECK(w.type().str() == "weekly");
        REQUIRE(std::holds_alternative<hd::schedule_unknown>(w.when));
        const auto& fields = std::get<hd::schedule_unknown>(w.when).fields;
        CHECK(fields.at("days").as_array().size() == 2);
        CHECK(fields.at("at") == "09:30");
        CHECK(w.input == "go");
        CHECK(w.budget == hd::task_budget::low);
        CHECK(w.next_run_at == "2026-05-04T09:30:00.000Z");
        CHECK(boost::json::value(w.raw) == boost::json::parse(weekly));
        CHECK(l.raw.at("page") == 1);

        // Such a when is not sent back: a create refuses it before any I/O.
        hd::diagnostics d;
        const auto params4 = make(w.when);
        auto [ec, made] = co_await c.schedules().async_create("wrk_1", params4, d, tup);
        CHECK(ec == hd::error::invalid_argument);
        CHECK(d.client_message ==
              R"(when.type: must be one of scheduled, delayed, cron, interval (got "weekly"))");
    };
    run(ioc, body());
    CHECK(s.requests().size() == 1);
}

TEST_CASE(
    "schedules wire: a cancel is retried after a 503, a create refused with 429 resent, one answered 500 not")
{
    canned_server s;
    s.push(status(503, "Service Unavailable"));
    s.fallback.body = R"({"cancelled":true})";
    test_io ioc;
    hd::client c(ioc, options_for(s));
    auto body = [&]() -> asio::awaitable<void> {
        hd::diagnostics d;
        auto [e1, r1] = co_await c.schedules().async_cancel("wrk_1", "sch_1", d, tup);
        CHECK_FALSE(e1);
        CHECK(r1.cancelled);
        CHECK(d.attempts == 2);

        s.fallback.body = std::string(schedule_json);
        s.push(status(429, "Too Many Requests"));
        const auto params5 = make(hd::schedule_delayed{60});
        auto [e2, r2] = co_await c.schedules().async_create("wrk_1", params5, d, tup);
        CHECK_FALSE(e2); // a 429 took no effect: resent
        CHECK(d.attempts == 2);
        CHECK(r2.id == "sch_1");

        s.push(status(500, "Internal Server Error"));
        const auto params6 = make(hd::schedule_delayed{60});
        auto [e3, r3] = co_await c.schedules().async_create("wrk_1", params6, d, tup);
        CHECK(e3 == hd::error::server_error); // it may have made a schedule: not resent
        CHECK(d.attempts == 1);
        CHECK(d.status == 500);
        CHECK(d.client_message.find("not resent") != std::string::npos);
    };
    run(ioc, body());
    REQUIRE(s.requests().size() == 5);
    CHECK(request_line(s, 0) == request_line(s, 1));
    CHECK(s.header(1, "x-stainless-retry-count") == "1");
    CHECK(s.body(2) == s.body(3));
}
