// handinger::attachment: a file sent with a create (create_task_params::files).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace handinger {

/// A file sent with a create (API.md "Tasks: what newer versions add"): a
/// create with files is sent as multipart/form-data, each file a part of the
/// form field `files`, the other fields as text fields.
///
/// Make one with from_memory() or from_path(). A path is read when the create
/// starts (or by load_attachments()), so a missing or unreadable file, or one
/// past a limit, fails the create with error::invalid_argument before any
/// request is sent; what was read is sent again byte for byte when the create
/// is retried.
///
/// The filename goes out as UTF-8, as RFC 7578 (4.2) asks (no `filename*`);
/// a double quote is written `%22`, as the HTML standard's form encoding
/// does and as the service's parser decodes it. A filename may therefore not
/// hold CR, LF or other control characters, nor the texts `%22`, `%0D` or
/// `%0A` (a receiver would decode them): validate() refuses them.
///
/// The service documents no limits; this library sets them below (the
/// bundled simulator enforces the same).
struct attachment {
    static constexpr std::size_t max_size = 25u << 20;       ///< bytes of one file (25 MiB)
    static constexpr std::size_t max_total_size = 32u << 20; ///< bytes of all the files of a create (32 MiB)
    static constexpr std::size_t max_count = 100;            ///< files in one create
    static constexpr std::size_t max_filename_size = 255;    ///< bytes of a filename (UTF-8)
    static constexpr std::size_t max_content_type_size = 255;

    std::string filename;            ///< the name the service sees; at least 1 byte
    std::string content_type;        ///< a media type ("text/csv"); empty: application/octet-stream
    std::string content;             ///< the bytes, when from memory
    std::optional<std::string> path; ///< when set, the bytes are read from this file instead

    /// A file from memory. An empty `content_type` is guessed from the
    /// filename's extension (a few common types), else left empty.
    static attachment from_memory(std::string filename, std::string content, std::string content_type = {});
    /// A file read from `path` when the create starts. An empty `filename`
    /// is the path's last component; an empty `content_type` is guessed as
    /// from_memory() does. Does no I/O.
    static attachment from_path(std::string path, std::string filename = {}, std::string content_type = {});

    friend bool operator==(const attachment&, const attachment&) = default;
};

} // namespace handinger
