#include "http/platform_headers.hpp"

#include "util/text.hpp"

#include <handinger/version.hpp>

#if defined(__APPLE__)
#include <TargetConditionals.h>
#endif

namespace handinger::detail::http {

namespace {

// The spellings are the official SDKs' (their platform headers).
constexpr std::string_view os_name()
{
#if defined(__ANDROID__)
    return "Android";
#elif defined(__APPLE__)
#if TARGET_OS_IPHONE
    return "iOS";
#else
    return "MacOS";
#endif
#elif defined(__linux__)
    return "Linux";
#elif defined(_WIN32)
    return "Windows";
#elif defined(__FreeBSD__)
    return "FreeBSD";
#elif defined(__OpenBSD__)
    return "OpenBSD";
#else
    return "Unknown";
#endif
}

constexpr std::string_view arch_name()
{
#if defined(__x86_64__) || defined(_M_X64)
    return "x64";
#elif defined(__i386__) || defined(_M_IX86)
    return "x32";
#elif defined(__aarch64__) || defined(_M_ARM64)
    return "arm64";
#elif defined(__arm__) || defined(_M_ARM)
    return "arm";
#else
    return "unknown";
#endif
}

#define HANDINGER_STR2(x) #x
#define HANDINGER_STR(x) HANDINGER_STR2(x)

// The compiler that built the library: C++ has no runtime of its own the
// way Node or CPython is one, and the compiler (with its standard library)
// is what tells two builds apart.
constexpr std::string_view runtime_name()
{
#if defined(__clang__)
    return "clang";
#elif defined(__GNUC__)
    return "gcc";
#elif defined(_MSC_VER)
    return "msvc";
#else
    return "unknown";
#endif
}

constexpr std::string_view runtime_version()
{
#if defined(__clang__)
    return HANDINGER_STR(__clang_major__) "." HANDINGER_STR(__clang_minor__) "." HANDINGER_STR(
        __clang_patchlevel__);
#elif defined(__GNUC__)
    return HANDINGER_STR(__GNUC__) "." HANDINGER_STR(__GNUC_MINOR__) "." HANDINGER_STR(__GNUC_PATCHLEVEL__);
#elif defined(_MSC_VER)
    return HANDINGER_STR(_MSC_FULL_VER);
#else
    return "unknown";
#endif
}

header_list make_platform_headers()
{
    return {
        {"User-Agent", "handinger-cpp/" HANDINGER_VERSION_STRING},
        {"Accept", "application/json"},
        {"X-Stainless-Lang", "cpp"},
        {"X-Stainless-Package-Version", HANDINGER_VERSION_STRING},
        {"X-Stainless-OS", std::string(os_name())},
        {"X-Stainless-Arch", std::string(arch_name())},
        {"X-Stainless-Runtime", std::string(runtime_name())},
        {"X-Stainless-Runtime-Version", std::string(runtime_version())},
    };
}

} // namespace

const header_list& platform_headers()
{
    static const header_list h = make_platform_headers();
    return h;
}

bool replaces_builtin(std::string_view name) noexcept
{
    constexpr std::string_view stainless = "x-stainless-";
    return iequals(name, "user-agent") || iequals(name, "accept") ||
           (name.size() > stainless.size() && iequals(name.substr(0, stainless.size()), stainless));
}

bool replaces_builtin(const header_list& h) noexcept
{
    for (const auto& [name, value] : h)
        if (replaces_builtin(name))
            return true;
    return false;
}

long long timeout_header_seconds(std::chrono::milliseconds timeout) noexcept
{
    const auto ms = timeout.count();
    return ms <= 0 ? 0 : ms / 1000 + (ms % 1000 != 0);
}

} // namespace handinger::detail::http
