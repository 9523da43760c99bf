// The retry loop shared by every operation (the checks that keep a lost
// POST from being resent blindly are in post_check.cpp).
#include "core/client_impl.hpp"
#include "core/watch_hub.hpp"
#include "policy/retry.hpp"

#include <boost/asio/detail/scheduler.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <random>

namespace handinger::detail {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

double random01()
{
    thread_local std::minstd_rand rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

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
                                         "handinger-cpp/0.1"}),
      hub_(std::make_unique<watch_hub>(opts_.opts.watch_rate, opts_.opts.watch_burst, opts_.opts.pool_size))
{
    opts_.api_key.clear(); // from here on only the transport holds it
    serial_ = detail::runs_serially(ex_);
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

asio::awaitable<void> client_impl::call(std::string_view method, std::string target, std::string body,
                                        const request_options& ro, const post_probe* probe, call_outcome& out)
{
    auto self = shared_from_this();
    auto cs = co_await asio::this_coro::cancellation_state;
    const auto timeout = ro.timeout.value_or(opts_.opts.timeout);
    const auto total = ro.total_timeout.value_or(opts_.opts.total_timeout);
    const int max_retries = ro.max_retries.value_or(opts_.opts.max_retries);
    const auto start = clock::now();
    const auto overall = total.count() > 0 ? start + total : clock::time_point::max();

    // Headers: the client's, then the call's on top.
    header_list merged;
    const header_list* headers = &opts_.opts.headers;
    if (!ro.headers.empty()) {
        merged = opts_.opts.headers;
        for (const auto& h : ro.headers) {
            std::erase_if(merged, [&](const auto& m) {
                return m.first.size() == h.first.size() &&
                       std::equal(m.first.begin(), m.first.end(), h.first.begin(), [](char a, char b) {
                           return std::tolower(static_cast<unsigned char>(a)) ==
                                  std::tolower(static_cast<unsigned char>(b));
                       });
            });
            merged.push_back(h);
        }
        headers = &merged;
    }

    out = call_outcome{};
    out.diag.method = std::string(method);
    out.diag.path = target;
    if (timeout.count() <= 0 || total.count() < 0 || max_retries < 0) {
        out.ec = error::invalid_argument;
        out.diag.client_message = timeout.count() <= 0 ? "request_options::timeout must be positive"
                                  : total.count() < 0  ? "request_options::total_timeout must not be negative"
                                                       : "request_options::max_retries must not be negative";
        co_return;
    }
    if (!ro.headers.empty())
        if (auto bad = check_headers(ro.headers); !bad.empty()) {
            out.ec = error::invalid_argument;
            out.diag.client_message = std::move(bad);
            co_return;
        }

    http::request req{method, target, body, headers, 0};
    http::exchange_result ex;
    int retries = 0;
    int attempts = 0;
    bool stale_used = false;
    bool force_new = false;
    for (;;) {
        auto now = clock::now();
        auto attempt_deadline = overall;
        if (timeout < overall - now)
            attempt_deadline = now + timeout;
        req.retry_count = retries;
        // A resend after a stale pooled connection is the same attempt.
        attempts = retries + 1;
        attempts_.fetch_add(1, std::memory_order_relaxed);
        co_await transport_.exchange(req, attempt_deadline, force_new, ex);
        force_new = false;
        if (ex.ec == error::timeout) {
            // Say which limit ran out: the call's, the attempt's, or connecting's.
            auto ms = [](milliseconds d) { return std::to_string(d.count()) + " ms"; };
            bool connecting = ex.failed_at == http::stage::connect || ex.failed_at == http::stage::tls;
            if (attempt_deadline == overall)
                ex.detail += " (total_timeout " + ms(total) + ")";
            else if (connecting && opts_.opts.connect_timeout < timeout)
                ex.detail += " (connect_timeout " + ms(opts_.opts.connect_timeout) + ")";
            else
                ex.detail += " (timeout " + ms(timeout) + ")";
        }

        if (logs(log_level::info)) {
            std::string line = std::string(method) + " " + target + " -> ";
            line += ex.ec ? ex.ec.message() + " (" + ex.detail + ")" : std::to_string(ex.res.status);
            line += " attempt " + std::to_string(attempts) + ", " + format_ms(clock::now() - now) + ", " +
                    (ex.reused ? "reused connection" : "new connection");
            log(log_level::info, line);
        }

        attempt_facts facts;
        out.diag.retry_after.reset();
        auto report = [&](const boost::system::error_code& kind) {
            if (!ro.on_attempt)
                return;
            attempt_info a;
            a.method = method;
            a.path = target;
            a.attempt = attempts;
            a.status = ex.ec ? 0 : ex.res.status;
            a.ec = kind;
            a.retry_after = out.diag.retry_after;
            a.duration = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - now);
            ro.on_attempt(a);
        };
        if (!ex.ec && (!ex.res.retry_after.empty() || !ex.res.retry_after_ms.empty()))
            out.diag.retry_after = retry_after_delay(ex.res.retry_after_ms, ex.res.retry_after,
                                                     std::chrono::system_clock::now());
        report(ex.ec ? ex.ec : error_from_status(ex.res.status));
        if (!ex.ec) {
            if (ex.res.status >= 200 && ex.res.status < 300) {
                out.status = ex.res.status;
                out.body = std::move(ex.res.body);
                out.diag.status = out.status;
                out.diag.attempts = attempts;
                co_return;
            }
            facts.ec = error_from_status(ex.res.status);
            facts.status = ex.res.status;
            facts.maybe_delivered = true;
            facts.x_should_retry = ex.res.x_should_retry;
            facts.retry_after_ms = ex.res.retry_after_ms;
            facts.retry_after = ex.res.retry_after;
        } else {
            facts.ec = ex.ec;
            facts.maybe_delivered = ex.maybe_delivered;
            facts.peer_closed = ex.peer_closed;
            facts.response_started = ex.response_started;
        }

        auto fail = [&] {
            out.ec = facts.ec;
            out.diag.attempts = attempts;
            if (facts.status != 0)
                out.diag.set_response(facts.status, ex.res.body);
            out.diag.client_message = ex.ec ? ex.detail : std::string();
        };
        auto cancelled = [&](const char* while_doing) {
            facts.ec = error::cancelled;
            fail();
            out.diag.client_message = std::string("cancelled while ") + while_doing;
        };
        if (ex.ec == error::cancelled || cs.cancelled() != asio::cancellation_type::none) {
            facts.ec = error::cancelled;
            fail();
            co_return;
        }
        auto remaining = [&]() -> std::optional<milliseconds> {
            if (overall == clock::time_point::max())
                return std::nullopt;
            return std::chrono::duration_cast<milliseconds>(overall - clock::now());
        };

        failure_inputs fin;
        fin.retry.facts = facts;
        fin.retry.retries_done = retries;
        fin.retry.max_retries = max_retries;
        fin.retry.now = std::chrono::system_clock::now();
        fin.retry.remaining = remaining();
        fin.retry.random01 = random01();
        fin.reused = ex.reused;
        fin.stale_retry_used = stale_used;
        fin.can_check = probe != nullptr;
        const auto plan = plan_after_failure(fin);
        if (!plan.retry) {
            fail();
            if (plan.reason == "deadline" && facts.status == 0 && out.ec != error::timeout)
                out.diag.client_message += " (no time left to retry)";
            co_return;
        }
        auto delay = plan.delay;
        if (plan.counts_as_retry && ro.not_before) {
            // A shared pause (a batch's): wait for it too, within the deadline.
            auto until = ro.not_before();
            auto now2 = clock::now();
            // (compared before subtracting: "no pause" may be time_point::min())
            auto extra = until > now2 ? std::chrono::ceil<milliseconds>(until - now2) : milliseconds(0);
            if (extra > delay) {
                if (overall != clock::time_point::max() && clock::now() + extra >= overall) {
                    fail();
                    out.diag.client_message += " (no time left to retry after the shared pause)";
                    co_return;
                }
                delay = extra;
            }
        }
        if (delay.count() > 0) {
            log(log_level::debug, std::string(plan.check ? "checking, then retrying " : "retrying ") +
                                      std::string(method) + " " + target + " in " +
                                      std::to_string(delay.count()) + " ms");
            bool waited = co_await pause(delay);
            if (!waited) {
                cancelled("waiting to retry");
                co_return;
            }
        }

        // Do not resend a POST that may have taken effect: ask first.
        if (plan.check) {
            std::string why;
            auto c = co_await check_delivery(*probe, plan.how, ro, timeout, overall, why);
            switch (c) {
            case delivery_check::absent: break;
            case delivery_check::present:
                log(log_level::info, "POST " + target + ": response lost, but task " +
                                         std::string(probe->task_id) +
                                         " shows the submission; not resending");
                out.recovered = true;
                out.status = 0;
                out.diag.attempts = attempts;
                co_return;
            case delivery_check::unknown:
                fail();
                out.diag.client_message += "; not resent: " + why;
                co_return;
            case delivery_check::cancelled: cancelled("checking whether the request took effect"); co_return;
            }
        }

        if (plan.new_connection) {
            stale_used = true;
            force_new = true;
            log(log_level::debug, "stale pooled connection; resending on a new connection");
        }
        if (plan.counts_as_retry)
            ++retries;
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
