// libFuzzer target: read_webhook_delivery over any body. It must not crash
// or hang; a success names a task id of 1..256 characters without control
// characters that the body holds, per Boost.JSON's own parse, as a string
// under "taskId", "task_id" or (of the tsk_ form) "id"; a refusal leaves the
// result empty.
#include <handinger/webhook_delivery.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

[[noreturn]] void die(const char* what, std::string_view input)
{
    std::fprintf(stderr, "fuzz_webhook: %s\n  input: %.*s\n", what, static_cast<int>(input.size()),
                 input.data());
    std::abort();
}

bool holds(const boost::json::value& v, std::string_view id)
{
    if (auto* o = v.if_object()) {
        for (auto& kv : *o) {
            auto* s = kv.value().if_string();
            if (s && *s == id &&
                (kv.key() == "taskId" || kv.key() == "task_id" ||
                 (kv.key() == "id" && id.starts_with("tsk_"))))
                return true;
            if (holds(kv.value(), id))
                return true;
        }
    } else if (auto* a = v.if_array()) {
        for (auto& e : *a)
            if (holds(e, id))
                return true;
    }
    return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    boost::system::error_code ec;
    auto d = handinger::read_webhook_delivery("whk_t", "whk_t", body, ec);
    if (ec) {
        if (!d.task_id.empty() || !d.worker_id.empty() || !d.status.empty())
            die("a refusal handed something over", body);
        return 0;
    }
    if (d.task_id.empty() || d.task_id.size() > 256)
        die("a task id of a bad length", body);
    for (unsigned char c : d.task_id)
        if (c < 0x20 || c == 0x7f)
            die("a control character in the task id", body);
    boost::json::parse_options po;
    po.max_depth = 64;
    boost::system::error_code pec;
    auto v = boost::json::parse(body, pec, {}, po);
    if (pec || !v.is_object())
        die("accepted a body Boost.JSON refuses", body);
    if (!holds(v, d.task_id))
        die("a task id the body does not hold where documented", body);
    // The token is checked whatever the body.
    handinger::read_webhook_delivery("whk_t", "whk_u", body, ec);
    if (ec != handinger::webhook_error::token_mismatch)
        die("a wrong token accepted", body);
    return 0;
}
