// The library's JSON text against Boost.JSON's, shared by the json_text fuzz
// target and the unit tests (test/unit/json_text_test.cpp):
//
// - the parser (detail::parse_text, which reads doubles with std::from_chars)
//   against boost::json::parse with the same options: both accept or both
//   refuse, with the same error; accepted, the values are the same, kind for
//   kind, except for doubles that Boost.JSON 1.81 misrounds, where ours is
//   std::from_chars of the number's text;
// - the writer (json/text.hpp) against boost::json::serialize: a string
//   escaped, in one piece or in parts, and a create body, byte for byte.
#pragma once

#include "json/reader.hpp"
#include "json/text.hpp"
#include "json/write.hpp"

#include <handinger/json.hpp>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace handinger::test {

namespace json = boost::json;

/// What a document holds beside its values: the text of each double, in
/// document order, and how many keys it has, repeated ones included.
struct number_texts {
    std::vector<std::string> doubles;
    std::size_t keys = 0;
};

/// A basic_parser handler that builds nothing and records number_texts.
struct number_recorder {
    static constexpr std::size_t max_object_size = json::object::max_size();
    static constexpr std::size_t max_array_size = json::array::max_size();
    static constexpr std::size_t max_key_size = json::string::max_size();
    static constexpr std::size_t max_string_size = json::string::max_size();

    explicit number_recorder(number_texts* o) noexcept : out(o) {}

    number_texts* out;

    bool on_double(double, json::string_view s, json::error_code&)
    {
        out->doubles.emplace_back(s.data(), s.size());
        return true;
    }
    bool on_key(json::string_view, std::size_t, json::error_code&)
    {
        ++out->keys;
        return true;
    }
    bool on_int64(std::int64_t, json::string_view, json::error_code&) { return true; }
    bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return true; }
    bool on_number_part(json::string_view, json::error_code&) { return true; }
    bool on_object_end(std::size_t, json::error_code&) { return true; }
    bool on_array_end(std::size_t, json::error_code&) { return true; }
    bool on_key_part(json::string_view, std::size_t, json::error_code&) { return true; }
    bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
    bool on_string(json::string_view, std::size_t, json::error_code&) { return true; }
    bool on_bool(bool, json::error_code&) { return true; }
    bool on_null(json::error_code&) { return true; }
    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_object_begin(json::error_code&) { return true; }
    bool on_array_begin(json::error_code&) { return true; }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }
};

inline json::parse_options library_parse_options()
{
    json::parse_options opts;
    opts.max_depth = detail::max_parse_depth;
    return opts;
}

/// The outcome of one comparison of the two parsers.
struct parse_comparison {
    std::string disagreement; ///< empty when they agree
    bool parsed = false;      ///< both accepted the text
    std::size_t doubles = 0;  ///< doubles in the document
    std::size_t misread = 0;  ///< of which Boost.JSON read a neighbour (and ours the exact value)
};

namespace differential_detail {

inline std::uint64_t bits(double d) noexcept
{
    return std::bit_cast<std::uint64_t>(d);
}

inline std::size_t count_keys(const json::value& v)
{
    std::size_t n = 0;
    if (const auto* o = v.if_object())
        for (const auto& kv : *o)
            n += 1 + count_keys(kv.value());
    else if (const auto* a = v.if_array())
        for (const auto& x : *a)
            n += count_keys(x);
    return n;
}

/// std::from_chars of the whole text, or false when it is out of range.
inline bool exact_value(std::string_view text, double& out)
{
    auto r = std::from_chars(text.data(), text.data() + text.size(), out);
    return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

struct walker {
    const number_texts& texts;
    bool aligned; // the tree's doubles are the document's, in its order (no repeated keys)
    parse_comparison& result;
    std::size_t next_double = 0;

    bool fail(const std::string& where, std::string_view what)
    {
        result.disagreement = (where.empty() ? std::string("(root)") : where) + ": " + std::string(what);
        return false;
    }

    bool same_double(double ours, double theirs, const std::string& where)
    {
        ++result.doubles;
        if (aligned) {
            const std::string& text = texts.doubles.at(next_double++);
            double exact;
            if (!exact_value(text, exact)) // out of range: both keep Boost's
                return bits(ours) == bits(theirs) || fail(where, "out-of-range double " + text + " differs");
            if (bits(ours) != bits(exact))
                return fail(where, "double " + text + " is not std::from_chars of its text");
            if (bits(theirs) != bits(exact))
                ++result.misread;
            return true;
        }
        // Repeated keys dropped some values: the one the tree kept came
        // from some double of the document.
        if (bits(ours) == bits(theirs))
            return true;
        ++result.misread;
        for (const std::string& text : texts.doubles) {
            double exact;
            if (exact_value(text, exact) && bits(exact) == bits(ours))
                return true;
        }
        return fail(where, "a double differs from Boost's and from every number of the text");
    }

    bool same(const json::value& ours, const json::value& theirs, const std::string& where)
    {
        if (ours.kind() != theirs.kind())
            return fail(where, "kinds differ");
        switch (ours.kind()) {
        case json::kind::object: {
            const auto& a = ours.get_object();
            const auto& b = theirs.get_object();
            if (a.size() != b.size())
                return fail(where, "object sizes differ");
            for (std::size_t i = 0; i < a.size(); ++i) {
                const auto& x = a.begin()[i];
                const auto& y = b.begin()[i];
                if (x.key() != y.key())
                    return fail(where, "keys differ");
                if (!same(x.value(), y.value(), where + "." + std::string(x.key())))
                    return false;
            }
            return true;
        }
        case json::kind::array: {
            const auto& a = ours.get_array();
            const auto& b = theirs.get_array();
            if (a.size() != b.size())
                return fail(where, "array sizes differ");
            for (std::size_t i = 0; i < a.size(); ++i)
                if (!same(a[i], b[i], where + "[" + std::to_string(i) + "]"))
                    return false;
            return true;
        }
        case json::kind::double_: return same_double(ours.get_double(), theirs.get_double(), where);
        default: return ours == theirs || fail(where, "values differ");
        }
    }
};

} // namespace differential_detail

/// Parses `text` with both parsers and compares what they make of it.
inline parse_comparison compare_parsers(std::string_view text)
{
    parse_comparison result;
    json::value ours;
    std::string what;
    const bool ours_ok = detail::parse_text(text, ours, what);
    json::error_code ec;
    json::value theirs =
        json::parse(json::string_view(text.data(), text.size()), ec, {}, library_parse_options());
    if (ours_ok != !ec) {
        result.disagreement = ours_ok ? "ours accepts, Boost refuses: " + ec.message()
                                      : "ours refuses (" + what + "), Boost accepts";
        return result;
    }
    if (!ours_ok) {
        // The same parser underneath: the same error.
        const std::string expected = "invalid JSON: " + ec.message() + " at offset ";
        if (what.compare(0, expected.size(), expected) != 0)
            result.disagreement = "errors differ: ours \"" + what + "\", Boost \"" + ec.message() + "\"";
        return result;
    }
    result.parsed = true;

    number_texts texts;
    json::basic_parser<number_recorder> recorder(library_parse_options(), &texts);
    json::error_code rec_ec;
    recorder.write_some(false, text.data(), text.size(), rec_ec);
    if (rec_ec) {
        result.disagreement = "the number recorder refuses what both parsers accept: " + rec_ec.message();
        return result;
    }
    const bool aligned = texts.keys == differential_detail::count_keys(ours);
    differential_detail::walker w{texts, aligned, result};
    if (w.same(ours, theirs, "") && aligned && w.next_double != texts.doubles.size())
        result.disagreement = "the tree has fewer doubles than the text";
    return result;
}

/// The writer against boost::json::serialize for the bytes `s`: escaped
/// whole, in two parts (cut at a few places, ends included), and shared out
/// over the fields of a create body. Returns "" when all agree, else what
/// differs.
inline std::string compare_writers(std::string_view s)
{
    const std::string theirs = json::serialize(json::string_view(s.data(), s.size()));
    std::string ours;
    detail::append_json_string(ours, s);
    if (ours != theirs)
        return "escaped string: ours " + ours + ", Boost " + theirs;

    for (std::size_t cut = 0; cut <= s.size(); cut += 1 + s.size() / 8) {
        std::string parts;
        detail::json_writer(parts).str_concat({s.substr(0, cut), s.substr(cut)});
        if (parts != theirs)
            return "string in two parts at " + std::to_string(cut) + ": " + parts;
    }

    // The bytes shared out over the fields of a create body: input, then the
    // optional ones, each present or not by a bit of the first byte.
    create_task_params p;
    const unsigned flags = s.empty() ? 0u : static_cast<unsigned char>(s[0]);
    const std::size_t third = s.size() / 3;
    p.input = std::string(s.substr(0, third));
    if (flags & 1u)
        p.budget = open_enum<task_budget>::from_string(s.substr(third, third / 2));
    if (flags & 2u)
        p.task_id = std::string(s.substr(third + third / 2, third));
    if (flags & 4u)
        p.worker_id = std::string(s.substr(std::min(s.size(), 2 * third + third / 2)));
    const std::string body = detail::create_request_body(p);
    const std::string expected = json::serialize(json::value_from(p));
    if (body != expected)
        return "create body: ours " + body + ", Boost " + expected;
    return {};
}

} // namespace handinger::test
