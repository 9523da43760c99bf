// Internal: small ASCII text helpers shared by the library (and the
// simulator and the fuzz targets, which include it by path). Header-only,
// standard library only.
#pragma once

#include <algorithm>
#include <cctype>
#include <string_view>

namespace handinger::detail {

/// Whether `a` and `b` are equal ignoring ASCII case (header names, tokens
/// such as "true" or "Bearer").
inline bool iequals(std::string_view a, std::string_view b) noexcept
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

/// `s` without the characters of `blanks` at either end. The default is
/// HTTP's optional whitespace (space and tab).
constexpr std::string_view trim(std::string_view s, std::string_view blanks = " \t") noexcept
{
    while (!s.empty() && blanks.find(s.front()) != std::string_view::npos)
        s.remove_prefix(1);
    while (!s.empty() && blanks.find(s.back()) != std::string_view::npos)
        s.remove_suffix(1);
    return s;
}

} // namespace handinger::detail
