// The generator of schema_sample.hpp. Each subschema proposes a value from
// its own keywords (or from one of its combinators' branches) and keeps it
// only if the validator accepts it against the whole subschema, so that the
// keywords generated loosely (enum beside other keywords, not, if, oneOf,
// dependencies, propertyNames) are still met, and a value that cannot be
// found ends as "none" within the limits instead of as a wrong value.
#include "schema_walk.hpp"

#include <handinger/sim/detail/util.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace handinger::sim::detail {
namespace schema {
namespace {

// The keywords that make a schema without `type` an object's, an array's,
// a string's or a number's.
// clang-format off
constexpr std::array<std::pair<std::string_view, std::string_view>, 21> implied_type{{
    {"properties", "object"}, {"required", "object"}, {"additionalProperties", "object"},
    {"minProperties", "object"}, {"maxProperties", "object"}, {"dependencies", "object"},
    {"propertyNames", "object"}, {"items", "array"}, {"additionalItems", "array"}, {"minItems", "array"},
    {"maxItems", "array"}, {"uniqueItems", "array"}, {"contains", "array"}, {"minLength", "string"},
    {"maxLength", "string"}, {"format", "string"}, {"minimum", "number"}, {"maximum", "number"},
    {"exclusiveMinimum", "number"}, {"exclusiveMaximum", "number"}, {"multipleOf", "number"},
}};
// clang-format on

class sampler {
public:
    sampler(const json::value& root, std::uint64_t seed, const schema_limits& limits)
        : root_(root), limits_(limits), work_{limits.max_work}, check_(root, limits, work_), rng_(mix64(seed))
    {}

    std::optional<json::value> gen(const json::value& s, int depth)
    {
        if (!work_.spend() || depth > limits_.max_depth)
            return std::nullopt;
        if (const auto* b = s.if_bool())
            return *b && node() ? std::optional<json::value>(json::string("any")) : std::nullopt;
        const auto* o = s.if_object();
        if (!o)
            return std::nullopt;
        if (const auto* r = o->if_contains("$ref")) {
            const auto* target = r->is_string() ? resolve_ref(root_, r->get_string()) : nullptr;
            return target ? gen(*target, depth + 1) : std::nullopt;
        }
        const auto keep = [&](std::optional<json::value> v) {
            return v && check_.ok(s, *v, depth) ? std::move(v) : std::optional<json::value>();
        };
        // The elements a unique array has already (for this level only).
        const json::array* avoid = std::exchange(avoid_, nullptr);
        const auto taken = [&](const json::value& v) {
            return avoid && std::any_of(avoid->begin(), avoid->end(),
                                        [&](const json::value& e) { return json_equal(e, v); });
        };
        if (const auto* c = o->if_contains("const"))
            return node(json_values(*c)) && all_finite(*c) ? keep(*c) : std::nullopt;
        if (const auto* e = o->if_contains("enum")) {
            const auto* a = e->if_array();
            if (!a || a->empty())
                return std::nullopt;
            const std::size_t start = rng_.below(a->size());
            for (std::size_t i = 0; i < a->size(); ++i) {
                const auto& candidate = (*a)[(start + i) % a->size()];
                if (!work_.spend())
                    return std::nullopt;
                if (taken(candidate) || !all_finite(candidate))
                    continue;
                if (auto v = keep(candidate))
                    return node(json_values(*v)) ? std::move(v) : std::nullopt;
            }
            return std::nullopt;
        }
        // The branches of the combinators first (allOf as one merged
        // schema), then the schema's own keywords; three tries of those
        // alone when there is no branch.
        std::vector<const json::value*> branches;
        json::value merged;
        if (o->contains("allOf") && merge_all_of(*o, merged))
            branches.push_back(&merged);
        for (std::string_view key : {"anyOf", "oneOf"})
            if (const auto* a = o->if_contains(key); a && a->is_array() && !a->get_array().empty()) {
                const auto& arr = a->get_array();
                const std::size_t start = rng_.below(arr.size());
                for (std::size_t i = 0; i < arr.size(); ++i)
                    branches.push_back(&arr[(start + i) % arr.size()]);
            }
        for (std::string_view key : {"then", "else"})
            if (const auto* b = o->if_contains(key); b && o->contains("if"))
                branches.push_back(b);
        for (const auto* b : branches)
            if (auto v = keep(gen(*b, depth + 1)))
                return v;
        for (int attempt = 0; attempt < (branches.empty() ? 3 : 1); ++attempt)
            if (auto v = keep(own(*o, depth)))
                if (!taken(*v) || attempt == 2)
                    return v;
        // Last, the least: no optional property anywhere below.
        const bool was = std::exchange(minimal_, true);
        auto v = keep(own(*o, depth));
        minimal_ = was;
        return v;
    }

private:
    // Counts `n` more values in the result; false past max_nodes.
    bool node(std::size_t n = 1)
    {
        nodes_ += n;
        return nodes_ <= limits_.max_nodes;
    }

    // allOf's branches (their $refs followed) and the schema's own keywords
    // in one schema: properties merged, required joined, the first value of
    // any other keyword kept (the check that follows judges the rest).
    bool merge_all_of(const json::object& s, json::value& out)
    {
        const auto* all = s.at("allOf").if_array();
        if (!all)
            return false;
        json::object m;
        const auto add = [&](const json::object& part) {
            for (const auto& kv : part) {
                if (kv.key() == "allOf" || kv.key() == "$ref")
                    continue;
                // (the copies cost work as their size: a big schema merged
                // again and again ends the search)
                const std::size_t cost = json_values(kv.value());
                if (cost >= work_.left)
                    return false;
                work_.left -= cost;
                auto* have = m.if_contains(kv.key());
                if (!have) {
                    m.emplace(kv.key(), kv.value());
                } else if (kv.key() == "properties" && have->is_object() && kv.value().is_object()) {
                    for (const auto& p : kv.value().get_object())
                        if (!have->get_object().contains(p.key()))
                            have->get_object().emplace(p.key(), p.value());
                } else if (kv.key() == "required" && have->is_array() && kv.value().is_array()) {
                    for (const auto& n : kv.value().get_array())
                        have->get_array().push_back(n);
                }
            }
            return true;
        };
        if (!add(s))
            return false;
        for (const auto& part : *all) {
            const json::value* p = &part;
            for (int hops = 0;
                 p && p->is_object() && p->get_object().contains("$ref") && hops < limits_.max_depth;
                 ++hops) {
                const auto* r = p->get_object().at("$ref").if_string();
                p = r ? resolve_ref(root_, *r) : nullptr;
                if (!work_.spend())
                    return false;
            }
            if (!p || !p->is_object() || !add(p->get_object()))
                return false;
        }
        out = std::move(m);
        return true;
    }

    // A value from the schema's own keywords (combinators aside).
    std::optional<json::value> own(const json::object& s, int depth)
    {
        std::vector<std::string_view> types;
        if (const auto* t = s.if_contains("type")) {
            if (const auto* one = t->if_string())
                types.push_back(*one);
            else if (const auto* many = t->if_array())
                for (const auto& n : *many)
                    if (n.is_string())
                        types.push_back(n.get_string());
        } else {
            types.push_back("string"); // what an empty schema gets
            for (const auto& [key, type] : implied_type)
                if (s.contains(key)) {
                    types.back() = type;
                    break;
                }
        }
        // The non-null types from a random one on, null last.
        std::vector<std::string_view> order;
        const std::size_t start = types.empty() ? 0 : rng_.below(types.size());
        for (std::size_t i = 0; i < types.size(); ++i)
            if (types[(start + i) % types.size()] != "null")
                order.push_back(types[(start + i) % types.size()]);
        if (std::find(types.begin(), types.end(), "null") != types.end())
            order.push_back("null");
        for (auto t : order)
            if (auto v = of_type(t, s, depth))
                return v;
        return std::nullopt;
    }

    std::optional<json::value> of_type(std::string_view t, const json::object& s, int depth)
    {
        if (!node())
            return std::nullopt;
        if (t == "null")
            return json::value(nullptr);
        if (t == "boolean")
            return json::value(rng_.below(2) == 1);
        if (t == "integer")
            return sample_integer(s, rng_);
        if (t == "number")
            return sample_number(s, rng_);
        if (t == "string")
            return sample_string(s, rng_, limits_.max_string);
        if (t == "array")
            return array(s, depth);
        if (t == "object")
            return object(s, depth);
        return std::nullopt;
    }

    std::optional<json::value> array(const json::object& s, int depth)
    {
        bool bad = false;
        const std::size_t lo = count_at(s, "minItems", bad).value_or(0);
        std::size_t hi = count_at(s, "maxItems", bad).value_or(std::numeric_limits<std::size_t>::max());
        if (bad || lo > hi || lo > limits_.max_items)
            return std::nullopt;
        static const json::value anything(true);
        const json::value* items = s.if_contains("items");
        const json::array* tuple = items ? items->if_array() : nullptr;
        const json::value* more = s.if_contains("additionalItems");
        if (!items)
            items = &anything;
        if (tuple && more && more->is_bool() && !more->get_bool())
            hi = std::min(hi, tuple->size());
        std::size_t n = tuple ? tuple->size() : 1 + rng_.below(3);
        n = std::min(std::max(n, lo), std::min(hi, limits_.max_items));
        const auto* u = s.if_contains("uniqueItems");
        const bool unique = u && u->is_bool() && u->get_bool();

        json::array out;
        for (std::size_t i = 0; i < n; ++i) {
            const json::value* sub = !tuple              ? items
                                     : i < tuple->size() ? &(*tuple)[i]
                                     : more              ? more
                                                         : &anything;
            std::optional<json::value> v;
            for (int attempt = 0; attempt < (unique ? 4 : 1) && !v; ++attempt) {
                avoid_ = unique ? &out : nullptr;
                v = gen(*sub, depth + 1);
                avoid_ = nullptr;
                if (v && unique)
                    for (const auto& e : out)
                        if (json_equal(e, *v)) {
                            v.reset();
                            break;
                        }
            }
            if (!v) {
                if (i < lo)
                    return std::nullopt;
                break;
            }
            out.push_back(std::move(*v));
        }
        if (const auto* c = s.if_contains("contains")) {
            bool found = false;
            for (const auto& e : out)
                found = found || check_.ok(*c, e, depth + 1);
            if (!found) {
                auto v = gen(*c, depth + 1);
                if (!v)
                    return std::nullopt;
                if (out.size() < hi)
                    out.push_back(std::move(*v));
                else if (!out.empty())
                    out.back() = std::move(*v);
            }
        }
        return json::value(std::move(out));
    }

    std::optional<json::value> object(const json::object& s, int depth)
    {
        bool bad = false;
        const std::size_t lo = count_at(s, "minProperties", bad).value_or(0);
        const std::size_t hi =
            count_at(s, "maxProperties", bad).value_or(std::numeric_limits<std::size_t>::max());
        const auto* props_v = s.if_contains("properties");
        const auto* props = props_v ? props_v->if_object() : nullptr;
        const auto* req_v = s.if_contains("required");
        if (bad || (props_v && !props) || (req_v && !req_v->is_array()))
            return std::nullopt;
        static const json::value anything(true);
        const auto* more_v = s.if_contains("additionalProperties");
        const json::value& more = more_v ? *more_v : anything;

        std::vector<std::string_view> required;
        if (req_v)
            for (const auto& n : req_v->get_array()) {
                if (!n.is_string())
                    return std::nullopt;
                if (std::find(required.begin(), required.end(), n.get_string()) == required.end())
                    required.push_back(n.get_string());
            }
        if (required.size() > hi)
            return std::nullopt;
        const auto is_required = [&](std::string_view k) {
            return std::find(required.begin(), required.end(), k) != required.end();
        };
        // A property's schema: its own, else additionalProperties.
        const auto schema_of = [&](std::string_view k) -> const json::value& {
            const json::value* p = props ? props->if_contains(k) : nullptr;
            return p ? *p : more;
        };

        // In the order of `properties`: the required ones, and the optional
        // ones while the value is shallow and small.
        json::object out;
        std::size_t room = hi - required.size();
        const bool optional_too =
            !minimal_ && depth < limits_.max_depth / 2 && nodes_ < limits_.max_nodes / 2;
        const auto* names = s.if_contains("propertyNames");
        const auto name_ok = [&](std::string_view k) {
            return !names || check_.ok(*names, json::value(json::string(k)), depth + 1);
        };
        const auto add = [&](std::string_view k, bool must) {
            auto v = gen(schema_of(k), depth + 1);
            if (v)
                out.emplace(k, std::move(*v));
            return v.has_value() || !must;
        };
        if (props)
            for (const auto& kv : *props) {
                const bool must = is_required(kv.key());
                if (!must && (!optional_too || room == 0 || !name_ok(kv.key())))
                    continue;
                if (!add(kv.key(), must))
                    return std::nullopt;
                if (!must && out.contains(kv.key()))
                    --room;
            }
        for (auto k : required)
            if (!out.contains(k) && !add(k, true))
                return std::nullopt;
        // The names that present properties depend on.
        if (const auto* deps = s.if_contains("dependencies"); deps && deps->is_object())
            for (const auto& kv : deps->get_object())
                if (out.contains(kv.key()) && kv.value().is_array())
                    for (const auto& n : kv.value().get_array())
                        if (n.is_string() && !out.contains(n.get_string()) && !add(n.get_string(), true))
                            return std::nullopt;
        // Up to minProperties: the optional ones left, then extra names.
        if (props)
            for (const auto& kv : *props)
                if (out.size() < lo && !out.contains(kv.key()) && name_ok(kv.key()))
                    add(kv.key(), false);
        for (std::size_t i = 1; out.size() < lo; ++i) {
            if (i > limits_.max_items)
                return std::nullopt;
            const std::string k = "extra" + std::to_string(i);
            if (!out.contains(k) && !add(k, true))
                return std::nullopt;
        }
        return json::value(std::move(out));
    }

    const json::value& root_;
    const schema_limits& limits_;
    budget work_;
    checker check_;
    prng rng_;
    std::size_t nodes_ = 0;
    const json::array* avoid_ = nullptr; // for the next gen(): its value should not be one of these
    bool minimal_ = false;               // no optional property
};

} // namespace
} // namespace schema

std::size_t json_values(const boost::json::value& v)
{
    std::size_t n = 1;
    if (const auto* o = v.if_object())
        for (const auto& kv : *o)
            n += json_values(kv.value());
    else if (const auto* a = v.if_array())
        for (const auto& e : *a)
            n += json_values(e);
    return n;
}

std::optional<boost::json::value> sample_schema(const boost::json::value& schema, std::uint64_t seed,
                                                const schema_limits& limits)
{
    schema::sampler s(schema, seed, limits);
    return s.gen(schema, 0);
}

std::string structured_output_text(const boost::json::value& schema, std::uint64_t seed, bool& fallback)
{
    fallback = true;
    const auto v = sample_schema(schema, seed);
    if (!v || !v->is_object())
        return "{}";
    fallback = false;
    return boost::json::serialize(*v);
}

} // namespace handinger::sim::detail
