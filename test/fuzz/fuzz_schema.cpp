// libFuzzer target: the simulator's structured-output generator and its
// validator (sim/src/schema_*.cpp) over any schema a client could send. They
// must not crash nor hang (their work budget bounds them); a generated value
// must validate against its schema, hold at most max_nodes values, and be
// the same for the same seed; the simulator's text must be a JSON object.
#include <handinger/sim/detail/schema_sample.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

namespace json = boost::json;
using namespace handinger::sim::detail;

[[noreturn]] void die(const char* what, std::string_view input)
{
    std::fprintf(stderr, "fuzz_schema: %s\n  input: %.*s\n", what, static_cast<int>(input.size()),
                 input.data());
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    json::parse_options po;
    po.max_depth = 64; // as the simulator reads a worker's schema
    boost::system::error_code ec;
    const json::value schema = json::parse(text, ec, {}, po);
    if (ec)
        return 0;
    // Small limits, so that the fuzzer reaches them often.
    schema_limits small;
    small.max_work = 5'000;
    small.max_nodes = 200;
    small.max_items = 20;
    small.max_string = 64;
    for (std::uint64_t seed : {1u, 2u}) {
        const auto v = sample_schema(schema, seed, small);
        if (!v)
            continue;
        if (!schema_accepts(schema, *v, small))
            die("a generated value its schema refuses", text);
        if (json_values(*v) > small.max_nodes)
            die("a generated value past max_nodes", text);
        const auto again = sample_schema(schema, seed, small);
        if (!again || json::serialize(*again) != json::serialize(*v))
            die("another value for the same seed", text);
    }
    // The validator over a value it did not make: the schema itself.
    schema_accepts(schema, schema, small);
    bool fallback = false;
    const auto out = structured_output_text(schema, 3, fallback);
    json::value parsed = json::parse(out, ec, {}, po);
    if (ec || !parsed.is_object() || (fallback && out != "{}"))
        die("the simulator's text is no JSON object", text);
    return 0;
}
