// Structured output, typed: a worker with an output schema makes each run's
// `structured_output` (and each turn's) a JSON object; read_structured reads
// it into a type of the caller's own, described with Boost.Describe:
//
//     struct line { std::string item; int quantity; std::optional<double> price; };
//     BOOST_DESCRIBE_STRUCT(line, (), (item, quantity, price))
//     struct invoice { std::string vendor; std::vector<line> lines; };
//     BOOST_DESCRIBE_STRUCT(invoice, (), (vendor, lines))
//
//     auto inv = run.structured_output_as<invoice>(); // throws api_error on a mismatch
//
// The reading is lenient where a schema's answer varies and strict where the
// type says so:
// - a described struct reads a JSON object, one key per member, named as the
//   member; keys the struct does not name are ignored; a missing key is an
//   error unless the member is a std::optional (then nullopt);
// - std::optional<T>: null or missing is nullopt, anything else must be a T;
// - std::string, bool; integers (a number with no fraction, 3.0 included,
//   within the type's range); floating point (any finite number);
// - std::vector<T> reads an array; std::map<std::string, T> an object;
// - an enum described with BOOST_DESCRIBE_ENUM reads one of its names;
// - boost::json::value, object, array are kept as they are;
// - anything else goes through boost::json::value_to.
// A mismatch names the path of the first problem:
// "structured_output.lines[2].quantity: expected integer, got string".
#pragma once

#include <handinger/detail/json_read.hpp>
#include <handinger/error.hpp>
#include <handinger/models.hpp>

#include <boost/describe/enum.hpp>
#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/describe/modifiers.hpp>
#include <boost/json/value_to.hpp>
#include <boost/mp11/algorithm.hpp>

#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace handinger {
namespace detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

template <class T>
struct is_string_map : std::false_type {};
template <class T, class C, class A>
struct is_string_map<std::map<std::string, T, C, A>> : std::true_type {};

template <class T>
using described_members =
    boost::describe::describe_members<T, boost::describe::mod_public | boost::describe::mod_inherited>;

template <class T>
bool read_structured(const json::value& v, T& out, const json_path& at, std::string& what);

template <class T>
bool read_struct(const json::value& v, T& out, const json_path& at, std::string& what)
{
    const auto* o = v.if_object();
    if (!o)
        return fail_type(at, "object", v, what);
    bool ok = true;
    boost::mp11::mp_for_each<described_members<T>>([&](auto d) {
        if (!ok)
            return;
        auto& member = out.*d.pointer;
        using member_t = std::remove_cvref_t<decltype(member)>;
        json_path child{&at, d.name};
        const json::value* mv = o->if_contains(d.name);
        if (!mv) {
            if constexpr (is_optional<member_t>::value)
                member.reset();
            else
                ok = fail(child, "missing", what);
            return;
        }
        ok = read_structured(*mv, member, child, what);
    });
    return ok;
}

template <class T>
bool read_structured(const json::value& v, T& out, const json_path& at, std::string& what)
{
    if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string> ||
                  std::is_same_v<T, json::value> || std::is_same_v<T, json::object> ||
                  std::is_same_v<T, json::array>) {
        return read_value(v, out, at, what);
    } else if constexpr (std::is_integral_v<T>) {
        std::int64_t i = 0;
        if constexpr (std::is_unsigned_v<T>) {
            // Above int64's range, an unsigned 64-bit integer is read as such.
            if (v.is_uint64()) {
                if (v.get_uint64() > std::numeric_limits<T>::max())
                    return fail(at, "integer out of range: " + std::to_string(v.get_uint64()), what);
                out = static_cast<T>(v.get_uint64());
                return true;
            }
        }
        if (!read_value(v, i, at, what))
            return false;
        if (std::cmp_less(i, std::numeric_limits<T>::min()) ||
            std::cmp_greater(i, std::numeric_limits<T>::max()))
            return fail(at, "integer out of range: " + std::to_string(i), what);
        out = static_cast<T>(i);
        return true;
    } else if constexpr (std::is_floating_point_v<T>) {
        double d = 0;
        if (!read_value(v, d, at, what))
            return false;
        out = static_cast<T>(d);
        return true;
    } else if constexpr (is_optional<T>::value) {
        if (v.is_null()) {
            out.reset();
            return true;
        }
        return read_structured(v, out.emplace(), at, what);
    } else if constexpr (is_vector<T>::value) {
        const auto* a = v.if_array();
        if (!a)
            return fail_type(at, "array", v, what);
        out.clear();
        out.reserve(a->size());
        for (std::size_t i = 0; i < a->size(); ++i) {
            json_path item{&at, {}, i, true};
            if (!read_structured((*a)[i], out.emplace_back(), item, what))
                return false;
        }
        return true;
    } else if constexpr (is_string_map<T>::value) {
        const auto* o = v.if_object();
        if (!o)
            return fail_type(at, "object", v, what);
        out.clear();
        for (const auto& kv : *o) {
            json_path child{&at, kv.key()};
            if (!read_structured(kv.value(), out[std::string(kv.key())], child, what))
                return false;
        }
        return true;
    } else if constexpr (std::is_enum_v<T> && boost::describe::has_describe_enumerators<T>::value) {
        const auto* s = v.if_string();
        if (!s)
            return fail_type(at, "string", v, what);
        bool found = false;
        boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>([&](auto e) {
            if (!found && *s == e.name) {
                out = e.value;
                found = true;
            }
        });
        return found || fail(at, "unknown value \"" + std::string(*s) + "\"", what);
    } else if constexpr (boost::describe::has_describe_members<T>::value) {
        return read_struct(v, out, at, what);
    } else {
        auto r = json::try_value_to<T>(v);
        if (!r)
            return fail(at, r.error().message(), what);
        out = std::move(*r);
        return true;
    }
}

template <class T>
T structured_as(const std::optional<json::object>& so, std::string_view name, boost::system::error_code& ec,
                diagnostics& diag)
{
    ec = {};
    diag = {};
    T out{};
    json_path top;
    json_path root{&top, name};
    std::string what;
    if (!so) {
        fail(root, "null (the worker has no output schema, or the run has no structured output yet)", what);
    } else {
        // (a json::value view of the object without copying it is not to be
        // had: the copy is what value_to would make anyway)
        json::value v(*so);
        if (read_structured(v, out, root, what))
            return out;
    }
    ec = error::invalid_response;
    diag.client_message = std::move(what);
    return T{};
}

template <class T>
T structured_as(const std::optional<json::object>& so, std::string_view name)
{
    boost::system::error_code ec;
    diagnostics diag;
    T out = structured_as<T>(so, name, ec, diag);
    if (ec)
        throw api_error(ec, std::move(diag));
    return out;
}

} // namespace detail

/// Reads `v` into a T (see the rules above); on a mismatch returns false
/// with `what` naming the path of the first problem, from `root_name` ("":
/// paths start at the value's own keys, "(root)" for the value itself).
template <class T>
bool read_structured(const boost::json::value& v, T& out, std::string& what,
                     std::string_view root_name = "structured_output")
{
    detail::json_path top;
    detail::json_path root{&top, root_name};
    return detail::read_structured(v, out, root_name.empty() ? top : root, what);
}

template <class T>
T run_result::structured_output_as() const
{
    return detail::structured_as<T>(structured_output, "structured_output");
}
template <class T>
T run_result::structured_output_as(boost::system::error_code& ec, diagnostics& diag) const
{
    return detail::structured_as<T>(structured_output, "structured_output", ec, diag);
}
template <class T>
T turn::structured_output_as() const
{
    return detail::structured_as<T>(structured_output, "structuredOutput");
}
template <class T>
T turn::structured_output_as(boost::system::error_code& ec, diagnostics& diag) const
{
    return detail::structured_as<T>(structured_output, "structuredOutput", ec, diag);
}

} // namespace handinger
