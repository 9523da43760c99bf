// The library's small internal helpers: src/util/text.hpp and
// src/util/random.hpp.
#include "util/random.hpp"
#include "util/text.hpp"

#include <doctest/doctest.h>

using handinger::detail::iequals;
using handinger::detail::random01;
using handinger::detail::trim;

TEST_CASE("util: iequals ignores ASCII case only")
{
    CHECK(iequals("Retry-After-Ms", "retry-after-ms"));
    CHECK(iequals("", ""));
    CHECK(iequals("TRUE", "true"));
    CHECK(!iequals("true", "true "));
    CHECK(!iequals("bearer", "bearer!"));
    CHECK(!iequals("@", "`")); // 0x40 and 0x60: not a case pair
    CHECK(!iequals("[", "{"));
}

TEST_CASE("util: trim drops the given blanks at both ends, space and tab by default")
{
    CHECK(trim("  \t x y \t ") == "x y");
    CHECK(trim("\r x \r") == "\r x \r");
    CHECK(trim("\r x \r", " \t\r") == "x");
    CHECK(trim("   ").empty());
    CHECK(trim("").empty());
    static_assert(trim(" a ") == "a");
}

TEST_CASE("util: random01 is from 0 (included) to 1 (excluded)")
{
    bool in_range = true;
    for (int i = 0; i < 1000; ++i) {
        const double r = random01();
        in_range = in_range && r >= 0.0 && r < 1.0;
    }
    CHECK(in_range);
}
