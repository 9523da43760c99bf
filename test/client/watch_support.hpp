// Shared by the watcher integration tests (test/client/watch_*_test.cpp):
// recording a watch event by event, with the simulator's GET count and the
// time at which each event was handed over, and checking the invariants
// that every watch must keep whatever the task did.
#pragma once

#include "client/support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace watch_support {

namespace asio = boost::asio;
namespace hd = handinger;
using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

inline constexpr const char* get_route = "GET /api/tasks/{id}";
inline constexpr const char* turns_route = "GET /api/tasks/{id}/turns";

/// Every GET /api/tasks/{id} the simulator answered (or dropped), any status.
inline long long gets(const test_support::sim_fixture& f)
{
    return f.requests(get_route);
}

/// A watch that polls fast: the point of the test is not the schedule.
inline hd::watch_options fast_watch()
{
    hd::watch_options o;
    o.first_interval = milliseconds(20);
    o.min_interval = milliseconds(10);
    o.max_interval_running = milliseconds(100);
    o.max_interval_pending = milliseconds(100);
    return o;
}

/// A fixed interval without jitter (every wait exactly `every`).
inline hd::watch_options fixed_watch(milliseconds every)
{
    hd::watch_options o;
    o.first_interval = every;
    o.min_interval = every;
    o.backoff = 1.0;
    o.jitter = 0.0;
    o.max_interval_running = every;
    o.max_interval_pending = every;
    return o;
}

/// Creates a task (optionally with a chosen id) and returns its id.
inline asio::awaitable<std::string> create(hd::client& c, std::string input,
                                           std::optional<std::string> task_id = std::nullopt)
{
    hd::create_task_params p;
    p.input = std::move(input);
    p.task_id = std::move(task_id);
    auto r = co_await c.async_create(std::move(p), asio::use_awaitable);
    co_return r.task_id;
}

/// One event as handed over by async_next.
struct recorded {
    hd::watch_event ev;
    long long gets = 0; ///< the simulator's GET count when the event was handed over
    clock::time_point at;
};

/// A whole watch, as seen through the error-code form of async_next.
struct watch_log {
    std::vector<recorded> events;
    boost::system::error_code ec; ///< what ended the watch (success: it ended with "done")
    hd::diagnostics diag;
    bool ended = false; ///< async_next completed with an empty optional or an error
    clock::time_point end_at;

    template <class E>
    std::vector<const E*> all() const
    {
        std::vector<const E*> out;
        for (auto& r : events)
            if (auto* e = std::get_if<E>(&r.ev))
                out.push_back(e);
        return out;
    }
    template <class E>
    std::size_t count() const
    {
        return all<E>().size();
    }
    const hd::events::terminal* terminal() const
    {
        return events.empty() ? nullptr : std::get_if<hd::events::terminal>(&events.back().ev);
    }
};

/// Calls async_next (error-code form) until the watch ends or `max_events`
/// were received; records each event with the GET count (when `f` is given).
inline asio::awaitable<watch_log> collect(hd::task_watcher& w, const test_support::sim_fixture* f = nullptr,
                                          std::size_t max_events = 100000)
{
    watch_log log;
    while (log.events.size() < max_events) {
        hd::diagnostics d;
        auto [ec, ev] = co_await w.async_next(d, asio::as_tuple(asio::use_awaitable));
        if (ec || !ev) {
            log.ec = ec;
            log.diag = std::move(d);
            log.ended = true;
            log.end_at = clock::now();
            break;
        }
        recorded r{std::move(*ev), f ? gets(*f) : 0, clock::now()};
        log.events.push_back(std::move(r));
    }
    co_return log;
}

inline long long ms_between(clock::time_point a, clock::time_point b)
{
    return std::chrono::duration_cast<milliseconds>(b - a).count();
}

/// A short name of an event, for messages.
inline std::string kind(const hd::watch_event& e)
{
    switch (e.index()) {
    case 0: return "status_changed";
    case 1: return "turn_added";
    case 2: return "turn_updated";
    case 3: return "terminal";
    default: return "retrying";
    }
}

/// The invariants of every watch, whatever the task did:
/// - the first status_changed has no `from`, each later one goes from the
///   previous `to` to a different status;
/// - each turn is added once, and no turn is updated before it was added;
///   the turns added by one poll (same GET count) come in ascending seq; with
///   `global_seq_order`, turn_added seqs strictly increase over the whole
///   watch (true of one run: a follow-up run's pending first turn may be
///   visible before the previous run's later turns);
/// - each turn_updated reports a state different from the last one reported
///   for that turn, and its text piece applied to the text so far gives the
///   turn's new outputText;
/// - when the watch ended normally, the last event is terminal and every turn
///   of its snapshot was reported with its final text.
inline void check_invariants(const watch_log& log, bool global_seq_order = true)
{
    std::optional<hd::open_enum<hd::task_status>> status;
    bool first_status = true;
    std::map<std::string, hd::turn> last; // as last reported
    std::map<std::string, std::string> text;
    std::int64_t last_seq = -1;
    long long last_gets = -1;
    for (std::size_t i = 0; i < log.events.size(); ++i) {
        const auto& ev = log.events[i].ev;
        INFO("event #" << i << " " << kind(ev));
        if (auto* s = std::get_if<hd::events::status_changed>(&ev)) {
            if (first_status)
                CHECK_FALSE(s->from.has_value());
            else {
                REQUIRE(s->from.has_value());
                CHECK(s->from->str() == status->str());
            }
            CHECK((!status || !(*status == s->to)));
            status = s->to;
            first_status = false;
        } else if (auto* a = std::get_if<hd::events::turn_added>(&ev)) {
            CHECK(last.count(a->turn.id) == 0);
            if (global_seq_order || log.events[i].gets == last_gets)
                CHECK(a->turn.seq > last_seq);
            last_seq = a->turn.seq;
            last_gets = log.events[i].gets;
            last[a->turn.id] = a->turn;
            text[a->turn.id] = a->turn.output_text;
        } else if (auto* u = std::get_if<hd::events::turn_updated>(&ev)) {
            REQUIRE(last.count(u->turn.id) == 1);
            CHECK_FALSE(u->turn == last[u->turn.id]); // never twice the same state
            if (u->replaced)
                text[u->turn.id] = u->text;
            else
                text[u->turn.id] += u->text;
            CHECK(text[u->turn.id] == u->turn.output_text);
            last[u->turn.id] = u->turn;
        } else if (auto* t = std::get_if<hd::events::terminal>(&ev)) {
            CHECK(i + 1 == log.events.size()); // terminal is the last event
            CHECK(t->status.str() == t->snapshot.task.status.str());
            REQUIRE(status.has_value());
            CHECK(status->str() == t->status.str()); // a status_changed to it came first
            for (auto& turn : t->snapshot.turns) {
                INFO("turn " << turn.id << " seq " << turn.seq);
                REQUIRE(last.count(turn.id) == 1);
                CHECK(last[turn.id] == turn);
                CHECK(text[turn.id] == turn.output_text);
            }
        }
    }
    if (log.ended && !log.ec) {
        REQUIRE(log.terminal() != nullptr);
    }
}

} // namespace watch_support
