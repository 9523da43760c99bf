// Text -> boost::json::value, with doubles read exactly.
//
// Boost.JSON 1.81 converts decimal text to double with a fast method that is
// not correctly rounded: about a quarter of all doubles, written by its own
// (shortest, exact) serializer, read back as a neighbouring value. So this
// parser is boost::json::parser with one change: each double is converted
// again from its text with std::from_chars, which rounds correctly. Then
// every number this library writes reads back as the same number.
#include "json/reader.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value_stack.hpp>

#include <charconv>
#include <memory>
#include <system_error>

namespace handinger::detail {
namespace {

// The handler of boost::json::parser (boost/json/detail/handler.hpp), but
// for on_double. parse_text hands the parser the whole text in one
// write_some(more = false), so a number is never split across buffers:
// on_double's text is the whole number (on_number_part only ever sees the
// start of a number cut off by the end of the text, which fails the parse).
struct exact_handler {
    static constexpr std::size_t max_object_size = json::object::max_size();
    static constexpr std::size_t max_array_size = json::array::max_size();
    static constexpr std::size_t max_key_size = json::string::max_size();
    static constexpr std::size_t max_string_size = json::string::max_size();

    json::value_stack st;

    bool on_double(double d, json::string_view s, json::error_code&)
    {
        double exact = 0;
        auto r = std::from_chars(s.data(), s.data() + s.size(), exact);
        // Out of range (1e400, 1e-400): keep what Boost made of it (the
        // reader refuses infinities where it keeps JSON).
        st.push_double(r.ec == std::errc() && r.ptr == s.data() + s.size() ? exact : d);
        return true;
    }

    // The rest is boost::json::parser's handler.
    bool on_int64(std::int64_t i, json::string_view, json::error_code&)
    {
        st.push_int64(i);
        return true;
    }
    bool on_uint64(std::uint64_t u, json::string_view, json::error_code&)
    {
        st.push_uint64(u);
        return true;
    }
    bool on_number_part(json::string_view, json::error_code&) { return true; }
    bool on_object_end(std::size_t n, json::error_code&)
    {
        st.push_object(n);
        return true;
    }
    bool on_array_end(std::size_t n, json::error_code&)
    {
        st.push_array(n);
        return true;
    }
    bool on_key_part(json::string_view s, std::size_t, json::error_code&)
    {
        st.push_chars(s);
        return true;
    }
    bool on_key(json::string_view s, std::size_t, json::error_code&)
    {
        st.push_key(s);
        return true;
    }
    bool on_string_part(json::string_view s, std::size_t, json::error_code&)
    {
        st.push_chars(s);
        return true;
    }
    bool on_string(json::string_view s, std::size_t, json::error_code&)
    {
        st.push_string(s);
        return true;
    }
    bool on_bool(bool b, json::error_code&)
    {
        st.push_bool(b);
        return true;
    }
    bool on_null(json::error_code&)
    {
        st.push_null();
        return true;
    }
    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_object_begin(json::error_code&) { return true; }
    bool on_array_begin(json::error_code&) { return true; }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }
};

json::parse_options options()
{
    json::parse_options opts;
    // Deeper than Boost's default of 32 so that a worker's nested structured
    // output still fits inside {task, turns[].structuredOutput}.
    opts.max_depth = max_parse_depth;
    return opts;
}

} // namespace

bool parse_text(std::string_view text, json::value& out, std::string& what)
{
    // One parser per thread keeps its internal stacks between calls (a
    // watcher parses a snapshot on every poll).
    thread_local json::basic_parser<exact_handler> p(options());
    p.reset();
    // The document lives in one monotonic arena (a few blocks instead of an
    // allocation per string, object and array); it is freed with the last
    // value that uses it, e.g. a model's `raw`.
    p.handler().st.reset(json::make_shared_resource<json::monotonic_resource>(text.size() * 2 + 256));
    json::error_code ec;
    std::size_t n = p.write_some(false, text.data(), text.size(), ec);
    if (!ec && n < text.size())
        ec = json::error::extra_data;
    if (ec) {
        what = "invalid JSON: ";
        what += ec.message();
        what += " at offset ";
        what += std::to_string(n);
        return false;
    }
    // Move construction keeps the arena; assignment would copy the whole
    // document into out's (default) storage.
    std::destroy_at(&out);
    std::construct_at(&out, p.handler().st.release());
    return true;
}

} // namespace handinger::detail
