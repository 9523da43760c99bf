// Internal: one watcher as the library holds it: the machine that knows the
// watch (policy/watch_machine.hpp) and what its driver (watch.cpp) needs for
// I/O. Shared by the driver and the public task_watcher (task_watcher.cpp).
#pragma once

#include "core/client_impl.hpp"
#include "core/watch_hub.hpp"
#include "policy/watch_machine.hpp"

#include <handinger/watch.hpp>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace handinger::detail {

/// Everything a watcher holds. Touched only on `strand` (async_next and the
/// background POST of submit() run there; cancel() posts there), except the
/// atomics.
struct watch_state : std::enable_shared_from_this<watch_state> {
    watch_state(impl_ptr c, std::string id, const watch_options& o)
        : client(std::move(c)), task_id(std::move(id)), strand(client->strand()), machine(o), timer(strand)
    {
        if (client->hub().add_watcher(*this)) // notified of the task a moment ago
            machine.notified(std::chrono::steady_clock::now());
    }
    ~watch_state() { client->hub().remove_watcher(*this); }

    impl_ptr client;
    std::string task_id;
    boost::asio::any_io_executor strand;
    watch_machine machine; // what the watch knows, and where the pending async_next is

    // The pending async_next. It holds no coroutine while it waits: its
    // handler sits in `pending` and `timer` waits for the next poll (or, in
    // the hub's queue for a poll slot, for the watch's deadline). Only a
    // poll runs as a coroutine.
    boost::asio::steady_timer timer;
    std::atomic<bool> busy{false};                // an async_next runs (set at its initiation)
    std::atomic<std::uint64_t> next_seq{0};       // numbers the async_next calls
    std::atomic<std::uint64_t> cancel_seq{0};     // the last one the caller cancelled
    std::unique_ptr<next_op_base> pending;        // its handler
    boost::asio::cancellation_signal poll_cancel; // reaches the poll in progress
    // Ends what the poll in progress waits on (its budget's timer, a shared
    // GET, a GET in flight); empty when it waits on nothing. Called on the
    // strand.
    std::function<void()> interrupt;
    // The hub's list of this task's watchers (guarded by the hub's mutex).
    watch_state* hub_prev = nullptr;
    watch_state* hub_next = nullptr;
};

/// cancel(): the watch stops (on the watcher's strand).
void watch_stop(const watch_ptr& w);
/// client::notify_finished reached this watcher (on its strand).
void watch_notified(const watch_ptr& w);
/// submit's POST ended, with `ec` when it failed (on the watcher's strand).
void watch_submit_ended(const watch_ptr& w, boost::system::error_code ec, diagnostics diag);

} // namespace handinger::detail
