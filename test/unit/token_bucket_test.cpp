#include "policy/token_bucket.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using handinger::detail::token_bucket;
using clock_t_ = token_bucket::clock;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

namespace {

const clock_t_::time_point t0{std::chrono::hours(10)};

long long ns_after(clock_t_::time_point t, clock_t_::time_point base = t0)
{
    return std::chrono::duration_cast<nanoseconds>(t - base).count();
}

} // namespace

TEST_CASE("token_bucket: defaults are 50 per second with a burst of 50")
{
    token_bucket b;
    CHECK_FALSE(b.unlimited());
    CHECK(b.rate() == 50.0);
    CHECK(b.burst() == 50.0);
    for (int k = 0; k < 50; ++k)
        CHECK(b.reserve(t0) == t0);
    for (int k = 1; k <= 100; ++k) {
        CAPTURE(k);
        CHECK(b.reserve(t0) == t0 + milliseconds(20 * k));
    }
}

TEST_CASE("token_bucket: the k-th of many at once goes max(0, k - burst + 1)/rate later")
{
    for (double rate : {1.0, 3.0, 7.5, 50.0, 1000.0, 1e6}) {
        for (double burst : {1.0, 2.0, 10.0, 50.0, 2.5}) {
            CAPTURE(rate);
            CAPTURE(burst);
            token_bucket b(rate, burst);
            const double whole_burst = std::floor(burst); // a fractional burst lets floor(burst) through
            for (int k = 0; k < 500; ++k) {
                CAPTURE(k);
                const double expect_ns = std::max(0.0, (k - (burst - 1.0)) / rate * 1e9);
                const auto got = ns_after(b.reserve(t0));
                REQUIRE(std::abs(static_cast<double>(got) - expect_ns) <= 1.0);
                if (k < whole_burst)
                    REQUIRE(got == 0);
                else
                    REQUIRE(got > 0);
            }
        }
    }
}

TEST_CASE("token_bucket: a fraction of a nanosecond per slot is carried, not lost")
{
    token_bucket three(3.0, 1.0); // 333,333,333.33... ns apart
    for (long long k = 0; k <= 30'000; ++k) {
        CAPTURE(k);
        REQUIRE(ns_after(three.reserve(t0)) == k * 1'000'000'000LL / 3);
    }
    token_bucket fast(3e9, 1.0); // a third of a nanosecond apart
    for (long long k = 0; k <= 3000; ++k)
        REQUIRE(ns_after(fast.reserve(t0)) == k / 3);
    token_bucket seven(7.0, 1.0);
    long long last = 0;
    for (long long k = 0; k <= 70'000; ++k)
        last = ns_after(seven.reserve(t0));
    CHECK(last == 10'000'000'000'000LL); // 70,000 / 7 s = 10,000 s exactly
}

TEST_CASE("token_bucket: idle time refills up to the burst, not beyond")
{
    token_bucket b(50.0, 50.0);
    for (int k = 0; k < 50; ++k)
        CHECK(b.reserve(t0) == t0);
    // Half a second idle: 25 tokens back, then spacing from there.
    const auto half = t0 + milliseconds(500);
    int immediate = 0;
    for (int k = 0; k < 100; ++k) {
        auto at = b.reserve(half);
        if (at == half)
            ++immediate;
        else
            CHECK(at == t0 + milliseconds(1000 + 20 * k) - milliseconds(980));
    }
    CHECK(immediate == 25);
    // A long idle (an hour): exactly one burst, no more.
    const auto later = t0 + std::chrono::hours(1);
    for (int k = 0; k < 50; ++k)
        CHECK(b.reserve(later) == later);
    CHECK(b.reserve(later) == later + milliseconds(20));
    CHECK(b.reserve(later) == later + milliseconds(40));
    // Steady arrivals at the rate always go at once after a refill.
    token_bucket s(50.0, 5.0);
    for (int k = 0; k < 1000; ++k) {
        const auto now = t0 + milliseconds(20 * k);
        REQUIRE(s.reserve(now) == now);
    }
    // Arrivals twice as fast as the rate: the queue grows by 10 ms per arrival
    // once the burst of 5 is spent.
    token_bucket q(50.0, 5.0);
    for (int k = 0; k < 200; ++k) {
        const auto now = t0 + milliseconds(10 * k);
        const auto expect = std::max(now, t0 + milliseconds(20 * k) - milliseconds(80));
        CAPTURE(k);
        REQUIRE(q.reserve(now) == expect);
    }
}

TEST_CASE("token_bucket: callers with an older now still get a slot no earlier than their now")
{
    token_bucket b(10.0, 1.0);
    CHECK(b.reserve(t0 + seconds(5)) == t0 + seconds(5));
    // An earlier caller (clock read before the mutex): booked after the slot above.
    CHECK(b.reserve(t0) == t0 + seconds(5) + milliseconds(100));
    CHECK(b.reserve(t0 + seconds(10)) == t0 + seconds(10));
}

TEST_CASE("token_bucket: 10,000 reservations at once stretch to 199 s instead of failing")
{
    token_bucket b(50.0, 50.0);
    clock_t_::time_point prev = t0;
    clock_t_::time_point last{};
    for (int k = 0; k < 10'000; ++k) {
        last = b.reserve(t0);
        REQUIRE(last >= prev);
        if (k >= 50)
            REQUIRE(last - prev == milliseconds(20));
        prev = last;
    }
    // (10,000 - 50) / 50 = 199 s after the first, to the nanosecond.
    CHECK(last - t0 == seconds(199));
}

TEST_CASE("token_bucket: zero, negative, NaN or infinite rates are unlimited")
{
    const double nan_v = std::numeric_limits<double>::quiet_NaN();
    const double inf_v = std::numeric_limits<double>::infinity();
    for (double rate : {0.0, -0.0, -1.0, -inf_v, nan_v, inf_v}) {
        CAPTURE(rate);
        token_bucket b(rate, 50.0);
        CHECK(b.unlimited());
        CHECK(b.rate() == 0.0);
        for (int k = 0; k < 1000; ++k)
            REQUIRE(b.reserve(t0) == t0);
        CHECK(b.reserve(clock_t_::time_point::min()) == clock_t_::time_point::min());
        CHECK(b.reserve(clock_t_::time_point::max()) == clock_t_::time_point::max());
    }
}

TEST_CASE("token_bucket: burst below 1 or NaN is 1 - huge bursts and tiny rates are bounded")
{
    const double nan_v = std::numeric_limits<double>::quiet_NaN();
    for (double burst : {1.0, 0.999, 0.5, 0.0, -3.0, nan_v}) {
        CAPTURE(burst);
        token_bucket b(10.0, burst);
        CHECK(b.burst() == 1.0);
        CHECK(b.reserve(t0) == t0);
        CHECK(b.reserve(t0) == t0 + milliseconds(100));
        CHECK(b.reserve(t0) == t0 + milliseconds(200));
    }
    token_bucket huge(1.0, 1e300);
    CHECK(huge.burst() == 1e9);
    for (int k = 0; k < 10'000; ++k)
        REQUIRE(huge.reserve(t0) == t0);
    token_bucket inf_burst(1.0, std::numeric_limits<double>::infinity());
    CHECK(inf_burst.burst() == 1e9);
    // The slowest rate: one per 1e6 s.
    token_bucket slow(1e-12, 1.0);
    CHECK(slow.rate() == 1e-6);
    CHECK(slow.reserve(t0) == t0);
    CHECK(slow.reserve(t0) == t0 + seconds(1'000'000));
    CHECK(slow.reserve(t0) == t0 + seconds(2'000'000));
    // Huge burst at the slowest rate: the tolerance saturates, no overflow.
    token_bucket wide(1e-9, 1e12);
    for (int k = 0; k < 100; ++k)
        REQUIRE(wide.reserve(t0) == t0);
}

TEST_CASE("token_bucket: saturates at the end of the clock instead of overflowing")
{
    token_bucket slow(1e-6, 1.0);
    const auto near_end = clock_t_::time_point::max() - seconds(3'000'000);
    CHECK(slow.reserve(near_end) == near_end);
    CHECK(slow.reserve(near_end) == near_end + seconds(1'000'000));
    CHECK(slow.reserve(near_end) == near_end + seconds(2'000'000));
    for (int k = 0; k < 10; ++k) {
        auto at = slow.reserve(near_end);
        REQUIRE(at >= near_end);
        REQUIRE(at <= clock_t_::time_point::max());
    }
    CHECK(slow.reserve(near_end) == clock_t_::time_point::max());
    // At the very start of the clock too.
    token_bucket b(50.0, 50.0);
    CHECK(b.reserve(clock_t_::time_point::min()) == clock_t_::time_point::min());
}
