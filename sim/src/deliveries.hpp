// The simulator's webhook delivery engine: POSTs the deliveries the service
// says are due (service::take_due), each on its own coroutine, and reports
// how each went (service::record_delivery). Runs on the server's
// io_context; nothing here blocks a thread.
#pragma once

#include <handinger/sim/detail/service.hpp>
#include <handinger/sim/simulator.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace handinger::sim::detail {

class delivery_engine {
public:
    /// `svc` and `opts` must outlive the engine.
    delivery_engine(service& svc, const options& opts) : svc_(svc), opts_(opts) {}

    /// Starts the engine's loop on `ioc` (once, before its threads run).
    void start(boost::asio::io_context& ioc);
    /// Stops the service from waking the engine and closes the kept-alive
    /// connections. Call before the io_context stops; the loop and the
    /// deliveries in flight end with the io_context (unrecorded).
    void stop();
    /// Lets go of the engine's strand. Call after the io_context's threads
    /// have joined and before it is destroyed: a strand that outlives its
    /// io_context touches the destroyed strand service when it goes.
    void release();

private:
    boost::asio::awaitable<void> loop();
    boost::asio::awaitable<void> deliver(delivery_job job);
    // Connections kept alive after a delivery, by address: a new delivery
    // takes the latest (none idle longer than max_idle_ms).
    std::optional<boost::asio::ip::tcp::socket> take_idle(const boost::asio::ip::tcp::endpoint& ep);
    void give_back(const boost::asio::ip::tcp::endpoint& ep, boost::asio::ip::tcp::socket s);

    struct idle_socket {
        boost::asio::ip::tcp::socket socket;
        std::int64_t since_ms = 0;
    };
    static constexpr std::int64_t max_idle_ms = 4000;
    static constexpr std::size_t max_idle_per_endpoint = 64;

    service& svc_;
    const options& opts_;
    boost::asio::io_context* ioc_ = nullptr;
    boost::asio::any_io_executor strand_;
    boost::asio::steady_timer* timer_ = nullptr; // the loop's while it runs; touched on strand_ only
    std::mutex idle_mu_;
    std::map<boost::asio::ip::tcp::endpoint, std::vector<idle_socket>> idle_;
    bool stopped_ = false; // (under idle_mu_) stop() came: keep no more
};

} // namespace handinger::sim::detail
