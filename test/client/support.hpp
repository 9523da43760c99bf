// Shared by the client tests: a simulator in-process over real TLS on
// loopback, a client configured for it, and a way to run a coroutine to its
// end with a bound on time.
#pragma once

#include "loopback_port.hpp"

#include <handinger/client.hpp>
#include <handinger/sim/simulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/object.hpp>

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <future>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace test_support {

namespace asio = boost::asio;

/// The secret of the canary run ("secrets: no output of the client and CLI
/// test suites holds the canary key", test/secrets_canary.sh): the value of
/// HANDINGER_TEST_CANARY, else empty. When set, every simulator made through
/// sim_fixture accepts it as its key (so every client of those tests sends
/// it), every log line of those clients goes to stderr at the debug level,
/// the output of every CLI child is copied to stderr, and the secrets tests
/// put it in the user info of the base URLs they try. The script then
/// searches the whole output of the run for it.
inline const std::string& canary()
{
    static const std::string c = [] {
        const char* v = std::getenv("HANDINGER_TEST_CANARY");
        return std::string(v ? v : "");
    }();
    return c;
}

/// In the canary run, copies `text` to stderr (one write, labelled);
/// otherwise does nothing.
inline void canary_echo(std::string_view label, std::string_view text)
{
    if (canary().empty())
        return;
    static std::mutex mu;
    std::lock_guard lk(mu);
    std::fprintf(stderr, "[%.*s] %.*s\n", static_cast<int>(label.size()), label.data(),
                 static_cast<int>(text.size()), text.data());
}

/// A logger for the canary run: every line to stderr.
inline handinger::logger_fn canary_logger()
{
    return [](handinger::log_level lv, std::string_view line) {
        canary_echo(lv == handinger::log_level::debug ? "log debug" : "log", line);
    };
}

inline handinger::sim::options fast_sim()
{
    handinger::sim::options o;
    o.pending = std::chrono::milliseconds(40);
    o.turn = std::chrono::milliseconds(50);
    o.turns_per_task = 2;
    o.text_steps = 2;
    return o;
}

/// The io_context of a client test. The tests run twice: "client: ..." with
/// Asio's default concurrency hint, where a client runs each operation on a
/// strand of its own, and "client serial: ..." with HANDINGER_TEST_IO_HINT=1,
/// where the client runs operations on the io_context's executor itself
/// (one thread runs it, so a strand would only cost).
struct test_io : asio::io_context {
    test_io() : asio::io_context(hint()) {}
    static int hint()
    {
        const char* v = std::getenv("HANDINGER_TEST_IO_HINT");
        return v && *v ? std::atoi(v) : BOOST_ASIO_CONCURRENCY_HINT_DEFAULT;
    }
};

/// A started simulator and client options pointing at it (CA trusted, key set).
struct sim_fixture {
    explicit sim_fixture(handinger::sim::options o = fast_sim()) : key(canary_key(o)), sim(std::move(o))
    {
        sim.start();
        copts.base_url = sim.url();
        copts.api_key = key;
        copts.tls.ca_pem = sim.ca_pem();
        copts.timeout = std::chrono::seconds(10);
        if (!canary().empty()) {
            copts.logger = canary_logger();
            copts.level = handinger::log_level::debug;
        }
    }

    /// In the canary run, the simulator's default key becomes the canary (a
    /// key a test chose itself is kept); returns the key.
    static std::string canary_key(handinger::sim::options& o)
    {
        if (!canary().empty() && o.api_key == handinger::sim::options{}.api_key)
            o.api_key = canary();
        return o.api_key;
    }

    /// A counter of the simulator's stats by dotted path ("requests.POST /api/tasks.200").
    long long stat(const std::string& key) const
    {
        auto s = sim.stats();
        if (auto* v = s.if_contains(key); v && v->is_int64())
            return v->as_int64();
        return 0;
    }
    long long requests(const std::string& route, const std::string& status) const
    {
        auto s = sim.stats();
        auto* r = s.if_contains("requests");
        if (!r || !r->is_object())
            return 0;
        auto* rt = r->as_object().if_contains(route);
        if (!rt || !rt->is_object())
            return 0;
        auto* n = rt->as_object().if_contains(status);
        return n && n->is_int64() ? n->as_int64() : 0;
    }
    /// Every response of a route, whatever its status ("none" included).
    long long requests(const std::string& route) const
    {
        auto s = sim.stats();
        auto* r = s.if_contains("requests");
        if (!r || !r->is_object())
            return 0;
        auto* rt = r->as_object().if_contains(route);
        if (!rt || !rt->is_object())
            return 0;
        long long n = 0;
        for (auto& [k, v] : rt->as_object())
            if (v.is_int64())
                n += v.as_int64();
        return n;
    }
    /// Every /api request the simulator saw (any route, any status).
    long long api_requests() const
    {
        return requests("POST /api/tasks") + requests("GET /api/tasks/{id}") +
               requests("GET /api/tasks/{id}/turns") + requests("DELETE /api/tasks/{id}") +
               requests("POST /api/workers") + requests("GET /api/workers/{id}") +
               requests("PATCH /api/workers/{id}") + requests("DELETE /api/workers/{id}") +
               requests("GET /api/workers/{id}/email") + requests("other");
    }
    /// How many times the simulator injected fault `kind` ("429", "reset", ...).
    long long faults(const std::string& kind) const
    {
        auto s = sim.stats();
        auto* f = s.if_contains("faults");
        if (!f || !f->is_object())
            return 0;
        auto* n = f->as_object().if_contains(kind);
        return n && n->is_int64() ? n->as_int64() : 0;
    }

    std::string key; ///< the simulator's accepted API key (copts.api_key)
    handinger::sim::simulator sim;
    handinger::client_options copts;
};

/// Runs `f` (a coroutine) on `ioc` until it ends; fails the test if it takes
/// longer than `limit`. Rethrows what the coroutine throws.
template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> a, std::chrono::seconds limit = std::chrono::seconds(30))
{
    auto fut = asio::co_spawn(ioc, std::move(a), asio::use_future);
    ioc.restart();
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        if (std::chrono::steady_clock::now() > deadline) {
            FAIL("coroutine did not finish in time");
        }
        ioc.run_for(std::chrono::milliseconds(50));
    }
    return fut.get();
}

/// Runs `ioc` (on this thread) until `done()` is true; fails the test after `limit`.
template <class Pred>
void run_until(asio::io_context& ioc, Pred done, std::chrono::milliseconds limit = std::chrono::seconds(10))
{
    ioc.restart();
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            FAIL("operation did not complete in time");
        ioc.run_for(std::chrono::milliseconds(10));
        ioc.restart();
    }
}

/// Waits `d` on the current coroutine's executor.
inline asio::awaitable<void> sleep_for(std::chrono::milliseconds d)
{
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

/// Wall-clock time since construction.
struct stopwatch {
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    std::chrono::milliseconds elapsed() const
    {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                     start);
    }
    long long ms() const { return elapsed().count(); }
};

/// A create of `input` and nothing else.
inline handinger::create_task_params input_params(std::string input)
{
    handinger::create_task_params p;
    p.input = std::move(input);
    return p;
}

/// Creates a task with `input` and returns its id (throws on failure).
inline asio::awaitable<std::string> create_task(handinger::client& c, std::string input)
{
    auto p = input_params(std::move(input));
    auto r = co_await c.async_create(std::move(p), asio::use_awaitable);
    co_return r.task_id;
}

/// Polls the task until its status is terminal (bounded by `tries`).
inline asio::awaitable<handinger::task_with_turns> wait_terminal(handinger::client& c, std::string id,
                                                                 int tries = 200)
{
    handinger::task_with_turns t;
    for (int i = 0; i < tries; ++i) {
        t = co_await c.async_retrieve(id, asio::use_awaitable);
        if (handinger::is_terminal(t.task.status))
            break;
        co_await sleep_for(std::chrono::milliseconds(15));
    }
    co_return t;
}

/// Runs `ioc` on `n` threads until `done` is ready or `limit` passes; then
/// stops and joins. Returns whether `done` became ready.
template <class T>
bool run_threads(asio::io_context& ioc, int n, std::future<T>& done, std::chrono::seconds limit)
{
    auto guard = asio::make_work_guard(ioc);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
        threads.emplace_back([&] { ioc.run(); });
    bool ok = done.wait_for(limit) == std::future_status::ready;
    guard.reset();
    ioc.stop();
    for (auto& t : threads)
        t.join();
    return ok;
}

/// Sets (or unsets, with nullopt) an environment variable for a scope and
/// restores the previous value afterwards.
struct env_guard {
    std::string name;
    std::optional<std::string> old;
    env_guard(std::string n, std::optional<std::string> value) : name(std::move(n))
    {
        if (const char* v = std::getenv(name.c_str()))
            old = v;
        if (value)
            ::setenv(name.c_str(), value->c_str(), 1);
        else
            ::unsetenv(name.c_str());
    }
    ~env_guard()
    {
        if (old)
            ::setenv(name.c_str(), old->c_str(), 1);
        else
            ::unsetenv(name.c_str());
    }
    env_guard(const env_guard&) = delete;
    env_guard& operator=(const env_guard&) = delete;
};

/// A plain-HTTP server on loopback that answers each request with the next
/// canned response (then `fallback`) and records every request as received,
/// for what the simulator cannot show or produce: request headers and
/// bodies on the wire, statuses and bodies no simulator route returns.
/// Serves one connection at a time (enough for sequential calls).
class canned_server {
public:
    struct response {
        int status = 200;
        std::string reason = "OK";
        std::string body;
        std::vector<std::string> headers; ///< "Name: value"
        bool close = false;               ///< Connection: close, then close
    };

    canned_server()
    {
        listener_ = test_support::listen_on_loopback(16, port_);
        REQUIRE(listener_ >= 0);
        thread_ = std::thread([this] { serve(); });
    }
    ~canned_server()
    {
        ::shutdown(listener_, SHUT_RDWR);
        ::close(listener_);
        {
            std::lock_guard lk(mu_);
            if (conn_ >= 0)
                ::shutdown(conn_, SHUT_RDWR);
        }
        thread_.join();
    }
    canned_server(const canned_server&) = delete;
    canned_server& operator=(const canned_server&) = delete;

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    void push(response r)
    {
        std::lock_guard lk(mu_);
        queue_.push_back(std::move(r));
    }
    void push(int status, std::string reason, std::string body)
    {
        response r;
        r.status = status;
        r.reason = std::move(reason);
        r.body = std::move(body);
        push(std::move(r));
    }
    response fallback; ///< answered when the queue is empty (set before use)

    /// Every request received so far (head and body, as sent).
    std::vector<std::string> requests() const
    {
        std::lock_guard lk(mu_);
        return requests_;
    }
    /// The value of header `name` (case-insensitive) in request `i`, or nullopt.
    std::optional<std::string> header(std::size_t i, std::string name) const
    {
        auto reqs = requests();
        if (i >= reqs.size())
            return std::nullopt;
        auto head = reqs[i].substr(0, reqs[i].find("\r\n\r\n"));
        auto lower = [](std::string x) {
            for (auto& ch : x)
                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            return x;
        };
        name = lower(name) + ":";
        std::optional<std::string> found;
        std::size_t pos = head.find("\r\n");
        while (pos != std::string::npos) {
            auto next = head.find("\r\n", pos + 2);
            auto line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
            if (lower(line.substr(0, name.size())) == name) {
                if (found)
                    return "<duplicate>";
                auto v = line.substr(name.size());
                while (!v.empty() && v.front() == ' ')
                    v.erase(0, 1);
                found = v;
            }
            pos = next;
        }
        return found;
    }
    /// The body of request `i`.
    std::string body(std::size_t i) const
    {
        auto reqs = requests();
        if (i >= reqs.size())
            return {};
        auto at = reqs[i].find("\r\n\r\n");
        return at == std::string::npos ? std::string() : reqs[i].substr(at + 4);
    }
    int connections() const { return accepted_.load(); }

private:
    void serve()
    {
        for (;;) {
            int c = ::accept(listener_, nullptr, nullptr);
            if (c < 0)
                return;
            ++accepted_;
            {
                std::lock_guard lk(mu_);
                conn_ = c;
            }
            std::string buf;
            for (;;) {
                std::string req;
                if (!read_request(c, buf, req))
                    break;
                response r;
                {
                    std::lock_guard lk(mu_);
                    requests_.push_back(req);
                    if (!queue_.empty()) {
                        r = std::move(queue_.front());
                        queue_.pop_front();
                    } else {
                        r = fallback;
                    }
                }
                std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + r.reason + "\r\n";
                for (auto& h : r.headers)
                    out += h + "\r\n";
                out += "Content-Type: application/json\r\nContent-Length: " + std::to_string(r.body.size()) +
                       "\r\n";
                if (r.close)
                    out += "Connection: close\r\n";
                out += "\r\n" + r.body;
                ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
                if (r.close)
                    break;
            }
            {
                std::lock_guard lk(mu_);
                conn_ = -1;
            }
            ::close(c);
        }
    }
    // One request (head + content-length body) from `buf` and the socket.
    static bool read_request(int fd, std::string& buf, std::string& req)
    {
        char chunk[4096];
        for (;;) {
            auto end = buf.find("\r\n\r\n");
            if (end != std::string::npos) {
                std::size_t need = end + 4;
                auto head = buf.substr(0, end);
                for (auto& ch : head)
                    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                if (auto cl = head.find("content-length:"); cl != std::string::npos)
                    need += std::stoul(head.substr(cl + 15));
                if (buf.size() >= need) {
                    req = buf.substr(0, need);
                    buf.erase(0, need);
                    return true;
                }
            }
            auto n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0)
                return false;
            buf.append(chunk, static_cast<std::size_t>(n));
        }
    }

    int listener_ = -1;
    int conn_ = -1;
    unsigned short port_ = 0;
    std::thread thread_;
    mutable std::mutex mu_;
    std::deque<response> queue_;
    std::vector<std::string> requests_;
    std::atomic<int> accepted_{0};
};

/// A logger that keeps every line.
struct captured_log {
    std::mutex mu;
    std::vector<std::string> lines;
    handinger::logger_fn fn()
    {
        return [this](handinger::log_level, std::string_view l) {
            canary_echo("captured log", l);
            std::lock_guard lk(mu);
            lines.emplace_back(l);
        };
    }
    std::string all()
    {
        std::lock_guard lk(mu);
        std::string s;
        for (auto& l : lines)
            s += l + "\n";
        return s;
    }
};

} // namespace test_support
