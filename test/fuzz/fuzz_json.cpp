// libFuzzer target: every model reader (json/read_models.cpp,
// json/read_schedules.cpp, json/read_webhooks.cpp).
//
// For each model: parse the input; a failure must come with a message. When
// it parses, what this library writes must read back as the same model,
// with the same presence (which of its fields came null or absent), and be
// written again byte for byte the same (the writer is deterministic, and
// writes a field as it arrived). The top-level response models read the
// input text; the others (which the client reads nested in those, and the
// simulator reads create_task_params with) read it once parsed, through
// read_json.
#include "json/reader.hpp"

#include <handinger/error.hpp>
#include <handinger/json.hpp>
#include <handinger/schedule_models.hpp>
#include <handinger/webhook_models.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void die(const char* model, const char* why, std::string_view detail)
{
    std::fprintf(stderr, "fuzz_json: %s: %s: %.*s\n", model, why, static_cast<int>(detail.size()),
                 detail.data());
    std::abort();
}

template <class T>
constexpr bool has_presence = requires(T t)
{
    t.presence;
};

// `first` was read (ec, what): check the failure, or the round trip.
template <class T>
void check_read(const char* model, const T& first, boost::system::error_code ec, std::string what)
{
    if (ec) {
        if (ec != handinger::error::invalid_response || what.empty())
            die(model, "failure without invalid_response and a message", what);
        return;
    }
    const std::string written = handinger::to_json_string(first);
    T second;
    handinger::parse_json(written, second, ec, what);
    if (ec)
        die(model, "written JSON does not read back", what + " in " + written);
    if (!(second == first))
        die(model, "round trip changed the model", written);
    if constexpr (has_presence<T>)
        if (!(second.presence == first.presence))
            die(model, "round trip changed which fields came null or absent", written);
    const std::string again = handinger::to_json_string(second);
    if (again != written)
        die(model, "writer is not stable", written + " then " + again);
}

template <class T>
void check(const char* model, std::string_view text)
{
    T first;
    boost::system::error_code ec;
    std::string what;
    handinger::parse_json(text, first, ec, what);
    check_read(model, first, ec, what);
}

template <class T>
void check_value(const char* model, const boost::json::value& v)
{
    T first;
    boost::system::error_code ec;
    std::string what;
    handinger::read_json(v, first, ec, what);
    check_read(model, first, ec, what);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check<handinger::task_with_turns>("task_with_turns", text);
    check<handinger::task_turn_list>("task_turn_list", text);
    check<handinger::run_result>("run_result", text);
    check<handinger::delete_task_response>("delete_task_response", text);
    check<handinger::worker_template>("worker_template", text);
    check<handinger::delete_worker_response>("delete_worker_response", text);
    check<handinger::worker_email>("worker_email", text);
    check<handinger::worker_schedule>("worker_schedule", text);
    check<handinger::schedule_list>("schedule_list", text);
    check<handinger::cancel_schedule_response>("cancel_schedule_response", text);
    check<handinger::webhook>("webhook", text);
    check<handinger::webhook_execution_page>("webhook_execution_page", text);

    boost::json::value v;
    std::string what;
    if (!handinger::detail::parse_text(text, v, what))
        return 0;
    check_value<handinger::task>("task", v);
    check_value<handinger::task_totals>("task_totals", v);
    check_value<handinger::turn>("turn", v);
    check_value<handinger::turn_file>("turn_file", v);
    check_value<handinger::run_content>("run_content", v);
    check_value<handinger::run_message>("run_message", v);
    check_value<handinger::run_usage>("run_usage", v);
    check_value<handinger::create_task_params>("create_task_params", v);
    check_value<handinger::create_schedule_params>("create_schedule_params", v);
    check_value<handinger::webhook_execution>("webhook_execution", v);
    return 0;
}
