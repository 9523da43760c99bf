// Internal to schema_check.cpp and schema_sample.cpp: what walking a JSON
// Schema needs on both sides (the budget, $ref, numbers, equality) and the
// validator, which the generator checks its values with.
#pragma once

#include <handinger/sim/detail/schema_sample.hpp>
#include <handinger/sim/detail/util.hpp>

#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string_view>

namespace handinger::sim::detail::schema {

namespace json = boost::json;

/// Work left for one generation or validation, shared by both. Once spent,
/// every step fails.
struct budget {
    std::size_t left;
    bool spend()
    {
        if (left == 0)
            return false;
        --left;
        return true;
    }
};

/// The subschema a "$ref" names: "#" or "#/a/b" (a JSON pointer, ~0 and ~1
/// unescaped, array indices in digits) in `root`; null when it names
/// nothing or another document.
const json::value* resolve_ref(const json::value& root, std::string_view ref);

/// A JSON number as a double.
double to_double(const json::value& v);
/// A number with no fractional part (draft-07's integer: 3.0 is one).
bool is_integer(const json::value& v);
/// `o[key]` as a finite number, when present; `bad` set when present but
/// no finite number.
std::optional<double> number_at(const json::object& o, std::string_view key, bool& bad);
/// `o[key]` as a count (a non-negative integer), when present; `bad` set
/// when present but no such integer.
std::optional<std::size_t> count_at(const json::object& o, std::string_view key, bool& bad);
/// JSON Schema's equality: numbers by value (1 equals 1.0), objects
/// whatever their key order.
bool json_equal(const json::value& a, const json::value& b);
/// Whether every number in `v` is finite (JSON text cannot carry the others:
/// a schema parsed leniently may hold 1e999 as infinity).
bool all_finite(const json::value& v);
/// Whether `v` is a multiple of `m` (> 0), allowing for doubles' rounding.
bool is_multiple(double v, double m);
/// Whether string `s` is well-formed for `format`: date-time, date, time
/// (RFC 3339), email, uri, uuid roughly; any other format is not checked.
bool format_ok(std::string_view format, std::string_view s);

// The generator's scalars (schema_scalars.cpp): a value of the type from
// the schema's bounds (minimum, maximum and their exclusive forms,
// multipleOf; minLength, maxLength, format), or nothing when they cannot be
// met. Unbounded, integers fall in 0..100 and numbers in 0..1000.
std::optional<json::value> sample_integer(const json::object& s, prng& rng);
std::optional<json::value> sample_number(const json::object& s, prng& rng);
std::optional<json::value> sample_string(const json::object& s, prng& rng, std::size_t max_string);

/// The validator (schema_accepts), over a shared budget.
class checker {
public:
    checker(const json::value& root, const schema_limits& limits, budget& work)
        : root_(root), limits_(limits), work_(work)
    {}
    /// Whether `v` validates against `s`, a subschema at `depth`.
    bool ok(const json::value& s, const json::value& v, int depth);

private:
    bool object_ok(const json::object& s, const json::value& whole, int depth);
    bool array_ok(const json::object& s, const json::array& v, int depth);
    bool number_ok(const json::object& s, const json::value& v);
    bool string_ok(const json::object& s, std::string_view v);
    bool combinators_ok(const json::object& s, const json::value& v, int depth);
    // ok() for a negation or a count: `in_doubt` set when the answer is
    // not certain (a keyword not evaluated on the way).
    bool sure(const json::value& s, const json::value& v, int depth, bool& in_doubt);
    // "Cannot tell": not valid, and remembered for sure().
    bool unsure()
    {
        unsure_ = true;
        return false;
    }

    const json::value& root_;
    const schema_limits& limits_;
    budget& work_;
    bool unsure_ = false;
};

} // namespace handinger::sim::detail::schema
