// libFuzzer target: every response model the client reads from the network.
//
// For each model: parse the input; a failure must come with a message. When
// it parses, what this library writes must read back as the same model and
// be written again byte for byte the same (the writer is deterministic).
#include <handinger/error.hpp>
#include <handinger/json.hpp>

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
void check(const char* model, std::string_view text)
{
    T first;
    boost::system::error_code ec;
    std::string what;
    handinger::parse_json(text, first, ec, what);
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
    const std::string again = handinger::to_json_string(second);
    if (again != written)
        die(model, "writer is not stable", written + " then " + again);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check<handinger::task_with_turns>("task_with_turns", text);
    check<handinger::task_turn_list>("task_turn_list", text);
    check<handinger::run_result>("run_result", text);
    check<handinger::delete_task_response>("delete_task_response", text);
    return 0;
}
