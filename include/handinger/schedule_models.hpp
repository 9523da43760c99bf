// The Schedules resource's types (API.md "Schedules"): a worker's input run
// later or repeatedly. The body of a create, the `when` of a schedule (one
// type per variant, in a std::variant), and what the service answers. The
// reading rules of models.hpp apply (lenient, unknown keys kept in `raw`,
// unknown enum strings kept raw, `presence` says how each tolerant field
// arrived), and a `when` of a type this library does not know is kept as
// its JSON object.
//
// JSON: read_json / parse_json / to_json_string of <handinger/json.hpp>
// take these types too (worker_schedule, schedule_list,
// cancel_schedule_response, create_schedule_params); their value_from
// writers are declared at the end of this header.
#pragma once

#include <handinger/field_presence.hpp>
#include <handinger/models.hpp>
#include <handinger/open_enum.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value_from.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace handinger {

/// The kind of a schedule's `when` (its `type`).
enum class schedule_type { scheduled, delayed, cron, interval, unknown };

template <>
struct enum_traits<schedule_type> {
    static constexpr std::array<std::string_view, 4> names{"scheduled", "delayed", "cron", "interval"};
};

/// The service's limits on a schedule.
struct schedule_limits {
    /// delayInSeconds and intervalSeconds: 1 second to 365 days.
    static constexpr std::int64_t min_seconds = 1;
    static constexpr std::int64_t max_seconds = 31'536'000;
};

/// `{"type": "scheduled", "date": ...}`: once, at a point in time.
struct schedule_at {
    /// An RFC 3339 date-time: "2026-05-01T09:30:00Z", "2026-05-01T11:30:00+02:00".
    std::string date;

    friend bool operator==(const schedule_at&, const schedule_at&) = default;
};

/// `{"type": "delayed", "delayInSeconds": n}`: once, n seconds after the
/// schedule is made.
struct schedule_delayed {
    std::int64_t delay_in_seconds = 0; ///< 1 to 31,536,000

    friend bool operator==(const schedule_delayed&, const schedule_delayed&) = default;
};

/// `{"type": "cron", "cron": ..., "timezone"?: ...}`: at every time a cron
/// expression matches. The service does not document its dialect; this
/// library accepts the classic five fields (minute hour day-of-month month
/// day-of-week, with `*`, lists, ranges, steps and the English names of
/// months and days) and refuses anything else before sending it.
struct schedule_cron {
    std::string cron;                    ///< "30 9 * * MON-FRI"
    std::optional<std::string> timezone; ///< an IANA name; absent: UTC

    friend bool operator==(const schedule_cron&, const schedule_cron&) = default;
};

/// `{"type": "interval", "intervalSeconds": n}`: every n seconds.
struct schedule_interval {
    std::int64_t interval_seconds = 0; ///< 1 to 31,536,000

    friend bool operator==(const schedule_interval&, const schedule_interval&) = default;
};

/// A `when` of a type this library does not know, kept as its JSON object
/// (its "type" included). For a schedule read from the service, `fields` are
/// the schedule's keys other than id, input, budget and nextRunAt. A create
/// refuses to send one (validate()).
struct schedule_unknown {
    boost::json::object fields;

    friend bool operator==(const schedule_unknown& a, const schedule_unknown& b)
    {
        return a.fields == b.fields;
    }
};

/// When a schedule runs: one type per variant of the service's `when`.
using schedule_when =
    std::variant<schedule_at, schedule_delayed, schedule_cron, schedule_interval, schedule_unknown>;

/// The `type` of `w`: its known type, or the raw "type" string of an
/// unknown one ("" when it has none, or not a string).
open_enum<schedule_type> type_of(const schedule_when& w);

/// The body of `POST /api/workers/{id}/schedules`.
struct create_schedule_params {
    std::string input;                            ///< the task's input at each run; at least 1 character
    schedule_when when;                           ///< when it runs
    std::optional<open_enum<task_budget>> budget; ///< each run's budget; the service's default: standard

    friend bool operator==(const create_schedule_params&, const create_schedule_params&) = default;
};

/// Checks `p` before any I/O: input at least 1 character and valid UTF-8;
/// by `when`: date an RFC 3339 date-time (section 5.6, e.g.
/// "2026-05-01T09:30:00Z"; the past is not refused here, the service
/// decides), delayInSeconds and intervalSeconds 1..31,536,000, cron a valid
/// expression of the five classic fields that matches some date (see
/// schedule_cron), timezone (when given) at least 1 character, a `when` of
/// an unknown type refused; budget one of the four known values. Returns an
/// empty string when valid, else "field: problem" for the first problem, the
/// field named as on the wire ("when.intervalSeconds: must be between 1 and
/// 31536000 (got 0)").
std::string validate(const create_schedule_params& p);

/// API.md "WorkerSchedule": one schedule, as create and list answer it.
/// `id` and `type` are required when reading (the type says which variant
/// `when` holds); every other field may be null or absent (see `presence`):
/// a variant's own field too (`when` then holds its unset value).
struct worker_schedule {
    /// The fields that may be null or absent, in wire order; the last five
    /// belong to one variant each.
    enum class field : std::uint8_t {
        input,
        budget,
        next_run_at,
        date,
        delay_in_seconds,
        cron,
        timezone,
        interval_seconds,
    };
    static constexpr std::array<std::string_view, 8> field_names{
        "input", "budget", "nextRunAt", "date", "delayInSeconds", "cron", "timezone", "intervalSeconds"};

    std::string id;     ///< "sch_..."
    schedule_when when; ///< from `type` and the variant's own field(s)
    std::string input;
    open_enum<task_budget> budget;
    /// The next run, an RFC 3339 date-time; null when none is to come.
    std::optional<std::string> next_run_at;
    boost::json::object raw; ///< the whole object as received
    field_presence<field> presence{};

    open_enum<schedule_type> type() const { return type_of(when); }

    /// Equality compares the typed fields only, not `raw` nor `presence`.
    friend bool operator==(const worker_schedule& a, const worker_schedule& b)
    {
        return a.id == b.id && a.when == b.when && a.input == b.input && a.budget == b.budget &&
               a.next_run_at == b.next_run_at;
    }
};

/// `GET /api/workers/{id}/schedules`: `{schedules, workerId}`. `schedules`
/// is required when reading.
struct schedule_list {
    enum class field : std::uint8_t { worker_id };
    static constexpr std::array<std::string_view, 1> field_names{"workerId"};

    std::vector<worker_schedule> schedules;
    std::string worker_id;
    boost::json::object raw;
    field_presence<field> presence{};

    friend bool operator==(const schedule_list& a, const schedule_list& b)
    {
        return a.schedules == b.schedules && a.worker_id == b.worker_id;
    }
};

/// `DELETE /api/workers/{id}/schedules/{scheduleId}`: `{cancelled}`. A null
/// or absent `cancelled` reads as false; `presence` tells it from an
/// explicit false.
struct cancel_schedule_response {
    enum class field : std::uint8_t { cancelled };
    static constexpr std::array<std::string_view, 1> field_names{"cancelled"};

    bool cancelled = false;
    boost::json::object raw;
    field_presence<field> presence{};

    friend bool operator==(const cancel_schedule_response& a, const cancel_schedule_response& b)
    {
        return a.cancelled == b.cancelled;
    }
};

// Writers, usable through boost::json::value_from(x). A `when` is written as
// its wire object ({"type": ..., its field}); a create's body leaves an
// absent budget out; a schedule writes its `when` flat, as the service does.
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const schedule_when& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const create_schedule_params& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const worker_schedule& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const schedule_list& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const cancel_schedule_response& v);

} // namespace handinger
