// validate(create_task_params): the API's rules, checked before any I/O.
#include <handinger/models.hpp>

#include <doctest/doctest.h>

using namespace handinger;

namespace {

create_task_params make_params(std::string input, std::optional<open_enum<task_budget>> budget = {},
                               std::optional<std::string> task_id = {},
                               std::optional<std::string> worker_id = {})
{
    return {std::move(input), std::move(budget), std::move(task_id), std::move(worker_id)};
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
