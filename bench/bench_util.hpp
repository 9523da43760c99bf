// Small pieces the benchmark programs share.
#pragma once

#include <sys/resource.h>

#include <cstdlib>
#include <iostream>
#include <string>

namespace bench {

/// User + system CPU seconds in a rusage.
inline double cpu_seconds(const rusage& r)
{
    return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
           static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

/// User-mode CPU seconds in `r`.
inline double user_seconds(const rusage& r)
{
    return static_cast<double>(r.ru_utime.tv_sec) + static_cast<double>(r.ru_utime.tv_usec) / 1e6;
}

/// User-mode CPU seconds this process has used.
inline double self_user_cpu()
{
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    return user_seconds(r);
}

/// CPU seconds this process has used.
inline double self_cpu()
{
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    return cpu_seconds(r);
}

/// Walks "--name value" arguments; an option without its value, or an unknown
/// one, ends the program with status 2.
class arg_reader {
public:
    arg_reader(int argc, char** argv) : argc_(argc), argv_(argv) {}

    /// The next option name, or "" at the end.
    std::string next()
    {
        if (++i_ >= argc_)
            return {};
        return name_ = argv_[i_];
    }
    /// The value of the current option.
    std::string value()
    {
        if (i_ + 1 >= argc_) {
            std::cerr << "missing value for " << name_ << "\n";
            std::exit(2);
        }
        return argv_[++i_];
    }
    [[noreturn]] void unknown() const
    {
        std::cerr << "unknown option " << name_ << "\n";
        std::exit(2);
    }

private:
    int argc_;
    char** argv_;
    int i_ = 0;
    std::string name_;
};

} // namespace bench
