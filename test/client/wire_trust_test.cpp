// The request path against a server that misbehaves on the wire, produced by
// the simulator itself (faults early-hints and extra-response): interim 1xx
// responses before the answer, and an unsolicited second response behind it,
// which must never answer the next request on the connection.
#include "client/support.hpp"

#include <handinger/client.hpp>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;

TEST_CASE("client: interim 1xx responses before the answer are skipped")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "#fault:early-hints #get-fault:early-hints:2 hints first";
        auto cr = co_await c.async_create(p);
        CHECK(!cr.task_id.empty());
        for (int i = 0; i < 2; ++i) {
            auto t = co_await c.async_retrieve(cr.task_id);
            CHECK(t.task.id == cr.task_id);
        }
    };
    run(ioc, body());
    CHECK(f.faults("early-hints") == 3);
    CHECK(f.requests("POST /api/tasks", "200") == 1); // one attempt: no retry was needed
    CHECK(c.stats().attempts == 3);
}

TEST_CASE("client: an unsolicited response behind an answer never answers the next request")
{
    // Over TLS (the simulator's default) and plain HTTP.
    for (bool tls : {true, false}) {
        CAPTURE(tls);
        auto o = fast_sim();
        o.plain_http = !tls;
        sim_fixture f(o);
        test_io ioc;
        hd::client c(ioc, f.copts);
        auto body = [&]() -> asio::awaitable<void> {
            hd::create_task_params p;
            p.input = "#get-fault:extra-response:1 one answer per request";
            auto cr = co_await c.async_create(p);
            auto first = co_await c.async_retrieve(cr.task_id);
            CHECK(first.task.id == cr.task_id);
            // Once the stray response is out (on loopback: in the client's
            // socket, or its TLS layer), the next request on that connection
            // must not read it as its answer.
            for (int i = 0; i < 400 && f.stat("unsolicited_sent") < 1; ++i)
                co_await sleep_for(5ms);
            REQUIRE(f.stat("unsolicited_sent") == 1);
            for (int i = 0; i < 3; ++i) {
                auto again = co_await c.async_retrieve(cr.task_id);
                CHECK(again.task.id == cr.task_id);
                CHECK(!again.raw.contains("unsolicited"));
            }
        };
        run(ioc, body());
        // The connection that carried the stray response was dropped.
        CHECK(c.stats().connections_created == 2);
    }
}
