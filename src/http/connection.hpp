// Internal to src/http: one pooled connection (socket, TLS engine, read
// buffer). Includes Asio.SSL and Beast; never include it outside src/http.
#pragma once

#include "http/tls_engine.hpp"
#include "http/transport.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace handinger::detail::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

/// One connection: the socket, its TLS engine (for https), and its read
/// buffer.
///
/// Owned by the pool while idle and by one exchange while lent; only the
/// holder touches it. A deadline (deadline_keeper) closes it on the holder's
/// strand, and only while `generation_` still names the holder's deadline, so
/// a late expiry meant for an earlier holder does nothing.
class connection : public std::enable_shared_from_this<connection> {
public:
    connection(asio::any_io_executor ex, asio::ssl::context* tls_ctx);

    tcp::socket& socket() noexcept { return socket_; }
    tls_engine* tls() noexcept { return tls_ ? &*tls_ : nullptr; }
    boost::beast::flat_buffer& buffer() noexcept { return buffer_; }
    /// The request being sent, kept between requests for its capacity.
    std::string& wire() noexcept { return wire_; }

    /// Starts a deadline: clears timed_out() and returns its generation.
    std::uint64_t begin_deadline() noexcept
    {
        timed_out_ = false;
        return ++generation_;
    }
    /// Ends it: an expiry already queued becomes a no-op; timed_out() stays.
    void end_deadline() noexcept { ++generation_; }
    /// The deadline of generation `gen` passed: close, if it is still current.
    /// Runs on the holder's strand.
    void expire(std::uint64_t gen) noexcept
    {
        if (generation_.load() != gen)
            return;
        timed_out_ = true;
        close();
    }
    bool timed_out() const noexcept { return timed_out_; }

    /// Closes the socket (no TLS close_notify: the connection is dropped).
    void close() noexcept;
    bool is_open() noexcept { return socket_.is_open(); }
    /// Whether an idle keep-alive connection can carry a request: open, and
    /// nothing received at any layer (socket, TLS input, OpenSSL's records)
    /// that no request asked for. Post-handshake TLS messages (tickets, a
    /// KeyUpdate) that arrived while idle are taken and do not count.
    bool idle_clean() noexcept;

    clock::time_point idle_since{};
    bool resumed = false; ///< TLS session was resumed
    bool leads =
        false; ///< its handshake leads the others' (session_store::gate::lead), until its first answer

private:
    tcp::socket socket_;
    std::optional<tls_engine> tls_;
    boost::beast::flat_buffer buffer_;
    std::string wire_;
    std::atomic<std::uint64_t> generation_{0};
    bool timed_out_ = false;
};

using connection_ptr = std::shared_ptr<connection>;

} // namespace handinger::detail::http
