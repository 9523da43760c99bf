#include "policy/rate_pacer.hpp"

#include <algorithm>
#include <cmath>

namespace handinger::detail {

namespace {

using clock = rate_pacer::clock;

double seconds(clock::duration d) noexcept
{
    return std::chrono::duration<double>(d).count();
}

} // namespace

rate_pacer::rate_pacer(const pacer_options& o) noexcept : o_(o)
{
    if (!(o_.margin > 0) || o_.margin > 1)
        o_.margin = 1;
    if (!(o_.probe_factor >= 1))
        o_.probe_factor = 1;
    o_.burst = std::max(o_.burst, std::chrono::milliseconds(1));
    o_.min_successes = std::max<std::size_t>(o_.min_successes, 1);
    o_.probe_after = std::max(o_.probe_after, std::chrono::milliseconds(1));
    probe_interval_ = o_.probe_after;
}

double rate_pacer::capacity() const noexcept
{
    // At least one token, so that a very low rate still lets one through.
    return std::max(1.0, rate_ * o_.margin * seconds(o_.burst));
}

double rate_pacer::tokens_at(clock::time_point now) const noexcept
{
    if (now <= refilled_at_)
        return tokens_;
    return std::min(capacity(), tokens_ + seconds(now - refilled_at_) * rate_ * o_.margin);
}

void rate_pacer::on_start(clock::time_point now) noexcept
{
    if (!started_) {
        started_ = true;
        window_start_ = now;
    }
    if (rate_ <= 0)
        return;
    auto t = tokens_at(now);
    // Fewer than two tokens left: the pacer, not the caller, sets the pace.
    if (t < 2)
        binding_ = true;
    if (binding_ && now - last_change_ >= probe_interval_) {
        if (rate_before_probe_ == 0)
            rate_before_probe_ = rate_;
        rate_ *= o_.probe_factor;
        last_change_ = now;
        binding_ = false;
    }
    tokens_ = t - 1; // may go below zero: next_start then waits for it
    refilled_at_ = std::max(now, refilled_at_);
}

void rate_pacer::on_success(clock::time_point) noexcept
{
    ++successes_;
}

void rate_pacer::on_rate_limited(clock::time_point now, clock::time_point pause_end) noexcept
{
    if (now < pause_end_) { // the same wave
        pause_end_ = std::max(pause_end_, pause_end);
        return;
    }
    ++waves_;
    pause_end = std::max(pause_end, now);
    if (!started_) {
        started_ = true;
        window_start_ = now;
    }
    auto span = seconds(pause_end - window_start_);
    if (successes_ >= o_.min_successes && span > 0) {
        rate_ = static_cast<double>(successes_) / span;
        if (rate_before_probe_ > 0) {
            // What the probes of this window found.
            const auto most = std::chrono::duration_cast<clock::duration>(o_.probe_after) * 64;
            probe_interval_ = rate_ <= rate_before_probe_ * 1.1
                                  ? std::min(probe_interval_ * 2, most)
                                  : std::chrono::duration_cast<clock::duration>(o_.probe_after);
            rate_before_probe_ = 0;
        }
        tokens_ = 0; // the service's bucket is empty now: ours too
        refilled_at_ = now;
        last_change_ = now;
        binding_ = false;
    }
    successes_ = 0;
    window_start_ = pause_end;
    pause_end_ = pause_end;
}

clock::time_point rate_pacer::next_start(clock::time_point now) const noexcept
{
    if (rate_ <= 0)
        return clock::time_point::min();
    auto t = tokens_at(now);
    if (t >= 1)
        return clock::time_point::min();
    auto wait = std::min((1 - t) / (rate_ * o_.margin), 86400.0); // seconds, at most a day
    auto d = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(wait));
    return std::max(now, refilled_at_) + d + clock::duration(1);
}

std::optional<double> rate_pacer::rate() const noexcept
{
    if (rate_ <= 0)
        return std::nullopt;
    return rate_;
}

} // namespace handinger::detail
