// Writing the models with their wire names. The request body
// (create_task_params) leaves absent optionals out; the response models write
// a null where the service would send null, so that what this library writes
// (for the simulator, for logs) reads back as the same model. A tolerant
// field that still holds the unset value it was read as is written as it
// arrived: null, or left out when it was absent.
//
// The models become boost::json::values here (value_from, the public way),
// and text through Boost's serializer; the one text written without a value
// (the create body, on every request) goes through json_writer, whose output
// is the serializer's byte for byte (json/text.hpp).
#include "json/text.hpp"
#include "json/write.hpp"
#include "json/write_support.hpp"

#include <handinger/json.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

namespace handinger {

namespace json = boost::json;
using namespace detail;

void tag_invoke(json::value_from_tag, json::value& jv, const create_task_params& v)
{
    json::object& o = make_object(jv, 4);
    detail::for_each_create_field(v, [&](std::string_view key, std::string_view s) {
        o.emplace(json::string_view(key.data(), key.size()), json::string_view(s.data(), s.size()));
    });
}

void tag_invoke(json::value_from_tag, json::value& jv, const task_totals& v)
{
    using F = task_totals::field;
    json::object& o = make_object(jv, 3);
    put(o, v, F::credits, v.credits);
    put(o, v, F::duration_ms, v.duration_ms);
    put(o, v, F::turn_count, v.turn_count);
}

void tag_invoke(json::value_from_tag, json::value& jv, const task& v)
{
    using F = task::field;
    json::object& o = make_object(jv, 11);
    o.emplace("id", v.id);
    put(o, v, F::completed_at, v.completed_at);
    put(o, v, F::created_at, v.created_at);
    put(o, v, F::created_by_user_id, v.created_by_user_id);
    put(o, v, F::organization_id, v.organization_id);
    o.emplace("status", wire(v.status));
    put(o, v, F::title, v.title);
    put(o, v, F::totals, v.totals);
    put(o, v, F::triggered_by, v.triggered_by);
    put(o, v, F::url, v.url);
    put(o, v, F::worker_id, v.worker_id);
}

void tag_invoke(json::value_from_tag, json::value& jv, const turn_file& v)
{
    using F = turn_file::field;
    json::object& o = make_object(jv, 4);
    put(o, v, F::filename, v.filename);
    put(o, v, F::media_type, v.media_type);
    put(o, v, F::url, v.url);
    put_optional_key(o, v, F::size, v.size); // `size?`: the service leaves it out
}

void tag_invoke(json::value_from_tag, json::value& jv, const turn& v)
{
    using F = turn::field;
    json::object& o = make_object(jv, 15);
    o.emplace("id", v.id);
    put(o, v, F::task_id, v.task_id);
    o.emplace("seq", v.seq);
    put(o, v, F::role, v.role);
    o.emplace("status", wire(v.status));
    put(o, v, F::input, v.input);
    put(o, v, F::output_text, v.output_text);
    put(o, v, F::structured_output, v.structured_output);
    put(o, v, F::credits, v.credits);
    put(o, v, F::duration_ms, v.duration_ms);
    put(o, v, F::input_tokens, v.input_tokens);
    put(o, v, F::output_tokens, v.output_tokens);
    put(o, v, F::started_at, v.started_at);
    put(o, v, F::completed_at, v.completed_at);
    put(o, v, F::files, v.files);
}

void tag_invoke(json::value_from_tag, json::value& jv, const task_with_turns& v)
{
    json::object& o = make_object(jv, 2);
    o.emplace("task", json::value_from(v.task, o.storage()));
    // The `{task}` shape of newer services: no key at all (or null, when
    // that is what arrived).
    if (v.has_turns)
        put_array(o, "turns", v.turns);
    else if (v.presence.is_null(task_with_turns::field::turns))
        o.emplace("turns", nullptr);
}

void tag_invoke(json::value_from_tag, json::value& jv, const task_turn_list& v)
{
    json::object& o = make_object(jv, 2);
    put(o, v, task_turn_list::field::task_id, v.task_id);
    put_array(o, "items", v.items);
}

void tag_invoke(json::value_from_tag, json::value& jv, const delete_task_response& v)
{
    put(make_object(jv, 1), v, delete_task_response::field::archived, v.archived);
}

void tag_invoke(json::value_from_tag, json::value& jv, const run_content& v)
{
    json::object& o = make_object(jv, 2);
    put(o, v, run_content::field::type, v.type);
    put(o, v, run_content::field::text, v.text);
}

void tag_invoke(json::value_from_tag, json::value& jv, const run_message& v)
{
    json::object& o = make_object(jv, 2);
    put(o, v, run_message::field::role, v.role);
    put(o, v, run_message::field::content, v.content);
}

void tag_invoke(json::value_from_tag, json::value& jv, const run_usage& v)
{
    put_optional_key(make_object(jv, 1), v, run_usage::field::duration_ms, v.duration_ms); // `durationMs?`
}

void tag_invoke(json::value_from_tag, json::value& jv, const run_result& v)
{
    using F = run_result::field;
    json::object& o = make_object(jv, 16);
    put(o, v, F::id, v.id);
    put(o, v, F::object, v.object);
    put(o, v, F::status, v.status);
    put(o, v, F::running, v.running);
    put(o, v, F::output_text, v.output_text);
    put(o, v, F::output, v.output);
    put(o, v, F::structured_output, v.structured_output);
    put(o, v, F::files, v.files);
    put(o, v, F::sources, v.sources);
    put(o, v, F::messages, v.messages);
    put(o, v, F::metadata, v.metadata);
    put(o, v, F::url, v.url);
    put(o, v, F::created_at, v.created_at);
    put(o, v, F::usage, v.usage);
    put(o, v, F::error, v.error);
    put(o, v, F::incomplete_details, v.incomplete_details);
}

void tag_invoke(json::value_from_tag, json::value& jv, const worker_template& v)
{
    using F = worker_template::field;
    json::object& o = make_object(jv, 11);
    o.emplace("id", v.id);
    put(o, v, F::created_at, v.created_at);
    put(o, v, F::instructions, v.instructions);
    put(o, v, F::organization_id, v.organization_id);
    put(o, v, F::output_schema, v.output_schema);
    put(o, v, F::summary, v.summary);
    put(o, v, F::title, v.title);
    put(o, v, F::updated_at, v.updated_at);
    put(o, v, F::url, v.url);
    put(o, v, F::user_id, v.user_id);
    put(o, v, F::visibility, v.visibility);
}

void tag_invoke(json::value_from_tag, json::value& jv, const delete_worker_response& v)
{
    put(make_object(jv, 1), v, delete_worker_response::field::deleted, v.deleted);
}

void tag_invoke(json::value_from_tag, json::value& jv, const worker_email& v)
{
    make_object(jv, 1).emplace("email", v.email);
}

template std::string to_json_string(const create_task_params&);
template std::string to_json_string(const task_totals&);
template std::string to_json_string(const task&);
template std::string to_json_string(const turn_file&);
template std::string to_json_string(const turn&);
template std::string to_json_string(const task_with_turns&);
template std::string to_json_string(const task_turn_list&);
template std::string to_json_string(const delete_task_response&);
template std::string to_json_string(const run_content&);
template std::string to_json_string(const run_message&);
template std::string to_json_string(const run_usage&);
template std::string to_json_string(const run_result&);
template std::string to_json_string(const create_worker_params&);
template std::string to_json_string(const update_worker_params&);
template std::string to_json_string(const worker_template&);
template std::string to_json_string(const delete_worker_response&);
template std::string to_json_string(const worker_email&);

} // namespace handinger

namespace handinger::detail {

std::string create_request_body(const create_task_params& p)
{
    std::string out;
    out.reserve(64 + p.input.size() + (p.task_id ? p.task_id->size() : 0) +
                (p.worker_id ? p.worker_id->size() : 0));
    json_writer w(out);
    w.begin_object();
    for_each_create_field(p, [&](std::string_view key, std::string_view s) { w.key(key).str(s); });
    w.end_object();
    return out;
}

} // namespace handinger::detail
