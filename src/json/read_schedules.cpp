// Reading the Schedules resource's models (schedule_models.hpp): a `when`
// of a known type into its own struct, of an unknown one kept as JSON.
#include "json/read_top.hpp"

#include <handinger/schedule_models.hpp>

namespace handinger {
namespace detail {

bool read_value(const json::value& v, schedule_when& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, worker_schedule& out, const json_path& at, std::string& what);

namespace {

// The keys of a listed schedule that are not its `when`'s.
bool common_key(std::string_view k)
{
    return k == "id" || k == "input" || k == "budget" || k == "nextRunAt";
}

// The `when` a `type` names, its own fields read from `r` (tolerant in a
// listed schedule, whose presence they are recorded in; optional in a `when`
// object, where `presence` is null). An unknown type keeps the object's keys
// but the common ones (`all` false) or all of them.
void read_when(const json::object& o, const open_enum<schedule_type>& type, object_reader& r,
               field_presence<worker_schedule::field>* presence, bool all, schedule_when& out)
{
    using F = worker_schedule::field;
    auto field = [&](std::string_view key, auto& value, F f) {
        if (presence)
            r.tol(key, value, *presence, f);
        else
            r.opt(key, value);
    };
    switch (type.value()) {
    case schedule_type::scheduled: field("date", out.emplace<schedule_at>().date, F::date); return;
    case schedule_type::delayed:
        field("delayInSeconds", out.emplace<schedule_delayed>().delay_in_seconds, F::delay_in_seconds);
        return;
    case schedule_type::cron: {
        auto& c = out.emplace<schedule_cron>();
        field("cron", c.cron, F::cron);
        field("timezone", c.timezone, F::timezone);
        return;
    }
    case schedule_type::interval:
        field("intervalSeconds", out.emplace<schedule_interval>().interval_seconds, F::interval_seconds);
        return;
    default: break;
    }
    auto& fields = out.emplace<schedule_unknown>().fields;
    for (const auto& kv : o)
        if (all || !common_key(kv.key()))
            fields.emplace(kv.key(), kv.value());
}

} // namespace

// A `when` object: its type is required, its own field optional.
bool read_value(const json::value& v, schedule_when& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    if (!o)
        return false;
    open_enum<schedule_type> type;
    object_reader r(*o, at, what);
    if (!r.req("type", type).ok())
        return false;
    read_when(*o, type, r, nullptr, true, out);
    return r.ok();
}

bool read_value(const json::value& v, create_schedule_params& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .opt("input", out.input)
                    .opt("when", out.when)
                    .opt("budget", out.budget)
                    .ok();
}

// A schedule: its id (the handle of a cancel) and its type (which says what
// `when` holds) are strict, the rest tolerant.
bool read_value(const json::value& v, worker_schedule& out, const json_path& at, std::string& what)
{
    using F = worker_schedule::field;
    auto& p = out.presence;
    const auto* o = as_object(v, at, what);
    if (!o)
        return false;
    open_enum<schedule_type> type;
    object_reader r(*o, at, what);
    r.req("id", out.id)
        .req("type", type)
        .tol("input", out.input, p, F::input)
        .tol("budget", out.budget, p, F::budget)
        .tol("nextRunAt", out.next_run_at, p, F::next_run_at);
    if (!r.ok())
        return false;
    read_when(*o, type, r, &p, false, out.when);
    // Each schedule of a list keeps its object too (a top-level one has it
    // replaced by the document itself, without a copy).
    out.raw = *o;
    return r.ok();
}

bool read_value(const json::value& v, schedule_list& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .req("schedules", out.schedules)
                    .tol("workerId", out.worker_id, out.presence, schedule_list::field::worker_id)
                    .ok();
}

bool read_value(const json::value& v, cancel_schedule_response& out, const json_path& at, std::string& what)
{
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .tol("cancelled", out.cancelled, out.presence, cancel_schedule_response::field::cancelled)
                    .ok();
}

} // namespace detail

HANDINGER_INSTANTIATE_READ(create_schedule_params)
HANDINGER_INSTANTIATE_READ(worker_schedule)
HANDINGER_INSTANTIATE_READ(schedule_list)
HANDINGER_INSTANTIATE_READ(cancel_schedule_response)

#undef HANDINGER_INSTANTIATE_READ

} // namespace handinger
