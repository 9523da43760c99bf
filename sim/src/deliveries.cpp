// The webhook delivery engine: one loop sleeping until the next delivery
// is due (woken when an earlier one is scheduled), and one coroutine per
// delivery: plain HTTP/1.1 to a loopback address, bounded by
// options::webhook_timeout, on a connection kept alive from an earlier
// delivery to the same address when there is one.
#include "deliveries.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <tuple>

namespace handinger::sim::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_answer = 64 * 1024; // what is read of an endpoint's answer

// Where a URL's delivery goes: a loopback endpoint and the request target;
// else `error` says why the simulator does not send it.
struct destination {
    tcp::endpoint ep;
    std::string host, target, error;
};

destination resolve(std::string_view url)
{
    destination d;
    auto u = boost::urls::parse_uri(url);
    if (!u || u->scheme_id() != boost::urls::scheme::http) {
        d.error = "not sent: the simulator delivers over plain http:// only";
        return d;
    }
    boost::system::error_code ec;
    asio::ip::address addr;
    if (u->host_type() == boost::urls::host_type::ipv4 || u->host_type() == boost::urls::host_type::ipv6)
        addr = asio::ip::make_address(std::string(u->host_address()), ec);
    else if (u->host_type() == boost::urls::host_type::name && u->encoded_host() == "localhost")
        addr = asio::ip::address_v4::loopback();
    else
        ec = asio::error::host_not_found;
    if (ec || !addr.is_loopback()) {
        d.error = "not sent: the simulator delivers to loopback addresses only";
        return d;
    }
    unsigned short port = 80;
    if (u->has_port()) {
        if (u->port_number() == 0) {
            d.error = "not sent: no port";
            return d;
        }
        port = u->port_number();
    }
    d.ep = tcp::endpoint(addr, port);
    d.host = std::string(u->encoded_host_and_port());
    d.target = std::string(u->encoded_target());
    if (d.target.empty())
        d.target = "/";
    return d;
}

} // namespace

void delivery_engine::start(asio::io_context& ioc)
{
    ioc_ = &ioc;
    strand_ = asio::make_strand(ioc);
    svc_.set_wake([this] {
        asio::post(strand_, [this] {
            if (timer_)
                timer_->cancel();
        });
    });
    asio::co_spawn(strand_, loop(), asio::detached);
}

void delivery_engine::stop()
{
    svc_.set_wake(nullptr);
    std::lock_guard lk(idle_mu_);
    stopped_ = true;
    idle_.clear(); // (while their io_context still lives)
}

void delivery_engine::release()
{
    strand_ = {};
    ioc_ = nullptr;
}

asio::awaitable<void> delivery_engine::loop()
{
    asio::steady_timer timer(strand_);
    timer_ = &timer;
    std::vector<delivery_job> due;
    for (;;) {
        due.clear();
        const auto next = svc_.take_due(unix_now_ms(), due);
        for (auto& job : due)
            asio::co_spawn(asio::make_strand(*ioc_), deliver(std::move(job)), asio::detached);
        // (The clocks differ: the steady one waits, the system one says when.)
        if (next)
            timer.expires_after(std::chrono::milliseconds(std::max<std::int64_t>(0, *next - unix_now_ms())));
        else
            timer.expires_after(std::chrono::hours(24));
        co_await timer.async_wait(use_tuple); // cancelled: something earlier was scheduled
    }
}

asio::awaitable<void> delivery_engine::deliver(delivery_job job)
{
    delivery_outcome out;
    out.started_ms = unix_now_ms();
    const destination d = resolve(job.url);
    if (!d.error.empty()) {
        out.error = d.error;
        out.ended_ms = unix_now_ms();
        svc_.record_delivery(job, out);
        co_return;
    }
    auto describe = [&](const char* stage, boost::system::error_code ec) {
        if (ec == beast::error::timeout)
            return std::string("timed out after ") + std::to_string(opts_.webhook_timeout.count()) + " ms";
        return std::string(stage) + ": " + ec.message();
    };
    http::request<http::string_body> req{http::verb::post, d.target, 11};
    req.set(http::field::host, d.host);
    req.set(http::field::user_agent, "handinger-sim");
    req.set(http::field::content_type, "application/json");
    req.set("X-Handinger-Token", job.token);
    req.body() = job.body;
    req.prepare_payload();
    // A kept-alive connection first; when the receiver had closed it (no
    // answer at all on it), the same attempt once more on a new one.
    for (bool fresh = false;; fresh = true) {
        std::optional<tcp::socket> kept = fresh ? std::nullopt : take_idle(d.ep);
        const bool reused = kept.has_value();
        std::optional<beast::tcp_stream> stream;
        if (reused)
            stream.emplace(std::move(*kept));
        else
            stream.emplace(co_await asio::this_coro::executor);
        stream->expires_after(opts_.webhook_timeout);
        boost::system::error_code ec;
        if (!reused) {
            std::tie(ec) = co_await stream->async_connect(d.ep, use_tuple);
            if (ec) {
                out.error = describe("connect", ec);
                break;
            }
        }
        std::size_t n = 0;
        std::tie(ec, n) = co_await http::async_write(*stream, req, use_tuple);
        beast::flat_buffer buf;
        http::response_parser<http::string_body> parser;
        parser.body_limit(max_answer);
        if (!ec)
            std::tie(ec, n) = co_await http::async_read(*stream, buf, parser, use_tuple);
        if (ec && reused && !parser.got_some() && ec != beast::error::timeout)
            continue; // a stale kept-alive connection
        if (ec) {
            out.error = describe(parser.got_some() ? "answer" : "send", ec);
            break;
        }
        out.status = parser.get().result_int();
        out.ended_ms = unix_now_ms();
        // Recorded before the connection is kept or closed: a receiver that
        // answers `Connection: close` and reads on to the close then knows
        // the execution is listed.
        svc_.record_delivery(job, out);
        if (parser.keep_alive() && buf.size() == 0)
            give_back(d.ep, stream->release_socket());
        else
            stream->socket().shutdown(tcp::socket::shutdown_both, ec);
        co_return;
    }
    out.ended_ms = unix_now_ms();
    svc_.record_delivery(job, out);
}

std::optional<tcp::socket> delivery_engine::take_idle(const tcp::endpoint& ep)
{
    std::lock_guard lk(idle_mu_);
    auto it = idle_.find(ep);
    const auto now = unix_now_ms();
    while (it != idle_.end() && !it->second.empty()) {
        idle_socket c = std::move(it->second.back());
        it->second.pop_back();
        if (now - c.since_ms < max_idle_ms) // (older ones the receiver may have closed)
            return std::move(c.socket);
    }
    return std::nullopt;
}

void delivery_engine::give_back(const tcp::endpoint& ep, tcp::socket s)
{
    std::lock_guard lk(idle_mu_);
    auto& kept = idle_[ep];
    if (!stopped_ && kept.size() < max_idle_per_endpoint)
        kept.push_back(idle_socket{std::move(s), unix_now_ms()});
}

} // namespace handinger::sim::detail
