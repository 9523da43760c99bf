#include "policy/watch_errors.hpp"

#include <handinger/error.hpp>

#include <algorithm>

namespace handinger::detail {
namespace {

using clock = std::chrono::steady_clock;

// tp + d, saturated at the clock's range instead of overflowing.
clock::time_point saturating_add(clock::time_point tp, std::chrono::milliseconds d) noexcept
{
    using std::chrono::duration_cast;
    constexpr auto max_ms = duration_cast<std::chrono::milliseconds>(clock::duration::max());
    constexpr auto min_ms = duration_cast<std::chrono::milliseconds>(clock::duration::min());
    if (d >= max_ms)
        return clock::time_point::max();
    if (d <= min_ms)
        return clock::time_point::min();
    const auto dd = duration_cast<clock::duration>(d);
    if (dd > clock::duration::zero() && tp > clock::time_point::max() - dd)
        return clock::time_point::max();
    if (dd < clock::duration::zero() && tp < clock::time_point::min() - dd)
        return clock::time_point::min();
    return tp + dd;
}

} // namespace

watch_step decide(const boost::system::error_code& ec, int http_status, bool seen_before,
                  std::chrono::milliseconds since_start, std::chrono::milliseconds grace) noexcept
{
    if (ec.category() != error_category())
        return watch_step::fail;
    // Every enumerator listed, no default: a new one must be placed here.
    switch (static_cast<error>(ec.value())) {
    case error::not_found:
        return !seen_before && since_start < grace ? watch_step::not_visible_yet : watch_step::fail;
    case error::connection:
    case error::timeout:
    case error::rate_limited:
    case error::server_error:
    case error::tls: return watch_step::retry;
    case error::unexpected_status: return http_status == 408 ? watch_step::retry : watch_step::fail;
    case error::bad_request:
    case error::authentication:
    case error::permission_denied:
    case error::conflict:
    case error::unprocessable_entity:
    case error::tls_verification:
    case error::invalid_response:
    case error::invalid_argument:
    case error::proxy:
    case error::cancelled: return watch_step::fail;
    }
    return watch_step::fail; // a value outside the enum (0 included)
}

std::optional<watch_timeout> deadline_check(clock::time_point now, clock::time_point started,
                                            clock::time_point last_change,
                                            const watch_options& options) noexcept
{
    if (now >= saturating_add(started, options.deadline))
        return watch_timeout::deadline;
    if (now >= saturating_add(last_change, options.stall_timeout))
        return watch_timeout::stalled;
    return std::nullopt;
}

clock::time_point next_timeout(clock::time_point started, clock::time_point last_change,
                               const watch_options& options) noexcept
{
    return std::min(saturating_add(started, options.deadline),
                    saturating_add(last_change, options.stall_timeout));
}

} // namespace handinger::detail
