// HTTPS proxies: the client through a real tinyproxy (test/client/
// tinyproxy.hpp) to the simulator over TLS on loopback. The environment
// (https_proxy, HTTPS_PROXY, no_proxy, NO_PROXY) and the options, Basic
// auth, refusals, a proxy that is not there, verification inside the
// tunnel, keep-alive through it.
#include "client/support.hpp"
#include "client/tinyproxy.hpp"
#include "loopback_port.hpp"

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

bool contains(const std::string& s, const std::string& part)
{
    return s.find(part) != std::string::npos;
}

// The proxy's password: the canary in the canary run (it must never show).
std::string proxy_password()
{
    return canary().empty() ? std::string("pw-PROXY-SECRET-77") : canary();
}

// No proxy variable from the machine or an earlier test: each test sets
// what it needs, and the previous values come back at scope exit.
struct clean_proxy_env {
    env_guard a{"https_proxy", std::nullopt}, b{"HTTPS_PROXY", std::nullopt}, c{"no_proxy", std::nullopt},
        d{"NO_PROXY", std::nullopt}, e{"http_proxy", std::nullopt}, f{"HTTP_PROXY", std::nullopt},
        g{"ALL_PROXY", std::nullopt}, h{"all_proxy", std::nullopt};
};

struct call_result {
    error_code ec;
    hd::diagnostics d;
    hd::client_stats stats;
    std::string proxy_in_effect;
};

// `n` retrieves of an unknown id (a 404 is a complete exchange) with `o`.
call_result probe(const hd::client_options& o, int n = 1)
{
    test_io ioc;
    hd::client c(ioc, o);
    call_result r;
    r.proxy_in_effect = *c.options().proxy;
    auto body = [&]() -> asio::awaitable<void> {
        for (int i = 0; i < n; ++i) {
            auto [ec, t] = co_await c.async_retrieve("tsk_proxy", r.d, tup);
            r.ec = ec;
        }
    };
    run(ioc, body(), 20s);
    r.stats = c.stats();
    if (r.ec != hd::error::not_found)
        canary_echo("captured log", r.d.to_string(r.ec));
    return r;
}

unsigned short sim_port(const sim_fixture& f)
{
    return static_cast<unsigned short>(std::stoi(f.sim.url().substr(f.sim.url().rfind(':') + 1)));
}

tinyproxy open_proxy(const sim_fixture& f)
{
    return tinyproxy({{sim_port(f)}, {}, {}});
}

// The fixture's options with `proxy`.
hd::client_options via(const sim_fixture& f, std::string proxy)
{
    auto o = f.copts;
    o.proxy = std::move(proxy);
    return o;
}

} // namespace

TEST_CASE("proxy: HTTPS_PROXY from the environment carries the calls through a CONNECT tunnel")
{
    clean_proxy_env env;
    sim_fixture f;
    auto p = open_proxy(f);
    env_guard set("HTTPS_PROXY", p.url());
    auto r = probe(f.copts);
    CHECK(r.ec == hd::error::not_found); // the simulator answered, through the tunnel
    CHECK(r.proxy_in_effect == p.url());
    CHECK(p.connects(1) == 1);
    CHECK(contains(p.log(), "CONNECT 127.0.0.1:" + std::to_string(sim_port(f))));
}

TEST_CASE("proxy: https_proxy (lowercase) wins over HTTPS_PROXY, as curl")
{
    clean_proxy_env env;
    sim_fixture f;
    auto p = open_proxy(f);
    unused_port dead;
    env_guard lower("https_proxy", p.url());
    env_guard upper("HTTPS_PROXY", "http://127.0.0.1:" + std::to_string(dead.port()));
    auto r = probe(f.copts);
    CHECK(r.ec == hd::error::not_found);
    CHECK(p.connects(1) == 1);
    // An empty lowercase variable counts as unset: the uppercase one is used.
    env_guard empty("https_proxy", std::string());
    auto r2 = probe(f.copts);
    CHECK(r2.ec == hd::error::connection);
    CHECK(contains(r2.d.client_message, "connect to proxy 127.0.0.1:" + std::to_string(dead.port())));
}

TEST_CASE("proxy: NO_PROXY sends matching hosts directly (exact host, suffix, *, an IP, a CIDR block)")
{
    clean_proxy_env env;
    sim_fixture f; // its host is 127.0.0.1
    auto p = open_proxy(f);
    env_guard set("HTTPS_PROXY", p.url());
    for (const std::string& list :
         std::vector<std::string>{"127.0.0.1", "example.com,127.0.0.1", "*", "127.0.0.0/8",
                                  " 10.0.0.0/8 , 127.0.0.1/32", "127.0.0.1:" + std::to_string(sim_port(f))}) {
        CAPTURE(list);
        env_guard np("NO_PROXY", list);
        auto r = probe(f.copts);
        CHECK(r.ec == hd::error::not_found);
        CHECK(r.proxy_in_effect.empty());
    }
    CHECK(p.connects() == 0);
    // Entries that do not match: through the proxy.
    int through = 0;
    for (std::string list : {"127.0.0.2", "10.0.0.0/8", "localhost", "127.0.0.1:1", "example.com"}) {
        CAPTURE(list);
        env_guard np("NO_PROXY", list);
        auto r = probe(f.copts);
        CHECK(r.ec == hd::error::not_found);
        CHECK(r.proxy_in_effect == p.url());
        CHECK(p.connects(++through) == through);
    }
    // Names match as suffixes, without case: a "localhost" base URL.
    auto o = f.copts;
    o.base_url = "https://LocalHost:" + std::to_string(sim_port(f));
    for (std::string list : {"localhost", ".localhost", "LOCALHOST"}) {
        CAPTURE(list);
        env_guard np("no_proxy", list);
        auto r = probe(o);
        CHECK(r.ec == hd::error::not_found);
        CHECK(r.proxy_in_effect.empty());
    }
    CHECK(p.connects() == through);
}

TEST_CASE("proxy: client_options::proxy and no_proxy win over the environment, and \"\" turns the proxy off")
{
    clean_proxy_env env;
    sim_fixture f;
    auto p = open_proxy(f);
    unused_port dead;
    const auto dead_url = "http://127.0.0.1:" + std::to_string(dead.port());
    env_guard set("HTTPS_PROXY", dead_url);
    env_guard np("NO_PROXY", std::string("*"));

    auto o = via(f, p.url());
    o.no_proxy = ""; // the environment's "*" does not apply
    auto r = probe(o);
    CHECK(r.ec == hd::error::not_found);
    CHECK(p.connects(1) == 1);

    // No proxy at all, whatever the environment says.
    env_guard np_off("NO_PROXY", std::nullopt);
    auto off = via(f, "");
    auto r2 = probe(off);
    CHECK(r2.ec == hd::error::not_found);
    CHECK(r2.proxy_in_effect.empty());
    CHECK(p.connects() == 1);

    // The option's no_proxy bypasses the option's proxy.
    auto by = via(f, dead_url);
    by.no_proxy = "127.0.0.1";
    CHECK(probe(by).ec == hd::error::not_found);

    // An http:// base URL ignores the environment's HTTPS_PROXY (it is for
    // https:// URLs); the option applies to it too.
    handinger::sim::options so = fast_sim();
    so.plain_http = true;
    sim_fixture plain(so);
    auto po = plain.copts;
    CHECK(probe(po).ec == hd::error::not_found);
    auto pp = tinyproxy({{sim_port(plain)}, {}, {}});
    po.proxy = pp.url();
    CHECK(probe(po).ec == hd::error::not_found);
    CHECK(pp.connects(1) == 1);
}

TEST_CASE("proxy: Basic auth from the URL's user info, a wrong password is refused naming the proxy")
{
    clean_proxy_env env;
    sim_fixture f;
    auto p = tinyproxy({{sim_port(f)}, "proxyuser", proxy_password()});
    auto o = f.copts;
    o.max_retries = 2;

    o.proxy = p.url("proxyuser:" + proxy_password());
    auto ok = probe(o, 3);
    CHECK(ok.ec == hd::error::not_found);
    CHECK(ok.proxy_in_effect == "http://***@" + p.address());
    CHECK(p.connects(1) == 1);

    o.proxy = p.url("proxyuser:wrong-" + proxy_password());
    auto bad = probe(o);
    CHECK(bad.ec == hd::error::proxy);
    CHECK(bad.d.attempts == 1);
    CHECK(bad.d.status == 0); // the service never answered
    INFO(bad.d.client_message);
    // (tinyproxy answers wrong credentials with 401, missing ones with 407.)
    CHECK(contains(bad.d.client_message, "proxy " + p.address() + " refused CONNECT to 127.0.0.1:" +
                                             std::to_string(sim_port(f)) + ": 401 Unauthorized"));
    CHECK(contains(bad.d.client_message, "did not accept the user:password"));
    const auto text = bad.d.to_string(bad.ec);
    CHECK_FALSE(contains(text, proxy_password()));
    CHECK_FALSE(contains(text, "proxyuser"));

    o.proxy = p.url(); // no credentials at all
    auto none = probe(o);
    CHECK(none.ec == hd::error::proxy);
    CHECK(contains(none.d.client_message, ": 407 Proxy Authentication Required"));
    CHECK(contains(none.d.client_message, "has no user:password"));
    CHECK(f.api_requests() == 3);
}

TEST_CASE("proxy: a refusing proxy (403) fails at once, one that cannot reach the service (5xx) is retried")
{
    clean_proxy_env env;
    sim_fixture f;
    auto p = tinyproxy({{1}, {}, {}}); // CONNECT only to port 1
    auto o = via(f, p.url());
    o.max_retries = 2;
    auto r = probe(o);
    CHECK(r.ec == hd::error::proxy);
    CHECK(r.d.attempts == 1);
    CHECK(contains(r.d.client_message, "proxy " + p.address() + " refused CONNECT to 127.0.0.1:" +
                                           std::to_string(sim_port(f)) + ": 403"));
    CHECK(contains(r.d.to_string(r.ec), "proxy refused the tunnel"));
    CHECK(f.api_requests() == 0);

    // The service is not there: the proxy says so with a 5xx (tinyproxy:
    // 500 Unable to connect), a connection error, retried.
    unused_port gone;
    auto any = tinyproxy({{}, {}, {}});
    auto o2 = f.copts;
    o2.base_url = "https://127.0.0.1:" + std::to_string(gone.port());
    o2.proxy = any.url();
    o2.max_retries = 1;
    auto r2 = probe(o2);
    CHECK(r2.ec == hd::error::connection);
    CHECK(r2.d.attempts == 2);
    CHECK(contains(r2.d.client_message, "proxy " + any.address() + " failed CONNECT to 127.0.0.1:" +
                                            std::to_string(gone.port()) + ": 5"));
}

TEST_CASE("proxy: a proxy that is not listening is a connection error naming the proxy")
{
    clean_proxy_env env;
    sim_fixture f;
    unused_port dead;
    auto o = f.copts;
    o.proxy = "http://user:" + proxy_password() + "@127.0.0.1:" + std::to_string(dead.port());
    o.max_retries = 1;
    auto r = probe(o);
    CHECK(r.ec == hd::error::connection);
    CHECK(r.d.attempts == 2);
    CHECK(contains(r.d.client_message, "connect to proxy 127.0.0.1:" + std::to_string(dead.port()) + ": "));
    CHECK_FALSE(contains(r.d.to_string(r.ec), proxy_password()));
    CHECK(f.api_requests() == 0);
}

TEST_CASE("proxy: connect_timeout covers the CONNECT: a proxy that never answers times out, naming it")
{
    clean_proxy_env env;
    sim_fixture f;
    // A listener that never accepts nor answers: the kernel completes the
    // TCP connect and takes the CONNECT request, and nothing comes back. (A
    // fake: tinyproxy always answers.)
    unsigned short silent_port = 0;
    int lst = test_support::listen_on_loopback(8, silent_port);
    REQUIRE(lst >= 0);
    const auto silent = "127.0.0.1:" + std::to_string(silent_port);
    auto o = f.copts;
    o.proxy = "http://" + silent;
    o.connect_timeout = 300ms;
    o.max_retries = 0;
    auto r = probe(o);
    ::close(lst);
    CHECK(r.ec == hd::error::timeout);
    CHECK(contains(r.d.client_message, "CONNECT through proxy " + silent +
                                           " to 127.0.0.1:" + std::to_string(sim_port(f)) +
                                           ": timed out (connect_timeout 300 ms)"));
    CHECK(f.api_requests() == 0);
}

TEST_CASE("proxy: the service's certificate is still verified inside the tunnel")
{
    clean_proxy_env env;
    sim_fixture f;
    auto p = open_proxy(f);
    auto o = via(f, p.url());
    o.tls.ca_pem.clear(); // the simulator's CA is not trusted now
    auto r = probe(o);
    CHECK(r.ec == hd::error::tls_verification);
    CHECK(contains(r.d.client_message, "certificate verification failed"));
    CHECK(p.connects(1) == 1); // the tunnel was open: the failure is the service's certificate
    CHECK(f.api_requests() == 0);
}

TEST_CASE("proxy: the tunnel is kept alive and reused like a direct connection")
{
    clean_proxy_env env;
    sim_fixture f;
    auto p = open_proxy(f);
    auto o = via(f, p.url());
    auto r = probe(o, 6);
    CHECK(r.ec == hd::error::not_found);
    CHECK(r.stats.connections_created == 1);
    CHECK(f.stat("connections_accepted") == 1);
    CHECK(p.connects(1) == 1);
    CHECK(f.requests("GET /api/tasks/{id}", "404") == 6);
}

TEST_CASE("proxy: a proxy URL of bad syntax, or not http://, fails construction before any I/O")
{
    clean_proxy_env env;
    hd::client_options o;
    o.api_key = "sk-x";
    o.base_url = "https://h.example";
    // (PW stands for the password: the canary in the canary run, where
    // CAPTURE's text is printed with every passing assertion.)
    for (std::string shape : {"https://127.0.0.1:8888", "socks5://127.0.0.1:1080", "http://127.0.0.1:0",
                              "http://127.0.0.1:8888/path", "http://", "not a url",
                              "https://user:PW@p.example", "socks5h://user:PW@p.example:1080",
                              "http://user:PW@p.example:1/x", "http://user:P/W@p.example:1"}) {
        CAPTURE(shape);
        auto bad = shape;
        if (auto at = bad.find("PW"); at != std::string::npos)
            bad.replace(at, 2, proxy_password());
        for (bool from_env : {false, true}) {
            auto x = o;
            std::optional<env_guard> g;
            if (from_env)
                g.emplace("HTTPS_PROXY", bad);
            else
                x.proxy = bad;
            test_io ioc;
            try {
                hd::client c(ioc, x);
                FAIL("constructed with a proxy URL of shape ", shape);
            } catch (const hd::api_error& e) {
                canary_echo("construction error", e.what());
                CHECK(e.code() == hd::error::invalid_argument);
                CHECK(contains(e.what(), "proxy URL"));
                CHECK(contains(e.what(), from_env ? "$HTTPS_PROXY" : "client_options::proxy"));
                CHECK_FALSE(contains(e.what(), proxy_password()));
            }
        }
    }
}
