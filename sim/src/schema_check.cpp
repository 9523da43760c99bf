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
    if (v.is_double() && !std::isfinite(v.get_double()))
        return false; // no JSON value
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
