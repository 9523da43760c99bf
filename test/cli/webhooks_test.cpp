// `handinger webhooks get|set|delete|rotate|executions --worker ID` against
// the simulator: each action in the pretty and JSON forms, a page of
// executions and every page, and the exit statuses (2 for input refused
// before any request, 1 for a failed call).
#include "cli/cli_support.hpp"
#include "loopback_port.hpp"

#include <handinger/client.hpp>

#include <boost/asio/io_context.hpp>

#include <set>

using namespace cli_test;
namespace hd = handinger;

namespace {

// A worker made through the library (the CLI has no workers command).
std::string make_worker(cli_fixture& f)
{
    test_support::test_io ioc;
    hd::client c(ioc, f.fx.copts);
    return test_support::run(ioc, [&]() -> boost::asio::awaitable<std::string> {
        auto w = co_await c.workers().async_create(hd::create_worker_params{});
        co_return w.id;
    }());
}

// `n` tasks of `worker_id`, created through the library.
void make_tasks(cli_fixture& f, const std::string& worker_id, int n)
{
    test_support::test_io ioc;
    hd::client c(ioc, f.fx.copts);
    test_support::run(ioc, [&]() -> boost::asio::awaitable<void> {
        for (int i = 0; i < n; ++i) {
            hd::create_task_params p;
            p.input = "task " + std::to_string(i);
            p.worker_id = worker_id;
            co_await c.async_create(p);
        }
    }());
}

handinger::sim::options quick_tasks()
{
    auto o = test_support::fast_sim();
    o.pending = std::chrono::milliseconds(0);
    o.turn = std::chrono::milliseconds(1);
    o.turns_per_task = 1;
    o.other_keys = {"sk-sim-other"};
    return o;
}

} // namespace

TEST_CASE("webhooks cli: get, set, rotate and delete, pretty and JSON")
{
    cli_fixture f;
    const std::string id = make_worker(f);
    auto r = f.run({"webhooks", "get", "--worker", id});
    INFO(r.dump());
    CHECK(r.status == 0);
    CHECK(r.out == "no webhook\n");

    r = f.run({"webhooks", "set", "https://example.com/hook", "--worker", id});
    CHECK(r.status == 0);
    auto lines = r.out_lines();
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "url: https://example.com/hook");
    CHECK(starts_with(lines[1], "token: whk_"));
    const std::string token = lines[1].substr(7);

    r = f.run({"webhooks", "get", "--worker-id", id, "--format", "jsonl"});
    CHECK(r.status == 0);
    CHECK(r.out == R"({"token":")" + token + R"(","url":"https://example.com/hook"})" + "\n");

    r = f.run({"--format", "json", "webhooks", "rotate", "--worker", id});
    CHECK(r.status == 0);
    auto v = parse_doc(r.out);
    CHECK(starts_with(str_at(v, "token"), "whk_"));
    CHECK(str_at(v, "token") != token);

    r = f.run({"webhooks", "delete", "--worker", id});
    CHECK(r.status == 0);
    CHECK(r.out == "no webhook\n");
    CHECK(f.fx.requests("GET /api/workers/{id}/webhook", "200") == 2);
    CHECK(f.fx.requests("PUT /api/workers/{id}/webhook", "200") == 1);
    CHECK(f.fx.requests("POST /api/workers/{id}/webhook/regenerate-token", "200") == 1);
    CHECK(f.fx.requests("DELETE /api/workers/{id}/webhook", "200") == 1);
}

TEST_CASE("webhooks cli: bad input exits 2 before any request, failed calls exit 1")
{
    cli_fixture f(quick_tasks());
    const std::string id = make_worker(f);
    const auto connections = f.fx.stat("connections_accepted"); // (the library's, making the worker)
    std::string long_url = "https://example.com/";
    long_url.resize(2049, 'a');
    auto r = f.run({"webhooks", "set", long_url, "--worker", id});
    INFO(r.dump());
    CHECK(r.status == 2);
    CHECK(contains(r.err, "url: must be at most 2048 characters (got 2049)"));
    r = f.run({"webhooks", "set", "not a uri", "--worker", id});
    CHECK(r.status == 2);
    CHECK(contains(r.err, "url: must be a URI"));
    for (std::vector<std::string> args : {std::vector<std::string>{"webhooks", "get"},
                                          {"webhooks", "executions", "--worker", id, "--page", "0"},
                                          {"webhooks", "executions", "--worker", id, "--page", "2", "--all"},
                                          {"webhooks", "set", "--worker", id},
                                          {"webhooks", "ring", "--worker", id}}) {
        r = f.run(args);
        CHECK(r.status == 2);
    }
    CHECK(f.fx.stat("connections_accepted") == connections);

    r = f.run({"webhooks", "get", "--worker", "wrk_nobody"});
    CHECK(r.status == 1);
    CHECK(contains(r.err, "404"));
    CHECK(contains(r.err, "worker wrk_nobody not found"));
    r = f.run({"webhooks", "rotate", "--worker", id});
    CHECK(r.status == 1);
    CHECK(contains(r.err, "has no webhook"));
    r = f.run({"webhooks", "get", "--worker", id}, std::nullopt, {{"HANDINGER_API_KEY", "sk-sim-other"}});
    CHECK(r.status == 1);
    CHECK(contains(r.err, "403"));
}

TEST_CASE("webhooks cli: executions, one page or all of them")
{
    cli_fixture f(quick_tasks());
    const std::string id = make_worker(f);
    auto r = f.run({"webhooks", "executions", "--worker", id});
    INFO(r.dump());
    CHECK(r.status == 0);
    CHECK(r.out == "no executions\n");

    test_support::unused_port nobody; // deliveries there fail at once
    REQUIRE(f.run({"webhooks", "set", nobody.url("/hook"), "--worker", id}).status == 0);
    make_tasks(f, id, 53);
    REQUIRE(eventually([&] { return f.fx.stat("webhook_deliveries") == 53; }, 10s));

    r = f.run({"webhooks", "executions", "--worker", id, "--format", "jsonl"});
    CHECK(r.status == 0);
    auto v = parse_doc(r.out);
    CHECK(v.at("logs").as_array().size() == 50);
    CHECK(v.at("pageCount") == 2);
    CHECK(v.at("totalCount") == 53);
    CHECK(str_at(v.at("logs").at(0), "requestStatus") == "error");

    r = f.run({"webhooks", "executions", "--worker", id, "--page", "2"});
    CHECK(r.status == 0);
    auto lines = r.out_lines();
    REQUIRE(lines.size() == 4);
    CHECK(contains(lines[0], "  error  -  tsk_"));
    CHECK(contains(lines[0], " ms  connect: "));
    CHECK(lines[3] == "page 2 of 2 (53 executions)");

    r = f.run({"webhooks", "executions", "--all", "--worker", id, "--format", "jsonl"});
    CHECK(r.status == 0);
    lines = r.out_lines();
    CHECK(lines.size() == 53);
    std::set<std::string> ids;
    for (const auto& l : lines)
        ids.insert(str_at(parse_doc(l), "id"));
    CHECK(ids.size() == 53);

    r = f.run({"webhooks", "executions", "--all", "--worker", id, "--format", "json"});
    CHECK(r.status == 0);
    CHECK(parse_doc(r.out).at("logs").as_array().size() == 53);
    r = f.run({"webhooks", "executions", "--all", "--worker", id});
    CHECK(r.status == 0);
    lines = r.out_lines();
    REQUIRE(lines.size() == 54);
    CHECK(lines.back() == "53 executions");
    CHECK(f.fx.requests("GET /api/workers/{id}/webhook/executions", "200") == 1 + 1 + 1 + 3 * 2);
}
