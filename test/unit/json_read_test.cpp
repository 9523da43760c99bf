// Reading every field of every model, nullables, defaults, unknown values.
#include "json_samples.hpp"

#include <handinger/error.hpp>
#include <handinger/json.hpp>

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

using namespace handinger;
using handinger::test::make_params;
using handinger::test::parse_error;

TEST_CASE("task_with_turns: every field of a realistic response")
{
    auto r = parse_json<task_with_turns>(test::task_with_turns_json);
    const task& t = r.task;
    CHECK(t.id == "tsk_01HZY31W2SZJ8MJ2FQTR3M1K9D");
    CHECK(t.completed_at == "2024-06-01T12:03:04.500Z");
    CHECK(t.created_at == "2024-06-01T12:00:00.000Z");
    CHECK(t.created_by_user_id == "usr_42");
    CHECK(t.organization_id == "org_7");
    CHECK(t.status == task_status::completed);
    CHECK(t.title == "Summarise the quarterly report");
    CHECK(t.totals == task_totals{17, 184500, 2});
    CHECK(t.triggered_by == task_trigger::api);
    CHECK(t.url == "https://handinger.com/tasks/tsk_01HZY31W2SZJ8MJ2FQTR3M1K9D");
    CHECK(t.worker_id == "wrk_vk81XUHKHG-qr4");

    CHECK(r.has_turns);
    REQUIRE(r.turns.size() == 2);
    const turn& u = r.turns[0];
    CHECK(u.id == "trn_1");
    CHECK(u.task_id == "tsk_01HZY31W2SZJ8MJ2FQTR3M1K9D");
    CHECK(u.seq == 1);
    CHECK(u.role == "user");
    CHECK(u.status == turn_status::completed);
    CHECK(u.input == "Summarise the attached report");
    CHECK(u.output_text == "The report says revenue grew 12%.");
    REQUIRE(u.structured_output.has_value());
    CHECK(*u.structured_output ==
          boost::json::parse(R"({"growth":0.12,"tags":["revenue","q2"]})").as_object());
    CHECK(u.credits == 12);
    CHECK(u.duration_ms == 120000);
    CHECK(u.input_tokens == 1500);
    CHECK(u.output_tokens == 320);
    CHECK(u.started_at == "2024-06-01T12:00:01.000Z");
    CHECK(u.completed_at == "2024-06-01T12:02:01.000Z");
    REQUIRE(u.files.size() == 2);
    CHECK(u.files[0] ==
          turn_file{"summary.pdf", "application/pdf", "https://files.handinger.com/f/1", 20480});
    CHECK(u.files[1] ==
          turn_file{std::nullopt, "image/png", "https://files.handinger.com/f/2", std::nullopt});

    const turn& w = r.turns[1];
    CHECK(w.seq == 2);
    CHECK(w.status == turn_status::running);
    CHECK(w.output_text.empty());
    CHECK(!w.structured_output);
    CHECK(!w.completed_at);
    CHECK(w.files.empty()); // older services send no "files"

    CHECK(r.raw.at("task").as_object().at("id") == "tsk_01HZY31W2SZJ8MJ2FQTR3M1K9D");
}

TEST_CASE("read_json from a value equals parse_json and copies raw")
{
    auto v = boost::json::parse(test::task_with_turns_json);
    task_with_turns r;
    boost::system::error_code ec = error::timeout; // cleared on success
    std::string what = "stale";
    read_json(v, r, ec, what);
    CHECK(!ec);
    CHECK(what.empty());
    CHECK(r == parse_json<task_with_turns>(test::task_with_turns_json));
    CHECK(r.raw == v.as_object());
}

TEST_CASE("task_with_turns without a turns key: has_turns is false")
{
    auto r = parse_json<task_with_turns>(R"({"task":{"id":"tsk_1","status":"running"}})");
    CHECK(!r.has_turns);
    CHECK(r.turns.empty());
    CHECK(r.task.status == task_status::running);

    auto e = parse_json<task_with_turns>(R"({"task":{"id":"tsk_1","status":"running"},"turns":[]})");
    CHECK(e.has_turns);
    CHECK(e.turns.empty());
}

TEST_CASE("task_turn_list, delete_task_response, create_task_params")
{
    auto l = parse_json<task_turn_list>(
        R"({"taskId":"tsk_1","items":[{"id":"trn_1","seq":0,"status":"running"},{"id":"trn_2","seq":1,"status":"error"}]})");
    CHECK(l.task_id == "tsk_1");
    REQUIRE(l.items.size() == 2);
    CHECK(l.items[0].id == "trn_1");
    CHECK(l.items[0].seq == 0);
    CHECK(l.items[1].status == turn_status::error);
    CHECK(l.raw.contains("items"));

    CHECK(parse_json<delete_task_response>(R"({"archived":true})").archived);
    CHECK(!parse_json<delete_task_response>(R"({"archived":false})").archived);
    CHECK(!parse_json<delete_task_response>("{}").archived);
    CHECK(parse_json<delete_task_response>("{}").presence.is_absent(delete_task_response::field::archived));

    auto p = parse_json<create_task_params>(
        R"({"input":"hi","budget":"high","taskId":"tsk_1","workerId":"wrk_1"})");
    CHECK(p == make_params("hi", task_budget::high, "tsk_1", "wrk_1"));
    CHECK(parse_json<create_task_params>(R"({"input":"hi"})") == make_params("hi"));
}

TEST_CASE("run_result: every field of a realistic create response")
{
    auto r = parse_json<run_result>(test::run_result_json);
    CHECK(r.id == "run_9");
    CHECK(r.object == "worker");
    CHECK(r.status == run_status::completed);
    CHECK(!r.running);
    CHECK(r.output_text == "Done.");
    REQUIRE(r.output.size() == 1);
    CHECK(r.output[0].role == "assistant");
    REQUIRE(r.output[0].content.size() == 1);
    CHECK(r.output[0].content[0] == run_content{"output_text", "Done."});
    CHECK(r.structured_output == boost::json::parse(R"({"ok":true})").as_object());
    REQUIRE(r.files.size() == 1);
    CHECK(r.files[0] == turn_file{"a.txt", "text/plain", "https://f/a", 3});
    CHECK(r.sources == boost::json::parse(R"([{"url":"https://example.com","title":"Example"}])").as_array());
    CHECK(r.messages == boost::json::parse(R"([{"role":"user","content":"hi"}])").as_array());
    CHECK(r.metadata == boost::json::parse(R"({"team":"ops"})").as_object());
    CHECK(r.url == "https://handinger.com/workers/wrk_vk81XUHKHG-qr4");
    CHECK(r.created_at == 1717243200.5);
    CHECK(r.usage.duration_ms == 4200);
    CHECK(r.error.is_null());
    CHECK(r.incomplete_details == boost::json::parse(R"({"reason":"max_tokens"})"));
    CHECK(r.raw.size() == 16);
}

TEST_CASE("run_result: every field may be absent - the error field keeps any JSON")
{
    auto r = parse_json<run_result>("{}");
    run_result unset;
    unset.status = open_enum<run_status>::from_string(""); // the service did not say
    CHECK(r == unset);
    CHECK(r.status == run_status::unknown);
    CHECK(r.presence.is_absent(run_result::field::status));
    CHECK(!r.usage.duration_ms);
    CHECK(r.error.is_null());

    auto e = parse_json<run_result>(R"({"error":"boom","created_at":1717243200,"usage":{}})");
    CHECK(e.error == "boom");
    CHECK(e.created_at == 1717243200.0); // an integer is a number too
    CHECK(!e.usage.duration_ms);
}

TEST_CASE("nullable fields: null and absent both read as nullopt")
{
    // Each nullable, first null then absent, on top of an otherwise full value.
    struct probe {
        const char* json;
        bool (*empty)(const task_with_turns&);
    };
    const probe probes[] = {
        {R"({"task":{"id":"t","status":"running","completedAt":null}})",
         [](const task_with_turns& r) { return !r.task.completed_at; }},
        {R"({"task":{"id":"t","status":"running"}})",
         [](const task_with_turns& r) { return !r.task.completed_at; }},
        {R"({"task":{"id":"t","status":"running","createdByUserId":null}})",
         [](const task_with_turns& r) { return !r.task.created_by_user_id; }},
        {R"({"task":{"id":"t","status":"running"}})",
         [](const task_with_turns& r) { return !r.task.created_by_user_id; }},
        {R"({"task":{"id":"t","status":"running"},"turns":[{"id":"u","seq":1,"status":"running","completedAt":null}]})",
         [](const task_with_turns& r) { return !r.turns.at(0).completed_at; }},
        {R"({"task":{"id":"t","status":"running"},"turns":[{"id":"u","seq":1,"status":"running"}]})",
         [](const task_with_turns& r) { return !r.turns.at(0).completed_at; }},
        {R"({"task":{"id":"t","status":"running"},"turns":[{"id":"u","seq":1,"status":"running","structuredOutput":null}]})",
         [](const task_with_turns& r) { return !r.turns.at(0).structured_output; }},
        {R"({"task":{"id":"t","status":"running"},"turns":[{"id":"u","seq":1,"status":"running"}]})",
         [](const task_with_turns& r) { return !r.turns.at(0).structured_output; }},
        {R"({"task":{"id":"t","status":"running"},"turns":[{"id":"u","seq":1,"status":"running","files":[{"filename":null,"size":null}]}]})",
         [](const task_with_turns& r) {
             return !r.turns.at(0).files.at(0).filename && !r.turns[0].files[0].size;
         }},
        {R"({"task":{"id":"t","status":"running"},"turns":[{"id":"u","seq":1,"status":"running","files":[{}]}]})",
         [](const task_with_turns& r) {
             return !r.turns.at(0).files.at(0).filename && !r.turns[0].files[0].size;
         }},
    };
    for (const auto& p : probes) {
        CAPTURE(p.json);
        auto r = parse_json<task_with_turns>(p.json);
        CHECK(p.empty(r));
    }

    auto n =
        parse_json<run_result>(R"({"structured_output":null,"created_at":null,"usage":{"durationMs":null}})");
    CHECK(!n.structured_output);
    CHECK(!n.created_at);
    CHECK(!n.usage.duration_ms);

    auto c = parse_json<create_task_params>(R"({"input":"x","budget":null,"taskId":null,"workerId":null})");
    CHECK(c == make_params("x"));
}

TEST_CASE("absent fields hold their unset values - an enum is unknown, not its first value")
{
    auto r = parse_json<task_with_turns>(
        R"({"task":{"id":"t","status":"error"},"turns":[{"id":"u","seq":3,"status":"running"}]})");
    task expected_task;
    expected_task.id = "t";
    expected_task.status = task_status::error;
    expected_task.triggered_by = open_enum<task_trigger>::from_string("");
    CHECK(r.task == expected_task);
    CHECK(r.task.totals == task_totals{});
    CHECK(r.task.triggered_by == task_trigger::unknown);
    CHECK(r.task.triggered_by.str().empty());
    turn expected_turn;
    expected_turn.id = "u";
    expected_turn.seq = 3;
    expected_turn.status = turn_status::running;
    CHECK(r.turns.at(0) == expected_turn);

    CHECK(parse_json<task_totals>(R"({"credits":4})") == task_totals{4, 0, 0});
    CHECK(parse_json<turn_file>("{}") == turn_file{});
    CHECK(parse_json<run_message>("{}") == run_message{});
    CHECK(parse_json<run_content>(R"({"text":"x"})") == run_content{"", "x"});
}

TEST_CASE("reading into a used object starts from the defaults")
{
    auto r = parse_json<task_with_turns>(test::task_with_turns_json);
    boost::system::error_code ec;
    std::string what;
    parse_json(R"({"task":{"id":"t2","status":"pending"}})", r, ec, what);
    REQUIRE(!ec);
    CHECK(r.task.title.empty());
    CHECK(!r.task.completed_at);
    CHECK(r.turns.empty());
    CHECK(!r.has_turns);
    CHECK(r.raw.size() == 1);
}

TEST_CASE("unknown enum values are kept raw")
{
    auto r = parse_json<task_with_turns>(
        R"({"task":{"id":"t","status":"paused","triggeredBy":"webhook"},"turns":[{"id":"u","seq":1,"status":"queued"}]})");
    CHECK(!r.task.status.known());
    CHECK(r.task.status.str() == "paused");
    CHECK(is_terminal(r.task.status)); // nothing waits forever on a new status
    CHECK(r.task.triggered_by.value() == task_trigger::unknown);
    CHECK(r.task.triggered_by.str() == "webhook");
    CHECK(r.turns[0].status.str() == "queued");
    CHECK(r.turns[0].status == turn_status::unknown);

    auto run = parse_json<run_result>(R"({"status":"cancelled"})");
    CHECK(run.status == run_status::unknown);
    CHECK(run.status.str() == "cancelled");

    auto p = parse_json<create_task_params>(R"({"input":"x","budget":"extreme"})");
    REQUIRE(p.budget);
    CHECK(p.budget->str() == "extreme");
    CHECK(!validate(p).empty()); // a read-back unknown budget is not sent blindly
}

TEST_CASE("unknown fields are ignored but kept in raw")
{
    auto r = parse_json<task_with_turns>(
        R"({"task":{"id":"t","status":"running","priority":3},"turns":[],"cursor":"abc"})");
    CHECK(r.raw.at("cursor") == "abc");
    CHECK(r.raw.at("task").at("priority") == 3);

    CHECK(parse_json<task_turn_list>(R"({"items":[],"next":null})").raw.contains("next"));
    CHECK(parse_json<delete_task_response>(R"({"archived":true,"at":"now"})").raw.at("at") == "now");
    CHECK(parse_json<run_result>(R"({"id":"r","extra":[1]})").raw.at("extra").as_array().size() == 1);
}

TEST_CASE("integers: integral doubles accepted, int64 limits exact")
{
    auto t = parse_json<task_totals>(R"({"credits":3.0,"durationMs":-0.0,"turnCount":1e3})");
    CHECK(t == task_totals{3, 0, 1000});
    auto m = parse_json<task_totals>(R"({"credits":9223372036854775807,"durationMs":-9223372036854775808})");
    CHECK(m.credits == INT64_MAX);
    CHECK(m.duration_ms == INT64_MIN);
    CHECK(parse_json<task_totals>(R"({"credits":-9.223372036854775808e18})").credits == INT64_MIN);
}

TEST_CASE("run result: null reads as the unset value for every field, and presence says null")
{
    auto r = parse_json<run_result>(
        R"({"id":null,"object":null,"status":null,"running":null,"output_text":null,"output":null,)"
        R"("structured_output":null,"files":null,"sources":null,"messages":null,"metadata":null,"url":null,)"
        R"("created_at":null,"usage":null,"error":null,"incomplete_details":null})");
    CHECK(r == parse_json<run_result>("{}"));
    CHECK(r.raw.size() == 16);
    for (std::size_t i = 0; i < run_result::field_names.size(); ++i)
        CHECK(r.presence.is_null(static_cast<run_result::field>(i)));
}
