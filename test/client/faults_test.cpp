// Every simulator fault ends in success after a retry or in the right typed
// error within the deadline; a POST whose response was lost is never resent
// blindly (no duplicate task, no duplicate follow-up turn).
#include "client/support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;
using boost::system::error_code;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);

hd::create_task_params params(std::string input)
{
    hd::create_task_params p;
    p.input = std::move(input);
    return p;
}

struct get_outcome {
    error_code ec;
    hd::diagnostics d;
    hd::task_with_turns t;
    long long ms = 0;
    std::uint64_t attempts = 0;    ///< the retrieve's attempts, from client_stats
    std::uint64_t connections = 0; ///< connections the retrieve opened
};

// Creates a task whose input carries `directive` (a #get-fault), then
// retrieves it once with `ro`, timing the retrieve. The retrieve runs on the
// creating client's pooled connection, or with `fresh` on a client of its
// own (a new connection: a reset there is not taken for a stale connection).
get_outcome retrieve_with(sim_fixture& f, const std::string& directive, hd::request_options ro = {},
                          bool fresh = false)
{
    test_io ioc;
    hd::client creator(ioc, f.copts);
    hd::client other(ioc, f.copts);
    hd::client& c = fresh ? other : creator;
    get_outcome out;
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create_task(creator, "fault " + directive);
        auto before = c.stats();
        stopwatch sw;
        auto [ec, t] = co_await c.async_retrieve(id, ro, out.d, tup);
        out.ms = sw.ms();
        out.ec = ec;
        out.t = std::move(t);
        out.attempts = c.stats().attempts - before.attempts;
        out.connections = c.stats().connections_created - before.connections_created;
        CHECK(out.t.task.id == (ec ? std::string() : id));
    };
    run(ioc, body(), 15s);
    return out;
}

hd::sim::options sim_with_stall(std::chrono::milliseconds stall = 3s)
{
    auto o = fast_sim();
    o.stall = stall;
    return o;
}

} // namespace

TEST_CASE("fault reset (GET) on a new connection: retried after the backoff, success")
{
    sim_fixture f;
    auto r = retrieve_with(f, "#get-fault:reset", {}, true);
    CHECK_FALSE(r.ec);
    CHECK(r.attempts == 2);
    CHECK(r.connections == 2);
    CHECK(r.ms >= 375); // the SDK backoff: 0.5 s x [0.75, 1]
    CHECK(r.ms < 1000);
    CHECK(f.faults("reset") == 1);
    CHECK(f.requests("GET /api/tasks/{id}", "none") == 1);
    CHECK(f.requests("GET /api/tasks/{id}", "200") == 1);
}

TEST_CASE("fault reset (GET) on a pooled connection: resent at once as a stale connection, success")
{
    // A reset before any response byte on a reused connection looks exactly
    // like a server's close of an idle keep-alive connection: resent at once
    // on a new connection, without the backoff of a retry.
    sim_fixture f;
    auto r = retrieve_with(f, "#get-fault:reset");
    CHECK_FALSE(r.ec);
    CHECK(r.attempts == 2);
    CHECK(r.connections == 1);
    CHECK(r.ms < 300);
    CHECK(f.faults("reset") == 1);
    CHECK(f.requests("GET /api/tasks/{id}", "none") == 1);
    CHECK(f.requests("GET /api/tasks/{id}", "200") == 1);
}

TEST_CASE("fault stall (GET) with a short timeout: timeout, then success on retry")
{
    sim_fixture f(sim_with_stall());
    hd::request_options ro;
    ro.timeout = 300ms;
    auto r = retrieve_with(f, "#get-fault:stall", ro);
    CHECK_FALSE(r.ec);
    CHECK(r.attempts == 2);
    CHECK(r.connections == 1); // the timed-out connection is not reused
    CHECK(r.ms >= 300 + 375);
    CHECK(r.ms < 2000);
    CHECK(f.faults("stall") == 1);
}

TEST_CASE("fault stall (GET) on every attempt: error::timeout within the deadline")
{
    sim_fixture f(sim_with_stall());
    hd::request_options ro;
    ro.timeout = 200ms;
    ro.max_retries = 1;
    auto r = retrieve_with(f, "#get-fault:stall:5", ro);
    CHECK(r.ec == hd::error::timeout);
    CHECK(r.d.attempts == 2);
    CHECK(r.d.status == 0);
    CHECK(r.ms >= 400);
    CHECK(r.ms < 1500); // 2 x 200 ms + one backoff of <= 500 ms
    CHECK(f.faults("stall") == 2);
    CHECK(r.d.client_message == "receive: timed out (timeout 200 ms)"); // the attempt's limit ran out
}

TEST_CASE(
    "fault stall (GET) under a total_timeout shorter than the attempt's: the message names total_timeout")
{
    sim_fixture f(sim_with_stall());
    hd::request_options ro;
    ro.timeout = 10s;
    ro.total_timeout = 300ms;
    auto r = retrieve_with(f, "#get-fault:stall:5", ro);
    CHECK(r.ec == hd::error::timeout);
    CHECK(r.d.attempts == 1);
    CHECK(r.ms >= 300);
    CHECK(r.ms < 2000);
    CHECK(r.d.client_message == "receive: timed out (total_timeout 300 ms)");
}

TEST_CASE("fault truncate (GET): retried, success")
{
    sim_fixture f;
    auto r = retrieve_with(f, "#get-fault:truncate");
    CHECK_FALSE(r.ec);
    CHECK(r.attempts == 2);
    CHECK(r.ms >= 375); // a response had started: a real retry, with its backoff
    CHECK(r.t.turns.size() <= 2);
    CHECK(f.faults("truncate") == 1);
}

TEST_CASE("fault slow (GET): the dribbled body arrives whole, one attempt")
{
    sim_fixture f;
    auto r = retrieve_with(f, "#get-fault:slow");
    CHECK_FALSE(r.ec);
    CHECK(r.attempts == 1);
    CHECK(r.t.turns.size() <= 2);
    CHECK(r.ms >= 800);
    CHECK(f.faults("slow") == 1);
}

TEST_CASE("fault 500 and 503 (GET): success after a retry")
{
    for (const char* kind : {"500", "503"}) {
        CAPTURE(kind);
        sim_fixture f;
        auto r = retrieve_with(f, std::string("#get-fault:") + kind);
        CHECK_FALSE(r.ec);
        CHECK(r.attempts == 2);
        CHECK(r.connections == 0); // a complete error response keeps the connection
        CHECK(r.ms >= 375);
        CHECK(f.faults(kind) == 1);
        CHECK(f.requests("GET /api/tasks/{id}", kind) == 1);
    }
}

namespace {

// A 429 with the hint in `form`; returns the retrieve's outcome.
get_outcome after_429(hd::sim::retry_after_form form, std::chrono::milliseconds value)
{
    auto o = fast_sim();
    o.retry_after = form;
    o.retry_after_value = value;
    sim_fixture f(o);
    auto r = retrieve_with(f, "#get-fault:429");
    CHECK(f.faults("429") == 1);
    CHECK(f.requests("GET /api/tasks/{id}", "429") == 1);
    CHECK(f.requests("GET /api/tasks/{id}", "200") == 1);
    return r;
}

} // namespace

TEST_CASE("fault 429 with retry-after-ms: waits the hint, then success")
{
    auto r = after_429(hd::sim::retry_after_form::ms, 100ms);
    CHECK_FALSE(r.ec);
    CHECK(r.attempts == 2);
    CHECK(r.ms >= 100);
    CHECK(r.ms < 370); // the hint, not the 375..500 ms backoff
}

TEST_CASE("fault 429 with retry-after in seconds: waits the hint, then success")
{
    auto r = after_429(hd::sim::retry_after_form::seconds, 1000ms);
    CHECK_FALSE(r.ec);
    CHECK(r.attempts == 2);
    CHECK(r.ms >= 1000); // more than any first backoff
    CHECK(r.ms < 1600);
}

TEST_CASE("fault 429 with retry-after as an HTTP date: waits until then, then success")
{
    auto r = after_429(hd::sim::retry_after_form::http_date, 1000ms);
    CHECK_FALSE(r.ec);
    CHECK(r.attempts == 2);
    CHECK(r.ms >= 900); // the date is rounded up to a whole second
    CHECK(r.ms < 2600);
}

TEST_CASE("fault 429 without a hint: the backoff, then success")
{
    auto r = after_429(hd::sim::retry_after_form::none, 0ms);
    CHECK_FALSE(r.ec);
    CHECK(r.attempts == 2);
    CHECK(r.ms >= 375);
    CHECK(r.ms < 900);
}

TEST_CASE("faults as percentages: 120 calls all succeed with the default retries")
{
    // Calls are made one after another so that the simulator's draws (a
    // function of the seed and the request counter) meet the same requests
    // on every run: the outcome is reproducible.
    auto o = fast_sim();
    o.seed = 10; // meets every fault kind in these calls
    sim_fixture f(o);
    f.copts.timeout = 3s;
    hd::sim::fault_options fo;
    fo.p429 = 5;
    fo.p5xx = 2;
    fo.p_reset_before = 2;
    fo.p_reset_after = 2.5;
    fo.p_truncate = 2;
    fo.p_slow = 1.5;
    fo.retry_after = hd::sim::retry_after_form::ms;
    fo.retry_after_value = 20ms;
    test_io ioc;
    hd::client c(ioc, f.copts);
    constexpr int calls = 120;
    int ok = 0, failed = 0, recovered = 0, creates = 0;
    auto body = [&]() -> asio::awaitable<void> {
        std::vector<std::string> ids;
        ids.push_back(co_await create_task(c, "seed task"));
        f.sim.reset_stats();
        f.sim.set_faults(fo);
        for (int i = 0; i < calls; ++i) {
            hd::diagnostics d;
            error_code ec;
            if (i % 3 == 0) {
                auto [e, r] = co_await c.async_create(params("pct " + std::to_string(i)), d, tup);
                ec = e;
                if (!e)
                    ids.push_back(r.task_id);
                recovered += r.recovered;
                ++creates;
            } else if (i % 3 == 1) {
                auto [e, t] = co_await c.async_retrieve(ids[i % ids.size()], d, tup);
                ec = e;
            } else {
                auto [e, l] = co_await c.async_list_turns(ids[i % ids.size()], d, tup);
                ec = e;
            }
            if (ec) {
                ++failed;
                MESSAGE("call " << i << " failed: " << d.to_string(ec));
            } else {
                ++ok;
            }
        }
    };
    stopwatch sw;
    run(ioc, body(), 30s);
    MESSAGE("percentages: " << sw.ms() << " ms, " << c.stats().attempts << " attempts, " << recovered
                            << " recovered, faults " << boost::json::serialize(f.sim.stats().at("faults")));
    CHECK(failed == 0);
    CHECK(ok == calls);
    for (std::string kind : {"429", "reset", "lost", "truncate", "slow"}) {
        CAPTURE(kind);
        CHECK(f.faults(kind) > 0);
    }
    CHECK(f.faults("500") + f.faults("503") > 0);
    CHECK(f.stat("duplicate_posts") == 0);
    CHECK(f.stat("tasks_created") == creates);
    CHECK(f.api_requests() > calls); // some were retried
}

// ---- the lost POST -------------------------------------------------------

namespace {

struct create_outcome {
    error_code ec;
    hd::diagnostics d;
    hd::create_result r;
};

create_outcome create_with(sim_fixture& f, hd::create_task_params p, hd::request_options ro = {})
{
    test_io ioc;
    hd::client c(ioc, f.copts);
    create_outcome out;
    auto body = [&]() -> asio::awaitable<void> {
        auto [ec, r] = co_await c.async_create(p, ro, out.d, tup);
        out.ec = ec;
        out.r = std::move(r);
    };
    run(ioc, body(), 15s);
    return out;
}

} // namespace

TEST_CASE("lost POST: the response is lost after processing, recovered, no duplicate")
{
    sim_fixture f;
    // (pending long enough to be so still when the check, after the backoff, looks)
    auto o = create_with(f, params("lost response #fault:lost #pending-ms:3000"));
    CHECK_FALSE(o.ec);
    CHECK(o.r.recovered);
    CHECK(o.d.attempts == 1);
    CHECK(o.r.task_id.size() == 30);
    CHECK(o.r.run.object == "worker");
    CHECK(o.r.run.running); // the task is pending/running, as a fresh create reports
    CHECK(f.stat("tasks_created") == 1);
    CHECK(f.stat("posts") == 1);
    CHECK(f.stat("duplicate_posts") == 0);
    CHECK(f.requests("POST /api/tasks", "none") == 1);
    CHECK(f.requests("POST /api/tasks") == 1);
    CHECK(f.faults("lost") == 1);
}

TEST_CASE("lost POST: a stalled response with a short timeout is recovered, no duplicate")
{
    sim_fixture f(sim_with_stall());
    hd::request_options ro;
    ro.timeout = 300ms;
    auto o = create_with(f, params("stalled response #fault:stall"), ro);
    CHECK_FALSE(o.ec);
    // Recovered: the attempt's timeout, not the 3 s stall, ended the POST
    // (the stalled response, once read, would have been the answer). No
    // upper bound on the time: an ASan build beside other tests once took
    // more than the 1.5 s this test used to allow.
    CHECK(o.r.recovered);
    CHECK(f.stat("tasks_created") == 1);
    CHECK(f.stat("duplicate_posts") == 0);
    CHECK(f.requests("POST /api/tasks") == 1);
}

TEST_CASE("lost POST: a truncated response is recovered, no duplicate")
{
    sim_fixture f;
    auto o = create_with(f, params("cut response #fault:truncate"));
    CHECK_FALSE(o.ec);
    CHECK(o.r.recovered);
    CHECK(f.stat("tasks_created") == 1);
    CHECK(f.stat("duplicate_posts") == 0);
    CHECK(f.requests("POST /api/tasks") == 1);
}

TEST_CASE("lost POST with a caller-given new task id: recovered under that id, no duplicate")
{
    sim_fixture f;
    auto p = params("mine #fault:lost");
    p.task_id = "tsk_01HZY31W2SZJ8MJ2FQTR3M1K9D";
    auto o = create_with(f, p);
    CHECK_FALSE(o.ec);
    CHECK(o.r.recovered);
    CHECK(o.r.task_id == "tsk_01HZY31W2SZJ8MJ2FQTR3M1K9D");
    CHECK(f.stat("tasks_created") == 1);
    CHECK(f.stat("duplicate_posts") == 0);
    CHECK(f.requests("POST /api/tasks") == 1);
    // One GET before the POST (is it a follow-up?), one to check, one to report.
    CHECK(f.requests("GET /api/tasks/{id}", "404") == 1);
}

TEST_CASE("reset before processing: the POST is resent, not recovered, no duplicate")
{
    sim_fixture f;
    auto o = create_with(f, params("not processed #fault:reset"));
    CHECK_FALSE(o.ec);
    CHECK_FALSE(o.r.recovered);
    CHECK(o.d.attempts == 2);
    CHECK(o.r.run.object == "worker");
    CHECK(f.stat("tasks_created") == 1);
    CHECK(f.stat("duplicate_posts") == 0);
    CHECK(f.requests("POST /api/tasks", "none") == 1);
    CHECK(f.requests("POST /api/tasks", "200") == 1);
    // It checked that the task did not exist before resending.
    CHECK(f.requests("GET /api/tasks/{id}", "404") == 1);
}

TEST_CASE("500 on create: the task is checked, then the POST resent, no duplicate")
{
    sim_fixture f;
    auto o = create_with(f, params("server hiccup #fault:500"));
    CHECK_FALSE(o.ec);
    CHECK_FALSE(o.r.recovered);
    CHECK(o.d.attempts == 2);
    CHECK(f.stat("tasks_created") == 1);
    CHECK(f.requests("POST /api/tasks", "500") == 1);
    CHECK(f.requests("GET /api/tasks/{id}", "404") == 1);
}

namespace {

// Creates a task with `first` (waiting for it to finish when asked), then
// posts a follow-up with `second` to it; the simulator's counters are reset
// between the two.
create_outcome followup_with(sim_fixture& f, const std::string& first, bool wait_first,
                             const std::string& second, hd::request_options ro = {})
{
    test_io ioc;
    hd::client c(ioc, f.copts);
    create_outcome out;
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create_task(c, first);
        if (wait_first) {
            auto t = co_await wait_terminal(c, id);
            CHECK(hd::is_terminal(t.task.status));
        }
        f.sim.reset_stats();
        auto p = params(second);
        p.task_id = id;
        auto [e, r] = co_await c.async_create(p, ro, out.d, tup);
        out.ec = e;
        out.r = std::move(r);
        CHECK(out.r.task_id == id);
    };
    run(ioc, body(), 15s);
    return out;
}

} // namespace

TEST_CASE("lost follow-up POST on a finished task: recovered, no duplicate turn")
{
    sim_fixture f;
    auto o = followup_with(f, "first run", true, "second run #fault:lost");
    CHECK_FALSE(o.ec);
    CHECK(o.r.recovered);
    CHECK(f.stat("followup_turns") == 1);
    CHECK(f.stat("posts") == 1);
    CHECK(f.requests("POST /api/tasks") == 1);
}

TEST_CASE("lost follow-up POST while the task is still running: recovered, no duplicate turn")
{
    // The follow-up queues behind the run in progress (about a second long).
    sim_fixture f;
    auto o = followup_with(f, "long run #pending-ms:0 #turn-ms:100 #turns:10", false, "queued #fault:lost");
    CHECK_FALSE(o.ec);
    CHECK(o.r.recovered);
    CHECK(o.r.run.running);
    CHECK(f.stat("followup_turns") == 1);
    CHECK(f.requests("POST /api/tasks") == 1);
}

TEST_CASE("lost follow-up POST repeating an earlier input: recovered, no duplicate turn")
{
    // Both POSTs carry the same input (the directive's count, 2, spans both):
    // the first is lost and recovered, then the follow-up is lost too; its
    // turn must be told apart from the first one with the same input.
    sim_fixture f;
    auto o = followup_with(f, "same words #fault:lost:2", true, "same words #fault:lost:2");
    CHECK_FALSE(o.ec);
    CHECK(o.r.recovered);
    CHECK(f.stat("followup_turns") == 1);
    CHECK(f.stat("posts") == 1);
    CHECK(f.stat("tasks_created") == 0); // counters were reset after the first
}

TEST_CASE("lost follow-up POST with the task_only retrieve shape: checked through /turns")
{
    auto so = fast_sim();
    so.shape = hd::sim::retrieve_shape::task_only;
    sim_fixture f(so);
    auto o = followup_with(f, "first run", true, "second run #fault:lost");
    CHECK_FALSE(o.ec);
    CHECK(o.r.recovered);
    CHECK(f.stat("followup_turns") == 1);
    CHECK(f.requests("POST /api/tasks") == 1);
    CHECK(f.requests("GET /api/tasks/{id}/turns", "200") >= 2); // before the POST, and the check
}

TEST_CASE("reset follow-up POST while the task is still running: resent, not taken for recovered")
{
    // The previous run adds a turn every 2 ms, so the task changes between
    // the client's look before the POST and its check after the reset,
    // although the follow-up never arrived.
    sim_fixture f;
    auto o = followup_with(f, "busy #pending-ms:0 #turn-ms:2 #turns:200", false, "follow-up #fault:reset");
    CHECK_FALSE(o.ec);
    CHECK_FALSE(o.r.recovered);
    CHECK(f.stat("followup_turns") == 1); // the follow-up did reach the service, once
    CHECK(f.requests("POST /api/tasks", "200") == 1);
    CHECK(f.requests("POST /api/tasks", "none") == 1);
}

TEST_CASE("lost POST whose check meets a 500 once: the check is retried, recovered")
{
    sim_fixture f;
    auto o = create_with(f, params("lost, then a hiccup #fault:lost #get-fault:500"));
    CHECK_FALSE(o.ec);
    CHECK(o.r.recovered);
    CHECK(f.stat("tasks_created") == 1);
    CHECK(f.requests("POST /api/tasks") == 1);
    CHECK(f.requests("GET /api/tasks/{id}", "500") == 1);
}

TEST_CASE("lost POST whose check keeps failing: an error, and the POST is not resent")
{
    sim_fixture f;
    hd::request_options ro;
    ro.max_retries = 1;
    auto o = create_with(f, params("lost, then unreachable #fault:lost #get-fault:503:10"), ro);
    CHECK(o.ec == hd::error::connection);
    CHECK_FALSE(o.r.recovered);
    CHECK(o.d.method == "POST");
    CHECK(o.d.client_message.find("not resent") != std::string::npos);
    CHECK(f.stat("tasks_created") == 1);
    CHECK(f.requests("POST /api/tasks") == 1);
    CHECK(f.requests("GET /api/tasks/{id}", "503") == 2);
}
