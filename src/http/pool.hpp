// Internal to src/http: the keep-alive connection pool's bookkeeping, and
// the lease through which an exchange holds what the pool lent it.
#pragma once

#include "http/connection.hpp"
#include "http/transport.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace handinger::detail::http {

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

/// Holds what an exchange took from the pool and gives it back on every path,
/// including the coroutine frame being destroyed while suspended.
class lease {
public:
    explicit lease(std::shared_ptr<pool> p) : pool_(std::move(p)) {}
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    ~lease()
    {
        if (conn_)
            pool_->release(std::move(conn_), false);
        else if (slot_)
            pool_->release_slot();
    }

    void hold_slot() { slot_ = true; }
    void hold(connection_ptr c) { conn_ = std::move(c); }
    connection_ptr& conn() { return conn_; }
    void release(bool reusable)
    {
        slot_ = false;
        if (conn_)
            pool_->release(std::move(conn_), reusable);
    }

private:
    std::shared_ptr<pool> pool_;
    connection_ptr conn_;
    bool slot_ = false; // an opening slot (with or without a connection yet)
};

} // namespace handinger::detail::http
