// Internal to src/http: the deadlines of a transport's exchanges, kept by
// one timer, and the RAII guard of one deadline.
#pragma once

#include "http/connection.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

namespace handinger::detail::http {

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

} // namespace handinger::detail::http
