// The consumer project's program: creates a task and waits for its end,
// configured from the environment (HANDINGER_BASE_URL, HANDINGER_API_KEY,
// HANDINGER_CA_FILE). Prints the final status; exit 0 when completed.
#include <handinger/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <iostream>

namespace asio = boost::asio;

bool umbrella_check(); // umbrella.cpp: built from <handinger/handinger.hpp> alone

asio::awaitable<bool> run(handinger::client& c)
{
    handinger::create_task_params p;
    p.input = "consumer check";
    auto created = co_await c.async_create(p);
    auto final_state = co_await c.async_wait(created.task_id);
    std::cout << created.task_id << " " << final_state.task.status << "\n";
    co_return final_state.task.status == handinger::task_status::completed;
}

int main()
try {
    if (!umbrella_check()) {
        std::cerr << "consumer: the umbrella header's check failed\n";
        return 1;
    }
    asio::io_context ioc;
    handinger::client c(ioc);
    auto ok = asio::co_spawn(ioc, run(c), asio::use_future);
    ioc.run();
    return ok.get() ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "consumer: " << e.what() << "\n";
    return 1;
}
