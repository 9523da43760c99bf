// Shared by the tests that need files on disk (unit, client and CLI tests):
// a private temporary directory, removed with everything in it at scope exit.
#pragma once

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

namespace test_files {

class temp_dir {
public:
    temp_dir()
    {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/handinger-test.XXXXXX";
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path_ = tmpl;
    }
    ~temp_dir()
    {
        std::error_code ec;
        // A test may have made something unreadable; make it removable again.
        for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
             !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
            ::chmod(it->path().c_str(), 0700);
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::string& path() const { return path_; }
    std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }
    /// Writes `content` to a file in the directory and returns its path.
    std::string write(std::string_view name, std::string_view content) const
    {
        auto p = file(name);
        std::ofstream f(p, std::ios::binary | std::ios::trunc);
        f.write(content.data(), static_cast<std::streamsize>(content.size()));
        REQUIRE(f.good());
        return p;
    }
    /// A sparse file of `size` bytes (large without costing the disk); its path.
    std::string sized(std::string_view name, std::uintmax_t size) const
    {
        auto p = write(name, "");
        std::filesystem::resize_file(p, size);
        return p;
    }

private:
    std::string path_;
};

} // namespace test_files
