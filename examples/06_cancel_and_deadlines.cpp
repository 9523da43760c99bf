// Bounding calls and watches: per-call request_options timeout and
// total_timeout against a task whose GETs hang, terminal cancellation of a
// pending async_next through a cancellation_signal bound to its token, and
// watch_options::deadline ending the watch of a longer task (both made slow by
// simulator directives in their inputs). Exits 0 when each expected error
// (timeout, timeout, cancelled, timeout) happened.
// Configuration from the environment (HANDINGER_API_KEY, HANDINGER_BASE_URL,
// HANDINGER_CA_FILE); ctest runs it against the simulator (run_with_sim.sh).
#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include <iostream>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using boost::system::error_code;
using handinger::error;
constexpr auto as_tuple = asio::as_tuple(asio::use_awaitable); // the error_code form, awaited

// Prints an outcome; true when it is the expected error.
bool expect(const char* what, error_code ec, error want, const handinger::diagnostics& d,
            std::chrono::steady_clock::time_point since)
{
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since);
    std::cout << what << ": " << (ec ? d.to_string(ec) : "no error") << " (after " << ms.count() << " ms)\n";
    return ec == want;
}

asio::awaitable<int> run(handinger::client& c)
{
    handinger::diagnostics d;
    int ok = 0;
    handinger::create_task_params hanging;
    hanging.input = "Look this up #get-fault:stall:2"; // its first two GETs get no answer
    auto id = (co_await c.async_create(hanging)).task_id;

    handinger::request_options per_attempt; // each attempt within 300 ms, no retry
    per_attempt.timeout = 300ms;
    per_attempt.max_retries = 0;
    auto start = std::chrono::steady_clock::now();
    auto [ec1, t1] = co_await c.async_retrieve(id, per_attempt, d, as_tuple);
    ok += expect("timeout 300 ms", ec1, error::timeout, d, start);

    handinger::request_options whole_call; // the whole call within 700 ms, retries included
    whole_call.timeout = 10s;
    whole_call.total_timeout = 700ms;
    start = std::chrono::steady_clock::now();
    auto [ec2, t2] = co_await c.async_retrieve(id, whole_call, d, as_tuple);
    ok += expect("total_timeout 700 ms", ec2, error::timeout, d, start);

    handinger::create_task_params slow;
    slow.input = "Take your time #pending-ms:5000"; // pending for 5 s
    auto w = c.submit(slow);
    while (auto ev = co_await w.async_next()) // its status, then its pending first turn
        if (std::holds_alternative<handinger::events::turn_added>(*ev))
            break;
    asio::cancellation_signal sig; // the next event is 5 s away: cancel the wait after 300 ms
    asio::steady_timer timer(co_await asio::this_coro::executor, 300ms);
    auto cancel = [&sig](error_code ec) {
        if (!ec) // (not when the timer itself is cancelled)
            sig.emit(asio::cancellation_type::terminal);
    };
    timer.async_wait(cancel);
    start = std::chrono::steady_clock::now();
    auto [ec3, ev3] = co_await w.async_next(d, asio::bind_cancellation_slot(sig.slot(), as_tuple));
    ok += expect("cancelled async_next", ec3, error::cancelled, d, start);

    handinger::watch_options opts;
    opts.deadline = 1s; // for the whole watch
    auto w2 = c.watch(w.task_id(), opts);
    start = std::chrono::steady_clock::now();
    error_code ec4;
    for (;;) // every event until the watch ends
        if (auto [ec, ev] = co_await w2.async_next(d, as_tuple); (ec4 = ec) || !ev)
            break;
    ok += expect("watch deadline 1 s", ec4, error::timeout, d, start);
    co_return ok == 4 ? 0 : 1;
}

int main()
try {
    asio::io_context ioc;
    handinger::client c(ioc); // everything from the environment
    auto done = asio::co_spawn(ioc, run(c), asio::use_future);
    ioc.run();
    return done.get();
} catch (const handinger::api_error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
}
