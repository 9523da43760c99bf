// Batch submission: async_submit_batch over 20 inputs (one deliberately
// invalid, which fails alone, before any I/O) with a progress callback, one
// line per result and a summary; then stream_batch over a generator of 30
// inputs, reading the results in completion order. Exits 0 when exactly the
// invalid input failed and the stream delivered 30 successes.
// Configuration from the environment (HANDINGER_API_KEY, HANDINGER_BASE_URL,
// HANDINGER_CA_FILE); ctest runs it against the simulator (run_with_sim.sh).
#include <handinger/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <iostream>
#include <vector>

namespace asio = boost::asio;
constexpr std::size_t invalid_index = 7;

asio::awaitable<int> batch(handinger::client& c)
{
    std::vector<handinger::create_task_params> inputs(20);
    for (std::size_t i = 0; i < inputs.size(); ++i)
        inputs[i].input = i == invalid_index ? "" : "Summarise report " + std::to_string(i);

    handinger::batch_options opts;
    opts.progress_interval = std::chrono::milliseconds(10); // (default 250 ms)
    opts.on_progress = [](const handinger::batch_progress& p) {
        std::cout << "progress: " << p.done << " done, " << p.in_flight << " in flight, " << p.failed
                  << " failed (limit " << p.limit << ")\n";
    };
    auto results = co_await c.async_submit_batch(inputs, opts);
    std::size_t failed = 0;
    for (const auto& r : results) {
        if (r.ec) {
            ++failed;
            std::cout << "#" << r.index << " failed: " << r.diag->to_string(r.ec) << "\n";
        } else {
            std::cout << "#" << r.index << " " << r.task_id << " "
                      << (r.run ? r.run->status.str() : "recovered") << "\n";
        }
    }
    std::cout << "batch: " << results.size() << " results, " << failed << " failed\n";
    bool only_invalid_failed = failed == 1 && results[invalid_index].ec == handinger::error::invalid_argument;

    // A stream pulls its inputs from a source as the in-flight limit allows.
    int next = 0;
    auto source = [&next]() -> std::optional<handinger::create_task_params> {
        if (next == 30)
            return std::nullopt;
        handinger::create_task_params p;
        p.input = "Streamed item " + std::to_string(next++);
        return p;
    };
    auto s = c.stream_batch(source); // default batch_options
    std::size_t streamed_ok = 0;
    std::cout << "stream, in completion order:";
    while (auto r = co_await s.async_next()) {
        streamed_ok += !r->ec;
        std::cout << " " << r->index << (r->ec ? "(failed)" : "");
    }
    std::cout << "\nstream: " << streamed_ok << " of " << next << " succeeded\n";
    co_return (only_invalid_failed && streamed_ok == 30) ? 0 : 1;
}

int main()
{
    try {
        asio::io_context ioc;
        handinger::client c(ioc); // everything from the environment
        auto done = asio::co_spawn(ioc, batch(c), asio::use_future);
        ioc.run();
        return done.get();
    } catch (const handinger::api_error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    }
}
