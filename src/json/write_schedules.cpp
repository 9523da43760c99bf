// Writing the Schedules resource's models (schedule_models.hpp) with their
// wire names, as write_models.cpp writes the others: a tolerant field as it
// arrived. A create's body is written through value_from as well (it is
// small, and sent once per create): one description of it, not two.
#include "json/write_schedules.hpp"
#include "json/write_support.hpp"

#include <handinger/schedule_models.hpp>

namespace handinger {

namespace json = boost::json;
using namespace detail;

namespace {

using F = worker_schedule::field;

// The fields of a known `when` after its type: each with the presence it
// arrived with when written from a listed schedule (`m` non-null), or as
// it is when written from a `when` object.
void put_when_fields(json::object& o, const schedule_when& w, const worker_schedule* m)
{
    auto field = [&](F f, const auto& value) {
        if (m)
            put(o, *m, f, value);
        else
            put_value(o, worker_schedule::field_names[static_cast<std::size_t>(f)], value);
    };
    if (const auto* at = std::get_if<schedule_at>(&w)) {
        field(F::date, at->date);
    } else if (const auto* d = std::get_if<schedule_delayed>(&w)) {
        field(F::delay_in_seconds, d->delay_in_seconds);
    } else if (const auto* c = std::get_if<schedule_cron>(&w)) {
        field(F::cron, c->cron);
        // A `when` object leaves an absent timezone out; a listed schedule
        // writes it as it arrived (absent, null or a name).
        if (m || c->timezone)
            field(F::timezone, c->timezone);
    } else if (const auto* i = std::get_if<schedule_interval>(&w)) {
        field(F::interval_seconds, i->interval_seconds);
    }
}

// The wire name of a known type (static storage, unlike the raw string of
// an unknown one).
json::string_view known_type(const schedule_when& w)
{
    const std::string_view s = to_string(type_of(w).value());
    return {s.data(), s.size()};
}

void put_unknown(json::object& o, const schedule_unknown& u)
{
    for (const auto& kv : u.fields)
        o.emplace(kv.key(), json::value(kv.value(), o.storage()));
}

} // namespace

void tag_invoke(json::value_from_tag, json::value& jv, const schedule_when& v)
{
    json::object& o = make_object(jv, 3);
    if (const auto* u = std::get_if<schedule_unknown>(&v)) {
        put_unknown(o, *u);
        return;
    }
    o.emplace("type", known_type(v));
    put_when_fields(o, v, nullptr);
}

void tag_invoke(json::value_from_tag, json::value& jv, const create_schedule_params& v)
{
    json::object& o = make_object(jv, 3);
    o.emplace("input", v.input);
    put_value(o, "when", v.when);
    if (v.budget)
        o.emplace("budget", wire(*v.budget));
}

void tag_invoke(json::value_from_tag, json::value& jv, const worker_schedule& v)
{
    json::object& o = make_object(jv, 8);
    o.emplace("id", v.id);
    const auto* unknown = std::get_if<schedule_unknown>(&v.when);
    if (unknown)
        put_unknown(o, *unknown); // its type first, as the service wrote it
    else
        o.emplace("type", known_type(v.when));
    put(o, v, F::input, v.input);
    put(o, v, F::budget, v.budget);
    put(o, v, F::next_run_at, v.next_run_at);
    if (!unknown)
        put_when_fields(o, v.when, &v);
}

void tag_invoke(json::value_from_tag, json::value& jv, const schedule_list& v)
{
    json::object& o = make_object(jv, 2);
    put_array(o, "schedules", v.schedules);
    put(o, v, schedule_list::field::worker_id, v.worker_id);
}

void tag_invoke(json::value_from_tag, json::value& jv, const cancel_schedule_response& v)
{
    put(make_object(jv, 1), v, cancel_schedule_response::field::cancelled, v.cancelled);
}

template std::string to_json_string(const create_schedule_params&);
template std::string to_json_string(const worker_schedule&);
template std::string to_json_string(const schedule_list&);
template std::string to_json_string(const cancel_schedule_response&);

namespace detail {

std::string create_schedule_body(const create_schedule_params& p)
{
    return to_json_string(p);
}

} // namespace detail
} // namespace handinger
