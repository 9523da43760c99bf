// Internal to src/http: the state behind a transport. transport.cpp holds
// its exchanges; transport_open.cpp how a new connection is opened (resolve,
// connect, the proxy's tunnel, the TLS handshake). Includes Asio.SSL.
#pragma once

#include "http/connection.hpp"
#include "http/deadline_keeper.hpp"
#include "http/pool.hpp"
#include "http/request_writer.hpp"
#include "http/tls.hpp"
#include "http/transport.hpp"
#include "util/text.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace handinger::detail::http {

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
        if (opts_.proxy) {
            tunnel_to_ = connect_authority(ep_.host, ep_.port);
            // The CONNECT carries the same User-Agent as the requests in the
            // tunnel (none when the built-in headers have none).
            std::string_view user_agent;
            for (const auto& [name, value] : opts_.builtin_headers)
                if (iequals(name, "User-Agent"))
                    user_agent = value;
            connect_request_ = connect_request(tunnel_to_, *opts_.proxy, user_agent);
        }
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
        boost::system::error_code ec;
        std::vector<tcp::endpoint> endpoints;
    };
    // The addresses of the host connected to (the proxy's, with one): a
    // literal address as it is; names cached 60 s.
    asio::awaitable<resolved> resolve();
    struct opened {
        boost::system::error_code ec;
        stage failed_at = stage::connect; // where `ec` happened
        // The proxy's answer said no: `ec` is a handinger::error already,
        // and this says why.
        std::string refusal;
    };
    // Connects `c`, through the proxy's tunnel with one, and over TLS makes
    // its handshake.
    asio::awaitable<opened> open(connection& c, clock::time_point deadline);
    // The tunnel through the proxy, over `c` connected to it.
    asio::awaitable<opened> tunnel(connection& c);
    // How a stage is named in messages: "connect to proxy 127.0.0.1:8888",
    // "CONNECT through proxy ... to host:443", else to_string(st).
    std::string where(stage st) const;
    void classify(exchange_result& out, stage st, const boost::system::error_code& ec, connection& c,
                  bool cancelled);

    asio::any_io_executor ex_;
    endpoint ep_;
    std::string authorization_;
    std::string fixed_headers_; // Host, User-Agent, Accept, Authorization lines
    transport_options opts_;
    std::string tunnel_to_;       // with a proxy: "host:port" of the service
    std::string connect_request_; // with a proxy: the CONNECT request's bytes
    session_store sessions_;
    std::unique_ptr<asio::ssl::context> ctx_;
    std::shared_ptr<pool> pool_;
    std::shared_ptr<deadline_keeper> deadlines_;

    std::mutex resolve_mu_;
    std::vector<tcp::endpoint> resolved_;
    clock::time_point resolved_at_{};

    std::atomic<std::uint64_t> created_{0}, resumed_{0}, exchanges_{0};
};

} // namespace handinger::detail::http
