// The lenient JSON reader's building blocks (private to src/json), over the
// scalar ones of <handinger/detail/json_read.hpp>.
//
// Reading never throws on bad input: every read_value returns false after
// writing "path: problem" to `what`. The path of the value being read is a
// chain of json_path nodes on the call stack; it is turned into text only
// when a problem is reported, so the success path allocates nothing for it.
#pragma once

#include <handinger/detail/json_read.hpp>
#include <handinger/models.hpp>
#include <handinger/worker_models.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace handinger::detail {

namespace json = boost::json;

/// How deep a parsed document may nest (Boost's default is 32).
inline constexpr std::size_t max_parse_depth = 128;

/// Parses text into out; on failure sets what to "invalid JSON: <parser
/// message> at offset N" and returns false.
bool parse_text(std::string_view text, json::value& out, std::string& what);

// The models (read_models.cpp); declared here so the templates below find them.
bool read_value(const json::value& v, create_task_params& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, task_totals& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, task& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, turn_file& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, turn& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, task_with_turns& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, task_turn_list& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, delete_task_response& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, run_content& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, run_message& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, run_usage& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, run_result& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, worker_template& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, delete_worker_response& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, worker_email& out, const json_path& at, std::string& what);

template <class E>
bool read_value(const json::value& v, open_enum<E>& out, const json_path& at, std::string& what)
{
    const auto* s = v.if_string();
    if (!s)
        return fail_type(at, "string", v, what);
    out = open_enum<E>::from_string(std::string_view(s->data(), s->size()));
    return true;
}

/// null reads as nullopt; anything else must be a T.
template <class T>
bool read_value(const json::value& v, std::optional<T>& out, const json_path& at, std::string& what)
{
    if (v.is_null()) {
        out.reset();
        return true;
    }
    return read_value(v, out.emplace(), at, what);
}

template <class T>
bool read_value(const json::value& v, std::vector<T>& out, const json_path& at, std::string& what)
{
    const auto* a = v.if_array();
    if (!a)
        return fail_type(at, "array", v, what);
    out.clear();
    out.reserve(a->size());
    for (std::size_t i = 0; i < a->size(); ++i) {
        json_path item{&at, {}, i, true};
        if (!read_value((*a)[i], out.emplace_back(), item, what))
            return false;
    }
    return true;
}

/// The value a tolerant field holds when it arrived null or absent: T{},
/// except an open_enum, which is `unknown` with an empty raw string (the
/// service did not say; its default would claim the first enumerator).
template <class T>
void set_unset(T& out)
{
    out = T{};
}

template <class E>
void set_unset(open_enum<E>& out)
{
    out = open_enum<E>::from_string({});
}

/// Whether x holds its unset value (by value: a nested model's own presence
/// is not looked at).
template <class T>
bool is_unset(const T& x)
{
    return x == T{};
}

template <class E>
bool is_unset(const open_enum<E>& x)
{
    return !x.known() && x.str().empty();
}

inline bool is_unset(const json::value& x)
{
    return x.is_null();
}

/// The value of `key` in `o`, or null. The search starts where the last one
/// ended (`hint`) and wraps around: fields read in the order the document
/// has them are found at the first comparison each, where a search from
/// the front costs half the object per field. (Keys are unique: the first
/// match is the only one.)
inline const json::value* find_from(const json::object& o, std::string_view key, std::size_t& hint) noexcept
{
    const std::size_t n = o.size();
    const json::key_value_pair* kv = o.begin();
    for (std::size_t k = 0, i = hint < n ? hint : 0; k < n; ++k, i = i + 1 < n ? i + 1 : 0)
        if (std::string_view(kv[i].key()) == key) {
            hint = i + 1;
            return &kv[i].value();
        }
    return nullptr;
}

/// Reads the fields of one JSON object in a chain:
///     object_reader r(obj, at, what);
///     r.req("id", t.id).opt("completedAt", t.completed_at);
///     return r.ok();
/// After the first problem the remaining calls do nothing, so `what` names
/// the first problem found.
class object_reader {
public:
    object_reader(const json::object& o, const json_path& at, std::string& what) noexcept
        : o_(o), at_(at), what_(what)
    {}

    /// A field that must be present ("<path>.<key>: missing" otherwise).
    template <class T>
    object_reader& req(std::string_view key, T& out)
    {
        if (ok_) {
            json_path child{&at_, key};
            const json::value* v = find_from(o_, key, hint_);
            ok_ = v ? read_value(*v, out, child, what_) : fail(child, "missing", what_);
        }
        return *this;
    }

    /// A field that may be absent; out then keeps its value (the default).
    template <class T>
    object_reader& opt(std::string_view key, T& out)
    {
        if (ok_) {
            if (const json::value* v = find_from(o_, key, hint_)) {
                json_path child{&at_, key};
                ok_ = read_value(*v, out, child, what_);
            }
        }
        return *this;
    }

    /// A tolerant field: absent or null, out is set to its unset value and
    /// the field's state recorded in `presence`; any other value must be a T.
    template <class T, class F>
    object_reader& tol(std::string_view key, T& out, field_presence<F>& presence, F field)
    {
        if (ok_) {
            const json::value* v = find_from(o_, key, hint_);
            if (!v || v->is_null()) {
                set_unset(out);
                presence.set(field, v ? field_state::null : field_state::absent);
            } else {
                json_path child{&at_, key};
                ok_ = read_value(*v, out, child, what_);
                presence.set(field, field_state::value);
            }
        }
        return *this;
    }

    bool ok() const noexcept { return ok_; }

private:
    const json::object& o_;
    const json_path& at_;
    std::string& what_;
    std::size_t hint_ = 0; // where the next search starts (find_from)
    bool ok_ = true;
};

/// The object v, or nullptr after reporting "expected object, got ...".
inline const json::object* as_object(const json::value& v, const json_path& at, std::string& what)
{
    const auto* o = v.if_object();
    if (!o)
        fail_type(at, "object", v, what);
    return o;
}

} // namespace handinger::detail
