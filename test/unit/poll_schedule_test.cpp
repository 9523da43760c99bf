#include "policy/poll_schedule.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

using namespace handinger::detail;
using handinger::open_enum;
using handinger::task_status;
using handinger::watch_options;
using std::chrono::milliseconds;

namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

poll_outcome unchanged(poll_phase p, double r = 0.5, std::optional<milliseconds> ra = std::nullopt)
{
    return {false, p, ra, r};
}

poll_outcome changed(poll_phase p, double r = 0.5, std::optional<milliseconds> ra = std::nullopt)
{
    return {true, p, ra, r};
}

std::vector<long long> run_unchanged(poll_schedule& s, poll_phase p, int n)
{
    std::vector<long long> out;
    for (int i = 0; i < n; ++i)
        out.push_back(s.next_delay(unchanged(p)).count());
    return out;
}

watch_options no_jitter()
{
    watch_options o;
    o.jitter = 0;
    return o;
}

} // namespace

TEST_CASE("phase_of: pending and running by name, everything else other")
{
    CHECK(phase_of(task_status::pending) == poll_phase::pending);
    CHECK(phase_of(task_status::running) == poll_phase::running);
    CHECK(phase_of(task_status::completed) == poll_phase::other);
    CHECK(phase_of(task_status::error) == poll_phase::other);
    CHECK(phase_of(task_status::aborted) == poll_phase::other);
    CHECK(phase_of(open_enum<task_status>::from_string("paused")) == poll_phase::other);
}

TEST_CASE("poll_schedule: the documented default sequences, exactly")
{
    // random01 = 0.5 is no jitter, even with the default jitter of 0.2.
    poll_schedule running{watch_options{}};
    CHECK(run_unchanged(running, poll_phase::running, 12) ==
          std::vector<long long>{250, 375, 563, 844, 1266, 1898, 2848, 4271, 5000, 5000, 5000, 5000});
    poll_schedule pending{watch_options{}};
    CHECK(run_unchanged(pending, poll_phase::pending, 15) ==
          std::vector<long long>{250, 375, 563, 844, 1266, 1898, 2848, 4271, 6407, 9611, 14416, 15000, 15000,
                                 15000, 15000});
    poll_schedule other{watch_options{}};
    CHECK(run_unchanged(other, poll_phase::other, 10) ==
          std::vector<long long>{250, 375, 563, 844, 1266, 1898, 2848, 4271, 5000, 5000});
}

TEST_CASE("poll_schedule: first * backoff^k up to the cap, over a grid of options")
{
    for (long long first : {1LL, 40LL, 100LL, 250LL, 1000LL, 7000LL}) {
        for (double backoff : {1.0, 1.25, 1.5, 2.0, 3.0}) {
            for (long long cap : {1LL, 100LL, 5000LL, 60000LL}) {
                for (long long min : {0LL, 50LL, 250LL}) {
                    CAPTURE(first);
                    CAPTURE(backoff);
                    CAPTURE(cap);
                    CAPTURE(min);
                    watch_options o = no_jitter();
                    o.first_interval = milliseconds(first);
                    o.backoff = backoff;
                    o.max_interval_running = milliseconds(cap);
                    o.max_interval_pending = milliseconds(cap * 3);
                    o.min_interval = milliseconds(min);
                    for (poll_phase p : {poll_phase::running, poll_phase::pending, poll_phase::other}) {
                        const double c = static_cast<double>(p == poll_phase::pending ? cap * 3 : cap);
                        poll_schedule s(o);
                        for (int k = 0; k < 40; ++k) {
                            double base = std::min(static_cast<double>(first) * std::pow(backoff, k), c);
                            auto expect =
                                static_cast<long long>(std::max({std::round(base), double(min), 1.0}));
                            CAPTURE(k);
                            REQUIRE(s.next_delay(unchanged(p)).count() == expect);
                        }
                    }
                }
            }
        }
    }
}

TEST_CASE("poll_schedule: a changed poll waits first_interval, and so does the next unchanged one")
{
    poll_schedule s(no_jitter());
    CHECK(run_unchanged(s, poll_phase::running, 4) == std::vector<long long>{250, 375, 563, 844});
    CHECK(s.next_delay(changed(poll_phase::running)) == milliseconds(250));
    CHECK(s.base_ms() == 250.0);
    CHECK(run_unchanged(s, poll_phase::running, 3) == std::vector<long long>{250, 375, 563});
    // Changes in a row keep the fast cadence.
    for (int i = 0; i < 5; ++i)
        CHECK(s.next_delay(changed(poll_phase::running)) == milliseconds(250));
    // A change while at the cap drops to first_interval at once.
    run_unchanged(s, poll_phase::pending, 30);
    CHECK(s.next_delay(unchanged(poll_phase::pending)) == milliseconds(15000));
    CHECK(s.next_delay(changed(poll_phase::pending)) == milliseconds(250));
    CHECK(s.next_delay(unchanged(poll_phase::pending)) == milliseconds(250));
    CHECK(s.next_delay(unchanged(poll_phase::pending)) == milliseconds(375));
}

TEST_CASE("poll_schedule: a phase change re-caps the base at once")
{
    poll_schedule s(no_jitter());
    // Pending long enough for the base to pass the running cap: 9611, 14416.
    run_unchanged(s, poll_phase::pending, 10);
    CHECK(s.base_ms() == doctest::Approx(14416.259765625));
    CHECK(s.next_delay(unchanged(poll_phase::running)) == milliseconds(5000));
    CHECK(s.base_ms() == 5000.0);
    // Back to pending: grows from the running cap, not from where it was.
    CHECK(s.next_delay(unchanged(poll_phase::pending)) == milliseconds(5000));
    CHECK(s.next_delay(unchanged(poll_phase::pending)) == milliseconds(7500));
    CHECK(s.next_delay(unchanged(poll_phase::pending)) == milliseconds(11250));
    CHECK(s.next_delay(unchanged(poll_phase::other)) == milliseconds(5000));

    // The brief's example: a base of 12 s while pending is <= 5 s when running.
    watch_options o = no_jitter();
    o.first_interval = milliseconds(12000);
    poll_schedule t(o);
    CHECK(t.next_delay(unchanged(poll_phase::pending)) == milliseconds(12000));
    CHECK(t.next_delay(unchanged(poll_phase::running)) == milliseconds(5000));
    // And a changed running poll uses the running cap too.
    poll_schedule u(o);
    CHECK(u.next_delay(changed(poll_phase::running)) == milliseconds(5000));
    CHECK(u.next_delay(changed(poll_phase::pending)) == milliseconds(12000));
}

TEST_CASE("poll_schedule: jitter scales between base(1-j) and base(1+j) and does not move the base")
{
    for (double j : {0.0, 0.1, 0.2, 0.5, 0.9}) {
        watch_options o;
        o.jitter = j;
        o.min_interval = milliseconds(0);
        o.first_interval = milliseconds(1000);
        o.backoff = 2;
        o.max_interval_running = milliseconds(100000);
        for (double r = 0; r < 1; r += 1.0 / 64) {
            CAPTURE(j);
            CAPTURE(r);
            poll_schedule s(o);
            for (int k = 0; k < 5; ++k) {
                const double base = 1000.0 * std::pow(2.0, k);
                auto d = s.next_delay(unchanged(poll_phase::running, r));
                CHECK(d.count() == static_cast<long long>(std::round(base * (1 + j * (2 * r - 1)))));
                CHECK(d.count() >= std::floor(base * (1 - j)));
                CHECK(d.count() <= std::ceil(base * (1 + j)));
                CHECK(s.base_ms() == base * 2);
            }
        }
        // The extremes.
        poll_schedule lo(o), mid(o), hi(o);
        CHECK(lo.next_delay(unchanged(poll_phase::running, 0.0)).count() == std::lround(1000 * (1 - j)));
        CHECK(mid.next_delay(unchanged(poll_phase::running, 0.5)).count() == 1000);
        CHECK(hi.next_delay(unchanged(poll_phase::running, 0.999999)).count() == std::lround(1000 * (1 + j)));
    }
}

TEST_CASE("poll_schedule: the floor applies after jitter - 1 ms is the absolute floor")
{
    watch_options o; // jitter 0.2, min_interval 250, first 250
    poll_schedule s(o);
    CHECK(s.next_delay(unchanged(poll_phase::running, 0.0)) == milliseconds(250)); // 200 -> 250
    o.min_interval = milliseconds(0);
    poll_schedule t(o);
    CHECK(t.next_delay(unchanged(poll_phase::running, 0.0)) == milliseconds(200));
    // A floor above the cap wins over the cap.
    o.min_interval = milliseconds(8000);
    poll_schedule u(o);
    for (int i = 0; i < 20; ++i)
        CHECK(u.next_delay(unchanged(poll_phase::running, 0.9)) == milliseconds(8000));
    // Nothing configured can make a watcher spin.
    o = watch_options{};
    o.first_interval = milliseconds(0);
    o.min_interval = milliseconds(0);
    o.max_interval_running = milliseconds(0);
    o.max_interval_pending = milliseconds(0);
    o.jitter = 0.99;
    poll_schedule v(o);
    for (int i = 0; i < 10; ++i) {
        CHECK(v.next_delay(unchanged(poll_phase::running, 0.0)) == milliseconds(1));
        CHECK(v.next_delay(changed(poll_phase::pending, 0.0)) == milliseconds(1));
        CHECK(v.next_delay_after_error(i, std::nullopt, 0.0) == milliseconds(1));
    }
}

TEST_CASE("poll_schedule: retry_after is honoured on every poll, above the cap, without moving the base")
{
    poll_schedule s(no_jitter());
    CHECK(s.next_delay(unchanged(poll_phase::running, 0.5, milliseconds(30000))) == milliseconds(30000));
    CHECK(s.base_ms() == 375.0); // grown as without the wait
    CHECK(s.next_delay(unchanged(poll_phase::running, 0.5, milliseconds(100))) == milliseconds(375));
    CHECK(s.next_delay(changed(poll_phase::running, 0.5, milliseconds(2000))) == milliseconds(2000));
    CHECK(s.base_ms() == 250.0);
    CHECK(s.next_delay(changed(poll_phase::pending, 0.5, milliseconds(0))) == milliseconds(250));
    CHECK(s.next_delay(unchanged(poll_phase::pending, 0.5, milliseconds(-5))) == milliseconds(250));
    // Equal to the delay: the delay.
    CHECK(s.next_delay(unchanged(poll_phase::pending, 0.5, milliseconds(375))) == milliseconds(375));
    // Above the floor after jitter goes low.
    watch_options o;
    poll_schedule t(o);
    CHECK(t.next_delay(unchanged(poll_phase::running, 0.0, milliseconds(260))) == milliseconds(260));
    // Bounded by max_poll_delay, even when the server asks for more.
    CHECK(t.next_delay(unchanged(poll_phase::running, 0.5, milliseconds::max())) == max_poll_delay);
    CHECK(t.next_delay(unchanged(poll_phase::running, 0.5, max_poll_delay + milliseconds(1))) ==
          max_poll_delay);
    CHECK(t.next_delay(unchanged(poll_phase::running, 0.5, max_poll_delay)) == max_poll_delay);
}

TEST_CASE("poll_schedule: error backoff doubles from first_interval to the running cap")
{
    poll_schedule s(no_jitter());
    const long long expect[] = {250, 500, 1000, 2000, 4000, 5000, 5000, 5000};
    for (int n = 1; n <= 8; ++n) {
        CAPTURE(n);
        CHECK(s.next_delay_after_error(n, std::nullopt, 0.5).count() == expect[n - 1]);
    }
    CHECK(s.next_delay_after_error(0, std::nullopt, 0.5) == milliseconds(250));
    CHECK(s.next_delay_after_error(-7, std::nullopt, 0.5) == milliseconds(250));
    CHECK(s.next_delay_after_error(64, std::nullopt, 0.5) == milliseconds(5000));
    CHECK(s.next_delay_after_error(65, std::nullopt, 0.5) == milliseconds(5000));
    CHECK(s.next_delay_after_error(INT_MAX, std::nullopt, 0.5) == milliseconds(5000));
    // The running cap even though pending has a higher one.
    watch_options o = no_jitter();
    o.max_interval_running = milliseconds(700);
    o.max_interval_pending = milliseconds(100000);
    poll_schedule t(o);
    CHECK(t.next_delay_after_error(3, std::nullopt, 0.5) == milliseconds(700));
    // Jitter, floor and the server's wait as for polls.
    poll_schedule j{watch_options{}};
    CHECK(j.next_delay_after_error(3, std::nullopt, 0.0) == milliseconds(800));
    CHECK(j.next_delay_after_error(3, std::nullopt, 0.75) == milliseconds(1100));
    CHECK(j.next_delay_after_error(1, std::nullopt, 0.0) == milliseconds(250)); // floor
    CHECK(s.next_delay_after_error(1, milliseconds(30000), 0.5) == milliseconds(30000));
    CHECK(s.next_delay_after_error(8, milliseconds(10), 0.5) == milliseconds(5000));
    CHECK(s.next_delay_after_error(8, milliseconds::max(), 0.5) == max_poll_delay);
}

TEST_CASE("poll_schedule: errors neither reset nor grow the success base")
{
    poll_schedule s(no_jitter());
    CHECK(run_unchanged(s, poll_phase::running, 3) == std::vector<long long>{250, 375, 563});
    const double before = s.base_ms();
    for (int n = 1; n <= 10; ++n)
        s.next_delay_after_error(n, milliseconds(1000), 0.3);
    CHECK(s.base_ms() == before);
    CHECK(s.next_delay(unchanged(poll_phase::running)) == milliseconds(844));
    // Nor does the error backoff depend on the success base.
    poll_schedule fresh(no_jitter());
    for (int n = 1; n <= 10; ++n)
        CHECK(fresh.next_delay_after_error(n, std::nullopt, 0.5) ==
              s.next_delay_after_error(n, std::nullopt, 0.5));
}

TEST_CASE("poll_schedule: backoff below 1 (or NaN) is 1 - huge or infinite backoff jumps to the cap")
{
    for (double b : {1.0, 0.999, 0.5, 0.0, -1.0, -inf_v, nan_v}) {
        CAPTURE(b);
        watch_options o = no_jitter();
        o.backoff = b;
        poll_schedule s(o);
        for (int i = 0; i < 50; ++i)
            REQUIRE(s.next_delay(unchanged(poll_phase::running)) == milliseconds(250));
    }
    for (double b : {1e6, 1e300, inf_v}) {
        CAPTURE(b);
        watch_options o = no_jitter();
        o.backoff = b;
        poll_schedule s(o);
        CHECK(s.next_delay(unchanged(poll_phase::pending)) == milliseconds(250));
        for (int i = 0; i < 50; ++i)
            REQUIRE(s.next_delay(unchanged(poll_phase::pending)) == milliseconds(15000));
        CHECK(s.next_delay(changed(poll_phase::pending)) == milliseconds(250));
        CHECK(s.next_delay(unchanged(poll_phase::pending)) == milliseconds(250));
        CHECK(s.next_delay(unchanged(poll_phase::running)) == milliseconds(5000));
    }
}

TEST_CASE("poll_schedule: jitter and random01 are clamped into 0 (included) to 1 (excluded)")
{
    auto with_jitter = [](double j) {
        watch_options o;
        o.jitter = j;
        o.min_interval = milliseconds(0);
        o.first_interval = milliseconds(10000);
        o.max_interval_running = milliseconds(10000);
        return poll_schedule(o);
    };
    // Negative and NaN jitter: none.
    for (double j : {-0.5, -inf_v, nan_v, 0.0}) {
        CAPTURE(j);
        auto s = with_jitter(j);
        CHECK(s.next_delay(unchanged(poll_phase::running, 0.0)) == milliseconds(10000));
        CHECK(s.next_delay(unchanged(poll_phase::running, 0.99)) == milliseconds(10000));
    }
    // Jitter of 1 or more: just under 1, so r = 0 gives just over zero (1 ms
    // floor), and the top is just under twice the base.
    for (double j : {1.0, 5.0, inf_v}) {
        CAPTURE(j);
        auto s = with_jitter(j);
        CHECK(s.next_delay(unchanged(poll_phase::running, 0.0)) == milliseconds(1));
        CHECK(s.next_delay(unchanged(poll_phase::running, 0.75)) == milliseconds(15000));
        CHECK(s.next_delay(unchanged(poll_phase::running, 0.9999999)) == milliseconds(20000));
    }
    // random01 out of range or NaN.
    auto s = with_jitter(0.5);
    CHECK(s.next_delay(unchanged(poll_phase::running, -3.0)) == milliseconds(5000));
    CHECK(s.next_delay(unchanged(poll_phase::running, -inf_v)) == milliseconds(5000));
    CHECK(s.next_delay(unchanged(poll_phase::running, 1.0)) == milliseconds(15000));
    CHECK(s.next_delay(unchanged(poll_phase::running, 7.0)) == milliseconds(15000));
    CHECK(s.next_delay(unchanged(poll_phase::running, inf_v)) == milliseconds(15000));
    CHECK(s.next_delay(unchanged(poll_phase::running, nan_v)) == milliseconds(10000));
    CHECK(s.next_delay_after_error(1, std::nullopt, nan_v) == milliseconds(10000));
    CHECK(s.next_delay_after_error(1, std::nullopt, 2.0) == milliseconds(15000));
    CHECK(s.next_delay_after_error(1, std::nullopt, -2.0) == milliseconds(5000));
}

TEST_CASE("poll_schedule: zero, negative and huge intervals")
{
    // Negative reads as zero; a zero first_interval is 1 ms and still grows.
    watch_options o = no_jitter();
    o.first_interval = milliseconds(-100);
    o.min_interval = milliseconds(-100);
    o.backoff = 2;
    poll_schedule s(o);
    CHECK(run_unchanged(s, poll_phase::running, 5) == std::vector<long long>{1, 2, 4, 8, 16});
    CHECK(s.next_delay(changed(poll_phase::running)) == milliseconds(1));
    o.first_interval = milliseconds(0);
    poll_schedule z(o);
    CHECK(run_unchanged(z, poll_phase::running, 3) == std::vector<long long>{1, 2, 4});

    // A cap below first_interval wins; zero or negative caps are 1 ms (then
    // min_interval decides).
    o = no_jitter();
    o.max_interval_running = milliseconds(100);
    o.max_interval_pending = milliseconds(-5);
    o.min_interval = milliseconds(0);
    poll_schedule c(o);
    CHECK(c.next_delay(changed(poll_phase::running)) == milliseconds(100));
    CHECK(c.next_delay(unchanged(poll_phase::running)) == milliseconds(100));
    CHECK(c.next_delay(unchanged(poll_phase::pending)) == milliseconds(1));
    CHECK(c.next_delay_after_error(1, std::nullopt, 0.5) == milliseconds(100));
    o.min_interval = milliseconds(250);
    poll_schedule c2(o);
    CHECK(c2.next_delay(unchanged(poll_phase::pending)) == milliseconds(250));

    // Huge options are bounded by max_poll_delay.
    o = no_jitter();
    o.first_interval = milliseconds::max();
    o.max_interval_running = milliseconds::max();
    o.max_interval_pending = milliseconds::max();
    poll_schedule h(o);
    CHECK(h.next_delay(unchanged(poll_phase::running)) == max_poll_delay);
    CHECK(h.next_delay_after_error(30, std::nullopt, 0.5) == max_poll_delay);
    o.min_interval = milliseconds::max();
    o.first_interval = milliseconds(250);
    poll_schedule m(o);
    CHECK(m.next_delay(changed(poll_phase::running)) == max_poll_delay);
}

TEST_CASE("poll_schedule: thousands of unchanged polls, huge caps and backoff: no overflow, bounds hold")
{
    struct cfg {
        long long first, min, cap_run, cap_pend;
        double backoff, jitter;
    };
    const cfg cfgs[] = {
        {250, 250, 5000, 15000, 1.5, 0.2},
        {1, 0, LLONG_MAX, LLONG_MAX, 1.0001, 0.5},
        {1, 0, LLONG_MAX, LLONG_MAX, 10.0, 0.9},
        {LLONG_MAX, LLONG_MAX, LLONG_MAX, LLONG_MAX, 1e300, 0.99},
        {100, 0, 1, 1, 3.0, 0.0},
    };
    for (const auto& c : cfgs) {
        watch_options o;
        o.first_interval = milliseconds(c.first);
        o.min_interval = milliseconds(c.min);
        o.max_interval_running = milliseconds(c.cap_run);
        o.max_interval_pending = milliseconds(c.cap_pend);
        o.backoff = c.backoff;
        o.jitter = c.jitter;
        poll_schedule s(o);
        const double max = static_cast<double>(max_poll_delay.count());
        const double floor = std::max(1.0, std::min(double(c.min), max));
        for (int i = 0; i < 20000; ++i) {
            const double r = static_cast<double>((i * 7919) % 1000) / 1000.0;
            const auto phase = static_cast<poll_phase>(i % 3);
            const std::optional<milliseconds> ra =
                i % 11 == 0 ? std::optional<milliseconds>(milliseconds(i)) : std::nullopt;
            auto d = s.next_delay({i % 997 == 0, phase, ra, r});
            const double cap =
                std::min(double(phase == poll_phase::pending ? c.cap_pend : c.cap_run), max) * (1 + c.jitter);
            CAPTURE(i);
            REQUIRE(d.count() >= floor);
            REQUIRE(d <= max_poll_delay);
            REQUIRE(double(d.count()) <= std::max({std::ceil(cap), floor, ra ? double(ra->count()) : 0.0}));
            REQUIRE(std::isfinite(s.base_ms()));
            auto e = s.next_delay_after_error(i, ra, r);
            REQUIRE(e.count() >= floor);
            REQUIRE(e <= max_poll_delay);
        }
    }
}

TEST_CASE(
    "poll_schedule: webhook-assisted waits the safety interval, jittered, with the floor and server waits")
{
    watch_options o;
    CHECK(poll_schedule(o).first_delay() == milliseconds(0)); // adaptive: the first poll at once
    o.webhook_assisted = true;
    o.safety_poll_interval = milliseconds(30'000);
    o.jitter = 0.2;
    poll_schedule s(o);
    CHECK(s.first_delay() == milliseconds(30'000));
    for (bool changed : {true, false, false, true})
        for (auto phase : {poll_phase::pending, poll_phase::running, poll_phase::other}) {
            CHECK(s.next_delay({changed, phase, std::nullopt, 0.5}) == milliseconds(30'000));
            CHECK(s.next_delay({changed, phase, std::nullopt, 0.0}) == milliseconds(24'000));
            CHECK(s.next_delay({changed, phase, milliseconds(40'000), 0.0}) == milliseconds(40'000));
        }
    // Errors keep their own schedule.
    CHECK(s.next_delay_after_error(1, std::nullopt, 0.5) == milliseconds(250));
    // Sanitised like the other durations: at least 1 ms, at most a day, and
    // never below min_interval.
    o.jitter = 0;
    o.safety_poll_interval = milliseconds(-5);
    o.min_interval = milliseconds(0);
    CHECK(poll_schedule(o).first_delay() == milliseconds(1));
    o.safety_poll_interval = std::chrono::hours(100);
    CHECK(poll_schedule(o).first_delay() == max_poll_delay);
    o.safety_poll_interval = milliseconds(100);
    o.min_interval = milliseconds(500);
    CHECK(poll_schedule(o).next_delay({false, poll_phase::running, std::nullopt, 0.5}) == milliseconds(500));
    // Off: the safety interval is not used.
    o.webhook_assisted = false;
    CHECK(poll_schedule(o).first_delay() == milliseconds(0));
}
