// libFuzzer target: the library's JSON text against Boost.JSON's
// (json_differential.hpp). The input is parsed by detail::parse_text (our
// handler, exact doubles) and by boost::json::parse: both must accept or
// refuse it alike, and build the same value but for the doubles Boost.JSON
// 1.81 misrounds, which ours must read as std::from_chars does. The same
// bytes are then written by json/text.hpp's escaper, whole and in parts, and
// as a create body, and compared with boost::json::serialize.
#include "json_differential.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

[[noreturn]] void die(const char* what, const std::string& detail, std::string_view input)
{
    std::fprintf(stderr, "fuzz_json_text: %s: %s\n  input: %.*s\n", what, detail.c_str(),
                 static_cast<int>(input.size()), input.data());
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto parsed = handinger::test::compare_parsers(text);
    if (!parsed.disagreement.empty())
        die("parsers disagree", parsed.disagreement, text);
    const std::string written = handinger::test::compare_writers(text);
    if (!written.empty())
        die("writers disagree", written, text);
    return 0;
}
