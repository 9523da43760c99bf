// The fault proxy itself (test/proxy): it forwards bytes untouched, and
// resets, stalls, delays and refuses exactly where its plan says. Plain TCP
// peers on loopback, blocking sockets with receive timeouts.
#include "fault_proxy.hpp"
#include "loopback_port.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fp = handinger::fault_proxy;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

void set_timeout(int fd, std::chrono::milliseconds d)
{
    timeval tv{};
    tv.tv_sec = static_cast<long>(d.count() / 1000);
    tv.tv_usec = static_cast<long>((d.count() % 1000) * 1000);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/// How a read loop ended.
enum class ending { open, eof, reset, timeout };

/// A loopback server that takes one connection at a time and, per
/// connection, answers each received chunk by the reply its handler picks
/// ("" = none), recording what arrived, when, and how the stream ended.
class peer_server {
public:
    struct conn {
        std::string received;
        std::vector<std::pair<std::size_t, steady::time_point>> chunks; ///< (size, when)
        ending end = ending::open;
        steady::time_point ended_at{};
    };
    using reply_fn = std::function<std::string(const std::string& chunk, const std::string& so_far)>;

    explicit peer_server(reply_fn reply = {}) : reply_(std::move(reply))
    {
        listener_ = test_support::listen_on_loopback(16, port_);
        REQUIRE(listener_ >= 0);
        thread_ = std::thread([this] { serve(); });
    }
    ~peer_server()
    {
        stop_ = true;
        ::shutdown(listener_, SHUT_RDWR);
        ::close(listener_);
        thread_.join();
    }

    unsigned short port() const { return port_; }
    /// Waits (up to `limit`) until `n` connections have ended; returns them.
    std::vector<conn> wait_ended(std::size_t n, std::chrono::milliseconds limit = 5s)
    {
        std::unique_lock lk(mu_);
        cv_.wait_for(lk, limit, [&] { return done_.size() >= n; });
        return done_;
    }
    int accepted() const { return accepted_; }

private:
    void serve()
    {
        for (;;) {
            int c = ::accept(listener_, nullptr, nullptr);
            if (c < 0)
                return;
            ++accepted_;
            set_timeout(c, 100ms);
            conn k;
            char buf[65536];
            auto give_up = steady::now() + 10s; // bounded whatever happens
            while (!stop_ && steady::now() < give_up) {
                auto n = ::recv(c, buf, sizeof buf, 0);
                if (n > 0) {
                    std::string chunk(buf, static_cast<std::size_t>(n));
                    k.received += chunk;
                    k.chunks.emplace_back(chunk.size(), steady::now());
                    if (reply_) {
                        auto out = reply_(chunk, k.received);
                        if (!out.empty())
                            ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
                    }
                    continue;
                }
                if (n == 0) {
                    k.end = ending::eof;
                    break;
                }
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                    continue;
                k.end = errno == ECONNRESET ? ending::reset : ending::eof;
                break;
            }
            k.ended_at = steady::now();
            ::close(c);
            std::lock_guard lk(mu_);
            done_.push_back(std::move(k));
            cv_.notify_all();
        }
    }

    reply_fn reply_;
    int listener_ = -1;
    unsigned short port_ = 0;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<int> accepted_{0};
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<conn> done_;
};

/// A blocking client socket to 127.0.0.1:port.
struct client_socket {
    int fd = -1;
    explicit client_socket(unsigned short port)
    {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        set_timeout(fd, 3s);
    }
    ~client_socket() { close(); }
    void close()
    {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }
    bool send(const std::string& s)
    {
        return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == (ssize_t)s.size();
    }
    /// Reads until `n` bytes, the end of the stream or the timeout.
    std::pair<std::string, ending> read(std::size_t n)
    {
        std::string out;
        char buf[65536];
        while (out.size() < n) {
            auto got = ::recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
            if (got > 0) {
                out.append(buf, static_cast<std::size_t>(got));
                continue;
            }
            if (got == 0)
                return {out, ending::eof};
            return {out, errno == ECONNRESET ? ending::reset : ending::timeout};
        }
        return {out, ending::open};
    }
};

std::string bytes(std::size_t n, unsigned seed)
{
    std::string s(n, '\0');
    unsigned x = seed;
    for (auto& c : s) {
        x = x * 1103515245u + 12345u;
        c = static_cast<char>(x >> 16);
    }
    return s;
}

fp::options to(unsigned short port)
{
    fp::options o;
    o.target_port = port;
    return o;
}

} // namespace

TEST_CASE("fault proxy: forwards both directions byte for byte")
{
    peer_server server([](const std::string& chunk, const std::string&) { return chunk; }); // echo
    fp::proxy p(to(server.port()));
    p.start();
    const auto data = bytes(300'000, 7);
    {
        client_socket c(p.port());
        std::thread writer([&] { CHECK(c.send(data)); });
        auto [back, end] = c.read(data.size());
        writer.join();
        CHECK(end == ending::open);
        CHECK(back == data);
    }
    auto ended = server.wait_ended(1);
    REQUIRE(ended.size() == 1);
    CHECK(ended[0].received == data);
    CHECK(ended[0].end == ending::eof); // the client's close, passed on
    auto s = p.stats();
    CHECK(s.connections == 1);
    CHECK(s.faults() == 0);
    CHECK(s.bytes_to_server == data.size());
    CHECK(s.bytes_to_client == data.size());
}

TEST_CASE("fault proxy: reset at an offset of the client's bytes")
{
    peer_server server;
    fp::proxy p(to(server.port()));
    p.script({*fp::parse_plan("reset,dir=to_server,offset=1000")});
    p.start();
    client_socket c(p.port());
    CHECK(c.send(bytes(600, 1)));
    std::this_thread::sleep_for(50ms);
    c.send(bytes(5000, 2)); // may fail once the reset is in
    auto [got, end] = c.read(1);
    CHECK(got.empty());
    CHECK(end == ending::reset);
    auto ended = server.wait_ended(1);
    REQUIRE(ended.size() == 1);
    CHECK(ended[0].received.size() == 1000);
    CHECK(ended[0].received == (bytes(600, 1) + bytes(5000, 2)).substr(0, 1000));
    CHECK(ended[0].end == ending::reset);
    CHECK(p.stats().resets == 1);
    CHECK(p.stats().resets_to_server == 1);
}

TEST_CASE("fault proxy: flights, and a reset in the server's second flight")
{
    // Request/response turns: the client sends 50 then 30 bytes, the server
    // answers each with 70 and 40 bytes; the reset strikes 10 bytes into the
    // second answer.
    peer_server server([](const std::string&, const std::string& so_far) {
        return so_far.size() == 50 ? bytes(70, 3) : so_far.size() == 80 ? bytes(40, 4) : std::string();
    });
    fp::proxy p(to(server.port()));
    p.script({*fp::parse_plan("reset,dir=to_client,flight=1,offset=10")});
    p.start();
    client_socket c(p.port());
    CHECK(c.send(bytes(50, 1)));
    auto first = c.read(70);
    CHECK(first.first == bytes(70, 3));
    CHECK(c.send(bytes(30, 2)));
    auto second = c.read(40);
    CHECK(second.first == bytes(40, 4).substr(0, 10));
    CHECK(second.second == ending::reset);
    server.wait_ended(1);
    for (int i = 0; i < 100 && p.history().empty(); ++i)
        std::this_thread::sleep_for(20ms);
    auto h = p.history();
    REQUIRE(h.size() == 1);
    CHECK(h[0].struck);
    CHECK(h[0].flights_to_server == std::vector<std::uint64_t>{50, 30});
    CHECK(h[0].flights_to_client == std::vector<std::uint64_t>{70, 40});
}

TEST_CASE("fault proxy: a timed stall holds the bytes, then delivers them and goes on")
{
    peer_server server;
    fp::proxy p(to(server.port()));
    p.script({*fp::parse_plan("stall,dir=to_server,offset=10,for=300")});
    p.start();
    {
        client_socket c(p.port());
        auto sent = steady::now();
        CHECK(c.send(bytes(100, 1)));
        std::this_thread::sleep_for(500ms);
        CHECK(c.send(bytes(20, 2))); // after the stall: forwarded as usual
        std::this_thread::sleep_for(100ms);
        c.close();
        auto ended = server.wait_ended(1);
        REQUIRE(ended.size() == 1);
        CHECK(ended[0].received == bytes(100, 1) + bytes(20, 2));
        REQUIRE(ended[0].chunks.size() >= 2);
        CHECK(ended[0].chunks[0].first == 10);
        CHECK(ended[0].chunks[1].second - sent >= 290ms); // the held 90 bytes, at the stall's end
        CHECK(ended[0].end == ending::eof);
    }
    auto s = p.stats();
    CHECK(s.stalls == 1);
    CHECK(s.stalls_to_server == 1);
    CHECK(s.late_deliveries == 0);
}

TEST_CASE("fault proxy: a stall until closed delivers the held bytes at the client's close (late)")
{
    peer_server server;
    fp::proxy p(to(server.port()));
    p.script({*fp::parse_plan("stall,dir=to_server,offset=10,late")});
    p.start();
    client_socket c(p.port());
    CHECK(c.send(bytes(100, 1)));
    std::this_thread::sleep_for(200ms);
    auto closed = steady::now();
    c.close();
    auto ended = server.wait_ended(1);
    REQUIRE(ended.size() == 1);
    CHECK(ended[0].received == bytes(100, 1)); // all of it, after the client had gone
    REQUIRE(ended[0].chunks.size() >= 2);
    CHECK(ended[0].chunks[1].second >= closed);
    CHECK(ended[0].end == ending::eof);
    CHECK(p.stats().late_deliveries == 1);
    CHECK(p.stats().dropped == 0);
}

TEST_CASE(
    "fault proxy: a timed stall with late delivery delivers after the client's close, at the stall's end")
{
    peer_server server;
    fp::proxy p(to(server.port()));
    p.script({*fp::parse_plan("stall,dir=to_server,offset=10,for=400,late")});
    p.start();
    client_socket c(p.port());
    auto sent = steady::now();
    CHECK(c.send(bytes(100, 1)));
    std::this_thread::sleep_for(100ms);
    c.close();
    auto ended = server.wait_ended(1);
    REQUIRE(ended.size() == 1);
    CHECK(ended[0].received == bytes(100, 1));
    REQUIRE(ended[0].chunks.size() >= 2);
    CHECK(ended[0].chunks[1].second - sent >= 390ms);
    CHECK(p.stats().late_deliveries == 1);
}

TEST_CASE("fault proxy: a stall without late delivery drops the held bytes at the client's close")
{
    peer_server server;
    fp::proxy p(to(server.port()));
    p.script({*fp::parse_plan("stall,dir=to_server,offset=10")});
    p.start();
    client_socket c(p.port());
    CHECK(c.send(bytes(100, 1)));
    std::this_thread::sleep_for(200ms);
    c.close();
    auto ended = server.wait_ended(1);
    REQUIRE(ended.size() == 1);
    CHECK(ended[0].received == bytes(100, 1).substr(0, 10));
    CHECK(ended[0].end == ending::eof);
    CHECK(p.stats().dropped == 1);
    CHECK(p.stats().late_deliveries == 0);
}

TEST_CASE("fault proxy: a stall of the server's bytes")
{
    peer_server server([](const std::string&, const std::string& so_far) {
        return so_far.size() == 5 ? bytes(200, 9) : std::string();
    });
    fp::proxy p(to(server.port()));
    p.script({*fp::parse_plan("stall,dir=to_client,offset=50,for=300")});
    p.start();
    client_socket c(p.port());
    auto sent = steady::now();
    CHECK(c.send("hello"));
    auto head = c.read(50);
    CHECK(head.first == bytes(200, 9).substr(0, 50));
    CHECK(steady::now() - sent < 250ms);
    auto rest = c.read(150);
    CHECK(rest.first == bytes(200, 9).substr(50));
    CHECK(steady::now() - sent >= 290ms);
    CHECK(p.stats().stalls_to_client == 1);
}

TEST_CASE("fault proxy: refused connections never reach the target")
{
    peer_server server;
    fp::proxy p(to(server.port()));
    p.script({fp::plan{fp::action::refuse}, fp::plan{fp::action::refuse}});
    p.start();
    for (int i = 0; i < 2; ++i) {
        client_socket c(p.port());
        c.send("x");
        auto [got, end] = c.read(1);
        CHECK(got.empty());
        CHECK((end == ending::reset || end == ending::eof));
    }
    {
        client_socket c(p.port()); // the third passes
        CHECK(c.send("abc"));
        std::this_thread::sleep_for(50ms);
    }
    auto ended = server.wait_ended(1);
    REQUIRE(ended.size() == 1);
    CHECK(ended[0].received == "abc");
    CHECK(server.accepted() == 1);
    CHECK(p.stats().refused == 2);
    CHECK(p.stats().connections == 3);
}

TEST_CASE("fault proxy: reset_connections resets idle connections")
{
    peer_server server;
    fp::proxy p(to(server.port()));
    p.start();
    client_socket c(p.port());
    CHECK(c.send("abc"));
    std::this_thread::sleep_for(50ms);
    CHECK(p.open_connections() == 1);
    p.reset_connections();
    auto [got, end] = c.read(1);
    CHECK(end == ending::reset);
    auto ended = server.wait_ended(1);
    REQUIRE(ended.size() == 1);
    CHECK(ended[0].end == ending::reset);
    CHECK(p.stats().resets == 1);
    CHECK(p.open_connections() == 0);
}

TEST_CASE("fault proxy: stop() ends stalled connections and returns")
{
    peer_server server;
    fp::proxy p(to(server.port()));
    p.script({*fp::parse_plan("stall,dir=to_server,offset=0,late")});
    p.start();
    client_socket c(p.port());
    CHECK(c.send("abc"));
    std::this_thread::sleep_for(50ms);
    auto t0 = steady::now();
    p.stop();
    CHECK(steady::now() - t0 < 2s);
    auto [got, end] = c.read(1);
    CHECK(end == ending::reset);
}

TEST_CASE("fault proxy: random plans are a function of the seed and the connection index")
{
    fp::random_options r;
    r.refuse = 0.05;
    r.fault = 0.5;
    r.reset = 0.4;
    r.to_client = 0.3;
    r.max_offset_to_server = 1000;
    r.max_offset_to_client = 3000;
    r.stall_until_closed = 0.25;
    r.min_stall = 100ms;
    r.max_stall = 900ms;
    r.deliver_late = 0.5;
    for (std::uint64_t i = 0; i < 100; ++i)
        CHECK(fp::random_plan(r, 42, i) == fp::random_plan(r, 42, i));
    int differ = 0;
    for (std::uint64_t i = 0; i < 100; ++i)
        differ += !(fp::random_plan(r, 42, i) == fp::random_plan(r, 43, i));
    CHECK(differ > 40);

    constexpr int n = 20000;
    int refused = 0, resets = 0, stalls = 0, to_client = 0, until = 0, late = 0;
    for (int i = 0; i < n; ++i) {
        auto p = fp::random_plan(r, 7, static_cast<std::uint64_t>(i));
        CAPTURE(fp::to_string(p));
        refused += p.what == fp::action::refuse;
        if (p.what == fp::action::reset || p.what == fp::action::stall) {
            to_client += p.dir == fp::direction::to_client;
            CHECK(p.offset < (p.dir == fp::direction::to_server ? 1000u : 3000u));
            CHECK(p.flight == -1);
        }
        resets += p.what == fp::action::reset;
        if (p.what == fp::action::stall) {
            ++stalls;
            until += p.stall_for.count() == 0;
            late += p.deliver_late;
            if (p.stall_for.count() > 0) {
                CHECK(p.stall_for >= 100ms);
                CHECK(p.stall_for <= 900ms);
            }
        } else {
            CHECK(p.stall_for.count() == 0);
            CHECK_FALSE(p.deliver_late);
        }
    }
    // Within 5 standard deviations of what the options ask.
    auto near = [](double got, double expected, double count) {
        return std::abs(got - expected) <=
               5 * std::sqrt(count * (expected / count) * (1 - expected / count)) + 1;
    };
    CHECK(near(refused, 0.05 * n, n));
    const double faulted = 0.95 * 0.5 * n;
    CHECK(near(resets, 0.4 * faulted, faulted));
    CHECK(near(stalls, 0.6 * faulted, faulted));
    CHECK(near(to_client, 0.3 * (resets + stalls), resets + stalls));
    CHECK(near(until, 0.25 * stalls, stalls));
    CHECK(near(late, 0.5 * stalls, stalls));
}

TEST_CASE("fault proxy: plans as text, both ways")
{
    for (const char* text :
         {"pass", "refuse", "reset,dir=to_server,offset=0", "reset,dir=to_client,flight=1,offset=20",
          "stall,dir=to_server,offset=300,for=450,late", "stall,dir=to_client,flight=2,offset=7"}) {
        CAPTURE(text);
        auto p = fp::parse_plan(text);
        REQUIRE(p);
        CHECK(fp::to_string(*p) == text);
    }
    auto p = fp::parse_plan("stall,late,offset=5,dir=to_client");
    REQUIRE(p);
    CHECK(p->deliver_late);
    CHECK(p->offset == 5);
    CHECK(p->dir == fp::direction::to_client);
    for (const char* bad : {"", "explode", "reset,dir=up", "reset,offset=-1", "reset,late", "pass,offset=3",
                            "stall,for=x", "reset,flight=-2", "stall,offset"}) {
        CAPTURE(bad);
        CHECK_FALSE(fp::parse_plan(bad));
    }
}
