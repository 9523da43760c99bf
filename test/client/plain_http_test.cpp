// Plain http:// base URLs: the key goes in clear text, so only to loopback
// unless the caller opts in (client_options::allow_insecure_http,
// HANDINGER_ALLOW_INSECURE_HTTP). Traffic stays on this machine: the hosts
// refused are never looked up (the refusal comes first), and the one tried
// with the opt-in is 0.0.0.0, which the client does not count as loopback
// but which Linux connects to the local host (port 1: refused).
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

struct construction {
    error_code ec; ///< success when the client was built
    std::string what;
};

construction construct(const hd::client_options& o)
{
    test_io ioc;
    try {
        hd::client c(ioc, o);
    } catch (const hd::api_error& e) {
        return {e.code(), e.what()};
    }
    return {};
}

hd::client_options with_url(std::string url)
{
    hd::client_options o;
    o.api_key = "sk-plain-http-test";
    o.base_url = std::move(url);
    return o;
}

} // namespace

TEST_CASE("plain http: a host that is not loopback is refused at construction, naming the option")
{
    env_guard allow("HANDINGER_ALLOW_INSECURE_HTTP", std::nullopt);
    env_guard url("HANDINGER_BASE_URL", std::nullopt);
    for (std::string bad :
         {"http://example.invalid", "http://example.invalid:8080/prefix", "http://10.0.0.1:80",
          "http://[2001:db8::1]:8080", "http://localhost.example.invalid", "http://0.0.0.0:1",
          "http://[::]:1", "http://[::ffff:10.0.0.1]:1"}) {
        CAPTURE(bad);
        auto r = construct(with_url(bad));
        CHECK(r.ec == hd::error::invalid_argument);
        CHECK(r.what.find("allow_insecure_http") != std::string::npos);
        CHECK(r.what.find("HANDINGER_ALLOW_INSECURE_HTTP") != std::string::npos);
        CHECK(r.what.find("clear text") != std::string::npos);
        CHECK(r.what.find(bad) != std::string::npos); // which URL (no user info in these)
    }
    // A name that starts like a loopback address is no loopback address
    // (Boost.URL 1.81 would read host 127.0.0.1 and path ".example.invalid").
    for (std::string bad : {"http://127.0.0.1.example.invalid", "https://127.0.0.1.example.invalid:8443/x"}) {
        CAPTURE(bad);
        auto r = construct(with_url(bad));
        CHECK(r.ec == hd::error::invalid_argument);
        CHECK(r.what.find("invalid host") != std::string::npos);
    }
    // From the environment, and with the variable set to something that is not "on".
    {
        env_guard bad_env("HANDINGER_BASE_URL", std::string("http://example.invalid"));
        CHECK(construct(with_url("")).ec == hd::error::invalid_argument);
        for (std::string off : {"0", "false", "no", ""}) {
            CAPTURE(off);
            env_guard allow_off("HANDINGER_ALLOW_INSECURE_HTTP", off);
            CHECK(construct(with_url("")).ec == hd::error::invalid_argument);
        }
    }
    // https to the same hosts is fine (construction does no I/O).
    CHECK(construct(with_url("https://example.invalid")).ec == error_code{});
    CHECK(construct(with_url("https://10.0.0.1")).ec == error_code{});
}

TEST_CASE("plain http: loopback hosts need no option")
{
    env_guard allow("HANDINGER_ALLOW_INSECURE_HTTP", std::nullopt);
    for (std::string ok : {"http://127.0.0.1:1", "http://127.8.9.10:1/prefix", "http://[::1]:1",
                           "http://localhost:1", "http://LocalHost.:1", "http://[::ffff:127.0.0.1]:1"}) {
        CAPTURE(ok);
        auto r = construct(with_url(ok));
        CHECK(r.ec == error_code{});
        CHECK(r.what.empty());
    }
}

TEST_CASE("plain http: calls to localhost work without the option")
{
    env_guard allow("HANDINGER_ALLOW_INSECURE_HTTP", std::nullopt);
    auto so = fast_sim();
    so.plain_http = true;
    sim_fixture f(so);
    REQUIRE(f.copts.base_url.rfind("http://127.0.0.1:", 0) == 0);
    auto o = f.copts;
    o.base_url = "http://localhost:" + std::to_string(f.sim.port());
    REQUIRE_FALSE(o.allow_insecure_http);
    test_io ioc;
    hd::client c(ioc, o);
    CHECK_FALSE(c.options().allow_insecure_http);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create_task(c, "over plain http to localhost");
        auto t = co_await c.async_retrieve(id, asio::use_awaitable);
        CHECK(t.task.id == id);
    };
    run(ioc, body(), 10s);
    CHECK(f.requests("POST /api/tasks", "200") == 1);
}

TEST_CASE("plain http: with allow_insecure_http, or its variable, a host that is not loopback is tried")
{
    env_guard url("HANDINGER_BASE_URL", std::nullopt);
    auto attempt = [](hd::client_options o) {
        o.max_retries = 0;
        o.timeout = 5s;
        o.connect_timeout = 5s;
        test_io ioc;
        hd::client c(ioc, o); // does not throw
        CHECK(c.options().allow_insecure_http);
        hd::diagnostics d;
        error_code got;
        auto body = [&]() -> asio::awaitable<void> {
            auto [ec, t] = co_await c.async_retrieve("tsk_x", d, tup);
            got = ec;
        };
        run(ioc, body(), 20s);
        INFO(d.to_string(got));
        // Port 1 refuses: a connection error (or the connect limit),
        // after one attempt, never the construction-time refusal.
        CHECK(got != hd::error::invalid_argument);
        CHECK((got == hd::error::connection || got == hd::error::timeout));
        CHECK(c.stats().attempts == 1);
    };
    SUBCASE("the option")
    {
        env_guard allow("HANDINGER_ALLOW_INSECURE_HTTP", std::nullopt);
        auto o = with_url("http://0.0.0.0:1");
        o.allow_insecure_http = true;
        attempt(o);
    }
    SUBCASE("the environment variable")
    {
        for (std::string on : {"1", "true", "TRUE", "yes"}) {
            CAPTURE(on);
            env_guard allow("HANDINGER_ALLOW_INSECURE_HTTP", on);
            CHECK(construct(with_url("http://example.invalid")).ec == error_code{});
        }
        env_guard allow("HANDINGER_ALLOW_INSECURE_HTTP", std::string("1"));
        attempt(with_url("http://0.0.0.0:1"));
    }
}
