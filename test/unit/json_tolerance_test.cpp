// Issue 11, defect 3: one unexpected null must not fail a whole response.
//
// For every model, every key of a full sample document is taken in turn and
// set to null, then removed (the keys come from walking the document, so a
// field added to a sample is covered without touching this file):
//  - a strict field (the short list below) must fail with invalid_response
//    and a message naming its path; so must a value of the wrong type;
//  - any other key must read, the model must say which it got (`presence`:
//    null or absent), and what the library writes of the model must be the
//    document as it came (the key null, or left out);
//  - a value of the wrong type in any field fails with "<full path>:
//    expected <kind>, got <kind>", indices included; inside JSON kept as
//    JSON, a number out of range fails with its full path.
#include "json_samples.hpp"

#include "json/reader.hpp"

#include <handinger/error.hpp>
#include <handinger/json.hpp>

#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

using namespace handinger;
namespace json = boost::json;

namespace {

// One step of a path into a document: a key or an array index.
struct step {
    std::string key;
    std::size_t index = 0;
    bool is_index = false;
};
using path = std::vector<step>;
using steps = std::span<const step>;

// As the reader names a path: "task.totals.credits", "turns[0].files[1].size".
std::string display(steps p)
{
    std::string s;
    for (const auto& st : p) {
        if (st.is_index) {
            s += '[' + std::to_string(st.index) + ']';
        } else {
            if (!s.empty())
                s += '.';
            s += st.key;
        }
    }
    return s;
}

// The same with every index left out ("turns[].seq"): what the strict list names.
std::string pattern(steps p)
{
    std::string s;
    for (const auto& st : p) {
        if (st.is_index) {
            s += "[]";
        } else {
            if (!s.empty())
                s += '.';
            s += st.key;
        }
    }
    return s;
}

// Every key of the document, depth first: the path to each object member.
void collect(const json::value& v, path& at, std::vector<path>& out)
{
    if (const auto* o = v.if_object()) {
        for (const auto& kv : *o) {
            at.push_back({std::string(kv.key()), 0, false});
            out.push_back(at);
            collect(kv.value(), at, out);
            at.pop_back();
        }
    } else if (const auto* a = v.if_array()) {
        for (std::size_t i = 0; i < a->size(); ++i) {
            at.push_back({{}, i, true});
            collect((*a)[i], at, out);
            at.pop_back();
        }
    }
}

// The object holding the last key of p.
json::object& parent_of(json::value& root, steps p)
{
    json::value* v = &root;
    for (std::size_t i = 0; i + 1 < p.size(); ++i)
        v = p[i].is_index ? &v->as_array().at(p[i].index) : &v->as_object().at(p[i].key);
    return v->as_object();
}

json::value parse_exact(std::string_view text)
{
    json::value v;
    std::string what;
    REQUIRE_MESSAGE(detail::parse_text(text, v, what), what);
    return v;
}

// What the reader calls a value of this kind in "expected ...".
std::string expected_kind(const json::value& v)
{
    switch (v.kind()) {
    case json::kind::string: return "string";
    case json::kind::int64:
    case json::kind::uint64: return "integer";
    case json::kind::double_: return "number";
    case json::kind::bool_: return "boolean";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
    default: return "?";
    }
}

// A value of another kind than v, and how the reader names it.
std::pair<json::value, std::string> wrong_value(const json::value& v)
{
    if (v.is_string())
        return {json::value(true), "boolean"};
    if (v.is_object())
        return {json::value(json::array{1}), "array"};
    return {json::value("x"), "string"};
}

// ---- The state a parsed model reports for the key at a path. ----

// What the key at a path is, as far as the models go.
struct lookup {
    enum { state, free_json, not_a_field } kind = not_a_field;
    field_state st = field_state::value;
};

template <class M>
lookup own(const M& m, std::string_view key)
{
    for (std::size_t i = 0; i < M::field_names.size(); ++i)
        if (M::field_names[i] == key)
            return {lookup::state, m.presence[static_cast<typename M::field>(i)]};
    return {};
}

lookup free_json()
{
    return {lookup::free_json};
}

// p[0] must be a key, p[1] (when present) an index into an array of models.
template <class M, class Child>
lookup into_array(const M& m, steps p, const std::vector<Child>& items);

lookup resolve(const task_totals& m, steps p)
{
    return p.size() == 1 ? own(m, p[0].key) : lookup{};
}

lookup resolve(const turn_file& m, steps p)
{
    return p.size() == 1 ? own(m, p[0].key) : lookup{};
}

lookup resolve(const run_usage& m, steps p)
{
    return p.size() == 1 ? own(m, p[0].key) : lookup{};
}

lookup resolve(const run_content& m, steps p)
{
    return p.size() == 1 ? own(m, p[0].key) : lookup{};
}

lookup resolve(const run_message& m, steps p)
{
    if (p[0].key == "content")
        return into_array(m, p, m.content);
    return p.size() == 1 ? own(m, p[0].key) : lookup{};
}

lookup resolve(const task& m, steps p)
{
    if (p.size() > 1 && p[0].key == "totals")
        return resolve(m.totals, p.subspan(1));
    return p.size() == 1 ? own(m, p[0].key) : lookup{};
}

lookup resolve(const turn& m, steps p)
{
    if (p[0].key == "structuredOutput" && p.size() > 1)
        return free_json();
    if (p[0].key == "files")
        return into_array(m, p, m.files);
    return p.size() == 1 ? own(m, p[0].key) : lookup{};
}

lookup resolve(const task_with_turns& m, steps p)
{
    if (p[0].key == "task" && p.size() > 1)
        return resolve(m.task, p.subspan(1));
    if (p[0].key == "turns")
        return into_array(m, p, m.turns);
    return p.size() == 1 ? own(m, p[0].key) : lookup{};
}

lookup resolve(const task_turn_list& m, steps p)
{
    if (p[0].key == "items" && p.size() > 1)
        return resolve(m.items.at(p[1].index), p.subspan(2));
    return p.size() == 1 ? own(m, p[0].key) : lookup{};
}

lookup resolve(const delete_task_response& m, steps p)
{
    return p.size() == 1 ? own(m, p[0].key) : lookup{};
}

lookup resolve(const run_result& m, steps p)
{
    static const std::set<std::string> kept_as_json{"structured_output", "sources", "messages",
                                                    "metadata",          "error",   "incomplete_details"};
    if (p.size() > 1 && kept_as_json.count(p[0].key))
        return free_json();
    if (p[0].key == "output")
        return into_array(m, p, m.output);
    if (p[0].key == "files")
        return into_array(m, p, m.files);
    if (p[0].key == "usage" && p.size() > 1)
        return resolve(m.usage, p.subspan(1));
    return p.size() == 1 ? own(m, p[0].key) : lookup{};
}

template <class M, class Child>
lookup into_array(const M& m, steps p, const std::vector<Child>& items)
{
    if (p.size() == 1)
        return own(m, p[0].key);
    if (p.size() == 2) // the array's elements are not keys
        return {};
    return resolve(items.at(p[1].index), p.subspan(2));
}

// ---- The check itself. ----

template <class M>
M parse_ok(const std::string& text)
{
    M out;
    boost::system::error_code ec;
    std::string what;
    parse_json(text, out, ec, what);
    REQUIRE_MESSAGE(!ec, what);
    return out;
}

/// Every key of `sample` null and removed in turn, read as M, and given a
/// value of the wrong type. `strict` names the strict fields by pattern
/// ("turns[].seq"); each must occur in the sample. `any_json` names the
/// fields typed "any JSON value" (no wrong type). Returns the patterns of the
/// model fields met (for the coverage check).
template <class M>
std::set<std::string> check_every_field(std::string_view sample, const std::set<std::string>& strict,
                                        const std::set<std::string>& any_json = {})
{
    json::value doc = parse_exact(sample);
    std::vector<path> keys;
    path at;
    collect(doc, at, keys);
    REQUIRE(!keys.empty());

    // As it came, every model field reports a value (where it is not null).
    const M original = parse_ok<M>(std::string(sample));
    std::set<std::string> strict_met, fields_met, typed_met;
    for (const auto& k : keys) {
        const std::string name = display(k);
        const std::string pat = pattern(k);
        CAPTURE(name);
        const json::value& was = parent_of(doc, k).at(k.back().key);

        if (strict.count(pat)) {
            strict_met.insert(pat);
            fields_met.insert(pat);
            const std::string kind = expected_kind(was);
            json::value nulled = doc;
            parent_of(nulled, k)[k.back().key] = nullptr;
            CHECK(test::parse_error<M>(json::serialize(nulled)) ==
                  name + ": expected " + kind + ", got null");
            json::value removed = doc;
            parent_of(removed, k).erase(k.back().key);
            CHECK(test::parse_error<M>(json::serialize(removed)) == name + ": missing");
            auto [bad, bad_kind] = wrong_value(was);
            json::value wrong = doc;
            parent_of(wrong, k)[k.back().key] = bad;
            CHECK(test::parse_error<M>(json::serialize(wrong)) ==
                  name + ": expected " + kind + ", got " + bad_kind);
            typed_met.insert(pat);
            continue;
        }

        const lookup before = resolve(original, k);
        if (before.kind == lookup::state) {
            fields_met.insert(pat);
            CHECK(before.st == (was.is_null() ? field_state::null : field_state::value));
        } else {
            // Not a field of a model: a key inside JSON kept as JSON.
            REQUIRE_MESSAGE(before.kind == lookup::free_json,
                            name << " is neither a strict field nor in its model's field_names");
        }

        // A value of the wrong type in a tolerant field fails too, naming
        // the full path, indices included ("turns[1].files[0].size").
        if (!was.is_null() && !any_json.count(pat)) {
            auto [bad, bad_kind] = wrong_value(was);
            json::value wrong = doc;
            parent_of(wrong, k)[k.back().key] = bad;
            const std::string got = test::parse_error<M>(json::serialize(wrong));
            if (before.kind == lookup::state) {
                CHECK(got == name + ": expected " + expected_kind(was) + ", got " + bad_kind);
                typed_met.insert(pat);
            } else {
                // Inside JSON kept as JSON any value goes, but a number out
                // of a double's range, which is refused with its path too.
                CHECK(got.empty());
                json::value big = doc;
                parent_of(big, k)[k.back().key] = "@big@";
                std::string text = json::serialize(big);
                text.replace(text.find("\"@big@\""), 7, "1e400");
                CHECK(test::parse_error<M>(text) == name + ": number out of range");
            }
        }

        for (const bool remove : {false, true}) {
            CAPTURE(remove);
            json::value changed = doc;
            if (remove)
                parent_of(changed, k).erase(k.back().key);
            else
                parent_of(changed, k)[k.back().key] = nullptr;
            const M m = parse_ok<M>(json::serialize(changed));
            // Nothing else moved: the values read are those of the original,
            // but for the one key.
            if (before.kind == lookup::state) {
                const lookup now = resolve(m, k);
                REQUIRE(now.kind == lookup::state);
                CHECK(now.st == (remove ? field_state::absent : field_state::null));
            }
            // The model holds what came: written, it is the changed document.
            CHECK(parse_exact(to_json_string(m)) == changed);
        }
    }
    for (const auto& s : strict) {
        CAPTURE(s);
        CHECK(strict_met.count(s)); // the strict list names fields of the sample
    }
    for (const auto& f : fields_met) {
        CAPTURE(f);
        CHECK((typed_met.count(f) || any_json.count(f))); // each field met a wrong type somewhere
    }
    return fields_met;
}

// Every name of M's field_names occurs in `met` under `prefix` ("turns[].").
template <class M>
void check_covers(const std::set<std::string>& met, const std::string& prefix)
{
    for (auto name : M::field_names) {
        CAPTURE(prefix);
        CAPTURE(name);
        CHECK(met.count(prefix + std::string(name)));
    }
}

json::value sub(std::string_view text, std::initializer_list<const char*> keys)
{
    json::value v = parse_exact(text);
    for (const char* k : keys) {
        if (v.is_array())
            v = json::value(v.as_array().at(std::stoul(k)));
        else
            v = json::value(v.as_object().at(k));
    }
    return v;
}

// The strict fields: what the library's logic depends on.
const std::set<std::string> task_strict{"id", "status"};
const std::set<std::string> turn_strict{"id", "seq", "status"};

} // namespace

TEST_CASE("tolerance: task_with_turns - every field null and absent, strict ones fail with their path, wrong "
          "types fail with theirs")
{
    auto met = check_every_field<task_with_turns>(
        test::task_with_turns_json,
        {"task", "task.id", "task.status", "turns[].id", "turns[].seq", "turns[].status"});
    check_covers<task_with_turns>(met, "");
    check_covers<task>(met, "task.");
    check_covers<task_totals>(met, "task.totals.");
    check_covers<turn>(met, "turns[].");
    check_covers<turn_file>(met, "turns[].files[].");
}

TEST_CASE(
    "tolerance: task_turn_list - every field null and absent, strict ones fail with their path, wrong types "
    "fail with theirs")
{
    auto met = check_every_field<task_turn_list>(test::task_turn_list_json,
                                                 {"items", "items[].id", "items[].seq", "items[].status"});
    check_covers<task_turn_list>(met, "");
    check_covers<turn>(met, "items[].");
    check_covers<turn_file>(met, "items[].files[].");
}

TEST_CASE("tolerance: run_result - every field null and absent, wrong types fail with their path")
{
    auto met = check_every_field<run_result>(test::run_result_json, {}, {"error", "incomplete_details"});
    check_covers<run_result>(met, "");
    check_covers<run_message>(met, "output[].");
    check_covers<run_content>(met, "output[].content[].");
    check_covers<turn_file>(met, "files[].");
    check_covers<run_usage>(met, "usage.");
}

TEST_CASE("tolerance: delete_task_response - archived null, absent and of the wrong type")
{
    auto met = check_every_field<delete_task_response>(test::delete_task_response_json, {});
    check_covers<delete_task_response>(met, "");
}

TEST_CASE("tolerance: each nested model read on its own")
{
    const auto tw = test::task_with_turns_json;
    auto one = [](const json::value& v) { return json::serialize(v); };
    check_covers<task>(check_every_field<task>(one(sub(tw, {"task"})), task_strict), "");
    check_covers<task_totals>(check_every_field<task_totals>(one(sub(tw, {"task", "totals"})), {}), "");
    check_covers<turn>(check_every_field<turn>(one(sub(tw, {"turns", "0"})), turn_strict), "");
    check_covers<turn_file>(check_every_field<turn_file>(one(sub(tw, {"turns", "0", "files", "0"})), {}), "");
    const auto run = test::run_result_json;
    check_covers<run_message>(check_every_field<run_message>(one(sub(run, {"output", "0"})), {}), "");
    check_covers<run_content>(
        check_every_field<run_content>(one(sub(run, {"output", "0", "content", "0"})), {}), "");
    check_covers<run_usage>(check_every_field<run_usage>(one(sub(run, {"usage"})), {}), "");
}

TEST_CASE("tolerance: a null or absent field holds its unset value, and the model says which")
{
    auto t = parse_json<task_with_turns>(
        R"({"task":{"id":"t","status":"running","title":null,"totals":null,"triggeredBy":null},)"
        R"("turns":[{"id":"u","seq":1,"status":"running","outputText":null,"files":null}]})");
    CHECK(t.task.title.empty());
    CHECK(t.task.presence[task::field::title] == field_state::null);
    CHECK(t.task.presence.is_absent(task::field::url));
    CHECK(t.task.presence.has_value(task::field::title) == false);
    CHECK_FALSE(t.task.presence.all_values());
    CHECK(t.task.totals == task_totals{});
    CHECK(t.task.presence.is_null(task::field::totals));
    // An enum the service did not give is unknown, not its first value.
    CHECK(t.task.triggered_by == task_trigger::unknown);
    CHECK(t.task.triggered_by.str().empty());
    const turn& u = t.turns.at(0);
    CHECK(u.output_text.empty());
    CHECK(u.presence.is_null(turn::field::output_text));
    CHECK(u.presence.is_null(turn::field::files));
    CHECK(u.presence.is_absent(turn::field::input));
    CHECK(t.has_turns);

    // The raw JSON keeps what came.
    CHECK(t.raw.at("task").at("title").is_null());

    // A model built in code says "value" for everything, and writes as before.
    task built;
    CHECK(built.presence.all_values());
    CHECK(to_json_string(built).find("\"title\":\"\"") != std::string::npos);

    // A value assigned after reading is written, whatever the state says.
    t.task.title = "named later";
    CHECK(to_json_string(t.task).find("\"title\":\"named later\"") != std::string::npos);

    // A null turns array is as if there were none: the client asks /turns.
    auto n = parse_json<task_with_turns>(R"({"task":{"id":"t","status":"running"},"turns":null})");
    CHECK_FALSE(n.has_turns);
    CHECK(n.presence.is_null(task_with_turns::field::turns));
    auto a = parse_json<task_with_turns>(R"({"task":{"id":"t","status":"running"}})");
    CHECK_FALSE(a.has_turns);
    CHECK(a.presence.is_absent(task_with_turns::field::turns));

    // archived: null is not false.
    auto d = parse_json<delete_task_response>(R"({"archived":null})");
    CHECK_FALSE(d.archived);
    CHECK(d.presence.is_null(delete_task_response::field::archived));
    CHECK(parse_json<delete_task_response>(R"({"archived":false})").presence.all_values());
}

TEST_CASE("tolerance: presence takes no part in equality")
{
    auto a = parse_json<task_with_turns>(R"({"task":{"id":"t","status":"running","title":null}})");
    auto b = parse_json<task_with_turns>(R"({"task":{"id":"t","status":"running","title":""}})");
    CHECK(a.task.presence != b.task.presence);
    CHECK(a.task.title == b.task.title);
    // triggeredBy is absent in both, so both read as unknown("").
    CHECK(a == b);
}
