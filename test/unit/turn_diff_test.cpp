#include "policy/turn_diff.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <new>
#include <random>
#include <string>
#include <vector>

using namespace handinger;
using handinger::detail::turn_tracker;
namespace json = boost::json;

// Counts heap allocations while `counting` is set, to check that diffing an
// unchanged snapshot allocates nothing. Replaces the global operator new of
// the unit test binary (plain malloc/free otherwise).
namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
} // namespace

// GCC cannot see that this operator new is malloc underneath.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n)
{
    if (counting.load(std::memory_order_relaxed))
        allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1))
        return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept
{
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept
{
    std::free(p);
}

namespace {

turn make_turn(std::string id, std::int64_t seq, std::string text = {}, turn_status st = turn_status::running)
{
    turn t;
    t.id = std::move(id);
    t.task_id = "tsk_1";
    t.seq = seq;
    t.role = "assistant";
    t.status = st;
    t.input = "do the thing";
    t.output_text = std::move(text);
    t.started_at = "2024-06-01T12:00:00.000Z";
    return t;
}

task_with_turns snap(open_enum<task_status> status, std::vector<turn> turns = {})
{
    task_with_turns s;
    s.task.id = "tsk_1";
    s.task.status = std::move(status);
    s.turns = std::move(turns);
    return s;
}

open_enum<task_status> raw_status(std::string_view s)
{
    return open_enum<task_status>::from_string(s);
}

std::vector<watch_event> run(turn_tracker& t, const task_with_turns& s)
{
    std::vector<watch_event> out;
    auto n = t.update(s, out);
    CHECK(n == out.size());
    return out;
}

// A compact description of an event, for whole-sequence comparisons:
// "status:from>to", "added:id", "updated:id:text" or "replaced:id:text",
// "terminal:status".
std::string describe(const watch_event& e)
{
    if (auto* s = std::get_if<events::status_changed>(&e))
        return "status:" + (s->from ? std::string(s->from->str()) : std::string("-")) + ">" +
               std::string(s->to.str());
    if (auto* a = std::get_if<events::turn_added>(&e))
        return "added:" + a->turn.id;
    if (auto* u = std::get_if<events::turn_updated>(&e))
        return (u->replaced ? "replaced:" : "updated:") + u->turn.id + ":" + u->text;
    if (auto* t = std::get_if<events::terminal>(&e))
        return "terminal:" + std::string(t->status.str());
    return "retrying";
}

std::vector<std::string> describe(const std::vector<watch_event>& v)
{
    std::vector<std::string> out;
    for (const auto& e : v)
        out.push_back(describe(e));
    return out;
}

using strings = std::vector<std::string>;

} // namespace

TEST_CASE("turn_tracker: the first snapshot reports its status from nothing - the same status again, nothing")
{
    turn_tracker t;
    CHECK_FALSE(t.status());
    CHECK(describe(run(t, snap(task_status::pending))) == strings{"status:->pending"});
    auto ev = run(t, snap(task_status::pending));
    CHECK(ev.empty());
    CHECK(t.status() == open_enum<task_status>(task_status::pending));
    CHECK(describe(run(t, snap(task_status::running))) == strings{"status:pending>running"});
    CHECK(run(t, snap(task_status::running)).empty());
    // Back to pending is a change too.
    CHECK(describe(run(t, snap(task_status::pending))) == strings{"status:running>pending"});
    CHECK_FALSE(t.finished());

    // The event carries the values, not only their names.
    turn_tracker u;
    auto e = run(u, snap(task_status::running));
    REQUIRE(e.size() == 1);
    auto& sc = std::get<events::status_changed>(e[0]);
    CHECK_FALSE(sc.from.has_value());
    CHECK(sc.to == task_status::running);
}

TEST_CASE("turn_tracker: several turns appearing between polls, listed out of order, come in seq order")
{
    turn_tracker t;
    CHECK(describe(run(t, snap(task_status::running, {make_turn("a", 1, "x")}))) ==
          strings{"status:->running", "added:a"});
    // Listed out of order; "c" and "d" share seq 3 and go by id.
    auto ev = run(t, snap(task_status::running, {make_turn("e", 4), make_turn("a", 1, "x"), make_turn("d", 3),
                                                 make_turn("b", 2), make_turn("c", 3)}));
    CHECK(describe(ev) == strings{"added:b", "added:c", "added:d", "added:e"});
    // The whole turn travels with the event.
    CHECK(std::get<events::turn_added>(ev[0]).turn == make_turn("b", 2));
    CHECK(t.turn_count() == 5);
    CHECK(run(t, snap(task_status::running, {make_turn("c", 3), make_turn("e", 4), make_turn("a", 1, "x"),
                                             make_turn("b", 2), make_turn("d", 3)}))
              .empty());
    // Turns are identified by id, not seq: a new id on a used seq is a new
    // turn, and a turn whose seq moves is updated.
    auto moved = make_turn("b", 7);
    ev = run(t, snap(task_status::running, {make_turn("a", 1, "x"), moved, make_turn("c", 3),
                                            make_turn("d", 3), make_turn("e", 4), make_turn("f", 1)}));
    CHECK(describe(ev) == strings{"added:f", "updated:b:"});
    CHECK(t.find("b")->seq == 7);
}

TEST_CASE("turn_tracker: added and updated turns interleave by seq - negative and huge seqs sort too")
{
    turn_tracker t;
    run(t, snap(task_status::running, {make_turn("m", 1, "one"), make_turn("k", 3, "three")}));
    auto ev = run(t, snap(task_status::running,
                          {make_turn("k", 3, "three!"), make_turn("z", 2, "two"), make_turn("m", 1, "one!"),
                           make_turn("n", INT64_MAX), make_turn("o", INT64_MIN), make_turn("p", -1)}));
    CHECK(describe(ev) == strings{"added:o", "added:p", "updated:m:!", "added:z", "updated:k:!", "added:n"});
}

TEST_CASE("turn_tracker: growing text arrives as appended pieces - the same text twice, nothing")
{
    const strings texts = {"", "Hel", "Hello, ", "Hello, world"};
    turn_tracker t;
    std::string rebuilt;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        for (int twice = 0; twice < 2; ++twice) {
            auto ev = run(t, snap(task_status::running, {make_turn("a", 1, texts[i])}));
            if (twice == 1) {
                CHECK(ev.empty());
                continue;
            }
            if (i == 0) {
                CHECK(describe(ev) == strings{"status:->running", "added:a"});
                rebuilt = std::get<events::turn_added>(ev[1]).turn.output_text;
                continue;
            }
            REQUIRE(ev.size() == 1);
            auto& u = std::get<events::turn_updated>(ev[0]);
            CHECK_FALSE(u.replaced);
            CHECK(u.turn.output_text == texts[i]);
            rebuilt += u.text;
        }
    }
    CHECK(rebuilt == texts.back());
    // Pieces: "Hel", "lo, ", "world".
    turn_tracker t2;
    strings pieces;
    for (const auto& x : texts)
        for (auto& e : run(t2, snap(task_status::running, {make_turn("a", 1, x)})))
            if (auto* u = std::get_if<events::turn_updated>(&e))
                pieces.push_back(u->text);
    CHECK(pieces == strings{"Hel", "lo, ", "world"});

    // Starting from a non-empty text: added text + pieces = final text.
    turn_tracker t3;
    auto ev = run(t3, snap(task_status::running, {make_turn("a", 1, "The ")}));
    std::string acc = std::get<events::turn_added>(ev.back()).turn.output_text;
    for (std::string x : {"The quick", "The quick brown", "The quick brown fox"})
        acc += std::get<events::turn_updated>(run(t3, snap(task_status::running, {make_turn("a", 1, x)}))[0])
                   .text;
    CHECK(acc == "The quick brown fox");
}

TEST_CASE("turn_tracker: rewritten text is replaced whole")
{
    struct rewrite {
        std::string before, after;
    };
    const rewrite cases[] = {
        {"Hello", "Help"},        // same length, differs
        {"Hello", "Hell"},        // shorter: a prefix of the old, not the other way round
        {"Hello", ""},            // cleared
        {"Hello", "hello world"}, // case
        {"abc", "xabc"},          // old is a suffix, not a prefix
    };
    for (const auto& c : cases) {
        CAPTURE(c.before);
        CAPTURE(c.after);
        turn_tracker t;
        run(t, snap(task_status::running, {make_turn("a", 1, c.before)}));
        auto ev = run(t, snap(task_status::running, {make_turn("a", 1, c.after)}));
        REQUIRE(ev.size() == 1);
        auto& u = std::get<events::turn_updated>(ev[0]);
        CHECK(u.replaced);
        CHECK(u.text == c.after);
        CHECK(u.turn.output_text == c.after);
        CHECK(run(t, snap(task_status::running, {make_turn("a", 1, c.after)})).empty());
    }
}

TEST_CASE("turn_tracker: a change in any other field is an update with no text")
{
    using mutate = void (*)(turn&);
    const std::pair<const char*, mutate> fields[] = {
        {"status", [](turn& t) { t.status = turn_status::completed; }},
        {"status raw", [](turn& t) { t.status = open_enum<turn_status>::from_string("thinking"); }},
        {"completedAt", [](turn& t) { t.completed_at = "2024-06-01T12:03:04.500Z"; }},
        {"credits", [](turn& t) { t.credits = 12; }},
        {"durationMs", [](turn& t) { t.duration_ms = 120000; }},
        {"inputTokens", [](turn& t) { t.input_tokens = 1500; }},
        {"outputTokens", [](turn& t) { t.output_tokens = 320; }},
        {"structuredOutput",
         [](turn& t) {
             t.structured_output = json::object{{"growth", 0.12}};
         }},
        {"files",
         [](turn& t) {
             t.files.push_back({"a.pdf", "application/pdf", "https://f/a", 10});
         }},
        {"seq", [](turn& t) { t.seq = 9; }},
        {"role", [](turn& t) { t.role = "user"; }},
        {"input", [](turn& t) { t.input = "another thing"; }},
        {"startedAt", [](turn& t) { t.started_at = "2024-06-01T12:00:01.000Z"; }},
        {"taskId", [](turn& t) { t.task_id = "tsk_2"; }},
    };
    for (const auto& field : fields) {
        const char* name = field.first; // (clang 14 cannot capture a structured binding)
        const mutate f = field.second;
        CAPTURE(name);
        turn_tracker t;
        auto base = make_turn("a", 1, "same text");
        run(t, snap(task_status::running, {base}));
        auto changed = base;
        f(changed);
        REQUIRE_FALSE(changed == base);
        auto ev = run(t, snap(task_status::running, {changed}));
        REQUIRE(ev.size() == 1);
        auto& u = std::get<events::turn_updated>(ev[0]);
        CHECK(u.text.empty());
        CHECK_FALSE(u.replaced);
        CHECK(u.turn == changed);
        CHECK(*t.find("a") == changed);
        CHECK(run(t, snap(task_status::running, {changed})).empty());
        // And back: another change.
        CHECK(run(t, snap(task_status::running, {base})).size() == 1);
    }
    // Nested changes inside structuredOutput and files count.
    turn_tracker t;
    auto a = make_turn("a", 1);
    a.structured_output = json::parse(R"({"x": {"y": [1, 2, 3]}})").as_object();
    a.files.push_back({std::nullopt, "text/plain", "https://f/1", std::nullopt});
    run(t, snap(task_status::running, {a}));
    auto b = a;
    b.structured_output->at("x").as_object()["y"].as_array().back() = 4;
    CHECK(run(t, snap(task_status::running, {b})).size() == 1);
    auto c = b;
    c.files[0].size = 5;
    CHECK(run(t, snap(task_status::running, {c})).size() == 1);
    auto d = c;
    d.structured_output.reset();
    CHECK(run(t, snap(task_status::running, {d})).size() == 1);
    CHECK(run(t, snap(task_status::running, {d})).empty());
}

TEST_CASE("turn_tracker: structuredOutput compares as JSON values, like boost::json's operator==")
{
    struct pair {
        const char* before;
        const char* after;
    };
    const pair same[] = {
        {R"({"a": 1, "b": 2})", R"({"b": 2, "a": 1})"}, // member order does not matter
        {R"({})", R"({})"},
        {R"({"a": [1, [2, {"x": null}]], "s": "t", "f": 1.5, "b": true})",
         R"({"s": "t", "b": true, "f": 1.5, "a": [1, [2, {"x": null}]]})"},
    };
    const pair different[] = {
        {R"({"a": 1})", R"({"a": 2})"},
        {R"({"a": 1})", R"({"b": 1})"},
        {R"({"a": 1})", R"({"a": 1, "b": 1})"},
        {R"({"a": 1})", R"({"a": 1.0})"}, // int and double differ, as in Boost
        {R"({"a": 1})", R"({"a": "1"})"},
        {R"({"a": [1, 2]})", R"({"a": [2, 1]})"},
        {R"({"a": [1, 2]})", R"({"a": [1, 2, 3]})"},
        {R"({"a": [1]})", R"({"a": {"0": 1}})"},
        {R"({"a": {"0": 1}})", R"({"a": [1]})"},
        {R"({"a": {}})", R"({"a": null})"},
        {R"({"a": null})", R"({"a": false})"},
        {R"({"a": {"b": {"c": 1}}})", R"({"a": {"b": {"c": 2}}})"},
        {R"({"a": [[[1]]]})", R"({"a": [[[1, 1]]]})"},
    };
    auto with = [](const char* so) {
        auto t = make_turn("a", 1);
        t.structured_output = json::parse(so).as_object();
        return t;
    };
    for (const auto& p : same) {
        CAPTURE(p.before);
        CAPTURE(p.after);
        turn_tracker t;
        run(t, snap(task_status::running, {with(p.before)}));
        CHECK(run(t, snap(task_status::running, {with(p.after)})).empty());
        CHECK(with(p.before) == with(p.after)); // agrees with operator==
    }
    for (const auto& p : different) {
        CAPTURE(p.before);
        CAPTURE(p.after);
        for (int swap = 0; swap < 2; ++swap) {
            turn_tracker t;
            run(t, snap(task_status::running, {with(swap ? p.after : p.before)}));
            CHECK(run(t, snap(task_status::running, {with(swap ? p.before : p.after)})).size() == 1);
            CHECK_FALSE(with(p.before) == with(p.after));
        }
    }
    // int64 and uint64 holding the same number are equal; negative ones are not.
    auto i = make_turn("a", 1), u = make_turn("a", 1);
    i.structured_output = json::object{{"n", std::int64_t(5)}};
    u.structured_output = json::object{{"n", std::uint64_t(5)}};
    turn_tracker t;
    run(t, snap(task_status::running, {i}));
    CHECK(run(t, snap(task_status::running, {u})).empty());
    CHECK(run(t, snap(task_status::running, {i})).empty());
    i.structured_output = json::object{{"n", std::int64_t(-1)}};
    u.structured_output = json::object{{"n", std::uint64_t(UINT64_MAX)}};
    CHECK(run(t, snap(task_status::running, {i})).size() == 1);
    CHECK(run(t, snap(task_status::running, {u})).size() == 1);
    CHECK(run(t, snap(task_status::running, {i})).size() == 1);
}

TEST_CASE("turn_tracker: live status first, then turns - terminal: turns, status, terminal")
{
    turn_tracker t;
    CHECK(describe(run(t, snap(task_status::pending, {make_turn("a", 1)}))) ==
          strings{"status:->pending", "added:a"});
    CHECK(describe(run(t, snap(task_status::running, {make_turn("a", 1, "hi"), make_turn("b", 2)}))) ==
          strings{"status:pending>running", "updated:a:hi", "added:b"});
    auto final_snap =
        snap(task_status::completed, {make_turn("c", 3, "c"), make_turn("a", 1, "hi!"), make_turn("b", 2)});
    final_snap.raw = json::object{{"task", json::object{{"id", "tsk_1"}}}, {"extra", 1}};
    auto ev = run(t, final_snap);
    CHECK(describe(ev) ==
          strings{"updated:a:!", "added:c", "status:running>completed", "terminal:completed"});
    auto& term = std::get<events::terminal>(ev.back());
    CHECK(term.status == task_status::completed);
    CHECK(term.snapshot == final_snap);
    CHECK(term.snapshot.raw == final_snap.raw);
    CHECK(t.finished());
}

TEST_CASE("turn_tracker: every terminal status, first or later, ends the tracker")
{
    const open_enum<task_status> terminals[] = {task_status::completed, task_status::error,
                                                task_status::aborted, raw_status("paused"), raw_status("")};
    for (const auto& st : terminals) {
        CAPTURE(st);
        // First snapshot already terminal.
        turn_tracker t;
        auto ev = run(t, snap(st, {make_turn("b", 2), make_turn("a", 1)}));
        CHECK(describe(ev) == strings{"added:a", "added:b", "status:->" + std::string(st.str()),
                                      "terminal:" + std::string(st.str())});
        CHECK(std::get<events::terminal>(ev.back()).status == st);
        CHECK(t.finished());
        // Later: from running.
        turn_tracker u;
        run(u, snap(task_status::running));
        ev = run(u, snap(st));
        CHECK(describe(ev) ==
              strings{"status:running>" + std::string(st.str()), "terminal:" + std::string(st.str())});
        CHECK(u.finished());
        // Nothing after: not a new status, not new turns, not a live status.
        CHECK(run(u, snap(task_status::running, {make_turn("z", 1)})).empty());
        CHECK(run(u, snap(task_status::completed, {make_turn("z", 1)})).empty());
        CHECK(run(u, snap(raw_status("other"))).empty());
        CHECK(u.finished());
        CHECK(u.find("z") == nullptr);
    }
    // An unknown status keeps its raw name in the events.
    turn_tracker t;
    auto ev = run(t, snap(raw_status("paused")));
    CHECK(std::get<events::status_changed>(ev[0]).to.str() == "paused");
    CHECK_FALSE(std::get<events::status_changed>(ev[0]).to.known());
}

TEST_CASE("turn_tracker: vanishing turns emit nothing - returning ones only when changed")
{
    turn_tracker t;
    run(t, snap(task_status::running, {make_turn("a", 1, "x"), make_turn("b", 2, "y")}));
    CHECK(run(t, snap(task_status::running, {make_turn("b", 2, "y")})).empty()); // a vanished
    CHECK(run(t, snap(task_status::running)).empty());                           // all vanished
    CHECK(t.turn_count() == 2);
    CHECK(run(t, snap(task_status::running, {make_turn("a", 1, "x")})).empty()); // back unchanged
    CHECK(run(t, snap(task_status::running, {make_turn("b", 2, "y")})).empty()); // b back, a gone
    // a comes back changed: diffed against the last state seen.
    CHECK(describe(run(t, snap(task_status::running, {make_turn("a", 1, "xz")}))) == strings{"updated:a:z"});
    // A snapshot without turns (has_turns false) is a snapshot where all vanished.
    auto no_turns = snap(task_status::running);
    no_turns.has_turns = false;
    CHECK(run(t, no_turns).empty());
    CHECK(run(t, snap(task_status::running, {make_turn("a", 1, "xz"), make_turn("b", 2, "y")})).empty());
}

TEST_CASE("turn_tracker: duplicate ids in one snapshot: the last in list order wins")
{
    turn_tracker t;
    auto ev = run(t, snap(task_status::running, {make_turn("a", 1, "first"), make_turn("b", 2, "b"),
                                                 make_turn("a", 5, "first and last")}));
    CHECK(describe(ev) == strings{"status:->running", "added:b", "added:a"});
    CHECK(std::get<events::turn_added>(ev[2]).turn.output_text == "first and last");
    CHECK(t.find("a")->seq == 5);
    // Same state, listed with an older duplicate before it: nothing.
    CHECK(run(t, snap(task_status::running, {make_turn("a", 1, "first"), make_turn("a", 5, "first and last"),
                                             make_turn("b", 2, "b")}))
              .empty());
    // The older state last: it wins, as a rewrite.
    ev = run(t, snap(task_status::running, {make_turn("a", 5, "first and last"), make_turn("b", 2, "b"),
                                            make_turn("a", 1, "first")}));
    CHECK(describe(ev) == strings{"replaced:a:first"});
    // Three copies of one id, all identical to what was seen.
    CHECK(run(t, snap(task_status::running, {make_turn("a", 1, "first"), make_turn("a", 1, "first"),
                                             make_turn("a", 1, "first"), make_turn("b", 2, "b")}))
              .empty());
    CHECK(t.turn_count() == 2);
}

TEST_CASE("turn_tracker: update returns the count and appends without clearing")
{
    turn_tracker t;
    std::vector<watch_event> out;
    out.emplace_back(events::retrying{});
    CHECK(t.update(snap(task_status::running, {make_turn("a", 1)}), out) == 2);
    REQUIRE(out.size() == 3);
    CHECK(std::holds_alternative<events::retrying>(out[0]));
    CHECK(t.update(snap(task_status::running, {make_turn("a", 1)}), out) == 0);
    CHECK(out.size() == 3);
}

TEST_CASE("turn_tracker: update(&&) moves the snapshot into the terminal event, else leaves it")
{
    turn_tracker t;
    std::vector<watch_event> out;
    auto live = snap(task_status::running, {make_turn("a", 1, "x")});
    live.raw = json::object{{"k", "v"}};
    const auto live_copy = live;
    t.update(std::move(live), out);
    CHECK(live == live_copy); // NOLINT(bugprone-use-after-move): documented as untouched
    CHECK(live.raw == live_copy.raw);

    auto done = snap(task_status::completed, {make_turn("a", 1, "xy")});
    done.raw = json::object{{"big", std::string(1000, 'r')}};
    const auto done_copy = done;
    out.clear();
    CHECK(t.update(std::move(done), out) == 3);
    CHECK(describe(out) == strings{"updated:a:y", "status:running>completed", "terminal:completed"});
    auto& term = std::get<events::terminal>(out.back());
    CHECK(term.snapshot == done_copy);
    CHECK(term.snapshot.raw == done_copy.raw);
    CHECK(term.status == task_status::completed);
}

TEST_CASE("turn_tracker: never keeps raw - kept structuredOutput leaves the response's arena")
{
    std::string big(64 * 1024, 'x');
    auto with_raw = snap(task_status::running, {make_turn("a", 1, "hello"), make_turn("b", 2, "world")});
    auto without_raw = with_raw;
    with_raw.raw = json::object{{"padding", big}, {"more", json::array(1000, json::value(1.5))}};
    turn_tracker t1, t2;
    run(t1, with_raw);
    run(t2, without_raw);
    CHECK(t1.memory_estimate() == t2.memory_estimate());
    CHECK(t1.memory_estimate() < 4096);

    // A structuredOutput in the arena of a parsed response: copied out.
    auto arena = json::make_shared_resource<json::monotonic_resource>();
    auto doc = json::parse(
        R"({"so": {"answer": "a string long enough to leave the small buffer", "n": [1, 2]}})", arena);
    auto a = make_turn("a", 1);
    a.structured_output.emplace(doc.at("so").as_object(), arena);
    REQUIRE(a.structured_output->storage().get() == arena.get());
    turn_tracker t;
    run(t, snap(task_status::running, {make_turn("a", 1)})); // kept without structuredOutput
    run(t, snap(task_status::running, {a}));                 // now with one, from the arena
    REQUIRE(t.find("a")->structured_output);
    CHECK(t.find("a")->structured_output->storage().get() == json::storage_ptr().get());
    CHECK(*t.find("a")->structured_output == *a.structured_output);
    turn_tracker fresh; // a new turn carrying one
    run(fresh, snap(task_status::running, {a}));
    CHECK(fresh.find("a")->structured_output->storage().get() == json::storage_ptr().get());
    // Updating a kept object in place keeps the default storage.
    auto b = a;
    b.structured_output->emplace("k", 1);
    run(fresh, snap(task_status::running, {b}));
    CHECK(fresh.find("a")->structured_output->storage().get() == json::storage_ptr().get());
    CHECK(*fresh.find("a")->structured_output == *b.structured_output);
}

TEST_CASE("turn_tracker: memory_estimate follows what is kept")
{
    turn_tracker t;
    CHECK(t.memory_estimate() == 0);
    std::string text(10000, 'y');
    auto a = make_turn("a", 1, text);
    a.structured_output = json::object{{"s", std::string(3000, 'z')}, {"arr", json::array{1, 2, 3}}};
    a.files.push_back({std::string(500, 'f'), "application/octet-stream", std::string(700, 'u'), 1});
    a.completed_at = std::string(100, 'c');
    run(t, snap(raw_status("a long unknown status"), {a}));
    const auto est = t.memory_estimate();
    CHECK(est >= 10000 + 3000 + 500 + 700 + 100 + sizeof(turn) + sizeof(turn_file));
    CHECK(est <= 2 * (10000 + 3000 + 500 + 700 + 100) + 4096);
    // Short strings live inside their objects: a small turn is about its size.
    turn_tracker s;
    run(s, snap(task_status::running, {make_turn("a", 1, "short")}));
    CHECK(s.memory_estimate() >= sizeof(turn));
    CHECK(s.memory_estimate() < sizeof(turn) + 256);
}

TEST_CASE("turn_tracker: diffing an unchanged snapshot does not allocate")
{
    // Built twice, separately, so nothing is shared between the snapshots.
    auto build = [] {
        std::vector<turn> v;
        for (int i = 0; i < 60; ++i) {
            auto t = make_turn("trn_" + std::to_string((i * 37) % 60), (i * 37) % 60,
                               std::string(200 + i, 'a' + i % 26), turn_status::completed);
            t.structured_output = json::object{{"i", i}, {"s", std::string(50, 's')}};
            t.files.push_back({"f.txt", "text/plain", "https://f/" + std::to_string(i), i});
            t.completed_at = "2024-06-01T12:03:04.500Z";
            v.push_back(std::move(t));
        }
        v.push_back(v[3]); // a duplicate id too
        return snap(raw_status("running"), std::move(v));
    };
    turn_tracker t;
    std::vector<watch_event> out;
    CHECK(t.update(build(), out) == 61);
    const auto same = build();
    out.clear();
    out.shrink_to_fit();
    allocations = 0;
    counting = true;
    const auto n1 = t.update(same, out);
    const auto n2 = t.update(same, out);
    counting = false;
    CHECK(n1 == 0);
    CHECK(n2 == 0);
    CHECK(allocations.load() == 0);
    // The counter works: a changed snapshot allocates (the event's copy).
    auto changed = same;
    changed.turns[5].output_text += "!";
    counting = true;
    CHECK(t.update(changed, out) == 1);
    counting = false;
    CHECK(allocations.load() > 0);
}

TEST_CASE("turn_tracker: random histories: each state once, texts rebuild, order by (seq, id)")
{
    std::mt19937 rng(12345);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    const std::string ids[] = {"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"};
    for (int history = 0; history < 300; ++history) {
        CAPTURE(history);
        turn_tracker t;
        std::map<std::string, turn> truth;       // the server's current turns
        std::map<std::string, turn> last_seen;   // as listed in the last snapshot each id appeared in
        std::map<std::string, std::string> text; // rebuilt from events
        for (int poll = 0; poll < 30; ++poll) {
            // The server moves on.
            for (const auto& id : ids) {
                int r = pick(10);
                auto it = truth.find(id);
                if (it == truth.end()) {
                    if (r == 0)
                        truth.emplace(id, make_turn(id, pick(6), std::string(pick(3), 'a')));
                } else if (r < 3) {
                    it->second.output_text += static_cast<char>('a' + pick(26));
                } else if (r == 3) {
                    it->second.output_text = std::string(pick(4), 'r');
                } else if (r == 4) {
                    it->second.credits += 1;
                }
            }
            // The listing: a random subset in random order, sometimes a stale
            // duplicate before the current one.
            std::vector<turn> listed;
            std::vector<const turn*> visible;
            for (auto& [id, tr] : truth)
                if (pick(5) != 0)
                    visible.push_back(&tr);
            std::shuffle(visible.begin(), visible.end(), rng);
            for (const turn* v : visible) {
                if (pick(8) == 0 && last_seen.count(v->id))
                    listed.push_back(last_seen.at(v->id));
                listed.push_back(*v);
            }
            const bool final = poll == 29;
            auto s = snap(final ? open_enum<task_status>(task_status::completed)
                                : open_enum<task_status>(task_status::running),
                          listed);
            auto ev = run(t, s);

            // Expected turn events: visible turns whose state differs from the last seen.
            std::vector<const turn*> expect;
            for (const turn* v : visible) {
                auto ls = last_seen.find(v->id);
                if (ls == last_seen.end() || !(ls->second == *v))
                    expect.push_back(v);
            }
            std::sort(expect.begin(), expect.end(), [](const turn* a, const turn* b) {
                return a->seq != b->seq ? a->seq < b->seq : a->id < b->id;
            });
            std::vector<const turn*> got;
            for (const auto& e : ev) {
                if (auto* a = std::get_if<events::turn_added>(&e)) {
                    CHECK(text.count(a->turn.id) == 0);
                    text[a->turn.id] = a->turn.output_text;
                    got.push_back(&truth.at(a->turn.id));
                    CHECK(a->turn == truth.at(a->turn.id));
                } else if (auto* u = std::get_if<events::turn_updated>(&e)) {
                    REQUIRE(text.count(u->turn.id) == 1);
                    if (u->replaced)
                        text[u->turn.id] = u->text;
                    else
                        text[u->turn.id] += u->text;
                    got.push_back(&truth.at(u->turn.id));
                    CHECK(u->turn == truth.at(u->turn.id));
                }
            }
            REQUIRE(got == expect);
            for (const turn* v : visible) {
                last_seen[v->id] = *v;
                CHECK(text.at(v->id) == v->output_text);
                CHECK(*t.find(v->id) == *v);
            }
            if (final) {
                CHECK(std::holds_alternative<events::terminal>(ev.back()));
                CHECK(t.finished());
            } else {
                CHECK_FALSE(t.finished());
            }
            // The same snapshot again: nothing.
            CHECK(run(t, s).empty());
        }
    }
}
