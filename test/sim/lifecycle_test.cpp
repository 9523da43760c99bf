// The lifecycle as a client sees it over TLS: polled with curl while it runs.
#include "sim_test_util.hpp"

#include <map>

using namespace sim_test;

namespace {

sim::options short_timings()
{
    sim::options o;
    // A generous pending phase: the first poll must land in it even on a
    // loaded machine.
    o.pending = 600ms;
    o.turn = 300ms;
    o.turns_per_task = 3;
    return o;
}

// Polls the task until its status is not live (or 10 s pass); returns every
// snapshot seen.
std::vector<boost::json::value> watch(fixture& f, const std::string& id)
{
    std::vector<boost::json::value> seen;
    eventually(
        [&] {
            auto r = f.get("/api/tasks/" + id);
            if (r.status != 200)
                return false;
            seen.push_back(r.json());
            const std::string s = str(seen.back().at("task"), "status");
            return s != "pending" && s != "running";
        },
        10'000ms, 5ms);
    return seen;
}

} // namespace

TEST_CASE("lifecycle: pending, then running turns in order with growing text, then completed")
{
    fixture f(short_timings());
    const std::string id = f.create(R"({"input":"watch me"})");
    auto seen = watch(f, id);
    REQUIRE(!seen.empty());
    CHECK(str(seen.front().at("task"), "status") == "pending");
    // The submission is visible at once: its first turn, pending, with the input.
    REQUIRE(seen.front().at("turns").as_array().size() == 1);
    CHECK(str(seen.front().at("turns").as_array()[0], "status") == "pending");
    CHECK(str(seen.front().at("turns").as_array()[0], "input") == "watch me");
    const auto& last = seen.back();
    CHECK(str(last.at("task"), "status") == "completed");
    CHECK(last.at("task").at("completedAt").is_string());
    CHECK(last.at("turns").as_array().size() == 3);

    // Status never goes back; turns only get added; each turn's text only grows.
    const std::map<std::string, int> rank{{"pending", 0}, {"running", 1}, {"completed", 2}};
    std::map<std::int64_t, int> turn_rank;
    int prev_rank = 0;
    std::size_t prev_turns = 0;
    std::map<std::int64_t, std::string> text;
    bool saw_running = false, saw_partial = false;
    for (const auto& snap : seen) {
        const std::string s = str(snap.at("task"), "status");
        REQUIRE(rank.count(s));
        CHECK(rank.at(s) >= prev_rank);
        prev_rank = rank.at(s);
        saw_running = saw_running || s == "running";
        const auto& turns = snap.at("turns").as_array();
        CHECK(turns.size() >= prev_turns);
        prev_turns = turns.size();
        CHECK(snap.at("task").at("totals").at("turnCount").as_int64() ==
              static_cast<std::int64_t>(turns.size()));
        for (std::size_t i = 0; i < turns.size(); ++i) {
            const auto& t = turns[i];
            CHECK(t.at("seq").as_int64() == static_cast<std::int64_t>(i + 1));
            const std::string now = str(t, "outputText");
            const std::string before = text[t.at("seq").as_int64()];
            CHECK(now.substr(0, before.size()) == before);
            text[t.at("seq").as_int64()] = now;
            REQUIRE(rank.count(str(t, "status")));
            CHECK(rank.at(str(t, "status")) >= turn_rank[t.at("seq").as_int64()]);
            turn_rank[t.at("seq").as_int64()] = rank.at(str(t, "status"));
            if (str(t, "status") == "pending") {
                CHECK(t.at("completedAt").is_null());
                CHECK(now.empty());
                CHECK(i + 1 == turns.size());
            } else if (str(t, "status") == "running") {
                CHECK(t.at("completedAt").is_null());
                saw_partial = saw_partial || (!now.empty() && now.size() < 40);
                // Only the newest turn may run.
                CHECK(i + 1 == turns.size());
            } else {
                CHECK(str(t, "status") == "completed");
                CHECK(t.at("completedAt").is_string());
            }
        }
    }
    CHECK(saw_running);
    CHECK(seen.size() >= 4);
    (void)saw_partial; // depends on how fast curl runs; the prefix checks above are the contract
}

TEST_CASE("lifecycle: reusing a taskId adds a follow-up run whose turns continue the seq")
{
    fixture f;
    const std::string body = R"({"input":"first #pending-ms:0 #turn-ms:20 #turns:2","taskId":"tsk_follow"})";
    f.create(body);
    REQUIRE(eventually(
        [&] { return str(f.get("/api/tasks/tsk_follow").json().at("task"), "status") == "completed"; }));
    f.create(R"({"input":"second #pending-ms:800 #turn-ms:20 #turns:2","taskId":"tsk_follow"})");
    auto v = f.get("/api/tasks/tsk_follow").json();
    CHECK(str(v.at("task"), "status") == "pending"); // the new run is pending again
    REQUIRE(eventually([&] {
        v = f.get("/api/tasks/tsk_follow").json();
        return str(v.at("task"), "status") == "completed";
    }));
    const auto& turns = v.at("turns").as_array();
    REQUIRE(turns.size() == 4);
    CHECK(turns[2].at("seq").as_int64() == 3);
    CHECK(str(turns[2], "input").rfind("second", 0) == 0);
    CHECK(v.at("task").at("totals").at("turnCount").as_int64() == 4);
    CHECK(stat_of(f.stats(), {"followup_turns"}) == 1);
    CHECK(stat_of(f.stats(), {"tasks_created"}) == 1);
}

TEST_CASE("lifecycle: #fail ends in error, #abort after one turn, #status:WORD raw")
{
    fixture f;
    const std::string fail = f.create(R"({"input":"#fail #pending-ms:0 #turn-ms:30"})");
    const std::string abort = f.create(R"({"input":"#abort #pending-ms:0 #turn-ms:30"})");
    const std::string raw = f.create(R"({"input":"#status:paused #pending-ms:0 #turn-ms:30 #turns:1"})");
    auto final_of = [&](const std::string& id) {
        boost::json::value v;
        eventually(
            [&] {
                v = f.get("/api/tasks/" + id).json();
                auto s = str(v.at("task"), "status");
                return s != "pending" && s != "running";
            },
            5000ms);
        return v;
    };
    auto v = final_of(fail);
    CHECK(str(v.at("task"), "status") == "error");
    REQUIRE(v.at("turns").as_array().size() == 3);
    CHECK(str(v.at("turns").at(2), "status") == "error");
    CHECK(str(v.at("turns").at(0), "status") == "completed");

    v = final_of(abort);
    CHECK(str(v.at("task"), "status") == "aborted");
    CHECK(v.at("turns").as_array().size() == 1);

    v = final_of(raw);
    CHECK(str(v.at("task"), "status") == "paused");
    CHECK(v.at("task").at("completedAt").is_string());
}

TEST_CASE("lifecycle: create mode wait answers only when the run has finished")
{
    sim::options o;
    o.create = sim::create_mode::wait;
    o.pending = 200ms;
    o.turn = 100ms;
    fixture f(o);
    auto r = f.post(R"({"input":"wait for it"})");
    REQUIRE(r.status == 200);
    CHECK(r.time_total >= 0.45); // 200 + 3 x 100 ms
    auto v = r.json();
    CHECK(str(v, "status") == "completed");
    CHECK_FALSE(v.at("running").as_bool());
    const std::string id = r.header("x-sim-task-id");
    auto task = f.get("/api/tasks/" + id).json();
    CHECK(str(task.at("task"), "status") == "completed");
    CHECK(str(v, "output_text") == str(task.at("turns").at(2), "outputText"));
    CHECK(v.at("usage").at("durationMs").as_int64() >= 500);

    r = f.post(R"({"input":"#fail #pending-ms:0 #turn-ms:10"})");
    CHECK(str(r.json(), "status") == "error");
    CHECK(r.json().at("error").is_object());
}

TEST_CASE("lifecycle: stamp_visibility marks when each turn's state appeared")
{
    sim::options o;
    o.stamp_visibility = true;
    o.pending = 0ms;
    o.turn = 40ms;
    fixture f(o);
    const std::string id = f.create(R"({"input":"stamps"})");
    boost::json::value v;
    REQUIRE(eventually([&] {
        v = f.get("/api/tasks/" + id).json();
        return str(v.at("task"), "status") == "completed";
    }));
    const auto& turns = v.at("turns").as_array();
    REQUIRE(turns.size() == 3);
    std::int64_t prev = 0;
    for (const auto& t : turns) {
        REQUIRE(t.as_object().contains("simVisibleAtMs"));
        CHECK(t.at("simVisibleAtMs").as_int64() > prev);
        prev = t.at("simVisibleAtMs").as_int64();
    }
}
