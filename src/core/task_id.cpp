#include <handinger/task_id.hpp>

#include <openssl/rand.h>

#include <chrono>
#include <cstdint>
#include <random>

namespace handinger {

std::string make_task_id()
{
    static constexpr char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    auto ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
    unsigned char rnd[10];
    if (RAND_bytes(rnd, sizeof rnd) != 1) {
        // The CSPRNG failing is near impossible; fall back to random_device.
        std::random_device rd;
        for (auto& b : rnd)
            b = static_cast<unsigned char>(rd());
    }
    // 128 bits: 48-bit time then 80 random bits, as 26 base32 digits (the
    // first digit carries only 3 bits).
    unsigned char bytes[16];
    for (int i = 0; i < 6; ++i)
        bytes[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
    for (int i = 0; i < 10; ++i)
        bytes[6 + i] = rnd[i];
    std::string id = "tsk_";
    id.resize(4 + 26);
    // Read 130 bits (2 leading zero bits + 128) five at a time.
    for (int d = 0; d < 26; ++d) {
        int bit = d * 5 - 2; // position of the digit's first bit in `bytes`
        unsigned v = 0;
        for (int k = 0; k < 5; ++k, ++bit) {
            v <<= 1;
            if (bit >= 0)
                v |= (bytes[bit / 8] >> (7 - bit % 8)) & 1u;
        }
        id[4 + d] = alphabet[v];
    }
    return id;
}

} // namespace handinger
