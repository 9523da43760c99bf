#include "http/pool.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace handinger::detail::http {

pool::pool(asio::any_io_executor ex, std::size_t size, std::chrono::milliseconds idle_timeout)
    : ex_(std::move(ex)), size_(std::max<std::size_t>(size, 1)), idle_timeout_(idle_timeout)
{}

connection_ptr pool::take_idle_locked(clock::time_point now, std::vector<connection_ptr>& to_close)
{
    while (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        auto idle_for = now - c->idle_since;
        // Checked every time, however short the wait: bytes that arrived
        // behind the last response (a stray response from a faulty server
        // or proxy) would otherwise be read as the answer to the next
        // request. One poll() per request. (A close that slips through
        // after the check is caught as a stale connection.)
        if (idle_for < idle_timeout_ && c->idle_clean())
            return c;
        // Expired or closed by the peer: drop it; its slot stays ours.
        to_close.push_back(std::move(c));
        --open_;
    }
    return nullptr;
}

bool pool::grant_now_locked(bool force_new, grant& g, std::vector<connection_ptr>& to_close)
{
    if (shut_) {
        g = grant{nullptr, false, make_error_code(asio::error::operation_aborted)};
        return true;
    }
    const auto now = clock::now();
    expire_locked(now, to_close);
    // Queued callers go first: only take directly when nobody waits.
    if (!waiters_.empty())
        return false;
    if (!force_new)
        if (auto c = take_idle_locked(now, to_close)) {
            g = grant{std::move(c), false, {}};
            return true;
        }
    if (open_ < size_) {
        peak_ = std::max(peak_, ++open_);
        g = grant{nullptr, true, {}};
        return true;
    }
    if (force_new && !idle_.empty()) {
        // Make room: drop the oldest idle connection for a new one.
        to_close.push_back(std::move(idle_.front()));
        idle_.erase(idle_.begin());
        g = grant{nullptr, true, {}};
        return true;
    }
    return false;
}

std::optional<pool::grant> pool::try_acquire(bool force_new)
{
    std::vector<connection_ptr> to_close;
    grant g;
    bool now;
    {
        std::lock_guard lk(mu_);
        now = grant_now_locked(force_new, g, to_close);
    }
    for (auto& d : to_close)
        d->close();
    if (!now)
        return std::nullopt;
    return g;
}

asio::awaitable<pool::grant> pool::acquire(clock::time_point deadline, bool force_new)
{
    auto ex = co_await asio::this_coro::executor;
    std::vector<connection_ptr> to_close;
    std::shared_ptr<waiter> w;
    {
        std::lock_guard lk(mu_);
        grant g;
        if (grant_now_locked(force_new, g, to_close)) {
            for (auto& d : to_close)
                d->close();
            co_return g;
        }
        w = std::make_shared<waiter>(ex);
        w->force_new = force_new;
        w->timer.expires_at(deadline);
        waiters_.push_back(w);
        peak_waiting_ = std::max(peak_waiting_, waiters_.size());
    }
    for (auto& d : to_close)
        d->close();

    boost::system::error_code ec;
    co_await w->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    std::lock_guard lk(mu_);
    if (w->done)
        co_return std::move(w->g);
    auto it = std::find(waiters_.begin(), waiters_.end(), w);
    if (it != waiters_.end())
        waiters_.erase(it);
    // The timer expired (ec clear): deadline. Aborted without a grant: the
    // caller was cancelled.
    co_return grant{nullptr, false,
                    ec ? make_error_code(asio::error::operation_aborted)
                       : make_error_code(asio::error::timed_out)};
}

std::shared_ptr<pool::waiter> pool::serve_waiter_locked(connection_ptr& c,
                                                        std::vector<connection_ptr>& to_close)
{
    if (waiters_.empty())
        return nullptr;
    auto w = std::move(waiters_.front());
    waiters_.pop_front();
    w->done = true;
    if (c && !w->force_new) {
        w->g.conn = std::move(c);
    } else {
        if (c) { // the waiter wants a fresh connection: drop this one, pass its slot
            to_close.push_back(std::move(c));
        }
        w->g.may_open = true;
    }
    return w;
}

void pool::wake(const std::shared_ptr<waiter>& w)
{
    // The waiter's timer belongs to its strand: cancel it there.
    asio::post(w->timer.get_executor(), [w] { w->timer.cancel(); });
}

void pool::release(connection_ptr c, bool reusable)
{
    std::vector<connection_ptr> to_close;
    std::shared_ptr<waiter> w;
    {
        std::lock_guard lk(mu_);
        const auto now = clock::now();
        expire_locked(now, to_close);
        if (!reusable || shut_ || !c->is_open()) {
            to_close.push_back(std::move(c));
            if (shut_) {
                --open_;
            } else {
                connection_ptr none;
                w = serve_waiter_locked(none, to_close); // the slot passes on
                if (!w)
                    --open_;
            }
        } else {
            c->idle_since = now;
            w = serve_waiter_locked(c, to_close);
            if (!w)
                idle_.push_back(std::move(c));
        }
    }
    for (auto& d : to_close)
        d->close();
    if (w)
        wake(w);
}

void pool::release_slot()
{
    std::shared_ptr<waiter> w;
    std::vector<connection_ptr> to_close;
    {
        std::lock_guard lk(mu_);
        connection_ptr none;
        if (!shut_)
            w = serve_waiter_locked(none, to_close);
        if (!w)
            --open_;
    }
    if (w)
        wake(w);
}

void pool::expire_locked(clock::time_point now, std::vector<connection_ptr>& to_close)
{
    // idle_ is ordered by idle_since (pushed at release): expire from the front.
    auto keep = std::find_if(idle_.begin(), idle_.end(),
                             [&](const connection_ptr& c) { return now - c->idle_since < idle_timeout_; });
    for (auto it = idle_.begin(); it != keep; ++it)
        to_close.push_back(std::move(*it));
    open_ -= static_cast<std::size_t>(keep - idle_.begin());
    idle_.erase(idle_.begin(), keep);
}

void pool::shutdown()
{
    std::vector<connection_ptr> to_close;
    std::deque<std::shared_ptr<waiter>> waiters;
    {
        std::lock_guard lk(mu_);
        shut_ = true;
        open_ -= idle_.size();
        to_close.swap(idle_);
        waiters.swap(waiters_);
        for (auto& w : waiters) {
            w->done = true;
            w->g.ec = make_error_code(asio::error::operation_aborted);
        }
    }
    for (auto& d : to_close)
        d->close();
    for (auto& w : waiters)
        wake(w);
}

void pool::close_idle()
{
    std::vector<connection_ptr> to_close;
    {
        std::lock_guard lk(mu_);
        open_ -= idle_.size();
        to_close.swap(idle_);
    }
    for (auto& d : to_close)
        d->close();
}

void pool::stats(transport_stats& s)
{
    std::vector<connection_ptr> to_close;
    std::lock_guard lk(mu_);
    expire_locked(clock::now(), to_close); // closed as `to_close` goes out of scope
    for (auto& c : to_close)
        c->close();
    s.open = open_;
    s.peak_open = peak_;
    s.peak_waiting = peak_waiting_;
    s.idle = idle_.size();
    s.waiting = waiters_.size();
}

} // namespace handinger::detail::http
