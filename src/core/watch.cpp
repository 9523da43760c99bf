// The task watcher: pull-based polling that turns snapshots into events.
// Decisions (schedule, diff, errors, budget) are pure functions in
// src/policy/; this file only waits, fetches and hands events over.
#include "core/client_impl.hpp"
#include "core/watch_hub.hpp"
#include "policy/poll_schedule.hpp"
#include "policy/turn_diff.hpp"
#include "policy/watch_errors.hpp"

#include <handinger/task_id.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>
#include <random>

namespace handinger::detail {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

double random01()
{
    thread_local std::minstd_rand rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

std::string format_duration(milliseconds d)
{
    if (d.count() % 60000 == 0)
        return std::to_string(d.count() / 60000) + " min";
    if (d.count() % 1000 == 0)
        return std::to_string(d.count() / 1000) + " s";
    return std::to_string(d.count()) + " ms";
}

} // namespace

/// Everything a watcher knows. Touched only on `strand` (async_next and the
/// background POST of submit() run there; cancel() posts there).
struct watch_state : std::enable_shared_from_this<watch_state> {
    watch_state(impl_ptr c, std::string id, watch_options o)
        : client(std::move(c)), task_id(std::move(id)), opts(o),
          strand(asio::make_strand(client->executor())), schedule(o)
    {}

    impl_ptr client;
    std::string task_id;
    watch_options opts;
    asio::any_io_executor strand;

    clock::time_point started{}; // first async_next
    clock::time_point last_change{};
    clock::time_point next_poll{}; // earliest time of the next GET
    bool begun = false;
    bool seen = false;
    bool finished = false;
    bool stopped = false;
    bool busy = false;
    int consecutive_errors = 0;

    poll_schedule schedule;
    turn_tracker tracker;
    std::deque<watch_event> buffer;
    std::vector<watch_event> scratch;
    std::optional<task_with_turns> last; // without raw
    boost::system::error_code final_ec;
    diagnostics final_diag;

    // submit(): the background POST.
    bool submitting = false;
    boost::system::error_code submit_ec;
    diagnostics submit_diag;

    asio::cancellation_signal stop; // interrupts the running async_next

    void finish(boost::system::error_code ec, diagnostics d)
    {
        finished = true;
        final_ec = ec;
        final_diag = std::move(d);
    }
};

namespace {

// Waits until `at` on the current strand; false when cancelled.
asio::awaitable<bool> sleep_until(clock::time_point at)
{
    asio::steady_timer t(co_await asio::this_coro::executor, at);
    boost::system::error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    auto cs = co_await asio::this_coro::cancellation_state;
    co_return !ec && cs.cancelled() == asio::cancellation_type::none;
}

diagnostics watch_diag(const watch_state& st, std::string message)
{
    diagnostics d;
    d.method = "GET";
    d.path = st.client->task_path(st.task_id);
    d.client_message = std::move(message);
    return d;
}

poll_phase watch_phase(const watch_state& st)
{
    return st.last ? phase_of(st.last->task.status) : poll_phase::pending;
}

// One poll: budget, shared GET, then either events or a decision about the
// error. Returns false when the caller was cancelled.
asio::awaitable<bool> poll_once(watch_state& st)
{
    auto now = clock::now();
    auto slot = st.client->hub().reserve(now);
    if (slot > now && !co_await sleep_until(slot))
        co_return false;

    auto r = co_await st.client->hub().fetch(st.client, st.task_id);
    auto cs = co_await asio::this_coro::cancellation_state;
    if (cs.cancelled() != asio::cancellation_type::none)
        co_return false;
    now = clock::now();

    if (r.ec) {
        auto since = std::chrono::duration_cast<milliseconds>(now - st.started);
        switch (decide(r.ec, r.diag.status, st.seen, since, st.opts.not_found_grace)) {
        case watch_step::not_visible_yet: {
            st.consecutive_errors = 0;
            poll_outcome o{false, poll_phase::pending, r.diag.retry_after, random01()};
            st.next_poll = now + st.schedule.next_delay(o);
            break;
        }
        case watch_step::retry: {
            ++st.consecutive_errors;
            auto d =
                st.schedule.next_delay_after_error(st.consecutive_errors, r.diag.retry_after, random01());
            st.next_poll = now + d;
            if (st.opts.report_retrying)
                st.buffer.emplace_back(events::retrying{r.ec, r.diag, d});
            break;
        }
        case watch_step::fail:
            if (r.ec == error::not_found && st.seen)
                r.diag.client_message = "the task was seen, then not found";
            else if (r.ec == error::not_found)
                r.diag.client_message = "not visible within " + format_duration(st.opts.not_found_grace) +
                                        " of the watch's start";
            st.finish(r.ec, std::move(r.diag));
            break;
        }
        co_return true;
    }

    st.consecutive_errors = 0;
    st.seen = true;
    st.scratch.clear();
    st.tracker.update(r.value, st.scratch);
    bool changed = !st.scratch.empty();
    for (auto& e : st.scratch)
        st.buffer.push_back(std::move(e));
    r.value.raw = boost::json::object(); // the retained snapshot stays small
    st.last = std::move(r.value);
    if (changed)
        st.last_change = now;
    poll_outcome o{changed, watch_phase(st), r.diag.retry_after, random01()};
    st.next_poll = now + st.schedule.next_delay(o);
    co_return true;
}

asio::awaitable<op_result<std::optional<watch_event>>> next_inner(watch_ptr w)
{
    co_await asio::this_coro::throw_if_cancelled(false);
    auto& st = *w;
    op_result<std::optional<watch_event>> r;
    auto cancelled = [&] {
        r.ec = error::cancelled;
        r.diag = watch_diag(st, st.stopped ? "the watch was stopped" : "cancelled");
        if (st.stopped)
            st.finish(r.ec, r.diag);
    };
    if (!st.begun) {
        st.begun = true;
        st.started = st.last_change = st.next_poll = clock::now();
    }
    for (;;) {
        if (!st.buffer.empty()) {
            r.value = std::move(st.buffer.front());
            st.buffer.pop_front();
            if (std::holds_alternative<events::terminal>(*r.value))
                st.finish({}, {});
            co_return r;
        }
        if (st.finished) {
            r.ec = st.final_ec;
            r.diag = st.final_diag;
            co_return r; // empty value: done (or the error that ended it)
        }
        if (st.stopped) {
            cancelled();
            co_return r;
        }
        if (st.submit_ec) {
            st.finish(st.submit_ec, st.submit_diag);
            continue;
        }
        auto now = clock::now();
        if (auto why = deadline_check(now, st.started, st.last_change, st.opts)) {
            st.finish(
                error::timeout,
                watch_diag(st, *why == watch_timeout::deadline
                                   ? "the watch's deadline (" + format_duration(st.opts.deadline) + ") passed"
                                   : "no change for " + format_duration(st.opts.stall_timeout)));
            continue;
        }
        // Wake for the next poll, or for a deadline (saturating arithmetic).
        auto at = std::min(st.next_poll, next_timeout(st.started, st.last_change, st.opts));
        if (at > now) {
            if (!co_await sleep_until(at)) {
                cancelled();
                co_return r;
            }
            continue; // re-check the deadlines
        }
        if (!co_await poll_once(st)) {
            cancelled();
            co_return r;
        }
    }
}

} // namespace

asio::any_io_executor watch_executor(const watch_ptr& w)
{
    return w->strand;
}

asio::awaitable<op_result<std::optional<watch_event>>> watch_next_op(watch_ptr w)
{
    co_await asio::this_coro::throw_if_cancelled(false);
    if (w->busy) {
        op_result<std::optional<watch_event>> r;
        r.ec = error::invalid_argument;
        r.diag = watch_diag(*w, "async_next is already running on this watcher");
        co_return r;
    }
    w->busy = true;
    // The inner operation listens to the watcher's stop signal (cancel(),
    // destruction); the caller's own cancellation is forwarded into it.
    // (The state's slot is connected only when the caller's token has one.)
    auto cs = co_await asio::this_coro::cancellation_state;
    auto forward = cs.slot();
    if (forward.is_connected())
        forward.assign([w](asio::cancellation_type t) { w->stop.emit(t); });
    auto r = co_await asio::co_spawn(w->strand, next_inner(w),
                                     asio::bind_cancellation_slot(w->stop.slot(), asio::use_awaitable));
    if (forward.is_connected())
        forward.clear();
    w->busy = false;
    co_return r;
}

asio::awaitable<std::optional<watch_event>> watch_next_throwing(watch_ptr w)
{
    auto r = co_await watch_next_op(std::move(w));
    if (r.ec)
        throw api_error(r.ec, std::move(r.diag));
    co_return std::move(r.value);
}

asio::awaitable<op_result<task_with_turns>> wait_op(impl_ptr impl, std::string id, watch_options opts)
{
    auto w = std::make_shared<watch_state>(std::move(impl), std::move(id), opts);
    op_result<task_with_turns> r;
    for (;;) {
        auto ev = co_await watch_next_op(w);
        if (ev.ec) {
            r.ec = ev.ec;
            r.diag = std::move(ev.diag);
            if (w->last)
                r.value = std::move(*w->last);
            co_return r;
        }
        if (!ev.value) { // done without a terminal event cannot happen, but be safe
            if (w->last)
                r.value = std::move(*w->last);
            co_return r;
        }
        if (auto* t = std::get_if<events::terminal>(&*ev.value)) {
            r.value = std::move(t->snapshot);
            co_return r;
        }
    }
}

asio::awaitable<task_with_turns> wait_throwing(impl_ptr impl, std::string id, watch_options opts)
{
    auto r = co_await wait_op(std::move(impl), std::move(id), opts);
    if (r.ec)
        throw api_error(r.ec, std::move(r.diag));
    co_return std::move(r.value);
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
    return st_ && st_->last ? &*st_->last : nullptr;
}

bool task_watcher::done() const noexcept
{
    return !st_ || st_->finished;
}

void task_watcher::cancel()
{
    if (!st_)
        return;
    boost::asio::post(st_->strand, [st = st_] {
        st->stopped = true;
        st->stop.emit(boost::asio::cancellation_type::terminal);
    });
}

std::size_t task_watcher::memory_estimate() const noexcept
{
    if (!st_)
        return 0;
    std::size_t n = sizeof(detail::watch_state) + st_->task_id.capacity() + st_->tracker.memory_estimate();
    if (st_->last) {
        const auto& t = *st_->last;
        n += t.task.id.capacity() + t.task.title.capacity() + t.task.url.capacity() +
             t.task.worker_id.capacity() + t.task.created_at.capacity() + t.task.organization_id.capacity() +
             t.turns.capacity() * sizeof(turn);
        for (const auto& u : t.turns)
            n += u.id.capacity() + u.task_id.capacity() + u.input.capacity() + u.output_text.capacity() +
                 u.role.capacity() + u.started_at.capacity();
    }
    return n;
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
    st->submitting = true;
    // The POST runs beside the watch, on the watcher's strand; a final
    // failure is recorded for the next async_next.
    auto post = [](detail::watch_ptr st, create_task_params p,
                   request_options ro) -> boost::asio::awaitable<void> {
        auto r = co_await detail::create_op(st->client, std::move(p), std::move(ro));
        st->submitting = false;
        if (r.ec) {
            st->submit_ec = r.ec;
            st->submit_diag = std::move(r.diag);
        }
    };
    boost::asio::co_spawn(st->strand, post(st, std::move(params), std::move(ro)), boost::asio::detached);
    return task_watcher(std::move(st));
}

} // namespace handinger
