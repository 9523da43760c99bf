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
#include <boost/asio/steady_timer.hpp>

namespace handinger::sim::detail {

class delivery_engine {
public:
    /// `svc` and `opts` must outlive the engine.
    delivery_engine(service& svc, const options& opts) : svc_(svc), opts_(opts) {}

    /// Starts the engine's loop on `ioc` (once, before its threads run).
    void start(boost::asio::io_context& ioc);
    /// Stops the service from waking the engine. Call before the io_context
    /// stops; the loop and the deliveries in flight end with the io_context
    /// (unrecorded).
    void stop();

private:
    boost::asio::awaitable<void> loop();
    boost::asio::awaitable<void> deliver(delivery_job job);

    service& svc_;
    const options& opts_;
    boost::asio::io_context* ioc_ = nullptr;
    boost::asio::any_io_executor strand_;
    boost::asio::steady_timer* timer_ = nullptr; // the loop's while it runs; touched on strand_ only
};

} // namespace handinger::sim::detail
