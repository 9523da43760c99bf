// Compiled with the umbrella header alone, from the installed copy (or the
// source tree with add_subdirectory): the whole public API is there.
#include <handinger/handinger.hpp>

// The generated version header comes with the umbrella.
static_assert(HANDINGER_VERSION ==
              HANDINGER_VERSION_MAJOR * 10000 + HANDINGER_VERSION_MINOR * 100 + HANDINGER_VERSION_PATCH);
static_assert(sizeof(HANDINGER_VERSION_STRING) > 5);

#include <string>
#include <variant>

bool umbrella_check()
{
    handinger::create_task_params p;
    p.input = "umbrella check";
    handinger::batch_options bo;
    handinger::watch_options wo;
    handinger::create_result cr;
    handinger::watch_event ev = handinger::events::status_changed{};
    return handinger::validate(p).empty() && handinger::make_task_id().rfind("tsk_", 0) == 0 &&
           handinger::to_json_string(p).find("umbrella check") != std::string::npos &&
           bo.watch.backoff == wo.backoff && !cr.recovered &&
           std::holds_alternative<handinger::events::status_changed>(ev);
}
