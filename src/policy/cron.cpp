#include "policy/cron.hpp"

#include <array>
#include <charconv>
#include <vector>

namespace handinger::detail {
namespace {

using namespace std::chrono;

// One of the five fields: its name in messages, its bounds, its names.
struct field_spec {
    std::string_view name;
    int min;
    int max;
    const std::string_view* names = nullptr; // names[i] is the value min + i
    int name_count = 0;
};

constexpr std::array<std::string_view, 12> month_names{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> day_names{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

constexpr std::array<field_spec, 5> fields{{
    {"minute", 0, 59},
    {"hour", 0, 23},
    {"day-of-month", 1, 31},
    {"month", 1, 12, month_names.data(), 12},
    {"day-of-week", 0, 7, day_names.data(), 7},
}};

std::string quoted(std::string_view s)
{
    return "\"" + std::string(s) + "\"";
}

bool upper_equal(std::string_view a, std::string_view upper)
{
    if (a.size() != upper.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
        if (c != upper[i])
            return false;
    }
    return true;
}

// A value of the field: a number within its bounds, or one of its names.
bool read_value(const field_spec& f, std::string_view s, int& out, std::string& error)
{
    const std::string prefix = std::string(f.name) + ": ";
    if (s.empty()) {
        error = prefix + "a value is missing";
        return false;
    }
    for (int i = 0; i < f.name_count; ++i)
        if (upper_equal(s, f.names[i])) {
            out = f.min + i;
            return true;
        }
    int v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ptr != s.data() + s.size() || (r.ec != std::errc() && r.ec != std::errc::result_out_of_range) ||
        s.front() == '-' || s.front() == '+') {
        error = prefix + quoted(s) + (f.name_count ? " is neither a number nor a name" : " is not a number");
        return false;
    }
    if (r.ec == std::errc::result_out_of_range || v < f.min || v > f.max) {
        error = prefix + std::string(s) + " is out of range " + std::to_string(f.min) + "-" +
                std::to_string(f.max);
        return false;
    }
    out = v;
    return true;
}

// One list item: `*`, `n`, `a-b`, each optionally with `/step`. Sets the
// bits of the values it names.
bool read_item(const field_spec& f, std::string_view item, std::uint64_t& bits, std::string& error)
{
    const std::string prefix = std::string(f.name) + ": ";
    if (item.empty()) {
        error = prefix + "empty list item";
        return false;
    }
    std::string_view base = item;
    int step = 1;
    bool stepped = false;
    if (auto slash = item.find('/'); slash != std::string_view::npos) {
        base = item.substr(0, slash);
        const std::string_view s = item.substr(slash + 1);
        const int span = f.max - f.min + 1;
        auto r = std::from_chars(s.data(), s.data() + s.size(), step);
        if (s.empty() || r.ptr != s.data() + s.size() ||
            (r.ec != std::errc() && r.ec != std::errc::result_out_of_range) || s.front() == '-' ||
            s.front() == '+') {
            error = prefix + "step " + quoted(s) + " is not a number";
            return false;
        }
        if (r.ec == std::errc::result_out_of_range || step < 1 || step > span) {
            error = prefix + "step " + std::string(s) + " is out of range 1-" + std::to_string(span);
            return false;
        }
        stepped = true;
    }
    int lo = f.min, hi = f.max;
    if (base != "*") {
        const auto dash = base.find('-');
        if (!read_value(f, base.substr(0, dash), lo, error))
            return false;
        if (dash != std::string_view::npos) {
            if (!read_value(f, base.substr(dash + 1), hi, error))
                return false;
            if (hi < lo) {
                error = prefix + "range " + std::string(base) + " goes backwards";
                return false;
            }
        } else if (!stepped) {
            hi = lo; // a single value
        }
        // (`n/step`: from n to the field's end.)
    }
    for (int v = lo; v <= hi; v += step)
        bits |= std::uint64_t{1} << v;
    return true;
}

bool read_field(const field_spec& f, std::string_view text, std::uint64_t& bits, std::string& error)
{
    for (;;) {
        const auto comma = text.find(',');
        if (!read_item(f, text.substr(0, comma), bits, error))
            return false;
        if (comma == std::string_view::npos)
            return true;
        text.remove_prefix(comma + 1);
    }
}

std::vector<std::string_view> split_fields(std::string_view text)
{
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
            ++i;
        const std::size_t start = i;
        while (i < text.size() && text[i] != ' ' && text[i] != '\t')
            ++i;
        if (i > start)
            out.push_back(text.substr(start, i - start));
    }
    return out;
}

// The days each month can have (February: 29, in leap years).
constexpr std::array<int, 13> month_days{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

bool has_bit(std::uint64_t bits, unsigned i)
{
    return (bits >> i) & 1U;
}

// The range of times next_after looks in: years 1 to 9999.
constexpr sys_days first_day = sys_days(year{1} / January / 1);
constexpr sys_days last_day = sys_days(year{9999} / December / 31);

} // namespace

std::optional<cron_expr> cron_expr::parse(std::string_view text, std::string& error)
{
    for (char c : text)
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) {
            error = "control characters are not allowed";
            return std::nullopt;
        }
    const auto parts = split_fields(text);
    if (parts.size() != fields.size()) {
        error = parts.empty() ? "expected 5 fields separated by spaces, got none"
                              : "expected 5 fields separated by spaces, got " + std::to_string(parts.size());
        return std::nullopt;
    }
    std::array<std::uint64_t, 5> bits{};
    for (std::size_t i = 0; i < fields.size(); ++i)
        if (!read_field(fields[i], parts[i], bits[i], error))
            return std::nullopt;
    cron_expr e;
    e.minutes_ = bits[0];
    e.hours_ = static_cast<std::uint32_t>(bits[1]);
    e.mdays_ = static_cast<std::uint32_t>(bits[2]);
    e.months_ = static_cast<std::uint32_t>(bits[3]);
    // Day of week 7 is Sunday, as 0.
    e.wdays_ = static_cast<std::uint32_t>((bits[4] | (bits[4] >> 7)) & 0x7F);
    e.mday_star_ = parts[2].front() == '*';
    e.wday_star_ = parts[4].front() == '*';
    // Both day fields restricted: either matches, and every week has every
    // weekday. Otherwise both must match; a date falls on every weekday over
    // the years, so some month must have one of the days of the month.
    if (e.mday_star_ || e.wday_star_) {
        bool any = false;
        for (unsigned m = 1; m <= 12 && !any; ++m)
            if (has_bit(e.months_, m))
                for (int d = 1; d <= month_days[m] && !any; ++d)
                    any = has_bit(e.mdays_, static_cast<unsigned>(d));
        if (!any) {
            error = "no month given has one of the days of the month given, so it never runs";
            return std::nullopt;
        }
    }
    return e;
}

bool cron_expr::day_matches(sys_days d) const
{
    const year_month_day ymd(d);
    if (!has_bit(months_, static_cast<unsigned>(ymd.month())))
        return false;
    const bool mday = has_bit(mdays_, static_cast<unsigned>(ymd.day()));
    const bool wday = has_bit(wdays_, weekday(d).c_encoding());
    return mday_star_ || wday_star_ ? mday && wday : mday || wday;
}

bool cron_expr::matches(sys_seconds t) const
{
    const sys_days d = floor<days>(t);
    if (d < first_day || d > last_day)
        return false;
    const auto minute_of_day = duration_cast<minutes>(t - d).count();
    return day_matches(d) && has_bit(hours_, static_cast<unsigned>(minute_of_day / 60)) &&
           has_bit(minutes_, static_cast<unsigned>(minute_of_day % 60));
}

std::optional<sys_seconds> cron_expr::next_after(sys_seconds t) const
{
    if (t < first_day || t >= last_day)
        return std::nullopt;
    const sys_seconds start = floor<minutes>(t) + minutes(1);
    sys_days d = floor<days>(start);
    auto from = duration_cast<minutes>(start - d).count(); // the first minute of day d to consider
    // Nine years cover the longest gap between two matching days: a 29th of
    // February alone comes back after eight years around 2100.
    for (int i = 0; i < 9 * 366 && d <= last_day; ++i, d += days(1), from = 0) {
        if (!day_matches(d))
            continue;
        for (auto h = from / 60; h < 24; ++h) {
            if (!has_bit(hours_, static_cast<unsigned>(h)))
                continue;
            for (auto m = h == from / 60 ? from % 60 : 0; m < 60; ++m)
                if (has_bit(minutes_, static_cast<unsigned>(m)))
                    return sys_seconds(d) + hours(h) + minutes(m);
        }
    }
    return std::nullopt;
}

} // namespace handinger::detail
