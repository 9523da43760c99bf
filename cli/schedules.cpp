// `handinger schedules create|list|cancel`: a worker's schedules.
#include "schedules.hpp"
#include "output.hpp"
#include "run.hpp"

#include <handinger/json.hpp>
#include <handinger/schedules.hpp>

#include <boost/json/value_from.hpp>

#include <CLI/CLI.hpp>

namespace handinger::cli {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// "delayed 60 s", "every 3600 s", "at 2026-05-01T09:30:00Z",
// "cron \"0 9 * * *\" UTC", or an unknown type's name.
std::string describe_when(const schedule_when& w)
{
    if (const auto* at = std::get_if<schedule_at>(&w))
        return "at " + at->date;
    if (const auto* d = std::get_if<schedule_delayed>(&w))
        return "delayed " + std::to_string(d->delay_in_seconds) + " s";
    if (const auto* c = std::get_if<schedule_cron>(&w))
        return "cron \"" + c->cron + "\" " + c->timezone.value_or("UTC");
    if (const auto* i = std::get_if<schedule_interval>(&w))
        return "every " + std::to_string(i->interval_seconds) + " s";
    const auto type = type_of(w);
    return type.str().empty() ? std::string("(no type)") : std::string(type.str());
}

// One line: "sch_...  every 60 s  next 2026-...Z  \"input\"".
std::string describe(const worker_schedule& s)
{
    return s.id + "  " + describe_when(s.when) + "  next " + s.next_run_at.value_or("-") + "  \"" + s.input +
           "\"\n";
}

void add_worker_option(CLI::App* cmd, std::string& worker_id)
{
    cmd->add_option("--worker,--worker-id", worker_id, "The worker (wrk_...)")->required()->type_name("ID");
}

} // namespace

schedule_commands::schedule_commands(CLI::App& app)
{
    auto* schedules = app.add_subcommand("schedules", "Run a worker's input later or repeatedly");
    schedules->require_subcommand(1);
    schedules->fallthrough();

    create_ = schedules->add_subcommand("create", "Make a schedule: the input runs as a task of the worker "
                                                  "at each time it names");
    create_->fallthrough();
    add_worker_option(create_, worker_id_);
    create_->add_option("--input", input_, "What the worker is to do at each run")
        ->required()
        ->type_name("TEXT");
    auto* when = create_->add_option_group("when", "When it runs (exactly one)");
    when->add_option("--at", at_, "Once, at an RFC 3339 date-time (2026-05-01T09:30:00Z)")->type_name("DATE");
    when->add_option("--delay", delay_, "Once, SECONDS from now (1 to 31536000)")->type_name("SECONDS");
    auto* cron = when->add_option("--cron", cron_,
                                  "At each time a five-field cron expression matches "
                                  "(\"30 9 * * MON-FRI\")")
                     ->type_name("EXPR");
    when->add_option("--every", every_, "Every SECONDS (1 to 31536000)")->type_name("SECONDS");
    when->require_option(1);
    create_->add_option("--timezone", timezone_, "The cron expression's time zone (default UTC)")
        ->needs(cron)
        ->type_name("TZ");
    create_
        ->add_option("--budget", budget_, "Each run's budget: low, standard (the default), high or unlimited")
        ->check(CLI::IsMember({"low", "standard", "high", "unlimited"}).description(""))
        ->type_name("BUDGET");

    list_ = schedules->add_subcommand("list", "Print a worker's schedules still to run");
    list_->fallthrough();
    add_worker_option(list_, worker_id_);

    cancel_ = schedules->add_subcommand("cancel", "Cancel a schedule (a task it started goes on)");
    cancel_->fallthrough();
    add_worker_option(cancel_, worker_id_);
    cancel_->add_option("SCHEDULE_ID", schedule_id_, "Schedule id (sch_...)")->required();
}

bool schedule_commands::given() const
{
    return create_->parsed() || list_->parsed() || cancel_->parsed();
}

int schedule_commands::run(const global_args& g) const
{
    if (create_->parsed()) {
        create_schedule_params p;
        p.input = input_;
        if (delay_)
            p.when = schedule_delayed{*delay_};
        else if (every_)
            p.when = schedule_interval{*every_};
        else if (create_->count("--cron"))
            p.when =
                schedule_cron{cron_, create_->count("--timezone") ? std::optional(timezone_) : std::nullopt};
        else
            p.when = schedule_at{at_};
        if (!budget_.empty())
            p.budget = open_enum<task_budget>::from_string(budget_);
        if (auto bad = validate(p); !bad.empty()) {
            print_error("invalid schedule: " + bad);
            return exit_usage;
        }
        auto body = [&](client& c) -> asio::awaitable<int> {
            auto s = co_await c.schedules().async_create(worker_id_, p);
            if (g.format == output_format::pretty)
                emit("created " + s.id + " (" + describe_when(s.when) + ", next run " +
                     s.next_run_at.value_or("none") + ")\n");
            else
                print_json(json::value_from(s), g.format);
            co_return exit_ok;
        };
        return finish_output(run_with_client(g, body));
    }
    if (list_->parsed()) {
        auto body = [&](client& c) -> asio::awaitable<int> {
            auto l = co_await c.schedules().async_list(worker_id_);
            if (g.format != output_format::pretty)
                print_json(json::value_from(l), g.format);
            else if (l.schedules.empty())
                emit("no schedules on " + worker_id_ + "\n");
            else
                for (const auto& s : l.schedules)
                    emit(describe(s));
            co_return exit_ok;
        };
        return finish_output(run_with_client(g, body));
    }
    auto body = [&](client& c) -> asio::awaitable<int> {
        auto r = co_await c.schedules().async_cancel(worker_id_, schedule_id_);
        if (g.format != output_format::pretty)
            print_json(json::value_from(r), g.format);
        else if (r.presence.has_value(cancel_schedule_response::field::cancelled))
            emit(schedule_id_ + (r.cancelled ? " cancelled\n" : " not cancelled\n"));
        else // a 2xx that does not say: not counted as cancelled
            emit(schedule_id_ + " cancel answered without saying whether it was cancelled\n");
        co_return r.cancelled ? exit_ok : exit_failed;
    };
    return finish_output(run_with_client(g, body));
}

} // namespace handinger::cli
