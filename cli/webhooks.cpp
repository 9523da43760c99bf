// `handinger webhooks get|set|delete|rotate|executions --worker ID`: a
// worker's webhook and its deliveries.
#include "commands.hpp"
#include "output.hpp"
#include "run.hpp"

#include <handinger/json.hpp>
#include <handinger/webhooks.hpp>

#include <CLI/CLI.hpp>

#include <boost/json/value_from.hpp>

namespace handinger::cli {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string describe(const webhook& w)
{
    if (!w.url && !w.token)
        return "no webhook\n";
    return "url: " + w.url.value_or("(none)") + "\ntoken: " + w.token.value_or("(none)") + "\n";
}

// One line: when, how it went, the task, why it failed.
std::string describe(const webhook_execution& e)
{
    std::string s = e.created_at.empty() ? std::string("-") : e.created_at;
    s += "  " + std::string(e.request_status.str().empty() ? "-" : e.request_status.str());
    s += "  " + (e.response_status ? std::to_string(*e.response_status) : std::string("-"));
    s += "  " + e.task_id.value_or("-") + "  " + std::to_string(e.duration_ms) + " ms";
    if (e.error_message)
        s += "  " + *e.error_message;
    return s + "\n";
}

void print_webhook(const webhook& w, output_format f)
{
    if (f == output_format::pretty)
        emit(describe(w));
    else
        print_json(json::value_from(w), f);
}

asio::awaitable<int> list_page(client& c, const webhooks_args& a, output_format f)
{
    auto p = co_await c.webhooks().async_list_executions(a.worker_id, a.page.value_or(1));
    if (f != output_format::pretty) {
        print_json(json::value_from(p), f);
        co_return exit_ok;
    }
    if (p.logs.empty() && p.total_count == 0) {
        emit("no executions\n");
        co_return exit_ok;
    }
    std::string text;
    for (const auto& e : p.logs)
        text += describe(e);
    text += "page " + std::to_string(p.page) + " of " + std::to_string(p.page_count) + " (" +
            std::to_string(p.total_count) + (p.total_count == 1 ? " execution)\n" : " executions)\n");
    emit(text);
    co_return exit_ok;
}

// Every page, printed as it comes: json gathers them into one {"logs"}.
asio::awaitable<int> list_all(client& c, const webhooks_args& a, output_format f)
{
    auto pages = c.webhooks().executions(a.worker_id);
    json::array all;
    std::size_t n = 0;
    while (auto page = co_await pages.async_next_page()) {
        for (const auto& e : *page) {
            ++n;
            if (f == output_format::json)
                all.push_back(json::value_from(e));
            else if (f == output_format::jsonl)
                print_json(json::value_from(e), f);
            else
                emit(describe(e));
        }
        if (output_failed())
            co_return exit_failed; // nobody reads: stop
    }
    if (f == output_format::json)
        print_json(json::object{{"logs", std::move(all)}}, f);
    else if (f == output_format::pretty)
        emit(std::to_string(n) + (n == 1 ? " execution\n" : " executions\n"));
    co_return exit_ok;
}

} // namespace

CLI::App* add_webhooks_command(CLI::App& app, webhooks_args& a)
{
    auto* cmd =
        app.add_subcommand("webhooks", "A worker's webhook: the URL the service POSTs to when its tasks "
                                       "finish, and those deliveries");
    cmd->require_subcommand(1);
    cmd->fallthrough();
    auto add = [&](const char* name, const char* what) {
        auto* sub = cmd->add_subcommand(name, what);
        sub->fallthrough();
        sub->add_option("--worker,--worker-id", a.worker_id, "Worker id (wrk_...)")
            ->required()
            ->type_name("ID");
        sub->callback([&a, name] { a.action = name; });
        return sub;
    };
    add("get", "Print the worker's webhook URL and token");
    auto* set = add("set", "Set the webhook URL (the first one makes a token, later ones keep it)");
    set->add_option("URL", a.url, "Where deliveries go (at most 2048 characters, a URI)")->required();
    add("delete", "Clear the webhook URL and token (deliveries stop)");
    add("rotate", "Replace the webhook token (POST .../webhook/regenerate-token)");
    auto* ex = add("executions", "Print the deliveries made, newest first, 50 a page");
    auto* page = ex->add_option("--page", a.page, "This page only (default 1)")
                     ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000'000}).description(""))
                     ->type_name("N");
    ex->add_flag("--all", a.all, "Every page, in turn")->excludes(page);
    return cmd;
}

int run_webhooks(const global_args& g, const webhooks_args& a)
{
    auto body = [&](client& c) -> asio::awaitable<int> {
        auto hooks = c.webhooks();
        if (a.action == "get")
            print_webhook(co_await hooks.async_retrieve(a.worker_id), g.format);
        else if (a.action == "set")
            print_webhook(co_await hooks.async_update(a.worker_id, a.url), g.format);
        else if (a.action == "delete")
            print_webhook(co_await hooks.async_delete(a.worker_id), g.format);
        else if (a.action == "rotate")
            print_webhook(co_await hooks.async_regenerate_token(a.worker_id), g.format);
        else if (a.all)
            co_return co_await list_all(c, a, g.format);
        else
            co_return co_await list_page(c, a, g.format);
        co_return exit_ok;
    };
    return finish_output(run_with_client(g, body));
}

} // namespace handinger::cli
