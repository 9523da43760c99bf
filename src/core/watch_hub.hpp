// Internal: what all the watchers of one client share: the GET budget, the
// GETs of one task in flight, and each task's latest result for a moment.
#pragma once

#include "policy/token_bucket.hpp"

#include <handinger/client.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace handinger::detail {

struct watch_state;

class watch_hub {
public:
    using clock = std::chrono::steady_clock;

    /// `polls`: how many watchers may poll at once (0: no limit).
    watch_hub(double rate, double burst, std::size_t polls);

    /// Poll slots. A watcher takes one for each poll and gives it back when
    /// the poll ends, so that at most `polls` watchers have a GET under way
    /// (more would only queue in the connection pool, a coroutine frame and
    /// a timer each). The others wait here in a FIFO at a few bytes each.
    /// True: the slot is the caller's now. False: `resume(who, ticket)` is
    /// called (from whichever thread frees a slot, outside any lock) when it
    /// is; a caller that no longer wants it gives it back with end_poll(). A
    /// waiter that no longer exists is skipped (the queue does not keep it
    /// alive).
    using resume_fn = void (*)(std::shared_ptr<void> who, std::uint64_t ticket);
    bool begin_poll(std::weak_ptr<void> who, std::uint64_t ticket, resume_fn resume);
    void end_poll();
    std::size_t polls_waiting();

    /// Watchers register with their task, so that results are kept for
    /// sharing only when a task has more than one watcher, and so that
    /// notify() finds them (an intrusive list through the watcher: no
    /// allocation per watcher). add_watcher returns true when the client was
    /// notified of the task within the last 10 minutes.
    bool add_watcher(watch_state& w);
    void remove_watcher(watch_state& w);

    /// client::notify_finished: forgets the task's shared result, detaches a
    /// GET of it under way (those already waiting on it still get its
    /// answer; later polls send their own), remembers the notification for
    /// 10 minutes (at most 4,096 tasks), and returns the task's watchers.
    std::vector<std::shared_ptr<watch_state>> notify(std::string_view task_id);

    /// Forgets the shared result of a task (this client just POSTed to it: a
    /// result from before would hide the submission).
    void forget(std::string_view task_id);

    /// When the caller may send its next GET (books the slot).
    clock::time_point reserve(clock::time_point now);

    /// The latest result for the task if it is younger than `max_age` (a
    /// watcher of the same task fetched it a moment ago), else nothing. Costs
    /// no GET and no budget.
    std::optional<op_result<task_with_turns>> recent(const std::string& task_id,
                                                     std::chrono::milliseconds max_age);

    /// GET /api/tasks/{id} without retries (the watcher has its own policy),
    /// under `deadline`, shared with every other watcher of the same task
    /// whose GET is in flight. Runs on the caller's strand; supports terminal
    /// cancellation of the caller's part (a shared GET goes on for the others).
    /// `interrupt`, when given, is set while the caller waits to something
    /// that ends the wait from the caller's strand (the watcher's cancel()).
    boost::asio::awaitable<op_result<task_with_turns>> fetch(impl_ptr client, const std::string& task_id,
                                                             clock::time_point deadline,
                                                             std::function<void()>* interrupt = nullptr);

    std::uint64_t gets_sent() const noexcept { return gets_sent_.load(); }
    std::uint64_t gets_shared() const noexcept { return gets_shared_.load(); }

private:
    boost::asio::awaitable<op_result<task_with_turns>> fetch_once(impl_ptr client, const std::string& task_id,
                                                                  clock::time_point deadline,
                                                                  std::function<void()>* interrupt);
    void remember_locked(const std::string& task_id, const op_result<task_with_turns>& r,
                         clock::time_point now);

    struct flight {
        bool done = false;
        bool stale = false; // detached by notify(): its answer is not kept for sharing
        op_result<task_with_turns> result;
        std::vector<std::shared_ptr<boost::asio::steady_timer>> waiters;
    };
    struct latest {
        clock::time_point at;
        std::shared_ptr<const op_result<task_with_turns>> result;
    };

    std::mutex mu_;
    token_bucket budget_;
    std::unordered_map<std::string, std::shared_ptr<flight>> flights_;
    // Latest results, kept briefly for watchers of the same task; expired
    // from the front of `order_` (oldest first), so memory stays bounded by
    // what one sharing window sees.
    std::unordered_map<std::string, latest> latest_;
    // Watchers per task, by a hash of its id (a collision only keeps a result
    // for sharing that nobody takes): a few bytes per watcher.
    struct watcher_list {
        int count = 0;
        watch_state* head = nullptr; // linked through watch_state::hub_prev/hub_next
    };
    std::unordered_map<std::size_t, watcher_list> watchers_;
    // Tasks notified lately (notify()), oldest first in notified_order_.
    std::unordered_map<std::string, clock::time_point> notified_;
    std::deque<std::pair<clock::time_point, std::string>> notified_order_;
    void expire_notified_locked(clock::time_point now);
    std::deque<std::pair<clock::time_point, std::string>> order_;
    struct poll_waiter {
        std::weak_ptr<void> who;
        std::uint64_t ticket = 0;
        resume_fn resume = nullptr;
    };
    const std::size_t poll_limit_;
    std::size_t polling_ = 0;
    std::deque<poll_waiter> poll_queue_;
    std::atomic<std::uint64_t> gets_sent_{0}, gets_shared_{0};
};

} // namespace handinger::detail
