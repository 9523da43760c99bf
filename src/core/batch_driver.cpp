// The submission machinery of a batch: the driver that admits inputs under
// the in-flight limit, the pause and the pacing, and the create (and watch)
// of each admitted input.
#include "core/batch_state.hpp"

#include <handinger/task_id.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>

namespace handinger::detail {
namespace {

// What one create met over all its attempts (the limit is told once per
// create, when it is over: a burst of creates is one window, whatever their
// retries).
struct create_signals {
    bool rate_limited = false;
    bool overloaded = false;
};

// How an item's create goes: as create_op (the input's own task id, maybe
// a follow-up), with an id made by the batch (nobody can know it yet... but
// an earlier run of the batch: `check_first` looks for its task first).
enum class create_kind { as_given, fresh, check_first };

using slot_iter = std::list<batch_state::item_slot>::iterator;

asio::awaitable<void> run_item(batch_ptr b, std::size_t index, create_task_params p, create_kind kind,
                               slot_iter slot)
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
    auto start = kind == create_kind::check_first
                     ? create_unless_exists_op(b->client, std::move(p), std::move(ro))
                 : kind == create_kind::fresh ? create_fresh_op(b->client, std::move(p), std::move(ro), true)
                                              : create_op(b->client, std::move(p), std::move(ro));
    auto c = co_await std::move(start);
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
        if (b->opts.wait && b->stopped) { // (stop(): what is in flight ends without its watch)
            r.ec = error::cancelled;
            auto& d = r.diag.emplace();
            d.method = "GET";
            d.path = b->client->task_path(r.task_id);
            d.client_message = "not watched: the batch was stopped";
        } else if (b->opts.wait) {
            slot->waiting = true; // stop() cancels it from now on
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

// batch_options::resume or on_submit threw (call from a catch block): the
// input is not sent, nor is any after it. The streaming form hands the
// exception over as a source's; the collecting form gives every input left
// a result that says why.
void hook_threw(batch_state& b, std::size_t index, std::string_view hook)
{
    std::string why = "not submitted: " + std::string(hook) + " threw";
    try {
        throw;
    } catch (const std::exception& e) {
        why += std::string(": ") + e.what();
    } catch (...) {
    }
    if (b.streaming) {
        b.source_error = std::current_exception();
        b.source_done = true;
    }
    if (!b.stopping) {
        b.stopping = true;
        b.stop_reason = why;
    }
    b.deliver(b.not_submitted(index, error::cancelled, why));
}

} // namespace

asio::awaitable<void> run_driver(batch_ptr b, const asio::cancellation_state* caller)
{
    co_await asio::this_coro::throw_if_cancelled(false);
    auto cancel_seen = [&] {
        return b->cancel_requested.load() || (caller && caller->cancelled() != asio::cancellation_type::none);
    };
    for (;;) {
        if (cancel_seen())
            b->cancel_all();
        if (b->stop_requested.load())
            b->stop_all();
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
            if (b->async_source) {
                // Awaited in a coroutine of its own, so that stop() and
                // cancel() can cancel its wait (through source_signal).
                auto pull = b->async_source();
                auto token = asio::bind_cancellation_slot(b->source_signal.slot(), asio::use_awaitable);
                in = co_await asio::co_spawn(b->strand, std::move(pull), token);
            } else {
                in = b->source();
            }
        } catch (...) {
            // A broken source ends the submissions; the reader learns why
            // (not when the batch was stopping anyway: its wait was cancelled).
            if (!b->stopping)
                b->source_error = std::current_exception();
            b->stopping = b->source_done = true;
            continue;
        }
        if (!in) {
            b->source_done = true;
            continue;
        }
        if (b->streaming && (b->stopping || b->stop_requested.load()) && !cancel_seen()) {
            b->source_done = true; // pulled while stopping: not taken (it gets no result)
            continue;
        }
        auto index = b->next_index++;
        if (cancel_seen()) { // cancelled while the source ran: this input is not sent
            b->cancel_all();
            b->deliver(b->not_submitted(index, error::cancelled, b->stop_reason));
            continue;
        }
        // The batch names the tasks it creates (so that on_submit can write
        // the id down before anything is sent): derived from the key, else
        // random. An input's own id may name an existing task.
        const bool own_id = in->task_id.has_value();
        if (!own_id)
            in->task_id = b->opts.id_key ? derive_task_id(*b->opts.id_key, index, in->input) : make_task_id();
        auto action = batch_resume::submit;
        if (b->opts.resume) {
            try {
                action = b->opts.resume(index, *in);
            } catch (...) {
                hook_threw(*b, index, "resume");
                continue;
            }
        }
        if (action == batch_resume::skip) {
            batch_item_result r;
            r.index = index;
            r.task_id = std::move(*in->task_id);
            r.skipped = true;
            b->deliver(std::move(r));
            continue;
        }
        if (auto what = validate(*in); !what.empty()) {
            b->deliver(b->not_submitted(index, error::invalid_argument, what)); // fails alone, before any I/O
            continue;
        }
        if (b->opts.on_submit) {
            try {
                b->opts.on_submit(index, *in->task_id);
            } catch (...) { // not written down: not sent, and nothing more is
                hook_threw(*b, index, "on_submit");
                continue;
            }
        }
        const auto kind = own_id                                ? create_kind::as_given
                          : action == batch_resume::check_first ? create_kind::check_first
                                                                : create_kind::fresh;
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
        asio::co_spawn(b->strand, run_item(b, index, std::move(*in), kind, sig),
                       asio::bind_cancellation_slot(sig->signal.slot(), on_done));
    }
    b->driver_done = true;
    b->progress(true);
    b->reader_wake.cancel();
}

} // namespace handinger::detail
