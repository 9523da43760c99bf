// A batch run again after a crash: ids derived from a key, batch_options::
// resume (skip, check_first, submit) and on_submit; batch_stream::stop()
// with an async source and with wait.
#include "client/support.hpp"

#include <handinger/client.hpp>
#include <handinger/task_id.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;

namespace {

// Polls `done` every 5 ms on the coroutine's executor.
asio::awaitable<void> until(std::function<bool()> done)
{
    asio::steady_timer t(co_await asio::this_coro::executor);
    while (!done()) {
        t.expires_after(5ms);
        co_await t.async_wait(asio::use_awaitable);
    }
}

} // namespace

TEST_CASE("batch resume: derived ids, skip sends nothing, check_first finds an existing task or creates an "
          "absent one, submit creates; on_submit names each input before it is sent")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    const std::string key = "resume-key";
    const std::vector<std::string> inputs{"r0", "r1", "r2", "r3"};
    std::map<std::size_t, hd::batch_item_result> results;
    std::map<std::size_t, std::string> noted;
    std::map<std::size_t, long long> posts_when_noted;
    hd::batch_progress last{};
    auto body = [&]() -> asio::awaitable<void> {
        // An earlier run sent input 1.
        auto earlier = input_params("r1");
        earlier.task_id = hd::derive_task_id(key, 1, "r1");
        co_await c.async_create(earlier);
        REQUIRE(f.stat("tasks_created") == 1);

        std::size_t next = 0;
        auto source = [&]() -> std::optional<hd::create_task_params> {
            if (next == inputs.size())
                return std::nullopt;
            return input_params(inputs[next++]);
        };
        hd::batch_options o;
        o.id_key = key;
        o.resume = [&](std::size_t index, const hd::create_task_params& p) {
            CHECK(p.task_id == hd::derive_task_id(key, index, inputs[index])); // derived before it is asked
            return index == 0   ? hd::batch_resume::skip
                   : index == 3 ? hd::batch_resume::submit
                                : hd::batch_resume::check_first;
        };
        o.on_submit = [&](std::size_t index, std::string_view id) {
            noted[index] = std::string(id);
            posts_when_noted[index] = f.requests("POST /api/tasks");
        };
        o.on_progress = [&](const hd::batch_progress& p) { last = p; };
        auto s = c.stream_batch(source, o);
        while (auto r = co_await s.async_next())
            results[r->index] = std::move(*r);
    };
    run(ioc, body(), 20s);
    REQUIRE(results.size() == 4);
    for (std::size_t i = 0; i < 4; ++i) {
        CAPTURE(i);
        CHECK(results[i].task_id == hd::derive_task_id(key, i, inputs[i]));
        CHECK_FALSE(results[i].ec);
    }
    CHECK(results[0].skipped);
    CHECK_FALSE(results[0].run);
    CHECK(results[0].attempts == 0);
    CHECK(results[1].recovered); // found: not sent again
    CHECK(results[1].attempts == 0);
    CHECK_FALSE(results[1].skipped);
    CHECK_FALSE(results[2].recovered); // looked for, absent: sent
    CHECK(results[2].run);
    CHECK(results[3].run);
    CHECK(noted.size() == 3);
    CHECK(noted.count(0) == 0);
    for (std::size_t i = 1; i < 4; ++i) {
        CAPTURE(i);
        CHECK(noted[i] == results[i].task_id);
    }
    CHECK(posts_when_noted[3] <= 2); // noted before its own POST (1 earlier + at most input 2's)
    CHECK(f.stat("tasks_created") == 3);
    CHECK(f.stat("followup_turns") == 0);
    CHECK(f.requests("POST /api/tasks") == 3);
    CHECK(last.skipped == 1);
    CHECK(last.done == 3);
}

TEST_CASE("batch resume: an input with its own task id is a follow-up even when resume says check_first")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    std::optional<hd::batch_item_result> got;
    auto body = [&]() -> asio::awaitable<void> {
        auto task = input_params("the task");
        auto first = co_await c.async_create(task);
        bool given = false;
        auto source = [&]() -> std::optional<hd::create_task_params> {
            if (given)
                return std::nullopt;
            given = true;
            auto p = input_params("a follow-up");
            p.task_id = first.task_id;
            return p;
        };
        hd::batch_options o;
        o.id_key = "ignored for own ids";
        o.resume = [](std::size_t, const hd::create_task_params&) { return hd::batch_resume::check_first; };
        auto s = c.stream_batch(source, o);
        while (auto r = co_await s.async_next())
            got = std::move(*r);
        CHECK(got->task_id == first.task_id);
    };
    run(ioc, body(), 20s);
    REQUIRE(got);
    CHECK_FALSE(got->ec);
    CHECK_FALSE(got->recovered);
    CHECK(f.stat("tasks_created") == 1);
    CHECK(f.stat("followup_turns") == 1);
}

TEST_CASE(
    "batch stream stop(): an async source's wait is cancelled, the creates in flight finish, nothing is "
    "pulled after")
{
    auto so = fast_sim();
    so.create = hd::sim::create_mode::wait; // answered after ~140 ms: in flight when stop() comes
    sim_fixture f(so);
    test_io ioc;
    hd::client c(ioc, f.copts);
    int pulls = 0;
    bool wait_cancelled = false;
    std::vector<hd::batch_item_result> results;
    auto body = [&]() -> asio::awaitable<void> {
        auto source = [&]() -> asio::awaitable<std::optional<hd::create_task_params>> {
            if (++pulls <= 3)
                co_return input_params("stopped batch " + std::to_string(pulls));
            // A source with nothing more yet: it waits (for ever).
            co_await asio::this_coro::throw_if_cancelled(false);
            asio::steady_timer t(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
            boost::system::error_code ec;
            co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            wait_cancelled = ec == asio::error::operation_aborted;
            co_return std::nullopt;
        };
        auto s = c.stream_batch(source, {});
        auto stopper = [&]() -> asio::awaitable<void> {
            co_await until([&] { return pulls == 4 && f.stat("tasks_created") == 3; });
            s.stop();
        };
        asio::co_spawn(co_await asio::this_coro::executor, stopper(), asio::detached);
        while (auto r = co_await s.async_next())
            results.push_back(std::move(*r));
    };
    run(ioc, body(), 20s);
    CHECK(wait_cancelled);
    CHECK(pulls == 4);
    REQUIRE(results.size() == 3);
    for (const auto& r : results) {
        CAPTURE(r.index);
        CHECK_FALSE(r.ec); // finished, not cancelled
        CHECK(r.run);
    }
    CHECK(f.stat("tasks_created") == 3);
}

TEST_CASE("batch stream stop() with wait: the watches end at once with cancelled, their task ids kept")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    std::vector<hd::batch_item_result> results;
    auto started = std::chrono::steady_clock::now();
    std::chrono::steady_clock::duration took{};
    auto body = [&]() -> asio::awaitable<void> {
        int n = 0;
        auto source = [&]() -> std::optional<hd::create_task_params> {
            if (n == 2)
                return std::nullopt;
            return input_params("long task " + std::to_string(++n) + " #pending-ms:20000");
        };
        hd::batch_options o;
        o.wait = true;
        auto s = c.stream_batch(source, o);
        auto stopper = [&]() -> asio::awaitable<void> {
            co_await until([&] { return f.stat("tasks_created") == 2; });
            started = std::chrono::steady_clock::now();
            s.stop();
        };
        asio::co_spawn(co_await asio::this_coro::executor, stopper(), asio::detached);
        while (auto r = co_await s.async_next())
            results.push_back(std::move(*r));
        took = std::chrono::steady_clock::now() - started;
    };
    run(ioc, body(), 20s);
    REQUIRE(results.size() == 2);
    for (const auto& r : results) {
        CAPTURE(r.index);
        CHECK(r.ec == hd::error::cancelled);
        CHECK(r.task_id.rfind("tsk_", 0) == 0);
    }
    CHECK(took < 5s); // not the tasks' 20 s
}
