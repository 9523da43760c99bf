// The built-in headers (src/http/platform_headers.hpp) and how a caller's
// header of the same name replaces one (src/http/request_writer.hpp): pure
// logic, no sockets. The same on the wire through the simulator is in
// test/client/platform_headers_test.cpp.
#include "http/platform_headers.hpp"
#include "http/request_writer.hpp"
#include "util/text.hpp"

#include <handinger/version.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace handinger::detail::http;
using handinger::header_list;
using handinger::detail::iequals;

namespace {

// The header lines of a request written by write_request, in order.
header_list header_lines(const std::string& wire)
{
    header_list out;
    auto at = wire.find("\r\n") + 2; // after the request line
    for (;;) {
        auto end = wire.find("\r\n", at);
        REQUIRE(end != std::string::npos);
        if (end == at)
            return out;
        auto line = wire.substr(at, end - at);
        auto colon = line.find(": ");
        REQUIRE(colon != std::string::npos);
        out.emplace_back(line.substr(0, colon), line.substr(colon + 2));
        at = end + 2;
    }
}

std::vector<std::string> values_of(const header_list& h, const std::string& name)
{
    std::vector<std::string> v;
    for (const auto& [n, value] : h)
        if (iequals(n, name))
            v.push_back(value);
    return v;
}

std::string lower(std::string s)
{
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string upper(std::string s)
{
    for (auto& c : s)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// Every header the library sends on its own, with the value it sends in the
// requests below (retry count 1, timeout 30 s).
header_list all_builtins()
{
    header_list all = platform_headers();
    all.emplace_back("X-Stainless-Retry-Count", "1");
    all.emplace_back("X-Stainless-Timeout", "30");
    return all;
}

// A request written as the client writes it: Host h:1, the platform
// headers, key k, retry 1, timeout 30 s, the caller's headers `caller`.
std::string written(std::string_view method, std::string_view body, const header_list& caller)
{
    static const auto fixed = fixed_request_headers("h:1", platform_headers(), "Bearer k");
    request r{method, "/api/tasks", body, &caller, 1, {}};
    r.timeout_seconds = 30;
    r.replaces_builtin = replaces_builtin(caller);
    std::string out;
    write_request(r, fixed, out);
    return out;
}

} // namespace

TEST_CASE("builtin headers: the platform headers the official SDKs send, once each, with this build's values")
{
    const auto& h = platform_headers();
    const std::vector<std::string> names = {
        "User-Agent",     "Accept",           "X-Stainless-Lang",    "X-Stainless-Package-Version",
        "X-Stainless-OS", "X-Stainless-Arch", "X-Stainless-Runtime", "X-Stainless-Runtime-Version"};
    REQUIRE(h.size() == names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        CHECK(h[i].first == names[i]);
        CHECK(values_of(h, names[i]).size() == 1);
        CHECK(replaces_builtin(names[i]));
    }
    CHECK(values_of(h, "User-Agent")[0] == std::string("handinger-cpp/") + HANDINGER_VERSION_STRING);
    CHECK(values_of(h, "Accept")[0] == "application/json");
    CHECK(values_of(h, "X-Stainless-Lang")[0] == "cpp");
    CHECK(values_of(h, "X-Stainless-Package-Version")[0] == HANDINGER_VERSION_STRING);
#if defined(__linux__) && !defined(__ANDROID__)
    CHECK(values_of(h, "X-Stainless-OS")[0] == "Linux");
#endif
#if defined(__x86_64__)
    CHECK(values_of(h, "X-Stainless-Arch")[0] == "x64");
#elif defined(__aarch64__)
    CHECK(values_of(h, "X-Stainless-Arch")[0] == "arm64");
#endif
#if defined(__clang__)
    CHECK(values_of(h, "X-Stainless-Runtime")[0] == "clang");
    const std::string version = std::to_string(__clang_major__) + "." + std::to_string(__clang_minor__) +
                                "." + std::to_string(__clang_patchlevel__);
#elif defined(__GNUC__)
    CHECK(values_of(h, "X-Stainless-Runtime")[0] == "gcc");
    const std::string version = std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                                std::to_string(__GNUC_PATCHLEVEL__);
#endif
    // The library and this test are built by the same compiler.
    CHECK(values_of(h, "X-Stainless-Runtime-Version")[0] == version);
    CHECK(&platform_headers() == &h); // computed once
}

TEST_CASE("builtin headers: which names a caller's header replaces, in any case")
{
    for (const std::string name :
         {"User-Agent", "Accept", "X-Stainless-Lang", "X-Stainless-Package-Version", "X-Stainless-OS",
          "X-Stainless-Arch", "X-Stainless-Runtime", "X-Stainless-Runtime-Version", "X-Stainless-Retry-Count",
          "X-Stainless-Timeout", "X-Stainless-Anything-New"})
        for (const auto& variant : {name, lower(name), upper(name)}) {
            INFO(variant);
            CHECK(replaces_builtin(variant));
            CHECK(replaces_builtin(header_list{{"X-Other", "1"}, {variant, "v"}}));
        }
    for (const std::string name :
         {"", "Host", "Authorization", "Content-Type", "Content-Length", "Connection", "Transfer-Encoding",
          "X-Stainless", "X-Stainless-", "X-Stainlessly", "User-Agents", "Accept-Language", "X-Trace"})
        for (const auto& variant : {name, lower(name), upper(name)}) {
            INFO(variant);
            CHECK_FALSE(replaces_builtin(variant));
            CHECK_FALSE(replaces_builtin(header_list{{variant, "v"}}));
        }
    CHECK_FALSE(replaces_builtin(header_list{}));
}

TEST_CASE("builtin headers: X-Stainless-Timeout is the attempt's timeout in whole seconds, rounded up")
{
    using ms = std::chrono::milliseconds;
    const std::vector<std::pair<long long, long long>> rows = {
        {0, 0},        {-5, 0},      {1, 1},       {999, 1},       {1000, 1},
        {1001, 2},     {59'999, 60}, {60'000, 60}, {600'000, 600}, {LLONG_MAX, LLONG_MAX / 1000 + 1},
        {LLONG_MIN, 0}};
    for (const auto& row : rows) {
        // (Named copies: clang 14 cannot capture a structured binding in INFO's lambda.)
        const long long in = row.first;
        const long long want = row.second;
        INFO(in);
        CHECK(timeout_header_seconds(ms(in)) == want);
    }
}

TEST_CASE("builtin headers: without a caller's header of their names, each goes out once, as built")
{
    const header_list caller = {{"X-Trace", "t"}};
    CHECK_FALSE(replaces_builtin(caller));
    auto lines = header_lines(written("GET", {}, caller));
    header_list want = {{"Host", "h:1"}};
    for (const auto& h : platform_headers())
        want.push_back(h);
    want.emplace_back("Authorization", "Bearer k");
    want.emplace_back("X-Stainless-Retry-Count", "1");
    want.emplace_back("X-Stainless-Timeout", "30");
    want.emplace_back("X-Trace", "t");
    CHECK(lines == want);
}

TEST_CASE(
    "builtin headers: a caller's header replaces the built-in of its name, in any case, never beside it")
{
    for (const auto& [name, builtin_value] : all_builtins())
        for (const auto& variant : {name, lower(name), upper(name)}) {
            // Alone, and among others (before and after it).
            for (const auto& caller : {header_list{{variant, "mine"}},
                                       header_list{{"X-A", "a"}, {variant, "mine"}, {"X-B", "b"}}}) {
                INFO(variant, " among ", caller.size());
                REQUIRE(replaces_builtin(caller));
                const auto out = written("POST", "{}", caller);
                auto lines = header_lines(out);
                CHECK(values_of(lines, name) == std::vector<std::string>{"mine"});
                // The line is the caller's, as the caller spelled it.
                CHECK(std::count(lines.begin(), lines.end(),
                                 std::pair<std::string, std::string>{variant, "mine"}) == 1);
                // Every other built-in stays, once, with its own value.
                for (const auto& [other, value] : all_builtins())
                    if (!iequals(other, name))
                        CHECK(values_of(lines, other) == std::vector<std::string>{value});
                CHECK(values_of(lines, "Host") == std::vector<std::string>{"h:1"});
                CHECK(values_of(lines, "Authorization") == std::vector<std::string>{"Bearer k"});
                CHECK(values_of(lines, "Content-Length") == std::vector<std::string>{"2"});
                CHECK(out.substr(out.size() - 6) == "\r\n\r\n{}");
            }
        }
}

TEST_CASE("builtin headers: every built-in replaced at once, and the transport's own headers never")
{
    header_list caller;
    for (const auto& [name, value] : all_builtins())
        caller.emplace_back(lower(name), "c-" + value);
    caller.emplace_back("HOST", "evil");
    caller.emplace_back("authorization", "Bearer stolen");
    auto lines = header_lines(written("GET", {}, caller));
    for (const auto& [name, value] : all_builtins())
        CHECK(values_of(lines, name) == std::vector<std::string>{"c-" + value});
    CHECK(values_of(lines, "Host") == std::vector<std::string>{"h:1"});
    CHECK(values_of(lines, "Authorization") == std::vector<std::string>{"Bearer k"});
    CHECK(lines.size() == all_builtins().size() + 2);
}
