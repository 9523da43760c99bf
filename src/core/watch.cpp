// The task watcher's driver: performs what its machine
// (policy/watch_machine.hpp) names — waits, queues for a poll slot, polls
// through the hub, completes the pending async_next — and reports back. The
// decisions are the machine's; this file only waits, fetches and hands
// events over.
#include "core/watch_state.hpp"
#include "util/random.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace handinger::detail {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
using kind = watch_action::kind;

namespace {

// Waits until `at` on the current strand; false when cancelled. Not a
// coroutine of its own: a poll holds one frame, not two.
auto sleep_until(asio::steady_timer& t, clock::time_point at, boost::system::error_code& ec)
{
    t.expires_at(at);
    return t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

bool cancelled(const asio::cancellation_state& cs, const boost::system::error_code& ec)
{
    return ec || cs.cancelled() != asio::cancellation_type::none;
}

diagnostics watch_diag(const watch_state& st, std::string message)
{
    diagnostics d;
    d.method = "GET";
    d.path = st.client->task_path(st.task_id);
    d.client_message = std::move(message);
    return d;
}

// One poll: budget, shared GET, then the answer to the machine. Returns false
// when the caller cancelled it.
asio::awaitable<bool> poll_once(watch_ptr w)
{
    co_await asio::this_coro::throw_if_cancelled(false);
    auto& st = *w;
    auto& m = st.machine;
    auto& timer = st.timer;
    auto cs = co_await asio::this_coro::cancellation_state;
    auto& hub = st.client->hub();
    const auto limit = m.timeout_at();
    // Another watcher of this task fetched it a moment ago: that will do.
    auto shared = hub.recent(st.task_id, m.options().min_interval);
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
            if (m.interrupted())
                co_return true; // the machine reports it
            if (cancelled(cs, ec))
                co_return false;
            if (clock::now() >= limit)
                co_return true; // the deadline came first: the machine ends the watch
        }
        r = co_await hub.fetch(st.client, st.task_id, limit, &st.interrupt);
    }
    if (m.interrupted())
        co_return true; // the machine reports it
    if (cs.cancelled() != asio::cancellation_type::none)
        co_return false;
    m.answered(r.ec, std::move(r.diag), std::move(r.value), clock::now(), random01());
    co_return true;
}

// ---- the pending async_next: callbacks on the watcher's strand ------------

void act(const watch_ptr& w, watch_action a);

// Hands the result over: the handler runs through its own executor.
void complete(const watch_ptr& w, watch_action& a)
{
    auto& st = *w;
    watch_result r;
    r.ec = a.ec;
    if (a.own_diag)
        r.diag = watch_diag(st, std::move(a.diag.client_message));
    else
        r.diag = std::move(a.diag);
    r.value = std::move(a.event);
    auto op = std::move(st.pending);
    st.busy = false; // before the caller's handler runs: it may call async_next again
    if (op)
        op.release()->complete(std::move(r));
}

// A wait of `ticket` ended (its time came, or something cancelled it).
void on_wake(const watch_ptr& w, std::uint64_t ticket)
{
    act(w, w->machine.woke(ticket, clock::now()));
}

void wait_until(const watch_ptr& w, clock::time_point at, std::uint64_t ticket)
{
    auto& st = *w;
    st.timer.expires_at(at);
    auto woke = [w, ticket](boost::system::error_code) { on_wake(w, ticket); };
    st.timer.async_wait(std::move(woke));
}

void start_poll(const watch_ptr& w)
{
    auto& st = *w;
    auto done = [w](std::exception_ptr e, bool ok) {
        auto& st = *w;
        st.client->hub().end_poll();
        if (e) { // only resource exhaustion escapes the poll
            st.machine.abandon_next();
            st.pending.reset();
            st.busy = false;
            std::rethrow_exception(e);
        }
        act(w, st.machine.poll_ended(!ok, clock::now()));
    };
    asio::co_spawn(st.strand, poll_once(w),
                   asio::bind_cancellation_slot(st.poll_cancel.slot(), std::move(done)));
}

// The hub's poll slot for a queued watcher (any thread).
void on_poll_slot(std::shared_ptr<void> who, std::uint64_t ticket)
{
    auto w = std::static_pointer_cast<watch_state>(std::move(who));
    auto go = [w, ticket] { act(w, w->machine.slot_granted(ticket)); };
    auto ex = w->strand;
    asio::post(ex, std::move(go));
}

// Does what the machine says.
void act(const watch_ptr& w, watch_action a)
{
    auto& st = *w;
    switch (a.what) {
    case kind::none: return;
    case kind::complete: complete(w, a); return;
    case kind::sleep: wait_until(w, a.at, a.ticket); return;
    case kind::queue:
        if (st.client->hub().begin_poll(w, a.ticket, &on_poll_slot)) {
            act(w, st.machine.slot_granted(a.ticket));
            return;
        }
        // In the queue; the watch's deadline still holds there.
        wait_until(w, a.at, a.ticket);
        return;
    case kind::poll:
        st.timer.cancel(); // the queue's wait, if any: its callback finds the ticket changed
        start_poll(w);
        return;
    case kind::give_back: st.client->hub().end_poll(); return; // to the next one
    case kind::cancel_timer: st.timer.cancel(); return;
    case kind::cancel_poll: st.poll_cancel.emit(asio::cancellation_type::terminal); return;
    case kind::interrupt_poll:
        if (st.interrupt)
            st.interrupt();
        return;
    }
}

} // namespace

void watch_stop(const watch_ptr& w)
{
    act(w, w->machine.stop());
}

void watch_notified(const watch_ptr& w)
{
    act(w, w->machine.notified(clock::now()));
}

void watch_submit_ended(const watch_ptr& w, boost::system::error_code ec, diagnostics diag)
{
    act(w, w->machine.submit_ended(ec, std::move(diag), clock::now()));
}

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
        act(w, st.machine.begin_next(seq, st.cancel_seq.load() == seq, clock::now()));
    };
    auto ex = w->strand;
    asio::post(ex, std::move(begin));
}

void watch_next_cancel(const watch_ptr& w, std::uint64_t seq)
{
    w->cancel_seq.store(seq); // for a cancellation that comes before the start
    auto cancel = [w, seq] { act(w, w->machine.cancel_next(seq)); };
    auto ex = w->strand;
    asio::post(ex, std::move(cancel));
}

} // namespace handinger::detail
