// What schema_walk.hpp shares between the validator and the generator:
// $ref, numbers, JSON Schema's equality, and the rough format checks.
#include "schema_walk.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace handinger::sim::detail {
namespace schema {

const json::value* resolve_ref(const json::value& root, std::string_view ref)
{
    if (ref.empty() || ref.front() != '#')
        return nullptr;
    ref.remove_prefix(1);
    const json::value* cur = &root;
    while (!ref.empty()) {
        if (ref.front() != '/')
            return nullptr; // a named anchor: not supported
        ref.remove_prefix(1);
        const std::size_t end = std::min(ref.find('/'), ref.size());
        std::string token;
        for (std::size_t i = 0; i < end; ++i) {
            if (ref[i] == '~' && i + 1 < end && (ref[i + 1] == '0' || ref[i + 1] == '1')) {
                token += ref[i + 1] == '0' ? '~' : '/';
                ++i;
            } else {
                token += ref[i];
            }
        }
        ref.remove_prefix(end);
        if (const auto* o = cur->if_object()) {
            cur = o->if_contains(token);
        } else if (const auto* a = cur->if_array()) {
            const bool digits =
                !token.empty() && token.size() < 10 &&
                std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                (token == "0" || token.front() != '0');
            if (!digits || std::stoul(token) >= a->size())
                return nullptr;
            cur = &(*a)[std::stoul(token)];
        } else {
            return nullptr;
        }
        if (!cur)
            return nullptr;
    }
    return cur;
}

double to_double(const json::value& v)
{
    if (v.is_int64())
        return static_cast<double>(v.get_int64());
    if (v.is_uint64())
        return static_cast<double>(v.get_uint64());
    return v.is_double() ? v.get_double() : 0.0;
}

bool is_integer(const json::value& v)
{
    if (v.is_int64() || v.is_uint64())
        return true;
    return v.is_double() && std::isfinite(v.get_double()) && std::floor(v.get_double()) == v.get_double();
}

std::optional<double> number_at(const json::object& o, std::string_view key, bool& bad)
{
    const auto* v = o.if_contains(key);
    if (!v)
        return std::nullopt;
    if (!v->is_number() || !std::isfinite(to_double(*v))) {
        bad = true;
        return std::nullopt;
    }
    return to_double(*v);
}

std::optional<std::size_t> count_at(const json::object& o, std::string_view key, bool& bad)
{
    const auto* v = o.if_contains(key);
    if (!v)
        return std::nullopt;
    if (!is_integer(*v) || to_double(*v) < 0) {
        bad = true;
        return std::nullopt;
    }
    if (v->is_int64())
        return static_cast<std::size_t>(v->get_int64());
    if (v->is_uint64())
        return static_cast<std::size_t>(v->get_uint64());
    // (a double count past what a size holds is as good as infinite)
    return v->get_double() >= 1e18 ? std::numeric_limits<std::size_t>::max()
                                   : static_cast<std::size_t>(v->get_double());
}

bool json_equal(const json::value& a, const json::value& b)
{
    if (a.is_number() && b.is_number()) {
        if (a.is_double() || b.is_double())
            return to_double(a) == to_double(b);
        if (a.kind() == b.kind())
            return a == b;
        const auto& i = a.is_int64() ? a : b; // one int64, one uint64
        const auto& u = a.is_int64() ? b : a;
        return i.get_int64() >= 0 && static_cast<std::uint64_t>(i.get_int64()) == u.get_uint64();
    }
    if (a.kind() != b.kind())
        return false;
    if (const auto* oa = a.if_object()) {
        const auto& ob = b.get_object();
        if (oa->size() != ob.size())
            return false;
        for (const auto& kv : *oa) {
            const auto* other = ob.if_contains(kv.key());
            if (!other || !json_equal(kv.value(), *other))
                return false;
        }
        return true;
    }
    if (const auto* aa = a.if_array()) {
        const auto& ab = b.get_array();
        if (aa->size() != ab.size())
            return false;
        for (std::size_t i = 0; i < aa->size(); ++i)
            if (!json_equal((*aa)[i], ab[i]))
                return false;
        return true;
    }
    return a == b;
}

bool all_finite(const json::value& v)
{
    if (v.is_double())
        return std::isfinite(v.get_double());
    if (const auto* o = v.if_object())
        return std::all_of(o->begin(), o->end(),
                           [](const json::key_value_pair& kv) { return all_finite(kv.value()); });
    if (const auto* a = v.if_array())
        return std::all_of(a->begin(), a->end(), [](const json::value& e) { return all_finite(e); });
    return true;
}

bool is_multiple(double v, double m)
{
    const double q = v / m;
    if (!std::isfinite(q))
        return false;
    return std::fabs(q - std::round(q)) <= 1e-9 * std::max(1.0, std::fabs(q));
}

namespace {

bool digits(std::string_view s, std::size_t at, std::size_t n)
{
    if (at + n > s.size())
        return false;
    return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(at),
                       s.begin() + static_cast<std::ptrdiff_t>(at + n),
                       [](char c) { return c >= '0' && c <= '9'; });
}

int two(std::string_view s, std::size_t at)
{
    return (s[at] - '0') * 10 + (s[at + 1] - '0');
}

bool date_ok(std::string_view s)
{
    return s.size() == 10 && digits(s, 0, 4) && s[4] == '-' && digits(s, 5, 2) && s[7] == '-' &&
           digits(s, 8, 2) && two(s, 5) >= 1 && two(s, 5) <= 12 && two(s, 8) >= 1 && two(s, 8) <= 31;
}

// HH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
bool time_ok(std::string_view s)
{
    if (!(digits(s, 0, 2) && s.size() > 8 && s[2] == ':' && digits(s, 3, 2) && s[5] == ':' &&
          digits(s, 6, 2)))
        return false;
    if (two(s, 0) > 23 || two(s, 3) > 59 || two(s, 6) > 60)
        return false;
    std::size_t i = 8;
    if (s[i] == '.') {
        const std::size_t start = ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9')
            ++i;
        if (i == start)
            return false;
    }
    const auto zone = s.substr(i);
    if (zone == "Z" || zone == "z")
        return true;
    return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && digits(zone, 1, 2) && zone[3] == ':' &&
           digits(zone, 4, 2) && two(zone, 1) <= 23 && two(zone, 4) <= 59;
}

bool plain_char(char c)
{
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f && std::string_view("\"<>\\^`{|}").find(c) == std::string_view::npos;
}

bool email_ok(std::string_view s)
{
    const auto at = s.find('@');
    if (at == 0 || at == std::string_view::npos || at != s.rfind('@'))
        return false;
    const auto domain = s.substr(at + 1);
    return !domain.empty() && domain.find('.') != std::string_view::npos && domain.front() != '.' &&
           domain.back() != '.' && std::all_of(s.begin(), s.end(), plain_char);
}

bool uri_ok(std::string_view s)
{
    const auto colon = s.find(':');
    if (colon == 0 || colon == std::string_view::npos || colon + 1 == s.size())
        return false;
    const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (!alpha(s[0]))
        return false;
    for (std::size_t i = 1; i < colon; ++i)
        if (!alpha(s[i]) && !(s[i] >= '0' && s[i] <= '9') && s[i] != '+' && s[i] != '-' && s[i] != '.')
            return false;
    return std::all_of(s.begin(), s.end(), plain_char);
}

bool uuid_ok(std::string_view s)
{
    if (s.size() != 36)
        return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        const char c = s[i];
        const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (dash ? c != '-' : !hex)
            return false;
    }
    return true;
}

} // namespace

bool format_ok(std::string_view format, std::string_view s)
{
    if (format == "date-time")
        return s.size() > 11 && (s[10] == 'T' || s[10] == 't') && date_ok(s.substr(0, 10)) &&
               time_ok(s.substr(11));
    if (format == "date")
        return date_ok(s);
    if (format == "time")
        return time_ok(s);
    if (format == "email")
        return email_ok(s);
    if (format == "uri")
        return uri_ok(s);
    if (format == "uuid")
        return uuid_ok(s);
    return true; // not checked
}

} // namespace schema
} // namespace handinger::sim::detail
