// The watcher against the simulator: the whole life of a task as events.
#include "client/support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;

TEST_CASE("watch: pending to completed, every turn added once in order, text appended, terminal last")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "watch me #turns:3";
        auto cr = co_await c.async_create(p);
        auto w = c.watch(cr.task_id);
        std::vector<hd::watch_event> evs;
        while (auto ev = co_await w.async_next())
            evs.push_back(std::move(*ev));
        REQUIRE(!evs.empty());
        auto* first = std::get_if<hd::events::status_changed>(&evs.front());
        REQUIRE(first);
        CHECK_FALSE(first->from);
        auto* last = std::get_if<hd::events::terminal>(&evs.back());
        REQUIRE(last);
        CHECK(last->status == hd::task_status::completed);
        CHECK(last->snapshot.turns.size() == 3);
        std::map<std::string, std::string> text;
        std::vector<std::int64_t> added;
        for (auto& e : evs) {
            if (auto* a = std::get_if<hd::events::turn_added>(&e)) {
                added.push_back(a->turn.seq);
                text[a->turn.id] = a->turn.output_text;
            } else if (auto* u = std::get_if<hd::events::turn_updated>(&e)) {
                CHECK_FALSE(u->replaced);
                text[u->turn.id] += u->text;
                CHECK(text[u->turn.id] == u->turn.output_text);
            }
        }
        CHECK(added == std::vector<std::int64_t>{1, 2, 3});
        for (auto& t : last->snapshot.turns)
            CHECK(text[t.id] == t.output_text);
        CHECK(w.done());
        auto after = co_await w.async_next();
        CHECK_FALSE(after);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch: submit follows a task whose create is still in flight")
{
    auto o = fast_sim();
    o.create = hd::sim::create_mode::wait; // the POST answers only at the end
    sim_fixture f(o);
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "submit me";
        auto w = c.submit(p);
        CHECK(w.task_id().rfind("tsk_", 0) == 0);
        int added = 0;
        std::optional<hd::events::terminal> end;
        while (auto ev = co_await w.async_next()) {
            added += std::holds_alternative<hd::events::turn_added>(*ev);
            if (auto* t = std::get_if<hd::events::terminal>(&*ev))
                end = *t;
        }
        REQUIRE(end);
        CHECK(end->status == hd::task_status::completed);
        CHECK(added == 2);
    };
    run(ioc, body(), 20s);
    CHECK(f.stat("tasks_created") == 1);
    CHECK(f.stat("duplicate_posts") == 0);
}

TEST_CASE("watch: async_wait returns the final snapshot - unknown status is terminal")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "odd ending #status:paused";
        auto cr = co_await c.async_create(p);
        auto t = co_await c.async_wait(cr.task_id);
        CHECK(t.task.status.str() == "paused");
        CHECK_FALSE(t.task.status.known());
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch: destroying the watcher ends a pending async_next with cancelled at once")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "slow #pending-ms:5000";
        auto cr = co_await c.async_create(p);
        auto w = std::make_unique<hd::task_watcher>(c.watch(cr.task_id));
        auto first = co_await w->async_next(); // status pending
        REQUIRE(first);
        CHECK(std::holds_alternative<hd::events::status_changed>(*first));
        auto second = co_await w->async_next(); // the first turn, pending
        REQUIRE(second);
        CHECK(std::holds_alternative<hd::events::turn_added>(*second));
        hd::diagnostics d;
        boost::system::error_code got;
        bool done = false;
        w->async_next(d, [&](boost::system::error_code ec, std::optional<hd::watch_event>) {
            got = ec;
            done = true;
        });
        asio::steady_timer t(co_await asio::this_coro::executor, 300ms);
        co_await t.async_wait(asio::use_awaitable);
        auto start = std::chrono::steady_clock::now();
        w.reset();
        while (!done) {
            asio::steady_timer s(co_await asio::this_coro::executor, 5ms);
            co_await s.async_wait(asio::use_awaitable);
        }
        CHECK(std::chrono::steady_clock::now() - start < 200ms);
        CHECK(got == hd::error::cancelled);
    };
    run(ioc, body(), 20s);
}
