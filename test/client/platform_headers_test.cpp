// The headers a client sends of its own (User-Agent, Accept, X-Stainless-*),
// as the simulator reads them over TLS (options::record_headers), and a
// caller's header of the same name, from the client's options or from one
// call's, sent instead of the built-in one. The writer's rule for every
// name and case is in test/transport/builtin_headers_test.cpp.
#include "client/support.hpp"
#include "util/text.hpp"

#include <handinger/client.hpp>
#include <handinger/version.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace asio = boost::asio;
namespace hd = handinger;
using namespace std::chrono_literals;
using test_support::run;
using test_support::sim_fixture;
using test_support::test_io;

namespace {

using header_fields = std::vector<std::pair<std::string, std::string>>;

std::vector<std::string> values_of(const header_fields& h, const std::string& name)
{
    std::vector<std::string> v;
    for (const auto& [n, value] : h)
        if (hd::detail::iequals(n, name))
            v.push_back(value);
    return v;
}

std::vector<std::string> one(std::string v)
{
    return {std::move(v)};
}

hd::sim::options recording()
{
    auto o = test_support::fast_sim();
    o.record_headers = true;
    return o;
}

} // namespace

TEST_CASE("platform headers: a create carries the SDKs' platform headers once each, and its timeout")
{
    sim_fixture fx(recording());
    fx.copts.timeout = 7s;
    test_io ioc;
    hd::client c(ioc, fx.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "headers";
        co_await c.async_create(p);
    };
    run(ioc, body());
    const auto h = fx.sim.last_request_headers();
    INFO(h.size());
    CHECK(values_of(h, "User-Agent") == one(std::string("handinger-cpp/") + HANDINGER_VERSION_STRING));
    CHECK(values_of(h, "Accept") == one("application/json"));
    CHECK(values_of(h, "X-Stainless-Lang") == one("cpp"));
    CHECK(values_of(h, "X-Stainless-Package-Version") == one(HANDINGER_VERSION_STRING));
#if defined(__linux__) && !defined(__ANDROID__)
    CHECK(values_of(h, "X-Stainless-OS") == one("Linux"));
#endif
#if defined(__x86_64__)
    CHECK(values_of(h, "X-Stainless-Arch") == one("x64"));
#elif defined(__aarch64__)
    CHECK(values_of(h, "X-Stainless-Arch") == one("arm64"));
#endif
    CHECK(values_of(h, "X-Stainless-Runtime").size() == 1);
    CHECK(values_of(h, "X-Stainless-Runtime-Version").size() == 1);
    CHECK(values_of(h, "X-Stainless-Retry-Count") == one("0"));
    CHECK(values_of(h, "X-Stainless-Timeout") == one("7"));
    CHECK(values_of(h, "Authorization") == one("(redacted)"));
    CHECK(values_of(h, "Host").size() == 1);
}

TEST_CASE("platform headers: a caller's header of a built-in name replaces it, in any case, never sent twice")
{
    sim_fixture fx(recording());
    fx.copts.headers = {{"user-agent", "my-app/2"}, {"X-STAINLESS-LANG", "c++"}, {"X-Other", "o"}};
    test_io ioc;
    hd::client c(ioc, fx.copts);

    // The client's headers, on a call without headers of its own.
    auto body = [&](hd::request_options ro) -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "replaced";
        co_await c.async_create(p, ro);
    };
    run(ioc, body({}));
    auto h = fx.sim.last_request_headers();
    CHECK(values_of(h, "User-Agent") == one("my-app/2"));
    CHECK(values_of(h, "X-Stainless-Lang") == one("c++"));
    CHECK(values_of(h, "X-Other") == one("o"));
    CHECK(values_of(h, "X-Stainless-Package-Version") == one(HANDINGER_VERSION_STRING));
    CHECK(values_of(h, "Accept") == one("application/json"));

    // One call's headers win over the client's and over the built-in ones.
    hd::request_options ro;
    ro.timeout = 3s;
    ro.headers = {
        {"User-Agent", "this-call/1"}, {"accept", "application/x-mine"}, {"x-stainless-timeout", "99"}};
    run(ioc, body(ro));
    h = fx.sim.last_request_headers();
    CHECK(values_of(h, "User-Agent") == one("this-call/1"));
    CHECK(values_of(h, "Accept") == one("application/x-mine"));
    CHECK(values_of(h, "X-Stainless-Timeout") == one("99"));
    CHECK(values_of(h, "X-Stainless-Lang") == one("c++"));
    CHECK(values_of(h, "X-Stainless-Retry-Count") == one("0"));
    CHECK(values_of(h, "Authorization") == one("(redacted)"));

    // Without them again: the call's timeout, the client's agent.
    hd::request_options short_timeout;
    short_timeout.timeout = 2500ms;
    run(ioc, body(short_timeout));
    h = fx.sim.last_request_headers();
    CHECK(values_of(h, "X-Stainless-Timeout") == one("3"));
    CHECK(values_of(h, "User-Agent") == one("my-app/2"));
}
