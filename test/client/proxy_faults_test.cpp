// The fault matrix on the wire: the client talks to the simulator over TLS
// through the fault proxy (test/proxy), which resets, stalls or refuses at
// chosen points of the traffic. Each case ends in success after retries or
// in a typed error within the deadline; creates never make a second task or
// a second turn (the simulator's counters say so).
//
// The simulator runs without TLS session tickets, so that each connection's
// traffic has a fixed shape (proxy flights): the client's flight 0 is its
// ClientHello, flight 1 its Finished and first request, flight k its k-th
// request; the server's flight 1 is the first response.
#include "client/support.hpp"
#include "fault_proxy.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;
namespace fp = handinger::fault_proxy;
using boost::system::error_code;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);

/// Bytes of the client's flight 1 taken by the end of its TLS handshake
/// (ChangeCipherSpec and Finished records) before the request starts, and
/// then enough to be well inside a create's request record.
constexpr std::uint64_t inside_request = 200;

fp::plan plan(const char* text)
{
    auto p = fp::parse_plan(text);
    REQUIRE(p);
    return *p;
}

hd::sim::options proxied_sim()
{
    auto o = fast_sim();
    o.session_tickets = false;
    return o;
}

/// The simulator, the fault proxy in front of it, and client options that
/// go through the proxy with short attempts.
struct proxied {
    explicit proxied(hd::sim::options o = proxied_sim()) : f(std::move(o)), proxy(proxy_options(f))
    {
        proxy.start();
        copts = f.copts;
        copts.base_url = "https://" + proxy.address();
        copts.timeout = 500ms;
        copts.max_retries = 3;
    }
    static fp::options proxy_options(const sim_fixture& f)
    {
        fp::options o;
        o.target_port = f.sim.port();
        return o;
    }
    /// Every second run of an input the simulator saw: it counts a POST on
    /// an existing task as a follow-up turn (and, within 2 s of the last
    /// run, as a duplicate post).
    long long second_runs() const { return f.stat("followup_turns") + f.stat("duplicate_posts"); }

    sim_fixture f;
    fp::proxy proxy;
    hd::client_options copts;
};

struct create_outcome {
    error_code ec;
    hd::diagnostics d;
    hd::create_result r;
    long long ms = 0;
};

/// Creates with `input` on client `c` (its own io_context `ioc`).
create_outcome create_on(test_io& ioc, hd::client& c, std::string input, hd::request_options ro = {},
                         std::optional<std::string> task_id = {})
{
    create_outcome out;
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = std::move(input);
        p.task_id = task_id;
        stopwatch sw;
        auto [ec, r] = co_await c.async_create(std::move(p), ro, out.d, tup);
        out.ms = sw.ms();
        out.ec = ec;
        out.r = std::move(r);
    };
    run(ioc, body(), 30s);
    return out;
}

/// One create on a fresh client (so on a new connection: the proxy's next).
create_outcome create_fresh(proxied& px, std::string input, hd::request_options ro = {})
{
    test_io ioc;
    hd::client c(ioc, px.copts);
    return create_on(ioc, c, std::move(input), ro);
}

/// The create succeeded, exactly one task exists and it has one run.
void check_one_task(const proxied& px, const create_outcome& o)
{
    CHECK_MESSAGE(!o.ec, o.d.to_string(o.ec));
    CHECK(o.r.task_id.size() == 30);
    CHECK(px.f.stat("tasks_created") == 1);
    CHECK(px.f.stat("posts") == 1);
    CHECK(px.second_runs() == 0);
}

} // namespace

// ---- resets ------------------------------------------------------------------

TEST_CASE("proxy faults: reset before the request (in the TLS handshake): resent without a check")
{
    proxied px;
    px.proxy.script({plan("reset,dir=to_server,flight=0,offset=0")});
    auto o = create_fresh(px, "reset in the handshake");
    check_one_task(px, o);
    CHECK_FALSE(o.r.recovered);
    CHECK(o.d.attempts == 2);
    CHECK(px.f.requests("GET /api/tasks/{id}") == 0); // nothing was sent: nothing to check
    CHECK(px.proxy.stats().resets == 1);
}

TEST_CASE("proxy faults: reset during the request: checked (absent), resent, one task")
{
    proxied px;
    px.proxy.script({plan("reset,dir=to_server,flight=1,offset=200")});
    auto o = create_fresh(px, "reset inside the request");
    check_one_task(px, o);
    CHECK_FALSE(o.r.recovered);
    CHECK(o.d.attempts == 2);
    CHECK(px.f.requests("GET /api/tasks/{id}", "404") == 1);
    CHECK(px.f.requests("POST /api/tasks") == 1); // the cut request never reached the service
    CHECK(px.proxy.stats().resets_to_server == 1);
}

TEST_CASE("proxy faults: reset after the request, before the response: recovered, not resent")
{
    proxied px;
    px.proxy.script({plan("reset,dir=to_client,flight=1,offset=0")});
    auto o = create_fresh(px, "reset before the answer");
    check_one_task(px, o);
    CHECK(o.r.recovered);
    CHECK(o.d.attempts == 1);
    CHECK(px.f.requests("POST /api/tasks") == 1);
    CHECK(px.proxy.stats().resets_to_client == 1);
}

TEST_CASE("proxy faults: reset in the middle of the response: recovered, not resent")
{
    proxied px;
    px.proxy.script({plan("reset,dir=to_client,flight=1,offset=300")});
    auto o = create_fresh(px, "reset inside the answer");
    check_one_task(px, o);
    CHECK(o.r.recovered);
    CHECK(px.f.requests("POST /api/tasks") == 1);
    CHECK(px.proxy.stats().resets_to_client == 1);
}

TEST_CASE("proxy faults: reset between responses (a stale keep-alive connection): resent, one task each")
{
    // The pooled connection is reset while idle; the next create takes it
    // at once (the pool checks idle connections only after 200 ms) and
    // meets the reset.
    proxied px;
    test_io ioc;
    hd::client c(ioc, px.copts);
    auto first = create_on(ioc, c, "first on the connection");
    CHECK_FALSE(first.ec);
    px.proxy.reset_connections();
    auto second = create_on(ioc, c, "second, on the reset connection");
    CHECK_MESSAGE(!second.ec, second.d.to_string(second.ec));
    CHECK_FALSE(second.r.recovered);
    CHECK(px.f.stat("tasks_created") == 2);
    CHECK(px.f.stat("posts") == 2);
    CHECK(px.second_runs() == 0);
    CHECK(c.stats().connections_created == 2);
}

TEST_CASE("proxy faults: reset as the next request starts on a kept-alive connection: checked, resent")
{
    // The client's second request reaches the proxy, which resets both
    // sides before passing any of it on: a pooled connection that failed
    // before any answer, with the request written. It may have arrived, so
    // it is checked (after the backoff) before the resend.
    proxied px;
    px.proxy.script({plan("reset,dir=to_server,flight=2,offset=0")});
    test_io ioc;
    hd::client c(ioc, px.copts);
    auto first = create_on(ioc, c, "first on the connection");
    CHECK_FALSE(first.ec);
    auto second = create_on(ioc, c, "second, cut as it starts");
    CHECK_MESSAGE(!second.ec, second.d.to_string(second.ec));
    CHECK_FALSE(second.r.recovered);
    CHECK(second.d.attempts == 1); // the stale-connection resend is the same attempt
    CHECK(px.f.stat("tasks_created") == 2);
    CHECK(px.f.requests("GET /api/tasks/{id}", "404") == 1);
    CHECK(px.second_runs() == 0);
    CHECK(px.proxy.stats().resets == 1);
}

// ---- stalls --------------------------------------------------------------------

TEST_CASE("proxy faults: stalled response headers: timeout, recovered")
{
    proxied px;
    px.proxy.script({plan("stall,dir=to_client,flight=1,offset=0")});
    auto o = create_fresh(px, "answer stalled");
    check_one_task(px, o);
    CHECK(o.r.recovered);
    CHECK(o.ms >= 500); // the attempt's timeout
    CHECK(o.ms < 5000);
    CHECK(px.proxy.stats().stalls_to_client == 1);
}

TEST_CASE("proxy faults: stalled response body (a retrieve over several TLS records): timeout, retried")
{
    // A turn input of 40 KB makes the retrieve's answer span three TLS
    // records; the stall strikes after the first, whose plaintext (the
    // headers and the start of the body) the client has read.
    proxied px;
    test_io ioc;
    hd::client c(ioc, px.copts);
    auto made = create_on(ioc, c, std::string(40'000, 'x'));
    REQUIRE_FALSE(made.ec);
    px.proxy.script({plan("stall,dir=to_client,flight=1,offset=20000")});
    c.close_idle(); // the retrieve takes a new connection: the scripted one
    hd::diagnostics d;
    error_code ec;
    hd::task_with_turns t;
    stopwatch sw;
    auto body = [&]() -> asio::awaitable<void> {
        hd::request_options ro;
        auto [e, r] = co_await c.async_retrieve(made.r.task_id, ro, d, tup);
        ec = e;
        t = std::move(r);
    };
    run(ioc, body(), 30s);
    CHECK_MESSAGE(!ec, d.to_string(ec));
    CHECK(d.attempts == 2);
    CHECK(t.turns.at(0).input.size() == 40'000);
    CHECK(sw.ms() >= 500);
    CHECK(px.proxy.stats().stalls_to_client == 1);
}

TEST_CASE("proxy faults: a request stalled on every attempt: error::timeout within the deadline, no task")
{
    // Connection 0 carries the first POST; each later one carries the two
    // checks of the POST before (flights 1 and 2), then the resend (3).
    proxied px;
    px.proxy.script({plan("stall,dir=to_server,flight=1,offset=200"),
                     plan("stall,dir=to_server,flight=3,offset=100"),
                     plan("stall,dir=to_server,flight=3,offset=100")});
    // (An attempt timeout a loaded machine cannot meet by accident: a check
    // that timed out would open one more connection and shift the plans.)
    hd::request_options ro;
    ro.timeout = 700ms;
    ro.max_retries = 2;
    ro.total_timeout = 12s;
    auto o = create_fresh(px, "never gets through", ro);
    CHECK(o.ec == hd::error::timeout);
    CHECK(o.d.attempts == 3);
    CHECK(o.ms < 12000);
    CHECK(px.f.stat("tasks_created") == 0);
    // Each timed-out POST was checked twice (an attempt timeout apart)
    // before it was resent; the last one was not resent.
    CHECK(px.f.requests("GET /api/tasks/{id}", "404") >= 4);
    for (int i = 0; i < 100 && px.proxy.stats().dropped < 3; ++i) // (the last close reaches the proxy)
        std::this_thread::sleep_for(20ms);
    CHECK(px.proxy.stats().dropped == 3);
}

TEST_CASE("proxy faults: a stall shorter than the timeout only slows the create")
{
    proxied px;
    px.proxy.script({plan("stall,dir=to_server,flight=1,offset=200,for=150")});
    hd::request_options ro;
    ro.timeout = 2s;
    auto o = create_fresh(px, "slow network", ro);
    check_one_task(px, o);
    CHECK_FALSE(o.r.recovered);
    CHECK(o.d.attempts == 1);
    CHECK(o.ms >= 150);
}

// ---- late delivery: the request the client gave up on arrives after all -------

TEST_CASE("proxy faults: a stalled POST delivered when the client closes: recovered, no second run")
{
    // The proxy delivers the held request as the client's close reaches
    // it: the task appears moments after the attempt timed out.
    proxied px;
    px.proxy.script({plan("stall,dir=to_server,flight=1,offset=200,late")});
    auto o = create_fresh(px, "arrives at the close");
    check_one_task(px, o);
    CHECK(o.r.recovered);
    CHECK(px.proxy.stats().late_deliveries == 1);
}

TEST_CASE("proxy faults: a stalled POST delivered after the client gave up, before its check: no second run")
{
    // Timeout 400 ms; the request arrives ~700 ms after it was sent. A
    // check made at the timeout would find nothing and the resend, after
    // the backoff (375..500 ms), would make a second run. The check comes
    // after the backoff, and finds the task.
    proxied px;
    px.proxy.script({plan("stall,dir=to_server,flight=1,offset=200,for=700,late")});
    hd::request_options ro;
    ro.timeout = 400ms;
    auto o = create_fresh(px, "arrives before the check", ro);
    check_one_task(px, o);
    CHECK(o.r.recovered);
    CHECK(px.f.requests("GET /api/tasks/{id}", "404") == 0);
    CHECK(px.proxy.stats().late_deliveries == 1);
}

TEST_CASE(
    "proxy faults: a stalled POST delivered after a first check found nothing: the second check finds it")
{
    // Timeout 600 ms; the request arrives ~1340 ms after it was sent. The
    // first check (after the 375..500 ms backoff, about 975..1100 ms) finds
    // nothing; a resend then would make a second run. The second check,
    // one attempt timeout later (from about 1575 ms), finds the task.
    proxied px;
    px.proxy.script({plan("stall,dir=to_server,flight=1,offset=200,for=1340,late")});
    hd::request_options ro;
    ro.timeout = 600ms;
    auto o = create_fresh(px, "arrives between the checks", ro);
    check_one_task(px, o);
    CHECK(o.r.recovered);
    CHECK(px.f.requests("GET /api/tasks/{id}", "404") >= 1); // the first check's
    CHECK(px.proxy.stats().late_deliveries == 1);
}

TEST_CASE("proxy faults: a follow-up POST delivered late is recovered, one turn")
{
    proxied px;
    test_io ioc;
    hd::client c(ioc, px.copts);
    auto first = create_on(ioc, c, "first run");
    REQUIRE_FALSE(first.ec);
    run(ioc, wait_terminal(c, first.r.task_id), 30s);
    c.close_idle();
    px.f.sim.reset_stats();
    // The follow-up's own connection: flight 1 is the GET that looks at
    // the task before the POST, flight 2 the POST.
    px.proxy.script({plan("stall,dir=to_server,flight=2,offset=100,for=1340,late")});
    hd::request_options ro;
    ro.timeout = 600ms;
    auto o = create_on(ioc, c, "second run", ro, first.r.task_id);
    CHECK_MESSAGE(!o.ec, o.d.to_string(o.ec));
    CHECK(o.r.recovered);
    CHECK(px.f.stat("followup_turns") == 1);
    CHECK(px.f.stat("posts") == 1);
    CHECK(px.proxy.stats().late_deliveries == 1);
}

TEST_CASE(
    "proxy faults: a POST held longer than the checks' window makes a second run (the documented limit)")
{
    // What no client can see: the request arrives 3 s after it was sent,
    // when two checks an attempt timeout apart have found nothing (about
    // 1 and 1.5 s) and the resend has made the task. Its late copy is a
    // second run. (The window: a copy arriving within about 2 x timeout +
    // backoff after it was sent is caught; see client::async_create.)
    proxied px;
    px.proxy.script({plan("stall,dir=to_server,flight=1,offset=200,for=3000,late")});
    hd::request_options ro;
    ro.timeout = 500ms;
    auto o = create_fresh(px, "arrives too late", ro);
    CHECK_MESSAGE(!o.ec, o.d.to_string(o.ec));
    CHECK_FALSE(o.r.recovered);
    CHECK(px.f.requests("GET /api/tasks/{id}", "404") >= 2);
    // Wait for the late copy (bounded).
    for (int i = 0; i < 200 && px.f.stat("followup_turns") == 0; ++i)
        std::this_thread::sleep_for(25ms);
    CHECK(px.proxy.stats().late_deliveries == 1);
    CHECK(px.f.stat("followup_turns") == 1);
    CHECK(px.f.stat("tasks_created") == 1);
}

// ---- refused connections ---------------------------------------------------------

TEST_CASE("proxy faults: refused connections, then one accepted: success, nothing checked")
{
    proxied px;
    px.proxy.script({fp::plan{fp::action::refuse}, fp::plan{fp::action::refuse}});
    auto o = create_fresh(px, "after two refusals");
    check_one_task(px, o);
    CHECK(o.d.attempts == 3);
    CHECK(px.f.requests("GET /api/tasks/{id}") == 0);
    CHECK(px.proxy.stats().refused == 2);
}

TEST_CASE("proxy faults: every connection refused: a typed error within the deadline, no task")
{
    proxied px;
    std::vector<fp::plan> refusals(10, fp::plan{fp::action::refuse});
    px.proxy.script(refusals);
    hd::request_options ro;
    ro.max_retries = 2;
    auto o = create_fresh(px, "never connects", ro);
    CHECK((o.ec == hd::error::connection || o.ec == hd::error::tls));
    CHECK(o.d.attempts == 3);
    CHECK(o.ms < 3000); // two backoffs of at most 0.5 and 1 s
    CHECK(px.f.stat("connections_accepted") == 0);
    CHECK(px.proxy.stats().refused == 3);
}

// ---- many, seeded ------------------------------------------------------------------

TEST_CASE("proxy faults: 40 creates under seeded random faults: no input lost, no second run")
{
    // Creates one after another, so connection i meets plan i of the seed
    // on every run. Stalls end within the checks' window (timeout 400 ms).
    proxied px;
    fp::random_options r;
    r.refuse = 0.05;
    r.fault = 1;
    r.max_offset_to_server = 2500;
    r.max_offset_to_client = 4000;
    r.min_stall = 50ms;
    r.max_stall = 700ms;
    r.stall_until_closed = 0.3;
    r.deliver_late = 0.5;
    px.proxy.set_random(r);
    test_io ioc;
    hd::client c(ioc, px.copts);
    hd::request_options ro;
    ro.timeout = 400ms;
    ro.max_retries = 6;
    std::vector<std::string> ids;
    int failed = 0;
    auto body = [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 40; ++i) {
            hd::create_task_params p;
            p.input = "seeded " + std::to_string(i);
            hd::diagnostics d;
            auto [ec, res] = co_await c.async_create(std::move(p), ro, d, tup);
            ids.push_back(res.task_id);
            if (ec) {
                ++failed;
                MESSAGE("create " << i << ": " << d.to_string(ec));
            }
        }
    };
    run(ioc, body(), 120s);
    std::this_thread::sleep_for(900ms); // held bytes of timed stalls land
    auto s = px.proxy.stats();
    MESSAGE("faults " << s.faults() << ": refused " << s.refused << ", resets " << s.resets << ", stalls "
                      << s.stalls << " (late " << s.late_deliveries << ", dropped " << s.dropped << ")");
    CHECK(s.faults() >= 15);
    CHECK(failed == 0);
    CHECK(px.second_runs() == 0);
    CHECK(px.f.stat("tasks_created") == 40);
    // Every input has its task.
    hd::client direct(ioc, px.f.copts);
    int missing = 0;
    auto verify = [&]() -> asio::awaitable<void> {
        for (const auto& id : ids) {
            hd::diagnostics d;
            hd::request_options plain;
            auto [ec, t] = co_await direct.async_retrieve(id, plain, d, tup);
            missing += ec == hd::error::not_found;
        }
    };
    run(ioc, verify(), 30s);
    CHECK(missing == 0);
}
