#include "http/tls.hpp"

#include <handinger/error.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <sys/stat.h>

#include <cstdlib>
#include <openssl/x509v3.h>
#include <vector>

namespace handinger::detail::http {
namespace {

// Asio's ssl::context owns the SSL_CTX "app data" slot (its verify callback),
// so the session store lives in an ex_data index of its own.
int store_index()
{
    static const int idx = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return idx;
}

int new_session_cb(SSL* ssl, SSL_SESSION* sess)
{
    auto* store = static_cast<session_store*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), store_index()));
    if (!store)
        return 0;
    store->put(sess);
    return 1; // we keep the reference
}

[[noreturn]] void fail(const std::string& what)
{
    diagnostics d;
    d.client_message = what;
    throw api_error(error::invalid_argument, d);
}

// The system's trusted CAs. OpenSSL's set_default_verify_paths() parses the
// whole bundle file (every certificate, tens of milliseconds) each time; the
// hashed directory is looked up lazily instead, one certificate when a chain
// needs it. So: the certificates of $SSL_CERT_FILE, when set, parsed once
// per process and shared (reference counted) by every client; the hashed
// directory ($SSL_CERT_DIR or OpenSSL's default) when it exists; the default
// bundle only as a fallback.
struct system_certs {
    std::vector<X509*> file_certs; // from $SSL_CERT_FILE, owned
    std::string dir;               // hashed directory, "" when none
    bool fallback = false;         // neither: use OpenSSL's defaults

    system_certs()
    {
        const char* file_env = std::getenv(X509_get_default_cert_file_env());
        const char* dir_env = std::getenv(X509_get_default_cert_dir_env());
        if (file_env && *file_env)
            if (BIO* bio = BIO_new_file(file_env, "r")) {
                while (X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr))
                    file_certs.push_back(x);
                BIO_free(bio);
            }
        std::string d = dir_env && *dir_env ? dir_env : X509_get_default_cert_dir();
        struct stat st {};
        if (!d.empty() && ::stat(d.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
            dir = d;
        fallback = dir.empty() && !(file_env && *file_env);
        ERR_clear_error(); // the end of the PEM file reads as an error
    }
    ~system_certs()
    {
        for (X509* x : file_certs)
            X509_free(x);
    }
};

void use_system_store(asio::ssl::context& ctx)
{
    static const system_certs sys; // thread-safe initialisation, once per process
    X509_STORE* store = SSL_CTX_get_cert_store(ctx.native_handle());
    for (X509* x : sys.file_certs)
        X509_STORE_add_cert(store, x); // takes its own reference
    if (!sys.dir.empty()) {
        if (X509_LOOKUP* lookup = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir()))
            X509_LOOKUP_add_dir(lookup, sys.dir.c_str(), X509_FILETYPE_PEM);
    } else if (sys.fallback) {
        X509_STORE_set_default_paths(store);
    }
    ERR_clear_error(); // a missing system store is not fatal
}

bool is_ip(const std::string& host)
{
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    return !ec;
}

} // namespace

session_store::~session_store()
{
    if (latest_)
        SSL_SESSION_free(latest_);
}

void session_store::put(SSL_SESSION* s)
{
    std::lock_guard lk(mu_);
    if (latest_)
        SSL_SESSION_free(latest_);
    latest_ = s;
    wake_locked();
}

session_store::gate session_store::enter(const std::shared_ptr<session_waiter>& w)
{
    std::lock_guard lk(mu_);
    if (latest_ || open_)
        return gate::go;
    if (!leading_) {
        leading_ = true;
        return gate::lead;
    }
    waiters_.push_back(w);
    return gate::wait;
}

void session_store::leave(const std::shared_ptr<session_waiter>& w)
{
    std::lock_guard lk(mu_);
    std::erase(waiters_, w);
}

void session_store::lead_done(bool answered)
{
    std::lock_guard lk(mu_);
    leading_ = false;
    if (answered && !latest_)
        open_ = true;
    wake_locked();
}

void session_store::wake_locked()
{
    for (auto& w : waiters_) {
        w->done = true;
        // The waiter's timer belongs to its strand: cancel it there.
        asio::post(w->timer.get_executor(), [w] { w->timer.cancel(); });
    }
    waiters_.clear();
}

SSL_SESSION* session_store::get1()
{
    std::lock_guard lk(mu_);
    if (latest_)
        SSL_SESSION_up_ref(latest_);
    return latest_;
}

std::unique_ptr<asio::ssl::context> make_client_context(const tls_options& o, session_store* store)
{
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    SSL_CTX* native = ctx->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    // OpenSSL's record buffers (some 34 KB a connection) are freed while a
    // connection waits instead of kept: 64 pooled connections hold 2 MB less.
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    boost::system::error_code ec;
    if (o.insecure_skip_verify) {
        ctx->set_verify_mode(asio::ssl::verify_none);
    } else {
        use_system_store(*ctx);
        if (!o.ca_file.empty()) {
            ctx->load_verify_file(o.ca_file, ec);
            if (ec)
                fail("tls.ca_file: cannot load \"" + o.ca_file + "\": " + ec.message());
        }
        if (!o.ca_dir.empty()) {
            ctx->add_verify_path(o.ca_dir, ec);
            if (ec)
                fail("tls.ca_dir: cannot use \"" + o.ca_dir + "\": " + ec.message());
        }
        if (!o.ca_pem.empty()) {
            ctx->add_certificate_authority(asio::buffer(o.ca_pem), ec);
            if (ec)
                fail("tls.ca_pem: cannot use the given PEM: " + ec.message());
        }
        ctx->set_verify_mode(asio::ssl::verify_peer);
    }
    if (o.session_resumption && store) {
        SSL_CTX_set_ex_data(native, store_index(), store);
        SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(native, new_session_cb);
    }
    return ctx;
}

boost::system::error_code prepare_connection(tls_engine& s, const endpoint& ep, bool verify,
                                             session_store* store)
{
    SSL* ssl = s.native_handle();
    bool ip = is_ip(ep.host);
    auto refused = [] {
        auto err = ERR_get_error();
        ERR_clear_error();
        return boost::system::error_code(err ? static_cast<int>(err) : SSL_R_BAD_VALUE,
                                         asio::error::get_ssl_category());
    };
    // SNI carries names only
    if (!ip && SSL_set_tlsext_host_name(ssl, ep.host.c_str()) != 1)
        return refused();
    if (verify) {
        int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ep.host.c_str())
                    : SSL_set1_host(ssl, ep.host.c_str());
        if (ok != 1)
            return refused();
    }
    if (store)
        if (SSL_SESSION* sess = store->get1()) {
            SSL_set_session(ssl, sess);
            SSL_SESSION_free(sess);
        }
    return {};
}

std::string verify_failure(tls_engine& s)
{
    long r = SSL_get_verify_result(s.native_handle());
    if (r == X509_V_OK)
        return {};
    return X509_verify_cert_error_string(r);
}

} // namespace handinger::detail::http
