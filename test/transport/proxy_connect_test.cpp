// A proxy's answer to CONNECT over a scripted stream, socket-free
// (src/http/proxy_connect.hpp): every segmentation of a 200, the header
// alone read whatever the answer says of a body, bytes behind it, refusals,
// truncated and malformed answers, a stall closed by a deadline.
#include "http/proxy_connect.hpp"
#include "transport/bed.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/beast/http/error.hpp>

#include <exception>

using namespace handinger::test;
namespace bhttp = boost::beast::http;

namespace {

const std::string request = "CONNECT h.example:443 HTTP/1.1\r\nHost: h.example:443\r\n\r\n";

struct tunnel_run {
    bool completed = false;
    http::connect_result r;
};

// Starts the CONNECT over the bed's stream with what `deliver` puts there,
// and runs until it completes or waits for input.
template <class Deliver>
std::shared_ptr<tunnel_run> connect_over(bed& b, Deliver deliver)
{
    auto t = std::make_shared<tunnel_run>();
    auto done = [t](std::exception_ptr e, http::connect_result r) {
        REQUIRE(!e);
        t->completed = true;
        t->r = std::move(r);
    };
    boost::asio::co_spawn(b.ioc, http::async_proxy_connect(b.s, b.buf, request), done);
    deliver(b.s);
    b.settle();
    return t;
}

tunnel_run connect_with(const std::string& answer, std::size_t split = 0)
{
    bed b;
    if (split)
        b.s.read_splits = {split};
    auto t = connect_over(b, [&](test_stream& s) { s.deliver(answer); });
    CHECK(b.s.written == request);
    CHECK(b.buf.size() == 0);
    return *t;
}

} // namespace

TEST_CASE("proxy CONNECT: a 200 in every segmentation, the request sent as given")
{
    const std::string ok = "HTTP/1.1 200 Connection established\r\nProxy-Agent: test\r\n\r\n";
    for (std::size_t k = 0; k < ok.size(); ++k) {
        CAPTURE(k);
        auto t = connect_with(ok, k);
        REQUIRE(t.completed);
        CHECK(!t.r.ec);
        CHECK(t.r.sent);
        CHECK(t.r.status == 200);
        CHECK(t.r.reason == "Connection established");
        CHECK(t.r.extra == 0);
    }
    bed b;
    b.s.read_size = 1;
    auto t = connect_over(b, [&](test_stream& s) { s.deliver(ok); });
    REQUIRE(t->completed);
    CHECK(t->r.status == 200);
    CHECK(t->r.extra == 0);
}

TEST_CASE("proxy CONNECT: a 2xx ends at its header whatever it says of a body")
{
    // RFC 9110 9.3.6: Content-Length and Transfer-Encoding of a 2xx to
    // CONNECT are ignored; nothing more is waited for.
    for (const std::string answer :
         {"HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\n",
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n"}) {
        CAPTURE(answer);
        auto t = connect_with(answer);
        REQUIRE(t.completed);
        CHECK(!t.r.ec);
        CHECK(t.r.extra == 0);
        CHECK((t.r.status == 200 || t.r.status == 204));
    }
}

TEST_CASE("proxy CONNECT: bytes behind a 200 are counted (the transport refuses them)")
{
    auto t = connect_with(std::string("HTTP/1.1 200 OK\r\n\r\n\x16\x03\x03", 22));
    REQUIRE(t.completed);
    CHECK(!t.r.ec);
    CHECK(t.r.status == 200);
    CHECK(t.r.extra == 3);
}

TEST_CASE("proxy CONNECT: refusals give their status and reason, their body is not read")
{
    const std::string body = "<html>denied</html>";
    const std::vector<std::pair<int, std::string>> refusals = {{407, "Proxy Authentication Required"},
                                                               {403, "Filtered"},
                                                               {500, "Unable to connect"},
                                                               {502, "Bad Gateway"},
                                                               {101, "Switching Protocols"},
                                                               {302, "Found"}};
    for (const auto& refusal : refusals) {
        // (Named copies: clang 14 cannot capture a structured binding in CAPTURE's lambda.)
        const int status = refusal.first;
        const std::string& reason = refusal.second;
        CAPTURE(status);
        std::string answer =
            "HTTP/1.0 " + std::to_string(status) + " " + reason +
            "\r\nProxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\nConnection: close\r\n\r\n";
        // The header alone: the body is never waited for.
        auto t = connect_with(answer);
        REQUIRE(t.completed);
        CHECK(!t.r.ec);
        CHECK(t.r.status == status);
        CHECK(t.r.reason == reason);
        // With its body in the same read: counted, dropped.
        auto with_body = connect_with(answer + body);
        REQUIRE(with_body.completed);
        CHECK(with_body.r.status == status);
        CHECK(with_body.r.extra == body.size());
    }
}

TEST_CASE("proxy CONNECT: a close before or within the answer, garbage, an oversized header")
{
    struct row {
        std::string bytes;
        boost::system::error_code ec;
    };
    const std::vector<row> rows = {
        {"", bhttp::error::end_of_stream},
        {"HTTP/1.1 200 Connection est", bhttp::error::partial_message},
        {"HTTP/1.1 200 OK\r\nProxy-Agent: x\r\n", bhttp::error::partial_message},
        {"SSH-2.0-OpenSSH_9.2\r\n\r\n", bhttp::error::bad_version},
        {"HTTP/1.1 2000 OK\r\n\r\n", bhttp::error::bad_status},
        {"HTTP/1.1 200 OK\r\nX: " + std::string(http::max_connect_header, 'x') + "\r\n\r\n",
         bhttp::error::header_limit},
    };
    for (const auto& r : rows) {
        CAPTURE(r.bytes.substr(0, 40));
        bed b;
        auto t = connect_over(b, [&](test_stream& s) {
            s.deliver(r.bytes);
            s.deliver_end();
        });
        REQUIRE(t->completed);
        CHECK(t->r.ec == r.ec);
        CHECK(t->r.sent);
        CHECK(t->r.status == 0);
    }
}

TEST_CASE("proxy CONNECT: a proxy that never answers waits until the deadline closes the stream")
{
    bed b;
    auto t = connect_over(b, [](test_stream& s) { s.deliver("HTTP/1.1 200"); });
    CHECK_FALSE(t->completed);
    CHECK(b.s.read_waiting());
    b.s.close(); // as connection::expire closes the socket
    b.settle();
    REQUIRE(t->completed);
    CHECK(t->r.ec == boost::asio::error::operation_aborted);
    CHECK(t->r.status == 0);
}

TEST_CASE("proxy CONNECT: a write that fails is reported as not sent")
{
    bed b;
    b.s.fail_write_from = 1;
    auto t = connect_over(b, [](test_stream&) {});
    REQUIRE(t->completed);
    CHECK_FALSE(t->r.sent);
    CHECK(t->r.ec == boost::asio::error::connection_reset);
}
