// A worker's output schema (JSON Schema draft-07) made concrete: a value
// that validates against it, generated deterministically from a seed, for
// the structured output of the simulator's runs; and the small validator
// that the generator checks its own values with. Pure functions, no I/O.
//
// The schema comes from a client, so both are bounded whatever it holds:
// a depth (nested subschemas, each `$ref` followed counting as one level)
// and a work budget (subschemas visited, by the generator and the
// validator together), past which they fail rather than hang; the
// generated value is at most `max_nodes` JSON values, strings at most
// `max_string` characters.
//
// Supported: boolean schemas; `type` (one name or an array of them);
// `enum`, `const`; `minimum`, `maximum`, `exclusiveMinimum`,
// `exclusiveMaximum` (numbers, or draft-04's booleans), `multipleOf`;
// `minLength`, `maxLength` (in characters), `format` (date-time, date,
// time, email, uri, uuid: generated well-formed and checked roughly;
// other formats are not checked); `properties`, `required`,
// `additionalProperties`, `minProperties`, `maxProperties`,
// `dependencies`, `propertyNames`; `items` (one schema or a tuple),
// `additionalItems`, `minItems`, `maxItems`, `uniqueItems`, `contains`;
// `allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`; `$ref` to a JSON
// pointer in the same document ("#", "#/definitions/line", "#/$defs/x").
// Not supported: `pattern` and `patternProperties` (no regular
// expressions: a value is never taken to match one), `$ref` to another
// document. Unknown keywords (title, description, ...) are ignored, as
// the draft says.
#pragma once

#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace handinger::sim::detail {

/// The bounds of one generation or validation.
struct schema_limits {
    int max_depth = 24;             ///< nested subschemas, $ref hops included
    std::size_t max_work = 100'000; ///< subschemas visited, generation and checks together
    std::size_t max_nodes = 1'000;  ///< JSON values in a generated value
    std::size_t max_string = 4'096; ///< characters of one generated string
    std::size_t max_items = 256;    ///< elements of one generated array
};

/// Whether `v` validates against `schema` (the keywords listed above). A
/// schema that is malformed where it matters (a `type` that names no type,
/// a `minimum` that is no number, a `$ref` that resolves to nothing), or
/// that uses an unsupported keyword on the way, or that runs out of depth
/// or work, does not accept: false means "not shown valid".
bool schema_accepts(const boost::json::value& schema, const boost::json::value& v,
                    const schema_limits& limits = {});

/// A value that validates against `schema` (schema_accepts holds for it),
/// the same for the same seed; nothing when the schema cannot be satisfied
/// within the limits (or at all: `false`, `{"minimum": 2, "maximum": 1}`,
/// a `pattern` on a required string).
///
/// Required properties are always filled; optional ones too while the
/// value is shallow (depth below half of max_depth) and small, so that a
/// recursive schema ends. Arrays get 1 to 3 elements unless their bounds
/// say otherwise; strings are plain ASCII words; unbounded numbers fall in
/// 0..100 (integers) or 0..1000 (numbers, with two decimals).
std::optional<boost::json::value> sample_schema(const boost::json::value& schema, std::uint64_t seed,
                                                const schema_limits& limits = {});

/// How many JSON values `v` holds, itself included (what max_nodes counts).
std::size_t json_values(const boost::json::value& v);

/// The simulator's structured output for a worker's schema: the sample's
/// compact JSON when there is one and it is an object (the service's
/// structured output is an object), else the fallback "{}" (a schema that
/// is unsatisfiable, unsupported, or whose root is not an object),
/// `fallback` then set.
std::string structured_output_text(const boost::json::value& schema, std::uint64_t seed, bool& fallback);

} // namespace handinger::sim::detail
