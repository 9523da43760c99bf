// The Tasks API's types (API.md, "Tasks"). Field names are the wire names in
// snake_case (`completedAt` -> completed_at). JSON conversion lives in
// <handinger/json.hpp>.
//
// Reading rules (lenient): unknown keys are ignored but kept in the `raw`
// object of each top-level model; unknown enum strings are kept raw
// (open_enum); a nullable field is std::optional and both `null` and an
// absent key read as std::nullopt; an absent non-nullable field keeps its
// default, except the identity fields noted "required" below; a value of the
// wrong type (including null for a non-nullable field) is an error naming the
// field's path.
#pragma once

#include <handinger/open_enum.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace handinger {

/// Compute budget a task may spend (`budget`).
enum class task_budget { low, standard, high, unlimited, unknown };
/// A task's status; pending and running are live, the rest terminal.
enum class task_status { pending, running, completed, error, aborted, unknown };
/// What started a task (`triggeredBy`).
enum class task_trigger { api, email, schedule, ui, unknown };
/// A worker run's status (the create response's `status`).
enum class run_status { pending, running, completed, unknown };
/// A turn's status; free-form in the reference, these are the known values.
enum class turn_status { pending, running, completed, error, unknown };

template <>
struct enum_traits<task_budget> {
    static constexpr std::array<std::string_view, 4> names{"low", "standard", "high", "unlimited"};
};
template <>
struct enum_traits<task_status> {
    static constexpr std::array<std::string_view, 5> names{"pending", "running", "completed", "error",
                                                           "aborted"};
};
template <>
struct enum_traits<task_trigger> {
    static constexpr std::array<std::string_view, 4> names{"api", "email", "schedule", "ui"};
};
template <>
struct enum_traits<run_status> {
    static constexpr std::array<std::string_view, 3> names{"pending", "running", "completed"};
};
template <>
struct enum_traits<turn_status> {
    static constexpr std::array<std::string_view, 4> names{"pending", "running", "completed", "error"};
};

/// True for completed, error, aborted, and any status this library does not
/// know (so that nothing waits forever on a status added later).
constexpr bool is_terminal(const open_enum<task_status>& s) noexcept
{
    return s.value() != task_status::pending && s.value() != task_status::running;
}

/// The body of `POST /api/tasks` (API.md "CreateTask"). Absent optionals are
/// left out of the JSON.
struct create_task_params {
    std::string input;                            ///< required, at least 1 character
    std::optional<open_enum<task_budget>> budget; ///< server default: standard
    std::optional<std::string> task_id;           ///< reuse an existing id to add a follow-up turn
    std::optional<std::string> worker_id;         ///< absent: a new worker is made from `input`

    friend bool operator==(const create_task_params&, const create_task_params&) = default;
};

/// Checks p against the API's rules before any I/O: input, task_id and
/// worker_id at least 1 character, budget one of the four known values.
/// Returns an empty string when valid, else "field: problem" for the first
/// problem found (e.g. "input: must be at least 1 character").
std::string validate(const create_task_params& p);

/// `Task.totals`: aggregate credit spend, elapsed wall-clock, turn count.
struct task_totals {
    std::int64_t credits = 0;
    std::int64_t duration_ms = 0;
    std::int64_t turn_count = 0;

    friend bool operator==(const task_totals&, const task_totals&) = default;
};

/// API.md "Task". `id` and `status` are required when reading.
struct task {
    std::string id;
    std::optional<std::string> completed_at; ///< ISO 8601, null while live
    std::string created_at;                  ///< ISO 8601
    std::optional<std::string> created_by_user_id;
    std::string organization_id;
    open_enum<task_status> status;
    std::string title;
    task_totals totals;
    open_enum<task_trigger> triggered_by;
    std::string url; ///< the task's page in the dashboard
    std::string worker_id;

    friend bool operator==(const task&, const task&) = default;
};

/// An entry of `Turn.files` (newer service versions).
struct turn_file {
    std::optional<std::string> filename;
    std::string media_type;
    std::string url;
    std::optional<std::int64_t> size;

    friend bool operator==(const turn_file&, const turn_file&) = default;
};

/// API.md "Turn". `id` and `seq` are required when reading.
struct turn {
    std::string id;
    std::string task_id;
    std::int64_t seq = 0; ///< position in the task, from 0 or 1 upward
    std::string role;
    open_enum<turn_status> status;
    std::string input;
    std::string output_text;                              ///< may grow while the turn runs
    std::optional<boost::json::object> structured_output; ///< null without an output schema
    std::int64_t credits = 0;
    std::int64_t duration_ms = 0;
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::string started_at; ///< ISO 8601
    std::optional<std::string> completed_at;
    std::vector<turn_file> files;

    friend bool operator==(const turn&, const turn&) = default;
};

/// `GET /api/tasks/{taskId}`: `{task, turns}`. `task` is required; when the
/// server sends no `turns` key, has_turns is false (the client then fetches
/// them from `/turns`).
struct task_with_turns {
    handinger::task task;
    std::vector<turn> turns;
    bool has_turns = true;   ///< false when the response carried no "turns" key
    boost::json::object raw; ///< the whole response object as received

    /// Equality compares the typed fields only, not `raw`.
    friend bool operator==(const task_with_turns& a, const task_with_turns& b)
    {
        return a.task == b.task && a.turns == b.turns && a.has_turns == b.has_turns;
    }
};

/// `GET /api/tasks/{taskId}/turns`: `{taskId, items}`; `items` is required.
struct task_turn_list {
    std::string task_id;
    std::vector<turn> items;
    boost::json::object raw;

    friend bool operator==(const task_turn_list& a, const task_turn_list& b)
    {
        return a.task_id == b.task_id && a.items == b.items;
    }
};

/// `DELETE /api/tasks/{taskId}`: `{archived}`.
struct delete_task_response {
    bool archived = false;
    boost::json::object raw;

    friend bool operator==(const delete_task_response& a, const delete_task_response& b)
    {
        return a.archived == b.archived;
    }
};

/// One content part of a run output message (`output[].content[]`).
struct run_content {
    std::string type;
    std::string text;

    friend bool operator==(const run_content&, const run_content&) = default;
};

/// One message of a run's `output`.
struct run_message {
    std::string role;
    std::vector<run_content> content;

    friend bool operator==(const run_message&, const run_message&) = default;
};

/// `usage` of a run.
struct run_usage {
    std::optional<std::int64_t> duration_ms;

    friend bool operator==(const run_usage&, const run_usage&) = default;
};

/// The create response: the "worker run" object of the official SDKs
/// (API.md "The create response"). It carries no task id; the client returns
/// the id it sent beside it. Every field is optional on the wire, and null
/// reads as absent (the default); loosely typed parts (sources, messages, metadata, error,
/// incomplete_details) are kept as JSON.
struct run_result {
    std::string id;
    std::string object; ///< "worker"
    open_enum<run_status> status;
    bool running = false;
    std::string output_text;
    std::vector<run_message> output;
    std::optional<boost::json::object> structured_output;
    std::vector<turn_file> files;
    boost::json::array sources;
    boost::json::array messages;
    boost::json::object metadata;
    std::string url;
    std::optional<double> created_at; ///< seconds since the epoch, or null
    run_usage usage;
    boost::json::value error;              ///< null when none
    boost::json::value incomplete_details; ///< null when none
    boost::json::object raw;

    /// Equality compares the typed fields only, not `raw`.
    friend bool operator==(const run_result& a, const run_result& b)
    {
        return a.id == b.id && a.object == b.object && a.status == b.status && a.running == b.running &&
               a.output_text == b.output_text && a.output == b.output &&
               a.structured_output == b.structured_output && a.files == b.files && a.sources == b.sources &&
               a.messages == b.messages && a.metadata == b.metadata && a.url == b.url &&
               a.created_at == b.created_at && a.usage == b.usage && a.error == b.error &&
               a.incomplete_details == b.incomplete_details;
    }
};

} // namespace handinger
