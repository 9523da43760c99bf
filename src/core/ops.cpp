// The Tasks API operations over client_impl::call, but create's
// (core/create.cpp).
#include "core/client_impl.hpp"
#include "core/op_support.hpp"
#include "core/watch_hub.hpp"

#include <handinger/json.hpp>
#include <handinger/task_id.hpp>

#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/serialize.hpp>

namespace handinger::detail {

namespace asio = boost::asio;

asio::any_io_executor op_executor(const impl_ptr& impl)
{
    return impl->strand();
}

namespace {

// One call on /api/tasks/{id}[suffix] whose answer is a T: the id checked
// before any I/O, the call with its retries, the body read into a T.
template <class T>
asio::awaitable<op_result<T>> task_call(impl_ptr impl, const char* method, std::string id,
                                        std::string_view suffix, request_options ro)
{
    // Cancellation is reported as error::cancelled, not thrown by Asio at
    // the next co_await.
    co_await asio::this_coro::throw_if_cancelled(false);
    op_result<T> r;
    auto path = impl->task_path(id, suffix);
    if (id.empty()) {
        invalid_argument(impl, r, method, path, "task_id: must be at least 1 character");
        co_return r;
    }
    auto c = co_await impl->call(method, path, {}, ro);
    if (c.ec) {
        fail_from(impl, c, r);
        co_return r;
    }
    parse_body(impl, c, r.value, r);
    co_return r;
}

} // namespace

asio::awaitable<op_result<task_turn_list>> list_turns_op(impl_ptr impl, std::string id, request_options ro)
{
    return task_call<task_turn_list>(std::move(impl), "GET", std::move(id), "/turns", std::move(ro));
}

asio::awaitable<op_result<task_with_turns>> retrieve_op(impl_ptr impl, std::string id, request_options ro)
{
    co_await asio::this_coro::throw_if_cancelled(false);
    auto cs = co_await asio::this_coro::cancellation_state;
    auto r = co_await task_call<task_with_turns>(impl, "GET", id, {}, ro);
    if (r.ec || r.value.has_turns)
        co_return r;
    if (cancelled_between(
            impl, cs, r, "GET", [&] { return impl->task_path(id, "/turns"); }, "reading the turns"))
        co_return r;
    // A newer service answers {task} alone: the turns come from /turns.
    auto turns = co_await list_turns_op(impl, id, ro);
    if (turns.ec) {
        r.ec = turns.ec;
        r.diag = std::move(turns.diag);
        co_return r;
    }
    r.value.turns = std::move(turns.value.items);
    co_return r;
}

asio::awaitable<op_result<delete_task_response>> archive_op(impl_ptr impl, std::string id, request_options ro)
{
    return task_call<delete_task_response>(std::move(impl), "DELETE", std::move(id), {}, std::move(ro));
}

} // namespace handinger::detail

namespace handinger {

client::client(executor_type ex, client_options opts)
    : impl_(std::make_shared<detail::client_impl>(std::move(ex), std::move(opts)))
{}

client::client(boost::asio::io_context& ctx, client_options opts)
    : client(ctx.get_executor(), std::move(opts))
{}

client::client(client&&) noexcept = default;
client& client::operator=(client&&) noexcept = default;

client::~client()
{
    if (impl_)
        impl_->shutdown();
}

client::executor_type client::get_executor() const noexcept
{
    return impl_->executor();
}

const client_options& client::options() const noexcept
{
    return impl_->options();
}

client_stats client::stats() const
{
    auto t = impl_->transport().stats();
    client_stats s;
    s.open_connections = t.open;
    s.peak_open_connections = t.peak_open;
    s.peak_waiting_calls = t.peak_waiting;
    s.watch_polls_waiting = impl_->hub().polls_waiting();
    s.idle_connections = t.idle;
    s.waiting_calls = t.waiting;
    s.connections_created = t.connections_created;
    s.tls_resumed = t.tls_resumed;
    s.attempts = impl_->attempts();
    s.watch_gets = impl_->hub().gets_sent();
    s.watch_gets_shared = impl_->hub().gets_shared();
    return s;
}

void client::close_idle()
{
    impl_->transport().close_idle();
}

} // namespace handinger
