// Response styles (chunked, HTTP/1.0, close each, idle close) and connection reuse.
#include "sim_test_util.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

using namespace sim_test;

TEST_CASE("styles: keep-alive reuses one connection")
{
    fixture f;
    const std::string id = f.create(R"({"input":"reuse"})");
    f.sim().reset_stats();
    auto r = f.curl({.path = "/api/tasks/" + id, .more_paths = {"/api/tasks/" + id, "/api/tasks/" + id}});
    CHECK(r.exit_code == 0);
    CHECK(r.num_connects == 1);
    auto s = f.stats();
    CHECK(stat_of(s, {"connections_accepted"}) == 1);
    CHECK(stat_of(s, {"requests", "GET /api/tasks/{id}", "200"}) == 3);
}

TEST_CASE("styles: chunked bodies")
{
    sim::options o;
    o.chunked = true;
    fixture f(o);
    const std::string id = f.create(R"({"input":"chunks #pending-ms:0 #turn-ms:1"})");
    auto r = f.get("/api/tasks/" + id);
    CHECK(r.exit_code == 0);
    CHECK(r.header("transfer-encoding") == "chunked");
    CHECK(r.header("content-length") == "");
    CHECK(r.body.size() > 512); // more than one chunk
    CHECK(str(r.json().at("task"), "id") == id);
}

TEST_CASE("styles: HTTP/1.0 answers and closes")
{
    sim::options o;
    o.http10 = true;
    fixture f(o);
    auto r = f.curl({.path = "/_sim/stats", .more_paths = {"/_sim/stats"}});
    CHECK(r.exit_code == 0);
    CHECK(r.head.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
    CHECK(r.num_connects == 2);
    CHECK(r.json().is_object());
}

TEST_CASE("styles: close_each sends Connection: close and closes")
{
    sim::options o;
    o.close_each = true;
    fixture f(o);
    auto r = f.curl({.path = "/_sim/stats", .more_paths = {"/_sim/stats", "/_sim/stats"}});
    CHECK(r.exit_code == 0);
    CHECK(r.header("connection") == "close");
    CHECK(r.num_connects == 3);
    CHECK(eventually([&] { return stat_of(f.stats(), {"connections_open"}) == 0; }));
}

namespace {

// A raw loopback TCP connection, for what curl cannot show: when the server
// closes an idle connection.
struct raw_client {
    int fd = -1;
    explicit raw_client(unsigned short port)
    {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    }
    ~raw_client() { ::close(fd); }
    void send_all(const std::string& s)
    {
        REQUIRE(::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == (ssize_t)s.size());
    }
    // Reads what arrives within `ms`; `closed` tells whether the peer closed.
    std::string read_for(int ms, bool& closed)
    {
        std::string got;
        closed = false;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        for (;;) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return got;
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
                return got;
            char buf[4096];
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                closed = true;
                return got;
            }
            got.append(buf, static_cast<std::size_t>(n));
        }
    }
};

} // namespace

TEST_CASE("styles: idle_close drops idle keep-alive connections silently")
{
    sim::options o;
    o.plain_http = true;
    o.idle_close = 200ms;
    fixture f(o);
    raw_client c(f.sim().port());
    c.send_all("GET /_sim/stats HTTP/1.1\r\nHost: x\r\n\r\n");
    bool closed = false;
    std::string got = c.read_for(100, closed);
    CHECK(got.rfind("HTTP/1.1 200 OK", 0) == 0);
    CHECK_FALSE(closed);
    const auto before = std::chrono::steady_clock::now();
    got = c.read_for(2000, closed);
    CHECK(closed);
    CHECK(got.empty()); // no response, no goodbye
    CHECK(std::chrono::steady_clock::now() - before >= 50ms);

    // Without idle_close the connection stays open.
    sim::options keep;
    keep.plain_http = true;
    fixture g(keep);
    raw_client d(g.sim().port());
    d.send_all("GET /_sim/stats HTTP/1.1\r\nHost: x\r\n\r\n");
    d.read_for(100, closed);
    d.read_for(400, closed);
    CHECK_FALSE(closed);
}

TEST_CASE("styles: a client's Connection: close is honoured and Expect: 100-continue is answered")
{
    sim::options o;
    o.plain_http = true;
    fixture f(o);
    raw_client c(f.sim().port());
    const std::string body = R"({"input":"expect"})";
    c.send_all(
        "POST /api/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-sim-test\r\n"
        "Content-Type: application/json\r\nExpect: 100-continue\r\nConnection: close\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n");
    bool closed = false;
    std::string got = c.read_for(500, closed);
    CHECK(got == "HTTP/1.1 100 Continue\r\n\r\n");
    c.send_all(body);
    got = c.read_for(2000, closed);
    CHECK(got.rfind("HTTP/1.1 200 OK", 0) == 0);
    CHECK(got.find("Connection: close") != std::string::npos);
    CHECK(closed);
}
