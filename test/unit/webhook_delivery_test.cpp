// Reading a webhook delivery without sockets: the token (missing, wrong,
// one character off at each end, another length), bodies that are not a
// JSON object, and where the task id may be found, in the order the header
// documents.
#include <handinger/webhook_delivery.hpp>

#include <boost/system/system_error.hpp>

#include <doctest/doctest.h>

#include <string>

namespace hd = handinger;
using boost::system::error_code;

namespace {

const std::string token = "whk_0123456789abcdefghij";

hd::webhook_delivery read_ok(std::string_view body)
{
    error_code ec;
    auto d = hd::read_webhook_delivery(token, token, body, ec);
    CHECK_MESSAGE(!ec, body);
    return d;
}

error_code refusal(std::string_view body, std::string_view header = token, std::string_view expected = token)
{
    error_code ec;
    auto d = hd::read_webhook_delivery(expected, header, body, ec);
    CHECK(d.task_id.empty()); // nothing is handed over with a refusal
    return ec;
}

} // namespace

TEST_CASE("webhook delivery: the token must be the expected one, exactly")
{
    const std::string body = R"({"taskId":"tsk_1"})";
    CHECK(refusal(body, "") == hd::webhook_error::token_mismatch);
    CHECK(refusal(body, "whk_wrong") == hd::webhook_error::token_mismatch);
    CHECK(refusal(body, token + "x") == hd::webhook_error::token_mismatch);
    CHECK(refusal(body, token.substr(0, token.size() - 1)) == hd::webhook_error::token_mismatch);
    for (std::size_t i = 0; i < token.size(); ++i) {
        auto t = token;
        t[i] ^= 1;
        CAPTURE(i);
        CHECK(refusal(body, t) == hd::webhook_error::token_mismatch);
    }
    // No expected token (the worker has no webhook): nothing matches, not
    // even an empty header.
    CHECK(refusal(body, "", "") == hd::webhook_error::token_mismatch);
    // The token is checked before the body is looked at.
    CHECK(refusal("not json", "wrong") == hd::webhook_error::token_mismatch);
    CHECK(read_ok(body).task_id == "tsk_1");
}

TEST_CASE("webhook delivery: secrets_equal")
{
    CHECK(hd::secrets_equal("", ""));
    CHECK(hd::secrets_equal("abc", "abc"));
    CHECK_FALSE(hd::secrets_equal("abc", "abd"));
    CHECK_FALSE(hd::secrets_equal("abc", "ab"));
    CHECK_FALSE(hd::secrets_equal("", "a"));
    CHECK_FALSE(hd::secrets_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST_CASE("webhook delivery: a body that is not a JSON object is refused")
{
    for (std::string_view body : {"", "not json", "[]", "\"tsk_1\"", "42", "null", "{\"taskId\":", "{} x"}) {
        CAPTURE(body);
        CHECK(refusal(body) == hd::webhook_error::invalid_body);
    }
    // Over 1 MiB, even when valid.
    std::string big = R"({"taskId":"tsk_1","pad":")" + std::string(1 << 20, 'x') + "\"}";
    CHECK(refusal(big) == hd::webhook_error::invalid_body);
    // Nested 65 deep; 64 deep is read.
    auto nest = [](int n) { return std::string(n, '[') + std::string(n, ']'); };
    CHECK(refusal("{\"a\":" + nest(64) + "}") == hd::webhook_error::invalid_body);
    CHECK(refusal("{\"a\":" + nest(62) + "}") == hd::webhook_error::no_task_id);
}

TEST_CASE("webhook delivery: no task id")
{
    for (std::string_view body :
         {R"({})", R"({"event":"task.finished"})", R"({"taskId":""})", R"({"taskId":42})",
          R"({"taskId":null})", R"({"id":"wrk_1"})", R"({"id":"TSK_1"})", R"({"task":{"id":"run_1"}})",
          R"({"taskId":"tsk_\u0001"})"}) {
        CAPTURE(body);
        CHECK(refusal(body) == hd::webhook_error::no_task_id);
    }
    std::string long_id = R"({"taskId":"tsk_)" + std::string(253, 'a') + "\"}"; // 257 characters
    CHECK(refusal(long_id) == hd::webhook_error::no_task_id);
    std::string max_id = R"({"taskId":"tsk_)" + std::string(252, 'a') + "\"}"; // 256
    CHECK(read_ok(max_id).task_id.size() == 256);
}

TEST_CASE("webhook delivery: where the task id is found, in order")
{
    // The simulator's own body.
    auto d = read_ok(R"({"event":"task.finished","taskId":"tsk_A","workerId":"wrk_1","status":"completed"})");
    CHECK(d.task_id == "tsk_A");
    CHECK(d.worker_id == "wrk_1");
    CHECK(d.status == "completed");
    // snake_case at the top level.
    d = read_ok(R"({"task_id":"tsk_B","worker_id":"wrk_2"})");
    CHECK(d.task_id == "tsk_B");
    CHECK(d.worker_id == "wrk_2");
    // A taskId anywhere beats an id of the tsk_ form, even at the top.
    CHECK(read_ok(R"({"id":"tsk_top","data":{"taskId":"tsk_nested"}})").task_id == "tsk_nested");
    // Nested: the task object's id, with its status.
    d = read_ok(R"({"event":"x","task":{"id":"tsk_C","status":"error"}})");
    CHECK(d.task_id == "tsk_C");
    CHECK(d.status == "error");
    CHECK(d.worker_id.empty());
    // Breadth first: the shallower one wins, whatever the document order.
    CHECK(read_ok(R"({"a":{"b":{"taskId":"tsk_deep"}},"c":{"taskId":"tsk_shallow"}})").task_id ==
          "tsk_shallow");
    // Same depth: document order.
    CHECK(read_ok(R"({"a":{"taskId":"tsk_1"},"b":{"taskId":"tsk_2"}})").task_id == "tsk_1");
    // Inside arrays too.
    CHECK(read_ok(R"({"tasks":[{"id":"tsk_in_array"}]})").task_id == "tsk_in_array");
    // A bad taskId does not stop the search.
    CHECK(read_ok(R"({"taskId":7,"task":{"taskId":"tsk_ok"}})").task_id == "tsk_ok");
    // The top level's status wins over the nested one.
    CHECK(read_ok(R"({"status":"completed","task":{"id":"tsk_D","status":"running"}})").status ==
          "completed");
    // Odd characters are kept as sent (the id is percent-encoded in a path).
    CHECK(read_ok(R"({"taskId":"tsk_a/b?c"})").task_id == "tsk_a/b?c");
}

TEST_CASE("webhook delivery: the throwing form and the error messages")
{
    CHECK(hd::read_webhook_delivery(token, token, R"({"taskId":"tsk_1"})").task_id == "tsk_1");
    try {
        hd::read_webhook_delivery(token, "nope", "{}");
        CHECK(false);
    } catch (const boost::system::system_error& e) {
        CHECK(e.code() == hd::webhook_error::token_mismatch);
        CHECK(std::string(e.code().category().name()) == "handinger.webhook");
        CHECK(e.code().message() == "the delivery's token is missing or wrong");
    }
    CHECK(error_code(hd::webhook_error::no_task_id).message() == "no task id in the delivery");
    CHECK(error_code(hd::webhook_error::invalid_body).message() ==
          "the delivery's body is not a JSON object");
}
