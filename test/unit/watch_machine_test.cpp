// One watch without sockets (policy/watch_machine.hpp): a simulated clock,
// poll answers the test picks, and the driver's part played by hand. Every
// input from every step of the pending async_next, then the paths one by one,
// then random sequences against the invariants.
#include "policy/watch_machine.hpp"

#include "policy/turn_diff.hpp"

#include <handinger/error.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace handinger;
using namespace handinger::detail;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using kind = watch_action::kind;
using step = watch_machine::step;
using tp = std::chrono::steady_clock::time_point;

namespace {

const tp t0 = tp{} + std::chrono::hours(1000);

const char* name(kind k)
{
    switch (k) {
    case kind::none: return "none";
    case kind::complete: return "complete";
    case kind::sleep: return "sleep";
    case kind::queue: return "queue";
    case kind::poll: return "poll";
    case kind::give_back: return "give_back";
    case kind::cancel_timer: return "cancel_timer";
    case kind::cancel_poll: return "cancel_poll";
    case kind::interrupt_poll: return "interrupt_poll";
    }
    return "?";
}

const char* name(step s)
{
    switch (s) {
    case step::idle: return "idle";
    case step::sleeping: return "sleeping";
    case step::queued: return "queued";
    case step::polling: return "polling";
    }
    return "?";
}

turn make_turn(std::string id, std::int64_t seq, std::string text = {})
{
    turn t;
    t.id = std::move(id);
    t.task_id = "tsk_1";
    t.seq = seq;
    t.role = "assistant";
    t.status = turn_status::running;
    t.output_text = std::move(text);
    return t;
}

task_with_turns snap(task_status status, std::vector<turn> turns = {})
{
    task_with_turns s;
    s.task.id = "tsk_1";
    s.task.status = status;
    s.turns = std::move(turns);
    return s;
}

// "status:-" > "running", "added:id", "updated:id:text", "terminal:completed",
// "retrying:<delay ms>"; for a completion: its event, or "done", or
// "error:<message>".
std::string describe(const watch_event& e)
{
    if (auto* s = std::get_if<events::status_changed>(&e))
        return "status:" + (s->from ? std::string(s->from->str()) : std::string("-")) + ">" +
               std::string(s->to.str());
    if (auto* a = std::get_if<events::turn_added>(&e))
        return "added:" + a->turn.id;
    if (auto* u = std::get_if<events::turn_updated>(&e))
        return (u->replaced ? "replaced:" : "updated:") + u->turn.id + ":" + u->text;
    if (auto* t = std::get_if<events::terminal>(&e))
        return "terminal:" + std::string(t->status.str());
    return "retrying:" + std::to_string(std::get<events::retrying>(e).delay.count());
}

std::string outcome(const watch_action& a)
{
    REQUIRE(a.what == kind::complete);
    if (a.ec)
        return "error:" + a.diag.client_message;
    if (!a.event)
        return "done";
    return describe(*a.event);
}

watch_options base_options()
{
    watch_options o; // the defaults: 250 ms, x1.5, caps 5 s / 15 s
    o.not_found_grace = 10s;
    o.deadline = 30min;
    o.stall_timeout = 10min;
    return o;
}

diagnostics server_diag(int status, std::string message = "the server says no")
{
    diagnostics d;
    d.status = status;
    d.method = "GET";
    d.path = "/api/tasks/tsk_1";
    d.server_message = std::move(message);
    return d;
}

// The machine and a simulated clock, with the driver's part as helpers.
struct sim {
    watch_machine m;
    tp now = t0;
    std::uint64_t seq = 0;

    explicit sim(const watch_options& o = base_options()) : m(o) {}

    watch_action begin(bool cancelled = false) { return m.begin_next(++seq, cancelled, now); }

    // A queue action whose slot is granted at once.
    watch_action grant(const watch_action& a)
    {
        REQUIRE(a.what == kind::queue);
        return m.slot_granted(a.ticket);
    }

    // From a fresh async_next (or a sleep that ended) to its poll.
    void to_polling(watch_action a)
    {
        if (a.what == kind::sleep) {
            now = a.at;
            a = m.woke(a.ticket, now);
        }
        REQUIRE(a.what == kind::queue);
        REQUIRE(grant(a).what == kind::poll);
        REQUIRE(m.at_step() == step::polling);
    }

    void answer(task_with_turns s, double r = 0.5) { m.answered({}, {}, std::move(s), now, r); }
    void answer_error(error e, diagnostics d = server_diag(0)) { m.answered(e, std::move(d), {}, now, 0.5); }

    // One whole poll that answers `s`, then its end.
    watch_action poll_with(watch_action a, task_with_turns s)
    {
        to_polling(a);
        answer(std::move(s));
        return m.poll_ended(false, now);
    }
    watch_action poll_with_error(watch_action a, error e, diagnostics d = server_diag(0))
    {
        to_polling(a);
        answer_error(e, std::move(d));
        return m.poll_ended(false, now);
    }

    // The watch's first events handed over; the machine then sleeps: the
    // returned action.
    watch_action seen_running()
    {
        auto a = poll_with(begin(), snap(task_status::running));
        REQUIRE(outcome(a) == "status:->running");
        a = begin();
        REQUIRE(a.what == kind::sleep);
        return a;
    }
};

} // namespace

TEST_CASE("watch machine: the first async_next polls at once, its events come one by one, then it sleeps")
{
    sim s;
    CHECK(s.m.snapshot() == nullptr);
    auto a = s.begin();
    CHECK(a.what == kind::queue);
    CHECK(a.at == t0 + 10min); // the stall timeout comes before the deadline
    CHECK(a.ticket == s.m.ticket());
    CHECK(s.m.at_step() == step::queued);
    CHECK(s.m.next_pending());

    s.to_polling(a);
    s.now += 40ms;
    s.answer(snap(task_status::running, {make_turn("b", 2, "x"), make_turn("a", 1, "hello")}));
    CHECK(s.m.buffered() == 3);
    a = s.m.poll_ended(false, s.now);
    CHECK(outcome(a) == "status:->running");
    CHECK_FALSE(a.own_diag);
    CHECK(s.m.at_step() == step::idle);
    CHECK_FALSE(s.m.next_pending());
    CHECK(outcome(s.begin()) == "added:a"); // in seq order, without a poll
    CHECK(outcome(s.begin()) == "added:b");
    CHECK(s.m.buffered() == 0);
    a = s.begin();
    CHECK(a.what == kind::sleep);
    CHECK(a.at == t0 + 40ms + 250ms); // a changed poll waits first_interval
    CHECK(s.m.at_step() == step::sleeping);

    // The snapshot: the task and its turns in seq order.
    REQUIRE(s.m.snapshot() != nullptr);
    CHECK(s.m.snapshot()->turns.size() == 2);
    CHECK(s.m.snapshot()->turns[0].id == "a");
    CHECK(s.m.memory_estimate() > 0);
}

TEST_CASE("watch machine: unchanged polls back off, a change resets the schedule and the stall clock")
{
    sim s;
    auto a = s.seen_running(); // t0: changed
    CHECK(a.at == t0 + 250ms);
    std::vector<long long> waits;
    for (int i = 0; i < 5; ++i) {
        auto at = a.at;
        a = s.poll_with(a, snap(task_status::running));
        REQUIRE(a.what == kind::sleep);
        waits.push_back(std::chrono::duration_cast<milliseconds>(a.at - at).count());
    }
    CHECK(waits == std::vector<long long>{250, 375, 563, 844, 1266});
    auto at = a.at;
    a = s.poll_with(a, snap(task_status::running, {make_turn("t", 1)}));
    CHECK(outcome(a) == "added:t");
    a = s.begin();
    CHECK(a.at == at + 250ms);
    // The stall timeout counts from the last change.
    CHECK(s.m.timeout_at() == at + 10min);
}

TEST_CASE("watch machine: a server's retry-after stretches the next wait")
{
    sim s;
    auto a = s.seen_running();
    s.to_polling(a);
    task_with_turns v = snap(task_status::running);
    diagnostics d;
    d.retry_after = 7s;
    s.m.answered({}, std::move(d), std::move(v), s.now, 0.5);
    a = s.m.poll_ended(false, s.now);
    CHECK(a.what == kind::sleep);
    CHECK(a.at == s.now + 7s);
}

TEST_CASE("watch machine: jitter comes from the random number passed in")
{
    auto o = base_options();
    o.jitter = 0.2;
    o.min_interval = 10ms; // (the floor would hide the lower end)
    for (double r : {0.0, 0.5, 0.999}) {
        sim s(o);
        auto a = s.seen_running();
        s.to_polling(a);
        s.answer(snap(task_status::running), r);
        a = s.m.poll_ended(false, s.now);
        REQUIRE(a.what == kind::sleep);
        const auto ms = std::chrono::duration_cast<milliseconds>(a.at - s.now).count();
        CAPTURE(r);
        CHECK(ms == (r == 0.0 ? 200 : r == 0.5 ? 250 : 300));
    }
}

TEST_CASE("watch machine: every input from every step")
{
    // The inputs, and what each gives in each step: the action, and the step
    // after it. "current" is the ticket of the step's wait (the seq of the
    // pending async_next); "stale" an older one.
    enum class input {
        woke_current,
        woke_stale,
        slot_current,
        slot_stale,
        cancel_current,
        cancel_other,
        stop,
        submit_failed,
        submit_ok,
        poll_ended,
        poll_ended_cancelled,
    };
    struct row {
        step from;
        input in;
        kind expect;
        step after;
    };
    // ("none" is idle with no async_next pending.)
    const row table[] = {
        {step::idle, input::woke_current, kind::none, step::idle},
        {step::idle, input::woke_stale, kind::none, step::idle},
        {step::idle, input::slot_current, kind::give_back, step::idle},
        {step::idle, input::slot_stale, kind::give_back, step::idle},
        {step::idle, input::cancel_current, kind::none, step::idle},
        {step::idle, input::cancel_other, kind::none, step::idle},
        {step::idle, input::stop, kind::none, step::idle},
        {step::idle, input::submit_failed, kind::none, step::idle},
        {step::idle, input::submit_ok, kind::none, step::idle},

        {step::sleeping, input::woke_current, kind::queue, step::queued}, // its time came
        {step::sleeping, input::woke_stale, kind::none, step::sleeping},
        {step::sleeping, input::slot_current, kind::give_back, step::sleeping},
        {step::sleeping, input::slot_stale, kind::give_back, step::sleeping},
        {step::sleeping, input::cancel_current, kind::cancel_timer, step::sleeping},
        {step::sleeping, input::cancel_other, kind::none, step::sleeping},
        {step::sleeping, input::stop, kind::cancel_timer, step::sleeping},
        {step::sleeping, input::submit_failed, kind::cancel_timer, step::sleeping},
        {step::sleeping, input::submit_ok, kind::none, step::sleeping},

        {step::queued, input::woke_current, kind::queue, step::queued}, // woken early: queues again
        {step::queued, input::woke_stale, kind::none, step::queued},
        {step::queued, input::slot_current, kind::poll, step::polling},
        {step::queued, input::slot_stale, kind::give_back, step::queued},
        {step::queued, input::cancel_current, kind::cancel_timer, step::queued},
        {step::queued, input::cancel_other, kind::none, step::queued},
        {step::queued, input::stop, kind::cancel_timer, step::queued},
        {step::queued, input::submit_failed, kind::cancel_timer, step::queued},
        {step::queued, input::submit_ok, kind::none, step::queued},

        {step::polling, input::woke_current, kind::none, step::polling},
        {step::polling, input::woke_stale, kind::none, step::polling},
        {step::polling, input::slot_current, kind::give_back, step::polling},
        {step::polling, input::slot_stale, kind::give_back, step::polling},
        {step::polling, input::cancel_current, kind::cancel_poll, step::polling},
        {step::polling, input::cancel_other, kind::none, step::polling},
        {step::polling, input::stop, kind::interrupt_poll, step::polling},
        {step::polling, input::submit_failed, kind::interrupt_poll, step::polling},
        {step::polling, input::submit_ok, kind::none, step::polling},
        {step::polling, input::poll_ended, kind::sleep, step::sleeping}, // nothing new: sleeps
        {step::polling, input::poll_ended_cancelled, kind::complete, step::idle},
    };
    int rows = 0;
    for (const auto& r : table) {
        CAPTURE(name(r.from));
        CAPTURE(static_cast<int>(r.in));
        ++rows;
        sim s;
        s.m.submit_started();
        // The watch is under way (seen, running); then into the step.
        auto first = s.poll_with(s.begin(), snap(task_status::running));
        REQUIRE(first.what == kind::complete);
        std::uint64_t stale = s.m.ticket() - 1;
        std::uint64_t current = s.m.ticket();
        switch (r.from) {
        case step::idle: break;
        case step::sleeping: {
            auto a = s.begin();
            REQUIRE(a.what == kind::sleep);
            current = a.ticket;
            if (r.in == input::woke_current)
                s.now = a.at;
            break;
        }
        case step::queued: {
            auto a = s.begin();
            s.now = a.at;
            a = s.m.woke(a.ticket, s.now);
            REQUIRE(a.what == kind::queue);
            current = a.ticket;
            break;
        }
        case step::polling: {
            auto a = s.begin();
            s.to_polling(a);
            current = s.m.ticket();
            if (r.in == input::poll_ended)
                s.answer(snap(task_status::running));
            break;
        }
        }
        REQUIRE(s.m.at_step() == r.from);
        REQUIRE(stale < current);
        const auto ticket_before = s.m.ticket();
        watch_action a;
        switch (r.in) {
        case input::woke_current: a = s.m.woke(current, s.now); break;
        case input::woke_stale: a = s.m.woke(stale, s.now); break;
        case input::slot_current: a = s.m.slot_granted(current); break;
        case input::slot_stale: a = s.m.slot_granted(stale); break;
        case input::cancel_current: a = s.m.cancel_next(s.seq); break;
        case input::cancel_other: a = s.m.cancel_next(s.seq + 1); break;
        case input::stop: a = s.m.stop(); break;
        case input::submit_failed: a = s.m.submit_ended(error::bad_request, server_diag(400), s.now); break;
        case input::submit_ok: a = s.m.submit_ended({}, {}, s.now); break;
        case input::poll_ended: a = s.m.poll_ended(false, s.now); break;
        case input::poll_ended_cancelled: a = s.m.poll_ended(true, s.now); break;
        }
        CAPTURE(name(a.what));
        CHECK(a.what == r.expect);
        CHECK(s.m.at_step() == r.after);
        CHECK(s.m.next_pending() == (r.after != step::idle));
        // A new wait has a new ticket; a refused input changes none.
        if (a.what == kind::sleep || a.what == kind::queue) {
            CHECK(a.ticket > ticket_before);
            CHECK(a.ticket == s.m.ticket());
        }
        if (a.what == kind::none || a.what == kind::give_back || a.what == kind::cancel_timer ||
            a.what == kind::cancel_poll || a.what == kind::interrupt_poll)
            CHECK(s.m.ticket() == ticket_before);
        CHECK(s.m.interrupted() == (r.in == input::stop || r.in == input::submit_failed));
    }
    CHECK(rows == 38);
}

TEST_CASE("watch machine: a wait cut short ends the async_next: cancelled, stopped, submit failed")
{
    for (step at : {step::sleeping, step::queued}) {
        CAPTURE(name(at));
        auto into = [&](sim& s) {
            auto a = s.seen_running();
            if (at == step::queued) {
                s.now = a.at;
                a = s.m.woke(a.ticket, s.now);
            }
            REQUIRE(s.m.at_step() == at);
            return a;
        };
        {
            sim s;
            auto a = into(s);
            CHECK(s.m.cancel_next(s.seq).what == kind::cancel_timer);
            CHECK(s.m.cancel_next(s.seq).what == kind::none); // a second cancel
            auto c = s.m.woke(a.ticket, s.now);
            CHECK(outcome(c) == "error:async_next was cancelled");
            CHECK(c.ec == error::cancelled);
            CHECK(c.own_diag);
            CHECK_FALSE(s.m.finished());
            // The stale slot of the cancelled wait is given back; the watch goes on.
            CHECK(s.m.slot_granted(a.ticket).what == kind::give_back);
            CHECK(s.m.cancel_next(s.seq).what == kind::none); // after its end
            auto b = s.begin();
            CHECK((b.what == kind::sleep || b.what == kind::queue));
        }
        {
            sim s;
            auto a = into(s);
            CHECK(s.m.stop().what == kind::cancel_timer);
            auto c = s.m.woke(a.ticket, s.now);
            CHECK(outcome(c) == "error:the watch was stopped");
            CHECK(c.own_diag);
            CHECK(s.m.finished());
            auto again = s.begin(); // every later one: the same
            CHECK(outcome(again) == "error:the watch was stopped");
            CHECK(again.own_diag);
        }
        {
            sim s;
            s.m.submit_started();
            auto a = into(s);
            CHECK(s.m.submit_ended(error::unprocessable_entity, server_diag(422, "input: too short"), s.now)
                      .what == kind::cancel_timer);
            auto c = s.m.woke(a.ticket, s.now);
            REQUIRE(c.what == kind::complete);
            CHECK(c.ec == error::unprocessable_entity);
            CHECK(c.diag.server_message == "input: too short"); // the POST's own diagnostics
            CHECK(c.diag.status == 422);
            CHECK_FALSE(c.own_diag);
            CHECK(s.m.finished());
            CHECK(s.begin().ec == error::unprocessable_entity);
        }
    }
}

TEST_CASE("watch machine: stop, cancel and submit failure while polling")
{
    {
        sim s;
        s.to_polling(s.begin());
        CHECK(s.m.cancel_next(s.seq).what == kind::cancel_poll);
        auto c = s.m.poll_ended(true, s.now);
        CHECK(outcome(c) == "error:async_next was cancelled");
        CHECK_FALSE(s.m.finished());
        // The next one polls again (the cancelled poll did not count).
        CHECK(s.begin().what == kind::queue);
    }
    {
        // The answer came before the cancellation: its events wait for the
        // next async_next.
        sim s;
        s.to_polling(s.begin());
        s.answer(snap(task_status::running));
        CHECK(s.m.cancel_next(s.seq).what == kind::cancel_poll);
        CHECK(outcome(s.m.poll_ended(false, s.now)) == "error:async_next was cancelled");
        CHECK(outcome(s.begin()) == "status:->running");
    }
    {
        sim s;
        s.to_polling(s.begin());
        CHECK(s.m.stop().what == kind::interrupt_poll);
        CHECK(s.m.interrupted());
        auto c = s.m.poll_ended(false, s.now);
        CHECK(outcome(c) == "error:the watch was stopped");
        CHECK(s.m.finished());
    }
    {
        sim s;
        s.m.submit_started();
        s.to_polling(s.begin());
        CHECK(s.m.submit_ended(error::authentication, server_diag(401), s.now).what == kind::interrupt_poll);
        CHECK(s.m.interrupted());
        auto c = s.m.poll_ended(false, s.now);
        CHECK(c.ec == error::authentication);
        CHECK(c.diag.status == 401);
        CHECK(s.m.finished());
    }
}

TEST_CASE("watch machine: cancelled before it began, stopped or failed while no async_next ran")
{
    {
        sim s;
        auto c = s.begin(true);
        CHECK(outcome(c) == "error:async_next was cancelled");
        CHECK_FALSE(s.m.finished());
        CHECK(s.begin().what == kind::queue); // the watch goes on
    }
    {
        sim s;
        CHECK(s.m.stop().what == kind::none);
        CHECK(outcome(s.begin()) == "error:the watch was stopped");
    }
    {
        sim s;
        s.m.submit_started();
        CHECK(s.m.submit_ended(error::conflict, server_diag(409), s.now).what == kind::none);
        auto c = s.begin();
        CHECK(c.ec == error::conflict);
        CHECK_FALSE(c.own_diag);
    }
    {
        // Buffered events are handed over before a stop or a failed submit ends the watch.
        for (bool stop : {true, false}) {
            sim s;
            s.m.submit_started();
            auto a = s.poll_with(s.begin(), snap(task_status::running, {make_turn("a", 1)}));
            CHECK(outcome(a) == "status:->running");
            if (stop)
                s.m.stop();
            else
                s.m.submit_ended(error::bad_request, server_diag(400), s.now);
            CHECK(outcome(s.begin()) == "added:a");
            auto c = s.begin();
            CHECK(c.ec == (stop ? boost::system::error_code(error::cancelled) : error::bad_request));
        }
    }
    {
        // A cancelled async_next hands over nothing, even with events buffered.
        sim s;
        s.poll_with(s.begin(), snap(task_status::running, {make_turn("a", 1)}));
        CHECK(outcome(s.begin(true)) == "error:async_next was cancelled");
        CHECK(outcome(s.begin()) == "added:a");
    }
}

TEST_CASE("watch machine: poll errors - not visible yet, retried, or the end")
{
    SUBCASE("a 404 before the task was seen, within the grace: polls on as if pending")
    {
        sim s;
        auto a = s.poll_with_error(s.begin(), error::not_found, server_diag(404));
        CHECK(a.what == kind::sleep);
        CHECK(a.at == s.now + 250ms);
        s.now = t0 + 9999ms;
        a = s.poll_with_error(s.m.woke(a.ticket, s.now), error::not_found, server_diag(404));
        CHECK(a.what == kind::sleep);
        CHECK(a.at == s.now + 375ms); // unchanged pending polls back off
        CHECK(s.m.buffered() == 0);
    }
    SUBCASE("a 404 at the grace ends the watch")
    {
        sim s;
        auto a = s.poll_with_error(s.begin(), error::not_found, server_diag(404));
        s.now = t0 + 10s;
        a = s.poll_with_error(s.m.woke(a.ticket, s.now), error::not_found, server_diag(404));
        CHECK(outcome(a) == "error:not visible within 10 s of the watch's start");
        CHECK(a.diag.server_message == "the server says no"); // the server's words stay
        CHECK_FALSE(a.own_diag);
        CHECK(s.m.finished());
        CHECK(outcome(s.begin()) == "error:not visible within 10 s of the watch's start");
    }
    SUBCASE("a 404 once the task was seen ends the watch at once")
    {
        sim s;
        auto a = s.seen_running();
        a = s.poll_with_error(a, error::not_found, server_diag(404));
        CHECK(outcome(a) == "error:the task was seen, then not found");
    }
    SUBCASE("while submit's POST runs, a 404 never counts - after it, the grace starts at its end")
    {
        sim s;
        s.m.submit_started();
        auto a = s.begin();
        s.now = t0 + 20s; // past the grace
        a = s.poll_with_error(s.m.woke(a.ticket, s.now), error::not_found, server_diag(404));
        CHECK(a.what == kind::sleep);
        s.m.submit_ended({}, {}, s.now);
        s.now = a.at;
        a = s.poll_with_error(s.m.woke(a.ticket, s.now), error::not_found, server_diag(404));
        CHECK(a.what == kind::sleep); // 250 ms into the grace
        s.now = t0 + 20s + 9999ms;
        a = s.poll_with_error(s.m.woke(a.ticket, s.now), error::not_found, server_diag(404));
        CHECK(a.what == kind::sleep);
        s.now = t0 + 30s;
        a = s.poll_with_error(s.m.woke(a.ticket, s.now), error::not_found, server_diag(404));
        CHECK(outcome(a) == "error:not visible within 10 s of the watch's start");
    }
    SUBCASE("transient errors are retried with a doubling backoff, reset by an answer")
    {
        for (bool report : {false, true}) {
            CAPTURE(report);
            auto o = base_options();
            o.report_retrying = report;
            sim s(o);
            auto a = s.seen_running();
            std::vector<std::string> seen;
            for (error e : {error::connection, error::server_error, error::timeout}) {
                a = s.poll_with_error(a, e, server_diag(e == error::server_error ? 503 : 0));
                if (report) {
                    seen.push_back(outcome(a));
                    CHECK(a.event);
                    CHECK(std::get<events::retrying>(*a.event).ec == e);
                    a = s.begin();
                }
                REQUIRE(a.what == kind::sleep);
                seen.push_back(
                    std::to_string(std::chrono::duration_cast<milliseconds>(a.at - s.now).count()));
            }
            if (report)
                CHECK(seen == std::vector<std::string>{"retrying:250", "250", "retrying:500", "500",
                                                       "retrying:1000", "1000"});
            else
                CHECK(seen == std::vector<std::string>{"250", "500", "1000"});
            a = s.poll_with(a, snap(task_status::running));
            CHECK(a.what == kind::sleep);
            a = s.poll_with_error(a, error::connection);
            if (report)
                a = s.begin();
            CHECK(a.at == s.now + 250ms); // counts from one again
            CHECK_FALSE(s.m.finished());
        }
    }
    SUBCASE("a 408 is retried, a final error ends the watch with the server's diagnostics")
    {
        sim s;
        auto a = s.seen_running();
        a = s.poll_with_error(a, error::unexpected_status, server_diag(408));
        CHECK(a.what == kind::sleep);
        a = s.poll_with_error(a, error::permission_denied, server_diag(403, "no access"));
        REQUIRE(a.what == kind::complete);
        CHECK(a.ec == error::permission_denied);
        CHECK(a.diag.server_message == "no access");
        CHECK(a.diag.path == "/api/tasks/tsk_1");
        CHECK_FALSE(a.own_diag);
        CHECK(s.m.finished());
        auto again = s.begin();
        CHECK(again.ec == error::permission_denied);
        CHECK(again.diag.server_message == "no access");
    }
}

TEST_CASE("watch machine: the deadline and the stall timeout, named as the options say")
{
    struct tcase {
        milliseconds deadline, stall;
        const char* message;
    };
    for (auto c : {tcase{1s, 10min, "the watch's deadline (1 s) passed"},
                   tcase{1500ms, 10min, "the watch's deadline (1500 ms) passed"},
                   tcase{2min, 1min, "no change for 1 min"}, tcase{30min, 700ms, "no change for 700 ms"}}) {
        CAPTURE(c.message);
        auto o = base_options();
        o.deadline = c.deadline;
        o.stall_timeout = c.stall;
        // Asleep: the wait ends at the timeout at the latest.
        {
            sim s(o);
            auto a = s.poll_with(s.begin(), snap(task_status::pending));
            CHECK(outcome(a) == "status:->pending");
            a = s.begin();
            REQUIRE(a.what == kind::sleep);
            const auto limit = t0 + std::min(c.deadline, c.stall);
            CHECK(a.at == std::min(limit, t0 + 250ms));
            while (a.what == kind::sleep) {
                s.now = a.at;
                a = s.m.woke(a.ticket, s.now);
                if (a.what == kind::queue)
                    a = s.poll_with(a, snap(task_status::pending));
            }
            CHECK(s.now == limit);
            CHECK(outcome(a) == std::string("error:") + c.message);
            CHECK(a.ec == error::timeout);
            CHECK(a.own_diag);
            CHECK(s.m.finished());
        }
        // Queued: the queue's wait ends at the timeout.
        {
            sim s(o);
            auto a = s.begin();
            REQUIRE(a.what == kind::queue);
            CHECK(a.at == t0 + std::min(c.deadline, c.stall));
            s.now = a.at;
            auto c2 = s.m.woke(a.ticket, s.now);
            CHECK(outcome(c2) == std::string("error:") + c.message);
            CHECK(s.m.slot_granted(a.ticket).what == kind::give_back); // the slot that comes later
        }
    }
}

TEST_CASE("watch machine: a poll that came back without an answer (its deadline came first)")
{
    auto o = base_options();
    o.deadline = 1s;
    sim s(o);
    s.to_polling(s.begin());
    CHECK(s.m.timeout_at() == t0 + 1s);
    s.now = t0 + 1s;
    auto a = s.m.poll_ended(false, s.now);
    CHECK(outcome(a) == "error:the watch's deadline (1 s) passed");
}

TEST_CASE("watch machine: the terminal event, then done for good")
{
    sim s;
    auto a = s.seen_running();
    a = s.poll_with(a, snap(task_status::completed, {make_turn("a", 1, "hi")}));
    CHECK(outcome(a) == "added:a");
    CHECK_FALSE(s.m.finished());
    CHECK(outcome(s.begin()) == "status:running>completed");
    CHECK_FALSE(s.m.finished());
    auto t = s.begin();
    CHECK(outcome(t) == "terminal:completed");
    CHECK(std::get<events::terminal>(*t.event).snapshot.turns.size() == 1);
    CHECK(s.m.finished());
    for (int i = 0; i < 3; ++i) {
        auto d = s.begin();
        CHECK(outcome(d) == "done");
        CHECK_FALSE(d.ec);
    }
    // A stop after the end changes nothing.
    CHECK(s.m.stop().what == kind::none);
    CHECK(outcome(s.begin()) == "done");
    REQUIRE(s.m.snapshot());
    CHECK(s.m.snapshot()->task.status == task_status::completed);
}

TEST_CASE("watch machine: an async_next cancelled after a stop does not change how a finished watch ended")
{
    // The watch ended (done, or with an error); cancel() then an async_next
    // cancelled before it began: that one is cancelled, and the next one
    // still reports the watch's own end.
    {
        sim s;
        s.poll_with(s.begin(), snap(task_status::completed));
        CHECK(outcome(s.begin()) == "terminal:completed");
        s.m.stop();
        CHECK(outcome(s.begin(true)) == "error:the watch was stopped");
        CHECK(outcome(s.begin()) == "done");
    }
    {
        sim s;
        auto a = s.poll_with_error(s.begin(), error::bad_request, server_diag(400, "bad"));
        CHECK(a.ec == error::bad_request);
        s.m.stop();
        CHECK(s.begin(true).ec == error::cancelled);
        auto again = s.begin();
        CHECK(again.ec == error::bad_request);
        CHECK(again.diag.server_message == "bad");
    }
}

TEST_CASE("watch machine: an exception in the poll drops the async_next, the next one starts afresh")
{
    sim s;
    s.to_polling(s.begin());
    const auto t = s.m.ticket();
    s.m.abandon_next();
    CHECK(s.m.at_step() == step::idle);
    CHECK_FALSE(s.m.next_pending());
    CHECK(s.m.ticket() > t);
    CHECK(s.m.cancel_next(s.seq).what == kind::none);
    CHECK(s.begin().what == kind::queue);
}

TEST_CASE("watch machine: random sequences keep the invariants")
{
    // A driver that does what the machine says, with the inputs in a random
    // order: timers that fire or are cut short, slots that come late, poll
    // answers of every kind, cancels, a stop, submit's end. Checked on every
    // step: one completion per async_next, no wait with a stale ticket,
    // tickets only grow, finished stays, once finished (nothing buffered)
    // the same end every time, after the terminal event only "done" (or a
    // cancelled async_next), events in the order the tracker made them.
    std::mt19937 rng(20261207);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    long completions_total = 0, polls_total = 0, ends_total = 0, terminals_total = 0;
    for (int run = 0; run < 5000; ++run) {
        CAPTURE(run);
        auto o = base_options();
        o.report_retrying = pick(2) == 1;
        o.deadline = milliseconds(2000 + pick(20000));
        o.stall_timeout = milliseconds(1000 + pick(20000));
        o.not_found_grace = milliseconds(pick(3000));
        const bool submit = pick(3) == 0;
        sim s(o);
        if (submit)
            s.m.submit_started();
        bool submit_done = !submit;

        // The driver's view: the timer's waits whose callbacks are still to
        // come (a new wait cuts the older ones, as expires_at does), the
        // slots asked for, the poll.
        struct timer_wait {
            std::uint64_t ticket;
            tp at;
            bool queue = false; // the queue's wait (until the watch's deadline)
            bool cut = false;
        };
        std::deque<timer_wait> timer;
        std::vector<std::uint64_t> slots_asked;
        bool polling = false, poll_cut = false, answered = false;
        bool pending = false, pending_cancelled = false, settled_at_begin = false;
        std::uint64_t last_ticket = s.m.ticket(), last_issued = 0;
        int begun = 0, completed = 0;
        bool terminal_seen = false, was_finished = false;
        std::optional<std::string> end;   // the end reported once finished
        turn_tracker ref;                 // what the events must be
        std::deque<std::string> expected; // made by ref, not yet handed over
        int status_step = 0;
        std::vector<turn> turns;

        std::function<void(watch_action)> act = [&](watch_action a) {
            CAPTURE(name(a.what));
            CHECK(s.m.ticket() >= last_ticket);
            last_ticket = s.m.ticket();
            switch (a.what) {
            case kind::none: break;
            case kind::complete: {
                REQUIRE(pending);
                CHECK_FALSE(s.m.next_pending());
                CHECK(s.m.at_step() == step::idle);
                ++completed;
                pending = false;
                const auto what = outcome(a);
                if (a.ec == error::cancelled)
                    CHECK(a.own_diag);
                if (pending_cancelled)
                    CHECK(a.ec == error::cancelled);
                if (terminal_seen && !pending_cancelled)
                    CHECK(what == "done");
                if (settled_at_begin && !pending_cancelled) {
                    if (!end)
                        end = what;
                    CHECK(what == *end);
                }
                if (a.event && !std::holds_alternative<events::retrying>(*a.event)) {
                    REQUIRE_FALSE(expected.empty());
                    CHECK(describe(*a.event) == expected.front());
                    expected.pop_front();
                    if (std::holds_alternative<events::terminal>(*a.event))
                        terminal_seen = true;
                }
                if (a.event && std::holds_alternative<events::retrying>(*a.event))
                    CHECK(o.report_retrying);
                break;
            }
            case kind::sleep:
            case kind::queue:
                CHECK(a.ticket == s.m.ticket());
                CHECK(a.ticket > last_issued);
                last_issued = a.ticket;
                for (auto& w : timer)
                    w.cut = true;
                if (a.what == kind::sleep) {
                    CHECK(a.at > s.now);
                    CHECK(s.m.at_step() == step::sleeping);
                    timer.push_back({a.ticket, a.at});
                    break;
                }
                CHECK(a.at == s.m.timeout_at());
                CHECK(s.m.at_step() == step::queued);
                if (pick(2) == 0) { // the slot at once
                    act(s.m.slot_granted(a.ticket));
                } else {
                    slots_asked.push_back(a.ticket);
                    timer.push_back({a.ticket, a.at, true});
                }
                break;
            case kind::poll:
                CHECK(s.m.at_step() == step::polling);
                CHECK_FALSE(polling);
                for (auto& w : timer) // the queue's wait is cut
                    w.cut = true;
                polling = true;
                poll_cut = answered = false;
                ++polls_total;
                break;
            case kind::give_back: break;
            case kind::cancel_timer:
                CHECK((s.m.at_step() == step::sleeping || s.m.at_step() == step::queued));
                for (auto& w : timer)
                    w.cut = true;
                break;
            case kind::cancel_poll:
            case kind::interrupt_poll:
                CHECK(s.m.at_step() == step::polling);
                CHECK(polling);
                poll_cut = true;
                break;
            }
            if (was_finished)
                CHECK(s.m.finished());
            was_finished = s.m.finished();
        };

        auto answer_once = [&] {
            answered = true;
            if (s.m.interrupted() || poll_cut)
                return; // the driver drops what it got
            const int k = pick(10);
            if (k < 6) {
                // A snapshot: the status moves on now and then, turns appear and grow.
                if (pick(2) == 0 && status_step < 2)
                    ++status_step;
                if (pick(2) == 0)
                    turns.push_back(make_turn("t" + std::to_string(turns.size()), pick(5)));
                else if (!turns.empty())
                    turns[static_cast<std::size_t>(pick(static_cast<int>(turns.size())))].output_text += "x";
                const task_status st = status_step == 0   ? task_status::pending
                                       : status_step == 1 ? task_status::running
                                                          : task_status::completed;
                auto v = snap(st, turns);
                std::vector<watch_event> evs;
                ref.update(v, evs);
                for (auto& e : evs)
                    expected.push_back(describe(e));
                s.answer(std::move(v), std::uniform_real_distribution<double>(0, 1)(rng));
            } else {
                // Mostly transient; now and then a 404 (the end once seen) or a final error.
                static const error errs[] = {error::connection, error::server_error, error::not_found,
                                             error::bad_request};
                auto e = errs[k < 9 ? pick(2) : pick(4)];
                s.answer_error(e, server_diag(e == error::not_found ? 404 : 0));
            }
        };

        auto begin = [&](bool cancelled) {
            pending = true;
            pending_cancelled = cancelled;
            settled_at_begin = s.m.finished() && s.m.buffered() == 0;
            ++begun;
            act(s.m.begin_next(++s.seq, cancelled, s.now));
        };

        for (int stepno = 0; stepno < 120; ++stepno) {
            const int k = pick(12);
            if (!pending && k < 4) {
                begin(pick(8) == 0);
                continue;
            }
            switch (k) {
            case 4: // a timer callback: the oldest wait, at its time (at once when cut)
                if (!timer.empty()) {
                    auto w = timer.front();
                    if (!w.cut && w.queue && pick(5) != 0)
                        break; // a queue's wait mostly ends with its slot, before the deadline
                    if (!w.cut && w.at > s.now)
                        s.now = std::min(w.at, s.now + 1h);
                    if (w.cut || w.at <= s.now) {
                        timer.pop_front();
                        act(s.m.woke(w.ticket, s.now));
                    }
                }
                break;
            case 5: // a slot comes for one that asked (current or stale)
                if (!slots_asked.empty()) {
                    auto i = static_cast<std::size_t>(pick(static_cast<int>(slots_asked.size())));
                    auto t = slots_asked[i];
                    slots_asked.erase(slots_asked.begin() + static_cast<long>(i));
                    act(s.m.slot_granted(t));
                }
                break;
            case 6: // the poll's answer
                if (polling && !answered) {
                    s.now += milliseconds(pick(300));
                    answer_once();
                }
                break;
            case 7: // the poll's end (answered or not: its deadline, a cut)
                if (polling) {
                    polling = false;
                    act(s.m.poll_ended(poll_cut && pending_cancelled && !s.m.interrupted(), s.now));
                }
                break;
            case 8:
                if (pending || pick(3) == 0) {
                    auto seq = pick(4) == 0 ? s.seq + 1 : s.seq;
                    if (seq == s.seq && pending)
                        pending_cancelled = true;
                    act(s.m.cancel_next(seq));
                }
                break;
            case 9:
                if (pick(20) == 0)
                    act(s.m.stop());
                break;
            case 10:
                if (!submit_done) {
                    submit_done = true;
                    if (pick(2) == 0)
                        act(s.m.submit_ended(error::bad_request, server_diag(400), s.now));
                    else
                        act(s.m.submit_ended({}, {}, s.now));
                }
                break;
            default: s.now += milliseconds(pick(50)); break;
            }
        }
        // The pending one, if any: cancelled, and the driver runs until it completes.
        if (pending) {
            pending_cancelled = true;
            act(s.m.cancel_next(s.seq));
            for (int guard = 0; pending && guard < 1000; ++guard) {
                if (polling) {
                    polling = false;
                    act(s.m.poll_ended(!s.m.interrupted(), s.now));
                } else if (!timer.empty()) {
                    auto w = timer.front();
                    timer.pop_front();
                    act(s.m.woke(w.ticket, s.now));
                } else {
                    FAIL("a pending async_next with nothing to wake it");
                }
            }
        }
        CHECK_FALSE(pending);
        CHECK(begun == completed);
        CHECK_FALSE(s.m.next_pending());
        CHECK(s.m.at_step() == step::idle);
        // Every wait and slot left over is stale.
        for (auto& w : timer)
            CHECK(s.m.woke(w.ticket, s.now).what == kind::none);
        for (auto t : slots_asked)
            CHECK(s.m.slot_granted(t).what == kind::give_back);
        completions_total += completed;
        ends_total += end ? 1 : 0;
        terminals_total += terminal_seen ? 1 : 0;
    }
    // The sequences reach every corner often enough to mean something.
    MESSAGE("completions " << completions_total << ", polls " << polls_total << ", ends " << ends_total
                           << ", terminal events " << terminals_total);
    CHECK(completions_total > 50000);
    CHECK(polls_total > 10000);
    CHECK(ends_total > 1500);
    CHECK(terminals_total > 100);
}

// ---- notify_finished and webhook-assisted watches ---------------------------

namespace {

watch_options assisted_options()
{
    auto o = base_options();
    o.webhook_assisted = true;
    o.safety_poll_interval = 30s;
    o.jitter = 0;
    return o;
}

} // namespace

TEST_CASE(
    "watch machine: a webhook-assisted watch waits a safety interval before its first poll and between polls")
{
    sim s(assisted_options());
    auto a = s.begin();
    REQUIRE(a.what == kind::sleep);
    CHECK(a.at == t0 + 30s);
    // Its time comes: it polls, and then again 30 s later, changes or not
    // (no adaptive first_interval, no backoff).
    a = s.poll_with(a, snap(task_status::running));
    CHECK(outcome(a) == "status:->running");
    a = s.begin();
    REQUIRE(a.what == kind::sleep);
    CHECK(a.at == t0 + 60s);
    a = s.poll_with(a, snap(task_status::running));
    REQUIRE(a.what == kind::sleep);
    CHECK(a.at == t0 + 90s);
    // A server's wait still stretches one delay.
    s.to_polling(a);
    auto d = server_diag(200);
    d.retry_after = 45s;
    s.m.answered({}, std::move(d), snap(task_status::running), s.now, 0.5);
    a = s.m.poll_ended(false, s.now);
    REQUIRE(a.what == kind::sleep);
    CHECK(a.at == t0 + 90s + 45s);
    // Errors are retried on the usual schedule (250 ms, doubling).
    a = s.poll_with_error(a, error::server_error, server_diag(503));
    REQUIRE(a.what == kind::sleep);
    CHECK(a.at == s.now + 250ms);
}

TEST_CASE("watch machine: notified while sleeping wakes the watch to poll at once")
{
    for (bool assisted : {false, true}) {
        CAPTURE(assisted);
        sim s(assisted ? assisted_options() : base_options());
        auto a = assisted ? s.begin() : s.seen_running();
        REQUIRE(a.what == kind::sleep);
        s.now += 100ms;
        auto n = s.m.notified(s.now);
        CHECK(n.what == kind::cancel_timer);
        // The driver cancels the timer; its callback comes with the ticket.
        a = s.m.woke(a.ticket, s.now);
        REQUIRE(a.what == kind::queue);
        a = s.grant(a);
        CHECK(a.what == kind::poll);
        s.answer(snap(task_status::completed));
        a = s.m.poll_ended(false, s.now);
        CHECK(outcome(a) == (assisted ? "status:->completed" : "status:running>completed"));
        CHECK(outcome(s.begin()) == "terminal:completed");
        CHECK(outcome(s.begin()) == "done");
        // Over: a notification changes nothing.
        CHECK(s.m.notified(s.now).what == kind::none);
        CHECK(outcome(s.begin()) == "done");
    }
}

TEST_CASE("watch machine: notified while polling polls again at once after that poll")
{
    sim s(assisted_options());
    auto a = s.begin();
    s.to_polling(a);
    CHECK(s.m.notified(s.now).what == kind::none); // the poll goes on
    s.now += 20ms;
    s.answer(snap(task_status::running)); // its GET left before the task finished
    a = s.m.poll_ended(false, s.now);
    CHECK(outcome(a) == "status:->running");
    a = s.begin();
    REQUIRE(a.what == kind::queue); // not a sleep of 30 s
    s.to_polling(a);
    s.answer(snap(task_status::completed));
    CHECK(outcome(s.m.poll_ended(false, s.now)) == "status:running>completed");
    // Once only: the poll after that sleeps the safety interval again.
    sim t(assisted_options());
    a = t.begin();
    t.to_polling(a);
    t.m.notified(t.now);
    t.answer(snap(task_status::running));
    t.m.poll_ended(false, t.now);
    t.to_polling(t.begin());
    t.answer(snap(task_status::running));
    a = t.m.poll_ended(false, t.now);
    REQUIRE(a.what == kind::sleep);
    CHECK(a.at == t.now + 30s);
}

TEST_CASE(
    "watch machine: notified while queued, before the first async_next, between async_nexts, after a stop")
{
    // Queued: the poll comes with the slot; nothing else to do.
    sim q;
    auto a = q.begin();
    REQUIRE(a.what == kind::queue);
    CHECK(q.m.notified(q.now).what == kind::none);
    CHECK(q.m.at_step() == step::queued);
    CHECK(q.grant(a).what == kind::poll);

    // Before the first async_next: a webhook-assisted watch polls at once.
    sim e(assisted_options());
    CHECK(e.m.notified(e.now).what == kind::none);
    CHECK(e.begin().what == kind::queue);

    // Between two async_nexts (idle): the next one polls at once.
    sim i(assisted_options());
    a = i.poll_with(i.begin(), snap(task_status::running));
    CHECK(outcome(a) == "status:->running");
    i.now += 1s;
    CHECK(i.m.notified(i.now).what == kind::none);
    CHECK(i.begin().what == kind::queue);

    // Stopped: nothing, and the watch ends as a stopped one.
    sim st(assisted_options());
    a = st.begin();
    REQUIRE(a.what == kind::sleep);
    CHECK(st.m.stop().what == kind::cancel_timer);
    CHECK(st.m.notified(st.now).what == kind::none);
    a = st.m.woke(a.ticket, st.now);
    CHECK(a.what == kind::complete);
    CHECK(a.ec == error::cancelled);
}

TEST_CASE("watch machine: a poll cut short after a notification does not make a later poll hurry")
{
    sim s(assisted_options());
    auto a = s.begin();
    s.to_polling(a);
    s.m.notified(s.now);
    CHECK(s.m.cancel_next(s.seq).what == kind::cancel_poll);
    a = s.m.poll_ended(true, s.now);
    CHECK(a.ec == error::cancelled);
    // The next async_next polls at once (the notification made it due) ...
    a = s.begin();
    REQUIRE(a.what == kind::queue);
    s.to_polling(a);
    s.answer(snap(task_status::running));
    s.m.poll_ended(false, s.now);
    // ... and the one after waits the safety interval.
    a = s.begin();
    REQUIRE(a.what == kind::sleep);
    CHECK(a.at == s.now + 30s);
}
