#include "policy/retry.hpp"

#include <handinger/error.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>

using namespace handinger::detail;
using handinger::error;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

attempt_facts response(int status)
{
    attempt_facts f;
    f.status = status;
    f.ec = handinger::error_from_status(status);
    f.maybe_delivered = true;
    return f;
}

attempt_facts failure(error e, bool delivered = false)
{
    attempt_facts f;
    f.ec = e;
    f.maybe_delivered = delivered;
    return f;
}

std::chrono::system_clock::time_point at(int y, int mo, int d, int h, int mi, int s)
{
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

} // namespace

TEST_CASE("is_retryable: every status from 100 to 599 by the SDK rule")
{
    for (int st = 200; st < 600; ++st) {
        bool expected = st == 408 || st == 409 || st == 429 || st >= 500;
        if (st < 400)
            expected = false;
        CAPTURE(st);
        CHECK(is_retryable(response(st)) == expected);
    }
}

TEST_CASE("is_retryable: x-should-retry overrides the status, any case, with spaces")
{
    for (int st : {400, 401, 403, 404, 409, 422, 429, 500, 503}) {
        CAPTURE(st);
        auto f = response(st);
        f.x_should_retry = "true";
        CHECK(is_retryable(f));
        f.x_should_retry = " TRUE ";
        CHECK(is_retryable(f));
        f.x_should_retry = "false";
        CHECK_FALSE(is_retryable(f));
        f.x_should_retry = "False";
        CHECK_FALSE(is_retryable(f));
        f.x_should_retry = "maybe"; // unknown value: the status rule applies
        CHECK(is_retryable(f) == (st == 409 || st == 429 || st >= 500));
    }
}

TEST_CASE("is_retryable: failures without a response")
{
    CHECK(is_retryable(failure(error::connection)));
    CHECK(is_retryable(failure(error::connection, true)));
    CHECK(is_retryable(failure(error::timeout)));
    CHECK(is_retryable(failure(error::tls)));
    CHECK_FALSE(is_retryable(failure(error::tls_verification)));
    CHECK_FALSE(is_retryable(failure(error::invalid_response)));
    CHECK_FALSE(is_retryable(failure(error::invalid_argument)));
    CHECK_FALSE(is_retryable(failure(error::cancelled)));
    CHECK_FALSE(is_retryable(failure(error::proxy))); // a proxy's 407, 403...: its configuration
    auto f = failure(error::cancelled);
    f.x_should_retry = "true"; // no response: the header cannot apply
    CHECK_FALSE(is_retryable(f));
}

TEST_CASE("is_ambiguous_delivery: only when the request may have arrived and nothing refused it")
{
    CHECK(is_ambiguous_delivery(failure(error::connection, true)));
    CHECK(is_ambiguous_delivery(failure(error::timeout, true)));
    CHECK(is_ambiguous_delivery(failure(error::invalid_response, true))); // truncated body
    CHECK_FALSE(is_ambiguous_delivery(failure(error::connection, false)));
    CHECK_FALSE(is_ambiguous_delivery(failure(error::timeout, false)));
    CHECK_FALSE(is_ambiguous_delivery(failure(error::cancelled, true)));
    for (int st = 200; st < 600; ++st) {
        CAPTURE(st);
        CHECK(is_ambiguous_delivery(response(st)) == (st == 408 || st >= 500));
    }
}

TEST_CASE("retry_after_delay: retry-after-ms first, then seconds, then HTTP date")
{
    auto now = at(2026, 11, 28, 12, 0, 0);
    CHECK(retry_after_delay("250", "", now) == milliseconds(250));
    CHECK(retry_after_delay("1.5", "", now) == milliseconds(2)); // fractional ms round up
    CHECK(retry_after_delay("0", "", now) == milliseconds(0));
    CHECK(retry_after_delay("250", "10", now) == milliseconds(250)); // -ms wins
    CHECK(retry_after_delay("", "2", now) == milliseconds(2000));
    CHECK(retry_after_delay("", "0.5", now) == milliseconds(500));
    CHECK(retry_after_delay("", " 3 ", now) == milliseconds(3000));
    CHECK(retry_after_delay("junk", "3", now) == milliseconds(3000)); // bad -ms falls through
    CHECK(retry_after_delay("-5", "", now) == std::nullopt);
    CHECK(retry_after_delay("", "-5", now) == std::nullopt);
    CHECK(retry_after_delay("", "abc", now) == std::nullopt);
    CHECK(retry_after_delay("", "", now) == std::nullopt);
    // capped at 60 s
    CHECK(retry_after_delay("", "120", now) == max_retry_after);
    CHECK(retry_after_delay("999999", "", now) == max_retry_after);
    CHECK(retry_after_delay("", "1e400", now) == std::nullopt);
    // HTTP dates
    CHECK(retry_after_delay("", "Sat, 28 Nov 2026 12:00:05 GMT", now) == milliseconds(5000));
    CHECK(retry_after_delay("", "Saturday, 28-Nov-26 12:00:07 GMT", now) == milliseconds(7000));
    CHECK(retry_after_delay("", "Sat Nov 28 12:00:09 2026", now) == milliseconds(9000));
    CHECK(retry_after_delay("", "Sat, 28 Nov 2026 11:59:00 GMT", now) == milliseconds(0)); // past
    CHECK(retry_after_delay("", "Sat, 28 Nov 2026 13:00:00 GMT", now) == max_retry_after);
    // Dates beyond system_clock's range (years 1678 to 2261; found by
    // fuzz_retry: from_time_t overflowed): the far future waits the most,
    // the far past not at all.
    CHECK(retry_after_delay("", "Sat, 01 Jun 4048 12:00:30 GMT", now) == max_retry_after);
    CHECK(retry_after_delay("", "Fri, 31 Dec 9999 23:59:59 GMT", now) == max_retry_after);
    CHECK(retry_after_delay("", "Mon, 01 Jan 0001 00:00:00 GMT", now) == milliseconds(0));
    CHECK(retry_after_delay("", "Mon, 01 Jan 1600 00:00:00 GMT", now) == milliseconds(0));
}

TEST_CASE("parse_http_date: the three forms and malformed input")
{
    auto expect = at(1994, 11, 6, 8, 49, 37);
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == expect);
    CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == expect);
    CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == expect);
    CHECK(parse_http_date("sun, 06 nov 1994 08:49:37 GMT") == expect);
    CHECK_FALSE(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"));
    CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49 GMT"));
    CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 PST"));
    CHECK_FALSE(parse_http_date("Sun, 32 Nov 1994 08:49:37 GMT"));
    CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"));
    CHECK_FALSE(parse_http_date(""));
    CHECK_FALSE(parse_http_date("x"));
    CHECK_FALSE(parse_http_date("Sun Nov  6 08:49:37 1994 extra"));
}

TEST_CASE("backoff_delay: min(0.5 * 2^n, 8) s scaled by 0.75 to 1")
{
    const double bases[] = {0.5, 1, 2, 4, 8, 8, 8, 8};
    for (int n = 0; n < 8; ++n) {
        CAPTURE(n);
        CHECK(backoff_delay(n, 0.0) == milliseconds(static_cast<long long>(bases[n] * 1000)));
        CHECK(backoff_delay(n, 1.0) == milliseconds(static_cast<long long>(bases[n] * 750)));
        for (double r = 0; r < 1; r += 0.1) {
            auto d = backoff_delay(n, r);
            CHECK(d <= milliseconds(static_cast<long long>(bases[n] * 1000)));
            CHECK(d >= milliseconds(static_cast<long long>(bases[n] * 750)));
        }
    }
    CHECK(backoff_delay(1000, 0.0) == milliseconds(8000)); // no overflow
    CHECK(backoff_delay(-3, 0.0) == milliseconds(500));
}

TEST_CASE("decide_retry: retries counted, server's wait honoured, deadline respected")
{
    retry_inputs in;
    in.facts = response(503);
    in.max_retries = 2;
    in.random01 = 0.0;

    in.retries_done = 0;
    auto d = decide_retry(in);
    CHECK(d.retry);
    CHECK(d.delay == milliseconds(500));
    in.retries_done = 1;
    d = decide_retry(in);
    CHECK(d.retry);
    CHECK(d.delay == milliseconds(1000));
    in.retries_done = 2;
    d = decide_retry(in);
    CHECK_FALSE(d.retry);
    CHECK(d.reason == "retries exhausted");

    in.retries_done = 0;
    in.max_retries = 0;
    CHECK_FALSE(decide_retry(in).retry);

    in.max_retries = 2;
    in.facts = response(429);
    in.facts.retry_after = "3";
    d = decide_retry(in);
    CHECK(d.retry);
    CHECK(d.delay == milliseconds(3000));

    in.remaining = milliseconds(2000); // the wait alone would overrun the deadline
    d = decide_retry(in);
    CHECK_FALSE(d.retry);
    CHECK(d.reason == "deadline");
    in.remaining = milliseconds(3050); // not enough left for a useful attempt
    CHECK_FALSE(decide_retry(in).retry);
    in.remaining = milliseconds(3100);
    CHECK(decide_retry(in).retry);

    in.remaining.reset();
    in.facts = response(404);
    d = decide_retry(in);
    CHECK_FALSE(d.retry);
    CHECK(d.reason == "not retryable");

    in.facts = response(400);
    in.facts.x_should_retry = "true";
    in.facts.retry_after_ms = "20";
    d = decide_retry(in);
    CHECK(d.retry);
    CHECK(d.delay == milliseconds(20));

    in.facts = failure(error::cancelled);
    CHECK_FALSE(decide_retry(in).retry);
}

TEST_CASE("is_stale_connection_failure: reused, nothing received, peer closed, once")
{
    for (int bits = 0; bits < 16; ++bits) {
        bool reused = bits & 1, started = bits & 2, closed = bits & 4, used = bits & 8;
        CAPTURE(bits);
        CHECK(is_stale_connection_failure(reused, started, closed, used) ==
              (reused && !started && closed && !used));
    }
}
