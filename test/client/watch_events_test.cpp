// The watcher's events against the simulator: what is reported, how often,
// in which order and with which content, for every way a task can end and
// for both retrieve shapes.
#include "client/watch_support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/use_awaitable.hpp>

#include <map>
#include <set>

using namespace test_support;
using namespace watch_support;
using namespace std::chrono_literals;

TEST_CASE("watch events: turns that appear between two polls are each added once, in seq order")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        // 6 turns of 60 ms after 40 ms pending (about 400 ms in all), polled
        // every 150 ms: most polls find several new turns at once.
        auto id = co_await create(c, "many turns #turns:6 #turn-ms:60");
        auto w = c.watch(id, fixed_watch(150ms));
        auto log = co_await collect(w, &f);
        REQUIRE(log.ended);
        CHECK_FALSE(log.ec);
        check_invariants(log);

        std::vector<std::int64_t> seqs;
        std::map<long long, int> added_per_get; // GET count when delivered -> turns added
        for (auto& r : log.events)
            if (auto* a = std::get_if<hd::events::turn_added>(&r.ev)) {
                seqs.push_back(a->turn.seq);
                ++added_per_get[r.gets];
            }
        CHECK(seqs == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6});
        int most = 0;
        for (auto& [g, n] : added_per_get)
            most = std::max(most, n);
        CHECK(most >= 2); // some poll did see several new turns
        const auto* t = log.terminal();
        REQUIRE(t);
        CHECK(t->status == hd::task_status::completed);
        CHECK(t->snapshot.turns.size() == 6);
        // About 400 ms at one poll per 150 ms: a handful of GETs, not one per turn state.
        CHECK(gets(f) <= 6);
        // Each successful poll reports at most: 1 status + 6 turns + status + terminal.
        CHECK(log.events.size() <= static_cast<std::size_t>(gets(f)) * 9);

        // Done: further calls neither poll nor report.
        auto after = gets(f);
        for (int i = 0; i < 3; ++i) {
            auto again = co_await collect(w, &f);
            CHECK(again.ended);
            CHECK_FALSE(again.ec);
            CHECK(again.events.empty());
        }
        co_await sleep_for(200ms);
        CHECK(gets(f) == after);
        CHECK(w.done());
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch events: polls of an unchanged task report nothing")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "still pending #pending-ms:10000");
        auto o = fixed_watch(20ms);
        o.deadline = 600ms;
        auto w = c.watch(id, o);
        auto log = co_await collect(w, &f);
        REQUIRE(log.ended);
        CHECK(log.ec == hd::error::timeout);
        // Many GETs, all of the same state: only the first poll reports
        // (status pending, the run's pending first turn).
        CHECK(gets(f) >= 12);
        REQUIRE(log.events.size() == 2);
        auto* s = std::get_if<hd::events::status_changed>(&log.events[0].ev);
        REQUIRE(s);
        CHECK_FALSE(s->from);
        CHECK(s->to == hd::task_status::pending);
        auto* a = std::get_if<hd::events::turn_added>(&log.events[1].ev);
        REQUIRE(a);
        CHECK(a->turn.seq == 1);
        CHECK(a->turn.status.str() == "pending");
        CHECK(log.events[0].gets == 1);
        CHECK(log.events[1].gets == 1);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch events: the appended text pieces rebuild every final outputText")
{
    auto o = fast_sim();
    o.text_steps = 5;
    sim_fixture f(o);
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "growing text #turns:2 #turn-ms:250");
        auto w = c.watch(id, fixed_watch(15ms));
        auto log = co_await collect(w, &f);
        REQUIRE(log.ended);
        CHECK_FALSE(log.ec);
        check_invariants(log); // pieces applied in order give each state's text
        const auto* t = log.terminal();
        REQUIRE(t);
        REQUIRE(t->snapshot.turns.size() == 2);
        std::map<std::string, std::string> text;
        std::map<std::string, int> pieces;
        for (auto& r : log.events) {
            if (auto* a = std::get_if<hd::events::turn_added>(&r.ev))
                text[a->turn.id] = a->turn.output_text;
            else if (auto* u = std::get_if<hd::events::turn_updated>(&r.ev)) {
                CHECK_FALSE(u->replaced); // the simulator's text only grows
                text[u->turn.id] += u->text;
                pieces[u->turn.id] += !u->text.empty();
            }
        }
        for (auto& turn : t->snapshot.turns) {
            INFO("turn seq " << turn.seq);
            CHECK_FALSE(turn.output_text.empty());
            CHECK(text[turn.id] == turn.output_text);
            // 5 steps of 50 ms polled every 15 ms: the growth was seen piece by piece.
            CHECK(pieces[turn.id] >= 3);
        }
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch events: every terminal status ends with terminal and its snapshot, then done")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    struct expected {
        std::string input;
        std::string status;
        std::size_t turns;
        std::string last_turn_status;
    };
    const std::vector<expected> cases{
        {"ends well #turns:2", "completed", 2, "completed"},
        {"ends badly #fail #turns:2", "error", 2, "error"},
        {"stopped #abort #turns:3", "aborted", 1, "completed"},
        {"odd ending #status:paused #turns:2", "paused", 2, "completed"},
    };
    auto body = [&]() -> asio::awaitable<void> {
        for (auto& e : cases) {
            INFO(e.input);
            auto id = co_await create(c, e.input);
            auto w = c.watch(id, fast_watch());
            auto log = co_await collect(w, &f);
            REQUIRE(log.ended);
            CHECK_FALSE(log.ec);
            check_invariants(log);
            const auto* t = log.terminal();
            REQUIRE(t);
            CHECK(t->status.str() == e.status);
            CHECK(t->snapshot.task.id == id);
            CHECK(t->snapshot.task.status.str() == e.status);
            REQUIRE(t->snapshot.turns.size() == e.turns);
            CHECK(t->snapshot.turns.back().status.str() == e.last_turn_status);
            CHECK(hd::is_terminal(t->status));
            // The status_changed just before terminal goes to the same status.
            REQUIRE(log.events.size() >= 2);
            auto* s = std::get_if<hd::events::status_changed>(&log.events[log.events.size() - 2].ev);
            REQUIRE(s);
            CHECK(s->to.str() == e.status);
            CHECK(w.done());
            REQUIRE(w.snapshot());
            CHECK(w.snapshot()->task.status.str() == e.status);
            CHECK(w.snapshot()->turns.size() == e.turns);
            // After terminal: empty, in both forms, and no more GETs.
            auto before = gets(f);
            auto next = co_await w.async_next();
            CHECK_FALSE(next);
            hd::diagnostics d;
            auto [ec, next2] = co_await w.async_next(d, asio::as_tuple(asio::use_awaitable));
            CHECK_FALSE(ec);
            CHECK_FALSE(next2);
            CHECK(gets(f) == before);
        }
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch events: a service that answers the task without turns, turns from /turns")
{
    auto o = fast_sim();
    o.shape = hd::sim::retrieve_shape::task_only;
    sim_fixture f(o);
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "no turns inline #turns:3");
        auto w = c.watch(id, fast_watch());
        auto log = co_await collect(w, &f);
        REQUIRE(log.ended);
        CHECK_FALSE(log.ec);
        check_invariants(log);
        const auto* t = log.terminal();
        REQUIRE(t);
        CHECK(t->status == hd::task_status::completed);
        CHECK(t->snapshot.turns.size() == 3);
        CHECK(log.count<hd::events::turn_added>() == 3);
        // Every poll needed the second request.
        CHECK(f.requests(turns_route, "200") >= 2);
        CHECK(f.requests(turns_route, "200") == f.requests(get_route, "200"));
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch events: statuses go from and to, and a follow-up run adds its turns to the same watch")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        // The first run: 2 turns of 120 ms. A follow-up posted while it runs
        // queues behind it; the watch must follow both runs to the end.
        auto id = co_await create(c, "first run #turns:2 #turn-ms:120");
        auto w = c.watch(id, fast_watch());
        auto first = co_await w.async_next();
        REQUIRE(first);
        auto* s0 = std::get_if<hd::events::status_changed>(&*first);
        REQUIRE(s0);
        CHECK_FALSE(s0->from);
        co_await create(c, "second run #turns:2", id);
        auto log = co_await collect(w, &f);
        log.events.insert(log.events.begin(), recorded{*first, 0, clock::now()});
        REQUIRE(log.ended);
        CHECK_FALSE(log.ec);
        // The follow-up's pending first turn (seq 3) is visible from its POST
        // on, possibly before the first run's second turn (seq 2) starts.
        check_invariants(log, false);
        const auto* t = log.terminal();
        REQUIRE(t);
        CHECK(t->status == hd::task_status::completed);
        CHECK(t->snapshot.turns.size() == 4);
        std::multiset<std::int64_t> seqs;
        for (auto* a : log.all<hd::events::turn_added>())
            seqs.insert(a->turn.seq);
        CHECK(seqs == std::multiset<std::int64_t>{1, 2, 3, 4});
        // Every status_changed after the first has a from.
        auto changes = log.all<hd::events::status_changed>();
        REQUIRE(changes.size() >= 3);
        for (std::size_t i = 1; i < changes.size(); ++i)
            CHECK(changes[i]->from.has_value());

        // A new watcher of the finished task reports all of its history in
        // one poll: the four turns as added, once each, then its status
        // (without a from: the first one seen), then terminal.
        auto w2 = c.watch(id, fast_watch());
        auto log2 = co_await collect(w2, &f);
        CHECK_FALSE(log2.ec);
        check_invariants(log2);
        REQUIRE(log2.events.size() == 6);
        auto* s = std::get_if<hd::events::status_changed>(&log2.events[4].ev);
        REQUIRE(s);
        CHECK_FALSE(s->from);
        CHECK(s->to == hd::task_status::completed);
        CHECK(log2.count<hd::events::turn_added>() == 4);
        CHECK(log2.count<hd::events::turn_updated>() == 0);

        // A follow-up on the finished task, watched by a new watcher: the
        // old turns and the new ones are added, the task runs again.
        co_await create(c, "third run #turns:1", id);
        auto w3 = c.watch(id, fast_watch());
        auto log3 = co_await collect(w3, &f);
        CHECK_FALSE(log3.ec);
        check_invariants(log3);
        std::vector<std::int64_t> seqs3;
        std::string seen3;
        for (auto& r : log3.events)
            seen3 += kind(r.ev) + " ";
        for (auto* a : log3.all<hd::events::turn_added>())
            seqs3.push_back(a->turn.seq);
        INFO("third watcher's events: " << seen3);
        // (Not a snapshot of the task from before the follow-up: the new run
        // is there, pending, from its POST on.)
        CHECK(seqs3 == std::vector<std::int64_t>{1, 2, 3, 4, 5});
        REQUIRE_FALSE(log3.events.empty());
        auto first3 = std::get_if<hd::events::status_changed>(&log3.events.front().ev);
        REQUIRE(first3);
        CHECK_FALSE(first3->from);
        CHECK(first3->to != hd::task_status::completed);
        REQUIRE(log3.terminal());
        CHECK(log3.terminal()->snapshot.turns.size() == 5);
    };
    run(ioc, body(), 20s);
}

TEST_CASE("watch events: with the default schedule, a change is reported within about one interval")
{
    // The simulator stamps each turn with the time its state became visible.
    // Turns of 300 ms whose text grows in 3 steps: a change every 100 ms,
    // so the default schedule stays at its first interval (250 ms, +-20%).
    // A schedule that backed off while changes keep coming (250, 375, 563,
    // 844 ...) would report the later turns' ends later and later.
    auto o = fast_sim();
    o.stamp_visibility = true;
    o.text_steps = 3;
    sim_fixture f(o);
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto id = co_await create(c, "steady #turns:4 #turn-ms:300");
        auto w = c.watch(id);
        // steady_clock of each event -> unix ms
        const auto sys0 = std::chrono::system_clock::now();
        const auto steady0 = clock::now();
        auto unix_ms = [&](clock::time_point at) {
            auto sys = sys0 + std::chrono::duration_cast<std::chrono::system_clock::duration>(at - steady0);
            return std::chrono::duration_cast<milliseconds>(sys.time_since_epoch()).count();
        };
        auto log = co_await collect(w, &f);
        CHECK_FALSE(log.ec);
        check_invariants(log);
        const auto* t = log.terminal();
        REQUIRE(t);
        const auto* turns = t->snapshot.raw.if_contains("turns");
        REQUIRE(turns);
        REQUIRE(turns->is_array());
        REQUIRE(turns->as_array().size() == 4);
        for (const auto& jt : turns->as_array()) {
            const auto& o2 = jt.as_object();
            std::string tid(o2.at("id").as_string());
            auto visible = o2.at("simVisibleAtMs").to_number<std::int64_t>();
            // The first event that showed this turn completed.
            std::optional<long long> reported;
            for (auto& r : log.events) {
                const hd::turn* turn = nullptr;
                if (auto* a = std::get_if<hd::events::turn_added>(&r.ev))
                    turn = &a->turn;
                else if (auto* u = std::get_if<hd::events::turn_updated>(&r.ev))
                    turn = &u->turn;
                if (turn && turn->id == tid && turn->completed_at) {
                    reported = unix_ms(r.at);
                    break;
                }
            }
            REQUIRE(reported);
            auto latency = *reported - visible;
            INFO("turn " << tid << " reported " << latency << " ms after it completed");
            CHECK(latency >= -5); // never before it happened (clock rounding aside)
            CHECK(latency <= 450);
        }
    };
    run(ioc, body(), 20s);
}
