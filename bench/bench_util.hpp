// Small pieces the benchmark programs share.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

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

/// Unix time in milliseconds (the system clock, as the simulator's).
inline std::int64_t now_ms()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// "2026-11-28T16:20:00.123Z" -> unix ms; -1 when malformed.
inline std::int64_t iso_ms(const std::string& s)
{
    std::tm tm{};
    int ms = 0;
    if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                    &tm.tm_min, &tm.tm_sec, &ms) < 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

/// The p-quantile (p in [0, 1]) of v, nearest rank; 0 when v is empty.
inline double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
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
    /// Takes the current option when it is --url, --ca or --key (the
    /// simulator a benchmark runs against): true when it was one of them.
    bool server(const std::string& name, std::string& url, std::string& ca, std::string& key)
    {
        if (name == "--url")
            url = value();
        else if (name == "--ca")
            ca = value();
        else if (name == "--key")
            key = value();
        else
            return false;
        return true;
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
