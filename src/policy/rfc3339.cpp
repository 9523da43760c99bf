#include "policy/rfc3339.hpp"

#include <cstdio>

namespace handinger::detail {
namespace {

using namespace std::chrono;

// `n` digits at s[at]; false when any is not a digit.
bool digits(std::string_view s, std::size_t at, std::size_t n, int& out)
{
    if (at + n > s.size())
        return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

bool is(std::string_view s, std::size_t at, char c)
{
    return at < s.size() && s[at] == c;
}

} // namespace

std::optional<sys_ms> parse_rfc3339(std::string_view s)
{
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    if (!digits(s, 0, 4, y) || !is(s, 4, '-') || !digits(s, 5, 2, mo) || !is(s, 7, '-') ||
        !digits(s, 8, 2, d))
        return std::nullopt;
    if (!(is(s, 10, 'T') || is(s, 10, 't')))
        return std::nullopt;
    if (!digits(s, 11, 2, h) || !is(s, 13, ':') || !digits(s, 14, 2, mi) || !is(s, 16, ':') ||
        !digits(s, 17, 2, sec))
        return std::nullopt;
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || sec > 60)
        return std::nullopt;
    std::size_t at = 19;
    int ms = 0;
    if (is(s, at, '.')) {
        ++at;
        const std::size_t start = at;
        for (; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at)
            if (at - start < 3)
                ms = ms * 10 + (s[at] - '0');
        if (at == start)
            return std::nullopt;
        for (std::size_t n = at - start; n < 3; ++n)
            ms *= 10;
    }
    int offset_min = 0;
    if (is(s, at, 'Z') || is(s, at, 'z')) {
        ++at;
    } else if (is(s, at, '+') || is(s, at, '-')) {
        int oh = 0, om = 0;
        if (!digits(s, at + 1, 2, oh) || !is(s, at + 3, ':') || !digits(s, at + 4, 2, om) || oh > 23 ||
            om > 59)
            return std::nullopt;
        offset_min = (oh * 60 + om) * (s[at] == '-' ? -1 : 1);
        at += 6;
    } else {
        return std::nullopt;
    }
    if (at != s.size())
        return std::nullopt;
    return sys_ms(sys_days(ymd)) + hours(h) + minutes(mi - offset_min) + seconds(sec) + milliseconds(ms);
}

std::string format_rfc3339(sys_ms t)
{
    const sys_days d = floor<days>(t);
    const year_month_day ymd(d);
    const hh_mm_ss<milliseconds> tod(t - d);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                  static_cast<int>(tod.seconds().count()), static_cast<int>(tod.subseconds().count()));
    return buf;
}

} // namespace handinger::detail
