// Shared by the tests of the client's resources (workers, schedules,
// webhooks, on the wire and against the simulator): a client aimed at a
// canned server under a base path, canned error answers, the request lines
// as sent, the simulator with a second key, and the check of an argument
// refused before any I/O.
#pragma once

#include "client/support.hpp"

#include <handinger/client.hpp>

#include <string>

namespace test_support {

/// The fast simulator with a second key, "sk-sim-other" (another member of
/// the organization, for the creator-only rules).
inline handinger::sim::options two_keys()
{
    auto o = fast_sim();
    o.other_keys = {"sk-sim-other"};
    return o;
}

/// Client options for `s`, under the base path "/base".
inline handinger::client_options options_for(const canned_server& s)
{
    handinger::client_options o;
    o.base_url = s.url() + "/base";
    o.api_key = "sk-wire";
    o.timeout = std::chrono::seconds(5);
    return o;
}

/// An error answer of status `code` with a JSON body ("try later") and a
/// short retry-after-ms (5 ms).
inline canned_server::response status(int code, std::string reason)
{
    canned_server::response r;
    r.status = code;
    r.reason = std::move(reason);
    r.body = R"({"error":"x","message":"try later"})";
    r.headers = {"retry-after-ms: 5"};
    return r;
}

/// The request line of request `i` ("" when there is none).
inline std::string request_line(const canned_server& s, std::size_t i)
{
    auto reqs = s.requests();
    return i < reqs.size() ? reqs[i].substr(0, reqs[i].find("\r\n")) : std::string();
}

/// An operation was refused before any I/O: error::invalid_argument, with
/// the request it would have made and why not.
inline void check_refused(boost::system::error_code ec, const handinger::diagnostics& d,
                          const std::string& method, const std::string& path, const std::string& what)
{
    CHECK(ec == handinger::error::invalid_argument);
    CHECK(d.method == method);
    CHECK(d.path == path);
    CHECK(d.client_message == what);
    CHECK(d.attempts == 0);
}

} // namespace test_support
