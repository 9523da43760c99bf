// task_watcher: follow a task from pending to its end, event by event.
#pragma once

#include <handinger/detail/spawn.hpp>
#include <handinger/watch_events.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

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
/// Marks the watcher busy; false when an async_next already runs.
bool watch_try_begin(const watch_ptr& w) noexcept;
/// The error of an async_next refused because another one runs.
watch_result watch_busy_result(const watch_ptr& w);
/// Runs one async_next (the watcher is marked busy) and leaves its result in
/// the watcher, for watch_take_result. The coroutine returns nothing, so
/// that a pending async_next costs as little as possible.
boost::asio::awaitable<void> watch_next_run(watch_ptr w);
watch_result watch_take_result(const watch_ptr& w);

/// Completion adapter of async_next: co_spawn's (exception_ptr) becomes the
/// caller's (exception_ptr | error_code, std::optional<watch_event>), taking
/// the result from the watcher. Forwards every association of the handler.
template <class Handler, bool ec_form>
struct watch_completion {
    Handler handler_;
    watch_ptr w_;
    diagnostics* diag_;

    void operator()(std::exception_ptr e)
    {
        if (e) // only resource exhaustion escapes the coroutine
            std::rethrow_exception(e);
        deliver(watch_take_result(w_));
    }

    void deliver(watch_result r)
    {
        if constexpr (ec_form) {
            *diag_ = std::move(r.diag);
            std::move(handler_)(r.ec, std::move(r.value));
        } else {
            std::exception_ptr ex;
            if (r.ec)
                ex = std::make_exception_ptr(api_error(r.ec, std::move(r.diag)));
            std::move(handler_)(ex, std::move(r.value));
        }
    }
};

template <bool ec_form, class Token>
auto async_watch_next(const watch_ptr& w, diagnostics* diag, Token&& token)
{
    using value_t = std::optional<watch_event>;
    using signature = std::conditional_t<ec_form, void(boost::system::error_code, value_t),
                                         void(std::exception_ptr, value_t)>;
    auto init = [](auto handler, watch_ptr w, diagnostics* diag) {
        using completion_t = watch_completion<std::decay_t<decltype(handler)>, ec_form>;
        completion_t c{std::move(handler), w, diag};
        auto ex = watch_executor(w);
        if (!watch_try_begin(w)) {
            // Refused without touching the running one.
            auto r = watch_busy_result(w);
            auto refuse = [c = std::move(c), r = std::move(r)]() mutable { c.deliver(std::move(r)); };
            boost::asio::post(ex, std::move(refuse));
            return;
        }
        boost::asio::co_spawn(ex, watch_next_run(std::move(w)), std::move(c));
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
        return detail::async_watch_next<false>(st_, nullptr, std::forward<Token>(token));
    }

    /// The same with signature void(error_code, std::optional<watch_event>);
    /// `diag` must outlive the operation.
    template <detail::completion_token Token = boost::asio::use_awaitable_t<>>
    auto async_next(diagnostics& diag, Token&& token = {})
    {
        return detail::async_watch_next<true>(st_, &diag, std::forward<Token>(token));
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

template <template <class, class> class Associator, class Handler, bool ec_form, class Default>
struct boost::asio::associator<Associator, handinger::detail::watch_completion<Handler, ec_form>, Default> {
    using type = typename Associator<Handler, Default>::type;

    static type get(const handinger::detail::watch_completion<Handler, ec_form>& h) noexcept
    {
        return Associator<Handler, Default>::get(h.handler_);
    }
    static auto get(const handinger::detail::watch_completion<Handler, ec_form>& h, const Default& d) noexcept
        -> decltype(Associator<Handler, Default>::get(h.handler_, d))
    {
        return Associator<Handler, Default>::get(h.handler_, d);
    }
};
