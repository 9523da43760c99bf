// The fault proxy's plans: drawn from a seed, written and read as text.
#include "fault_proxy.hpp"

#include <algorithm>
#include <charconv>

namespace handinger::fault_proxy {

namespace {

std::uint64_t mix64(std::uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// splitmix64: the same draws on every platform and standard library.
struct draws {
    std::uint64_t state;
    double next()
    {
        state += 0x9e3779b97f4a7c15ULL;
        return static_cast<double>(mix64(state) >> 11) * 0x1.0p-53;
    }
};

const char* name(direction d)
{
    return d == direction::to_server ? "to_server" : "to_client";
}

template <class T>
bool read_number(std::string_view s, T& out)
{
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

} // namespace

// ---- plans ----------------------------------------------------------------

plan random_plan(const random_options& r, std::uint64_t seed, std::uint64_t index, unsigned round)
{
    draws d{mix64(mix64(mix64(seed + 0x9e3779b97f4a7c15ULL) ^ index) + round)};
    // Every draw is made whatever the branch, so that changing one knob
    // leaves the other draws of a connection where they were.
    const double refuse = d.next(), fault = d.next(), kind = d.next(), dir = d.next(), offset = d.next(),
                 until = d.next(), length = d.next(), late = d.next();
    plan p;
    if (round == 0 && refuse < r.refuse) {
        p.what = action::refuse;
        return p;
    }
    if (fault >= r.fault)
        return p;
    p.what = kind < r.reset ? action::reset : action::stall;
    p.dir = dir < r.to_client ? direction::to_client : direction::to_server;
    const auto max = p.dir == direction::to_server ? r.max_offset_to_server : r.max_offset_to_client;
    p.offset = static_cast<std::uint64_t>(offset * static_cast<double>(max));
    if (p.what == action::stall) {
        if (until >= r.stall_until_closed) {
            const auto lo = r.min_stall.count();
            const auto hi = std::max(r.max_stall.count(), lo);
            p.stall_for = std::chrono::milliseconds(
                std::max<long long>(1, lo + static_cast<long long>(length * static_cast<double>(hi - lo))));
        }
        p.deliver_late = late < r.deliver_late;
    }
    return p;
}

std::string to_string(const plan& p)
{
    switch (p.what) {
    case action::pass: return "pass";
    case action::refuse: return "refuse";
    case action::reset:
    case action::stall: break;
    }
    std::string s = p.what == action::reset ? "reset" : "stall";
    s += ",dir=";
    s += name(p.dir);
    if (p.flight >= 0)
        s += ",flight=" + std::to_string(p.flight);
    s += ",offset=" + std::to_string(p.offset);
    if (p.what == action::stall) {
        if (p.stall_for.count() > 0)
            s += ",for=" + std::to_string(p.stall_for.count());
        if (p.deliver_late)
            s += ",late";
    }
    return s;
}

std::optional<plan> parse_plan(std::string_view text)
{
    plan p;
    auto next = [&text]() {
        auto comma = text.find(',');
        auto item = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
        return item;
    };
    auto kind = next();
    if (kind == "pass" || kind == "refuse") {
        p.what = kind == "pass" ? action::pass : action::refuse;
        return text.empty() ? std::optional<plan>(p) : std::nullopt;
    }
    if (kind == "reset")
        p.what = action::reset;
    else if (kind == "stall")
        p.what = action::stall;
    else
        return std::nullopt;
    while (!text.empty()) {
        auto item = next();
        auto eq = item.find('=');
        auto key = item.substr(0, eq);
        auto value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
        long long ms = 0;
        if (key == "dir" && value == "to_server")
            p.dir = direction::to_server;
        else if (key == "dir" && value == "to_client")
            p.dir = direction::to_client;
        else if (key == "flight" && read_number(value, p.flight) && p.flight >= 0)
            continue;
        else if (key == "offset" && read_number(value, p.offset))
            continue;
        else if (key == "for" && p.what == action::stall && read_number(value, ms) && ms >= 0)
            p.stall_for = std::chrono::milliseconds(ms);
        else if (key == "late" && eq == std::string_view::npos && p.what == action::stall)
            p.deliver_late = true;
        else
            return std::nullopt;
    }
    return p;
}

} // namespace handinger::fault_proxy
