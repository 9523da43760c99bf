// Internal: the checks of a create's files, shared by validate() (models.cpp)
// and the create (core/create.cpp, through load_attachments).
#pragma once

#include <handinger/models.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace handinger::detail {

/// "" when the files are acceptable as far as can be told without reading
/// any (count, filenames, content types, sizes of those in memory), else
/// "files...: problem" for the first problem.
std::string validate_files(const std::vector<attachment>& files);

/// The media type of a few common extensions (".pdf" -> "application/pdf",
/// compared without case); "" for any other.
std::string_view guess_media_type(std::string_view filename);

} // namespace handinger::detail
