// The README's quick start, built and run against the simulator by ctest.
#include <handinger/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <iostream>

namespace asio = boost::asio;

asio::awaitable<void> run(handinger::client& c)
{
    handinger::create_task_params p;
    p.input = "Summarise this week's filings";
    auto created = co_await c.async_create(p);              // POST /api/tasks (taskId generated)
    auto task = co_await c.async_retrieve(created.task_id); // GET /api/tasks/{id}
    std::cout << task.task.status << ", " << task.turns.size() << " turns\n";
}

int main()
try {
    asio::io_context ioc;
    handinger::client c(ioc, {}); // HANDINGER_API_KEY, HANDINGER_BASE_URL from the environment
    asio::co_spawn(ioc, run(c), [](std::exception_ptr e) {
        if (e)
            std::rethrow_exception(e);
    });
    ioc.run();
} catch (const handinger::api_error& e) {
    std::cerr << "error: " << e.what() << "\n"; // e.g. "GET /api/tasks/tsk_...: 404 not found: ..."
    return 1;
}
