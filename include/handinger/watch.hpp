// task_watcher: follow a task from pending to its end, event by event.
#pragma once

#include <handinger/detail/async_op.hpp>
#include <handinger/watch_events.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace handinger {

class client;

namespace detail {
struct watch_state;
using watch_ptr = std::shared_ptr<watch_state>;
using watch_result = op_result<std::optional<watch_event>>;

boost::asio::any_io_executor watch_executor(const watch_ptr& w);
/// Marks the watcher busy and numbers the new async_next; false when one
/// already runs.
bool watch_try_begin(const watch_ptr& w, std::uint64_t& seq) noexcept;
/// The error of an async_next refused because another one runs.
watch_result watch_busy_result(const watch_ptr& w);

/// A pending async_next, its handler type erased: the library keeps it in
/// the watcher while it waits (no coroutine frame), and completes it once.
struct next_op_base {
    virtual ~next_op_base() = default;
    /// Delivers `r` and frees the op; call on a released pointer.
    virtual void complete(watch_result r) = 0;
};

/// Starts async_next number `seq` (see watch_try_begin) with `op`.
void watch_next_start(watch_ptr w, std::unique_ptr<next_op_base> op, std::uint64_t seq);
/// The caller's cancellation of async_next number `seq`; from any thread.
void watch_next_cancel(const watch_ptr& w, std::uint64_t seq);

/// The caller's handler, with outstanding work on its executor while the
/// operation is pending. On completion the handler runs through its
/// associated executor (the watcher's strand by default); its cancellation
/// slot, when connected, cancels the operation.
template <class Handler, bool ec>
class next_op final : public next_op_base {
public:
    // (decayed: for an executor without the property, prefer() hands back
    // its argument by reference)
    using executor_type = std::decay_t<decltype(boost::asio::prefer(
        boost::asio::get_associated_executor(std::declval<Handler&>(),
                                             std::declval<boost::asio::any_io_executor>()),
        boost::asio::execution::outstanding_work.tracked))>;

    next_op(Handler h, const boost::asio::any_io_executor& fallback, diagnostics* diag)
        : handler_(std::move(h)),
          work_(boost::asio::prefer(boost::asio::get_associated_executor(handler_, fallback),
                                    boost::asio::execution::outstanding_work.tracked)),
          diag_(diag)
    {}

    /// Hooks the handler's cancellation slot, when it has one.
    void hook_cancellation(const watch_ptr& w, std::uint64_t seq)
    {
        auto slot = boost::asio::get_associated_cancellation_slot(handler_);
        if (slot.is_connected())
            slot.assign([w, seq](boost::asio::cancellation_type) { watch_next_cancel(w, seq); });
    }

    void complete(watch_result r) override
    {
        std::unique_ptr<next_op> self(this);
        auto slot = boost::asio::get_associated_cancellation_slot(handler_);
        if (slot.is_connected())
            slot.clear();
        // The op's memory is freed before the handler runs.
        auto h = std::move(handler_);
        auto work = std::move(work_);
        auto* diag = diag_;
        self.reset();
        auto call = [h = std::move(h), r = std::move(r), diag]() mutable {
            deliver<ec>(std::move(h), std::move(r), diag);
        };
        boost::asio::dispatch(work, std::move(call));
    }

private:
    Handler handler_;
    executor_type work_;
    diagnostics* diag_;
};

/// Starts async_next on `w` in the form `ec` says (the diagnostics go to
/// `diag` in the error_code form).
template <bool ec, class Token>
auto async_watch_next(const watch_ptr& w, diagnostics* diag, Token&& token)
{
    using value_t = std::optional<watch_event>;
    using signature =
        std::conditional_t<ec, void(boost::system::error_code, value_t), void(std::exception_ptr, value_t)>;
    auto init = [](auto handler, watch_ptr w, diagnostics* diag) {
        using op_t = next_op<std::decay_t<decltype(handler)>, ec>;
        auto op = std::make_unique<op_t>(std::move(handler), watch_executor(w), diag);
        std::uint64_t seq = 0;
        if (!watch_try_begin(w, seq)) {
            // Refused without touching the running one.
            auto r = watch_busy_result(w);
            auto refuse = [op = std::move(op), r = std::move(r)]() mutable {
                op.release()->complete(std::move(r));
            };
            boost::asio::post(watch_executor(w), std::move(refuse));
            return;
        }
        op->hook_cancellation(w, seq);
        watch_next_start(std::move(w), std::move(op), seq);
    };
    return boost::asio::async_initiate<Token, signature>(init, token, w, diag);
}
} // namespace detail

/// Watches one task: polls it (only while an async_next is waiting and no
/// event is buffered) and turns what changed into events.
///
/// Events: status_changed (the first one has no `from`), turn_added (each
/// turn once, in seq order, with the text it has when first seen),
/// turn_updated (each later change of a turn once: the appended text, or the
/// whole text when it was rewritten), and finally terminal (the final status
/// and snapshot). Within one poll, a change to a live status comes before
/// that poll's turn events, a change to a terminal status after them (so a
/// task first seen finished gives its turns, then its status, then
/// terminal). After terminal, async_next completes with an empty optional
/// ("done"). With watch_options::report_retrying, transient errors being
/// ridden out appear as retrying.
///
/// Poll schedule: the first poll at once, then first_interval, growing by
/// `backoff` on each poll that saw nothing new up to the cap for the task's
/// phase, back to first_interval on any change; jittered; never below
/// min_interval; a server's retry-after(-ms) is honoured. All the watchers of
/// a client share its request budget (client_options::watch_rate) and share
/// GETs of the same task. At most client_options::pool_size of them poll at
/// once; the others queue (FIFO) for a poll slot, at a few bytes each.
///
/// Cost: a pending async_next that waits for its next poll holds no
/// coroutine, only its handler and a timer wait; a poll runs as a coroutine.
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

    /// The next event, or an empty optional once the watch is over
    /// (std::optional<watch_event>). Trailing arguments `[diagnostics&]
    /// [token]` as for the client's operations: completion signature
    /// void(std::exception_ptr, ...), failures being api_error, or, with
    /// diagnostics (which must outlive the operation), void(error_code, ...).
    /// Supports terminal, partial and total cancellation (a cancelled
    /// async_next has no effect: events not yet handed over stay for the
    /// next one); the handler then gets error::cancelled, and the watch goes
    /// on with the next async_next.
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_next(Tail&&... tail)
    {
        auto start = [&]<bool ec, class Token>(detail::form<ec>, diagnostics* diag, Token&& token) {
            return detail::async_watch_next<ec>(st_, diag, std::forward<Token>(token));
        };
        return detail::with_tail(start, std::forward<Tail>(tail)...);
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
