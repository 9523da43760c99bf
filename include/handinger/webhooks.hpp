// handinger::webhooks: the Webhooks resource of a client
// (`c.webhooks()`), a worker's webhook configuration and its deliveries.
#pragma once

#include <handinger/detail/async_op.hpp>
#include <handinger/error.hpp>
#include <handinger/options.hpp>
#include <handinger/webhook_models.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace handinger {

class client;
class webhooks;

namespace detail {
class client_impl;
using impl_ptr = std::shared_ptr<client_impl>;
struct execution_pager_state;

boost::asio::any_io_executor op_executor(const impl_ptr& impl);

boost::asio::awaitable<op_result<webhook>> retrieve_webhook_op(impl_ptr, std::string worker_id,
                                                               request_options);
boost::asio::awaitable<op_result<webhook>> update_webhook_op(impl_ptr, std::string worker_id,
                                                             std::optional<std::string> url, request_options);
boost::asio::awaitable<op_result<webhook>> delete_webhook_op(impl_ptr, std::string worker_id,
                                                             request_options);
boost::asio::awaitable<op_result<webhook>> regenerate_webhook_token_op(impl_ptr, std::string worker_id,
                                                                       request_options);
boost::asio::awaitable<op_result<webhook_execution_page>>
list_webhook_executions_op(impl_ptr, std::string worker_id, std::int64_t page, request_options);
boost::asio::awaitable<op_result<std::optional<std::vector<webhook_execution>>>>
    next_execution_page_op(impl_ptr, std::shared_ptr<execution_pager_state>, request_options);
} // namespace detail

/// Walks every page of a worker's webhook executions, newest first:
///
///     auto pages = c.webhooks().executions(worker_id);
///     while (auto page = co_await pages.async_next_page())
///         for (const handinger::webhook_execution& e : *page)
///             ...
///
/// Each async_next_page() fetches one page (GET .../webhook/executions?
/// page=N, the pages in turn from 1) and completes with the executions on
/// it that this walk has not returned before (std::vector, in the service's
/// order); after the last page it completes with an empty optional without
/// any I/O.
///
/// Executions that arrive during the walk are put first and push the
/// others down, so an execution read on one page may show again on the
/// next: those are dropped by id, and none listed when the walk began is
/// missed. New ones are returned only when they were pushed down to a page
/// the walk had not read yet. A page may therefore bring nothing new (an
/// empty vector, not the end), when a whole page or more arrived between
/// two calls. The walk ends after the page that the latest answer's
/// `pageCount` says is the last (without a count: after a page shorter than
/// 50), or after an empty page, so new arrivals lengthen it only while they
/// come faster than one page per call.
///
/// A failed or cancelled call leaves the walk where it was: the next call
/// fetches the same page again. Calls must not overlap (one that starts
/// while another is in progress fails with error::invalid_argument);
/// done() and total_count() must not be called while one is in progress.
/// async_next_page is declared as every operation (see client): `[request_options]
/// [diagnostics&] [token]`, both forms, terminal cancellation. The walk's
/// state is shared with a call in progress, so the pager may be destroyed
/// (or moved) meanwhile. Move-only; a moved-from pager may only be
/// destroyed or assigned to.
class webhook_execution_pager {
public:
    webhook_execution_pager(webhook_execution_pager&&) noexcept = default;
    webhook_execution_pager& operator=(webhook_execution_pager&&) noexcept = default;
    webhook_execution_pager(const webhook_execution_pager&) = delete;
    webhook_execution_pager& operator=(const webhook_execution_pager&) = delete;
    ~webhook_execution_pager();

    /// Completes with the next page's executions new to the walk
    /// (`std::optional<std::vector<webhook_execution>>`), or an empty
    /// optional after the last page.
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_next_page(request_options ro, Tail&&... tail)
    {
        return detail::async_op(detail::op_executor(impl_),
                                detail::next_execution_page_op(impl_, state_, std::move(ro)),
                                std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_next_page(Tail&&... tail)
    {
        return async_next_page(request_options{}, std::forward<Tail>(tail)...);
    }

    /// True once the last page was read: async_next_page() then completes
    /// with an empty optional.
    bool done() const noexcept;
    /// The number of executions the latest page said there are (0 before the
    /// first page).
    std::int64_t total_count() const noexcept;
    /// Pages fetched so far.
    std::int64_t pages_read() const noexcept;

private:
    friend class webhooks;
    webhook_execution_pager(detail::impl_ptr impl, std::string worker_id);

    detail::impl_ptr impl_;
    std::shared_ptr<detail::execution_pager_state> state_;
};

/// The Webhooks resource of a client: `co_await c.webhooks().async_...`.
/// A worker's webhook is a URL the service POSTs to, with the header
/// X-Handinger-Token, when a task of the worker finishes (see
/// read_webhook_delivery for the receiving end, and
/// watch_options::webhook_assisted).
///
/// A cheap handle (one shared pointer), as handinger::workers: it shares the
/// client's state and may outlive the client (operations started then
/// complete with error::cancelled). Every operation is declared as the
/// client's are: its own arguments, then `[request_options] [diagnostics&]
/// [token]`; the throwing form completes with `void(std::exception_ptr, T)`,
/// the diagnostics form with `void(boost::system::error_code, T)`; terminal
/// cancellation. Arguments are checked before any I/O
/// (error::invalid_argument, the diagnostics' client_message naming the
/// field and its bound). Worker ids are sent as one percent-encoded path
/// segment. Thread safety: as the client's operations.
///
/// Every operation is the worker creator's only: another member's key gets
/// permission_denied. not_found: the worker does not exist or was deleted.
class webhooks {
public:
    /// GET /api/workers/{id}/webhook: the worker's webhook (both fields
    /// empty when it has none).
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_retrieve(std::string worker_id, request_options ro, Tail&&... tail)
    {
        return detail::async_op(detail::op_executor(impl_),
                                detail::retrieve_webhook_op(impl_, std::move(worker_id), std::move(ro)),
                                std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_retrieve(std::string worker_id, Tail&&... tail)
    {
        return async_retrieve(std::move(worker_id), request_options{}, std::forward<Tail>(tail)...);
    }

    /// PUT /api/workers/{id}/webhook with `{"url": url}`, or `{"url": null}`
    /// for std::nullopt (which clears the URL and the token, as
    /// async_delete). The first URL set makes a token, later ones keep it.
    /// Completes with the webhook. `url` is checked first
    /// (validate_webhook_url: at most 2,048 characters, a URI). A PUT sets
    /// the value given, so resending it is harmless: retried as any call.
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_update(std::string worker_id, std::optional<std::string> url, request_options ro,
                      Tail&&... tail)
    {
        return detail::async_op(
            detail::op_executor(impl_),
            detail::update_webhook_op(impl_, std::move(worker_id), std::move(url), std::move(ro)),
            std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_update(std::string worker_id, std::optional<std::string> url, Tail&&... tail)
    {
        return async_update(std::move(worker_id), std::move(url), request_options{},
                            std::forward<Tail>(tail)...);
    }

    /// DELETE /api/workers/{id}/webhook: clears the URL and the token (no
    /// more deliveries; the executions stay) and completes with the webhook
    /// as it now is. Retried as any call (clearing twice is clearing once).
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_delete(std::string worker_id, request_options ro, Tail&&... tail)
    {
        return detail::async_op(detail::op_executor(impl_),
                                detail::delete_webhook_op(impl_, std::move(worker_id), std::move(ro)),
                                std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_delete(std::string worker_id, Tail&&... tail)
    {
        return async_delete(std::move(worker_id), request_options{}, std::forward<Tail>(tail)...);
    }

    /// POST /api/workers/{id}/webhook/regenerate-token: replaces the token
    /// and completes with the webhook carrying the new one (not_found when
    /// the worker has no webhook). Not idempotent, yet retried as any call:
    /// when an answer is lost the resend replaces the token again, and its
    /// answer carries the token now in force; the one whose answer was lost
    /// was never seen and is already void. Deliveries signed with the old
    /// token may still arrive for a moment: a receiver that switches
    /// tokens should accept both briefly.
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_regenerate_token(std::string worker_id, request_options ro, Tail&&... tail)
    {
        return detail::async_op(
            detail::op_executor(impl_),
            detail::regenerate_webhook_token_op(impl_, std::move(worker_id), std::move(ro)),
            std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_regenerate_token(std::string worker_id, Tail&&... tail)
    {
        return async_regenerate_token(std::move(worker_id), request_options{}, std::forward<Tail>(tail)...);
    }

    /// GET /api/workers/{id}/webhook/executions?page=N: one page of the
    /// worker's delivery attempts, newest first, 50 a page
    /// (webhook_execution_page). `page` counts from 1 (a smaller one is
    /// error::invalid_argument); a page past the last is empty. To read
    /// them all, see executions().
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_list_executions(std::string worker_id, std::int64_t page, request_options ro, Tail&&... tail)
    {
        return detail::async_op(
            detail::op_executor(impl_),
            detail::list_webhook_executions_op(impl_, std::move(worker_id), page, std::move(ro)),
            std::forward<Tail>(tail)...);
    }
    template <class... Tail>
    requires detail::op_tail<Tail...>
    auto async_list_executions(std::string worker_id, std::int64_t page, Tail&&... tail)
    {
        return async_list_executions(std::move(worker_id), page, request_options{},
                                     std::forward<Tail>(tail)...);
    }

    /// A walk through every page of the worker's executions, newest first
    /// (see webhook_execution_pager). No I/O until its first
    /// async_next_page(), which checks `worker_id`.
    webhook_execution_pager executions(std::string worker_id) const;

private:
    friend class client;
    explicit webhooks(detail::impl_ptr impl) noexcept : impl_(std::move(impl)) {}

    detail::impl_ptr impl_;
};

} // namespace handinger
