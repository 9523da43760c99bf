// The CLI on a task whose display fields the server sends as null (the
// simulator's #null-fields): nothing fails, nothing made up is printed.
#include "cli/cli_support.hpp"

#include <regex>

using namespace cli_test;

TEST_CASE("nulls: tasks create --wait prints a task with a null title and null turn texts")
{
    cli_fixture f;
    // The human form: no title at all (not "" nor null), the turns as usual.
    auto p = f.run({"tasks", "create", "--input", "untitled #null-fields", "--wait"});
    INFO(p.dump());
    CHECK(p.status == 0);
    auto lines = p.out_lines();
    REQUIRE(!lines.empty());
    CHECK(std::regex_match(lines[0], std::regex(R"(tsk_\S+  completed)")));
    // No role after the status (it came null), and no text lines.
    const std::regex turn_line(R"(\nturn [12] \[completed\]( \(\d+ credits, \d+ ms\))?(?=\n))");
    CHECK(std::distance(std::sregex_iterator(p.out.begin(), p.out.end(), turn_line),
                        std::sregex_iterator()) == 2);
    CHECK_FALSE(contains(p.out, "null"));
    CHECK_FALSE(contains(p.out, "\"\""));

    // JSON: the nulls as they came.
    auto j =
        f.run({"tasks", "create", "--input", "untitled json #null-fields", "--wait", "--format", "jsonl"});
    INFO(j.dump());
    CHECK(j.status == 0);
    auto v = parse_doc(j.out);
    CHECK(v.at("task").at("title").is_null());
    CHECK(str_at(v.at("task"), "status") == "completed");
    const auto& turns = v.at("turns").as_array();
    REQUIRE(turns.size() == 2);
    for (const auto& t : turns) {
        CHECK(t.at("outputText").is_null());
        CHECK(t.at("input").is_null());
        CHECK(str_at(t, "status") == "completed");
    }
}

TEST_CASE("nulls: tasks create --watch follows a task whose turn texts are null")
{
    cli_fixture f;
    auto r = f.run({"tasks", "create", "--input", "watch untitled #null-fields #pending-ms:500", "--watch"});
    INFO(r.dump());
    CHECK(r.status == 0);
    auto lines = r.out_lines();
    REQUIRE(lines.size() >= 3);
    CHECK(starts_with(lines.back(), "final: completed (2 turns, "));
    CHECK(contains(r.out, "turn 1 [completed]"));
    CHECK_FALSE(contains(r.out, "null"));
}
