#include "http/deadline_keeper.hpp"

#include <boost/asio/post.hpp>

#include <vector>

namespace handinger::detail::http {

deadline_keeper::ticket deadline_keeper::add(clock::time_point when, const connection_ptr& c,
                                             const asio::any_io_executor& strand)
{
    auto gen = c->begin_deadline();
    std::lock_guard lk(mu_);
    ticket t{when, ++next_id_};
    entries_.emplace(t, entry{c, strand, gen});
    if (when < armed_)
        arm_locked();
    return t;
}

void deadline_keeper::remove(const ticket& t)
{
    std::lock_guard lk(mu_);
    entries_.erase(t);
    if (entries_.empty() && armed_ != clock::time_point::max()) {
        armed_ = clock::time_point::max();
        timer_.cancel();
    }
}

void deadline_keeper::arm_locked()
{
    armed_ = entries_.begin()->first.when;
    timer_.expires_at(armed_);
    timer_.async_wait([self = weak_from_this()](boost::system::error_code ec) {
        if (ec)
            return; // cancelled: re-armed or emptied
        if (auto k = self.lock())
            k->on_timer();
    });
}

void deadline_keeper::on_timer()
{
    std::vector<entry> due;
    {
        std::lock_guard lk(mu_);
        armed_ = clock::time_point::max();
        auto now = clock::now();
        while (!entries_.empty() && entries_.begin()->first.when <= now) {
            due.push_back(std::move(entries_.begin()->second));
            entries_.erase(entries_.begin());
        }
        if (!entries_.empty())
            arm_locked();
    }
    for (auto& e : due)
        asio::post(e.strand, [c = std::move(e.conn), gen = e.generation] { c->expire(gen); });
}

} // namespace handinger::detail::http
