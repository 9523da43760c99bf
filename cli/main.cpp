// handinger: the command-line tool of handinger-cpp (`handinger --help`).
// Arguments are parsed with CLI11; the commands live in tasks.cpp,
// batch.cpp, workers.cpp, schedules.cpp and webhooks.cpp, the simulator's
// own command line in the simulator library.
#include "commands.hpp"
#include "messages.hpp"
#include "output.hpp"
#include "schedules.hpp"
#include "workers.hpp"

#include <handinger/sim/program.hpp>
#include <handinger/version.hpp>

#include <CLI/CLI.hpp>

#include <cmath>
#include <csignal>
#include <string>
#include <vector>

namespace {

using namespace handinger::cli;

constexpr const char* footer = R"(
Environment: HANDINGER_API_KEY, HANDINGER_BASE_URL (default https://handinger.com),
HANDINGER_CA_FILE (an extra trusted CA), HANDINGER_CUSTOM_HEADERS ("Name: value" lines),
HANDINGER_LOG=info|debug, HANDINGER_ALLOW_INSECURE_HTTP=1 (as --allow-insecure-http).
Flags given here win over the environment.

Plain http:// base URLs are accepted for loopback hosts (127.0.0.0/8, ::1,
localhost) only; anything else needs --allow-insecure-http, since the key
would cross the network in clear text.

Exit status: 0 success (a watched task completed); 1 a call failed, or a batch
input failed; 2 bad input (unknown flag, missing value, malformed JSON line, a
--file that cannot be read or is past a limit);
3 the task ended with status error; 4 aborted (or a status unknown to this
tool); 5 the watch deadline or stall timeout expired; 130 interrupted.)";

int run_sim(std::vector<std::string> args)
{
    std::vector<char*> argv;
    std::string name = "handinger sim";
    argv.push_back(name.data());
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    return handinger::sim::run_program(static_cast<int>(argv.size() - 1), argv.data(), "handinger sim");
}

// A number of seconds: finite, positive, at most max_seconds.
const CLI::Validator seconds_value(
    [](std::string& text) -> std::string {
        double d = 0;
        std::size_t used = 0;
        try {
            d = std::stod(text, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != text.size() || !std::isfinite(d) || d <= 0 || d > max_seconds)
            return "expected a number of seconds, more than 0 and at most 1e9, got '" + text + "'";
        return {};
    },
    "", "SECONDS");

void add_deadline(CLI::App* cmd, std::optional<double>& deadline)
{
    cmd->add_option("--deadline", deadline, "Give up watching after SECONDS (default 1800)")
        ->check(seconds_value)
        ->type_name("SECONDS");
}

} // namespace

int main(int argc, char** argv)
{
    std::signal(SIGPIPE, SIG_IGN);
    // `handinger sim ...` hands every later argument to the simulator as is
    // (its --api-key is the key it accepts, not the client's).
    if (argc >= 2 && std::string(argv[1]) == "sim")
        return handinger::sim::run_program(argc - 1, argv + 1, "handinger sim");

    global_args g;
    CLI::App app{"handinger: the Handinger Tasks API from the command line (handinger-cpp).", "handinger"};
    app.footer(footer);
    app.set_version_flag("--version", "handinger " HANDINGER_VERSION_STRING,
                         "Print the version (handinger-cpp's) and exit");
    app.require_subcommand(1);
    app.fallthrough();
    app.add_option("--api-key", g.api_key, "API key (default $HANDINGER_API_KEY)")->type_name("KEY");
    app.add_option("--base-url", g.base_url,
                   "Service URL (default $HANDINGER_BASE_URL, else https://handinger.com)")
        ->type_name("URL");
    app.add_option("--ca-file", g.ca_file, "PEM file of extra trusted CAs (default $HANDINGER_CA_FILE)")
        ->type_name("FILE");
    app.add_option("--timeout", g.timeout_s, "Time limit of one attempt (default 60)")
        ->check(seconds_value)
        ->type_name("SECONDS");
    app.add_option("--max-retries", g.max_retries, "Retries after the first attempt (default 2)")
        ->check(CLI::Range(0, 100).description(""))
        ->type_name("N");
    std::string format = "pretty";
    app.add_option("--format", format, "Output: pretty (default), json (indented) or jsonl (one line)")
        ->check(CLI::IsMember({"pretty", "json", "jsonl"}).description(""))
        ->type_name("FORMAT");
    app.add_flag("--debug", g.debug, "Log each HTTP attempt on stderr (never the key)");
    app.add_flag("--allow-insecure-http", g.allow_insecure_http,
                 "INSECURE: allow an http:// base URL to a host that is not loopback (the key goes in "
                 "clear text)");

    auto* tasks = app.add_subcommand("tasks", "Run and inspect tasks");
    tasks->require_subcommand(1);
    tasks->fallthrough();

    create_args ca;
    std::string budget, task_id, worker_id;
    auto* create = tasks->add_subcommand("create", "Create a task (or add a follow-up turn with --task-id)");
    create->fallthrough();
    create->add_option("--input", ca.params.input, "What the worker is to do")->required()->type_name("TEXT");
    create
        ->add_option("--worker-id", worker_id, "Run on this worker (default: a new one made from the input)")
        ->type_name("ID");
    create->add_option("--task-id", task_id, "Task id to use; an existing one gets a follow-up turn")
        ->type_name("ID");
    create->add_option("--budget", budget, "low, standard (the service's default), high or unlimited")
        ->check(CLI::IsMember({"low", "standard", "high", "unlimited"}).description(""))
        ->type_name("BUDGET");
    std::vector<std::string> files;
    create
        ->add_option("--file", files,
                     "Attach the file at PATH (repeat for more; sent as multipart/form-data, at most 100 "
                     "files, 25 MiB each, 32 MiB in all)")
        ->type_name("PATH")
        ->allow_extra_args(false);
    auto* wait_flag = create->add_flag("--wait", ca.wait, "Wait for the task's end and print it");
    create->add_flag("--watch", ca.watch, "Print each turn as it appears, until the task's end")
        ->excludes(wait_flag);
    add_deadline(create, ca.deadline_s);

    std::string id;
    auto add_id_command = [&](const char* name, const char* what) {
        auto* cmd = tasks->add_subcommand(name, what);
        cmd->fallthrough();
        cmd->add_option("ID", id, "Task id (tsk_...)")->required();
        return cmd;
    };
    auto* get = add_id_command("get", "Print a task with its turns");
    auto* archive = add_id_command("archive", "Archive a task (hides it from listings; does not stop it)");
    auto* turns = add_id_command("turns", "Print a task's turns (GET /api/tasks/{id}/turns)");
    watch_args wa;
    auto* watch =
        add_id_command("watch", "Print each turn as it appears, until the task's end (an unknown id "
                                "fails at once)");
    add_deadline(watch, wa.deadline_s);

    batch_args ba;
    auto* batch = tasks->add_subcommand(
        "batch", "Submit one task per JSON line of FILE (- for stdin); print one JSON result line per input");
    batch->fallthrough();
    batch->footer(
        "\nEach input line is a CreateTask object: {\"input\": \"...\", \"budget\": \"high\", "
        "\"taskId\": \"...\", \"workerId\": \"...\"}.\nResults come in completion order, each with "
        "its \"line\" number; \"ok\" is false when the create failed or, with --wait,\nwhen the task "
        "did not complete (exit status 1). A malformed line fails alone (exit status 2). Progress "
        "goes to stderr: a live bar on a terminal, a summary line otherwise.\nInput is read as it "
        "comes (a producer on a pipe sees its first lines sent at once).\n--journal J: each input's "
        "task id is derived from J's batch key, its line number and its text; a line\nis noted in J "
        "before it is sent and its result after. Run again with the same J (after a crash, a kill),\n"
        "the batch sends only what has no result yet, and looks for the task of an input that may "
        "have been\nsent before sending it: no input is sent twice.\nSIGINT/SIGTERM: nothing new is "
        "sent, the creates in flight get up to 10 s to finish (a second signal:\nat once; watches "
        "end at once), their results are written, exit status 130.");
    batch->add_option("FILE", ba.file, "JSON Lines file, or - for standard input")->required();
    batch
        ->add_option("--concurrency", ba.concurrency,
                     "Creates in flight (the start, with --adaptive; default 16)")
        ->check(CLI::Range(1, 100000).description(""))
        ->type_name("N");
    batch->add_option("--max-concurrency", ba.max_concurrency, "Ceiling of the adaptive limit (default 256)")
        ->check(CLI::Range(1, 100000).description(""))
        ->type_name("N");
    batch->add_flag("--adaptive", ba.adaptive, "Adapt the limit: grow while it is used, halve on 429/503");
    batch->add_flag("--wait", ba.wait, "Also wait for each task's end; results then carry the final task");
    add_deadline(batch, ba.deadline_s);
    batch
        ->add_option("--journal", ba.journal,
                     "Record of the batch (created when missing); a re-run with it sends only what is left")
        ->type_name("J");

    workers_command workers(app);
    schedule_commands schedules(app);
    webhooks_args wha;
    auto* webhooks = add_webhooks_command(app, wha);

    std::vector<std::string> sim_args;
    auto* sim =
        app.add_subcommand("sim", "Run the bundled simulator in the foreground (handinger sim --help)");
    sim->prefix_command();
    sim->fallthrough(false);
    sim->set_help_flag();
    sim->allow_extras();

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        print_error(usage_line(app, e));
        return exit_usage;
    }

    if (*sim)
        return run_sim(sim->remaining());
    g.format = format == "json"    ? output_format::json
               : format == "jsonl" ? output_format::jsonl
                                   : output_format::pretty;
    if (!budget.empty())
        ca.params.budget = handinger::open_enum<handinger::task_budget>::from_string(budget);
    if (create->count("--task-id")) // given, even empty: validation then says why it is refused
        ca.params.task_id = task_id;
    if (create->count("--worker-id"))
        ca.params.worker_id = worker_id;
    for (auto& path : files)
        ca.params.files.push_back(handinger::attachment::from_path(std::move(path)));

    if (auto rc = workers.run(g))
        return *rc;
    if (schedules.given())
        return schedules.run(g);
    if (*create)
        return run_create(g, ca);
    if (*get)
        return run_get(g, id);
    if (*archive)
        return run_archive(g, id);
    if (*turns)
        return run_turns(g, id);
    if (*watch) {
        wa.task_id = id;
        return run_watch(g, wa);
    }
    if (*batch)
        return run_batch(g, ba);
    if (*webhooks)
        return run_webhooks(g, wha);
    return exit_usage;
}
