// validate(create_task_params): the API's rules, checked before any I/O.
#include <handinger/models.hpp>

#include <doctest/doctest.h>

using namespace handinger;

namespace {

create_task_params make_params(std::string input, std::optional<open_enum<task_budget>> budget = {},
                               std::optional<std::string> task_id = {},
                               std::optional<std::string> worker_id = {})
{
    return {std::move(input), std::move(budget), std::move(task_id), std::move(worker_id), {}};
}

} // namespace

TEST_CASE("validate: a minimal and a full request are valid")
{
    CHECK(validate(make_params("x")).empty());
    for (auto b : {task_budget::low, task_budget::standard, task_budget::high, task_budget::unlimited})
        CHECK(validate(make_params("do it", b, "tsk_1", "wrk_1")).empty());
}

TEST_CASE("validate: input must not be empty")
{
    CHECK(validate(make_params("")) == "input: must be at least 1 character");
    // The first problem wins: input is checked before the others.
    CHECK(validate(make_params("", std::nullopt, "", "")) == "input: must be at least 1 character");
}

TEST_CASE("validate: taskId and workerId, when given, must not be empty")
{
    CHECK(validate(make_params("x", std::nullopt, "", std::nullopt)) ==
          "taskId: must be at least 1 character");
    CHECK(validate(make_params("x", std::nullopt, std::nullopt, "")) ==
          "workerId: must be at least 1 character");
    CHECK(validate(make_params("x", std::nullopt, "", "")) == "taskId: must be at least 1 character");
}

TEST_CASE("validate: budget must be one of the four known values")
{
    auto p = make_params("x", open_enum<task_budget>::from_string("extreme"));
    CHECK(validate(p) == R"(budget: must be one of low, standard, high, unlimited (got "extreme"))");
    p.budget = open_enum<task_budget>::from_string("standard");
    CHECK(validate(p).empty());
}

TEST_CASE("validate: text must be well-formed UTF-8 (RFC 3629)")
{
    auto with_input = [](std::string s) {
        handinger::create_task_params p;
        p.input = std::move(s);
        return handinger::validate(p);
    };
    CHECK(with_input("plain ascii") == "");
    CHECK(with_input("\xc3\xa9") == "");         // U+00E9
    CHECK(with_input("\xe2\x9c\x93") == "");     // U+2713
    CHECK(with_input("\xf0\x9f\x9a\x80") == ""); // U+1F680
    CHECK(with_input("\xf4\x8f\xbf\xbf") == ""); // U+10FFFF, the last code point
    CHECK(with_input("\xed\x9f\xbf") == "");     // U+D7FF, just below the surrogates
    const char* bad[] = {
        "\xff",                 // never valid
        "\x80",                 // a lone continuation byte
        "\xc3",                 // truncated 2-byte form
        "\xe2\x9c",             // truncated 3-byte form
        "\xf0\x9f\x9a",         // truncated 4-byte form
        "\xc0\xaf",             // overlong '/'
        "\xe0\x80\xaf",         // overlong, 3 bytes
        "\xf0\x80\x80\xaf",     // overlong, 4 bytes
        "\xed\xa0\x80",         // U+D800, a surrogate
        "\xed\xbf\xbf",         // U+DFFF
        "\xf4\x90\x80\x80",     // above U+10FFFF
        "\xf8\x88\x80\x80\x80", // 5-byte form
        "a\xc3(b",              // bad continuation
    };
    for (const char* s : bad) {
        CAPTURE(s);
        CHECK(with_input(std::string("x") + s) == "input: must be valid UTF-8");
    }
    handinger::create_task_params p;
    p.input = "ok";
    p.task_id = "tsk_\xc3";
    CHECK(handinger::validate(p) == "taskId: must be valid UTF-8");
    p.task_id.reset();
    p.worker_id = "\xed\xa0\x80";
    CHECK(handinger::validate(p) == "workerId: must be valid UTF-8");
}
