// Internal to src/http: reads one HTTP/1.1 response from bytes, skipping
// interim (1xx) responses. Beast's parser underneath; includes Beast.
#pragma once

#include "http/transport.hpp"
#include "util/text.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include <optional>

namespace handinger::detail::http {

/// A response parser that keeps only what the client reads: the status, the
/// three retry headers and the body. Beast's response_parser would store
/// every header in a fields container, an allocation each. A header that
/// comes twice counts once, the first time (as `fields[name]` reads it).
class lean_response_parser final : public boost::beast::http::basic_parser<false> {
public:
    lean_response_parser(response& out, std::size_t body_limit) : out_(out)
    {
        this->body_limit(body_limit);
        this->header_limit(64 * 1024);
    }

private:
    using error_code = boost::system::error_code;
    using string_view = boost::beast::string_view;

    void on_request_impl(boost::beast::http::verb, string_view, string_view, int, error_code&) override {}
    void on_response_impl(int code, string_view, int, error_code&) override { out_.status = code; }
    void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                       error_code&) override
    {
        auto keep = [&](unsigned bit, std::string& to) {
            if (!(seen_ & bit)) {
                seen_ |= bit;
                to.assign(value.data(), value.size());
            }
        };
        if (name == boost::beast::http::field::retry_after)
            keep(1, out_.retry_after);
        else if (name == boost::beast::http::field::unknown) {
            if (iequals(name_string, "retry-after-ms"))
                keep(2, out_.retry_after_ms);
            else if (iequals(name_string, "x-should-retry"))
                keep(4, out_.x_should_retry);
        }
    }
    void on_header_impl(error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override
    {
        if (length)
            out_.body.reserve(static_cast<std::size_t>(*length)); // within body_limit: checked before
    }
    std::size_t on_body_impl(string_view body, error_code&) override
    {
        out_.body.append(body.data(), body.size());
        return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override
    {
        out_.body.append(body.data(), body.size());
        return body.size();
    }
    void on_finish_impl(error_code&) override {}

    response& out_;
    unsigned seen_ = 0;
};

/// The final response of a request: any number of interim responses (100
/// Continue, 103 Early Hints, ...) before it are read and dropped. A 101
/// (Switching Protocols) fails: this client never asks to switch.
class response_reader {
public:
    response_reader(response& out, std::size_t body_limit) : out_(out), body_limit_(body_limit)
    {
        p_.emplace(out_, body_limit_);
    }

    /// Parses what it can of `b`; returns the bytes used. `ec` as Beast's
    /// parser sets it (need_more: give it more).
    std::size_t put(boost::asio::const_buffer b, boost::system::error_code& ec)
    {
        auto used = p_->put(b, ec);
        if (!ec && p_->is_done() && out_.status >= 100 && out_.status < 200) {
            if (out_.status == 101) {
                switching_ = true;
                ec = boost::beast::http::error::bad_status;
                return used;
            }
            ++interim_;
            out_ = response{};
            p_.emplace(out_, body_limit_);
        }
        return used;
    }
    /// The stream ended: completes a response delimited by the close.
    void put_eof(boost::system::error_code& ec)
    {
        if (!p_->got_some()) // (an interim response came, then nothing)
            ec = boost::beast::http::error::partial_message;
        else
            p_->put_eof(ec);
    }

    bool is_done() const noexcept { return p_->is_done(); }
    /// Some bytes of a response (interim ones too) were taken.
    bool got_some() const noexcept { return interim_ > 0 || p_->got_some(); }
    bool keep_alive() const noexcept { return p_->keep_alive(); }
    bool need_eof() const noexcept { return p_->need_eof(); }
    int interim_responses() const noexcept { return interim_; }
    /// The failure was a 101 response.
    bool switching_protocols() const noexcept { return switching_; }

private:
    response& out_;
    std::size_t body_limit_;
    std::optional<lean_response_parser> p_;
    int interim_ = 0;
    bool switching_ = false;
};

} // namespace handinger::detail::http
