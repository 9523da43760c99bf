// JSON text written without building a boost::json::value: the string
// escaper shared by the library's request writer and the simulator's
// response renderer.
#pragma once

#include <string>
#include <string_view>

namespace handinger::detail {

/// Appends `s` to `out` as a JSON string literal (quotes included; '"', '\\'
/// and control characters escaped as Boost.JSON's serializer escapes them;
/// every other byte as it is).
void append_json_string(std::string& out, std::string_view s);

} // namespace handinger::detail
