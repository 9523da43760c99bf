// One client shared by coroutines on an io_context run by several threads.
#include "client/support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>

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
    MESSAGE(workers * per_worker << " calls on 4 threads: " << sw.ms() << " ms");
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
