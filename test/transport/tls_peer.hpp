// A TLS server behind a test_stream, for the socket-free transport tests:
// OpenSSL over two memory BIOs, with a certificate from the simulator's
// in-memory CA. The test decides what it sends and how its records reach
// the client: each send() is one SSL_write (one record, or more past 16 KB),
// and the records wait in `outbox` until the test delivers them, all at once
// (coalesced) or in any segmentation (test_stream::read_splits).
#pragma once

#include "tls_cert.hpp" // the simulator's in-memory CA
#include "transport/test_stream.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace handinger::test {

/// A CA and a server certificate for "localhost" and 127.0.0.1, made once.
inline const sim::detail::tls_material& test_tls_material()
{
    static const auto m = sim::detail::generate_tls_material();
    return m;
}

class tls_peer {
public:
    struct options {
        int max_version = TLS1_3_VERSION;
        bool tickets = false; ///< TLS 1.3 session tickets after the handshake
    };

    tls_peer(test_stream& s, options o) : s_(s)
    {
        ctx_.reset(SSL_CTX_new(TLS_server_method()));
        check(ctx_ != nullptr, "SSL_CTX_new");
        SSL_CTX_set_max_proto_version(ctx_.get(), o.max_version);
        if (!o.tickets)
            SSL_CTX_set_num_tickets(ctx_.get(), 0);
        const auto& m = test_tls_material();
        check(SSL_CTX_use_certificate(ctx_.get(), read_cert(m.cert_pem).get()) == 1, "certificate");
        check(SSL_CTX_use_PrivateKey(ctx_.get(), read_key(m.key_pem).get()) == 1, "key");
        ssl_.reset(SSL_new(ctx_.get()));
        rbio_ = BIO_new(BIO_s_mem());
        wbio_ = BIO_new(BIO_s_mem());
        SSL_set_bio(ssl_.get(), rbio_, wbio_);
        SSL_set_accept_state(ssl_.get());
        s_.on_write = [this](std::string_view bytes) { take(bytes); };
    }
    explicit tls_peer(test_stream& s) : tls_peer(s, options{}) {}

    /// Until the handshake is done, the server's flights go to the client as
    /// soon as they are made (in one delivery); afterwards the test delivers.
    bool auto_deliver = true;
    /// Called with the plaintext the client sent, once the handshake is done.
    std::function<void(std::string_view)> on_plaintext;

    /// One SSL_write of `plain` into the outbox.
    void send(std::string_view plain)
    {
        if (SSL_write(ssl_.get(), plain.data(), static_cast<int>(plain.size())) <= 0)
            throw std::runtime_error("peer SSL_write failed: " + last_error());
        collect();
    }
    /// A close_notify into the outbox.
    void send_close_notify()
    {
        SSL_shutdown(ssl_.get());
        collect();
    }
    /// A TLS 1.3 NewSessionTicket into the outbox.
    void send_ticket()
    {
        check(SSL_new_session_ticket(ssl_.get()) == 1, "SSL_new_session_ticket");
        check(SSL_do_handshake(ssl_.get()) == 1, "ticket");
        collect();
    }
    /// A TLS 1.3 KeyUpdate asking the client to update too.
    void send_key_update()
    {
        check(SSL_key_update(ssl_.get(), SSL_KEY_UPDATE_REQUESTED) == 1, "SSL_key_update");
        check(SSL_do_handshake(ssl_.get()) == 1, "key update");
        collect();
    }
    /// Hands the outbox to the client: what the records are made of reaches
    /// it in the segmentation the stream is set to.
    void deliver()
    {
        s_.deliver(outbox);
        outbox.clear();
    }

    std::string outbox;   ///< records made and not delivered yet
    std::string received; ///< plaintext the client sent
    std::string failure;  ///< OpenSSL's reason, once the server failed
    bool handshake_done = false;

    SSL* native_handle() { return ssl_.get(); }

private:
    struct ctx_free {
        void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
    };
    struct ssl_free {
        void operator()(SSL* s) const { SSL_free(s); }
    };
    struct x509_free {
        void operator()(X509* x) const { X509_free(x); }
    };
    struct pkey_free {
        void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
    };

    static void check(bool ok, const char* what)
    {
        if (!ok)
            throw std::runtime_error(std::string("tls_peer: ") + what + ": " + last_error());
    }
    static std::string last_error()
    {
        char buf[256] = "no OpenSSL error";
        if (auto e = ERR_get_error())
            ERR_error_string_n(e, buf, sizeof buf);
        return buf;
    }
    static std::unique_ptr<X509, x509_free> read_cert(const std::string& pem)
    {
        std::unique_ptr<BIO, decltype(&BIO_free)> b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                    &BIO_free);
        return std::unique_ptr<X509, x509_free>(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
    }
    static std::unique_ptr<EVP_PKEY, pkey_free> read_key(const std::string& pem)
    {
        std::unique_ptr<BIO, decltype(&BIO_free)> b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                    &BIO_free);
        return std::unique_ptr<EVP_PKEY, pkey_free>(
            PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr));
    }

    // What the server's SSL wrote, into the outbox.
    void collect()
    {
        char buf[16384];
        int n;
        while ((n = BIO_read(wbio_, buf, sizeof buf)) > 0)
            outbox.append(buf, static_cast<std::size_t>(n));
    }

    void take(std::string_view bytes)
    {
        BIO_write(rbio_, bytes.data(), static_cast<int>(bytes.size()));
        if (!handshake_done) {
            int r = SSL_do_handshake(ssl_.get());
            if (r == 1)
                handshake_done = true;
            else if (SSL_get_error(ssl_.get(), r) != SSL_ERROR_WANT_READ)
                failure = last_error();
            collect();
            if (auto_deliver)
                deliver();
            if (!handshake_done)
                return;
        }
        char buf[16384];
        int n;
        std::size_t before = received.size();
        while ((n = SSL_read(ssl_.get(), buf, sizeof buf)) > 0)
            received.append(buf, static_cast<std::size_t>(n));
        if (n <= 0 && SSL_get_error(ssl_.get(), n) == SSL_ERROR_SSL)
            failure = last_error();
        collect(); // (what reading made: a KeyUpdate's answer)
        if (received.size() > before && on_plaintext)
            on_plaintext(std::string_view(received).substr(before));
    }

    test_stream& s_;
    std::unique_ptr<SSL_CTX, ctx_free> ctx_;
    std::unique_ptr<SSL, ssl_free> ssl_;
    BIO* rbio_ = nullptr; // owned by ssl_
    BIO* wbio_ = nullptr;
};

} // namespace handinger::test
