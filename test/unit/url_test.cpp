// Base URLs, path segments and task paths (src/http/url.cpp).
#include "http/url.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace handinger::detail::http;

namespace {

// The endpoint of a base URL, or its error text prefixed with "error: ".
std::string parsed(std::string_view url)
{
    endpoint ep;
    std::string what;
    if (!parse_base_url(url, ep, what))
        return "error: " + what;
    return std::string(ep.tls ? "tls " : "tcp ") + ep.host + " " + ep.port + " [" + ep.path_prefix + "] " +
           ep.host_header;
}

} // namespace

TEST_CASE("parse_base_url: host, port, prefix and Host header")
{
    CHECK(parsed("https://handinger.com") == "tls handinger.com 443 [] handinger.com");
    CHECK(parsed("http://127.0.0.1:8080/prefix/") == "tcp 127.0.0.1 8080 [/prefix] 127.0.0.1:8080");
    CHECK(parsed("https://[::1]:443/a/b") == "tls ::1 443 [/a/b] [::1]");
    CHECK(parsed("http://h:80") == "tcp h 80 [] h");
    CHECK(parsed("ftp://h").find("scheme must be http or https") != std::string::npos);
    CHECK(parsed("https://u@h").find("must not have user info") != std::string::npos);
    CHECK(parsed("https://h:65536").find("invalid port") != std::string::npos);
    CHECK(parsed("relative/path").find("is not an absolute URL") != std::string::npos);
}

TEST_CASE("parse_base_url: a host that only starts with an IPv4 address is refused")
{
    // Boost.URL 1.81 reads these as host 127.0.0.1 and a path without its
    // leading '/' ("!8080/prefix"), which made a request target that is not
    // one (found by fuzz_url).
    CHECK(parsed("http://127.0.0.1!8080/prefik_vk81XUHKHG-qr4") ==
          "error: base URL \"http://127.0.0.1!8080/prefik_vk81XUHKHG-qr4\" has an invalid host");
    CHECK(parsed("http://1.2.3.4a/x").find("has an invalid host") != std::string::npos);
    CHECK(parsed("http://1.2.3.4:80a/").find("has an invalid") != std::string::npos);
    CHECK(parsed("http://1.2.3.4/x") == "tcp 1.2.3.4 80 [/x] 1.2.3.4");
}

TEST_CASE("parse_base_url: a host that decodes to control characters is refused")
{
    // "%00" cut the host short where it is used as a C string (resolver,
    // SNI, certificate check); found by fuzz_url with "%01".
    CHECK(parsed("http://%01%2eb:0080") == "error: base URL \"http://%01%2eb:0080\" has an invalid host");
    CHECK(parsed("https://good.example%00.evil").find("has an invalid host") != std::string::npos);
    CHECK(parsed("https://a%20b").find("has an invalid host") != std::string::npos);
    CHECK(parsed("http://%41%2eb:0080") == "tcp A.b 0080 [] %41%2eb:0080"); // decoded, kept as written
}

TEST_CASE("append_segment and task_path: one segment, never a dot segment")
{
    std::string s = "/";
    append_segment(s, "tsk_01HZ-._~a/b c%\xc3\xa9");
    CHECK(s == "/tsk_01HZ-._~a%2Fb%20c%25%C3%A9");
    CHECK(task_path("", "tsk_1") == "/api/tasks/tsk_1");
    CHECK(task_path("/p", "a/b", "/turns") == "/p/api/tasks/a%2Fb/turns");
    CHECK(task_path("", ".") == "/api/tasks/%2E");
    CHECK(task_path("", "..", "/turns") == "/api/tasks/%2E%2E/turns");
    CHECK(task_path("", "...") == "/api/tasks/...");
}
