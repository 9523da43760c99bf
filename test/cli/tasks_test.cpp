// `handinger tasks create|get|turns|archive`, the connection settings (flags
// and environment), global options on either side of the subcommand, and
// --debug (which must never show the key).
#include "cli/cli_support.hpp"

#include <regex>

using namespace cli_test;

TEST_CASE("tasks create: plain output names the task and its pending run")
{
    cli_fixture f;
    auto r = f.run({"tasks", "create", "--input", "plain create"});
    INFO(r.dump());
    CHECK(r.status == 0);
    auto lines = r.out_lines();
    REQUIRE(lines.size() == 1);
    CHECK(std::regex_match(lines[0], std::regex(R"(created tsk_[0-9A-Za-z]+ \(pending\))")));
    CHECK(r.err.empty());
    CHECK(f.fx.stat("tasks_created") == 1);
    CHECK(f.fx.requests("POST /api/tasks", "200") == 1);
}

TEST_CASE("tasks create --format json: indented JSON with the taskId and the run, read back by tasks get")
{
    cli_fixture f;
    auto r = f.run({"tasks", "create", "--input", "json create", "--format", "json"});
    INFO(r.dump());
    CHECK(r.status == 0);
    CHECK(r.out_lines().size() > 3); // indented, one member a line
    CHECK(contains(r.out, "\n  \"taskId\": \"tsk_"));
    auto v = parse_doc(r.out);
    auto id = str_at(v, "taskId");
    CHECK(starts_with(id, "tsk_"));
    CHECK(v.at("recovered").as_bool() == false);
    CHECK(str_at(v.at("run"), "status") == "pending");
    CHECK(starts_with(str_at(v.at("run"), "id"), "run_"));
    CHECK(f.fx.stat("tasks_created") == 1);

    auto g = f.run({"tasks", "get", id, "--format", "jsonl"});
    INFO(g.dump());
    CHECK(g.status == 0);
    CHECK(str_at(parse_doc(g.out).at("task"), "id") == id);
}

TEST_CASE("tasks create --wait: prints the final snapshot, completed")
{
    cli_fixture f;
    auto r = f.run({"tasks", "create", "--input", "wait for me", "--wait", "--format", "jsonl"});
    INFO(r.dump());
    CHECK(r.status == 0);
    REQUIRE(r.out_lines().size() == 1);
    auto v = parse_doc(r.out);
    CHECK(str_at(v.at("task"), "status") == "completed");
    CHECK(str_at(v.at("task"), "title") == "wait for me");
    const auto& turns = v.at("turns").as_array();
    REQUIRE(turns.size() == 2); // fast_sim: two turns per run
    for (const auto& t : turns)
        CHECK(str_at(t, "status") == "completed");
    CHECK(f.fx.stat("tasks_created") == 1);

    // The human form: the task line first, each turn after it.
    auto p = f.run({"tasks", "create", "--input", "wait pretty", "--wait"});
    INFO(p.dump());
    CHECK(p.status == 0);
    auto lines = p.out_lines();
    REQUIRE(!lines.empty());
    CHECK(std::regex_match(lines[0], std::regex(R"(tsk_\S+  completed  "wait pretty")")));
    CHECK(contains(p.out, "\nturn 1 [completed]"));
    CHECK(contains(p.out, "\nturn 2 [completed]"));
}

TEST_CASE("tasks create --watch: the task id on stderr, each turn, then final: completed")
{
    // (Pending for 800 ms: the watch's first poll, which comes a little
    // after the create, sees the task live.)
    cli_fixture f;
    auto r = f.run({"tasks", "create", "--input", "watch me #pending-ms:800", "--watch"});
    INFO(r.dump());
    CHECK(r.status == 0);
    std::smatch m;
    REQUIRE(std::regex_search(r.err, m, std::regex(R"(handinger: task (tsk_\S+)\n)")));
    const std::string id = m[1];
    auto lines = r.out_lines();
    REQUIRE(lines.size() >= 4);
    CHECK(starts_with(lines.front(), "status: "));
    CHECK(starts_with(lines.back(), "final: completed (2 turns, "));
    CHECK(contains(r.out, "\nturn 1 [completed]"));
    CHECK(contains(r.out, "\nturn 2 [completed]"));
    CHECK(f.fx.stat("tasks_created") == 1);

    // The same as events: the terminal one last, for the task named on stderr.
    auto j =
        f.run({"tasks", "create", "--input", "watch me too #pending-ms:800", "--watch", "--format", "jsonl"});
    INFO(j.dump());
    CHECK(j.status == 0);
    REQUIRE(std::regex_search(j.err, m, std::regex(R"(handinger: task (tsk_\S+)\n)")));
    const std::string id2 = m[1];
    CHECK(id2 != id);
    auto events = parse_lines(j.out);
    REQUIRE(events.size() >= 4);
    CHECK(str_at(events.front(), "event") == "status_changed");
    CHECK(str_at(events.back(), "event") == "terminal");
    CHECK(str_at(events.back(), "status") == "completed");
    CHECK(str_at(events.back().at("task").at("task"), "id") == id2);
    std::vector<std::int64_t> added;
    for (const auto& e : events)
        if (str_at(e, "event") == "turn_added")
            added.push_back(e.at("turn").at("seq").as_int64());
    CHECK(added == std::vector<std::int64_t>{1, 2});
    CHECK(f.fx.stat("tasks_created") == 2);
}

TEST_CASE("tasks create --task-id: an existing task gets a follow-up turn")
{
    cli_fixture f;
    auto id = f.create_finished("first run");
    auto r = f.run({"tasks", "create", "--input", "and a follow-up", "--task-id", id, "--format", "jsonl"});
    INFO(r.dump());
    CHECK(r.status == 0);
    CHECK(str_at(parse_doc(r.out), "taskId") == id);
    CHECK(f.fx.stat("tasks_created") == 1);
    CHECK(f.fx.stat("followup_turns") >= 1);
    CHECK(f.fx.stat("posts") == 2);
}

TEST_CASE("tasks get: the human form and JSON of a finished task")
{
    cli_fixture f;
    auto id = f.create_finished("get me");

    auto p = f.run({"tasks", "get", id});
    INFO(p.dump());
    CHECK(p.status == 0);
    auto lines = p.out_lines();
    REQUIRE(lines.size() >= 4);
    CHECK(lines[0] == id + "  completed  \"get me\"");
    CHECK(starts_with(lines[1], "  worker wrk_"));
    CHECK(starts_with(lines[2], "  2 turns, "));
    CHECK(contains(p.out, "\nturn 1 [completed] assistant ("));
    CHECK(contains(p.out, "\nturn 2 [completed] assistant ("));
    CHECK(p.err.empty());

    auto j = f.run({"tasks", "get", id, "--format", "json"});
    INFO(j.dump());
    CHECK(j.status == 0);
    CHECK(j.out_lines().size() > 3);
    auto v = parse_doc(j.out);
    CHECK(str_at(v.at("task"), "id") == id);
    CHECK(str_at(v.at("task"), "status") == "completed");
    CHECK(v.at("turns").as_array().size() == 2);
    CHECK(f.fx.requests("GET /api/tasks/{id}", "200") >= 2);
}

TEST_CASE("tasks turns: the turns of a task, in seq order")
{
    cli_fixture f;
    auto id = f.create_finished("my turns");

    auto j = f.run({"tasks", "turns", id, "--format", "jsonl"});
    INFO(j.dump());
    CHECK(j.status == 0);
    REQUIRE(j.out_lines().size() == 1);
    auto v = parse_doc(j.out);
    CHECK(str_at(v, "taskId") == id);
    const auto& items = v.at("items").as_array();
    REQUIRE(items.size() == 2);
    CHECK(items[0].at("seq").as_int64() == 1);
    CHECK(items[1].at("seq").as_int64() == 2);
    CHECK(str_at(items[0], "taskId") == id);
    CHECK(f.fx.requests("GET /api/tasks/{id}/turns", "200") == 1);

    auto p = f.run({"tasks", "turns", id});
    INFO(p.dump());
    CHECK(p.status == 0);
    CHECK(starts_with(p.out, "turn 1 [completed] assistant ("));
    CHECK(contains(p.out, "\nturn 2 [completed] assistant ("));
    CHECK(f.fx.requests("GET /api/tasks/{id}/turns", "200") == 2);
}

TEST_CASE("tasks archive: archived, seen by the simulator, refused for another key and unknown ids")
{
    auto o = test_support::fast_sim();
    o.other_keys = {"sk-cli-other-key"};
    cli_fixture f(o);
    auto id = f.create("archive me");

    auto r = f.run({"tasks", "archive", id});
    INFO(r.dump());
    CHECK(r.status == 0);
    CHECK(r.out == id + " archived\n");
    CHECK(f.fx.requests("DELETE /api/tasks/{id}", "200") == 1);

    auto j = f.run({"tasks", "archive", id, "--format", "jsonl"});
    INFO(j.dump());
    CHECK(j.status == 0);
    CHECK(parse_doc(j.out).at("archived").as_bool());
    CHECK(f.fx.requests("DELETE /api/tasks/{id}", "200") == 2);

    // Only the creating key may archive: 403, exit 1.
    auto other = f.run({"tasks", "archive", id, "--api-key", "sk-cli-other-key"});
    INFO(other.dump());
    CHECK(other.status == 1);
    CHECK(other.out.empty());
    CHECK(contains(other.err, "403"));
    CHECK(f.fx.requests("DELETE /api/tasks/{id}", "403") == 1);

    auto missing = f.run({"tasks", "archive", "tsk_01M8R585R61EWRX19N4P0748XX"});
    INFO(missing.dump());
    CHECK(missing.status == 1);
    CHECK(contains(missing.err, "404"));
    CHECK(f.fx.requests("DELETE /api/tasks/{id}", "404") == 1);
}

TEST_CASE("global options work before and after the subcommand")
{
    cli_fixture f;
    auto id = f.create_finished("global options");
    auto before = f.run({"--format", "jsonl", "tasks", "get", id});
    auto after = f.run({"tasks", "get", id, "--format", "jsonl"});
    auto middle = f.run({"tasks", "--format", "jsonl", "get", id});
    INFO(before.dump());
    INFO(after.dump());
    INFO(middle.dump());
    CHECK(before.status == 0);
    CHECK(after.status == 0);
    CHECK(middle.status == 0);
    REQUIRE(before.out_lines().size() == 1); // jsonl: one line, not the human form
    REQUIRE(after.out_lines().size() == 1);
    CHECK(str_at(parse_doc(before.out).at("task"), "id") == id);
    CHECK(str_at(parse_doc(after.out).at("task"), "id") == id);
    CHECK(before.out == after.out);
    CHECK(middle.out == after.out);

    // --api-key after the subcommand wins over a wrong key in the environment.
    auto key_after = f.run({"tasks", "get", id, "--api-key", f.fx.key}, std::nullopt,
                           {{"HANDINGER_API_KEY", "sk-cli-wrong-env-key"}});
    INFO(key_after.dump());
    CHECK(key_after.status == 0);
    auto key_before = f.run({"--api-key", f.fx.key, "tasks", "get", id}, std::nullopt,
                            {{"HANDINGER_API_KEY", "sk-cli-wrong-env-key"}});
    INFO(key_before.dump());
    CHECK(key_before.status == 0);
}

TEST_CASE("connection settings by flags alone, flags winning over the environment, and verified TLS")
{
    cli_fixture f;
    const std::string url = f.fx.sim.url();

    // No HANDINGER_* at all: everything from the flags.
    auto c = f.run_with_env({"--base-url", url, "--ca-file", f.ca_file, "--api-key", f.fx.key, "tasks",
                             "create", "--input", "by flags", "--format", "jsonl"},
                            {});
    INFO(c.dump());
    CHECK(c.status == 0);
    auto id = str_at(parse_doc(c.out), "taskId");
    CHECK(starts_with(id, "tsk_"));
    auto g = f.run_with_env(
        {"tasks", "get", id, "--base-url", url, "--ca-file", f.ca_file, "--api-key", f.fx.key}, {});
    INFO(g.dump());
    CHECK(g.status == 0);
    CHECK(starts_with(g.out, id + "  "));

    // A wrong environment, overridden by every flag.
    temp_dir other;
    auto bad_ca = other.write("bad.pem", "not a certificate\n");
    env_vars wrong = {{"HANDINGER_BASE_URL", "https://127.0.0.1:9"},
                      {"HANDINGER_CA_FILE", bad_ca},
                      {"HANDINGER_API_KEY", "sk-cli-wrong-env-key"}};
    auto w = f.run_with_env(
        {"tasks", "get", id, "--base-url", url, "--ca-file", f.ca_file, "--api-key", f.fx.key}, wrong);
    INFO(w.dump());
    CHECK(w.status == 0);
    CHECK(starts_with(w.out, id + "  "));

    // The environment alone (the fixture's): works too.
    auto e = f.run({"tasks", "get", id});
    INFO(e.dump());
    CHECK(e.status == 0);

    // Without the simulator's CA its certificate is not trusted: a TLS
    // failure, exit 1, and no request reached the API.
    auto before = f.fx.api_requests();
    auto untrusted = f.run_with_env({"tasks", "get", id, "--max-retries", "0"},
                                    {{"HANDINGER_BASE_URL", url}, {"HANDINGER_API_KEY", f.fx.key}});
    INFO(untrusted.dump());
    CHECK(untrusted.status == 1);
    CHECK(untrusted.out.empty());
    CHECK((contains(untrusted.err, "certificate") || contains(untrusted.err, "TLS") ||
           contains(untrusted.err, "tls")));
    CHECK(f.fx.api_requests() == before);
}

TEST_CASE("--timeout and --max-retries reach the client")
{
    cli_fixture f;
    // One 503 on the first GET: retried by default, fatal with --max-retries 0.
    auto id = f.create("flaky #get-fault:503");
    auto no_retry = f.run({"tasks", "get", id, "--max-retries", "0"});
    INFO(no_retry.dump());
    CHECK(no_retry.status == 1);
    CHECK(contains(no_retry.err, "503"));
    CHECK(f.fx.requests("GET /api/tasks/{id}", "503") == 1);

    auto id2 = f.create("flaky again #get-fault:503");
    auto retried = f.run({"tasks", "get", id2});
    INFO(retried.dump());
    CHECK(retried.status == 0);
    CHECK(f.fx.requests("GET /api/tasks/{id}", "503") == 2);

    // A stalled response: --timeout bounds the attempt.
    auto id3 = f.create("stalled #get-fault:stall");
    auto stalled = f.run({"tasks", "get", id3, "--timeout", "0.3", "--max-retries", "0"});
    INFO(stalled.dump());
    CHECK(stalled.status == 1);
    CHECK(stalled.elapsed < 5s);
    CHECK(contains(stalled.err, "timed out"));
}

TEST_CASE("--debug logs each attempt on stderr and never the API key")
{
    const std::string key = "sk-cli-SECRET-4f2a9d71e0";
    const std::string wrong = "sk-cli-WRONG-8c1e5b39aa";
    auto o = test_support::fast_sim();
    o.api_key = key;
    cli_fixture f(o);
    auto no_key = [&](const result& r) {
        INFO(r.dump());
        for (const auto& k : {key, wrong}) {
            CHECK_FALSE(contains(r.out, k));
            CHECK_FALSE(contains(r.err, k));
            // Nor a recognisable part of it.
            CHECK_FALSE(contains(r.err, k.substr(7)));
            CHECK_FALSE(contains(r.out, k.substr(7)));
        }
    };

    auto c = f.run({"--debug", "tasks", "create", "--input", "debug me", "--wait", "--format", "jsonl"});
    INFO(c.dump());
    CHECK(c.status == 0);
    CHECK(contains(c.err, "POST /api/tasks -> 200 attempt 1"));
    CHECK(contains(c.err, "GET /api/tasks/tsk_"));
    for (const auto& l : c.err_lines())
        CHECK(starts_with(l, "handinger "));
    no_key(c);
    auto id = str_at(parse_doc(c.out).at("task"), "id");

    // A retried GET: both attempts logged.
    auto flaky = f.create("debug flaky #get-fault:503");
    auto g = f.run({"tasks", "get", flaky, "--debug", "--format", "jsonl"});
    INFO(g.dump());
    CHECK(g.status == 0);
    CHECK(contains(g.err, "-> 503 attempt 1"));
    CHECK(contains(g.err, "-> 200 attempt 2"));
    no_key(g);

    auto w = f.run({"--debug", "tasks", "watch", id, "--format", "jsonl"});
    INFO(w.dump());
    CHECK(w.status == 0);
    CHECK(contains(w.err, "attempt 1"));
    no_key(w);

    // Without --debug: no log lines at all.
    auto quiet = f.run({"tasks", "get", id});
    INFO(quiet.dump());
    CHECK(quiet.status == 0);
    CHECK(quiet.err.empty());

    // A wrong key: 401, exit 1, and neither key in the error or the log.
    auto bad = f.run({"--debug", "--api-key", wrong, "tasks", "get", id});
    INFO(bad.dump());
    CHECK(bad.status == 1);
    CHECK(contains(bad.err, "401"));
    CHECK(bad.out.empty());
    no_key(bad);
    auto bad_json =
        f.run({"tasks", "get", id, "--format", "json"}, std::nullopt, {{"HANDINGER_API_KEY", wrong}});
    INFO(bad_json.dump());
    CHECK(bad_json.status == 1);
    CHECK(contains(bad_json.err, "401"));
    no_key(bad_json);
    auto bad_batch = f.run({"--debug", "tasks", "batch", "-"}, std::string("{\"input\":\"a\"}\n"),
                           {{"HANDINGER_API_KEY", wrong}});
    INFO(bad_batch.dump());
    CHECK(bad_batch.status == 1);
    auto results = parse_lines(bad_batch.out);
    REQUIRE(results.size() == 1);
    CHECK(str_at(results[0].at("error"), "kind") == "authentication");
    no_key(bad_batch);
}

TEST_CASE("tasks create after a lost response: recovered, and the task created once")
{
    cli_fixture f;
    // (the tasks stay pending past the check, which comes after the retry's backoff)
    auto p = f.run({"tasks", "create", "--input", "lost answer #fault:lost #pending-ms:3000"});
    INFO(p.dump());
    CHECK(p.status == 0);
    CHECK(std::regex_match(p.out, std::regex(R"(created tsk_\S+ \(\w+\), found after a lost response\n)")));
    CHECK(f.fx.stat("tasks_created") == 1);
    CHECK(f.fx.faults("lost") == 1);

    auto j =
        f.run({"tasks", "create", "--input", "lost again #fault:lost #pending-ms:3000", "--format", "jsonl"});
    INFO(j.dump());
    CHECK(j.status == 0);
    auto v = parse_doc(j.out);
    CHECK(v.at("recovered").as_bool());
    CHECK(starts_with(str_at(v, "taskId"), "tsk_"));
    CHECK(f.fx.stat("tasks_created") == 2);
    CHECK(f.fx.stat("duplicate_posts") == 0);
}
