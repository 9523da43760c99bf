#include "http/url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <charconv>

namespace handinger::detail::http {

std::string redact_url(std::string_view url)
{
    std::string out;
    auto sep = url.find("://");
    const std::size_t start = sep == std::string_view::npos ? 0 : sep + 3;
    out.append(url.substr(0, start));
    auto rest = url.substr(start);
    // The last '@', wherever it is: a password may hold '/', '?' or '#'
    // unencoded, and then any '@' could end the user info.
    if (auto at = rest.rfind('@'); at != std::string_view::npos) {
        out += "***";
        rest.remove_prefix(at);
    }
    auto qf = rest.find_first_of("?#");
    out.append(rest.substr(0, qf));
    if (qf != std::string_view::npos) {
        out += rest[qf];
        out += "...";
    }
    return out;
}

bool is_loopback_host(std::string_view host)
{
    auto lower_is = [&](std::string_view name) {
        if (host.size() != name.size())
            return false;
        for (std::size_t i = 0; i < host.size(); ++i)
            if (std::tolower(static_cast<unsigned char>(host[i])) != name[i])
                return false;
        return true;
    };
    if (lower_is("localhost") || lower_is("localhost."))
        return true;
    const std::string h(host);
    in_addr v4{};
    if (::inet_pton(AF_INET, h.c_str(), &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (::inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&v6))
            return true;
        return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
    }
    return false;
}

bool valid_port(std::string_view port)
{
    unsigned long n = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    return !port.empty() && ec == std::errc() && end == port.data() + port.size() && n != 0 && n <= 65535;
}

bool valid_host_chars(std::string_view host)
{
    // A NUL would cut the C string short, and no control character or
    // space belongs in a host name.
    for (unsigned char c : host)
        if (c < 0x20 || c == 0x7f || c == ' ')
            return false;
    return !host.empty();
}

bool parse_base_url(std::string_view text, endpoint& out, std::string& what)
{
    // Messages show the URL without user info, query or fragment.
    auto shown = [&] { return "base URL \"" + redact_url(text) + "\""; };
    auto r = boost::urls::parse_absolute_uri(text);
    if (!r) {
        what = shown() + " is not an absolute URL";
        return false;
    }
    const auto& u = *r;
    auto scheme = u.scheme();
    if (scheme == "https")
        out.tls = true;
    else if (scheme == "http")
        out.tls = false;
    else {
        what = shown() + ": scheme must be http or https";
        return false;
    }
    if (!u.has_authority() || u.encoded_host().empty()) {
        what = shown() + " has no host";
        return false;
    }
    // Boost.URL 1.81 reads "http://127.0.0.1.example.com" as host 127.0.0.1
    // and path ".example.com", and "http://1.2.3.4x/p" as host 1.2.3.4 and
    // path "x/p" (an IPv4 address that only starts the host name): after an
    // authority, a path is empty or starts with '/'.
    if (auto p = u.encoded_path(); !p.empty() && p.front() != '/') {
        what = shown() + " has an invalid host";
        return false;
    }
    if (u.has_userinfo()) {
        what = shown() + " must not have user info (the API key goes in client_options::api_key)";
        return false;
    }
    if (u.has_query() || u.has_fragment()) {
        what = shown() + " must not have a query or a fragment";
        return false;
    }
    // "https://user:1/pass@host" parses as host "user", port 1 and a path
    // holding the password, which log lines would then show: a raw '@' in
    // the path is taken for misplaced user info.
    if (std::string(u.encoded_path()).find('@') != std::string::npos) {
        what = shown() + " has '@' in its path (user info? the key goes in client_options::api_key)";
        return false;
    }
    out.host = u.host_type() == boost::urls::host_type::ipv6 ? std::string(u.encoded_host_address())
                                                             : std::string(u.host());
    if (!valid_host_chars(out.host)) {
        what = shown() + " has an invalid host";
        return false;
    }
    const char* default_port = out.tls ? "443" : "80";
    if (u.has_port()) {
        // port_number() wraps values over 65535: check the text itself.
        if (!valid_port(u.port())) {
            what = shown() + " has an invalid port";
            return false;
        }
        out.port = std::string(u.port());
    } else {
        out.port = default_port;
    }
    out.host_header = std::string(u.encoded_host_and_port());
    if (out.port == default_port && u.has_port())
        out.host_header = std::string(u.encoded_host());
    std::string path(u.encoded_path());
    while (!path.empty() && path.back() == '/')
        path.pop_back();
    out.path_prefix = path;
    return true;
}

void append_segment(std::string& out, std::string_view s)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    for (unsigned char ch : s) {
        bool unreserved = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                          ch == '-' || ch == '.' || ch == '_' || ch == '~';
        if (unreserved) {
            out.push_back(static_cast<char>(ch));
        } else {
            out.push_back('%');
            out.push_back(hex[ch >> 4]);
            out.push_back(hex[ch & 15]);
        }
    }
}

std::string task_path(std::string_view prefix, std::string_view id, std::string_view suffix)
{
    std::string p(prefix);
    p += "/api/tasks/";
    if (id == "." || id == "..") // dot segments would be resolved away by the server
        for (std::size_t i = 0; i < id.size(); ++i)
            p += "%2E";
    else
        append_segment(p, id);
    p += suffix;
    return p;
}

} // namespace handinger::detail::http
