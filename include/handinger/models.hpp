// The Tasks API's types (API.md, "Tasks"). Field names are the wire names in
// snake_case (`completedAt` -> completed_at). JSON conversion lives in
// <handinger/json.hpp>.
//
// Reading rules (lenient): unknown keys are ignored but kept in the `raw`
// object of each top-level model; unknown enum strings are kept raw
// (open_enum). Only the fields the library's logic depends on are strict
// (noted "required" below): they must be present, not null, and of their
// type. Every other field may be null or absent: it then reads as its "unset"
// value (empty string, 0, false, std::nullopt, empty container, JSON null;
// an open_enum reads as `unknown` with an empty raw string), and the model's
// `presence` member says which of value, null or absent arrived. A value of
// the wrong type is an error naming the field's path, in every field.
#pragma once

#include <handinger/attachment.hpp>
#include <handinger/error.hpp>
#include <handinger/field_presence.hpp>
#include <handinger/open_enum.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
/// left out of the JSON. With files, the same fields go as form fields of a
/// multipart/form-data body (the JSON conversions of <handinger/json.hpp>
/// leave `files` out).
struct create_task_params {
    std::string input;                            ///< required, at least 1 character
    std::optional<open_enum<task_budget>> budget; ///< server default: standard
    std::optional<std::string> task_id;           ///< reuse an existing id to add a follow-up turn
    std::optional<std::string> worker_id;         ///< absent: a new worker is made from `input`
    std::vector<attachment> files;                ///< sent as multipart/form-data when not empty

    friend bool operator==(const create_task_params&, const create_task_params&) = default;
};

/// Checks p against the API's rules before any I/O: input, task_id and
/// worker_id at least 1 character, budget one of the four known values;
/// files: at most attachment::max_count, each filename 1..max_filename_size
/// bytes of UTF-8 without control characters nor `%22`/`%0D`/`%0A`, each
/// content_type printable ASCII type/subtype of at most
/// max_content_type_size, and the files in memory within max_size each and
/// max_total_size in all (a path's file is measured when it is read).
/// Returns an empty string when valid, else "field: problem" for the first
/// problem found (e.g. "input: must be at least 1 character",
/// "files[2].filename: must not contain CR or LF").
std::string validate(const create_task_params& p);

/// Reads the file of every attachment given by path into its `content` and
/// clears its `path`, after checking the sizes (each file's and all of them
/// together) from the file system first, so that a file past a limit is not
/// read. A create does this itself when it starts; call it to read the files
/// earlier (a command line tool that reports a missing file before
/// connecting). Returns "" or the first problem, naming the file
/// ("files[1]: cannot read notes.txt: No such file or directory").
std::string load_attachments(create_task_params& p);

/// `Task.totals`: aggregate credit spend, elapsed wall-clock, turn count.
struct task_totals {
    enum class field : std::uint8_t { credits, duration_ms, turn_count };
    static constexpr std::array<std::string_view, 3> field_names{"credits", "durationMs", "turnCount"};

    std::int64_t credits = 0;
    std::int64_t duration_ms = 0;
    std::int64_t turn_count = 0;
    field_presence<field> presence{}; ///< how each field arrived (all value when built in code)

    friend bool operator==(const task_totals& a, const task_totals& b) noexcept
    {
        return a.credits == b.credits && a.duration_ms == b.duration_ms && a.turn_count == b.turn_count;
    }
};

/// API.md "Task". `id` and `status` are required when reading; every other
/// field may be null or absent (see `presence`).
struct task {
    /// The fields that may be null or absent, in wire order.
    enum class field : std::uint8_t {
        completed_at,
        created_at,
        created_by_user_id,
        organization_id,
        title,
        totals,
        triggered_by,
        url,
        worker_id,
    };
    static constexpr std::array<std::string_view, 9> field_names{
        "completedAt", "createdAt", "createdByUserId", "organizationId", "title", "totals",
        "triggeredBy", "url",       "workerId"};

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
    field_presence<field> presence{}; ///< how each field arrived (all value when built in code)

    friend bool operator==(const task& a, const task& b)
    {
        return a.id == b.id && a.completed_at == b.completed_at && a.created_at == b.created_at &&
               a.created_by_user_id == b.created_by_user_id && a.organization_id == b.organization_id &&
               a.status == b.status && a.title == b.title && a.totals == b.totals &&
               a.triggered_by == b.triggered_by && a.url == b.url && a.worker_id == b.worker_id;
    }
};

/// An entry of `Turn.files` (newer service versions). Every field may be
/// null or absent.
struct turn_file {
    enum class field : std::uint8_t { filename, media_type, url, size };
    static constexpr std::array<std::string_view, 4> field_names{"filename", "mediaType", "url", "size"};

    std::optional<std::string> filename;
    std::string media_type;
    std::string url;
    std::optional<std::int64_t> size;
    field_presence<field> presence{}; ///< how each field arrived (all value when built in code)

    friend bool operator==(const turn_file& a, const turn_file& b)
    {
        return a.filename == b.filename && a.media_type == b.media_type && a.url == b.url && a.size == b.size;
    }
};

/// API.md "Turn". `id`, `seq` and `status` are required when reading; every
/// other field may be null or absent (see `presence`).
struct turn {
    /// The fields that may be null or absent, in wire order.
    enum class field : std::uint8_t {
        task_id,
        role,
        input,
        output_text,
        structured_output,
        credits,
        duration_ms,
        input_tokens,
        output_tokens,
        started_at,
        completed_at,
        files,
    };
    static constexpr std::array<std::string_view, 12> field_names{
        "taskId",     "role",        "input",        "outputText", "structuredOutput", "credits",
        "durationMs", "inputTokens", "outputTokens", "startedAt",  "completedAt",      "files"};

    std::string id;
    std::string task_id;
    std::int64_t seq = 0; ///< position in the task, from 0 or 1 upward
    std::string role;
    open_enum<turn_status> status;
    std::string input;
    std::string output_text;                              ///< may grow while the turn runs
    std::optional<boost::json::object> structured_output; ///< null without an output schema

    /// `structured_output` read into a type of the caller's own, described
    /// with Boost.Describe (rules and example: structured_output.hpp).
    /// Throws api_error(error::invalid_response) naming the path of the first
    /// mismatch ("structuredOutput.lines[2].quantity: expected integer, got
    /// string"), or saying it is null.
    template <class T>
    T structured_output_as() const;
    /// The same without throwing: `ec` is error::invalid_response and
    /// `diag.client_message` the problem on a mismatch.
    template <class T>
    T structured_output_as(boost::system::error_code& ec, diagnostics& diag) const;
    std::int64_t credits = 0;
    std::int64_t duration_ms = 0;
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::string started_at; ///< ISO 8601
    std::optional<std::string> completed_at;
    std::vector<turn_file> files;
    field_presence<field> presence{}; ///< how each field arrived (all value when built in code)

    friend bool operator==(const turn& a, const turn& b)
    {
        return a.id == b.id && a.task_id == b.task_id && a.seq == b.seq && a.role == b.role &&
               a.status == b.status && a.input == b.input && a.output_text == b.output_text &&
               a.structured_output == b.structured_output && a.credits == b.credits &&
               a.duration_ms == b.duration_ms && a.input_tokens == b.input_tokens &&
               a.output_tokens == b.output_tokens && a.started_at == b.started_at &&
               a.completed_at == b.completed_at && a.files == b.files;
    }
};

/// `GET /api/tasks/{taskId}`: `{task, turns}`. `task` is required; when the
/// server sends no `turns` key, or `"turns": null`, has_turns is false (the
/// client then fetches them from `/turns`) and `presence` says which.
struct task_with_turns {
    enum class field : std::uint8_t { turns };
    static constexpr std::array<std::string_view, 1> field_names{"turns"};

    handinger::task task;
    std::vector<turn> turns;
    bool has_turns = true;   ///< false when the response carried no "turns" array
    boost::json::object raw; ///< the whole response object as received
    field_presence<field> presence{};

    /// Equality compares the typed fields only, not `raw` nor `presence`.
    friend bool operator==(const task_with_turns& a, const task_with_turns& b)
    {
        return a.task == b.task && a.turns == b.turns && a.has_turns == b.has_turns;
    }
};

/// `GET /api/tasks/{taskId}/turns`: `{taskId, items}`; `items` is required.
struct task_turn_list {
    enum class field : std::uint8_t { task_id };
    static constexpr std::array<std::string_view, 1> field_names{"taskId"};

    std::string task_id;
    std::vector<turn> items;
    boost::json::object raw;
    field_presence<field> presence{};

    friend bool operator==(const task_turn_list& a, const task_turn_list& b)
    {
        return a.task_id == b.task_id && a.items == b.items;
    }
};

/// `DELETE /api/tasks/{taskId}`: `{archived}`. A null or absent `archived`
/// reads as false; `presence` tells it from an explicit false.
struct delete_task_response {
    enum class field : std::uint8_t { archived };
    static constexpr std::array<std::string_view, 1> field_names{"archived"};

    bool archived = false;
    boost::json::object raw;
    field_presence<field> presence{};

    friend bool operator==(const delete_task_response& a, const delete_task_response& b)
    {
        return a.archived == b.archived;
    }
};

/// One content part of a run output message (`output[].content[]`).
struct run_content {
    enum class field : std::uint8_t { type, text };
    static constexpr std::array<std::string_view, 2> field_names{"type", "text"};

    std::string type;
    std::string text;
    field_presence<field> presence{};

    friend bool operator==(const run_content& a, const run_content& b)
    {
        return a.type == b.type && a.text == b.text;
    }
};

/// One message of a run's `output`.
struct run_message {
    enum class field : std::uint8_t { role, content };
    static constexpr std::array<std::string_view, 2> field_names{"role", "content"};

    std::string role;
    std::vector<run_content> content;
    field_presence<field> presence{};

    friend bool operator==(const run_message& a, const run_message& b)
    {
        return a.role == b.role && a.content == b.content;
    }
};

/// `usage` of a run.
struct run_usage {
    enum class field : std::uint8_t { duration_ms };
    static constexpr std::array<std::string_view, 1> field_names{"durationMs"};

    std::optional<std::int64_t> duration_ms;
    field_presence<field> presence{};

    friend bool operator==(const run_usage& a, const run_usage& b) { return a.duration_ms == b.duration_ms; }
};

/// The create response: the "worker run" object of the official SDKs
/// (API.md "The create response"). It carries no task id; the client returns
/// the id it sent beside it. Every field may be null or absent (see
/// `presence`); loosely typed parts (sources, messages, metadata, error,
/// incomplete_details) are kept as JSON.
struct run_result {
    enum class field : std::uint8_t {
        id,
        object,
        status,
        running,
        output_text,
        output,
        structured_output,
        files,
        sources,
        messages,
        metadata,
        url,
        created_at,
        usage,
        error,
        incomplete_details,
    };
    static constexpr std::array<std::string_view, 16> field_names{"id",
                                                                  "object",
                                                                  "status",
                                                                  "running",
                                                                  "output_text",
                                                                  "output",
                                                                  "structured_output",
                                                                  "files",
                                                                  "sources",
                                                                  "messages",
                                                                  "metadata",
                                                                  "url",
                                                                  "created_at",
                                                                  "usage",
                                                                  "error",
                                                                  "incomplete_details"};

    std::string id;
    std::string object; ///< "worker"
    open_enum<run_status> status;
    bool running = false;
    std::string output_text;
    std::vector<run_message> output;
    std::optional<boost::json::object> structured_output; ///< null without an output schema

    /// `structured_output` read into a type of the caller's own, described
    /// with Boost.Describe (rules and example: structured_output.hpp).
    /// Throws api_error(error::invalid_response) naming the path of the first
    /// mismatch ("structured_output.lines[2].quantity: expected integer, got
    /// string"), or saying it is null.
    template <class T>
    T structured_output_as() const;
    /// The same without throwing: `ec` is error::invalid_response and
    /// `diag.client_message` the problem on a mismatch.
    template <class T>
    T structured_output_as(boost::system::error_code& ec, diagnostics& diag) const;
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
    field_presence<field> presence{};

    /// Equality compares the typed fields only, not `raw` nor `presence`.
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

#include <handinger/structured_output.hpp> // the definitions of structured_output_as
