// `handinger tasks batch --journal J`: a batch killed at any moment (SIGKILL,
// with creates in flight) and run again finishes without sending any input
// twice; SIGINT stops it cleanly; input read as it comes; the journal's own
// rules (a cut last line, an edited input, one run at a time).
#include "cli/cli_support.hpp"

#include <handinger/task_id.hpp>

#include <boost/json/serialize.hpp>

#include <csignal>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

using namespace cli_test;

namespace {

// One CreateTask line per input, "<stem> N" for N = 1..n.
std::string inputs_text(int n, const std::string& stem)
{
    std::string text;
    for (int i = 1; i <= n; ++i)
        text += "{\"input\":\"" + stem + " " + std::to_string(i) + "\"}\n";
    return text;
}

// What a journal holds: its key, the lines noted as sent, and the results
// by input line (a list each: more than one is a failure of the test).
struct journal_view {
    std::string key;
    std::multiset<std::int64_t> sent;
    std::map<std::int64_t, std::vector<json::value>> results;
    std::size_t result_count = 0;

    // The lines sent and without a result: creates that were in flight (or
    // about to be) when the run ended.
    std::set<std::int64_t> unanswered() const
    {
        std::set<std::int64_t> out;
        for (auto line : sent)
            if (results.count(line) == 0)
                out.insert(line);
        return out;
    }
};

// Reads the journal's whole lines (a last one cut short is left out, as
// the program does).
journal_view read_journal(const std::string& path)
{
    journal_view j;
    const auto text = read_file(path);
    const auto whole = text.substr(0, text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
    bool first = true;
    for (const auto& l : lines_of(whole)) {
        boost::system::error_code ec;
        auto v = json::parse(l, ec);
        INFO("journal line: ", l);
        REQUIRE_FALSE(ec);
        if (first) {
            first = false;
            CHECK(str_at(v, "journal") == "handinger tasks batch");
            j.key = str_at(v, "key");
            continue;
        }
        const auto line = v.at("line").as_int64();
        if (v.as_object().contains("sent"))
            j.sent.insert(line);
        else {
            j.results[line].push_back(v);
            ++j.result_count;
        }
    }
    return j;
}

// The lines sent without a result that were not so before (in `earlier`):
// the creates in flight of the run since.
std::size_t cut_off(const journal_view& j, const std::set<std::int64_t>& earlier)
{
    std::size_t n = 0;
    for (auto line : j.unanswered())
        n += earlier.count(line) == 0;
    return n;
}

std::size_t results_in(const std::string& path)
{
    return count_of(read_file(path), "\"ok\":");
}

std::size_t sent_in(const std::string& path)
{
    return count_of(read_file(path), "\"sent\":");
}

// The checks every finished journal must pass: exactly one result per input
// line, each ok, each with the task id derived from the key, the line and
// the input; and on the simulator exactly one task per input, no second turn.
void check_complete(const cli_fixture& f, const std::string& journal, int n, const std::string& stem)
{
    auto j = read_journal(journal);
    REQUIRE_FALSE(j.key.empty());
    CHECK(j.result_count == static_cast<std::size_t>(n));
    CHECK(j.results.size() == static_cast<std::size_t>(n));
    std::set<std::string> ids;
    for (int line = 1; line <= n; ++line) {
        auto it = j.results.find(line);
        INFO("input line ", line);
        REQUIRE(it != j.results.end());
        CHECK(it->second.size() == 1);
        const auto& r = it->second.front();
        CHECK(r.at("ok").as_bool());
        const auto id = str_at(r, "taskId");
        CHECK(id == handinger::derive_task_id(j.key, static_cast<std::uint64_t>(line - 1),
                                              stem + " " + std::to_string(line)));
        ids.insert(id);
    }
    CHECK(ids.size() == static_cast<std::size_t>(n));
    CHECK(f.fx.stat("tasks_created") == n);
    CHECK(f.fx.stat("tasks") == n);
    CHECK(f.fx.stat("followup_turns") == 0);
    CHECK(f.fx.stat("duplicate_posts") == 0);
}

// POSTs answered only when their run ends (~100 ms): at any moment of a
// batch, creates are in flight.
handinger::sim::options held_posts(std::chrono::milliseconds pending)
{
    auto o = test_support::fast_sim();
    o.create = handinger::sim::create_mode::wait;
    o.pending = pending;
    o.turn = 20ms;
    o.turns_per_task = 1;
    return o;
}

// A batch of n inputs "<stem> N" run with a journal, in f's directory.
struct journal_batch {
    journal_batch(const cli_fixture& f, int n, std::string stem, int concurrency)
        : n(n), stem(std::move(stem)), in(f.dir.write("in.jsonl", inputs_text(n, this->stem))),
          journal(f.dir.file("journal.jsonl")),
          args{"tasks", "batch", in, "--journal", journal, "--concurrency", std::to_string(concurrency)}
    {}
    int n;
    std::string stem, in, journal;
    std::vector<std::string> args;
};

} // namespace

TEST_CASE("tasks batch --journal: SIGKILLed 12 times at random moments of 2,000 inputs, re-run until done: "
          "one task per input, no follow-up turn, one result per input")
{
    cli_fixture f(held_posts(80ms));
    const journal_batch b(f, 2000, "kill test input", 64);

    std::uint64_t seed = std::random_device{}();
    if (const char* s = std::getenv("HANDINGER_KILL_SEED"); s && *s)
        seed = std::strtoull(s, nullptr, 10);
    MESSAGE("kill test seed ", seed, " (HANDINGER_KILL_SEED=", seed, " repeats its moments)");
    std::mt19937_64 rng(seed);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };

    int kills = 0, kills_in_flight = 0, late_kills_in_flight = 0;
    std::size_t lost_in_flight = 0;
    std::string moments;
    for (int k = 0; k < 12; ++k) {
        const auto before = results_in(b.journal);
        const auto sent_before = sent_in(b.journal);
        const auto left_before = read_journal(b.journal).unanswered(); // (by earlier kills)
        auto p = f.start(b.args);
        // Three kinds of moment, in turn: a time after the start (start-up
        // and the journal's opening); a few milliseconds after this run sent
        // its first create (the looks for what an earlier kill cut off, the
        // first sends); a few milliseconds after this run wrote a number of
        // results (creates in flight all along).
        std::string moment;
        if (k % 3 == 0) {
            const int ms = pick(0, 200);
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
            moment = std::to_string(ms) + " ms";
        } else if (k % 3 == 1) {
            const int ms = pick(0, 50);
            REQUIRE(eventually([&] { return sent_in(b.journal) > sent_before || !p->running(); }, 20s));
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
            moment = "first send +" + std::to_string(ms) + " ms";
        } else {
            const auto more = static_cast<std::size_t>(pick(1, 150));
            const int ms = pick(0, 15);
            REQUIRE(eventually([&] { return results_in(b.journal) >= before + more || !p->running(); }, 20s));
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
            // Then at once when the journal shows creates of this run in
            // flight (sent, no result yet): each of these kills cuts some off
            // (a POST is held ~80 ms, the kill follows the read at once).
            REQUIRE(eventually(
                [&] { return cut_off(read_journal(b.journal), left_before) > 0 || !p->running(); }, 20s));
            moment =
                "+" + std::to_string(more) + " results +" + std::to_string(ms) + " ms, creates in flight";
        }
        REQUIRE_MESSAGE(p->running(), "the batch ended before kill ", k + 1, " (", moment, ")");
        p->signal(SIGKILL);
        auto r = p->wait(10s);
        REQUIRE(r.status == 128 + SIGKILL);
        ++kills;
        const auto unanswered = cut_off(read_journal(b.journal), left_before);
        lost_in_flight += unanswered;
        kills_in_flight += unanswered > 0;
        late_kills_in_flight += k % 3 == 2 && unanswered > 0;
        moments += " " + moment + " (" + std::to_string(unanswered) + " in flight);";
    }
    // Run again until it completes (each run finishes what is left).
    int reruns = 0;
    result last;
    do {
        last = f.run(b.args);
        ++reruns;
    } while (last.status != 0 && reruns < 3);
    REQUIRE_MESSAGE(last.status == 0, last.dump()); // not an INFO over the 10,000 checks below
    MESSAGE("kills: ", kills, ", of them with creates in flight: ", kills_in_flight, " (", lost_in_flight,
            " creates cut off in all); runs to complete: ", reruns, "; moments:", moments);
    CHECK(kills >= 10);
    CHECK(late_kills_in_flight == 4); // each kill made while creates were in flight cut them off
    CHECK(contains(last.err, " done before (journal) in "));
    check_complete(f, b.journal, b.n, b.stem);
    // Those cut off were looked for before being sent again: at least one
    // of them was found (its task was there), in a re-run's result.
    CHECK(count_of(read_file(b.journal), "\"recovered\":true") >= 1);
}

TEST_CASE(
    "tasks batch --journal: SIGINT stops sending, the creates in flight finish and are written, exit 130, "
    "the re-run completes")
{
    cli_fixture f(held_posts(300ms));
    const journal_batch b(f, 120, "interrupted input", 16);
    auto p = f.start(b.args);
    REQUIRE(eventually([&] { return results_in(b.journal) >= 16; }, 20s));
    steady::duration took{};
    auto r = p->interrupt(SIGINT, 20s, took);
    INFO(r.dump());
    CHECK(r.status == 130);
    CHECK(took < 5s); // the creates in flight take ~0.3 s
    auto j = read_journal(b.journal);
    CHECK(j.unanswered().empty()); // every create sent has its result written
    CHECK(j.result_count == j.sent.size());
    CHECK(j.result_count < static_cast<std::size_t>(b.n));
    CHECK(parse_lines(r.out).size() == j.result_count);
    CHECK(f.fx.stat("tasks_created") == static_cast<long long>(j.result_count));
    CHECK(contains(r.err, "batch: "));

    auto again = f.run(b.args);
    INFO(again.dump());
    CHECK(again.status == 0);
    CHECK(parse_lines(again.out).size() == b.n - j.result_count);
    CHECK(contains(again.err, ", " + std::to_string(j.result_count) + " done before (journal) in "));
    check_complete(f, b.journal, b.n, b.stem);
}

TEST_CASE("tasks batch -: lines are sent as they come, before the producer closes the pipe")
{
    cli_fixture f;
    const auto go = f.dir.file("go");
    // The second line is written only once the test saw the first task.
    const std::string producer = "echo '{\"input\":\"early line\"}'; while [ ! -e " + shell_quote(go) +
                                 " ]; do sleep 0.02; done; echo '{\"input\":\"late line\"}'";
    auto env = f.env();
    process p({"sh", "-c", "(" + producer + ") | " + shell_quote(cli_exe()) + " tasks batch -"}, env);
    const bool early = eventually([&] { return f.fx.stat("tasks_created") == 1; }, 15s);
    {
        std::ofstream(go) << "go";
    }
    auto r = p.wait(20s);
    INFO(r.dump());
    CHECK(early);
    CHECK(r.status == 0);
    CHECK(parse_lines(r.out).size() == 2);
    CHECK(f.fx.stat("tasks_created") == 2);
}

TEST_CASE("tasks batch --journal: a last line cut short is dropped and its input looked for, not sent again")
{
    cli_fixture f;
    const journal_batch b(f, 3, "cut input", 16);
    auto first = f.run(b.args);
    INFO(first.dump());
    REQUIRE(first.status == 0);
    // Cut the last result in half, as a kill while writing it would.
    auto text = read_file(b.journal);
    const auto last_start = text.rfind('\n', text.size() - 2) + 1;
    const auto cut_line = json::parse(text.substr(last_start)).at("line").as_int64();
    text.resize(last_start + (text.size() - last_start) / 2);
    {
        std::ofstream(b.journal, std::ios::binary | std::ios::trunc) << text;
    }

    auto again = f.run(b.args);
    INFO(again.dump());
    CHECK(again.status == 0);
    auto results = parse_lines(again.out);
    REQUIRE(results.size() == 1);
    CHECK(results[0].at("line").as_int64() == cut_line);
    CHECK(results[0].at("recovered").as_bool()); // found, not sent again
    check_complete(f, b.journal, b.n, b.stem);
    CHECK(f.fx.requests("POST /api/tasks") == 3);

    // Everything done: a third run sends nothing.
    auto third = f.run(b.args);
    INFO(third.dump());
    CHECK(third.status == 0);
    CHECK(third.out.empty());
    CHECK(f.fx.requests("POST /api/tasks") == 3);
}

TEST_CASE("tasks batch --journal: an edited input line is a new task, the others are not sent again")
{
    cli_fixture f;
    const auto journal = f.dir.file("journal.jsonl");
    auto in = f.dir.write("in.jsonl", "{\"input\":\"one\"}\n{\"input\":\"two\"}\n");
    auto r = f.run({"tasks", "batch", in, "--journal", journal});
    INFO(r.dump());
    REQUIRE(r.status == 0);
    in = f.dir.write("in.jsonl", "{\"input\":\"one\"}\n\n{\"input\":\"two, edited\"}\n");
    auto again = f.run({"tasks", "batch", in, "--journal", journal});
    INFO(again.dump());
    CHECK(again.status == 0);
    auto results = parse_lines(again.out);
    REQUIRE(results.size() == 1);
    CHECK(results[0].at("line").as_int64() == 3);
    CHECK_FALSE(results[0].at("recovered").as_bool());
    CHECK(f.fx.stat("tasks_created") == 3);
    CHECK(f.fx.stat("followup_turns") == 0);
}

TEST_CASE("tasks batch --journal: a file that is not a journal, or one in use, is refused (exit 2)")
{
    cli_fixture f;
    const auto in = f.dir.write("in.jsonl", "{\"input\":\"never sent\"}\n");
    const auto other = f.dir.write("other.jsonl", "{\"input\":\"x\"}\n");
    auto r = f.run({"tasks", "batch", in, "--journal", other});
    INFO(r.dump());
    CHECK(r.status == 2);
    CHECK(contains(r.err, "not a journal"));
    CHECK(read_file(other) == "{\"input\":\"x\"}\n");

    // A run holds its journal: a second one on it is refused at once.
    const auto journal = f.dir.file("journal.jsonl");
    auto slow = f.dir.write("slow.jsonl", "{\"input\":\"slow #pending-ms:20000\"}\n");
    auto held = f.start({"tasks", "batch", slow, "--journal", journal, "--wait"});
    REQUIRE(eventually([&] { return f.fx.stat("tasks_created") == 1; }, 20s));
    auto second = f.run({"tasks", "batch", in, "--journal", journal});
    INFO(second.dump());
    CHECK(second.status == 2);
    CHECK(contains(second.err, "in use"));
    CHECK(f.fx.stat("tasks_created") == 1);
}
