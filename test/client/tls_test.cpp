// TLS: verification against the given CA, host names, the insecure switch,
// session resumption.
#include "client/support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;
using boost::system::error_code;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);

bool contains(const std::string& s, const std::string& part)
{
    return s.find(part) != std::string::npos;
}

struct call_result {
    error_code ec;
    hd::diagnostics d;
};

// One retrieve of an unknown id (a 404 is a complete exchange) with `o`.
call_result probe(const hd::client_options& o)
{
    test_io ioc;
    hd::client c(ioc, o);
    call_result r;
    auto body = [&]() -> asio::awaitable<void> {
        auto [ec, t] = co_await c.async_retrieve("tsk_tls", r.d, tup);
        r.ec = ec;
    };
    run(ioc, body(), 10s);
    return r;
}

std::string read_file(const std::filesystem::path& p)
{
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// A CA and a server certificate for `san` only, made with the openssl CLI in
// a temporary directory removed afterwards.
struct foreign_cert {
    std::filesystem::path dir;
    std::string ca_pem;
    std::string cert_file, key_file;
    bool ok = false;

    explicit foreign_cert(const std::string& san)
    {
        char tmpl[] = "/tmp/handinger-tls-XXXXXX";
        if (!::mkdtemp(tmpl))
            return;
        dir = tmpl;
        auto d = dir.string();
        {
            std::ofstream ext(dir / "ext.cnf");
            ext << "subjectAltName=" << san << "\n"
                << "basicConstraints=critical,CA:FALSE\n"
                << "keyUsage=critical,digitalSignature\n"
                << "extendedKeyUsage=serverAuth\n";
        }
        std::string cmd =
            "cd " + d +
            " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key"
            " -out ca.pem -days 2 -subj '/CN=foreign test CA' -addext 'basicConstraints=critical,CA:TRUE'"
            " -addext 'keyUsage=critical,keyCertSign,cRLSign'"
            " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key"
            " -out leaf.csr -subj '/CN=other.example'"
            " && openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem"
            " -days 2 -extfile ext.cnf"
            " >/dev/null 2>&1";
        ok = std::system(cmd.c_str()) == 0;
        ca_pem = read_file(dir / "ca.pem");
        cert_file = (dir / "leaf.pem").string();
        key_file = (dir / "leaf.key").string();
        ok = ok && !ca_pem.empty();
    }
    ~foreign_cert()
    {
        std::error_code ec;
        if (!dir.empty())
            std::filesystem::remove_all(dir, ec);
    }
};

} // namespace

TEST_CASE("tls: a server whose CA is not trusted fails verification, not retried")
{
    sim_fixture f;
    auto o = f.copts;
    o.tls.ca_pem.clear();
    auto r = probe(o);
    CHECK(r.ec == hd::error::tls_verification);
    CHECK(r.d.attempts == 1);
    CHECK(r.d.status == 0);
    CHECK(contains(r.d.client_message, "certificate verification failed"));
    CHECK(contains(r.d.client_message, "unable to get local issuer certificate"));
    CHECK(contains(r.d.to_string(r.ec), "TLS certificate verification failed"));
    CHECK(f.stat("connections_accepted") == 1);
    CHECK(f.stat("tls_handshakes") == 0);
    CHECK(f.api_requests() == 0);
}

TEST_CASE("tls: the CA given as a file works like ca_pem, an unreadable CA file fails construction")
{
    sim_fixture f;
    char tmpl[] = "/tmp/handinger-ca-XXXXXX";
    int fd = ::mkstemp(tmpl);
    REQUIRE(fd >= 0);
    ::close(fd);
    {
        std::ofstream out(tmpl);
        out << f.sim.ca_pem();
    }
    auto o = f.copts;
    o.tls.ca_pem.clear();
    o.tls.ca_file = tmpl;
    auto r = probe(o);
    std::remove(tmpl);
    CHECK(r.ec == hd::error::not_found);
    CHECK(r.d.status == 404);

    o.tls.ca_file = "/nonexistent/ca.pem";
    test_io ioc;
    bool thrown = false;
    try {
        hd::client c(ioc, o);
    } catch (const hd::api_error& e) {
        thrown = e.code() == hd::error::invalid_argument;
        CHECK(contains(e.what(), "tls.ca_file"));
    }
    CHECK(thrown);
}

TEST_CASE("tls: https://localhost and https://127.0.0.1 both match the certificate")
{
    sim_fixture f;
    auto o = f.copts;
    o.base_url = "https://localhost:" + std::to_string(f.sim.port());
    auto r = probe(o);
    CHECK(r.ec == hd::error::not_found); // a full exchange: the 404 of the unknown id
    CHECK(r.d.status == 404);
    auto r2 = probe(f.copts); // https://127.0.0.1:PORT
    CHECK(r2.ec == hd::error::not_found);
    CHECK(f.stat("tls_handshakes") == 2);
}

TEST_CASE("tls: a CA-valid certificate for another name fails host name verification")
{
    foreign_cert cert("DNS:other.example");
    REQUIRE_MESSAGE(cert.ok, "openssl CLI could not make the test certificate");
    auto so = fast_sim();
    so.cert_file = cert.cert_file;
    so.key_file = cert.key_file;
    sim_fixture f(so);
    auto o = f.copts;
    o.tls.ca_pem = cert.ca_pem;
    o.base_url = "https://localhost:" + std::to_string(f.sim.port());
    auto r = probe(o);
    CHECK(r.ec == hd::error::tls_verification);
    CHECK(contains(r.d.client_message, "hostname mismatch"));
    CHECK(r.d.attempts == 1);
    // The IP form is checked against the IP SANs: none here.
    o.base_url = f.sim.url();
    auto r2 = probe(o);
    CHECK(r2.ec == hd::error::tls_verification);
    CHECK(r2.d.attempts == 1);
    // Control: the chain itself is fine, only the name was wrong.
    o.tls.insecure_skip_verify = true;
    auto r3 = probe(o);
    CHECK(r3.ec == hd::error::not_found);
    CHECK(f.stat("tls_handshakes") == 1);
}

TEST_CASE("tls: insecure_skip_verify works without the CA")
{
    sim_fixture f;
    auto o = f.copts;
    o.tls.ca_pem.clear();
    o.tls.insecure_skip_verify = true;
    auto r = probe(o);
    CHECK(r.ec == hd::error::not_found);
    CHECK(r.d.status == 404);
    CHECK(f.stat("tls_handshakes") == 1);
}

TEST_CASE("tls: a second connection, opened while the first is busy, resumes its session")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    std::string id = run(ioc, create_task(c, "resume"), 10s);
    CHECK(c.stats().tls_resumed == 0);
    f.sim.reset_stats();
    // Two calls at once: the second needs a connection of its own.
    int done = 0;
    auto on_done = [&](std::exception_ptr e, hd::task_with_turns) {
        CHECK_FALSE(e);
        ++done;
    };
    c.async_retrieve(id, on_done);
    c.async_retrieve(id, on_done);
    run_until(ioc, [&] { return done == 2; });
    CHECK(c.stats().connections_created == 2);
    CHECK(f.stat("connections_accepted") == 1);
    CHECK(f.stat("tls_handshakes") == 1);
    CHECK(f.stat("tls_resumed") == 1);
    CHECK(c.stats().tls_resumed == 1);
}

namespace {

// Starts `calls` creates at once; `done` counts those that ended, each
// without an error.
void start_creates(hd::client& c, int calls, const std::string& input, int& done)
{
    auto on_done = [&done](std::exception_ptr e, hd::create_result) {
        CHECK_FALSE(e);
        ++done;
    };
    hd::create_task_params p;
    p.input = input;
    for (int i = 0; i < calls; ++i)
        c.async_create(p, on_done);
}

} // namespace

TEST_CASE("tls: a burst of calls on a new client makes one full handshake, the other connections resume its "
          "session")
{
    // No session yet: the first handshake leads, the other new connections
    // wait for its ticket (after their TCP connect), then resume it.
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    constexpr int calls = 12;
    int done = 0;
    start_creates(c, calls, "burst", done);
    run_until(ioc, [&] { return done == calls; });
    auto st = c.stats();
    MESSAGE(st.connections_created << " connections, " << st.tls_resumed << " resumed");
    CHECK(st.connections_created == calls); // one each: none waited for another's connection
    CHECK(st.tls_resumed == st.connections_created - 1);
    CHECK(f.stat("tls_handshakes") == calls);
    CHECK(f.stat("tls_resumed") == calls - 1);
}

TEST_CASE("tls: with a server that offers no resumption, new connections wait for the first only briefly")
{
    // Every answer takes about a second (p_slow) and there are no tickets:
    // the waiting connections must not wait for the first one's answer.
    auto o = fast_sim();
    o.session_tickets = false;
    o.p_slow = 100;
    sim_fixture f(o);
    test_io ioc;
    hd::client c(ioc, f.copts);
    constexpr int calls = 6;
    int done = 0;
    start_creates(c, calls, "no tickets", done);
    stopwatch sw;
    run_until(
        ioc, [&] { return f.stat("tls_handshakes") == calls; }, 5000ms);
    MESSAGE("all " << calls << " handshakes after " << sw.ms() << " ms");
    CHECK(sw.ms() < 600); // the first answer comes after about 1,000 ms
    CHECK(done == 0);
    run_until(ioc, [&] { return done == calls; });
    CHECK(f.stat("tls_resumed") == 0);
    CHECK(c.stats().tls_resumed == 0);
}

TEST_CASE("tls: a connection opened after the first was closed resumes its session")
{
    // The pool closes idle connections (close_idle, idle_timeout, a server's
    // close) without a TLS close_notify; the session must stay resumable.
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    std::string id = run(ioc, create_task(c, "resume after close"), 10s);
    c.close_idle();
    auto body = [&]() -> asio::awaitable<void> {
        auto t = co_await c.async_retrieve(id);
        CHECK(t.task.id == id);
    };
    run(ioc, body(), 10s);
    CHECK(c.stats().connections_created == 2);
    CHECK(f.stat("tls_handshakes") == 2);
    CHECK(f.stat("tls_resumed") == 1);
    CHECK(c.stats().tls_resumed == 1);
}

TEST_CASE("tls: session_resumption = false makes full handshakes")
{
    sim_fixture f;
    f.copts.tls.session_resumption = false;
    test_io ioc;
    hd::client c(ioc, f.copts);
    std::string id = run(ioc, create_task(c, "no resume"), 10s);
    c.close_idle();
    auto body = [&]() -> asio::awaitable<void> {
        auto t = co_await c.async_retrieve(id);
        CHECK(t.task.id == id);
    };
    run(ioc, body(), 10s);
    CHECK(f.stat("tls_handshakes") == 2);
    CHECK(f.stat("tls_resumed") == 0);
    CHECK(c.stats().tls_resumed == 0);
}

TEST_CASE(
    "tls: a request and a response of many TLS records (a 300 KB input) go through whole, on one connection")
{
    // The round trip encrypts at most 64 KB of plaintext per SSL_write and
    // reads the socket 4 KB at a time: both directions need many rounds here.
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    std::string big;
    big.reserve(300'000);
    for (int i = 0; big.size() < 300'000; ++i)
        big += "line " + std::to_string(i) + " of a long input; ";
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_task_params p;
        p.input = big + " #turns:1";
        auto r = co_await c.async_create(p, asio::use_awaitable);
        for (int i = 0; i < 3; ++i) { // the same connection each time
            auto t = co_await c.async_retrieve(r.task_id, asio::use_awaitable);
            REQUIRE_FALSE(t.turns.empty());
            CHECK(t.turns.front().input == p.input);
        }
    };
    run(ioc, body(), 20s);
    CHECK(c.stats().connections_created == 1);
    CHECK(f.stat("tls_handshakes") == 1);
}
