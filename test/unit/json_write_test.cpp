// Writing the models, and read(write(x)) == x for every model.
#include "json_samples.hpp"

#include "json/write.hpp"

#include <handinger/json.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>

using namespace handinger;
using handinger::test::make_delete;
using handinger::test::make_list;
using handinger::test::make_params;

namespace {

template <class T>
T round_trip(const T& x)
{
    return parse_json<T>(to_json_string(x));
}

boost::json::object written(const auto& x)
{
    return boost::json::value_from(x).as_object();
}

task full_task()
{
    task t;
    t.id = "tsk_1";
    t.completed_at = "2024-06-01T12:03:04Z";
    t.created_at = "2024-06-01T12:00:00Z";
    t.created_by_user_id = "usr_1";
    t.organization_id = "org_1";
    t.status = task_status::aborted;
    t.title = "t\"itle\n";
    t.totals = {1, 2, 3};
    t.triggered_by = task_trigger::schedule;
    t.url = "https://handinger.com/tasks/tsk_1";
    t.worker_id = "wrk_1";
    return t;
}

turn full_turn()
{
    turn u;
    u.id = "trn_1";
    u.task_id = "tsk_1";
    u.seq = 7;
    u.role = "user";
    u.status = turn_status::error;
    u.input = "in";
    u.output_text = "out \xe2\x82\xac";
    u.structured_output = boost::json::parse(R"({"a":[1,2.5,null,{"b":"c"}]})").as_object();
    u.credits = 4;
    u.duration_ms = 5;
    u.input_tokens = 6;
    u.output_tokens = INT64_MAX;
    u.started_at = "2024-06-01T12:00:01Z";
    u.completed_at = "2024-06-01T12:00:02Z";
    u.files = {{"a.pdf", "application/pdf", "https://f/a", 10},
               {std::nullopt, "image/png", "https://f/b", {}}};
    return u;
}

} // namespace

TEST_CASE("create_task_params: absent optionals are left out, never null")
{
    CHECK(to_json_string(make_params("hello")) == R"({"input":"hello"})");
    auto o = written(make_params("hi", task_budget::unlimited, "tsk_1", "wrk_1"));
    CHECK(o ==
          boost::json::parse(R"({"input":"hi","budget":"unlimited","taskId":"tsk_1","workerId":"wrk_1"})"));
    auto only_worker = written(make_params("hi", std::nullopt, std::nullopt, "wrk_1"));
    CHECK(only_worker.size() == 2);
    CHECK(!only_worker.contains("budget"));
    CHECK(!only_worker.contains("taskId"));
}

TEST_CASE("response models use the wire names and write nulls as the service does")
{
    task t;
    t.id = "tsk_1";
    auto o = written(t);
    CHECK(o.size() == 11);
    for (auto key : {"id", "completedAt", "createdAt", "createdByUserId", "organizationId", "status", "title",
                     "totals", "triggeredBy", "url", "workerId"})
        CHECK_MESSAGE(o.contains(key), key);
    CHECK(o.at("completedAt").is_null());
    CHECK(o.at("createdByUserId").is_null());
    CHECK(o.at("status") == "pending");
    CHECK(o.at("totals") == boost::json::parse(R"({"credits":0,"durationMs":0,"turnCount":0})"));

    auto u = written(turn{});
    CHECK(u.size() == 15);
    CHECK(u.at("structuredOutput").is_null());
    CHECK(u.at("completedAt").is_null());
    CHECK(u.at("files").as_array().empty());
    CHECK(u.contains("outputText"));
    CHECK(u.contains("inputTokens"));

    auto f = written(turn_file{});
    CHECK(f.at("filename").is_null());
    CHECK(!f.contains("size")); // `size?` is left out, as the service does

    auto r = written(run_result{});
    CHECK(r.size() == 16);
    CHECK(r.at("structured_output").is_null());
    CHECK(r.at("created_at").is_null());
    CHECK(r.at("error").is_null());
    CHECK(r.at("usage").as_object().empty());

    CHECK(to_json_string(make_delete(true)) == R"({"archived":true})");
}

TEST_CASE("unknown enum values are written as their raw string")
{
    task t;
    t.id = "t";
    t.status = open_enum<task_status>::from_string("paused");
    t.triggered_by = open_enum<task_trigger>::from_string("webhook");
    auto o = written(t);
    CHECK(o.at("status") == "paused");
    CHECK(o.at("triggeredBy") == "webhook");
    CHECK(round_trip(t) == t);

    run_result r;
    r.status = open_enum<run_status>::from_string("cancelled");
    CHECK(written(r).at("status") == "cancelled");
    CHECK(round_trip(r).status.str() == "cancelled");

    turn u;
    u.status = open_enum<turn_status>::from_string("queued");
    CHECK(round_trip(u).status.str() == "queued");

    auto p = make_params("x", open_enum<task_budget>::from_string("extreme"));
    CHECK(written(p).at("budget") == "extreme");
    CHECK(round_trip(p) == p);
}

TEST_CASE("task_with_turns without turns writes no turns key")
{
    task_with_turns r;
    r.task = full_task();
    r.has_turns = false;
    CHECK(!written(r).contains("turns"));
    CHECK(round_trip(r) == r);
    r.has_turns = true;
    CHECK(written(r).at("turns").as_array().empty());
    CHECK(round_trip(r) == r);
}

TEST_CASE("round trip: every model")
{
    CHECK(round_trip(make_params("x")) == make_params("x"));
    auto p = make_params("in", task_budget::low, "tsk_1", "wrk_1");
    CHECK(round_trip(p) == p);

    CHECK(round_trip(task_totals{1, -2, INT64_MIN}) == task_totals{1, -2, INT64_MIN});
    CHECK(round_trip(full_task()) == full_task());
    CHECK(round_trip(task{}) == task{});
    CHECK(round_trip(full_turn()) == full_turn());
    CHECK(round_trip(turn{}) == turn{});
    turn_file f{"n", "text/plain", "https://f", 0};
    CHECK(round_trip(f) == f);
    CHECK(round_trip(turn_file{}) == turn_file{});

    task_with_turns tw;
    tw.task = full_task();
    tw.turns = {full_turn(), turn{}};
    CHECK(round_trip(tw) == tw);

    auto l = make_list("tsk_1", {full_turn(), full_turn()});
    CHECK(round_trip(l) == l);
    CHECK(round_trip(make_delete(true)).archived);
    CHECK(!round_trip(make_delete(false)).archived);

    CHECK(round_trip(run_content{"text", "hi"}) == run_content{"text", "hi"});
    run_message m{"assistant", {{"text", "a"}, {"text", "b"}}};
    CHECK(round_trip(m) == m);
    CHECK(round_trip(run_usage{42}) == run_usage{42});
    CHECK(round_trip(run_usage{}) == run_usage{});

    run_result r;
    r.id = "run_1";
    r.object = "worker";
    r.status = run_status::running;
    r.running = true;
    r.output_text = "x";
    r.output = {m};
    r.structured_output = boost::json::parse(R"({"k":[1.5e300,-0.0,18446744073709551615]})").as_object();
    r.files = {f};
    r.sources = boost::json::parse(R"([{"url":"u"},1,"s"])").as_array();
    r.messages = boost::json::parse(R"([{"role":"user"}])").as_array();
    r.metadata = boost::json::parse(R"({"m":{"n":null}})").as_object();
    r.url = "https://u";
    r.created_at = 1717243200.123456789;
    r.usage = {99};
    r.error = "boom";
    r.incomplete_details = boost::json::parse(R"({"reason":"r"})");
    CHECK(round_trip(r) == r);
    CHECK(round_trip(run_result{}) == run_result{});
}

TEST_CASE("round trip: the realistic samples")
{
    auto tw = parse_json<task_with_turns>(test::task_with_turns_json);
    CHECK(round_trip(tw) == tw);
    auto r = parse_json<run_result>(test::run_result_json);
    CHECK(round_trip(r) == r);
    // Written with the service's keys, the typed part of the sample is all there.
    auto again = boost::json::parse(to_json_string(tw)).as_object();
    CHECK(again.at("task") == tw.raw.at("task"));
}

TEST_CASE("round trip keeps each field: a change is seen")
{
    // Guards the round-trip tests against an equality that ignores fields.
    auto base = full_turn();
    auto changed = base;
    changed.files[1].size = 1;
    CHECK(round_trip(changed) != base);
    changed = base;
    changed.structured_output->at("a").as_array().emplace_back(0);
    CHECK(round_trip(changed) != base);
    auto t = full_task();
    t.totals.turn_count = 9;
    CHECK(round_trip(t) != full_task());
}

TEST_CASE("doubles read back bit for bit")
{
    // Boost.JSON 1.81's own conversion reads these (written by its exact
    // shortest serializer) as a neighbouring double; ours must not.
    for (double d : {1.3927926388013963E-143, 5.409760742964738E124, -2.128409656321987E-239, 4.9E-324,
                     1.7976931348623157E308, 1717243200.123456789, 0.1, -0.0}) {
        run_result r;
        r.created_at = d;
        r.metadata["d"] = d;
        auto back = round_trip(r);
        REQUIRE(back.created_at);
        CHECK(std::bit_cast<std::uint64_t>(*back.created_at) == std::bit_cast<std::uint64_t>(d));
        CHECK(std::bit_cast<std::uint64_t>(back.metadata.at("d").as_double()) ==
              std::bit_cast<std::uint64_t>(d));
    }
    // And a deterministic spread over all exponents.
    std::uint64_t x = 0x9E3779B97F4A7C15u;
    int mismatches = 0;
    for (int i = 0; i < 20000; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; // xorshift64
        double d = std::bit_cast<double>(x);
        if (!std::isfinite(d))
            continue;
        run_result r;
        r.created_at = d;
        if (std::bit_cast<std::uint64_t>(*round_trip(r).created_at) != x)
            ++mismatches;
    }
    CHECK(mismatches == 0);
}

TEST_CASE("json write: the create request body, written straight to text, is serialize(value_from(p)) byte "
          "for byte")
{
    using handinger::detail::create_request_body;
    auto same = [](const handinger::create_task_params& p) {
        CHECK(create_request_body(p) == boost::json::serialize(boost::json::value_from(p)));
    };
    handinger::create_task_params p;
    p.input = "Compare three vendors' prices";
    same(p);
    p.budget = handinger::task_budget::high;
    same(p);
    p.task_id = "tsk_01J00000000000000000000000";
    same(p);
    p.worker_id = "wrk_abc";
    same(p);
    p.budget.reset();
    same(p);
    p.task_id.reset();
    same(p);
    // Every byte on its own, in each field, and runs of them.
    std::string all;
    for (int c = 0; c < 256; ++c) {
        std::string one(1, static_cast<char>(c));
        all += one;
        handinger::create_task_params q;
        q.input = "a" + one + "b";
        q.task_id = one;
        q.worker_id = one + one;
        same(q);
    }
    handinger::create_task_params r;
    r.input = all + all;
    r.task_id = "\"quoted\" \\ and \t tab \u00e9 \xe2\x82\xac";
    same(r);
    r.input.clear(); // (invalid as a request, still written the same)
    same(r);
}
