// handinger::schedules: the Schedules resource of a client
// (`c.schedules()`), a worker's input run later or repeatedly.
#pragma once

#include <handinger/detail/async_op.hpp>
#include <handinger/error.hpp>
#include <handinger/options.hpp>
#include <handinger/schedule_models.hpp>

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

boost::asio::awaitable<op_result<worker_schedule>>
create_schedule_op(impl_ptr, std::string worker_id, create_schedule_params, request_options);
boost::asio::awaitable<op_result<schedule_list>> list_schedules_op(impl_ptr, std::string worker_id,
                                                                   request_options);
boost::asio::awaitable<op_result<cancel_schedule_response>>
cancel_schedule_op(impl_ptr, std::string worker_id, std::string schedule_id, request_options);
} // namespace detail

/// The Schedules resource of a client: `co_await c.schedules().async_...`.
/// A schedule runs its input as a task on a worker later or repeatedly, by
/// its `when` (schedule_models.hpp): once at a date (schedule_at), once
/// after a delay (schedule_delayed), at every match of a cron expression
/// (schedule_cron), or every n seconds (schedule_interval). Each run is a
/// task of the worker with `triggered_by == task_trigger::schedule`.
///
/// A cheap handle (one shared pointer), as handinger::workers: make one
/// whenever needed, copy it freely. It shares the client's state and keeps
/// it alive as an operation in flight does, so a handle may outlive its
/// client; operations started through it after the client was destroyed
/// complete with error::cancelled.
///
/// Every operation is declared as the client's are (see client): its own
/// arguments, then `[request_options] [diagnostics&] [token]`; the throwing
/// form completes with `void(std::exception_ptr, T)`, the diagnostics form
/// with `void(boost::system::error_code, T)`. Arguments are checked before
/// any I/O (error::invalid_argument, the diagnostics' client_message naming
/// the field and its bound). Worker and schedule ids are sent as one
/// percent-encoded path segment each. Every operation supports terminal
/// cancellation, as the client's do. Thread safety: as the client's
/// operations.
///
/// Errors of note: not_found for a worker that does not exist or was
/// deleted, or a schedule that is not the worker's (or no longer is: a
/// one-shot schedule that has run, one cancelled); permission_denied for
/// another member's private worker, and when cancelling a schedule another
/// member's key made.
class schedules {
public:
    /// POST /api/workers/{worker_id}/schedules: makes a schedule and
    /// completes with it (worker_schedule, with its `next_run_at`).
    /// `params` is validated first (validate()).
    ///
    /// Not resent blindly: a schedule has no id the client chooses, so when
    /// the POST may have reached the service but its answer was lost (the
    /// connection broke after it was written, the attempt timed out, 408 or
    /// 5xx), nothing can tell whether it made a schedule, and the call fails
    /// with that error ("not resent: ...") rather than risk a second one
    /// (which would run the input twice at each time). List the worker's
    /// schedules to see whether it is there. A POST that cannot have arrived
    /// (connect or TLS failed, 429, 409) is retried as any call.
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_create(std::string worker_id, create_schedule_params params, request_options ro,
                      Tail&&... tail)
    {
        return detail::async_op(
            detail::op_executor(impl_),
            detail::create_schedule_op(impl_, std::move(worker_id), std::move(params), std::move(ro)),
            std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_create(std::string worker_id, create_schedule_params params, Tail&&... tail)
    {
        return async_create(std::move(worker_id), std::move(params), request_options{},
                            std::forward<Tail>(tail)...);
    }

    /// GET /api/workers/{worker_id}/schedules: the worker's schedules still
    /// to run (schedule_list), every member's.
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_list(std::string worker_id, request_options ro, Tail&&... tail)
    {
        return detail::async_op(detail::op_executor(impl_),
                                detail::list_schedules_op(impl_, std::move(worker_id), std::move(ro)),
                                std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_list(std::string worker_id, Tail&&... tail)
    {
        return async_list(std::move(worker_id), request_options{}, std::forward<Tail>(tail)...);
    }

    /// DELETE /api/workers/{worker_id}/schedules/{schedule_id}: cancels the
    /// schedule (no run starts after it; a task it started goes on) and
    /// completes with cancel_schedule_response. Only the key that made the
    /// schedule may. Cancelling twice has the effect of once, so the DELETE
    /// is retried as any call; a retry after a lost answer may then meet
    /// not_found: the first attempt did it (or, for a one-shot schedule, it
    /// had run meanwhile).
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_cancel(std::string worker_id, std::string schedule_id, request_options ro, Tail&&... tail)
    {
        return detail::async_op(
            detail::op_executor(impl_),
            detail::cancel_schedule_op(impl_, std::move(worker_id), std::move(schedule_id), std::move(ro)),
            std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_cancel(std::string worker_id, std::string schedule_id, Tail&&... tail)
    {
        return async_cancel(std::move(worker_id), std::move(schedule_id), request_options{},
                            std::forward<Tail>(tail)...);
    }

private:
    friend class client;
    explicit schedules(detail::impl_ptr impl) noexcept : impl_(std::move(impl)) {}

    detail::impl_ptr impl_;
};

} // namespace handinger
