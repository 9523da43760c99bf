// A webhook receiver for the client tests: a plain-HTTP server on loopback,
// on the test's own io_context, that reads each delivery with
// read_webhook_delivery, calls a handler (which may notify a client) and
// answers a chosen status, with `Connection: close`. A delivery counts as
// `complete` once the simulator has closed its connection after the answer:
// the simulator records the execution before it closes, so the execution is
// then listed.
#pragma once

#include <handinger/webhook_delivery.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace test_support {

class hook_receiver {
public:
    /// One delivery as received.
    struct delivery {
        std::string token, body, content_type, target;
        boost::system::error_code ec; ///< read_webhook_delivery's verdict
        handinger::webhook_delivery d;
    };

    explicit hook_receiver(boost::asio::io_context& ioc)
        : ioc_(ioc), acceptor_(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0}), signal_(ioc)
    {
        boost::asio::co_spawn(ioc, accept_loop(), boost::asio::detached);
    }
    ~hook_receiver() { *alive_ = false; }

    std::string url(std::string_view path = "/hook") const
    {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + std::string(path);
    }

    std::string expected_token; ///< what read_webhook_delivery checks against
    int answer_status = 200;
    /// Called for each delivery that read_webhook_delivery accepted.
    std::function<void(const handinger::webhook_delivery&)> on_delivery;

    const std::vector<delivery>& received() const { return received_; }
    int complete() const { return complete_; }

    /// Waits until `n` deliveries are complete, at most `limit`; false when
    /// the limit came first.
    boost::asio::awaitable<bool> wait_complete(int n,
                                               std::chrono::milliseconds limit = std::chrono::seconds(10))
    {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (complete_ < n) {
            if (std::chrono::steady_clock::now() >= deadline)
                co_return false;
            signal_.expires_at(deadline);
            co_await signal_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable)); // cancelled: news
        }
        co_return true;
    }

private:
    boost::asio::awaitable<void> accept_loop()
    {
        auto alive = alive_;
        for (;;) {
            auto [ec, sock] =
                co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
            if (ec || !*alive)
                co_return;
            boost::asio::co_spawn(ioc_, serve(std::move(sock), alive), boost::asio::detached);
        }
    }

    boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket sock, std::shared_ptr<bool> alive)
    {
        namespace http = boost::beast::http;
        constexpr auto tup = boost::asio::as_tuple(boost::asio::use_awaitable);
        boost::beast::tcp_stream stream(std::move(sock));
        boost::beast::flat_buffer buf;
        int answered = 0;
        for (;;) {
            stream.expires_after(std::chrono::seconds(10));
            http::request<http::string_body> req;
            auto [ec, n] = co_await http::async_read(stream, buf, req, tup);
            if (!*alive)
                co_return;
            if (ec) { // the simulator closed the connection: its record is made
                if (ec == http::error::end_of_stream && answered > 0) {
                    complete_ += answered;
                    signal_.cancel();
                }
                co_return;
            }
            delivery d;
            d.token = std::string(req[handinger::webhook_token_header]);
            d.body = req.body();
            d.content_type = std::string(req[http::field::content_type]);
            d.target = std::string(req.target());
            d.d = handinger::read_webhook_delivery(expected_token, d.token, d.body, d.ec);
            const bool ok = !d.ec;
            received_.push_back(d);
            if (ok && on_delivery)
                on_delivery(d.d);
            http::response<http::string_body> res{static_cast<http::status>(ok ? answer_status : 401), 11};
            res.body() = ok ? "{}" : "{\"error\":\"bad token\"}";
            res.prepare_payload();
            res.keep_alive(false); // so the simulator closes once it has recorded the execution
            auto [wec, wn] = co_await http::async_write(stream, res, tup);
            if (wec || !*alive)
                co_return;
            ++answered;
        }
    }

    boost::asio::io_context& ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer signal_;
    std::vector<delivery> received_;
    int complete_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace test_support
