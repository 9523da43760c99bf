// The Webhooks operations on the wire, against a canned server: each
// request line and body as sent, the pager's requests and what it makes of
// pages the simulator would not serve (a repeated id, no counts, a failed
// page), overlapping calls refused, and the retry stance (a
// regenerate-token POST is resent like any call).
#include "client/wire_support.hpp"

#include <handinger/client.hpp>
#include <handinger/webhooks.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view hook_json = R"({"token":"whk_1","url":"https://example.com/h"})";

// A page of executions with these ids.
std::string page_json(std::initializer_list<std::string_view> ids, std::string_view counts)
{
    std::string s = R"({"logs":[)";
    bool first = true;
    for (auto id : ids) {
        if (!first)
            s += ',';
        first = false;
        s += R"({"id":")" + std::string(id) + R"(","requestStatus":"success"})";
    }
    return s + "]" + std::string(counts) + "}";
}

std::vector<std::string> ids_of(const std::optional<std::vector<hd::webhook_execution>>& page)
{
    std::vector<std::string> out;
    if (page)
        for (auto& e : *page)
            out.push_back(e.id);
    return out;
}

} // namespace

TEST_CASE("webhooks wire: each operation's method, path and body")
{
    canned_server s;
    s.fallback.body = std::string(hook_json);
    test_io ioc;
    hd::client c(ioc, options_for(s));
    auto body = [&]() -> asio::awaitable<void> {
        auto hooks = c.webhooks();
        co_await hooks.async_retrieve("wrk 1");
        co_await hooks.async_update("wrk_1", "https://example.com/h?a=b&c=%22d%22");
        co_await hooks.async_update("wrk_1", std::nullopt);
        co_await hooks.async_delete("wrk_1");
        co_await hooks.async_regenerate_token("..");
        s.fallback.body = page_json({}, R"(,"page":7,"pageCount":0,"totalCount":0)");
        co_await hooks.async_list_executions("wrk/1", 7);
    };
    run(ioc, body());
    REQUIRE(s.requests().size() == 6);
    CHECK(request_line(s, 0) == "GET /base/api/workers/wrk%201/webhook HTTP/1.1");
    CHECK(s.body(0).empty());
    CHECK_FALSE(s.header(0, "content-type"));
    CHECK(s.header(0, "authorization") == "Bearer sk-wire");
    CHECK(request_line(s, 1) == "PUT /base/api/workers/wrk_1/webhook HTTP/1.1");
    CHECK(s.header(1, "content-type") == "application/json");
    CHECK(s.body(1) == R"({"url":"https://example.com/h?a=b&c=%22d%22"})");
    CHECK(request_line(s, 2) == "PUT /base/api/workers/wrk_1/webhook HTTP/1.1");
    CHECK(s.body(2) == R"({"url":null})");
    CHECK(request_line(s, 3) == "DELETE /base/api/workers/wrk_1/webhook HTTP/1.1");
    CHECK(s.body(3).empty());
    CHECK(request_line(s, 4) == "POST /base/api/workers/%2E%2E/webhook/regenerate-token HTTP/1.1");
    CHECK(s.body(4).empty());
    CHECK(request_line(s, 5) == "GET /base/api/workers/wrk%2F1/webhook/executions?page=7 HTTP/1.1");
}

TEST_CASE("webhooks wire: the pager asks pages 1, 2, ... and drops an id it returned before")
{
    canned_server s;
    s.push(200, "OK", page_json({"c", "b"}, R"(,"page":1,"pageCount":2,"totalCount":3)"));
    // "b" again: one arrived meanwhile and pushed it down.
    s.push(200, "OK", page_json({"b", "a"}, R"(,"page":2,"pageCount":2,"totalCount":4)"));
    test_io ioc;
    hd::client c(ioc, options_for(s));
    auto body = [&]() -> asio::awaitable<void> {
        auto pager = c.webhooks().executions("wrk_1");
        CHECK_FALSE(pager.done());
        const std::vector<std::string> first{"c", "b"}, second{"a"};
        auto p1 = co_await pager.async_next_page();
        CHECK(ids_of(p1) == first);
        CHECK(pager.total_count() == 3);
        auto p2 = co_await pager.async_next_page();
        CHECK(ids_of(p2) == second);
        CHECK(pager.done());
        CHECK(pager.total_count() == 4);
        auto end = co_await pager.async_next_page();
        CHECK_FALSE(end); // the end: no request
    };
    run(ioc, body());
    REQUIRE(s.requests().size() == 2);
    CHECK(request_line(s, 0) == "GET /base/api/workers/wrk_1/webhook/executions?page=1 HTTP/1.1");
    CHECK(request_line(s, 1) == "GET /base/api/workers/wrk_1/webhook/executions?page=2 HTTP/1.1");
}

TEST_CASE("webhooks wire: without counts the pager ends at a short page, a failed page is asked again")
{
    canned_server s;
    std::string full = R"({"logs":[)";
    for (int i = 0; i < 50; ++i)
        full += std::string(i ? "," : "") + R"({"id":"x)" + std::to_string(i) + "\"}";
    full += "]}";
    s.push(200, "OK", full);
    s.push(404, "Not Found", R"({"error":"not_found","message":"gone for a moment"})");
    s.push(200, "OK", page_json({"y"}, ""));
    test_io ioc;
    hd::client c(ioc, options_for(s));
    auto body = [&]() -> asio::awaitable<void> {
        auto pager = c.webhooks().executions("wrk_1");
        auto first = co_await pager.async_next_page();
        REQUIRE(first);
        CHECK(first->size() == 50);
        CHECK_FALSE(pager.done()); // a full page, no count: there may be more
        hd::diagnostics d;
        auto [ec, failed] = co_await pager.async_next_page(d, tup);
        CHECK(ec == hd::error::not_found);
        CHECK(d.server_message == "gone for a moment");
        CHECK_FALSE(failed);
        CHECK(pager.pages_read() == 1);
        const std::vector<std::string> last{"y"};
        auto p3 = co_await pager.async_next_page();
        CHECK(ids_of(p3) == last);
        CHECK(pager.done());
    };
    run(ioc, body());
    REQUIRE(s.requests().size() == 3);
    CHECK(request_line(s, 1) == "GET /base/api/workers/wrk_1/webhook/executions?page=2 HTTP/1.1");
    CHECK(request_line(s, 2) == "GET /base/api/workers/wrk_1/webhook/executions?page=2 HTTP/1.1");
}

TEST_CASE("webhooks wire: overlapping pager calls, the second is refused")
{
    canned_server s;
    s.fallback.body = page_json({"a"}, R"(,"page":1,"pageCount":1,"totalCount":1)");
    test_io ioc;
    hd::client c(ioc, options_for(s));
    auto pager = c.webhooks().executions("wrk_1");
    int done = 0;
    std::vector<boost::system::error_code> codes;
    hd::diagnostics d1, d2;
    auto handler = [&](boost::system::error_code ec, std::optional<std::vector<hd::webhook_execution>>) {
        codes.push_back(ec);
        ++done;
    };
    pager.async_next_page(d1, handler);
    pager.async_next_page(d2, handler);
    run_until(ioc, [&] { return done == 2; });
    REQUIRE(codes.size() == 2);
    CHECK_FALSE(codes[1]); // the first started ends last, with its page
    CHECK(codes[0] == hd::error::invalid_argument);
    CHECK(d2.client_message == "pager: a page is already being fetched (calls must not overlap)");
    CHECK(s.requests().size() == 1);
    CHECK(pager.done());
}

TEST_CASE("webhooks wire: a regenerate-token POST refused with 503 is resent, its answer the token in force")
{
    canned_server s;
    s.push(status(503, "Service Unavailable"));
    s.fallback.body = R"({"token":"whk_2","url":"https://example.com/h"})";
    test_io ioc;
    hd::client c(ioc, options_for(s));
    auto body = [&]() -> asio::awaitable<void> {
        hd::diagnostics d;
        auto [ec, w] = co_await c.webhooks().async_regenerate_token("wrk_1", d, tup);
        CHECK_FALSE(ec);
        CHECK(d.attempts == 2);
        CHECK(w.token == "whk_2");
    };
    run(ioc, body());
    REQUIRE(s.requests().size() == 2);
    CHECK(request_line(s, 1) == "POST /base/api/workers/wrk_1/webhook/regenerate-token HTTP/1.1");
    CHECK(s.header(1, "x-stainless-retry-count") == "1");
}
