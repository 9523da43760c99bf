// The round trip over plain bytes, socket-free: every segmentation of a
// response, interim responses, what is left behind a response, closes and
// stalls.
#include "transport/bed.hpp"

#include <boost/beast/http/error.hpp>

using namespace handinger::test;
namespace bhttp = boost::beast::http;

namespace {

const std::string ok_response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nRetry-After: 3\r\n"
                                "Content-Length: 13\r\n\r\n{\"id\":\"t1\"}\r\n";
const std::string chunked_response =
    "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nx-should-retry: false\r\n\r\n"
    "5\r\n{\"id\"\r\n6;ext=1\r\n:\"t1\"}\r\n0\r\n\r\n";
const std::string interim =
    "HTTP/1.1 100 Continue\r\n\r\n"
    "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\nRetry-After: 99\r\n\r\n";

// Every way of cutting `bytes` in two reads, then one byte a read: `check`
// sees each outcome.
template <class Check>
void each_segmentation(const std::string& bytes, Check check)
{
    for (std::size_t k = 1; k < bytes.size(); ++k) {
        CAPTURE(k);
        bed b;
        b.s.read_splits = {k};
        b.s.deliver(bytes);
        check(b.round_trip());
    }
    bed b;
    b.s.read_size = 1;
    b.s.deliver(bytes);
    check(b.round_trip());
}

} // namespace

TEST_CASE("transport bed: a response in every segmentation")
{
    each_segmentation(ok_response, [](const trip& t) {
        REQUIRE(t.completed);
        CHECK(!t.ec);
        CHECK(t.res.status == 200);
        CHECK(t.res.body == "{\"id\":\"t1\"}\r\n");
        CHECK(t.res.retry_after == "3");
        CHECK(t.rt.reusable);
        CHECK(t.rt.maybe_delivered);
        CHECK(t.rt.failed_at == handinger::detail::http::stage::none);
    });
}

TEST_CASE("transport bed: a chunked response in every segmentation")
{
    each_segmentation(chunked_response, [](const trip& t) {
        REQUIRE(t.completed);
        CHECK(!t.ec);
        CHECK(t.res.status == 201);
        CHECK(t.res.body == "{\"id\":\"t1\"}");
        CHECK(t.res.x_should_retry == "false");
        CHECK(t.rt.reusable);
    });
}

TEST_CASE("transport bed: interim 1xx responses before the final one are skipped, in every segmentation")
{
    each_segmentation(interim + ok_response, [](const trip& t) {
        REQUIRE(t.completed);
        CHECK(!t.ec);
        CHECK(t.interim == 2);
        CHECK(t.res.status == 200);
        CHECK(t.res.retry_after == "3"); // the final response's, not the 103's
        CHECK(t.res.body == "{\"id\":\"t1\"}\r\n");
        CHECK(t.rt.reusable);
    });
}

TEST_CASE("transport bed: many interim responses, then a 204")
{
    std::string many;
    for (int i = 0; i < 50; ++i)
        many += "HTTP/1.1 102 Processing\r\n\r\n";
    bed b;
    b.s.deliver(many + "HTTP/1.1 204 No Content\r\n\r\n");
    auto t = b.round_trip();
    REQUIRE(t.completed);
    CHECK(!t.ec);
    CHECK(t.interim == 50);
    CHECK(t.res.status == 204);
    CHECK(t.rt.reusable);
}

TEST_CASE("transport bed: a 101 Switching Protocols fails the round trip")
{
    bed b;
    b.s.deliver("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n" +
                ok_response);
    auto t = b.round_trip();
    REQUIRE(t.completed);
    CHECK(t.ec == bhttp::error::bad_status);
    CHECK(t.switching);
    CHECK(t.rt.response_started);
    CHECK(!t.rt.reusable);
}

TEST_CASE("transport bed: bytes behind a response make the connection unusable")
{
    SUBCASE("a second response in the same read")
    {
        bed b;
        b.s.deliver(ok_response + ok_response);
        auto t = b.round_trip();
        REQUIRE(t.completed);
        CHECK(!t.ec);
        CHECK(!t.rt.reusable);
    }
    SUBCASE("one stray byte")
    {
        bed b;
        b.s.deliver(ok_response + "x");
        auto t = b.round_trip();
        REQUIRE(t.completed);
        CHECK(!t.rt.reusable);
    }
    SUBCASE("Connection: close")
    {
        bed b;
        b.s.deliver("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}");
        auto t = b.round_trip();
        REQUIRE(t.completed);
        CHECK(!t.ec);
        CHECK(!t.rt.reusable);
    }
}

TEST_CASE("transport bed: the peer's close")
{
    SUBCASE("before any byte of a response")
    {
        bed b;
        b.s.deliver_end();
        auto t = b.round_trip();
        REQUIRE(t.completed);
        CHECK(t.ec == bhttp::error::end_of_stream);
        CHECK(!t.rt.response_started);
        CHECK(t.rt.maybe_delivered);
        CHECK(t.rt.failed_at == handinger::detail::http::stage::receive);
    }
    SUBCASE("in the middle of the body")
    {
        bed b;
        b.s.deliver(ok_response.substr(0, ok_response.size() - 4));
        b.s.deliver_end();
        auto t = b.round_trip();
        REQUIRE(t.completed);
        CHECK(t.ec == bhttp::error::partial_message);
        CHECK(t.rt.response_started);
    }
    SUBCASE("after an interim response")
    {
        bed b;
        b.s.deliver(interim);
        b.s.deliver_end();
        auto t = b.round_trip();
        REQUIRE(t.completed);
        CHECK(t.ec == bhttp::error::partial_message);
        CHECK(t.rt.response_started);
    }
    SUBCASE("ending a response delimited by the close")
    {
        bed b;
        b.s.deliver("HTTP/1.1 200 OK\r\n\r\n{\"a\":1}");
        b.s.deliver_end();
        auto t = b.round_trip();
        REQUIRE(t.completed);
        CHECK(!t.ec);
        CHECK(t.res.body == "{\"a\":1}");
        CHECK(!t.rt.reusable);
    }
    SUBCASE("a reset")
    {
        bed b;
        b.s.deliver("HTTP/1.1 200 OK\r\n");
        b.s.deliver_end(boost::asio::error::connection_reset);
        auto t = b.round_trip();
        REQUIRE(t.completed);
        CHECK(t.ec == boost::asio::error::connection_reset);
        CHECK(t.rt.response_started);
    }
}

TEST_CASE("transport bed: a failed send")
{
    bed b;
    b.s.fail_write_from = 1;
    auto t = b.round_trip();
    REQUIRE(t.completed);
    CHECK(t.ec == boost::asio::error::connection_reset);
    CHECK(t.rt.failed_at == handinger::detail::http::stage::send);
    CHECK(!t.rt.maybe_delivered);
}

TEST_CASE("transport bed: a request sent in pieces of one byte")
{
    bed b;
    b.s.write_size = 1;
    b.s.deliver(ok_response);
    auto t = b.round_trip();
    REQUIRE(t.completed);
    CHECK(!t.ec);
    CHECK(b.s.written == get_request);
    CHECK(b.s.writes == static_cast<int>(get_request.size()));
}

TEST_CASE("transport bed: stalls wait until the deadline closes the stream")
{
    SUBCASE("no response at all")
    {
        bed b;
        auto t = b.round_trip();
        CHECK(!t.completed);
        CHECK(b.s.read_waiting());
        b.s.close();
        t = b.last();
        REQUIRE(t.completed);
        CHECK(t.ec == boost::asio::error::operation_aborted);
        CHECK(!t.rt.response_started);
    }
    SUBCASE("the headers half there")
    {
        bed b;
        b.s.deliver("HTTP/1.1 200 OK\r\nContent-Le");
        auto t = b.round_trip();
        CHECK(!t.completed);
        b.s.close();
        t = b.last();
        REQUIRE(t.completed);
        CHECK(t.ec == boost::asio::error::operation_aborted);
        CHECK(t.rt.response_started);
    }
    SUBCASE("the body half there, then the rest")
    {
        bed b;
        b.s.deliver(ok_response.substr(0, ok_response.size() - 5));
        auto t = b.round_trip();
        CHECK(!t.completed);
        b.s.deliver(ok_response.substr(ok_response.size() - 5));
        t = b.last();
        REQUIRE(t.completed);
        CHECK(!t.ec);
        CHECK(t.res.body == "{\"id\":\"t1\"}\r\n");
    }
}

TEST_CASE("transport bed: two round trips on one connection")
{
    bed b;
    b.s.deliver(ok_response);
    auto t1 = b.round_trip();
    REQUIRE(t1.rt.reusable);
    b.s.deliver(chunked_response);
    auto t2 = b.round_trip();
    REQUIRE(t2.completed);
    CHECK(t2.res.status == 201);
    CHECK(t2.res.body == "{\"id\":\"t1\"}");
    CHECK(b.s.written == std::string(get_request) + std::string(get_request));
}

TEST_CASE("transport bed: a header that comes twice counts the first time")
{
    bed b;
    b.s.deliver("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nretry-after: 7\r\nRetry-After-Ms: 5\r\n"
                "retry-after-ms: 9\r\nContent-Length: 0\r\n\r\n");
    auto t = b.round_trip();
    REQUIRE(t.completed);
    CHECK(t.res.status == 429);
    CHECK(t.res.retry_after == "1");
    CHECK(t.res.retry_after_ms == "5");
}

TEST_CASE("transport bed: a body over the limit fails")
{
    bed b;
    b.s.deliver("HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n");
    auto t = b.round_trip();
    REQUIRE(t.completed);
    CHECK(t.ec == bhttp::error::body_limit);
}
