// Internal: what all the watchers of one client share: the GET budget and
// the GETs of one task in flight.
#pragma once

#include "policy/token_bucket.hpp"

#include <handinger/client.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace handinger::detail {

class watch_hub {
public:
    watch_hub(double rate, double burst);

    /// When the caller may send its next GET (books the slot).
    std::chrono::steady_clock::time_point reserve(std::chrono::steady_clock::time_point now);

    /// GET /api/tasks/{id} without retries (the watcher has its own policy),
    /// shared with every other watcher of the same task whose GET is in
    /// flight: one request, one result for all. Runs on the caller's strand;
    /// supports terminal cancellation (of the caller's wait only: the GET goes
    /// on for the others).
    boost::asio::awaitable<op_result<task_with_turns>> fetch(impl_ptr client, const std::string& task_id);

    std::uint64_t gets_sent() const noexcept { return gets_sent_.load(); }
    std::uint64_t gets_shared() const noexcept { return gets_shared_.load(); }

private:
    boost::asio::awaitable<op_result<task_with_turns>> fetch_once(impl_ptr client,
                                                                  const std::string& task_id);

    struct flight {
        bool done = false;
        op_result<task_with_turns> result;
        std::vector<std::shared_ptr<boost::asio::steady_timer>> waiters;
    };

    std::mutex mu_;
    token_bucket budget_;
    std::unordered_map<std::string, std::shared_ptr<flight>> flights_;
    std::atomic<std::uint64_t> gets_sent_{0}, gets_shared_{0};
};

} // namespace handinger::detail
