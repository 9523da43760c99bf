#include "policy/aimd.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <vector>

using handinger::detail::aimd_limit;
using handinger::detail::aimd_options;
using handinger::detail::attempt_signal;
using clock_t_ = aimd_limit::clock;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

const clock_t_::time_point t0{hours(10)};
const clock_t_::time_point never_paused = clock_t_::time_point::min();
constexpr std::size_t size_max = std::numeric_limits<std::size_t>::max();

constexpr attempt_signal ok = attempt_signal::success;
constexpr attempt_signal busy = attempt_signal::overloaded;      // 503
constexpr attempt_signal limited = attempt_signal::rate_limited; // 429
constexpr attempt_signal other = attempt_signal::other;

aimd_options opts(std::size_t initial, std::size_t maximum, bool adaptive = true,
                  milliseconds min_pause = milliseconds(1000))
{
    aimd_options o;
    o.initial = initial;
    o.maximum = maximum;
    o.adaptive = adaptive;
    o.min_pause = min_pause;
    return o;
}

// `n` successes with the limit exactly in use.
void successes_in_use(aimd_limit& a, std::size_t n, clock_t_::time_point now = t0)
{
    for (std::size_t i = 0; i < n; ++i)
        a.record(ok, a.limit(), now);
}

// Successes needed to grow from the current limit to `target`, with the limit
// in use on every completion: limit + (limit + 1) + ... + (target - 1).
std::size_t steps_to(std::size_t from, std::size_t to)
{
    std::size_t n = 0;
    for (std::size_t l = from; l < to; ++l)
        n += l;
    return n;
}

} // namespace

TEST_CASE("aimd: the defaults start at 16 of at most 256, not paused")
{
    aimd_limit a{aimd_options{}};
    CHECK(a.limit() == 16);
    CHECK(a.paused_until() == never_paused);
    CHECK(a.may_start(0, t0));
    CHECK(a.may_start(15, t0));
    CHECK_FALSE(a.may_start(16, t0));
    CHECK(a.may_start(0, clock_t_::time_point::min()));
    // The maximum is 256: grow all the way and stop there.
    successes_in_use(a, steps_to(16, 256) - 1);
    CHECK(a.limit() == 255);
    successes_in_use(a, 1);
    CHECK(a.limit() == 256);
    successes_in_use(a, 10'000);
    CHECK(a.limit() == 256);
}

TEST_CASE("aimd: initial is clamped to 1..maximum and maximum 0 reads as 1")
{
    const std::vector<std::size_t> values{0,   1,   2,   3,         15,           16,      17,
                                          255, 256, 257, 1'000'000, size_max - 1, size_max};
    for (std::size_t initial : values) {
        for (std::size_t maximum : values) {
            for (bool adaptive : {true, false}) {
                CAPTURE(initial);
                CAPTURE(maximum);
                CAPTURE(adaptive);
                const std::size_t max_eff = std::max<std::size_t>(maximum, 1);
                const std::size_t expect = std::clamp<std::size_t>(initial, 1, max_eff);
                aimd_limit a{opts(initial, maximum, adaptive)};
                REQUIRE(a.limit() == expect);
                REQUIRE(a.paused_until() == never_paused);
                REQUIRE(a.may_start(expect - 1, t0));
                REQUIRE_FALSE(a.may_start(expect, t0));
                // Never above the (sanitised) maximum, never below 1.
                successes_in_use(a, 3 * std::min<std::size_t>(expect, 300) + 3);
                REQUIRE(a.limit() <= max_eff);
                REQUIRE(a.limit() >= 1);
                for (int i = 0; i < 70; ++i)
                    a.record(busy, 1, t0);
                REQUIRE(a.limit() == (adaptive ? 1 : expect));
            }
        }
    }
    // maximum 0: one at a time, for ever.
    aimd_limit zero{opts(5, 0)};
    CHECK(zero.limit() == 1);
    successes_in_use(zero, 100);
    CHECK(zero.limit() == 1);
    CHECK(zero.may_start(0, t0));
    CHECK_FALSE(zero.may_start(1, t0));
}

TEST_CASE("aimd: may_start is false at or above the limit and before the end of a pause")
{
    aimd_limit a{opts(4, 64)};
    for (std::size_t n = 0; n < 10; ++n) {
        CAPTURE(n);
        CHECK(a.may_start(n, t0) == (n < 4));
    }
    a.record(limited, 1, t0); // limit 2, paused until t0 + 1 s
    REQUIRE(a.limit() == 2);
    REQUIRE(a.paused_until() == t0 + seconds(1));
    for (std::size_t n = 0; n < 4; ++n) {
        CAPTURE(n);
        CHECK_FALSE(a.may_start(n, t0));
        CHECK_FALSE(a.may_start(n, t0 + milliseconds(999)));
        CHECK_FALSE(a.may_start(n, t0 + seconds(1) - clock_t_::duration(1)));
        // "At or after": the end of the pause itself is allowed.
        CHECK(a.may_start(n, t0 + seconds(1)) == (n < 2));
        CHECK(a.may_start(n, t0 + hours(1)) == (n < 2));
    }
    // An earlier `now` (a clock read before a lock) is still paused.
    CHECK_FALSE(a.may_start(0, t0 - hours(1)));
}

TEST_CASE("aimd: exactly +1 after limit successes while the limit is in use")
{
    for (std::size_t l : {1u, 2u, 3u, 7u, 16u, 100u}) {
        CAPTURE(l);
        aimd_limit a{opts(l, 1000)};
        for (std::size_t i = 1; i < l; ++i) {
            a.record(ok, l, t0);
            REQUIRE(a.limit() == l);
        }
        a.record(ok, l, t0);
        CHECK(a.limit() == l + 1);
        // The credits restart: the next step needs l + 1 successes.
        successes_in_use(a, l);
        CHECK(a.limit() == l + 1);
        successes_in_use(a, 1);
        CHECK(a.limit() == l + 2);
    }
    // Above the limit counts as in use too (a halving leaves more in flight).
    aimd_limit above{opts(4, 100)};
    for (int i = 0; i < 4; ++i)
        above.record(ok, 4 + static_cast<std::size_t>(i) * 10, t0);
    CHECK(above.limit() == 5);
}

TEST_CASE("aimd: no growth while the limit is not in use, and no lost credit either")
{
    for (std::size_t l : {2u, 5u, 16u}) {
        CAPTURE(l);
        aimd_limit a{opts(l, 1000)};
        for (int i = 0; i < 10'000; ++i)
            for (std::size_t in_flight = 1; in_flight < l; ++in_flight)
                a.record(ok, in_flight, t0);
        CHECK(a.limit() == l);
        // Credits in use survive successes not in use (and `other`s) between them.
        for (std::size_t i = 1; i < l; ++i) {
            a.record(ok, l, t0);
            a.record(ok, l - 1, t0);
            a.record(ok, 1, t0);
            a.record(other, l, t0);
            REQUIRE(a.limit() == l);
        }
        a.record(ok, l - 1, t0);
        CHECK(a.limit() == l);
        a.record(ok, l, t0);
        CHECK(a.limit() == l + 1);
    }
    // in_flight 0 reads as 1: in use at limit 1 only.
    aimd_limit one{opts(1, 10)};
    one.record(ok, 0, t0);
    CHECK(one.limit() == 2);
    one.record(ok, 0, t0);
    one.record(ok, 0, t0);
    CHECK(one.limit() == 2);
}

TEST_CASE("aimd: the limit never goes above the maximum")
{
    for (std::size_t m : {1u, 2u, 5u, 64u}) {
        CAPTURE(m);
        aimd_limit a{opts(1, m)};
        successes_in_use(a, steps_to(1, m));
        CHECK(a.limit() == m);
        successes_in_use(a, 5000);
        CHECK(a.limit() == m);
        for (int i = 0; i < 1000; ++i)
            a.record(ok, size_max, t0);
        CHECK(a.limit() == m);
        // Credits do not pile up at the maximum: after a halving from m, growth
        // needs the full count again.
        a.record(busy, 1, t0);
        const std::size_t h = std::max<std::size_t>(m / 2, 1);
        REQUIRE(a.limit() == h);
        if (h < m) {
            successes_in_use(a, h - 1);
            CHECK(a.limit() == h);
            successes_in_use(a, 1);
            CHECK(a.limit() == h + 1);
        }
    }
    aimd_limit big{opts(size_max, size_max)};
    CHECK(big.limit() == size_max);
    for (int i = 0; i < 100; ++i)
        big.record(ok, size_max, t0);
    CHECK(big.limit() == size_max);
    CHECK(big.may_start(size_max - 1, t0));
    CHECK_FALSE(big.may_start(size_max, t0));
}

TEST_CASE("aimd: halving rounds down and stops at 1, for 503 and 429 alike")
{
    for (attempt_signal s : {busy, limited}) {
        for (std::size_t l = 1; l <= 300; ++l) {
            CAPTURE(l);
            aimd_limit a{opts(l, 300)};
            a.record(s, 1, t0); // in_flight 1: no recovery, the next one counts
            REQUIRE(a.limit() == std::max<std::size_t>(l / 2, 1));
        }
        aimd_limit a{opts(256, 256)};
        std::vector<std::size_t> seen;
        for (int i = 0; i < 12; ++i) {
            a.record(s, 1, t0);
            seen.push_back(a.limit());
        }
        CHECK(seen == std::vector<std::size_t>{128, 64, 32, 16, 8, 4, 2, 1, 1, 1, 1, 1});
        aimd_limit odd{opts(255, 256)};
        seen.clear();
        for (int i = 0; i < 9; ++i) {
            odd.record(s, 1, t0);
            seen.push_back(odd.limit());
        }
        CHECK(seen == std::vector<std::size_t>{127, 63, 31, 15, 7, 3, 1, 1, 1});
    }
    aimd_limit huge{opts(size_max, size_max)};
    huge.record(busy, 1, t0);
    CHECK(huge.limit() == size_max / 2);
}

TEST_CASE("aimd: a halving restarts the credits")
{
    aimd_limit a{opts(8, 100)};
    successes_in_use(a, 7); // one short of 9
    a.record(busy, 1, t0);
    REQUIRE(a.limit() == 4);
    successes_in_use(a, 3);
    CHECK(a.limit() == 4);
    successes_in_use(a, 1);
    CHECK(a.limit() == 5);
}

TEST_CASE("aimd: several overloads of one burst halve once")
{
    // 16 in flight, all answered 429: the limit halves once, to 8.
    aimd_limit a{opts(16, 256)};
    for (std::size_t in_flight = 16; in_flight >= 1; --in_flight) {
        a.record(limited, in_flight, t0);
        REQUIRE(a.limit() == 8);
    }
    // The same with 503s, and with the two mixed.
    aimd_limit b{opts(16, 256)};
    for (std::size_t in_flight = 16; in_flight >= 1; --in_flight)
        b.record(in_flight % 2 ? busy : limited, in_flight, t0);
    CHECK(b.limit() == 8);
    // The next burst (8 in flight under the new limit) halves once more.
    for (std::size_t in_flight = 8; in_flight >= 1; --in_flight)
        b.record(busy, in_flight, t0);
    CHECK(b.limit() == 4);
}

TEST_CASE("aimd: the burst of a halving is min(in_flight, old limit) - 1 more completions of any signal")
{
    for (std::size_t in_flight = 0; in_flight <= 20; ++in_flight) {
        for (attempt_signal filler : {ok, busy, limited, other}) {
            CAPTURE(in_flight);
            CAPTURE(static_cast<int>(filler));
            aimd_limit a{opts(16, 256, true, milliseconds(0))};
            a.record(busy, in_flight, t0);
            REQUIRE(a.limit() == 8);
            const std::size_t burst = std::clamp<std::size_t>(in_flight, 1, 16) - 1;
            for (std::size_t i = 0; i < burst; ++i) {
                a.record(filler, 16, t0); // in use, yet no credit and no halving
                REQUIRE(a.limit() == 8);
            }
            a.record(busy, 1, t0); // the first completion after the burst
            CHECK(a.limit() == 4);
        }
    }
    // Successes of the old burst earn nothing: growth from 8 takes 8 in-use
    // successes after the burst, not before.
    aimd_limit g{opts(16, 256)};
    g.record(busy, 16, t0);
    successes_in_use(g, 15); // the rest of the old burst
    CHECK(g.limit() == 8);
    successes_in_use(g, 7);
    CHECK(g.limit() == 8);
    successes_in_use(g, 1);
    CHECK(g.limit() == 9);
}

TEST_CASE("aimd: a 503 halves without pausing, whatever its retry-after")
{
    aimd_limit a{opts(8, 64)};
    a.record(busy, 8, t0, seconds(30));
    CHECK(a.limit() == 4);
    CHECK(a.paused_until() == never_paused);
    CHECK(a.may_start(3, t0));
    CHECK_FALSE(a.may_start(4, t0));
    for (int i = 0; i < 20; ++i)
        a.record(busy, 1, t0 + seconds(i), seconds(100));
    CHECK(a.paused_until() == never_paused);
    // A 503 does not shorten a 429's pause either.
    a.record(limited, 1, t0, seconds(5));
    const auto p = a.paused_until();
    REQUIRE(p == t0 + seconds(5));
    a.record(busy, 1, t0 + seconds(1));
    CHECK(a.paused_until() == p);
}

TEST_CASE("aimd: a 429 pauses for the longer of retry-after and min_pause")
{
    const std::vector<std::optional<milliseconds>> hints{
        std::nullopt,         milliseconds(-5000), milliseconds(0),    milliseconds(1),
        milliseconds(500),    milliseconds(999),   milliseconds(1000), milliseconds(1001),
        milliseconds(30'000), milliseconds(60'000)};
    for (milliseconds min_pause :
         {milliseconds(-10), milliseconds(0), milliseconds(1), milliseconds(1000), milliseconds(5000)}) {
        for (const auto& hint : hints) {
            for (bool adaptive : {true, false}) {
                CAPTURE(min_pause.count());
                CAPTURE(hint ? hint->count() : -1);
                CAPTURE(adaptive);
                aimd_limit a{opts(8, 64, adaptive, min_pause)};
                a.record(limited, 8, t0, hint);
                const milliseconds expect =
                    std::max({min_pause, hint.value_or(milliseconds(0)), milliseconds(0)});
                REQUIRE(a.paused_until() == t0 + expect);
                REQUIRE(a.limit() == (adaptive ? 4u : 8u));
                REQUIRE(a.may_start(0, t0) == (expect == milliseconds(0)));
                REQUIRE(a.may_start(0, t0 + expect));
            }
        }
    }
    // The default min_pause is one second.
    aimd_limit d{aimd_options{}};
    d.record(limited, 16, t0);
    CHECK(d.paused_until() == t0 + seconds(1));
}

TEST_CASE("aimd: a later shorter pause does not shorten it, a longer one extends it")
{
    aimd_limit a{opts(64, 64)};
    a.record(limited, 64, t0, seconds(10)); // until t0 + 10 s; a burst of 63 follows
    REQUIRE(a.paused_until() == t0 + seconds(10));
    REQUIRE(a.limit() == 32);
    // Shorter: same now, shorter hint; later now, ending earlier.
    a.record(limited, 60, t0, seconds(2));
    CHECK(a.paused_until() == t0 + seconds(10));
    a.record(limited, 59, t0 + seconds(5), seconds(3));
    CHECK(a.paused_until() == t0 + seconds(10));
    a.record(limited, 58, t0 + seconds(9)); // min_pause: until t0 + 10 s exactly
    CHECK(a.paused_until() == t0 + seconds(10));
    // Longer: extends, even within the burst of one halving (the limit stays).
    a.record(limited, 57, t0 + seconds(9), milliseconds(1001));
    CHECK(a.paused_until() == t0 + seconds(10) + milliseconds(1));
    a.record(limited, 56, t0, seconds(60));
    CHECK(a.paused_until() == t0 + seconds(60));
    CHECK(a.limit() == 32);
    // A 429 reported with a `now` before an earlier one's does not shorten it.
    a.record(limited, 55, t0 - hours(1), seconds(1));
    CHECK(a.paused_until() == t0 + seconds(60));
    // Successes, 503s and others leave it alone.
    a.record(ok, 32, t0 + seconds(61));
    a.record(busy, 32, t0 + seconds(61));
    a.record(other, 32, t0 + seconds(61), seconds(600));
    CHECK(a.paused_until() == t0 + seconds(60));
    // A pause after the last one ended starts afresh.
    a.record(limited, 1, t0 + hours(1));
    CHECK(a.paused_until() == t0 + hours(1) + seconds(1));
}

TEST_CASE("aimd: not adaptive - the limit never moves, but a 429 still pauses")
{
    aimd_limit a{opts(10, 20, false)};
    successes_in_use(a, 10'000);
    CHECK(a.limit() == 10);
    for (std::size_t in_flight : {0u, 1u, 10u, 100u})
        for (attempt_signal s : {ok, busy, limited, other})
            a.record(s, in_flight, t0);
    CHECK(a.limit() == 10);
    CHECK(a.paused_until() == t0 + seconds(1));
    a.record(busy, 10, t0, seconds(30));
    CHECK(a.paused_until() == t0 + seconds(1));
    a.record(limited, 10, t0, seconds(30));
    CHECK(a.paused_until() == t0 + seconds(30));
    CHECK_FALSE(a.may_start(0, t0 + seconds(29)));
    CHECK(a.may_start(9, t0 + seconds(30)));
    CHECK_FALSE(a.may_start(10, t0 + seconds(30)));
    // Not adaptive keeps no burst either: a pause right after still extends.
    a.record(limited, 10, t0 + seconds(30), seconds(2));
    CHECK(a.paused_until() == t0 + seconds(32));
    CHECK(a.limit() == 10);
}

TEST_CASE("aimd: other signals change nothing")
{
    // Twins fed the same sequence (no halving bursts: overloads at in_flight
    // 1), one with `other`s of every kind in between: identical at each step.
    std::mt19937 rng(7);
    aimd_limit plain{opts(3, 40)};
    aimd_limit noisy{opts(3, 40)};
    auto now = t0;
    for (int step = 0; step < 5000; ++step) {
        CAPTURE(step);
        const int k = static_cast<int>(rng() % 10);
        for (int j = 0; j < k; ++j) {
            const std::size_t in_flight = rng() % 60;
            const std::optional<milliseconds> hint =
                rng() % 2 ? std::optional<milliseconds>(milliseconds(rng() % 100'000)) : std::nullopt;
            noisy.record(other, in_flight, now, hint);
            REQUIRE(noisy.limit() == plain.limit());
            REQUIRE(noisy.paused_until() == plain.paused_until());
        }
        const unsigned r = rng() % 20;
        const attempt_signal s = r == 0 ? busy : r == 1 ? limited : ok;
        const std::size_t in_flight = s == ok ? plain.limit() - rng() % 2 : 1;
        plain.record(s, in_flight, now);
        noisy.record(s, in_flight, now);
        REQUIRE(noisy.limit() == plain.limit());
        REQUIRE(noisy.paused_until() == plain.paused_until());
        now += milliseconds(rng() % 500);
    }
    // From a fresh state: nothing at all moves.
    aimd_limit a{opts(5, 10)};
    for (std::size_t in_flight = 0; in_flight < 30; ++in_flight)
        a.record(other, in_flight, t0, seconds(100));
    CHECK(a.limit() == 5);
    CHECK(a.paused_until() == never_paused);
    successes_in_use(a, 4);
    CHECK(a.limit() == 5);
    successes_in_use(a, 1);
    CHECK(a.limit() == 6);
}

TEST_CASE("aimd: steady successes from limit 1 reach the maximum in m(m-1)/2 steps")
{
    for (std::size_t m : {1u, 2u, 10u, 256u, 1000u}) {
        CAPTURE(m);
        aimd_limit a{opts(1, m)};
        std::size_t steps = 0;
        std::size_t last = a.limit();
        while (a.limit() < m && steps < 10'000'000) {
            a.record(ok, a.limit(), t0);
            ++steps;
            REQUIRE(a.limit() >= last);
            REQUIRE(a.limit() <= last + 1);
            last = a.limit();
        }
        CHECK(steps == m * (m - 1) / 2);
        successes_in_use(a, m * 5);
        CHECK(a.limit() == m);
    }
}

TEST_CASE("aimd: an alternating overload pattern stays bounded")
{
    // Strict alternation at a full limit: down to 1 and then between 1 and 2.
    for (attempt_signal bad : {busy, limited}) {
        aimd_limit a{opts(64, 256, true, milliseconds(0))};
        for (int i = 0; i < 10'000; ++i) {
            a.record(i % 2 ? bad : ok, a.limit(), t0);
            REQUIRE(a.limit() >= 1);
            REQUIRE(a.limit() <= 64);
            if (i > 200)
                REQUIRE(a.limit() <= 2);
        }
    }
    // Rounds of a full limit, all succeeding, then all overloaded: each bad
    // round halves once, each good round adds one.
    aimd_limit r{opts(32, 256)};
    std::size_t prev = r.limit();
    for (int round = 0; round < 400; ++round) {
        const bool bad = round % 2 == 1;
        const std::size_t l = r.limit();
        for (std::size_t in_flight = l; in_flight >= 1; --in_flight)
            r.record(bad ? busy : ok, l, t0); // closed loop: a finished one is replaced
        CAPTURE(round);
        REQUIRE(r.limit() == (bad ? std::max<std::size_t>(l / 2, 1) : l + 1));
        REQUIRE(r.limit() <= 33);
        prev = r.limit();
    }
    CHECK(prev <= 2);
    // A server that can take `cap` at once and answers 503 beyond it, driven
    // as a closed loop: the limit saws between about cap/2 and cap + 1, never
    // collapsing to 1 and never running away.
    for (std::size_t cap : {4u, 10u, 37u, 100u}) {
        CAPTURE(cap);
        aimd_limit a{opts(1, 1000)};
        std::size_t running = 0;
        std::size_t low = size_max;
        std::size_t high = 0;
        for (int i = 0; i < 200'000; ++i) {
            while (a.may_start(running, t0))
                ++running;
            const attempt_signal s = running > cap ? busy : ok;
            a.record(s, running, t0);
            --running;
            REQUIRE(a.limit() <= cap + 1);
            if (i > 100'000) {
                low = std::min(low, a.limit());
                high = std::max(high, a.limit());
            }
        }
        CHECK(high == cap + 1);
        CHECK(low >= (cap + 1) / 2);
        CHECK(low <= (cap + 1) / 2 + 1);
    }
}

TEST_CASE("aimd: pauses saturate at the end of the clock")
{
    const auto end = clock_t_::time_point::max();
    aimd_limit a{opts(4, 8)};
    a.record(limited, 1, end - seconds(1), seconds(60));
    CHECK(a.paused_until() == end);
    CHECK_FALSE(a.may_start(0, end - clock_t_::duration(1)));
    CHECK(a.may_start(0, end));
    a.record(limited, 1, end - hours(1));
    CHECK(a.paused_until() == end);
    // Hints and min_pause beyond any clock: saturate, no overflow.
    aimd_limit b{opts(4, 8, true, milliseconds::max())};
    b.record(limited, 1, t0);
    CHECK(b.paused_until() == end);
    aimd_limit c{opts(4, 8)};
    c.record(limited, 1, t0, milliseconds::max());
    CHECK(c.paused_until() == end);
    aimd_limit d{opts(4, 8, true, milliseconds::min())};
    d.record(limited, 1, t0, milliseconds::min());
    CHECK(d.paused_until() == t0);
    // At the start of the clock too.
    aimd_limit e{opts(4, 8)};
    e.record(limited, 1, clock_t_::time_point::min());
    CHECK(e.paused_until() == clock_t_::time_point::min() + seconds(1));
}

TEST_CASE("aimd: random sequences keep every invariant")
{
    std::mt19937_64 rng(20240611);
    const std::vector<std::size_t> maxima{0, 1, 2, 3, 8, 16, 64, 256};
    for (int run = 0; run < 400; ++run) {
        const std::size_t maximum = maxima[rng() % maxima.size()];
        const std::size_t initial = rng() % 300;
        const bool adaptive = rng() % 4 != 0;
        const milliseconds min_pause(static_cast<long long>(rng() % 3000) - 500);
        aimd_limit a{opts(initial, maximum, adaptive, min_pause)};
        const std::size_t max_eff = std::max<std::size_t>(maximum, 1);
        const std::size_t initial_eff = std::clamp<std::size_t>(initial, 1, max_eff);
        CAPTURE(run);
        REQUIRE(a.limit() == initial_eff);
        auto now = t0;
        for (int step = 0; step < 2000; ++step) {
            CAPTURE(step);
            const unsigned r = static_cast<unsigned>(rng() % 100);
            const attempt_signal s = r < 70 ? ok : r < 80 ? busy : r < 88 ? limited : other;
            const std::size_t before = a.limit();
            const auto pause_before = a.paused_until();
            const std::size_t in_flight = rng() % 8 == 0 ? rng() % (before + 5) : before;
            std::optional<milliseconds> hint;
            if (rng() % 2)
                hint = milliseconds(static_cast<long long>(rng() % 90'000) - 10'000);
            // Time mostly moves on, sometimes stands still, now and then runs back.
            const unsigned t = static_cast<unsigned>(rng() % 10);
            if (t < 7)
                now += milliseconds(rng() % 700);
            else if (t == 9)
                now -= milliseconds(rng() % 700);
            a.record(s, in_flight, now, hint);
            const std::size_t after = a.limit();

            REQUIRE(after >= 1);
            REQUIRE(after <= max_eff);
            // The pause never moves earlier, and only a 429 moves it.
            REQUIRE(a.paused_until() >= pause_before);
            if (s == limited) {
                const auto want =
                    now + std::max({min_pause, hint.value_or(milliseconds(0)), milliseconds(0)});
                REQUIRE(a.paused_until() == std::max(pause_before, want));
            } else {
                REQUIRE(a.paused_until() == pause_before);
            }
            // The limit moves by +1 on an in-use success, halves on an
            // overload, and otherwise stays.
            if (!adaptive || s == other)
                REQUIRE(after == before);
            else if (s == ok)
                REQUIRE((after == before ||
                         (after == before + 1 && std::max<std::size_t>(in_flight, 1) >= before)));
            else
                REQUIRE((after == before || after == std::max<std::size_t>(before / 2, 1)));
            // may_start is exactly its definition.
            const auto p = a.paused_until();
            const auto just_before = p == clock_t_::time_point::min() ? p : p - clock_t_::duration(1);
            for (std::size_t n : {std::size_t{0}, after - 1, after, after + 1})
                for (auto when : {now, p, just_before})
                    REQUIRE(a.may_start(n, when) == (when >= p && n < after));
        }
    }
}

TEST_CASE("aimd: min_window lets the limit grow at most once per window of time, however fast the successes")
{
    auto o = opts(4, 100);
    o.min_window = milliseconds(50);
    aimd_limit l(o);
    // A thousand successes at once, the limit in use: one growth (the first
    // is not held back), not one per `limit` successes.
    for (int i = 0; i < 1000; ++i)
        l.record(ok, l.limit(), t0);
    CHECK(l.limit() == 5);
    for (int i = 0; i < 1000; ++i)
        l.record(ok, l.limit(), t0 + milliseconds(49));
    CHECK(l.limit() == 5);
    // 50 ms after the last growth, the credits earned meanwhile count.
    l.record(ok, l.limit(), t0 + milliseconds(50));
    CHECK(l.limit() == 6);
    for (int ms = 51; ms < 1050; ++ms)
        for (int i = 0; i < 10; ++i)
            l.record(ok, l.limit(), t0 + milliseconds(ms));
    // One per 50 ms over the 999 ms that followed (at 100, 150, ..., 1000 ms).
    CHECK(l.limit() == 6 + 19);
    // A decrease is not held back by it.
    l.record(limited, l.limit(), t0 + milliseconds(1050));
    CHECK(l.limit() == 12);

    // Without it, the same thousand successes at once grow the limit once
    // per `limit` of them.
    aimd_limit fast(opts(4, 100));
    for (int i = 0; i < 1000; ++i)
        fast.record(ok, fast.limit(), t0);
    CHECK(fast.limit() > 40);
    // A negative window reads as zero.
    auto neg = opts(4, 100);
    neg.min_window = milliseconds(-5);
    aimd_limit n(neg);
    for (int i = 0; i < 1000; ++i)
        n.record(ok, n.limit(), t0);
    CHECK(n.limit() == fast.limit());
}
