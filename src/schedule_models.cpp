// validate(create_schedule_params) and type_of(schedule_when): the
// service's limits, and the library's cron dialect, checked before any I/O.
#include <handinger/schedule_models.hpp>

#include "policy/cron.hpp"
#include "policy/rfc3339.hpp"
#include "util/utf8.hpp"

#include <boost/json/value.hpp>

namespace handinger {
namespace {

using L = schedule_limits;

std::string check_seconds(std::string_view field, std::int64_t n)
{
    if (n >= L::min_seconds && n <= L::max_seconds)
        return {};
    return std::string(field) + ": must be between " + std::to_string(L::min_seconds) + " and " +
           std::to_string(L::max_seconds) + " (got " + std::to_string(n) + ")";
}

std::string check_when(const schedule_when& w)
{
    if (const auto* at = std::get_if<schedule_at>(&w)) {
        if (!detail::parse_rfc3339(at->date))
            return "when.date: must be an RFC 3339 date-time such as 2026-05-01T09:30:00Z";
        return {};
    }
    if (const auto* d = std::get_if<schedule_delayed>(&w))
        return check_seconds("when.delayInSeconds", d->delay_in_seconds);
    if (const auto* c = std::get_if<schedule_cron>(&w)) {
        if (c->cron.empty())
            return "when.cron: must be at least 1 character";
        std::string why;
        if (!detail::cron_expr::parse(c->cron, why))
            return "when.cron: " + why;
        if (c->timezone && c->timezone->empty())
            return "when.timezone: must be at least 1 character";
        if (c->timezone && !detail::valid_utf8(*c->timezone))
            return "when.timezone: must be valid UTF-8";
        return {};
    }
    if (const auto* i = std::get_if<schedule_interval>(&w))
        return check_seconds("when.intervalSeconds", i->interval_seconds);
    return "when.type: must be one of scheduled, delayed, cron, interval (got \"" +
           std::string(type_of(w).str()) + "\")";
}

} // namespace

open_enum<schedule_type> type_of(const schedule_when& w)
{
    switch (w.index()) {
    case 0: return schedule_type::scheduled;
    case 1: return schedule_type::delayed;
    case 2: return schedule_type::cron;
    case 3: return schedule_type::interval;
    default: break;
    }
    const auto& fields = std::get<schedule_unknown>(w).fields;
    const auto* t = fields.if_contains("type");
    if (!t || !t->is_string())
        return open_enum<schedule_type>::from_string({});
    return open_enum<schedule_type>::from_string(
        std::string_view(t->get_string().data(), t->get_string().size()));
}

std::string validate(const create_schedule_params& p)
{
    if (p.input.empty())
        return "input: must be at least 1 character";
    if (!detail::valid_utf8(p.input))
        return "input: must be valid UTF-8";
    if (auto s = check_when(p.when); !s.empty())
        return s;
    if (p.budget && !p.budget->known())
        return "budget: must be one of low, standard, high, unlimited (got \"" +
               std::string(p.budget->str()) + "\")";
    return {};
}

} // namespace handinger
