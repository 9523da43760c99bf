#include "http/transport.hpp"

#include "http/connection.hpp"
#include "http/deadline_keeper.hpp"
#include "http/pool.hpp"
#include "http/request_writer.hpp"
#include "http/round_trip.hpp"
#include "http/tls.hpp"

#include <handinger/error.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
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

class transport_impl : public std::enable_shared_from_this<transport_impl> {
public:
    transport_impl(asio::any_io_executor ex, endpoint ep, std::string authorization, transport_options opts)
        : ex_(std::move(ex)), ep_(std::move(ep)), authorization_(std::move(authorization)),
          opts_(std::move(opts)), pool_(std::make_shared<pool>(ex_, opts_.pool_size, opts_.idle_timeout)),
          deadlines_(std::make_shared<deadline_keeper>(ex_))
    {
        if (ep_.tls)
            ctx_ = make_client_context(opts_.tls, &sessions_);
        fixed_headers_ = fixed_request_headers(ep_.host_header, opts_.builtin_headers, authorization_);
    }

    asio::awaitable<exchange_result> exchange(const request& req, clock::time_point deadline, bool force_new);
    void shutdown() { pool_->shutdown(); }
    void close_idle() { pool_->close_idle(); }
    transport_stats stats() const
    {
        transport_stats s;
        pool_->stats(s);
        s.connections_created = created_.load();
        s.tls_resumed = resumed_.load();
        s.exchanges = exchanges_.load();
        return s;
    }
    const endpoint& target() const noexcept { return ep_; }

private:
    struct resolved {
        error_code ec;
        std::vector<tcp::endpoint> endpoints;
    };
    // The host's addresses (a literal address as it is; names cached 60 s).
    asio::awaitable<resolved> resolve();
    struct opened {
        error_code ec;
        stage failed_at = stage::connect; // where `ec` happened
    };
    // Connects `c` and, over TLS, makes its handshake.
    asio::awaitable<opened> open(connection& c, clock::time_point deadline);
    void classify(exchange_result& out, stage st, const error_code& ec, connection& c, bool cancelled);

    asio::any_io_executor ex_;
    endpoint ep_;
    std::string authorization_;
    std::string fixed_headers_; // Host, the built-in headers, Authorization lines
    transport_options opts_;
    session_store sessions_;
    std::unique_ptr<asio::ssl::context> ctx_;
    std::shared_ptr<pool> pool_;
    std::shared_ptr<deadline_keeper> deadlines_;

    std::mutex resolve_mu_;
    std::vector<tcp::endpoint> resolved_;
    clock::time_point resolved_at_{};

    std::atomic<std::uint64_t> created_{0}, resumed_{0}, exchanges_{0};
};

asio::awaitable<transport_impl::resolved> transport_impl::resolve()
{
    resolved out;
    auto port = static_cast<unsigned short>(std::stoul(ep_.port));
    auto addr = asio::ip::make_address(ep_.host, out.ec);
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
    auto results = co_await resolver.async_resolve(ep_.host, ep_.port,
                                                   asio::redirect_error(asio::use_awaitable, out.ec));
    if (out.ec)
        co_return out;
    for (const auto& r : results)
        out.endpoints.push_back(r.endpoint());
    std::lock_guard lk(resolve_mu_);
    resolved_ = out.endpoints;
    resolved_at_ = clock::now();
    co_return out;
}

void transport_impl::classify(exchange_result& out, stage st, const error_code& ec, connection& c,
                              bool cancelled)
{
    out.failed_at = st;
    if (cancelled) {
        out.ec = error::cancelled;
        out.detail = std::string(to_string(st)) + ": cancelled";
        return;
    }
    if (c.timed_out()) {
        out.ec = error::timeout;
        out.detail = std::string(to_string(st)) + ": timed out";
        return;
    }
    out.detail = std::string(to_string(st)) + ": " + ec.message();
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
        {
            auto connect_deadline = std::min(deadline, clock::now() + opts_.connect_timeout);
            deadline_guard dg(*deadlines_, connect_deadline, l.conn(), strand);
            auto o = co_await open(c, connect_deadline);
            ec = o.ec;
            out.failed_at = o.failed_at;
        }
        if (!ec && c.timed_out()) {
            // The deadline fired as the handshake completed: it closed the
            // socket, and the next guard would forget that it did.
            ec = asio::error::timed_out;
            out.failed_at = c.tls() ? stage::tls : stage::connect;
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
