// The JSON reader's scalar building blocks, compiled in the library, which
// header templates build on (structured_output.hpp reads a caller's own
// types with them). Reading never throws on bad input: every read_value
// returns false after writing "path: problem" to `what`. The path of the
// value being read is a chain of json_path nodes on the call stack; it is
// turned into text only when a problem is reported.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace handinger::detail {

namespace json = boost::json;

/// One step of the path from the document's root to a value: an object key
/// or an array index. The root is the node without a parent.
struct json_path {
    const json_path* parent = nullptr;
    std::string_view key;
    std::size_t index = 0;
    bool is_index = false;
};

/// "task.totals.credits", "turns[0].files[1].mediaType", or "(root)"; a key
/// that is not a plain name (letters, digits, '_') is written as a quoted
/// JSON string in brackets: `metadata["a.b"]`, `metadata[""]`.
std::string path_string(const json_path& at);

/// Sets what to "<path>: <problem>" and returns false.
bool fail(const json_path& at, std::string_view problem, std::string& what);

/// How a problem names a JSON value's type: "null", "boolean", "number",
/// "string", "array" or "object".
std::string_view kind_name(const json::value& v) noexcept;

/// Sets what to "<path>: expected <expected>, got <kind of v>", returns false.
bool fail_type(const json_path& at, std::string_view expected, const json::value& v, std::string& what);

// Scalars and JSON kept as JSON. Nothing here accepts null: nullability is
// expressed by reading into a std::optional.
bool read_value(const json::value& v, std::string& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, std::int64_t& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, bool& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, double& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, json::object& out, const json_path& at, std::string& what);
bool read_value(const json::value& v, json::array& out, const json_path& at, std::string& what);
/// Any JSON value, null included (a field typed "anything").
bool read_value(const json::value& v, json::value& out, const json_path& at, std::string& what);

} // namespace handinger::detail
