// The batch's rate pacer (src/policy/rate_pacer.hpp): the estimate from a
// window, waves, the mirror bucket, probing; and, against a simulated token
// bucket service, what it does to 429s and to throughput compared with not
// pacing.
#include "policy/rate_pacer.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>

using handinger::detail::pacer_options;
using handinger::detail::rate_pacer;
using clock_t_ = rate_pacer::clock;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

const clock_t_::time_point t0{hours(10)};
const clock_t_::time_point now_ok = clock_t_::time_point::min();

double secs(clock_t_::duration d)
{
    return std::chrono::duration<double>(d).count();
}

// A service with a token bucket (rate per second, burst), answering at once:
// a create succeeds when a token is there, else it gets 429 and the batch
// pauses `pause` (retry-after). The client submits as fast as `client_rate`
// allows whenever the pause and (with `pacing`) the pacer let it. 429'd
// creates are submitted again. Runs until `n` creates succeeded.
struct simulation {
    double rate = 2000, burst = 2000;
    milliseconds pause{1000};
    double client_rate = 60000;
    bool pacing = true;
    bool empty_at_start = false;

    std::size_t rate_limited = 0, waves = 0;
    double seconds_taken = 0;
    rate_pacer pacer;

    void run(std::size_t n)
    {
        double tokens = empty_at_start ? 0 : burst;
        auto now = t0, refilled = t0;
        auto paused_until = clock_t_::time_point::min();
        const auto step =
            std::chrono::duration_cast<clock_t_::duration>(std::chrono::duration<double>(1 / client_rate));
        std::size_t done = 0;
        for (std::size_t guard = 0; done < n && guard < 10'000'000; ++guard) {
            auto at = std::max(now, paused_until);
            if (pacing)
                at = std::max(at, pacer.next_start(at));
            now = at;
            tokens = std::min(burst, tokens + secs(now - refilled) * rate);
            refilled = now;
            if (pacing)
                pacer.on_start(now);
            if (tokens >= 1) {
                tokens -= 1;
                ++done;
                if (pacing)
                    pacer.on_success(now);
            } else {
                ++rate_limited;
                if (now >= paused_until)
                    ++waves;
                paused_until = std::max(paused_until, now + pause);
                if (pacing)
                    pacer.on_rate_limited(now, paused_until);
            }
            now += step;
        }
        REQUIRE(done == n);
        seconds_taken = secs(now - t0);
    }
};

} // namespace

TEST_CASE("rate pacer: nothing is paced before the first 429")
{
    rate_pacer p;
    CHECK(p.next_start(t0) == now_ok);
    for (int i = 0; i < 100000; ++i) {
        auto t = t0 + microseconds(i);
        CHECK(p.next_start(t) == now_ok);
        p.on_start(t);
        p.on_success(t);
    }
    CHECK_FALSE(p.rate());
    CHECK(p.waves() == 0);
}

TEST_CASE("rate pacer: a wave's estimate is the window's successes over the window up to the pause's end")
{
    rate_pacer p;
    p.on_start(t0);
    for (int i = 0; i < 2070; ++i)
        p.on_success(t0 + microseconds(17 * i));
    auto at = t0 + milliseconds(35);
    p.on_rate_limited(at, at + seconds(1));
    REQUIRE(p.rate());
    CHECK(*p.rate() == doctest::Approx(2070 / 1.035).epsilon(1e-9));
    CHECK(p.waves() == 1);
    // More 429s of the same wave (before its pause ends) change nothing.
    p.on_rate_limited(at + milliseconds(1), at + milliseconds(1) + seconds(1));
    p.on_rate_limited(at + milliseconds(500), at + milliseconds(500) + seconds(1));
    CHECK(*p.rate() == doctest::Approx(2070 / 1.035).epsilon(1e-9));
    CHECK(p.waves() == 1);
    // The mirror bucket starts empty at the 429 and fills at margin x rate:
    // nothing may start at once, the first token is there after 1 / (0.95 r).
    CHECK(p.next_start(at) > at);
    auto first = p.next_start(at);
    CHECK(secs(first - at) == doctest::Approx(1 / (0.95 * 2070 / 1.035)).epsilon(1e-3));
    // By the end of the pause it holds a second's worth (its capacity).
    auto end = at + seconds(1) + milliseconds(500);
    CHECK(p.next_start(end) == now_ok);
    int burst = 0;
    while (p.next_start(end) == now_ok && burst < 100000) {
        p.on_start(end);
        ++burst;
    }
    CHECK(burst == doctest::Approx(0.95 * 2070 / 1.035).epsilon(0.01));
}

TEST_CASE("rate pacer: a window with too few successes gives no estimate")
{
    rate_pacer p;
    p.on_start(t0);
    for (int i = 0; i < 7; ++i)
        p.on_success(t0);
    p.on_rate_limited(t0 + milliseconds(1), t0 + seconds(1));
    CHECK_FALSE(p.rate());
    CHECK(p.next_start(t0 + seconds(2)) == now_ok);
    // The next window counts from the end of that pause.
    for (int i = 0; i < 2000; ++i)
        p.on_success(t0 + seconds(1) + microseconds(i));
    auto at = t0 + seconds(1) + milliseconds(10);
    p.on_rate_limited(at, at + seconds(1));
    REQUIRE(p.rate());
    CHECK(*p.rate() == doctest::Approx(2000 / 1.01).epsilon(1e-9));
    CHECK(p.waves() == 2);
}

TEST_CASE("rate pacer: odd options read as sane ones")
{
    pacer_options o;
    o.margin = -1;
    o.probe_factor = 0.5;
    o.burst = milliseconds(0);
    o.min_successes = 0;
    rate_pacer p(o);
    p.on_start(t0);
    p.on_success(t0);
    p.on_rate_limited(t0 + milliseconds(500), t0 + seconds(1));
    REQUIRE(p.rate());
    CHECK(*p.rate() == doctest::Approx(1.0));
    // The bucket holds at least one token, so a tiny rate still lets one through.
    CHECK(p.next_start(t0 + seconds(3)) == now_ok);
    p.on_start(t0 + seconds(3));
    CHECK(p.next_start(t0 + seconds(3)) > t0 + seconds(3));
}

TEST_CASE("rate pacer: pacing that holds submissions back without a wave probes a higher rate")
{
    rate_pacer p;
    p.on_start(t0);
    for (int i = 0; i < 100; ++i)
        p.on_success(t0);
    p.on_rate_limited(t0, t0 + seconds(1));
    REQUIRE(p.rate());
    const double r0 = *p.rate();
    CHECK(r0 == doctest::Approx(100.0));
    auto now = t0 + seconds(1);
    // Submitting whenever allowed for 4.9 s: no probe yet.
    while (now < t0 + milliseconds(4900)) {
        now = std::max(now, p.next_start(now));
        p.on_start(now);
    }
    CHECK(*p.rate() == doctest::Approx(r0));
    while (now < t0 + milliseconds(5100)) {
        now = std::max(now, p.next_start(now));
        p.on_start(now);
    }
    CHECK(*p.rate() == doctest::Approx(r0 * 1.25));
    // And again 5 s later.
    while (now < t0 + milliseconds(10100)) {
        now = std::max(now, p.next_start(now));
        p.on_start(now);
    }
    CHECK(*p.rate() == doctest::Approx(r0 * 1.25 * 1.25));
    // A caller slower than the pace is not held back: no probe.
    rate_pacer q;
    q.on_start(t0);
    for (int i = 0; i < 100; ++i)
        q.on_success(t0);
    q.on_rate_limited(t0, t0 + seconds(1));
    for (int s = 1; s < 20; ++s) {
        auto t = t0 + seconds(s);
        CHECK(q.next_start(t) == now_ok);
        q.on_start(t);
    }
    CHECK(*q.rate() == doctest::Approx(100.0));
}

TEST_CASE("rate pacer against a token bucket answering at once: one wave of 429s, as fast as bursting")
{
    // The usual per-second limit: the bucket refills its burst within one pause.
    simulation paced;
    paced.run(10000);
    simulation unpaced;
    unpaced.pacing = false;
    unpaced.run(10000);
    CAPTURE(paced.seconds_taken);
    CAPTURE(unpaced.seconds_taken);
    CAPTURE(unpaced.waves);
    CHECK(paced.waves == 1);
    CHECK(paced.rate_limited == 1); // one create at a time here: one 429 per wave
    CHECK(unpaced.waves >= 3);
    CHECK(paced.seconds_taken <= unpaced.seconds_taken * 1.02);
    REQUIRE(paced.pacer.rate());
    CHECK(*paced.pacer.rate() == doctest::Approx(2000).epsilon(0.05));
    // Longer (50 s): a probe now and then costs a wave, each probe that finds
    // nothing waits twice as long for the next; the long-run rate stays near
    // the service's.
    simulation longer;
    longer.run(100000);
    simulation longer_unpaced;
    longer_unpaced.pacing = false;
    longer_unpaced.run(100000);
    CAPTURE(longer.waves);
    CAPTURE(longer_unpaced.waves);
    CHECK(longer.waves <= 5);
    CHECK(longer_unpaced.waves >= 40);
    CHECK(100000 / longer.seconds_taken >= 0.93 * 2000);
}

TEST_CASE("rate pacer against a token bucket: other shapes never do worse than bursting")
{
    struct shape {
        double rate, burst;
        milliseconds pause;
        bool empty_at_start;
    };
    const shape shapes[] = {
        {2000, 100, milliseconds(1000), false},   // a small burst: the estimate is low, probing raises it
        {2000, 20000, milliseconds(1000), false}, // a large burst: the first estimate is high
        {500, 500, milliseconds(1000), true},     // exhausted when the batch starts
        {2000, 2000, milliseconds(2000), false},  // a longer retry-after than the refill needs
        {50, 50, milliseconds(1000), false},      // a slow service
    };
    for (const auto& sh : shapes) {
        CAPTURE(sh.rate);
        CAPTURE(sh.burst);
        CAPTURE(sh.pause.count());
        simulation paced;
        paced.rate = sh.rate;
        paced.burst = sh.burst;
        paced.pause = sh.pause;
        paced.empty_at_start = sh.empty_at_start;
        simulation unpaced = paced;
        unpaced.pacing = false;
        const std::size_t n = static_cast<std::size_t>(sh.rate * 10);
        paced.run(n);
        unpaced.run(n);
        CAPTURE(paced.seconds_taken);
        CAPTURE(unpaced.seconds_taken);
        CAPTURE(paced.waves);
        CAPTURE(unpaced.waves);
        CHECK(paced.seconds_taken <= unpaced.seconds_taken * 1.05);
        CHECK(paced.waves <= unpaced.waves);
    }
}
