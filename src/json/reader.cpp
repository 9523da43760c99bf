#include "json/reader.hpp"
#include "json/text.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace handinger::detail {
namespace {

std::string format_double(double d)
{
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, r.ptr);
}

// Boost.JSON reads a number too large for a double (1e400) as infinity but
// writes infinity as `Infinity`, which no JSON parser accepts. Refusing
// non-finite numbers in the JSON we keep makes every model written by this
// library readable again.
bool check_finite(const json::value& v, const json_path& at, std::string& what)
{
    switch (v.kind()) {
    case json::kind::double_: return std::isfinite(v.get_double()) || fail(at, "number out of range", what);
    case json::kind::array: {
        const auto& a = v.get_array();
        for (std::size_t i = 0; i < a.size(); ++i) {
            json_path item{&at, {}, i, true};
            if (!check_finite(a[i], item, what))
                return false;
        }
        return true;
    }
    case json::kind::object:
        for (const auto& kv : v.get_object()) {
            json_path child{&at, kv.key()};
            if (!check_finite(kv.value(), child, what))
                return false;
        }
        return true;
    default: return true;
    }
}

// Letters, digits and '_', not starting with a digit: every wire name.
bool is_plain_key(std::string_view k) noexcept
{
    if (k.empty() || (k[0] >= '0' && k[0] <= '9'))
        return false;
    for (char c : k)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    return true;
}

} // namespace

std::string path_string(const json_path& at)
{
    if (!at.parent)
        return "(root)";
    // Nodes from the leaf up; the root itself prints nothing.
    std::vector<const json_path*> nodes;
    for (const json_path* p = &at; p->parent; p = p->parent)
        nodes.push_back(p);
    std::string s;
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
        const json_path& n = **it;
        if (n.is_index) {
            s += '[';
            s += std::to_string(n.index);
            s += ']';
        } else if (is_plain_key(n.key)) {
            if (!s.empty())
                s += '.';
            s.append(n.key.data(), n.key.size());
        } else {
            // A key of JSON kept as JSON can be anything: quoted, it cannot
            // be taken for two keys ("a.b") nor carry a line break into a log.
            s += '[';
            append_json_string(s, n.key);
            s += ']';
        }
    }
    return s;
}

bool fail(const json_path& at, std::string_view problem, std::string& what)
{
    what = path_string(at);
    what += ": ";
    what.append(problem.data(), problem.size());
    return false;
}

std::string_view kind_name(const json::value& v) noexcept
{
    switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
    }
    return "unknown";
}

bool fail_type(const json_path& at, std::string_view expected, const json::value& v, std::string& what)
{
    std::string problem = "expected ";
    problem.append(expected.data(), expected.size());
    problem += ", got ";
    problem += kind_name(v);
    return fail(at, problem, what);
}

bool read_value(const json::value& v, std::string& out, const json_path& at, std::string& what)
{
    const auto* s = v.if_string();
    if (!s)
        return fail_type(at, "string", v, what);
    out.assign(s->data(), s->size());
    return true;
}

bool read_value(const json::value& v, std::int64_t& out, const json_path& at, std::string& what)
{
    switch (v.kind()) {
    case json::kind::int64: out = v.get_int64(); return true;
    case json::kind::uint64: {
        std::uint64_t u = v.get_uint64();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return fail(at, "integer out of range: " + std::to_string(u), what);
        out = static_cast<std::int64_t>(u);
        return true;
    }
    case json::kind::double_: {
        // Some encoders write every number as a double (3.0); an integral
        // value is accepted, a fraction is not.
        double d = v.get_double();
        if (std::trunc(d) != d)
            return fail(at, "expected integer, got number " + format_double(d), what);
        // -2^63 is exact as a double; 2^63 is the first value out of range.
        if (!(d >= -0x1p63 && d < 0x1p63))
            return fail(at, "integer out of range: " + format_double(d), what);
        out = static_cast<std::int64_t>(d);
        return true;
    }
    default: return fail_type(at, "integer", v, what);
    }
}

bool read_value(const json::value& v, bool& out, const json_path& at, std::string& what)
{
    const auto* b = v.if_bool();
    if (!b)
        return fail_type(at, "boolean", v, what);
    out = *b;
    return true;
}

bool read_value(const json::value& v, double& out, const json_path& at, std::string& what)
{
    switch (v.kind()) {
    case json::kind::int64: out = static_cast<double>(v.get_int64()); return true;
    case json::kind::uint64: out = static_cast<double>(v.get_uint64()); return true;
    case json::kind::double_:
        out = v.get_double();
        return std::isfinite(out) || fail(at, "number out of range", what);
    default: return fail_type(at, "number", v, what);
    }
}

bool read_value(const json::value& v, json::object& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    if (!o || !check_finite(v, at, what))
        return false;
    out = *o;
    return true;
}

bool read_value(const json::value& v, json::array& out, const json_path& at, std::string& what)
{
    const auto* a = v.if_array();
    if (!a)
        return fail_type(at, "array", v, what);
    if (!check_finite(v, at, what))
        return false;
    out = *a;
    return true;
}

bool read_value(const json::value& v, json::value& out, const json_path& at, std::string& what)
{
    if (!check_finite(v, at, what))
        return false;
    out = v;
    return true;
}

} // namespace handinger::detail
