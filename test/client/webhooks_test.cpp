// The Webhooks resource (c.webhooks()) against the simulator over verified
// TLS: every operation in both forms, the creator-only rules, arguments
// refused before any I/O; deliveries received by a test server
// (hook_receiver.hpp) that wake an async_wait, one with a wrong token
// refused, one for a task nobody waits for, one answered 500 recorded as an
// error; and the pager walking 120+ executions while more arrive.
#include "client/hook_receiver.hpp"
#include "client/wire_support.hpp"

#include <handinger/client.hpp>
#include <handinger/task_id.hpp>
#include <handinger/webhooks.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <set>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);

// Tasks of one short turn: deliveries come soon after each create.
handinger::sim::options quick_tasks()
{
    auto o = fast_sim();
    o.pending = 0ms;
    o.turn = 1ms;
    o.turns_per_task = 1;
    return o;
}

asio::awaitable<std::string> new_worker(hd::client& c)
{
    auto w = co_await c.workers().async_create(hd::create_worker_params{});
    co_return w.id;
}

asio::awaitable<std::string> task_on(hd::client& c, std::string worker_id, std::string input = "go",
                                     std::optional<std::string> task_id = std::nullopt)
{
    hd::create_task_params p;
    p.input = std::move(input);
    p.worker_id = std::move(worker_id);
    p.task_id = std::move(task_id);
    auto r = co_await c.async_create(std::move(p));
    co_return r.task_id;
}

hd::watch_options assisted()
{
    hd::watch_options o;
    o.webhook_assisted = true;
    o.safety_poll_interval = 30s; // longer than any of these tests may take
    return o;
}

} // namespace

TEST_CASE("webhooks: retrieve, set, keep the token, rotate it, clear and delete, throwing form")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        const std::string id = co_await new_worker(c);
        auto hooks = c.webhooks();
        auto none = co_await hooks.async_retrieve(id);
        CHECK_FALSE(none.token);
        CHECK_FALSE(none.url);
        CHECK(none.presence.is_null(hd::webhook::field::url));

        auto set = co_await hooks.async_update(id, "https://example.com/hooks/a");
        REQUIRE(set.token);
        CHECK(set.token->rfind("whk_", 0) == 0);
        CHECK(set.url == "https://example.com/hooks/a");
        auto moved = co_await hooks.async_update(id, "http://127.0.0.1:9/b");
        CHECK(moved.token == set.token); // later URLs keep the token
        CHECK(moved.url == "http://127.0.0.1:9/b");
        auto got = co_await hooks.async_retrieve(id);
        CHECK(got == moved);

        auto rotated = co_await hooks.async_regenerate_token(id);
        REQUIRE(rotated.token);
        CHECK(rotated.token != set.token);
        CHECK(rotated.url == moved.url);

        auto cleared = co_await hooks.async_update(id, std::nullopt); // {"url": null}
        CHECK_FALSE(cleared.token);
        CHECK_FALSE(cleared.url);
        co_await hooks.async_update(id, "http://127.0.0.1:9/c");
        auto deleted = co_await hooks.async_delete(id);
        CHECK(deleted == hd::webhook{});
        try {
            co_await hooks.async_regenerate_token(id);
            FAIL("expected not_found");
        } catch (const hd::api_error& e) {
            CHECK(e.code() == hd::error::not_found);
            CHECK(e.diag().server_message == "worker " + id + " has no webhook");
        }
        auto page = co_await hooks.async_list_executions(id, 1);
        CHECK(page.logs.empty());
        CHECK(page.page == 1);
        CHECK(page.page_count == 0);
        CHECK(page.total_count == 0);
    };
    run(ioc, body());
    CHECK(f.requests("GET /api/workers/{id}/webhook", "200") == 2);
    CHECK(f.requests("PUT /api/workers/{id}/webhook", "200") == 4);
    CHECK(f.requests("DELETE /api/workers/{id}/webhook", "200") == 1);
    CHECK(f.requests("POST /api/workers/{id}/webhook/regenerate-token", "200") == 1);
    CHECK(f.requests("POST /api/workers/{id}/webhook/regenerate-token", "404") == 1);
    CHECK(f.requests("GET /api/workers/{id}/webhook/executions", "200") == 1);
}

TEST_CASE("webhooks: every operation in the error_code form, with options")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    hd::request_options ro;
    ro.max_retries = 0;
    auto body = [&]() -> asio::awaitable<void> {
        const std::string id = co_await new_worker(c);
        auto hooks = c.webhooks();
        hd::diagnostics d;
        auto [e1, w1] = co_await hooks.async_update(id, "http://127.0.0.1:9/", ro, d, tup);
        REQUIRE_FALSE(e1);
        CHECK(d.method == "PUT");
        CHECK(d.path == "/api/workers/" + id + "/webhook");
        CHECK(d.status == 200);
        CHECK(w1.token);
        auto [e2, w2] = co_await hooks.async_retrieve(id, ro, d, tup);
        CHECK_FALSE(e2);
        CHECK(w2 == w1);
        auto [e3, w3] = co_await hooks.async_regenerate_token(id, ro, d, tup);
        CHECK_FALSE(e3);
        CHECK(d.method == "POST");
        CHECK(d.path == "/api/workers/" + id + "/webhook/regenerate-token");
        CHECK(w3.token != w1.token);
        auto [e4, page] = co_await hooks.async_list_executions(id, 2, ro, d, tup);
        CHECK_FALSE(e4);
        CHECK(d.path == "/api/workers/" + id + "/webhook/executions?page=2");
        CHECK(page.page == 2);
        auto pager = hooks.executions(id);
        auto [e5, first] = co_await pager.async_next_page(ro, d, tup);
        CHECK_FALSE(e5);
        REQUIRE(first);
        CHECK(first->empty());
        CHECK(pager.done());
        CHECK(pager.pages_read() == 1);
        auto [e6, end] = co_await pager.async_next_page(d, tup);
        CHECK_FALSE(e6);
        CHECK_FALSE(end);
        auto [e7, w7] = co_await hooks.async_delete(id, ro, d, tup);
        CHECK_FALSE(e7);
        CHECK(d.method == "DELETE");
        CHECK_FALSE(w7.url);
        auto [e8, w8] = co_await hooks.async_retrieve("wrk_nobody", d, tup);
        CHECK(e8 == hd::error::not_found);
        CHECK(d.server_message == "worker wrk_nobody not found");
        CHECK(w8 == hd::webhook{});
    };
    run(ioc, body());
    CHECK(f.requests("GET /api/workers/{id}/webhook/executions", "200") == 2);
}

TEST_CASE(
    "webhooks: every operation is permission_denied to another key, not_found once the worker is deleted")
{
    sim_fixture f(two_keys());
    test_io ioc;
    hd::client owner(ioc, f.copts);
    auto other_opts = f.copts;
    other_opts.api_key = "sk-sim-other";
    hd::client other(ioc, other_opts);
    auto body = [&]() -> asio::awaitable<void> {
        const std::string id = co_await new_worker(owner);
        co_await owner.webhooks().async_update(id, "http://127.0.0.1:9/");
        auto hooks = other.webhooks();
        hd::diagnostics d;
        auto expect = [&](boost::system::error_code ec, std::string verb) {
            CHECK(ec == hd::error::permission_denied);
            CHECK(d.status == 403);
            CHECK(d.attempts == 1);
            CHECK(d.server_message ==
                  "only the key that created worker " + id + " may " + verb + " its webhook");
        };
        auto [e1, r1] = co_await hooks.async_retrieve(id, d, tup);
        expect(e1, "read");
        auto [e2, r2] = co_await hooks.async_update(id, "http://127.0.0.1:9/x", d, tup);
        expect(e2, "set");
        auto [e3, r3] = co_await hooks.async_delete(id, d, tup);
        expect(e3, "clear");
        auto [e4, r4] = co_await hooks.async_regenerate_token(id, d, tup);
        expect(e4, "regenerate the token of");
        auto [e5, r5] = co_await hooks.async_list_executions(id, 1, d, tup);
        expect(e5, "list the executions of");
        auto pager = hooks.executions(id);
        auto [e6, r6] = co_await pager.async_next_page(d, tup);
        expect(e6, "list the executions of");
        CHECK_FALSE(pager.done());

        auto still = co_await owner.webhooks().async_retrieve(id);
        CHECK(still.url == "http://127.0.0.1:9/");
        co_await owner.workers().async_delete(id);
        auto [e7, r7] = co_await owner.webhooks().async_retrieve(id, d, tup);
        CHECK(e7 == hd::error::not_found);
        auto [e8, r8] = co_await owner.webhooks().async_update(id, "http://127.0.0.1:9/", d, tup);
        CHECK(e8 == hd::error::not_found);
    };
    run(ioc, body());
    CHECK(f.requests("GET /api/workers/{id}/webhook", "403") == 1);
    CHECK(f.requests("PUT /api/workers/{id}/webhook", "403") == 1);
    CHECK(f.requests("DELETE /api/workers/{id}/webhook", "403") == 1);
    CHECK(f.requests("POST /api/workers/{id}/webhook/regenerate-token", "403") == 1);
    CHECK(f.requests("GET /api/workers/{id}/webhook/executions", "403") == 2);
}

TEST_CASE("webhooks: bad arguments are refused before any I/O")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto hooks = c.webhooks();
        hd::diagnostics d;
        std::string url = "https://example.com/";
        url.resize(2049, 'a');
        auto [e1, r1] = co_await hooks.async_update("wrk_1", url, d, tup);
        check_refused(e1, d, "PUT", "/api/workers/wrk_1/webhook",
                      "url: must be at most 2048 characters (got 2049)");
        url.resize(2048);
        auto [e2, r2] = co_await hooks.async_update("wrk_1", "not a uri", d, tup);
        CHECK(e2 == hd::error::invalid_argument);
        CHECK(d.client_message.rfind("url: must be a URI (", 0) == 0);
        try {
            co_await hooks.async_update("wrk_1", "/relative");
            FAIL("expected invalid_argument");
        } catch (const hd::api_error& e) {
            CHECK(e.code() == hd::error::invalid_argument);
        }
        auto [e3, r3] = co_await hooks.async_list_executions("wrk_1", 0, d, tup);
        check_refused(e3, d, "GET", "/api/workers/wrk_1/webhook/executions?page=0",
                      "page: must be at least 1 (got 0)");
        auto [e4, r4] = co_await hooks.async_list_executions("wrk_1", -3, d, tup);
        CHECK(d.client_message == "page: must be at least 1 (got -3)");
        const std::string empty_id = "worker_id: must be at least 1 character";
        auto [e5, r5] = co_await hooks.async_retrieve("", d, tup);
        check_refused(e5, d, "GET", "/api/workers//webhook", empty_id);
        auto [e6, r6] = co_await hooks.async_update("", std::nullopt, d, tup);
        check_refused(e6, d, "PUT", "/api/workers//webhook", empty_id);
        auto [e7, r7] = co_await hooks.async_delete("", d, tup);
        check_refused(e7, d, "DELETE", "/api/workers//webhook", empty_id);
        auto [e8, r8] = co_await hooks.async_regenerate_token("", d, tup);
        check_refused(e8, d, "POST", "/api/workers//webhook/regenerate-token", empty_id);
        auto pager = hooks.executions("");
        auto [e9, r9] = co_await pager.async_next_page(d, tup);
        check_refused(e9, d, "GET", "/api/workers//webhook/executions?page=1", empty_id);
    };
    run(ioc, body());
    CHECK(f.stat("connections_accepted") == 0);
}

TEST_CASE("webhooks: a delivery with the right token wakes an async_wait, and is listed as a success")
{
    sim_fixture f(quick_tasks());
    test_io ioc;
    hd::client c(ioc, f.copts);
    hook_receiver hooks(ioc);
    std::vector<std::size_t> woken;
    hooks.on_delivery = [&](const hd::webhook_delivery& d) { woken.push_back(c.notify_finished(d.task_id)); };
    const std::string id = run(ioc, new_worker(c));
    auto w = run(ioc, c.webhooks().async_update(id, hooks.url("/hook?src=sim")));
    REQUIRE(w.token);
    hooks.expected_token = *w.token;

    // The wait starts first, on a task id of our own not visible yet (a
    // webhook-assisted wait does not poll at its start), so the delivery
    // finds it waiting. Without the delivery it would wait for its 30 s
    // safety poll.
    const std::string task = hd::make_task_id();
    bool done = false;
    hd::task_with_turns final_state;
    c.async_wait(task, assisted(), [&](std::exception_ptr e, hd::task_with_turns t) {
        CHECK_FALSE(e);
        final_state = std::move(t);
        done = true;
    });
    run(ioc, task_on(c, id, "go", task));
    run_until(ioc, [&] { return done; });
    CHECK(final_state.task.status == hd::task_status::completed);

    auto body = [&]() -> asio::awaitable<void> {
        const bool delivered = co_await hooks.wait_complete(1);
        CHECK(delivered);
        REQUIRE(hooks.received().size() == 1);
        const auto& got = hooks.received()[0];
        CHECK_FALSE(got.ec);
        CHECK(got.token == *w.token);
        CHECK(got.content_type == "application/json");
        CHECK(got.target == "/hook?src=sim");
        CHECK(got.body == R"({"event":"task.finished","taskId":")" + task + R"(","workerId":")" + id +
                              R"(","status":"completed"})");
        CHECK(got.d.task_id == task);
        CHECK(got.d.worker_id == id);
        CHECK(got.d.status == "completed");

        auto page = co_await c.webhooks().async_list_executions(id, 1);
        REQUIRE(page.logs.size() == 1);
        const auto& e = page.logs[0];
        CHECK(e.request_status == hd::webhook_request_status::success);
        CHECK(e.response_status == 200);
        CHECK_FALSE(e.error_message);
        CHECK(e.presence.is_null(hd::webhook_execution::field::error_message));
        CHECK(e.task_id == task);
        CHECK(e.task_title == "go");
        CHECK(e.url == hooks.url("/hook?src=sim"));
        CHECK(e.worker_id == id);
    };
    run(ioc, body());
    CHECK(woken == std::vector<std::size_t>{1});          // the async_wait was waiting
    CHECK(f.requests("GET /api/tasks/{id}", "200") == 1); // the one poll the delivery caused
    CHECK(f.stat("webhook_deliveries") == 1);
    CHECK(f.stat("webhook_delivery_failures") == 0);
}

TEST_CASE("webhooks: a delivery with a wrong token is refused by read_webhook_delivery and wakes nobody")
{
    sim_fixture f(quick_tasks());
    test_io ioc;
    hd::client c(ioc, f.copts);
    hook_receiver hooks(ioc);
    hooks.expected_token = "whk_not_the_one";
    int notified = 0;
    hooks.on_delivery = [&](const hd::webhook_delivery&) { ++notified; };
    auto body = [&]() -> asio::awaitable<void> {
        const std::string id = co_await new_worker(c);
        co_await c.webhooks().async_update(id, hooks.url());
        const std::string task = co_await task_on(c, id);
        const bool delivered = co_await hooks.wait_complete(1);
        CHECK(delivered);
        REQUIRE(hooks.received().size() == 1);
        CHECK(hooks.received()[0].ec == hd::webhook_error::token_mismatch);
        CHECK(hooks.received()[0].d.task_id.empty());
        auto page = co_await c.webhooks().async_list_executions(id, 1);
        REQUIRE(page.logs.size() == 1);
        CHECK(page.logs[0].request_status == hd::webhook_request_status::error);
        CHECK(page.logs[0].response_status == 401);
        CHECK(page.logs[0].error_message == "the endpoint answered 401");
        CHECK(page.logs[0].task_id == task);
    };
    run(ioc, body());
    CHECK(notified == 0);
    CHECK(f.stat("webhook_delivery_failures") == 1);
}

TEST_CASE("webhooks: a delivery for a task nobody waits for wakes none, and a later wait still ends")
{
    sim_fixture f(quick_tasks());
    test_io ioc;
    hd::client c(ioc, f.copts);
    hook_receiver hooks(ioc);
    std::vector<std::size_t> woken;
    hooks.on_delivery = [&](const hd::webhook_delivery& d) { woken.push_back(c.notify_finished(d.task_id)); };
    auto body = [&]() -> asio::awaitable<void> {
        const std::string id = co_await new_worker(c);
        auto w = co_await c.webhooks().async_update(id, hooks.url());
        hooks.expected_token = *w.token;
        const std::string task = co_await task_on(c, id);
        const bool delivered = co_await hooks.wait_complete(1);
        CHECK(delivered);
        // Remembered: a wait started now polls at once, safety poll or not.
        auto done = co_await c.async_wait(task, assisted());
        CHECK(done.task.status == hd::task_status::completed);
        // A delivery made up for a task this client never heard of.
        auto made_up = hd::read_webhook_delivery(*w.token, *w.token, R"({"taskId":"tsk_unknown"})");
        CHECK(c.notify_finished(made_up.task_id) == 0);
    };
    run(ioc, body());
    CHECK(woken == std::vector<std::size_t>{0});
    CHECK(f.requests("GET /api/tasks/{id}", "200") == 1);
}

TEST_CASE("webhooks: a delivery answered 500 is recorded as an error execution")
{
    sim_fixture f(quick_tasks());
    test_io ioc;
    hd::client c(ioc, f.copts);
    hook_receiver hooks(ioc);
    hooks.answer_status = 500;
    auto body = [&]() -> asio::awaitable<void> {
        const std::string id = co_await new_worker(c);
        auto w = co_await c.webhooks().async_update(id, hooks.url());
        hooks.expected_token = *w.token;
        const std::string task = co_await task_on(c, id, "#fail");
        const bool delivered = co_await hooks.wait_complete(1);
        CHECK(delivered);
        CHECK(hooks.received().at(0).d.status == "error");
        auto pager = c.webhooks().executions(id);
        auto page = co_await pager.async_next_page();
        REQUIRE(page);
        REQUIRE(page->size() == 1);
        const auto& e = page->front();
        CHECK(e.request_status == hd::webhook_request_status::error);
        CHECK(e.response_status == 500);
        CHECK(e.error_message == "the endpoint answered 500");
        CHECK(e.task_id == task);
        CHECK(e.duration_ms >= 0);
        CHECK_FALSE(e.created_at.empty());
        CHECK(pager.total_count() == 1);
        auto end = co_await pager.async_next_page();
        CHECK_FALSE(end);
    };
    run(ioc, body());
    CHECK(f.stat("webhook_deliveries") == 1);
    CHECK(f.stat("webhook_delivery_failures") == 1);
}

TEST_CASE("webhooks: the pager walks 3+ pages of 120+ executions while new ones arrive, skipping none")
{
    sim_fixture f(quick_tasks());
    test_io ioc;
    hd::client c(ioc, f.copts);
    hook_receiver hooks(ioc);
    std::string id;
    int made = 0;
    // `n` more tasks, and their deliveries listed.
    auto deliveries = [&](int n) -> asio::awaitable<void> {
        for (int i = 0; i < n; ++i)
            co_await task_on(c, id, "task " + std::to_string(made + i));
        made += n;
        const bool delivered = co_await hooks.wait_complete(made);
        REQUIRE(delivered);
    };
    auto body = [&]() -> asio::awaitable<void> {
        id = co_await new_worker(c);
        auto w = co_await c.webhooks().async_update(id, hooks.url());
        hooks.expected_token = *w.token;
        co_await deliveries(125);

        // What was listed before the walk, read with nothing arriving.
        std::set<std::string> before;
        for (std::int64_t p = 1;; ++p) {
            auto page = co_await c.webhooks().async_list_executions(id, p);
            CHECK(page.total_count == 125);
            CHECK(page.page_count == 3);
            for (auto& e : page.logs)
                before.insert(e.id);
            if (p >= page.page_count)
                break;
        }
        REQUIRE(before.size() == 125);

        auto pager = c.webhooks().executions(id);
        std::vector<std::string> walked;
        std::vector<std::size_t> sizes;
        // Between pages: 7 arrive (they push 7 of page 1 onto page 2), then
        // 55 (more than a page: page 3 then holds only ones already read).
        const int arrivals[] = {7, 55};
        int k = 0;
        while (auto page = co_await pager.async_next_page()) {
            sizes.push_back(page->size());
            for (auto& e : *page)
                walked.push_back(e.id);
            if (k < 2)
                co_await deliveries(arrivals[k++]);
        }
        CHECK(pager.done());
        const std::set<std::string> distinct(walked.begin(), walked.end());
        CHECK(distinct.size() == walked.size()); // none twice
        for (const auto& e : before)
            CHECK(distinct.count(e) == 1); // none skipped
        CHECK(sizes.size() == static_cast<std::size_t>(pager.pages_read()));
        CHECK(pager.pages_read() >= 4);
        CHECK(pager.total_count() == 187);
        REQUIRE(sizes.size() >= 3);
        CHECK(sizes[0] == 50);
        CHECK(sizes[1] == 50 - 7);
        CHECK(sizes[2] == 0); // a whole page and more had arrived
    };
    run(ioc, body());
    CHECK(f.stat("webhook_deliveries") == 187);
}

TEST_CASE("webhooks: a cancelled page leaves the walk where it was, a handle outlives its client")
{
    sim_fixture f;
    test_io ioc;
    std::optional<hd::client> c(std::in_place, ioc, f.copts);
    auto hooks = c->webhooks();
    std::string id = run(ioc, new_worker(*c));
    auto pager = hooks.executions(id);
    handinger::sim::fault_options stall;
    stall.p_stall = 100; // answered after 30 s: the call is cancelled meanwhile
    f.sim.set_faults(stall);
    asio::cancellation_signal cancel;
    bool called = false;
    boost::system::error_code got;
    hd::diagnostics d;
    pager.async_next_page(
        d, asio::bind_cancellation_slot(cancel.slot(), [&](boost::system::error_code ec, auto page) {
            called = true;
            got = ec;
            CHECK_FALSE(page);
        }));
    asio::steady_timer later(ioc, 100ms);
    later.async_wait([&](boost::system::error_code) { cancel.emit(asio::cancellation_type::terminal); });
    run_until(ioc, [&] { return called; });
    f.sim.set_faults({});
    CHECK(got == hd::error::cancelled);
    CHECK(pager.pages_read() == 0);
    CHECK_FALSE(pager.done());
    auto next = run(ioc, pager.async_next_page(asio::use_awaitable));
    REQUIRE(next);
    CHECK(pager.pages_read() == 1);

    c.reset();
    auto after = [&]() -> asio::awaitable<void> {
        auto [ec, w] = co_await hooks.async_retrieve(id, d, tup);
        CHECK(ec == hd::error::cancelled);
    };
    run(ioc, after());
}
