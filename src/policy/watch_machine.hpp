// One watch as a state machine without I/O: what the watch has seen (its
// events not handed over yet, its schedule, how it ended) and the steps of
// the pending async_next. Each call says what the driver does next (complete
// the async_next, sleep, queue for a poll slot, poll, ...); the driver does it
// and reports back. Time and randomness are parameters; the decisions
// themselves are poll_schedule.hpp's, turn_diff.hpp's and watch_errors.hpp's.
//
// One async_next, seen from the driver (every wait carries a ticket; a call
// with any other ticket is stale and gets `none`, or `give_back` for a slot):
//
//     begin_next()  -> (settle)
//     (settle)  -> complete | sleep (-> sleeping) | queue (-> queued)
//     sleeping  --woke()--------->  (settle)
//     queued    --slot_granted()->  poll (-> polling)
//               --woke()--------->  (settle)      (the deadline, or a cancel)
//     polling   --answered()------  (the poll's answer, inside the poll)
//               --poll_ended()--->  complete (cancelled) | (settle)
//
// (settle) hands over a buffered event, else reports the end, else waits for
// the next poll. complete ends the async_next (back to idle). cancel_next(),
// stop() and submit_ended() name what to cut short: cancel_timer (then
// woke() follows), cancel_poll or interrupt_poll (then poll_ended()).
#pragma once

#include "policy/poll_schedule.hpp"
#include "policy/turn_diff.hpp"

#include <handinger/error.hpp>
#include <handinger/watch_events.hpp>
#include <handinger/watch_options.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace handinger::detail {

/// What the driver does next.
struct watch_action {
    enum class kind : std::uint8_t {
        none,           ///< nothing
        complete,       ///< complete the pending async_next (ec, diag, event)
        sleep,          ///< wait until `at`, then woke(ticket)
        queue,          ///< ask for a poll slot for `ticket` (slot_granted(ticket) once it is
                        ///< given, at once or later); meanwhile wait until `at` (the watch's
                        ///< deadline), then woke(ticket)
        poll,           ///< end the queue's wait (its woke() is then stale), and poll
        give_back,      ///< the slot is not wanted (any more): give it back
        cancel_timer,   ///< cut the sleep or the queue's wait short: woke(ticket) follows
        cancel_poll,    ///< the caller cancelled: cancel the poll (poll_ended() follows)
        interrupt_poll, ///< the watch ended elsewhere: end what the poll waits on, if anything
    };
    kind what = kind::none;
    std::chrono::steady_clock::time_point at{}; ///< sleep, queue
    std::uint64_t ticket = 0;                   ///< sleep, queue
    /// complete: the async_next's outcome: `event`, or no event ("done")
    /// when the watch is over, or the error `ec` with `diag`. The
    /// diagnostics are the watcher's own (only client_message set) when
    /// `own_diag`: the driver adds the GET's method and path.
    boost::system::error_code ec;
    diagnostics diag;
    std::optional<watch_event> event;
    bool own_diag = false;
};

/// The state of one watch and of its pending async_next. Not thread-safe:
/// the driver calls it from the watcher's strand only.
class watch_machine {
public:
    using clock = std::chrono::steady_clock;

    explicit watch_machine(const watch_options& opts);

    const watch_options& options() const noexcept { return opts_; }

    // ---- the pending async_next ----

    /// async_next number `seq` starts at `now` (the first one starts the
    /// watch's clock); `cancelled`: the caller cancelled it before it began.
    /// Returns complete, sleep or queue.
    watch_action begin_next(std::uint64_t seq, bool cancelled, clock::time_point now);

    /// The wait of `ticket` ended at `now` (its time came, or cancel_timer
    /// cut it short). Returns none for a stale ticket, else complete, sleep
    /// or queue.
    watch_action woke(std::uint64_t ticket, clock::time_point now);

    /// The poll slot asked for with `ticket` is the caller's: poll when this
    /// wait still queues, else give_back.
    watch_action slot_granted(std::uint64_t ticket);

    /// Inside the poll: true once the watch ended elsewhere (stop(), or
    /// submit's POST failed): the poll stops where it is, drops whatever it
    /// got, and reports poll_ended(false).
    bool interrupted() const noexcept { return stopped_ || submit_ec_; }
    /// Inside the poll: the instant at which the watch times out (its GET's
    /// deadline).
    clock::time_point timeout_at() const noexcept;

    /// Inside the poll: its answer at `now`, after the checks above: the
    /// snapshot `value`, or the error `ec` with `diag` (taken by move either
    /// way). `random01` in [0, 1) picks the next wait's jitter. Buffers the
    /// events, or decides about the error (not visible yet, a retry, or the
    /// end of the watch), and schedules the next poll.
    void answered(boost::system::error_code ec, diagnostics&& diag, task_with_turns&& value,
                  clock::time_point now, double random01);

    /// The poll ended at `now` (the slot is given back by the driver);
    /// `cancelled`: it was cut short by cancel_poll. Returns complete or,
    /// as (settle) does, sleep or queue.
    watch_action poll_ended(bool cancelled, clock::time_point now);

    /// The poll failed by an exception: the pending async_next is dropped
    /// without completing (the exception goes on to the caller).
    void abandon_next() noexcept;

    /// The caller cancelled async_next number `seq`: cancel_timer,
    /// cancel_poll, or none (another one, one that already ended, or a
    /// second cancel).
    watch_action cancel_next(std::uint64_t seq);

    // ---- the watch ----

    /// cancel(): the watch stops; the pending async_next (if any) completes
    /// with error::cancelled, and so does every later one. Returns
    /// cancel_timer, interrupt_poll or none.
    watch_action stop();

    /// client::notify_finished: the task may have finished. The next poll is
    /// due at once: a sleeping async_next wakes (cancel_timer, then woke());
    /// a poll under way is followed by another at once (its GET may have
    /// left before the task finished); before the first async_next, the
    /// first poll happens at its start (a webhook-assisted watch would wait
    /// safety_poll_interval). Nothing once the watch is over or stopped.
    /// Returns cancel_timer or none.
    watch_action notified(clock::time_point now);

    /// submit(): its POST runs beside the watch; until it ends, a 404 is not
    /// counted against the grace.
    void submit_started() noexcept { submitting_ = true; }
    /// submit's POST ended at `now` (the grace counts from here); with `ec`,
    /// it failed and the watch ends with its error at the next (settle).
    /// Returns cancel_timer, interrupt_poll (when it failed) or none.
    watch_action submit_ended(boost::system::error_code ec, diagnostics diag, clock::time_point now);

    // ---- what the watch knows ----

    /// True once the terminal event was handed over or the watch failed.
    bool finished() const noexcept { return finished_; }
    /// The last state seen, as a snapshot (built on demand from the task and
    /// the tracker's turns, in seq order); null before the task was seen.
    const task_with_turns* snapshot() const;
    /// Heap bytes held (the turns, the event buffer, the task's strings),
    /// not sizeof(*this).
    std::size_t memory_estimate() const noexcept;

    /// Where the pending async_next is. For tests and assertions.
    enum class step : std::uint8_t { idle, sleeping, queued, polling };
    step at_step() const noexcept { return step_; }
    bool next_pending() const noexcept { return active_; }
    std::uint64_t ticket() const noexcept { return ticket_; }
    std::size_t buffered() const noexcept { return buffer_.size() - head_; }

private:
    watch_action settle(clock::time_point now);
    void take_answer(boost::system::error_code ec, diagnostics&& diag, task_with_turns&& value,
                     clock::time_point now, double random01);
    watch_action complete(watch_action a);
    watch_action cancelled_result();
    void finish(boost::system::error_code ec, diagnostics d, bool own);
    watch_action interrupt_action() const;

    watch_options opts_;
    clock::time_point started_{}; // first async_next
    clock::time_point last_change_{};
    clock::time_point next_poll_{};  // earliest time of the next GET
    clock::time_point grace_from_{}; // 404s count from here (submit: the POST's end)
    std::uint64_t active_seq_ = 0;   // the pending async_next's number
    std::uint64_t ticket_ = 0;       // names the current wait: older ones are stale
    int consecutive_errors_ = 0;
    step step_ = step::idle;
    bool begun_ = false;
    bool active_ = false;         // an async_next is pending
    bool next_cancelled_ = false; // the caller cancelled the pending one
    bool seen_ = false;
    bool finished_ = false;
    bool stopped_ = false;
    bool submitting_ = false;
    bool final_own_ = false;      // final_diag_ is the watcher's own (see watch_action::own_diag)
    bool notified_early_ = false; // notified() before the first async_next
    bool poll_again_ = false;     // notified() while polling: the next poll is due at once

    poll_schedule schedule_;
    turn_tracker tracker_;            // keeps the turns as last seen
    std::vector<watch_event> buffer_; // events not handed over yet, from `head_`
    std::size_t head_ = 0;
    std::optional<handinger::task> last_; // the task as last seen
    // Rarely needed, so not kept inline (a watcher should cost little).
    mutable std::unique_ptr<task_with_turns> snapshot_cache_;
    boost::system::error_code final_ec_;
    std::unique_ptr<diagnostics> final_diag_;
    boost::system::error_code submit_ec_;
    std::unique_ptr<diagnostics> submit_diag_;
};

} // namespace handinger::detail
