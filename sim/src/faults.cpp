#include <handinger/sim/detail/faults.hpp>
#include <handinger/sim/detail/util.hpp>

#include <algorithm>
#include <cmath>

namespace handinger::sim::detail {

fault_kind draw_fault(const fault_options& f, std::uint64_t seed, std::uint64_t counter)
{
    const std::uint64_t h = mix64(mix64(seed) ^ mix64(counter + 0x51ULL));
    // 53 bits to a uniform double in [0, 100).
    const double u = static_cast<double>(h >> 11) * (100.0 / 9007199254740992.0);
    const std::pair<double, fault_kind> table[] = {
        {f.p429, fault_kind::http429},         {f.p5xx, fault_kind::http500},
        {f.p_reset_before, fault_kind::reset}, {f.p_reset_after, fault_kind::lost},
        {f.p_stall, fault_kind::stall},        {f.p_truncate, fault_kind::truncate},
        {f.p_slow, fault_kind::slow},          {f.p_no_retry, fault_kind::no_retry},
    };
    double edge = 0;
    for (auto [pct, kind] : table) {
        edge += std::clamp(pct, 0.0, 100.0);
        if (u < edge) {
            // The low bit (unused by u) splits 5xx between 500 and 503.
            if (kind == fault_kind::http500 && (h & 1))
                return fault_kind::http503;
            return kind;
        }
    }
    return fault_kind::none;
}

void add_retry_after(header_list& headers, retry_after_form form, std::int64_t wait_ms, std::int64_t now_ms)
{
    wait_ms = std::max<std::int64_t>(0, wait_ms);
    switch (form) {
    case retry_after_form::none: break;
    case retry_after_form::ms: headers.emplace_back("retry-after-ms", std::to_string(wait_ms)); break;
    case retry_after_form::seconds:
        headers.emplace_back("retry-after",
                             std::to_string(std::max<std::int64_t>(1, (wait_ms + 999) / 1000)));
        break;
    case retry_after_form::http_date:
        // An HTTP date has whole seconds: round up so the client never comes back early.
        headers.emplace_back("retry-after", http_date(((now_ms + wait_ms + 999) / 1000) * 1000));
        break;
    }
}

bool token_bucket::take(int rate, std::int64_t now_ms, std::int64_t& wait_ms)
{
    wait_ms = 0;
    if (rate <= 0)
        return true;
    if (tokens_ < 0) {
        tokens_ = rate;
        last_ms_ = now_ms;
    }
    if (now_ms > last_ms_) {
        tokens_ = std::min<double>(rate, tokens_ + static_cast<double>(now_ms - last_ms_) * rate / 1000.0);
        last_ms_ = now_ms;
    }
    if (tokens_ >= 1) {
        tokens_ -= 1;
        return true;
    }
    wait_ms = static_cast<std::int64_t>(std::ceil((1 - tokens_) * 1000.0 / rate));
    return false;
}

} // namespace handinger::sim::detail
