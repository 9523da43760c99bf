// The simulator's reading of a multipart/form-data body (RFC 7578 over RFC
// 2046), without I/O: the boundary from the Content-Type, then the parts,
// each with its headers and its bytes (a view into the body). Names and
// filenames are decoded as the HTML standard's parser does (%22, %0D and
// %0A become the characters they escape; no backslash escapes, `filename*`
// ignored). Kept apart from the service so that a fuzz target can drive it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace handinger::sim::detail {

/// What a request's Content-Type says about its body.
struct body_type {
    enum kind_t {
        json,        ///< anything but multipart/*: read as JSON, as always
        form,        ///< multipart/form-data with a usable boundary
        unsupported, ///< another multipart/* type (415)
        bad,         ///< multipart/form-data without a usable boundary (400)
    } kind = json;
    std::string boundary; ///< for form
    std::string problem;  ///< for unsupported and bad
};

/// Classifies a Content-Type value: the media type compared without case,
/// the boundary parameter (a token or a quoted string) 1..70 characters of
/// RFC 2046's bchars, not ending in a space.
body_type classify_body(std::string_view content_type);

/// One part of a form.
struct form_part {
    std::string name;                    ///< decoded
    std::optional<std::string> filename; ///< decoded; absent for a text field
    std::string content_type;            ///< the part's Content-Type, trimmed ("" when none)
    std::string_view content;            ///< a view into the body

    friend bool operator==(const form_part&, const form_part&) = default;
};

/// Bounds of parse_form.
struct form_limits {
    std::size_t max_parts = 128;
    std::size_t max_header_bytes = 8192; ///< of one part's header lines
};

/// Why a body was refused: the HTTP status (400 malformed, 413 past a
/// limit) and a message naming the part ("part 2: no name").
struct form_error {
    int status = 400;
    std::string message;
};

/// Reads `body` under `boundary`: an optional preamble, each part after a
/// delimiter line (`--boundary`, optional spaces or tabs, CRLF), its header
/// lines (no folding; one Content-Disposition of type form-data with a name
/// parameter; an optional Content-Type; others ignored) up to a blank line,
/// then its bytes up to CRLF before the next delimiter, until the closing
/// `--boundary--`; an epilogue after it is ignored. Fills `parts` and
/// returns nothing, or the first problem.
std::optional<form_error> parse_form(std::string_view body, std::string_view boundary,
                                     std::vector<form_part>& parts, const form_limits& limits = {});

} // namespace handinger::sim::detail
