#include <handinger/task_id.hpp>

#include "util/random.hpp"

#include <openssl/sha.h>
#include <pthread.h>
#include <sys/random.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <random>

namespace handinger {
namespace {

// Random bytes come from the kernel's CSPRNG (getrandom) in blocks, not one
// system call per id. A fork makes every thread's block stale, so that parent
// and child never hand out the same bytes.
std::atomic<std::uint64_t> fork_generation{0};

void on_fork_child()
{
    fork_generation.fetch_add(1, std::memory_order_relaxed);
}

struct random_block {
    unsigned char bytes[4000];
    std::size_t used = sizeof bytes;
    std::uint64_t generation = 0;

    void take(unsigned char* out, std::size_t n)
    {
        static const int registered = pthread_atfork(nullptr, nullptr, on_fork_child);
        (void)registered;
        auto gen = fork_generation.load(std::memory_order_relaxed);
        if (used + n > sizeof bytes || gen != generation) {
            std::size_t got = 0;
            while (got < sizeof bytes) {
                auto n = ::getrandom(bytes + got, sizeof bytes - got, 0);
                if (n <= 0)
                    break; // (not expected: a block of this size is served whole)
                got += static_cast<std::size_t>(n);
            }
            if (got < sizeof bytes) { // fall back to random_device for the rest
                std::random_device rd;
                for (std::size_t i = got; i < sizeof bytes; ++i)
                    bytes[i] = static_cast<unsigned char>(rd());
            }
            used = 0;
            generation = gen;
        }
        std::memcpy(out, bytes + used, n);
        std::memset(bytes + used, 0, n); // bytes handed out are not kept
        used += n;
    }
};

thread_local random_block block;

} // namespace

void detail::random_bytes(unsigned char* out, std::size_t n)
{
    while (n > 0) { // (a block serves at most its size at once)
        const std::size_t k = std::min(n, sizeof block.bytes);
        block.take(out, k);
        out += k;
        n -= k;
    }
}

namespace {

// 128 bits as "tsk_" and 26 Crockford base32 digits, the most significant
// first (the first digit carries only 3 bits), as a ULID is written.
std::string write_ulid(unsigned __int128 v)
{
    static constexpr char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    char id[4 + 26] = {'t', 's', 'k', '_'};
    for (int d = 25; d >= 0; --d, v >>= 5)
        id[4 + d] = alphabet[static_cast<unsigned>(v & 31u)];
    return std::string(id, sizeof id);
}

void put_u64(std::string& out, std::uint64_t v)
{
    for (int shift = 56; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>((v >> shift) & 0xFFu));
}

} // namespace

std::string make_task_id()
{
    auto ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
    unsigned char rnd[10];
    block.take(rnd, sizeof rnd);
    // 128 bits: 48-bit time then 80 random bits.
    unsigned __int128 v = ms & 0xFFFF'FFFF'FFFFu;
    for (unsigned char b : rnd)
        v = (v << 8) | b;
    return write_ulid(v);
}

std::string derive_task_id(std::string_view key, std::uint64_t index, std::string_view input)
{
    // The scheme of task_id.hpp, byte for byte: lengths first, so that no
    // two (key, index, input) give the same bytes.
    static constexpr std::string_view domain{"handinger-task-id-v1\0", 21};
    std::string bytes;
    bytes.reserve(domain.size() + 24 + key.size() + input.size());
    bytes.append(domain);
    put_u64(bytes, key.size());
    bytes.append(key);
    put_u64(bytes, index);
    put_u64(bytes, input.size());
    bytes.append(input);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    ::SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
    unsigned __int128 v = 0;
    for (int i = 0; i < 16; ++i)
        v = (v << 8) | digest[i];
    return write_ulid(v);
}

} // namespace handinger
