// The one JSON text writer (json/text.hpp) against Boost.JSON's serializer:
// the escaper for every byte, the writer's structure, and the create body
// (the comparison of strings and bodies is fuzz/json_differential.hpp, which
// the json_text fuzz target runs on its inputs).
#include "fuzz/json_differential.hpp"

#include "json/text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <climits>
#include <cstdint>
#include <string>

namespace json = boost::json;
using handinger::detail::append_json_string;
using handinger::detail::json_writer;
using handinger::test::compare_writers;

namespace {

std::string escaped(std::string_view s)
{
    std::string out;
    append_json_string(out, s);
    return out;
}

std::string boost_escaped(std::string_view s)
{
    return json::serialize(json::string_view(s.data(), s.size()));
}

} // namespace

TEST_CASE("json text: every byte is escaped as Boost.JSON's serializer escapes it")
{
    std::string all;
    for (int c = 0; c < 256; ++c) {
        const std::string one(1, static_cast<char>(c));
        CAPTURE(c);
        CHECK(escaped(one) == boost_escaped(one));
        CHECK(escaped("ab" + one + "cd" + one) == boost_escaped("ab" + one + "cd" + one));
        all += one;
    }
    CHECK(escaped(all + all) == boost_escaped(all + all));
    CHECK(escaped("") == "\"\"");
    CHECK(escaped("\"\\\b\f\n\r\t\x01\x1f\x7f") == R"("\"\\\b\f\n\r\t\u0001\u001f)"
                                                   "\x7f\"");
    CHECK(escaped("\xe2\x82\xac \xff") == "\"\xe2\x82\xac \xff\""); // UTF-8, valid or not, as it is
}

TEST_CASE("json text: strings whole, in parts and in a create body, as Boost.JSON writes them")
{
    using namespace std::literals;
    for (std::string_view s :
         {""sv, "a"sv, "Compare three vendors' prices"sv, "\"quoted\" \\ and \t tab"sv, "line\nbreak\r\n"sv,
          "\x00\x01\x02 nul and controls"sv, "\xe2\x82\xac\xc3\xa9"sv})
        CHECK_MESSAGE(compare_writers(s).empty(), compare_writers(s));
    std::uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 2000; ++i) {
        std::string s;
        for (int n = static_cast<int>(x % 40); n > 0; --n) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17; // xorshift64
            s += static_cast<char>(x & 0xff);
        }
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        CHECK_MESSAGE(compare_writers(s).empty(), compare_writers(s));
    }
}

TEST_CASE("json text: the writer puts the commas and colons")
{
    std::string out = "prefix:"; // appends, never clears
    json_writer w(out);
    w.begin_object();
    w.key("a").begin_array().num(1).begin_object().key("b").null().end_object().begin_array().end_array();
    w.begin_object().end_object().end_array();
    w.key("c").boolean(true).key("d").boolean(false);
    w.key("e").str("x\ny").key("f").str_concat({"https://h", "/tasks/", "t\"1"});
    w.key("min").num(INT64_MIN).key("max").num(INT64_MAX).key("zero").num(0);
    w.end_object();
    const std::string doc = out.substr(7);
    CHECK(out.substr(0, 7) == "prefix:");
    CHECK(doc == R"({"a":[1,{"b":null},[],{}],"c":true,"d":false,"e":"x\ny","f":"https://h/tasks/t\"1",)"
                 R"("min":-9223372036854775808,"max":9223372036854775807,"zero":0})");
    // Boost.JSON writes the same value the same way.
    CHECK(json::serialize(json::parse(doc)) == doc);

    std::string top;
    json_writer(top).begin_array().str("a").str("b").begin_array().num(-1).end_array().end_array();
    CHECK(top == R"(["a","b",[-1]])");
    std::string scalar;
    json_writer(scalar).num(42);
    CHECK(scalar == "42");
}
