// Routing, auth, retrieve/archive, faults and the counters. POST /api/tasks
// lives in create.cpp.
#include <handinger/sim/detail/service.hpp>

#include "util/text.hpp" // the library's own (src/util)

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <array>

namespace handinger::sim::detail {

void http_response::clear()
{
    status = 200;
    body.clear();
    headers.clear();
    transport = fault_kind::none;
    send_at_ms = 0;
}

std::string_view route_name(route r)
{
    static constexpr std::array<std::string_view, static_cast<int>(route::count_)> names{
        "POST /api/tasks",
        "GET /api/tasks/{id}",
        "GET /api/tasks/{id}/turns",
        "DELETE /api/tasks/{id}",
        "POST /api/workers",
        "GET /api/workers/{id}",
        "PATCH /api/workers/{id}",
        "DELETE /api/workers/{id}",
        "GET /api/workers/{id}/email",
        "POST /api/workers/{id}/schedules",
        "GET /api/workers/{id}/schedules",
        "DELETE /api/workers/{id}/schedules/{scheduleId}",
        "GET /api/workers/{id}/webhook",
        "PUT /api/workers/{id}/webhook",
        "DELETE /api/workers/{id}/webhook",
        "POST /api/workers/{id}/webhook/regenerate-token",
        "GET /api/workers/{id}/webhook/executions",
        "GET /_sim/stats",
        "POST /_sim/reset-stats",
        "other"};
    return names[static_cast<int>(r)];
}

namespace {

render_context make_context(const options& o)
{
    render_context c;
    c.seed = o.seed;
    c.stamp_visibility = o.stamp_visibility;
    return c;
}

// The key of "Bearer <key>", or "" when the header is not of that form.
std::string_view bearer_key(std::string_view h)
{
    if (h.size() < 7 || !handinger::detail::iequals(h.substr(0, 6), "bearer") || h[6] != ' ')
        return {};
    h.remove_prefix(7);
    while (!h.empty() && h.front() == ' ')
        h.remove_prefix(1);
    while (!h.empty() && h.back() == ' ')
        h.remove_suffix(1);
    return h;
}

} // namespace

service::service(const options& opts)
    : opts_(opts), ctx_(make_context(opts)), faults_(opts), ids_(mix64(opts.seed ^ 0x1d5ULL))
{
    keys_.push_back(opts.api_key);
    keys_.insert(keys_.end(), opts.other_keys.begin(), opts.other_keys.end());
}

void service::handle(const http_request& req, http_response& res)
{
    res.clear();
    std::lock_guard lock(mutex_);
    fire_due_locked(req.now_ms);
    route r = dispatch(req, res);
    // A response that never leaves is counted under status "none" (0).
    const bool silent = res.transport == fault_kind::reset || res.transport == fault_kind::lost ||
                        res.transport == fault_kind::stall;
    ++counters_.requests[static_cast<int>(r)][silent ? 0 : res.status];
}

void service::too_large(const http_request& req, std::uint64_t limit, http_response& res)
{
    res.clear();
    std::lock_guard lock(mutex_);
    error(res, 413, "payload_too_large", "body: more than " + std::to_string(limit) + " bytes");
    const std::string_view path = req.target.substr(0, req.target.find('?'));
    const route r =
        path == "/api" || path.substr(0, 5) == "/api/" ? match_api(req.method, req.target).r : route::other;
    ++counters_.requests[static_cast<int>(r)][413];
}

void service::record_headers(header_list h)
{
    std::lock_guard lock(mutex_);
    last_headers_ = std::move(h);
}

header_list service::last_headers() const
{
    std::lock_guard lock(mutex_);
    return last_headers_;
}

std::optional<std::string> service::file_content(std::string_view id_or_url) const
{
    const std::string_view id = id_or_url.substr(id_or_url.rfind('/') + 1);
    std::lock_guard lock(mutex_);
    for (const auto& [task_id, task] : tasks_)
        for (const auto& run : task.runs)
            for (const auto& file : run.files)
                if (file.id == id)
                    return file.content;
    return std::nullopt;
}

void service::error(http_response& res, int status, std::string_view code, std::string_view message,
                    std::string_view field)
{
    res.status = status;
    res.body.clear();
    render_error(res.body, code, message, field);
}

const boost::json::object* service::body_object(const http_request& req, boost::json::value& body,
                                                http_response& res)
{
    boost::system::error_code ec;
    body = boost::json::parse(req.body, ec);
    if (ec) {
        error(res, 400, "bad_request", "body: invalid JSON");
        return nullptr;
    }
    if (!body.is_object())
        error(res, 400, "bad_request", "body: must be a JSON object");
    return body.if_object();
}

route service::dispatch(const http_request& req, http_response& res)
{
    std::string_view path = req.target.substr(0, req.target.find('?'));
    if (path == "/_sim/stats" || path == "/_sim/reset-stats") {
        const bool stats = path == "/_sim/stats";
        if (req.method != (stats ? "GET" : "POST")) {
            res.headers.emplace_back("allow", stats ? "GET" : "POST");
            error(res, 405, "method_not_allowed",
                  std::string(req.method) + " is not allowed on " + std::string(path));
        } else if (stats) {
            res.body = boost::json::serialize(stats_locked());
        } else {
            reset_locked();
            res.body = R"({"reset":true})";
        }
        return stats ? route::stats : route::reset_stats;
    }
    if (path == "/api" || path.substr(0, 5) == "/api/") {
        const api_match m = match_api(req.method, req.target);
        std::string_view key = bearer_key(req.authorization);
        if (key.empty() || std::find(keys_.begin(), keys_.end(), key) == keys_.end()) {
            error(res, 401, "unauthorized", key.empty() ? "missing bearer token" : "invalid API key");
            return m.r;
        }
        return handle_api(req, key, m, res);
    }
    error(res, 404, "not_found", "no route for " + std::string(req.method) + " " + std::string(path));
    return route::other;
}

service::api_match service::match_api(std::string_view method, std::string_view target)
{
    api_match m;
    auto parsed = boost::urls::parse_origin_form(target);
    std::array<std::string, 5> segs;
    std::size_t n = 0;
    if (parsed) {
        for (auto seg : parsed->segments()) {
            if (n == segs.size()) {
                n = segs.size() + 1; // too many: no route
                break;
            }
            segs[n++] = std::move(seg);
        }
    }
    if (!parsed || n < 2 || n > 5 || segs[0] != "api" || (n >= 3 && segs[2].empty()))
        return m; // no route
    if (segs[1] == "workers")
        return match_workers(*parsed, segs, n, method);
    if (segs[1] != "tasks" || n == 5 || (n == 4 && segs[3] != "turns"))
        return m; // no route
    if (n == 2) {
        if (method == "POST")
            m.r = route::create;
        else
            m.allow = "POST";
        return m;
    }
    m.id = std::move(segs[2]);
    if (n == 4) {
        if (method == "GET")
            m.r = route::turns;
        else
            m.allow = "GET";
    } else if (method == "GET" || method == "DELETE") {
        m.r = method == "GET" ? route::retrieve : route::archive;
    } else {
        m.allow = "GET, DELETE";
    }
    return m;
}

route service::handle_api(const http_request& req, std::string_view key, const api_match& m,
                          http_response& res)
{
    // Every authenticated /api request advances the draw, so the faults met
    // depend only on the order of requests.
    fault_kind fault = draw_fault(faults_, opts_.seed, api_requests_++);
    route_api(req, key, m, fault, res);
    // The faults that spoil a response after processing apply to whatever the
    // answer was, a 404 included.
    if (processes_request(fault) && res.transport == fault_kind::none) {
        note_fault(fault);
        res.transport = fault;
    }
    return m.r;
}

void service::route_api(const http_request& req, std::string_view key, const api_match& m, fault_kind& fault,
                        http_response& res)
{
    if (!m.allow.empty()) {
        res.headers.emplace_back("allow", std::string(m.allow));
        return error(res, 405, "method_not_allowed",
                     std::string(req.method) + " is not allowed here (allowed: " + std::string(m.allow) +
                         ")");
    }
    if (m.r == route::other) {
        if (!answer_fault(fault, req.now_ms, res))
            error(res, 404, "not_found",
                  "no route for " + std::string(req.method) + " " + std::string(req.target));
        return;
    }
    if (m.r == route::create) {
        if (!answer_fault(fault, req.now_ms, res))
            handle_create(req, key, fault, res);
        return;
    }
    if (is_worker_route(m.r)) {
        if (!answer_fault(fault, req.now_ms, res))
            route_worker(req, key, m, res);
        return;
    }
    if (is_webhook_route(m.r)) {
        if (!answer_fault(fault, req.now_ms, res))
            route_webhook(req, key, m, res);
        return;
    }
    task_record* task = find_task(m.id);
    // A task's own #get-fault comes before the random draw.
    if (task && m.r != route::archive && task->get_fault_left > 0) {
        --task->get_fault_left;
        fault = task->get_fault;
    }
    if (answer_fault(fault, req.now_ms, res))
        return;
    if (!task) {
        error(res, 404, "not_found", "task " + m.id + " not found");
    } else if (m.r != route::archive) {
        handle_retrieve(*task, m.r == route::turns, req.now_ms, res);
    } else if (key != task->creator_key) {
        error(res, 403, "permission_denied",
              "only the key that created task " + task->id + " may archive it");
    } else {
        task->archived = true;
        res.body = R"({"archived":true})";
    }
}

void service::handle_retrieve(const task_record& task, bool turns_route, std::int64_t now_ms,
                              http_response& res)
{
    if (turns_route)
        render_turns(res.body, task, now_ms, opts_.text_steps, ctx_, scratch_);
    else
        render_retrieve(res.body, task, now_ms, opts_.text_steps, opts_.shape == retrieve_shape::with_turns,
                        ctx_, scratch_);
}

bool service::answer_fault(fault_kind kind, std::int64_t now_ms, http_response& res)
{
    switch (kind) {
    case fault_kind::http429:
        error(res, 429, "rate_limited", "too many requests (simulated)");
        add_retry_after(res.headers, faults_.retry_after, faults_.retry_after_value.count(), now_ms);
        break;
    case fault_kind::http500: error(res, 500, "internal_error", "simulated server error"); break;
    case fault_kind::http503: error(res, 503, "unavailable", "simulated unavailability"); break;
    case fault_kind::no_retry:
        error(res, 503, "unavailable", "simulated unavailability, not to be retried");
        res.headers.emplace_back("x-should-retry", "false");
        break;
    case fault_kind::retry_true:
        error(res, 400, "bad_request", "simulated bad request that may be retried");
        res.headers.emplace_back("x-should-retry", "true");
        break;
    case fault_kind::reset: res.transport = fault_kind::reset; break;
    default: return false;
    }
    note_fault(kind);
    return true;
}

void service::note_fault(fault_kind kind)
{
    std::string_view name = to_string(kind);
    auto it = counters_.faults.find(name);
    if (it == counters_.faults.end())
        it = counters_.faults.emplace(std::string(name), 0).first;
    ++it->second;
}

task_record* service::find_task(std::string_view id)
{
    auto it = tasks_.find(std::string(id));
    return it == tasks_.end() ? nullptr : &it->second;
}

void service::set_faults(const fault_options& f)
{
    std::lock_guard lock(mutex_);
    faults_ = f;
}

boost::json::object service::stats() const
{
    std::lock_guard lock(mutex_);
    return stats_locked();
}

boost::json::object service::stats_locked() const
{
    boost::json::object o;
    o["connections_accepted"] = conn_accepted_.load();
    o["connections_open"] = conn_open_.load();
    o["connections_peak"] = conn_peak_.load();
    o["tls_handshakes"] = handshakes_.load();
    o["tls_resumed"] = resumed_.load();
    o["unsolicited_sent"] = unsolicited_sent_.load();
    boost::json::object requests;
    for (int r = 0; r < static_cast<int>(route::count_); ++r) {
        if (counters_.requests[r].empty())
            continue;
        boost::json::object by_status;
        for (auto [status, count] : counters_.requests[r])
            by_status[status == 0 ? std::string("none") : std::to_string(status)] = count;
        requests[route_name(static_cast<route>(r))] = std::move(by_status);
    }
    o["requests"] = std::move(requests);
    o["tasks_created"] = counters_.tasks_created;
    o["followup_turns"] = counters_.followup_turns;
    o["posts"] = counters_.posts;
    o["duplicate_posts"] = counters_.duplicate_posts;
    boost::json::object faults;
    for (auto& [kind, count] : counters_.faults)
        faults[kind] = count;
    o["faults"] = std::move(faults);
    o["rate_limited"] = counters_.rate_limited;
    o["tasks"] = static_cast<std::int64_t>(tasks_.size());
    o["workers_created"] = counters_.workers_created;
    o["workers_updated"] = counters_.workers_updated;
    o["workers_deleted"] = counters_.workers_deleted;
    o["workers"] = static_cast<std::int64_t>(workers_.size());
    o["structured_outputs"] = counters_.structured_outputs;
    o["structured_fallbacks"] = counters_.structured_fallbacks;
    o["multipart_creates"] = counters_.multipart_creates;
    o["files_received"] = counters_.files_received;
    o["file_bytes_received"] = counters_.file_bytes_received;
    o["schedules_created"] = counters_.schedules_created;
    o["schedules_cancelled"] = counters_.schedules_cancelled;
    o["schedule_runs"] = counters_.schedule_runs;
    o["schedules"] = static_cast<std::int64_t>(schedules_.size());
    o["webhook_deliveries"] = counters_.webhook_deliveries;
    o["webhook_delivery_failures"] = counters_.webhook_delivery_failures;
    return o;
}

void service::reset_stats()
{
    std::lock_guard lock(mutex_);
    reset_locked();
}

void service::reset_locked()
{
    counters_ = counters{};
    conn_accepted_ = 0;
    handshakes_ = 0;
    resumed_ = 0;
    conn_peak_ = conn_open_.load();
}

void service::on_connection_open()
{
    ++conn_accepted_;
    const auto open = ++conn_open_;
    auto peak = conn_peak_.load();
    while (open > peak && !conn_peak_.compare_exchange_weak(peak, open)) {
    }
}

void service::on_connection_close()
{
    --conn_open_;
}

void service::on_handshake(bool resumed)
{
    ++handshakes_;
    if (resumed)
        ++resumed_;
}

} // namespace handinger::sim::detail
