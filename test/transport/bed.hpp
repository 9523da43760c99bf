// The socket-free transport test bed: the library's round trip and TLS
// handshake (src/http/round_trip.hpp) over a test_stream, with a scripted
// peer (plain bytes, or a TLS server from tls_peer.hpp).
#pragma once

#include "http/round_trip.hpp"
#include "http/tls.hpp"
#include "transport/test_stream.hpp"
#include "transport/tls_peer.hpp"

#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>

namespace handinger::test {

namespace http = handinger::detail::http;

inline constexpr std::string_view get_request = "GET /api/tasks/t1 HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// What one round trip gave.
struct trip {
    bool completed = false; ///< false: still waiting (a stall)
    boost::system::error_code ec;
    http::response res;
    http::round_trip_result rt;
    int interim = 0;
    bool switching = false;
};

class bed {
public:
    boost::asio::io_context ioc{1};
    test_stream s{ioc.get_executor()};
    boost::beast::flat_buffer buf; ///< the connection's read buffer, kept between trips
    std::unique_ptr<boost::asio::ssl::context> ctx;
    std::optional<http::tls_engine> engine;
    std::optional<tls_peer> peer;

    /// TLS from here on: a client engine that trusts the test CA and
    /// expects "localhost", and a server behind the stream.
    void use_tls(tls_peer::options o = {}, const std::string& ca_pem = test_tls_material().ca_pem)
    {
        tls_options to;
        to.ca_pem = ca_pem;
        to.session_resumption = false;
        ctx = http::make_client_context(to, nullptr);
        engine.emplace(*ctx);
        http::endpoint ep;
        ep.host = "localhost";
        REQUIRE(!http::prepare_connection(*engine, ep, true, nullptr));
        peer.emplace(s, o);
    }

    /// The client handshake; returns its error.
    boost::system::error_code handshake()
    {
        boost::system::error_code out = boost::asio::error::would_block;
        http::async_tls_handshake(s, *engine, [&](boost::system::error_code ec) { out = ec; });
        settle();
        return out;
    }

    /// A TLS connection, handshake done.
    void connect_tls(tls_peer::options o = {})
    {
        use_tls(o);
        REQUIRE(!handshake());
        REQUIRE(peer->handshake_done);
    }

    /// One round trip of `wire`; runs until it completes or waits for input.
    trip round_trip(std::string_view wire = get_request)
    {
        auto t = std::make_shared<trip>();
        auto reader = std::make_shared<http::response_reader>(t->res, 1 << 20);
        auto w = std::make_shared<std::string>(wire); // outlives a stalled trip
        http::async_round_trip(s, engine ? &*engine : nullptr, buf, *w, *reader, t->rt,
                               [t, reader, w](boost::system::error_code ec) {
                                   t->completed = true;
                                   t->ec = ec;
                                   t->interim = reader->interim_responses();
                                   t->switching = reader->switching_protocols();
                               });
        settle();
        last_ = t;
        return *t;
    }
    /// The last round trip, as it stands now (after more was delivered).
    trip last()
    {
        settle();
        return *last_;
    }

    /// Runs what is ready, until nothing is.
    void settle()
    {
        ioc.restart();
        while (ioc.poll() > 0) {
        }
    }

private:
    std::shared_ptr<trip> last_;
};

} // namespace handinger::test
