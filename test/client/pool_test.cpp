// The connection pool: keep-alive reuse, stale connections, response styles,
// limits under load, idle expiry.
#include "client/support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;
using boost::system::error_code;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);

// create, wait, retrieve, list_turns, archive: 4 + polls calls.
asio::awaitable<int> round_of_calls(hd::client& c)
{
    int calls = 0;
    hd::create_task_params p;
    p.input = "style #pending-ms:0 #turn-ms:1";
    auto cr = co_await c.async_create(p);
    ++calls;
    CHECK(cr.task_id.size() == 30);
    co_await sleep_for(20ms);
    auto t = co_await c.async_retrieve(cr.task_id);
    ++calls;
    CHECK(t.task.status == hd::task_status::completed);
    CHECK(t.turns.size() == 2);
    auto l = co_await c.async_list_turns(cr.task_id);
    ++calls;
    CHECK(l.items == t.turns);
    auto a = co_await c.async_archive(cr.task_id);
    ++calls;
    CHECK(a.archived);
    co_return calls;
}

} // namespace

TEST_CASE("pool: a stale keep-alive connection is replaced silently")
{
    auto o = fast_sim();
    o.idle_close = 100ms;
    sim_fixture f(o);
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create_task(c, "stale");
        co_await sleep_for(250ms); // the server drops the idle connection meanwhile
        hd::diagnostics d;
        auto [ec, t] = co_await c.async_retrieve(id, d, tup);
        CHECK_FALSE(ec);
        CHECK(t.task.id == id);
    };
    run(ioc, body(), 10s);
    CHECK(f.stat("connections_accepted") == 2);
    CHECK(f.requests("GET /api/tasks/{id}", "200") == 1);
    CHECK(c.stats().connections_created == 2);
    CHECK(c.stats().attempts == 2);
}

TEST_CASE("pool: a connection the server closed moments ago is resent on a new one, same attempt")
{
    // The server drops idle connections after 50 ms; the client comes back
    // after 120 ms, soon enough that the pool may hand out the dead
    // connection without a liveness check. Either way the call succeeds in
    // one attempt on a new connection; a POST is checked before it is resent.
    for (std::size_t pool_size : {std::size_t(1), std::size_t(64)}) {
        CAPTURE(pool_size);
        auto o = fast_sim();
        o.idle_close = 50ms;
        sim_fixture f(o);
        f.copts.pool_size = pool_size;
        test_io ioc;
        hd::client c(ioc, f.copts);
        auto body = [&]() -> asio::awaitable<void> {
            auto id = co_await create_task(c, "stale soon");
            co_await sleep_for(120ms);
            hd::diagnostics d;
            auto [ec, t] = co_await c.async_retrieve(id, d, tup);
            CHECK_FALSE(ec);
            CHECK(d.attempts == 1);
            CHECK(t.task.id == id);
            co_await sleep_for(120ms);
            hd::create_task_params p;
            p.input = "post on a stale connection";
            auto [ec2, cr] = co_await c.async_create(p, d, tup);
            CHECK_FALSE(ec2);
            CHECK(d.attempts == 1);
            CHECK_FALSE(cr.recovered);
        };
        run(ioc, body(), 10s);
        CHECK(f.stat("connections_accepted") >= 3);
        CHECK(f.stat("tasks_created") == 2);
        CHECK(f.stat("duplicate_posts") == 0);
        CHECK(f.requests("POST /api/tasks") == 2);
        CHECK(f.requests("GET /api/tasks/{id}", "200") == 1);
        CHECK(c.stats().open_connections <= pool_size);
    }
}

namespace {

// A minimal plain-HTTP server for what the simulator cannot do on purpose:
// keep a connection open, read the next request on it, then close it without
// an answer (the race of a server closing an idle connection just as the
// client reuses it). The first request gets a 200 with `body`, requests on
// later connections a 404 (an error, so that the diagnostics are filled).
struct closing_server {
    int listener = -1;
    unsigned short port = 0;
    std::thread thread;
    std::atomic<int> accepted{0}, requests{0};
    std::string body = R"({"task":{"id":"tsk_1","status":"completed"},"turns":[]})";

    closing_server()
    {
        listener = test_support::listen_on_loopback(8, port);
        REQUIRE(listener >= 0);
        thread = std::thread([this] { serve(); });
    }
    ~closing_server()
    {
        ::shutdown(listener, SHUT_RDWR);
        ::close(listener);
        thread.join();
    }

    // Reads one request head; false when the peer closed.
    static bool read_request(int fd)
    {
        std::string buf;
        char chunk[1024];
        while (buf.find("\r\n\r\n") == std::string::npos) {
            auto n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0)
                return false;
            buf.append(chunk, static_cast<std::size_t>(n));
        }
        return true;
    }
    void respond(int fd, bool ok)
    {
        const std::string b =
            ok ? body : std::string(R"({"error":"not_found","message":"task tsk_1 not found"})");
        std::string r = std::string(ok ? "HTTP/1.1 200 OK" : "HTTP/1.1 404 Not Found") +
                        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(b.size()) +
                        "\r\n\r\n" + b;
        ::send(fd, r.data(), r.size(), MSG_NOSIGNAL);
    }
    void serve()
    {
        // Connection 1: answer one request, then close on the second.
        int c1 = ::accept(listener, nullptr, nullptr);
        if (c1 < 0)
            return;
        ++accepted;
        if (read_request(c1)) {
            ++requests;
            respond(c1, true);
            if (read_request(c1))
                ++requests;
        }
        ::close(c1);
        // Further connections: answer every request.
        for (;;) {
            int c = ::accept(listener, nullptr, nullptr);
            if (c < 0)
                return;
            ++accepted;
            while (read_request(c)) {
                ++requests;
                respond(c, false);
            }
            ::close(c);
        }
    }
};

} // namespace

TEST_CASE("pool: a pooled connection closed as it is reused is resent once, not counted as a retry")
{
    // Fake server (plain HTTP): the simulator closes idle connections only on
    // a timer, which the pool's liveness check always notices first.
    closing_server srv;
    hd::client_options o;
    o.base_url = "http://127.0.0.1:" + std::to_string(srv.port);
    o.api_key = "sk-fake";
    o.timeout = 5s;
    o.max_retries = 0; // the resend happens even so: it is not a retry
    test_io ioc;
    hd::client c(ioc, o);
    auto body = [&]() -> asio::awaitable<void> {
        hd::diagnostics d;
        auto [ec, t] = co_await c.async_retrieve("tsk_1", d, tup);
        CHECK_FALSE(ec);
        CHECK(t.task.id == "tsk_1");
        // Sent on the pooled connection, which the server closes unanswered:
        // resent on a new one, whose answer (a 404) is the call's.
        auto [ec2, t2] = co_await c.async_retrieve("tsk_1", d, tup);
        CHECK(ec2 == hd::error::not_found);
        CHECK(d.server_message == "task tsk_1 not found");
        CHECK(d.attempts == 1); // diagnostics: "attempts made (1 = no retry)"
    };
    run(ioc, body(), 10s);
    CHECK(srv.accepted == 2);
    CHECK(srv.requests == 3);
    CHECK(c.stats().connections_created == 2);
}

TEST_CASE("styles: close_each opens a new connection per call, and every call succeeds")
{
    auto o = fast_sim();
    o.close_each = true;
    sim_fixture f(o);
    test_io ioc;
    hd::client c(ioc, f.copts);
    int calls = run(ioc, round_of_calls(c), 10s);
    CHECK(calls == 4);
    CHECK(f.stat("connections_accepted") == 4);
    auto s = c.stats();
    CHECK(s.connections_created == 4);
    CHECK(s.attempts == 4);
    CHECK(s.open_connections == 0);
}

TEST_CASE("styles: chunked bodies over one keep-alive connection")
{
    auto o = fast_sim();
    o.chunked = true;
    sim_fixture f(o);
    test_io ioc;
    hd::client c(ioc, f.copts);
    int calls = run(ioc, round_of_calls(c), 10s);
    CHECK(calls == 4);
    CHECK(f.stat("connections_accepted") == 1);
    CHECK(c.stats().attempts == 4);
}

TEST_CASE("styles: HTTP/1.0 answers, one connection per call")
{
    auto o = fast_sim();
    o.http10 = true;
    sim_fixture f(o);
    test_io ioc;
    hd::client c(ioc, f.copts);
    int calls = run(ioc, round_of_calls(c), 10s);
    CHECK(calls == 4);
    CHECK(f.stat("connections_accepted") == 4);
    CHECK(c.stats().attempts == 4);
    CHECK(c.stats().open_connections == 0);
}

TEST_CASE("pool: 500 concurrent calls through pool_size 8")
{
    auto o = fast_sim();
    o.threads = 2;
    sim_fixture f(o);
    f.copts.pool_size = 8;
    test_io ioc;
    hd::client c(ioc, f.copts);
    std::string id = run(ioc, create_task(c, "pool target"), 10s);
    f.sim.reset_stats();

    int done = 0, ok = 0;
    for (int i = 0; i < 500; ++i) {
        auto on_done = [&](std::exception_ptr e, hd::task_with_turns t) {
            ++done;
            ok += !e && t.task.id == id;
        };
        auto on_create = [&](std::exception_ptr e, hd::create_result r) {
            ++done;
            ok += !e && r.task_id.size() == 30;
        };
        if (i % 5 == 0) {
            hd::create_task_params p;
            p.input = "pool " + std::to_string(i);
            c.async_create(std::move(p), on_create);
        } else {
            c.async_retrieve(id, on_done);
        }
    }
    // Everything is queued before any I/O: at most 8 may be opening.
    std::size_t max_open = 0;
    run_until(
        ioc,
        [&] {
            auto s = c.stats();
            max_open = std::max(max_open, s.open_connections);
            return done == 500;
        },
        20s);
    CHECK(ok == 500);
    CHECK(max_open <= 8);
    CHECK(c.stats().peak_open_connections == 8);
    CHECK(c.stats().peak_waiting_calls > 0); // (sampling can miss the queue: 500 calls can end in 10 ms)
    CHECK(f.stat("connections_peak") <= 8);
    CHECK(f.stat("connections_accepted") <= 8);
    CHECK(f.stat("tasks_created") == 100);
    auto s = c.stats();
    CHECK(s.open_connections <= 8);
    CHECK(s.waiting_calls == 0);
    CHECK(s.connections_created <= 9); // the first connection, then at most 8
    CHECK(s.attempts == 501);
}

TEST_CASE("pool: idle connections past idle_timeout are closed and not reused, close_idle closes them now")
{
    sim_fixture f;
    f.copts.idle_timeout = 100ms;
    test_io ioc;
    hd::client c(ioc, f.copts);
    std::string id = run(ioc, create_task(c, "idle"), 10s);
    CHECK(c.stats().idle_connections == 1);
    run(ioc, sleep_for(300ms), 5s);
    CHECK(c.stats().open_connections == 0);
    auto body = [&]() -> asio::awaitable<void> {
        auto t = co_await c.async_retrieve(id);
        CHECK(t.task.id == id);
    };
    run(ioc, body(), 10s);
    CHECK(c.stats().connections_created == 2);
    CHECK(c.stats().idle_connections == 1);
    c.close_idle();
    CHECK(c.stats().open_connections == 0);
    CHECK(c.stats().idle_connections == 0);
    run(ioc, body(), 10s);
    CHECK(c.stats().connections_created == 3);
    CHECK(f.stat("connections_accepted") == 3);
}

TEST_CASE("plain http:// base URL: calls work without TLS")
{
    auto o = fast_sim();
    o.plain_http = true;
    sim_fixture f(o);
    REQUIRE(f.copts.base_url.rfind("http://", 0) == 0);
    test_io ioc;
    hd::client c(ioc, f.copts);
    int calls = run(ioc, round_of_calls(c), 10s);
    CHECK(calls == 4);
    CHECK(f.stat("connections_accepted") == 1);
    CHECK(f.stat("tls_handshakes") == 0);
    CHECK(c.stats().tls_resumed == 0);
}
