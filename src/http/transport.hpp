// One HTTP/1.1 exchange with one host, over TLS or plain TCP, through a
// keep-alive connection pool. A light header: no Beast, no OpenSSL.
#pragma once

#include "http/proxy.hpp"
#include "http/url.hpp"

#include <handinger/options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace handinger::detail::http {

using clock = std::chrono::steady_clock;

struct transport_options {
    std::size_t pool_size = 64;
    std::chrono::milliseconds idle_timeout{30'000};
    std::chrono::milliseconds connect_timeout{10'000};
    std::size_t max_body_size = 16u << 20;
    tls_options tls;
    /// Every connection is a CONNECT tunnel through this proxy when set.
    std::optional<proxy_endpoint> proxy;
    /// User-Agent, Accept, X-Stainless-* (platform_headers.hpp), sent on
    /// every request unless the request's headers replace one.
    header_list builtin_headers;
};

/// One request as the caller describes it. The transport adds Host,
/// Content-Length, Content-Type (when there is a body), the built-in headers
/// (transport_options::builtin_headers, X-Stainless-Retry-Count and
/// X-Stainless-Timeout) and the authorization header.
struct request {
    std::string_view method; ///< "GET", "POST", "DELETE"
    std::string_view target; ///< origin-form, path prefix included
    std::string_view body;
    const header_list* headers = nullptr; ///< extra headers (may be null)
    int retry_count = 0;                  ///< sent as X-Stainless-Retry-Count
    std::string_view content_type;        ///< of the body; empty: application/json
    long long timeout_seconds = 0;        ///< sent as X-Stainless-Timeout when positive
    /// `headers` replace some built-in header (platform_headers.hpp:
    /// replaces_builtin); false keeps the writer on its fast path.
    bool replaces_builtin = false;
};

struct response {
    int status = 0;
    std::string body;
    std::string retry_after;
    std::string retry_after_ms;
    std::string x_should_retry;
};

/// Where an exchange was. `connect` is the TCP connect (to the proxy, with
/// one); `proxy` its CONNECT request and answer.
enum class stage { none, pool, connect, proxy, tls, send, receive };

const char* to_string(stage s) noexcept;

/// What one exchange produced.
struct exchange_result {
    /// A handinger::error for a failure; success when a complete response
    /// arrived (whatever its status).
    boost::system::error_code ec;
    std::string detail; ///< transport detail for diagnostics ("connect: Connection refused")
    stage failed_at = stage::none;
    bool reused = false;           ///< ran on a pooled connection
    bool maybe_delivered = false;  ///< some of the request may have reached the server
    bool response_started = false; ///< some bytes of a response arrived
    bool peer_closed = false;      ///< the failure was the peer closing (EOF, reset, broken pipe)
    response res;
};

struct transport_stats {
    std::size_t open = 0;         ///< connections open or being opened
    std::size_t peak_open = 0;    ///< the most `open` has been
    std::size_t idle = 0;         ///< of those, idle in the pool
    std::size_t waiting = 0;      ///< calls queued for a connection
    std::size_t peak_waiting = 0; ///< the most `waiting` has been
    std::uint64_t connections_created = 0;
    std::uint64_t tls_resumed = 0;
    std::uint64_t exchanges = 0;
};

class transport_impl;

/// A connection pool to one endpoint and the exchanges over it.
///
/// Thread safety: exchange() may be called concurrently from coroutines on
/// different strands of one multi-threaded io_context; each call must run on
/// a strand (or a single-threaded context), since its deadline timer and its
/// I/O complete on the calling coroutine's executor.
class transport {
public:
    transport(boost::asio::any_io_executor ex, endpoint ep, std::string authorization,
              transport_options opts);
    ~transport();
    transport(const transport&) = delete;
    transport& operator=(const transport&) = delete;

    /// Performs one attempt: lends (or opens) a connection, sends `req`,
    /// reads the response, returns the connection to the pool when it can be
    /// reused. Everything happens before `deadline`; `force_new` skips idle
    /// connections. Never throws for I/O errors; the result says what
    /// happened.
    boost::asio::awaitable<exchange_result> exchange(const request& req, clock::time_point deadline,
                                                     bool force_new);

    /// Closes idle connections and refuses new exchanges. Exchanges in
    /// flight finish; their connections are closed afterwards.
    void shutdown();
    /// Closes the idle connections now; the pool stays usable.
    void close_idle();

    transport_stats stats() const;
    const endpoint& target() const noexcept;

private:
    std::shared_ptr<transport_impl> impl_;
};

} // namespace handinger::detail::http
