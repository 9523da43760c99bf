// What the `handinger` program says on each error path a new user meets (no
// key, wrong key, unreachable URL, bad CA file, bad JSON line, unknown flag,
// unknown or missing command): one line on stderr, in the tool's own terms,
// saying what to do next; and `handinger --version`.
#include "cli/cli_support.hpp"
#include "loopback_port.hpp"

#include <handinger/version.hpp>

using namespace cli_test;

namespace {

// The program failed with `status`, nothing on stdout, and stderr is the one
// line `line`.
void check_one_line(const result& r, int status, const std::string& line)
{
    INFO(r.dump());
    CHECK(r.status == status);
    CHECK(r.out.empty());
    CHECK(r.err_lines().size() == 1);
    CHECK(r.err == line + "\n");
}

} // namespace

TEST_CASE("messages: --version prints the library's version, exit 0")
{
    cli_fixture f;
    auto r = f.run({"--version"});
    INFO(r.dump());
    CHECK(r.status == 0);
    CHECK(r.out == std::string("handinger ") + HANDINGER_VERSION_STRING + "\n");
    CHECK(r.err.empty());
}

TEST_CASE("messages: no API key names the flag and the variable, not a C++ field")
{
    cli_fixture f;
    auto r = f.run_with_env({"tasks", "get", "tsk_x"},
                            {{"HANDINGER_BASE_URL", f.fx.sim.url()}, {"HANDINGER_CA_FILE", f.ca_file}});
    check_one_line(r, 2, "handinger: no API key: pass --api-key KEY or set HANDINGER_API_KEY");
    CHECK(f.fx.api_requests() == 0);
}

TEST_CASE("messages: a wrong key (401) says which key to check")
{
    cli_fixture f;
    auto r = f.run({"tasks", "get", "tsk_x", "--api-key", "sk-not-this-one"});
    check_one_line(
        r, 1,
        "handinger: GET /api/tasks/tsk_x: 401 authentication failed: invalid API key; check the key "
        "given by --api-key or HANDINGER_API_KEY");
    CHECK(f.fx.requests("GET /api/tasks/{id}", "401") == 1);
}

TEST_CASE("messages: an unreachable URL says to check the base URL")
{
    cli_fixture f;
    test_support::unused_port nothing;
    REQUIRE(nothing.port() != 0);
    const std::string url = "https://127.0.0.1:" + std::to_string(nothing.port());
    auto r = f.run({"tasks", "get", "tsk_x", "--base-url", url, "--max-retries", "0"});
    check_one_line(r, 1,
                   "handinger: GET /api/tasks/tsk_x: connection error: connect: Connection refused; is the "
                   "service up? check --base-url (or HANDINGER_BASE_URL)");
}

TEST_CASE("messages: a CA file that does not load names --ca-file and what it must hold")
{
    cli_fixture f;
    const auto missing = f.dir.path() + "/missing.pem";
    auto r = f.run({"tasks", "get", "tsk_x", "--ca-file", missing});
    check_one_line(r, 2,
                   "handinger: --ca-file (or HANDINGER_CA_FILE): cannot load \"" + missing +
                       "\": No such file or directory; give a PEM file of CA certificates");
    const auto garbage = f.dir.write("garbage.pem", "not a certificate\n");
    auto g = f.run({"tasks", "get", "tsk_x"}, std::nullopt, {{"HANDINGER_CA_FILE", garbage}});
    INFO(g.dump());
    CHECK(g.status == 2);
    CHECK(g.err_lines().size() == 1);
    CHECK(
        starts_with(g.err, "handinger: --ca-file (or HANDINGER_CA_FILE): cannot load \"" + garbage + "\": "));
    CHECK(g.err.ends_with("; give a PEM file of CA certificates\n"));
    // No CA at all for the simulator's private one: pass it.
    auto none = f.run_with_env({"tasks", "get", "tsk_x"},
                               {{"HANDINGER_BASE_URL", f.fx.sim.url()}, {"HANDINGER_API_KEY", f.fx.key}});
    INFO(none.dump());
    CHECK(none.status == 1);
    CHECK(none.err_lines().size() == 1);
    CHECK(starts_with(none.err, "handinger: GET /api/tasks/tsk_x: TLS certificate verification failed: "));
    CHECK(contains(none.err,
                   "; for a service whose certificate a private CA signed, pass that CA with --ca-file\n"));
    CHECK(f.fx.api_requests() == 0);
}

TEST_CASE("messages: a bad JSON line of a batch says what a line must be")
{
    cli_fixture f;
    auto r = f.run({"tasks", "batch", "-"}, std::string("not json\n"));
    INFO(r.dump());
    CHECK(r.status == 2);
    auto lines = r.err_lines();
    REQUIRE(lines.size() == 2); // the error, then the batch's summary line
    CHECK(lines[0] ==
          "handinger: line 1: invalid JSON: syntax error; each line must be a CreateTask object such "
          "as {\"input\": \"...\"}");
    CHECK(starts_with(lines[1], "batch: 1 inputs, 0 succeeded, 1 failed (1 malformed) in "));
    CHECK(f.fx.api_requests() == 0);
}

TEST_CASE("messages: an unknown flag names the command it was given to and its help")
{
    cli_fixture f;
    const std::string want = "handinger: unknown option '--frobnicate' for 'handinger tasks get'; see "
                             "'handinger tasks get --help'";
    check_one_line(f.run({"tasks", "get", "tsk_x", "--frobnicate"}), 2, want);
    check_one_line(f.run({"--frobnicate", "tasks", "get", "tsk_x"}), 2, want);
    check_one_line(
        f.run({"tasks", "get", "tsk_x", "extra"}), 2,
        "handinger: unexpected argument 'extra' for 'handinger tasks get'; see 'handinger tasks get "
        "--help'");
    check_one_line(f.run({"tasks", "get"}), 2, "handinger: ID is required; see 'handinger tasks get --help'");
    CHECK(f.fx.api_requests() == 0);
}

TEST_CASE("messages: an unknown command is named with the commands there are, a missing one lists them")
{
    cli_fixture f;
    check_one_line(
        f.run({"tasks", "frobnicate"}), 2,
        "handinger: 'frobnicate' is not a command of 'handinger tasks'; its commands are: create, get, "
        "archive, turns, watch, batch; see 'handinger tasks --help'");
    check_one_line(
        f.run({"frobnicate"}), 2,
        "handinger: 'frobnicate' is not a command of 'handinger'; its commands are: tasks, workers, "
        "schedules, webhooks, sim; see 'handinger --help'");
    check_one_line(
        f.run({"workers", "frobnicate", "--frobnicate"}), 2,
        "handinger: 'frobnicate' is not a command of 'handinger workers'; its commands are: create, "
        "get, update, delete, email; see 'handinger workers --help'");
    check_one_line(
        f.run({"tasks"}), 2,
        "handinger: 'handinger tasks' needs a command: create, get, archive, turns, watch, batch; see "
        "'handinger tasks --help'");
    check_one_line(f.run({}), 2,
                   "handinger: 'handinger' needs a command: tasks, workers, schedules, webhooks, sim; see "
                   "'handinger --help'");
    CHECK(f.fx.api_requests() == 0);
}
