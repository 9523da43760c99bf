// The only TU with Beast coroutine bodies (they are slow to compile): reading
// requests, holding, cutting or dribbling responses as faults ask, closing.
#include "session.hpp"

#include <handinger/sim/detail/wire.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>

#include <chrono>
#include <optional>
#include <type_traits>

namespace handinger::sim::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto handshake_timeout = 10s;
constexpr auto write_timeout = 10s;
constexpr auto shutdown_timeout = 1s;
constexpr std::uint64_t json_body_limit = 1 << 20;

using tls_stream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

std::string_view sv(beast::string_view s)
{
    return {s.data(), s.size()};
}

// Keeps connections_open right however the coroutine ends, including being
// destroyed with the io_context at stop().
struct connection_count {
    service& svc;
    explicit connection_count(service& s) : svc(s) { svc.on_connection_open(); }
    ~connection_count() { svc.on_connection_close(); }
    connection_count(const connection_count&) = delete;
    connection_count& operator=(const connection_count&) = delete;
};

// Closes with RST instead of FIN: what a crashed peer or a load balancer
// dropping the connection looks like.
void reset(beast::tcp_stream& tcp)
{
    beast::error_code ec;
    tcp.socket().set_option(asio::socket_base::linger(true, 0), ec);
    tcp.socket().close(ec);
}

template <class Stream>
asio::awaitable<void> close_gracefully(Stream& stream)
{
    auto& tcp = beast::get_lowest_layer(stream);
    if constexpr (is_tls<Stream>) {
        // close_notify; the wait for the peer's is bounded, clients often skip it.
        tcp.expires_after(shutdown_timeout);
        co_await stream.async_shutdown(use_tuple);
    }
    beast::error_code ec;
    tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    tcp.socket().close(ec);
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d)
{
    asio::steady_timer timer(co_await asio::this_coro::executor, d);
    co_await timer.async_wait(use_tuple);
}

template <class Stream>
asio::awaitable<bool> write_bytes(Stream& stream, std::string_view bytes)
{
    auto& tcp = beast::get_lowest_layer(stream);
    tcp.expires_after(write_timeout);
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(bytes.data(), bytes.size()), use_tuple);
    tcp.expires_never();
    co_return !ec;
}

template <class Stream>
asio::awaitable<void> serve(Stream stream, session_env env)
{
    const options& opts = *env.opts;
    connection_count counted(*env.svc);
    auto& tcp = beast::get_lowest_layer(stream);

    if constexpr (is_tls<Stream>) {
        tcp.expires_after(handshake_timeout);
        auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
        if (ec)
            co_return;
        env.svc->on_handshake(SSL_session_reused(stream.native_handle()) == 1);
    }

    beast::flat_buffer buffer;
    std::string out;
    http_response res;
    std::optional<http::request_parser<http::string_body>> parser;
    for (;;) {
        if (opts.idle_close.count() > 0)
            tcp.expires_after(opts.idle_close);
        else
            tcp.expires_never();
        parser.emplace();
        parser->body_limit(boost::none); // (decided from the headers, below)
        auto [rec, rn] = co_await http::async_read_header(stream, buffer, *parser, use_tuple);
        if (rec)
            co_return; // the client left, or idle_close: close silently
        tcp.expires_never();
        // A form with files may be large (options::max_form_body); any other
        // body 1 MiB at most. No body byte is parsed yet.
        const bool form = classify_body(sv(parser->get()[http::field::content_type])).kind == body_type::form;
        const std::uint64_t limit = form ? opts.max_form_body : json_body_limit;
        if (auto length = parser->content_length(); length && *length > limit) {
            if (!form)
                co_return; // (as Beast's limit would: close)
            // The Content-Length alone says the form is too large: answer so,
            // before its body (a client that sent Expect: 100-continue
            // sends none).
            const auto& req = parser->get();
            http_request in;
            in.method = sv(req.method_string());
            in.target = sv(req.target());
            env.svc->too_large(in, limit, res);
            render_wire(out, res, wire_style{opts.http10, false, true});
            if (co_await write_bytes(stream, out))
                co_await close_gracefully(stream);
            co_return;
        }
        parser->body_limit(limit);
        if (parser->get()[http::field::expect] == "100-continue") {
            if (!co_await write_bytes(stream, "HTTP/1.1 100 Continue\r\n\r\n"))
                co_return;
        }
        if (!parser->is_done()) {
            tcp.expires_after(write_timeout);
            auto [bec, bn] = co_await http::async_read(stream, buffer, *parser, use_tuple);
            if (bec)
                co_return;
            tcp.expires_never();
        }

        const auto& req = parser->get();
        if (opts.record_headers) {
            header_list fields;
            for (const auto& f : req)
                fields.emplace_back(std::string(sv(f.name_string())), f.name() == http::field::authorization
                                                                          ? std::string("(redacted)")
                                                                          : std::string(sv(f.value())));
            env.svc->record_headers(std::move(fields));
        }
        http_request in;
        in.method = sv(req.method_string());
        in.target = sv(req.target());
        in.authorization = sv(req[http::field::authorization]);
        in.body = req.body();
        in.now_ms = unix_now_ms();
        in.content_type = sv(req[http::field::content_type]);
        env.svc->handle(in, res);

        const wire_style style{opts.http10, opts.chunked, opts.close_each || !req.keep_alive()};
        if (res.send_at_ms > in.now_ms)
            co_await sleep_for(std::chrono::milliseconds(res.send_at_ms - in.now_ms));

        switch (res.transport) {
        case fault_kind::reset:
        case fault_kind::lost: reset(tcp); co_return;
        case fault_kind::stall:
            co_await sleep_for(opts.stall);
            tcp.close();
            co_return;
        case fault_kind::truncate: {
            // Content-length promises the whole body; half of it arrives.
            wire_style cut = style;
            cut.chunked = false;
            const std::size_t head = render_wire(out, res, cut);
            const std::size_t keep = head + (out.size() - head) / 2;
            if (co_await write_bytes(stream, std::string_view(out).substr(0, keep)))
                co_await close_gracefully(stream);
            co_return;
        }
        case fault_kind::slow: {
            const std::size_t head = render_wire(out, res, style);
            if (!co_await write_bytes(stream, std::string_view(out).substr(0, head)))
                co_return;
            // About ten pieces 100 ms apart: a second for the whole body.
            const std::size_t body = out.size() - head;
            const std::size_t piece = std::max<std::size_t>(1, (body + 9) / 10);
            for (std::size_t at = head; at < out.size(); at += piece) {
                co_await sleep_for(100ms);
                if (!co_await write_bytes(stream, std::string_view(out).substr(at, piece)))
                    co_return;
            }
            break;
        }
        case fault_kind::early_hints:
            if (!co_await write_bytes(stream, "HTTP/1.1 100 Continue\r\n\r\n") ||
                !co_await write_bytes(stream, "HTTP/1.1 103 Early Hints\r\nLink: </hint.css>; rel=preload\r\n"
                                              "Retry-After: 120\r\n\r\n"))
                co_return;
            render_wire(out, res, style);
            if (!co_await write_bytes(stream, out))
                co_return;
            break;
        case fault_kind::extra_response: {
            render_wire(out, res, style);
            if (!co_await write_bytes(stream, out))
                co_return;
            // In a write (a TLS record) of its own: a server bug, or a
            // proxy's, that a client must not take for its next answer.
            static constexpr std::string_view extra = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                                                      "content-length: 20\r\n\r\n{\"unsolicited\":true}";
            if (!co_await write_bytes(stream, extra))
                co_return;
            env.svc->on_unsolicited_sent();
            break;
        }
        default:
            render_wire(out, res, style);
            if (!co_await write_bytes(stream, out))
                co_return;
        }
        if (style.close || style.http10) {
            co_await close_gracefully(stream);
            co_return;
        }
    }
}

// A coroutine's by-value parameters live in its frame, so the stream moves in
// once and stays put for the connection's life.
template <class Stream>
asio::awaitable<void> guarded(Stream stream, session_env env)
{
    try {
        co_await serve(std::move(stream), env);
    } catch (const std::exception&) {
        // A connection's failure (e.g. bad_alloc on a huge request) must not
        // take the server down; the client sees the connection close.
    }
}

} // namespace

void spawn_session(asio::ip::tcp::socket socket, const session_env& env)
{
    beast::error_code ec;
    // Without it, a keep-alive client meets Nagle + delayed ACK: 40 ms per request.
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    auto ex = socket.get_executor();
    if (env.tls) {
        tls_stream stream(beast::tcp_stream(std::move(socket)), *env.tls);
        asio::co_spawn(ex, guarded(std::move(stream), env), asio::detached);
    } else {
        asio::co_spawn(ex, guarded(beast::tcp_stream(std::move(socket)), env), asio::detached);
    }
}

} // namespace handinger::sim::detail
