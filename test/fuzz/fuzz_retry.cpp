// libFuzzer target: the retry headers (src/policy/retry.cpp).
//
// The input is lines (LF):
//   1 the status ("503"; anything not a number is 0: no response)
//   2 x-should-retry
//   3 retry-after-ms
//   4 retry-after (seconds or an HTTP date)
//   5 optional: "retries_done max_retries random remaining_ms" (random:
//     an integer, taken modulo 1000 as thousandths)
// so that a seed is readable and the dictionary's words land in one header.
//
// Invariants: no crash and no UB (ASan, UBSan); a delay is never negative and
// never over what retry.hpp promises (max_retry_after for a server's wait,
// 8 s for the backoff); x-should-retry "true"/"false" (any case, blanks
// around) decides a response's retryability; a date that parses, written
// back as an IMF-fixdate, parses to the same time; decide_retry agrees with
// its parts.
#include "policy/retry.hpp"
#include "util/text.hpp"

#include <handinger/error.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace handinger::detail;
using std::chrono::milliseconds;
using sys_clock = std::chrono::system_clock;

[[noreturn]] void die(const char* why, std::string_view a, std::string_view b = {})
{
    std::fprintf(stderr, "fuzz_retry: %s: [%.*s] [%.*s]\n", why, static_cast<int>(a.size()), a.data(),
                 static_cast<int>(b.size()), b.data());
    std::abort();
}

std::vector<std::string_view> lines(std::string_view s)
{
    std::vector<std::string_view> out;
    while (true) {
        auto nl = s.find('\n');
        out.push_back(s.substr(0, nl));
        if (nl == std::string_view::npos)
            break;
        s.remove_prefix(nl + 1);
    }
    return out;
}

template <class T>
T number(std::string_view s, T fallback)
{
    T v{};
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() ? v : fallback;
}

// A time point written as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"),
// or "" when its year has no four-digit form.
std::string imf_fixdate(sys_clock::time_point t)
{
    const std::time_t tt = sys_clock::to_time_t(t);
    std::tm tm{};
    if (!gmtime_r(&tt, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
        return {};
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
                  months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

void check_date(std::string_view text)
{
    auto t = parse_http_date(text);
    if (!t)
        return;
    const std::string again = imf_fixdate(*t);
    if (again.empty())
        return;
    auto t2 = parse_http_date(again);
    if (!t2 || *t2 != *t)
        die("a date written back does not parse to the same time", text, again);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto l = lines(text);
    l.resize(std::max<std::size_t>(l.size(), 5));
    const int status = number(l[0], 0);
    const std::string_view should = l[1], ms = l[2], after = l[3];

    // A fixed, realistic "now" (2024-06-01T12:00:00Z).
    const sys_clock::time_point now = sys_clock::from_time_t(1717243200);

    // The server's wait.
    if (auto d = retry_after_delay(ms, after, now)) {
        if (d->count() < 0 || *d > max_retry_after)
            die("retry_after_delay out of [0, max_retry_after]", ms, after);
    }
    check_date(after);
    check_date(ms);

    // Retryability: x-should-retry decides a response's.
    attempt_facts f;
    f.status = status;
    f.x_should_retry = should;
    f.retry_after_ms = ms;
    f.retry_after = after;
    f.maybe_delivered = (size & 1) != 0;
    if (status == 0)
        f.ec = handinger::error::connection;
    const bool retryable = is_retryable(f);
    if (status != 0) {
        if (iequals(trim(should), "true") && !retryable)
            die("x-should-retry: true not retryable", should);
        if (iequals(trim(should), "false") && retryable)
            die("x-should-retry: false retryable", should);
    }
    (void)is_ambiguous_delivery(f);

    // Backoff and the whole decision.
    std::string_view words = l[4];
    std::vector<std::string_view> w;
    while (!words.empty()) {
        auto sp = words.find(' ');
        w.push_back(words.substr(0, sp));
        words = sp == std::string_view::npos ? std::string_view() : words.substr(sp + 1);
    }
    w.resize(std::max<std::size_t>(w.size(), 4));
    const int retries_done = number(w[0], 0);
    const int max_retries = number(w[1], 2);
    // What the client's random source gives: [0, 1).
    const double random01 = static_cast<double>(number(w[2], 500u) % 1000u) / 1000.0;
    const long long remaining_ms = number(w[3], -1LL);

    const milliseconds b = backoff_delay(retries_done, random01);
    if (b.count() < 0 || b > milliseconds(8000))
        die("backoff_delay out of [0, 8 s]", w[0], w[2]);

    retry_inputs in;
    in.facts = f;
    in.retries_done = retries_done;
    in.max_retries = max_retries;
    in.now = now;
    in.random01 = random01;
    if (remaining_ms >= 0)
        in.remaining = milliseconds(remaining_ms);
    const retry_decision dec = decide_retry(in);
    if (dec.delay.count() < 0 || dec.delay > std::max(max_retry_after, milliseconds(8000)))
        die("decide_retry delay out of range", ms, after);
    if (dec.retry && (!retryable || retries_done >= max_retries))
        die("decide_retry retries what it must not", should);
    if (!dec.retry && dec.reason.empty())
        die("decide_retry refuses without a reason", should);
    if (retryable && retries_done < max_retries && !in.remaining && !dec.retry)
        die("decide_retry refuses a retryable attempt without a deadline", should);
    return 0;
}
