#include "policy/retry.hpp"
#include "util/text.hpp"

#include <handinger/error.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <ctime>

namespace handinger::detail {
namespace {

// A non-negative decimal number ("1", "1.5", ".5"); nullopt otherwise.
std::optional<double> parse_non_negative(std::string_view s)
{
    s = trim(s);
    if (s.empty() || s.size() > 32)
        return std::nullopt;
    for (char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.')
            return std::nullopt;
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v))
        return std::nullopt;
    return v;
}

milliseconds cap(double ms)
{
    if (ms >= static_cast<double>(max_retry_after.count()))
        return max_retry_after;
    return milliseconds(static_cast<long long>(std::ceil(ms)));
}

int month_index(std::string_view m)
{
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (int i = 0; i < 12; ++i)
        if (iequals(m, months[i]))
            return i;
    return -1;
}

bool read_int(std::string_view& s, std::size_t digits_min, std::size_t digits_max, int& out)
{
    std::size_t n = 0;
    while (n < s.size() && n < digits_max && std::isdigit(static_cast<unsigned char>(s[n])))
        ++n;
    if (n < digits_min)
        return false;
    std::from_chars(s.data(), s.data() + n, out);
    s.remove_prefix(n);
    return true;
}

bool eat(std::string_view& s, char c)
{
    if (s.empty() || s.front() != c)
        return false;
    s.remove_prefix(1);
    return true;
}

void skip_spaces(std::string_view& s)
{
    while (!s.empty() && s.front() == ' ')
        s.remove_prefix(1);
}

bool read_time(std::string_view& s, std::tm& tm)
{
    return read_int(s, 2, 2, tm.tm_hour) && eat(s, ':') && read_int(s, 2, 2, tm.tm_min) && eat(s, ':') &&
           read_int(s, 2, 2, tm.tm_sec);
}

bool read_month(std::string_view& s, std::tm& tm)
{
    if (s.size() < 3)
        return false;
    tm.tm_mon = month_index(s.substr(0, 3));
    s.remove_prefix(3);
    return tm.tm_mon >= 0;
}

} // namespace

bool is_retryable(const attempt_facts& f)
{
    if (f.ec == error::cancelled || f.ec == error::invalid_argument)
        return false;
    if (f.status != 0) {
        auto xs = trim(f.x_should_retry);
        if (iequals(xs, "true"))
            return true;
        if (iequals(xs, "false"))
            return false;
        return f.status == 408 || f.status == 409 || f.status == 429 || f.status >= 500;
    }
    return f.ec == error::connection || f.ec == error::timeout || f.ec == error::tls;
}

delivery classify_delivery(const attempt_facts& f)
{
    if (!f.maybe_delivered)
        return delivery::not_sent;
    if (f.status != 0) {
        if (f.status == 504)
            return delivery::abandoned;
        return f.status == 408 || f.status >= 500 ? delivery::answered : delivery::refused;
    }
    if (f.response_started)
        return delivery::answered;
    return f.peer_closed ? delivery::cut : delivery::abandoned;
}

bool is_ambiguous_delivery(const attempt_facts& f)
{
    if (f.ec == error::cancelled)
        return false;
    auto d = classify_delivery(f);
    return d == delivery::answered || d == delivery::cut || d == delivery::abandoned;
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view s)
{
    s = trim(s);
    std::tm tm{};
    auto comma = s.find(',');
    if (comma != std::string_view::npos) {
        s.remove_prefix(comma + 1);
        skip_spaces(s);
        if (!read_int(s, 1, 2, tm.tm_mday))
            return std::nullopt;
        if (eat(s, '-')) { // RFC 850: 06-Nov-94 08:49:37 GMT
            if (!read_month(s, tm) || !eat(s, '-') || !read_int(s, 2, 4, tm.tm_year))
                return std::nullopt;
            if (tm.tm_year < 100)
                tm.tm_year += tm.tm_year < 70 ? 2000 : 1900;
        } else { // IMF-fixdate: 06 Nov 1994 08:49:37 GMT
            skip_spaces(s);
            if (!read_month(s, tm))
                return std::nullopt;
            skip_spaces(s);
            if (!read_int(s, 4, 4, tm.tm_year))
                return std::nullopt;
        }
        skip_spaces(s);
        if (!read_time(s, tm))
            return std::nullopt;
        skip_spaces(s);
        if (s != "GMT" && s != "UTC")
            return std::nullopt;
    } else { // asctime: Sun Nov  6 08:49:37 1994
        if (s.size() < 4)
            return std::nullopt;
        s.remove_prefix(3);
        skip_spaces(s);
        if (!read_month(s, tm))
            return std::nullopt;
        skip_spaces(s);
        if (!read_int(s, 1, 2, tm.tm_mday))
            return std::nullopt;
        skip_spaces(s);
        if (!read_time(s, tm))
            return std::nullopt;
        skip_spaces(s);
        if (!read_int(s, 4, 4, tm.tm_year) || !s.empty())
            return std::nullopt;
    }
    if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return std::nullopt;
    tm.tm_year -= 1900;
    std::time_t t = timegm(&tm);
    if (t == static_cast<std::time_t>(-1))
        return std::nullopt;
    // system_clock counts nanoseconds in 64 bits (years 1678 to 2261):
    // from_time_t would overflow for a date outside.
    using sys = std::chrono::system_clock;
    constexpr auto lo = std::chrono::duration_cast<std::chrono::seconds>(sys::duration::min()).count() + 1;
    constexpr auto hi = std::chrono::duration_cast<std::chrono::seconds>(sys::duration::max()).count() - 1;
    return sys::from_time_t(std::clamp<std::time_t>(t, lo, hi));
}

std::optional<milliseconds> retry_after_delay(std::string_view retry_after_ms, std::string_view retry_after,
                                              std::chrono::system_clock::time_point now)
{
    if (auto ms = parse_non_negative(retry_after_ms))
        return cap(*ms);
    if (trim(retry_after).empty())
        return std::nullopt;
    if (auto secs = parse_non_negative(retry_after))
        return cap(*secs * 1000.0);
    if (auto when = parse_http_date(retry_after)) {
        if (*when <= now)
            return milliseconds(0);
        // when - now could overflow (a date near either end of the clock's
        // range): the difference of the counts, which is positive, fits in
        // an unsigned one.
        using duration = std::chrono::system_clock::duration;
        const std::uint64_t diff = static_cast<std::uint64_t>(when->time_since_epoch().count()) -
                                   static_cast<std::uint64_t>(now.time_since_epoch().count());
        constexpr auto max = static_cast<std::uint64_t>(duration(max_retry_after).count());
        if (diff >= max)
            return max_retry_after;
        return std::chrono::duration_cast<milliseconds>(duration(static_cast<duration::rep>(diff)));
    }
    return std::nullopt;
}

milliseconds backoff_delay(int retries_done, double random01)
{
    double base = 0.5 * std::pow(2.0, std::clamp(retries_done, 0, 30));
    base = std::min(base, 8.0);
    double jitter = 1.0 - 0.25 * std::clamp(random01, 0.0, 1.0);
    return milliseconds(static_cast<long long>(base * jitter * 1000.0));
}

retry_decision decide_retry(const retry_inputs& in)
{
    if (!is_retryable(in.facts))
        return {false, milliseconds(0), "not retryable"};
    if (in.retries_done >= in.max_retries)
        return {false, milliseconds(0), "retries exhausted"};
    milliseconds delay{0};
    if (auto ra = retry_after_delay(in.facts.retry_after_ms, in.facts.retry_after, in.now))
        delay = *ra;
    else
        delay = backoff_delay(in.retries_done, in.random01);
    if (in.remaining && delay + in.min_attempt_time > *in.remaining)
        return {false, delay, "deadline"};
    return {true, delay, {}};
}

bool is_stale_connection_failure(bool reused, bool response_started, bool peer_closed, bool stale_retry_used)
{
    return reused && !response_started && peer_closed && !stale_retry_used;
}

failure_plan plan_after_failure(const failure_inputs& in)
{
    const auto& f = in.retry.facts;
    failure_plan p;
    p.how = classify_delivery(f);
    const bool ambiguous = is_ambiguous_delivery(f);
    if (is_stale_connection_failure(in.reused, f.response_started, f.peer_closed, in.stale_retry_used)) {
        p.retry = true;
        p.new_connection = true;
        p.counts_as_retry = false;
        p.check = in.can_check && ambiguous;
        if (p.check) {
            p.delay = backoff_delay(in.retry.retries_done, in.retry.random01);
            if (in.retry.remaining) {
                auto room = *in.retry.remaining - 2 * in.retry.min_attempt_time;
                p.delay = std::clamp(room, milliseconds(0), p.delay);
            }
        }
        return p;
    }
    auto d = decide_retry(in.retry);
    p.retry = d.retry;
    p.reason = d.reason;
    p.delay = d.delay;
    p.check = d.retry && in.can_check && ambiguous;
    return p;
}

absent_decision after_absent(const absent_inputs& in)
{
    absent_decision d;
    if (in.how != delivery::abandoned || in.absent_checks >= 2)
        return d; // resend
    d.wait = in.attempt_timeout;
    if (in.remaining && d.wait + 2 * in.min_attempt_time > *in.remaining) {
        d.next = absent_decision::step::give_up;
        d.reason = "deadline";
        return d;
    }
    d.next = absent_decision::step::check_again;
    return d;
}

} // namespace handinger::detail
