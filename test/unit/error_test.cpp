#include <handinger/error.hpp>

#include <doctest/doctest.h>

using handinger::error;

TEST_CASE("error_from_status maps every status kind of the API table")
{
    CHECK(!handinger::error_from_status(200));
    CHECK(!handinger::error_from_status(204));
    CHECK(handinger::error_from_status(400) == error::bad_request);
    CHECK(handinger::error_from_status(401) == error::authentication);
    CHECK(handinger::error_from_status(403) == error::permission_denied);
    CHECK(handinger::error_from_status(404) == error::not_found);
    CHECK(handinger::error_from_status(409) == error::conflict);
    CHECK(handinger::error_from_status(422) == error::unprocessable_entity);
    CHECK(handinger::error_from_status(429) == error::rate_limited);
    CHECK(handinger::error_from_status(500) == error::server_error);
    CHECK(handinger::error_from_status(503) == error::server_error);
    CHECK(handinger::error_from_status(599) == error::server_error);
    CHECK(handinger::error_from_status(405) == error::unexpected_status);
    CHECK(handinger::error_from_status(408) == error::unexpected_status);
    CHECK(handinger::error_from_status(302) == error::unexpected_status);
}

TEST_CASE("error category names and conditions")
{
    boost::system::error_code ec = error::timeout;
    CHECK(std::string(ec.category().name()) == "handinger");
    CHECK(ec.message() == "timed out");
    CHECK(ec == boost::system::errc::timed_out);
    CHECK(boost::system::error_code(error::cancelled) == boost::system::errc::operation_canceled);
    for (int e = 1; e <= static_cast<int>(error::proxy); ++e)
        CHECK(handinger::error_category().message(e).find("unknown") == std::string::npos);
}

TEST_CASE("diagnostics take the server's message and bound the excerpt")
{
    handinger::diagnostics d;
    d.set_response(422, R"({"error":"validation_error","message":"input: too short"})");
    CHECK(d.status == 422);
    CHECK(d.server_message == "input: too short");

    d.set_response(401, R"({"error":"unauthorized"})");
    CHECK(d.server_message == "unauthorized");

    d.set_response(400, R"({"error":{"message":"nested"}})");
    CHECK(d.server_message == "nested");

    d.set_response(502, "<html>bad gateway</html>");
    CHECK(d.server_message.empty());
    CHECK(d.body_excerpt == "<html>bad gateway</html>");

    std::string big(2000, 'x');
    big.replace(510, 3, "\xe2\x82\xac"); // a 3-byte UTF-8 sequence across the cut
    d.set_response(500, big);
    CHECK(d.body_excerpt.size() <= handinger::diagnostics::max_excerpt + 3);
    CHECK(d.body_excerpt.find('\xe2') == std::string::npos);
}

TEST_CASE("api_error carries code and diagnostics - what() is one line without secrets")
{
    handinger::diagnostics d;
    d.method = "POST";
    d.path = "/api/tasks";
    d.set_response(429, R"({"message":"slow down"})");
    d.attempts = 3;
    handinger::api_error e(error::rate_limited, d);
    CHECK(e.code() == error::rate_limited);
    CHECK(e.status() == 429);
    CHECK(std::string(e.what()) == "POST /api/tasks: 429 rate limited: slow down (after 3 attempts)");
    CHECK_THROWS_AS(handinger::throw_if(error::timeout, d), handinger::api_error);
    CHECK_NOTHROW(handinger::throw_if({}, d));
}
