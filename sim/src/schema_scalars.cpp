// The generator's scalars (schema_walk.hpp): integers and numbers within
// their bounds, strings of plain words or of a format, all from the
// generator's PRNG. The value still goes through the validator.
#include "schema_walk.hpp"

#include "util/utf8.hpp" // the library's (src/util)

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>

namespace handinger::sim::detail {
namespace schema {
namespace {

constexpr double max_exact = 9007199254740992.0; // 2^53: integers a double holds exactly
constexpr double inf = std::numeric_limits<double>::infinity();

constexpr std::array<std::string_view, 24> words{"amber",  "basil",  "cedar",  "delta",   "ember",  "fjord",
                                                 "grove",  "harbor", "iris",   "juniper", "kelp",   "lumen",
                                                 "maple",  "nova",   "onyx",   "pixel",   "quartz", "river",
                                                 "sierra", "tundra", "violet", "willow",  "yarrow", "zephyr"};

// A numeric range from minimum, maximum and their exclusive forms.
struct range {
    double lo = -inf, hi = inf;
    bool lo_ex = false, hi_ex = false;
    std::optional<double> multiple;
    bool bad = false;

    bool holds(double x) const { return (lo_ex ? x > lo : x >= lo) && (hi_ex ? x < hi : x <= hi); }
};

void tighten(const json::object& s, std::string_view key, double& bound, bool& ex, bool below, bool& bad)
{
    const auto* e = s.if_contains(key);
    if (!e)
        return;
    if (e->is_bool()) {
        ex = ex || e->get_bool();
        return;
    }
    if (!e->is_number() || !std::isfinite(to_double(*e))) {
        bad = true;
        return;
    }
    const double x = to_double(*e);
    if (below ? x >= bound : x <= bound) {
        bound = x;
        ex = true;
    }
}

range read_range(const json::object& s)
{
    range r;
    r.lo = number_at(s, "minimum", r.bad).value_or(-inf);
    r.hi = number_at(s, "maximum", r.bad).value_or(inf);
    tighten(s, "exclusiveMinimum", r.lo, r.lo_ex, true, r.bad);
    tighten(s, "exclusiveMaximum", r.hi, r.hi_ex, false, r.bad);
    r.multiple = number_at(s, "multipleOf", r.bad);
    if (r.multiple && *r.multiple <= 0)
        r.bad = true;
    return r;
}

// An unbounded side of a range: `width` from the other, or [0, width].
void default_span(double& lo, double& hi, double width)
{
    if (!std::isfinite(lo) && !std::isfinite(hi))
        lo = 0, hi = width;
    else if (!std::isfinite(lo))
        lo = hi - width;
    else if (!std::isfinite(hi))
        hi = lo + width;
}

json::value number_value(double x)
{
    if (std::floor(x) == x && std::fabs(x) <= max_exact)
        return json::value(static_cast<std::int64_t>(x));
    return json::value(x);
}

std::optional<json::value> integer(const range& r, prng& rng)
{
    if (r.bad)
        return std::nullopt;
    double lo = std::isfinite(r.lo) ? (r.lo_ex ? std::floor(r.lo) + 1 : std::ceil(r.lo)) : -inf;
    double hi = std::isfinite(r.hi) ? (r.hi_ex ? std::ceil(r.hi) - 1 : std::floor(r.hi)) : inf;
    default_span(lo, hi, 100);
    lo = std::max(lo, -max_exact);
    hi = std::min(hi, max_exact);
    if (lo > hi)
        return std::nullopt;
    if (r.multiple) {
        const double m = *r.multiple;
        if (std::floor(m) == m && m <= max_exact) {
            const double klo = std::ceil(lo / m), khi = std::floor(hi / m);
            if (klo > khi)
                return std::nullopt;
            const double k = klo + static_cast<double>(
                                       rng.below(static_cast<std::uint64_t>(std::min(khi - klo, 100.0)) + 1));
            return number_value(k * m);
        }
        for (int i = 0; i < 64 && lo + i <= hi; ++i) // a fraction: the first integer that is a multiple
            if (is_multiple(lo + i, m))
                return number_value(lo + i);
        return std::nullopt;
    }
    return number_value(
        lo + static_cast<double>(rng.below(static_cast<std::uint64_t>(std::min(hi - lo, 100.0)) + 1)));
}

std::optional<json::value> number(const range& r, prng& rng)
{
    if (r.bad)
        return std::nullopt;
    double lo = r.lo, hi = r.hi;
    default_span(lo, hi, 1000);
    if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi)
        return std::nullopt;
    double x = 0;
    if (r.multiple) {
        const double m = *r.multiple;
        double klo = std::ceil(lo / m), khi = std::floor(hi / m);
        if (!std::isfinite(klo) || !std::isfinite(khi) || std::fabs(klo) > max_exact ||
            std::fabs(khi) > max_exact)
            return std::nullopt;
        if (!r.holds(klo * m))
            ++klo;
        if (!r.holds(khi * m))
            --khi;
        if (klo > khi)
            return std::nullopt;
        x = (klo +
             static_cast<double>(rng.below(static_cast<std::uint64_t>(std::min(khi - klo, 100.0)) + 1))) *
            m;
    } else {
        x = lo + static_cast<double>(rng.below(1'000'001)) / 1e6 * (hi - lo);
        x = std::round(x * 100) / 100; // two decimals, like a price
        if (!std::isfinite(x) || !r.holds(x))
            x = lo / 2 + hi / 2;
        if (!r.holds(x))
            x = r.lo_ex ? hi : lo;
    }
    if (!std::isfinite(x) || !r.holds(x))
        return std::nullopt;
    return number_value(x);
}

std::string word(prng& rng)
{
    return std::string(words[rng.below(words.size())]);
}

std::optional<json::value> string(const json::object& s, prng& rng, std::size_t max_string)
{
    bool bad = false;
    const std::size_t lo = count_at(s, "minLength", bad).value_or(0);
    const std::size_t hi = count_at(s, "maxLength", bad).value_or(std::numeric_limits<std::size_t>::max());
    if (bad || lo > hi || lo > max_string)
        return std::nullopt;
    std::string out;
    const auto* f = s.if_contains("format");
    const std::string_view format = f && f->is_string() ? std::string_view(f->get_string()) : "";
    if (format == "date-time" || format == "date" || format == "time") {
        // 2024-01-01 and three years on
        const std::string t =
            iso8601_ms(1'704'067'200'000 + static_cast<std::int64_t>(rng.below(94'608'000'000)));
        out = format == "date" ? t.substr(0, 10) : format == "time" ? t.substr(11) : t;
    } else if (format == "email") {
        out = word(rng) + "." + word(rng) + "@example.com";
    } else if (format == "uri" || format == "uri-reference" || format == "iri" || format == "url") {
        out = "https://example.com/" + word(rng) + "/" + word(rng);
    } else if (format == "uuid") {
        static constexpr std::string_view hex = "0123456789abcdef";
        for (int i = 0; i < 32; ++i) {
            if (i == 8 || i == 12 || i == 16 || i == 20)
                out += '-';
            // (version 4, variant 10xx)
            out += i == 12 ? '4' : i == 16 ? hex[8 + rng.below(4)] : hex[rng.below(16)];
        }
    } else if (format == "hostname") {
        out = word(rng) + ".example.com";
    } else if (format == "ipv4") {
        out = "192.0.2." + std::to_string(1 + rng.below(254));
    } else {
        // Words, cut to a length in the bounds: 3 to 24 characters unbounded.
        const std::size_t from = std::max(lo, std::min<std::size_t>(3, hi));
        const std::size_t to = std::min(hi, from + 21);
        const std::size_t len = from + rng.below(to - from + 1);
        while (out.size() < len)
            out += (out.empty() ? "" : " ") + word(rng);
        // Whole words when the bounds allow, else cut to the length.
        if (out.size() > len) {
            const auto space = out.rfind(' ', len);
            const std::size_t first = std::min(out.find(' '), out.size());
            if (space != std::string::npos && space >= std::max<std::size_t>(lo, 1))
                out.resize(space);
            else
                out.resize(first >= lo && first <= hi ? first : len);
        }
        if (!out.empty() && out.back() == ' ')
            out.back() = 's';
        return json::value(json::string(out));
    }
    const std::size_t chars = handinger::detail::utf8_length(out);
    if (chars < lo || chars > hi)
        return std::nullopt; // a well-formed value of that format does not fit
    return json::value(json::string(out));
}

} // namespace

std::optional<json::value> sample_integer(const json::object& s, prng& rng)
{
    return integer(read_range(s), rng);
}

std::optional<json::value> sample_number(const json::object& s, prng& rng)
{
    return number(read_range(s), rng);
}

std::optional<json::value> sample_string(const json::object& s, prng& rng, std::size_t max_string)
{
    return string(s, rng, max_string);
}

} // namespace schema
} // namespace handinger::sim::detail
