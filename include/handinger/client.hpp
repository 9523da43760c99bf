// handinger::client: the Tasks API over a verified-TLS keep-alive pool, with
// retries and deadlines.
#pragma once

#include <handinger/batch.hpp>
#include <handinger/create_result.hpp>
#include <handinger/detail/async_op.hpp>
#include <handinger/error.hpp>
#include <handinger/models.hpp>
#include <handinger/options.hpp>
#include <handinger/watch.hpp>
#include <handinger/workers.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <ranges>
#include <string>
#include <string_view>

namespace handinger {

class schedules; // <handinger/schedules.hpp>
class webhooks;  // <handinger/webhooks.hpp>

/// Connection and call statistics of a client.
struct client_stats {
    std::size_t open_connections = 0;
    std::size_t peak_open_connections = 0; ///< the most open at once (never above pool_size)
    std::size_t idle_connections = 0;
    std::size_t waiting_calls = 0;
    std::size_t peak_waiting_calls = 0; ///< the most calls queued for a connection at once
    std::uint64_t connections_created = 0;
    std::uint64_t tls_resumed = 0;
    std::uint64_t attempts = 0;
    std::uint64_t watch_gets = 0;        ///< GETs the watchers sent
    std::uint64_t watch_gets_shared = 0; ///< watcher polls served by another watcher's GET
    std::size_t watch_polls_waiting = 0; ///< watchers queued for a poll slot (at most pool_size poll at once)
};

namespace detail {
class client_impl;
using impl_ptr = std::shared_ptr<client_impl>;

boost::asio::any_io_executor op_executor(const impl_ptr& impl);

boost::asio::awaitable<op_result<create_result>> create_op(impl_ptr, create_task_params, request_options);
boost::asio::awaitable<op_result<task_with_turns>> retrieve_op(impl_ptr, std::string, request_options);
boost::asio::awaitable<op_result<delete_task_response>> archive_op(impl_ptr, std::string, request_options);
boost::asio::awaitable<op_result<task_turn_list>> list_turns_op(impl_ptr, std::string, request_options);

boost::asio::awaitable<op_result<task_with_turns>> wait_op(impl_ptr, std::string, watch_options);
} // namespace detail

/// A client of the Handinger Tasks API.
///
/// Every operation is declared the same way: its own arguments, then
/// optional trailing ones, `[options] [diagnostics&] [token]`:
/// - `async_x(args, [options,] token)`: completion signature
///   `void(std::exception_ptr, T)`; failures are an api_error (code +
///   diagnostics). With `use_awaitable`, `co_await` returns T or throws.
/// - `async_x(args, [options,] diagnostics&, token)`: completion signature
///   `void(boost::system::error_code, T)`; never throws for a failed call;
///   the diagnostics are written before the handler runs and must outlive
///   the operation.
/// The options (request_options, or watch_options and batch_options where
/// the operation says) default to `{}`; the token defaults to
/// `boost::asio::use_awaitable`; `deferred`, `use_future`, callbacks and any
/// other completion token work. One helper makes both forms of every
/// operation (detail/async_op.hpp).
///
/// Cancellation: every operation supports terminal cancellation through the
/// token's cancellation slot. It stops the call promptly (waiting for a
/// connection, connecting, sending, receiving, or waiting to retry), closes a
/// connection left mid-exchange, and completes with error::cancelled.
///
/// Thread safety: a client may be used concurrently from several threads
/// running its executor (each operation runs on a strand, one of a few the
/// client shares among its operations; the pool's state is behind a mutex).
/// When the executor cannot run handlers in parallel, operations run on it
/// directly: a strand, or an io_context made with a concurrency hint of 1
/// (`io_context ioc{1}`, Asio's way to say that one thread runs it). Construction, moving and destruction are
/// not thread-safe. Operations keep the client's state alive, so a client may
/// be destroyed while operations are in flight: exchanges under way finish,
/// calls waiting for a connection or about to retry complete with
/// error::cancelled, and every connection is closed.
class client {
public:
    using executor_type = boost::asio::any_io_executor;

    /// Throws api_error(error::invalid_argument) when no API key is found,
    /// the base URL is invalid, or a CA file/directory cannot be loaded.
    explicit client(executor_type ex, client_options opts = {});
    explicit client(boost::asio::io_context& ctx, client_options opts = {});
    client(client&&) noexcept;
    client& operator=(client&&) noexcept;
    ~client();

    executor_type get_executor() const noexcept;
    /// The options in effect (environment applied; the API key is not kept here).
    const client_options& options() const noexcept;
    client_stats stats() const;

    /// POST /api/tasks. Validates `params` first (error::invalid_argument
    /// without any I/O), always sends a taskId (generated when absent), and
    /// returns it with the run result.
    ///
    /// A POST whose answer was lost is not resent blindly (a second POST with
    /// the same taskId would add a second run to the task):
    /// - nothing of it was sent (connect or TLS failed, the connection was
    ///   refused): retried as any call;
    /// - it may have arrived (the connection broke after it was written, the
    ///   attempt timed out, 408 or 5xx): after the retry's backoff the task is
    ///   retrieved (for a follow-up: its turns with this input are counted).
    ///   When the submission is there, the call completes with `recovered`
    ///   set; when the check itself fails, the call fails with the POST's
    ///   error ("not resent: ...") rather than risk a second run;
    /// - when the client gave up on the request itself (its timeout, an error
    ///   of its own, or a 504 from a gateway), bytes of it may still be on
    ///   their way (in the kernel's send buffer, which a closed socket still
    ///   sends; in the network; in a proxy) and arrive after a check found
    ///   nothing. "Not there" is then believed only when a second check, one
    ///   attempt `timeout` after the first, finds nothing either; only then
    ///   is it resent (without time for that wait within `total_timeout`:
    ///   not resent, the call fails).
    ///
    /// What no client can know: a copy of the request that the network
    /// delivers later than that second check (in all, more than about
    /// 2 x `timeout` + the backoff after it was sent) arrives after the resend
    /// and makes a second run of the task, a follow-up turn with the same
    /// input. The service has no idempotency key to refuse it. Keep `timeout`
    /// above the worst delay the network may hold a request; a longer timeout
    /// widens the window that is covered.
    ///
    /// Note: the real service may answer only when the task's run is over.
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_create(create_task_params params, request_options ro, Tail&&... tail)
    {
        return detail::async_op(detail::op_executor(impl_),
                                detail::create_op(impl_, std::move(params), std::move(ro)),
                                std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_create(create_task_params params, Tail&&... tail)
    {
        return async_create(std::move(params), request_options{}, std::forward<Tail>(tail)...);
    }

    /// GET /api/tasks/{id}: the task with its turns. When the server answers
    /// `{task}` without turns, the turns are fetched from /turns.
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_retrieve(std::string task_id, request_options ro, Tail&&... tail)
    {
        return detail::async_op(detail::op_executor(impl_),
                                detail::retrieve_op(impl_, std::move(task_id), std::move(ro)),
                                std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_retrieve(std::string task_id, Tail&&... tail)
    {
        return async_retrieve(std::move(task_id), request_options{}, std::forward<Tail>(tail)...);
    }

    /// DELETE /api/tasks/{id}: archives the task (hides it from listings;
    /// does not stop it).
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_archive(std::string task_id, request_options ro, Tail&&... tail)
    {
        return detail::async_op(detail::op_executor(impl_),
                                detail::archive_op(impl_, std::move(task_id), std::move(ro)),
                                std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_archive(std::string task_id, Tail&&... tail)
    {
        return async_archive(std::move(task_id), request_options{}, std::forward<Tail>(tail)...);
    }

    /// GET /api/tasks/{id}/turns (newer service versions).
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_list_turns(std::string task_id, request_options ro, Tail&&... tail)
    {
        return detail::async_op(detail::op_executor(impl_),
                                detail::list_turns_op(impl_, std::move(task_id), std::move(ro)),
                                std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_list_turns(std::string task_id, Tail&&... tail)
    {
        return async_list_turns(std::move(task_id), request_options{}, std::forward<Tail>(tail)...);
    }

    /// A watcher of task `task_id` (see task_watcher). Nothing happens until
    /// its first async_next.
    task_watcher watch(std::string task_id, watch_options opts = {});

    /// Creates a task and returns a watcher already following it, without
    /// waiting for the create response (the real service may answer only when
    /// the run is over). Validation happens here: invalid params throw
    /// api_error(error::invalid_argument). The POST runs in the background
    /// (with the lost-response care of async_create); if it fails for good,
    /// the watcher's next async_next reports that error. A task id is
    /// generated when params has none (watcher.task_id() tells it).
    task_watcher submit(create_task_params params, watch_options opts = {}, request_options ro = {});

    /// Watches task `task_id` to its end and completes with the final
    /// snapshot (a task_with_turns). After a failure, the error_code form
    /// hands over the last snapshot seen (empty when the task was never seen).
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_wait(std::string task_id, watch_options opts, Tail&&... tail)
    {
        return detail::async_op(detail::op_executor(impl_),
                                detail::wait_op(impl_, std::move(task_id), std::move(opts)),
                                std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_wait(std::string task_id, Tail&&... tail)
    {
        return async_wait(std::move(task_id), watch_options{}, std::forward<Tail>(tail)...);
    }

    /// Submits every input (creates, in parallel under an adaptive in-flight
    /// limit) and completes with one result per input, in input order
    /// (std::vector<batch_item_result>). A failed input is a result with its
    /// error, not a failure of the batch; invalid inputs fail alone, before
    /// any I/O. Terminal cancellation stops new submissions at once, cancels
    /// those in flight and still completes with a result for every input
    /// (error::cancelled). Shares the client's connection pool.
    template <std::ranges::input_range Inputs, class... Tail>
    requires std::convertible_to < std::ranges::range_reference_t<Inputs>,
    const create_task_params& > &&detail::op_tail<Tail...> auto
                                async_submit_batch(Inputs&& inputs, batch_options opts, Tail&&... tail)
    {
        std::vector<create_task_params> v;
        if constexpr (std::is_same_v<std::remove_cvref_t<Inputs>, std::vector<create_task_params>> &&
                      !std::is_lvalue_reference_v<Inputs>)
            v = std::move(inputs); // a vector handed over is not copied
        else
            for (auto&& p : inputs)
                v.push_back(p);
        return detail::async_op(detail::op_executor(impl_),
                                detail::batch_collect_op(impl_, std::move(v), std::move(opts)),
                                std::forward<Tail>(tail)...);
    }
    template <std::ranges::input_range Inputs, class... Tail>
    requires std::convertible_to < std::ranges::range_reference_t<Inputs>,
    const create_task_params& >
        &&detail::op_tail<Tail...> auto async_submit_batch(Inputs&& inputs, Tail&&... tail)
    {
        return async_submit_batch(std::forward<Inputs>(inputs), batch_options{}, std::forward<Tail>(tail)...);
    }

    /// A batch fed by `source` (called for the next input; an empty optional
    /// ends the inputs), whose results are read one by one in completion
    /// order (see batch_stream). Nothing starts before the first async_next.
    batch_stream stream_batch(std::function<std::optional<create_task_params>()> source,
                              batch_options opts = {});
    /// The same with a source that may have to wait for its next input (a
    /// pipe, a queue another thread fills): it is awaited on the batch's
    /// executor, one call at a time, while the creates in flight go on.
    /// batch_stream::stop() and cancel() cancel its wait (terminal
    /// cancellation): it should then return an empty optional (what it
    /// returns or throws after that is dropped).
    batch_stream
    stream_batch(std::function<boost::asio::awaitable<std::optional<create_task_params>>()> source,
                 batch_options opts = {});

    /// The Workers resource: `c.workers().async_create(params)` (see
    /// handinger::workers). A cheap handle that shares this client's state.
    handinger::workers workers() const { return handinger::workers(impl_); }

    /// The Schedules resource: `c.schedules().async_create(worker_id,
    /// params)` (see handinger::schedules; include <handinger/schedules.hpp>).
    handinger::schedules schedules() const;

    /// The Webhooks resource: `c.webhooks().async_retrieve(worker_id)` (see
    /// handinger::webhooks; include <handinger/webhooks.hpp>).
    handinger::webhooks webhooks() const;

    /// Says that task `task_id` may have finished (a webhook delivery named
    /// it: see read_webhook_delivery). Every watcher of the task on this
    /// client (task_watcher, async_wait, a batch's wait) polls at once
    /// instead of at its next scheduled time (one that is polling polls
    /// again right after); a watcher of the task started within 10 minutes
    /// after this polls at its start, even when webhook_assisted. A hint
    /// only: the GET says what the task is, and the client's watch budget
    /// still applies. Thread-safe. Returns how many watchers were woken.
    std::size_t notify_finished(std::string_view task_id);

    /// Closes idle connections now. Calls in flight are not affected.
    void close_idle();

private:
    detail::impl_ptr impl_;
};

} // namespace handinger
