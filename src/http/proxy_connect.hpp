// Internal to src/http: asks an HTTP proxy for a tunnel (CONNECT) over a
// connected stream: a TCP socket, or in the tests a scripted stream. The
// answer is read by Beast's parser; what it means is http/proxy.hpp's.
#pragma once

#include "http/proxy.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace handinger::detail::http {

/// What a CONNECT produced.
struct connect_result {
    /// An I/O or parse error (Asio's or Beast's codes): no complete answer
    /// header arrived. `status` is 0 then.
    boost::system::error_code ec;
    bool sent = false; ///< the whole request was written (else `ec` is the write's)
    int status = 0;    ///< the proxy's status
    std::string reason;
    /// Bytes that came behind the answer's header. After a 2xx there must be
    /// none: the tunnel's first bytes are the service's answer to the TLS
    /// ClientHello, which is not sent yet. (After a refusal, its body.)
    std::size_t extra = 0;
};

/// Largest answer header taken from a proxy.
inline constexpr std::size_t max_connect_header = 16 * 1024;

/// Writes `request` (connect_request()) to `s` and reads the proxy's answer
/// header through `buf` (empty before, left empty on success). A 2xx answer
/// ends at its header, whatever Content-Length or Transfer-Encoding it
/// shows (RFC 9110, 9.3.6); the body of a refusal is not read.
template <class Stream>
boost::asio::awaitable<connect_result> async_proxy_connect(Stream& s, boost::beast::flat_buffer& buf,
                                                           std::string_view request)
{
    namespace asio = boost::asio;
    namespace bhttp = boost::beast::http;
    connect_result r;
    auto out = asio::buffer(request.data(), request.size());
    auto token = asio::redirect_error(asio::use_awaitable, r.ec);
    co_await asio::async_write(s, out, token);
    if (r.ec)
        co_return r;
    r.sent = true;
    bhttp::response_parser<bhttp::empty_body> p;
    p.header_limit(static_cast<std::uint32_t>(max_connect_header));
    p.skip(true); // a CONNECT's answer: no body is read
    auto read_token = asio::redirect_error(asio::use_awaitable, r.ec);
    co_await bhttp::async_read_header(s, buf, p, read_token);
    if (r.ec)
        co_return r;
    r.status = p.get().result_int();
    r.reason = std::string(p.get().reason());
    r.extra = buf.size();
    buf.consume(buf.size());
    co_return r;
}

} // namespace handinger::detail::http
