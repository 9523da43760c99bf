// Internal to src/http: a pooled connection and the pool. Includes Asio.SSL
// and Beast; never include it outside src/http.
#pragma once

#include "http/tls_engine.hpp"
#include "http/transport.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

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

/// The deadlines of every exchange of a transport, kept by one timer.
///
/// A per-exchange timer would cost a timer insertion and a cancellation per
/// request, and Asio wakes its reactor for each new earliest deadline. Here
/// an exchange adds its deadline to an ordered set: under load the new
/// deadline is never the earliest, so no timer work happens per request.
/// When the set empties the timer is cancelled, so an idle client keeps no
/// work pending in the io_context. Expiry closes the connection on the
/// holder's strand (connection::expire).
class deadline_keeper : public std::enable_shared_from_this<deadline_keeper> {
public:
    explicit deadline_keeper(asio::any_io_executor ex) : timer_(std::move(ex)) {}

    struct ticket {
        clock::time_point when;
        std::uint64_t id = 0;
        friend auto operator<=>(const ticket&, const ticket&) = default;
    };

    /// Closes `c` at `when` unless remove()d first; `strand` is the holder's.
    ticket add(clock::time_point when, const connection_ptr& c, const asio::any_io_executor& strand);
    /// Forgets a deadline (no effect if it already expired).
    void remove(const ticket& t);

private:
    struct entry {
        connection_ptr conn;
        asio::any_io_executor strand;
        std::uint64_t generation;
    };
    void arm_locked();
    void on_timer();

    std::mutex mu_;
    asio::steady_timer timer_;
    std::map<ticket, entry> entries_;
    clock::time_point armed_ = clock::time_point::max();
    std::uint64_t next_id_ = 0;
};

/// RAII for one deadline of one exchange.
class deadline_guard {
public:
    deadline_guard(deadline_keeper& k, clock::time_point when, const connection_ptr& c,
                   const asio::any_io_executor& strand)
        : keeper_(k), conn_(c), ticket_(k.add(when, c, strand))
    {}
    ~deadline_guard()
    {
        keeper_.remove(ticket_);
        conn_->end_deadline();
    }
    deadline_guard(const deadline_guard&) = delete;
    deadline_guard& operator=(const deadline_guard&) = delete;

private:
    deadline_keeper& keeper_;
    connection_ptr conn_;
    deadline_keeper::ticket ticket_;
};

/// The pool's bookkeeping: idle connections (LIFO), a count of open ones, a
/// FIFO of waiters. A release hands the connection (or the right to open
/// one) straight to the oldest waiter, so waiters are served in order.
class pool : public std::enable_shared_from_this<pool> {
public:
    pool(asio::any_io_executor ex, std::size_t size, std::chrono::milliseconds idle_timeout);

    struct grant {
        connection_ptr conn;          ///< an idle connection to reuse, or null:
        bool may_open = false;        ///< ... the right to open a new one
        boost::system::error_code ec; ///< timeout / cancelled when neither
    };

    /// Waits (FIFO) until a connection or an opening slot is available, or
    /// `deadline`, or cancellation. Runs on the caller's strand.
    asio::awaitable<grant> acquire(clock::time_point deadline, bool force_new);
    /// acquire() when it needs no waiting (an idle connection, a free slot,
    /// or the pool shut), without a coroutine; else nothing.
    std::optional<grant> try_acquire(bool force_new);

    /// Returns a lent connection; `reusable` false closes it. Either way the
    /// first waiter, if any, is served.
    void release(connection_ptr c, bool reusable);
    /// Gives back an opening slot that was not used (connect failed).
    void release_slot();

    void shutdown();
    void close_idle();
    /// Also closes expired idle connections, so the figures are current.
    void stats(transport_stats& s);

private:
    struct waiter {
        explicit waiter(const asio::any_io_executor& ex) : timer(ex) {}
        asio::steady_timer timer;
        bool force_new = false;
        bool done = false;
        grant g;
    };

    // What acquire() grants without waiting, when it can. Lock held.
    bool grant_now_locked(bool force_new, grant& g, std::vector<connection_ptr>& to_close);
    // Takes a usable idle connection (closing stale ones). Lock held.
    connection_ptr take_idle_locked(clock::time_point now, std::vector<connection_ptr>& to_close);
    // Hands the slot / connection to the first waiter. Lock held. Returns the
    // waiter to wake (outside the lock), or null.
    std::shared_ptr<waiter> serve_waiter_locked(connection_ptr& c, std::vector<connection_ptr>& to_close);
    void wake(const std::shared_ptr<waiter>& w);
    // Closes idle connections past the idle timeout. Lock held. There is no
    // sweeper timer on purpose: a pending timer would keep io_context::run()
    // from returning after the caller's work is done. Expired connections are
    // closed on the next acquire or release, by close_idle(), or at shutdown.
    void expire_locked(clock::time_point now, std::vector<connection_ptr>& to_close);

    asio::any_io_executor ex_;
    const std::size_t size_;
    const std::chrono::milliseconds idle_timeout_;
    std::mutex mu_;
    std::vector<connection_ptr> idle_; // back = most recently used
    std::size_t open_ = 0;             // lent + idle + being opened
    std::size_t peak_ = 0;             // the most open_ has been
    std::size_t peak_waiting_ = 0;     // the most waiters_ has held
    std::deque<std::shared_ptr<waiter>> waiters_;
    bool shut_ = false;
};

} // namespace handinger::detail::http
