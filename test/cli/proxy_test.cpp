// The handinger program through an HTTPS proxy: it reads HTTPS_PROXY (and
// NO_PROXY) through the library. A real tinyproxy (client/tinyproxy.hpp).
#include "cli/cli_support.hpp"
#include "client/tinyproxy.hpp"

using namespace cli_test;

namespace {

unsigned short port_of(const std::string& url)
{
    return static_cast<unsigned short>(std::stoi(url.substr(url.rfind(':') + 1)));
}

std::string secret()
{
    return test_support::canary().empty() ? std::string("pw-CLI-PROXY-SECRET") : test_support::canary();
}

} // namespace

TEST_CASE("proxy: HTTPS_PROXY carries the program's calls through the proxy, NO_PROXY bypasses it")
{
    cli_fixture f;
    test_support::tinyproxy p({{port_of(f.fx.sim.url())}, {}, {}});
    auto r = f.run({"tasks", "create", "--input", "through a proxy", "--format", "jsonl"}, std::nullopt,
                   {{"HTTPS_PROXY", p.url()}});
    INFO(r.dump());
    CHECK(r.status == 0);
    CHECK(starts_with(str_at(parse_doc(r.out), "taskId"), "tsk_"));
    CHECK(p.connects(1) == 1);

    auto direct = f.run({"tasks", "get", "tsk_none"}, std::nullopt,
                        {{"HTTPS_PROXY", p.url()}, {"NO_PROXY", "localhost,127.0.0.1"}});
    INFO(direct.dump());
    CHECK(direct.status == 1);
    CHECK(contains(direct.err, "not found"));
    CHECK(p.connects() == 1);
}

TEST_CASE("proxy: a proxy that refuses the credentials ends the program with its refusal, no password shown")
{
    cli_fixture f;
    test_support::tinyproxy p({{port_of(f.fx.sim.url())}, "cliuser", secret()});
    auto r = f.run({"tasks", "get", "tsk_none", "--format", "jsonl"}, std::nullopt,
                   {{"HTTPS_PROXY", p.url("cliuser:wrong-" + secret())}});
    INFO(r.dump());
    CHECK(r.status == 1);
    CHECK(contains(r.err + r.out, "proxy " + p.address() + " refused CONNECT to 127.0.0.1:" +
                                      std::to_string(port_of(f.fx.sim.url())) + ": 401"));
    CHECK_FALSE(contains(r.err + r.out, secret()));

    auto ok =
        f.run({"tasks", "get", "tsk_none"}, std::nullopt, {{"https_proxy", p.url("cliuser:" + secret())}});
    INFO(ok.dump());
    CHECK(ok.status == 1);
    CHECK(contains(ok.err, "not found")); // the service's answer, through the proxy
    CHECK(p.connects(2) == 2);
}
