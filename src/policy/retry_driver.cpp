#include "policy/retry_driver.hpp"

#include <handinger/error.hpp>

#include <utility>

namespace handinger::detail {

using clock = std::chrono::steady_clock;

namespace {

std::string ms(milliseconds d)
{
    return std::to_string(d.count()) + " ms";
}

} // namespace

std::string check_limits(const call_limits& l)
{
    if (l.timeout.count() <= 0)
        return "request_options::timeout must be positive";
    if (l.total_timeout.count() < 0)
        return "request_options::total_timeout must not be negative";
    if (l.max_retries < 0)
        return "request_options::max_retries must not be negative";
    return {};
}

retry_driver::retry_driver(call_limits limits, clock::time_point start)
    : limits_(std::move(limits)),
      overall_(limits_.total_timeout.count() > 0 ? start + limits_.total_timeout : clock::time_point::max())
{}

std::optional<milliseconds> retry_driver::remaining(clock::time_point now) const
{
    if (overall_ == clock::time_point::max())
        return std::nullopt;
    return std::chrono::duration_cast<milliseconds>(overall_ - now);
}

call_step retry_driver::start(clock::time_point now)
{
    return send(now);
}

call_step retry_driver::send(clock::time_point now)
{
    phase_ = phase::sending;
    attempt_deadline_ = overall_;
    if (limits_.timeout < overall_ - now)
        attempt_deadline_ = now + limits_.timeout;
    call_step s;
    s.what = call_step::kind::send;
    s.deadline = attempt_deadline_;
    s.retries = retries_;
    return s;
}

std::string retry_driver::timeout_note(bool connecting) const
{
    if (attempt_deadline_ == overall_)
        return " (total_timeout " + ms(limits_.total_timeout) + ")";
    if (connecting && limits_.connect_timeout < limits_.timeout)
        return " (connect_timeout " + ms(limits_.connect_timeout) + ")";
    return " (timeout " + ms(limits_.timeout) + ")";
}

call_step retry_driver::fail(std::string note)
{
    phase_ = phase::done;
    call_step s;
    s.what = call_step::kind::fail;
    s.ec = failed_ec_;
    s.message = std::move(note);
    return s;
}

call_step retry_driver::fail_replacing(boost::system::error_code ec, std::string message)
{
    phase_ = phase::done;
    call_step s;
    s.what = call_step::kind::fail;
    s.ec = ec;
    s.message = std::move(message);
    s.replace_message = true;
    return s;
}

call_step retry_driver::attempt_done(const attempt_report& r, clock::time_point now,
                                     std::chrono::system_clock::time_point wall, double random01)
{
    const auto not_before = r.not_before;
    const auto& f = r.facts;
    if (!f.ec && f.status >= 200 && f.status < 300) {
        phase_ = phase::done;
        call_step s;
        s.what = call_step::kind::succeed;
        return s;
    }
    failed_ec_ = f.ec ? f.ec : error_from_status(f.status);
    if (r.cancelled || f.ec == error::cancelled) {
        failed_ec_ = error::cancelled;
        return fail();
    }

    failure_inputs in;
    in.retry.facts = f;
    in.retry.facts.ec = failed_ec_;
    in.retry.retries_done = retries_;
    in.retry.max_retries = limits_.max_retries;
    in.retry.now = wall;
    in.retry.remaining = remaining(now);
    in.retry.random01 = random01;
    in.reused = r.reused;
    in.stale_retry_used = stale_used_;
    in.can_check = limits_.can_check;
    plan_ = plan_after_failure(in);
    if (!plan_.retry)
        return fail(plan_.reason == "deadline" && f.status == 0 && failed_ec_ != error::timeout
                        ? " (no time left to retry)"
                        : "");

    // A shared pause (a batch's) holds the retry too, within the deadline.
    if (plan_.counts_as_retry && not_before > now) {
        auto extra = std::chrono::ceil<milliseconds>(not_before - now);
        if (extra > plan_.delay) {
            if (overall_ != clock::time_point::max() && now + extra >= overall_)
                return fail(" (no time left to retry after the shared pause)");
            plan_.delay = extra;
        }
    }
    if (plan_.new_connection)
        stale_used_ = true;
    absent_checks_ = 0;
    if (plan_.delay.count() > 0) {
        phase_ = phase::backing_off;
        call_step s;
        s.what = call_step::kind::wait;
        s.delay = plan_.delay;
        s.log = std::string(plan_.check ? "checking, then retrying in " : "retrying in ") +
                std::to_string(plan_.delay.count()) + " ms";
        return s;
    }
    return after_wait(now);
}

// The backoff (if any) is over: check first, or resend.
call_step retry_driver::after_wait(clock::time_point now)
{
    if (plan_.check) {
        phase_ = phase::checking;
        call_step s;
        s.what = call_step::kind::check;
        s.deadline = overall_;
        return s;
    }
    if (plan_.counts_as_retry)
        ++retries_;
    auto s = send(now);
    s.new_connection = plan_.new_connection;
    if (plan_.new_connection)
        s.log = "stale pooled connection; resending on a new connection";
    return s;
}

call_step retry_driver::waited(bool completed, clock::time_point now)
{
    if (phase_ == phase::waiting_to_check_again) {
        if (!completed)
            return fail_replacing(error::cancelled,
                                  "cancelled while checking whether the request took effect");
        phase_ = phase::checking;
        call_step s;
        s.what = call_step::kind::check;
        s.deadline = overall_;
        return s;
    }
    if (!completed)
        return fail_replacing(error::cancelled, "cancelled while waiting to retry");
    return after_wait(now);
}

call_step retry_driver::checked(check_result found, std::string_view why, bool cancelled,
                                clock::time_point now)
{
    if (cancelled)
        return fail_replacing(error::cancelled, "cancelled while checking whether the request took effect");
    if (found == check_result::unknown)
        return fail("; not resent: " + std::string(why));
    if (found == check_result::present) {
        phase_ = phase::done;
        call_step s;
        s.what = call_step::kind::recovered;
        s.log = "response lost, but task " + std::string(limits_.task_id) +
                " shows the submission; not resending";
        return s;
    }
    absent_inputs ai;
    ai.how = plan_.how;
    ai.absent_checks = ++absent_checks_;
    ai.attempt_timeout = limits_.timeout;
    ai.remaining = remaining(now);
    const auto next = after_absent(ai);
    switch (next.next) {
    case absent_decision::step::resend: {
        plan_.check = false;
        return after_wait(now);
    }
    case absent_decision::step::give_up:
        return fail("; not resent: task " + std::string(limits_.task_id) +
                    " does not show it, but the request may still be on its way and no time is left to look "
                    "again");
    case absent_decision::step::check_again: break;
    }
    phase_ = phase::waiting_to_check_again;
    call_step s;
    s.what = call_step::kind::wait;
    s.delay = next.wait;
    s.log = "task " + std::string(limits_.task_id) +
            " does not show the submission yet, which may still be on its way: checking again in " +
            std::to_string(next.wait.count()) + " ms";
    return s;
}

} // namespace handinger::detail
