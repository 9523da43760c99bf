// Reading the models (the contract is in models.hpp), and the public
// read_json / parse_json entry points.
#include "json/read_top.hpp"

namespace handinger {
namespace detail {

bool read_value(const json::value& v, create_task_params& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .opt("input", out.input)
                    .opt("budget", out.budget)
                    .opt("taskId", out.task_id)
                    .opt("workerId", out.worker_id)
                    .ok();
}

// The strict fields (req) are the ones the library's logic depends on:
// task.id and task.status (waiting, watching, a recovered create's result),
// turn.id, turn.seq and turn.status (the watcher's diff and order, a turn's
// life), task_with_turns.task and task_turn_list.items (the payload). Every
// other field is tolerant (tol): null or absent reads as its unset value and
// is recorded in the model's `presence`.

bool read_value(const json::value& v, task_totals& out, const json_path& at, std::string& what)
{
    using F = task_totals::field;
    auto& p = out.presence;
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .tol("credits", out.credits, p, F::credits)
                    .tol("durationMs", out.duration_ms, p, F::duration_ms)
                    .tol("turnCount", out.turn_count, p, F::turn_count)
                    .ok();
}

bool read_value(const json::value& v, task& out, const json_path& at, std::string& what)
{
    using F = task::field;
    auto& p = out.presence;
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .req("id", out.id)
                    .tol("completedAt", out.completed_at, p, F::completed_at)
                    .tol("createdAt", out.created_at, p, F::created_at)
                    .tol("createdByUserId", out.created_by_user_id, p, F::created_by_user_id)
                    .tol("organizationId", out.organization_id, p, F::organization_id)
                    .req("status", out.status)
                    .tol("title", out.title, p, F::title)
                    .tol("totals", out.totals, p, F::totals)
                    .tol("triggeredBy", out.triggered_by, p, F::triggered_by)
                    .tol("url", out.url, p, F::url)
                    .tol("workerId", out.worker_id, p, F::worker_id)
                    .ok();
}

bool read_value(const json::value& v, turn_file& out, const json_path& at, std::string& what)
{
    using F = turn_file::field;
    auto& p = out.presence;
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .tol("filename", out.filename, p, F::filename)
                    .tol("mediaType", out.media_type, p, F::media_type)
                    .tol("url", out.url, p, F::url)
                    .tol("size", out.size, p, F::size)
                    .ok();
}

bool read_value(const json::value& v, turn& out, const json_path& at, std::string& what)
{
    using F = turn::field;
    auto& p = out.presence;
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .req("id", out.id)
                    .tol("taskId", out.task_id, p, F::task_id)
                    .req("seq", out.seq)
                    .tol("role", out.role, p, F::role)
                    .req("status", out.status)
                    .tol("input", out.input, p, F::input)
                    .tol("outputText", out.output_text, p, F::output_text)
                    .tol("structuredOutput", out.structured_output, p, F::structured_output)
                    .tol("credits", out.credits, p, F::credits)
                    .tol("durationMs", out.duration_ms, p, F::duration_ms)
                    .tol("inputTokens", out.input_tokens, p, F::input_tokens)
                    .tol("outputTokens", out.output_tokens, p, F::output_tokens)
                    .tol("startedAt", out.started_at, p, F::started_at)
                    .tol("completedAt", out.completed_at, p, F::completed_at)
                    .tol("files", out.files, p, F::files)
                    .ok();
}

bool read_value(const json::value& v, task_with_turns& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    if (!o)
        return false;
    // Without a "turns" array (absent: the `{task}` answer of newer
    // services; or null) the caller asks /turns.
    bool ok = object_reader(*o, at, what)
                  .req("task", out.task)
                  .tol("turns", out.turns, out.presence, task_with_turns::field::turns)
                  .ok();
    out.has_turns = out.presence.has_value(task_with_turns::field::turns);
    return ok;
}

bool read_value(const json::value& v, task_turn_list& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .tol("taskId", out.task_id, out.presence, task_turn_list::field::task_id)
                    .req("items", out.items)
                    .ok();
}

bool read_value(const json::value& v, delete_task_response& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .tol("archived", out.archived, out.presence, delete_task_response::field::archived)
                    .ok();
}

bool read_value(const json::value& v, run_content& out, const json_path& at, std::string& what)
{
    using F = run_content::field;
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .tol("type", out.type, out.presence, F::type)
                    .tol("text", out.text, out.presence, F::text)
                    .ok();
}

bool read_value(const json::value& v, run_message& out, const json_path& at, std::string& what)
{
    using F = run_message::field;
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .tol("role", out.role, out.presence, F::role)
                    .tol("content", out.content, out.presence, F::content)
                    .ok();
}

bool read_value(const json::value& v, run_usage& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .tol("durationMs", out.duration_ms, out.presence, run_usage::field::duration_ms)
                    .ok();
}

// Every field of the run object is tolerant (the official SDKs type it
// loosely, and the library only hands it to the caller); only a value of
// the wrong type is an error.
bool read_value(const json::value& v, run_result& out, const json_path& at, std::string& what)
{
    using F = run_result::field;
    auto& p = out.presence;
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .tol("id", out.id, p, F::id)
                    .tol("object", out.object, p, F::object)
                    .tol("status", out.status, p, F::status)
                    .tol("running", out.running, p, F::running)
                    .tol("output_text", out.output_text, p, F::output_text)
                    .tol("output", out.output, p, F::output)
                    .tol("structured_output", out.structured_output, p, F::structured_output)
                    .tol("files", out.files, p, F::files)
                    .tol("sources", out.sources, p, F::sources)
                    .tol("messages", out.messages, p, F::messages)
                    .tol("metadata", out.metadata, p, F::metadata)
                    .tol("url", out.url, p, F::url)
                    .tol("created_at", out.created_at, p, F::created_at)
                    .tol("usage", out.usage, p, F::usage)
                    .tol("error", out.error, p, F::error)
                    .tol("incomplete_details", out.incomplete_details, p, F::incomplete_details)
                    .ok();
}

// A worker: its id is strict (the handle for every later call), the rest
// tolerant.
bool read_value(const json::value& v, worker_template& out, const json_path& at, std::string& what)
{
    using F = worker_template::field;
    auto& p = out.presence;
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .req("id", out.id)
                    .tol("createdAt", out.created_at, p, F::created_at)
                    .tol("instructions", out.instructions, p, F::instructions)
                    .tol("organizationId", out.organization_id, p, F::organization_id)
                    .tol("outputSchema", out.output_schema, p, F::output_schema)
                    .tol("summary", out.summary, p, F::summary)
                    .tol("title", out.title, p, F::title)
                    .tol("updatedAt", out.updated_at, p, F::updated_at)
                    .tol("url", out.url, p, F::url)
                    .tol("userId", out.user_id, p, F::user_id)
                    .tol("visibility", out.visibility, p, F::visibility)
                    .ok();
}

bool read_value(const json::value& v, delete_worker_response& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .tol("deleted", out.deleted, out.presence, delete_worker_response::field::deleted)
                    .ok();
}

// The address is the whole answer: required.
bool read_value(const json::value& v, worker_email& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what).req("email", out.email).ok();
}

} // namespace detail

HANDINGER_INSTANTIATE_READ(create_task_params)
HANDINGER_INSTANTIATE_READ(task_totals)
HANDINGER_INSTANTIATE_READ(task)
HANDINGER_INSTANTIATE_READ(turn_file)
HANDINGER_INSTANTIATE_READ(turn)
HANDINGER_INSTANTIATE_READ(task_with_turns)
HANDINGER_INSTANTIATE_READ(task_turn_list)
HANDINGER_INSTANTIATE_READ(delete_task_response)
HANDINGER_INSTANTIATE_READ(run_content)
HANDINGER_INSTANTIATE_READ(run_message)
HANDINGER_INSTANTIATE_READ(run_usage)
HANDINGER_INSTANTIATE_READ(run_result)
HANDINGER_INSTANTIATE_READ(worker_template)
HANDINGER_INSTANTIATE_READ(delete_worker_response)
HANDINGER_INSTANTIATE_READ(worker_email)

#undef HANDINGER_INSTANTIATE_READ

} // namespace handinger
