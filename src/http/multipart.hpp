// A multipart/form-data body (RFC 7578) as bytes: what a create with files
// sends. No I/O; the boundary's randomness comes from the caller.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace handinger::detail::http {

/// One part of a form. Views: the caller keeps the bytes alive.
struct form_part {
    std::string_view name;                    ///< the form field ("input", "files")
    std::optional<std::string_view> filename; ///< set for a file
    std::string_view content_type;            ///< empty: no Content-Type line (a text field)
    std::string_view content;
};

/// Appends `text` as the inside of a quoted Content-Disposition parameter,
/// as the HTML standard's form encoding does: `"` as %22, CR as %0D, LF as
/// %0A, every other byte (UTF-8 included) as it is.
void append_form_escaped(std::string& out, std::string_view text);

/// Whether `boundary` occurs nowhere in the parts (names, filenames, types
/// or contents): then no part can hold a delimiter line, whatever its bytes.
bool boundary_fits(std::string_view boundary, std::span<const form_part> parts);

/// The first of up to `tries` candidates from `next` that fits the parts;
/// nullopt when none does.
std::optional<std::string> pick_boundary(std::span<const form_part> parts,
                                         const std::function<std::string()>& next, int tries = 8);

/// A random boundary: "handinger-" and 32 characters of [0-9a-v] (160 bits
/// from the kernel's CSPRNG), 42 characters in all (RFC 2046 allows 70).
std::string random_boundary();

/// The exact size write_form will produce.
std::size_t form_size(std::span<const form_part> parts, std::string_view boundary);

/// Appends the body: for each part a delimiter line, its Content-Disposition
/// (`form-data; name="..."` and, for a file, `; filename="..."`), its
/// Content-Type when given, a blank line and its bytes; then the closing
/// delimiter. `boundary` must fit the parts (boundary_fits).
void write_form(std::string& out, std::span<const form_part> parts, std::string_view boundary);

/// "multipart/form-data; boundary=" + boundary.
std::string form_content_type(std::string_view boundary);

} // namespace handinger::detail::http
