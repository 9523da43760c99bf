// The validator of schema_sample.hpp: draft-07's keywords that the
// simulator's structured outputs meet, bounded by depth and work. A keyword
// it cannot evaluate (pattern, a malformed value, a spent budget) makes it
// "unsure", which never turns into an acceptance: not, oneOf and if look
// at it before they negate or count.
#include "schema_walk.hpp"

#include "util/utf8.hpp" // the library's (src/util)

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

bool is_multiple(double v, double m)
{
    const double q = v / m;
    if (!std::isfinite(q))
        return false;
    return std::fabs(q - std::round(q)) <= 1e-9 * std::max(1.0, std::fabs(q));
}

namespace {

// `t` names no type: malformed.
bool has_type(const json::value& v, std::string_view t, bool& bad)
{
    if (t == "null")
        return v.is_null();
    if (t == "boolean")
        return v.is_bool();
    if (t == "object")
        return v.is_object();
    if (t == "array")
        return v.is_array();
    if (t == "string")
        return v.is_string();
    if (t == "number")
        return v.is_number();
    if (t == "integer")
        return is_integer(v);
    bad = true;
    return false;
}

bool type_ok(const json::value& type, const json::value& v, bool& bad)
{
    if (const auto* s = type.if_string())
        return has_type(v, *s, bad);
    const auto* a = type.if_array();
    if (!a || a->empty()) {
        bad = true;
        return false;
    }
    bool any = false;
    for (const auto& t : *a) {
        if (!t.is_string()) {
            bad = true;
            return false;
        }
        any = has_type(v, t.get_string(), bad) || any;
    }
    return any && !bad;
}

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

// exclusiveMinimum/exclusiveMaximum: a number (draft-06 on) or, beside
// minimum/maximum, a boolean (draft-04). `below` is the minimum's side.
bool exclusive_ok(const json::object& s, std::string_view key, const std::optional<double>& bound, double x,
                  bool below, bool& bad)
{
    const auto* e = s.if_contains(key);
    if (!e)
        return true;
    if (e->is_bool())
        return !e->get_bool() || !bound || (below ? x > *bound : x < *bound);
    if (!e->is_number() || !std::isfinite(to_double(*e))) {
        bad = true;
        return false;
    }
    return below ? x > to_double(*e) : x < to_double(*e);
}

} // namespace

bool checker::ok(const json::value& s, const json::value& v, int depth)
{
    if (!work_.spend() || depth > limits_.max_depth)
        return unsure();
    if (const auto* b = s.if_bool())
        return *b;
    const auto* o = s.if_object();
    if (!o)
        return unsure();
    if (const auto* r = o->if_contains("$ref")) { // (draft-07: its siblings are ignored)
        const auto* target = r->is_string() ? resolve_ref(root_, r->get_string()) : nullptr;
        return target ? ok(*target, v, depth + 1) : unsure();
    }
    bool bad = false;
    if (const auto* t = o->if_contains("type"); t && !type_ok(*t, v, bad))
        return bad ? unsure() : false;
    if (const auto* c = o->if_contains("const"); c && !json_equal(*c, v))
        return false;
    if (const auto* e = o->if_contains("enum")) {
        const auto* a = e->if_array();
        if (!a)
            return unsure();
        bool found = false;
        for (const auto& x : *a) {
            if (!work_.spend())
                return unsure();
            if (json_equal(x, v)) {
                found = true;
                break;
            }
        }
        if (!found)
            return false;
    }
    if (v.is_number() && !number_ok(*o, v))
        return false;
    if (const auto* str = v.if_string(); str && !string_ok(*o, *str))
        return false;
    if (const auto* arr = v.if_array(); arr && !array_ok(*o, *arr, depth))
        return false;
    if (v.is_object() && !object_ok(*o, v, depth))
        return false;
    return combinators_ok(*o, v, depth);
}

bool checker::number_ok(const json::object& s, const json::value& v)
{
    const double x = to_double(v);
    bool bad = false;
    const auto lo = number_at(s, "minimum", bad);
    const auto hi = number_at(s, "maximum", bad);
    const auto m = number_at(s, "multipleOf", bad);
    const bool in = (!lo || x >= *lo) && (!hi || x <= *hi) &&
                    exclusive_ok(s, "exclusiveMinimum", lo, x, true, bad) &&
                    exclusive_ok(s, "exclusiveMaximum", hi, x, false, bad);
    if (m && *m <= 0)
        bad = true;
    if (bad)
        return unsure();
    return in && (!m || is_multiple(x, *m));
}

bool checker::string_ok(const json::object& s, std::string_view v)
{
    if (s.contains("pattern"))
        return unsure(); // no regular expressions here
    bool bad = false;
    const auto lo = count_at(s, "minLength", bad);
    const auto hi = count_at(s, "maxLength", bad);
    const auto* f = s.if_contains("format");
    if (bad || (f && !f->is_string()))
        return unsure();
    const std::size_t len = handinger::detail::utf8_length(v);
    return (!lo || len >= *lo) && (!hi || len <= *hi) && (!f || format_ok(f->get_string(), v));
}

bool checker::array_ok(const json::object& s, const json::array& v, int depth)
{
    bool bad = false;
    const auto lo = count_at(s, "minItems", bad);
    const auto hi = count_at(s, "maxItems", bad);
    if (bad)
        return unsure();
    if ((lo && v.size() < *lo) || (hi && v.size() > *hi))
        return false;
    if (const auto* u = s.if_contains("uniqueItems"); u && u->is_bool() && u->get_bool()) {
        for (std::size_t i = 0; i < v.size(); ++i)
            for (std::size_t j = i + 1; j < v.size(); ++j) {
                if (!work_.spend())
                    return unsure();
                if (json_equal(v[i], v[j]))
                    return false;
            }
    }
    if (const auto* items = s.if_contains("items")) {
        if (const auto* tuple = items->if_array()) {
            const auto* more = s.if_contains("additionalItems");
            for (std::size_t i = 0; i < v.size(); ++i) {
                const json::value* sub = i < tuple->size() ? &(*tuple)[i] : more;
                if (sub && !ok(*sub, v[i], depth + 1))
                    return false;
            }
        } else {
            for (const auto& e : v)
                if (!ok(*items, e, depth + 1))
                    return false;
        }
    }
    if (const auto* c = s.if_contains("contains"))
        return std::any_of(v.begin(), v.end(), [&](const json::value& e) { return ok(*c, e, depth + 1); });
    return true;
}

bool checker::object_ok(const json::object& s, const json::value& whole, int depth)
{
    const auto& v = whole.get_object();
    if (s.contains("patternProperties"))
        return unsure(); // no regular expressions here
    bool bad = false;
    const auto lo = count_at(s, "minProperties", bad);
    const auto hi = count_at(s, "maxProperties", bad);
    if (bad)
        return unsure();
    if ((lo && v.size() < *lo) || (hi && v.size() > *hi))
        return false;
    if (const auto* req = s.if_contains("required")) {
        const auto* names = req->if_array();
        if (!names)
            return unsure();
        for (const auto& n : *names) {
            if (!n.is_string())
                return unsure();
            if (!v.contains(n.get_string()))
                return false;
        }
    }
    const auto* props_v = s.if_contains("properties");
    const auto* props = props_v ? props_v->if_object() : nullptr;
    if (props_v && !props)
        return unsure();
    const auto* more = s.if_contains("additionalProperties");
    const auto* names = s.if_contains("propertyNames");
    for (const auto& kv : v) {
        const json::value* sub = props ? props->if_contains(kv.key()) : nullptr;
        if (!sub)
            sub = more;
        if (sub && !ok(*sub, kv.value(), depth + 1))
            return false;
        if (names && !ok(*names, json::value(json::string(kv.key())), depth + 1))
            return false;
    }
    if (const auto* deps_v = s.if_contains("dependencies")) {
        const auto* deps = deps_v->if_object();
        if (!deps)
            return unsure();
        for (const auto& kv : *deps) {
            if (!v.contains(kv.key()))
                continue;
            if (const auto* list = kv.value().if_array()) {
                for (const auto& n : *list)
                    if (!n.is_string() || !v.contains(n.get_string()))
                        return n.is_string() ? false : unsure();
            } else if (!ok(kv.value(), whole, depth + 1)) {
                return false;
            }
        }
    }
    return true;
}

bool checker::combinators_ok(const json::object& s, const json::value& v, int depth)
{
    // Each list keyword wants a non-empty array of schemas.
    const auto list = [&](std::string_view key, const json::array*& out) {
        const auto* x = s.if_contains(key);
        out = x ? x->if_array() : nullptr;
        return !x || (out && !out->empty());
    };
    const json::array *all = nullptr, *any = nullptr, *one = nullptr;
    if (!list("allOf", all) || !list("anyOf", any) || !list("oneOf", one))
        return unsure();
    if (all)
        for (const auto& sub : *all)
            if (!ok(sub, v, depth + 1))
                return false;
    if (any &&
        std::none_of(any->begin(), any->end(), [&](const json::value& sub) { return ok(sub, v, depth + 1); }))
        return false;
    if (one) {
        int n = 0;
        bool in_doubt = false;
        for (const auto& sub : *one) {
            n += sure(sub, v, depth + 1, in_doubt) ? 1 : 0;
            if (n > 1)
                return false;
        }
        if (n != 1 || in_doubt)
            return n == 1 ? unsure() : false;
    }
    if (const auto* n = s.if_contains("not")) {
        bool in_doubt = false;
        const bool r = sure(*n, v, depth + 1, in_doubt);
        if (in_doubt)
            return unsure();
        if (r)
            return false;
    }
    if (const auto* cond = s.if_contains("if")) {
        bool in_doubt = false;
        const bool r = sure(*cond, v, depth + 1, in_doubt);
        if (in_doubt)
            return unsure();
        const auto* branch = s.if_contains(r ? "then" : "else");
        return !branch || ok(*branch, v, depth + 1);
    }
    return true;
}

bool checker::sure(const json::value& s, const json::value& v, int depth, bool& in_doubt)
{
    const bool saved = unsure_;
    unsure_ = false;
    const bool r = ok(s, v, depth);
    in_doubt = in_doubt || unsure_;
    unsure_ = saved || unsure_;
    return r;
}

} // namespace schema

bool schema_accepts(const boost::json::value& schema, const boost::json::value& v,
                    const schema_limits& limits)
{
    schema::budget work{limits.max_work};
    schema::checker c(schema, limits, work);
    return c.ok(schema, v, 0);
}

} // namespace handinger::sim::detail
