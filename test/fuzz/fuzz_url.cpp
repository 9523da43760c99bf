// libFuzzer target: base URLs and request paths (src/http/url.cpp).
//
// The input's first line (up to the first LF) is a base URL; the rest, any
// bytes, is a task id.
//
// Invariants:
//  - append_segment writes only RFC 3986 unreserved characters and %XX
//    (upper-case hex); decoding it gives the input back; it is what
//    Boost.URL's encode(s, unreserved_chars) writes.
//  - task_path with a non-empty id is a valid origin-form target whose
//    decoded segments are the prefix's, "api", "tasks", the id and the
//    suffix's, and whose id segment is never a dot segment.
//  - parse_base_url fails with a message, or gives a host without control
//    characters (it goes to SNI, certificate checks and the resolver as a C
//    string), a port in 1..65535, a prefix that is "" or "/..." without a
//    trailing slash, a Host header that is a valid authority, a prefix that
//    makes a valid origin-form target; and scheme://host_header + prefix
//    parses back to the same endpoint. Boost.URL's parse_uri accepts every
//    base URL it accepts, with the same host and port.
#include "http/url.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace handinger::detail::http;
namespace urls = boost::urls;

[[noreturn]] void die(const char* why, std::string_view a, std::string_view b = {})
{
    std::fprintf(stderr, "fuzz_url: %s: [%.*s] [%.*s]\n", why, static_cast<int>(a.size()), a.data(),
                 static_cast<int>(b.size()), b.data());
    std::abort();
}

bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1; // lower case is not what append_segment writes
}

void check_segment(std::string_view id)
{
    std::string out = "x"; // appends: what was there stays
    append_segment(out, id);
    if (out[0] != 'x')
        die("append_segment changed what was there", id);
    std::string_view enc(out);
    enc.remove_prefix(1);
    std::string decoded;
    for (std::size_t i = 0; i < enc.size(); ++i) {
        const auto c = static_cast<unsigned char>(enc[i]);
        if (unreserved(c)) {
            decoded += static_cast<char>(c);
            continue;
        }
        if (c != '%' || i + 2 >= enc.size() || hex_value(enc[i + 1]) < 0 || hex_value(enc[i + 2]) < 0)
            die("append_segment wrote a character outside unreserved and %XX", id, enc);
        decoded += static_cast<char>(hex_value(enc[i + 1]) * 16 + hex_value(enc[i + 2]));
        i += 2;
    }
    if (decoded != id)
        die("decoding append_segment's output does not give the input", id, enc);
    const std::string boost_enc =
        urls::encode(urls::string_view(id.data(), id.size()), urls::unreserved_chars);
    if (boost_enc != enc)
        die("append_segment differs from Boost.URL's encode", enc, boost_enc);
}

std::vector<std::string> decoded_segments(const urls::url_view& u)
{
    std::vector<std::string> out;
    for (auto s : u.segments())
        out.push_back(s);
    return out;
}

void check_task_path(std::string_view id)
{
    if (id.empty())
        return; // refused before any request (task_id: must be at least 1 character)
    const std::string path = task_path("/pre%20fix", id, "/turns");
    auto r = urls::parse_origin_form(path);
    if (!r)
        die("task_path is not an origin-form target", id, path);
    const std::vector<std::string> want{"pre fix", "api", "tasks", std::string(id), "turns"};
    if (decoded_segments(*r) != want)
        die("task_path's segments are not prefix, api, tasks, id, suffix", id, path);
    std::vector<std::string> encoded;
    for (auto s : r->encoded_segments())
        encoded.emplace_back(s.data(), s.size());
    if (encoded.size() != 5 || encoded[3] == "." || encoded[3] == "..")
        die("task_path's id segment is a dot segment", id, path);
}

bool has_control(std::string_view s)
{
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f || c == ' ')
            return true;
    return false;
}

bool same(const endpoint& a, const endpoint& b)
{
    return a.tls == b.tls && a.host == b.host && a.port == b.port && a.path_prefix == b.path_prefix &&
           a.host_header == b.host_header;
}

void check_base_url(std::string_view text)
{
    endpoint ep;
    std::string what;
    if (!parse_base_url(text, ep, what)) {
        if (what.empty())
            die("parse_base_url failed without a message", text);
        return;
    }
    if (!what.empty())
        die("parse_base_url succeeded with a message", text, what);
    if (ep.host.empty() || has_control(ep.host))
        die("empty host, or control characters in the host", text, ep.host);
    // Decimal (leading zeros are kept as written: "0080" is port 80).
    unsigned long port = 0;
    auto [end, ec] = std::from_chars(ep.port.data(), ep.port.data() + ep.port.size(), port);
    if (ep.port.empty() || ec != std::errc() || end != ep.port.data() + ep.port.size())
        die("port is not decimal", text, ep.port);
    if (port == 0 || port > 65535)
        die("port out of range", text, ep.port);
    const std::string& pre = ep.path_prefix;
    if (!pre.empty() && (pre.front() != '/' || pre.back() == '/'))
        die("path prefix is neither empty nor /... without a trailing slash", text, pre);
    auto host_header = urls::parse_authority(ep.host_header);
    if (!host_header || host_header->has_userinfo())
        die("Host header is not a valid host[:port]", text, ep.host_header);
    const std::string target = pre + "/api/tasks/x";
    if (!urls::parse_origin_form(target))
        die("the prefix does not make an origin-form target", text, target);

    // Written back from its parts, the base URL parses to the same endpoint.
    const std::string again = (ep.tls ? "https://" : "http://") + ep.host_header + pre;
    endpoint ep2;
    std::string what2;
    if (!parse_base_url(again, ep2, what2))
        die("the endpoint written back does not parse", again, what2);
    if (!same(ep, ep2))
        die("the endpoint written back parses differently", text, again);

    // Boost.URL's general parser agrees on host and port.
    auto u = urls::parse_uri(text);
    if (!u)
        die("parse_uri refuses what parse_base_url accepts", text);
    const std::string host = u->host_type() == urls::host_type::ipv6 ? std::string(u->encoded_host_address())
                                                                     : std::string(u->host());
    if (host != ep.host)
        die("parse_uri's host differs", text, host);
    if (u->has_port() && std::string(u->port()) != ep.port)
        die("parse_uri's port differs", text, std::string(u->port()));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto nl = text.find('\n');
    const std::string_view base = text.substr(0, nl);
    const std::string_view id = nl == std::string_view::npos ? text : text.substr(nl + 1);
    check_base_url(base);
    check_segment(id);
    check_task_path(id);
    return 0;
}
