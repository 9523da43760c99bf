// handinger::workers: the Workers resource of a client (`c.workers()`),
// reusable agent templates that tasks run against.
#pragma once

#include <handinger/detail/async_op.hpp>
#include <handinger/error.hpp>
#include <handinger/models.hpp>
#include <handinger/options.hpp>
#include <handinger/worker_models.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <utility>

namespace handinger {

class client;

namespace detail {
class client_impl;
using impl_ptr = std::shared_ptr<client_impl>;

boost::asio::any_io_executor op_executor(const impl_ptr& impl);

boost::asio::awaitable<op_result<worker_template>> create_worker_op(impl_ptr, create_worker_params,
                                                                    request_options);
boost::asio::awaitable<op_result<run_result>>
retrieve_worker_op(impl_ptr, std::string worker_id, std::optional<std::string> task_id, request_options);
boost::asio::awaitable<op_result<worker_template>> update_worker_op(impl_ptr, std::string worker_id,
                                                                    update_worker_params, request_options);
boost::asio::awaitable<op_result<delete_worker_response>> delete_worker_op(impl_ptr, std::string worker_id,
                                                                           request_options);
boost::asio::awaitable<op_result<worker_email>> worker_email_op(impl_ptr, std::string worker_id,
                                                                request_options);
} // namespace detail

/// The Workers resource of a client, as the official SDKs' `client.workers`:
/// `co_await c.workers().async_create(params)`.
///
/// A cheap handle (one shared pointer): make one whenever needed, copy it
/// freely. It shares the client's state (its connection pool, options and
/// strands) and keeps it alive as an operation in flight does, so a handle
/// may outlive its client; operations started through it after the client
/// was destroyed complete with error::cancelled.
///
/// Every operation is declared as the client's are (see client): its own
/// arguments, then `[request_options] [diagnostics&] [token]`; the throwing
/// form completes with `void(std::exception_ptr, T)`, the diagnostics form
/// with `void(boost::system::error_code, T)`. Arguments are checked before
/// any I/O (error::invalid_argument, the diagnostics' client_message naming
/// the field and its bound). Worker ids are sent as one percent-encoded path
/// segment. Every operation supports terminal cancellation, as the client's
/// do. Thread safety: as the client's operations.
///
/// Errors of note: not_found for a worker that does not exist or was
/// deleted; permission_denied when another member's key updates, deletes
/// or asks the email address of a worker (creator-only operations).
class workers {
public:
    /// POST /api/workers: creates a worker and completes with it
    /// (worker_template). `params` is validated first (validate()).
    ///
    /// Not resent blindly: a worker has no id the client chooses, so when
    /// the POST may have reached the service but its answer was lost (the
    /// connection broke after it was written, the attempt timed out, 408 or
    /// 5xx), nothing can tell whether it made a worker, and the call fails
    /// with that error ("not resent: ...") rather than risk a second worker.
    /// A POST that cannot have arrived (connect or TLS failed, 429, 409) is
    /// retried as any call.
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_create(create_worker_params params, request_options ro, Tail&&... tail)
    {
        return detail::async_op(detail::op_executor(impl_),
                                detail::create_worker_op(impl_, std::move(params), std::move(ro)),
                                std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_create(create_worker_params params, Tail&&... tail)
    {
        return async_create(std::move(params), request_options{}, std::forward<Tail>(tail)...);
    }

    /// GET /api/workers/{id}: the run of the worker's latest task
    /// (run_result, the same object a task's create answers); not_found when
    /// the worker has run no task yet.
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_retrieve(std::string worker_id, request_options ro, Tail&&... tail)
    {
        return detail::async_op(
            detail::op_executor(impl_),
            detail::retrieve_worker_op(impl_, std::move(worker_id), std::nullopt, std::move(ro)),
            std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_retrieve(std::string worker_id, Tail&&... tail)
    {
        return async_retrieve(std::move(worker_id), request_options{}, std::forward<Tail>(tail)...);
    }

    /// GET /api/workers/{id}?taskId=...: the run of task `task_id` of this
    /// worker (run_result) instead of the latest; an empty task id is
    /// error::invalid_argument.
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_retrieve_run(std::string worker_id, std::string task_id, request_options ro, Tail&&... tail)
    {
        return detail::async_op(
            detail::op_executor(impl_),
            detail::retrieve_worker_op(impl_, std::move(worker_id), std::move(task_id), std::move(ro)),
            std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_retrieve_run(std::string worker_id, std::string task_id, Tail&&... tail)
    {
        return async_retrieve_run(std::move(worker_id), std::move(task_id), request_options{},
                                  std::forward<Tail>(tail)...);
    }

    /// PATCH /api/workers/{id}: changes the fields `params` gives (only those
    /// are sent; `output_schema = nullptr` clears the schema) and completes
    /// with the worker (worker_template). Creator only. `params` is
    /// validated first (validate()). A PATCH sets fields to the values
    /// given, so resending it is harmless: retried as any call.
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_update(std::string worker_id, update_worker_params params, request_options ro, Tail&&... tail)
    {
        return detail::async_op(
            detail::op_executor(impl_),
            detail::update_worker_op(impl_, std::move(worker_id), std::move(params), std::move(ro)),
            std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_update(std::string worker_id, update_worker_params params, Tail&&... tail)
    {
        return async_update(std::move(worker_id), std::move(params), request_options{},
                            std::forward<Tail>(tail)...);
    }

    /// DELETE /api/workers/{id}: deletes the worker (softly: it then answers
    /// not_found to retrieve and update; its tasks and files stay) and
    /// completes with delete_worker_response. Creator only. A retry after a
    /// lost answer may meet not_found: the first attempt did it.
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_delete(std::string worker_id, request_options ro, Tail&&... tail)
    {
        return detail::async_op(detail::op_executor(impl_),
                                detail::delete_worker_op(impl_, std::move(worker_id), std::move(ro)),
                                std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_delete(std::string worker_id, Tail&&... tail)
    {
        return async_delete(std::move(worker_id), request_options{}, std::forward<Tail>(tail)...);
    }

    /// GET /api/workers/{id}/email: the worker's inbound address
    /// (worker_email; mail sent there starts tasks). Creator only.
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_retrieve_email(std::string worker_id, request_options ro, Tail&&... tail)
    {
        return detail::async_op(detail::op_executor(impl_),
                                detail::worker_email_op(impl_, std::move(worker_id), std::move(ro)),
                                std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_retrieve_email(std::string worker_id, Tail&&... tail)
    {
        return async_retrieve_email(std::move(worker_id), request_options{}, std::forward<Tail>(tail)...);
    }

private:
    friend class client;
    explicit workers(detail::impl_ptr impl) noexcept : impl_(std::move(impl)) {}

    detail::impl_ptr impl_;
};

} // namespace handinger
