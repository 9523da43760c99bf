// Every way reading can fail, with its exact message.
#include "json_samples.hpp"

#include <handinger/error.hpp>
#include <handinger/json.hpp>

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

using namespace handinger;
using handinger::test::parse_error;

namespace {

// A task_with_turns whose task has one extra field `field: value`.
std::string with_task_field(std::string_view field, std::string_view value)
{
    return R"({"task":{"id":"t","status":"running",")" + std::string(field) + "\":" + std::string(value) +
           "}}";
}

// A task_with_turns whose second turn has one extra field (or another
// status).
std::string with_turn_field(std::string_view field, std::string_view value)
{
    std::string status = field == "status" ? "" : R"("status":"running",)";
    return R"({"task":{"id":"t","status":"running"},"turns":[{"id":"a","seq":1,"status":"running"},)"
           R"({"id":"b","seq":2,)" +
           status + "\"" + std::string(field) + "\":" + std::string(value) + "}]}";
}

} // namespace

TEST_CASE("required fields missing")
{
    CHECK(parse_error<task_with_turns>(R"({"turns":[]})") == "task: missing");
    CHECK(parse_error<task_with_turns>(R"({"task":{"status":"running"}})") == "task.id: missing");
    CHECK(parse_error<task_with_turns>(R"({"task":{"id":"t"}})") == "task.status: missing");
    CHECK(parse_error<task_with_turns>(R"({"task":{"id":"t","status":"running"},"turns":[{"seq":1}]})") ==
          "turns[0].id: missing");
    CHECK(parse_error<task_with_turns>(R"({"task":{"id":"t","status":"running"},"turns":[{"id":"u"}]})") ==
          "turns[0].seq: missing");
    CHECK(parse_error<task_with_turns>(
              R"({"task":{"id":"t","status":"running"},"turns":[{"id":"u","seq":1}]})") ==
          "turns[0].status: missing");
    CHECK(parse_error<task_turn_list>(R"({"taskId":"t"})") == "items: missing");
    CHECK(parse_error<task_turn_list>(R"({"items":[{"id":"u","seq":0,"status":"running"},{"id":"v"}]})") ==
          "items[1].seq: missing");
    CHECK(parse_error<task>(R"({"status":"running"})") == "id: missing");
    CHECK(parse_error<turn>(R"({"id":"u"})") == "seq: missing");
    CHECK(parse_error<turn>(R"({"id":"u","seq":1})") == "status: missing");
}

TEST_CASE("the root must be an object")
{
    CHECK(parse_error<task_with_turns>("[]") == "(root): expected object, got array");
    CHECK(parse_error<task_turn_list>("null") == "(root): expected object, got null");
    CHECK(parse_error<delete_task_response>("true") == "(root): expected object, got boolean");
    CHECK(parse_error<run_result>("\"x\"") == "(root): expected object, got string");
    CHECK(parse_error<create_task_params>("1") == "(root): expected object, got number");

    task_with_turns out;
    boost::system::error_code ec;
    std::string what;
    read_json(boost::json::value(boost::json::array{1}), out, ec, what);
    CHECK(ec == error::invalid_response);
    CHECK(what == "(root): expected object, got array");
}

TEST_CASE("wrong types in task fields")
{
    CHECK(parse_error<task_with_turns>(R"({"task":{"id":1,"status":"running"}})") ==
          "task.id: expected string, got number");
    CHECK(parse_error<task_with_turns>(R"({"task":{"id":null,"status":"running"}})") ==
          "task.id: expected string, got null");
    CHECK(parse_error<task_with_turns>(R"({"task":{"id":"t","status":3}})") ==
          "task.status: expected string, got number");
    CHECK(parse_error<task_with_turns>(with_task_field("completedAt", "false")) ==
          "task.completedAt: expected string, got boolean");
    CHECK(parse_error<task_with_turns>(with_task_field("createdAt", "5")) ==
          "task.createdAt: expected string, got number");
    CHECK(parse_error<task_with_turns>(with_task_field("createdByUserId", "{}")) ==
          "task.createdByUserId: expected string, got object");
    CHECK(parse_error<task_with_turns>(with_task_field("organizationId", "[]")) ==
          "task.organizationId: expected string, got array");
    CHECK(parse_error<task_with_turns>(with_task_field("title", "[]")) ==
          "task.title: expected string, got array");
    CHECK(parse_error<task_with_turns>(with_task_field("totals", "[]")) ==
          "task.totals: expected object, got array");
    CHECK(parse_error<task_with_turns>(with_task_field("totals", "0")) ==
          "task.totals: expected object, got number");
    CHECK(parse_error<task_with_turns>(with_task_field("totals", R"({"credits":"5"})")) ==
          "task.totals.credits: expected integer, got string");
    CHECK(parse_error<task_with_turns>(with_task_field("totals", R"({"durationMs":[]})")) ==
          "task.totals.durationMs: expected integer, got array");
    CHECK(parse_error<task_with_turns>(with_task_field("totals", R"({"turnCount":true})")) ==
          "task.totals.turnCount: expected integer, got boolean");
    CHECK(parse_error<task_with_turns>(with_task_field("triggeredBy", "{}")) ==
          "task.triggeredBy: expected string, got object");
    CHECK(parse_error<task_with_turns>(with_task_field("url", "1.5")) ==
          "task.url: expected string, got number");
    CHECK(parse_error<task_with_turns>(with_task_field("workerId", "true")) ==
          "task.workerId: expected string, got boolean");
}

TEST_CASE("wrong types in turn fields")
{
    CHECK(parse_error<task_with_turns>(R"({"task":{"id":"t","status":"running"},"turns":{}})") ==
          "turns: expected array, got object");
    CHECK(parse_error<task_with_turns>(R"({"task":{"id":"t","status":"running"},"turns":[1]})") ==
          "turns[0]: expected object, got number");
    CHECK(parse_error<task_with_turns>(with_turn_field("seq", "1.5")) ==
          "turns[1].seq: expected integer, got number 1.5");
    CHECK(parse_error<task_with_turns>(with_turn_field("seq", "\"2\"")) ==
          "turns[1].seq: expected integer, got string");
    CHECK(parse_error<task_with_turns>(with_turn_field("taskId", "7")) ==
          "turns[1].taskId: expected string, got number");
    CHECK(parse_error<task_with_turns>(with_turn_field("role", "1")) ==
          "turns[1].role: expected string, got number");
    CHECK(parse_error<task_with_turns>(with_turn_field("status", "null")) ==
          "turns[1].status: expected string, got null");
    CHECK(parse_error<task_with_turns>(with_turn_field("input", "[]")) ==
          "turns[1].input: expected string, got array");
    CHECK(parse_error<task_with_turns>(with_turn_field("outputText", "false")) ==
          "turns[1].outputText: expected string, got boolean");
    CHECK(parse_error<task_with_turns>(with_turn_field("structuredOutput", "[1]")) ==
          "turns[1].structuredOutput: expected object, got array");
    CHECK(parse_error<task_with_turns>(with_turn_field("credits", "-0.25")) ==
          "turns[1].credits: expected integer, got number -0.25");
    CHECK(parse_error<task_with_turns>(with_turn_field("durationMs", "\"1\"")) ==
          "turns[1].durationMs: expected integer, got string");
    CHECK(parse_error<task_with_turns>(with_turn_field("inputTokens", "{}")) ==
          "turns[1].inputTokens: expected integer, got object");
    CHECK(parse_error<task_with_turns>(with_turn_field("outputTokens", "\"0\"")) ==
          "turns[1].outputTokens: expected integer, got string");
    CHECK(parse_error<task_with_turns>(with_turn_field("startedAt", "0")) ==
          "turns[1].startedAt: expected string, got number");
    CHECK(parse_error<task_with_turns>(with_turn_field("completedAt", "0")) ==
          "turns[1].completedAt: expected string, got number");
    CHECK(parse_error<task_with_turns>(with_turn_field("files", "{}")) ==
          "turns[1].files: expected array, got object");
    CHECK(parse_error<task_with_turns>(with_turn_field("files", R"([{"mediaType":"a"},{"mediaType":1}])")) ==
          "turns[1].files[1].mediaType: expected string, got number");
    CHECK(parse_error<task_with_turns>(with_turn_field("files", R"([{"filename":2}])")) ==
          "turns[1].files[0].filename: expected string, got number");
    CHECK(parse_error<task_with_turns>(with_turn_field("files", R"([{"url":0}])")) ==
          "turns[1].files[0].url: expected string, got number");
    CHECK(parse_error<task_with_turns>(with_turn_field("files", R"([{"size":"big"}])")) ==
          "turns[1].files[0].size: expected integer, got string");
    CHECK(parse_error<task_with_turns>(with_turn_field("files", R"(["x"])")) ==
          "turns[1].files[0]: expected object, got string");
}

TEST_CASE("wrong types in the other models")
{
    CHECK(parse_error<task_turn_list>(R"({"taskId":5,"items":[]})") == "taskId: expected string, got number");
    CHECK(parse_error<task_turn_list>(R"({"items":{}})") == "items: expected array, got object");
    CHECK(parse_error<delete_task_response>(R"({"archived":"yes"})") ==
          "archived: expected boolean, got string");
    CHECK(parse_error<delete_task_response>(R"({"archived":1})") == "archived: expected boolean, got number");
    CHECK(parse_error<create_task_params>(R"({"input":null})") == "input: expected string, got null");
    CHECK(parse_error<create_task_params>(R"({"input":"x","budget":1})") ==
          "budget: expected string, got number");
    CHECK(parse_error<create_task_params>(R"({"input":"x","taskId":[]})") ==
          "taskId: expected string, got array");
    CHECK(parse_error<create_task_params>(R"({"input":"x","workerId":{}})") ==
          "workerId: expected string, got object");

    CHECK(parse_error<run_result>(R"({"id":1})") == "id: expected string, got number");
    CHECK(parse_error<run_result>(R"({"object":7})") == "object: expected string, got number");
    CHECK(parse_error<run_result>(R"({"status":false})") == "status: expected string, got boolean");
    CHECK(parse_error<run_result>(R"({"running":"no"})") == "running: expected boolean, got string");
    CHECK(parse_error<run_result>(R"({"output_text":false})") == "output_text: expected string, got boolean");
    CHECK(parse_error<run_result>(R"({"output":[{"content":[{"text":1}]}]})") ==
          "output[0].content[0].text: expected string, got number");
    CHECK(parse_error<run_result>(R"({"output":[{"role":"a","content":"x"}]})") ==
          "output[0].content: expected array, got string");
    CHECK(parse_error<run_result>(R"({"output":[{"content":[{"type":[]}]}]})") ==
          "output[0].content[0].type: expected string, got array");
    CHECK(parse_error<run_result>(R"({"output":[{"role":3}]})") ==
          "output[0].role: expected string, got number");
    CHECK(parse_error<run_result>(R"({"structured_output":"x"})") ==
          "structured_output: expected object, got string");
    CHECK(parse_error<run_result>(R"({"files":{}})") == "files: expected array, got object");
    CHECK(parse_error<run_result>(R"({"sources":"x"})") == "sources: expected array, got string");
    CHECK(parse_error<run_result>(R"({"messages":{}})") == "messages: expected array, got object");
    CHECK(parse_error<run_result>(R"({"metadata":[]})") == "metadata: expected object, got array");
    CHECK(parse_error<run_result>(R"({"url":1})") == "url: expected string, got number");
    CHECK(parse_error<run_result>(R"({"created_at":"2024"})") == "created_at: expected number, got string");
    CHECK(parse_error<run_result>(R"({"usage":3})") == "usage: expected object, got number");
    CHECK(parse_error<run_result>(R"({"usage":{"durationMs":1.25}})") ==
          "usage.durationMs: expected integer, got number 1.25");
}

TEST_CASE("integers out of range")
{
    CHECK(parse_error<task_totals>(R"({"credits":18446744073709551615})") ==
          "credits: integer out of range: 18446744073709551615");
    CHECK(parse_error<task_totals>(R"({"credits":9223372036854775808})") ==
          "credits: integer out of range: 9223372036854775808");
    CHECK(parse_error<task_totals>(R"({"credits":1e19})") == "credits: integer out of range: 1e+19");
    CHECK(parse_error<task_totals>(R"({"credits":-1e19})") == "credits: integer out of range: -1e+19");
    CHECK(parse_error<task_totals>(R"({"credits":1e400})") == "credits: integer out of range: inf");
}

TEST_CASE("numbers too large for a double are refused where JSON is kept")
{
    // Boost.JSON would write them back as `Infinity`, which is not JSON.
    CHECK(parse_error<run_result>(R"({"created_at":1e400})") == "created_at: number out of range");
    CHECK(parse_error<run_result>(R"({"metadata":{"a":[1,-1e999]}})") ==
          "metadata.a[1]: number out of range");
    CHECK(parse_error<run_result>(R"({"error":{"x":1e400}})") == "error.x: number out of range");
    CHECK(parse_error<task_with_turns>(with_turn_field("structuredOutput", R"({"v":[[1e500]]})")) ==
          "turns[1].structuredOutput.v[0][0]: number out of range");
}

TEST_CASE("invalid JSON reports the parser's message and the offset")
{
    CHECK(parse_error<task_with_turns>("") == "invalid JSON: incomplete JSON at offset 0");
    CHECK(parse_error<task_with_turns>(R"({"task":)") == "invalid JSON: incomplete JSON at offset 8");
    CHECK(parse_error<task_with_turns>(R"({"a":1,})") == "invalid JSON: syntax error at offset 7");
    CHECK(parse_error<delete_task_response>(R"({"archived":true} x)") ==
          "invalid JSON: extra data at offset 18");
    CHECK(parse_error<run_result>("{\"id\":\"\xff\"}") == "invalid JSON: syntax error at offset 7");
    CHECK(parse_error<delete_task_response>(" {\"archived\":true} \n").empty()); // whitespace around is fine

    std::string deep(200, '[');
    CHECK(parse_error<run_result>("{\"sources\":" + deep).find("invalid JSON: ") == 0);
}

TEST_CASE("the throwing parse_json throws api_error(invalid_response) with the message")
{
    try {
        parse_json<task_with_turns>(R"({"task":{"id":"t","status":"running","totals":{"credits":"5"}}})");
        FAIL("no exception");
    } catch (const api_error& e) {
        CHECK(e.code() == error::invalid_response);
        CHECK(e.diag().client_message == "task.totals.credits: expected integer, got string");
        CHECK(std::string(e.what()).find("task.totals.credits") != std::string::npos);
    }
    CHECK_THROWS_AS(parse_json<run_result>("{"), api_error);
    CHECK_NOTHROW(parse_json<run_result>("{}"));
}

TEST_CASE("a failed read reports only the first problem")
{
    CHECK(parse_error<task_with_turns>(R"({"task":{"id":1,"status":2},"turns":3})") ==
          "task.id: expected string, got number");
}

TEST_CASE("a key of JSON kept as JSON that is not a plain name is quoted in the path")
{
    // Plain names (letters, digits, '_') as they are; anything else as a
    // JSON string in brackets: no "a.b" read as two keys, no line break in
    // a log line.
    CHECK(parse_error<run_result>(R"({"metadata":{"a_1":{"B2":1e400}}})") ==
          "metadata.a_1.B2: number out of range");
    CHECK(parse_error<run_result>(R"({"metadata":{"a.b":1e400}})") ==
          R"(metadata["a.b"]: number out of range)");
    CHECK(parse_error<run_result>(R"({"metadata":{"":[0,1e400]}})") ==
          R"(metadata[""][1]: number out of range)");
    CHECK(parse_error<run_result>(R"({"metadata":{"1st":1e400}})") ==
          R"(metadata["1st"]: number out of range)");
    CHECK(parse_error<run_result>(R"({"metadata":{"x\ny \"z\"":1e400}})") ==
          R"(metadata["x\ny \"z\""]: number out of range)");
    CHECK(parse_error<task_with_turns>(
              R"({"task":{"id":"t","status":"running"},"turns":[{"id":"a","seq":1,"status":"running",)"
              R"("structuredOutput":{"caf\u00e9":[1e400]}}]})") ==
          "turns[0].structuredOutput[\"caf\xc3\xa9\"][0]: number out of range");
}
