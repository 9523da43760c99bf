// The Tasks API operations over client_impl::call.
#include "core/client_impl.hpp"
#include "core/watch_hub.hpp"
#include "json/write.hpp"

#include <handinger/json.hpp>
#include <handinger/task_id.hpp>

#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/serialize.hpp>

namespace handinger::detail {

namespace asio = boost::asio;

namespace {

// Every failure of an operation, with all its diagnostics, is logged at the
// debug level: the server's message or the start of its body, which attempt
// lines do not show. It is also the one place every call error passes
// through, where the tests' canary run (test/secrets_canary.sh) reads them.
template <class T>
void log_failure(const impl_ptr& impl, const op_result<T>& r)
{
    if (!r.ec || !impl->logs(log_level::debug))
        return;
    std::string line = "failed: " + r.diag.to_string(r.ec);
    if (r.diag.server_message.empty() && !r.diag.body_excerpt.empty())
        line += " (body: " + r.diag.body_excerpt + ")";
    impl->log(log_level::debug, line);
}

// Reads a successful call's body; the diagnostics keep the call's (method,
// path, status, attempts) either way (moved from `c`).
template <class T, class R>
void parse_body(const impl_ptr& impl, call_outcome& c, T& out, op_result<R>& r)
{
    r.diag = std::move(c.diag);
    std::string what;
    parse_json(c.body, out, r.ec, what);
    if (r.ec) {
        r.diag.set_response(c.status, c.body);
        r.diag.client_message = what;
        log_failure(impl, r);
    }
}

template <class T>
void fail_from(const impl_ptr& impl, const call_outcome& c, op_result<T>& r)
{
    r.ec = c.ec;
    r.diag = c.diag;
    log_failure(impl, r);
}

template <class T>
void invalid_argument(const impl_ptr& impl, op_result<T>& r, std::string method, std::string path,
                      std::string what)
{
    r.ec = error::invalid_argument;
    r.diag.method = std::move(method);
    r.diag.path = std::move(path);
    r.diag.client_message = std::move(what);
    log_failure(impl, r);
}

// The run result a recovered create reports: what the task shows now.
run_result run_from_task(const task_with_turns& t)
{
    run_result r;
    r.object = "worker";
    switch (t.task.status.value()) {
    case task_status::pending: r.status = run_status::pending; break;
    case task_status::running: r.status = run_status::running; break;
    case task_status::completed: r.status = run_status::completed; break;
    default: r.status = open_enum<run_status>::from_string(t.task.status.str()); break;
    }
    r.running = !is_terminal(t.task.status);
    r.url = t.task.url;
    if (!t.turns.empty())
        r.output_text = t.turns.back().output_text;
    return r;
}

template <class T>
asio::awaitable<T> throwing(asio::awaitable<op_result<T>> op)
{
    auto r = co_await std::move(op);
    if (r.ec)
        throw api_error(r.ec, std::move(r.diag));
    co_return std::move(r.value);
}

} // namespace

asio::any_io_executor op_executor(const impl_ptr& impl)
{
    return impl->strand();
}

asio::awaitable<op_result<create_result>> create_op(impl_ptr impl, create_task_params p, request_options ro)
{
    return create_fresh_op(std::move(impl), std::move(p), std::move(ro), false);
}

asio::awaitable<op_result<create_result>> create_fresh_op(impl_ptr impl, create_task_params p,
                                                          request_options ro, bool fresh_id)
{
    // Cancellation is reported as error::cancelled, not thrown by Asio at
    // the next co_await.
    co_await asio::this_coro::throw_if_cancelled(false);
    op_result<create_result> r;
    const std::string path = impl->tasks_path();
    if (auto what = validate(p); !what.empty()) {
        invalid_argument(impl, r, "POST", path, what);
        co_return r;
    }
    post_probe probe;
    probe.input = p.input;
    bool generated = false; // an id made here: nobody else can know it yet
    if (p.task_id && !fresh_id) {
        // A caller's id may name an existing task (a follow-up): note its
        // turns now, so a lost response can be told apart later.
        probe.task_id = *p.task_id;
        if (ro.max_retries.value_or(impl->options().max_retries) > 0) {
            auto before = co_await retrieve_op(impl, *p.task_id, ro);
            if (!before.ec) {
                probe.existed_before = true;
                probe.matching_before = count_matching_turns(before.value, p.input);
            } else if (before.ec != error::not_found) {
                r.ec = before.ec;
                r.diag = std::move(before.diag);
                r.diag.client_message =
                    "checking task " + *p.task_id + " before a follow-up: " + r.diag.client_message;
                log_failure(impl, r);
                co_return r;
            }
        }
    } else {
        if (!p.task_id) {
            p.task_id = make_task_id();
            generated = true;
        }
    }

    auto body = create_request_body(p);
    r.value.task_id = std::move(*p.task_id); // the body has it; p is not read again
    probe.task_id = r.value.task_id;
    call_outcome c;
    if (!generated) // a result of this task seen before the POST is out of date
        impl->hub().forget(probe.task_id);
    co_await impl->call("POST", path, std::move(body), ro, &probe, c);
    if (!generated) // nor a result fetched while the POST was under way
        impl->hub().forget(probe.task_id);
    if (c.ec) {
        fail_from(impl, c, r);
        co_return r;
    }
    if (c.recovered) {
        // The submission is there; report what the task shows.
        call_outcome g;
        co_await impl->call("GET", impl->task_path(probe.task_id), {}, ro, nullptr, g);
        task_with_turns t;
        if (!g.ec) {
            std::string what;
            boost::system::error_code ec;
            parse_json(g.body, t, ec, what);
        }
        r.value.run = run_from_task(t);
        r.value.recovered = true;
        r.diag = c.diag;
        co_return r;
    }
    parse_body(impl, c, r.value.run, r);
    co_return r;
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
    call_outcome c;
    co_await impl->call(method, path, {}, ro, nullptr, c);
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
    auto r = co_await task_call<task_with_turns>(impl, "GET", id, {}, ro);
    if (r.ec || r.value.has_turns)
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

asio::awaitable<create_result> create_throwing(impl_ptr i, create_task_params p, request_options ro)
{
    return throwing(create_op(std::move(i), std::move(p), std::move(ro)));
}
asio::awaitable<task_with_turns> retrieve_throwing(impl_ptr i, std::string id, request_options ro)
{
    return throwing(retrieve_op(std::move(i), std::move(id), std::move(ro)));
}
asio::awaitable<delete_task_response> archive_throwing(impl_ptr i, std::string id, request_options ro)
{
    return throwing(archive_op(std::move(i), std::move(id), std::move(ro)));
}
asio::awaitable<task_turn_list> list_turns_throwing(impl_ptr i, std::string id, request_options ro)
{
    return throwing(list_turns_op(std::move(i), std::move(id), std::move(ro)));
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
