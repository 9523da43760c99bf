// A create with files on the wire, against a canned server: the exact bytes
// (Content-Type with the boundary, each part), a resend after a 429 with the
// very same bytes, a caller's Content-Type header not let in, and a new
// boundary for each create.
#include "client/support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view run_json = R"({"id":"run_1","object":"worker","status":"pending","running":true})";

hd::client_options options_for(const canned_server& s)
{
    hd::client_options o;
    o.base_url = s.url() + "/base";
    o.api_key = "sk-wire";
    o.timeout = 5s;
    return o;
}

// The boundary of request `i`'s multipart Content-Type ("" when it is not one).
std::string boundary_of(const canned_server& s, std::size_t i)
{
    const auto type = s.header(i, "content-type");
    const std::string prefix = "multipart/form-data; boundary=";
    return type && type->rfind(prefix, 0) == 0 ? type->substr(prefix.size()) : std::string();
}

hd::create_task_params with_files()
{
    hd::create_task_params p;
    p.input = "compare them";
    p.budget = hd::task_budget::low;
    p.files = {hd::attachment::from_memory("a \"1\".csv", "x,y\r\n1,2\r\n"),
               hd::attachment::from_memory("raw", std::string("\0\xff\r\n--", 6)),
               hd::attachment::from_memory("empty.txt", "")};
    return p;
}

} // namespace

TEST_CASE("files wire: the exact bytes of a create with files")
{
    canned_server s;
    s.fallback.body = std::string(run_json);
    test_io ioc;
    hd::client c(ioc, options_for(s));
    hd::create_result r;
    auto body = [&]() -> asio::awaitable<void> { r = co_await c.async_create(with_files()); };
    run(ioc, body());
    REQUIRE(s.requests().size() == 1);
    const auto req = s.requests()[0];
    CHECK(req.substr(0, req.find("\r\n")) == "POST /base/api/tasks HTTP/1.1");
    const std::string b = boundary_of(s, 0);
    REQUIRE(b.size() == 42);
    CHECK(b.rfind("handinger-", 0) == 0);
    const std::string expected =
        "--" + b + "\r\nContent-Disposition: form-data; name=\"input\"\r\n\r\ncompare them\r\n" + "--" + b +
        "\r\nContent-Disposition: form-data; name=\"budget\"\r\n\r\nlow\r\n" + "--" + b +
        "\r\nContent-Disposition: form-data; name=\"taskId\"\r\n\r\n" + r.task_id + "\r\n" + "--" + b +
        "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a %221%22.csv\"\r\n"
        "Content-Type: text/csv\r\n\r\nx,y\r\n1,2\r\n\r\n" +
        "--" + b +
        "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"raw\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n" +
        std::string("\0\xff\r\n--", 6) + "\r\n" + "--" + b +
        "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"empty.txt\"\r\n"
        "Content-Type: text/plain\r\n\r\n\r\n" +
        "--" + b + "--\r\n";
    CHECK(s.body(0) == expected);
    CHECK(s.header(0, "content-length") == std::to_string(expected.size()));
    CHECK(s.header(0, "accept") == "application/json");
}

TEST_CASE("files wire: a create refused with 429 is resent with the very same bytes")
{
    canned_server s;
    canned_server::response busy;
    busy.status = 429;
    busy.reason = "Too Many Requests";
    busy.body = R"({"error":"rate_limited"})";
    busy.headers = {"retry-after-ms: 5"};
    s.push(busy);
    s.fallback.body = std::string(run_json);
    test_io ioc;
    hd::client c(ioc, options_for(s));
    auto body = [&]() -> asio::awaitable<void> {
        hd::diagnostics d;
        auto [ec, r] = co_await c.async_create(with_files(), d, tup);
        CHECK_FALSE(ec);
        CHECK(d.attempts == 2);
    };
    run(ioc, body());
    REQUIRE(s.requests().size() == 2);
    CHECK(s.body(0) == s.body(1));
    CHECK(s.header(0, "content-type") == s.header(1, "content-type"));
    CHECK(s.header(1, "x-stainless-retry-count") == "1");
}

TEST_CASE(
    "files wire: a caller's Content-Type header does not replace the form's, each create a new boundary")
{
    canned_server s;
    s.fallback.body = std::string(run_json);
    test_io ioc;
    hd::client c(ioc, options_for(s));
    auto body = [&]() -> asio::awaitable<void> {
        hd::request_options ro;
        ro.headers = {{"Content-Type", "application/json"}, {"X-Mine", "1"}};
        co_await c.async_create(with_files(), ro);
        co_await c.async_create(with_files());
        hd::create_task_params plain;
        plain.input = "no files";
        co_await c.async_create(plain);
    };
    run(ioc, body());
    REQUIRE(s.requests().size() == 3);
    CHECK_FALSE(boundary_of(s, 0).empty()); // (one Content-Type: not "<duplicate>")
    CHECK(s.header(0, "x-mine") == "1");
    CHECK_FALSE(boundary_of(s, 1).empty());
    CHECK(boundary_of(s, 0) != boundary_of(s, 1));
    CHECK(s.header(2, "content-type") == "application/json");
    CHECK(s.body(2).rfind(R"({"input":"no files","taskId":"tsk_)", 0) == 0);
}
