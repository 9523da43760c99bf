// The bytes of one request (src/http/request_writer.hpp), without sockets.
#include "http/request_writer.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace handinger::detail::http;

TEST_CASE("request writer: a GET is the request line, the fixed headers and the retry count")
{
    auto fixed = fixed_request_headers(
        "api.example:8443", {{"User-Agent", "handinger-cpp/0.1"}, {"Accept", "a/b"}}, "Bearer sk-x");
    CHECK(fixed == "Host: api.example:8443\r\nUser-Agent: handinger-cpp/0.1\r\nAccept: "
                   "a/b\r\nAuthorization: Bearer sk-x\r\n");
    request r{"GET", "/api/tasks/tsk_1", {}, nullptr, 2, {}};
    std::string out = "left over from the last request";
    write_request(r, fixed, out);
    CHECK(out == "GET /api/tasks/tsk_1 HTTP/1.1\r\n" + fixed + "X-Stainless-Retry-Count: 2\r\n\r\n");
    r.timeout_seconds = 60;
    write_request(r, fixed, out);
    CHECK(out == "GET /api/tasks/tsk_1 HTTP/1.1\r\n" + fixed +
                     "X-Stainless-Retry-Count: 2\r\nX-Stainless-Timeout: 60\r\n\r\n");
}

TEST_CASE("request writer: a POST carries its body's type and length, even when empty")
{
    request r{"POST", "/api/tasks", R"({"input":"x"})", nullptr, 0, {}};
    std::string out;
    write_request(r, "Host: h\r\n", out);
    CHECK(out == "POST /api/tasks HTTP/1.1\r\nHost: h\r\nX-Stainless-Retry-Count: 0\r\n"
                 "Content-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"input\":\"x\"}");
    request empty{"POST", "/api/tasks", {}, nullptr, 0, {}};
    write_request(empty, "", out);
    CHECK(out.find("Content-Length: 0\r\n\r\n") != std::string::npos);
    request del{"DELETE", "/api/tasks/t", {}, nullptr, 0, {}};
    write_request(del, "", out);
    CHECK(out.find("Content-Length") == std::string::npos);
}

TEST_CASE("request writer: the caller's headers go out but those the transport owns, in any case")
{
    handinger::header_list h = {{"X-Trace", "abc"},
                                {"host", "evil"},
                                {"AUTHORIZATION", "Bearer y"},
                                {"Content-Length", "99"},
                                {"Transfer-Encoding", "chunked"},
                                {"connection", "close"},
                                {"x-other", "1"}};
    request r{"GET", "/", {}, &h, 0, {}};
    std::string out;
    write_request(r, "", out);
    CHECK(out == "GET / HTTP/1.1\r\nX-Stainless-Retry-Count: 0\r\nX-Trace: abc\r\nx-other: 1\r\n\r\n");
}

TEST_CASE("request writer: a body of its own type, and then a caller's Content-Type is not let in")
{
    handinger::header_list h = {{"content-type", "application/json"}, {"X-Trace", "abc"}};
    request r{"POST", "/api/tasks", "--b--\r\n", &h, 1, "multipart/form-data; boundary=b"};
    std::string out;
    write_request(r, "", out);
    CHECK(out == "POST /api/tasks HTTP/1.1\r\nX-Stainless-Retry-Count: 1\r\nX-Trace: abc\r\n"
                 "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 7\r\n\r\n--b--\r\n");
    // A JSON body leaves the caller's headers as they were.
    request json{"POST", "/api/tasks", "{}", &h, 0, {}};
    write_request(json, "", out);
    CHECK(out.find("content-type: application/json\r\n") != std::string::npos);
}
