// Part 0: what each limit reaches without a rate limit (the capacity of the
// immediate scenario in flight: rate x round trip).
#include "bench_batch.hpp"

#include <algorithm>
#include <cstdio>

namespace bench::batch {

json::object unlimited_scenario(const args& a, double& round_trip_ms)
{
    json::object unlimited;
    if (!a.open_url.empty()) {
        std::printf("without a rate limit (HTTPS simulator, one run each):\n");
        std::vector<std::size_t> limits = a.fixed;
        limits.insert(limits.begin(), 0);
        for (auto l : limits) {
            batch_setup s;
            s.url = a.open_url;
            s.ca = a.open_ca;
            s.key = a.key;
            s.n = a.n;
            s.adaptive = l == 0;
            s.initial = l == 0 ? a.initial : l;
            s.max_in_flight = l == 0 ? a.max_in_flight : l;
            s.pool =
                std::max<std::size_t>(a.max_in_flight, *std::max_element(a.fixed.begin(), a.fixed.end()));
            s.max_retries = a.max_retries;
            s.timeout_s = a.run_timeout_s;
            auto o = run_batch(s);
            const double rps = a.n / o.seconds;
            const std::string name = l == 0 ? "adaptive" : std::to_string(l);
            std::printf("  %-9s %8.0f req/s  %lld failed\n", name.c_str(), rps, o.failures);
            unlimited[name] = rps;
            if (l == *std::min_element(a.fixed.begin(), a.fixed.end()))
                round_trip_ms = static_cast<double>(l) / rps * 1000.0;
        }
    }
    return unlimited;
}

} // namespace bench::batch
