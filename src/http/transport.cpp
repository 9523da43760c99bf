#include "http/transport.hpp"

#include "http/round_trip.hpp"
#include "http/transport_impl.hpp"

#include <handinger/error.hpp>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>

namespace handinger::detail::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

const char* to_string(stage s) noexcept
{
    switch (s) {
    case stage::none: return "none";
    case stage::pool: return "waiting for a connection";
    case stage::connect: return "connect";
    case stage::proxy: return "proxy CONNECT";
    case stage::tls: return "TLS handshake";
    case stage::send: return "send";
    case stage::receive: return "receive";
    }
    return "?";
}

namespace {

bool peer_closed_error(const error_code& ec)
{
    namespace ae = asio::error;
    return ec == ae::eof || ec == ae::connection_reset || ec == ae::broken_pipe ||
           ec == ae::connection_aborted || ec == asio::ssl::error::stream_truncated ||
           ec == bhttp::error::end_of_stream;
}

} // namespace

void transport_impl::classify(exchange_result& out, stage st, const error_code& ec, connection& c,
                              bool cancelled)
{
    out.failed_at = st;
    if (cancelled) {
        out.ec = error::cancelled;
        out.detail = where(st) + ": cancelled";
        return;
    }
    if (c.timed_out()) {
        out.ec = error::timeout;
        out.detail = where(st) + ": timed out";
        return;
    }
    out.detail = where(st) + ": " + ec.message();
    if (st == stage::tls) {
        if (auto* t = c.tls()) {
            auto v = verify_failure(*t);
            if (!v.empty()) {
                out.ec = error::tls_verification;
                out.detail = "TLS handshake: certificate verification failed: " + v;
                return;
            }
        }
        if (ec.category() == asio::error::get_ssl_category() && ec != asio::ssl::error::stream_truncated) {
            out.ec = error::tls;
            return;
        }
    }
    if (ec == bhttp::error::body_limit) {
        out.ec = error::invalid_response;
        out.detail = "receive: response body over " + std::to_string(opts_.max_body_size) + " bytes";
        return;
    }
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
        out.ec = error::invalid_response;
        return;
    }
    out.peer_closed = peer_closed_error(ec);
    out.ec = error::connection;
}

asio::awaitable<exchange_result> transport_impl::exchange(const request& req, clock::time_point deadline,
                                                          bool force_new)
{
    auto self = shared_from_this(); // the pool and context outlive this exchange
    auto strand = co_await asio::this_coro::executor;
    auto cs = co_await asio::this_coro::cancellation_state;
    exchange_result out;
    exchanges_.fetch_add(1, std::memory_order_relaxed);

    lease l(pool_);
    pool::grant g;
    if (auto fast = pool_->try_acquire(force_new)) // most calls: an idle connection, no coroutine
        g = std::move(*fast);
    else
        g = co_await pool_->acquire(deadline, force_new);
    if (g.ec) {
        out.failed_at = stage::pool;
        bool cancelled =
            cs.cancelled() != asio::cancellation_type::none || g.ec == asio::error::operation_aborted;
        out.ec = cancelled ? error::cancelled : error::timeout;
        out.detail = cancelled ? "cancelled while waiting for a connection"
                               : "timed out waiting for a pooled connection";
        co_return out;
    }
    error_code ec;
    // A leading handshake's end (failed, or its first exchange answered)
    // lets the connections waiting for its session go, on every path.
    struct lead_end {
        session_store& store;
        connection* c = nullptr;
        void done(bool answered)
        {
            if (c && c->leads) {
                c->leads = false;
                store.lead_done(answered);
            }
            c = nullptr; // (the lease may let go of the connection next)
        }
        ~lead_end() { done(false); }
    } lead{sessions_};
    if (g.conn) {
        l.hold(std::move(g.conn));
        out.reused = true;
    } else {
        l.hold_slot();
        l.hold(std::make_shared<connection>(ex_, ctx_.get()));
        auto& c = *l.conn();
        lead.c = &c;
        opened o;
        {
            auto connect_deadline = std::min(deadline, clock::now() + opts_.connect_timeout);
            deadline_guard dg(*deadlines_, connect_deadline, l.conn(), strand);
            o = co_await open(c, connect_deadline);
            ec = o.ec;
            out.failed_at = o.failed_at;
        }
        if (!ec && c.timed_out()) {
            // The deadline fired as the handshake completed: it closed the
            // socket, and the next guard would forget that it did.
            ec = asio::error::timed_out;
            out.failed_at = c.tls() ? stage::tls : opts_.proxy ? stage::proxy : stage::connect;
        }
        if (ec && !o.refusal.empty()) { // the proxy's no (a handinger::error already)
            out.ec = ec;
            out.detail = std::move(o.refusal);
            co_return out;
        }
        if (ec) {
            classify(out, out.failed_at, ec, c, cs.cancelled() != asio::cancellation_type::none);
            co_return out; // the lease closes the connection and passes its slot on
        }
    }

    auto& c = *l.conn();
    round_trip_result rt;
    bool switching = false;
    {
        deadline_guard dg(*deadlines_, deadline, l.conn(), strand);
        std::string& wire = c.wire(); // reused: no allocation per request
        write_request(req, fixed_headers_, wire);
        response_reader reader(out.res, opts_.max_body_size);
        co_await async_round_trip(c.socket(), c.tls(), c.buffer(), wire, reader, rt,
                                  asio::redirect_error(asio::use_awaitable, ec));
        switching = reader.switching_protocols();
    }
    out.failed_at = rt.failed_at;
    out.maybe_delivered = rt.maybe_delivered;
    out.response_started = rt.response_started;
    lead.done(!ec);
    if (ec) {
        classify(out, out.failed_at, ec, c, cs.cancelled() != asio::cancellation_type::none);
        if (switching && out.ec == error::invalid_response)
            out.detail = "receive: a 101 Switching Protocols response, which this client never asks for";
        co_return out;
    }
    l.release(rt.reusable);
    co_return out;
}

// ---- transport ----------------------------------------------------------

transport::transport(asio::any_io_executor ex, endpoint ep, std::string authorization, transport_options opts)
    : impl_(std::make_shared<transport_impl>(std::move(ex), std::move(ep), std::move(authorization),
                                             std::move(opts)))
{}

transport::~transport()
{
    impl_->shutdown();
}

asio::awaitable<exchange_result> transport::exchange(const request& req, clock::time_point deadline,
                                                     bool force_new)
{
    return impl_->exchange(req, deadline, force_new);
}

void transport::shutdown()
{
    impl_->shutdown();
}

void transport::close_idle()
{
    impl_->close_idle();
}

transport_stats transport::stats() const
{
    return impl_->stats();
}

const endpoint& transport::target() const noexcept
{
    return impl_->target();
}

} // namespace handinger::detail::http
