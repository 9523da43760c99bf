// The Webhooks models without sockets: the URL's limits at their bound and
// one past it, and the lenient reading and writing of the answers.
#include <handinger/error.hpp>
#include <handinger/json.hpp>
#include <handinger/webhook_models.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace handinger;

namespace {

// "http://h/" then 'a's up to `n` characters in all.
std::string url_of_length(std::size_t n)
{
    std::string u = "http://h/";
    u.resize(n, 'a');
    return u;
}

template <class T>
T read(std::string_view text)
{
    return parse_json<T>(text);
}

} // namespace

TEST_CASE("webhook url: at most 2048 characters, one past is refused")
{
    CHECK(validate_webhook_url(url_of_length(2048)).empty());
    CHECK(validate_webhook_url(url_of_length(2049)) == "url: must be at most 2048 characters (got 2049)");
    CHECK(validate_webhook_url("https://example.com/hooks/handinger?x=1").empty());
    CHECK(validate_webhook_url("http://127.0.0.1:8080/").empty());
    CHECK(validate_webhook_url("urn:isbn:0451450523").empty()); // a URI, if not one to POST to
}

TEST_CASE("webhook url: not a URI is refused, with Boost.URL's reason")
{
    for (std::string_view bad :
         {"", "/relative/path", "example.com/hook", "http://exa mple.com/", "http://h/%zz", "://nothing"}) {
        INFO(bad);
        auto what = validate_webhook_url(bad);
        CHECK(what.rfind("url: must be a URI (", 0) == 0);
    }
    CHECK(validate_webhook_url("http://h/\xff") == "url: must be valid UTF-8");
}

TEST_CASE("webhook json: a configuration reads with both fields, or both null")
{
    auto w = read<webhook>(R"({"token":"whk_abc","url":"https://x.test/h","extra":1})");
    CHECK(w.token == "whk_abc");
    CHECK(w.url == "https://x.test/h");
    CHECK(w.presence.all_values());
    CHECK(w.raw.contains("extra"));
    CHECK(to_json_string(w) == R"({"token":"whk_abc","url":"https://x.test/h"})");

    auto none = read<webhook>(R"({"token":null,"url":null})");
    CHECK_FALSE(none.token);
    CHECK_FALSE(none.url);
    CHECK(none.presence.is_null(webhook::field::url));
    CHECK(to_json_string(none) == R"({"token":null,"url":null})");
    auto empty = read<webhook>("{}");
    CHECK(empty.presence.is_absent(webhook::field::token));
    CHECK(to_json_string(empty) == "{}");
    CHECK(empty == none);
}

TEST_CASE("webhook json: an execution reads every field, an unknown status kept raw")
{
    constexpr std::string_view text =
        R"({"id":"whx_1","createdAt":"2026-12-01T10:00:00.000Z","durationMs":12,"requestStatus":"error",)"
        R"("responseStatus":500,"errorMessage":"the endpoint answered 500","taskId":"tsk_1","taskTitle":"T",)"
        R"("url":"http://127.0.0.1:1/h","workerId":"wrk_1"})";
    auto e = read<webhook_execution>(text);
    CHECK(e.id == "whx_1");
    CHECK(e.created_at == "2026-12-01T10:00:00.000Z");
    CHECK(e.duration_ms == 12);
    CHECK(e.request_status == webhook_request_status::error);
    CHECK(e.response_status == 500);
    CHECK(e.error_message == "the endpoint answered 500");
    CHECK(e.task_id == "tsk_1");
    CHECK(e.task_title == "T");
    CHECK(e.url == "http://127.0.0.1:1/h");
    CHECK(e.worker_id == "wrk_1");
    CHECK(e.presence.all_values());
    CHECK(to_json_string(e) == text);

    auto odd = read<webhook_execution>(R"({"id":"whx_2","requestStatus":"retrying","responseStatus":null})");
    CHECK_FALSE(odd.request_status.known());
    CHECK(odd.request_status.str() == "retrying");
    CHECK_FALSE(odd.response_status);
    CHECK(odd.presence.is_null(webhook_execution::field::response_status));
    CHECK(odd.presence.is_absent(webhook_execution::field::error_message));
    CHECK(to_json_string(odd) == R"({"id":"whx_2","requestStatus":"retrying","responseStatus":null})");
}

TEST_CASE("webhook json: an execution needs its id, and wrong types name their field")
{
    boost::system::error_code ec;
    std::string what;
    webhook_execution e;
    parse_json(R"({"createdAt":"x"})", e, ec, what);
    CHECK(ec == error::invalid_response);
    CHECK(what == "id: missing");
    parse_json(R"({"id":"whx_1","responseStatus":"500"})", e, ec, what);
    CHECK(what == "responseStatus: expected integer, got string");
    webhook w;
    parse_json(R"({"url":7})", w, ec, what);
    CHECK(what == "url: expected string, got number");
}

TEST_CASE("webhook json: a page of executions, logs required and counts tolerant")
{
    auto p = read<webhook_execution_page>(
        R"({"logs":[{"id":"whx_2"},{"id":"whx_1"}],"page":1,"pageCount":3,"totalCount":102})");
    REQUIRE(p.logs.size() == 2);
    CHECK(p.logs[0].id == "whx_2");
    CHECK(p.page == 1);
    CHECK(p.page_count == 3);
    CHECK(p.total_count == 102);
    CHECK(p.presence.all_values());
    auto back = read<webhook_execution_page>(to_json_string(p));
    CHECK(back == p);

    auto bare = read<webhook_execution_page>(R"({"logs":[]})");
    CHECK(bare.presence.is_absent(webhook_execution_page::field::page_count));
    CHECK(to_json_string(bare) == R"({"logs":[]})");

    boost::system::error_code ec;
    std::string what;
    webhook_execution_page bad;
    parse_json(R"({"page":1})", bad, ec, what);
    CHECK(what == "logs: missing");
    parse_json(R"({"logs":[{"id":"whx_1"},{"id":3}]})", bad, ec, what);
    CHECK(what == "logs[1].id: expected string, got number");
}
