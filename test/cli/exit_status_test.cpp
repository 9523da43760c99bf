// Exit statuses 0, 1 and 2 of the `handinger` tool (the watch's 3, 4, 5 and
// 130 are in watch_test.cpp, the batch's in batch_test.cpp), and its help.
#include "cli/cli_support.hpp"

using namespace cli_test;

TEST_CASE("exit 0 for a found task, 1 for 404 and for a wrong key")
{
    cli_fixture f;
    auto id = f.create("exists");
    auto ok = f.run({"tasks", "get", id, "--format", "jsonl"});
    INFO(ok.dump());
    CHECK(ok.status == 0);

    // `tasks watch` of an id given by hand takes its first 404 as final (no
    // not-visible-yet grace: that is for a watch started beside its create).
    for (const auto& cmd : {"get", "turns", "archive", "watch"}) {
        INFO(cmd);
        auto nf = f.run({"tasks", cmd, "tsk_01M8R585R61EWRX19N4P0748XX", "--format", "jsonl"});
        INFO(nf.dump());
        CHECK(nf.status == 1);
        CHECK(nf.elapsed < 5s); // the watch's grace would be 10 s
        CHECK(nf.out.empty());
        REQUIRE(nf.err_lines().size() == 1);
        CHECK(starts_with(nf.err, "handinger: "));
        CHECK(contains(nf.err, "404"));
    }

    auto bad_key = f.run({"tasks", "get", id}, std::nullopt, {{"HANDINGER_API_KEY", "sk-cli-not-this-one"}});
    INFO(bad_key.dump());
    CHECK(bad_key.status == 1);
    CHECK(bad_key.out.empty());
    CHECK(bad_key.err_lines().size() == 1);
    CHECK(contains(bad_key.err, "401"));
    CHECK(f.fx.requests("GET /api/tasks/{id}", "401") == 1);

    auto bad_key_create = f.run({"tasks", "create", "--input", "x", "--api-key", "sk-cli-not-this-one"});
    INFO(bad_key_create.dump());
    CHECK(bad_key_create.status == 1);
    CHECK(contains(bad_key_create.err, "401"));
    CHECK(f.fx.stat("tasks_created") == 1);
}

TEST_CASE("exit 2 for bad arguments: one line on stderr, nothing on stdout, no request")
{
    cli_fixture f;
    const std::vector<std::vector<std::string>> cases = {
        {},                                                          // no subcommand
        {"tasks"},                                                   // no tasks subcommand
        {"tasks", "frobnicate"},                                     // unknown subcommand
        {"tasks", "get", "tsk_x", "--bogus"},                        // unknown flag
        {"--bogus", "tasks", "get", "tsk_x"},                        // unknown global flag
        {"tasks", "create"},                                         // missing --input
        {"tasks", "create", "--input"},                              // --input without its value
        {"tasks", "get"},                                            // missing ID
        {"tasks", "turns"},                                          // missing ID
        {"tasks", "archive"},                                        // missing ID
        {"tasks", "watch"},                                          // missing ID
        {"tasks", "batch"},                                          // missing FILE
        {"tasks", "create", "--input", "x", "--budget", "huge"},     // bad --budget
        {"tasks", "create", "--input", "x", "--budget", ""},         // empty --budget
        {"--format", "xml", "tasks", "get", "tsk_x"},                // bad --format, before
        {"tasks", "get", "tsk_x", "--format", "yaml"},               // bad --format, after
        {"tasks", "create", "--input", ""},                          // empty input string
        {"tasks", "create", "--input", "x", "--wait", "--watch"},    // exclusive flags
        {"tasks", "watch", "tsk_x", "--deadline", "0"},              // deadline not positive
        {"tasks", "watch", "tsk_x", "--deadline", "soon"},           // deadline not a number
        {"--timeout", "-1", "tasks", "get", "tsk_x"},                // timeout not positive
        {"--max-retries", "101", "tasks", "get", "tsk_x"},           // retries out of range
        {"tasks", "batch", "-", "--concurrency", "0"},               // concurrency out of range
        {"tasks", "batch", "/nonexistent/handinger-cli-test.jsonl"}, // unreadable batch file
    };
    check_usage_errors(f, cases);
    CHECK(f.fx.api_requests() == 0);

    // The message names what was wrong.
    CHECK(contains(f.run({"tasks", "get", "tsk_x", "--bogus"}).err, "--bogus"));
    CHECK(contains(f.run({"tasks", "create"}).err, "--input"));
    CHECK(contains(f.run({"tasks", "get"}).err, "ID"));
    CHECK(contains(f.run({"tasks", "create", "--input", "x", "--budget", "huge"}).err, "huge"));
    CHECK(contains(f.run({"--format", "xml", "tasks", "get", "tsk_x"}).err, "xml"));
    CHECK(contains(f.run({"tasks", "create", "--input", ""}).err, "input"));
    CHECK(contains(f.run({"tasks", "batch", "/nonexistent/handinger-cli-test.jsonl"}).err,
                   "/nonexistent/handinger-cli-test.jsonl"));
    CHECK(f.fx.api_requests() == 0);
}

TEST_CASE("exit 2 without any API key")
{
    cli_fixture f;
    const env_vars no_key = {{"HANDINGER_BASE_URL", f.fx.sim.url()}, {"HANDINGER_CA_FILE", f.ca_file}};
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"tasks", "get", "tsk_x"},
             {"tasks", "create", "--input", "no key"},
             {"tasks", "watch", "tsk_x"},
             {"tasks", "batch", "-"},
         }) {
        INFO(args[1]);
        auto r = f.run_with_env(args, no_key, std::string("{\"input\":\"a\"}\n"));
        INFO(r.dump());
        CHECK(r.status == 2);
        CHECK(contains(r.err, "HANDINGER_API_KEY"));
    }
    // A batch without a key reads no line: one error, no result for any line
    // (not results for the malformed lines only).
    auto batch =
        f.run_with_env({"tasks", "batch", "-"}, no_key, std::string("{\"input\":\"a\"}\nnot json\n"));
    INFO(batch.dump());
    CHECK(batch.status == 2);
    CHECK(batch.out.empty());
    CHECK(batch.err_lines().size() == 1);
    // An empty variable is no key either.
    auto empty = f.run({"tasks", "get", "tsk_x"}, std::nullopt, {{"HANDINGER_API_KEY", ""}});
    INFO(empty.dump());
    CHECK(empty.status == 2);
    CHECK(empty.out.empty());
    CHECK(empty.err_lines().size() == 1);
    CHECK(f.fx.api_requests() == 0);
}

TEST_CASE("help: handinger --help and tasks batch --help exit 0 and describe the exit statuses")
{
    cli_fixture f;
    auto top = f.run({"--help"});
    INFO(top.dump());
    CHECK(top.status == 0);
    CHECK(contains(top.out, "tasks"));
    CHECK(contains(top.out, "Exit status"));
    CHECK(contains(top.out, "130 interrupted"));

    auto batch = f.run({"tasks", "batch", "--help"});
    INFO(batch.dump());
    CHECK(batch.status == 0);
    CHECK(contains(batch.out, "--concurrency"));
    CHECK(f.fx.api_requests() == 0);
}

TEST_CASE("tasks watch --deadline nan is a bad value, exit 2")
{
    // CLI11's PositiveNumber is a Range check (val < min || val > max fails),
    // which NaN passes; the NaN deadline then goes through an undefined
    // conversion to milliseconds and expires at once (exit 5).
    cli_fixture f;
    auto id = f.create("nan deadline #pending-ms:20000");
    auto r = f.run({"tasks", "watch", id, "--deadline", "nan"}, std::nullopt, {}, 10s);
    INFO(r.dump());
    CHECK(r.status == 2);
    CHECK(contains(r.err, "--deadline"));
}

TEST_CASE("a huge --deadline is refused or honoured, never an instant timeout")
{
    // 1e16 s does not fit in milliseconds of a long long: the conversion
    // must not wrap to a negative deadline that expires at once (exit 5).
    cli_fixture f;
    auto id = f.create("long deadline #pending-ms:20000");
    auto p = f.start({"tasks", "watch", id, "--deadline", "1e16"});
    const bool ended = eventually([&] { return !p->running(); }, 1500ms);
    if (ended) {
        auto r = p->wait(1s);
        INFO(r.dump());
        CHECK(r.status == 2); // refused: fine; an instant exit 5 is not
        CHECK_FALSE(contains(r.err, "deadline (-"));
    } else {
        p->signal(SIGINT);
        auto r = p->wait(10s);
        INFO(r.dump());
        CHECK(r.status == 130);
    }
}

TEST_CASE("a --timeout that passes the flag check is not refused as not positive")
{
    // 0.0001 s once truncated to 0 ms, 1e17 s overflowed the conversion and
    // NaN passed CLI11's range check: each then failed the client's own check
    // with a message that contradicted the flag's.
    cli_fixture f;
    auto id = f.create_finished("timeout values");
    {
        // A tiny limit is honoured: 1 ms, not zero (a TLS exchange takes longer).
        auto r = f.run({"--timeout", "0.0001", "tasks", "get", id});
        INFO(r.dump());
        CHECK(r.status == 1);
        CHECK(contains(r.err, "timed out"));
        CHECK_FALSE(contains(r.err, "must be positive"));
    }
    for (const char* t : {"1e17", "nan", "inf", "-1", "0", "ten"}) {
        INFO("--timeout ", std::string(t));
        auto r = f.run({"--timeout", t, "tasks", "get", id});
        INFO(r.dump());
        CHECK(r.status == 2); // refused by the flag, naming it
        CHECK(contains(r.err, "--timeout"));
        CHECK_FALSE(contains(r.err, "must be positive"));
    }
    auto r = f.run({"--timeout", "5", "tasks", "get", id});
    CHECK(r.status == 0);
}
