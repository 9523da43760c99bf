#include "policy/watch_machine.hpp"

#include "policy/watch_errors.hpp"

#include <algorithm>
#include <cassert>
#include <string>
#include <utility>

namespace handinger::detail {

using clock = std::chrono::steady_clock;
using kind = watch_action::kind;

namespace {

std::string format_duration(milliseconds d)
{
    if (d.count() % 60000 == 0)
        return std::to_string(d.count() / 60000) + " min";
    if (d.count() % 1000 == 0)
        return std::to_string(d.count() / 1000) + " s";
    return std::to_string(d.count()) + " ms";
}

// One scratch vector per thread for the events of a snapshot: watchers do not
// each keep one.
std::vector<watch_event>& scratch()
{
    thread_local std::vector<watch_event> v;
    v.clear();
    return v;
}

watch_action action(kind what, clock::time_point at = {}, std::uint64_t ticket = 0)
{
    watch_action a;
    a.what = what;
    a.at = at;
    a.ticket = ticket;
    return a;
}

} // namespace

watch_machine::watch_machine(const watch_options& opts) : opts_(opts), schedule_(opts) {}

clock::time_point watch_machine::timeout_at() const noexcept
{
    return next_timeout(started_, last_change_, opts_);
}

watch_action watch_machine::begin_next(std::uint64_t seq, bool cancelled, clock::time_point now)
{
    assert(!active_ && step_ == step::idle);
    active_ = true;
    active_seq_ = seq;
    next_cancelled_ = cancelled;
    if (!begun_) {
        begun_ = true;
        started_ = last_change_ = now;
        next_poll_ = notified_early_ ? now : now + schedule_.first_delay();
    }
    return settle(now);
}

watch_action watch_machine::woke(std::uint64_t ticket, clock::time_point now)
{
    if (ticket != ticket_ || (step_ != step::sleeping && step_ != step::queued))
        return {}; // a wait that was already over (its slot came, say)
    ++ticket_;     // a slot granted to this wait from now on is given back
    step_ = step::idle;
    return settle(now);
}

watch_action watch_machine::slot_granted(std::uint64_t ticket)
{
    if (step_ != step::queued || ticket != ticket_)
        return action(kind::give_back); // not wanted any more: to the next one
    ++ticket_;                          // the queue's wait is over: its woke() is stale
    step_ = step::polling;
    return action(kind::poll);
}

watch_action watch_machine::poll_ended(bool cancelled, clock::time_point now)
{
    assert(step_ == step::polling);
    step_ = step::idle;
    poll_again_ = false; // (a poll cut short: notified() already made the next one due)
    if (cancelled)
        return cancelled_result();
    return settle(now);
}

void watch_machine::abandon_next() noexcept
{
    step_ = step::idle;
    active_ = false;
    ++ticket_;
}

watch_action watch_machine::cancel_next(std::uint64_t seq)
{
    if (!active_ || active_seq_ != seq || next_cancelled_)
        return {};
    next_cancelled_ = true;
    switch (step_) {
    case step::sleeping:
    case step::queued: return action(kind::cancel_timer);
    case step::polling: return action(kind::cancel_poll);
    case step::idle: break;
    }
    return {};
}

// What cuts short the wait of the pending async_next, so that it learns at
// once that the watch ended elsewhere.
watch_action watch_machine::interrupt_action() const
{
    switch (step_) {
    case step::sleeping:
    case step::queued: return action(kind::cancel_timer);
    case step::polling: return action(kind::interrupt_poll);
    case step::idle: break;
    }
    return {};
}

watch_action watch_machine::stop()
{
    stopped_ = true;
    return interrupt_action();
}

watch_action watch_machine::notified(clock::time_point now)
{
    if (finished_ || stopped_)
        return {};
    if (!begun_) {
        notified_early_ = true;
        return {};
    }
    next_poll_ = std::min(next_poll_, now);
    switch (step_) {
    case step::sleeping: return action(kind::cancel_timer);
    case step::polling: poll_again_ = true; return {};
    case step::queued: // the poll comes as soon as a slot does
    case step::idle: break;
    }
    return {};
}

watch_action watch_machine::submit_ended(boost::system::error_code ec, diagnostics diag,
                                         clock::time_point now)
{
    submitting_ = false;
    grace_from_ = now;
    if (!ec)
        return {};
    submit_ec_ = ec;
    submit_diag_ = std::make_unique<diagnostics>(std::move(diag));
    return interrupt_action();
}

void watch_machine::finish(boost::system::error_code ec, diagnostics d, bool own)
{
    finished_ = true;
    final_ec_ = ec;
    if (ec) {
        final_diag_ = std::make_unique<diagnostics>(std::move(d));
        final_own_ = own;
    }
}

// The pending async_next ends with `a`.
watch_action watch_machine::complete(watch_action a)
{
    step_ = step::idle;
    ++ticket_;
    active_ = false;
    a.what = kind::complete;
    return a;
}

watch_action watch_machine::cancelled_result()
{
    watch_action a;
    a.ec = error::cancelled;
    a.diag.client_message = stopped_ ? "the watch was stopped" : "async_next was cancelled";
    a.own_diag = true;
    if (stopped_ && !finished_) // (a watch that ended keeps its own end)
        finish(a.ec, a.diag, true);
    return complete(std::move(a));
}

// One step of async_next that needs no waiting: hands over a buffered event,
// or reports how the watch ended; otherwise waits for the next poll (or
// queues for a poll slot when its time has come).
watch_action watch_machine::settle(clock::time_point now)
{
    if (next_cancelled_)
        return cancelled_result();
    for (;;) {
        if (head_ < buffer_.size()) {
            watch_action a;
            a.event = std::move(buffer_[head_++]);
            if (head_ == buffer_.size()) { // drained: give the storage back
                std::vector<watch_event>().swap(buffer_);
                head_ = 0;
            }
            if (std::holds_alternative<events::terminal>(*a.event))
                finish({}, {}, false);
            return complete(std::move(a));
        }
        if (finished_) {
            watch_action a; // no event: done (or the error that ended it)
            a.ec = final_ec_;
            if (final_diag_) {
                a.diag = *final_diag_;
                a.own_diag = final_own_;
            }
            return complete(std::move(a));
        }
        if (stopped_)
            return cancelled_result();
        if (submit_ec_) {
            finish(submit_ec_, submit_diag_ ? *submit_diag_ : diagnostics{}, false);
            continue;
        }
        if (auto why = deadline_check(now, started_, last_change_, opts_)) {
            diagnostics d;
            d.client_message = *why == watch_timeout::deadline
                                   ? "the watch's deadline (" + format_duration(opts_.deadline) + ") passed"
                                   : "no change for " + format_duration(opts_.stall_timeout);
            finish(error::timeout, std::move(d), true);
            continue;
        }
        // Wake for the next poll, or for a deadline (saturating arithmetic).
        const auto limit = timeout_at();
        const auto at = std::min(next_poll_, limit);
        const auto ticket = ++ticket_;
        if (at > now) {
            step_ = step::sleeping;
            return action(kind::sleep, at, ticket);
        }
        // In the queue, the watch's deadline still holds.
        step_ = step::queued;
        return action(kind::queue, limit, ticket);
    }
}

void watch_machine::answered(boost::system::error_code ec, diagnostics&& diag, task_with_turns&& value,
                             clock::time_point now, double random01)
{
    take_answer(ec, std::move(diag), std::move(value), now, random01);
    if (poll_again_) { // notified while this poll's GET was under way
        poll_again_ = false;
        next_poll_ = std::min(next_poll_, now);
    }
}

void watch_machine::take_answer(boost::system::error_code ec, diagnostics&& diag, task_with_turns&& value,
                                clock::time_point now, double random01)
{
    if (ec) {
        // While submit's POST is under way the task cannot be expected yet;
        // the grace period starts when the POST is over.
        auto since = submitting_
                         ? milliseconds(0)
                         : std::chrono::duration_cast<milliseconds>(now - std::max(started_, grace_from_));
        switch (decide(ec, diag.status, seen_, since, opts_.not_found_grace)) {
        case watch_step::not_visible_yet: {
            consecutive_errors_ = 0;
            poll_outcome o{false, poll_phase::pending, diag.retry_after, random01};
            next_poll_ = now + schedule_.next_delay(o);
            break;
        }
        case watch_step::retry: {
            ++consecutive_errors_;
            auto d = schedule_.next_delay_after_error(consecutive_errors_, diag.retry_after, random01);
            next_poll_ = now + d;
            if (opts_.report_retrying)
                buffer_.emplace_back(events::retrying{ec, std::move(diag), d});
            break;
        }
        case watch_step::fail:
            if (ec == error::not_found && seen_)
                diag.client_message = "the task was seen, then not found";
            else if (ec == error::not_found)
                diag.client_message =
                    "not visible within " + format_duration(opts_.not_found_grace) + " of the watch's start";
            finish(ec, std::move(diag), false);
            break;
        }
        return;
    }

    consecutive_errors_ = 0;
    seen_ = true;
    auto& evs = scratch();
    last_ = value.task;
    snapshot_cache_.reset();
    tracker_.update(std::move(value), evs);
    const bool changed = !evs.empty();
    for (auto& e : evs)
        buffer_.push_back(std::move(e));
    if (changed)
        last_change_ = now;
    const auto phase = last_ ? phase_of(last_->status) : poll_phase::pending;
    poll_outcome o{changed, phase, diag.retry_after, random01};
    next_poll_ = now + schedule_.next_delay(o);
}

const task_with_turns* watch_machine::snapshot() const
{
    if (!last_)
        return nullptr;
    if (!snapshot_cache_) {
        snapshot_cache_ = std::make_unique<task_with_turns>();
        auto& s = *snapshot_cache_;
        s.task = *last_;
        s.turns = tracker_.turns();
        std::sort(s.turns.begin(), s.turns.end(),
                  [](const turn& a, const turn& b) { return a.seq != b.seq ? a.seq < b.seq : a.id < b.id; });
    }
    return snapshot_cache_.get();
}

std::size_t watch_machine::memory_estimate() const noexcept
{
    std::size_t n = tracker_.memory_estimate() + buffer_.capacity() * sizeof(watch_event);
    if (last_)
        n += last_->id.capacity() + last_->title.capacity() + last_->url.capacity() +
             last_->worker_id.capacity() + last_->created_at.capacity() + last_->organization_id.capacity();
    return n;
}

} // namespace handinger::detail
