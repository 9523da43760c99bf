// The Webhooks routes (API.md "Webhooks"): a worker's webhook (retrieve,
// set, clear, a new token), its executions page by page; and the schedule
// of deliveries: which task ends call for one, when, and the record of each
// attempt the delivery engine (deliveries.cpp) reports.
#include <handinger/sim/detail/service.hpp>

#include "util/utf8.hpp"
#include "json/text.hpp" // the library's own (src/json, src/util)

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>

#include <charconv>

namespace handinger::sim::detail {

namespace {

constexpr std::size_t max_url = 2048;
constexpr std::int64_t page_size = 50;

std::string_view webhook_verb(route r)
{
    switch (r) {
    case route::webhook_retrieve: return "read";
    case route::webhook_update: return "set";
    case route::webhook_delete: return "clear";
    case route::webhook_regenerate: return "regenerate the token of";
    default: return "list the executions of";
    }
}

// The page query: absent is 1; else a decimal integer of at least 1.
std::optional<std::int64_t> read_page(const std::optional<std::string>& q)
{
    if (!q)
        return 1;
    std::int64_t n = 0;
    const char* end = q->data() + q->size();
    auto [p, ec] = std::from_chars(q->data(), end, n);
    if (ec != std::errc() || p != end || n < 1)
        return std::nullopt;
    return n;
}

void put_nullable(handinger::detail::json_writer& w, std::string_view key,
                  const std::optional<std::string>& v)
{
    w.key(key);
    if (v)
        w.str(*v);
    else
        w.null();
}

void render_execution(handinger::detail::json_writer& w, const execution_record& e)
{
    w.begin_object().key("id").str(e.id).key("createdAt").str(iso8601_ms(e.created_ms));
    w.key("durationMs").num(e.duration_ms).key("requestStatus").str(e.success ? "success" : "error");
    w.key("responseStatus");
    if (e.response_status)
        w.num(*e.response_status);
    else
        w.null();
    put_nullable(w, "errorMessage", e.error_message);
    w.key("taskId").str(e.task_id).key("taskTitle").str(e.task_title);
    w.key("url").str(e.url).key("workerId").str(e.worker_id).end_object();
}

} // namespace

std::optional<std::string> check_webhook_url(const std::optional<std::string>& url)
{
    if (!url)
        return std::nullopt;
    // (Boost.JSON's parser has checked the UTF-8 already.)
    if (handinger::detail::utf8_length(*url) > max_url)
        return "url: must be at most " + std::to_string(max_url) + " characters";
    if (!boost::urls::parse_uri(*url))
        return std::string("url: must be a URI");
    return std::nullopt;
}

void service::match_webhook(const boost::urls::url_view& target, const std::array<std::string, 5>& segs,
                            std::size_t n, std::string_view method, api_match& m)
{
    if (n == 4) {
        if (method == "GET")
            m.r = route::webhook_retrieve;
        else if (method == "PUT")
            m.r = route::webhook_update;
        else if (method == "DELETE")
            m.r = route::webhook_delete;
        else
            m.allow = "GET, PUT, DELETE";
    } else if (segs[4] == "regenerate-token") {
        if (method == "POST")
            m.r = route::webhook_regenerate;
        else
            m.allow = "POST";
    } else if (segs[4] == "executions") {
        if (method == "GET") {
            m.r = route::webhook_executions;
            auto params = target.params();
            if (auto it = params.find("page"); it != params.end())
                m.page = (*it).value;
        } else {
            m.allow = "GET";
        }
    }
}

void service::route_webhook(const http_request& req, std::string_view key, const api_match& m,
                            http_response& res)
{
    worker_record* w = find_worker(m.id);
    if (!w || w->deleted)
        return error(res, 404, "not_found", "worker " + m.id + " not found");
    if (key != w->owner_key)
        return error(res, 403, "permission_denied",
                     "only the key that created worker " + w->id + " may " + std::string(webhook_verb(m.r)) +
                         " its webhook");
    auto it = webhooks_.find(w->id);
    webhook_state* h = it == webhooks_.end() ? nullptr : &it->second;
    switch (m.r) {
    case route::webhook_retrieve: return render_webhook(h, res);
    case route::webhook_update: return handle_webhook_update(req, *w, res);
    case route::webhook_delete:
        if (h) {
            h->url.reset();
            h->token.reset();
        }
        return render_webhook(h, res);
    case route::webhook_regenerate:
        if (!h || !h->url)
            return error(res, 404, "not_found", "worker " + w->id + " has no webhook");
        h->token = "whk_" + make_run_id(ids_).substr(4);
        return render_webhook(h, res);
    default: return handle_webhook_executions(m, *w, res);
    }
}

void service::handle_webhook_update(const http_request& req, worker_record& w, http_response& res)
{
    boost::json::value body;
    const boost::json::object* o = body_object(req, body, res);
    if (!o)
        return; // (400 answered)
    const auto* v = o->if_contains("url");
    if (!v)
        return error(res, 422, "validation_error", "url: required", "url");
    if (!v->is_string() && !v->is_null())
        return error(res, 422, "validation_error", "url: must be a string or null", "url");
    std::optional<std::string> url;
    if (v->is_string())
        url = std::string(v->get_string());
    if (auto problem = check_webhook_url(url))
        return error(res, 422, "validation_error", *problem, "url");

    webhook_state& h = webhooks_[w.id];
    if (!url) {
        h.url.reset();
        h.token.reset();
        return render_webhook(&h, res);
    }
    const bool was_set = h.url.has_value();
    h.url = std::move(url);
    if (!h.token)
        h.token = "whk_" + make_run_id(ids_).substr(4);
    if (!was_set) // the worker's tasks still running now count
        for (const auto& [id, task] : tasks_)
            if (task.worker_id == w.id)
                for (std::size_t i = 0; i < task.runs.size(); ++i)
                    if (task.runs[i].end_ms() > req.now_ms)
                        schedule_finish(task, i);
    render_webhook(&h, res);
}

void service::handle_webhook_executions(const api_match& m, const worker_record& w, http_response& res)
{
    const auto page = read_page(m.page);
    if (!page)
        return error(res, 422, "validation_error", "page: must be an integer of at least 1", "page");
    auto it = webhooks_.find(w.id);
    static const std::vector<execution_record> none;
    const auto& all = it == webhooks_.end() ? none : it->second.executions;
    const auto total = static_cast<std::int64_t>(all.size());
    handinger::detail::json_writer out(res.body);
    out.begin_object().key("logs").begin_array();
    // Newest first: page p holds the items total-1-(p-1)*50 down to total-p*50.
    if (*page <= (total + page_size - 1) / page_size) {
        const std::int64_t first = total - 1 - (*page - 1) * page_size;
        for (std::int64_t i = first; i >= 0 && i > first - page_size; --i)
            render_execution(out, all[static_cast<std::size_t>(i)]);
    }
    out.end_array().key("page").num(*page).key("pageCount").num((total + page_size - 1) / page_size);
    out.key("totalCount").num(total).end_object();
}

void service::render_webhook(const webhook_state* h, http_response& res) const
{
    handinger::detail::json_writer w(res.body);
    w.begin_object();
    put_nullable(w, "token", h ? h->token : std::nullopt);
    put_nullable(w, "url", h ? h->url : std::nullopt);
    w.end_object();
}

void service::watch_finish(const task_record& task)
{
    auto it = webhooks_.find(task.worker_id);
    if (it != webhooks_.end() && it->second.url)
        schedule_finish(task, task.runs.size() - 1);
}

void service::schedule_finish(const task_record& task, std::size_t run)
{
    const std::int64_t due = task.runs[run].end_ms() + opts_.webhook_delay.count();
    finishes_.push(finish_event{due, task.id, run});
    if (due < armed_due_) {
        armed_due_ = due;
        if (wake_)
            wake_();
    }
}

std::optional<std::int64_t> service::take_due(std::int64_t now, std::vector<delivery_job>& out)
{
    std::lock_guard lock(mutex_);
    while (!finishes_.empty() && finishes_.top().due_ms <= now) {
        const finish_event ev = finishes_.top();
        finishes_.pop();
        const task_record* task = find_task(ev.task_id);
        if (!task || ev.run >= task->runs.size())
            continue;
        // Each run's end is looked at once (a URL set twice schedules it twice).
        std::size_t& handled = finished_runs_[ev.task_id];
        if (ev.run < handled)
            continue;
        handled = ev.run + 1;
        const run_record& run = task->runs[ev.run];
        if (ev.run + 1 < task->runs.size() && task->runs[ev.run + 1].posted_ms <= run.end_ms())
            continue; // the next run went on at once: the task did not finish here
        const worker_record* w = find_worker(task->worker_id);
        auto h = webhooks_.find(task->worker_id);
        if (!w || w->deleted || h == webhooks_.end() || !h->second.url)
            continue;
        delivery_job job;
        job.url = *h->second.url;
        job.token = h->second.token.value_or("");
        job.worker_id = task->worker_id;
        job.task_id = task->id;
        job.task_title = task->title;
        handinger::detail::json_writer(job.body)
            .begin_object()
            .key("event")
            .str("task.finished")
            .key("taskId")
            .str(task->id)
            .key("workerId")
            .str(task->worker_id)
            .key("status")
            .str(run.final_status())
            .end_object();
        out.push_back(std::move(job));
    }
    armed_due_ = finishes_.empty() ? INT64_MAX : finishes_.top().due_ms;
    if (finishes_.empty())
        return std::nullopt;
    return armed_due_;
}

void service::record_delivery(const delivery_job& job, const delivery_outcome& outcome)
{
    std::lock_guard lock(mutex_);
    execution_record e;
    e.id = "whx_" + make_run_id(ids_).substr(4);
    e.created_ms = outcome.ended_ms;
    e.duration_ms = outcome.ended_ms - outcome.started_ms;
    e.response_status = outcome.status;
    e.success = outcome.status && *outcome.status >= 200 && *outcome.status < 300;
    if (!e.success)
        e.error_message =
            outcome.status ? "the endpoint answered " + std::to_string(*outcome.status) : outcome.error;
    e.task_id = job.task_id;
    e.task_title = job.task_title;
    e.url = job.url;
    e.worker_id = job.worker_id;
    ++counters_.webhook_deliveries;
    if (!e.success)
        ++counters_.webhook_delivery_failures;
    webhooks_[job.worker_id].executions.push_back(std::move(e));
}

void service::set_wake(std::function<void()> wake)
{
    std::lock_guard lock(mutex_);
    wake_ = std::move(wake);
}

} // namespace handinger::sim::detail
