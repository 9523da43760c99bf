#include "core/watch_hub.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace handinger::detail {

namespace asio = boost::asio;

namespace {
const std::string shared_cancel_marker = "the shared GET was cancelled by its owner";
}

watch_hub::watch_hub(double rate, double burst) : budget_(rate, burst > 0 ? burst : rate) {}

std::chrono::steady_clock::time_point watch_hub::reserve(std::chrono::steady_clock::time_point now)
{
    std::lock_guard lk(mu_);
    return budget_.reserve(now);
}

asio::awaitable<op_result<task_with_turns>> watch_hub::fetch(impl_ptr client, const std::string& task_id)
{
    for (;;) {
        auto r = co_await fetch_once(client, task_id);
        // A shared GET whose owner was cancelled: not our cancellation, so
        // fetch again (as owner, unless another caller got there first).
        if (r.ec == error::cancelled && r.diag.client_message == shared_cancel_marker) {
            auto cs = co_await asio::this_coro::cancellation_state;
            if (cs.cancelled() == asio::cancellation_type::none)
                continue;
        }
        co_return r;
    }
}

asio::awaitable<op_result<task_with_turns>> watch_hub::fetch_once(impl_ptr client, const std::string& task_id)
{
    std::shared_ptr<flight> f;
    std::shared_ptr<asio::steady_timer> wait;
    {
        std::lock_guard lk(mu_);
        auto& slot = flights_[task_id];
        if (slot && !slot->done) {
            // Someone fetches this task right now: wait for that result.
            f = slot;
            wait = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                        std::chrono::steady_clock::time_point::max());
            f->waiters.push_back(wait);
        } else {
            f = slot = std::make_shared<flight>();
        }
    }

    if (wait) {
        boost::system::error_code ec;
        co_await wait->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        std::lock_guard lk(mu_);
        if (f->done) {
            if (f->result.ec == error::cancelled) {
                op_result<task_with_turns> r;
                r.ec = error::cancelled;
                r.diag.client_message = shared_cancel_marker;
                co_return r;
            }
            gets_shared_.fetch_add(1, std::memory_order_relaxed);
            co_return f->result;
        }
        std::erase(f->waiters, wait);
        op_result<task_with_turns> r;
        r.ec = error::cancelled;
        r.diag.method = "GET";
        r.diag.client_message = "cancelled while waiting for a shared GET";
        co_return r;
    }

    request_options ro;
    ro.max_retries = 0; // the watcher rides out errors itself, with its schedule
    gets_sent_.fetch_add(1, std::memory_order_relaxed);
    auto r = co_await retrieve_op(client, task_id, ro);
    std::vector<std::shared_ptr<asio::steady_timer>> waiters;
    {
        std::lock_guard lk(mu_);
        f->done = true;
        if (!f->waiters.empty())
            f->result = r; // waiters copy it; nobody keeps it afterwards
        waiters.swap(f->waiters);
        auto it = flights_.find(task_id);
        if (it != flights_.end() && it->second == f)
            flights_.erase(it);
    }
    for (auto& w : waiters)
        asio::post(w->get_executor(), [w] { w->cancel(); });
    co_return r;
}

} // namespace handinger::detail
