// Structured output read into the caller's own described types, without
// sockets: every kind of member, the leniency (extra keys, optional members
// missing or null, 3.0 as an integer), and for each kind of mismatch the
// path of the first problem in the message.
#include <handinger/models.hpp>
#include <handinger/structured_output.hpp>

#include <boost/describe.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hd = handinger;
namespace json = boost::json;

namespace sample {

enum class tier { basic, premium };
BOOST_DESCRIBE_ENUM(tier, basic, premium)

struct line {
    std::string item;
    int quantity = 0;
    std::optional<double> price;
};
BOOST_DESCRIBE_STRUCT(line, (), (item, quantity, price))

struct base_doc {
    std::string id;
};
BOOST_DESCRIBE_STRUCT(base_doc, (), (id))

struct invoice : base_doc {
    std::string vendor;
    bool paid = false;
    std::uint8_t priority = 0;
    std::uint64_t big = 0;
    float ratio = 0;
    tier level = tier::basic;
    std::vector<line> lines;
    std::map<std::string, int> counts;
    std::optional<std::string> note;
    json::value extra;
};
BOOST_DESCRIBE_STRUCT(invoice, (base_doc),
                      (vendor, paid, priority, big, ratio, level, lines, counts, note, extra))

const char* const good = R"({
  "id": "inv-1", "vendor": "ACME", "paid": true, "priority": 3, "big": 18446744073709551615,
  "ratio": 0.5, "level": "premium",
  "lines": [{"item": "bolt", "quantity": 3.0, "price": 1.25}, {"item": "nut", "quantity": 7, "price": null}],
  "counts": {"a": 1, "b": 2}, "extra": {"anything": [1, "x"]}, "unknown_key": 42
})";

hd::run_result run_with(const char* text)
{
    hd::run_result r;
    r.structured_output = json::parse(text).as_object();
    return r;
}

std::string problem(const char* text)
{
    boost::system::error_code ec;
    hd::diagnostics d;
    (void)run_with(text).structured_output_as<invoice>(ec, d);
    CHECK(ec == hd::error::invalid_response);
    return d.client_message;
}

// `good` with one key's value replaced.
std::string with(const char* key, const char* value)
{
    auto v = json::parse(good);
    v.as_object()[key] = json::parse(value);
    return json::serialize(v);
}

} // namespace sample

using namespace sample;

TEST_CASE("structured output: every kind of member, extra keys ignored")
{
    auto inv = run_with(good).structured_output_as<invoice>();
    CHECK(inv.id == "inv-1"); // a described base's member
    CHECK(inv.vendor == "ACME");
    CHECK(inv.paid);
    CHECK(inv.priority == 3);
    CHECK(inv.big == 18446744073709551615ull);
    CHECK(inv.ratio == 0.5f);
    CHECK(inv.level == tier::premium);
    REQUIRE(inv.lines.size() == 2);
    CHECK(inv.lines[0].item == "bolt");
    CHECK(inv.lines[0].quantity == 3); // 3.0 is an integer
    CHECK(inv.lines[0].price == 1.25);
    CHECK_FALSE(inv.lines[1].price); // null
    CHECK(inv.counts == std::map<std::string, int>{{"a", 1}, {"b", 2}});
    CHECK_FALSE(inv.note); // missing
    CHECK(inv.extra.at("anything").as_array().size() == 2);
}

TEST_CASE("structured output: the path of the first mismatch, for each kind")
{
    CHECK(problem(with("vendor", "5").c_str()) == "structured_output.vendor: expected string, got number");
    CHECK(problem(with("paid", "\"yes\"").c_str()) == "structured_output.paid: expected boolean, got string");
    CHECK(problem(with("priority", "256").c_str()) ==
          "structured_output.priority: integer out of range: 256");
    CHECK(problem(with("priority", "-1").c_str()) == "structured_output.priority: integer out of range: -1");
    CHECK(problem(with("priority", "1.5").c_str()) ==
          "structured_output.priority: expected integer, got number 1.5");
    CHECK(problem(with("ratio", "null").c_str()) == "structured_output.ratio: expected number, got null");
    CHECK(problem(with("level", "\"gold\"").c_str()) == "structured_output.level: unknown value \"gold\"");
    CHECK(problem(with("level", "1").c_str()) == "structured_output.level: expected string, got number");
    CHECK(problem(with("lines", "{}").c_str()) == "structured_output.lines: expected array, got object");
    CHECK(problem(with("lines", R"([{"item":"a","quantity":1},{"item":"b","quantity":"2"}])").c_str()) ==
          "structured_output.lines[1].quantity: expected integer, got string");
    CHECK(problem(with("lines", R"([{"quantity":1}])").c_str()) ==
          "structured_output.lines[0].item: missing");
    CHECK(problem(with("counts", R"({"a":1,"b c":"x"})").c_str()) ==
          "structured_output.counts[\"b c\"]: expected integer, got string");
    CHECK(problem(with("note", "[]").c_str()) == "structured_output.note: expected string, got array");
    CHECK(problem(R"({"vendor":"x"})") == "structured_output.id: missing");
}

TEST_CASE("structured output: null, the throwing form, a turn, and read_structured")
{
    hd::run_result none;
    boost::system::error_code ec;
    hd::diagnostics d;
    (void)none.structured_output_as<line>(ec, d);
    CHECK(ec == hd::error::invalid_response);
    CHECK(d.client_message.rfind("structured_output: null", 0) == 0);
    try {
        (void)run_with(R"({"item": 1, "quantity": 1})").structured_output_as<line>();
        CHECK(false);
    } catch (const hd::api_error& e) {
        CHECK(e.code() == hd::error::invalid_response);
        CHECK(e.diag().client_message == "structured_output.item: expected string, got number");
    }
    hd::turn t;
    t.structured_output = json::parse(R"({"item": "x", "quantity": "1"})").as_object();
    try {
        (void)t.structured_output_as<line>();
        CHECK(false);
    } catch (const hd::api_error& e) {
        CHECK(e.diag().client_message == "structuredOutput.quantity: expected integer, got string");
    }
    // Success clears what a previous failure left.
    ec = hd::error::timeout;
    d.client_message = "old";
    auto l = run_with(R"({"item": "x", "quantity": 2})").structured_output_as<line>(ec, d);
    CHECK_FALSE(ec);
    CHECK(d.client_message.empty());
    CHECK(l.quantity == 2);

    std::string what;
    std::vector<line> lines;
    CHECK_FALSE(hd::read_structured(json::parse(R"([{"item":"a","quantity":true}])"), lines, what, ""));
    CHECK(what == "[0].quantity: expected integer, got boolean");
    int n = 0;
    CHECK_FALSE(hd::read_structured(json::parse(R"("x")"), n, what, ""));
    CHECK(what == "(root): expected integer, got string");
    CHECK(hd::read_structured(json::parse("12"), n, what));
    CHECK(n == 12);
}
