// Display fields the server sends as null (the simulator's #null-fields):
// retrieve, watch and a follow-up's lost-response check still work.
#include "client/support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;

TEST_CASE("nulls: retrieve and watch a task whose title and turn texts are null")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "untitled #null-fields #turns:2";
        auto cr = co_await c.async_create(p);

        auto t = co_await c.async_retrieve(cr.task_id);
        CHECK(t.task.id == cr.task_id);
        CHECK(t.task.title.empty());
        CHECK(t.task.presence.is_null(hd::task::field::title));
        CHECK(t.task.presence.has_value(hd::task::field::worker_id));
        REQUIRE(t.raw.at("task").as_object().at("title").is_null()); // the server did send null

        auto w = c.watch(cr.task_id);
        std::size_t added = 0;
        std::optional<hd::events::terminal> last;
        while (auto ev = co_await w.async_next()) {
            if (auto* a = std::get_if<hd::events::turn_added>(&*ev)) {
                ++added;
                CHECK(a->turn.presence.is_null(hd::turn::field::output_text));
                CHECK(a->turn.presence.is_null(hd::turn::field::input));
                CHECK(a->turn.output_text.empty());
            } else if (auto* e = std::get_if<hd::events::terminal>(&*ev)) {
                last = std::move(*e);
            }
        }
        CHECK(added == 2);
        REQUIRE(last);
        CHECK(last->status == hd::task_status::completed);
        CHECK(last->snapshot.task.presence.is_null(hd::task::field::title));
        CHECK(last->snapshot.turns.size() == 2);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("nulls: a follow-up whose response is lost is not resent when the turns' inputs are null")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = "first #null-fields #turns:1";
        auto cr = co_await c.async_create(p);
        co_await c.async_wait(cr.task_id);

        // The follow-up is carried out but its response lost: the turns that
        // could tell whether it arrived carry no input, so it is not resent.
        hd::create_task_params again;
        again.input = "again #fault:lost #turns:1";
        again.task_id = cr.task_id;
        hd::diagnostics diag;
        auto [ec, res] = co_await c.async_create(again, diag, asio::as_tuple(asio::use_awaitable));
        CHECK(ec);
        CHECK(diag.client_message.find("came without its input") != std::string::npos);
    };
    run(ioc, body(), 20s);
    CHECK(f.stat("posts") == 2); // the follow-up was never resent
}
