// Internal: the random numbers behind jitter (retry backoff, poll intervals).
#pragma once

#include <cstddef>
#include <random>

namespace handinger::detail {

/// Uniform in [0, 1), from a generator per thread seeded from
/// std::random_device. Not for anything secret.
inline double random01()
{
    thread_local std::minstd_rand rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

/// `n` bytes from the kernel's CSPRNG, taken from a per-thread block (the
/// one behind task ids: core/task_id.cpp).
void random_bytes(unsigned char* out, std::size_t n);

} // namespace handinger::detail
