// Internal to src/http: the client TLS context with its session store, and
// per-connection TLS set-up (SNI, host name verification, resumption).
#pragma once

#include "http/connection.hpp"

#include <openssl/ssl.h>

#include <memory>
#include <mutex>
#include <string>

namespace handinger::detail::http {

/// The latest TLS session offered by the host, for resumption by the next
/// new connection. Filled by OpenSSL's new-session callback (TLS 1.3 tickets
/// arrive after the handshake).
class session_store {
public:
    ~session_store();
    void put(SSL_SESSION* s); // takes ownership
    SSL_SESSION* get1();      // a new reference, or null

private:
    std::mutex mu_;
    SSL_SESSION* latest_ = nullptr;
};

/// Builds the client context: TLS 1.2+, verification against the system
/// store plus the given CA file/dir unless insecure_skip_verify. Throws
/// api_error(invalid_argument) naming the option when a CA cannot be loaded.
std::unique_ptr<asio::ssl::context> make_client_context(const tls_options& o, session_store* store);

/// Sets SNI (names only), the expected host name or IP for verification, and
/// a session to resume.
void prepare_connection(tls_stream& s, const endpoint& ep, bool verify, session_store* store);

/// After a failed handshake: the verification error text, or "" when the
/// failure was not a verification failure.
std::string verify_failure(tls_stream& s);

} // namespace handinger::detail::http
