// Submits a task and follows it event by event with a task_watcher: status
// changes, each turn as it appears, the text appended to running turns, and
// the terminal status. Exits 0 when the task completed with at least one turn.
// Configuration from the environment (HANDINGER_API_KEY, HANDINGER_BASE_URL,
// HANDINGER_CA_FILE); ctest runs it against the simulator (run_with_sim.sh).
// Usage: 02_watch_turns [input text]
#include <handinger/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <iostream>
#include <variant>

namespace asio = boost::asio;
namespace ev = handinger::events;

asio::awaitable<int> watch_turns(handinger::client& c, std::string input)
{
    handinger::create_task_params params;
    params.input = std::move(input);
    handinger::watch_options opts;
    opts.report_retrying = true;     // also show transient errors being ridden out
    auto w = c.submit(params, opts); // POSTs in the background; the watcher follows the new task
    std::cout << "submitted " << w.task_id() << "\n";

    int turns_added = 0;
    bool completed = false;
    while (auto event = co_await w.async_next()) {
        if (auto* s = std::get_if<ev::status_changed>(&*event)) {
            std::cout << "status: " << (s->from ? s->from->str() : "(none)") << " -> " << s->to << "\n";
        } else if (auto* a = std::get_if<ev::turn_added>(&*event)) {
            ++turns_added;
            std::cout << "turn " << a->turn.seq << " added [" << a->turn.status << "] \""
                      << a->turn.output_text << "\"\n";
        } else if (auto* u = std::get_if<ev::turn_updated>(&*event)) {
            std::cout << "turn " << u->turn.seq << " [" << u->turn.status << "] "
                      << (u->replaced ? "now: " : "+ ") << '"' << u->text << "\"\n";
        } else if (auto* t = std::get_if<ev::terminal>(&*event)) {
            completed = t->status == handinger::task_status::completed;
            std::cout << "terminal: " << t->status << " (" << t->snapshot.turns.size() << " turns, "
                      << t->snapshot.task.totals.credits << " credits)\n";
        } else if (auto* r = std::get_if<ev::retrying>(&*event)) {
            std::cout << "retrying in " << r->delay.count() << " ms: " << r->diag.to_string(r->ec) << "\n";
        }
    }
    co_return (completed && turns_added > 0) ? 0 : 1;
}

int main(int argc, char** argv)
{
    try {
        asio::io_context ioc;
        handinger::client c(ioc); // everything from the environment
        std::string input = argc > 1 ? argv[1] : "Compare three vendors' pricing";
        auto done = asio::co_spawn(ioc, watch_turns(c, input), asio::use_future);
        ioc.run();
        return done.get();
    } catch (const handinger::api_error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    }
}
