// What a failed attempt says about its request's delivery, and what the call
// does next (policy/retry.hpp: classify_delivery, plan_after_failure,
// after_absent): every combination of the inputs, no sockets.
#include "policy/retry.hpp"

#include <handinger/error.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

using namespace handinger::detail;
using handinger::error;
using std::chrono::milliseconds;

namespace {

attempt_facts no_response(error e, bool delivered, bool peer_closed, bool started)
{
    attempt_facts f;
    f.ec = e;
    f.maybe_delivered = delivered;
    f.peer_closed = peer_closed;
    f.response_started = started;
    return f;
}

attempt_facts response(int status)
{
    attempt_facts f;
    f.status = status;
    f.ec = handinger::error_from_status(status);
    f.maybe_delivered = true;
    return f;
}

const char* name(delivery d)
{
    switch (d) {
    case delivery::not_sent: return "not_sent";
    case delivery::refused: return "refused";
    case delivery::answered: return "answered";
    case delivery::cut: return "cut";
    case delivery::abandoned: return "abandoned";
    }
    return "?";
}

// Every attempt outcome worth telling apart.
std::vector<attempt_facts> all_outcomes()
{
    std::vector<attempt_facts> v;
    for (error e : {error::connection, error::timeout, error::tls, error::invalid_response, error::cancelled})
        for (bool delivered : {false, true})
            for (bool closed : {false, true})
                for (bool started : {false, true})
                    v.push_back(no_response(e, delivered, closed, started));
    for (int st = 400; st < 600; ++st)
        v.push_back(response(st));
    return v;
}

} // namespace

TEST_CASE("classify_delivery: no response")
{
    // Nothing written: whatever happened after, nothing can have arrived.
    for (bool closed : {false, true})
        for (bool started : {false, true})
            CHECK(classify_delivery(no_response(error::connection, false, closed, started)) ==
                  delivery::not_sent);
    // Written, then the peer closed without a byte of an answer: cut.
    CHECK(classify_delivery(no_response(error::connection, true, true, false)) == delivery::cut);
    // Written, then our deadline (or an error of ours) ended it: abandoned.
    CHECK(classify_delivery(no_response(error::timeout, true, false, false)) == delivery::abandoned);
    CHECK(classify_delivery(no_response(error::tls, true, false, false)) == delivery::abandoned);
    CHECK(classify_delivery(no_response(error::connection, true, false, false)) == delivery::abandoned);
    // Part of an answer came: the server had the whole request.
    CHECK(classify_delivery(no_response(error::timeout, true, false, true)) == delivery::answered);
    CHECK(classify_delivery(no_response(error::connection, true, true, true)) == delivery::answered);
}

TEST_CASE("classify_delivery: every status from 400 to 599")
{
    for (int st = 400; st < 600; ++st) {
        CAPTURE(st);
        auto expected = st == 504                ? delivery::abandoned
                        : st == 408 || st >= 500 ? delivery::answered
                                                 : delivery::refused;
        CHECK(classify_delivery(response(st)) == expected);
    }
}

TEST_CASE("is_ambiguous_delivery: exactly answered, cut and abandoned, never a cancelled attempt")
{
    for (const auto& f : all_outcomes()) {
        CAPTURE(f.status);
        CAPTURE(f.ec.message());
        CAPTURE(f.maybe_delivered);
        CAPTURE(f.peer_closed);
        CAPTURE(f.response_started);
        auto d = classify_delivery(f);
        bool expected = f.ec != error::cancelled &&
                        (d == delivery::answered || d == delivery::cut || d == delivery::abandoned);
        CHECK(is_ambiguous_delivery(f) == expected);
    }
}

TEST_CASE("plan_after_failure: an ambiguous request that can be checked is never resent unchecked")
{
    int plans = 0, checks = 0, stale = 0;
    for (const auto& f : all_outcomes())
        for (bool reused : {false, true})
            for (bool stale_used : {false, true})
                for (bool can_check : {false, true})
                    for (int done = 0; done < 4; ++done)
                        for (int max = 0; max < 4; ++max)
                            for (auto rem :
                                 {std::optional<milliseconds>{}, std::optional<milliseconds>{0},
                                  std::optional<milliseconds>{150}, std::optional<milliseconds>{10'000}})
                                for (double r01 : {0.0, 0.5, 0.999}) {
                                    failure_inputs in;
                                    in.retry.facts = f;
                                    in.retry.retries_done = done;
                                    in.retry.max_retries = max;
                                    in.retry.remaining = rem;
                                    in.retry.random01 = r01;
                                    in.reused = reused;
                                    in.stale_retry_used = stale_used;
                                    in.can_check = can_check;
                                    auto p = plan_after_failure(in);
                                    ++plans;
                                    CAPTURE(f.status);
                                    CAPTURE(f.ec.message());
                                    CAPTURE(f.maybe_delivered);
                                    CAPTURE(f.peer_closed);
                                    CAPTURE(f.response_started);
                                    CAPTURE(reused);
                                    CAPTURE(stale_used);
                                    CAPTURE(can_check);
                                    CAPTURE(done);
                                    CAPTURE(max);
                                    CHECK(p.how == classify_delivery(f));
                                    const bool is_stale = is_stale_connection_failure(
                                        reused, f.response_started, f.peer_closed, stale_used);
                                    // The safety rule.
                                    if (p.retry && can_check && is_ambiguous_delivery(f))
                                        CHECK(p.check);
                                    // No needless checks: only what may have arrived, only when possible.
                                    if (p.check) {
                                        ++checks;
                                        CHECK(p.retry);
                                        CHECK(can_check);
                                        CHECK(is_ambiguous_delivery(f));
                                    }
                                    // The stale-connection resend: once, on a new connection, not a retry.
                                    CHECK(p.new_connection == is_stale);
                                    CHECK(p.counts_as_retry == !is_stale);
                                    if (is_stale) {
                                        ++stale;
                                        CHECK(p.retry);
                                        if (!p.check)
                                            CHECK(p.delay.count() == 0);
                                        else if (rem)
                                            CHECK(p.delay <=
                                                  std::max(*rem - milliseconds(200), milliseconds(0)));
                                    } else {
                                        // Otherwise exactly decide_retry.
                                        auto d = decide_retry(in.retry);
                                        CHECK(p.retry == d.retry);
                                        CHECK(p.reason == d.reason);
                                        CHECK(p.delay == d.delay);
                                    }
                                    if (f.ec == error::cancelled && !is_stale)
                                        CHECK_FALSE(p.retry);
                                }
    CHECK(plans > 100'000);
    CHECK(checks > 1000);
    CHECK(stale > 1000);
}

TEST_CASE("plan_after_failure: a stale connection whose request may have arrived is checked after a backoff")
{
    failure_inputs in;
    in.retry.facts = no_response(error::connection, true, true, false);
    in.retry.random01 = 0;
    in.reused = true;
    in.can_check = true;
    auto p = plan_after_failure(in);
    CHECK(p.retry);
    CHECK(p.check);
    CHECK(p.how == delivery::cut);
    CHECK(p.delay == milliseconds(500));
    CHECK(p.new_connection);
    CHECK_FALSE(p.counts_as_retry);
    // Written nothing: resent at once, unchecked.
    in.retry.facts.maybe_delivered = false;
    p = plan_after_failure(in);
    CHECK(p.retry);
    CHECK_FALSE(p.check);
    CHECK(p.delay.count() == 0);
    // The time left bounds the wait (room kept for the check and the resend).
    in.retry.facts.maybe_delivered = true;
    in.retry.remaining = milliseconds(350);
    CHECK(plan_after_failure(in).delay == milliseconds(150));
    in.retry.remaining = milliseconds(100);
    CHECK(plan_after_failure(in).delay == milliseconds(0));
    // A GET (nothing to check) on a stale connection: at once.
    in.can_check = false;
    p = plan_after_failure(in);
    CHECK_FALSE(p.check);
    CHECK(p.delay.count() == 0);
}

TEST_CASE("after_absent: only a request the client gave up on is looked for twice, an attempt timeout apart")
{
    for (auto how :
         {delivery::not_sent, delivery::refused, delivery::answered, delivery::cut, delivery::abandoned})
        for (int absent = 1; absent <= 3; ++absent)
            for (int timeout_ms : {1, 300, 1000, 60'000})
                for (auto rem : {std::optional<milliseconds>{}, std::optional<milliseconds>{0},
                                 std::optional<milliseconds>{250}, std::optional<milliseconds>{1200},
                                 std::optional<milliseconds>{100'000}}) {
                    CAPTURE(name(how));
                    CAPTURE(absent);
                    CAPTURE(timeout_ms);
                    absent_inputs in;
                    in.how = how;
                    in.absent_checks = absent;
                    in.attempt_timeout = milliseconds(timeout_ms);
                    in.remaining = rem;
                    auto d = after_absent(in);
                    if (how != delivery::abandoned || absent >= 2) {
                        CHECK(d.next == absent_decision::step::resend);
                        continue;
                    }
                    const bool room = !rem || *rem >= milliseconds(timeout_ms) + milliseconds(200);
                    if (room) {
                        CHECK(d.next == absent_decision::step::check_again);
                        CHECK(d.wait >= milliseconds(timeout_ms));
                    } else {
                        CHECK(d.next == absent_decision::step::give_up);
                        CHECK(d.reason == "deadline");
                    }
                }
}
