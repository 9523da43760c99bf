// How a transport opens a new connection: resolve, TCP connect, with a
// proxy its CONNECT tunnel, then over TLS the handshake (resuming a session
// when it can).
#include "http/proxy_connect.hpp"
#include "http/round_trip.hpp"
#include "http/transport_impl.hpp"

#include <handinger/error.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace handinger::detail::http {

using boost::system::error_code;

std::string transport_impl::where(stage st) const
{
    if (opts_.proxy && st == stage::connect)
        return "connect to proxy " + opts_.proxy->shown;
    if (opts_.proxy && st == stage::proxy)
        return "CONNECT through proxy " + opts_.proxy->shown + " to " + tunnel_to_;
    return to_string(st);
}

asio::awaitable<transport_impl::resolved> transport_impl::resolve()
{
    resolved out;
    const auto& host = opts_.proxy ? opts_.proxy->host : ep_.host;
    const auto& port_text = opts_.proxy ? opts_.proxy->port : ep_.port;
    auto port = static_cast<unsigned short>(std::stoul(port_text));
    auto addr = asio::ip::make_address(host, out.ec);
    if (!out.ec) {
        out.endpoints.assign(1, tcp::endpoint(addr, port));
        co_return out;
    }
    out.ec = {};
    {
        std::lock_guard lk(resolve_mu_);
        if (!resolved_.empty() && clock::now() - resolved_at_ < std::chrono::seconds(60)) {
            out.endpoints = resolved_;
            co_return out;
        }
    }
    tcp::resolver resolver(ex_);
    auto results =
        co_await resolver.async_resolve(host, port_text, asio::redirect_error(asio::use_awaitable, out.ec));
    if (out.ec)
        co_return out;
    for (const auto& r : results)
        out.endpoints.push_back(r.endpoint());
    std::lock_guard lk(resolve_mu_);
    resolved_ = out.endpoints;
    resolved_at_ = clock::now();
    co_return out;
}

asio::awaitable<transport_impl::opened> transport_impl::tunnel(connection& c)
{
    opened out;
    out.failed_at = stage::proxy;
    auto r = co_await async_proxy_connect(c.socket(), c.buffer(), connect_request_);
    if ((out.ec = r.ec))
        co_return out; // no complete answer: classify() says what it was
    const auto& proxy = *opts_.proxy;
    if (verdict_of(r.status) != connect_verdict::tunnel) {
        out.ec = refusal_error(r.status);
        out.refusal = refusal_message(proxy, tunnel_to_, r.status, r.reason);
    } else if (r.extra > 0) {
        // Nothing may come before the service's answer to the ClientHello,
        // which is not sent yet: such bytes would be taken for TLS records.
        out.ec = error::invalid_response;
        out.refusal = "proxy " + proxy.shown + " sent " + std::to_string(r.extra) + " bytes behind its " +
                      std::to_string(r.status) + " answer to CONNECT to " + tunnel_to_ +
                      ", before any byte of the service";
    }
    co_return out;
}

asio::awaitable<transport_impl::opened> transport_impl::open(connection& c, clock::time_point deadline)
{
    opened out;
    auto& ec = out.ec;
    auto eps = co_await resolve();
    if ((ec = eps.ec))
        co_return out;
    const auto connect_start = clock::now();
    for (const auto& ep : eps.endpoints) {
        c.socket().close(ec);
        c.socket().open(ep.protocol(), ec);
        if (ec)
            continue;
        c.socket().set_option(tcp::no_delay(true), ec);
        co_await c.socket().async_connect(ep, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec || c.timed_out() || ec == asio::error::operation_aborted)
            break;
    }
    if (ec)
        co_return out;
    created_.fetch_add(1, std::memory_order_relaxed);
    if (opts_.proxy) {
        auto t = co_await tunnel(c);
        if (t.ec)
            co_return t;
    }
    if (auto* t = c.tls()) {
        out.failed_at = stage::tls;
        if (opts_.tls.session_resumption) {
            auto w = std::make_shared<session_waiter>(co_await asio::this_coro::executor);
            switch (sessions_.enter(w)) {
            case session_store::gate::go: break;
            case session_store::gate::lead: c.leads = true; break;
            case session_store::gate::wait: {
                // Until the leader's session arrives, which takes about a
                // round trip and a half from here (its handshake, then the
                // ticket); this connect's time tells the round trip. Not for
                // longer than four of them and 100 ms: then a full handshake
                // (at the deadline, the deadline's close fails it).
                error_code wec;
                auto now = clock::now();
                auto give_up = now + 4 * (now - connect_start) + std::chrono::milliseconds(100);
                w->timer.expires_at(std::min(deadline, give_up));
                co_await w->timer.async_wait(asio::redirect_error(asio::use_awaitable, wec));
                if (!w->done) {
                    sessions_.leave(w);
                    if (wec == asio::error::operation_aborted) { // cancelled
                        ec = wec;
                        co_return out;
                    }
                }
                break;
            }
            }
        }
        ec = prepare_connection(*t, ep_, !opts_.tls.insecure_skip_verify,
                                opts_.tls.session_resumption ? &sessions_ : nullptr);
        if (ec)
            co_return out; // fail closed: no handshake that would not check the name
        co_await async_tls_handshake(c.socket(), *t, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec && SSL_session_reused(t->native_handle())) {
            c.resumed = true;
            resumed_.fetch_add(1, std::memory_order_relaxed);
        }
    }
    co_return out;
}

} // namespace handinger::detail::http
