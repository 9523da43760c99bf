// Creates a task, retrieves it until it ends, and prints each turn and the
// final status. Configuration comes from the environment:
//   HANDINGER_API_KEY, HANDINGER_BASE_URL (default https://handinger.com)
//   HANDINGER_CA_FILE  an extra trusted CA (e.g. the simulator's --ca-out file)
// Usage: 01_create_and_wait [input text]
#include <handinger/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdlib>
#include <iostream>

namespace asio = boost::asio;
using namespace std::chrono_literals;

asio::awaitable<int> create_and_wait(handinger::client& c, std::string input)
{
    handinger::create_task_params params;
    params.input = std::move(input);
    auto created = co_await c.async_create(params);
    std::cout << "created " << created.task_id << " (" << created.run.status << ")\n";

    std::size_t printed = 0;
    std::string last_status;
    for (;;) {
        auto t = co_await c.async_retrieve(created.task_id);
        // Print each turn once it is complete, then any change of status.
        while (printed < t.turns.size() && t.turns[printed].status != handinger::turn_status::running &&
               t.turns[printed].status != handinger::turn_status::pending) {
            const auto& turn = t.turns[printed++];
            std::cout << "turn " << turn.seq << " [" << turn.status << "]: " << turn.output_text << "\n";
        }
        if (t.task.status.str() != last_status) {
            last_status = t.task.status.str();
            std::cout << "status: " << last_status << "\n";
        }
        if (handinger::is_terminal(t.task.status)) {
            std::cout << "final status: " << t.task.status << " (" << t.task.totals.turn_count << " turns, "
                      << t.task.totals.credits << " credits)\n";
            co_return t.task.status == handinger::task_status::completed ? 0 : 1;
        }
        asio::steady_timer pause(co_await asio::this_coro::executor, 500ms);
        co_await pause.async_wait(asio::use_awaitable);
    }
}

int main(int argc, char** argv)
{
    asio::io_context ioc;
    handinger::client_options opts; // everything from the environment
    std::string input = argc > 1 ? argv[1] : "Write a haiku about connection pools";
    try {
        handinger::client c(ioc, opts);
        auto done = asio::co_spawn(ioc, create_and_wait(c, input), asio::use_future);
        ioc.run();
        return done.get();
    } catch (const handinger::api_error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    }
}
