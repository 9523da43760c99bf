// Waiting that a webhook wakes: a small Beast HTTP/1.1 server (plain HTTP
// on 127.0.0.1, a free port) receives the service's deliveries, checks each
// with read_webhook_delivery and calls client::notify_finished, while
// tasks are awaited with async_wait in webhook-assisted mode: they poll
// only every 30 s (watch_options::safety_poll_interval) unless a delivery
// says their task finished, and then poll at once. The program points its
// worker's webhook at its own server through the library (in production:
// an HTTPS URL the service can reach), runs a few tasks, and exits 0 when
// each ended completed, woken by its delivery.
// Configuration from the environment (HANDINGER_API_KEY, HANDINGER_BASE_URL,
// HANDINGER_CA_FILE); ctest runs it against the simulator (run_with_sim.sh),
// which delivers webhooks to loopback over plain HTTP.
#include <handinger/client.hpp>
#include <handinger/webhook_delivery.hpp>
#include <handinger/webhooks.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <iostream>
#include <vector>

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
constexpr auto use_awaitable = asio::use_awaitable;

struct receiver_state {
    std::string token; // the worker's webhook token, once it is set
    int woken = 0;     // watchers the deliveries woke
};

// One connection: deliveries one after another, each answered at once (the
// service counts any 2xx as delivered; the work happens after).
asio::awaitable<void> serve_connection(tcp::socket sock, handinger::client& c, receiver_state& st)
{
    boost::beast::tcp_stream stream(std::move(sock));
    boost::beast::flat_buffer buf;
    for (;;) {
        stream.expires_after(std::chrono::seconds(30));
        http::request<http::string_body> req;
        auto [ec, n] = co_await http::async_read(stream, buf, req, asio::as_tuple(use_awaitable));
        if (ec)
            co_return; // the sender closed the connection (or went silent)
        boost::system::error_code bad;
        auto d =
            handinger::read_webhook_delivery(st.token, req[handinger::webhook_token_header], req.body(), bad);
        http::status status = http::status::no_content;
        if (bad) {
            std::cout << "delivery refused: " << bad.message() << "\n";
            status = http::status::unauthorized;
        } else {
            const auto woken = c.notify_finished(d.task_id); // its async_wait polls now
            st.woken += static_cast<int>(woken);
            std::cout << "delivery: " << d.task_id << " " << d.status << ", woke " << woken << "\n";
        }
        http::response<http::empty_body> res{status, req.version()};
        res.keep_alive(req.keep_alive());
        res.prepare_payload(); // (Content-Length: 0, so the sender need not wait for a close)
        co_await http::async_write(stream, res, use_awaitable);
        if (!req.keep_alive())
            co_return;
    }
}

asio::awaitable<void> serve(tcp::acceptor& acceptor, handinger::client& c, receiver_state& st)
{
    for (;;) {
        auto [ec, sock] = co_await acceptor.async_accept(asio::as_tuple(use_awaitable));
        if (ec)
            co_return; // closed: the program is done
        asio::co_spawn(acceptor.get_executor(), serve_connection(std::move(sock), c, st), asio::detached);
    }
}

asio::awaitable<int> run(handinger::client& c, tcp::acceptor& acceptor, receiver_state& st)
{
    // A worker whose webhook is this program's server.
    auto worker = co_await c.workers().async_create(handinger::create_worker_params{});
    const std::string url = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/hook";
    auto hook = co_await c.webhooks().async_update(worker.id, url);
    st.token = hook.token.value_or("");
    std::cout << "worker " << worker.id << ": deliveries to " << url << "\n";

    // A few tasks on it, each awaited without polling every few hundred ms.
    handinger::watch_options assisted;
    assisted.webhook_assisted = true;
    std::vector<std::string> ids;
    for (const char* input : {"Summarise the filings", "Draft the reply", "Check the figures"}) {
        handinger::create_task_params p;
        p.input = input;
        p.worker_id = worker.id;
        ids.push_back((co_await c.async_create(p)).task_id);
    }
    // All three awaited at once; each ends when its delivery wakes it.
    using namespace asio::experimental::awaitable_operators;
    auto [t0, t1, t2] = co_await (c.async_wait(ids[0], assisted) && c.async_wait(ids[1], assisted) &&
                                  c.async_wait(ids[2], assisted));
    int completed = 0;
    for (const auto* t : {&t0, &t1, &t2}) {
        std::cout << "task " << t->task.id << ": " << t->task.status << "\n";
        completed += t->task.status == handinger::task_status::completed;
    }
    co_await c.webhooks().async_delete(worker.id); // no more deliveries
    std::cout << completed << " of " << ids.size() << " completed, " << st.woken << " woken by a delivery\n";
    co_return completed == static_cast<int>(ids.size()) && st.woken > 0 ? 0 : 1;
}

int main()
try {
    asio::io_context ioc;
    handinger::client c(ioc); // everything from the environment
    tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    receiver_state st;
    asio::co_spawn(ioc, serve(acceptor, c, st), asio::detached);
    int rc = 1;
    std::exception_ptr failure;
    asio::co_spawn(ioc, run(c, acceptor, st), [&](std::exception_ptr e, int r) {
        failure = e;
        rc = r;
        ioc.stop(); // done: a delivery connection the service keeps open is not waited for
    });
    ioc.run();
    if (failure)
        std::rethrow_exception(failure);
    return rc;
} catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
}
