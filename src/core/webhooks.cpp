// The Webhooks resource's operations over client_impl::call: a worker's
// webhook (retrieve, update, delete, regenerate its token), a page of its
// executions, and the pager that walks them all (its decisions in
// policy/page_walk.hpp).
#include "core/resource_call.hpp"
#include "policy/page_walk.hpp"
#include "json/text.hpp"

#include <handinger/json.hpp>
#include <handinger/webhooks.hpp>

#include <atomic>

namespace handinger {
namespace detail {

namespace asio = boost::asio;

/// A pager's walk, shared by the pager and a call in progress.
struct execution_pager_state {
    explicit execution_pager_state(std::string id) : worker_id(std::move(id)) {}

    const std::string worker_id;
    page_walk walk{webhook_limits::page_size};
    std::int64_t total_count = 0;
    std::int64_t pages_read = 0;
    std::atomic<bool> busy{false};
};

namespace {

std::string webhook_path(const client_impl& impl, const std::string& worker_id, std::string_view suffix = {})
{
    std::string p = worker_path(impl, &worker_id, "/webhook");
    p += suffix;
    return p;
}

// `{"url": "..."}`, or `{"url": null}`.
std::string update_body(const std::optional<std::string>& url)
{
    std::string out;
    json_writer w(out);
    w.begin_object().key("url");
    if (url)
        w.str(*url);
    else
        w.null();
    w.end_object();
    return out;
}

// A call on the webhook (or `suffix` under it) without a body, answered by
// the webhook.
asio::awaitable<op_result<webhook>> webhook_call(impl_ptr impl, const char* method, std::string worker_id,
                                                 std::string_view suffix, request_options ro)
{
    auto what = check_id("worker_id", worker_id);
    auto path = webhook_path(*impl, worker_id, suffix);
    co_return co_await resource_call<webhook>(std::move(impl), method, std::move(path), std::move(what), {},
                                              std::move(ro));
}

// Clears a pager's busy flag when its call ends, however it ends.
struct busy_guard {
    std::atomic<bool>& flag;
    ~busy_guard() { flag.store(false); }
};

} // namespace

asio::awaitable<op_result<webhook>> retrieve_webhook_op(impl_ptr impl, std::string worker_id,
                                                        request_options ro)
{
    return webhook_call(std::move(impl), "GET", std::move(worker_id), {}, std::move(ro));
}

asio::awaitable<op_result<webhook>> update_webhook_op(impl_ptr impl, std::string worker_id,
                                                      std::optional<std::string> url, request_options ro)
{
    auto what = check_id("worker_id", worker_id);
    if (what.empty() && url)
        what = validate_webhook_url(*url);
    auto body = what.empty() ? update_body(url) : std::string();
    return resource_call<webhook>(impl, "PUT", webhook_path(*impl, worker_id), std::move(what),
                                  std::move(body), std::move(ro));
}

asio::awaitable<op_result<webhook>> delete_webhook_op(impl_ptr impl, std::string worker_id,
                                                      request_options ro)
{
    return webhook_call(std::move(impl), "DELETE", std::move(worker_id), {}, std::move(ro));
}

asio::awaitable<op_result<webhook>> regenerate_webhook_token_op(impl_ptr impl, std::string worker_id,
                                                                request_options ro)
{
    // Resent like any POST when its answer is lost (webhooks.hpp says why
    // that is harmless): no effect check.
    return webhook_call(std::move(impl), "POST", std::move(worker_id), "/regenerate-token", std::move(ro));
}

asio::awaitable<op_result<webhook_execution_page>>
list_webhook_executions_op(impl_ptr impl, std::string worker_id, std::int64_t page, request_options ro)
{
    auto path = webhook_path(*impl, worker_id, "/executions?page=");
    path += std::to_string(page);
    auto what = check_id("worker_id", worker_id);
    if (what.empty() && page < 1)
        what = "page: must be at least 1 (got " + std::to_string(page) + ")";
    return resource_call<webhook_execution_page>(impl, "GET", std::move(path), std::move(what), {},
                                                 std::move(ro));
}

asio::awaitable<op_result<std::optional<std::vector<webhook_execution>>>>
next_execution_page_op(impl_ptr impl, std::shared_ptr<execution_pager_state> st, request_options ro)
{
    co_await asio::this_coro::throw_if_cancelled(false);
    op_result<std::optional<std::vector<webhook_execution>>> r;
    if (st->busy.exchange(true)) {
        invalid_argument(impl, r, "GET", webhook_path(*impl, st->worker_id, "/executions"),
                         "pager: a page is already being fetched (calls must not overlap)");
        co_return r;
    }
    busy_guard guard{st->busy};
    const auto page = st->walk.next_page();
    if (!page)
        co_return r; // the walk is over: an empty optional
    auto got = co_await list_webhook_executions_op(impl, st->worker_id, *page, std::move(ro));
    r.diag = std::move(got.diag);
    if (got.ec) {
        r.ec = got.ec;
        co_return r; // (logged by the call; the same page next time)
    }
    auto& logs = got.value.logs;
    std::vector<std::string_view> ids;
    ids.reserve(logs.size());
    for (const auto& e : logs)
        ids.push_back(e.id);
    const bool counted = got.value.presence.has_value(webhook_execution_page::field::page_count);
    const auto fresh = st->walk.take(ids, counted ? std::optional(got.value.page_count) : std::nullopt);
    std::vector<webhook_execution> out;
    out.reserve(fresh.size());
    for (std::size_t i : fresh)
        out.push_back(std::move(logs[i]));
    st->total_count = got.value.total_count;
    ++st->pages_read;
    r.value = std::move(out);
    co_return r;
}

} // namespace detail

webhook_execution_pager::webhook_execution_pager(detail::impl_ptr impl, std::string worker_id)
    : impl_(std::move(impl)), state_(std::make_shared<detail::execution_pager_state>(std::move(worker_id)))
{}

webhook_execution_pager::~webhook_execution_pager() = default;

bool webhook_execution_pager::done() const noexcept
{
    return state_->walk.done();
}

std::int64_t webhook_execution_pager::total_count() const noexcept
{
    return state_->total_count;
}

std::int64_t webhook_execution_pager::pages_read() const noexcept
{
    return state_->pages_read;
}

webhook_execution_pager webhooks::executions(std::string worker_id) const
{
    return webhook_execution_pager(impl_, std::move(worker_id));
}

} // namespace handinger
