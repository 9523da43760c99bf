// The public face of a watch: task_watcher's members, the client functions
// that make watchers (watch, submit), and wait_op, which follows a watcher to
// its end. The watch itself is driven by watch.cpp.
#include "core/op_support.hpp"
#include "core/watch_state.hpp"

#include <handinger/task_id.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace handinger::detail {

namespace asio = boost::asio;

asio::awaitable<op_result<task_with_turns>> wait_op(impl_ptr impl, std::string id, watch_options opts)
{
    co_await asio::this_coro::throw_if_cancelled(false);
    auto cs = co_await asio::this_coro::cancellation_state;
    auto w = std::make_shared<watch_state>(std::move(impl), std::move(id), opts);
    op_result<task_with_turns> r;
    for (;;) {
        // (a cancellation that came between two events reached no handler)
        if (cancelled_between(
                w->client, cs, r, "GET", [&] { return w->client->task_path(w->task_id); }, "the next poll")) {
            if (auto* s = w->machine.snapshot())
                r.value = *s;
            co_return r;
        }
        diagnostics d;
        auto [ec, ev] = co_await async_watch_next<true>(w, &d, asio::as_tuple(asio::use_awaitable));
        if (ec || !ev) { // (done without a terminal event cannot happen)
            r.ec = ec;
            r.diag = std::move(d);
            if (auto* s = w->machine.snapshot())
                r.value = *s;
            co_return r;
        }
        if (auto* t = std::get_if<events::terminal>(&*ev)) {
            r.value = std::move(t->snapshot);
            co_return r;
        }
    }
}

} // namespace handinger::detail

namespace handinger {

task_watcher::task_watcher(detail::watch_ptr st) noexcept : st_(std::move(st)) {}
task_watcher::task_watcher(task_watcher&&) noexcept = default;
task_watcher& task_watcher::operator=(task_watcher&& other) noexcept
{
    if (this != &other) {
        cancel();
        st_ = std::move(other.st_);
    }
    return *this;
}

task_watcher::~task_watcher()
{
    cancel();
}

const std::string& task_watcher::task_id() const noexcept
{
    return st_->task_id;
}

const task_with_turns* task_watcher::snapshot() const noexcept
{
    return st_ ? st_->machine.snapshot() : nullptr;
}

bool task_watcher::done() const noexcept
{
    return !st_ || st_->machine.finished();
}

void task_watcher::cancel()
{
    if (!st_)
        return;
    boost::asio::post(st_->strand, [st = st_] { detail::watch_stop(st); });
}

std::size_t task_watcher::memory_estimate() const noexcept
{
    if (!st_)
        return 0;
    const auto& st = *st_;
    return sizeof(detail::watch_state) + st.task_id.capacity() + st.machine.memory_estimate();
}

std::size_t client::notify_finished(std::string_view task_id)
{
    auto watchers = impl_->hub().notify(task_id);
    for (auto& w : watchers) {
        auto wake = [w] { detail::watch_notified(w); };
        boost::asio::post(w->strand, std::move(wake));
    }
    return watchers.size();
}

task_watcher client::watch(std::string task_id, watch_options opts)
{
    if (task_id.empty()) {
        diagnostics d;
        d.client_message = "task_id: must be at least 1 character";
        throw api_error(error::invalid_argument, d);
    }
    return task_watcher(std::make_shared<detail::watch_state>(impl_, std::move(task_id), opts));
}

task_watcher client::submit(create_task_params params, watch_options opts, request_options ro)
{
    if (auto what = validate(params); !what.empty()) {
        diagnostics d;
        d.method = "POST";
        d.path = impl_->tasks_path();
        d.client_message = what;
        throw api_error(error::invalid_argument, d);
    }
    if (!params.task_id)
        params.task_id = make_task_id();
    auto st = std::make_shared<detail::watch_state>(impl_, *params.task_id, opts);
    st->machine.submit_started();
    // The POST runs beside the watch, on the watcher's strand; a final
    // failure is recorded for the next async_next.
    auto post = [](detail::watch_ptr st, create_task_params p,
                   request_options ro) -> boost::asio::awaitable<void> {
        // The id was just generated: no check of an existing task first.
        auto r = co_await detail::create_fresh_op(st->client, std::move(p), std::move(ro), true);
        // (a watch waiting for its next poll learns of a failure now)
        detail::watch_submit_ended(st, r.ec, std::move(r.diag));
    };
    boost::asio::co_spawn(st->strand, post(st, std::move(params), std::move(ro)), boost::asio::detached);
    return task_watcher(std::move(st));
}

} // namespace handinger
