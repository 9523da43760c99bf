// <handinger/handinger.hpp> alone brings the whole public API: this TU
// includes nothing else of the library.
#include <handinger/handinger.hpp>

#include <doctest/doctest.h>

#include <string>
#include <type_traits>
#include <variant>

TEST_CASE("umbrella header: the public API's names from one include")
{
    handinger::create_task_params p;
    p.input = "umbrella";
    CHECK(handinger::validate(p).empty());
    CHECK(handinger::make_task_id().rfind("tsk_", 0) == 0);
    CHECK(handinger::to_json_string(p).find("\"input\"") != std::string::npos);

    handinger::batch_options bo;
    handinger::watch_options wo;
    CHECK(bo.watch.backoff == wo.backoff);

    handinger::create_result cr;
    CHECK(!cr.recovered);
    handinger::watch_event ev = handinger::events::status_changed{};
    CHECK(std::holds_alternative<handinger::events::status_changed>(ev));
    CHECK(handinger::make_error_code(handinger::error::not_found) == handinger::error::not_found);

    static_assert(std::is_move_constructible_v<handinger::client>);
    static_assert(std::is_move_constructible_v<handinger::task_watcher>);
    static_assert(std::is_move_constructible_v<handinger::batch_stream>);
    static_assert(std::is_class_v<handinger::client_options> && std::is_class_v<handinger::request_options>);
}
