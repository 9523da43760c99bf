// The key's protection from the command line: plain http:// only to loopback
// unless --allow-insecure-http, and no base URL user info in any message.
// Traffic stays on this machine (see far_url); the refused hosts are never
// looked up.
#include "cli/cli_support.hpp"

using namespace cli_test;

namespace {

// 0.0.0.0 is no loopback address to the client (its check is by address),
// but a connection to it stays on this machine (Linux takes it for the local
// host) and port 1 refuses: a connection error, no traffic leaving.
const std::string far_url = "http://0.0.0.0:1";

std::vector<std::string> prepend_exe(std::vector<std::string> args)
{
    args.insert(args.begin(), cli_exe());
    return args;
}

} // namespace

TEST_CASE("plain http: a host that is not loopback needs --allow-insecure-http, else exit 2 at once")
{
    const env_vars key_only = {{"HANDINGER_API_KEY", "sk-cli-plain-http"}};
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--base-url", far_url, "tasks", "get", "tsk_x"},
             {"tasks", "create", "--input", "x", "--base-url", far_url},
             {"tasks", "batch", "-", "--base-url", far_url},
         }) {
        INFO(args[args.size() > 3 ? 3 : 0]);
        auto r = run_process(prepend_exe(args), key_only, std::string("{\"input\":\"a\"}\n"));
        INFO(r.dump());
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(r.err_lines().size() == 1);
        CHECK(starts_with(r.err, "handinger: "));
        CHECK(contains(r.err, "--allow-insecure-http"));
        CHECK(contains(r.err, "clear text"));
    }
    // From the environment too.
    auto from_env = run_process({cli_exe(), "tasks", "get", "tsk_x"},
                                {{"HANDINGER_API_KEY", "k"}, {"HANDINGER_BASE_URL", far_url}});
    INFO(from_env.dump());
    CHECK(from_env.status == 2);
    CHECK(contains(from_env.err, "--allow-insecure-http"));

    // With the flag, or the variable, the call is tried: the name does not
    // resolve, so it fails as a connection (exit 1), not as bad input.
    const std::vector<std::string> quick = {"--timeout", "5", "--max-retries", "0", "tasks", "get", "tsk_x"};
    auto allowed = prepend_exe(quick);
    allowed.insert(allowed.begin() + 1, {"--allow-insecure-http", "--base-url", far_url});
    auto flag = run_process(allowed, key_only);
    INFO(flag.dump());
    CHECK(flag.status == 1);
    CHECK_FALSE(contains(flag.err, "allow-insecure-http"));
    CHECK(contains(flag.err, "connection error"));

    auto by_var = prepend_exe(quick);
    by_var.insert(by_var.begin() + 1, {"--base-url", far_url});
    auto var = run_process(by_var, {{"HANDINGER_API_KEY", "k"}, {"HANDINGER_ALLOW_INSECURE_HTTP", "1"}});
    INFO(var.dump());
    CHECK(var.status == 1);
    CHECK(contains(var.err, "connection error"));

    auto help = run_process({cli_exe(), "--help"}, {});
    CHECK(contains(help.out, "--allow-insecure-http"));
    CHECK(contains(help.out, "HANDINGER_ALLOW_INSECURE_HTTP"));
}

TEST_CASE("plain http: a loopback simulator needs no flag")
{
    auto so = test_support::fast_sim();
    so.plain_http = true;
    test_support::sim_fixture fx(so);
    const std::string url = fx.sim.url();
    REQUIRE(starts_with(url, "http://127.0.0.1:"));
    auto c = run_process(
        {cli_exe(), "--base-url", url, "tasks", "create", "--input", "plain", "--format", "jsonl"},
        {{"HANDINGER_API_KEY", fx.key}});
    INFO(c.dump());
    CHECK(c.status == 0);
    CHECK(starts_with(str_at(parse_doc(c.out), "taskId"), "tsk_"));
    auto local = "http://localhost:" + std::to_string(fx.sim.port());
    auto g = run_process({cli_exe(), "--base-url", local, "tasks", "get", str_at(parse_doc(c.out), "taskId")},
                         {{"HANDINGER_API_KEY", fx.key}});
    INFO(g.dump());
    CHECK(g.status == 0);
    CHECK(fx.requests("POST /api/tasks", "200") == 1);
}

TEST_CASE("secrets: a base URL's user info shows in no CLI message")
{
    const std::string pw = test_support::canary().empty() ? std::string("pw-CLI-SECRET-5150")
                                                          : test_support::canary() + "-cli-pw";
    for (const auto& url :
         {"https://alice:" + pw + "@h.example", "http://alice:" + pw + "@example.invalid",
          "https://alice:" + pw + "@h.example:99999", "https://alice:1/" + pw + "@h.example"}) {
        INFO("url with the password at ", url.find(pw));
        auto by_flag = run_process({cli_exe(), "--base-url", url, "--debug", "tasks", "get", "tsk_x"},
                                   {{"HANDINGER_API_KEY", "k"}});
        INFO(by_flag.dump());
        CHECK(by_flag.status == 2);
        CHECK(contains(by_flag.err, "base URL"));
        CHECK_FALSE(contains(by_flag.err + by_flag.out, pw));
        CHECK_FALSE(contains(by_flag.err + by_flag.out, "alice"));
        auto by_env = run_process({cli_exe(), "tasks", "create", "--input", "x"},
                                  {{"HANDINGER_API_KEY", "k"}, {"HANDINGER_BASE_URL", url}});
        INFO(by_env.dump());
        CHECK(by_env.status == 2);
        CHECK_FALSE(contains(by_env.err + by_env.out, pw));
        CHECK_FALSE(contains(by_env.err + by_env.out, "alice"));
    }
}
