// Internal: the public read_json / parse_json templates (<handinger/json.hpp>)
// defined once, for the files that instantiate them for their models
// (read_models.cpp, read_schedules.cpp, read_webhooks.cpp), with
// HANDINGER_INSTANTIATE_READ. Each model T needs a
// `bool detail::read_value(const json::value&, T&, const json_path&, std::string&)`
// declared before HANDINGER_INSTANTIATE_READ(T).
#pragma once

#include "json/reader.hpp"

#include <handinger/error.hpp>
#include <handinger/json.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace handinger {
namespace detail {

// The top-level models keep the whole response object in `raw`.
template <class T>
constexpr bool has_raw = requires(T t)
{
    t.raw;
};

// Reads v into out; `v` is moved from into `raw` when Value is an rvalue.
template <class T, class Value>
void read_top(Value&& v, T& out, boost::system::error_code& ec, std::string& what)
{
    out = T{};
    json_path root;
    if (!read_value(v, out, root, what)) {
        ec = error::invalid_response;
        return;
    }
    if constexpr (has_raw<T>) {
        if constexpr (std::is_rvalue_reference_v<Value&&>) {
            // Move construction keeps the parsed document's storage (move
            // assignment would copy it into the default one).
            std::destroy_at(&out.raw);
            std::construct_at(&out.raw, std::move(v.as_object()));
        } else {
            out.raw = v.as_object();
        }
    }
    ec = {};
    what.clear();
}

} // namespace detail

template <class T>
void read_json(const boost::json::value& v, T& out, boost::system::error_code& ec, std::string& what)
{
    detail::read_top(v, out, ec, what);
}

template <class T>
void parse_json(std::string_view text, T& out, boost::system::error_code& ec, std::string& what)
{
    boost::json::value v;
    if (!detail::parse_text(text, v, what)) {
        out = T{};
        ec = error::invalid_response;
        return;
    }
    detail::read_top(std::move(v), out, ec, what);
}

template <class T>
T parse_json(std::string_view text)
{
    T out;
    boost::system::error_code ec;
    std::string what;
    parse_json(text, out, ec, what);
    if (ec) {
        diagnostics diag;
        diag.client_message = std::move(what);
        throw api_error(ec, std::move(diag));
    }
    return out;
}

#define HANDINGER_INSTANTIATE_READ(T)                                                                        \
    template void read_json<T>(const boost::json::value&, T&, boost::system::error_code&, std::string&);     \
    template void parse_json<T>(std::string_view, T&, boost::system::error_code&, std::string&);             \
    template T parse_json<T>(std::string_view);

} // namespace handinger
