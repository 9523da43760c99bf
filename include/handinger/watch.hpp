// task_watcher: follow a task from pending to its end, event by event.
#pragma once

#include <handinger/detail/spawn.hpp>
#include <handinger/watch_events.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <optional>
#include <string>

namespace handinger {

class client;

namespace detail {
struct watch_state;
using watch_ptr = std::shared_ptr<watch_state>;
boost::asio::any_io_executor watch_executor(const watch_ptr& w);
boost::asio::awaitable<op_result<std::optional<watch_event>>> watch_next_op(watch_ptr w);
boost::asio::awaitable<std::optional<watch_event>> watch_next_throwing(watch_ptr w);
} // namespace detail

/// Watches one task: polls it (only while an async_next is waiting and no
/// event is buffered) and turns what changed into events.
///
/// Events, in order: status_changed (first one has no `from`), turn_added
/// (each turn once, in seq order), turn_updated (each change of a turn once:
/// the appended text, or the whole text when it was rewritten), and finally
/// terminal (the final status and snapshot). After terminal, async_next
/// completes with an empty optional ("done"). With watch_options
/// ::report_retrying, transient errors being ridden out appear as retrying.
///
/// Poll schedule: the first poll at once, then first_interval, growing by
/// `backoff` on each poll that saw nothing new up to the cap for the task's
/// phase, back to first_interval on any change; jittered; never below
/// min_interval; a server's retry-after(-ms) is honoured. All the watchers of
/// a client share its request budget (client_options::watch_rate) and share
/// GETs of the same task.
///
/// Errors end the watch: error::not_found once the task was seen (or after
/// not_found_grace), error::timeout past the deadline or the stall timeout,
/// 400/401/403 and other final errors at once. Transient errors (connection,
/// timeout, 408, 429, 5xx) are ridden out until the deadline. After an
/// error, snapshot() still gives the last state seen.
///
/// Thread safety: one async_next at a time per watcher. Distinct watchers may
/// be used concurrently. Destroying the watcher (or cancel()) stops its
/// polling at once: a pending async_next completes with error::cancelled.
class task_watcher {
public:
    task_watcher(task_watcher&&) noexcept;
    task_watcher& operator=(task_watcher&&) noexcept;
    ~task_watcher();

    const std::string& task_id() const noexcept;

    /// The next event, or an empty optional once the watch is over.
    /// Completion signature: void(std::exception_ptr, std::optional<watch_event>);
    /// failures are api_error. Supports terminal cancellation.
    template <detail::completion_token Token = boost::asio::use_awaitable_t<>>
    auto async_next(Token&& token = {})
    {
        return boost::asio::co_spawn(detail::watch_executor(st_), detail::watch_next_throwing(st_),
                                     std::forward<Token>(token));
    }

    /// The same with signature void(error_code, std::optional<watch_event>);
    /// `diag` must outlive the operation.
    template <detail::completion_token Token = boost::asio::use_awaitable_t<>>
    auto async_next(diagnostics& diag, Token&& token = {})
    {
        return detail::spawn_ec<std::optional<watch_event>>(
            detail::watch_executor(st_), detail::watch_next_op(st_), diag, std::forward<Token>(token));
    }

    /// The last snapshot seen (its `raw` JSON is not kept), or null before
    /// the task was first seen. Not to be called while async_next runs.
    const task_with_turns* snapshot() const noexcept;

    /// True once the terminal event was delivered or the watch failed.
    bool done() const noexcept;

    /// Stops polling; a pending async_next completes with error::cancelled.
    void cancel();

    /// Heap bytes the watcher holds while idle (approximate).
    std::size_t memory_estimate() const noexcept;

private:
    friend class client;
    explicit task_watcher(detail::watch_ptr st) noexcept;
    detail::watch_ptr st_;
};

} // namespace handinger
