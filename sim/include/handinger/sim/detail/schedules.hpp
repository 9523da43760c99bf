// The simulator's schedules (API.md "Schedules"): what it remembers of one,
// and the validation of the body that creates one, without I/O.
#pragma once

#include <handinger/sim/detail/workers.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace handinger::sim::detail {

/// One schedule. A one-shot schedule (scheduled, delayed) is forgotten once
/// it has run, as a cancelled one is.
struct schedule_record {
    std::string id;        ///< "sch_..."
    std::string worker_id; ///< the worker its runs start tasks on
    std::string owner_key; ///< the key that made it: only it may cancel it; its runs' tasks are that key's
    std::string input;
    std::string budget;                  ///< as given, "standard" when not
    std::string type;                    ///< "scheduled", "delayed", "cron" or "interval"
    std::string date;                    ///< scheduled: the date as given
    std::int64_t seconds = 0;            ///< delayed: delayInSeconds; interval: intervalSeconds
    std::string cron;                    ///< cron: the expression as given
    std::optional<std::string> timezone; ///< cron: as given
    std::int64_t next_ms = 0;            ///< when it runs next (unix ms)
};

/// What a create body asks for: the record's fields from `input` to
/// `timezone`, and the date's time (unix ms) for a scheduled one.
struct schedule_fields {
    std::string_view input, budget, type, date, cron;
    std::optional<std::string_view> timezone;
    std::int64_t seconds = 0;
    std::int64_t date_ms = 0;
};

/// Reads and checks a create body against API.md: input a non-empty
/// string; when an object whose type is scheduled (date an RFC 3339
/// date-time), delayed (delayInSeconds an integer 1..31,536,000), cron (cron
/// a valid five-field expression that matches some date; timezone, when
/// given, UTC: the simulator evaluates cron in UTC only) or interval
/// (intervalSeconds 1..31,536,000); budget one of low, standard, high,
/// unlimited. The first problem found, in wire order, with the field named
/// as "when.delayInSeconds", or nothing.
std::optional<worker_problem> read_schedule_fields(const boost::json::object& body, schedule_fields& out);

} // namespace handinger::sim::detail
