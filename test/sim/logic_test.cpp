// The simulator's pure parts, without sockets: directives, the lifecycle at
// chosen instants, fault draws, the token bucket, the wire format.
#include <handinger/sim/detail/directives.hpp>
#include <handinger/sim/detail/faults.hpp>
#include <handinger/sim/detail/lifecycle.hpp>
#include <handinger/sim/detail/render.hpp>
#include <handinger/sim/detail/util.hpp>
#include <handinger/sim/detail/wire.hpp>

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

using namespace handinger::sim;
using namespace handinger::sim::detail;

TEST_CASE("directives: every word, defaults and malformed values")
{
    auto d =
        parse_directives("please #fail #turns:5 #pending-ms:10 #turn-ms:20 #fault:lost:3 #get-fault:503");
    CHECK(d.end == run_end::error);
    CHECK(d.turns == 5);
    CHECK(d.pending_ms == 10);
    CHECK(d.turn_ms == 20);
    CHECK(d.post_fault == fault_kind::lost);
    CHECK(d.post_fault_count == 3);
    CHECK(d.get_fault == fault_kind::http503);
    CHECK(d.get_fault_count == 1);

    d = parse_directives("#abort");
    CHECK(d.end == run_end::aborted);
    d = parse_directives("x #status:paused y");
    CHECK(d.end == run_end::raw);
    CHECK(d.raw_status == "paused");

    d = parse_directives("#turns:x #fault:nope #fault:429:x #hashtag #turns:1000 #get-fault:no-retry:2");
    CHECK(d.turns == 100); // clamped; the malformed one was ignored
    CHECK(d.post_fault == fault_kind::none);
    CHECK(d.get_fault == fault_kind::no_retry);
    CHECK(d.get_fault_count == 2);
    CHECK(parse_directives("plain text").end == run_end::completed);
    CHECK(parse_directives("x #null-fields").null_fields);
    CHECK_FALSE(parse_directives("x #null-fields:1 #nullfields").null_fields);

    for (auto k : {fault_kind::http429, fault_kind::http500, fault_kind::http503, fault_kind::reset,
                   fault_kind::lost, fault_kind::stall, fault_kind::truncate, fault_kind::slow,
                   fault_kind::no_retry, fault_kind::retry_true})
        CHECK(parse_fault_kind(to_string(k)) == k);
}

namespace {

task_record make_task(std::int64_t t0)
{
    task_record task;
    task.id = "tsk_test";
    task.worker_id = "wrk_test";
    task.created_ms = t0;
    return task;
}

run_plan plan(std::int64_t pending, std::int64_t turn, int turns, run_end end = run_end::completed)
{
    run_plan p;
    p.pending_ms = pending;
    p.turn_ms = turn;
    p.turns = turns;
    p.end = end;
    return p;
}

} // namespace

TEST_CASE("lifecycle: pending, turns one after another, text in steps, completed")
{
    const std::int64_t t0 = 1'700'000'000'000;
    task_record task = make_task(t0);
    append_run(task, "run_1", "in", plan(100, 200, 2), t0, 7);
    REQUIRE(task.runs[0].turns() == 2);
    const std::size_t len = task.runs[0].texts[0].size();
    CHECK(len >= 40);
    CHECK(len <= 210);

    std::vector<turn_view> turns;
    auto v = view_task(task, t0 + 99, 4, &turns);
    CHECK(v.status == "pending");
    // The first turn is visible from the POST on, pending, with no text yet.
    REQUIRE(turns.size() == 1);
    CHECK(turns[0].status == "pending");
    CHECK(turns[0].text_len == 0);
    CHECK(turns[0].started_ms == t0);
    CHECK(v.turn_count == 1);
    CHECK_FALSE(v.terminal);

    turns.clear();
    v = view_task(task, t0 + 100, 4, &turns);
    CHECK(v.status == "running");
    REQUIRE(turns.size() == 1);
    CHECK(turns[0].status == "running");
    CHECK(turns[0].text_len == 0);
    CHECK(turns[0].seq == 1);

    turns.clear();
    view_task(task, t0 + 100 + 150, 4, &turns); // step 3 of 4
    REQUIRE(turns.size() == 1);
    CHECK(turns[0].text_len == len * 3 / 4);
    CHECK(turns[0].visible_since_ms == t0 + 250);

    turns.clear();
    v = view_task(task, t0 + 300, 4, &turns);
    REQUIRE(turns.size() == 2);
    CHECK(turns[0].status == "completed");
    CHECK(turns[0].text() == task.runs[0].texts[0]);
    CHECK(turns[0].credits > 0);
    CHECK(turns[1].status == "running");
    CHECK(v.turn_count == 2);

    turns.clear();
    v = view_task(task, t0 + 500, 4, &turns);
    CHECK(v.status == "completed");
    CHECK(v.terminal);
    CHECK(v.completed_ms == t0 + 500);
    CHECK(v.duration_ms == 500);
    CHECK(v.credits == turns[0].credits + turns[1].credits);
    v = view_task(task, t0 + 9000, 4);
    CHECK(v.duration_ms == 500); // frozen once terminal
}

TEST_CASE("lifecycle: a follow-up queues behind the running run and continues seq")
{
    const std::int64_t t0 = 1'700'000'000'000;
    task_record task = make_task(t0);
    append_run(task, "run_1", "a", plan(100, 100, 2), t0, 1);     // ends t0+300
    append_run(task, "run_2", "b", plan(50, 100, 1), t0 + 10, 1); // starts t0+300
    CHECK(task.runs[1].start_ms == t0 + 300);
    CHECK(task.runs[1].first_seq == 3);
    std::vector<turn_view> turns;
    // The follow-up's first turn (seq 3) is visible, pending, from its POST on,
    // while run 1 still runs.
    CHECK(view_task(task, t0 + 20, 4, &turns).status == "pending");
    REQUIRE(turns.size() == 2);
    CHECK(turns[0].seq == 1);
    CHECK(turns[1].seq == 3);
    CHECK(turns[1].status == "pending");
    turns.clear();
    CHECK(view_task(task, t0 + 299, 4).status == "running");
    CHECK(view_task(task, t0 + 320, 4, &turns).status == "pending");
    CHECK(turns.size() == 3);
    turns.clear();
    auto v = view_task(task, t0 + 450, 4, &turns);
    CHECK(v.status == "completed");
    REQUIRE(turns.size() == 3);
    CHECK(turns[2].seq == 3);
    CHECK(turns[2].input_tokens > 0);
    // A follow-up after the end starts at once.
    append_run(task, "run_3", "c", plan(50, 100, 1), t0 + 1000, 1);
    CHECK(task.runs[2].start_ms == t0 + 1000);
    CHECK(view_task(task, t0 + 1001, 4).status == "pending");
}

TEST_CASE("lifecycle: #fail, #abort and raw endings")
{
    const std::int64_t t0 = 1'700'000'000'000;
    task_record failing = make_task(t0);
    append_run(failing, "r", "x", plan(0, 10, 3, run_end::error), t0, 1);
    std::vector<turn_view> turns;
    auto v = view_task(failing, t0 + 30, 4, &turns);
    CHECK(v.status == "error");
    REQUIRE(turns.size() == 3);
    CHECK(turns[1].status == "completed");
    CHECK(turns[2].status == "error");

    task_record aborting = make_task(t0);
    append_run(aborting, "r", "x", plan(0, 10, 3, run_end::aborted), t0, 1);
    CHECK(aborting.runs[0].turns() == 1);
    CHECK(view_task(aborting, t0 + 5, 4).status == "running");
    CHECK(view_task(aborting, t0 + 10, 4).status == "aborted");

    task_record raw = make_task(t0);
    run_plan p = plan(0, 10, 1, run_end::raw);
    p.raw_status = "paused";
    append_run(raw, "r", "x", p, t0, 1);
    v = view_task(raw, t0 + 10, 4);
    CHECK(v.status == "paused");
    CHECK(v.terminal);
}

TEST_CASE("pseudo text and ids are deterministic for a seed")
{
    CHECK(pseudo_text(1, "tsk_a", 1) == pseudo_text(1, "tsk_a", 1));
    CHECK(pseudo_text(1, "tsk_a", 1) != pseudo_text(2, "tsk_a", 1));
    CHECK(pseudo_text(1, "tsk_a", 1) != pseudo_text(1, "tsk_a", 2));
    prng a(5), b(5);
    CHECK(make_task_id(1'700'000'000'000, a) == make_task_id(1'700'000'000'000, b));
    prng c(5);
    std::string id = make_task_id(1'700'000'000'000, c);
    CHECK(id.size() == 4 + 26);
    CHECK(id.rfind("tsk_", 0) == 0);
    CHECK(id.find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ", 4) == std::string::npos);
    CHECK(iso8601_ms(1'700'000'000'123) == "2023-11-14T22:13:20.123Z");
    CHECK(http_date(1'700'000'000'123) == "Tue, 14 Nov 2023 22:13:20 GMT");
}

TEST_CASE("fault draw: deterministic for a seed, proportions close to the percentages")
{
    fault_options f;
    f.p429 = 10;
    f.p5xx = 20;
    f.p_reset_before = 5;
    int n429 = 0, n5xx = 0, nreset = 0;
    for (std::uint64_t i = 0; i < 20000; ++i) {
        auto k = draw_fault(f, 42, i);
        CHECK(k == draw_fault(f, 42, i));
        n429 += k == fault_kind::http429;
        n5xx += k == fault_kind::http500 || k == fault_kind::http503;
        nreset += k == fault_kind::reset;
    }
    CHECK(n429 == doctest::Approx(2000).epsilon(0.1));
    CHECK(n5xx == doctest::Approx(4000).epsilon(0.1));
    CHECK(nreset == doctest::Approx(1000).epsilon(0.15));
    int same = 0;
    for (std::uint64_t i = 0; i < 1000; ++i)
        same += draw_fault(f, 1, i) == draw_fault(f, 2, i);
    CHECK(same < 1000); // another seed, another sequence
    CHECK(draw_fault(fault_options{}, 1, 3) == fault_kind::none);
}

TEST_CASE("retry-after forms and the token bucket")
{
    header_list h;
    add_retry_after(h, retry_after_form::ms, 1500, 0);
    add_retry_after(h, retry_after_form::seconds, 1500, 0);
    add_retry_after(h, retry_after_form::http_date, 1500, 1'700'000'000'000);
    add_retry_after(h, retry_after_form::none, 1500, 0);
    REQUIRE(h.size() == 3);
    CHECK(h[0] == std::pair<std::string, std::string>{"retry-after-ms", "1500"});
    CHECK(h[1] == std::pair<std::string, std::string>{"retry-after", "2"});
    CHECK(h[2] == std::pair<std::string, std::string>{"retry-after", "Tue, 14 Nov 2023 22:13:22 GMT"});

    token_bucket b;
    std::int64_t wait = 0;
    for (int i = 0; i < 5; ++i)
        CHECK(b.take(5, 1000, wait));
    CHECK_FALSE(b.take(5, 1000, wait));
    CHECK(wait == 200);
    CHECK(b.take(5, 1200, wait));
    CHECK(b.take(0, 1200, wait)); // no limit
}

TEST_CASE("wire: content-length, chunked, HTTP/1.0 and close")
{
    http_response res;
    res.status = 404;
    res.body = std::string(1200, 'x');
    res.headers.emplace_back("x-a", "b");
    std::string out;
    auto head = render_wire(out, res, {});
    CHECK(out.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
    CHECK(out.find("Content-Length: 1200\r\n") < head);
    CHECK(out.find("x-a: b\r\n") < head);
    CHECK(out.find("Connection: close") == std::string::npos);
    CHECK(out.size() == head + 1200);

    head = render_wire(out, res, {.http10 = false, .chunked = true, .close = true});
    CHECK(out.find("Transfer-Encoding: chunked\r\n") < head);
    CHECK(out.find("Connection: close\r\n") < head);
    CHECK(out.substr(head, 5) == "200\r\n");
    CHECK(out.size() > head + 1200);
    CHECK(out.substr(out.size() - 5) == "0\r\n\r\n");

    render_wire(out, res, {.http10 = true, .chunked = true, .close = false});
    CHECK(out.rfind("HTTP/1.0 404", 0) == 0);
    CHECK(out.find("Transfer-Encoding") == std::string::npos);
}

TEST_CASE("json writer escapes and renders valid documents")
{
    std::string out;
    render_error(out, "e", "quote \" backslash \\ newline \n ctrl \x01 unicode \xc3\xa9", "f");
    boost::system::error_code ec;
    auto v = boost::json::parse(out, ec);
    REQUIRE(!ec);
    CHECK(v.at("message").as_string() == "quote \" backslash \\ newline \n ctrl \x01 unicode \xc3\xa9");
    CHECK(v.at("field").as_string() == "f");

    const std::int64_t t0 = 1'700'000'000'000;
    task_record task = make_task(t0);
    task.title = "t";
    append_run(task, "run_1", "in \"q\"", plan(10, 10, 2), t0, 1);
    std::vector<turn_view> scratch;
    out.clear();
    render_context ctx;
    ctx.stamp_visibility = true;
    render_retrieve(out, task, t0 + 15, 4, true, ctx, scratch);
    v = boost::json::parse(out, ec);
    REQUIRE(!ec);
    CHECK(v.at("task").at("status").as_string() == "running");
    CHECK(v.at("turns").as_array().size() == 1);
    CHECK(v.at("turns").at(0).at("simVisibleAtMs").as_int64() == t0 + 15);
    CHECK(v.at("turns").at(0).at("completedAt").is_null());
    out.clear();
    render_run(out, task, task.runs[0], t0 + 30, 4, ctx);
    v = boost::json::parse(out, ec);
    REQUIRE(!ec);
    CHECK(v.at("status").as_string() == "completed");
    CHECK(v.at("output_text").as_string() == task.runs[0].texts.back());
    CHECK(v.at("output").at(0).at("content").at(0).at("text").as_string() == task.runs[0].texts.back());
}
