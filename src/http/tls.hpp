// Internal to src/http: the client TLS context with its session store, and
// per-connection TLS set-up (SNI, host name verification, resumption).
#pragma once

#include "http/tls_engine.hpp"
#include "http/transport.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <openssl/ssl.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace handinger::detail::http {

namespace asio = boost::asio;

/// A new connection waiting in session_store::enter for a session to resume.
struct session_waiter {
    explicit session_waiter(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer; ///< cancelled (on its executor) when the wait is over
    bool done = false;        ///< set when woken, under the store's lock
};

/// The latest TLS session offered by the host, for resumption by the next
/// new connection. Filled by OpenSSL's new-session callback (TLS 1.3 tickets
/// arrive after the handshake).
///
/// Also the gate of new connections while there is no session yet: the first
/// new connection's handshake leads, alone, and the others wait (after their
/// TCP connect) until a session arrives, then resume it. A
/// full handshake costs the client some 0.4 ms of CPU (certificate parsing,
/// signature checks) and the server as much; a burst of 64 calls on a fresh
/// client would otherwise make 64 of them. The wait ends early when the
/// leader fails, or when its first exchange is over without a ticket (then
/// the server gives none early, and the gate stays open for good).
class session_store {
public:
    ~session_store();
    void put(SSL_SESSION* s); // takes ownership; wakes the waiters
    SSL_SESSION* get1();      // a new reference, or null

    enum class gate {
        go,   ///< handshake now (a session is there, or none is waited for)
        lead, ///< handshake now, the first: call lead_done() when it is over
        wait, ///< `w` is queued: wait on w->timer until it is cancelled or expires, then handshake
    };
    gate enter(const std::shared_ptr<session_waiter>& w);
    /// A waiter gave up (its deadline, or cancellation) before being woken.
    void leave(const std::shared_ptr<session_waiter>& w);
    /// The leading connection failed (`answered` false), or its first
    /// exchange got its answer (`answered` true). Wakes the waiters.
    void lead_done(bool answered);

private:
    void wake_locked();

    std::mutex mu_;
    SSL_SESSION* latest_ = nullptr;
    bool leading_ = false; // a leader's handshake or first exchange is under way
    bool open_ = false;    // a leader was answered without a session: no more waiting
    std::vector<std::shared_ptr<session_waiter>> waiters_;
};

/// Builds the client context: TLS 1.2+, verification against the system
/// store plus the given CA file/dir unless insecure_skip_verify. Throws
/// api_error(invalid_argument) naming the option when a CA cannot be loaded.
std::unique_ptr<asio::ssl::context> make_client_context(const tls_options& o, session_store* store);

/// Sets SNI (names only), the expected host name or IP for verification, and
/// a session to resume. Fails closed: an error when OpenSSL refuses the name
/// or the expected host, so that no handshake goes on unchecked.
boost::system::error_code prepare_connection(tls_engine& s, const endpoint& ep, bool verify,
                                             session_store* store);

/// After a failed handshake: the verification error text, or "" when the
/// failure was not a verification failure.
std::string verify_failure(tls_engine& s);

} // namespace handinger::detail::http
