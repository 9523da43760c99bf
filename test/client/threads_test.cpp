// One client shared by coroutines on an io_context run by several threads.
#include "client/support.hpp"
#include "client/watch_support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <variant>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;
using boost::system::error_code;

namespace {

struct tally {
    std::atomic<int> ok{0}, failed{0}, creates{0}, workers_left{0};
    std::mutex mu;
    std::vector<std::string> errors; // the first few failures, for the report
    std::promise<void> all_done;

    void fail(const std::string& what)
    {
        ++failed;
        std::lock_guard lk(mu);
        if (errors.size() < 5)
            errors.push_back(what);
    }
};

// `calls` calls one after another: every fourth a create, the rest retrieves
// of a task this worker made or one of the shared ones.
asio::awaitable<void> worker(hd::client& c, const std::vector<std::string>& shared, int index, int calls,
                             tally& t)
{
    constexpr auto tup = asio::as_tuple(asio::use_awaitable);
    std::string mine;
    for (int i = 0; i < calls; ++i) {
        hd::diagnostics d;
        if (i % 4 == 0) {
            hd::create_task_params p;
            p.input = "thread worker " + std::to_string(index) + " call " + std::to_string(i);
            auto [ec, r] = co_await c.async_create(std::move(p), d, tup);
            if (ec || r.task_id.size() != 30) {
                t.fail(d.to_string(ec));
                continue;
            }
            ++t.creates;
            mine = r.task_id;
        } else {
            const std::string& id = (i % 2 == 0 || mine.empty()) ? shared[(index + i) % shared.size()] : mine;
            auto [ec, r] = co_await c.async_retrieve(id, d, tup);
            if (ec || r.task.id != id) {
                t.fail(d.to_string(ec));
                continue;
            }
        }
        ++t.ok;
    }
    if (--t.workers_left == 0)
        t.all_done.set_value();
}

// Makes `tasks` shared tasks, then runs `workers` workers of `per_worker`
// calls each on 4 threads; false when they did not finish in time.
bool run_workers(asio::io_context& ioc, hd::client& c, sim_fixture& f, int tasks, int workers, int per_worker,
                 tally& t)
{
    std::vector<std::string> shared;
    for (int i = 0; i < tasks; ++i)
        shared.push_back(run(ioc, create_task(c, "shared " + std::to_string(i)), 10s));
    f.sim.reset_stats();
    ioc.restart();
    t.workers_left = workers;
    auto done = t.all_done.get_future();
    for (int w = 0; w < workers; ++w)
        asio::co_spawn(ioc, worker(c, shared, w, per_worker, t), [&t](std::exception_ptr e) {
            if (e)
                t.fail("a worker threw");
        });
    stopwatch sw;
    bool finished = run_threads(ioc, 4, done, 20s);
    MESSAGE((workers * per_worker) << " calls on 4 threads: " << sw.ms() << " ms");
    for (auto& e : t.errors)
        MESSAGE("failure: " << e);
    return finished;
}

} // namespace

TEST_CASE("threads: 4,000 calls from 40 coroutines on an io_context run by 4 threads")
{
    auto o = fast_sim();
    o.threads = 2;
    sim_fixture f(o);
    asio::io_context ioc(4);
    hd::client c(ioc, f.copts);
    constexpr int workers = 40, per_worker = 100;
    tally t;
    REQUIRE(run_workers(ioc, c, f, 4, workers, per_worker, t));
    CHECK(t.failed == 0);
    CHECK(t.ok == workers * per_worker);
    CHECK(t.creates == workers * per_worker / 4);
    CHECK(f.stat("tasks_created") == workers * per_worker / 4);
    CHECK(f.requests("POST /api/tasks", "200") == workers * per_worker / 4);
    CHECK(f.requests("GET /api/tasks/{id}", "200") == workers * per_worker * 3 / 4);
    CHECK(f.stat("duplicate_posts") == 0);
    auto s = c.stats();
    CHECK(s.attempts == 4 + workers * per_worker);
    CHECK(s.waiting_calls == 0);
    CHECK(s.open_connections <= 64);
    CHECK(s.open_connections == s.idle_connections);
    CHECK(f.stat("connections_peak") <= 64);
}

TEST_CASE("threads: a client whose executor is a strand, called from coroutines on 4 threads")
{
    // A strand runs one handler at a time: the client runs its operations on
    // it directly (no strands of its own). The callers' coroutines run on
    // the io_context's 4 threads.
    auto o = fast_sim();
    o.threads = 2;
    sim_fixture f(o);
    asio::io_context ioc(4);
    hd::client c(asio::make_strand(ioc), f.copts);
    constexpr int workers = 16, per_worker = 60;
    tally t;
    REQUIRE(run_workers(ioc, c, f, 2, workers, per_worker, t));
    CHECK(t.failed == 0);
    CHECK(t.ok == workers * per_worker);
    CHECK(f.stat("tasks_created") == workers * per_worker / 4);
    CHECK(f.stat("duplicate_posts") == 0);
    auto s = c.stats();
    CHECK(s.attempts == 2 + workers * per_worker);
    CHECK(s.open_connections == s.idle_connections);
}

namespace {

// A watch to its end: the number of events, and the final status ("" when
// the watch failed; the failure goes to the tally).
asio::awaitable<std::string> watch_to_end(hd::task_watcher w, tally& t, int& events)
{
    constexpr auto tup = asio::as_tuple(asio::use_awaitable);
    for (;;) {
        hd::diagnostics d;
        auto [ec, ev] = co_await w.async_next(d, tup);
        if (ec) {
            t.fail("watch " + w.task_id() + ": " + d.to_string(ec));
            co_return std::string();
        }
        if (!ev)
            co_return std::string();
        ++events;
        if (auto* term = std::get_if<hd::events::terminal>(&*ev))
            co_return std::string(term->status.str());
    }
}

} // namespace

TEST_CASE("threads: creates with watches and a batch at once on one client run by 4 threads")
{
    // Everything a client shares between operations is used from 4 threads
    // at once: the pool, the strands, the watch hub (shared GETs, the poll
    // budget), the batch's limit and pause, the retry waits. Run under
    // ThreadSanitizer by scripts/test.sh --tsan.
    auto so = fast_sim();
    so.threads = 2;
    so.p5xx = 3; // some retries, so that the retry waits and pauses run too
    sim_fixture f(so);
    asio::io_context ioc; // the default concurrency hint: strands in the client
    auto co = f.copts;
    co.max_retries = 8;
    hd::client c(ioc, co);
    REQUIRE_FALSE(c.get_executor().target<asio::strand<asio::io_context::executor_type>>());

    constexpr int creators = 6, creates_each = 4, submitters = 4, batch_size = 40;
    tally t;
    std::atomic<int> completed{0}, watch_events{0}, progress_calls{0}, batch_ok{0};
    t.workers_left = creators + submitters + 1;
    auto done = t.all_done.get_future();
    auto finished = [&t] {
        if (--t.workers_left == 0)
            t.all_done.set_value();
    };
    auto on_end = [&t, finished](std::exception_ptr e) {
        if (e)
            t.fail("a coroutine threw");
        finished();
    };

    // Creates, each watched to its end by a watcher of its own.
    auto creator = [&](int index) -> asio::awaitable<void> {
        constexpr auto tup = asio::as_tuple(asio::use_awaitable);
        for (int i = 0; i < creates_each; ++i) {
            hd::create_task_params p;
            p.input = "threads mix " + std::to_string(index) + "." + std::to_string(i);
            hd::diagnostics d;
            auto [ec, r] = co_await c.async_create(std::move(p), d, tup);
            if (ec) {
                t.fail(d.to_string(ec));
                continue;
            }
            ++t.creates;
            int events = 0;
            auto status = co_await watch_to_end(c.watch(r.task_id, watch_support::fast_watch()), t, events);
            watch_events += events;
            completed += status == "completed";
        }
    };
    // submit(): the create runs in the background while the watch starts.
    auto submitter = [&](int index) -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "threads submit " + std::to_string(index);
        auto w = c.submit(std::move(p), watch_support::fast_watch());
        int events = 0;
        auto status = co_await watch_to_end(std::move(w), t, events);
        watch_events += events;
        completed += status == "completed";
    };
    hd::batch_options bo;
    bo.initial_in_flight = 8;
    bo.max_in_flight = 16;
    bo.progress_interval = 0ms;
    bo.on_progress = [&](const hd::batch_progress&) { ++progress_calls; };
    std::vector<hd::create_task_params> inputs(batch_size);
    for (int i = 0; i < batch_size; ++i)
        inputs[i].input = "threads batch " + std::to_string(i);

    for (int i = 0; i < creators; ++i)
        asio::co_spawn(ioc, creator(i), on_end);
    for (int i = 0; i < submitters; ++i)
        asio::co_spawn(ioc, submitter(i), on_end);
    auto on_batch = [&](std::exception_ptr e, std::vector<hd::batch_item_result> results) {
        if (e)
            t.fail("the batch threw");
        for (auto& r : results) {
            if (r.ec)
                t.fail("batch item " + std::to_string(r.index) + ": " +
                       (r.diag ? r.diag->to_string(r.ec) : r.ec.message()));
            else
                ++batch_ok;
        }
        finished();
    };
    c.async_submit_batch(std::move(inputs), bo, on_batch);

    REQUIRE(run_threads(ioc, 4, done, 60s));
    for (auto& e : t.errors)
        MESSAGE("failure: " << e);
    CHECK(t.failed == 0);
    CHECK(t.creates == creators * creates_each);
    CHECK(completed == creators * creates_each + submitters);
    CHECK(watch_events >= 3 * (creators * creates_each + submitters)); // status, turns, terminal
    CHECK(batch_ok == batch_size);
    CHECK(progress_calls > 0);
    CHECK(f.stat("tasks_created") == creators * creates_each + submitters + batch_size);
    CHECK(f.stat("duplicate_posts") == 0);
    auto s = c.stats();
    CHECK(s.waiting_calls == 0);
    CHECK(s.open_connections == s.idle_connections);
}
