// The client without coroutines: plain callbacks in both completion signatures
// (exception_ptr, T) and (error_code, T) with diagnostics, an expected failure
// through the error_code form, std::future with io_context::run() on a thread,
// and asio::deferred operations composed first and invoked later.
// Configuration from the environment (HANDINGER_API_KEY, HANDINGER_BASE_URL,
// HANDINGER_CA_FILE); ctest runs it against the simulator (run_with_sim.sh).
#include <handinger/client.hpp>

#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <iostream>
#include <thread>

namespace asio = boost::asio;
using boost::system::error_code;

int main()
try {
    asio::io_context ioc;
    handinger::client c(ioc); // everything from the environment
    handinger::create_task_params params;
    params.input = "Draft a release note";
    int ok = 0;

    // void(std::exception_ptr, T): a failure arrives as an api_error inside e.
    std::string id;
    auto on_created = [&](std::exception_ptr e, handinger::create_result r) {
        if (e)
            std::rethrow_exception(e); // leaves ioc.run() below
        id = r.task_id;
        std::cout << "callback: created " << id << " (" << r.run.status << ")\n";
        ++ok;
    };
    c.async_create(params, on_created);
    ioc.run();

    // void(error_code, T): never throws; the diagnostics are written first.
    handinger::diagnostics d1, d2;
    auto on_task = [&](error_code ec, handinger::task_with_turns t) {
        std::cout << "error_code form: "
                  << (ec ? d1.to_string(ec) : t.task.id + " is " + std::string(t.task.status.str())) << "\n";
        ok += !ec;
    };
    auto on_missing = [&](error_code ec, handinger::task_with_turns) {
        std::cout << "expected failure: " << d2.to_string(ec) << "\n";
        ok += ec == handinger::error::not_found;
    };
    c.async_retrieve(id, d1, on_task);
    c.async_retrieve("tsk_unknown", d2, on_missing);
    ioc.restart();
    ioc.run();

    // asio::deferred: nothing starts yet. create | wait, with a branch that
    // passes a failed create's error straight through.
    handinger::diagnostics d3;
    params.input = "Draft a second release note";
    auto then_wait = [&](error_code ec, handinger::create_result r) {
        return asio::deferred.when(!ec)
            .then(c.async_wait(r.task_id, handinger::watch_options{}, d3, asio::deferred))
            .otherwise(asio::deferred.values(ec, handinger::task_with_turns{}));
    };
    auto chain = c.async_create(params, d3, asio::deferred) | asio::deferred(then_wait);

    // std::future: start the operations, run the io_context on a thread and
    // block on the results here (get() throws what a callback would get).
    ioc.restart();
    auto waited = c.async_wait(id, asio::use_future);
    auto chained = std::move(chain)(asio::use_future);
    std::jthread runner([&ioc] { ioc.run(); }); // returns once both are done
    auto first = waited.get();
    std::cout << "future: " << first.task.id << " ended " << first.task.status << "\n";
    ok += first.task.status == handinger::task_status::completed;
    auto second = chained.get(); // an error_code form's failure would throw system_error here
    std::cout << "deferred chain: " << second.task.id << " ended " << second.task.status << " after "
              << second.turns.size() << " turns\n";
    ok += second.task.status == handinger::task_status::completed;
    return ok == 5 ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
}
