// The README's quick start (test/readme_check.sh keeps the two the same).
#include <handinger/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <iostream>

boost::asio::awaitable<void> run(handinger::client& c)
{
    handinger::create_task_params task;
    task.input = "Summarise this week's filings";
    auto w = c.submit(task);                  // POST /api/tasks, and follow the task at once
    while (auto ev = co_await w.async_next()) // status changes, turns, growing text, the end
        if (auto* added = std::get_if<handinger::events::turn_added>(&*ev))
            std::cout << "turn " << added->turn.seq << "\n";
    std::cout << w.snapshot()->task.status << "\n"; // completed, error or aborted
}

int main()
try {
    boost::asio::io_context ioc;
    handinger::client c(ioc); // HANDINGER_API_KEY, HANDINGER_BASE_URL from the environment
    auto done = boost::asio::co_spawn(ioc, run(c), boost::asio::use_future);
    ioc.run();
    done.get(); // rethrows a failure: handinger::api_error
} catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n"; // e.g. "GET /api/tasks/tsk_...: 404 not found: ..."
    return 1;
}
