// open_enum: known values by name, unknown values kept as their raw string.
#include <handinger/models.hpp>

#include <doctest/doctest.h>

#include <sstream>

using namespace handinger;

TEST_CASE("open_enum: known names map to their enumerator")
{
    for (std::size_t i = 0; i < enum_traits<task_status>::names.size(); ++i) {
        auto name = enum_traits<task_status>::names[i];
        auto e = open_enum<task_status>::from_string(name);
        CHECK(e.known());
        CHECK(e.value() == static_cast<task_status>(i));
        CHECK(e.str() == name);
        CHECK(to_string(e.value()) == name);
    }
    CHECK(open_enum<task_trigger>::from_string("email") == task_trigger::email);
    CHECK(open_enum<run_status>::from_string("completed") == run_status::completed);
    CHECK(open_enum<turn_status>::from_string("error") == turn_status::error);
    CHECK(open_enum<task_budget>::from_string("unlimited") == task_budget::unlimited);
}

TEST_CASE("open_enum: unknown names are kept raw")
{
    auto e = open_enum<task_status>::from_string("paused");
    CHECK(!e.known());
    CHECK(e.value() == task_status::unknown);
    CHECK(e == task_status::unknown);
    CHECK(e.str() == "paused");
    CHECK(to_string(task_status::unknown).empty());
    // Names are case-sensitive: "Running" is not "running".
    CHECK(!open_enum<task_status>::from_string("Running").known());
    CHECK(open_enum<task_status>::from_string("").str().empty());
}

TEST_CASE("open_enum: equality")
{
    using st = open_enum<task_status>;
    CHECK(st(task_status::running) == st::from_string("running"));
    CHECK(st(task_status::running) != st(task_status::pending));
    CHECK(st::from_string("paused") == st::from_string("paused"));
    CHECK(st::from_string("paused") != st::from_string("frozen"));
    CHECK(st::from_string("paused") != st(task_status::pending));
    CHECK(st() == task_status::pending); // default: the first enumerator
    CHECK(st(task_status::unknown) != st::from_string("paused"));
}

TEST_CASE("open_enum: streams as its wire string - is_terminal")
{
    std::ostringstream os;
    os << open_enum<task_trigger>(task_trigger::schedule) << ' '
       << open_enum<task_trigger>::from_string("webhook");
    CHECK(os.str() == "schedule webhook");

    CHECK(!is_terminal(task_status::pending));
    CHECK(!is_terminal(task_status::running));
    CHECK(is_terminal(task_status::completed));
    CHECK(is_terminal(task_status::error));
    CHECK(is_terminal(task_status::aborted));
    CHECK(is_terminal(open_enum<task_status>::from_string("paused")));
}
