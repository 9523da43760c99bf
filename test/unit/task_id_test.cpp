#include <handinger/task_id.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <unordered_set>

TEST_CASE("make_task_id: tsk_ and a ULID of 26 Crockford base32 characters")
{
    static const std::string alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    for (int i = 0; i < 1000; ++i) {
        auto id = handinger::make_task_id();
        REQUIRE(id.size() == 30);
        CHECK(id.rfind("tsk_", 0) == 0);
        for (std::size_t k = 4; k < id.size(); ++k)
            CHECK(alphabet.find(id[k]) != std::string::npos);
        CHECK(id[4] <= '7'); // 128 bits in 130: the first digit carries 3
    }
}

TEST_CASE("make_task_id: the first 10 characters are the time in milliseconds")
{
    static const std::string alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    auto id = handinger::make_task_id();
    auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
    // 10 digits x 5 bits = 50 bits, of which the top 2 are zero: the 48-bit time.
    long long t = 0;
    for (std::size_t k = 4; k < 14; ++k)
        t = t * 32 + static_cast<long long>(alphabet.find(id[k]));
    CHECK(t >= before);
    CHECK(t <= after);
}

TEST_CASE("make_task_id: 200,000 ids, no duplicate, and they sort by creation time")
{
    std::unordered_set<std::string> seen;
    std::string prev;
    for (int i = 0; i < 200000; ++i) {
        auto id = handinger::make_task_id();
        CHECK(seen.insert(id).second);
        CHECK(id.substr(0, 14) >= prev.substr(0, std::min<std::size_t>(prev.size(), 14)));
        prev = id;
    }
}

TEST_CASE("derive_task_id: the documented scheme, pinned by vectors computed elsewhere (Python hashlib)")
{
    // sha256("handinger-task-id-v1\0" + be64(len key) + key + be64(index) +
    // be64(len input) + input)[0:16] as a ULID.
    CHECK(handinger::derive_task_id("batch-key", 0, "Summarise this week's filings") ==
          "tsk_0YFB7NR6AJJHMVKZY036G2HMPH");
    CHECK(handinger::derive_task_id("", 0, "") == "tsk_2BQ0W8M7JGJ104KXMJ6T9HH03A");
    CHECK(handinger::derive_task_id("k", UINT64_MAX, "\xC3\xA9") == "tsk_2H68AK47J9G9P1PAC22WH2F9Y6");
}

TEST_CASE("derive_task_id: the form of a ULID, the same arguments give the same id, any other a new one")
{
    static const std::string alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    std::unordered_set<std::string> seen;
    for (std::uint64_t i = 0; i < 20000; ++i) {
        auto id = handinger::derive_task_id("key", i, "same text");
        REQUIRE(id.size() == 30);
        CHECK(id.rfind("tsk_", 0) == 0);
        for (std::size_t k = 4; k < id.size(); ++k)
            CHECK(alphabet.find(id[k]) != std::string::npos);
        CHECK(id[4] <= '7');
        CHECK(id == handinger::derive_task_id("key", i, "same text"));
        CHECK(seen.insert(id).second);
    }
    const auto base = handinger::derive_task_id("key", 7, "text");
    CHECK(handinger::derive_task_id("key2", 7, "text") != base);
    CHECK(handinger::derive_task_id("key", 8, "text") != base);
    CHECK(handinger::derive_task_id("key", 7, "text.") != base);
    // The lengths keep the parts apart: moving bytes between key and input
    // is another id.
    CHECK(handinger::derive_task_id("ab", 0, "c") != handinger::derive_task_id("a", 0, "bc"));
}
