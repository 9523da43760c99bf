// The Workers models without sockets: validation of every limit at its
// bound and one past it, the create and update bodies (only the fields
// given, null clears), and the lenient reading of the answers.
#include "json/write_workers.hpp"

#include <handinger/error.hpp>
#include <handinger/json.hpp>
#include <handinger/worker_models.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <doctest/doctest.h>

#include <limits>
#include <string>

using namespace handinger;

namespace {

// `n` characters of `ch` (one UTF-8 character, of any byte length).
std::string chars(std::size_t n, std::string_view ch = "a")
{
    std::string s;
    for (std::size_t i = 0; i < n; ++i)
        s += ch;
    return s;
}

template <class Params>
std::string value_text(const Params& p)
{
    return boost::json::serialize(boost::json::value_from(p));
}

} // namespace

TEST_CASE("workers validate: nothing given is a valid create and a valid update")
{
    CHECK(validate(create_worker_params{}).empty());
    CHECK(validate(update_worker_params{}).empty());
}

TEST_CASE("workers validate: each length limit at its bound and one past it")
{
    struct limit {
        std::string_view name;
        std::optional<std::string> create_worker_params::*field;
        std::size_t max;
    };
    const limit limits[] = {
        {"instructions", &create_worker_params::instructions, 20'000},
        {"prompt", &create_worker_params::prompt, 10'000},
        {"summary", &create_worker_params::summary, 80},
        {"title", &create_worker_params::title, 200},
    };
    for (const auto& l : limits) {
        INFO(l.name);
        // Characters, not bytes: "é" is two bytes, "🚀" four.
        for (std::string_view ch : {"a", "\xc3\xa9", "\xf0\x9f\x9a\x80"}) {
            create_worker_params p;
            p.*l.field = chars(l.max, ch);
            CHECK(validate(p).empty());
            p.*l.field = chars(l.max + 1, ch);
            CHECK(validate(p) == std::string(l.name) + ": must be at most " + std::to_string(l.max) +
                                     " characters (got " + std::to_string(l.max + 1) + ")");
        }
    }
}

TEST_CASE("workers validate: the same limits on an update, which has no prompt")
{
    update_worker_params u;
    u.instructions = chars(20'000);
    u.summary = chars(80);
    u.title = chars(200);
    CHECK(validate(u).empty());
    u.instructions = chars(20'001);
    CHECK(validate(u) == "instructions: must be at most 20000 characters (got 20001)");
    u.instructions.reset();
    u.summary = chars(81);
    CHECK(validate(u) == "summary: must be at most 80 characters (got 81)");
    u.summary.reset();
    u.title = chars(201);
    CHECK(validate(u) == "title: must be at most 200 characters (got 201)");
    u.title = "";
    CHECK(validate(u) == "title: must be at least 1 character");
    u.title = "x";
    CHECK(validate(u).empty());
}

TEST_CASE("workers validate: a title needs at least one character, other texts may be empty")
{
    create_worker_params p;
    p.title = "";
    CHECK(validate(p) == "title: must be at least 1 character");
    p.title = "x";
    p.instructions = p.prompt = p.summary = "";
    CHECK(validate(p).empty());
}

TEST_CASE("workers validate: visibility must be public or private, an unknown value is not sent")
{
    create_worker_params p;
    for (auto v : {worker_visibility::public_, worker_visibility::private_}) {
        p.visibility = v;
        CHECK(validate(p).empty());
    }
    p.visibility = open_enum<worker_visibility>::from_string("secret");
    CHECK(validate(p) == R"(visibility: must be one of public, private (got "secret"))");
    p.visibility = open_enum<worker_visibility>::from_string("Public"); // case matters
    CHECK(validate(p) == R"(visibility: must be one of public, private (got "Public"))");
    update_worker_params u;
    u.visibility = open_enum<worker_visibility>::from_string("");
    CHECK(validate(u) == R"(visibility: must be one of public, private (got ""))");
}

TEST_CASE("workers validate: text must be UTF-8, and the schema's numbers finite")
{
    create_worker_params p;
    p.summary = "\xc3\x28";
    CHECK(validate(p) == "summary: must be valid UTF-8");
    p.summary.reset();
    p.output_schema = boost::json::object{{"type", "object"}, {"maximum", 1.5}};
    CHECK(validate(p).empty());
    (*p.output_schema)["x"] = boost::json::array{1, std::numeric_limits<double>::infinity()};
    CHECK(validate(p) == "outputSchema: numbers must be finite");
    update_worker_params u;
    u.output_schema = boost::json::object{{"n", std::numeric_limits<double>::quiet_NaN()}};
    CHECK(validate(u) == "outputSchema: numbers must be finite");
    u.output_schema = nullptr;
    CHECK(validate(u).empty());
}

TEST_CASE("workers validate: the first problem in wire order wins")
{
    create_worker_params p;
    p.title = "";
    p.summary = chars(81);
    p.prompt = chars(10'001);
    CHECK(validate(p) == "prompt: must be at most 10000 characters (got 10001)");
    p.prompt.reset();
    CHECK(validate(p) == "summary: must be at most 80 characters (got 81)");
}

TEST_CASE("nullable_update: unchanged by default, set by a value, cleared by nullptr")
{
    nullable_update<boost::json::object> u;
    CHECK(u.is_unchanged());
    CHECK(u.get() == nullptr);
    u = boost::json::object{{"type", "string"}};
    CHECK(u.is_set());
    CHECK(u.value().at("type") == "string");
    u = nullptr;
    CHECK(u.is_cleared());
    CHECK(u.get() == nullptr);
    u = {};
    CHECK(u.which() == nullable_update<boost::json::object>::state::unchanged);
    CHECK(nullable_update<int>(nullptr) != nullable_update<int>());
    CHECK(nullable_update<int>(3) == nullable_update<int>(3));
}

TEST_CASE("workers json: a create body carries the fields given, in wire order")
{
    create_worker_params p;
    CHECK(detail::create_worker_body(p) == "{}");
    p.title = "Daily \"news\"";
    p.visibility = worker_visibility::private_;
    CHECK(detail::create_worker_body(p) == R"({"title":"Daily \"news\"","visibility":"private"})");
    p.instructions = "Summarise.\n";
    p.prompt = "be brief";
    p.output_schema = boost::json::object{{"type", "object"}, {"properties", boost::json::object{}}};
    p.summary = "news";
    const std::string body = detail::create_worker_body(p);
    CHECK(body == R"({"instructions":"Summarise.\n","prompt":"be brief",)"
                  R"("outputSchema":{"type":"object","properties":{}},"summary":"news",)"
                  R"("title":"Daily \"news\"","visibility":"private"})");
    // The text written is the serializer's for value_from, byte for byte.
    CHECK(body == value_text(p));
    CHECK(to_json_string(p) == body);
}

TEST_CASE("workers json: an update body sends only what changes, null clears the schema")
{
    update_worker_params u;
    CHECK(detail::update_worker_body(u) == "{}");
    CHECK(value_text(u) == "{}");
    u.summary = "";
    CHECK(detail::update_worker_body(u) == R"({"summary":""})");
    u.output_schema = nullptr;
    CHECK(detail::update_worker_body(u) == R"({"outputSchema":null,"summary":""})");
    CHECK(value_text(u) == detail::update_worker_body(u));
    u.output_schema = boost::json::object{{"type", "array"}, {"maxItems", 3}};
    u.instructions = "x";
    u.title = "t";
    u.visibility = worker_visibility::public_;
    const std::string body = detail::update_worker_body(u);
    CHECK(body == R"({"instructions":"x","outputSchema":{"type":"array","maxItems":3},"summary":"",)"
                  R"("title":"t","visibility":"public"})");
    CHECK(value_text(u) == body);
    u.output_schema = {};
    CHECK(detail::update_worker_body(u).find("outputSchema") == std::string::npos);
}

namespace {

constexpr std::string_view full_worker =
    R"({"id":"wrk_vk81XUHKHG-qr4","createdAt":"2026-01-02T03:04:05.000Z",)"
    R"("instructions":"Do it.","organizationId":"org_1",)"
    R"("outputSchema":{"type":"object"},"summary":"s","title":"T",)"
    R"("updatedAt":null,"url":"https://handinger.com/workers/wrk_vk81XUHKHG-qr4",)"
    R"("userId":"usr_1","visibility":"private","extra":[1]})";

} // namespace

TEST_CASE("workers json: a worker reads with every field, unknown keys kept in raw")
{
    auto w = parse_json<worker_template>(full_worker);
    CHECK(w.id == "wrk_vk81XUHKHG-qr4");
    CHECK(w.created_at == "2026-01-02T03:04:05.000Z");
    CHECK(w.instructions == "Do it.");
    CHECK(w.organization_id == "org_1");
    REQUIRE(w.output_schema);
    CHECK(w.output_schema->at("type") == "object");
    CHECK(w.summary == "s");
    CHECK(w.title == "T");
    CHECK_FALSE(w.updated_at);
    CHECK(w.presence.is_null(worker_template::field::updated_at));
    CHECK(w.url == "https://handinger.com/workers/wrk_vk81XUHKHG-qr4");
    CHECK(w.user_id == "usr_1");
    CHECK(w.visibility == worker_visibility::private_);
    CHECK(w.raw.at("extra").as_array().size() == 1);
    // Written back: the same fields (the unknown key is in raw only).
    auto back = boost::json::parse(to_json_string(w)).as_object();
    auto expected = boost::json::parse(full_worker).as_object();
    expected.erase("extra");
    CHECK(back == expected);
}

TEST_CASE("workers json: nulls and missing fields read as unset, with their presence")
{
    auto w =
        parse_json<worker_template>(R"({"id":"wrk_1","outputSchema":null,"title":null,"visibility":null})");
    using F = worker_template::field;
    CHECK(w.id == "wrk_1");
    CHECK_FALSE(w.output_schema);
    CHECK(w.presence.is_null(F::output_schema));
    CHECK(w.title.empty());
    CHECK(w.presence.is_null(F::title));
    CHECK_FALSE(w.visibility.known());
    CHECK(w.visibility.str().empty());
    CHECK(w.presence.is_absent(F::created_at));
    CHECK(w.presence.is_absent(F::instructions));
    CHECK(w.presence.is_absent(F::user_id));
    // Written back as it arrived: nulls stay null, absent stays absent.
    CHECK(to_json_string(w) == R"({"id":"wrk_1","outputSchema":null,"title":null,"visibility":null})");
}

TEST_CASE("workers json: an unknown visibility read from the service is kept")
{
    auto w = parse_json<worker_template>(R"({"id":"wrk_1","visibility":"organization"})");
    CHECK(w.visibility.value() == worker_visibility::unknown);
    CHECK(w.visibility.str() == "organization");
    CHECK(to_json_string(w) == R"({"id":"wrk_1","visibility":"organization"})");
}

TEST_CASE("workers json: a value of the wrong type names its field")
{
    struct row {
        std::string_view text, what;
    };
    const row rows[] = {
        {R"({"title":"x"})", "id: missing"},
        {R"({"id":null})", "id: expected string, got null"},
        {R"({"id":"wrk_1","outputSchema":"{}"})", "outputSchema: expected object, got string"},
        {R"({"id":"wrk_1","title":5})", "title: expected string, got number"},
        {R"({"id":"wrk_1","visibility":true})", "visibility: expected string, got boolean"},
        {R"({"id":"wrk_1","createdAt":1700000000})", "createdAt: expected string, got number"},
        {R"({"id":"wrk_1","outputSchema":{"a":[1e400]}})", "outputSchema.a[0]: number out of range"},
        {R"([])", "(root): expected object, got array"},
    };
    for (const auto& r : rows) {
        INFO(r.text);
        worker_template w;
        boost::system::error_code ec;
        std::string what;
        parse_json(r.text, w, ec, what);
        CHECK(ec == error::invalid_response);
        CHECK(what == r.what);
    }
}

TEST_CASE("workers json: delete and email answers")
{
    auto d = parse_json<delete_worker_response>(R"({"deleted":true})");
    CHECK(d.deleted);
    d = parse_json<delete_worker_response>(R"({"deleted":null})");
    CHECK_FALSE(d.deleted);
    CHECK(d.presence.is_null(delete_worker_response::field::deleted));
    CHECK(to_json_string(d) == R"({"deleted":null})");
    d = parse_json<delete_worker_response>(R"({})");
    CHECK(d.presence.is_absent(delete_worker_response::field::deleted));

    auto e = parse_json<worker_email>(R"({"email":"wrk_1@in.example","more":1})");
    CHECK(e.email == "wrk_1@in.example");
    CHECK(e.raw.contains("more"));
    CHECK(to_json_string(e) == R"({"email":"wrk_1@in.example"})");
    worker_email bad;
    boost::system::error_code ec;
    std::string what;
    parse_json(R"({"email":null})", bad, ec, what);
    CHECK(what == "email: expected string, got null");
    parse_json(R"({})", bad, ec, what);
    CHECK(what == "email: missing");
}
