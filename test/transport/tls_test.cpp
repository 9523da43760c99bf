// The TLS engine, its handshake and the round trip over TLS, socket-free:
// a real OpenSSL server behind a test_stream, its records delivered in any
// segmentation; and the same records read by asio::ssl::stream with Beast's
// http::async_read, which must see the same responses (the differential
// test of the library's own TLS stream against the standard one).
#include "transport/bed.hpp"

#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

using namespace handinger::test;
namespace bhttp = boost::beast::http;

namespace {

const std::string ok_response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nRetry-After: 3\r\n"
                                "Content-Length: 11\r\n\r\n{\"id\":\"t1\"}";
const std::string other_response = "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}";

tls_peer::options tls12()
{
    tls_peer::options o;
    o.max_version = TLS1_2_VERSION;
    return o;
}

// The server answers each request with `responses`, one SSL_write each,
// kept in its outbox until the test delivers.
void answer_with(bed& b, std::vector<std::string> responses)
{
    b.peer->on_plaintext = [&b, responses](std::string_view) {
        for (const auto& r : responses)
            b.peer->send(r);
    };
}

} // namespace

TEST_CASE("transport bed tls: handshakes, TLS 1.3 and 1.2, whole or a byte a read")
{
    for (auto o : {tls_peer::options{}, tls12()}) {
        for (std::size_t rs : {std::size_t(1), std::size_t(7), std::size_t(1) << 20}) {
            CAPTURE(o.max_version);
            CAPTURE(rs);
            bed b;
            b.s.read_size = rs;
            b.use_tls(o);
            CHECK(!b.handshake());
            CHECK(b.peer->handshake_done);
            CHECK(b.peer->failure.empty());
        }
    }
}

TEST_CASE("transport bed tls: a response's records in every segmentation, on one connection")
{
    for (auto o : {tls_peer::options{}, tls12()}) {
        CAPTURE(o.max_version);
        bed b;
        b.connect_tls(o);
        b.peer->auto_deliver = false;
        answer_with(b, {ok_response});
        // The records of one response, to know their length.
        auto t = b.round_trip();
        REQUIRE(!t.completed);
        const auto records = b.peer->outbox.size();
        b.peer->deliver();
        t = b.last();
        REQUIRE(t.completed);
        REQUIRE(!t.ec);
        REQUIRE(t.rt.reusable);
        for (std::size_t k = 1; k <= records; ++k) {
            CAPTURE(k);
            b.s.read_splits = {k};
            auto t = b.round_trip();
            REQUIRE(!t.completed);
            b.peer->deliver();
            t = b.last();
            REQUIRE(t.completed);
            CHECK(!t.ec);
            CHECK(t.res.status == 200);
            CHECK(t.res.body == "{\"id\":\"t1\"}");
            CHECK(t.rt.reusable);
        }
        b.s.read_size = 1;
        t = b.round_trip();
        b.peer->deliver();
        t = b.last();
        REQUIRE(t.completed);
        CHECK(!t.ec);
        CHECK(t.res.body == "{\"id\":\"t1\"}");
        CHECK(b.peer->failure.empty());
    }
}

TEST_CASE("transport bed tls: a response in records of one byte each, delivered coalesced or one byte a read")
{
    for (std::size_t rs : {std::size_t(1), std::size_t(1) << 20}) {
        CAPTURE(rs);
        bed b;
        b.connect_tls();
        b.peer->auto_deliver = false;
        b.s.read_size = rs;
        std::vector<std::string> pieces;
        for (char c : "HTTP/1.1 100 Continue\r\n\r\n" + ok_response)
            if (c)
                pieces.emplace_back(1, c);
        answer_with(b, pieces);
        b.round_trip();
        b.peer->deliver();
        auto t = b.last();
        REQUIRE(t.completed);
        CHECK(!t.ec);
        CHECK(t.interim == 1);
        CHECK(t.res.body == "{\"id\":\"t1\"}");
        CHECK(t.rt.reusable);
    }
}

TEST_CASE("transport bed tls: an unsolicited second response in its own record makes the connection unusable")
{
    for (auto o : {tls_peer::options{}, tls12()}) {
        CAPTURE(o.max_version);
        bed b;
        b.connect_tls(o);
        b.peer->auto_deliver = false;
        answer_with(b, {ok_response, other_response});
        b.round_trip();
        b.peer->deliver();
        auto t = b.last();
        REQUIRE(t.completed);
        CHECK(!t.ec);
        CHECK(t.res.status == 200);
        // The 404 behind it sits in the TLS layer: reusing the connection
        // would answer the next request with it.
        CHECK(!t.rt.reusable);
    }
}

TEST_CASE("transport bed tls: a partial record behind a response makes the connection unusable")
{
    bed b;
    b.connect_tls();
    b.peer->auto_deliver = false;
    answer_with(b, {ok_response, other_response});
    b.round_trip();
    const auto full = b.peer->outbox;
    b.peer->outbox.clear();
    // The first response's records and 10 bytes of the next record.
    b.peer->send(ok_response);
    auto first = b.peer->outbox.size();
    b.s.deliver(std::string_view(full).substr(0, first + 10));
    auto t = b.last();
    REQUIRE(t.completed);
    CHECK(!t.ec);
    CHECK(!t.rt.reusable);
}

TEST_CASE("transport bed tls: post-handshake messages behind a response are fine")
{
    SUBCASE("a session ticket")
    {
        bed b;
        b.connect_tls();
        b.peer->auto_deliver = false;
        b.peer->on_plaintext = [&](std::string_view) {
            b.peer->send(ok_response);
            b.peer->send_ticket();
        };
        b.round_trip();
        b.peer->deliver();
        auto t = b.last();
        REQUIRE(t.completed);
        CHECK(!t.ec);
        CHECK(t.rt.reusable);
    }
    SUBCASE("a KeyUpdate asking for one back: the answer goes out before the next request")
    {
        bed b;
        b.connect_tls();
        b.peer->auto_deliver = false;
        b.peer->on_plaintext = [&](std::string_view) {
            b.peer->send(ok_response);
            b.peer->send_key_update();
        };
        b.round_trip();
        b.peer->deliver();
        auto t = b.last();
        REQUIRE(t.completed);
        CHECK(!t.ec);
        CHECK(t.rt.reusable);
        // (OpenSSL sends the client's KeyUpdate with its next write.)
        answer_with(b, {other_response});
        b.round_trip();
        b.peer->deliver();
        t = b.last();
        REQUIRE(t.completed);
        CHECK(!t.ec);
        CHECK(t.res.status == 404);
        CHECK(b.peer->failure.empty());
        CHECK(b.peer->received == std::string(get_request) + std::string(get_request));
    }
}

TEST_CASE("transport bed tls: closes")
{
    SUBCASE("a close_notify behind a response: not reusable")
    {
        bed b;
        b.connect_tls();
        b.peer->auto_deliver = false;
        b.peer->on_plaintext = [&](std::string_view) {
            b.peer->send(ok_response);
            b.peer->send_close_notify();
        };
        b.round_trip();
        b.peer->deliver();
        auto t = b.last();
        REQUIRE(t.completed);
        CHECK(!t.ec);
        CHECK(!t.rt.reusable);
    }
    SUBCASE("a response delimited by a close_notify")
    {
        bed b;
        b.connect_tls();
        b.peer->auto_deliver = false;
        b.peer->on_plaintext = [&](std::string_view) {
            b.peer->send("HTTP/1.1 200 OK\r\n\r\n{\"a\":1}");
            b.peer->send_close_notify();
        };
        b.round_trip();
        b.peer->deliver();
        b.s.deliver_end();
        auto t = b.last();
        REQUIRE(t.completed);
        CHECK(!t.ec);
        CHECK(t.res.body == "{\"a\":1}");
        CHECK(!t.rt.reusable);
    }
    SUBCASE("a response delimited by a TCP close without close_notify is truncated")
    {
        bed b;
        b.connect_tls();
        b.peer->auto_deliver = false;
        answer_with(b, {"HTTP/1.1 200 OK\r\n\r\n{\"a\":1}"});
        b.round_trip();
        b.peer->deliver();
        b.s.deliver_end();
        auto t = b.last();
        REQUIRE(t.completed);
        CHECK(t.ec == boost::asio::ssl::error::stream_truncated);
    }
    SUBCASE("a TCP close in the middle of a record")
    {
        bed b;
        b.connect_tls();
        b.peer->auto_deliver = false;
        answer_with(b, {ok_response});
        b.round_trip();
        auto records = b.peer->outbox;
        b.s.deliver(std::string_view(records).substr(0, records.size() / 2));
        b.s.deliver_end();
        auto t = b.last();
        REQUIRE(t.completed);
        CHECK(t.ec == boost::asio::ssl::error::stream_truncated);
        CHECK(t.rt.failed_at == handinger::detail::http::stage::receive);
    }
    SUBCASE("no response, the stream stalls until the deadline closes it")
    {
        bed b;
        b.connect_tls();
        b.peer->auto_deliver = false;
        auto t = b.round_trip();
        CHECK(!t.completed);
        b.s.close();
        t = b.last();
        REQUIRE(t.completed);
        CHECK(t.ec == boost::asio::error::operation_aborted);
    }
}

TEST_CASE("transport bed tls: a failed handshake tells the server why")
{
    bed b;
    // A client that trusts another CA than the one that signed the server's.
    auto other = handinger::sim::detail::generate_tls_material();
    b.use_tls({}, other.ca_pem);
    auto ec = b.handshake();
    CHECK(ec);
    CHECK(!b.peer->handshake_done);
    // The alert reached the server: it failed on it, not on a missing flight.
    REQUIRE(!b.peer->failure.empty());
    CHECK(b.peer->failure.find("unknown ca") != std::string::npos);
}

TEST_CASE("transport bed tls: a TLS 1.2 server's renegotiation request is refused")
{
    bed b;
    b.connect_tls(tls12());
    b.peer->auto_deliver = false;
    b.peer->on_plaintext = [&](std::string_view) {
        REQUIRE(SSL_renegotiate(b.peer->native_handle()) == 1);
        SSL_do_handshake(b.peer->native_handle()); // the HelloRequest
        b.peer->send(ok_response);
    };
    auto before = b.s.written.size();
    b.round_trip();
    auto request_records = b.s.written.size() - before;
    b.peer->deliver();
    auto t = b.last();
    REQUIRE(t.completed);
    CHECK(!t.ec);
    CHECK(t.res.status == 200);
    // What the client wrote after its request is an alert record
    // (no_renegotiation), not a handshake record (a ClientHello).
    auto after = std::string_view(b.s.written).substr(before + request_records);
    REQUIRE(!after.empty());
    CHECK(static_cast<unsigned char>(after[0]) == 21);
}

// ---- differential: the same records through asio::ssl::stream ----------

namespace {

struct reference_result {
    bool completed = false;
    boost::system::error_code ec;
    int status = 0;
    std::string body;
    std::string retry_after;
};

// asio::ssl::stream over a test_stream, Beast's http::read for the response
// (interim responses read and dropped in a loop, as Beast leaves that to the
// caller). Synchronous: the stream answers a read it cannot serve with
// would_block, which fails the comparison.
reference_result read_with_asio_ssl(const std::function<void(tls_peer&)>& respond, std::size_t read_size)
{
    boost::asio::io_context ioc{1};
    test_stream s(ioc.get_executor());
    s.read_size = read_size;
    handinger::tls_options to;
    to.ca_pem = test_tls_material().ca_pem;
    to.session_resumption = false;
    auto ctx = handinger::detail::http::make_client_context(to, nullptr);
    boost::asio::ssl::stream<test_stream&> ssl(s, *ctx);
    SSL_set_tlsext_host_name(ssl.native_handle(), "localhost");
    SSL_set1_host(ssl.native_handle(), "localhost");
    tls_peer peer(s);
    peer.on_plaintext = [&](std::string_view) {
        respond(peer);
        peer.deliver();
    };
    reference_result out;
    boost::system::error_code ec;
    ssl.handshake(boost::asio::ssl::stream_base::client, ec);
    REQUIRE(!ec);
    boost::asio::write(ssl, boost::asio::buffer(get_request), ec);
    REQUIRE(!ec);
    boost::beast::flat_buffer buf;
    bhttp::response<bhttp::string_body> res;
    do {
        res = {};
        bhttp::read(ssl, buf, res, ec);
    } while (!ec && res.result_int() / 100 == 1 && res.result_int() != 101);
    out.completed = ec != boost::asio::error::would_block;
    out.ec = ec;
    out.status = res.result_int();
    out.body = res.body();
    out.retry_after = std::string(res[bhttp::field::retry_after]);
    return out;
}

trip read_with_engine(const std::function<void(tls_peer&)>& respond, std::size_t read_size)
{
    bed b;
    b.connect_tls();
    b.s.read_size = read_size;
    b.peer->on_plaintext = [&](std::string_view) {
        respond(*b.peer);
        b.peer->deliver();
    };
    return b.round_trip();
}

} // namespace

TEST_CASE("transport bed tls: the engine and asio::ssl::stream read the same records alike")
{
    std::vector<std::pair<const char*, std::function<void(tls_peer&)>>> scripts = {
        {"one record", [](tls_peer& p) { p.send(ok_response); }},
        {"interim responses first",
         [](tls_peer& p) {
             p.send("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n");
             p.send(ok_response);
         }},
        {"chunked across records",
         [](tls_peer& p) {
             p.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc");
             p.send("\r\n2\r\nde\r\n");
             p.send("0\r\n\r\n");
         }},
        {"a ticket in the middle",
         [](tls_peer& p) {
             p.send(ok_response.substr(0, 20));
             p.send_ticket();
             p.send(ok_response.substr(20));
         }},
        {"a key update in the middle",
         [](tls_peer& p) {
             p.send(ok_response.substr(0, 30));
             p.send_key_update();
             p.send(ok_response.substr(30));
         }},
        {"closed by close_notify",
         [](tls_peer& p) {
             p.send("HTTP/1.1 200 OK\r\n\r\nuntil the end");
             p.send_close_notify();
         }},
        {"a record every 5 bytes",
         [](tls_peer& p) {
             for (std::size_t i = 0; i < ok_response.size(); i += 5)
                 p.send(ok_response.substr(i, 5));
         }},
        {"a 16 KB body over several records",
         [](tls_peer& p) {
             std::string body(40000, 'x');
             p.send("HTTP/1.1 200 OK\r\nContent-Length: 40000\r\n\r\n" + body);
         }},
    };
    for (const auto& entry : scripts) // (clang 14: no structured bindings in CAPTURE's lambda)
        for (std::size_t rs : {std::size_t(1), std::size_t(5), std::size_t(1) << 20}) {
            const std::string name = entry.first;
            const auto& script = entry.second;
            CAPTURE(name);
            CAPTURE(rs);
            auto ref = read_with_asio_ssl(script, rs);
            auto mine = read_with_engine(script, rs);
            REQUIRE(ref.completed);
            REQUIRE(mine.completed);
            CHECK(!mine.ec == !ref.ec);
            CHECK(mine.res.status == ref.status);
            CHECK(mine.res.body == ref.body);
            CHECK(mine.res.retry_after == ref.retry_after);
        }
}
