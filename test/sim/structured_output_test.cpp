// The simulator's structured outputs through its routes, without sockets:
// a worker's schema makes each completed turn's structuredOutput and the
// run's structured_output, fixed by the seed and the task; the schema as
// it is when the run is posted; #structured: forcing a value; the counters.
#include "service_harness.hpp"

#include <handinger/sim/detail/directives.hpp>
#include <handinger/sim/detail/schema_sample.hpp>

#include <boost/json/serialize.hpp>

#include <set>

using namespace sim_harness;
namespace json = boost::json;

namespace {

constexpr std::string_view invoice = R"({"type":"object","required":["vendor","lines"],"properties":{
    "vendor":{"type":"string","minLength":1},
    "lines":{"type":"array","minItems":1,"items":{"type":"object","required":["item","quantity"],
        "properties":{"item":{"type":"string"},"quantity":{"type":"integer","minimum":1}}}}}})";

// The default options' run: pending 300 ms, then 3 turns of 400 ms.
constexpr std::int64_t done = t0 + 10'000;

std::string worker_with(harness& h, std::string_view schema)
{
    return h.worker(R"({"outputSchema":)" + std::string(schema) + "}");
}

// POST /api/tasks on `worker` (and `task_id` when given); the task's id.
std::string post(harness& h, const std::string& worker, std::string_view input,
                 const std::string& task_id = {}, std::int64_t now = t0)
{
    std::string body = R"({"input":")" + std::string(input) + R"(","workerId":")" + worker + "\"";
    if (!task_id.empty())
        body += R"(,"taskId":")" + task_id + "\"";
    h.call("POST", "/api/tasks", body + "}", owner, now);
    INFO(h.res.body);
    REQUIRE(h.res.status == 200);
    return h.header("x-sim-task-id");
}

json::array turns_at(harness& h, const std::string& task, std::int64_t now)
{
    h.call("GET", "/api/tasks/" + task, {}, owner, now);
    REQUIRE(h.res.status == 200);
    return h.json().at("turns").as_array();
}

json::value run_at(harness& h, const std::string& worker, const std::string& task, std::int64_t now)
{
    h.call("GET", "/api/workers/" + worker + "?taskId=" + task, {}, owner, now);
    REQUIRE(h.res.status == 200);
    return h.json().at("structured_output");
}

} // namespace

TEST_CASE("structured output: completed turns and the finished run carry values valid against the schema")
{
    harness h;
    const auto schema = json::parse(invoice);
    const std::string w = worker_with(h, invoice);
    const std::string task = post(h, w, "bill it");

    // Pending, then the first turn running: nothing yet.
    for (const auto& t : turns_at(h, task, t0 + 100))
        CHECK(t.at("structuredOutput").is_null());
    CHECK(run_at(h, w, task, t0 + 100).is_null());
    // After the first turn: it has one, the running second does not.
    auto mid = turns_at(h, task, t0 + 300 + 400 + 200);
    REQUIRE(mid.size() == 2);
    CHECK(mid[0].at("structuredOutput").is_object());
    CHECK(mid[1].at("structuredOutput").is_null());
    CHECK(run_at(h, w, task, t0 + 900).is_null());

    const auto turns = turns_at(h, task, done);
    REQUIRE(turns.size() == 3);
    std::set<std::string> distinct;
    for (const auto& t : turns) {
        const auto& so = t.at("structuredOutput");
        INFO(json::serialize(so));
        CHECK(schema_accepts(schema, so));
        CHECK(!so.at("vendor").as_string().empty());
        distinct.insert(json::serialize(so));
    }
    CHECK(distinct.size() == 3); // one per turn
    // The run's is its last turn's; the same through /turns.
    CHECK(run_at(h, w, task, done) == turns.back().at("structuredOutput"));
    h.call("GET", "/api/tasks/" + task + "/turns", {}, owner, done);
    CHECK(h.json().at("items").as_array() == turns);
    CHECK(h.stat({"structured_outputs"}) == 3);
    CHECK(h.stat({"structured_fallbacks"}) == 0);

    // A follow-up run on the task gets its own.
    post(h, w, "and again", task, done);
    const auto after = turns_at(h, task, done + 10'000);
    REQUIRE(after.size() == 6);
    CHECK(schema_accepts(schema, after[5].at("structuredOutput")));
    CHECK(after[0] == turns[0]); // the first run's stay as they were
    CHECK(h.stat({"structured_outputs"}) == 6);
}

TEST_CASE("structured output: fixed by the seed and the task id, another seed another value")
{
    const auto first = [](std::uint64_t seed) {
        auto o = two_keys();
        o.seed = seed;
        harness h(o);
        const std::string w = worker_with(h, invoice);
        const std::string task = post(h, w, "same", "tsk_01HZY31W2SZJ8MJ2FQTR3M1K9D");
        return json::serialize(run_at(h, w, task, done));
    };
    CHECK(first(1) == first(1));
    CHECK(first(1) != first(2));
    CHECK(first(1) != "null");
}

TEST_CASE("structured output: none without a schema, none after it is cleared, {} for one that cannot be met")
{
    harness h;
    const std::string plain = h.worker();
    const std::string t1 = post(h, plain, "no schema");
    for (const auto& t : turns_at(h, t1, done))
        CHECK(t.at("structuredOutput").is_null());
    CHECK(run_at(h, plain, t1, done).is_null());
    // A task that makes its own worker: no schema either.
    h.call("POST", "/api/tasks", R"({"input":"on the fly"})");
    const std::string t2 = h.header("x-sim-task-id");
    CHECK(turns_at(h, t2, done).at(0).at("structuredOutput").is_null());

    // The schema as it is when the run is posted.
    const std::string w = worker_with(h, invoice);
    const std::string before = post(h, w, "with schema");
    h.call("PATCH", "/api/workers/" + w, R"({"outputSchema":null})");
    REQUIRE(h.res.status == 200);
    const std::string cleared = post(h, w, "schema cleared", {}, t0 + 1);
    CHECK(run_at(h, w, before, done).is_object());
    CHECK(run_at(h, w, cleared, done).is_null());
    for (const auto& t : turns_at(h, cleared, done))
        CHECK(t.at("structuredOutput").is_null());
    CHECK(h.stat({"structured_outputs"}) == 3);

    // Unsatisfiable (or unsupported, or not an object at the root): {}.
    for (std::string_view schema :
         {std::string_view(R"({"type":"object","required":["a"],"properties":{"a":false}})"),
          std::string_view(R"({"type":"array"})")}) {
        INFO(schema);
        const std::string bad = worker_with(h, schema);
        const std::string t = post(h, bad, "cannot");
        CHECK(json::serialize(run_at(h, bad, t, done)) == "{}");
    }
    CHECK(h.stat({"structured_fallbacks"}) == 6);
    CHECK(h.stat({"structured_outputs"}) == 9);
}

TEST_CASE("structured output: an errored turn has none, nor does a run that failed or was aborted")
{
    harness h;
    const std::string w = worker_with(h, invoice);
    const std::string failed = post(h, w, "break #fail");
    const auto turns = turns_at(h, failed, done);
    REQUIRE(turns.size() == 3);
    CHECK(turns[0].at("structuredOutput").is_object());
    CHECK(turns[1].at("structuredOutput").is_object());
    CHECK(turns[2].at("status") == "error");
    CHECK(turns[2].at("structuredOutput").is_null());
    CHECK(run_at(h, w, failed, done).is_null());
    const std::string aborted = post(h, w, "stop #abort");
    CHECK(run_at(h, w, aborted, done).is_null());
}

TEST_CASE("structured output: #structured: forces the value, matching the schema or not")
{
    harness h;
    const std::string w = worker_with(h, invoice);
    // A quantity that is a string: not the schema's, sent all the same.
    const std::string t = post(
        h, w,
        R"(wrong #structured:{\"vendor\":\"Acme\\u0020Ltd\",\"lines\":[{\"item\":\"nut\",\"quantity\":\"two\"}]})");
    const auto so = run_at(h, w, t, done);
    CHECK(json::serialize(so) == R"({"vendor":"Acme Ltd","lines":[{"item":"nut","quantity":"two"}]})");
    CHECK_FALSE(schema_accepts(json::parse(invoice), so));
    for (const auto& turn : turns_at(h, t, done))
        CHECK(turn.at("structuredOutput") == so);
    CHECK(h.stat({"structured_outputs"}) == 0); // none generated

    // On a worker without a schema too; anything JSON, an array included.
    const std::string plain = h.worker();
    const std::string arr = post(h, plain, "#structured:[1,2]");
    CHECK(json::serialize(run_at(h, plain, arr, done)) == "[1,2]");
    // Not JSON: ignored.
    const std::string junk = post(h, plain, "#structured:{oops");
    CHECK(run_at(h, plain, junk, done).is_null());
}

TEST_CASE("directives: #structured: keeps compact JSON, ignores what is not JSON, the last one wins")
{
    CHECK(parse_directives(R"(x #structured:{"a":[1,2.5,null]} y)").structured == R"({"a":[1,2.5E0,null]})");
    CHECK(parse_directives(R"(#structured:"a\u0020b")").structured == R"("a b")");
    CHECK(parse_directives("#structured:null").structured == "null");
    CHECK_FALSE(parse_directives("#structured:").structured);
    CHECK_FALSE(parse_directives("#structured:{").structured);
    CHECK_FALSE(parse_directives(R"(#structured:{"a": 1})").structured); // a space ends the word
    CHECK(parse_directives("#structured:1 #structured:2").structured == "2");
    CHECK_FALSE(parse_directives("structured:{}").structured);
}
