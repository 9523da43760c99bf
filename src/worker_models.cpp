// validate(create_worker_params) and validate(update_worker_params): the
// service's limits, checked before any I/O.
#include <handinger/worker_models.hpp>

#include "util/utf8.hpp"

#include <boost/json/value.hpp>

#include <cmath>
#include <string_view>

namespace handinger {
namespace {

using L = worker_limits;

// "" when the text field `name` is valid UTF-8 with between `min` and `max`
// characters, else what is wrong.
std::string check_text(std::string_view name, const std::optional<std::string>& s, std::size_t min,
                       std::size_t max)
{
    if (!s)
        return {};
    const std::string n(name);
    if (!detail::valid_utf8(*s))
        return n + ": must be valid UTF-8";
    const std::size_t len = detail::utf8_length(*s);
    if (len < min)
        return n + ": must be at least " + std::to_string(min) + (min == 1 ? " character" : " characters");
    if (len > max)
        return n + ": must be at most " + std::to_string(max) + " characters (got " + std::to_string(len) +
               ")";
    return {};
}

// Boost's serializer writes a non-finite number as `Infinity` or `NaN`,
// which no JSON parser reads back: refused before it is sent.
bool all_finite(const boost::json::value& v)
{
    switch (v.kind()) {
    case boost::json::kind::double_: return std::isfinite(v.get_double());
    case boost::json::kind::array:
        for (const auto& x : v.get_array())
            if (!all_finite(x))
                return false;
        return true;
    case boost::json::kind::object:
        for (const auto& kv : v.get_object())
            if (!all_finite(kv.value()))
                return false;
        return true;
    default: return true;
    }
}

std::string check_schema(const boost::json::object* schema)
{
    if (!schema)
        return {};
    for (const auto& kv : *schema)
        if (!all_finite(kv.value()))
            return "outputSchema: numbers must be finite";
    return {};
}

std::string check_visibility(const std::optional<open_enum<worker_visibility>>& v)
{
    if (!v || v->known())
        return {};
    return "visibility: must be one of public, private (got \"" + std::string(v->str()) + "\")";
}

// The checks both bodies share, in wire order (a create's prompt, checked
// by the caller, comes after the instructions); the first problem wins.
template <class Params>
std::string check_common(const Params& p, const boost::json::object* schema,
                         const std::string& prompt_problem)
{
    if (auto s = check_text("instructions", p.instructions, 0, L::max_instructions); !s.empty())
        return s;
    if (!prompt_problem.empty())
        return prompt_problem;
    if (auto s = check_schema(schema); !s.empty())
        return s;
    if (auto s = check_text("summary", p.summary, 0, L::max_summary); !s.empty())
        return s;
    if (auto s = check_text("title", p.title, L::min_title, L::max_title); !s.empty())
        return s;
    return check_visibility(p.visibility);
}

} // namespace

std::string validate(const create_worker_params& p)
{
    return check_common(p, p.output_schema ? &*p.output_schema : nullptr,
                        check_text("prompt", p.prompt, 0, L::max_prompt));
}

std::string validate(const update_worker_params& p)
{
    return check_common(p, p.output_schema.get(), std::string());
}

} // namespace handinger
