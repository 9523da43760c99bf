// libFuzzer target: the simulator's multipart/form-data reader
// (sim/src/multipart.cpp) over any Content-Type and body; the input's first
// line is the Content-Type, the rest the body. It must not crash or hang;
// every part it reads is a view into the body. Differential: the parts it
// read, written again by the library's form writer (src/http/multipart.cpp)
// under a boundary that fits them, read back the same (names, filenames,
// content types and bytes), and the writer's size is the size it predicted.
#include "http/multipart.hpp"
#include "util/random.hpp"

#include <handinger/sim/detail/multipart.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

// The writer's random boundaries are not used here (the candidates below
// are); its source of random bytes is only linked.
void handinger::detail::random_bytes(unsigned char* out, std::size_t n)
{
    std::memset(out, 0x5a, n);
}

namespace {

namespace sim = handinger::sim::detail;
namespace lib = handinger::detail::http;

[[noreturn]] void die(const char* what, std::string_view input)
{
    std::fprintf(stderr, "fuzz_multipart: %s\n  input: %.*s\n", what, static_cast<int>(input.size()),
                 input.data());
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto nl = input.find('\n');
    const std::string_view content_type = input.substr(0, nl);
    const std::string_view body = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
    const auto type = sim::classify_body(content_type);
    if (type.kind != sim::body_type::form) {
        if (!type.boundary.empty())
            die("a boundary without a form", input);
        return 0;
    }
    if (type.boundary.empty() || type.boundary.size() > 70)
        die("a form with a boundary of a bad length", input);
    std::vector<sim::form_part> parts;
    if (auto e = sim::parse_form(body, type.boundary, parts)) {
        if ((e->status != 400 && e->status != 413) || e->message.empty())
            die("a refusal without a 400 or 413 and its reason", input);
        return 0;
    }
    for (const auto& p : parts)
        if (p.content.data() < body.data() || p.content.data() + p.content.size() > body.data() + body.size())
            die("a part's content outside the body", input);

    std::vector<lib::form_part> out;
    for (const auto& p : parts)
        out.push_back({p.name, p.filename ? std::optional<std::string_view>(*p.filename) : std::nullopt,
                       p.content_type, p.content});
    int n = 0;
    auto candidates = [&]() { return n++ == 0 ? type.boundary : "fz" + std::to_string(n) + "-boundary"; };
    const auto boundary = lib::pick_boundary(out, candidates, 16);
    if (!boundary)
        return 0; // (the parts hold every candidate)
    std::string written;
    lib::write_form(written, out, *boundary);
    if (written.size() != lib::form_size(out, *boundary))
        die("the writer's size differs from its prediction", input);
    std::vector<sim::form_part> again;
    if (auto e = sim::parse_form(written, *boundary, again))
        die(("the writer's form is refused: " + e->message).c_str(), input);
    if (again != parts)
        die("the parts written again read back differently", input);
    return 0;
}
