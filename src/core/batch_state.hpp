// Internal to src/core: the state of one batch, shared by its two forms
// (collecting: batch_collect.cpp; streaming: batch_stream.cpp) and the
// submission machinery both run (batch_driver.cpp). A driver admits inputs
// under the in-flight limit (AIMD, src/policy/aimd.hpp); each admitted input
// is a create (and, with wait, a watch) of its own. Everything of a batch
// runs on one strand.
#pragma once

#include "core/client_impl.hpp"
#include "policy/aimd.hpp"
#include "policy/rate_pacer.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <exception>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace handinger::detail {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

struct batch_state : std::enable_shared_from_this<batch_state> {
    batch_state(impl_ptr c, input_source src, batch_options o, bool stream, asio::any_io_executor ex,
                async_input_source async_src = {})
        : client(std::move(c)), source(std::move(src)), async_source(std::move(async_src)),
          opts(sanitise(std::move(o))), streaming(stream), strand(std::move(ex)),
          limit(aimd_options{opts.initial_in_flight, opts.max_in_flight, opts.adaptive, opts.min_pause,
                             opts.min_growth_interval}),
          driver_wake(strand), reader_wake(strand)
    {}

    static batch_options sanitise(batch_options o)
    {
        // A limit of zero would never admit anything: it reads as one.
        o.max_in_flight = std::max<std::size_t>(o.max_in_flight, 1);
        o.initial_in_flight = std::clamp<std::size_t>(o.initial_in_flight, 1, o.max_in_flight);
        return o;
    }

    impl_ptr client;
    input_source source;
    async_input_source async_source; // (streaming only) when set, `source` is not used
    batch_options opts;
    const bool streaming;
    asio::any_io_executor strand;

    // The limit is fed by the creates' attempt observers, which run on their
    // own strands: it has a lock of its own.
    std::mutex limit_mu;
    aimd_limit limit;
    rate_pacer pacer; // adaptive only: the rate learnt from 429s
    std::atomic<std::size_t> in_flight{0};
    // Set by batch_stream::cancel() at once (the rest of the cancellation is
    // posted to the strand): the driver pulls and submits nothing after it.
    std::atomic<bool> cancel_requested{false};
    // Set by batch_stream::stop() at once: nothing is pulled after it.
    std::atomic<bool> stop_requested{false};
    std::exception_ptr source_error; // the source threw: submissions stopped
    // The collecting form's cancellation state (while it runs), so that an
    // item starting after a cancellation sends nothing.
    const asio::cancellation_state* caller = nullptr;

    // The rest only on `strand`.
    std::size_t next_index = 0;
    bool started = false;
    bool source_done = false;
    bool stopping = false;  // no more submissions (stop on first error, or cancelled)
    bool cancelled = false; // cancelled by the caller: what is in flight is cancelled too
    bool stopped = false;   // batch_stream::stop(): creates in flight finish, watches end
    std::string stop_reason;
    bool driver_done = false;
    // Counts: written on the strand, read by batch_stream::progress() anywhere.
    std::atomic<std::size_t> submitted{0}, done{0}, failed{0}, skipped{0};
    clock::time_point last_progress{};

    std::vector<batch_item_result>* collected = nullptr; // the collecting form's results, by index
    std::deque<batch_item_result> ready;                 // the streaming form's unread results
    // One per item in flight; `waiting`: it watches its task (opts.wait).
    struct item_slot {
        asio::cancellation_signal signal;
        bool waiting = false;
    };
    std::list<item_slot> signals;
    asio::cancellation_signal source_signal; // cancels a wait of async_source

    asio::steady_timer driver_wake; // the driver waits on it; a finished item wakes it
    asio::steady_timer reader_wake; // the reader (collect or async_next) waits on it

    batch_progress counts()
    {
        batch_progress p;
        p.submitted = submitted.load();
        p.in_flight = in_flight.load();
        p.done = done.load();
        p.failed = failed.load();
        p.skipped = skipped.load();
        std::lock_guard lk(limit_mu);
        p.limit = limit.limit();
        return p;
    }

    void progress(bool force)
    {
        if (!opts.on_progress)
            return;
        auto now = clock::now();
        if (!force && now - last_progress < opts.progress_interval)
            return;
        last_progress = now;
        opts.on_progress(counts());
    }

    void deliver(batch_item_result r)
    {
        ++(r.skipped ? skipped : done);
        if (r.ec) {
            ++failed;
            if (opts.stop_on_first_error && !stopping) {
                stopping = true;
                stop_reason =
                    "not submitted: the batch stopped at the failure of input " + std::to_string(r.index);
            }
        }
        if (collected)
            (*collected)[r.index] = std::move(r);
        else
            ready.push_back(std::move(r));
        reader_wake.cancel();
        driver_wake.cancel();
        progress(false);
    }

    batch_item_result not_submitted(std::size_t index, boost::system::error_code ec, std::string why)
    {
        batch_item_result r;
        r.index = index;
        r.ec = ec;
        auto& d = r.diag.emplace();
        d.method = "POST";
        d.path = client->tasks_path();
        d.client_message = std::move(why);
        return r;
    }

    void cancel_all()
    {
        if (cancelled)
            return;
        cancelled = stopping = true;
        stop_reason = "not submitted: the batch was cancelled";
        for (auto& s : signals)
            s.signal.emit(asio::cancellation_type::terminal);
        source_signal.emit(asio::cancellation_type::terminal);
        driver_wake.cancel();
        reader_wake.cancel();
    }

    // batch_stream::stop(): no more submissions; the creates in flight go
    // on, the watches end (a watch is only a read: nothing is left unknown).
    void stop_all()
    {
        if (stopped || cancelled)
            return;
        stopped = true;
        if (!stopping) {
            stopping = true;
            stop_reason = "not submitted: the batch was stopped";
        }
        for (auto& s : signals)
            if (s.waiting)
                s.signal.emit(asio::cancellation_type::terminal);
        source_signal.emit(asio::cancellation_type::terminal);
        driver_wake.cancel();
    }
};

// Admits inputs while the limit, the pause and (streaming) the unread results
// allow; ends when the inputs are exhausted (or the batch stopped) and
// nothing is in flight. `caller` is the collecting form's cancellation state
// (the streaming form is cancelled through cancel_requested).
asio::awaitable<void> run_driver(batch_ptr b, const asio::cancellation_state* caller);

} // namespace handinger::detail
