// open_enum<E>: an enum value read from the service that keeps values this
// library does not know as their raw string instead of failing.
#pragma once

#include <array>
#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>

namespace handinger {

/// Specialise for each enum used with open_enum: `names` lists the wire names
/// in enumerator order; the enum's last enumerator must be `unknown`.
template <class E>
struct enum_traits;

/// A value of E, or an unknown value carried as its raw wire string.
///
/// E must end with an `unknown` enumerator and have an enum_traits
/// specialisation. Compares equal to an E (`status == task_status::running`);
/// two unknown values compare equal when their raw strings do.
template <class E>
class open_enum {
public:
    using enum_type = E;

    /// The first enumerator.
    constexpr open_enum() noexcept = default;
    constexpr open_enum(E v) noexcept : value_(v) {} // NOLINT: implicit on purpose

    /// The value named by a wire string; an unknown name is kept raw.
    static open_enum from_string(std::string_view s)
    {
        constexpr auto& names = enum_traits<E>::names;
        for (std::size_t i = 0; i < names.size(); ++i)
            if (names[i] == s)
                return open_enum(static_cast<E>(i));
        open_enum r(E::unknown);
        r.raw_.assign(s.data(), s.size());
        return r;
    }

    constexpr E value() const noexcept { return value_; }
    constexpr bool known() const noexcept { return value_ != E::unknown; }

    /// The wire string: the known name, or the raw string kept.
    std::string_view str() const noexcept
    {
        if (value_ == E::unknown)
            return raw_;
        return enum_traits<E>::names[static_cast<std::size_t>(value_)];
    }

    friend bool operator==(const open_enum& a, const open_enum& b) noexcept
    {
        return a.value_ == b.value_ && (a.value_ != E::unknown || a.raw_ == b.raw_);
    }
    friend bool operator==(const open_enum& a, E b) noexcept { return a.value_ == b; }

    friend std::ostream& operator<<(std::ostream& os, const open_enum& v) { return os << v.str(); }

private:
    E value_{};
    std::string raw_;
};

/// The wire name of a known enumerator ("" for unknown).
template <class E>
constexpr std::string_view to_string(E v) noexcept
{
    constexpr auto& names = enum_traits<E>::names;
    auto i = static_cast<std::size_t>(v);
    return i < names.size() ? names[i] : std::string_view{};
}

} // namespace handinger
