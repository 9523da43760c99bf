// find_from: the reader's key lookup that starts where the last one ended.
#include "json/reader.hpp"

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace json = boost::json;
using handinger::detail::find_from;

TEST_CASE("find_from: keys in document order are each found at the hint, then it moves past them")
{
    auto o = json::parse(R"({"a":1,"b":2,"c":3,"d":4})").as_object();
    std::size_t hint = 0;
    for (int i = 0; i < 4; ++i) {
        std::string key(1, static_cast<char>('a' + i));
        const json::value* v = find_from(o, key, hint);
        REQUIRE(v);
        CHECK(v->as_int64() == i + 1);
        CHECK(hint == static_cast<std::size_t>(i + 1));
    }
}

TEST_CASE("find_from: any order, wrapping around past the end, and a missing key leaves the hint")
{
    auto o = json::parse(R"({"a":1,"b":2,"c":3,"d":4})").as_object();
    std::vector<std::string> order = {"c", "d", "a", "b", "b", "a", "d", "c"};
    std::size_t hint = 0;
    for (const auto& key : order) {
        const json::value* v = find_from(o, key, hint);
        REQUIRE(v);
        CHECK(v->as_int64() == key[0] - 'a' + 1);
        auto at = hint;
        CHECK(find_from(o, "nope", hint) == nullptr);
        CHECK(hint == at);
    }
    std::size_t far = 99; // a hint past the end starts at the front
    REQUIRE(find_from(o, "b", far));
    CHECK(far == 2);
    json::object empty;
    std::size_t h = 0;
    CHECK(find_from(empty, "a", h) == nullptr);
}
