// Internal to src/http: a client TLS stream over a TCP socket, OpenSSL
// driven through a BIO of our own.
//
// Why not asio::ssl::stream: it keeps four 17 KB buffers per connection (a
// BIO pair and its own input and output buffers, some 70 KB with OpenSSL's),
// and copies each record twice on its way. Here OpenSSL writes its records
// straight into `out_`, which goes to the socket in one send, and reads them
// from `in_`, which the socket fills: one copy each way, and 4 KB of its
// own (`in_`, kept from the first read on: allocating it per response cost
// more than it saved) besides OpenSSL's, whose record buffers are released
// between records (SSL_MODE_RELEASE_BUFFERS). 64 pooled connections hold
// 4.2 MB less.
//
// async_handshake, and the steps an operation over the socket takes to send
// and receive (read_step, write_step, output, input_space, ...): the
// transport's round trip drives the socket itself, one composed operation
// per request, instead of a stack of them (Beast's read over a read_some
// over this stream's read over the socket's). Errors as asio::ssl::stream
// gives them: OpenSSL's in the SSL category, asio::ssl::error::stream_truncated
// for a TCP close without close_notify, asio::error::eof for a close_notify.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>

namespace handinger::detail::http {

class tls_stream {
public:
    using executor_type = boost::asio::any_io_executor;
    using next_layer_type = boost::asio::ip::tcp::socket;

    tls_stream(const executor_type& ex, boost::asio::ssl::context& ctx);
    ~tls_stream();
    tls_stream(const tls_stream&) = delete;
    tls_stream& operator=(const tls_stream&) = delete;

    next_layer_type& next_layer() noexcept { return sock_; }
    SSL* native_handle() noexcept { return ssl_; }

    /// The client handshake.
    template <class Token>
    auto async_handshake(Token&& token)
    {
        return boost::asio::async_compose<Token, void(boost::system::error_code)>(handshake_op{this}, token,
                                                                                  sock_);
    }

    // ---- The steps, for an operation that drives the socket itself (the
    // transport's round trip, one composed operation per request instead of
    // a stack of them) ----

    // One OpenSSL call's outcome: done (n bytes), want_read (feed it input),
    // or failed (ec set).
    enum class step { done, want_read, failed };

    /// Decrypts into `b` what the input holds (SSL_read).
    step read_step(boost::asio::mutable_buffer b, std::size_t& n, boost::system::error_code& ec);
    /// Encrypts up to 64 KB of `b` into the output (SSL_write).
    step write_step(boost::asio::const_buffer b, std::size_t& n, boost::system::error_code& ec);

    /// The records written and not sent yet: send them all, then output_sent().
    bool has_output() const noexcept { return !out_.empty(); }
    boost::asio::const_buffer output() const noexcept { return boost::asio::buffer(out_); }
    void output_sent() noexcept { out_.clear(); }
    /// True when a read_step could only answer want_read: nothing received
    /// is left unread, by this stream or inside OpenSSL (a record begun, or
    /// decrypted bytes not yet taken). Then the socket is read first.
    bool needs_input() const noexcept { return in_pos_ == in_end_ && !in_error_ && !SSL_has_pending(ssl_); }
    /// Where the socket's next read goes; then input_received().
    boost::asio::mutable_buffer input_space();
    /// Takes n bytes the socket read. False when the read failed other than
    /// by the peer's close (cancelled, the socket closed by a deadline): that
    /// error is the operation's. A close is OpenSSL's to judge (a
    /// close_notify came first, or the stream was cut).
    bool input_received(std::size_t n, const boost::system::error_code& ec) noexcept;

private:
    step handshake_step(boost::system::error_code& ec);
    step classify(int ret, boost::system::error_code& ec);

    static BIO_METHOD* bio_method();
    static int bio_write(BIO* b, const char* data, int len);
    static int bio_read(BIO* b, char* data, int len);
    static long bio_ctrl(BIO* b, int cmd, long num, void* ptr);

    // Runs the handshake step; flushes what it wrote; reads more when it
    // wants input; repeats until done or failed.
    struct handshake_op {
        tls_stream* s;
        int state = 0; // 0 run, 1 after a flush, 2 after a read

        template <class Self>
        void operator()(Self& self, boost::system::error_code ec = {}, std::size_t n = 0)
        {
            if (state == 1)
                s->output_sent();
            else if (state == 2 && s->input_received(n, ec))
                ec = {};
            if (ec)
                return self.complete(ec);
            auto st = s->handshake_step(ec);
            if (s->has_output()) { // the handshake's flight, or the client's Finished
                state = 1;
                if (st == step::failed)
                    return self.complete(ec); // an alert cannot help now
                return boost::asio::async_write(s->sock_, s->output(), std::move(self));
            }
            if (st == step::want_read) {
                state = 2;
                return s->sock_.async_read_some(s->input_space(), std::move(self));
            }
            self.complete(ec);
        }
    };

    next_layer_type sock_;
    SSL* ssl_ = nullptr;
    std::string out_;            // records OpenSSL wrote, not sent yet
    std::unique_ptr<char[]> in_; // bytes received, from in_pos_ to in_end_ not read by OpenSSL
    std::size_t in_pos_ = 0, in_end_ = 0;
    boost::system::error_code in_error_; // the socket's end (eof) or failure, once reached
};

} // namespace handinger::detail::http
