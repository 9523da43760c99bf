// HTTPS proxies without sockets (src/http/proxy.cpp): the proxy URL, the
// NO_PROXY rules, the CONNECT request, what the proxy's answer means.
#include "http/proxy.hpp"

#include <handinger/error.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace handinger::detail::http;
namespace hd = handinger;

namespace {

// The proxy of a URL as "host port shown authorization", or "error: ...".
std::string parsed(std::string_view url)
{
    proxy_endpoint p;
    std::string what;
    if (!parse_proxy_url(url, p, what))
        return "error: " + what;
    return p.host + " " + p.port + " " + p.shown + " [" + p.authorization + "]";
}

bool contains(const std::string& s, std::string_view part)
{
    return s.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("base64: the RFC 4648 test vectors")
{
    CHECK(base64("") == "");
    CHECK(base64("f") == "Zg==");
    CHECK(base64("fo") == "Zm8=");
    CHECK(base64("foo") == "Zm9v");
    CHECK(base64("foob") == "Zm9vYg==");
    CHECK(base64("fooba") == "Zm9vYmE=");
    CHECK(base64("foobar") == "Zm9vYmFy");
    CHECK(base64(std::string("\xff\xfe\x00", 3)) == "//4A");
    CHECK(base64("Aladdin:open sesame") == "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST_CASE("parse_proxy_url: host, port, how it is shown, credentials")
{
    CHECK(parsed("http://proxy.corp:3128") == "proxy.corp 3128 proxy.corp:3128 []");
    CHECK(parsed("http://proxy.corp:3128/") == "proxy.corp 3128 proxy.corp:3128 []");
    CHECK(parsed("http://proxy.corp") == "proxy.corp 80 proxy.corp:80 []");
    CHECK(parsed("proxy.corp:3128") == "proxy.corp 3128 proxy.corp:3128 []"); // no scheme: http://
    CHECK(parsed("127.0.0.1:8888") == "127.0.0.1 8888 127.0.0.1:8888 []");
    CHECK(parsed("HTTP://Proxy.Corp:1") == "Proxy.Corp 1 Proxy.Corp:1 []");
    CHECK(parsed("http://[::1]:8888") == "::1 8888 [::1]:8888 []");
    CHECK(parsed("[fd00::5]:3128") == "fd00::5 3128 [fd00::5]:3128 []");
    // User info, percent-decoded, as Basic credentials ("Aladdin:open sesame").
    CHECK(parsed("http://Aladdin:open%20sesame@p:1") == "p 1 p:1 [Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==]");
    CHECK(parsed("http://u%40corp:p%3Aw%2F@p:1") == "p 1 p:1 [Basic " + base64("u@corp:p:w/") + "]");
    CHECK(parsed("http://user@p:1") == "p 1 p:1 [Basic " + base64("user:") + "]");
    CHECK(parsed("user:pw@p:1") == "p 1 p:1 [Basic " + base64("user:pw") + "]");
}

TEST_CASE("parse_proxy_url: what is refused, and the message never shows the password")
{
    struct bad {
        std::string url;
        std::string says;
    };
    const std::vector<bad> cases = {
        {"https://p:443", "https:// proxies (TLS to the proxy) are not supported"},
        {"https://user:sekrit@p:443", "https:// proxies"},
        {"socks5://p:1080", "the scheme must be http://"},
        {"socks5h://user:sekrit@p:1080", "the scheme must be http://"},
        {"ftp://p", "the scheme must be http://"},
        {"http://", "has no host"},
        {"http://:8080", "has no host"},
        {"http://p:0", "invalid port"},
        {"http://p:65536", "invalid port"},
        {"http://p:99999999999999999999", "invalid port"},
        {"http://p:8080/path", "without a path, query or fragment"},
        {"http://p:8080?x=1", "without a path, query or fragment"},
        {"http://p:8080#f", "without a path, query or fragment"},
        {"http://1.2.3.4x:8080", "without a path"},
        {"http://p%00x:1", "invalid host"},
        // (found by fuzz_proxy: a percent-encoded name would be shown, and
        // resolved, as something else: "u@x", or "127.0.0.1A" that reads
        // back as an address and a path; an IPvFuture is no host to dial)
        {"http://u%40x.corp:3128", "invalid host"},
        {"http://%3127.0.0.1A:80", "invalid host"},
        {"http://proxy%2Ecorp:80", "invalid host"},
        {"http://[va.:443a]:80", "invalid host"},
        {"http://p q:1", "not a valid URL"},
        {"http://user:sek/rit@p:1", "proxy URL"},
        {"not a url at all", "proxy URL"},
        {"", "proxy URL"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.url);
        auto r = parsed(c.url);
        CAPTURE(r);
        CHECK(contains(r, "error: "));
        CHECK(contains(r, c.says));
        CHECK_FALSE(contains(r, "sekrit"));
        CHECK_FALSE(contains(r, "rit@"));
    }
}

TEST_CASE("shown_proxy_url: no credentials")
{
    proxy_endpoint p;
    std::string what;
    REQUIRE(parse_proxy_url("http://user:sekrit@proxy.corp:3128", p, what));
    CHECK(shown_proxy_url(p) == "http://***@proxy.corp:3128");
    REQUIRE(parse_proxy_url("[::1]:3128", p, what));
    CHECK(shown_proxy_url(p) == "http://[::1]:3128");
}

TEST_CASE("no_proxy_matches: names, suffixes, case, a final dot")
{
    struct row {
        std::string list;
        std::string host;
        bool direct;
    };
    const std::vector<row> rows = {
        {"", "api.example.com", false},
        {"example.com", "example.com", true},
        {"example.com", "api.example.com", true},
        {"example.com", "a.b.example.com", true},
        {"example.com", "myexample.com", false},
        {"example.com", "example.com.evil.net", false},
        {"example.com", "example.co", false},
        {"example.com", "com", false},
        {".example.com", "example.com", true},
        {".example.com", "api.example.com", true},
        {".example.com", "myexample.com", false},
        {"*.example.com", "api.example.com", true},
        {"*.example.com", "example.com", true},
        {"*.example.com", "myexample.com", false},
        {"EXAMPLE.com", "Api.Example.COM", true},
        {"example.com.", "api.example.com", true},
        {"example.com", "api.example.com.", true},
        {"other.net,example.com", "api.example.com", true},
        {"other.net, example.com", "api.example.com", true},
        {" other.net ,\texample.com\n", "api.example.com", true},
        {"other.net example.com", "api.example.com", true},
        {",,,", "api.example.com", false},
        {"other.net", "api.example.com", false},
        {"localhost", "localhost", true},
        {"localhost", "127.0.0.1", false}, // names are never resolved
        {"*", "anything.example", true},
        {"*", "10.1.2.3", true},
        {"other.net,*", "x.example", true},
        {"*.", "x.example", false}, // malformed entries match nothing
        {"**", "x.example", false},
        {".", "x.example", false},
        {"*example.com", "x.example.com", false},
        {"ex*ample.com", "example.com", false},
        {"user@example.com", "example.com", false},
        {"example.com/8", "example.com", false},
    };
    for (const auto& r : rows) {
        CAPTURE(r.list);
        CAPTURE(r.host);
        CHECK(no_proxy_matches(r.list, r.host, "443") == r.direct);
    }
}

TEST_CASE("no_proxy_matches: addresses and CIDR blocks, never a name")
{
    struct row {
        std::string list;
        std::string host;
        bool direct;
    };
    const std::vector<row> rows = {
        {"10.1.2.3", "10.1.2.3", true},
        {"10.1.2.3", "10.1.2.4", false},
        {"10.1.2.3", "110.1.2.3", false},
        {"10.0.0.0/8", "10.200.3.4", true},
        {"10.0.0.0/8", "11.0.0.1", false},
        {"10.0.0.0/8", "10.example.com", false},
        {"192.168.1.0/24", "192.168.1.255", true},
        {"192.168.1.0/24", "192.168.2.0", false},
        {"192.168.1.128/25", "192.168.1.127", false},
        {"192.168.1.128/25", "192.168.1.200", true},
        {"172.16.0.0/12", "172.31.255.255", true},
        {"172.16.0.0/12", "172.32.0.0", false},
        {"0.0.0.0/0", "8.8.8.8", true},
        {"0.0.0.0/0", "::1", false}, // families do not mix
        {"127.0.0.1/32", "127.0.0.1", true},
        {"127.0.0.1/33", "127.0.0.1", false}, // malformed
        {"127.0.0.1/", "127.0.0.1", false},
        {"127.0.0.1/x", "127.0.0.1", false},
        {"127.0.0.1/-1", "127.0.0.1", false},
        {"::1", "::1", true},
        {"[::1]", "::1", true},
        {"::1", "::2", false},
        {"fd00::/8", "fd12:3456::1", true},
        {"fd00::/8", "fe80::1", false},
        {"fe80::/10", "febf::1", true},
        {"fe80::/10", "fec0::1", false},
        {"::/0", "2001:db8::1", true},
        {"::/0", "10.0.0.1", false},
        {"2001:DB8::1", "2001:db8::1", true},
        {"2001:db8::1/129", "2001:db8::1", false},
        {"10.1.2.3", "example.com", false},
    };
    for (const auto& r : rows) {
        CAPTURE(r.list);
        CAPTURE(r.host);
        CHECK(no_proxy_matches(r.list, r.host, "443") == r.direct);
    }
}

TEST_CASE("no_proxy_matches: an entry with a port matches that port only")
{
    struct row {
        std::string list;
        std::string host;
        std::string port;
        bool direct;
    };
    const std::vector<row> rows = {
        {"example.com:8443", "api.example.com", "8443", true},
        {"example.com:8443", "api.example.com", "443", false},
        {"example.com", "api.example.com", "8443", true}, // no port: any port
        {"10.1.2.3:8443", "10.1.2.3", "8443", true},
        {"10.1.2.3:8443", "10.1.2.3", "443", false},
        {"[::1]:8443", "::1", "8443", true},
        {"[::1]:8443", "::1", "443", false},
        {"[::1]", "::1", "8443", true},
        {"[::1", "::1", "443", false},   // malformed
        {"[::1]x", "::1", "443", false}, // malformed
        {"example.com:", "example.com", "443", false},
        {"example.com:0", "example.com", "0", false},
        {"example.com:x", "example.com", "443", false},
        {"example.com:443:1", "example.com", "443", false},
    };
    for (const auto& r : rows) {
        CAPTURE(r.list);
        CAPTURE(r.host);
        CAPTURE(r.port);
        CHECK(no_proxy_matches(r.list, r.host, r.port) == r.direct);
    }
}

TEST_CASE("connect_request: request line, Host, User-Agent, Proxy-Authorization")
{
    proxy_endpoint p;
    std::string what;
    REQUIRE(parse_proxy_url("http://127.0.0.1:8888", p, what));
    CHECK(connect_authority("handinger.com", "443") == "handinger.com:443");
    CHECK(connect_authority("::1", "8443") == "[::1]:8443");
    CHECK(connect_request("handinger.com:443", p, "ua/1") ==
          "CONNECT handinger.com:443 HTTP/1.1\r\nHost: handinger.com:443\r\nUser-Agent: ua/1\r\n\r\n");
    REQUIRE(parse_proxy_url("http://Aladdin:open%20sesame@127.0.0.1:8888", p, what));
    CHECK(connect_request("[::1]:8443", p, "") ==
          "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n"
          "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n");
}

TEST_CASE("verdict_of and refusal_error: every status")
{
    for (int st = 0; st < 1000; ++st) {
        CAPTURE(st);
        auto v = verdict_of(st);
        if (st >= 200 && st < 300) {
            CHECK(v == connect_verdict::tunnel);
            CHECK_FALSE(refusal_error(st));
        } else if (st >= 500 && st < 600) {
            CHECK(v == connect_verdict::transient);
            CHECK(refusal_error(st) == hd::error::connection);
        } else {
            CHECK(v == connect_verdict::refused);
            CHECK(refusal_error(st) == hd::error::proxy);
        }
    }
}

TEST_CASE("refusal_message: names the proxy and the target, never the credentials")
{
    proxy_endpoint p;
    std::string what;
    REQUIRE(parse_proxy_url("http://user:sekrit@127.0.0.1:8888", p, what));
    auto m = refusal_message(p, "h.example:443", 407, "Proxy Authentication Required");
    CHECK(m == "proxy 127.0.0.1:8888 refused CONNECT to h.example:443: 407 Proxy Authentication Required "
               "(the proxy did not accept the user:password of its URL)");
    CHECK(refusal_message(p, "h.example:443", 403, "Filtered") ==
          "proxy 127.0.0.1:8888 refused CONNECT to h.example:443: 403 Filtered");
    CHECK(refusal_message(p, "h.example:443", 502, "Bad Gateway") ==
          "proxy 127.0.0.1:8888 failed CONNECT to h.example:443: 502 Bad Gateway");
    // The reason phrase is the proxy's: printable ASCII only, bounded.
    auto odd = refusal_message(p, "h:1", 403, std::string("a\x01\x7f\xc3\xa9") + std::string(300, 'x'));
    CHECK(contains(odd, "403 a????xxx"));
    CHECK(odd.size() < 200);
    CHECK(refusal_message(p, "h:1", 403, "") == "proxy 127.0.0.1:8888 refused CONNECT to h:1: 403");
    CHECK(contains(refusal_message(p, "h:1", 401, "Unauthorized"), "did not accept the user:password"));
    REQUIRE(parse_proxy_url("http://127.0.0.1:8888", p, what));
    CHECK(contains(refusal_message(p, "h:1", 407, "x"), "(the proxy URL has no user:password)"));
}
