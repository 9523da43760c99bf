// JSON text written straight into a string, without building a
// boost::json::value first: the one writer of the project's hot paths, the
// body of every create and the simulator's responses. (The simulator reaches
// this header through a private include directory; none of it is installed.)
//
// Its output is Boost.JSON's serializer's, byte for byte (the unit tests and
// the json_text fuzz target compare them), so text written here and text
// written through boost::json::serialize(boost::json::value_from(x)) never
// differ.
#pragma once

#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace handinger::detail {

/// Appends the bytes of `s` as the inside of a JSON string literal: '"',
/// '\\' and control characters escaped as Boost.JSON's serializer escapes
/// them (\b \f \n \r \t, else \u00XX), every other byte as it is.
void append_json_escaped(std::string& out, std::string_view s);

/// Appends `s` as a JSON string literal, quotes included.
inline void append_json_string(std::string& out, std::string_view s)
{
    out += '"';
    append_json_escaped(out, s);
    out += '"';
}

/// A streaming writer of compact JSON: it puts the commas and colons, the
/// caller keeps the structure balanced. Nothing is allocated but what the
/// string grows by.
///
///     json_writer w(out);
///     w.begin_object().key("id").str(id).key("seq").num(seq).end_object();
class json_writer {
public:
    explicit json_writer(std::string& out) noexcept : out_(out) {}

    json_writer& begin_object() { return open('{'); }
    json_writer& end_object() { return close('}'); }
    json_writer& begin_array() { return open('['); }
    json_writer& end_array() { return close(']'); }

    /// An object key; `k` must need no escaping (the keys are the wire
    /// names, written in code).
    json_writer& key(std::string_view k)
    {
        sep();
        out_ += '"';
        out_ += k;
        out_ += "\":";
        first_ = true; // the value follows without a comma
        return *this;
    }

    json_writer& str(std::string_view s)
    {
        sep();
        append_json_string(out_, s);
        return *this;
    }

    /// One string value made of the parts, as if they were concatenated
    /// first (escaping is byte by byte), without the temporary.
    json_writer& str_concat(std::initializer_list<std::string_view> parts)
    {
        sep();
        out_ += '"';
        for (std::string_view p : parts)
            append_json_escaped(out_, p);
        out_ += '"';
        return *this;
    }

    json_writer& num(std::int64_t n)
    {
        sep();
        char buf[24];
        auto r = std::to_chars(buf, buf + sizeof buf, n);
        out_.append(buf, r.ptr);
        return *this;
    }

    json_writer& boolean(bool b)
    {
        sep();
        out_ += b ? "true" : "false";
        return *this;
    }

    /// A value given as JSON text already, appended as it is: a nested
    /// object written by Boost's serializer (a worker's output schema).
    json_writer& raw(std::string_view json_text)
    {
        sep();
        out_ += json_text;
        return *this;
    }

    json_writer& null()
    {
        sep();
        out_ += "null";
        return *this;
    }

private:
    void sep()
    {
        if (!first_)
            out_ += ',';
        first_ = false;
    }
    json_writer& open(char c)
    {
        sep();
        out_ += c;
        first_ = true;
        return *this;
    }
    json_writer& close(char c)
    {
        out_ += c;
        first_ = false;
        return *this;
    }

    std::string& out_;
    bool first_ = true;
};

} // namespace handinger::detail
