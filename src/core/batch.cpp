// Batch submission: a driver admits inputs under the in-flight limit (AIMD,
// src/policy/aimd.hpp); each admitted input is a create (and, with wait, a
// watch) of its own. Everything of a batch runs on one strand.
#include "core/client_impl.hpp"
#include "policy/aimd.hpp"
#include "policy/rate_pacer.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <deque>
#include <list>
#include <mutex>

namespace handinger::detail {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

struct batch_state : std::enable_shared_from_this<batch_state> {
    batch_state(impl_ptr c, input_source src, batch_options o, bool stream, asio::any_io_executor ex)
        : client(std::move(c)), source(std::move(src)), opts(sanitise(std::move(o))), streaming(stream),
          strand(std::move(ex)), limit(aimd_options{opts.initial_in_flight, opts.max_in_flight, opts.adaptive,
                                                    opts.min_pause, opts.min_growth_interval}),
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
    std::string stop_reason;
    bool driver_done = false;
    // Counts: written on the strand, read by batch_stream::progress() anywhere.
    std::atomic<std::size_t> submitted{0}, done{0}, failed{0};
    clock::time_point last_progress{};

    std::vector<batch_item_result>* collected = nullptr; // the collecting form's results, by index
    std::deque<batch_item_result> ready;                 // the streaming form's unread results
    std::list<asio::cancellation_signal> signals;        // one per item in flight

    asio::steady_timer driver_wake; // the driver waits on it; a finished item wakes it
    asio::steady_timer reader_wake; // the reader (collect or async_next) waits on it

    batch_progress counts()
    {
        batch_progress p;
        p.submitted = submitted.load();
        p.in_flight = in_flight.load();
        p.done = done.load();
        p.failed = failed.load();
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
        ++done;
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
            s.emit(asio::cancellation_type::terminal);
        driver_wake.cancel();
        reader_wake.cancel();
    }
};

namespace {

// What one create met over all its attempts (the limit is told once per
// create, when it is over: a burst of creates is one window, whatever their
// retries).
struct create_signals {
    bool rate_limited = false;
    bool overloaded = false;
};

asio::awaitable<void> run_item(batch_ptr b, std::size_t index, create_task_params p)
{
    co_await asio::this_coro::throw_if_cancelled(false);
    request_options ro;
    if (b->opts.item_deadline.count() > 0)
        ro.total_timeout = b->opts.item_deadline;
    batch_item_result r;
    r.index = index;
    if (b->cancel_requested || (b->caller && b->caller->cancelled() != asio::cancellation_type::none)) {
        // Cancelled before this create started: nothing is sent.
        --b->submitted;
        b->in_flight.fetch_sub(1);
        b->deliver(b->not_submitted(index, error::cancelled, "not submitted: the batch was cancelled"));
        co_return;
    }
    // Only the POST's own attempts count (not the GETs a lost response
    // makes it send). A 429 pauses new submissions at once; the limit itself
    // learns the create's outcome when it is over.
    auto seen = std::make_shared<create_signals>();
    std::weak_ptr<batch_state> weak = b;
    ro.on_attempt = [weak, seen](const attempt_info& a) {
        if (a.method != "POST")
            return;
        if (a.status == 429) {
            seen->rate_limited = true;
            if (auto st = weak.lock()) {
                std::lock_guard lk(st->limit_mu);
                auto now = clock::now();
                st->limit.pause(now, a.retry_after);
                st->pacer.on_rate_limited(now, st->limit.paused_until());
            }
        } else if (a.status == 503) {
            seen->overloaded = true;
        } else if (a.status >= 200 && a.status < 300) {
            if (auto st = weak.lock()) {
                std::lock_guard lk(st->limit_mu);
                st->pacer.on_success(clock::now());
            }
        }
    };
    // Retries of this create also wait out the batch's pause.
    ro.not_before = [weak]() {
        auto st = weak.lock();
        if (!st)
            return clock::time_point{};
        std::lock_guard lk(st->limit_mu);
        return st->limit.paused_until();
    };
    auto c = co_await create_op(b->client, std::move(p), std::move(ro));
    {
        auto s = seen->rate_limited || seen->overloaded ? attempt_signal::overloaded
                 : c.ec                                 ? attempt_signal::other
                                                        : attempt_signal::success;
        std::lock_guard lk(b->limit_mu);
        b->limit.record(s, b->in_flight.load(), clock::now());
    }
    r.task_id = std::move(c.value.task_id);
    r.ec = c.ec;
    r.attempts = c.diag.attempts;
    if (c.ec)
        r.diag = std::move(c.diag);
    if (!c.ec) {
        r.recovered = c.value.recovered;
        if (!r.recovered) {
            r.run = std::move(c.value.run);
            if (!b->opts.keep_raw)
                release_json(r.run->raw); // and the response's arena with it
        }
        if (b->opts.wait) {
            auto w = co_await wait_op(b->client, r.task_id, b->opts.watch);
            r.final_state = std::move(w.value);
            if (w.ec) {
                r.ec = w.ec;
                r.diag = std::move(w.diag);
            }
        }
    }
    b->in_flight.fetch_sub(1);
    b->deliver(std::move(r));
}

// Admits inputs while the limit, the pause and (streaming) the unread results
// allow; ends when the inputs are exhausted (or the batch stopped) and
// nothing is in flight. `caller` is the collecting form's cancellation state
// (the streaming form is cancelled through cancel_requested).
asio::awaitable<void> run_driver(batch_ptr b, const asio::cancellation_state* caller)
{
    co_await asio::this_coro::throw_if_cancelled(false);
    auto cancel_seen = [&] {
        return b->cancel_requested.load() || (caller && caller->cancelled() != asio::cancellation_type::none);
    };
    for (;;) {
        if (cancel_seen())
            b->cancel_all();
        b->progress(false);
        if (b->stopping && !b->source_done) {
            if (b->streaming) {
                b->source_done = true; // an endless source cannot be drained
            } else {
                // The collecting form owes every input a result.
                while (auto in = b->source())
                    b->deliver(b->not_submitted(b->next_index++, error::cancelled, b->stop_reason));
                b->source_done = true;
            }
        }
        auto now = clock::now();
        std::size_t limit;
        clock::time_point paused;
        {
            std::lock_guard lk(b->limit_mu);
            limit = b->limit.limit();
            paused = b->limit.paused_until();
            if (b->opts.adaptive)
                paused = std::max(paused, b->pacer.next_start(now));
        }
        auto running = b->in_flight.load();
        bool room = !b->streaming || b->ready.size() + running < b->opts.max_in_flight;
        if (b->source_done || running >= limit || now < paused || !room) {
            if (b->source_done && running == 0)
                break;
            // Wait for an item to finish (it cancels the timer), the pause to
            // end, or the caller to cancel.
            b->driver_wake.expires_at(!b->source_done && now < paused ? paused : clock::time_point::max());
            boost::system::error_code ec;
            co_await b->driver_wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        std::optional<create_task_params> in;
        try {
            in = b->source();
        } catch (...) {
            // A broken source ends the submissions; the reader learns why.
            b->source_error = std::current_exception();
            b->stopping = b->source_done = true;
            continue;
        }
        if (!in) {
            b->source_done = true;
            continue;
        }
        auto index = b->next_index++;
        if (cancel_seen()) { // cancelled while the source ran: this input is not sent
            b->cancel_all();
            b->deliver(b->not_submitted(index, error::cancelled, b->stop_reason));
            continue;
        }
        if (auto what = validate(*in); !what.empty()) {
            b->deliver(b->not_submitted(index, error::invalid_argument, what)); // fails alone, before any I/O
            continue;
        }
        ++b->submitted;
        b->in_flight.fetch_add(1);
        if (b->opts.adaptive) {
            std::lock_guard lk(b->limit_mu);
            b->pacer.on_start(clock::now());
        }
        auto sig = b->signals.emplace(b->signals.end());
        // The signal is dropped after the item's coroutine is over (posted, so
        // that co_spawn is done with it).
        auto on_done = [b, sig](std::exception_ptr) {
            asio::post(b->strand, [b, sig] { b->signals.erase(sig); });
        };
        asio::co_spawn(b->strand, run_item(b, index, std::move(*in)),
                       asio::bind_cancellation_slot(sig->slot(), on_done));
    }
    b->driver_done = true;
    b->progress(true);
    b->reader_wake.cancel();
}

} // namespace

asio::awaitable<op_result<std::vector<batch_item_result>>>
batch_collect_op(impl_ptr impl, std::vector<create_task_params> inputs, batch_options opts)
{
    co_await asio::this_coro::throw_if_cancelled(false);
    op_result<std::vector<batch_item_result>> r;
    r.value.resize(inputs.size());
    auto next = std::make_shared<std::size_t>(0);
    auto shared_inputs = std::make_shared<std::vector<create_task_params>>(std::move(inputs));
    input_source source = [next, shared_inputs]() -> std::optional<create_task_params> {
        if (*next >= shared_inputs->size()) {
            // All handed out: the inputs' storage goes back before the last
            // results arrive (when a batch holds the most).
            std::vector<create_task_params>().swap(*shared_inputs);
            *next = 0;
            return std::nullopt;
        }
        return std::move((*shared_inputs)[(*next)++]);
    };
    auto ex = co_await asio::this_coro::executor;
    auto b = std::make_shared<batch_state>(std::move(impl), std::move(source), std::move(opts), false, ex);
    b->collected = &r.value;
    b->started = true;
    // The driver runs in this coroutine: a cancellation of the call (even one
    // that came before it started) reaches it before any input is admitted,
    // and every input still gets its (cancelled) result.
    auto cs = co_await asio::this_coro::cancellation_state;
    b->caller = &cs;
    // One turn of the executor first: a cancellation already on its way (one
    // emitted before this operation ran) lands before anything is admitted.
    co_await asio::post(b->strand, asio::use_awaitable);
    co_await run_driver(b, &cs);
    b->caller = nullptr;
    b->collected = nullptr;
    co_return r;
}

asio::awaitable<std::vector<batch_item_result>>
batch_collect_throwing(impl_ptr impl, std::vector<create_task_params> inputs, batch_options opts)
{
    auto r = co_await batch_collect_op(std::move(impl), std::move(inputs), std::move(opts));
    if (r.ec)
        throw api_error(r.ec, std::move(r.diag));
    co_return std::move(r.value);
}

asio::any_io_executor batch_executor(const batch_ptr& b)
{
    return b->strand;
}

asio::awaitable<op_result<std::optional<batch_item_result>>> batch_next_op(batch_ptr b)
{
    co_await asio::this_coro::throw_if_cancelled(false);
    op_result<std::optional<batch_item_result>> r;
    if (!b->started) {
        b->started = true;
        asio::co_spawn(b->strand, run_driver(b, nullptr), asio::detached);
    }
    auto cs = co_await asio::this_coro::cancellation_state;
    for (;;) {
        if (!b->ready.empty()) {
            r.value = std::move(b->ready.front());
            b->ready.pop_front();
            b->driver_wake.cancel(); // room for one more
            co_return r;
        }
        if (b->driver_done) {
            if (b->source_error) {
                r.ec = error::invalid_argument;
                r.diag.client_message = "the input source threw";
                std::rethrow_exception(b->source_error); // the throwing form hands it over as it is
            }
            co_return r; // empty: the stream is over
        }
        b->reader_wake.expires_at(clock::time_point::max());
        boost::system::error_code ec;
        co_await b->reader_wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (cs.cancelled() != asio::cancellation_type::none) {
            r.ec = error::cancelled;
            r.diag.client_message = "cancelled while waiting for the next result";
            co_return r; // the batch itself goes on
        }
    }
}

asio::awaitable<std::optional<batch_item_result>> batch_next_throwing(batch_ptr b)
{
    auto r = co_await batch_next_op(std::move(b));
    if (r.ec)
        throw api_error(r.ec, std::move(r.diag));
    co_return std::move(r.value);
}

void batch_cancel(const batch_ptr& b)
{
    b->cancel_requested = true; // nothing is pulled or submitted from now on
    asio::post(b->strand, [b] { b->cancel_all(); });
}

batch_progress batch_counts(const batch_ptr& b)
{
    return b->counts();
}

} // namespace handinger::detail

namespace handinger {

batch_stream::batch_stream(detail::batch_ptr st) noexcept : st_(std::move(st)) {}
batch_stream::batch_stream(batch_stream&&) noexcept = default;
batch_stream& batch_stream::operator=(batch_stream&& other) noexcept
{
    if (this != &other) {
        cancel();
        st_ = std::move(other.st_);
    }
    return *this;
}

batch_stream::~batch_stream()
{
    cancel();
}

void batch_stream::cancel()
{
    if (st_)
        detail::batch_cancel(st_);
}

batch_progress batch_stream::progress() const
{
    return st_ ? detail::batch_counts(st_) : batch_progress{};
}

batch_stream client::stream_batch(std::function<std::optional<create_task_params>()> source,
                                  batch_options opts)
{
    // Everything of a batch on one strand; the client's executor is one
    // already when it runs handlers one at a time.
    auto ex = impl_->runs_serially() ? impl_->executor() : boost::asio::make_strand(impl_->executor());
    return batch_stream(std::make_shared<detail::batch_state>(impl_, std::move(source), std::move(opts), true,
                                                              std::move(ex)));
}

} // namespace handinger
