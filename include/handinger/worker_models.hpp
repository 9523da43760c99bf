// The Workers resource's types (API.md "Workers"): the bodies of a create
// and an update, and what the service answers. A worker's retrieve answers
// the run object, handinger::run_result (models.hpp). The reading rules of
// models.hpp apply (lenient, unknown keys kept in `raw`, unknown enum
// strings kept raw, `presence` says how each tolerant field arrived); JSON
// conversion lives in <handinger/json.hpp>.
#pragma once

#include <handinger/field_presence.hpp>
#include <handinger/nullable_update.hpp>
#include <handinger/open_enum.hpp>

#include <boost/json/object.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace handinger {

/// Who may use a worker (`visibility`). The enumerators carry a trailing
/// underscore because `public` and `private` are keywords; their wire names
/// are "public" and "private".
enum class worker_visibility { public_, private_, unknown };

template <>
struct enum_traits<worker_visibility> {
    static constexpr std::array<std::string_view, 2> names{"public", "private"};
};

/// The service's limits on a worker's fields, in characters (Unicode code
/// points of the UTF-8 text).
struct worker_limits {
    static constexpr std::size_t max_instructions = 20'000;
    static constexpr std::size_t max_prompt = 10'000;
    static constexpr std::size_t max_summary = 80;
    static constexpr std::size_t min_title = 1;
    static constexpr std::size_t max_title = 200;
};

/// The body of `POST /api/workers` (API.md "CreateWorker"). Every field is
/// optional; absent ones are left out of the JSON.
struct create_worker_params {
    /// The worker's instructions, kept verbatim; at most 20,000 characters.
    std::optional<std::string> instructions;
    /// At most 10,000 characters. When `instructions` is absent the service
    /// writes them (and maybe an output schema) from this prompt.
    std::optional<std::string> prompt;
    /// A JSON Schema (draft-07) object: every task's answer is then validated
    /// against it and exposed as `structured_output`.
    std::optional<boost::json::object> output_schema;
    std::optional<std::string> summary; ///< at most 80 characters
    std::optional<std::string> title;   ///< 1 to 200 characters; a random name when absent
    std::optional<open_enum<worker_visibility>> visibility; ///< the service's default: public

    friend bool operator==(const create_worker_params&, const create_worker_params&) = default;
};

/// The body of `PATCH /api/workers/{id}` (API.md "UpdateWorker"): only the
/// fields given change; absent ones are left out of the JSON. The same
/// fields and limits as create_worker_params, but `prompt`; the output
/// schema may also be cleared (`output_schema = nullptr` sends
/// `"outputSchema": null`). An update that gives nothing is valid (the
/// service answers the worker unchanged).
struct update_worker_params {
    std::optional<std::string> instructions; ///< at most 20,000 characters
    nullable_update<boost::json::object> output_schema;
    std::optional<std::string> summary; ///< at most 80 characters
    std::optional<std::string> title;   ///< 1 to 200 characters
    std::optional<open_enum<worker_visibility>> visibility;

    friend bool operator==(const update_worker_params&, const update_worker_params&) = default;
};

/// Checks `p` against the service's limits before any I/O: every string
/// valid UTF-8 and within its length (instructions <= 20,000, prompt <=
/// 10,000, summary <= 80, title 1..200 characters), visibility one of
/// public and private (an unknown value is refused, not sent), numbers in
/// output_schema finite. Returns an empty string when valid, else
/// "field: problem" for the first problem found, with the field's wire name
/// ("title: must be at most 200 characters (got 201)").
std::string validate(const create_worker_params& p);
/// The same rules for an update.
std::string validate(const update_worker_params& p);

/// API.md "WorkerTemplate": what create and update answer. `id` is required
/// when reading; every other field may be null or absent (see `presence`).
struct worker_template {
    /// The fields that may be null or absent, in wire order.
    enum class field : std::uint8_t {
        created_at,
        instructions,
        organization_id,
        output_schema,
        summary,
        title,
        updated_at,
        url,
        user_id,
        visibility,
    };
    static constexpr std::array<std::string_view, 10> field_names{
        "createdAt", "instructions", "organizationId", "outputSchema", "summary", "title",
        "updatedAt", "url",          "userId",         "visibility"};

    std::string id;                        ///< "wrk_..."
    std::optional<std::string> created_at; ///< ISO 8601, or null
    std::string instructions;
    std::string organization_id;
    std::optional<boost::json::object> output_schema; ///< null when the worker has none
    std::string summary;
    std::string title;
    std::optional<std::string> updated_at; ///< ISO 8601, or null
    std::string url;                       ///< the worker's page in the dashboard
    std::string user_id;                   ///< its creator
    open_enum<worker_visibility> visibility;
    boost::json::object raw; ///< the whole response object as received
    field_presence<field> presence{};

    /// Equality compares the typed fields only, not `raw` nor `presence`.
    friend bool operator==(const worker_template& a, const worker_template& b)
    {
        return a.id == b.id && a.created_at == b.created_at && a.instructions == b.instructions &&
               a.organization_id == b.organization_id && a.output_schema == b.output_schema &&
               a.summary == b.summary && a.title == b.title && a.updated_at == b.updated_at &&
               a.url == b.url && a.user_id == b.user_id && a.visibility == b.visibility;
    }
};

/// `DELETE /api/workers/{id}`: `{deleted}`. A null or absent `deleted` reads
/// as false; `presence` tells it from an explicit false.
struct delete_worker_response {
    enum class field : std::uint8_t { deleted };
    static constexpr std::array<std::string_view, 1> field_names{"deleted"};

    bool deleted = false;
    boost::json::object raw;
    field_presence<field> presence{};

    friend bool operator==(const delete_worker_response& a, const delete_worker_response& b)
    {
        return a.deleted == b.deleted;
    }
};

/// `GET /api/workers/{id}/email`: `{email}`, the worker's inbound address
/// (mail sent there starts tasks). `email` is required when reading.
struct worker_email {
    std::string email;
    boost::json::object raw;

    friend bool operator==(const worker_email& a, const worker_email& b) { return a.email == b.email; }
};

} // namespace handinger
