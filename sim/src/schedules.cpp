// The Schedules routes (API.md "Schedules"): create, list, cancel; and the
// runs: each schedule starts a task on its worker at its due times.
//
// Time: a `scheduled` date and a cron expression are wall-clock times (cron
// in UTC); delayInSeconds and intervalSeconds count schedule seconds, each
// options::schedule_second long. A run is a task created at the due time,
// whenever the simulator gets to it (its timer, or any request that comes
// later, whichever is first), so what a client sees never depends on when
// the timer woke.
#include <handinger/sim/detail/service.hpp>

#include "policy/cron.hpp"
#include "policy/rfc3339.hpp"
#include "json/text.hpp" // the library's own (src/json, src/policy)

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

namespace handinger::sim::detail {

namespace {

using handinger::detail::cron_expr;

constexpr std::int64_t max_seconds = 31'536'000;
// At most this many runs of one schedule start at once; missed ones beyond
// are skipped (the simulator was stopped in a debugger, say).
constexpr int max_catch_up = 100;

std::optional<worker_problem> problem(std::string_view field, std::string message)
{
    return worker_problem{field, std::move(message)};
}

// A required, non-empty string field of `o`, named `field` in messages.
std::optional<worker_problem> read_required(const boost::json::object& o, std::string_view key,
                                            std::string_view field, std::string_view& out)
{
    const auto* v = o.if_contains(key);
    if (!v)
        return problem(field, std::string(field) + ": required");
    if (!v->is_string())
        return problem(field, std::string(field) + ": must be a string");
    if (v->get_string().empty())
        return problem(field, std::string(field) + ": must be at least 1 character");
    out = std::string_view(v->get_string().data(), v->get_string().size());
    return std::nullopt;
}

// A required integer of seconds, 1..max_seconds (an integral 60.0 counts).
std::optional<worker_problem> read_seconds(const boost::json::object& o, std::string_view key,
                                           std::string_view field, std::int64_t& out)
{
    const auto* v = o.if_contains(key);
    if (!v)
        return problem(field, std::string(field) + ": required");
    boost::system::error_code ec;
    const auto n = v->is_number() ? v->to_number<std::int64_t>(ec) : 0;
    if (!v->is_number() || ec)
        return problem(field, std::string(field) + ": must be an integer");
    if (n < 1 || n > max_seconds)
        return problem(field, std::string(field) + ": must be between 1 and " + std::to_string(max_seconds));
    out = n;
    return std::nullopt;
}

std::optional<worker_problem> read_when(const boost::json::object& w, schedule_fields& f)
{
    const auto* t = w.if_contains("type");
    if (!t)
        return problem("when.type", "when.type: required");
    if (!t->is_string() || (t->get_string() != "scheduled" && t->get_string() != "delayed" &&
                            t->get_string() != "cron" && t->get_string() != "interval"))
        return problem("when.type", "when.type: must be one of scheduled, delayed, cron, interval");
    f.type = std::string_view(t->get_string().data(), t->get_string().size());
    if (f.type == "scheduled") {
        if (auto p = read_required(w, "date", "when.date", f.date))
            return p;
        const auto at = handinger::detail::parse_rfc3339(f.date);
        if (!at)
            return problem("when.date", "when.date: must be an RFC 3339 date-time");
        f.date_ms = at->time_since_epoch().count();
        return std::nullopt;
    }
    if (f.type == "delayed")
        return read_seconds(w, "delayInSeconds", "when.delayInSeconds", f.seconds);
    if (f.type == "interval")
        return read_seconds(w, "intervalSeconds", "when.intervalSeconds", f.seconds);
    if (auto p = read_required(w, "cron", "when.cron", f.cron))
        return p;
    std::string why;
    if (!cron_expr::parse(f.cron, why))
        return problem("when.cron", "when.cron: " + why);
    if (const auto* tz = w.if_contains("timezone"); tz && !tz->is_null()) {
        if (!tz->is_string())
            return problem("when.timezone", "when.timezone: must be a string");
        const std::string_view name(tz->get_string().data(), tz->get_string().size());
        if (name != "UTC" && name != "Etc/UTC")
            return problem("when.timezone", "when.timezone: the simulator evaluates cron in UTC only (UTC, "
                                            "Etc/UTC)");
        f.timezone = name;
    }
    return std::nullopt;
}

// The schedule as the service answers it (API.md "WorkerSchedule").
void render_schedule(handinger::detail::json_writer& w, const schedule_record& s)
{
    w.begin_object();
    w.key("id").str(s.id);
    w.key("type").str(s.type);
    w.key("input").str(s.input);
    w.key("budget").str(s.budget);
    if (s.next_ms == INT64_MAX)
        w.key("nextRunAt").null();
    else
        w.key("nextRunAt").str(iso8601_ms(s.next_ms));
    if (s.type == "scheduled") {
        w.key("date").str(s.date);
    } else if (s.type == "delayed") {
        w.key("delayInSeconds").num(s.seconds);
    } else if (s.type == "interval") {
        w.key("intervalSeconds").num(s.seconds);
    } else {
        w.key("cron").str(s.cron);
        if (s.timezone)
            w.key("timezone").str(*s.timezone);
    }
    w.end_object();
}

} // namespace

std::optional<worker_problem> read_schedule_fields(const boost::json::object& o, schedule_fields& f)
{
    if (auto p = read_required(o, "input", "input", f.input))
        return p;
    const auto* w = o.if_contains("when");
    if (!w)
        return problem("when", "when: required");
    if (!w->is_object())
        return problem("when", "when: must be an object");
    if (auto p = read_when(w->get_object(), f))
        return p;
    f.budget = "standard";
    if (const auto* b = o.if_contains("budget")) {
        const bool ok = b->is_string() && (b->get_string() == "low" || b->get_string() == "standard" ||
                                           b->get_string() == "high" || b->get_string() == "unlimited");
        if (!ok)
            return problem("budget", "budget: must be one of low, standard, high, unlimited");
        f.budget = std::string_view(b->get_string().data(), b->get_string().size());
    }
    return std::nullopt;
}

void service::route_schedule(const http_request& req, std::string_view key, const api_match& m,
                             worker_record& w, http_response& res)
{
    if (w.visibility == "private" && key != w.owner_key)
        return error(res, 403, "permission_denied", "no access to worker " + w.id);
    if (m.r == route::schedule_create)
        return handle_schedule_create(req, key, w, res);
    if (m.r == route::schedule_list) {
        handinger::detail::json_writer out(res.body);
        out.begin_object().key("schedules").begin_array();
        for (const auto& s : schedules_)
            if (s.worker_id == w.id)
                render_schedule(out, s);
        out.end_array().key("workerId").str(w.id).end_object();
        return;
    }
    auto it = std::find_if(schedules_.begin(), schedules_.end(), [&](const schedule_record& s) {
        return s.id == m.schedule_id && s.worker_id == w.id;
    });
    if (it == schedules_.end())
        return error(res, 404, "not_found", "schedule " + m.schedule_id + " not found for worker " + w.id);
    if (key != it->owner_key)
        return error(res, 403, "permission_denied",
                     "only the key that created schedule " + it->id + " may cancel it");
    schedules_.erase(it);
    ++counters_.schedules_cancelled;
    res.body = R"({"cancelled":true})";
}

void service::handle_schedule_create(const http_request& req, std::string_view key, worker_record& w,
                                     http_response& res)
{
    boost::json::value body;
    const boost::json::object* o = body_object(req, body, res);
    if (!o)
        return; // (400 answered)
    schedule_fields f;
    if (auto p = read_schedule_fields(*o, f))
        return error(res, 422, "validation_error", p->message, p->field);

    schedule_record s;
    while (s.id.empty() || std::any_of(schedules_.begin(), schedules_.end(),
                                       [&](const schedule_record& x) { return x.id == s.id; }))
        s.id = make_schedule_id(ids_);
    s.worker_id = w.id;
    s.owner_key = std::string(key);
    s.input = std::string(f.input);
    s.budget = std::string(f.budget);
    s.type = std::string(f.type);
    s.date = std::string(f.date);
    s.seconds = f.seconds;
    s.cron = std::string(f.cron);
    if (f.timezone)
        s.timezone = std::string(*f.timezone);
    const std::int64_t now = req.now_ms;
    if (s.type == "scheduled")
        s.next_ms = f.date_ms; // (a date in the past runs at once)
    else if (s.type == "cron")
        s.next_ms = next_run(s, now).value_or(INT64_MAX);
    else
        s.next_ms = now + s.seconds * schedule_second_ms();
    handinger::detail::json_writer out(res.body);
    render_schedule(out, s);
    schedules_.push_back(std::move(s));
    ++counters_.schedules_created;
    if (schedules_.back().next_ms < next_schedule_ms_) {
        next_schedule_ms_ = schedules_.back().next_ms;
        if (schedule_listener_)
            schedule_listener_();
    }
}

std::optional<std::int64_t> service::next_run(const schedule_record& s, std::int64_t after) const
{
    if (s.type == "interval")
        return after + s.seconds * schedule_second_ms();
    if (s.type != "cron")
        return std::nullopt; // one-shot
    std::string why;
    const auto e = cron_expr::parse(s.cron, why); // (checked when it was made)
    if (!e)
        return std::nullopt;
    using namespace std::chrono;
    const auto t = floor<seconds>(sys_time<milliseconds>(milliseconds(after)));
    const auto next = e->next_after(t);
    if (!next)
        return std::nullopt;
    return duration_cast<milliseconds>(next->time_since_epoch()).count();
}

bool service::run_schedule(const schedule_record& s, std::int64_t due)
{
    worker_record* w = find_worker(s.worker_id);
    if (!w || w->deleted)
        return false;
    task_record& task = add_task({}, s.owner_key, s.input, due);
    task.worker_id = w->id;
    task.triggered_by = "schedule";
    const directives d = parse_directives(s.input);
    task.null_fields = d.null_fields;
    append_run(task, make_run_id(ids_), s.input, plan_of(d), due, opts_.seed);
    w->latest_task = task.id;
    watch_finish(task);
    ++counters_.schedule_runs;
    return true;
}

void service::fire_due_locked(std::int64_t now)
{
    if (next_schedule_ms_ > now)
        return;
    // One run at a time, the earliest due first (among schedules, and
    // each schedule's own due times), so that tasks are made in time order.
    std::vector<int> started(schedules_.size(), 0);
    std::vector<bool> gone(schedules_.size(), false);
    for (;;) {
        std::size_t first = schedules_.size();
        for (std::size_t i = 0; i < schedules_.size(); ++i)
            if (!gone[i] && schedules_[i].next_ms <= now &&
                (first == schedules_.size() || schedules_[i].next_ms < schedules_[first].next_ms))
                first = i;
        if (first == schedules_.size())
            break;
        auto& s = schedules_[first];
        const std::int64_t due = s.next_ms;
        if (!run_schedule(s, due)) {
            gone[first] = true; // its worker was deleted: it ends
            continue;
        }
        auto next = next_run(s, due);
        if (next && *next <= now && ++started[first] >= max_catch_up)
            next = next_run(s, now); // skip the rest of the missed runs
        if (next)
            s.next_ms = *next;
        else
            gone[first] = true; // a one-shot that ran
    }
    std::size_t kept = 0;
    for (std::size_t i = 0; i < schedules_.size(); ++i)
        if (!gone[i] && kept++ != i)
            schedules_[kept - 1] = std::move(schedules_[i]);
    schedules_.resize(kept);
    next_schedule_ms_ = INT64_MAX;
    for (const auto& s : schedules_)
        next_schedule_ms_ = std::min(next_schedule_ms_, s.next_ms);
}

std::optional<std::int64_t> service::fire_due(std::int64_t now)
{
    std::lock_guard lock(mutex_);
    fire_due_locked(now);
    if (next_schedule_ms_ == INT64_MAX)
        return std::nullopt;
    return next_schedule_ms_;
}

void service::set_schedule_listener(std::function<void()> f)
{
    std::lock_guard lock(mutex_);
    schedule_listener_ = std::move(f);
}

} // namespace handinger::sim::detail
