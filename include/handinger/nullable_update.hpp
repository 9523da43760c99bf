// nullable_update<T>: one field of an update request (a PATCH) that may be
// left as it is, set, or cleared with an explicit JSON null.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

namespace handinger {

/// A field of an update that the service also lets you clear. Three states:
/// - unchanged (the default, `= {}`): the field is not sent;
/// - set (`= value`): the field is sent with that value;
/// - cleared (`= nullptr`): the field is sent as `null`.
///
///     update_worker_params p;
///     p.output_schema = schema;  // set
///     p.output_schema = nullptr; // clear: "outputSchema": null
///     p.output_schema = {};      // leave it: not sent
template <class T>
class nullable_update {
public:
    enum class state : std::uint8_t { unchanged, set, cleared };

    constexpr nullable_update() noexcept = default;
    nullable_update(T v) : value_(std::move(v)) {}                         // NOLINT: implicit on purpose
    constexpr nullable_update(std::nullptr_t) noexcept : cleared_(true) {} // NOLINT: implicit on purpose

    constexpr state which() const noexcept
    {
        return value_ ? state::set : cleared_ ? state::cleared : state::unchanged;
    }
    constexpr bool is_unchanged() const noexcept { return which() == state::unchanged; }
    constexpr bool is_set() const noexcept { return which() == state::set; }
    constexpr bool is_cleared() const noexcept { return which() == state::cleared; }

    /// The value; only when is_set().
    const T& value() const { return *value_; }
    /// The value, or nullptr when unchanged or cleared.
    const T* get() const noexcept { return value_ ? &*value_ : nullptr; }

    friend bool operator==(const nullable_update&, const nullable_update&) = default;

private:
    std::optional<T> value_; // engaged: set
    bool cleared_ = false;   // (only meaningful while value_ is empty)
};

} // namespace handinger
