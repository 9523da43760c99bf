// `handinger sim`: the bundled simulator in the foreground, driven by the
// tool itself.
#include "cli/cli_support.hpp"

#include <csignal>

using namespace cli_test;

TEST_CASE("handinger sim --port 0: prints its URL first, serves tasks, SIGTERM exits 0")
{
    temp_dir dir;
    const std::string ca = dir.file("sim-ca.pem");
    const std::string key = "sk-cli-sim-command";
    process sim({cli_exe(), "sim", "--port", "0", "--ca-out", ca, "--api-key", key, "--pending-ms", "40",
                 "--turn-ms", "50", "--turns", "2", "--text-steps", "2"},
                {});
    REQUIRE(sim.wait_for_output("\n", 20s));
    const std::string url = lines_of(sim.out()).front();
    CHECK(starts_with(url, "https://127.0.0.1:"));
    CHECK(url.size() > std::string("https://127.0.0.1:").size());
    REQUIRE(eventually([&] { return !read_file(ca).empty(); }, 5s));

    const env_vars env = {{"HANDINGER_BASE_URL", url}, {"HANDINGER_CA_FILE", ca}, {"HANDINGER_API_KEY", key}};
    auto c = run_process(
        {cli_exe(), "tasks", "create", "--input", "served by handinger sim", "--wait", "--format", "jsonl"},
        env);
    INFO(c.dump());
    CHECK(c.status == 0);
    auto id = str_at(parse_doc(c.out).at("task"), "id");
    REQUIRE(starts_with(id, "tsk_"));

    auto g = run_process({cli_exe(), "tasks", "get", id}, env);
    INFO(g.dump());
    CHECK(g.status == 0);
    CHECK(starts_with(g.out, id + "  completed  \"served by handinger sim\"\n"));

    // Its key is the one given to it.
    auto wrong = run_process({cli_exe(), "tasks", "get", id, "--api-key", "sk-sim-test"}, env);
    INFO(wrong.dump());
    CHECK(wrong.status == 1);
    CHECK(contains(wrong.err, "401"));

    sim.signal(SIGTERM);
    auto r = sim.wait(10s);
    INFO(r.dump());
    CHECK(r.status == 0);
}

TEST_CASE("handinger sim --help exits 0, a bad flag exits 2")
{
    auto help = run_process({cli_exe(), "sim", "--help"}, {});
    INFO(help.dump());
    CHECK(help.status == 0);
    CHECK(contains(help.out, "usage: handinger sim"));
    CHECK(contains(help.out, "--port"));

    auto bad = run_process({cli_exe(), "sim", "--no-such-flag"}, {});
    INFO(bad.dump());
    CHECK(bad.status == 2);
    CHECK(contains(bad.err, "--no-such-flag"));
}
