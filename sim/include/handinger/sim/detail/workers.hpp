// The simulator's workers (API.md "Workers"): what it remembers of one, and
// the validation of the bodies that create and update one, without I/O.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace handinger::sim::detail {

/// One worker. Deletion is soft: the record stays, marked deleted.
struct worker_record {
    std::string id;        ///< "wrk_..."
    std::string owner_key; ///< the key that created it: only it may update, delete or read its email
    std::string user_id;   ///< the owner key's user
    std::string instructions;
    std::optional<std::string> output_schema; ///< the schema as JSON text; none: null
    std::string summary;
    std::string title;
    std::string visibility = "public";
    std::int64_t created_ms = 0;
    std::int64_t updated_ms = 0;
    bool deleted = false;
    std::string latest_task; ///< the task of the worker's latest run ("" when none)
};

/// The fields of a create or update body that were given. A string field
/// given is non-null; `schema_given` with a null `schema` clears it (update
/// only).
struct worker_fields {
    std::optional<std::string_view> instructions, prompt, summary, title, visibility;
    bool schema_given = false;
    const boost::json::object* schema = nullptr;
};

/// A rule the body broke: the field's wire name and "field: problem".
struct worker_problem {
    std::string_view field;
    std::string message;
};

/// Reads and checks a create (`update` false) or update body against
/// API.md's limits, lengths counted in characters (code points): strings
/// instructions <= 20,000, prompt <= 10,000 (create only; an update ignores
/// it as any unknown key), summary <= 80, title 1..200, visibility public
/// or private, outputSchema an object (or null, in an update). The first
/// problem found, in wire order, or nothing.
std::optional<worker_problem> read_worker_fields(const boost::json::object& body, bool update,
                                                 worker_fields& out);

} // namespace handinger::sim::detail
