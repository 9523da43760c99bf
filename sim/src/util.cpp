#include <handinger/sim/detail/util.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace handinger::sim::detail {

std::uint64_t mix64(std::uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

std::uint64_t hash_str(std::string_view s, std::uint64_t seed)
{
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return mix64(h ^ mix64(seed));
}

std::uint64_t prng::next()
{
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

namespace {

std::tm utc(std::int64_t unix_ms)
{
    std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return tm;
}

constexpr std::string_view crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

} // namespace

std::string iso8601_ms(std::int64_t unix_ms)
{
    std::tm tm = utc(unix_ms);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_ms % 1000));
    return buf;
}

std::string http_date(std::int64_t unix_ms)
{
    static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm = utc(unix_ms);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
                  months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::int64_t unix_now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string make_task_id(std::int64_t unix_ms, prng& rng)
{
    std::string id = "tsk_";
    auto t = static_cast<std::uint64_t>(unix_ms) & ((1ULL << 48) - 1);
    for (int i = 9; i >= 0; --i)
        id += crockford[(t >> (5 * i)) & 31];
    std::uint64_t hi = rng.next(), lo = rng.next();
    // 80 random bits: 40 from each draw, 5 bits per character.
    for (int i = 7; i >= 0; --i)
        id += crockford[(hi >> (5 * i)) & 31];
    for (int i = 7; i >= 0; --i)
        id += crockford[(lo >> (5 * i)) & 31];
    return id;
}

std::string make_worker_id(prng& rng)
{
    static constexpr std::string_view alphabet =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
    std::string id = "wrk_";
    std::uint64_t bits = rng.next();
    for (int i = 0; i < 14; ++i, bits >>= 6) {
        if (i == 10)
            bits = rng.next();
        id += alphabet[bits & 63];
    }
    return id;
}

std::string make_schedule_id(prng& rng)
{
    std::string id = "sch_";
    std::uint64_t bits = rng.next();
    for (int i = 0; i < 16; ++i, bits >>= 5) {
        if (i == 12)
            bits = rng.next();
        id += crockford[bits & 31];
    }
    return id;
}

std::string make_run_id(prng& rng)
{
    static constexpr std::string_view lower = "0123456789abcdefghjkmnpqrstvwxyz";
    std::string id = "run_";
    std::uint64_t bits = rng.next();
    for (int i = 0; i < 24; ++i, bits >>= 5) {
        if (i == 12)
            bits = rng.next();
        id += lower[bits & 31];
    }
    return id;
}

std::string make_turn_id(std::uint64_t seed, std::string_view task_id, int seq)
{
    std::string id = "trn_";
    prng rng(hash_str(task_id, seed) ^ mix64(static_cast<std::uint64_t>(seq)));
    std::uint64_t bits = rng.next();
    for (int i = 0; i < 20; ++i, bits >>= 5) {
        if (i == 12)
            bits = rng.next();
        id += crockford[bits & 31];
    }
    return id;
}

std::string pseudo_text(std::uint64_t seed, std::string_view task_id, int seq)
{
    static constexpr std::array<std::string_view, 48> words{
        "the",      "worker",   "checked",  "sources", "and",      "found",   "three",     "relevant",
        "pages",    "about",    "pricing",  "then",    "compared", "numbers", "across",    "vendors",
        "summary",  "shows",    "a",        "clear",   "trend",    "toward",  "lower",     "costs",
        "while",    "quality",  "remains",  "steady",  "next",     "step",    "drafts",    "report",
        "with",     "tables",   "for",      "each",    "region",   "noting",  "outliers",  "risks",
        "deadline", "estimate", "verified", "against", "latest",   "filings", "carefully", "today"};
    prng rng(hash_str(task_id, seed) ^ mix64(0x5eedULL + static_cast<std::uint64_t>(seq)));
    std::size_t target = 40 + rng.below(150);
    std::string text;
    text.reserve(target + 16);
    bool sentence_start = true;
    while (text.size() < target) {
        if (!text.empty())
            text += ' ';
        std::string_view w = words[rng.below(words.size())];
        std::size_t at = text.size();
        text += w;
        if (sentence_start)
            text[at] = static_cast<char>(text[at] - 'a' + 'A');
        sentence_start = rng.below(7) == 0;
        if (sentence_start)
            text += '.';
    }
    if (text.back() != '.')
        text += '.';
    return text;
}

} // namespace handinger::sim::detail
