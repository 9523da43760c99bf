// `handinger workers create|get|update|delete|email` against the simulator:
// each command's output in the human form and as JSON, --schema from the
// command line, a file or stdin, the structured output of a task run on the
// worker, 403 and 404 as the tasks commands report them, and bad input
// (each limit one past its bound, a wrong visibility, a schema that is not
// an object) refused with exit status 2 before any request.
#include "cli/cli_support.hpp"

#include <boost/json/serialize.hpp>

#include <regex>

using namespace cli_test;

namespace {

constexpr const char* schema_text =
    R"({"type":"object","required":["vendor","lines"],"properties":{"vendor":{"type":"string"},)"
    R"("lines":{"type":"array","minItems":1,"items":{"type":"object","required":["qty"],)"
    R"("properties":{"qty":{"type":"integer","minimum":1}}}}}})";

// `workers create ARGS --format jsonl`; the worker's id.
std::string create_worker(const cli_fixture& f, std::vector<std::string> args = {})
{
    args.insert(args.begin(), {"workers", "create"});
    args.insert(args.end(), {"--format", "jsonl"});
    auto r = f.run(args);
    INFO(r.dump());
    REQUIRE(r.status == 0);
    auto id = str_at(parse_doc(r.out), "id");
    REQUIRE(starts_with(id, "wrk_"));
    return id;
}

std::string chars(std::size_t n)
{
    return std::string(n, 'a');
}

} // namespace

TEST_CASE("workers create: the human form and JSON, every field given")
{
    cli_fixture f;
    auto p =
        f.run({"workers", "create", "--instructions", "Read invoices.\nAnswer in JSON.", "--schema",
               schema_text, "--summary", "invoices", "--title", "Invoice reader", "--visibility", "private"});
    INFO(p.dump());
    CHECK(p.status == 0);
    CHECK(p.err.empty());
    auto lines = p.out_lines();
    REQUIRE(lines.size() == 8);
    CHECK(std::regex_match(lines[0], std::regex(R"(wrk_\S+  "Invoice reader"  private)")));
    CHECK(lines[1] == "  invoices");
    CHECK(starts_with(lines[2], "  created 20"));
    CHECK(starts_with(lines[3], "  https://handinger.com/workers/wrk_"));
    CHECK(lines[4] == "  instructions:");
    CHECK(lines[5] == "    Read invoices.");
    CHECK(lines[6] == "    Answer in JSON.");
    CHECK(lines[7] == std::string("  output schema: ") + schema_text);

    auto j = f.run({"workers", "create", "--prompt", "read invoices", "--format", "json"});
    INFO(j.dump());
    CHECK(j.status == 0);
    CHECK(j.out_lines().size() > 3);
    auto v = parse_doc(j.out);
    CHECK(starts_with(str_at(v, "id"), "wrk_"));
    CHECK(str_at(v, "instructions") == "Instructions written from the prompt: read invoices");
    CHECK(str_at(v, "visibility") == "public");
    CHECK(v.at("outputSchema").is_null());
    CHECK(f.fx.stat("workers_created") == 2);
    CHECK(f.fx.requests("POST /api/workers", "200") == 2);
}

TEST_CASE("workers create --schema: JSON text, a file, or standard input, anything else exit 2")
{
    cli_fixture f;
    const auto file = f.dir.write("schema.json", schema_text);
    for (const auto& arg : {std::string(schema_text), file, std::string("-")}) {
        INFO(arg);
        auto r = f.run({"workers", "create", "--schema", arg, "--format", "jsonl"}, std::string(schema_text));
        INFO(r.dump());
        CHECK(r.status == 0);
        CHECK(json::serialize(parse_doc(r.out).at("outputSchema")) == schema_text);
    }
    CHECK(f.fx.stat("workers_created") == 3);

    struct bad {
        std::string arg;
        std::string says;
    };
    for (const auto& b :
         {bad{"{\"type\":", "--schema: not JSON"}, bad{"[1]", "--schema: must be a JSON object"},
          bad{f.dir.write("array.json", "[1,2]"), "--schema: must be a JSON object"},
          bad{f.dir.write("broken.json", "{oops"), "--schema: not JSON"},
          bad{"/nonexistent/schema.json", "--schema: cannot read /nonexistent/schema.json"}}) {
        INFO(b.arg);
        check_usage_errors(f, {{"workers", "create", "--schema", b.arg}});
        CHECK(starts_with(f.run({"workers", "create", "--schema", b.arg}).err, "handinger: " + b.says));
    }
    // An update takes it the same way.
    auto id = create_worker(f);
    auto u = f.run({"workers", "update", id, "--schema", "{\"type\":[}"});
    INFO(u.dump());
    CHECK(u.status == 2);
    CHECK(starts_with(u.err, "handinger: --schema: not JSON"));
    CHECK(f.fx.stat("workers_created") == 4);
    CHECK(f.fx.stat("workers_updated") == 0);
}

TEST_CASE("workers get: the run of a task on the worker, with its structured output")
{
    cli_fixture f;
    auto id = create_worker(f, {"--schema", schema_text});

    // No task yet: 404, exit 1.
    check_failed(f.run({"workers", "get", id}), "404");
    check_failed(f.run({"workers", "get", id}), "has run no task yet");

    auto t =
        f.run({"tasks", "create", "--input", "bill it", "--worker-id", id, "--wait", "--format", "jsonl"});
    INFO(t.dump());
    REQUIRE(t.status == 0);
    const auto task = str_at(parse_doc(t.out).at("task"), "id");

    auto j = f.run({"workers", "get", id, "--format", "jsonl"});
    INFO(j.dump());
    CHECK(j.status == 0);
    REQUIRE(j.out_lines().size() == 1);
    auto run = parse_doc(j.out);
    CHECK(str_at(run, "status") == "completed");
    const auto& so = run.at("structured_output");
    REQUIRE(so.is_object());
    CHECK(so.at("vendor").is_string());
    CHECK(so.at("lines").at(0).at("qty").as_int64() >= 1);

    // The same run asked by its task; the human form shows the value indented.
    auto p = f.run({"workers", "get", id, "--task", task});
    INFO(p.dump());
    CHECK(p.status == 0);
    auto lines = p.out_lines();
    REQUIRE(lines.size() > 3);
    CHECK(std::regex_match(lines[0], std::regex(R"(run_\S+  completed)")));
    CHECK(contains(p.out, "\n  structured output:\n    {\n      \"vendor\": \""));
    CHECK(contains(p.out, "\n      \"lines\": [\n"));
    CHECK(f.fx.requests("GET /api/workers/{id}", "200") == 2);

    check_failed(f.run({"workers", "get", id, "--task", "tsk_01M8R585R61EWRX19N4P0748XX"}), "404");
    // An empty task id: bad input, found before any request.
    auto before = f.fx.api_requests();
    auto empty = f.run({"workers", "get", id, "--task", ""});
    INFO(empty.dump());
    CHECK(empty.status == 2);
    CHECK(empty.err_lines().size() == 1);
    CHECK(f.fx.api_requests() == before);
}

TEST_CASE("workers update, email and delete, and 404 afterwards")
{
    cli_fixture f;
    auto id = create_worker(f, {"--schema", schema_text, "--title", "Before"});

    auto u = f.run({"workers", "update", id, "--title", "After", "--summary", "s", "--format", "jsonl"});
    INFO(u.dump());
    CHECK(u.status == 0);
    auto v = parse_doc(u.out);
    CHECK(str_at(v, "title") == "After");
    CHECK(str_at(v, "summary") == "s");
    CHECK(v.at("outputSchema").is_object()); // not given: unchanged

    auto c = f.run({"workers", "update", id, "--clear-schema", "--visibility", "private"});
    INFO(c.dump());
    CHECK(c.status == 0);
    CHECK(contains(c.out, "\"After\"  private\n"));
    CHECK(contains(c.out, "\n  no output schema\n"));
    CHECK(f.fx.stat("workers_updated") == 2);

    auto e = f.run({"workers", "email", id});
    INFO(e.dump());
    CHECK(e.status == 0);
    CHECK(e.out == id + "@workers.sim.invalid\n");
    auto ej = f.run({"workers", "email", id, "--format", "jsonl"});
    CHECK(str_at(parse_doc(ej.out), "email") == id + "@workers.sim.invalid");

    auto d = f.run({"workers", "delete", id});
    INFO(d.dump());
    CHECK(d.status == 0);
    CHECK(d.out == id + " deleted\n");
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"workers", "get", id},
                                               {"workers", "update", id, "--title", "x"},
                                               {"workers", "delete", id, "--format", "json"},
                                               {"workers", "email", id}}) {
        INFO(args[1]);
        check_failed(f.run(args), "404");
    }
    CHECK(f.fx.stat("workers_deleted") == 1);
    CHECK(f.fx.requests("DELETE /api/workers/{id}", "404") == 1);
}

TEST_CASE("workers: another key gets 403 on the creator-only commands and on a private worker")
{
    auto o = test_support::fast_sim();
    o.other_keys = {"sk-cli-other-key"};
    cli_fixture f(o);
    auto id = create_worker(f, {"--visibility", "private"});
    f.create_finished("warm up"); // (a task elsewhere: the 403s are about the worker)
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"workers", "update", id, "--title", "mine"},
                                               {"workers", "delete", id},
                                               {"workers", "email", id},
                                               {"workers", "get", id}}) {
        INFO(args[1]);
        check_failed(f.run(args, std::nullopt, {{"HANDINGER_API_KEY", "sk-cli-other-key"}}), "403");
    }
    CHECK(f.fx.requests("PATCH /api/workers/{id}", "403") == 1);
    CHECK(f.fx.requests("DELETE /api/workers/{id}", "403") == 1);
    CHECK(f.fx.requests("GET /api/workers/{id}/email", "403") == 1);
    CHECK(f.fx.requests("GET /api/workers/{id}", "403") == 1);
    CHECK(f.fx.stat("workers_deleted") == 0);
}

TEST_CASE("workers: each limit at its bound is sent, one past it is exit 2 with no request")
{
    cli_fixture f;
    struct limit {
        const char* flag;
        const char* field;
        std::size_t max;
    };
    for (const auto& l :
         {limit{"--instructions", "instructions", 20'000}, limit{"--prompt", "prompt", 10'000},
          limit{"--summary", "summary", 80}, limit{"--title", "title", 200}}) {
        INFO(l.flag);
        auto ok = f.run({"workers", "create", l.flag, chars(l.max), "--format", "jsonl"});
        INFO(ok.dump());
        CHECK(ok.status == 0);
        const auto before = f.fx.api_requests();
        for (const std::string cmd : {"create", "update"}) {
            if (cmd == "update" && std::string(l.flag) == "--prompt")
                continue; // (an update has no prompt)
            std::vector<std::string> args{"workers", cmd};
            if (cmd == "update")
                args.push_back("wrk_anything");
            args.insert(args.end(), {l.flag, chars(l.max + 1)});
            auto r = f.run(args);
            INFO(r.dump());
            CHECK(r.status == 2);
            CHECK(r.out.empty());
            REQUIRE(r.err_lines().size() == 1);
            CHECK(r.err == "handinger: invalid worker: " + std::string(l.field) + ": must be at most " +
                               std::to_string(l.max) + " characters (got " + std::to_string(l.max + 1) +
                               ")\n");
        }
        CHECK(f.fx.api_requests() == before);
    }
    CHECK(f.fx.stat("workers_created") == 4);
}

TEST_CASE("workers: bad input is exit 2 with one line and no request")
{
    cli_fixture f;
    const std::vector<std::vector<std::string>> cases = {
        {"workers"},                                                        // no subcommand
        {"workers", "frobnicate"},                                          // unknown subcommand
        {"workers", "get"},                                                 // missing ID
        {"workers", "update"},                                              // missing ID
        {"workers", "delete"},                                              // missing ID
        {"workers", "email"},                                               // missing ID
        {"workers", "create", "--visibility", "secret"},                    // wrong visibility
        {"workers", "create", "--visibility", "Public"},                    // wrong visibility (case)
        {"workers", "update", "wrk_x", "--visibility", ""},                 // empty visibility
        {"workers", "create", "--title", ""},                               // title below its bound
        {"workers", "update", "wrk_x", "--title", ""},                      // title below its bound
        {"workers", "create", "--instructions", "a", "--prompt", "b"},      // exclusive flags
        {"workers", "update", "wrk_x", "--schema", "{}", "--clear-schema"}, // exclusive flags
        {"workers", "update", "wrk_x", "--prompt", "p"},                    // no prompt in an update
        {"workers", "create", "--schema"},                                  // --schema without a value
        {"workers", "create", "--bogus"},                                   // unknown flag
        {"workers", "get", "wrk_x", "--format", "xml"},                     // bad --format
    };
    check_usage_errors(f, cases);
    CHECK(f.fx.api_requests() == 0);
    // The message names what was wrong.
    CHECK(contains(f.run({"workers", "create", "--visibility", "secret"}).err, "secret"));
    CHECK(contains(f.run({"workers", "create", "--title", ""}).err, "title: must be at least 1 character"));
    CHECK(contains(f.run({"workers", "get"}).err, "ID"));
    CHECK(f.fx.api_requests() == 0);
}
