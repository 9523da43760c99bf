// The Schedules models without sockets: validation of every limit at its
// bound and one past it (each `when` variant, the cron dialect, the date),
// the create body, and the lenient reading of the answers (each variant, an
// unknown one kept raw, nulls, wrong types).
#include "json/write_schedules.hpp"

#include <handinger/error.hpp>
#include <handinger/json.hpp>
#include <handinger/schedule_models.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace handinger;

namespace {

create_schedule_params params(schedule_when w, std::string input = "check the news")
{
    create_schedule_params p;
    p.input = std::move(input);
    p.when = std::move(w);
    return p;
}

// The first problem of a create with this `when`.
std::string problem(schedule_when w)
{
    return validate(params(std::move(w)));
}

std::string read_error(std::string_view text)
{
    worker_schedule s;
    boost::system::error_code ec;
    std::string what;
    parse_json(text, s, ec, what);
    CHECK(ec == error::invalid_response);
    return what;
}

} // namespace

TEST_CASE("schedules validate: each variant, valid")
{
    CHECK(problem(schedule_at{"2026-05-01T09:30:00Z"}).empty());
    CHECK(problem(schedule_at{"2026-05-01T11:30:00.250+02:00"}).empty());
    CHECK(problem(schedule_at{"2001-01-01T00:00:00Z"}).empty()); // the past: the service decides
    CHECK(problem(schedule_delayed{60}).empty());
    CHECK(problem(schedule_cron{"30 9 * * MON-FRI", std::nullopt}).empty());
    CHECK(problem(schedule_cron{"0 0 * * *", "Europe/Paris"}).empty());
    CHECK(problem(schedule_interval{3600}).empty());
}

TEST_CASE("schedules validate: seconds at each bound and one past it")
{
    const std::string msg = "must be between 1 and 31536000 (got ";
    CHECK(problem(schedule_delayed{1}).empty());
    CHECK(problem(schedule_delayed{31'536'000}).empty());
    CHECK(problem(schedule_delayed{0}) == "when.delayInSeconds: " + msg + "0)");
    CHECK(problem(schedule_delayed{31'536'001}) == "when.delayInSeconds: " + msg + "31536001)");
    CHECK(problem(schedule_delayed{-5}) == "when.delayInSeconds: " + msg + "-5)");
    CHECK(problem(schedule_interval{1}).empty());
    CHECK(problem(schedule_interval{31'536'000}).empty());
    CHECK(problem(schedule_interval{0}) == "when.intervalSeconds: " + msg + "0)");
    CHECK(problem(schedule_interval{31'536'001}) == "when.intervalSeconds: " + msg + "31536001)");
    CHECK(schedule_limits::max_seconds == 31'536'000);
}

TEST_CASE("schedules validate: a cron expression must be of the five classic fields")
{
    CHECK(problem(schedule_cron{"", std::nullopt}) == "when.cron: must be at least 1 character");
    CHECK(problem(schedule_cron{"* * * *", std::nullopt}) ==
          "when.cron: expected 5 fields separated by spaces, got 4");
    CHECK(problem(schedule_cron{"* 24 * * *", std::nullopt}) == "when.cron: hour: 24 is out of range 0-23");
    CHECK(problem(schedule_cron{"@hourly", std::nullopt}) ==
          "when.cron: expected 5 fields separated by spaces, got 1");
    CHECK(problem(schedule_cron{"0 0 30 2 *", std::nullopt}) ==
          "when.cron: no month given has one of the days of the month given, so it never runs");
    CHECK(problem(schedule_cron{"0 0 * * *", ""}) == "when.timezone: must be at least 1 character");
    CHECK(problem(schedule_cron{"0 0 * * *", "\xff"}) == "when.timezone: must be valid UTF-8");
}

TEST_CASE("schedules validate: the date must be an RFC 3339 date-time")
{
    const std::string msg = "when.date: must be an RFC 3339 date-time such as 2026-05-01T09:30:00Z";
    CHECK(problem(schedule_at{""}) == msg);
    CHECK(problem(schedule_at{"2026-05-01"}) == msg);
    CHECK(problem(schedule_at{"2026-05-01 09:30:00Z"}) == msg);
    CHECK(problem(schedule_at{"2026-05-01T09:30:00"}) == msg);
    CHECK(problem(schedule_at{"2026-02-29T09:30:00Z"}) == msg); // not a leap year
    CHECK(problem(schedule_at{"tomorrow"}) == msg);
}

TEST_CASE("schedules validate: input, an unknown when, a wrong budget")
{
    CHECK(validate(params(schedule_delayed{5}, "")) == "input: must be at least 1 character");
    CHECK(validate(params(schedule_delayed{5}, "\xc3")) == "input: must be valid UTF-8");
    CHECK(validate(params(schedule_delayed{5}, "x")).empty());
    CHECK(problem(schedule_unknown{{{"type", "weekly"}, {"day", "monday"}}}) ==
          R"(when.type: must be one of scheduled, delayed, cron, interval (got "weekly"))");
    CHECK(problem(schedule_unknown{}) ==
          R"(when.type: must be one of scheduled, delayed, cron, interval (got ""))");
    auto p = params(schedule_delayed{5});
    p.budget = task_budget::high;
    CHECK(validate(p).empty());
    p.budget = open_enum<task_budget>::from_string("huge");
    CHECK(validate(p) == R"(budget: must be one of low, standard, high, unlimited (got "huge"))");
    // The first problem in wire order: input, when, budget.
    p.when = schedule_delayed{0};
    CHECK(validate(p).rfind("when.delayInSeconds:", 0) == 0);
    p.input.clear();
    CHECK(validate(p) == "input: must be at least 1 character");
    // A default create is refused: no input, and an empty date.
    CHECK(validate(create_schedule_params{}) == "input: must be at least 1 character");
}

TEST_CASE("schedules json: the create body, each variant")
{
    auto p = params(schedule_delayed{60});
    CHECK(detail::create_schedule_body(p) ==
          R"({"input":"check the news","when":{"type":"delayed","delayInSeconds":60}})");
    p.budget = task_budget::low;
    p.when = schedule_at{"2026-05-01T09:30:00Z"};
    CHECK(
        detail::create_schedule_body(p) ==
        R"({"input":"check the news","when":{"type":"scheduled","date":"2026-05-01T09:30:00Z"},"budget":"low"})");
    p.budget.reset();
    p.when = schedule_cron{"0 9 * * *", std::nullopt};
    CHECK(detail::create_schedule_body(p) ==
          R"({"input":"check the news","when":{"type":"cron","cron":"0 9 * * *"}})");
    p.when = schedule_cron{"0 9 * * *", "Europe/Paris"};
    CHECK(
        detail::create_schedule_body(p) ==
        R"({"input":"check the news","when":{"type":"cron","cron":"0 9 * * *","timezone":"Europe/Paris"}})");
    p.when = schedule_interval{3600};
    CHECK(detail::create_schedule_body(p) ==
          R"({"input":"check the news","when":{"type":"interval","intervalSeconds":3600}})");
    CHECK(to_json_string(p) == detail::create_schedule_body(p));
    // Read back: the same params.
    CHECK(parse_json<create_schedule_params>(to_json_string(p)) == p);
    // An unknown when is written as it is (validate() keeps it from being sent).
    p.when = schedule_unknown{{{"type", "weekly"}, {"day", 1}}};
    CHECK(to_json_string(p) == R"({"input":"check the news","when":{"type":"weekly","day":1}})");
    CHECK(parse_json<create_schedule_params>(to_json_string(p)) == p);
}

TEST_CASE("schedules json: each variant of a schedule reads into its own type")
{
    auto s = parse_json<worker_schedule>(
        R"({"id":"sch_1","type":"delayed","input":"go","budget":"high","nextRunAt":"2026-05-01T09:31:00.000Z","delayInSeconds":60,"extra":true})");
    CHECK(s.id == "sch_1");
    CHECK(s.type() == schedule_type::delayed);
    REQUIRE(std::holds_alternative<schedule_delayed>(s.when));
    CHECK(std::get<schedule_delayed>(s.when).delay_in_seconds == 60);
    CHECK(s.input == "go");
    CHECK(s.budget == task_budget::high);
    CHECK(s.next_run_at == "2026-05-01T09:31:00.000Z");
    CHECK(s.raw.at("extra") == true);
    CHECK(s.presence.all_values());
    CHECK(
        to_json_string(s) ==
        R"({"id":"sch_1","type":"delayed","input":"go","budget":"high","nextRunAt":"2026-05-01T09:31:00.000Z","delayInSeconds":60})");

    s = parse_json<worker_schedule>(R"({"id":"sch_2","type":"scheduled","date":"2026-05-01T09:30:00Z"})");
    REQUIRE(std::holds_alternative<schedule_at>(s.when));
    CHECK(std::get<schedule_at>(s.when).date == "2026-05-01T09:30:00Z");
    CHECK(s.presence.is_absent(worker_schedule::field::input));

    s = parse_json<worker_schedule>(
        R"({"id":"sch_3","type":"cron","cron":"0 9 * * *","timezone":"Europe/Paris"})");
    REQUIRE(std::holds_alternative<schedule_cron>(s.when));
    CHECK(std::get<schedule_cron>(s.when).cron == "0 9 * * *");
    CHECK(std::get<schedule_cron>(s.when).timezone == "Europe/Paris");
    CHECK(s.type() == schedule_type::cron);

    s = parse_json<worker_schedule>(R"({"id":"sch_4","type":"interval","intervalSeconds":5.0})");
    REQUIRE(std::holds_alternative<schedule_interval>(s.when));
    CHECK(std::get<schedule_interval>(s.when).interval_seconds == 5);
}

TEST_CASE("schedules json: a type this library does not know is kept raw")
{
    // (Also over the wire, from a canned server: test/client/schedules_wire_test.cpp.)
    constexpr std::string_view text =
        R"({"id":"sch_9","type":"weekly","days":["mon","thu"],"at":"09:30","input":"go","nextRunAt":null})";
    auto s = parse_json<worker_schedule>(text);
    CHECK(s.type().value() == schedule_type::unknown);
    CHECK(s.type().str() == "weekly");
    REQUIRE(std::holds_alternative<schedule_unknown>(s.when));
    const auto& fields = std::get<schedule_unknown>(s.when).fields;
    CHECK(fields.size() == 3); // type, days, at: not the common keys
    CHECK(fields.at("type") == "weekly");
    CHECK(fields.at("days").as_array().size() == 2);
    CHECK(s.input == "go");
    CHECK(s.presence.is_null(worker_schedule::field::next_run_at));
    // Written back with everything it had.
    CHECK(boost::json::parse(to_json_string(s)) == boost::json::parse(text));
    CHECK(parse_json<worker_schedule>(to_json_string(s)) == s);
}

TEST_CASE("schedules json: nulls and missing fields read as unset, with their presence")
{
    using F = worker_schedule::field;
    auto s = parse_json<worker_schedule>(
        R"({"id":"sch_1","type":"cron","input":null,"budget":null,"cron":null,"timezone":null})");
    CHECK(s.input.empty());
    CHECK(s.presence.is_null(F::input));
    CHECK_FALSE(s.budget.known());
    CHECK(s.budget.str().empty());
    CHECK(s.presence.is_absent(F::next_run_at));
    CHECK_FALSE(s.next_run_at);
    REQUIRE(std::holds_alternative<schedule_cron>(s.when));
    CHECK(std::get<schedule_cron>(s.when).cron.empty());
    CHECK(s.presence.is_null(F::cron));
    CHECK(s.presence.is_null(F::timezone));
    CHECK(to_json_string(s) ==
          R"({"id":"sch_1","type":"cron","input":null,"budget":null,"cron":null,"timezone":null})");
    s = parse_json<worker_schedule>(R"({"id":"sch_1","type":"delayed"})");
    CHECK(std::get<schedule_delayed>(s.when).delay_in_seconds == 0);
    CHECK(s.presence.is_absent(F::delay_in_seconds));
    CHECK(to_json_string(s) == R"({"id":"sch_1","type":"delayed"})");
    // An unknown budget is kept.
    s = parse_json<worker_schedule>(R"({"id":"sch_1","type":"delayed","budget":"max"})");
    CHECK(s.budget.str() == "max");
}

TEST_CASE("schedules json: a value of the wrong type names its field")
{
    CHECK(read_error(R"({"type":"delayed"})") == "id: missing");
    CHECK(read_error(R"({"id":"sch_1"})") == "type: missing");
    CHECK(read_error(R"({"id":"sch_1","type":null})") == "type: expected string, got null");
    CHECK(read_error(R"({"id":"sch_1","type":"delayed","delayInSeconds":"60"})") ==
          "delayInSeconds: expected integer, got string");
    CHECK(read_error(R"({"id":"sch_1","type":"interval","intervalSeconds":1.5})") ==
          "intervalSeconds: expected integer, got number 1.5");
    CHECK(read_error(R"({"id":"sch_1","type":"cron","cron":5})") == "cron: expected string, got number");
    CHECK(read_error(R"({"id":"sch_1","type":"scheduled","date":1714555800})") ==
          "date: expected string, got number");
    CHECK(read_error(R"({"id":"sch_1","type":"delayed","nextRunAt":1714555800})") ==
          "nextRunAt: expected string, got number");
    CHECK(read_error(R"([])") == "(root): expected object, got array");
}

TEST_CASE("schedules json: the list and the cancel answers")
{
    auto l = parse_json<schedule_list>(
        R"({"schedules":[{"id":"sch_1","type":"delayed","delayInSeconds":5},{"id":"sch_2","type":"other"}],"workerId":"wrk_1"})");
    REQUIRE(l.schedules.size() == 2);
    CHECK(l.schedules[0].id == "sch_1");
    CHECK(std::holds_alternative<schedule_unknown>(l.schedules[1].when));
    CHECK(l.schedules[1].raw.at("type") == "other"); // each keeps its object
    CHECK(l.worker_id == "wrk_1");
    CHECK(parse_json<schedule_list>(to_json_string(l)) == l);
    schedule_list bad;
    boost::system::error_code ec;
    std::string what;
    parse_json(R"({"workerId":"wrk_1"})", bad, ec, what);
    CHECK(what == "schedules: missing");
    parse_json(R"({"schedules":[{"id":"sch_1"}]})", bad, ec, what);
    CHECK(what == "schedules[0].type: missing");

    auto c = parse_json<cancel_schedule_response>(R"({"cancelled":true})");
    CHECK(c.cancelled);
    c = parse_json<cancel_schedule_response>(R"({})");
    CHECK_FALSE(c.cancelled);
    CHECK(c.presence.is_absent(cancel_schedule_response::field::cancelled));
    CHECK(to_json_string(c) == "{}");
}
