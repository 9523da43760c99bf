// Shared by the resources' wire tests (workers_wire_test.cpp,
// schedules_wire_test.cpp): a client pointed at a canned server under a
// base path, canned error answers, and the request lines as sent.
#pragma once

#include "client/support.hpp"

#include <string>

namespace test_support {

/// Client options for `s`, under the base path "/base".
inline handinger::client_options options_for(const canned_server& s)
{
    handinger::client_options o;
    o.base_url = s.url() + "/base";
    o.api_key = "sk-wire";
    o.timeout = std::chrono::seconds(5);
    return o;
}

/// An error answer with a JSON body and a short retry-after-ms.
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

} // namespace test_support
