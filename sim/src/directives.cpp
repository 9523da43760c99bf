#include <handinger/sim/detail/directives.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

namespace handinger::sim::detail {

namespace {

constexpr std::array<std::pair<fault_kind, std::string_view>, 12> fault_names{{
    {fault_kind::http429, "429"},
    {fault_kind::http500, "500"},
    {fault_kind::http503, "503"},
    {fault_kind::reset, "reset"},
    {fault_kind::lost, "lost"},
    {fault_kind::stall, "stall"},
    {fault_kind::truncate, "truncate"},
    {fault_kind::slow, "slow"},
    {fault_kind::no_retry, "no-retry"},
    {fault_kind::retry_true, "retry-true"},
    {fault_kind::early_hints, "early-hints"},
    {fault_kind::extra_response, "extra-response"},
}};

std::optional<std::int64_t> parse_number(std::string_view s, std::int64_t lo, std::int64_t hi)
{
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty())
        return std::nullopt;
    return std::clamp(v, lo, hi);
}

bool starts_with(std::string_view s, std::string_view prefix, std::string_view& rest)
{
    if (s.substr(0, prefix.size()) != prefix)
        return false;
    rest = s.substr(prefix.size());
    return true;
}

// "KIND" or "KIND:N" (N >= 1); the count defaults to 1.
bool parse_fault_spec(std::string_view spec, fault_kind& kind, int& count)
{
    std::string_view name = spec;
    std::int64_t n = 1;
    if (auto colon = spec.find(':'); colon != std::string_view::npos) {
        name = spec.substr(0, colon);
        auto v = parse_number(spec.substr(colon + 1), 1, 1'000'000);
        if (!v)
            return false;
        n = *v;
    }
    auto k = parse_fault_kind(name);
    if (!k)
        return false;
    kind = *k;
    count = static_cast<int>(n);
    return true;
}

void apply_word(std::string_view w, directives& d)
{
    constexpr std::int64_t max_ms = 3'600'000;
    std::string_view rest;
    if (w == "#fail") {
        d.end = run_end::error;
    } else if (w == "#abort") {
        d.end = run_end::aborted;
    } else if (starts_with(w, "#status:", rest) && !rest.empty()) {
        d.end = run_end::raw;
        d.raw_status = std::string(rest);
    } else if (starts_with(w, "#turns:", rest)) {
        if (auto v = parse_number(rest, 0, 100))
            d.turns = static_cast<int>(*v);
    } else if (starts_with(w, "#pending-ms:", rest)) {
        if (auto v = parse_number(rest, 0, max_ms))
            d.pending_ms = *v;
    } else if (starts_with(w, "#turn-ms:", rest)) {
        if (auto v = parse_number(rest, 0, max_ms))
            d.turn_ms = *v;
    } else if (starts_with(w, "#fault:", rest)) {
        parse_fault_spec(rest, d.post_fault, d.post_fault_count);
    } else if (starts_with(w, "#get-fault:", rest)) {
        parse_fault_spec(rest, d.get_fault, d.get_fault_count);
    } else if (w == "#null-fields") {
        d.null_fields = true;
    } else if (starts_with(w, "#structured:", rest)) {
        boost::system::error_code ec;
        boost::json::parse_options po;
        po.max_depth = 64;
        auto v = boost::json::parse(rest, ec, {}, po);
        if (!ec)
            d.structured = boost::json::serialize(v);
    }
}

bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

} // namespace

std::string_view to_string(fault_kind k)
{
    for (auto& [kind, name] : fault_names)
        if (kind == k)
            return name;
    return "none";
}

std::optional<fault_kind> parse_fault_kind(std::string_view name)
{
    for (auto& [kind, n] : fault_names)
        if (n == name)
            return kind;
    return std::nullopt;
}

bool processes_request(fault_kind k)
{
    return k == fault_kind::lost || k == fault_kind::stall || k == fault_kind::truncate ||
           k == fault_kind::slow || k == fault_kind::early_hints || k == fault_kind::extra_response;
}

directives parse_directives(std::string_view input)
{
    directives d;
    std::size_t i = 0;
    while (i < input.size()) {
        while (i < input.size() && is_space(input[i]))
            ++i;
        std::size_t start = i;
        while (i < input.size() && !is_space(input[i]))
            ++i;
        if (i > start && input[start] == '#')
            apply_word(input.substr(start, i - start), d);
    }
    return d;
}

} // namespace handinger::sim::detail
