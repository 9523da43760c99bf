#include "http/tls_engine.hpp"

#include <boost/system/system_error.hpp>

#include <algorithm>
#include <climits>
#include <cstring>

namespace handinger::detail::http {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// Bytes read from the socket at a time. A response of a few KB arrives in
// one read; a 16 KB record takes a few (OpenSSL assembles it).
constexpr std::size_t in_size = 4096;
// The most plaintext one write_some encrypts (asio::async_write loops).
constexpr std::size_t max_write = 64 * 1024;

[[noreturn]] void throw_openssl(const char* what)
{
    error_code ec(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category());
    throw boost::system::system_error(ec, what);
}

// SSL_get_error reads the thread's error queue, which must be empty before
// the call. Peeking is cheaper than clearing (OpenSSL 3 clears all sixteen
// slots), and the queue is almost always empty.
void clear_errors() noexcept
{
    if (ERR_peek_error() != 0)
        ERR_clear_error();
}

} // namespace

BIO_METHOD* tls_engine::bio_method()
{
    static BIO_METHOD* const m = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "handinger stream");
        if (!m)
            throw_openssl("BIO_meth_new");
        BIO_meth_set_write(m, &tls_engine::bio_write);
        BIO_meth_set_read(m, &tls_engine::bio_read);
        BIO_meth_set_ctrl(m, &tls_engine::bio_ctrl);
        return m;
    }();
    return m;
}

tls_engine::tls_engine(asio::ssl::context& ctx)
{
    ssl_ = SSL_new(ctx.native_handle());
    if (!ssl_)
        throw_openssl("SSL_new");
    BIO* bio = BIO_new(bio_method());
    if (!bio) {
        SSL_free(ssl_);
        throw_openssl("BIO_new");
    }
    BIO_set_data(bio, this);
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl_, bio, bio); // the SSL owns it
    SSL_set_connect_state(ssl_);
    SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS);
    // A TLS 1.2 server asking for a renegotiation mid-response is refused:
    // nothing this client does needs one, and a renegotiation in the middle
    // of a round trip is a way to confuse what came before from after.
    SSL_set_options(ssl_, SSL_OP_NO_RENEGOTIATION);
}

tls_engine::~tls_engine()
{
    SSL_free(ssl_);
}

int tls_engine::bio_write(BIO* b, const char* data, int len)
{
    auto* s = static_cast<tls_engine*>(BIO_get_data(b));
    BIO_clear_retry_flags(b);
    if (len <= 0)
        return 0;
    s->out_.append(data, static_cast<std::size_t>(len));
    return len;
}

int tls_engine::bio_read(BIO* b, char* data, int len)
{
    auto* s = static_cast<tls_engine*>(BIO_get_data(b));
    BIO_clear_retry_flags(b);
    if (len <= 0)
        return 0;
    if (s->in_pos_ < s->in_end_) {
        auto n = std::min(static_cast<std::size_t>(len), s->in_end_ - s->in_pos_);
        std::memcpy(data, s->in_.get() + s->in_pos_, n);
        s->in_pos_ += n;
        if (s->in_pos_ == s->in_end_)
            s->in_pos_ = s->in_end_ = 0;
        return static_cast<int>(n);
    }
    if (s->in_error_)
        return 0; // the peer closed the connection: end of file
    BIO_set_retry_read(b);
    return -1;
}

long tls_engine::bio_ctrl(BIO* b, int cmd, long, void*)
{
    auto* s = static_cast<tls_engine*>(BIO_get_data(b));
    switch (cmd) {
    case BIO_CTRL_FLUSH: return 1; // the operations send `out_` themselves
    case BIO_CTRL_PENDING: return static_cast<long>(s->in_end_ - s->in_pos_);
    case BIO_CTRL_WPENDING: return 0;
    case BIO_CTRL_EOF: return s->in_error_ && s->in_pos_ == s->in_end_ ? 1 : 0;
    default: return 0;
    }
}

asio::mutable_buffer tls_engine::input_space()
{
    if (!in_)
        in_ = std::make_unique<char[]>(in_size);
    if (in_pos_ == in_end_)
        in_pos_ = in_end_ = 0;
    return asio::buffer(in_.get() + in_end_, in_size - in_end_);
}

bool tls_engine::input_received(std::size_t n, const error_code& ec) noexcept
{
    in_end_ += n;
    if (!ec)
        return true;
    if (ec == asio::error::eof) {
        in_error_ = ec;
        return true;
    }
    return false;
}

tls_engine::step tls_engine::classify(int ret, error_code& ec)
{
    switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ: return step::want_read;
    case SSL_ERROR_ZERO_RETURN: // the peer's close_notify
        ec = asio::error::eof;
        return step::failed;
    case SSL_ERROR_SYSCALL: {
        auto err = ERR_get_error();
        if (err == 0)
            ec = asio::ssl::error::stream_truncated; // the TCP stream ended without close_notify
        else
            ec = error_code(static_cast<int>(err), asio::error::get_ssl_category());
        return step::failed;
    }
    case SSL_ERROR_SSL: {
        auto err = ERR_get_error();
        if (ERR_GET_REASON(err) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
            ec = asio::ssl::error::stream_truncated;
        else
            ec = error_code(static_cast<int>(err), asio::error::get_ssl_category());
        return step::failed;
    }
    default: // WANT_WRITE cannot happen (the BIO takes every write); others are not used
        ec = asio::ssl::error::unspecified_system_error;
        return step::failed;
    }
}

tls_engine::step tls_engine::handshake_step(error_code& ec)
{
    clear_errors();
    int r = SSL_do_handshake(ssl_);
    if (r == 1)
        return step::done;
    return classify(r, ec);
}

tls_engine::step tls_engine::read_step(asio::mutable_buffer b, std::size_t& n, error_code& ec)
{
    clear_errors();
    n = 0;
    int r = SSL_read(ssl_, b.data(), static_cast<int>(std::min<std::size_t>(b.size(), INT_MAX)));
    if (r > 0) {
        n = static_cast<std::size_t>(r);
        return step::done;
    }
    return classify(r, ec);
}

tls_engine::step tls_engine::write_step(asio::const_buffer b, std::size_t& n, error_code& ec)
{
    clear_errors();
    n = 0;
    int r = SSL_write(ssl_, b.data(), static_cast<int>(std::min(b.size(), max_write)));
    if (r > 0) {
        n = static_cast<std::size_t>(r);
        return step::done;
    }
    return classify(r, ec);
}

bool tls_engine::settle() noexcept
{
    // Whatever came in behind the response goes through OpenSSL: a ticket
    // or a KeyUpdate is consumed (SSL_read answers want_read); application
    // data (a second, unsolicited response) or a close is not clean.
    char scratch[512];
    while (!needs_input()) {
        std::size_t n = 0;
        error_code ec;
        auto st = read_step(asio::buffer(scratch), n, ec);
        if (st == step::done)
            return false; // application data nobody asked for
        if (st == step::failed)
            return false; // a close_notify, a cut, or an alert
        // want_read: OpenSSL took all the input. A record begun and not
        // complete stays pending: not clean.
        return in_pos_ == in_end_ && !in_error_ && !SSL_has_pending(ssl_);
    }
    return true;
}

} // namespace handinger::detail::http
