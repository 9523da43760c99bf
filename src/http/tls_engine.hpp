// Internal to src/http: client TLS as a sans-io engine. OpenSSL reads its
// records from an input buffer the caller fills from the network and writes
// them into an output buffer the caller sends; the engine never touches a
// socket. The operations that do the I/O (handshake, round trip) live in
// round_trip.hpp and run over any stream (a TCP socket, or a scripted stream
// in the tests).
//
// Why not asio::ssl::stream: it keeps four 17 KB buffers per connection (a
// BIO pair and its own input and output buffers, some 70 KB with OpenSSL's),
// and copies each record twice on its way. Here OpenSSL writes its records
// straight into `out_`, which goes to the socket in one send, and reads them
// from `in_`, which the socket fills: one copy each way, and 4 KB of its
// own (`in_`, kept from the first read on: allocating it per response cost
// more than it saved) besides OpenSSL's, whose record buffers are released
// between records (SSL_MODE_RELEASE_BUFFERS). 64 pooled connections hold
// 4.2 MB less. test/transport/ checks it against asio::ssl::stream over the
// same records.
//
// Errors as asio::ssl::stream gives them: OpenSSL's in the SSL category,
// asio::ssl::error::stream_truncated for a TCP close without close_notify,
// asio::error::eof for a close_notify.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>

namespace handinger::detail::http {

class tls_engine {
public:
    explicit tls_engine(boost::asio::ssl::context& ctx);
    ~tls_engine();
    tls_engine(const tls_engine&) = delete;
    tls_engine& operator=(const tls_engine&) = delete;

    SSL* native_handle() noexcept { return ssl_; }

    // One OpenSSL call's outcome: done (n bytes), want_read (feed it input),
    // or failed (ec set).
    enum class step { done, want_read, failed };

    /// SSL_do_handshake. On failure, an alert may be in the output: send it.
    step handshake_step(boost::system::error_code& ec);
    /// Decrypts into `b` what the input holds (SSL_read).
    step read_step(boost::asio::mutable_buffer b, std::size_t& n, boost::system::error_code& ec);
    /// Encrypts up to 64 KB of `b` into the output (SSL_write).
    step write_step(boost::asio::const_buffer b, std::size_t& n, boost::system::error_code& ec);

    /// The records written and not sent yet: send them all, then output_sent().
    bool has_output() const noexcept { return !out_.empty(); }
    boost::asio::const_buffer output() const noexcept { return boost::asio::buffer(out_); }
    void output_sent() noexcept { out_.clear(); }

    /// True when a read_step could only answer want_read: nothing received
    /// is left unread, by this engine or inside OpenSSL (a record begun, or
    /// decrypted bytes not yet taken). Then the network is read first.
    bool needs_input() const noexcept { return in_pos_ == in_end_ && !in_error_ && !SSL_has_pending(ssl_); }
    /// Where the network's next read goes; then input_received().
    boost::asio::mutable_buffer input_space();
    /// Takes n bytes the network read. False when the read failed other than
    /// by the peer's close (cancelled, the socket closed by a deadline): that
    /// error is the operation's. A close is OpenSSL's to judge (a
    /// close_notify came first, or the stream was cut).
    bool input_received(std::size_t n, const boost::system::error_code& ec) noexcept;

    /// After a complete response: processes whatever was received beyond it
    /// (post-handshake messages such as session tickets and KeyUpdate are
    /// taken), and says whether the connection is clean: no application
    /// data, no partial record and no close behind the response. A reply
    /// OpenSSL owes (a KeyUpdate) stays in the output, sent before the next
    /// request's records.
    bool settle() noexcept;

private:
    step classify(int ret, boost::system::error_code& ec);

    static BIO_METHOD* bio_method();
    static int bio_write(BIO* b, const char* data, int len);
    static int bio_read(BIO* b, char* data, int len);
    static long bio_ctrl(BIO* b, int cmd, long num, void* ptr);

    SSL* ssl_ = nullptr;
    std::string out_;            // records OpenSSL wrote, not sent yet
    std::unique_ptr<char[]> in_; // bytes received, from in_pos_ to in_end_ not read by OpenSSL
    std::size_t in_pos_ = 0, in_end_ = 0;
    boost::system::error_code in_error_; // the network's end (eof), once reached
};

} // namespace handinger::detail::http
