#include "client/support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;

TEST_CASE("create, retrieve until completed, archive over verified TLS")
{
    sim_fixture f;
    test_io ioc;
    handinger::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        handinger::create_task_params p;
        p.input = "Summarise the news";
        auto cr = co_await c.async_create(p, asio::use_awaitable);
        CHECK(cr.task_id.rfind("tsk_", 0) == 0);
        CHECK(cr.task_id.size() == 30);
        CHECK_FALSE(cr.recovered);
        CHECK(cr.run.object == "worker");

        handinger::task_with_turns t;
        for (int i = 0; i < 200; ++i) {
            t = co_await c.async_retrieve(cr.task_id, asio::use_awaitable);
            if (handinger::is_terminal(t.task.status))
                break;
            asio::steady_timer tm(co_await asio::this_coro::executor, 20ms);
            co_await tm.async_wait(asio::use_awaitable);
        }
        CHECK(t.task.status == handinger::task_status::completed);
        CHECK(t.task.id == cr.task_id);
        CHECK(t.turns.size() == 2);
        auto del = co_await c.async_archive(cr.task_id, asio::use_awaitable);
        CHECK(del.archived);
    };
    run(ioc, body());
    CHECK(f.stat("tls_handshakes") >= 1);
    CHECK(f.stat("connections_accepted") == 1); // one keep-alive connection served everything
    CHECK(f.stat("duplicate_posts") == 0);
}
