// Options from the environment, and construction-time validation of options.
#include "client/support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;
using boost::system::error_code;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);

// Constructs a client with `o`; returns the api_error's code and text, or
// success when construction worked.
std::pair<error_code, std::string> construct(const hd::client_options& o)
{
    test_io ioc;
    try {
        hd::client c(ioc, o);
    } catch (const hd::api_error& e) {
        return {e.code(), e.what()};
    }
    return {};
}

// A retrieve of an unknown id: 404 proves the key was accepted (401 otherwise).
error_code probe(hd::client& c, asio::io_context& ioc, hd::diagnostics& d)
{
    error_code out;
    auto body = [&]() -> asio::awaitable<void> {
        auto [ec, t] = co_await c.async_retrieve("tsk_env", d, tup);
        out = ec;
    };
    run(ioc, body(), 10s);
    return out;
}

} // namespace

TEST_CASE("env: HANDINGER_API_KEY and HANDINGER_BASE_URL are used when the options are empty")
{
    sim_fixture f;
    env_guard key("HANDINGER_API_KEY", f.key);
    env_guard url("HANDINGER_BASE_URL", f.sim.url());
    env_guard headers("HANDINGER_CUSTOM_HEADERS", std::nullopt);
    auto o = f.copts;
    o.api_key.clear();
    o.base_url.clear();
    test_io ioc;
    hd::client c(ioc, o);
    CHECK(c.options().base_url == f.sim.url());
    CHECK(c.options().api_key.empty());
    hd::diagnostics d;
    CHECK(probe(c, ioc, d) == hd::error::not_found);
    CHECK(f.requests("GET /api/tasks/{id}", "404") == 1);
}

TEST_CASE("env: options given in code win over the environment")
{
    sim_fixture f;
    env_guard key("HANDINGER_API_KEY", std::string("sk-env-wrong"));
    env_guard url("HANDINGER_BASE_URL", std::string("https://127.0.0.1:1"));
    test_io ioc;
    hd::client c(ioc, f.copts);
    CHECK(c.options().base_url == f.sim.url());
    hd::diagnostics d;
    CHECK(probe(c, ioc, d) == hd::error::not_found);
}

TEST_CASE("env: no API key anywhere fails construction with invalid_argument")
{
    env_guard key("HANDINGER_API_KEY", std::nullopt);
    hd::client_options o;
    o.base_url = "https://127.0.0.1:1";
    auto [ec, what] = construct(o);
    CHECK(ec == hd::error::invalid_argument);
    CHECK(what.find("HANDINGER_API_KEY") != std::string::npos);

    env_guard empty("HANDINGER_API_KEY", std::string());
    auto [ec2, what2] = construct(o);
    CHECK(ec2 == hd::error::invalid_argument);
}

TEST_CASE("env: without a base URL anywhere the default is https://handinger.com")
{
    env_guard url("HANDINGER_BASE_URL", std::nullopt);
    hd::client_options o;
    o.api_key = "sk-x";
    test_io ioc;
    hd::client c(ioc, o); // no I/O at construction
    CHECK(c.options().base_url == "https://handinger.com");
}

TEST_CASE("options: invalid base URLs and values fail construction with invalid_argument")
{
    env_guard url("HANDINGER_BASE_URL", std::nullopt);
    env_guard allow("HANDINGER_ALLOW_INSECURE_HTTP", std::nullopt);
    for (std::string bad : {"ftp://x", "not a url", "https://", "//host.example", "https://h.example/p?q=1",
                            "https://user@h.example", "https://h.example/#frag", "https://h.example:0",
                            "https://h.example:99999", "mailto:x@y.example"}) {
        CAPTURE(bad);
        hd::client_options o;
        o.api_key = "sk-x";
        o.base_url = bad;
        auto [ec, what] = construct(o);
        CHECK(ec == hd::error::invalid_argument);
        // The message shows the URL, with user info, query and fragment
        // elided (secrets_test checks that they never show).
        if (bad.find_first_of("@?#") == std::string::npos)
            CHECK(what.find(bad) != std::string::npos);
        else
            CHECK(what.find("base URL \"") != std::string::npos);
    }
    // The same from the environment.
    {
        env_guard bad_env("HANDINGER_BASE_URL", std::string("not a url"));
        hd::client_options o;
        o.api_key = "sk-x";
        CHECK(construct(o).first == hd::error::invalid_argument);
    }
    hd::client_options o;
    o.api_key = "sk-x";
    o.base_url = "https://h.example";
    auto with = [&](auto change) {
        auto x = o;
        change(x);
        return construct(x).first;
    };
    CHECK(with([](auto&) {}) == error_code{});
    CHECK(with([](auto& x) { x.max_retries = -1; }) == hd::error::invalid_argument);
    CHECK(with([](auto& x) { x.timeout = 0ms; }) == hd::error::invalid_argument);
    CHECK(with([](auto& x) { x.pool_size = 0; }) == hd::error::invalid_argument);
    CHECK(with([](auto& x) { x.api_key = "sk-bad\r\nX-Evil: 1"; }) == hd::error::invalid_argument);
    CHECK(with([](auto& x) { x.base_url = "http://h.example:8080/prefix/"; }) == hd::error::invalid_argument);
    CHECK(with([](auto& x) {
              x.base_url = "http://h.example:8080/prefix/";
              x.allow_insecure_http = true;
          }) == error_code{});
    CHECK(with([](auto& x) { x.base_url = "https://[::1]:8443"; }) == error_code{});
}

TEST_CASE("env: HANDINGER_CUSTOM_HEADERS is parsed and cannot override the reserved headers")
{
    // The simulator does not show request headers; what can be checked is
    // that the lines are accepted (malformed ones skipped) and that an
    // Authorization line does not replace the key.
    sim_fixture f;
    env_guard headers(
        "HANDINGER_CUSTOM_HEADERS",
        std::string("X-Team: blue\r\nbad line without colon\n: no name\n"
                    "Authorization: Bearer sk-from-env\nHost: evil.example\n  X-Spaced :  v  \n"));
    test_io ioc;
    hd::client c(ioc, f.copts);
    hd::diagnostics d;
    CHECK(probe(c, ioc, d) == hd::error::not_found);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create_task(c, "custom headers");
        auto t = co_await c.async_retrieve(id);
        CHECK(t.task.id == id);
    };
    run(ioc, body(), 10s);
    CHECK(f.requests("other", "401") == 0);
    CHECK(f.stat("tasks_created") == 1);
}
