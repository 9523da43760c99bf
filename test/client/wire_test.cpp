// What the simulator cannot show or produce, against a canned plain-HTTP
// server (support.hpp): the request as it goes on the wire (headers, body,
// retry count), statuses and bodies no simulator route returns (422, 3xx,
// 405, 408, HTML, unparseable JSON), and servers that refuse or never finish
// a handshake.
#include "client/support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;
using boost::system::error_code;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);
const std::string task_json = R"({"task":{"id":"tsk_1","status":"completed"},"turns":[]})";

hd::client_options options_for(const canned_server& s)
{
    hd::client_options o;
    o.base_url = s.url();
    o.api_key = "sk-wire";
    o.timeout = 5s;
    return o;
}

struct outcome {
    error_code ec;
    hd::diagnostics d;
};

// One retrieve of "tsk_1" with `o` and `ro`.
outcome retrieve(const hd::client_options& o, hd::request_options ro = {})
{
    test_io ioc;
    hd::client c(ioc, o);
    outcome out;
    auto body = [&]() -> asio::awaitable<void> {
        auto [ec, t] = co_await c.async_retrieve("tsk_1", ro, out.d, tup);
        out.ec = ec;
    };
    run(ioc, body(), 10s);
    return out;
}

bool contains(const std::string& s, const std::string& part)
{
    return s.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("wire: a create's request line, headers and JSON body")
{
    canned_server s;
    s.push(200, "OK", R"({"id":"run_1","object":"worker","status":"pending","running":true})");
    s.fallback.body = task_json;
    env_guard env("HANDINGER_CUSTOM_HEADERS",
                  std::string("X-Env: e\nX-Both: from-env\nAuthorization: Bearer sk-env\n"));
    auto o = options_for(s);
    o.headers = {{"X-Client", "c"}, {"X-Both", "from-options"}, {"Authorization", "Bearer sk-options"}};
    test_io ioc;
    hd::client c(ioc, o);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "héllo \"wire\"";
        p.budget = hd::task_budget::high;
        p.worker_id = "wrk_vk81XUHKHG-qr4";
        hd::request_options ro;
        ro.headers = {{"X-Call", "k"}, {"x-both", "from-call"}, {"authorization", "Bearer sk-call"}};
        auto cr = co_await c.async_create(p, ro);
        CHECK(cr.run.id == "run_1");
        CHECK(cr.run.running);
        auto t = co_await c.async_retrieve("tsk_1");
        CHECK(t.task.id == "tsk_1");
    };
    run(ioc, body(), 10s);

    auto reqs = s.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].rfind("POST /api/tasks HTTP/1.1\r\n", 0) == 0);
    CHECK(s.header(0, "authorization") == "Bearer sk-wire");
    CHECK(s.header(0, "host") == "127.0.0.1:" + s.url().substr(s.url().rfind(':') + 1));
    CHECK(s.header(0, "content-type") == "application/json");
    CHECK(s.header(0, "accept") == "application/json");
    CHECK(s.header(0, "user-agent").value_or("").rfind("handinger-cpp/", 0) == 0);
    CHECK(s.header(0, "x-stainless-retry-count") == "0");
    CHECK(s.header(0, "x-client") == "c");
    CHECK(s.header(0, "x-env") == "e");
    CHECK(s.header(0, "x-both") == "from-call"); // call > options > environment
    CHECK(s.header(0, "x-call") == "k");

    auto jv = boost::json::parse(s.body(0));
    REQUIRE(jv.is_object());
    auto& obj = jv.as_object();
    CHECK(obj.size() == 4);
    CHECK(obj.at("input").as_string() == "héllo \"wire\"");
    CHECK(obj.at("budget").as_string() == "high");
    CHECK(obj.at("workerId").as_string() == "wrk_vk81XUHKHG-qr4");
    CHECK(obj.at("taskId").as_string().size() == 30);

    CHECK(reqs[1].rfind("GET /api/tasks/tsk_1 HTTP/1.1\r\n", 0) == 0);
    CHECK(s.header(1, "authorization") == "Bearer sk-wire");
    CHECK(s.header(1, "x-both") == "from-options");
    CHECK_FALSE(s.header(1, "x-call"));
    CHECK(s.body(1).empty());
    CHECK(s.connections() == 1);
}

TEST_CASE("wire: x-stainless-retry-count counts the retries of a call")
{
    canned_server s;
    for (int i = 0; i < 2; ++i) {
        canned_server::response r;
        r.status = 429;
        r.reason = "Too Many Requests";
        r.body = R"({"error":"rate_limited","message":"slow down"})";
        r.headers = {"retry-after-ms: 10"};
        s.push(r);
    }
    s.fallback.body = task_json;
    auto r = retrieve(options_for(s));
    CHECK_FALSE(r.ec);
    REQUIRE(s.requests().size() == 3);
    CHECK(s.header(0, "x-stainless-retry-count") == "0");
    CHECK(s.header(1, "x-stainless-retry-count") == "1");
    CHECK(s.header(2, "x-stainless-retry-count") == "2");
}

TEST_CASE("wire: the base path prefix and a percent-encoded id on the request line")
{
    canned_server s;
    s.fallback.status = 404;
    s.fallback.reason = "Not Found";
    s.fallback.body = R"({"message":"nope"})";
    auto o = options_for(s);
    o.base_url = s.url() + "/v1";
    test_io ioc;
    hd::client c(ioc, o);
    auto body = [&]() -> asio::awaitable<void> {
        hd::diagnostics d;
        auto [ec, t] = co_await c.async_list_turns("a/b c?d", d, tup);
        CHECK(ec == hd::error::not_found);
        auto [ec2, t2] = co_await c.async_retrieve("..", d, tup);
        CHECK(ec2 == hd::error::not_found);
    };
    run(ioc, body(), 10s);
    auto reqs = s.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].rfind("GET /v1/api/tasks/a%2Fb%20c%3Fd/turns HTTP/1.1\r\n", 0) == 0);
    CHECK(reqs[1].rfind("GET /v1/api/tasks/%2E%2E HTTP/1.1\r\n", 0) == 0);
}

TEST_CASE("wire: 422 is unprocessable_entity with the server's message, not retried")
{
    // The simulator's 422s cannot be reached through the client (it
    // validates the same rules first), so a canned server sends one.
    canned_server s;
    s.push(422, "Unprocessable Entity",
           R"({"error":"validation_error","message":"input: too long","field":"input"})");
    test_io ioc;
    hd::client c(ioc, options_for(s));
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "x";
        hd::diagnostics d;
        auto [ec, r] = co_await c.async_create(p, d, tup);
        CHECK(ec == hd::error::unprocessable_entity);
        CHECK(d.status == 422);
        CHECK(d.server_message == "input: too long");
        CHECK(d.attempts == 1);
        CHECK(d.to_string(ec) == "POST /api/tasks: 422 unprocessable entity: input: too long");
    };
    run(ioc, body(), 10s);
    CHECK(s.requests().size() == 1);
}

TEST_CASE("wire: the server's message from each error body form, and the excerpt")
{
    canned_server s;
    auto o = options_for(s);
    o.max_retries = 0;
    struct form {
        int status;
        std::string body, message, excerpt_start;
        hd::error kind;
    };
    const std::string big(2000, 'x');
    std::vector<form> forms = {
        {400, R"({"error":{"message":"nested words"}})", "nested words", "{\"error\"",
         hd::error::bad_request},
        {400, R"({"error":"just a string"})", "just a string", "{", hd::error::bad_request},
        {500, "<html><body>Bad Gateway</body></html>", "", "<html>", hd::error::server_error},
        {503, "", "", "", hd::error::server_error},
        {409, R"({"message":")" + big + R"("})", big.substr(0, 512), "{\"message\"", hd::error::conflict},
    };
    for (auto& f : forms) {
        CAPTURE(f.body.substr(0, 40));
        s.push(f.status, "X", f.body);
        auto r = retrieve(o);
        CHECK(r.ec == f.kind);
        CHECK(r.d.status == f.status);
        CHECK(r.d.server_message == f.message);
        CHECK(r.d.body_excerpt.rfind(f.excerpt_start, 0) == 0);
        CHECK(r.d.body_excerpt.size() <= hd::diagnostics::max_excerpt + 3);
        if (f.body.size() > hd::diagnostics::max_excerpt)
            CHECK(r.d.body_excerpt.substr(r.d.body_excerpt.size() - 3) == "...");
    }
    CHECK(s.requests().size() == forms.size());
}

TEST_CASE("wire: other statuses: 3xx and 405 are unexpected_status and final, 408 is retried")
{
    canned_server s;
    s.fallback.body = task_json;
    s.push(302, "Found", "");
    s.push(405, "Method Not Allowed", R"({"message":"GET is not allowed here"})");
    canned_server::response timeout408;
    timeout408.status = 408;
    timeout408.reason = "Request Timeout";
    timeout408.headers = {"retry-after-ms: 10"};
    s.push(timeout408);
    auto o = options_for(s);
    auto r1 = retrieve(o);
    CHECK(r1.ec == hd::error::unexpected_status);
    CHECK(r1.d.status == 302);
    CHECK(r1.d.attempts == 1);
    auto r2 = retrieve(o);
    CHECK(r2.ec == hd::error::unexpected_status);
    CHECK(r2.d.status == 405);
    CHECK(r2.d.server_message == "GET is not allowed here");
    auto r3 = retrieve(o);
    CHECK_FALSE(r3.ec);
    CHECK(r3.d.attempts == 2);
    CHECK(s.requests().size() == 4);
}

TEST_CASE("wire: an unparseable or wrongly shaped success is invalid_response, not retried")
{
    canned_server s;
    s.push(200, "OK", "this is not JSON");
    s.push(200, "OK", R"({"task":{"status":"completed"},"turns":[]})");
    s.push(200, "OK", R"({"task":{"id":"tsk_1","status":"completed"},"turns":{}})");
    auto o = options_for(s);
    auto r1 = retrieve(o);
    CHECK(r1.ec == hd::error::invalid_response);
    CHECK(contains(r1.d.client_message, "invalid JSON"));
    CHECK(r1.d.status == 200);
    CHECK(r1.d.body_excerpt == "this is not JSON");
    auto r2 = retrieve(o);
    CHECK(r2.ec == hd::error::invalid_response);
    CHECK(contains(r2.d.client_message, "task.id"));
    auto r3 = retrieve(o);
    CHECK(r3.ec == hd::error::invalid_response);
    CHECK(contains(r3.d.client_message, "turns"));
    CHECK(s.requests().size() == 3);
}

TEST_CASE("wire: Connection: close from the server is honoured")
{
    canned_server s;
    canned_server::response r;
    r.body = task_json;
    r.close = true;
    s.push(r);
    s.fallback.body = task_json;
    test_io ioc;
    hd::client c(ioc, options_for(s));
    auto body = [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 3; ++i) {
            auto t = co_await c.async_retrieve("tsk_1");
            CHECK(t.task.id == "tsk_1");
        }
    };
    run(ioc, body(), 10s);
    CHECK(s.connections() == 2); // closed after the first, kept after the second
    CHECK(c.stats().connections_created == 2);
    CHECK(c.stats().attempts == 3);
}

TEST_CASE("wire: a refused connection is a connection error, retried")
{
    // A port that was just bound and closed again: nothing listens there.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    hd::client_options o;
    o.base_url = "https://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    o.api_key = "sk-x";
    o.max_retries = 1;
    stopwatch sw;
    auto r = retrieve(o);
    CHECK(r.ec == hd::error::connection);
    CHECK(r.d.attempts == 2);
    CHECK(r.d.status == 0);
    CHECK(contains(r.d.client_message, "connect"));
    CHECK(contains(r.d.client_message, "refused"));
    CHECK(sw.ms() < 1500);
}

TEST_CASE("wire: a server that never answers the TLS handshake hits connect_timeout")
{
    // A listening socket nobody accepts from: TCP connects (the backlog),
    // the ClientHello gets no answer.
    unsigned short port = 0;
    int fd = test_support::listen_on_loopback(8, port);
    REQUIRE(fd >= 0);
    hd::client_options o;
    o.base_url = "https://127.0.0.1:" + std::to_string(port);
    o.api_key = "sk-x";
    o.connect_timeout = 200ms;
    o.timeout = 5s;
    o.max_retries = 0;
    stopwatch sw;
    auto r = retrieve(o);
    ::close(fd);
    CHECK(r.ec == hd::error::timeout);
    CHECK(contains(r.d.client_message, "TLS handshake"));
    CHECK(sw.ms() >= 190);
    CHECK(sw.ms() < 1500);
}
