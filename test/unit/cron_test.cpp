// The cron evaluator (policy/cron.hpp) and the RFC 3339 reader
// (policy/rfc3339.hpp) without sockets: known expressions against next runs
// worked out by hand (month ends, leap years, the day fields' OR rule, UTC
// without DST), next_after against a minute-by-minute walk, and every
// malformed form with its message.
#include "policy/cron.hpp"
#include "policy/rfc3339.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace handinger::detail;
using namespace std::chrono;

namespace {

sys_seconds at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0)
{
    return sys_days(year{y} / mo / d) + hours(h) + minutes(mi) + seconds(s);
}

cron_expr parse_ok(std::string_view text)
{
    std::string why;
    auto e = cron_expr::parse(text, why);
    INFO(text, ": ", why);
    REQUIRE(e);
    return *e;
}

std::string parse_error(std::string_view text)
{
    std::string why;
    auto e = cron_expr::parse(text, why);
    CHECK_FALSE(e);
    return why;
}

std::string text_of(std::optional<sys_seconds> t)
{
    return t ? format_rfc3339(time_point_cast<milliseconds>(*t)) : std::string("(none)");
}

// The next run after `from`, as text ("2024-01-08T09:30:00.000Z").
std::string next(std::string_view expr, sys_seconds from)
{
    return text_of(parse_ok(expr).next_after(from));
}

} // namespace

TEST_CASE("cron: every minute, every hour, the next whole minute strictly after")
{
    CHECK(next("* * * * *", at(2024, 1, 1)) == "2024-01-01T00:01:00.000Z");
    CHECK(next("* * * * *", at(2024, 1, 1, 0, 0, 30)) == "2024-01-01T00:01:00.000Z");
    CHECK(next("* * * * *", at(2024, 1, 1, 0, 0, 59)) == "2024-01-01T00:01:00.000Z");
    CHECK(next("0 * * * *", at(2024, 1, 1, 10)) == "2024-01-01T11:00:00.000Z");
    CHECK(next("0 * * * *", at(2024, 1, 1, 10, 59, 59)) == "2024-01-01T11:00:00.000Z");
    CHECK(next("0 0 * * *", at(2024, 1, 1, 23, 59)) == "2024-01-02T00:00:00.000Z");
}

TEST_CASE("cron: weekdays by name, from Friday to Monday")
{
    // 2024-01-01 is a Monday; the 5th a Friday.
    CHECK(next("30 9 * * MON-FRI", at(2024, 1, 5, 9, 29)) == "2024-01-05T09:30:00.000Z");
    CHECK(next("30 9 * * MON-FRI", at(2024, 1, 5, 9, 30)) == "2024-01-08T09:30:00.000Z");
    CHECK(next("30 9 * * mon-fri", at(2024, 1, 6)) == "2024-01-08T09:30:00.000Z");
    // Sunday is 0 and 7.
    CHECK(next("0 12 * * 0", at(2024, 1, 1)) == "2024-01-07T12:00:00.000Z");
    CHECK(next("0 12 * * 7", at(2024, 1, 1)) == "2024-01-07T12:00:00.000Z");
    CHECK(next("0 12 * * SUN", at(2024, 1, 1)) == "2024-01-07T12:00:00.000Z");
    CHECK(next("0 12 * * 5-7", at(2024, 1, 1)) == "2024-01-05T12:00:00.000Z");
}

TEST_CASE("cron: month ends skip the months without the day")
{
    CHECK(next("0 0 1 * *", at(2024, 1, 31, 12)) == "2024-02-01T00:00:00.000Z");
    CHECK(next("0 0 31 * *", at(2024, 1, 31)) == "2024-03-31T00:00:00.000Z");
    CHECK(next("0 0 31 * *", at(2024, 3, 31)) == "2024-05-31T00:00:00.000Z");
    CHECK(next("0 0 30 * *", at(2024, 1, 30)) == "2024-03-30T00:00:00.000Z");
    CHECK(next("59 23 31 12 *", at(2024, 12, 31, 23, 59)) == "2025-12-31T23:59:00.000Z");
    CHECK(next("0 0 1 1 *", at(2024, 12, 31, 23, 59, 59)) == "2025-01-01T00:00:00.000Z");
}

TEST_CASE("cron: the 29th of February waits for a leap year, eight years around 2100")
{
    CHECK(next("0 0 29 2 *", at(2024, 1, 1)) == "2024-02-29T00:00:00.000Z");
    CHECK(next("0 0 29 2 *", at(2024, 3, 1)) == "2028-02-29T00:00:00.000Z");
    CHECK(next("0 0 29 2 *", at(2096, 3, 1)) == "2104-02-29T00:00:00.000Z");
    CHECK(next("0 0 28 2 *", at(2100, 2, 28)) == "2101-02-28T00:00:00.000Z");
    // 2000 was a leap year (divisible by 400).
    CHECK(next("0 0 29 2 *", at(1997, 1, 1)) == "2000-02-29T00:00:00.000Z");
}

TEST_CASE("cron: both day fields restricted, either matches, but one starting with * leaves the other alone")
{
    // The 13th or a Friday: Friday the 5th, then Friday the 12th, then Saturday the 13th.
    CHECK(next("0 0 13 * FRI", at(2024, 1, 1)) == "2024-01-05T00:00:00.000Z");
    CHECK(next("0 0 13 * FRI", at(2024, 1, 12)) == "2024-01-13T00:00:00.000Z");
    // A day-of-month starting with '*' (Vixie cron): both must match, so odd
    // days that are Mondays.
    CHECK(next("0 0 */2 * MON", at(2023, 12, 31)) == "2024-01-01T00:00:00.000Z");
    CHECK(next("0 0 */2 * MON", at(2024, 1, 1)) == "2024-01-15T00:00:00.000Z");
    // One field left at *: the other alone counts.
    CHECK(next("0 0 1 * *", at(2024, 1, 2)) == "2024-02-01T00:00:00.000Z");
    CHECK(next("0 0 * * 1", at(2024, 1, 2)) == "2024-01-08T00:00:00.000Z");
    // February has no 31st, but Mondays: either matches.
    CHECK(next("0 0 31 2 MON", at(2024, 2, 1)) == "2024-02-05T00:00:00.000Z");
}

TEST_CASE("cron: steps, ranges and lists")
{
    CHECK(next("*/15 * * * *", at(2024, 1, 1, 10, 7)) == "2024-01-01T10:15:00.000Z");
    CHECK(next("*/15 * * * *", at(2024, 1, 1, 10, 45)) == "2024-01-01T11:00:00.000Z");
    CHECK(next("5/20 * * * *", at(2024, 1, 1, 10, 46)) == "2024-01-01T11:05:00.000Z"); // 5, 25, 45
    CHECK(next("10-20/5 * * * *", at(2024, 1, 1, 10, 16)) == "2024-01-01T10:20:00.000Z");
    CHECK(next("10-20/5 * * * *", at(2024, 1, 1, 10, 20)) == "2024-01-01T11:10:00.000Z");
    CHECK(next("0,30 8,20 * * *", at(2024, 1, 1, 8, 15)) == "2024-01-01T08:30:00.000Z");
    CHECK(next("0,30 8,20 * * *", at(2024, 1, 1, 8, 30)) == "2024-01-01T20:00:00.000Z");
    CHECK(next("0,30 8,20 * * *", at(2024, 1, 1, 20, 30)) == "2024-01-02T08:00:00.000Z");
    CHECK(next("0 0 1 JAN,jul *", at(2024, 2, 1)) == "2024-07-01T00:00:00.000Z");
    CHECK(next("0 0 1 feb-MAR/1 *", at(2024, 3, 1)) == "2025-02-01T00:00:00.000Z");
    CHECK(next("0\t0  1\t*   *", at(2024, 1, 1)) == "2024-02-01T00:00:00.000Z"); // tabs, runs of blanks
    CHECK(next(" 0 0 1 * * ", at(2024, 1, 1)) == "2024-02-01T00:00:00.000Z");
}

TEST_CASE("cron: UTC has no daylight saving: a daily run is always 24 hours after the last")
{
    // 2:30 is skipped in New York on 2024-03-10 and in Paris on 2024-03-31,
    // repeated in the autumn; not in UTC.
    const auto e = parse_ok("30 2 * * *");
    auto t = e.next_after(at(2024, 1, 1));
    REQUIRE(t);
    CHECK(text_of(t) == "2024-01-01T02:30:00.000Z");
    for (int i = 0; i < 366; ++i) {
        const auto n = e.next_after(*t);
        REQUIRE(n);
        CHECK(*n - *t == hours(24));
        t = n;
    }
    CHECK(text_of(t) == "2025-01-01T02:30:00.000Z");
}

TEST_CASE("cron: next_after agrees with a minute-by-minute walk over matches()")
{
    const char* exprs[] = {"* * * * *",    "*/7 * * * *",          "0 */5 * * *",   "15 3 * * MON-WED",
                           "0 0 13 * FRI", "0 0 */2 * MON",        "0 12 31 * *",   "30 23 28-31 2 *",
                           "0 0 29 2 *",   "5,10-12 1-3 1,15 * 0", "59 23 * * 6,7", "0 0 1 1,7 *"};
    for (const char* text : exprs) {
        INFO(text);
        const auto e = parse_ok(text);
        // Sixty days around a leap day, every minute; each matching minute
        // must be the next run after the previous one.
        const sys_seconds from = at(2024, 2, 1);
        const sys_seconds to = at(2024, 4, 1);
        std::optional<sys_seconds> expected = e.next_after(from - seconds(1));
        for (sys_seconds t = from; t < to; t += minutes(1)) {
            if (!e.matches(t))
                continue;
            REQUIRE(expected);
            CHECK(text_of(expected) == text_of(t));
            expected = e.next_after(t + seconds(17)); // (anywhere within the minute)
        }
        if (expected)
            CHECK(*expected >= to);
    }
}

TEST_CASE("cron: matches() the minute a time falls in")
{
    const auto e = parse_ok("30 9 * * MON-FRI");
    CHECK(e.matches(at(2024, 1, 5, 9, 30)));
    CHECK(e.matches(at(2024, 1, 5, 9, 30, 59)));
    CHECK_FALSE(e.matches(at(2024, 1, 5, 9, 31)));
    CHECK_FALSE(e.matches(at(2024, 1, 6, 9, 30))); // Saturday
    CHECK_FALSE(e.matches(at(2024, 1, 5, 10, 30)));
}

TEST_CASE("cron: every malformed form is refused with what is wrong")
{
    CHECK(parse_error("") == "expected 5 fields separated by spaces, got none");
    CHECK(parse_error("   ") == "expected 5 fields separated by spaces, got none");
    CHECK(parse_error("* * * *") == "expected 5 fields separated by spaces, got 4");
    CHECK(parse_error("* * * * * *") == "expected 5 fields separated by spaces, got 6");
    CHECK(parse_error("@daily") == "expected 5 fields separated by spaces, got 1");
    CHECK(parse_error("0\n0 * * *") == "control characters are not allowed");
    CHECK(parse_error("0 0 * * *\r") == "control characters are not allowed");
    // Out of each field's range, by one.
    CHECK(parse_error("60 * * * *") == "minute: 60 is out of range 0-59");
    CHECK(parse_error("* 24 * * *") == "hour: 24 is out of range 0-23");
    CHECK(parse_error("* * 0 * *") == "day-of-month: 0 is out of range 1-31");
    CHECK(parse_error("* * 32 * *") == "day-of-month: 32 is out of range 1-31");
    CHECK(parse_error("* * * 0 *") == "month: 0 is out of range 1-12");
    CHECK(parse_error("* * * 13 *") == "month: 13 is out of range 1-12");
    CHECK(parse_error("* * * * 8") == "day-of-week: 8 is out of range 0-7");
    CHECK(parse_error("99999999999 * * * *") == "minute: 99999999999 is out of range 0-59");
    CHECK(parse_error("1-60 * * * *") == "minute: 60 is out of range 0-59");
    // Not numbers, not names.
    CHECK(parse_error("a * * * *") == "minute: \"a\" is not a number");
    CHECK(parse_error("+1 * * * *") == "minute: \"+1\" is not a number");
    CHECK(parse_error("1.5 * * * *") == "minute: \"1.5\" is not a number");
    CHECK(parse_error("* * * FOO *") == "month: \"FOO\" is neither a number nor a name");
    CHECK(parse_error("* * * * MONDAY") == "day-of-week: \"MONDAY\" is neither a number nor a name");
    CHECK(parse_error("* * * JAN-FOO *") == "month: \"FOO\" is neither a number nor a name");
    CHECK(parse_error("* * * * MON-SUN") == "day-of-week: range MON-SUN goes backwards");
    CHECK(parse_error("* * MON * *") == "day-of-month: \"MON\" is not a number");
    // What other dialects have and this one not.
    CHECK(parse_error("0 0 L * *") == "day-of-month: \"L\" is not a number");
    CHECK(parse_error("0 0 ? * *") == "day-of-month: \"?\" is not a number");
    CHECK(parse_error("0 0 * * 1#2") == "day-of-week: \"1#2\" is neither a number nor a name");
    CHECK(parse_error("0 0 15W * *") == "day-of-month: \"15W\" is not a number");
    // Ranges and steps.
    CHECK(parse_error("5-1 * * * *") == "minute: range 5-1 goes backwards");
    CHECK(parse_error("-1 * * * *") == "minute: a value is missing");
    CHECK(parse_error("1- * * * *") == "minute: a value is missing");
    CHECK(parse_error("1-2-3 * * * *") == "minute: \"2-3\" is not a number");
    CHECK(parse_error("*/0 * * * *") == "minute: step 0 is out of range 1-60");
    CHECK(parse_error("*/61 * * * *") == "minute: step 61 is out of range 1-60");
    CHECK(parse_error("* */25 * * *") == "hour: step 25 is out of range 1-24");
    CHECK(parse_error("*/x * * * *") == "minute: step \"x\" is not a number");
    CHECK(parse_error("*/ * * * *") == "minute: step \"\" is not a number");
    CHECK(parse_error("*/-1 * * * *") == "minute: step \"-1\" is not a number");
    CHECK(parse_error("*/2/2 * * * *") == "minute: step \"2/2\" is not a number");
    CHECK(parse_error("/2 * * * *") == "minute: a value is missing");
    // Lists.
    CHECK(parse_error("1,,2 * * * *") == "minute: empty list item");
    CHECK(parse_error(",1 * * * *") == "minute: empty list item");
    CHECK(parse_error("1, * * * *") == "minute: empty list item");
    // Well formed, but no date has it.
    CHECK(parse_error("0 0 30 2 *") ==
          "no month given has one of the days of the month given, so it never runs");
    CHECK(parse_error("0 0 31 4,6,9,11 *") ==
          "no month given has one of the days of the month given, so it never runs");
    CHECK(parse_error("0 0 30-31 FEB *") ==
          "no month given has one of the days of the month given, so it never runs");
}

TEST_CASE("cron: the boundaries of each field are accepted")
{
    for (const char* text : {"0 0 1 1 0", "59 23 31 12 7", "0-59 0-23 1-31 1-12 0-7",
                             "*/60 */24 */31 */12 */8", "0 0 29 2 *", "0 0 31 2 MON", "0 0 31 1,2 *"}) {
        INFO(text);
        std::string why;
        CHECK(cron_expr::parse(text, why));
        CHECK(why.empty());
    }
}

TEST_CASE("rfc3339: valid date-times and the UTC time they name")
{
    auto text = [](std::string_view s) {
        auto t = parse_rfc3339(s);
        return t ? format_rfc3339(*t) : std::string("(invalid)");
    };
    CHECK(text("2026-05-01T09:30:00Z") == "2026-05-01T09:30:00.000Z");
    CHECK(text("2026-05-01t09:30:00z") == "2026-05-01T09:30:00.000Z");
    CHECK(text("2026-05-01T09:30:00.5Z") == "2026-05-01T09:30:00.500Z");
    CHECK(text("2026-05-01T09:30:00.123456789Z") == "2026-05-01T09:30:00.123Z");
    CHECK(text("2026-05-01T09:30:00+02:00") == "2026-05-01T07:30:00.000Z");
    CHECK(text("2026-05-01T01:30:00+02:00") == "2026-04-30T23:30:00.000Z");
    CHECK(text("2026-05-01T09:30:00-05:30") == "2026-05-01T15:00:00.000Z");
    CHECK(text("2026-05-01T09:30:00-00:00") == "2026-05-01T09:30:00.000Z");
    CHECK(text("2024-02-29T00:00:00Z") == "2024-02-29T00:00:00.000Z");
    CHECK(text("2000-02-29T23:59:59.999Z") == "2000-02-29T23:59:59.999Z");
    CHECK(text("2016-12-31T23:59:60Z") == "2017-01-01T00:00:00.000Z"); // a leap second
    CHECK(text("1970-01-01T00:00:00Z") == "1970-01-01T00:00:00.000Z");
    CHECK(parse_rfc3339("1970-01-01T00:00:01.5Z")->time_since_epoch() == milliseconds(1500));
}

TEST_CASE("rfc3339: what is not an RFC 3339 date-time")
{
    for (const char* s : {"",
                          "2026-05-01",
                          "2026-05-01T09:30",
                          "2026-05-01T09:30:00",
                          "2026-05-01 09:30:00Z",
                          "2026-05-01T09:30:00ZZ",
                          "2026-05-01T09:30:00Z ",
                          " 2026-05-01T09:30:00Z",
                          "2023-02-29T00:00:00Z",
                          "2100-02-29T00:00:00Z",
                          "2026-04-31T00:00:00Z",
                          "2026-13-01T00:00:00Z",
                          "2026-00-01T00:00:00Z",
                          "2026-05-00T00:00:00Z",
                          "2026-05-01T24:00:00Z",
                          "2026-05-01T09:60:00Z",
                          "2026-05-01T09:30:61Z",
                          "2026-05-01T09:30:00.Z",
                          "2026-05-01T09:30:00+2:00",
                          "2026-05-01T09:30:00+0200",
                          "2026-05-01T09:30:00+24:00",
                          "2026-05-01T09:30:00+02:60",
                          "2026-5-01T09:30:00Z",
                          "26-05-01T09:30:00Z",
                          "+2026-05-01T09:30:00Z",
                          "2026-05-01T09:30:00,5Z",
                          "2026/05/01T09:30:00Z",
                          "2026-05-01T9:30:00Z",
                          "1714555800"}) {
        INFO(s);
        CHECK_FALSE(parse_rfc3339(s));
    }
}
