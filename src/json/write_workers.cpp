// The worker request bodies: as text through the one JSON writer (what is
// sent), and as boost::json values (value_from, the public way), both from
// for_each_worker_field.
#include "json/write_workers.hpp"
#include "json/text.hpp"

#include <handinger/json.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace handinger {
namespace detail {
namespace {

template <class Params>
std::string worker_body(const Params& p)
{
    std::string out;
    json_writer w(out);
    w.begin_object();
    for_each_worker_field(p, [&](std::string_view key, auto v) {
        w.key(key);
        if constexpr (std::is_same_v<decltype(v), std::string_view>)
            w.str(v);
        else if (v)
            w.raw(boost::json::serialize(*v));
        else
            w.null();
    });
    w.end_object();
    return out;
}

template <class Params>
void worker_value(boost::json::value& jv, const Params& p)
{
    boost::json::object& o = jv.emplace_object();
    for_each_worker_field(p, [&](std::string_view k, auto v) {
        const boost::json::string_view key(k.data(), k.size());
        if constexpr (std::is_same_v<decltype(v), std::string_view>)
            o.emplace(key, boost::json::string_view(v.data(), v.size()));
        else if (v)
            o.emplace(key, boost::json::value(*v, o.storage()));
        else
            o.emplace(key, nullptr);
    });
}

} // namespace

std::string create_worker_body(const create_worker_params& p)
{
    return worker_body(p);
}

std::string update_worker_body(const update_worker_params& p)
{
    return worker_body(p);
}

} // namespace detail

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const create_worker_params& v)
{
    detail::worker_value(jv, v);
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const update_worker_params& v)
{
    detail::worker_value(jv, v);
}

} // namespace handinger
