// The simulator's /_sim/stats, read over HTTPS (or plain HTTP) with Beast:
// the only part of bench_batch that speaks HTTP itself.
#include "bench_batch.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/parse.hpp>

#include <exception>
#include <stdexcept>

namespace bench::batch {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

template <class Stream>
asio::awaitable<std::string> exchange(Stream& s, const std::string& host, http::verb verb,
                                      const std::string& target)
{
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, host);
    req.set(http::field::connection, "close");
    req.prepare_payload();
    co_await http::async_write(s, req, asio::use_awaitable);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    co_await http::async_read(s, buf, res, asio::use_awaitable);
    co_return res.body();
}

// One request to a simulator's control endpoint; throws on failure. Bounded: 10 s.
json::object sim_call(const std::string& base, const std::string& ca, http::verb verb,
                      const std::string& target)
{
    const bool tls = base.rfind("https://", 0) == 0;
    auto hostport = base.substr(tls ? 8 : 7);
    hostport = hostport.substr(0, hostport.find('/'));
    const auto colon = hostport.rfind(':');
    const auto host = hostport.substr(0, colon);
    const auto port = static_cast<unsigned short>(std::stoi(hostport.substr(colon + 1)));
    asio::io_context ioc;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    std::string body;
    std::exception_ptr err;
    auto op = [&]() -> asio::awaitable<void> {
        const asio::ip::tcp::endpoint ep(asio::ip::make_address(host), port);
        if (tls) {
            ctx.load_verify_file(ca);
            ctx.set_verify_mode(asio::ssl::verify_peer);
            beast::ssl_stream<beast::tcp_stream> s(ioc, ctx);
            beast::get_lowest_layer(s).expires_after(5s);
            co_await beast::get_lowest_layer(s).async_connect(ep, asio::use_awaitable);
            co_await s.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
            body = co_await exchange(s, hostport, verb, target);
        } else {
            beast::tcp_stream s(ioc);
            s.expires_after(5s);
            co_await s.async_connect(ep, asio::use_awaitable);
            body = co_await exchange(s, hostport, verb, target);
        }
    };
    asio::co_spawn(ioc, op(), [&](std::exception_ptr e) { err = e; });
    ioc.run_for(10s);
    if (err)
        std::rethrow_exception(err);
    if (body.empty())
        throw std::runtime_error("no answer from " + base + target);
    return json::parse(body).as_object();
}

} // namespace

json::object sim_stats(const std::string& base, const std::string& ca)
{
    return sim_call(base, ca, http::verb::get, "/_sim/stats");
}

long long counter(const json::object& o, const char* name)
{
    auto it = o.find(name);
    return it != o.end() && it->value().is_int64() ? it->value().as_int64() : 0;
}

} // namespace bench::batch
