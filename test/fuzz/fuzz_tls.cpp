// Differential fuzz target for the library's TLS engine: a real TLS server
// (OpenSSL over memory BIOs) sends a response cut into records where the
// input says, with session tickets and key updates between them; the
// library's engine and round trip, and asio::ssl::stream with Beast's
// http::read, each read it. They must agree on success, status and body.
//
// Input: byte 0: the library's read size (0: all at once); byte 1: the TLS
// version (even: 1.3, odd: 1.2); then records: a length byte L, then a
// control byte (1: a ticket before, 2: a key update before, TLS 1.3 only),
// then L bytes of plaintext; the rest, if any, is the last record.
#include "http/round_trip.hpp"
#include "http/tls.hpp"
#include "transport/test_stream.hpp"
#include "transport/tls_peer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

namespace http = handinger::detail::http;
namespace bhttp = boost::beast::http;
using handinger::test::test_stream;
using handinger::test::tls_peer;

namespace {

constexpr std::size_t body_limit = 1 << 20;
constexpr std::string_view request = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

struct outcome {
    bool ok = false;
    int status = 0;
    std::string body;
};

std::unique_ptr<boost::asio::ssl::context> client_context()
{
    handinger::tls_options to;
    to.ca_pem = handinger::test::test_tls_material().ca_pem;
    to.session_resumption = false;
    return http::make_client_context(to, nullptr);
}

outcome library(const std::function<void(tls_peer&)>& respond, tls_peer::options po, std::size_t read_size)
{
    boost::asio::io_context ioc{1};
    test_stream s(ioc.get_executor());
    auto ctx = client_context();
    http::tls_engine engine(*ctx);
    http::endpoint ep;
    ep.host = "localhost";
    if (http::prepare_connection(engine, ep, true, nullptr))
        std::abort();
    tls_peer peer(s, po);
    boost::system::error_code ec = boost::asio::error::would_block;
    http::async_tls_handshake(s, engine, [&](boost::system::error_code e) { ec = e; });
    ioc.run();
    if (ec)
        std::abort(); // a good server: the handshake must succeed
    peer.on_plaintext = [&](std::string_view) {
        respond(peer);
        peer.deliver();
        s.deliver_end();
    };
    s.read_size = read_size;
    boost::beast::flat_buffer buf;
    http::response res;
    http::response_reader reader(res, body_limit);
    http::round_trip_result rt;
    bool done = false;
    http::async_round_trip(s, &engine, buf, request, reader, rt, [&](boost::system::error_code e) {
        done = true;
        ec = e;
    });
    ioc.restart();
    ioc.run();
    if (!done)
        std::abort(); // the stream ends: the round trip must end too
    return outcome{!ec, res.status, res.body};
}

outcome reference(const std::function<void(tls_peer&)>& respond, tls_peer::options po)
{
    boost::asio::io_context ioc{1};
    test_stream s(ioc.get_executor());
    auto ctx = client_context();
    boost::asio::ssl::stream<test_stream&> ssl(s, *ctx);
    SSL_set_tlsext_host_name(ssl.native_handle(), "localhost");
    SSL_set1_host(ssl.native_handle(), "localhost");
    tls_peer peer(s, po);
    peer.on_plaintext = [&](std::string_view) {
        respond(peer);
        peer.deliver();
        s.deliver_end();
    };
    boost::system::error_code ec;
    ssl.handshake(boost::asio::ssl::stream_base::client, ec);
    if (ec)
        std::abort();
    boost::asio::write(ssl, boost::asio::buffer(request), ec);
    if (ec)
        std::abort();
    boost::beast::flat_buffer buf;
    for (;;) {
        bhttp::response_parser<bhttp::string_body> p;
        p.body_limit(body_limit);
        p.header_limit(64 * 1024);
        bhttp::read(ssl, buf, p, ec);
        if (ec)
            return {};
        int st = p.get().result_int();
        if (st / 100 == 1) {
            if (st == 101)
                return {};
            continue;
        }
        return outcome{true, st, p.get().body()};
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 2)
        return 0;
    std::size_t read_size = data[0] == 0 ? std::size_t(1) << 20 : data[0];
    tls_peer::options po;
    po.max_version = data[1] % 2 == 0 ? TLS1_3_VERSION : TLS1_2_VERSION;
    const bool tls13 = po.max_version == TLS1_3_VERSION;
    std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
    auto respond = [rest, tls13](tls_peer& p) {
        auto r = rest;
        while (r.size() >= 2) {
            std::size_t len = static_cast<unsigned char>(r[0]);
            int control = static_cast<unsigned char>(r[1]) % 4;
            r.remove_prefix(2);
            if (tls13 && control == 1)
                p.send_ticket();
            if (tls13 && control == 2)
                p.send_key_update();
            auto piece = r.substr(0, len);
            r.remove_prefix(piece.size());
            if (!piece.empty())
                p.send(piece);
        }
        if (!r.empty())
            p.send(r);
    };
    auto mine = library(respond, po, read_size);
    auto ref = reference(respond, po);
    if (mine.ok != ref.ok || (mine.ok && (mine.status != ref.status || mine.body != ref.body))) {
        std::fprintf(stderr, "engine and asio::ssl::stream disagree: ok %d/%d status %d/%d body %zu/%zu\n",
                     mine.ok, ref.ok, mine.status, ref.status, mine.body.size(), ref.body.size());
        std::abort();
    }
    return 0;
}
