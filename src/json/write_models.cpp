// Writing the models with their wire names. The request body
// (create_task_params) leaves absent optionals out; the response models write
// a null where the service would send null, so that what this library writes
// (for the simulator, for logs) reads back as the same model.
#include <handinger/json.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <array>

namespace handinger {
namespace {

namespace json = boost::json;

json::object& make_object(json::value& jv, std::size_t n)
{
    json::object& o = jv.emplace_object();
    o.reserve(n);
    return o;
}

template <class E>
json::string_view wire(const open_enum<E>& e) noexcept
{
    auto s = e.str();
    return {s.data(), s.size()};
}

// A nullable field: its value, or null.
template <class T>
void put_nullable(json::object& o, json::string_view key, const std::optional<T>& v)
{
    if (v)
        o.emplace(key, json::value_from(*v, o.storage()));
    else
        o.emplace(key, nullptr);
}

// An optional key: present only when it has a value.
template <class T>
void put_optional(json::object& o, json::string_view key, const std::optional<T>& v)
{
    if (v)
        o.emplace(key, json::value_from(*v, o.storage()));
}

template <class T>
void put_array(json::object& o, json::string_view key, const std::vector<T>& xs)
{
    json::array a(o.storage());
    a.reserve(xs.size());
    for (const auto& x : xs)
        a.emplace_back(json::value_from(x, o.storage()));
    o.emplace(key, std::move(a));
}

} // namespace

void tag_invoke(json::value_from_tag, json::value& jv, const create_task_params& v)
{
    json::object& o = make_object(jv, 4);
    o.emplace("input", v.input);
    if (v.budget)
        o.emplace("budget", wire(*v.budget));
    put_optional(o, "taskId", v.task_id);
    put_optional(o, "workerId", v.worker_id);
}

void tag_invoke(json::value_from_tag, json::value& jv, const task_totals& v)
{
    json::object& o = make_object(jv, 3);
    o.emplace("credits", v.credits);
    o.emplace("durationMs", v.duration_ms);
    o.emplace("turnCount", v.turn_count);
}

void tag_invoke(json::value_from_tag, json::value& jv, const task& v)
{
    json::object& o = make_object(jv, 11);
    o.emplace("id", v.id);
    put_nullable(o, "completedAt", v.completed_at);
    o.emplace("createdAt", v.created_at);
    put_nullable(o, "createdByUserId", v.created_by_user_id);
    o.emplace("organizationId", v.organization_id);
    o.emplace("status", wire(v.status));
    o.emplace("title", v.title);
    o.emplace("totals", json::value_from(v.totals, o.storage()));
    o.emplace("triggeredBy", wire(v.triggered_by));
    o.emplace("url", v.url);
    o.emplace("workerId", v.worker_id);
}

void tag_invoke(json::value_from_tag, json::value& jv, const turn_file& v)
{
    json::object& o = make_object(jv, 4);
    put_nullable(o, "filename", v.filename);
    o.emplace("mediaType", v.media_type);
    o.emplace("url", v.url);
    put_optional(o, "size", v.size); // `size?`: the service leaves it out
}

void tag_invoke(json::value_from_tag, json::value& jv, const turn& v)
{
    json::object& o = make_object(jv, 15);
    o.emplace("id", v.id);
    o.emplace("taskId", v.task_id);
    o.emplace("seq", v.seq);
    o.emplace("role", v.role);
    o.emplace("status", wire(v.status));
    o.emplace("input", v.input);
    o.emplace("outputText", v.output_text);
    put_nullable(o, "structuredOutput", v.structured_output);
    o.emplace("credits", v.credits);
    o.emplace("durationMs", v.duration_ms);
    o.emplace("inputTokens", v.input_tokens);
    o.emplace("outputTokens", v.output_tokens);
    o.emplace("startedAt", v.started_at);
    put_nullable(o, "completedAt", v.completed_at);
    put_array(o, "files", v.files);
}

void tag_invoke(json::value_from_tag, json::value& jv, const task_with_turns& v)
{
    json::object& o = make_object(jv, 2);
    o.emplace("task", json::value_from(v.task, o.storage()));
    // The `{task}` shape of newer services: no key at all.
    if (v.has_turns)
        put_array(o, "turns", v.turns);
}

void tag_invoke(json::value_from_tag, json::value& jv, const task_turn_list& v)
{
    json::object& o = make_object(jv, 2);
    o.emplace("taskId", v.task_id);
    put_array(o, "items", v.items);
}

void tag_invoke(json::value_from_tag, json::value& jv, const delete_task_response& v)
{
    make_object(jv, 1).emplace("archived", v.archived);
}

void tag_invoke(json::value_from_tag, json::value& jv, const run_content& v)
{
    json::object& o = make_object(jv, 2);
    o.emplace("type", v.type);
    o.emplace("text", v.text);
}

void tag_invoke(json::value_from_tag, json::value& jv, const run_message& v)
{
    json::object& o = make_object(jv, 2);
    o.emplace("role", v.role);
    put_array(o, "content", v.content);
}

void tag_invoke(json::value_from_tag, json::value& jv, const run_usage& v)
{
    put_optional(make_object(jv, 1), "durationMs", v.duration_ms); // `durationMs?`
}

void tag_invoke(json::value_from_tag, json::value& jv, const run_result& v)
{
    json::object& o = make_object(jv, 16);
    o.emplace("id", v.id);
    o.emplace("object", v.object);
    o.emplace("status", wire(v.status));
    o.emplace("running", v.running);
    o.emplace("output_text", v.output_text);
    put_array(o, "output", v.output);
    put_nullable(o, "structured_output", v.structured_output);
    put_array(o, "files", v.files);
    o.emplace("sources", json::value(v.sources, o.storage()));
    o.emplace("messages", json::value(v.messages, o.storage()));
    o.emplace("metadata", json::value(v.metadata, o.storage()));
    o.emplace("url", v.url);
    put_nullable(o, "created_at", v.created_at);
    o.emplace("usage", json::value_from(v.usage, o.storage()));
    o.emplace("error", json::value(v.error, o.storage()));
    o.emplace("incomplete_details", json::value(v.incomplete_details, o.storage()));
}

template <class T>
std::string to_json_string(const T& v)
{
    // The value only lives until it is serialised: a monotonic arena (first
    // block on the stack) avoids one heap allocation per node.
    unsigned char buf[4096];
    json::monotonic_resource arena(buf, sizeof buf);
    return json::serialize(json::value_from(v, &arena));
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

} // namespace handinger

namespace handinger::detail {

namespace {

// The bytes append_json_string escapes: control characters, '"' and '\\'.
constexpr auto escaped = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 0x20; ++c)
        t[c] = true;
    t['"'] = t['\\'] = true;
    return t;
}();

} // namespace

void append_json_string(std::string& out, std::string_view s)
{
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    std::size_t run = 0; // start of the bytes not yet copied
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (!escaped[c])
            continue;
        out.append(s.data() + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    out.append(s.data() + run, s.size() - run);
    out += '"';
}

std::string create_request_body(const create_task_params& p)
{
    std::string out;
    out.reserve(64 + p.input.size() + (p.task_id ? p.task_id->size() : 0) +
                (p.worker_id ? p.worker_id->size() : 0));
    out += "{\"input\":";
    append_json_string(out, p.input);
    if (p.budget) {
        out += ",\"budget\":";
        append_json_string(out, p.budget->str());
    }
    if (p.task_id) {
        out += ",\"taskId\":";
        append_json_string(out, *p.task_id);
    }
    if (p.worker_id) {
        out += ",\"workerId\":";
        append_json_string(out, *p.worker_id);
    }
    out += '}';
    return out;
}

} // namespace handinger::detail
