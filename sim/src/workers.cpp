// The Workers routes (API.md "Workers"): create, retrieve (a run of the
// worker's tasks), update, soft delete, email; and the worker every task
// runs on.
#include <handinger/sim/detail/service.hpp>

#include "util/utf8.hpp"
#include "json/text.hpp" // the library's own (src/json, src/util)

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>

namespace handinger::sim::detail {

namespace {

// Reads string field `name` when present: a string of at most `max`
// characters (and at least `min`).
std::optional<worker_problem> read_text(const boost::json::object& o, std::string_view name, std::size_t min,
                                        std::size_t max, std::optional<std::string_view>& out)
{
    auto it = o.find(name);
    if (it == o.end())
        return std::nullopt;
    const std::string n(name);
    if (!it->value().is_string())
        return worker_problem{name, n + ": must be a string"};
    const auto& s = it->value().get_string();
    const std::string_view v(s.data(), s.size());
    // (Boost.JSON's parser has checked the UTF-8 already.)
    const std::size_t len = handinger::detail::utf8_length(v);
    if (len < min)
        return worker_problem{name, n + ": must be at least " + std::to_string(min) + " character"};
    if (len > max)
        return worker_problem{name, n + ": must be at most " + std::to_string(max) + " characters"};
    out = v;
    return std::nullopt;
}

// A name for a worker made without a title, fixed by its id.
std::string random_title(std::string_view id)
{
    static constexpr std::string_view first[] = {"Amber", "Brisk", "Calm", "Deft",
                                                 "Eager", "Fleet", "Keen", "Quiet"};
    static constexpr std::string_view second[] = {"Falcon", "Otter", "Heron",  "Lynx",
                                                  "Badger", "Wren",  "Marten", "Finch"};
    const std::uint64_t h = hash_str(id, 0);
    return std::string(first[h % 8]) + " " + std::string(second[(h >> 8) % 8]);
}

std::string_view worker_verb(route r)
{
    switch (r) {
    case route::worker_update: return "update";
    case route::worker_delete: return "delete";
    default: return "read the email address of";
    }
}

} // namespace

std::optional<worker_problem> read_worker_fields(const boost::json::object& o, bool update, worker_fields& f)
{
    if (auto p = read_text(o, "instructions", 0, 20'000, f.instructions))
        return p;
    if (!update)
        if (auto p = read_text(o, "prompt", 0, 10'000, f.prompt))
            return p;
    if (auto it = o.find("outputSchema"); it != o.end()) {
        const auto& v = it->value();
        if (!v.is_object() && !(update && v.is_null()))
            return worker_problem{"outputSchema", update ? "outputSchema: must be an object or null"
                                                         : "outputSchema: must be an object"};
        f.schema_given = true;
        f.schema = v.if_object();
    }
    if (auto p = read_text(o, "summary", 0, 80, f.summary))
        return p;
    if (auto p = read_text(o, "title", 1, 200, f.title))
        return p;
    if (auto it = o.find("visibility"); it != o.end()) {
        const auto& v = it->value();
        if (!v.is_string() || (v.get_string() != "public" && v.get_string() != "private"))
            return worker_problem{"visibility", "visibility: must be one of public, private"};
        f.visibility = std::string_view(v.get_string().data(), v.get_string().size());
    }
    return std::nullopt;
}

service::api_match service::match_workers(const boost::urls::url_view& target,
                                          std::array<std::string, 5>& segs, std::size_t n,
                                          std::string_view method)
{
    api_match m;
    if (n == 2) {
        if (method == "POST")
            m.r = route::worker_create;
        else
            m.allow = "POST";
        return m;
    }
    if (n >= 4 && segs[3] == "webhook") {
        m.id = segs[2];
        match_webhook(target, segs, n, method, m);
        return m;
    }
    if (n >= 4 && segs[3] == "schedules") {
        if (n == 5 && segs[4].empty())
            return m; // no route
        m.id = std::move(segs[2]);
        if (n == 5) {
            m.schedule_id = std::move(segs[4]);
            if (method == "DELETE")
                m.r = route::schedule_cancel;
            else
                m.allow = "DELETE";
        } else if (method == "POST" || method == "GET") {
            m.r = method == "POST" ? route::schedule_create : route::schedule_list;
        } else {
            m.allow = "GET, POST";
        }
        return m;
    }
    if (n == 5 || (n == 4 && segs[3] != "email"))
        return m; // no route
    m.id = std::move(segs[2]);
    if (n == 4) {
        if (method == "GET")
            m.r = route::worker_email;
        else
            m.allow = "GET";
    } else if (method == "GET") {
        m.r = route::worker_retrieve;
        auto params = target.params();
        if (auto it = params.find("taskId"); it != params.end())
            m.task_id = (*it).value;
    } else if (method == "PATCH") {
        m.r = route::worker_update;
    } else if (method == "DELETE") {
        m.r = route::worker_delete;
    } else {
        m.allow = "GET, PATCH, DELETE";
    }
    return m;
}

void service::route_worker(const http_request& req, std::string_view key, const api_match& m,
                           http_response& res)
{
    if (m.r == route::worker_create)
        return handle_worker_create(req, key, res);
    if (m.task_id && m.task_id->empty())
        return error(res, 422, "validation_error", "taskId: must be at least 1 character", "taskId");
    worker_record* w = find_worker(m.id);
    if (!w || w->deleted)
        return error(res, 404, "not_found", "worker " + m.id + " not found");
    if (is_schedule_route(m.r))
        return route_schedule(req, key, m, *w, res);
    if (m.r == route::worker_retrieve) {
        if (w->visibility == "private" && key != w->owner_key)
            return error(res, 403, "permission_denied", "no access to worker " + w->id);
        return handle_worker_retrieve(req, *w, m, res);
    }
    // The creator-only operations.
    if (key != w->owner_key)
        return error(res, 403, "permission_denied",
                     "only the key that created worker " + w->id + " may " + std::string(worker_verb(m.r)) +
                         " it");
    if (m.r == route::worker_update)
        return handle_worker_update(req, *w, res);
    if (m.r == route::worker_delete) {
        w->deleted = true;
        ++counters_.workers_deleted;
        res.body = R"({"deleted":true})";
        return;
    }
    handinger::detail::json_writer(res.body)
        .begin_object()
        .key("email")
        .str_concat({w->id, "@workers.sim.invalid"})
        .end_object();
}

void service::handle_worker_create(const http_request& req, std::string_view key, http_response& res)
{
    boost::json::value body;
    const boost::json::object* o = body_object(req, body, res);
    if (!o)
        return; // (400 answered)
    worker_fields f;
    if (auto problem = read_worker_fields(*o, false, f))
        return error(res, 422, "validation_error", problem->message, problem->field);

    worker_record& w = new_worker(key, req.now_ms);
    if (f.instructions)
        w.instructions = std::string(*f.instructions);
    else if (f.prompt) // the service writes instructions from the prompt
        w.instructions = "Instructions written from the prompt: " + std::string(*f.prompt);
    if (f.schema)
        w.output_schema = boost::json::serialize(*f.schema);
    if (f.summary)
        w.summary = std::string(*f.summary);
    if (f.title)
        w.title = std::string(*f.title);
    if (f.visibility)
        w.visibility = std::string(*f.visibility);
    ++counters_.workers_created;
    render_worker(res.body, w, ctx_);
}

void service::handle_worker_update(const http_request& req, worker_record& w, http_response& res)
{
    boost::json::value body;
    const boost::json::object* o = body_object(req, body, res);
    if (!o)
        return; // (400 answered)
    worker_fields f;
    if (auto problem = read_worker_fields(*o, true, f))
        return error(res, 422, "validation_error", problem->message, problem->field);
    if (f.instructions)
        w.instructions = std::string(*f.instructions);
    if (f.schema_given) {
        if (f.schema)
            w.output_schema = boost::json::serialize(*f.schema);
        else
            w.output_schema.reset();
    }
    if (f.summary)
        w.summary = std::string(*f.summary);
    if (f.title)
        w.title = std::string(*f.title);
    if (f.visibility)
        w.visibility = std::string(*f.visibility);
    w.updated_ms = req.now_ms;
    ++counters_.workers_updated;
    render_worker(res.body, w, ctx_);
}

void service::handle_worker_retrieve(const http_request& req, const worker_record& w, const api_match& m,
                                     http_response& res)
{
    const task_record* task = nullptr;
    if (m.task_id) {
        task = find_task(*m.task_id);
        if (!task || task->worker_id != w.id)
            return error(res, 404, "not_found", "task " + *m.task_id + " not found for worker " + w.id);
    } else {
        if (w.latest_task.empty())
            return error(res, 404, "not_found", "worker " + w.id + " has run no task yet");
        task = find_task(w.latest_task);
    }
    res.headers.emplace_back("x-sim-task-id", task->id); // (the run does not say; tests ask)
    render_run(res.body, *task, task->runs.back(), req.now_ms, opts_.text_steps, ctx_);
}

worker_record* service::task_worker(std::string_view worker_id, std::string_view key, std::int64_t now,
                                    http_response& res)
{
    worker_record* w = find_worker(worker_id);
    if (!w) // a worker made elsewhere: adopted, as the creating key's
        return &add_worker(std::string(worker_id), key, now);
    if (w->deleted) {
        error(res, 404, "not_found", "worker " + w->id + " not found");
        return nullptr;
    }
    if (w->visibility == "private" && key != w->owner_key) {
        error(res, 403, "permission_denied", "no access to worker " + w->id);
        return nullptr;
    }
    return w;
}

worker_record& service::new_worker(std::string_view key, std::int64_t now)
{
    std::string id;
    while (id.empty() || workers_.count(id))
        id = make_worker_id(ids_);
    return add_worker(std::move(id), key, now);
}

worker_record& service::add_worker(std::string id, std::string_view key, std::int64_t now)
{
    worker_record& w = workers_[id];
    w.title = random_title(id);
    w.id = std::move(id);
    w.owner_key = std::string(key);
    w.user_id = user_of(key);
    w.created_ms = w.updated_ms = now;
    return w;
}

worker_record* service::find_worker(std::string_view id)
{
    auto it = workers_.find(std::string(id));
    return it == workers_.end() ? nullptr : &it->second;
}

std::string service::user_of(std::string_view key) const
{
    for (std::size_t i = 1; i < keys_.size(); ++i)
        if (keys_[i] == key && keys_[i] != keys_[0])
            return "usr_sim_" + std::to_string(i);
    return "usr_sim";
}

} // namespace handinger::sim::detail
