// `handinger tasks watch ID`: the human lines and the JSON Lines events, and
// the exit statuses of a watch (3 error, 4 aborted or unknown, 5 deadline,
// 130 interrupted).
#include "cli/cli_support.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <csignal>

using namespace cli_test;

namespace {

// The events of a `--format jsonl` watch that began while the task was
// live, checked for the order the tool promises: a status_changed first
// (with no `from`), each turn added once and in seq order, every update of a
// turn already added, one terminal event, last. (The tasks watched are
// pending for 800 ms so that the first poll sees them live.)
void check_event_order(const std::vector<json::value>& events, const std::string& terminal_status,
                       std::size_t turns)
{
    REQUIRE(!events.empty());
    CHECK(str_at(events.front(), "event") == "status_changed");
    CHECK(events.front().at("from").is_null());
    std::vector<std::int64_t> added;
    std::size_t terminals = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const auto& e = events[i];
        const auto kind = str_at(e, "event");
        INFO("event ", i, ": ", json::serialize(e));
        if (kind == "turn_added") {
            added.push_back(e.at("turn").at("seq").as_int64());
        } else if (kind == "turn_updated") {
            auto seq = e.at("seq").as_int64();
            CHECK(std::find(added.begin(), added.end(), seq) != added.end());
        } else if (kind == "terminal") {
            ++terminals;
            CHECK(i + 1 == events.size());
        } else {
            CHECK(kind == "status_changed");
        }
    }
    std::vector<std::int64_t> expected;
    for (std::size_t s = 1; s <= turns; ++s)
        expected.push_back(static_cast<std::int64_t>(s));
    CHECK(added == expected);
    CHECK(terminals == 1);
    CHECK(str_at(events.back(), "event") == "terminal");
    CHECK(str_at(events.back(), "status") == terminal_status);
    CHECK(str_at(events.back().at("task").at("task"), "status") == terminal_status);
    CHECK(events.back().at("task").at("turns").as_array().size() == turns);
}

} // namespace

TEST_CASE("tasks watch: pretty lines, from the first status to final: completed")
{
    cli_fixture f;
    // Pending long enough for the watch to see the task pending first.
    auto id = f.create("watch pretty #pending-ms:800");
    auto r = f.run({"tasks", "watch", id});
    INFO(r.dump());
    CHECK(r.status == 0);
    auto lines = r.out_lines();
    REQUIRE(lines.size() >= 5);
    CHECK(lines.front() == "status: pending");
    CHECK(starts_with(lines.back(), "final: completed (2 turns, "));
    CHECK(count_of(r.out, "\nturn 1 [completed] assistant (") == 1);
    CHECK(count_of(r.out, "\nturn 2 [completed] assistant (") == 1);
    CHECK(contains(r.out, "\nstatus: pending -> "));
    CHECK(r.err.empty());
}

TEST_CASE("tasks watch --format jsonl: status_changed first, each turn once in order, terminal last")
{
    cli_fixture f;
    auto id = f.create("watch events #pending-ms:800 #turns:3");
    auto r = f.run({"tasks", "watch", id, "--format", "jsonl"});
    INFO(r.dump());
    CHECK(r.status == 0);
    auto events = parse_lines(r.out);
    check_event_order(events, "completed", 3);
    CHECK(str_at(events.front(), "to") == "pending");
    CHECK(str_at(events.back().at("task").at("task"), "id") == id);
    for (const auto& e : events)
        if (str_at(e, "event") == "turn_added")
            CHECK(str_at(e.at("turn"), "taskId") == id);

    // --format json gives the same events (a stream stays one event a line).
    auto j = f.run({"--format", "json", "tasks", "watch", id});
    INFO(j.dump());
    CHECK(j.status == 0);
    auto again = parse_lines(j.out);
    REQUIRE(!again.empty());
    CHECK(str_at(again.back(), "event") == "terminal");
    CHECK(str_at(again.back(), "status") == "completed");
}

TEST_CASE("exit 3: watch of a task that ends in error")
{
    cli_fixture f;
    auto id = f.create("this fails #fail #pending-ms:800");
    auto r = f.run({"tasks", "watch", id});
    INFO(r.dump());
    CHECK(r.status == 3);
    auto lines = r.out_lines();
    REQUIRE(!lines.empty());
    CHECK(starts_with(lines.back(), "final: error ("));

    auto id2 = f.create("this fails as events #fail #pending-ms:800");
    auto j = f.run({"tasks", "watch", id2, "--format", "jsonl"});
    INFO(j.dump());
    CHECK(j.status == 3);
    check_event_order(parse_lines(j.out), "error", 2);

    auto w = f.run({"tasks", "create", "--input", "fails too #fail", "--wait", "--format", "jsonl"});
    INFO(w.dump());
    CHECK(w.status == 3);
    CHECK(str_at(parse_doc(w.out).at("task"), "status") == "error");
}

TEST_CASE("exit 4: an aborted task, and a terminal status unknown to the tool")
{
    cli_fixture f;
    auto id = f.create("stop early #abort #pending-ms:800");
    auto r = f.run({"tasks", "watch", id});
    INFO(r.dump());
    CHECK(r.status == 4);
    auto lines = r.out_lines();
    REQUIRE(!lines.empty());
    CHECK(starts_with(lines.back(), "final: aborted ("));

    auto paused = f.create("odd end #status:paused #pending-ms:800");
    auto p = f.run({"tasks", "watch", paused, "--format", "jsonl"});
    INFO(p.dump());
    CHECK(p.status == 4);
    check_event_order(parse_lines(p.out), "paused", 2);

    auto w = f.run({"tasks", "create", "--input", "odd wait #status:paused", "--wait", "--format", "jsonl"});
    INFO(w.dump());
    CHECK(w.status == 4);
    CHECK(str_at(parse_doc(w.out).at("task"), "status") == "paused");
}

TEST_CASE("exit 5: the watch deadline passes on a task pending for a long time")
{
    cli_fixture f;
    auto id = f.create("slow start #pending-ms:20000");
    auto r = f.run({"tasks", "watch", id, "--deadline", "0.5"});
    INFO(r.dump());
    CHECK(r.status == 5);
    CHECK(r.elapsed >= 400ms);
    CHECK(r.elapsed < 8s);
    CHECK(starts_with(r.out, "status: pending\n"));
    CHECK_FALSE(contains(r.out, "final:"));
    CHECK(contains(r.err, "deadline"));
    CHECK(r.err_lines().size() == 1);

    auto w =
        f.run({"tasks", "create", "--input", "slow wait #pending-ms:20000", "--wait", "--deadline", "0.5"});
    INFO(w.dump());
    CHECK(w.status == 5);
    CHECK(w.elapsed < 8s);
    CHECK(w.out.empty());
}

TEST_CASE("exit 130: SIGINT or SIGTERM stops a running watch promptly")
{
    cli_fixture f;
    auto id = f.create("never soon #pending-ms:20000");
    for (int sig : {SIGINT, SIGTERM}) {
        INFO("signal ", sig);
        auto p = f.start({"tasks", "watch", id});
        // The first line is printed once the watch runs (signal handling in place).
        REQUIRE(p->wait_for_output("status: pending\n"));
        steady::duration took{};
        auto r = p->interrupt(sig, 20s, took);
        INFO(r.dump());
        CHECK(r.status == 130);
        CHECK(took < 3s);
        CHECK_FALSE(contains(r.out, "final:"));
    }

    // The same for create --wait.
    auto p = f.start({"tasks", "create", "--input", "wait forever #pending-ms:20000", "--wait"});
    REQUIRE(eventually([&] { return f.fx.stat("tasks_created") == 2; }, 20s));
    std::this_thread::sleep_for(100ms);
    steady::duration took{};
    auto r = p->interrupt(SIGINT, 20s, took);
    INFO(r.dump());
    CHECK(r.status == 130);
    CHECK(took < 3s);
}

TEST_CASE("tasks watch of a finished task: each turn once in order, one status, terminal last")
{
    // The first poll already sees the end. The library then reports the
    // turns before the status (its turn_tracker's documented order for a
    // terminal snapshot), so no status_changed-first check here.
    cli_fixture f;
    auto id = f.create_finished("already done");
    auto r = f.run({"tasks", "watch", id, "--format", "jsonl"});
    INFO(r.dump());
    CHECK(r.status == 0);
    auto events = parse_lines(r.out);
    REQUIRE(events.size() == 4);
    CHECK(str_at(events[0], "event") == "turn_added");
    CHECK(events[0].at("turn").at("seq").as_int64() == 1);
    CHECK(str_at(events[1], "event") == "turn_added");
    CHECK(events[1].at("turn").at("seq").as_int64() == 2);
    CHECK(str_at(events[2], "event") == "status_changed");
    CHECK(events[2].at("from").is_null());
    CHECK(str_at(events[2], "to") == "completed");
    CHECK(str_at(events[3], "event") == "terminal");
    CHECK(str_at(events[3], "status") == "completed");

    auto p = f.run({"tasks", "watch", id});
    INFO(p.dump());
    CHECK(p.status == 0);
    auto lines = p.out_lines();
    REQUIRE(!lines.empty());
    CHECK(starts_with(p.out, "turn 1 [completed] assistant ("));
    CHECK(starts_with(lines.back(), "final: completed (2 turns, "));
    CHECK(f.fx.stat("tasks_created") == 1);
}
