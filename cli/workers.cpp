// `handinger workers create|get|update|delete|email`: flags into
// create_worker_params / update_worker_params (checked before any request,
// as the library checks them), the answers in the tool's formats.
#include "workers.hpp"
#include "output.hpp"
#include "run.hpp"

#include <handinger/json.hpp>
#include <handinger/workers.hpp>

#include <CLI/CLI.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <type_traits>

namespace handinger::cli {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// The fields that create and update share, as given on the command line.
struct field_flags {
    std::string instructions, prompt, schema, summary, title, visibility;
    bool clear_schema = false;
};

void add_field_flags(CLI::App* cmd, field_flags& f, bool create)
{
    auto* instructions = cmd->add_option("--instructions", f.instructions,
                                         "The worker's instructions (at most 20,000 characters)")
                             ->type_name("TEXT");
    if (create)
        cmd->add_option("--prompt", f.prompt,
                        "What the worker is for (at most 10,000 characters); the service writes its "
                        "instructions from it")
            ->type_name("TEXT")
            ->excludes(instructions);
    auto* schema = cmd->add_option("--schema", f.schema,
                                   "Output schema (JSON Schema draft-07): a JSON object, a file holding one, "
                                   "or - for standard input")
                       ->type_name("JSON|FILE");
    if (!create)
        cmd->add_flag("--clear-schema", f.clear_schema, "Remove the output schema")->excludes(schema);
    cmd->add_option("--summary", f.summary, "A short description (at most 80 characters)")->type_name("TEXT");
    cmd->add_option("--title", f.title, "The worker's name (1 to 200 characters)")->type_name("TEXT");
    cmd->add_option("--visibility", f.visibility, "public (the service's default) or private")
        ->check(CLI::IsMember({"public", "private"}).description(""))
        ->type_name("VISIBILITY");
}

// --schema's value: JSON text when it starts with '{' or '[', else a file
// (- for standard input) holding it. It must be a JSON object.
std::optional<json::object> read_schema(const std::string& arg, std::string& problem)
{
    std::string text;
    const auto first = arg.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && (arg[first] == '{' || arg[first] == '[')) {
        text = arg;
    } else if (arg == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
        std::ifstream in(arg, std::ios::binary);
        if (!in) {
            problem = "--schema: cannot read " + arg + ": " + std::strerror(errno);
            return std::nullopt;
        }
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec) {
        problem = "--schema: not JSON (" + ec.message() + ")";
        return std::nullopt;
    }
    if (!v.is_object()) {
        problem = "--schema: must be a JSON object";
        return std::nullopt;
    }
    return std::move(v.get_object());
}

std::string one_line(const json::value& v)
{
    return json::serialize(v);
}

void indented(std::ostringstream& os, std::string_view text, std::string_view prefix)
{
    std::istringstream in{std::string(text)};
    for (std::string line; std::getline(in, line);)
        os << prefix << line << '\n';
}

std::string describe(const worker_template& w)
{
    std::ostringstream os;
    os << w.id << "  \"" << w.title << "\"  " << w.visibility << "\n";
    if (!w.summary.empty())
        os << "  " << w.summary << "\n";
    os << "  created " << w.created_at.value_or("-") << ", updated " << w.updated_at.value_or("-") << "\n";
    if (!w.url.empty())
        os << "  " << w.url << "\n";
    if (!w.instructions.empty()) {
        os << "  instructions:\n";
        indented(os, w.instructions, "    ");
    }
    if (w.output_schema)
        os << "  output schema: " << one_line(*w.output_schema) << "\n";
    else
        os << "  no output schema\n";
    return os.str();
}

std::string describe(const run_result& r)
{
    std::ostringstream os;
    os << r.id << "  " << r.status << "\n";
    if (!r.output_text.empty())
        indented(os, r.output_text, "  ");
    if (r.structured_output) {
        os << "  structured output:\n";
        indented(os, pretty_json(*r.structured_output), "    ");
    }
    if (!r.error.is_null())
        os << "  error: " << one_line(r.error) << "\n";
    return os.str();
}

template <class T>
void print(const T& v, output_format f, const std::string& pretty)
{
    if (f == output_format::pretty)
        emit(pretty);
    else
        print_json(json::value_from(v), f);
}

} // namespace

struct workers_command::state {
    CLI::App* create = nullptr;
    CLI::App* get = nullptr;
    CLI::App* update = nullptr;
    CLI::App* del = nullptr;
    CLI::App* email = nullptr;
    field_flags fields;
    std::string id, task_id;

    // The flags given (even empty: validation then says why they are
    // refused) as a create's or an update's fields; false after printing
    // why they cannot be.
    template <class Params>
    bool fill(CLI::App* cmd, Params& p)
    {
        const auto given = [&](const char* flag) { return cmd->count(flag) > 0; };
        if (given("--instructions"))
            p.instructions = fields.instructions;
        if constexpr (std::is_same_v<Params, create_worker_params>)
            if (given("--prompt"))
                p.prompt = fields.prompt;
        if (given("--schema")) {
            std::string problem;
            auto schema = read_schema(fields.schema, problem);
            if (!schema) {
                print_error(problem);
                return false;
            }
            p.output_schema = std::move(*schema);
        }
        if constexpr (std::is_same_v<Params, update_worker_params>)
            if (fields.clear_schema)
                p.output_schema = nullptr;
        if (given("--summary"))
            p.summary = fields.summary;
        if (given("--title"))
            p.title = fields.title;
        if (given("--visibility"))
            p.visibility = open_enum<worker_visibility>::from_string(fields.visibility);
        if (auto bad = validate(p); !bad.empty()) {
            print_error("invalid worker: " + bad);
            return false;
        }
        return true;
    }
};

workers_command::workers_command(CLI::App& app) : s_(std::make_unique<state>())
{
    auto* workers = app.add_subcommand("workers", "Create and manage workers (reusable agent templates)");
    workers->require_subcommand(1);
    workers->fallthrough();
    const auto with_id = [&](const char* name, const char* what) {
        auto* cmd = workers->add_subcommand(name, what);
        cmd->fallthrough();
        cmd->add_option("ID", s_->id, "Worker id (wrk_...)")->required();
        return cmd;
    };
    s_->create = workers->add_subcommand("create", "Create a worker and print it");
    s_->create->fallthrough();
    add_field_flags(s_->create, s_->fields, true);
    s_->get = with_id("get", "Print the run of the worker's latest task (or of --task)");
    s_->get->add_option("--task", s_->task_id, "The run of this task of the worker instead")
        ->type_name("TASK_ID");
    s_->update = with_id("update", "Change the fields given (creator only) and print the worker");
    add_field_flags(s_->update, s_->fields, false);
    s_->del = with_id("delete", "Delete a worker (creator only; its tasks stay)");
    s_->email = with_id("email", "Print the worker's inbound email address (creator only)");
}

workers_command::~workers_command() = default;

std::optional<int> workers_command::run(const global_args& g)
{
    state& s = *s_;
    const std::string& id = s.id;
    const output_format f = g.format;
    if (*s.create) {
        create_worker_params p;
        if (!s.fill(s.create, p))
            return exit_usage;
        return finish_output(run_with_client(g, [&](client& c) -> asio::awaitable<int> {
            auto w = co_await c.workers().async_create(p);
            print(w, f, describe(w));
            co_return exit_ok;
        }));
    }
    if (*s.update) {
        update_worker_params p;
        if (!s.fill(s.update, p))
            return exit_usage;
        return finish_output(run_with_client(g, [&](client& c) -> asio::awaitable<int> {
            auto w = co_await c.workers().async_update(id, p);
            print(w, f, describe(w));
            co_return exit_ok;
        }));
    }
    if (*s.get) {
        const bool for_task = s.get->count("--task") > 0;
        return finish_output(run_with_client(g, [&](client& c) -> asio::awaitable<int> {
            run_result r;
            if (for_task)
                r = co_await c.workers().async_retrieve_run(id, s.task_id);
            else
                r = co_await c.workers().async_retrieve(id);
            print(r, f, describe(r));
            co_return exit_ok;
        }));
    }
    if (*s.del) {
        return finish_output(run_with_client(g, [&](client& c) -> asio::awaitable<int> {
            auto r = co_await c.workers().async_delete(id);
            std::string text = id + " delete answered without saying whether it was deleted\n";
            if (r.presence.has_value(delete_worker_response::field::deleted))
                text = id + (r.deleted ? " deleted\n" : " not deleted\n");
            print(r, f, text);
            co_return r.deleted ? exit_ok : exit_failed;
        }));
    }
    if (*s.email) {
        return finish_output(run_with_client(g, [&](client& c) -> asio::awaitable<int> {
            auto r = co_await c.workers().async_retrieve_email(id);
            print(r, f, r.email + "\n");
            co_return exit_ok;
        }));
    }
    return std::nullopt;
}

} // namespace handinger::cli
