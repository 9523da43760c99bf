// The simulator's structured outputs without I/O (schema_sample.hpp): the
// validator on hand-written values, one keyword at a time, accepted and
// refused; then the generator over many seeds, its values checked by the
// validator and, for the shapes a test can name, by hand; the schemas it
// cannot meet; its bounds.
#include <handinger/sim/detail/schema_sample.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace handinger::sim::detail;
namespace json = boost::json;

namespace {

json::value j(std::string_view text)
{
    return json::parse(text);
}

bool accepts(std::string_view schema, std::string_view value)
{
    return schema_accepts(j(schema), j(value));
}

// The generated value for `schema` and `seed`, checked by the validator.
json::value sample(const json::value& schema, std::uint64_t seed)
{
    auto v = sample_schema(schema, seed);
    INFO("schema: ", json::serialize(schema), " seed ", seed);
    REQUIRE(v);
    INFO("value: ", json::serialize(*v));
    CHECK(schema_accepts(schema, *v));
    return *v;
}

const char* invoice_schema = R"({
  "type": "object",
  "required": ["vendor", "issued", "lines", "status"],
  "properties": {
    "vendor": {"type": "string", "minLength": 1, "maxLength": 40},
    "issued": {"type": "string", "format": "date-time"},
    "contact": {"type": "string", "format": "email"},
    "status": {"enum": ["draft", "sent", "paid"]},
    "note": {"type": ["string", "null"]},
    "lines": {"type": "array", "minItems": 1, "maxItems": 5, "items": {"$ref": "#/definitions/line"}}
  },
  "definitions": {
    "line": {
      "type": "object",
      "required": ["item", "quantity"],
      "additionalProperties": false,
      "properties": {
        "item": {"type": "string"},
        "quantity": {"type": "integer", "minimum": 1, "maximum": 99},
        "price": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000}
      }
    }
  }
})";

} // namespace

TEST_CASE("schema check: each keyword accepts what it allows and refuses what it does not")
{
    struct row {
        const char* schema;
        const char* value;
        bool ok;
    };
    const row rows[] = {
        {"true", "[1]", true},
        {"false", "null", false},
        {"{}", R"({"a":1})", true},
        // type
        {R"({"type":"integer"})", "3", true},
        {R"({"type":"integer"})", "3.0", true},
        {R"({"type":"integer"})", "3.5", false},
        {R"({"type":"number"})", "3.5", true},
        {R"({"type":"number"})", "\"3\"", false},
        {R"({"type":"string"})", "\"x\"", true},
        {R"({"type":"boolean"})", "false", true},
        {R"({"type":"boolean"})", "0", false},
        {R"({"type":"null"})", "null", true},
        {R"({"type":"object"})", "[]", false},
        {R"({"type":"array"})", "[]", true},
        {R"({"type":["string","null"]})", "null", true},
        {R"({"type":["string","null"]})", "1", false},
        {R"({"type":"strnig"})", "\"x\"", false}, // names no type
        {R"({"type":[]})", "1", false},
        // enum, const
        {R"({"enum":["a",1,null]})", "1.0", true},
        {R"({"enum":["a",1,null]})", "\"b\"", false},
        {R"({"enum":[{"a":[1,2]}]})", R"({"a":[1,2]})", true},
        {R"({"enum":[{"a":[1,2]}]})", R"({"a":[2,1]})", false},
        {R"({"const":{"x":1,"y":2}})", R"({"y":2,"x":1})", true},
        {R"({"const":"a"})", "\"b\"", false},
        // numbers
        {R"({"minimum":2,"maximum":4})", "2", true},
        {R"({"minimum":2,"maximum":4})", "4", true},
        {R"({"minimum":2,"maximum":4})", "4.01", false},
        {R"({"minimum":2,"maximum":4})", "1", false},
        {R"({"exclusiveMinimum":2})", "2", false},
        {R"({"exclusiveMinimum":2})", "2.001", true},
        {R"({"exclusiveMaximum":2})", "2", false},
        {R"({"minimum":2,"exclusiveMinimum":true})", "2", false}, // draft-04's form
        {R"({"maximum":2,"exclusiveMaximum":false})", "2", true},
        {R"({"multipleOf":0.01})", "12.34", true},
        {R"({"multipleOf":3})", "10", false},
        {R"({"multipleOf":0})", "0", false}, // malformed
        {R"({"minimum":"2"})", "3", false},  // malformed
        {R"({"minimum":5})", "\"3\"", true}, // numbers' keywords leave strings alone
        // strings
        {R"({"minLength":2,"maxLength":3})", "\"ab\"", true},
        {R"({"minLength":2,"maxLength":3})", "\"abcd\"", false},
        {R"({"minLength":2})", "\"\\u00e9\"", false}, // one character, two bytes
        {R"({"maxLength":2})", "\"\\u00e9\\u00e9\"", true},
        {R"({"pattern":"^a"})", "\"abc\"", false}, // not evaluated: never shown valid
        {R"({"format":"date-time"})", "\"2024-05-06T07:08:09.123Z\"", true},
        {R"({"format":"date-time"})", "\"2024-05-06T07:08:09+02:00\"", true},
        {R"({"format":"date-time"})", "\"2024-05-06 07:08:09Z\"", false},
        {R"({"format":"date-time"})", "\"2024-13-06T07:08:09Z\"", false},
        {R"({"format":"date"})", "\"2024-05-06\"", true},
        {R"({"format":"date"})", "\"2024-5-6\"", false},
        {R"({"format":"time"})", "\"07:08:09Z\"", true},
        {R"({"format":"time"})", "\"25:08:09Z\"", false},
        {R"({"format":"email"})", "\"a.b@example.com\"", true},
        {R"({"format":"email"})", "\"a@b@example.com\"", false},
        {R"({"format":"email"})", "\"ab example.com\"", false},
        {R"({"format":"uri"})", "\"https://example.com/x\"", true},
        {R"({"format":"uri"})", "\"/relative/path\"", false},
        {R"({"format":"uuid"})", "\"123e4567-e89b-42d3-a456-426614174000\"", true},
        {R"({"format":"uuid"})", "\"123e4567e89b42d3a456426614174000\"", false},
        {R"({"format":"whatever"})", "\"anything\"", true},
        // arrays
        {R"({"items":{"type":"integer"}})", "[1,2]", true},
        {R"({"items":{"type":"integer"}})", "[1,\"2\"]", false},
        {R"({"items":[{"type":"string"},{"type":"integer"}]})", "[\"a\",1,true]", true},
        {R"({"items":[{"type":"string"}],"additionalItems":false})", "[\"a\",1]", false},
        {R"({"items":[{"type":"string"}],"additionalItems":{"type":"integer"}})", "[\"a\",1]", true},
        {R"({"minItems":2})", "[1]", false},
        {R"({"maxItems":1})", "[1,2]", false},
        {R"({"uniqueItems":true})", "[1,1.0]", false},
        {R"({"uniqueItems":true})", "[1,2]", true},
        {R"({"contains":{"const":3}})", "[1,3]", true},
        {R"({"contains":{"const":3}})", "[]", false},
        // objects
        {R"({"required":["a"]})", R"({"a":null})", true},
        {R"({"required":["a"]})", R"({"b":1})", false},
        {R"({"properties":{"a":{"type":"string"}}})", R"({"a":1})", false},
        {R"({"properties":{"a":{"type":"string"}},"additionalProperties":false})", R"({"a":"x","b":1})",
         false},
        {R"({"additionalProperties":{"type":"integer"}})", R"({"a":1,"b":2})", true},
        {R"({"minProperties":2})", R"({"a":1})", false},
        {R"({"maxProperties":1})", R"({"a":1,"b":2})", false},
        {R"({"dependencies":{"a":["b"]}})", R"({"a":1})", false},
        {R"({"dependencies":{"a":["b"]}})", R"({"b":1})", true},
        {R"({"dependencies":{"a":{"required":["c"]}}})", R"({"a":1,"c":2})", true},
        {R"({"propertyNames":{"maxLength":2}})", R"({"abc":1})", false},
        {R"({"patternProperties":{"^a":{}}})", R"({"a":1})", false}, // not evaluated
        // combinators
        {R"({"allOf":[{"minimum":1},{"maximum":3}]})", "2", true},
        {R"({"allOf":[{"minimum":1},{"maximum":3}]})", "4", false},
        {R"({"anyOf":[{"type":"string"},{"type":"integer"}]})", "4", true},
        {R"({"anyOf":[{"type":"string"},{"type":"integer"}]})", "4.5", false},
        {R"({"oneOf":[{"minimum":1},{"maximum":3}]})", "2", false}, // both match
        {R"({"oneOf":[{"minimum":1},{"maximum":3}]})", "5", true},
        {R"({"not":{"type":"string"}})", "1", true},
        {R"({"not":{"type":"string"}})", "\"a\"", false},
        {R"({"not":{"pattern":"^a"}})", "\"b\"", false}, // in doubt: not shown valid
        {R"({"oneOf":[{"pattern":"^a"},{"type":"string"}]})", "\"b\"", false},
        {R"({"if":{"type":"integer"},"then":{"minimum":10},"else":{"type":"string"}})", "12", true},
        {R"({"if":{"type":"integer"},"then":{"minimum":10},"else":{"type":"string"}})", "5", false},
        {R"({"if":{"type":"integer"},"then":{"minimum":10},"else":{"type":"string"}})", "\"s\"", true},
        {R"({"if":{"type":"integer"},"then":{"minimum":10},"else":{"type":"string"}})", "5.5", false},
        // $ref
        {R"({"definitions":{"n":{"type":"integer"}},"items":{"$ref":"#/definitions/n"}})", "[1,2]", true},
        {R"({"definitions":{"n":{"type":"integer"}},"items":{"$ref":"#/definitions/n"}})", "[1,\"x\"]",
         false},
        {R"({"$defs":{"a/b":{"const":1}},"$ref":"#/$defs/a~1b"})", "1", true},
        {R"({"$ref":"#/definitions/missing"})", "1", false},
        {R"({"$ref":"other.json#/x"})", "1", false},
        {R"({"type":"object","properties":{"next":{"$ref":"#"}}})", R"({"next":{"next":{}}})", true},
        {R"({"type":"object","properties":{"next":{"$ref":"#"}}})", R"({"next":{"next":5}})", false},
    };
    for (const auto& r : rows) {
        INFO(r.schema, "  against  ", r.value);
        CHECK(accepts(r.schema, r.value) == r.ok);
    }
}

TEST_CASE("schema check: a $ref loop or a deep value runs out of depth or work and is not accepted")
{
    CHECK_FALSE(accepts(R"({"$ref":"#"})", "1"));
    CHECK_FALSE(accepts(
        R"({"definitions":{"a":{"$ref":"#/definitions/b"},"b":{"$ref":"#/definitions/a"}},"$ref":"#/definitions/a"})",
        "1"));
    CHECK_FALSE(accepts(R"({"not":{"$ref":"#"}})", "1")); // the loop inside a not: still not accepted
    schema_limits tiny;
    tiny.max_work = 3;
    CHECK_FALSE(schema_accepts(j(R"({"items":{"type":"integer"}})"), j("[1,2,3,4]"), tiny));
    CHECK(schema_accepts(j(R"({"items":{"type":"integer"}})"), j("[1,2]"), tiny));
}

TEST_CASE("schema sample: an invoice with lines, valid for every seed, and the same for the same seed")
{
    const auto schema = j(invoice_schema);
    std::set<std::string> distinct;
    for (std::uint64_t seed = 1; seed <= 60; ++seed) {
        const auto v = sample(schema, seed);
        const auto& o = v.as_object();
        // What the validator checks, again by hand for this shape.
        CHECK(o.at("vendor").is_string());
        CHECK(o.at("issued").as_string().size() == 24);
        const auto status = std::string(o.at("status").as_string());
        CHECK((status == "draft" || status == "sent" || status == "paid"));
        CHECK(o.at("contact").as_string().ends_with("@example.com")); // optional ones are filled too
        const auto& lines = o.at("lines").as_array();
        CHECK(!lines.empty());
        CHECK(lines.size() <= 5);
        for (const auto& l : lines) {
            CHECK(l.at("quantity").is_int64());
            CHECK(l.at("quantity").as_int64() >= 1);
            CHECK(l.at("quantity").as_int64() <= 99);
            CHECK(l.as_object().size() <= 3);
        }
        CHECK(json::serialize(*sample_schema(schema, seed)) == json::serialize(v));
        distinct.insert(json::serialize(v));
    }
    CHECK(distinct.size() > 50);
}

TEST_CASE("schema sample: every supported keyword, values valid over many seeds")
{
    const char* schemas[] = {
        R"({"type":"object"})",
        R"({"type":"object","properties":{"a":{"type":"integer","minimum":-5,"maximum":-5}},"required":["a"]})",
        R"({"type":"object","properties":{"n":{"type":"integer","exclusiveMinimum":10,"exclusiveMaximum":12}}})",
        R"({"type":"object","properties":{"x":{"type":"number","minimum":0.5,"maximum":0.75}}})",
        R"({"type":"object","properties":{"x":{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":0.001}}})",
        R"({"type":"object","properties":{"x":{"type":"number","multipleOf":0.25,"minimum":1,"maximum":2}}})",
        R"({"type":"object","properties":{"x":{"type":"integer","multipleOf":7,"minimum":1000}}})",
        R"({"type":"object","properties":{"x":{"type":"integer","multipleOf":0.5}}})",
        R"({"type":"object","properties":{"x":{"type":"integer","maximum":-1e6}}})",
        R"({"type":"object","properties":{"s":{"type":"string","minLength":30,"maxLength":30}}})",
        R"({"type":"object","properties":{"s":{"type":"string","maxLength":0}}})",
        R"({"type":"object","properties":{"d":{"format":"date"},"t":{"format":"time"},"u":{"format":"uri"},"i":{"format":"uuid"}}})",
        R"({"type":"object","properties":{"h":{"format":"hostname"},"ip":{"format":"ipv4"}}})",
        R"({"type":"object","properties":{"b":{"type":"boolean"},"z":{"type":"null"},"e":{}}})",
        R"({"type":"object","properties":{"t":{"type":["integer","string","null"]}}})",
        R"({"type":"object","properties":{"c":{"const":{"fixed":[1,2]}}}})",
        R"({"type":"object","properties":{"e":{"type":"integer","enum":["a",5,6.5,7]}}})",
        R"({"type":"object","properties":{"a":{"type":"array","items":{"type":"integer"},"minItems":4,"maxItems":4,"uniqueItems":true}}})",
        R"({"type":"object","properties":{"a":{"type":"array","items":{"enum":[1,2,3]},"minItems":3,"uniqueItems":true}}})",
        R"({"type":"object","properties":{"t":{"type":"array","items":[{"type":"string"},{"type":"integer"}],"additionalItems":false}}})",
        R"({"type":"object","properties":{"t":{"type":"array","items":[{"type":"string"}],"minItems":3,"additionalItems":{"type":"boolean"}}}})",
        R"({"type":"object","properties":{"c":{"type":"array","items":{"type":"integer","maximum":5},"contains":{"const":5}}}})",
        R"({"type":"object","minProperties":4,"properties":{"a":{"type":"string"}}})",
        R"({"type":"object","maxProperties":1,"properties":{"a":{},"b":{},"c":{}},"required":["b"]})",
        R"({"type":"object","required":["free"],"additionalProperties":{"type":"integer"}})",
        R"({"type":"object","properties":{"a":{},"b":{}},"dependencies":{"a":["c"]},"additionalProperties":{"type":"string"}})",
        R"({"type":"object","propertyNames":{"maxLength":5},"properties":{"short":{},"toolongname":{}}})",
        R"({"type":"object","properties":{"v":{"anyOf":[{"type":"string","maxLength":0},{"type":"integer"}]}}})",
        R"({"type":"object","properties":{"v":{"oneOf":[{"type":"integer"},{"type":"number","minimum":0}]}}})",
        R"({"type":"object","properties":{"v":{"type":"integer","not":{"minimum":0}}}})",
        R"({"type":"object","properties":{"v":{"if":{"type":"integer"},"then":{"minimum":10},"else":{"type":"string"}}}})",
        R"({"type":"object","allOf":[{"$ref":"#/definitions/base"},{"properties":{"extra":{"type":"integer"}},"required":["extra"]}],
            "definitions":{"base":{"properties":{"id":{"type":"string"}},"required":["id"]}}})",
        R"({"$ref":"#/definitions/node","definitions":{"node":{"type":"object","required":["name"],
            "properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#/definitions/node"}}}}}})",
        R"({"type":"object","properties":{"x":{"$ref":"#/$defs/x"}},"$defs":{"x":{"type":"string","format":"email"}}})",
    };
    for (const char* text : schemas) {
        const auto schema = j(text);
        for (std::uint64_t seed = 1; seed <= 25; ++seed)
            CHECK(sample(schema, seed).is_object());
    }
}

TEST_CASE("schema sample: what it cannot meet gives nothing, and the simulator's text {}")
{
    const char* schemas[] = {
        "false",
        R"({"type":"object","required":["a"],"properties":{"a":false}})",
        R"({"type":"object","required":["a"],"additionalProperties":false})",
        R"({"type":"object","properties":{"a":{"minimum":2,"maximum":1}},"required":["a"]})",
        R"({"type":"object","properties":{"a":{"type":"integer","exclusiveMinimum":1,"exclusiveMaximum":2}},"required":["a"]})",
        R"({"type":"object","properties":{"a":{"type":"integer","minimum":1e300}},"required":["a"]})",
        R"({"type":"object","properties":{"a":{"type":"string","minLength":5,"maxLength":4}},"required":["a"]})",
        R"({"type":"object","properties":{"a":{"type":"string","minLength":100000}},"required":["a"]})",
        R"({"type":"object","properties":{"a":{"type":"string","format":"email","maxLength":3}},"required":["a"]})",
        R"({"type":"object","properties":{"a":{"type":"string","pattern":"^[A-Z]{3}$"}},"required":["a"]})",
        R"({"type":"object","properties":{"a":{"type":"array","minItems":100000}},"required":["a"]})",
        R"({"type":"object","properties":{"a":{"type":"array","items":{"enum":[1,2]},"minItems":3,"uniqueItems":true}},"required":["a"]})",
        R"({"type":"object","properties":{"a":{"enum":[]}},"required":["a"]})",
        R"({"type":"object","properties":{"a":{"type":"integer","enum":["x"]}},"required":["a"]})",
        R"({"type":"object","properties":{"a":{"$ref":"#/nowhere"}},"required":["a"]})",
        R"({"type":"object","properties":{"a":{"not":{}}},"required":["a"]})",
        R"({"type":"object","minProperties":3,"additionalProperties":false,"properties":{"a":{}}})",
        R"({"type":"object","maxProperties":1,"required":["a","b"]})",
        R"({"type":"object","patternProperties":{"^x":{}}})",
        R"({"type":"stirng"})",
        R"({"type":"object","required":"a"})",
        R"({"$ref":"#"})",
        // every node needs a child: the depth bound ends it
        R"({"type":"object","required":["c"],"properties":{"c":{"$ref":"#"}}})",
    };
    for (const char* text : schemas) {
        INFO(text);
        const auto schema = j(text);
        CHECK_FALSE(sample_schema(schema, 7));
        bool fallback = false;
        CHECK(structured_output_text(schema, 7, fallback) == "{}");
        CHECK(fallback);
    }
    // A root that is not an object: a value, but the simulator's answer is {}.
    for (const char* text : {R"({"type":"array"})", R"({"type":"string"})", "true", R"({"enum":[1]})"}) {
        INFO(text);
        CHECK(sample_schema(j(text), 7));
        bool fallback = false;
        CHECK(structured_output_text(j(text), 7, fallback) == "{}");
        CHECK(fallback);
    }
    bool fallback = true;
    const auto text = structured_output_text(j(invoice_schema), 7, fallback);
    CHECK_FALSE(fallback);
    CHECK(schema_accepts(j(invoice_schema), j(text)));
}

TEST_CASE("schema sample: a recursive schema ends, optional branches stop at half the depth")
{
    const auto tree = j(R"({"type":"object","required":["name"],"properties":{
        "name":{"type":"string"},"kids":{"type":"array","minItems":1,"maxItems":1,"items":{"$ref":"#"}}}})");
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
        const auto v = sample(tree, seed);
        int depth = 0;
        for (const json::value* at = &v; at->as_object().contains("kids"); at = &at->at("kids").at(0))
            ++depth;
        CHECK(depth >= 2);
        CHECK(depth <= schema_limits{}.max_depth / 2);
    }
}

TEST_CASE("schema sample: the bounds hold whatever the schema asks")
{
    // Wide and deep: many elements of many elements, within max_nodes.
    const auto wide = j(R"({"type":"object","required":["a"],"properties":{"a":{"type":"array","minItems":200,
        "items":{"type":"array","minItems":200,"items":{"type":"integer"}}}}})");
    CHECK_FALSE(sample_schema(wide, 1)); // 40,000 values: past max_nodes
    schema_limits roomy;
    roomy.max_nodes = 50'000;
    roomy.max_work = 1'000'000;
    const auto big = sample_schema(wide, 1, roomy);
    REQUIRE(big);
    CHECK(big->at("a").as_array().size() == 200);

    // Alternatives within alternatives, 3^20 ways none of which can be met:
    // the work budget ends the search.
    json::object defs;
    for (int i = 0; i < 20; ++i) {
        const json::value next = {{"$ref", "#/definitions/a" + std::to_string(i + 1)}};
        defs["a" + std::to_string(i)] = {{"anyOf", json::array{next, next, next}}};
    }
    defs["a20"] = {{"type", "integer"}, {"minimum", 1}, {"maximum", 0}};
    json::value deep = {{"type", "object"},
                        {"required", json::array{"x"}},
                        {"properties", {{"x", {{"$ref", "#/definitions/a0"}}}}},
                        {"definitions", defs}};
    CHECK_FALSE(sample_schema(deep, 1));
    schema_limits short_work;
    short_work.max_depth = 100; // the depth bound out of the way: work alone
    CHECK_FALSE(sample_schema(deep, 1, short_work));
}

TEST_CASE("schema sample: a unique array takes each enum value or boolean once")
{
    const auto letters = j(R"({"type":"object","required":["a"],"properties":{"a":{"type":"array",
        "items":{"enum":["x","y","z"]},"minItems":3,"maxItems":3,"uniqueItems":true}}})");
    const auto flags = j(R"({"type":"object","required":["f"],"properties":{"f":{"type":"array",
        "items":{"type":"boolean"},"minItems":2,"uniqueItems":true}}})");
    for (std::uint64_t seed = 1; seed <= 30; ++seed) {
        CHECK(sample(letters, seed).at("a").as_array().size() == 3);
        CHECK(sample(flags, seed).at("f").as_array().size() == 2);
    }
}

TEST_CASE("schema sample: a number JSON cannot carry is never generated")
{
    // (Boost.JSON reads 11e308 as infinity; so may a simulator reading a client's schema.)
    const auto schema = j(R"({"type":"object","required":["e","c"],"properties":{"e":{"enum":[11e308,2]},
        "c":{"anyOf":[{"const":{"x":[-11e308]}},{"const":3}]}}})");
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
        const auto v = sample(schema, seed);
        CHECK(v.at("e") == 2);
        CHECK(v.at("c") == 3);
    }
    CHECK_FALSE(schema_accepts(j("{}"), j("11e308")));
    CHECK_FALSE(
        sample_schema(j(R"({"type":"object","required":["a"],"properties":{"a":{"const":11e308}}})"), 1));
}
