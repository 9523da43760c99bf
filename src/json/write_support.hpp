// Internal: the pieces every model writer uses (write_models.cpp,
// write_schedules.cpp, write_webhooks.cpp): fields put into a boost::json::object by their wire
// names, a tolerant field written as it arrived (see write_models.cpp), and
// the definition of to_json_string, which each writer's file instantiates
// for its models.
#pragma once

#include "json/reader.hpp"

#include <handinger/json.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <optional>
#include <string>
#include <vector>

namespace handinger::detail {

inline json::object& make_object(json::value& jv, std::size_t n)
{
    json::object& o = jv.emplace_object();
    o.reserve(n);
    return o;
}

template <class E>
json::string_view wire(const open_enum<E>& e) noexcept
{
    auto s = e.str();
    return {s.data(), s.size()};
}

// A nullable field: its value, or null.
template <class T>
void put_nullable(json::object& o, json::string_view key, const std::optional<T>& v)
{
    if (v)
        o.emplace(key, json::value_from(*v, o.storage()));
    else
        o.emplace(key, nullptr);
}

template <class T>
void put_array(json::object& o, json::string_view key, const std::vector<T>& xs)
{
    json::array a(o.storage());
    a.reserve(xs.size());
    for (const auto& x : xs)
        a.emplace_back(json::value_from(x, o.storage()));
    o.emplace(key, std::move(a));
}

template <class T>
void put_value(json::object& o, json::string_view key, const T& v)
{
    o.emplace(key, json::value_from(v, o.storage()));
}

template <class T>
void put_value(json::object& o, json::string_view key, const std::optional<T>& v)
{
    put_nullable(o, key, v);
}

template <class T>
void put_value(json::object& o, json::string_view key, const std::vector<T>& v)
{
    put_array(o, key, v);
}

template <class E>
void put_value(json::object& o, json::string_view key, const open_enum<E>& v)
{
    o.emplace(key, wire(v));
}

inline void put_value(json::object& o, json::string_view key, const json::value& v)
{
    o.emplace(key, json::value(v, o.storage()));
}

inline void put_value(json::object& o, json::string_view key, const json::object& v)
{
    o.emplace(key, json::value(v, o.storage()));
}

inline void put_value(json::object& o, json::string_view key, const json::array& v)
{
    o.emplace(key, json::value(v, o.storage()));
}

/// Writes one field of a model: its value, or, while it holds the unset value
/// it was read as, what arrived (null, or nothing for absent).
template <class Model, class T>
void put(json::object& o, const Model& m, typename Model::field f, const T& v)
{
    const json::string_view key = Model::field_names[static_cast<std::size_t>(f)];
    const field_state st = m.presence[f];
    if (st != field_state::value && is_unset(v)) {
        if (st == field_state::null)
            o.emplace(key, nullptr);
        return;
    }
    put_value(o, key, v);
}

/// The same for an optional key (`size?`, `durationMs?`): left out while
/// empty, unless it arrived as null.
template <class Model, class T>
void put_optional_key(json::object& o, const Model& m, typename Model::field f, const std::optional<T>& v)
{
    const json::string_view key = Model::field_names[static_cast<std::size_t>(f)];
    if (v)
        o.emplace(key, json::value_from(*v, o.storage()));
    else if (m.presence.is_null(f))
        o.emplace(key, nullptr);
}

} // namespace handinger::detail

namespace handinger {

template <class T>
std::string to_json_string(const T& v)
{
    // The value only lives until it is serialised: a monotonic arena (first
    // block on the stack) avoids one heap allocation per node.
    unsigned char buf[4096];
    boost::json::monotonic_resource arena(buf, sizeof buf);
    return boost::json::serialize(boost::json::value_from(v, &arena));
}

} // namespace handinger
