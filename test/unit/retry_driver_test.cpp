// The retry loop of one call without sockets (policy/retry_driver.hpp): a
// simulated clock, attempts whose outcome the test picks, checks that find
// what the test says. Every outcome, budget and deadline, then the paths one
// by one.
#include "policy/retry_driver.hpp"

#include <handinger/error.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace handinger::detail;
using handinger::error;
using std::chrono::milliseconds;
using namespace std::chrono_literals;
using kind = call_step::kind;
using tp = std::chrono::steady_clock::time_point;

namespace {

const tp t0 = tp{} + std::chrono::hours(1000);
const auto wall = std::chrono::system_clock::time_point{} + std::chrono::hours(500'000);

attempt_report failed(error e, bool delivered, bool peer_closed, bool started, bool reused = false)
{
    attempt_report r;
    r.facts.ec = e;
    r.facts.maybe_delivered = delivered;
    r.facts.peer_closed = peer_closed;
    r.facts.response_started = started;
    r.reused = reused;
    return r;
}

attempt_report paused_until(attempt_report r, tp until)
{
    r.not_before = until;
    return r;
}

attempt_report answered(int status, std::string_view retry_after_ms = {})
{
    attempt_report r;
    r.facts.status = status;
    r.facts.maybe_delivered = true;
    r.facts.retry_after_ms = retry_after_ms;
    return r;
}

call_limits limits(int max_retries, milliseconds total = 0ms, bool can_check = false)
{
    call_limits l;
    l.timeout = 1000ms;
    l.total_timeout = total;
    l.connect_timeout = 500ms;
    l.max_retries = max_retries;
    l.can_check = can_check;
    l.task_id = "tsk_1";
    return l;
}

// A whole call: each attempt takes `attempt_time` and ends as `outcome(n)`
// (n = 0, 1, ...), each check takes 10 ms and finds `check(n)`, waits end
// as `wait_ok(n)`. The steps in order, the clock advanced as they go.
struct run_log {
    std::vector<call_step> steps;
    std::vector<tp> at; // when each step was taken
    int sends = 0, checks = 0, waits = 0;
    call_step last;
};

run_log run_call(retry_driver& d, std::function<attempt_report(int)> outcome,
                 std::function<check_result(int)> check = {}, std::function<bool(int)> wait_ok = {},
                 milliseconds attempt_time = 50ms, std::function<tp(tp)> not_before = {})
{
    run_log log;
    tp now = t0;
    auto step = d.start(now);
    for (int guard = 0; guard < 200; ++guard) {
        log.steps.push_back(step);
        log.at.push_back(now);
        switch (step.what) {
        case kind::send: {
            auto r = outcome(log.sends++);
            now += std::min<tp::duration>(attempt_time, step.deadline - now);
            if (not_before)
                r.not_before = not_before(now);
            step = d.attempt_done(r, now, wall, 0.5);
            break;
        }
        case kind::wait: {
            bool ok = wait_ok ? wait_ok(log.waits) : true;
            ++log.waits;
            now += step.delay;
            step = d.waited(ok, now);
            break;
        }
        case kind::check: {
            auto f = check ? check(log.checks) : check_result::absent;
            ++log.checks;
            now += 10ms;
            step = d.checked(f, f == check_result::unknown ? "could not look" : "", false, now);
            break;
        }
        default: log.last = step; return log;
        }
    }
    FAIL("the driver did not finish in 200 steps");
    return log;
}

// Every attempt outcome worth telling apart.
std::vector<attempt_report> all_outcomes()
{
    std::vector<attempt_report> v;
    for (error e : {error::connection, error::timeout, error::tls, error::invalid_response, error::cancelled})
        for (bool delivered : {false, true})
            for (bool closed : {false, true})
                for (bool started : {false, true})
                    for (bool reused : {false, true})
                        v.push_back(failed(e, delivered, closed, started, reused));
    for (int s : {200, 201, 400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503, 504})
        v.push_back(answered(s));
    auto cancelled = answered(503);
    cancelled.cancelled = true;
    v.push_back(cancelled);
    return v;
}

std::string describe(const attempt_report& r)
{
    std::string s = r.facts.ec ? r.facts.ec.message() : "status " + std::to_string(r.facts.status);
    s += r.facts.maybe_delivered ? " delivered" : "";
    s += r.facts.peer_closed ? " peer_closed" : "";
    s += r.facts.response_started ? " started" : "";
    s += r.reused ? " reused" : "";
    s += r.cancelled ? " cancelled" : "";
    return s;
}

} // namespace

TEST_CASE("retry driver: limits are checked with the option's name")
{
    CHECK(check_limits(limits(2)).empty());
    auto l = limits(2);
    l.timeout = 0ms;
    CHECK(check_limits(l) == "request_options::timeout must be positive");
    l = limits(2);
    l.total_timeout = -1ms;
    CHECK(check_limits(l) == "request_options::total_timeout must not be negative");
    l = limits(-1);
    CHECK(check_limits(l) == "request_options::max_retries must not be negative");
}

TEST_CASE("retry driver: the first attempt, and a 2xx ends the call")
{
    retry_driver d(limits(2), t0);
    auto s = d.start(t0);
    CHECK(s.what == kind::send);
    CHECK(s.deadline == t0 + 1000ms);
    CHECK(s.retries == 0);
    CHECK_FALSE(s.new_connection);
    CHECK(d.attempt_done(answered(201), t0 + 5ms, wall, 0.5).what == kind::succeed);
    CHECK(d.attempts() == 1);

    // The overall deadline cuts the attempt's.
    retry_driver short_call(limits(2, 300ms), t0);
    CHECK(short_call.start(t0).deadline == t0 + 300ms);
    CHECK(short_call.remaining(t0 + 100ms) == 200ms);
    CHECK_FALSE(retry_driver(limits(2), t0).remaining(t0));
}

TEST_CASE("retry driver: every outcome, budget, deadline and check result keeps the invariants")
{
    // For each: the same outcome on every attempt, checks that find each
    // result in turn.
    std::size_t runs = 0;
    for (const auto& o : all_outcomes())
        for (int max_retries : {0, 1, 3})
            for (milliseconds total : {0ms, 700ms, 2500ms, 30000ms})
                for (bool can_check : {false, true})
                    for (auto found : {check_result::absent, check_result::present, check_result::unknown}) {
                        CAPTURE(describe(o));
                        CAPTURE(max_retries);
                        CAPTURE(total.count());
                        CAPTURE(can_check);
                        CAPTURE(static_cast<int>(found));
                        ++runs;
                        retry_driver d(limits(max_retries, total, can_check), t0);
                        auto log = run_call(
                            d, [&](int) { return o; }, [&](int) { return found; });
                        const tp overall = total.count() > 0 ? t0 + total : tp::max();
                        const bool ok2xx = !o.facts.ec && o.facts.status >= 200 && o.facts.status < 300;
                        attempt_facts f = o.facts;
                        if (!f.ec)
                            f.ec = handinger::error_from_status(f.status);
                        // Ends as it must.
                        if (ok2xx) {
                            CHECK(log.last.what == kind::succeed);
                            CHECK(log.sends == 1);
                            continue;
                        }
                        if (o.cancelled || o.facts.ec == error::cancelled) {
                            CHECK(log.last.what == kind::fail);
                            CHECK(log.last.ec == error::cancelled);
                            CHECK(log.sends == 1);
                            continue;
                        }
                        CHECK((log.last.what == kind::fail || log.last.what == kind::recovered));
                        if (log.last.what == kind::fail)
                            CHECK(log.last.ec == f.ec);
                        if (log.last.what == kind::recovered)
                            CHECK(found == check_result::present);
                        // Not retryable: one attempt, nothing else.
                        if (!is_retryable(f) &&
                            !(o.reused && o.facts.peer_closed && !o.facts.response_started)) {
                            CHECK(log.sends == 1);
                            CHECK(log.checks == 0);
                        }
                        // The budget: max_retries + 1 attempts, plus one
                        // resend on a new connection after a stale one.
                        CHECK(log.sends <= max_retries + 2);
                        CHECK(d.attempts() <= max_retries + 1);
                        int stale_resends = 0;
                        int last_retries = -1;
                        bool checked_since_send = false;
                        for (std::size_t i = 0; i < log.steps.size(); ++i) {
                            const auto& s = log.steps[i];
                            if (s.what == kind::check)
                                checked_since_send = true;
                            if (s.what == kind::wait)
                                CHECK(log.at[i] + s.delay <= overall); // no wait past the deadline
                            if (s.what != kind::send)
                                continue;
                            CHECK(s.deadline <= overall);
                            CHECK(s.deadline >= log.at[i]); // (a stale resend may find no time left)
                            if (i > 0) {
                                // A resend of a request that may have taken
                                // effect comes after a check, when one is possible.
                                if (can_check && is_ambiguous_delivery(f))
                                    CHECK(checked_since_send);
                                // Without a check, nothing is checked.
                                if (!can_check)
                                    CHECK_FALSE(checked_since_send);
                                if (s.new_connection) {
                                    ++stale_resends;
                                    CHECK(s.retries == last_retries);
                                } else {
                                    CHECK(s.retries == last_retries + 1);
                                }
                            } else {
                                CHECK(s.retries == 0);
                            }
                            last_retries = s.retries;
                            checked_since_send = false;
                        }
                        CHECK(stale_resends <= 1);
                        // A check that could not tell, or a present one, ends the call.
                        if (log.checks > 0 && found != check_result::absent)
                            CHECK(log.checks == 1);
                    }
    CHECK(runs > 3000);
}

TEST_CASE("retry driver: a stale pooled connection is resent at once on a new one, once, without counting")
{
    retry_driver d(limits(2), t0);
    d.start(t0);
    auto stale = failed(error::connection, true, true, false, true);
    auto s = d.attempt_done(stale, t0 + 1ms, wall, 0.5);
    CHECK(s.what == kind::send);
    CHECK(s.new_connection);
    CHECK(s.retries == 0);
    CHECK(s.log == "stale pooled connection; resending on a new connection");
    CHECK(d.attempts() == 1);
    // The second one is an ordinary retry, after the backoff.
    s = d.attempt_done(stale, t0 + 2ms, wall, 0.5);
    CHECK(s.what == kind::wait);
    CHECK(s.delay == 437ms); // 500 ms scaled by 1 - 0.25 * 0.5
    CHECK(s.log == "retrying in 437 ms");
    s = d.waited(true, t0 + 500ms);
    CHECK(s.what == kind::send);
    CHECK_FALSE(s.new_connection);
    CHECK(s.retries == 1);
    CHECK(d.attempts() == 2);
}

TEST_CASE("retry driver: a create given up on is checked after the backoff, and again a timeout later")
{
    retry_driver d(limits(2, 0ms, true), t0);
    d.start(t0);
    auto abandoned = failed(error::timeout, true, false, false);
    auto s = d.attempt_done(abandoned, t0 + 1000ms, wall, 0.0);
    REQUIRE(s.what == kind::wait);
    CHECK(s.delay == 500ms);
    CHECK(s.log == "checking, then retrying in 500 ms");
    s = d.waited(true, t0 + 1500ms);
    REQUIRE(s.what == kind::check);
    s = d.checked(check_result::absent, "", false, t0 + 1510ms);
    REQUIRE(s.what == kind::wait);
    CHECK(s.delay == 1000ms); // the attempt's timeout: a late copy has time to land
    CHECK(s.log.find("task tsk_1 does not show the submission yet") == 0);
    s = d.waited(true, t0 + 2510ms);
    REQUIRE(s.what == kind::check);
    s = d.checked(check_result::absent, "", false, t0 + 2520ms);
    REQUIRE(s.what == kind::send);
    CHECK(s.retries == 1);

    // Found on the second look: recovered, not resent.
    retry_driver d2(limits(2, 0ms, true), t0);
    d2.start(t0);
    d2.attempt_done(abandoned, t0 + 1000ms, wall, 0.0);
    d2.waited(true, t0 + 1500ms);
    d2.checked(check_result::absent, "", false, t0 + 1510ms);
    d2.waited(true, t0 + 2510ms);
    s = d2.checked(check_result::present, "", false, t0 + 2520ms);
    CHECK(s.what == kind::recovered);
    CHECK(s.log == "response lost, but task tsk_1 shows the submission; not resending");
    CHECK(d2.attempts() == 1);
}

TEST_CASE("retry driver: an answered or cut request that left no trace is resent after one check")
{
    for (auto r : {answered(500), failed(error::connection, true, true, true)}) {
        CAPTURE(describe(r));
        retry_driver d(limits(2, 0ms, true), t0);
        d.start(t0);
        auto s = d.attempt_done(r, t0 + 10ms, wall, 0.0);
        REQUIRE(s.what == kind::wait);
        s = d.waited(true, t0 + 510ms);
        REQUIRE(s.what == kind::check);
        s = d.checked(check_result::absent, "", false, t0 + 520ms);
        CHECK(s.what == kind::send);
        CHECK(s.retries == 1);
    }
}

TEST_CASE("retry driver: a check that cannot tell, or is cancelled, ends the call without a resend")
{
    auto abandoned = failed(error::timeout, true, false, false);
    retry_driver d(limits(2, 0ms, true), t0);
    d.start(t0);
    d.attempt_done(abandoned, t0 + 1000ms, wall, 0.0);
    d.waited(true, t0 + 1500ms);
    auto s = d.checked(check_result::unknown, "the task disappeared", false, t0 + 1510ms);
    CHECK(s.what == kind::fail);
    CHECK(s.ec == error::timeout); // the attempt's failure
    CHECK_FALSE(s.replace_message);
    CHECK(s.message == "; not resent: the task disappeared");

    retry_driver c(limits(2, 0ms, true), t0);
    c.start(t0);
    c.attempt_done(abandoned, t0 + 1000ms, wall, 0.0);
    c.waited(true, t0 + 1500ms);
    s = c.checked(check_result::absent, "", true, t0 + 1510ms);
    CHECK(s.what == kind::fail);
    CHECK(s.ec == error::cancelled);
    CHECK(s.replace_message);
    CHECK(s.message == "cancelled while checking whether the request took effect");

    // Cut short while waiting to look again.
    retry_driver w(limits(2, 0ms, true), t0);
    w.start(t0);
    w.attempt_done(abandoned, t0 + 1000ms, wall, 0.0);
    w.waited(true, t0 + 1500ms);
    w.checked(check_result::absent, "", false, t0 + 1510ms);
    s = w.waited(false, t0 + 1600ms);
    CHECK(s.ec == error::cancelled);
    CHECK(s.message == "cancelled while checking whether the request took effect");
}

TEST_CASE("retry driver: a wait cut short is cancelled while waiting to retry")
{
    retry_driver d(limits(2), t0);
    d.start(t0);
    auto s = d.attempt_done(answered(503), t0 + 10ms, wall, 0.5);
    REQUIRE(s.what == kind::wait);
    s = d.waited(false, t0 + 20ms);
    CHECK(s.what == kind::fail);
    CHECK(s.ec == error::cancelled);
    CHECK(s.replace_message);
    CHECK(s.message == "cancelled while waiting to retry");
}

TEST_CASE("retry driver: no time to look again: not resent, and the message says why")
{
    // 1,000 ms timeout; 1,800 ms in all: the first check comes at ~1,510 ms,
    // a second would need 1,000 ms more.
    retry_driver d(limits(2, 1800ms, true), t0);
    d.start(t0);
    auto s = d.attempt_done(failed(error::timeout, true, false, false), t0 + 1000ms, wall, 0.0);
    REQUIRE(s.what == kind::wait);
    CHECK(s.delay <= 600ms);
    s = d.waited(true, t0 + 1000ms + s.delay);
    REQUIRE(s.what == kind::check);
    CHECK(s.deadline == t0 + 1800ms);
    s = d.checked(check_result::absent, "", false, t0 + 1520ms);
    CHECK(s.what == kind::fail);
    CHECK(s.ec == error::timeout);
    CHECK(s.message ==
          "; not resent: task tsk_1 does not show it, but the request may still be on its way and no time is "
          "left to look again");
}

TEST_CASE("retry driver: out of time or retries, the failure says so where it helps")
{
    // A connection error with no room for the backoff.
    retry_driver d(limits(2, 300ms), t0);
    d.start(t0);
    auto s = d.attempt_done(failed(error::connection, false, false, false), t0 + 100ms, wall, 0.5);
    CHECK(s.what == kind::fail);
    CHECK(s.ec == error::connection);
    CHECK(s.message == " (no time left to retry)");
    // A timeout of the call's own deadline needs no note.
    retry_driver t(limits(2, 300ms), t0);
    t.start(t0);
    s = t.attempt_done(failed(error::timeout, true, false, false), t0 + 300ms, wall, 0.5);
    CHECK(s.what == kind::fail);
    CHECK(s.message.empty());
    // Retries exhausted.
    retry_driver r(limits(0), t0);
    r.start(t0);
    s = r.attempt_done(answered(503), t0 + 10ms, wall, 0.5);
    CHECK(s.what == kind::fail);
    CHECK(s.ec == error::server_error);
    CHECK(s.message.empty());
}

TEST_CASE("retry driver: a 429's retry-after, and a shared pause, hold the retry")
{
    retry_driver d(limits(2), t0);
    d.start(t0);
    auto s = d.attempt_done(answered(429, "250"), t0 + 10ms, wall, 0.5);
    REQUIRE(s.what == kind::wait);
    CHECK(s.delay == 250ms);
    // A batch's pause, longer than the backoff, wins (rounded up to ms).
    retry_driver p(limits(2), t0);
    p.start(t0);
    s = p.attempt_done(paused_until(answered(503), t0 + 10ms + 2000ms + 300us), t0 + 10ms, wall, 0.5);
    REQUIRE(s.what == kind::wait);
    CHECK(s.delay == 2001ms);
    // ... unless it ends past the deadline.
    retry_driver late(limits(2, 1500ms), t0);
    late.start(t0);
    s = late.attempt_done(paused_until(answered(503), t0 + 1600ms), t0 + 10ms, wall, 0.5);
    CHECK(s.what == kind::fail);
    CHECK(s.message == " (no time left to retry after the shared pause)");
    // A pause already over changes nothing.
    retry_driver over(limits(2), t0);
    over.start(t0);
    s = over.attempt_done(paused_until(answered(503), t0), t0 + 10ms, wall, 0.5);
    CHECK(s.delay == 437ms);
    // The stale connection's resend is not a retry: the pause does not hold it.
    retry_driver stale(limits(2), t0);
    stale.start(t0);
    s = stale.attempt_done(paused_until(failed(error::connection, true, true, false, true), t0 + 5000ms),
                           t0 + 1ms, wall, 0.5);
    CHECK(s.what == kind::send);
    CHECK(s.new_connection);
}

TEST_CASE("retry driver: a timeout note names the limit that ran out")
{
    retry_driver d(limits(2), t0);
    d.start(t0);
    CHECK(d.timeout_note(false) == " (timeout 1000 ms)");
    CHECK(d.timeout_note(true) == " (connect_timeout 500 ms)");
    auto l = limits(2);
    l.connect_timeout = 5000ms;
    retry_driver c(l, t0);
    c.start(t0);
    CHECK(c.timeout_note(true) == " (timeout 1000 ms)");
    retry_driver t(limits(2, 300ms), t0);
    t.start(t0);
    CHECK(t.timeout_note(false) == " (total_timeout 300 ms)");
    CHECK(t.timeout_note(true) == " (total_timeout 300 ms)");
}

TEST_CASE("retry driver: retries count up one by one, and each attempt's deadline is its own")
{
    retry_driver d(limits(3), t0);
    auto log = run_call(d, [](int) { return answered(502); });
    std::vector<int> retries;
    for (auto& s : log.steps)
        if (s.what == kind::send)
            retries.push_back(s.retries);
    CHECK(retries == std::vector<int>{0, 1, 2, 3});
    CHECK(log.last.what == kind::fail);
    CHECK(d.attempts() == 4);
    for (std::size_t i = 0; i < log.steps.size(); ++i)
        if (log.steps[i].what == kind::send)
            CHECK(log.steps[i].deadline == log.at[i] + 1000ms);
    // Success on the third.
    retry_driver ok(limits(3), t0);
    auto log2 = run_call(ok, [](int n) { return n < 2 ? answered(503) : answered(200); });
    CHECK(log2.last.what == kind::succeed);
    CHECK(ok.attempts() == 3);
}

TEST_CASE("retry driver: random sequences of outcomes, check results and cut waits keep the invariants")
{
    std::mt19937 rng(12345);
    const auto outcomes = all_outcomes();
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    for (int run = 0; run < 20'000; ++run) {
        const int max_retries = static_cast<int>(pick(5));
        const milliseconds total{pick(3) == 0 ? 0 : static_cast<long long>(pick(6000))};
        const bool can_check = pick(2) == 1;
        CAPTURE(run);
        CAPTURE(max_retries);
        CAPTURE(total.count());
        CAPTURE(can_check);
        std::vector<attempt_report> seen;
        retry_driver d(limits(max_retries, total, can_check), t0);
        const milliseconds attempt_time{static_cast<long long>(pick(1200))};
        auto log = run_call(
            d,
            [&](int) {
                seen.push_back(outcomes[pick(outcomes.size())]);
                return seen.back();
            },
            [&](int) { return static_cast<check_result>(pick(3)); }, [&](int) { return pick(20) != 0; },
            attempt_time);
        const tp overall = total.count() > 0 ? t0 + total : tp::max();
        CHECK(log.sends == static_cast<int>(seen.size()));
        CHECK(d.attempts() <= max_retries + 1);
        CHECK(log.sends <= max_retries + 2);
        // After each failed attempt: a resend only if the outcome was
        // retryable or a stale connection, and after a check when the
        // request may have taken effect and can be checked.
        int send_no = 0;
        bool checked = false;
        for (std::size_t i = 0; i < log.steps.size(); ++i) {
            const auto& s = log.steps[i];
            if (s.what == kind::check) {
                CHECK(can_check);
                checked = true;
            }
            if (s.what == kind::wait)
                CHECK(log.at[i] + s.delay <= overall);
            if (s.what != kind::send)
                continue;
            CHECK(s.deadline <= overall);
            if (send_no > 0) {
                const auto& prev = seen[static_cast<std::size_t>(send_no - 1)];
                attempt_facts f = prev.facts;
                if (!f.ec)
                    f.ec = handinger::error_from_status(f.status);
                const bool stale = prev.reused && f.peer_closed && !f.response_started;
                CHECK((is_retryable(f) || stale));
                CHECK_FALSE(prev.cancelled);
                CHECK(f.ec != error::cancelled);
                if (can_check && is_ambiguous_delivery(f))
                    CHECK(checked);
            }
            ++send_no;
            checked = false;
        }
        // How it ended agrees with the last thing that happened.
        const auto& last = seen.back();
        if (log.last.what == kind::succeed)
            CHECK((!last.facts.ec && last.facts.status >= 200 && last.facts.status < 300 &&
                   !last.cancelled) == true);
        if (log.last.what == kind::recovered)
            CHECK(can_check);
    }
}
