#include "server.hpp"
#include "deliveries.hpp"
#include "session.hpp"
#include "tls_cert.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <optional>
#include <thread>
#include <vector>

namespace handinger::sim::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::unique_ptr<asio::ssl::context> make_tls_context(const options& opts, const tls_material* tls)
{
    const bool files = !opts.cert_file.empty();
    if (!tls && !files)
        return nullptr;
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1);
    SSL_CTX* native = ctx->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    // Resumption both ways: a server-side session cache for TLS 1.2 session
    // ids, and tickets (on by default) for TLS 1.2/1.3.
    SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
    static constexpr unsigned char sid_ctx[] = "handinger-sim";
    SSL_CTX_set_session_id_context(native, sid_ctx, sizeof sid_ctx - 1);
    if (!opts.session_tickets) {
        SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(native, 0);
    }
    if (files) {
        ctx->use_certificate_chain_file(opts.cert_file);
        ctx->use_private_key_file(opts.key_file.empty() ? opts.cert_file : opts.key_file,
                                  asio::ssl::context::pem);
    } else {
        ctx->use_certificate_chain(asio::buffer(tls->cert_pem));
        ctx->use_private_key(asio::buffer(tls->key_pem), asio::ssl::context::pem);
    }
    return ctx;
}

} // namespace

struct server::impl {
    const options& opts;
    service& svc;
    std::unique_ptr<asio::ssl::context> tls;
    delivery_engine deliveries;
    // Declared after what the sessions use, so destroying it (which destroys
    // every suspended connection coroutine) happens while those still live.
    std::optional<asio::io_context> ioc;
    std::optional<tcp::acceptor> acceptor;
    std::vector<std::thread> threads;
    unsigned short port = 0;
    // Wakes when the next schedule is due (on a strand of its own). Reset in
    // stop() after the threads have joined, before the io_context goes.
    std::optional<asio::steady_timer> schedule_timer;

    // Starts the schedules' runs on time: sleeps until the next is due, or
    // until a new schedule (the service's listener cancels the wait).
    asio::awaitable<void> schedule_loop()
    {
        for (;;) {
            const auto next = svc.fire_due(unix_now_ms());
            // (A day at most: the wait is recomputed anyway on each new schedule.)
            std::int64_t wait_ms = 86'400'000;
            if (next)
                wait_ms = std::clamp<std::int64_t>(*next - unix_now_ms(), 0, wait_ms);
            schedule_timer->expires_after(std::chrono::milliseconds(wait_ms));
            co_await schedule_timer->async_wait(asio::as_tuple(asio::use_awaitable));
        }
    }

    asio::awaitable<void> accept_loop()
    {
        const session_env env{&opts, &svc, tls.get()};
        for (;;) {
            // With several threads each connection gets a strand: Beast's
            // tcp_stream timer and the I/O must not race.
            auto ex = opts.threads > 1 ? asio::any_io_executor(asio::make_strand(*ioc))
                                       : asio::any_io_executor(ioc->get_executor());
            auto [ec, socket] = co_await acceptor->async_accept(ex, asio::as_tuple(asio::use_awaitable));
            if (ec == asio::error::operation_aborted || !acceptor->is_open())
                co_return;
            if (ec) {
                // Out of descriptors, say: back off instead of spinning.
                asio::steady_timer t(ioc->get_executor(), std::chrono::milliseconds(50));
                co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
                continue;
            }
            spawn_session(std::move(socket), env);
        }
    }
};

server::server(const options& opts, service& svc, const tls_material* tls)
    : impl_(new impl{opts, svc, make_tls_context(opts, tls), delivery_engine(svc, opts), {}, {}, {}, 0, {}})
{}

server::~server()
{
    stop();
}

void server::start()
{
    auto& s = *impl_;
    const int threads = std::max(1, s.opts.threads);
    s.ioc.emplace(threads);
    tcp::endpoint ep(asio::ip::make_address(s.opts.host), s.opts.port);
    s.acceptor.emplace(*s.ioc);
    s.acceptor->open(ep.protocol());
    s.acceptor->set_option(asio::socket_base::reuse_address(true));
    s.acceptor->bind(ep);
    s.acceptor->listen(asio::socket_base::max_listen_connections);
    s.port = s.acceptor->local_endpoint().port();
    asio::co_spawn(*s.ioc, s.accept_loop(), asio::detached);
    s.deliveries.start(*s.ioc);
    s.schedule_timer.emplace(asio::make_strand(*s.ioc));
    asio::co_spawn(s.schedule_timer->get_executor(), s.schedule_loop(), asio::detached);
    s.svc.set_schedule_listener(
        [&s] { asio::post(s.schedule_timer->get_executor(), [&s] { s.schedule_timer->cancel(); }); });
    for (int i = 0; i < threads; ++i)
        s.threads.emplace_back([&s] { s.ioc->run(); });
}

void server::stop()
{
    auto& s = *impl_;
    if (!s.ioc)
        return;
    s.deliveries.stop(); // before the io_context goes: nothing posts to it any more
    s.svc.set_schedule_listener({});
    s.ioc->stop();
    for (auto& t : s.threads)
        t.join();
    s.threads.clear();
    s.acceptor.reset();
    s.schedule_timer.reset();
    s.deliveries.release();
    // Destroys every pending handler, hence every connection coroutine and
    // its socket: stalled and held responses included.
    s.ioc.reset();
}

unsigned short server::port() const
{
    return impl_->port;
}

} // namespace handinger::sim::detail
