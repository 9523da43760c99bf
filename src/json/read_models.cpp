// Reading the models (the contract is in models.hpp), and the public
// read_json / parse_json entry points.
#include "json/reader.hpp"

#include <handinger/error.hpp>
#include <handinger/json.hpp>

#include <memory>
#include <type_traits>
#include <utility>

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

bool read_value(const json::value& v, task_totals& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .opt("credits", out.credits)
                    .opt("durationMs", out.duration_ms)
                    .opt("turnCount", out.turn_count)
                    .ok();
}

bool read_value(const json::value& v, task& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .req("id", out.id)
                    .opt("completedAt", out.completed_at)
                    .opt("createdAt", out.created_at)
                    .opt("createdByUserId", out.created_by_user_id)
                    .opt("organizationId", out.organization_id)
                    .req("status", out.status)
                    .opt("title", out.title)
                    .opt("totals", out.totals)
                    .opt("triggeredBy", out.triggered_by)
                    .opt("url", out.url)
                    .opt("workerId", out.worker_id)
                    .ok();
}

bool read_value(const json::value& v, turn_file& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .opt("filename", out.filename)
                    .opt("mediaType", out.media_type)
                    .opt("url", out.url)
                    .opt("size", out.size)
                    .ok();
}

bool read_value(const json::value& v, turn& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .req("id", out.id)
                    .opt("taskId", out.task_id)
                    .req("seq", out.seq)
                    .opt("role", out.role)
                    .opt("status", out.status)
                    .opt("input", out.input)
                    .opt("outputText", out.output_text)
                    .opt("structuredOutput", out.structured_output)
                    .opt("credits", out.credits)
                    .opt("durationMs", out.duration_ms)
                    .opt("inputTokens", out.input_tokens)
                    .opt("outputTokens", out.output_tokens)
                    .opt("startedAt", out.started_at)
                    .opt("completedAt", out.completed_at)
                    .opt("files", out.files)
                    .ok();
}

bool read_value(const json::value& v, task_with_turns& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    if (!o)
        return false;
    // An absent "turns" is a valid answer of newer services: the caller then
    // asks /turns. A present one must be an array (null is an error).
    out.has_turns = o->contains("turns");
    return object_reader(*o, at, what).req("task", out.task).opt("turns", out.turns).ok();
}

bool read_value(const json::value& v, task_turn_list& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what).opt("taskId", out.task_id).req("items", out.items).ok();
}

bool read_value(const json::value& v, delete_task_response& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what).opt("archived", out.archived).ok();
}

bool read_value(const json::value& v, run_content& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what).opt("type", out.type).opt("text", out.text).ok();
}

bool read_value(const json::value& v, run_message& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what).opt("role", out.role).opt("content", out.content).ok();
}

bool read_value(const json::value& v, run_usage& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what).opt("durationMs", out.duration_ms).ok();
}

// Every field of the run object may be absent or null (the official SDKs type
// it loosely); only a value of the wrong type is an error.
bool read_value(const json::value& v, run_result& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .loose("id", out.id)
                    .loose("object", out.object)
                    .loose("status", out.status)
                    .loose("running", out.running)
                    .loose("output_text", out.output_text)
                    .loose("output", out.output)
                    .opt("structured_output", out.structured_output)
                    .loose("files", out.files)
                    .loose("sources", out.sources)
                    .loose("messages", out.messages)
                    .loose("metadata", out.metadata)
                    .loose("url", out.url)
                    .opt("created_at", out.created_at)
                    .loose("usage", out.usage)
                    .opt("error", out.error)
                    .opt("incomplete_details", out.incomplete_details)
                    .ok();
}

namespace {

// The top-level models keep the whole response object in `raw`.
template <class T>
constexpr bool has_raw = requires(T t)
{
    t.raw;
};

// Reads v into out; `v` is moved from into `raw` when Value is an rvalue.
template <class T, class Value>
void read_top(Value&& v, T& out, boost::system::error_code& ec, std::string& what)
{
    out = T{};
    json_path root;
    if (!read_value(v, out, root, what)) {
        ec = error::invalid_response;
        return;
    }
    if constexpr (has_raw<T>) {
        if constexpr (std::is_rvalue_reference_v<Value&&>) {
            // Move construction keeps the parsed document's storage (move
            // assignment would copy it into the default one).
            std::destroy_at(&out.raw);
            std::construct_at(&out.raw, std::move(v.as_object()));
        } else {
            out.raw = v.as_object();
        }
    }
    ec = {};
    what.clear();
}

} // namespace
} // namespace detail

template <class T>
void read_json(const boost::json::value& v, T& out, boost::system::error_code& ec, std::string& what)
{
    detail::read_top(v, out, ec, what);
}

template <class T>
void parse_json(std::string_view text, T& out, boost::system::error_code& ec, std::string& what)
{
    boost::json::value v;
    if (!detail::parse_text(text, v, what)) {
        out = T{};
        ec = error::invalid_response;
        return;
    }
    detail::read_top(std::move(v), out, ec, what);
}

template <class T>
T parse_json(std::string_view text)
{
    T out;
    boost::system::error_code ec;
    std::string what;
    parse_json(text, out, ec, what);
    if (ec) {
        diagnostics diag;
        diag.client_message = std::move(what);
        throw api_error(ec, std::move(diag));
    }
    return out;
}

#define HANDINGER_INSTANTIATE_READ(T)                                                                        \
    template void read_json<T>(const boost::json::value&, T&, boost::system::error_code&, std::string&);     \
    template void parse_json<T>(std::string_view, T&, boost::system::error_code&, std::string&);             \
    template T parse_json<T>(std::string_view);

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

#undef HANDINGER_INSTANTIATE_READ

} // namespace handinger
