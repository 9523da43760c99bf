// Internal to src/http: the two operations that move bytes for a connection,
// over any stream that has async_read_some and async_write_some (a TCP
// socket; in the tests, a scripted stream that delivers prepared bytes in
// any segmentation):
//
//   async_tls_handshake  the client handshake of a tls_engine;
//   async_round_trip     a request out and its response in, TLS or not.
//
// Each is one composed operation straight over the stream. Beast's
// async_read over a TLS stream's read over the socket's would stack four
// composed operations, each moving the ones below it and tracking work at
// every step.
#pragma once

#include "http/response_reader.hpp"
#include "http/tls_engine.hpp"
#include "http/transport.hpp"

#include <boost/asio/compose.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>

namespace handinger::detail::http {

/// What a round trip tells besides its error.
struct round_trip_result {
    stage failed_at = stage::send; ///< where it was when it failed (none on success)
    bool maybe_delivered = false;  ///< some of the request may have reached the peer
    bool response_started = false; ///< some bytes of a response arrived
    /// The connection can carry another request: the peer keeps it open and
    /// nothing is left over at any layer (read buffer, TLS input, OpenSSL's
    /// records) behind the response.
    bool reusable = false;
};

namespace round_trip_detail {

namespace asio = boost::asio;
using boost::system::error_code;

template <class Stream>
class handshake_op {
public:
    handshake_op(Stream& s, tls_engine& t) : s_(&s), t_(&t) {}

    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t n = 0)
    {
        if (state_ == state::flushed) {
            t_->output_sent();
            if (failed_) // the alert that tells the peer why is out (or could not be)
                return self.complete(failed_);
        } else if (state_ == state::read && t_->input_received(n, ec))
            ec = {};
        if (ec)
            return self.complete(ec);
        auto st = t_->handshake_step(ec);
        if (st == tls_engine::step::failed)
            failed_ = ec;
        if (t_->has_output()) { // the handshake's flight, the client's Finished, or an alert
            state_ = state::flushed;
            return asio::async_write(*s_, t_->output(), std::move(self));
        }
        if (st == tls_engine::step::want_read) {
            state_ = state::read;
            return s_->async_read_some(t_->input_space(), std::move(self));
        }
        self.complete(ec);
    }

private:
    enum class state { start, flushed, read };
    Stream* s_;
    tls_engine* t_;
    state state_ = state::start;
    error_code failed_;
};

/// Sends a request and reads its response. The parser is Beast's (through
/// response_reader); the state is the caller's, which outlives the operation.
template <class Stream>
class round_trip_op {
public:
    round_trip_op(Stream& s, tls_engine* t, boost::beast::flat_buffer& buf, std::string_view wire,
                  response_reader& r, round_trip_result& out)
        : s_(&s), t_(t), buf_(&buf), wire_(wire), r_(&r), out_(&out)
    {}

    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t n = 0)
    {
        auto& buf = *buf_;
        switch (wait_) {
        case wait::none: break;
        case wait::sent:
            sent_ += n;
            if (n > 0)
                out_->maybe_delivered = true;
            if (ec)
                return finish(self, ec);
            break;
        case wait::tls_input:
            if (!t_->input_received(n, ec))
                return finish(self, ec);
            break; // a close is OpenSSL's to judge
        case wait::plain_input:
            buf.commit(n);
            if (ec == asio::error::eof)
                return at_eof(self);
            if (ec)
                return finish(self, ec);
            break;
        }
        wait_ = wait::none;
        for (;;) {
            switch (phase_) {
            case phase::encrypt: // TLS: the whole request into records
                while (encrypted_ < wire_.size()) {
                    std::size_t put = 0;
                    auto st = t_->write_step(asio::buffer(wire_.substr(encrypted_)), put, ec);
                    if (st == tls_engine::step::failed)
                        return finish(self, ec);
                    if (st == tls_engine::step::want_read) // (not with renegotiation off; kept safe)
                        return read_tls(self);
                    encrypted_ += put;
                }
                phase_ = phase::send;
                sent_ = 0;
                continue;
            case phase::send: { // then the response (or more of it)
                auto out = t_ ? t_->output() : asio::buffer(wire_);
                if (sent_ < out.size()) {
                    wait_ = wait::sent;
                    return s_->async_write_some(out + sent_, std::move(self));
                }
                if (t_)
                    t_->output_sent();
                sent_ = 0;
                phase_ = phase::receive;
                out_->failed_at = stage::receive;
                continue;
            }
            case phase::receive:
                // What the buffer holds first: the reader takes what it can.
                while (buf.size() > 0 && !r_->is_done()) {
                    auto used = r_->put(buf.data(), ec);
                    buf.consume(used);
                    if (ec == boost::beast::http::error::need_more) {
                        ec = {};
                        break;
                    }
                    if (ec)
                        return finish(self, ec);
                    if (used == 0)
                        break;
                }
                if (r_->is_done())
                    return finish(self, ec);
                if (!t_) {
                    wait_ = wait::plain_input;
                    return s_->async_read_some(space(buf), std::move(self));
                }
                if (t_->needs_input()) // skip an SSL_read that can only want input
                    return read_tls(self);
                {
                    std::size_t got = 0;
                    auto st = t_->read_step(space(buf), got, ec);
                    buf.commit(got);
                    if (t_->has_output() && st != tls_engine::step::failed) {
                        // A reply OpenSSL owes (a key update): send it, then go on.
                        phase_ = phase::send;
                        sent_ = 0;
                        continue;
                    }
                    if (st == tls_engine::step::want_read)
                        return read_tls(self);
                    if (st == tls_engine::step::failed) {
                        if (ec == asio::error::eof) // the peer's close_notify
                            return at_eof(self);
                        return finish(self, ec);
                    }
                }
                continue;
            }
        }
    }

private:
    enum class phase { encrypt, send, receive };
    enum class wait { none, sent, tls_input, plain_input };

    // Room for the next read: what the buffer has spare, 4 to 64 KB.
    static asio::mutable_buffer space(boost::beast::flat_buffer& buf)
    {
        auto room = std::clamp<std::size_t>(buf.capacity() - buf.size(), 4096, 65536);
        return buf.prepare(room);
    }

    template <class Self>
    void read_tls(Self& self)
    {
        wait_ = wait::tls_input;
        s_->async_read_some(t_->input_space(), std::move(self));
    }

    // The stream ended: the message too, when it is delimited by the close.
    template <class Self>
    void at_eof(Self& self)
    {
        error_code ec;
        if (!r_->got_some())
            ec = boost::beast::http::error::end_of_stream;
        else
            r_->put_eof(ec);
        finish(self, ec);
    }

    template <class Self>
    void finish(Self& self, error_code ec)
    {
        if (out_->failed_at == stage::receive)
            out_->response_started = r_->got_some() || buf_->size() > 0;
        if (!ec) {
            // Reusable when the server keeps it open and nothing unread is
            // left over: not in the read buffer, nor at the TLS layer (a
            // second response in a record of its own would otherwise answer
            // the next request).
            out_->reusable =
                r_->keep_alive() && !r_->need_eof() && buf_->size() == 0 && (!t_ || t_->settle());
            out_->failed_at = stage::none;
        }
        self.complete(ec);
    }

    Stream* s_;
    tls_engine* t_;
    boost::beast::flat_buffer* buf_;
    std::string_view wire_;
    response_reader* r_;
    round_trip_result* out_;
    phase phase_ = t_ ? phase::encrypt : phase::send;
    wait wait_ = wait::none;
    std::size_t encrypted_ = 0; // bytes of wire_ in records
    std::size_t sent_ = 0;      // bytes of the output sent
};

} // namespace round_trip_detail

/// The client handshake of `t` over `s`. On failure, the alert OpenSSL made
/// is sent before the operation completes. Completion: void(error_code).
template <class Stream, class Token>
auto async_tls_handshake(Stream& s, tls_engine& t, Token&& token)
{
    return boost::asio::async_compose<Token, void(boost::system::error_code)>(
        round_trip_detail::handshake_op<Stream>(s, t), token, s);
}

/// Sends `wire` (through `t` when not null) and reads the response into
/// `r`, over `s`, with `buf` as the read buffer (it stays empty when the
/// connection is reusable). Completion: void(error_code); `out` says more.
template <class Stream, class Token>
auto async_round_trip(Stream& s, tls_engine* t, boost::beast::flat_buffer& buf, std::string_view wire,
                      response_reader& r, round_trip_result& out, Token&& token)
{
    return boost::asio::async_compose<Token, void(boost::system::error_code)>(
        round_trip_detail::round_trip_op<Stream>(s, t, buf, wire, r, out), token, s);
}

} // namespace handinger::detail::http
