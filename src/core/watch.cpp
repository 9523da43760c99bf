// The task watcher: pull-based polling that turns snapshots into events.
// Decisions (schedule, diff, errors, budget) are pure functions in
// src/policy/; this file only waits, fetches and hands events over.
#include "core/client_impl.hpp"
#include "core/watch_hub.hpp"
#include "policy/poll_schedule.hpp"
#include "policy/turn_diff.hpp"
#include "policy/watch_errors.hpp"
#include "util/random.hpp"

#include <handinger/task_id.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <functional>

namespace handinger::detail {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

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
        : client(std::move(c)), task_id(std::move(id)), opts(o), strand(client->strand()), timer(strand),
          schedule(o)
    {
        client->hub().add_watcher(task_id);
    }
    ~watch_state() { client->hub().remove_watcher(task_id); }

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
    int consecutive_errors = 0;

    // The pending async_next. It holds no coroutine while it waits: its
    // handler sits in `pending` and `timer` waits for the next poll (or, in
    // the hub's queue for a poll slot, for the watch's deadline). Only a
    // poll runs as a coroutine.
    enum class step : std::uint8_t { idle, sleeping, queued, polling };
    asio::steady_timer timer;
    std::atomic<bool> busy{false};            // an async_next runs (set at its initiation)
    std::atomic<std::uint64_t> next_seq{0};   // numbers the async_next calls
    std::atomic<std::uint64_t> cancel_seq{0}; // the last one the caller cancelled
    std::unique_ptr<next_op_base> pending;    // its handler
    std::uint64_t active_seq = 0;             // its number
    std::uint64_t ticket = 0;                 // names the current wait: older callbacks do nothing
    step at_step = step::idle;
    bool next_cancelled = false;           // the caller cancelled the pending one
    asio::cancellation_signal poll_cancel; // reaches the poll in progress

    poll_schedule schedule;
    turn_tracker tracker;            // keeps the turns as last seen
    std::vector<watch_event> buffer; // events not handed over yet, from `head`
    std::size_t head = 0;
    std::optional<handinger::task> last; // the task as last seen
    // Rarely needed, so not kept inline (a watcher should cost little).
    mutable std::unique_ptr<task_with_turns> snapshot_cache;
    boost::system::error_code final_ec;
    std::unique_ptr<diagnostics> final_diag;

    // submit(): the background POST.
    bool submitting = false;
    clock::time_point grace_from{}; // 404s count from here (submit: the POST's end)
    // Ends what the running async_next waits on (its timer, a shared GET, a
    // GET in flight); empty when it waits on nothing. Called on the strand.
    std::function<void()> interrupt;
    boost::system::error_code submit_ec;
    std::unique_ptr<diagnostics> submit_diag;

    std::unique_ptr<watch_result> out; // the result of the async_next that just ended

    /// The last state seen, as a snapshot (built on demand from the task and
    /// the tracker's turns, in seq order).
    const task_with_turns* snapshot() const
    {
        if (!last)
            return nullptr;
        if (!snapshot_cache) {
            snapshot_cache = std::make_unique<task_with_turns>();
            auto& s = *snapshot_cache;
            s.task = *last;
            s.turns = tracker.turns();
            std::sort(s.turns.begin(), s.turns.end(), [](const turn& a, const turn& b) {
                return a.seq != b.seq ? a.seq < b.seq : a.id < b.id;
            });
        }
        return snapshot_cache.get();
    }

    void finish(boost::system::error_code ec, diagnostics d)
    {
        finished = true;
        final_ec = ec;
        if (ec)
            final_diag = std::make_unique<diagnostics>(std::move(d));
    }
};

namespace {

// Waits until `at` on the current strand; false when cancelled. Not a
// coroutine of its own: an idle watcher holds one frame, not two.
auto sleep_until(asio::steady_timer& t, clock::time_point at, boost::system::error_code& ec)
{
    t.expires_at(at);
    return t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

bool cancelled(const asio::cancellation_state& cs, const boost::system::error_code& ec)
{
    return ec || cs.cancelled() != asio::cancellation_type::none;
}

// One scratch vector per thread for the events of a snapshot: watchers do not
// each keep one.
std::vector<watch_event>& scratch()
{
    thread_local std::vector<watch_event> v;
    v.clear();
    return v;
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
    return st.last ? phase_of(st.last->status) : poll_phase::pending;
}

// One poll: budget, shared GET, then either events or a decision about the
// error. Returns false when the caller was cancelled.
asio::awaitable<bool> poll_once(watch_ptr w)
{
    co_await asio::this_coro::throw_if_cancelled(false);
    auto& st = *w;
    auto& timer = st.timer;
    auto cs = co_await asio::this_coro::cancellation_state;
    auto& hub = st.client->hub();
    const auto limit = next_timeout(st.started, st.last_change, st.opts);
    // Another watcher of this task fetched it a moment ago: that will do.
    auto shared = hub.recent(st.task_id, st.opts.min_interval);
    op_result<task_with_turns> r;
    if (shared) {
        r = std::move(*shared);
    } else {
        auto now = clock::now();
        auto slot = hub.reserve(now);
        if (slot > now) {
            boost::system::error_code ec;
            st.interrupt = [&timer] { timer.cancel(); };
            co_await sleep_until(timer, std::min(slot, limit), ec);
            st.interrupt = nullptr;
            if (st.stopped || st.submit_ec)
                co_return true; // the caller reports it
            if (cancelled(cs, ec))
                co_return false;
            if (clock::now() >= limit)
                co_return true; // the deadline came first: the caller ends the watch
        }
        r = co_await hub.fetch(st.client, st.task_id, limit, &st.interrupt);
    }
    if (st.stopped || st.submit_ec)
        co_return true; // the caller reports it
    if (cs.cancelled() != asio::cancellation_type::none)
        co_return false;
    auto now = clock::now();

    if (r.ec) {
        // While submit's POST is under way the task cannot be expected yet;
        // the grace period starts when the POST is over.
        auto since =
            st.submitting
                ? milliseconds(0)
                : std::chrono::duration_cast<milliseconds>(now - std::max(st.started, st.grace_from));
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
    auto& evs = scratch();
    st.last = r.value.task;
    st.snapshot_cache.reset();
    st.tracker.update(std::move(r.value), evs);
    bool changed = !evs.empty();
    for (auto& e : evs)
        st.buffer.push_back(std::move(e));
    if (changed)
        st.last_change = now;
    poll_outcome o{changed, watch_phase(st), r.diag.retry_after, random01()};
    st.next_poll = now + st.schedule.next_delay(o);
    co_return true;
}

void store(watch_state& st, watch_result r)
{
    st.out = std::make_unique<watch_result>(std::move(r));
}

void store_cancelled(watch_state& st)
{
    watch_result r;
    r.ec = error::cancelled;
    r.diag = watch_diag(st, st.stopped ? "the watch was stopped" : "async_next was cancelled");
    if (st.stopped)
        st.finish(r.ec, r.diag);
    store(st, std::move(r));
}

// One step of async_next that needs no waiting: hands over a buffered
// event, or reports how the watch ended, and then returns true (the result
// is stored); otherwise returns false with `at`, when to poll next.
bool settle(watch_state& st, clock::time_point& at)
{
    for (;;) {
        if (st.head < st.buffer.size()) {
            watch_result r;
            r.value = std::move(st.buffer[st.head++]);
            if (st.head == st.buffer.size()) { // drained: give the storage back
                std::vector<watch_event>().swap(st.buffer);
                st.head = 0;
            }
            if (std::holds_alternative<events::terminal>(*r.value))
                st.finish({}, {});
            store(st, std::move(r));
            return true;
        }
        if (st.finished) {
            watch_result r; // empty value: done (or the error that ended it)
            r.ec = st.final_ec;
            if (st.final_diag)
                r.diag = *st.final_diag;
            store(st, std::move(r));
            return true;
        }
        if (st.stopped) {
            store_cancelled(st);
            return true;
        }
        if (st.submit_ec) {
            st.finish(st.submit_ec, st.submit_diag ? *st.submit_diag : diagnostics{});
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
        at = std::min(st.next_poll, next_timeout(st.started, st.last_change, st.opts));
        return false;
    }
}

// ---- the pending async_next: callbacks on the watcher's strand ------------

void drive(const watch_ptr& w);

watch_result take_result(const watch_ptr& w)
{
    auto p = std::move(w->out);
    return p ? std::move(*p) : watch_result{};
}

// Hands the result over: the handler runs through its own executor.
void complete(const watch_ptr& w)
{
    auto& st = *w;
    st.at_step = watch_state::step::idle;
    ++st.ticket;
    auto op = std::move(st.pending);
    auto r = take_result(w);
    st.busy = false; // before the caller's handler runs: it may call async_next again
    if (op)
        op.release()->complete(std::move(r));
}

// A wait of `ticket` ended (its time came, or something cancelled it).
void on_wake(const watch_ptr& w, std::uint64_t ticket)
{
    auto& st = *w;
    if (st.ticket != ticket)
        return; // a wait that was already over (its slot came, say)
    st.interrupt = nullptr;
    ++st.ticket; // a slot granted to this wait from now on is given back
    st.at_step = watch_state::step::idle;
    drive(w);
}

void wait_until(const watch_ptr& w, clock::time_point at, watch_state::step step, std::uint64_t ticket)
{
    auto& st = *w;
    st.at_step = step;
    st.timer.expires_at(at);
    st.interrupt = [t = &st.timer] { t->cancel(); };
    auto woke = [w, ticket](boost::system::error_code) { on_wake(w, ticket); };
    st.timer.async_wait(std::move(woke));
}

void start_poll(const watch_ptr& w)
{
    auto& st = *w;
    st.at_step = watch_state::step::polling;
    ++st.ticket;
    auto done = [w](std::exception_ptr e, bool ok) {
        auto& st = *w;
        st.client->hub().end_poll();
        st.at_step = watch_state::step::idle;
        if (e) { // only resource exhaustion escapes the poll
            st.pending.reset();
            st.busy = false;
            std::rethrow_exception(e);
        }
        if (!ok || st.next_cancelled) {
            store_cancelled(st);
            complete(w);
            return;
        }
        drive(w);
    };
    asio::co_spawn(st.strand, poll_once(w),
                   asio::bind_cancellation_slot(st.poll_cancel.slot(), std::move(done)));
}

// The hub's poll slot for a queued watcher (any thread).
void on_poll_slot(std::shared_ptr<void> who, std::uint64_t ticket)
{
    auto w = std::static_pointer_cast<watch_state>(std::move(who));
    auto go = [w, ticket] {
        auto& st = *w;
        if (st.at_step != watch_state::step::queued || st.ticket != ticket) {
            st.client->hub().end_poll(); // not wanted any more: to the next one
            return;
        }
        st.interrupt = nullptr;
        st.timer.cancel(); // its callback finds the ticket changed
        start_poll(w);
    };
    auto ex = w->strand;
    asio::post(ex, std::move(go));
}

// One step of the pending async_next: complete it, wait for the next poll,
// queue for a poll slot, or poll.
void drive(const watch_ptr& w)
{
    auto& st = *w;
    if (st.next_cancelled) {
        store_cancelled(st);
        complete(w);
        return;
    }
    clock::time_point at;
    if (settle(st, at)) {
        complete(w);
        return;
    }
    auto ticket = ++st.ticket;
    if (at > clock::now()) {
        wait_until(w, at, watch_state::step::sleeping, ticket);
        return;
    }
    if (!st.client->hub().begin_poll(w, ticket, &on_poll_slot)) {
        // In the queue; the watch's deadline still holds there.
        wait_until(w, next_timeout(st.started, st.last_change, st.opts), watch_state::step::queued, ticket);
        return;
    }
    start_poll(w);
}

} // namespace

asio::any_io_executor watch_executor(const watch_ptr& w)
{
    return w->strand;
}

bool watch_try_begin(const watch_ptr& w, std::uint64_t& seq) noexcept
{
    if (w->busy.exchange(true))
        return false;
    seq = w->next_seq.fetch_add(1) + 1;
    return true;
}

watch_result watch_busy_result(const watch_ptr& w)
{
    watch_result r;
    r.ec = error::invalid_argument;
    r.diag = watch_diag(*w, "async_next is already running on this watcher");
    return r;
}

void watch_next_start(watch_ptr w, std::unique_ptr<next_op_base> op, std::uint64_t seq)
{
    auto begin = [w, op = std::move(op), seq]() mutable {
        auto& st = *w;
        st.pending = std::move(op);
        st.active_seq = seq;
        st.next_cancelled = st.cancel_seq.load() == seq;
        if (!st.begun) {
            st.begun = true;
            st.started = st.last_change = st.next_poll = clock::now();
        }
        drive(w);
    };
    auto ex = w->strand;
    asio::post(ex, std::move(begin));
}

void watch_next_cancel(const watch_ptr& w, std::uint64_t seq)
{
    w->cancel_seq.store(seq); // for a cancellation that comes before the start
    auto cancel = [w, seq] {
        auto& st = *w;
        if (!st.pending || st.active_seq != seq || st.next_cancelled)
            return;
        st.next_cancelled = true;
        switch (st.at_step) {
        case watch_state::step::sleeping:
        case watch_state::step::queued: st.timer.cancel(); break;
        case watch_state::step::polling: st.poll_cancel.emit(asio::cancellation_type::terminal); break;
        case watch_state::step::idle: break;
        }
    };
    auto ex = w->strand;
    asio::post(ex, std::move(cancel));
}

asio::awaitable<op_result<task_with_turns>> wait_op(impl_ptr impl, std::string id, watch_options opts)
{
    auto w = std::make_shared<watch_state>(std::move(impl), std::move(id), opts);
    op_result<task_with_turns> r;
    for (;;) {
        diagnostics d;
        auto [ec, ev] = co_await async_watch_next<true>(w, &d, asio::as_tuple(asio::use_awaitable));
        if (ec || !ev) { // (done without a terminal event cannot happen)
            r.ec = ec;
            r.diag = std::move(d);
            if (auto* s = w->snapshot())
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
    return st_ ? st_->snapshot() : nullptr;
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
        if (st->interrupt)
            st->interrupt();
    });
}

std::size_t task_watcher::memory_estimate() const noexcept
{
    if (!st_)
        return 0;
    const auto& st = *st_;
    std::size_t n = sizeof(detail::watch_state) + st.task_id.capacity() + st.tracker.memory_estimate() +
                    st.buffer.capacity() * sizeof(watch_event);
    if (st.last)
        n += st.last->id.capacity() + st.last->title.capacity() + st.last->url.capacity() +
             st.last->worker_id.capacity() + st.last->created_at.capacity() +
             st.last->organization_id.capacity();
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
        // The id was just generated: no check of an existing task first.
        auto r = co_await detail::create_fresh_op(st->client, std::move(p), std::move(ro), true);
        st->submitting = false;
        st->grace_from = std::chrono::steady_clock::now();
        if (r.ec) {
            st->submit_ec = r.ec;
            st->submit_diag = std::make_unique<diagnostics>(std::move(r.diag));
            if (st->interrupt) // a watch waiting for its next poll learns it now
                st->interrupt();
        }
    };
    boost::asio::co_spawn(st->strand, post(st, std::move(params), std::move(ro)), boost::asio::detached);
    return task_watcher(std::move(st));
}

} // namespace handinger
