// The headers every request carries besides Host and Authorization, as the
// official SDKs send them (User-Agent, Accept, X-Stainless-*), and the rule
// by which a caller's header of the same name replaces one of them. No I/O.
#pragma once

#include <handinger/options.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace handinger::detail::http {

/// The headers fixed for the life of the process, in the order sent:
///   User-Agent: handinger-cpp/VERSION
///   Accept: application/json
///   X-Stainless-Lang: cpp
///   X-Stainless-Package-Version: VERSION
///   X-Stainless-OS: Linux | MacOS | Windows | FreeBSD | OpenBSD | iOS | Android | Unknown
///   X-Stainless-Arch: x64 | x32 | arm64 | arm | unknown
///   X-Stainless-Runtime: gcc | clang | msvc | unknown (the compiler that built the library)
///   X-Stainless-Runtime-Version: its version ("12.2.0")
/// Computed once; the same list for every client.
const header_list& platform_headers();

/// Whether a caller's header named `name` replaces a built-in one instead of
/// being sent beside it: User-Agent, Accept and every X-Stainless-* header
/// (X-Stainless-Retry-Count and X-Stainless-Timeout included), in any case.
/// Host, Authorization and the framing headers are the transport's and are
/// never taken from a caller (request_writer.hpp).
bool replaces_builtin(std::string_view name) noexcept;

/// Whether any header of `h` replaces a built-in one.
bool replaces_builtin(const header_list& h) noexcept;

/// The value of X-Stainless-Timeout for a per-attempt `timeout`: whole
/// seconds, rounded up (a positive timeout never reads 0).
long long timeout_header_seconds(std::chrono::milliseconds timeout) noexcept;

} // namespace handinger::detail::http
