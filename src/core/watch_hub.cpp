#include "core/watch_hub.hpp"

#include "core/client_impl.hpp"
#include "core/watch_state.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace handinger::detail {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {
const std::string shared_cancel_marker = "the shared GET was cancelled by its owner";
// How long a result stays available to other watchers of the same task.
constexpr milliseconds keep_latest{2000};
// How long, and for how many tasks, a notification is remembered for
// watchers that start after it.
constexpr std::chrono::minutes keep_notified{10};
constexpr std::size_t max_notified = 4096;
} // namespace

watch_hub::watch_hub(double rate, double burst, std::size_t polls)
    : budget_(rate, burst > 0 ? burst : rate), poll_limit_(polls)
{}

bool watch_hub::begin_poll(std::weak_ptr<void> who, std::uint64_t ticket, resume_fn resume)
{
    std::lock_guard lk(mu_);
    if (poll_limit_ == 0 || polling_ < poll_limit_) {
        ++polling_;
        return true;
    }
    poll_queue_.push_back(poll_waiter{std::move(who), ticket, resume});
    return false;
}

void watch_hub::end_poll()
{
    std::shared_ptr<void> who;
    poll_waiter next;
    {
        std::lock_guard lk(mu_);
        while (!who && !poll_queue_.empty()) {
            next = std::move(poll_queue_.front()); // the slot passes to it
            poll_queue_.pop_front();
            who = next.who.lock();
        }
        if (next.resume && poll_queue_.empty())
            std::deque<poll_waiter>().swap(poll_queue_); // a burst's blocks go back
        if (!who) {
            --polling_;
            return;
        }
    }
    next.resume(std::move(who), next.ticket);
}

std::size_t watch_hub::polls_waiting()
{
    std::lock_guard lk(mu_);
    return poll_queue_.size();
}

bool watch_hub::add_watcher(watch_state& w)
{
    std::lock_guard lk(mu_);
    auto& list = watchers_[std::hash<std::string>{}(w.task_id)];
    ++list.count;
    w.hub_prev = nullptr;
    w.hub_next = list.head;
    if (list.head)
        list.head->hub_prev = &w;
    list.head = &w;
    if (notified_.empty())
        return false;
    expire_notified_locked(clock::now());
    return notified_.contains(w.task_id);
}

void watch_hub::remove_watcher(watch_state& w)
{
    std::lock_guard lk(mu_);
    auto it = watchers_.find(std::hash<std::string>{}(w.task_id));
    if (it == watchers_.end())
        return;
    auto& list = it->second;
    if (w.hub_prev)
        w.hub_prev->hub_next = w.hub_next;
    else if (list.head == &w)
        list.head = w.hub_next;
    if (w.hub_next)
        w.hub_next->hub_prev = w.hub_prev;
    w.hub_prev = w.hub_next = nullptr;
    if (--list.count == 0)
        watchers_.erase(it);
}

void watch_hub::expire_notified_locked(clock::time_point now)
{
    while (!notified_order_.empty() &&
           (now - notified_order_.front().first >= keep_notified || notified_order_.size() > max_notified)) {
        auto it = notified_.find(notified_order_.front().second);
        if (it != notified_.end() && it->second == notified_order_.front().first)
            notified_.erase(it);
        notified_order_.pop_front();
    }
}

std::vector<std::shared_ptr<watch_state>> watch_hub::notify(std::string_view task_id)
{
    std::vector<std::shared_ptr<watch_state>> found;
    std::string id(task_id);
    auto now = clock::now();
    std::lock_guard lk(mu_);
    latest_.erase(id);
    if (auto f = flights_.find(id); f != flights_.end()) {
        f->second->stale = true;
        flights_.erase(f);
    }
    notified_[id] = now;
    notified_order_.emplace_back(now, id);
    expire_notified_locked(now);
    if (auto it = watchers_.find(std::hash<std::string>{}(id)); it != watchers_.end())
        for (auto* w = it->second.head; w; w = w->hub_next)
            if (w->task_id == id)
                if (auto p = w->weak_from_this().lock()) // (null while it is being destroyed)
                    found.push_back(std::move(p));
    return found;
}

void watch_hub::forget(std::string_view task_id)
{
    std::lock_guard lk(mu_);
    if (!latest_.empty())
        latest_.erase(std::string(task_id));
}

watch_hub::clock::time_point watch_hub::reserve(clock::time_point now)
{
    std::lock_guard lk(mu_);
    return budget_.reserve(now);
}

std::optional<op_result<task_with_turns>> watch_hub::recent(const std::string& task_id, milliseconds max_age)
{
    std::lock_guard lk(mu_);
    auto it = latest_.find(task_id);
    if (it == latest_.end() || clock::now() - it->second.at >= max_age)
        return std::nullopt;
    gets_shared_.fetch_add(1, std::memory_order_relaxed);
    return *it->second.result;
}

void watch_hub::remember_locked(const std::string& task_id, const op_result<task_with_turns>& r,
                                clock::time_point now)
{
    while (!order_.empty() && now - order_.front().first >= keep_latest) {
        auto it = latest_.find(order_.front().second);
        if (it != latest_.end() && it->second.at == order_.front().first)
            latest_.erase(it);
        order_.pop_front();
    }
    if (r.ec)
        return; // errors are not shared: each watcher decides about its own
    auto w = watchers_.find(std::hash<std::string>{}(task_id));
    if (w == watchers_.end() || w->second.count < 2)
        return; // nobody else watches this task
    auto copy = r;
    release_json(copy.value.raw); // watchers do not keep it
    latest_[task_id] = latest{now, std::make_shared<const op_result<task_with_turns>>(std::move(copy))};
    order_.emplace_back(now, task_id);
}

asio::awaitable<op_result<task_with_turns>> watch_hub::fetch(impl_ptr client, const std::string& task_id,
                                                             clock::time_point deadline,
                                                             std::function<void()>* interrupt)
{
    for (;;) {
        auto r = co_await fetch_once(client, task_id, deadline, interrupt);
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

asio::awaitable<op_result<task_with_turns>> watch_hub::fetch_once(impl_ptr client, const std::string& task_id,
                                                                  clock::time_point deadline,
                                                                  std::function<void()>* interrupt)
{
    std::shared_ptr<flight> f;
    std::shared_ptr<asio::steady_timer> wait;
    {
        std::lock_guard lk(mu_);
        auto& slot = flights_[task_id];
        if (slot && !slot->done) {
            // Someone fetches this task right now: wait for that result (no
            // longer than our own deadline).
            f = slot;
            wait = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, deadline);
            f->waiters.push_back(wait);
        } else {
            f = slot = std::make_shared<flight>();
        }
    }

    if (wait) {
        boost::system::error_code ec;
        if (interrupt)
            *interrupt = [wait] { wait->cancel(); };
        co_await wait->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (interrupt)
            *interrupt = nullptr;
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
        r.ec = ec ? error::cancelled : error::timeout;
        r.diag.method = "GET";
        r.diag.client_message = ec ? "cancelled while waiting for a shared GET"
                                   : "the watch's deadline passed while waiting for a shared GET";
        co_return r;
    }

    request_options ro;
    ro.max_retries = 0; // the watcher rides out errors itself, with its schedule
    auto left = std::chrono::duration_cast<milliseconds>(deadline - clock::now());
    if (left < client->options().timeout)
        ro.timeout = std::max(left, milliseconds(1)); // a hanging GET ends with the watch
    gets_sent_.fetch_add(1, std::memory_order_relaxed);
    op_result<task_with_turns> r;
    {
        // The GET runs under a signal of this frame, so that the caller's
        // cancel() can end it; the caller's own cancellation is forwarded.
        asio::cancellation_signal sig;
        auto cs = co_await asio::this_coro::cancellation_state;
        auto forward = cs.slot();
        if (forward.is_connected())
            forward.assign([&sig](asio::cancellation_type t) { sig.emit(t); });
        if (interrupt)
            *interrupt = [&sig] { sig.emit(asio::cancellation_type::terminal); };
        r = co_await asio::co_spawn(co_await asio::this_coro::executor, retrieve_op(client, task_id, ro),
                                    asio::bind_cancellation_slot(sig.slot(), asio::use_awaitable));
        if (interrupt)
            *interrupt = nullptr;
        if (forward.is_connected())
            forward.clear();
    }
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
        if (!f->stale)
            remember_locked(task_id, r, clock::now());
    }
    for (auto& w : waiters)
        asio::post(w->get_executor(), [w] { w->cancel(); });
    co_return r;
}

} // namespace handinger::detail
