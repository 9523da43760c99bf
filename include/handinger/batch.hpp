// Batch submission: many creates, as fast as the service allows, a result
// for every input.
#pragma once

#include <handinger/detail/async_op.hpp>
#include <handinger/error.hpp>
#include <handinger/models.hpp>
#include <handinger/watch_events.hpp> // not used here; kept for code that relied on it
#include <handinger/watch_options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace handinger {

/// Counts of a batch, as handed to batch_options::on_progress.
struct batch_progress {
    std::size_t submitted = 0; ///< creates started (invalid inputs not counted)
    std::size_t in_flight = 0; ///< creates (and, with wait, watches) under way
    std::size_t done = 0;      ///< results handed over (successes and failures)
    std::size_t failed = 0;    ///< of those, failures (invalid inputs included)
    std::size_t limit = 0;     ///< the in-flight limit now
    std::size_t skipped = 0;   ///< inputs batch_options::resume said were done (not in `done`)
};

/// What a batch does with one input, as batch_options::resume says.
enum class batch_resume {
    submit,      ///< create it (no earlier run sent it)
    check_first, ///< an earlier run may have sent it: look for its task first
    skip,        ///< an earlier run has its result: neither sent nor looked for
};

/// Settings of a batch. Defaults as documented per field.
struct batch_options {
    /// In-flight limit at the start. Default 8: what is in flight when a rate
    /// limit is first met all gets 429, and the limit grows quickly from
    /// there while it is used.
    std::size_t initial_in_flight = 8;
    /// The limit never goes above this. Default 256. (The client's pool size
    /// bounds the connections whatever the limit.)
    std::size_t max_in_flight = 256;
    /// Adapt the limit (AIMD): +1 per window of successes while the limit is
    /// in use, halved on 429/503; new submissions pause for the longer of the
    /// server's retry-after and 1 s after a 429. Also pace new submissions
    /// once a 429 came: at the rate the service gave between the last two
    /// waves of 429s, counting the pause (for a limit of N per second with
    /// retry-after 1 s, that is N), with a second's burst after each pause,
    /// and probing a higher rate now and then. An in-flight limit alone
    /// cannot keep to a rate when creates are answered at once. Off: the
    /// limit stays at initial_in_flight, nothing is paced (429 pauses still
    /// apply). Default on.
    bool adaptive = true;
    /// The adaptive limit grows at most once per this interval (besides once
    /// per window of successes), so that creates answered in a fraction of
    /// a millisecond do not raise it by thousands per second. Default 50 ms.
    std::chrono::milliseconds min_growth_interval{50};
    /// After a 429, no new submission (and no retry of one in flight) starts
    /// before max(the server's retry-after, this). Default 1 s.
    std::chrono::milliseconds min_pause{1000};
    /// Keep each run result's `raw` JSON (the whole response object). Off by
    /// default: a large batch keeps a result per input, and the typed fields
    /// carry everything the API documents.
    bool keep_raw = false;
    /// Stop submitting at the first failure; inputs not yet submitted then
    /// get error::cancelled. Default off (every input is tried).
    bool stop_on_first_error = false;
    /// Time limit of each create, retries included; zero: the client's
    /// total_timeout. Default zero.
    std::chrono::milliseconds item_deadline{0};
    /// Also watch each created task to its end: the result then carries the
    /// final snapshot. Default off.
    bool wait = false;
    /// How those watches poll (with wait).
    watch_options watch;
    /// Called with the counts at most every progress_interval, and once at
    /// the end; on the batch's executor. Optional.
    std::function<void(const batch_progress&)> on_progress;
    std::chrono::milliseconds progress_interval{250};

    /// Running a batch again without sending anything twice (a process
    /// killed half-way, then re-run on the same inputs).
    ///
    /// With a key, an input without its own task_id gets
    /// derive_task_id(*id_key, index, input) (see task_id.hpp): a re-run with
    /// the same key names the same tasks. Keep the key with your record of
    /// the batch. Without one, such inputs get random ids (make_task_id).
    std::optional<std::string> id_key;
    /// Asked for each input, in order, before anything else is done with it
    /// (its id derived or generated already, valid or not), on the batch's
    /// executor; absent: every input is `submit`. `skip`: the input gets a
    /// result with `skipped` set (nothing sent); `check_first`: the create
    /// retrieves the task first and, when it exists, reports it
    /// (`recovered`) instead of sending the POST again, which would add a
    /// follow-up turn; `submit`: the create is sent. An input with its own
    /// task_id names a task on purpose (a follow-up): `check_first` does not
    /// apply to it. This is how a service resumes from a journal it keeps:
    /// inputs with a result are `skip`, those on_submit named without a
    /// result yet are `check_first`, the others `submit`.
    std::function<batch_resume(std::size_t index, const create_task_params& input)> resume;
    /// Called with each input's index and task id just before its create
    /// starts (after `resume`, before any request), on the batch's executor:
    /// write it down (and flush) here, and a crash after this point leaves
    /// a note that the input may have been sent. When it throws, that input
    /// is not sent and the batch stops submitting, as when the source throws.
    std::function<void(std::size_t index, std::string_view task_id)> on_submit;
};

/// An optional value kept on the heap: the size of a pointer while empty, so
/// that a result with nothing there costs nothing for it. Copies copy the
/// value. Used like std::optional (has_value, bool, *, ->, value, emplace,
/// reset, assignment of a T or std::nullopt).
template <class T>
class heap_optional {
public:
    heap_optional() noexcept = default;
    heap_optional(std::nullopt_t) noexcept {}
    heap_optional(T v) : p_(std::make_unique<T>(std::move(v))) {}
    heap_optional(const heap_optional& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
    heap_optional(heap_optional&&) noexcept = default;
    heap_optional& operator=(const heap_optional& o)
    {
        if (this != &o)
            p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
        return *this;
    }
    heap_optional& operator=(heap_optional&&) noexcept = default;
    heap_optional& operator=(std::nullopt_t) noexcept
    {
        p_.reset();
        return *this;
    }
    heap_optional& operator=(T v)
    {
        if (p_)
            *p_ = std::move(v);
        else
            p_ = std::make_unique<T>(std::move(v));
        return *this;
    }
    template <class... Args>
    T& emplace(Args&&... args)
    {
        p_ = std::make_unique<T>(std::forward<Args>(args)...);
        return *p_;
    }
    void reset() noexcept { p_.reset(); }

    bool has_value() const noexcept { return p_ != nullptr; }
    explicit operator bool() const noexcept { return has_value(); }
    T& operator*() & noexcept { return *p_; }
    const T& operator*() const& noexcept { return *p_; }
    T&& operator*() && noexcept { return std::move(*p_); }
    T* operator->() noexcept { return p_.get(); }
    const T* operator->() const noexcept { return p_.get(); }
    T& value() &
    {
        if (!p_)
            throw std::bad_optional_access();
        return *p_;
    }
    const T& value() const&
    {
        if (!p_)
            throw std::bad_optional_access();
        return *p_;
    }

    friend bool operator==(const heap_optional& a, std::nullopt_t) noexcept { return !a.p_; }
    friend bool operator==(const heap_optional& a, const heap_optional& b)
    {
        return a.p_ && b.p_ ? *a.p_ == *b.p_ : !a.p_ && !b.p_;
    }

private:
    std::unique_ptr<T> p_;
};

/// The outcome of one input.
struct batch_item_result {
    std::size_t index = 0; ///< the input's position (0-based)
    /// The task id sent (the input's, or a generated one); empty when the
    /// input was never submitted (invalid, or the batch stopped first).
    std::string task_id;
    boost::system::error_code ec; ///< success, or why this input failed
    /// Attempts the create made (1: no retry); 0 when it was never sent.
    int attempts = 0;
    /// The task was found created instead of being sent (again): the
    /// create's response was lost (see create_result::recovered), or an
    /// earlier run of the batch sent it (batch_resume::check_first).
    bool recovered = false;
    /// batch_options::resume said `skip`: nothing was done for this input
    /// (`task_id` is its id; no run, no error).
    bool skipped = false;
    /// The failure's diagnostics: there exactly when `ec` is set (on the
    /// heap: 10,000 successes keep 1.8 MB less).
    heap_optional<diagnostics> diag;
    /// The create response (absent on failure, and when `recovered`).
    std::optional<run_result> run;
    /// With batch_options::wait: the final snapshot (on the heap: a batch
    /// without wait keeps 10,000 results 4 MB lighter).
    heap_optional<task_with_turns> final_state;
};

namespace detail {
class client_impl;
struct batch_state;
using batch_ptr = std::shared_ptr<batch_state>;
using input_source = std::function<std::optional<create_task_params>()>;
using async_input_source = std::function<boost::asio::awaitable<std::optional<create_task_params>>()>;

boost::asio::awaitable<op_result<std::vector<batch_item_result>>>
batch_collect_op(std::shared_ptr<client_impl> impl, std::vector<create_task_params> inputs,
                 batch_options opts);

boost::asio::any_io_executor batch_executor(const batch_ptr& b);
/// The next result of a stream. When the source threw, the throwing form
/// (`rethrow_source_error`) hands its exception over as it is; the
/// error_code form gets error::invalid_argument.
boost::asio::awaitable<op_result<std::optional<batch_item_result>>> batch_next_op(batch_ptr b,
                                                                                  bool rethrow_source_error);
void batch_cancel(const batch_ptr& b);
void batch_stop(const batch_ptr& b);
batch_progress batch_counts(const batch_ptr& b);
} // namespace detail

/// A batch whose results are handed over one by one, in completion order,
/// with bounded memory: inputs are pulled from the source only as the
/// in-flight limit and the unread results allow (at most max_in_flight
/// results wait to be read), so an endless source works.
///
/// Thread safety: one async_next at a time. Destroying the stream (or
/// cancel()) stops new submissions, cancels those in flight, and ends the
/// stream after their (cancelled) results.
class batch_stream {
public:
    batch_stream(batch_stream&&) noexcept;
    batch_stream& operator=(batch_stream&&) noexcept;
    ~batch_stream();

    /// The next result, or an empty optional once the source is exhausted
    /// and every result was handed over (std::optional<batch_item_result>);
    /// a failed input is a result with its `ec`, not a failure of
    /// async_next. Trailing arguments `[diagnostics&] [token]` as for the
    /// client's operations: void(std::exception_ptr, ...) or, with
    /// diagnostics, void(error_code, ...). When the source throws, the
    /// results of what it gave come first; then the throwing form hands its
    /// exception over as it is, the error_code form completes with
    /// error::invalid_argument ("the input source threw: ..."). Supports
    /// terminal cancellation (error::cancelled; the batch goes on).
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_next(Tail&&... tail)
    {
        auto start = [&]<bool ec, class Token>(detail::form<ec>, diagnostics* diag, Token&& token) {
            return detail::start_op<ec>(detail::batch_executor(st_), detail::batch_next_op(st_, !ec), diag,
                                        std::forward<Token>(token));
        };
        return detail::with_tail(start, std::forward<Tail>(tail)...);
    }

    /// Stops new submissions and cancels those in flight.
    void cancel();

    /// Stops new submissions (a wait of an async source is cancelled, and
    /// no input is pulled after it) and lets the creates in flight finish:
    /// the stream ends after their results, so nothing is left unknown.
    /// With batch_options::wait, watches in flight (and those a create
    /// finishing now would start) end at once with error::cancelled, their
    /// task id in the result: a watch is only a read. Call cancel() too to
    /// stop waiting for the creates. Thread-safe.
    void stop();

    /// The counts now.
    batch_progress progress() const;

private:
    friend class client;
    explicit batch_stream(detail::batch_ptr st) noexcept;
    detail::batch_ptr st_;
};

} // namespace handinger
