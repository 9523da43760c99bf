// How the fields of a response arrived (value, null or absent): the
// `presence` member of each model of <handinger/models.hpp>, which includes
// this header.
#pragma once

#include <cstdint>

namespace handinger {

/// How one field of a response arrived.
enum class field_state : std::uint8_t {
    value,  ///< present with a value (and every field of a model built in code)
    null,   ///< present as JSON null
    absent, ///< not in the object at all
};

/// How the tolerant fields of one model arrived: a model's `presence`
/// member, indexed by the model's `field` enum (`t.presence.is_null(
/// task::field::title)`). The model's `field_names` give each field's wire
/// name. A field that arrived null or absent holds its unset value; assigning
/// the field later does not change its state (the writer then writes the
/// value). Models compare equal by value: presence takes no part in their
/// operator==.
template <class Field>
class field_presence {
public:
    constexpr field_state operator[](Field f) const noexcept
    {
        const auto bit = mask(f);
        return (null_ & bit) ? field_state::null : (absent_ & bit) ? field_state::absent : field_state::value;
    }
    constexpr bool has_value(Field f) const noexcept { return (*this)[f] == field_state::value; }
    constexpr bool is_null(Field f) const noexcept { return (*this)[f] == field_state::null; }
    constexpr bool is_absent(Field f) const noexcept { return (*this)[f] == field_state::absent; }
    /// True when every field arrived with a value.
    constexpr bool all_values() const noexcept { return (null_ | absent_) == 0; }

    constexpr void set(Field f, field_state s) noexcept
    {
        const auto bit = mask(f);
        null_ = s == field_state::null ? null_ | bit : null_ & ~bit;
        absent_ = s == field_state::absent ? absent_ | bit : absent_ & ~bit;
    }

    friend constexpr bool operator==(const field_presence&, const field_presence&) noexcept = default;

private:
    static constexpr std::uint32_t mask(Field f) noexcept
    {
        return std::uint32_t{1} << static_cast<unsigned>(f);
    }
    std::uint32_t null_ = 0;
    std::uint32_t absent_ = 0;
};

} // namespace handinger
