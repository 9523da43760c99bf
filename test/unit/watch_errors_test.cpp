#include "policy/watch_errors.hpp"

#include <handinger/error.hpp>

#include <boost/asio/error.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <optional>

using namespace handinger::detail;
using handinger::error;
using handinger::watch_options;
using std::chrono::milliseconds;
using clock_t_ = std::chrono::steady_clock;
using std::chrono::nanoseconds;

namespace {

// The specification, written out per enumerator (independent of the switch
// in the implementation).
enum class kind { not_found, transient, final_, status };

const std::map<error, kind> spec = {
    {error::bad_request, kind::final_},
    {error::authentication, kind::final_},
    {error::permission_denied, kind::final_},
    {error::not_found, kind::not_found},
    {error::conflict, kind::final_},
    {error::unprocessable_entity, kind::final_},
    {error::rate_limited, kind::transient},
    {error::server_error, kind::transient},
    {error::unexpected_status, kind::status},
    {error::connection, kind::transient},
    {error::timeout, kind::transient},
    {error::tls_verification, kind::final_},
    {error::tls, kind::transient},
    {error::invalid_response, kind::final_},
    {error::invalid_argument, kind::final_},
    {error::cancelled, kind::final_},
    {error::proxy, kind::final_},
};

} // namespace

TEST_CASE("decide: the table covers every enumerator")
{
    // The enum runs from bad_request = 1 to proxy; every value has a row.
    CHECK(spec.size() == static_cast<std::size_t>(error::proxy));
    for (int v = 1; v <= static_cast<int>(error::proxy); ++v)
        CHECK(spec.count(static_cast<error>(v)) == 1);
}

TEST_CASE("decide: every error x seen x since_start around the grace x status")
{
    const int statuses[] = {0, 200, 307, 400, 404, 405, 407, 408, 409, 413, 429, 500, 503};
    const long long graces[] = {-5, 0, 1, 10'000, 60'000};
    for (const auto& row : spec) {
        const error e = row.first; // (clang 14 cannot capture a structured binding)
        const kind k = row.second;
        for (bool seen : {false, true}) {
            for (long long grace : graces) {
                const long long offsets[] = {-1'000'000, -1, 0, grace - 1, grace, grace + 1, 3'600'000};
                for (long long since : offsets) {
                    for (int status : statuses) {
                        CAPTURE(static_cast<int>(e));
                        CAPTURE(seen);
                        CAPTURE(grace);
                        CAPTURE(since);
                        CAPTURE(status);
                        watch_step expect = watch_step::fail;
                        switch (k) {
                        case kind::not_found:
                            expect = !seen && since < grace ? watch_step::not_visible_yet : watch_step::fail;
                            break;
                        case kind::transient: expect = watch_step::retry; break;
                        case kind::final_: expect = watch_step::fail; break;
                        case kind::status:
                            expect = status == 408 ? watch_step::retry : watch_step::fail;
                            break;
                        }
                        REQUIRE(decide(e, status, seen, milliseconds(since), milliseconds(grace)) == expect);
                    }
                }
            }
        }
    }
}

TEST_CASE("decide: the brief's cases, spelled out")
{
    const milliseconds grace{10'000};
    CHECK(decide(error::not_found, 404, false, milliseconds(0), grace) == watch_step::not_visible_yet);
    CHECK(decide(error::not_found, 404, false, milliseconds(9'999), grace) == watch_step::not_visible_yet);
    CHECK(decide(error::not_found, 404, false, milliseconds(10'000), grace) == watch_step::fail);
    CHECK(decide(error::not_found, 404, true, milliseconds(0), grace) == watch_step::fail);
    CHECK(decide(error::not_found, 404, false, milliseconds(0), milliseconds(0)) == watch_step::fail);
    CHECK(decide(error::unexpected_status, 408, true, milliseconds(0), grace) == watch_step::retry);
    CHECK(decide(error::unexpected_status, 405, false, milliseconds(0), grace) == watch_step::fail);
    CHECK(decide(error::tls, 0, true, milliseconds(0), grace) == watch_step::retry);
    CHECK(decide(error::tls_verification, 0, true, milliseconds(0), grace) == watch_step::fail);
    CHECK(decide(error::rate_limited, 429, true, milliseconds(0), grace) == watch_step::retry);
    CHECK(decide(error::server_error, 503, true, milliseconds(0), grace) == watch_step::retry);
    // 408 only counts with unexpected_status: other kinds follow their rule.
    CHECK(decide(error::bad_request, 408, true, milliseconds(0), grace) == watch_step::fail);
    CHECK(decide(error::connection, 408, true, milliseconds(0), grace) == watch_step::retry);
}

TEST_CASE("decide: other categories, success and out-of-range values fail")
{
    const milliseconds grace{10'000};
    const boost::system::error_code others[] = {
        {},                                              // success: a caller bug
        boost::asio::error::operation_aborted,           // system category
        boost::asio::error::connection_reset,            // not mapped by the watcher
        make_error_code(boost::system::errc::timed_out), // generic, even though "timeout"
        boost::asio::error::eof,                         // misc category
        {static_cast<int>(error::not_found), boost::system::generic_category()}, // same value, other category
        {0, handinger::error_category()},
        {99, handinger::error_category()},
        {-1, handinger::error_category()},
    };
    for (const auto& ec : others) {
        CAPTURE(ec.message());
        for (bool seen : {false, true})
            for (int status : {0, 404, 408, 500})
                CHECK(decide(ec, status, seen, milliseconds(0), grace) == watch_step::fail);
    }
}

TEST_CASE("deadline_check: each limit at its boundary, to the nanosecond")
{
    const clock_t_::time_point t0{std::chrono::hours(1000)};
    for (long long deadline_ms : {1LL, 250LL, 60'000LL, 1'800'000LL}) {
        for (long long stall_ms : {1LL, 250LL, 60'000LL, 600'000LL}) {
            for (long long change_ms : {0LL, 1LL, 100LL, 10'000LL}) {
                watch_options o;
                o.deadline = milliseconds(deadline_ms);
                o.stall_timeout = milliseconds(stall_ms);
                const auto change = t0 + milliseconds(change_ms);
                const auto dl = t0 + milliseconds(deadline_ms);
                const auto st = change + milliseconds(stall_ms);
                for (auto now :
                     {t0, change, dl - nanoseconds(1), dl, dl + nanoseconds(1), st - nanoseconds(1), st,
                      st + nanoseconds(1), t0 + std::chrono::hours(100)}) {
                    CAPTURE(deadline_ms);
                    CAPTURE(stall_ms);
                    CAPTURE(change_ms);
                    CAPTURE((now - t0).count());
                    std::optional<watch_timeout> expect;
                    if (now >= dl)
                        expect = watch_timeout::deadline;
                    else if (now >= st)
                        expect = watch_timeout::stalled;
                    REQUIRE(deadline_check(now, t0, change, o) == expect);
                }
                REQUIRE(next_timeout(t0, change, o) == std::min(dl, st));
            }
        }
    }
}

TEST_CASE("deadline_check: the defaults - both passed reports the deadline")
{
    const clock_t_::time_point t0{};
    watch_options o; // 30 min, 10 min
    CHECK(deadline_check(t0, t0, t0, o) == std::nullopt);
    CHECK(deadline_check(t0 + std::chrono::minutes(10) - nanoseconds(1), t0, t0, o) == std::nullopt);
    CHECK(deadline_check(t0 + std::chrono::minutes(10), t0, t0, o) == watch_timeout::stalled);
    // Changes keep it alive until the deadline.
    for (int m = 0; m < 29; ++m)
        CHECK(deadline_check(t0 + std::chrono::minutes(m + 1), t0, t0 + std::chrono::minutes(m), o) ==
              std::nullopt);
    CHECK(deadline_check(t0 + std::chrono::minutes(30), t0, t0 + std::chrono::minutes(29), o) ==
          watch_timeout::deadline);
    CHECK(deadline_check(t0 + std::chrono::minutes(45), t0, t0, o) == watch_timeout::deadline);
    CHECK(next_timeout(t0, t0, o) == t0 + std::chrono::minutes(10));
    CHECK(next_timeout(t0, t0 + std::chrono::minutes(25), o) == t0 + std::chrono::minutes(30));
}

TEST_CASE("deadline_check: zero and negative limits pass at once - huge ones never, without overflow")
{
    const clock_t_::time_point t0{std::chrono::hours(5)};
    for (long long lim : {0LL, -1LL, -1'000'000LL}) {
        watch_options o;
        o.deadline = milliseconds(lim);
        CHECK(deadline_check(t0, t0, t0, o) == watch_timeout::deadline);
        o = watch_options{};
        o.stall_timeout = milliseconds(lim);
        CHECK(deadline_check(t0, t0, t0, o) == watch_timeout::stalled);
        CHECK(next_timeout(t0, t0, o) == t0 + milliseconds(lim));
    }
    watch_options o;
    o.deadline = milliseconds::max();
    o.stall_timeout = milliseconds::max();
    const auto late = clock_t_::time_point::max() - nanoseconds(1);
    CHECK(deadline_check(late, t0, t0, o) == std::nullopt);
    CHECK(deadline_check(late, clock_t_::time_point::max() - std::chrono::hours(1), late, o) == std::nullopt);
    CHECK(next_timeout(t0, t0, o) == clock_t_::time_point::max());
    CHECK(next_timeout(late, late, o) == clock_t_::time_point::max());
    // Just under the clock's range still adds exactly when it fits.
    o.deadline = std::chrono::hours(24 * 365 * 200); // 200 years: fits in 292
    CHECK(next_timeout(t0, t0, o) == t0 + o.deadline);
    CHECK(next_timeout(late, late, o) == clock_t_::time_point::max());
    // The most negative limits saturate at the bottom instead of wrapping.
    o.deadline = milliseconds::min();
    o.stall_timeout = milliseconds(-1);
    CHECK(next_timeout(t0, t0, o) == clock_t_::time_point::min());
    CHECK(deadline_check(clock_t_::time_point::min(), t0, t0, o) == watch_timeout::deadline);
    o.deadline = -std::chrono::hours(24 * 365 * 200);
    CHECK(next_timeout(clock_t_::time_point::min() + std::chrono::hours(1), t0, o) ==
          clock_t_::time_point::min());
}

TEST_CASE("next_timeout: deadline_check changes its answer exactly there")
{
    const clock_t_::time_point t0{std::chrono::seconds(42)};
    for (long long d : {1LL, 999LL, 1000LL, 60'000LL}) {
        for (long long s : {1LL, 500LL, 1000LL, 120'000LL}) {
            for (long long c : {0LL, 7LL, 900LL}) {
                watch_options o;
                o.deadline = milliseconds(d);
                o.stall_timeout = milliseconds(s);
                const auto change = t0 + milliseconds(c);
                const auto at = next_timeout(t0, change, o);
                CAPTURE(d);
                CAPTURE(s);
                CAPTURE(c);
                CHECK_FALSE(deadline_check(at - nanoseconds(1), t0, change, o).has_value());
                CHECK(deadline_check(at, t0, change, o).has_value());
            }
        }
    }
}
