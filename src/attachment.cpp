// Files of a create: the factories, their checks, and reading those given by
// path (the only file I/O of the library).
#include "attachment.hpp"

#include "util/text.hpp"
#include "util/utf8.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>

namespace handinger {

namespace detail {

namespace {

std::string at(std::size_t i)
{
    return "files[" + std::to_string(i) + "]";
}

// What the filename may not hold, or "" (see attachment's comment: the
// receiver decodes %22, %0D and %0A, and CR or LF would end the header).
std::string filename_problem(std::string_view name)
{
    if (name.empty())
        return "must be at least 1 byte";
    if (name.size() > attachment::max_filename_size)
        return "must be at most " + std::to_string(attachment::max_filename_size) + " bytes (got " +
               std::to_string(name.size()) + ")";
    if (!valid_utf8(name))
        return "must be valid UTF-8";
    for (char ch : name) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '\r' || c == '\n')
            return "must not contain CR or LF";
        if (c < 0x20 || c == 0x7F)
            return "must not contain control characters";
    }
    for (std::string_view seq : {"%22", "%0D", "%0A"})
        if (name.find(seq) != std::string_view::npos)
            return "must not contain \"" + std::string(seq) +
                   "\" (a receiver would decode it as the character it escapes)";
    return {};
}

bool token_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// A media type "type/subtype" with optional parameters: printable ASCII,
// tokens around the slash.
std::string content_type_problem(std::string_view t)
{
    if (t.size() > attachment::max_content_type_size)
        return "must be at most " + std::to_string(attachment::max_content_type_size) + " bytes (got " +
               std::to_string(t.size()) + ")";
    for (char ch : t) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c >= 0x7F)
            return "must be printable ASCII";
    }
    const auto slash = t.find('/');
    const auto end = std::min(t.find(';'), t.size());
    auto all_token = [](std::string_view s) {
        if (s.empty())
            return false;
        for (char ch : s)
            if (!token_char(static_cast<unsigned char>(ch)))
                return false;
        return true;
    };
    if (slash == std::string_view::npos || slash > end || !all_token(t.substr(0, slash)) ||
        !all_token(trim(t.substr(slash + 1, end - slash - 1))))
        return "must be a media type such as text/plain (got \"" + std::string(t) + "\")";
    return {};
}

std::string too_big(std::size_t i, std::uintmax_t size)
{
    return at(i) + ": " + std::to_string(size) + " bytes, more than the " +
           std::to_string(attachment::max_size) + " a file may have";
}

std::string too_much(std::uintmax_t total)
{
    return "files: " + std::to_string(total) + " bytes in all, more than the " +
           std::to_string(attachment::max_total_size) + " a create may carry";
}

} // namespace

std::string validate_files(const std::vector<attachment>& files)
{
    if (files.size() > attachment::max_count)
        return "files: at most " + std::to_string(attachment::max_count) + " files (got " +
               std::to_string(files.size()) + ")";
    std::size_t total = 0;
    for (std::size_t i = 0; i < files.size(); ++i) {
        const auto& f = files[i];
        if (auto bad = filename_problem(f.filename); !bad.empty())
            return at(i) + ".filename: " + bad;
        if (!f.content_type.empty())
            if (auto bad = content_type_problem(f.content_type); !bad.empty())
                return at(i) + ".content_type: " + bad;
        if (f.path) {
            if (f.path->empty())
                return at(i) + ".path: must not be empty";
            continue;
        }
        if (f.content.size() > attachment::max_size)
            return too_big(i, f.content.size());
        total += f.content.size();
    }
    if (total > attachment::max_total_size)
        return too_much(total);
    return {};
}

std::string_view guess_media_type(std::string_view filename)
{
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> types{{
        {"txt", "text/plain"},
        {"md", "text/markdown"},
        {"csv", "text/csv"},
        {"html", "text/html"},
        {"htm", "text/html"},
        {"json", "application/json"},
        {"xml", "application/xml"},
        {"pdf", "application/pdf"},
        {"zip", "application/zip"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"webp", "image/webp"},
        {"svg", "image/svg+xml"},
        {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    }};
    const auto dot = filename.rfind('.');
    if (dot == std::string_view::npos)
        return {};
    const auto ext = filename.substr(dot + 1);
    for (const auto& [e, type] : types)
        if (iequals(ext, e))
            return type;
    return {};
}

} // namespace detail

attachment attachment::from_memory(std::string filename, std::string content, std::string content_type)
{
    attachment a;
    if (content_type.empty())
        content_type = std::string(detail::guess_media_type(filename));
    a.filename = std::move(filename);
    a.content_type = std::move(content_type);
    a.content = std::move(content);
    return a;
}

attachment attachment::from_path(std::string path, std::string filename, std::string content_type)
{
    if (filename.empty())
        filename = std::filesystem::path(path).filename().string();
    attachment a = from_memory(std::move(filename), {}, std::move(content_type));
    a.path = std::move(path);
    return a;
}

std::string load_attachments(create_task_params& p)
{
    if (auto bad = detail::validate_files(p.files); !bad.empty())
        return bad;
    namespace fs = std::filesystem;
    using detail::at;
    auto cannot = [](std::size_t i, const std::string& path, const std::string& why) {
        return at(i) + ": cannot read " + path + ": " + why;
    };
    // Every size first, so that no file is read when the files are too big.
    std::vector<std::uintmax_t> sizes(p.files.size());
    std::uintmax_t total = 0;
    for (std::size_t i = 0; i < p.files.size(); ++i) {
        const auto& f = p.files[i];
        if (!f.path) {
            total += f.content.size();
            continue;
        }
        std::error_code ec;
        const auto st = fs::status(*f.path, ec);
        if (ec)
            return cannot(i, *f.path, ec.message());
        if (!fs::is_regular_file(st))
            return cannot(i, *f.path,
                          fs::is_directory(st) ? "it is a directory" : "it is not a regular file");
        sizes[i] = fs::file_size(*f.path, ec);
        if (ec)
            return cannot(i, *f.path, ec.message());
        if (sizes[i] > attachment::max_size)
            return detail::too_big(i, sizes[i]);
        total += sizes[i];
    }
    if (total > attachment::max_total_size)
        return detail::too_much(total);
    total = 0;
    for (std::size_t i = 0; i < p.files.size(); ++i) {
        auto& f = p.files[i];
        if (!f.path) {
            total += f.content.size();
            continue;
        }
        std::ifstream in(*f.path, std::ios::binary);
        if (!in)
            return cannot(i, *f.path, std::strerror(errno));
        // The size measured, then one byte more: a file that changed since
        // is refused, and one that grew is not read past its measure.
        std::string bytes(static_cast<std::size_t>(sizes[i]), '\0');
        in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (static_cast<std::size_t>(in.gcount()) != bytes.size())
            return cannot(i, *f.path, "it became shorter while it was read");
        char extra[1];
        if (in.read(extra, 1); in.gcount() != 0)
            return cannot(i, *f.path, "it grew while it was read");
        if (in.bad())
            return cannot(i, *f.path, "read error");
        total += bytes.size();
        f.content = std::move(bytes);
        f.path.reset();
    }
    if (total > attachment::max_total_size) // (not expected: sizes were checked)
        return detail::too_much(total);
    return {};
}

} // namespace handinger
