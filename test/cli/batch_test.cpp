// `handinger tasks batch FILE|-`: one JSON result per input line, malformed
// lines failing alone, --wait, the exit statuses, and the progress display
// (a live bar on a terminal, one summary line otherwise).
#include "cli/cli_support.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <csignal>
#include <map>
#include <regex>
#include <set>

using namespace cli_test;

namespace {

// The results by line number; fails on a line reported twice.
std::map<std::int64_t, json::value> by_line(const std::vector<json::value>& results)
{
    std::map<std::int64_t, json::value> out;
    for (const auto& r : results) {
        INFO(json::serialize(r));
        REQUIRE(r.is_object());
        REQUIRE(r.as_object().contains("line"));
        auto n = r.at("line").as_int64();
        CHECK(out.count(n) == 0);
        out[n] = r;
    }
    return out;
}

std::set<std::int64_t> keys(const std::map<std::int64_t, json::value>& m)
{
    std::set<std::int64_t> s;
    for (const auto& [k, v] : m)
        s.insert(k);
    return s;
}

bool ok_of(const json::value& r)
{
    return r.at("ok").as_bool();
}

// The lines of stderr that start with `prefix`.
std::vector<std::string> err_lines_with(const result& r, std::string_view prefix)
{
    std::vector<std::string> out;
    for (const auto& l : r.err_lines())
        if (starts_with(l, prefix))
            out.push_back(l);
    return out;
}

} // namespace

TEST_CASE("tasks batch FILE: one result per input line, each task created once")
{
    cli_fixture f;
    auto file = f.dir.write("in.jsonl", "{\"input\":\"first\"}\n"
                                        "\n"
                                        "{\"input\":\"second\",\"budget\":\"high\"}\n"
                                        "   \n"
                                        "{\"input\":\"third\"}"); // no final newline
    auto r = f.run({"tasks", "batch", file});
    INFO(r.dump());
    CHECK(r.status == 0);
    auto results = by_line(parse_lines(r.out));
    CHECK(keys(results) == std::set<std::int64_t>{1, 3, 5});
    std::set<std::string> ids;
    for (const auto& kv : results) {
        const auto line = kv.first; // (clang 14: no structured binding in INFO's lambda)
        const auto& v = kv.second;
        INFO("line ", line);
        CHECK(ok_of(v));
        CHECK(str_at(v, "status") == "pending");
        CHECK(starts_with(str_at(v, "taskId"), "tsk_"));
        CHECK(v.at("recovered").as_bool() == false);
        ids.insert(str_at(v, "taskId"));
    }
    CHECK(ids.size() == 3);
    CHECK(f.fx.stat("tasks_created") == 3);
    CHECK(f.fx.stat("duplicate_posts") == 0);
    CHECK(f.fx.requests("POST /api/tasks", "200") == 3);
    // The summary is the only thing on stderr.
    REQUIRE(r.err_lines().size() == 1);
    CHECK(starts_with(r.err, "batch: 3 inputs, 3 succeeded, 0 failed (0 malformed) in "));
}

TEST_CASE("tasks batch -: inputs from standard input")
{
    cli_fixture f;
    auto r = f.run({"tasks", "batch", "-"}, std::string("{\"input\":\"from stdin one\"}\n"
                                                        "{\"input\":\"from stdin two\"}\n"));
    INFO(r.dump());
    CHECK(r.status == 0);
    auto results = by_line(parse_lines(r.out));
    CHECK(keys(results) == std::set<std::int64_t>{1, 2});
    for (const auto& [line, v] : results)
        CHECK(ok_of(v));
    CHECK(f.fx.stat("tasks_created") == 2);
    CHECK(f.fx.stat("duplicate_posts") == 0);

    // Empty standard input: no results, nothing created, success.
    auto none = f.run({"tasks", "batch", "-"}, std::string());
    INFO(none.dump());
    CHECK(none.status == 0);
    CHECK(none.out.empty());
    CHECK(starts_with(none.err, "batch: 0 inputs"));
    CHECK(f.fx.stat("tasks_created") == 2);
}

TEST_CASE("tasks batch: malformed lines fail alone with invalid_input, the others are created once, exit 2")
{
    const std::string text = "{\"input\":\"alpha\"}\n"                     // 1 ok
                             "\n"                                          // 2 blank
                             "{\"input\": \n"                              // 3 bad JSON
                             "{\"input\":\"beta\",\"colour\":\"red\"}\n"   // 4 unknown key
                             "[1,2]\n"                                     // 5 not an object
                             "{\"input\":\"\"}\n"                          // 6 invalid: empty input
                             "{\"input\":\"gamma\",\"budget\":\"high\"}\n" // 7 ok
                             "  \t \n"                                     // 8 blank
                             "{\"input\":\"delta\"}\n";                    // 9 ok
    for (bool from_stdin : {false, true}) {
        INFO((from_stdin ? "stdin" : "file"));
        cli_fixture g;
        auto r = from_stdin ? g.run({"tasks", "batch", "-"}, text)
                            : g.run({"tasks", "batch", g.dir.write("mixed.jsonl", text)});
        INFO(r.dump());
        CHECK(r.status == 2);
        auto results = by_line(parse_lines(r.out));
        CHECK(keys(results) == std::set<std::int64_t>{1, 3, 4, 5, 6, 7, 9});
        for (auto line : {3, 4, 5}) {
            INFO("malformed line ", line);
            const auto& v = results[line];
            CHECK_FALSE(ok_of(v));
            CHECK_FALSE(v.as_object().contains("taskId"));
            CHECK(str_at(v.at("error"), "kind") == "invalid_input");
            CHECK(starts_with(str_at(v.at("error"), "message"), "line " + std::to_string(line) + ": "));
            // One line on stderr for it, naming the line.
            CHECK(err_lines_with(r, "handinger: line " + std::to_string(line) + ": ").size() == 1);
        }
        CHECK(contains(str_at(results[4].at("error"), "message"), "colour"));
        {
            // Valid JSON, invalid task: bad input like a malformed line
            // (as `tasks create --input ''` is), never sent.
            const auto& v = results[6];
            CHECK_FALSE(ok_of(v));
            CHECK_FALSE(v.as_object().contains("taskId"));
            CHECK(str_at(v.at("error"), "kind") == "invalid_input");
            CHECK(contains(str_at(v.at("error"), "message"), "line 6: input: must be at least 1 character"));
            CHECK(err_lines_with(r, "handinger: line 6: ").size() == 1);
        }
        std::set<std::string> ids;
        for (auto line : {1, 7, 9}) {
            INFO("valid line ", line);
            CHECK(ok_of(results[line]));
            ids.insert(str_at(results[line], "taskId"));
        }
        CHECK(ids.size() == 3);
        CHECK(g.fx.stat("tasks_created") == 3);
        CHECK(g.fx.stat("duplicate_posts") == 0);
        CHECK(g.fx.requests("POST /api/tasks") == 3);
        CHECK(err_lines_with(r, "handinger: line ").size() == 4);
        auto summary = err_lines_with(r, "batch: ");
        REQUIRE(summary.size() == 1);
        CHECK(starts_with(summary[0], "batch: 7 inputs, 3 succeeded, 4 failed (4 malformed) in "));
    }
}

TEST_CASE("tasks batch: a failed create fails its input alone, exit 1")
{
    cli_fixture f;
    auto r = f.run({"tasks", "batch", "-"}, std::string("{\"input\":\"fine\"}\n"
                                                        "{\"input\":\"refused #fault:no-retry\"}\n"));
    INFO(r.dump());
    CHECK(r.status == 1);
    auto results = by_line(parse_lines(r.out));
    REQUIRE(keys(results) == std::set<std::int64_t>{1, 2});
    CHECK(ok_of(results[1]));
    CHECK_FALSE(ok_of(results[2]));
    CHECK(str_at(results[2].at("error"), "kind") == "server_error");
    CHECK(results[2].at("error").at("status").as_int64() == 503);
    CHECK(f.fx.stat("tasks_created") == 1);
    CHECK(starts_with(r.err, "batch: 2 inputs, 1 succeeded, 1 failed (0 malformed) in "));
}

TEST_CASE("tasks batch --wait: results carry finalStatus and final, a failing task is ok false")
{
    cli_fixture f;
    auto r = f.run({"tasks", "batch", "-", "--wait"}, std::string("{\"input\":\"wait one\"}\n"
                                                                  "{\"input\":\"wait and fail #fail\"}\n"
                                                                  "{\"input\":\"wait three\"}\n"));
    INFO(r.dump());
    CHECK(r.status == 1);
    auto results = by_line(parse_lines(r.out));
    REQUIRE(keys(results) == std::set<std::int64_t>{1, 2, 3});
    for (const auto& kv : results) {
        const auto line = kv.first;
        const auto& v = kv.second;
        INFO("line ", line);
        const bool fails = line == 2;
        CHECK(ok_of(v) == !fails);
        CHECK(str_at(v, "finalStatus") == (fails ? "error" : "completed"));
        REQUIRE(v.as_object().contains("final"));
        CHECK(str_at(v.at("final").at("task"), "id") == str_at(v, "taskId"));
        CHECK(str_at(v.at("final").at("task"), "status") == str_at(v, "finalStatus"));
        CHECK(v.at("final").at("turns").as_array().size() == 2);
        CHECK_FALSE(v.as_object().contains("error"));
    }
    CHECK(f.fx.stat("tasks_created") == 3);
    CHECK(f.fx.stat("duplicate_posts") == 0);
    CHECK(starts_with(r.err, "batch: 3 inputs, 2 succeeded, 1 failed (0 malformed) in "));

    // Everything completes: exit 0.
    auto good = f.run({"tasks", "batch", "-", "--wait"}, std::string("{\"input\":\"all good\"}\n"));
    INFO(good.dump());
    CHECK(good.status == 0);
    auto one = parse_lines(good.out);
    REQUIRE(one.size() == 1);
    CHECK(str_at(one[0], "finalStatus") == "completed");
}

TEST_CASE("tasks batch: an unreadable file exits 2 before any request")
{
    cli_fixture f;
    auto missing = f.run({"tasks", "batch", f.dir.file("missing.jsonl")});
    INFO(missing.dump());
    CHECK(missing.status == 2);
    CHECK(missing.out.empty());
    CHECK(contains(missing.err, "cannot read"));

    if (::geteuid() != 0) { // root reads whatever the mode says
        auto locked = f.dir.write("locked.jsonl", "{\"input\":\"never\"}\n");
        REQUIRE(::chmod(locked.c_str(), 0) == 0);
        auto r = f.run({"tasks", "batch", locked});
        INFO(r.dump());
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(contains(r.err, "cannot read"));
    }
    CHECK(f.fx.api_requests() == 0);
}

TEST_CASE("tasks batch: a directory as FILE is unreadable, exit 2")
{
    // std::ifstream opens a directory; reading it then fails (EISDIR). That
    // is an unreadable file, not an empty batch.
    cli_fixture f;
    auto r = f.run({"tasks", "batch", f.dir.path()});
    INFO(r.dump());
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(contains(r.err, f.dir.path()));
    CHECK_FALSE(contains(r.err, "batch: 0 inputs"));
}

TEST_CASE("tasks batch: off a terminal no bar, exactly one summary line")
{
    cli_fixture f;
    auto r = f.run(
        {"tasks", "batch", "-", "--wait", "--concurrency", "2"},
        std::string("{\"input\":\"p1\"}\n{\"input\":\"p2\"}\n{\"input\":\"p3\"}\n{\"input\":\"p4\"}\n"));
    INFO(r.dump());
    CHECK(r.status == 0);
    CHECK(parse_lines(r.out).size() == 4);
    CHECK(r.err.find('\r') == std::string::npos);
    CHECK(r.err.find('\x1b') == std::string::npos);
    CHECK(r.out.find('\r') == std::string::npos);
    CHECK(r.out.find('\x1b') == std::string::npos);
    REQUIRE(r.err_lines().size() == 1);
    CHECK(std::regex_match(
        r.err,
        std::regex(
            R"(batch: 4 inputs, 4 succeeded, 0 failed \(0 malformed\) in [0-9.]+ s \([0-9.]+/s\)\n)")));
}

TEST_CASE("tasks batch: on a terminal a live bar is drawn on stderr")
{
    REQUIRE_MESSAGE(have_script(), "util-linux `script` is needed to give the program a terminal");
    cli_fixture f;
    auto file = f.dir.write("tty.jsonl", "{\"input\":\"t1\"}\n{\"input\":\"t2\"}\n{\"input\":\"t3\"}\n");
    auto r = f.run_on_tty({"tasks", "batch", file, "--wait"});
    INFO(r.dump());
    CHECK(r.status == 0);
    CHECK(contains(r.out, "\r\x1b[K["));
    CHECK(contains(r.out, "/3 done, "));
    CHECK(contains(r.out, "\r\x1b[Kbatch: 3 inputs, 3 succeeded, 0 failed (0 malformed) in "));
    CHECK(count_of(r.out, "{\"line\":") == 3);
    CHECK(f.fx.stat("tasks_created") == 3);
}

TEST_CASE("tasks batch: on a terminal result lines do not run into the progress bar")
{
    // stdout and stderr on the same terminal: a result printed while the bar
    // is shown must start on a line of its own (the bar cleared first), not
    // be appended to the bar's text.
    REQUIRE_MESSAGE(have_script(), "util-linux `script` is needed to give the program a terminal");
    cli_fixture f;
    auto file = f.dir.write("tty.jsonl", "{\"input\":\"t1\"}\n{\"input\":\"t2\"}\n{\"input\":\"t3\"}\n");
    auto r = f.run_on_tty({"tasks", "batch", file, "--wait"});
    INFO(r.dump());
    CHECK(r.status == 0);
    REQUIRE(count_of(r.out, "{\"line\":") == 3);
    for (auto at = r.out.find("{\"line\":"); at != std::string::npos; at = r.out.find("{\"line\":", at + 1)) {
        const std::string before = r.out.substr(at >= 3 ? at - 3 : 0, at >= 3 ? 3 : at);
        INFO("before a result: ", json::serialize(json::string(before)));
        CHECK((at == 0 || before.back() == '\n' || before == "\x1b[K"));
    }
}

TEST_CASE("exit 130: SIGINT during batch --wait gives every input a cancelled result")
{
    cli_fixture f;
    auto p = f.start(
        {"tasks", "batch", "-", "--wait"},
        std::string("{\"input\":\"slow a #pending-ms:20000\"}\n{\"input\":\"slow b #pending-ms:20000\"}\n"));
    REQUIRE(eventually([&] { return f.fx.stat("tasks_created") == 2; }, 20s));
    std::this_thread::sleep_for(200ms);
    steady::duration took{};
    auto r = p->interrupt(SIGINT, 20s, took);
    INFO(r.dump());
    CHECK(r.status == 130);
    CHECK(took < 3s);
    auto results = by_line(parse_lines(r.out));
    CHECK(keys(results) == std::set<std::int64_t>{1, 2});
    for (auto& [line, v] : results) {
        CHECK_FALSE(ok_of(v));
        CHECK(str_at(v.at("error"), "kind") == "cancelled");
    }
    CHECK(starts_with(r.err, "batch: 2 inputs, 0 succeeded, 2 failed"));
}

TEST_CASE("tasks batch --wait --deadline: a task outliving the deadline fails with kind timeout, exit 1")
{
    cli_fixture f;
    auto r = f.run({"tasks", "batch", "-", "--wait", "--deadline", "0.5"},
                   std::string("{\"input\":\"too slow #pending-ms:20000\"}\n{\"input\":\"quick\"}\n"));
    INFO(r.dump());
    CHECK(r.status == 1);
    CHECK(r.elapsed < 8s);
    auto results = by_line(parse_lines(r.out));
    REQUIRE(keys(results) == std::set<std::int64_t>{1, 2});
    CHECK_FALSE(ok_of(results[1]));
    CHECK(str_at(results[1].at("error"), "kind") == "timeout");
    CHECK(starts_with(str_at(results[1], "taskId"), "tsk_"));
    CHECK(ok_of(results[2]));
    CHECK(str_at(results[2], "finalStatus") == "completed");
    CHECK(f.fx.stat("tasks_created") == 2);
}

TEST_CASE("tasks batch: the batch stream does not outlive the client and its io_context")
{
    // run_batch keeps its batch_stream in a std::optional declared outside
    // run_with_client, so it is destroyed after the io_context: the stream's
    // timer and strand then touch freed services (ASan/UBSan report it; here
    // glibc's MALLOC_PERTURB_ scribbles over freed memory and the program
    // deadlocks on a freed mutex at exit). `tasks get` is the control.
    cli_fixture f;
    const env_vars perturb = {{"MALLOC_PERTURB_", "1"}};
    auto id = f.create("control");
    auto g = f.run({"tasks", "get", id}, std::nullopt, perturb, 4s);
    INFO(g.dump());
    CHECK(g.status == 0);

    auto r =
        f.run({"tasks", "batch", "-"}, std::string("{\"input\":\"a\"}\n{\"input\":\"b\"}\n"), perturb, 4s);
    INFO(r.dump());
    CHECK(r.status == 0);
    CHECK(parse_lines(r.out).size() == 2);
    CHECK(r.elapsed < 4s);
}
