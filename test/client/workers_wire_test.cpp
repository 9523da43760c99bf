// The Workers operations on the wire, against a canned server: the request
// lines and bodies as sent, and which failures are retried (a PATCH is;
// a create that may have arrived is not).
#include "client/wire_support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view worker_json = R"({"id":"wrk_1","title":"t","visibility":"public"})";

} // namespace

TEST_CASE("workers wire: each operation's method, path and body")
{
    canned_server s;
    s.fallback.body = std::string(worker_json);
    test_io ioc;
    hd::client c(ioc, options_for(s));
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_worker_params p;
        p.title = "Daily";
        p.output_schema = boost::json::object{{"type", "object"}};
        co_await c.workers().async_create(p);
        hd::update_worker_params u;
        u.output_schema = nullptr;
        co_await c.workers().async_update("wrk 1", u);
        co_await c.workers().async_update("wrk_1", hd::update_worker_params{});
    };
    run(ioc, body());
    REQUIRE(s.requests().size() == 3);
    CHECK(request_line(s, 0) == "POST /base/api/workers HTTP/1.1");
    CHECK(s.header(0, "content-type") == "application/json");
    CHECK(s.body(0) == R"({"outputSchema":{"type":"object"},"title":"Daily"})");
    CHECK(request_line(s, 1) == "PATCH /base/api/workers/wrk%201 HTTP/1.1");
    CHECK(s.header(1, "content-type") == "application/json");
    CHECK(s.body(1) == R"({"outputSchema":null})");
    CHECK(s.body(2) == "{}");

    s.fallback.body = R"({"deleted":true})";
    auto more = [&]() -> asio::awaitable<void> {
        co_await c.workers().async_delete("wrk_1");
        s.fallback.body = R"({"email":"a@b"})";
        co_await c.workers().async_retrieve_email("wrk_1");
        s.fallback.body = R"({"id":"run_1","object":"worker"})";
        co_await c.workers().async_retrieve("wrk_1");
        co_await c.workers().async_retrieve_run("wrk_1", "tsk 1");
    };
    run(ioc, more());
    REQUIRE(s.requests().size() == 7);
    CHECK(request_line(s, 3) == "DELETE /base/api/workers/wrk_1 HTTP/1.1");
    CHECK(s.body(3).empty());
    CHECK_FALSE(s.header(3, "content-type"));
    CHECK(request_line(s, 4) == "GET /base/api/workers/wrk_1/email HTTP/1.1");
    CHECK(request_line(s, 5) == "GET /base/api/workers/wrk_1 HTTP/1.1");
    CHECK(request_line(s, 6) == "GET /base/api/workers/wrk_1?taskId=tsk%201 HTTP/1.1");
}

TEST_CASE("workers wire: a PATCH is retried after a 503, with the same body")
{
    canned_server s;
    s.push(status(503, "Service Unavailable"));
    s.fallback.body = std::string(worker_json);
    test_io ioc;
    hd::client c(ioc, options_for(s));
    auto body = [&]() -> asio::awaitable<void> {
        hd::update_worker_params u;
        u.summary = "s";
        hd::diagnostics d;
        auto [ec, w] = co_await c.workers().async_update("wrk_1", u, d, tup);
        CHECK_FALSE(ec);
        CHECK(d.attempts == 2);
        CHECK(w.id == "wrk_1");
    };
    run(ioc, body());
    REQUIRE(s.requests().size() == 2);
    CHECK(s.body(0) == s.body(1));
    CHECK(s.header(1, "x-stainless-retry-count") == "1");
}

TEST_CASE("workers wire: a create refused with 429 is resent, one answered 500 is not")
{
    canned_server s;
    s.push(status(429, "Too Many Requests"));
    s.fallback.body = std::string(worker_json);
    test_io ioc;
    hd::client c(ioc, options_for(s));
    auto body = [&]() -> asio::awaitable<void> {
        hd::diagnostics d;
        auto [ec, w] = co_await c.workers().async_create(hd::create_worker_params{}, d, tup);
        CHECK_FALSE(ec); // a 429 took no effect: resent
        CHECK(d.attempts == 2);
        CHECK(w.id == "wrk_1");

        s.push(status(500, "Internal Server Error"));
        auto [ec2, w2] = co_await c.workers().async_create(hd::create_worker_params{}, d, tup);
        CHECK(ec2 == hd::error::server_error); // it may have made a worker: not resent
        CHECK(d.attempts == 1);
        CHECK(d.status == 500);
        CHECK(d.client_message.find("not resent") != std::string::npos);
        CHECK(d.client_message.rfind("not resent", 0) == 0); // no "; " left from a missing transport message
    };
    run(ioc, body());
    CHECK(s.requests().size() == 3);
}
