// The I/O of the retry loop shared by every operation: it does what
// policy/retry_driver.hpp decides (send, wait, check, finish). What a check
// looks at is the operation's (a create's: core/create.cpp).
#include "core/client_impl.hpp"
#include "core/watch_hub.hpp"
#include "http/platform_headers.hpp"
#include "policy/retry.hpp"
#include "util/random.hpp"
#include "util/text.hpp"

#include <boost/asio/detail/scheduler.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>

namespace handinger::detail {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

std::string format_ms(clock::duration d)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f ms", std::chrono::duration<double, std::milli>(d).count());
    return buf;
}

} // namespace

client_impl::client_impl(asio::any_io_executor ex, client_options o)
    : ex_(std::move(ex)), opts_(resolve_options(std::move(o))), logger_(opts_.opts.logger),
      transport_(ex_, opts_.ep, "Bearer " + opts_.api_key,
                 http::transport_options{opts_.opts.pool_size, opts_.opts.idle_timeout,
                                         opts_.opts.connect_timeout, opts_.opts.max_body_size, opts_.opts.tls,
                                         opts_.proxy, http::platform_headers()}),
      hub_(std::make_unique<watch_hub>(opts_.opts.watch_rate, opts_.opts.watch_burst, opts_.opts.pool_size))
{
    opts_.api_key.clear(); // from here on only the transport holds it
    opts_.proxy.reset();   // (and the proxy's credentials)
    if (!opts_.opts.proxy->empty())
        log(log_level::debug, "connections go through proxy " + *opts_.opts.proxy);
    serial_ = detail::runs_serially(ex_);
    headers_replace_builtin_ = http::replaces_builtin(opts_.opts.headers);
}

client_impl::~client_impl() = default;

bool runs_serially(const asio::any_io_executor& ex)
{
    if (ex.target<asio::strand<asio::io_context::executor_type>>() ||
        ex.target<asio::strand<asio::any_io_executor>>())
        return true;
    const auto* io = ex.target<asio::io_context::executor_type>();
    if (!io)
        return false;
    // io_context keeps its concurrency hint in its scheduler, which Asio
    // does not expose otherwise.
    int hint = asio::use_service<asio::detail::scheduler>(io->context()).concurrency_hint();
    return hint == 1 || (BOOST_ASIO_CONCURRENCY_HINT_IS_SPECIAL(hint) &&
                         !BOOST_ASIO_CONCURRENCY_HINT_IS_LOCKING(REACTOR_IO, hint));
}

asio::any_io_executor client_impl::strand()
{
    if (serial_)
        return ex_;
    std::lock_guard lk(strands_mu_);
    if (strands_.size() < strand_count) {
        strands_.push_back(asio::make_strand(ex_));
        return strands_.back();
    }
    return strands_[next_strand_++ % strand_count];
}

bool client_impl::add_wait(const std::shared_ptr<wait_timer>& t)
{
    std::lock_guard lk(waits_mu_);
    if (shut_)
        return false;
    waits_.push_back(t);
    return true;
}

void client_impl::remove_wait(const std::shared_ptr<wait_timer>& t)
{
    std::lock_guard lk(waits_mu_);
    std::erase(waits_, t);
}

void client_impl::shutdown()
{
    std::vector<std::shared_ptr<wait_timer>> waits;
    {
        std::lock_guard lk(waits_mu_);
        shut_ = true;
        waits.swap(waits_);
    }
    // Each timer belongs to its call's strand: cancel it there.
    for (auto& t : waits)
        asio::post(t->get_executor(), [t] { t->cancel(); });
    transport_.shutdown();
}

void client_impl::log(log_level lv, std::string_view line) const
{
    if (logs(lv))
        logger_(lv, line);
}

std::string client_impl::task_path(std::string_view id, std::string_view suffix) const
{
    return http::task_path(opts_.ep.path_prefix, id, suffix);
}

namespace {

// The client's headers with the call's on top: a call's header replaces the
// client's of the same name (compared without case).
header_list merge_headers(const header_list& client, const header_list& call)
{
    header_list merged = client;
    for (const auto& h : call) {
        std::erase_if(merged, [&](const auto& m) { return iequals(m.first, h.first); });
        merged.push_back(h);
    }
    return merged;
}

attempt_report report_of(const http::exchange_result& ex, bool cancelled)
{
    attempt_report r;
    r.reused = ex.reused;
    r.cancelled = cancelled;
    auto& f = r.facts;
    if (ex.ec) {
        f.ec = ex.ec;
        f.maybe_delivered = ex.maybe_delivered;
        f.peer_closed = ex.peer_closed;
        f.response_started = ex.response_started;
        return r;
    }
    f.status = ex.res.status;
    f.maybe_delivered = true;
    f.x_should_retry = ex.res.x_should_retry;
    f.retry_after_ms = ex.res.retry_after_ms;
    f.retry_after = ex.res.retry_after;
    return r;
}

bool is_2xx(const http::exchange_result& ex)
{
    return !ex.ec && ex.res.status >= 200 && ex.res.status < 300;
}

// "" when the call's limits and headers are usable, else what is wrong.
std::string check_call(const call_limits& l, const request_options& ro)
{
    auto bad = check_limits(l);
    if (bad.empty() && !ro.headers.empty())
        bad = check_headers(ro.headers);
    return bad;
}

// The options of a check: the call's, spending the call's time left.
request_options within(request_options ro, std::optional<milliseconds> left)
{
    if (left)
        ro.total_timeout = std::max(*left, milliseconds(1));
    return ro;
}

// The call failed as `step` says, after the attempt that produced `ex`.
void fail_with(call_outcome& out, const http::exchange_result& ex, call_step step, int attempts)
{
    out.ec = step.ec;
    out.diag.attempts = attempts;
    if (!ex.ec)
        out.diag.set_response(ex.res.status, ex.res.body);
    if (step.replace_message)
        out.diag.client_message = std::move(step.message);
    else if (ex.ec)
        out.diag.client_message = ex.detail + step.message; // the message goes on from the transport's
    else // nothing before the note to go on from: without its separator ("; ", " (")
        out.diag.client_message =
            step.message.substr(std::min(step.message.find_first_not_of("; "), step.message.size()));
}

} // namespace

call_limits client_impl::limits_for(const request_options& ro, const effect_check* check) const
{
    call_limits l;
    l.timeout = ro.timeout.value_or(opts_.opts.timeout);
    l.total_timeout = ro.total_timeout.value_or(opts_.opts.total_timeout);
    l.connect_timeout = opts_.opts.connect_timeout;
    l.max_retries = ro.max_retries.value_or(opts_.opts.max_retries);
    l.can_check = check != nullptr;
    if (check)
        l.task_id = check->task_id();
    return l;
}

attempt_report client_impl::after_attempt(std::string_view method, std::string_view target,
                                          const request_options& ro, const retry_driver& d,
                                          http::exchange_result& ex, clock::duration took, bool cancelled,
                                          diagnostics& diag) const
{
    if (ex.ec == error::timeout)
        ex.detail += d.timeout_note(ex.failed_at == http::stage::connect ||
                                    ex.failed_at == http::stage::proxy || ex.failed_at == http::stage::tls);
    diag.retry_after.reset();
    if (!ex.ec && (!ex.res.retry_after.empty() || !ex.res.retry_after_ms.empty()))
        diag.retry_after =
            retry_after_delay(ex.res.retry_after_ms, ex.res.retry_after, std::chrono::system_clock::now());
    if (logs(log_level::info)) {
        std::string line = std::string(method) + " " + std::string(target) + " -> ";
        line += ex.ec ? ex.ec.message() + " (" + ex.detail + ")" : std::to_string(ex.res.status);
        line += " attempt " + std::to_string(d.attempts()) + ", " + format_ms(took) + ", " +
                (ex.reused ? "reused connection" : "new connection");
        log(log_level::info, line);
    }
    if (ro.on_attempt) {
        attempt_info a;
        a.method = method;
        a.path = target;
        a.attempt = d.attempts();
        a.status = ex.ec ? 0 : ex.res.status;
        a.ec = ex.ec ? ex.ec : error_from_status(ex.res.status);
        a.retry_after = diag.retry_after;
        a.duration = std::chrono::duration_cast<std::chrono::microseconds>(took);
        ro.on_attempt(a);
    }
    auto r = report_of(ex, cancelled);
    if (!is_2xx(ex) && ro.not_before)
        r.not_before = ro.not_before();
    return r;
}

asio::awaitable<call_outcome> client_impl::call(std::string_view method, std::string target, std::string body,
                                                const request_options& ro, effect_check* check,
                                                std::string content_type)
{
    auto self = shared_from_this();
    auto cs = co_await asio::this_coro::cancellation_state;
    auto cancelled = [&cs] { return cs.cancelled() != asio::cancellation_type::none; };
    call_outcome out;
    out.diag.method = std::string(method);
    out.diag.path = target;
    auto limits = limits_for(ro, check);
    if (auto bad = check_call(limits, ro); !bad.empty()) {
        out.ec = error::invalid_argument;
        out.diag.client_message = std::move(bad);
        co_return out;
    }
    const header_list merged =
        ro.headers.empty() ? header_list{} : merge_headers(opts_.opts.headers, ro.headers);
    http::request req{method, target,      body, ro.headers.empty() ? &opts_.opts.headers : &merged,
                      0,      content_type};
    req.timeout_seconds = http::timeout_header_seconds(limits.timeout);
    req.replaces_builtin = headers_replace_builtin_ || http::replaces_builtin(ro.headers);
    http::exchange_result ex;
    const auto start = clock::now();
    retry_driver d(std::move(limits), start);
    for (auto step = d.start(start);;) {
        if (!step.log.empty())
            log(step.what == call_step::kind::recovered ? log_level::info : log_level::debug,
                std::string(method) + " " + target + ": " + step.log);
        switch (step.what) {
        case call_step::kind::send: {
            req.retry_count = step.retries;
            attempts_.fetch_add(1, std::memory_order_relaxed);
            const auto t0 = clock::now();
            ex = co_await transport_.exchange(req, step.deadline, step.new_connection);
            const auto t1 = clock::now();
            auto r = after_attempt(method, target, ro, d, ex, t1 - t0, cancelled(), out.diag);
            step = d.attempt_done(r, t1, std::chrono::system_clock::now(), random01());
            break;
        }
        case call_step::kind::wait: {
            const bool completed = co_await pause(step.delay); // (before reading the clock)
            step = d.waited(completed, clock::now());
            break;
        }
        case call_step::kind::check: {
            auto found = co_await check->look(within(ro, d.remaining(clock::now())));
            step = d.checked(found.result, found.why, cancelled(), clock::now());
            break;
        }
        case call_step::kind::succeed:
            out.value.status = out.diag.status = ex.res.status;
            out.value.body = std::move(ex.res.body);
            out.diag.attempts = d.attempts();
            co_return out;
        case call_step::kind::recovered:
            out.value.recovered = true;
            out.diag.attempts = d.attempts();
            co_return out;
        case call_step::kind::fail: fail_with(out, ex, std::move(step), d.attempts()); co_return out;
        }
    }
}

asio::awaitable<bool> client_impl::pause(milliseconds d)
{
    auto t = std::make_shared<wait_timer>(co_await asio::this_coro::executor, d);
    boost::system::error_code ec = asio::error::operation_aborted;
    if (add_wait(t)) {
        co_await t->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        remove_wait(t);
    }
    auto cs = co_await asio::this_coro::cancellation_state;
    co_return !ec && cs.cancelled() == asio::cancellation_type::none;
}

} // namespace handinger::detail
