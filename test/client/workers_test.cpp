// The Workers resource (c.workers()) against the simulator over verified
// TLS: every operation in both forms, the creator-only rules, deletion,
// arguments refused before any I/O, and a create whose answer was lost.
#include "client/wire_support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);

hd::create_worker_params full_params()
{
    hd::create_worker_params p;
    p.instructions = "Summarise the day's news in three bullet points.";
    p.output_schema = boost::json::object{{"type", "object"}, {"required", boost::json::array{"bullets"}}};
    p.summary = "news digest";
    p.title = "Daily news";
    p.visibility = hd::worker_visibility::private_;
    return p;
}

// Creates a task on `worker_id` and returns the create's answer.
asio::awaitable<hd::create_result> task_on(hd::client& c, std::string worker_id, std::string input)
{
    hd::create_task_params p;
    p.input = std::move(input);
    p.worker_id = std::move(worker_id);
    co_return co_await c.async_create(std::move(p));
}

} // namespace

TEST_CASE("workers: create, retrieve, update, email and delete, throwing form")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto w = co_await c.workers().async_create(full_params());
        CHECK(w.id.rfind("wrk_", 0) == 0);
        CHECK(w.title == "Daily news");
        CHECK(w.summary == "news digest");
        CHECK(w.instructions == "Summarise the day's news in three bullet points.");
        CHECK(w.visibility == hd::worker_visibility::private_);
        REQUIRE(w.output_schema);
        CHECK(w.output_schema->at("type") == "object");
        CHECK(w.user_id == "usr_sim");
        CHECK(w.organization_id == "org_sim");
        CHECK(w.url == "https://handinger.com/workers/" + w.id);
        CHECK(w.created_at);
        CHECK(w.presence.all_values());

        // A task run on it is its latest run.
        auto cr = co_await task_on(c, w.id, "today's headlines");
        auto run = co_await c.workers().async_retrieve(w.id);
        CHECK(run.id == cr.run.id);
        CHECK(run.object == "worker");
        auto t = co_await c.async_retrieve(cr.task_id);
        CHECK(t.task.worker_id == w.id);

        // Only the fields given change; null clears the schema.
        hd::update_worker_params u;
        u.title = "Evening news";
        auto w2 = co_await c.workers().async_update(w.id, u);
        CHECK(w2.title == "Evening news");
        CHECK(w2.summary == "news digest");
        CHECK(w2.output_schema == w.output_schema);
        CHECK(w2.visibility == hd::worker_visibility::private_);
        u = {};
        u.output_schema = nullptr;
        u.visibility = hd::worker_visibility::public_;
        auto w3 = co_await c.workers().async_update(w.id, u);
        CHECK_FALSE(w3.output_schema);
        CHECK(w3.presence.is_null(hd::worker_template::field::output_schema));
        CHECK(w3.title == "Evening news");
        CHECK(w3.visibility == hd::worker_visibility::public_);

        auto mail = co_await c.workers().async_retrieve_email(w.id);
        CHECK(mail.email == w.id + "@workers.sim.invalid");

        auto del = co_await c.workers().async_delete(w.id);
        CHECK(del.deleted);
        // Deleted: retrieve and update answer 404, its task stays.
        for (int op = 0; op < 3; ++op) {
            try {
                if (op == 0)
                    co_await c.workers().async_retrieve(w.id);
                else if (op == 1)
                    co_await c.workers().async_update(w.id, u);
                else
                    co_await c.workers().async_retrieve_run(w.id, cr.task_id);
                FAIL("expected not_found");
            } catch (const hd::api_error& e) {
                CHECK(e.code() == hd::error::not_found);
                CHECK(e.diag().server_message == "worker " + w.id + " not found");
            }
        }
        auto still = co_await c.async_retrieve(cr.task_id);
        CHECK(still.task.id == cr.task_id);
    };
    run(ioc, body());
    CHECK(f.requests("POST /api/workers", "200") == 1);
    CHECK(f.requests("PATCH /api/workers/{id}", "200") == 2);
    CHECK(f.requests("PATCH /api/workers/{id}", "404") == 1);
    CHECK(f.requests("GET /api/workers/{id}", "200") == 1);
    CHECK(f.requests("GET /api/workers/{id}", "404") == 2);
    CHECK(f.requests("GET /api/workers/{id}/email", "200") == 1);
    CHECK(f.requests("DELETE /api/workers/{id}", "200") == 1);
    CHECK(f.stat("workers_created") == 1);
    CHECK(f.stat("workers_updated") == 2);
    CHECK(f.stat("workers_deleted") == 1);
}

TEST_CASE("workers: every operation in the error_code form, with options")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    hd::request_options ro;
    ro.max_retries = 0;
    auto body = [&]() -> asio::awaitable<void> {
        auto workers = c.workers();
        hd::diagnostics d;
        auto [ec1, w] = co_await workers.async_create(hd::create_worker_params{}, ro, d, tup);
        REQUIRE_FALSE(ec1);
        CHECK(d.status == 200);
        CHECK(d.method == "POST");
        CHECK(d.path == "/api/workers");
        CHECK_FALSE(w.title.empty()); // a random name when none is given
        CHECK(w.visibility == hd::worker_visibility::public_);
        CHECK_FALSE(w.output_schema);

        auto [ec2, none] = co_await workers.async_retrieve(w.id, d, tup);
        CHECK(ec2 == hd::error::not_found);
        CHECK(d.server_message == "worker " + w.id + " has run no task yet");
        CHECK(none == hd::run_result{});

        auto first = co_await task_on(c, w.id, "first");
        auto second = co_await task_on(c, w.id, "second");
        auto [ec3, latest] = co_await workers.async_retrieve(w.id, ro, d, tup);
        CHECK_FALSE(ec3);
        CHECK(latest.id == second.run.id);
        auto [ec4, older] = co_await workers.async_retrieve_run(w.id, first.task_id, ro, d, tup);
        CHECK_FALSE(ec4);
        CHECK(older.id == first.run.id);
        CHECK(d.path == "/api/workers/" + w.id + "?taskId=" + first.task_id);
        auto [ec5, stranger] = co_await workers.async_retrieve_run(w.id, "tsk_nope", d, tup);
        CHECK(ec5 == hd::error::not_found);

        hd::update_worker_params u;
        u.summary = "s";
        auto [ec6, w2] = co_await workers.async_update(w.id, u, ro, d, tup);
        CHECK_FALSE(ec6);
        CHECK(d.method == "PATCH");
        CHECK(w2.summary == "s");
        auto [ec7, mail] = co_await workers.async_retrieve_email(w.id, ro, d, tup);
        CHECK_FALSE(ec7);
        CHECK_FALSE(mail.email.empty());
        auto [ec8, del] = co_await workers.async_delete(w.id, ro, d, tup);
        CHECK_FALSE(ec8);
        CHECK(del.deleted);
        CHECK(d.method == "DELETE");
        auto [ec9, again] = co_await workers.async_delete(w.id, d, tup);
        CHECK(ec9 == hd::error::not_found);
        CHECK_FALSE(again.deleted);
    };
    run(ioc, body());
    CHECK(f.requests("GET /api/workers/{id}", "200") == 2);
    CHECK(f.requests("GET /api/workers/{id}", "404") == 2);
}

TEST_CASE("workers: creator-only operations are permission_denied to another key")
{
    sim_fixture f(two_keys());
    test_io ioc;
    hd::client owner(ioc, f.copts);
    auto other_opts = f.copts;
    other_opts.api_key = "sk-sim-other";
    hd::client other(ioc, other_opts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_worker_params p;
        p.title = "shared";
        auto w = co_await owner.workers().async_create(p);
        co_await task_on(owner, w.id, "hello");
        // A public worker: the other key may read its runs and run tasks on it...
        auto run = co_await other.workers().async_retrieve(w.id);
        CHECK(run.object == "worker");
        co_await task_on(other, w.id, "mine too");
        // ...but neither update, delete nor read its address.
        hd::diagnostics d;
        auto [e1, u] = co_await other.workers().async_update(w.id, hd::update_worker_params{}, d, tup);
        CHECK(e1 == hd::error::permission_denied);
        CHECK(d.status == 403);
        CHECK(d.server_message == "only the key that created worker " + w.id + " may update it");
        auto [e2, del] = co_await other.workers().async_delete(w.id, d, tup);
        CHECK(e2 == hd::error::permission_denied);
        auto [e3, mail] = co_await other.workers().async_retrieve_email(w.id, d, tup);
        CHECK(e3 == hd::error::permission_denied);
        CHECK(d.attempts == 1);

        // A private worker is the owner's alone.
        hd::update_worker_params u2;
        u2.visibility = hd::worker_visibility::private_;
        co_await owner.workers().async_update(w.id, u2);
        auto [e4, r4] = co_await other.workers().async_retrieve(w.id, d, tup);
        CHECK(e4 == hd::error::permission_denied);
        hd::create_task_params tp;
        tp.input = "let me in";
        tp.worker_id = w.id;
        auto [e5, r5] = co_await other.async_create(tp, d, tup);
        CHECK(e5 == hd::error::permission_denied);

        auto gone = co_await owner.workers().async_delete(w.id);
        CHECK(gone.deleted);
    };
    run(ioc, body());
    CHECK(f.requests("PATCH /api/workers/{id}", "403") == 1);
    CHECK(f.requests("DELETE /api/workers/{id}", "403") == 1);
    CHECK(f.requests("GET /api/workers/{id}/email", "403") == 1);
    CHECK(f.requests("GET /api/workers/{id}", "403") == 1);
    CHECK(f.stat("workers_deleted") == 1);
}

TEST_CASE("workers: bad arguments are refused before any I/O")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto workers = c.workers();
        hd::diagnostics d;
        hd::create_worker_params p;
        p.title = std::string(201, 't');
        auto [e1, w1] = co_await workers.async_create(p, d, tup);
        check_refused(e1, d, "POST", "/api/workers", "title: must be at most 200 characters (got 201)");
        p.title.reset();
        p.visibility = hd::open_enum<hd::worker_visibility>::from_string("team");
        auto [e2, w2] = co_await workers.async_create(p, d, tup);
        check_refused(e2, d, "POST", "/api/workers",
                      R"(visibility: must be one of public, private (got "team"))");
        p.visibility.reset();
        p.prompt = std::string(10'001, 'p');
        try {
            co_await workers.async_create(p);
            FAIL("expected invalid_argument");
        } catch (const hd::api_error& e) {
            CHECK(e.code() == hd::error::invalid_argument);
            CHECK(e.diag().client_message == "prompt: must be at most 10000 characters (got 10001)");
        }

        hd::update_worker_params u;
        u.summary = std::string(81, 's');
        auto [e3, w3] = co_await workers.async_update("wrk_1", u, d, tup);
        check_refused(e3, d, "PATCH", "/api/workers/wrk_1",
                      "summary: must be at most 80 characters (got 81)");
        auto [e4, w4] = co_await workers.async_update("", hd::update_worker_params{}, d, tup);
        check_refused(e4, d, "PATCH", "/api/workers/", "worker_id: must be at least 1 character");
        auto [e5, r5] = co_await workers.async_retrieve("", d, tup);
        check_refused(e5, d, "GET", "/api/workers/", "worker_id: must be at least 1 character");
        auto [e6, r6] = co_await workers.async_retrieve_run("wrk_1", "", d, tup);
        check_refused(e6, d, "GET", "/api/workers/wrk_1?taskId=", "task_id: must be at least 1 character");
        auto [e7, r7] = co_await workers.async_delete("", d, tup);
        check_refused(e7, d, "DELETE", "/api/workers/", "worker_id: must be at least 1 character");
        auto [e8, r8] = co_await workers.async_retrieve_email("", d, tup);
        check_refused(e8, d, "GET", "/api/workers//email", "worker_id: must be at least 1 character");
    };
    run(ioc, body());
    CHECK(f.api_requests() == 0);
    CHECK(f.stat("connections_accepted") == 0);
}

TEST_CASE("workers: ids are sent as one percent-encoded path segment")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::diagnostics d;
        auto [e1, r1] = co_await c.workers().async_retrieve("a/b c?", d, tup);
        CHECK(e1 == hd::error::not_found);
        CHECK(d.path == "/api/workers/a%2Fb%20c%3F");
        CHECK(d.server_message == "worker a/b c? not found");
        auto [e2, r2] = co_await c.workers().async_retrieve_email("..", d, tup);
        CHECK(e2 == hd::error::not_found);
        CHECK(d.path == "/api/workers/%2E%2E/email");
        auto [e3, r3] = co_await c.workers().async_retrieve_run("wrk_1", "tsk_1&x=y", d, tup);
        CHECK(d.path == "/api/workers/wrk_1?taskId=tsk_1%26x%3Dy");
    };
    run(ioc, body());
    CHECK(f.requests("GET /api/workers/{id}", "404") == 2);
    CHECK(f.requests("GET /api/workers/{id}/email", "404") == 1);
}

TEST_CASE("workers: a create whose answer was lost is not resent")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    handinger::sim::fault_options lost;
    lost.p_reset_after = 100; // every request processed, then its answer lost
    f.sim.set_faults(lost);
    auto body = [&]() -> asio::awaitable<void> {
        hd::diagnostics d;
        hd::create_worker_params p;
        p.title = "once";
        auto [ec, w] = co_await c.workers().async_create(p, d, tup);
        CHECK(ec);
        CHECK(d.client_message.find("not resent: whether the POST made a worker cannot be checked") !=
              std::string::npos);
        CHECK(d.attempts == 1);
    };
    run(ioc, body());
    CHECK(f.requests("POST /api/workers", "none") == 1);
    CHECK(f.stat("workers_created") == 1);
}

TEST_CASE("workers: a handle may outlive its client, its operations then fail with cancelled")
{
    sim_fixture f;
    test_io ioc;
    std::optional<hd::client> c(std::in_place, ioc, f.copts);
    auto workers = c->workers();
    auto body = [&]() -> asio::awaitable<void> {
        auto w = co_await workers.async_create(hd::create_worker_params{});
        CHECK_FALSE(w.id.empty());
        c.reset();
        hd::diagnostics d;
        auto [ec, mail] = co_await workers.async_retrieve_email(w.id, d, tup);
        CHECK(ec == hd::error::cancelled);
    };
    run(ioc, body());
    CHECK(f.requests("GET /api/workers/{id}/email") == 0);
}
