// The client inside a service: a small Beast HTTP/1.1 server (plain HTTP on
// 127.0.0.1, a free port) answers GET /run?input=TEXT by submitting a task and
// streaming its events back as they happen (chunked, one line per event),
// ending with the terminal status. The same program then calls its service
// with a Beast client, prints the lines as they arrive, and exits 0 when the
// stream ended with "done completed".
// Configuration from the environment (HANDINGER_API_KEY, HANDINGER_BASE_URL,
// HANDINGER_CA_FILE); ctest runs it against the simulator (run_with_sim.sh).
#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <iostream>
#include <variant>

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
constexpr auto use_awaitable = asio::use_awaitable;

std::string describe(const handinger::watch_event& event)
{
    namespace ev = handinger::events;
    if (auto* s = std::get_if<ev::status_changed>(&event))
        return "status " + std::string(s->to.str());
    if (auto* a = std::get_if<ev::turn_added>(&event))
        return "turn " + std::to_string(a->turn.seq) + " added: " + a->turn.output_text;
    if (auto* u = std::get_if<ev::turn_updated>(&event))
        return "turn " + std::to_string(u->turn.seq) + (u->replaced ? " now: " : " + ") + u->text;
    if (auto* t = std::get_if<ev::terminal>(&event))
        return "done " + std::string(t->status.str());
    return "retrying";
}

// The service: one request on one connection, for brevity.
asio::awaitable<void> serve(tcp::acceptor& acceptor, handinger::client& c)
{
    auto sock = co_await acceptor.async_accept(use_awaitable);
    boost::beast::flat_buffer buf;
    http::request<http::string_body> req;
    co_await http::async_read(sock, buf, req, use_awaitable);
    handinger::create_task_params params;
    if (auto url = boost::urls::parse_origin_form(req.target()); url && url->path() == "/run")
        if (auto it = url->params().find("input"); it != url->params().end())
            params.input = (*it).value;
    if (params.input.empty()) {
        http::response<http::string_body> bad{http::status::bad_request, req.version(), "no input\n"};
        bad.prepare_payload();
        co_await http::async_write(sock, bad, use_awaitable);
        co_return;
    }
    http::response<http::empty_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain");
    res.chunked(true);
    http::response_serializer<http::empty_body> head{res};
    co_await http::async_write_header(sock, head, use_awaitable);
    auto w = c.submit(params);
    handinger::diagnostics diag;
    for (;;) { // each event (or the error that ended the watch) as one chunk
        auto [ec, event] = co_await w.async_next(diag, asio::as_tuple(use_awaitable));
        if (!ec && !event)
            break;
        auto line = (ec ? "error " + diag.to_string(ec) : describe(*event)) + "\n";
        co_await asio::async_write(sock, http::make_chunk(asio::buffer(line)), use_awaitable);
        if (ec)
            break;
    }
    co_await asio::async_write(sock, http::make_chunk_last(), use_awaitable);
}

// The service's caller: prints each line of the streamed body as it arrives.
asio::awaitable<void> call(tcp::endpoint service, std::string target, std::string& received)
{
    tcp::socket sock(co_await asio::this_coro::executor);
    co_await sock.async_connect(service, use_awaitable);
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    co_await http::async_write(sock, req, use_awaitable);
    boost::beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    std::size_t printed = 0;
    auto on_chunk = [&](std::uint64_t, boost::beast::string_view data, boost::beast::error_code&) {
        received.append(data.data(), data.size());
        for (std::size_t nl; (nl = received.find('\n', printed)) != std::string::npos; printed = nl + 1)
            std::cout << "caller got: " << received.substr(printed, nl + 1 - printed);
        return data.size();
    };
    parser.on_chunk_body(on_chunk);
    co_await http::async_read(sock, buf, parser, use_awaitable);
    std::cout << "caller: HTTP " << parser.get().result_int() << ", response complete\n";
}

int main()
try {
    asio::io_context ioc;
    handinger::client c(ioc); // everything from the environment
    tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    std::cout << "service on http://" << acceptor.local_endpoint() << "\n";
    std::exception_ptr failure;
    std::string received;
    auto finished = [&](std::exception_ptr e) { // either side: record its error, stop accepting
        if (e && !failure)
            failure = e;
        acceptor.close();
    };
    asio::co_spawn(ioc, serve(acceptor, c), finished);
    asio::co_spawn(ioc, call(acceptor.local_endpoint(), "/run?input=Plan%20a%20launch", received), finished);
    ioc.run();
    if (failure)
        std::rethrow_exception(failure);
    return received.ends_with("done completed\n") ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
}
