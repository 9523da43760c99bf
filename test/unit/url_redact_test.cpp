// What a message may show of a base URL, and which hosts are loopback (src/http/url.cpp).
#include "http/url.hpp"

#include <doctest/doctest.h>

#include <string>

using handinger::detail::http::is_loopback_host;
using handinger::detail::http::redact_url;

TEST_CASE("url: redact_url elides user info, query and fragment, and keeps the rest")
{
    CHECK(redact_url("https://handinger.com") == "https://handinger.com");
    CHECK(redact_url("http://127.0.0.1:8080/v1/") == "http://127.0.0.1:8080/v1/");
    CHECK(redact_url("not a url") == "not a url");
    CHECK(redact_url("") == "");
    CHECK(redact_url("https://user:pw@h.example:8443/p") == "https://***@h.example:8443/p");
    CHECK(redact_url("https://pw@h.example") == "https://***@h.example");
    CHECK(redact_url("https://h.example/p?key=pw") == "https://h.example/p?...");
    CHECK(redact_url("https://h.example/p#pw") == "https://h.example/p#...");
    CHECK(redact_url("https://h.example/p?a=1#pw") == "https://h.example/p?...");
    // A password holding '@', '/', '?' or '#': everything up to the last '@' goes.
    CHECK(redact_url("https://user:p@w@h.example") == "https://***@h.example");
    CHECK(redact_url("https://user:p/w@h.example") == "https://***@h.example");
    CHECK(redact_url("https://user:p#w@h.example") == "https://***@h.example");
    CHECK(redact_url("https://user:p?w@h.example/x?q=1") == "https://***@h.example/x?...");
    // No "://": the whole start may be user info.
    CHECK(redact_url("user:pw@h.example") == "***@h.example");
    CHECK(redact_url("mailto:x@y.example") == "***@y.example");
}

TEST_CASE("url: is_loopback_host knows 127.0.0.0/8, ::1 and localhost only")
{
    for (const char* h : {"127.0.0.1", "127.0.0.2", "127.255.255.255", "127.1.2.3", "::1", "0:0:0:0:0:0:0:1",
                          "::ffff:127.0.0.1", "localhost", "LOCALHOST", "localhost."}) {
        CAPTURE(h);
        CHECK(is_loopback_host(h));
    }
    for (const char* h :
         {"128.0.0.1", "10.0.0.1", "0.0.0.0", "::", "::2", "::ffff:10.0.0.1", "127.0.0.1.nip.io",
          "localhost.example", "my-localhost", "127.1", "0x7f.0.0.1", "", "example.invalid", "fe80::1"}) {
        CAPTURE(h);
        CHECK_FALSE(is_loopback_host(h));
    }
}
