// The API key never shows: not in log lines, diagnostics or exceptions. One
// log line per attempt, with what it needs.
#include "client/support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <regex>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;
using boost::system::error_code;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);
const std::string secret = "sk-sim-SECRET-12345";
const std::string wrong_secret = "sk-sim-SECRET-WRONG-999";

hd::sim::options secret_sim()
{
    auto o = fast_sim();
    o.api_key = secret;
    return o;
}

std::vector<std::string> attempt_lines(captured_log& log)
{
    std::lock_guard lk(log.mu);
    std::vector<std::string> out;
    for (auto& l : log.lines)
        if (l.find(" attempt ") != std::string::npos)
            out.push_back(l);
    return out;
}

bool leaks(const std::string& s)
{
    return s.find("SECRET") != std::string::npos || s.find("Bearer") != std::string::npos ||
           s.find("authorization") != std::string::npos || s.find("Authorization") != std::string::npos;
}

} // namespace

TEST_CASE("secrets: the API key appears in no log line, diagnostics or exception text")
{
    sim_fixture f(secret_sim());
    REQUIRE(f.copts.api_key == secret);
    captured_log log;
    f.copts.logger = log.fn();
    f.copts.level = hd::log_level::debug;
    std::vector<std::string> texts; // every diag.to_string() and what()

    test_io ioc;
    hd::client c(ioc, f.copts);
    CHECK(c.options().api_key.empty());
    auto wrong_opts = f.copts;
    wrong_opts.api_key = wrong_secret;
    hd::client wrong(ioc, wrong_opts);
    auto untrusted_opts = f.copts;
    untrusted_opts.tls.ca_pem.clear();
    hd::client untrusted(ioc, untrusted_opts);

    auto body = [&]() -> asio::awaitable<void> {
        // Successes.
        hd::create_task_params p;
        p.input = "secret keeping #get-fault:500";
        hd::diagnostics d;
        auto [e1, cr] = co_await c.async_create(p, d, tup);
        REQUIRE_FALSE(e1);
        texts.push_back(d.to_string(e1));
        auto [e2, t] = co_await c.async_retrieve(cr.task_id, d, tup); // 500, then 200
        CHECK_FALSE(e2);
        texts.push_back(d.to_string(e2));
        auto [e3, l] = co_await c.async_list_turns(cr.task_id, d, tup);
        CHECK_FALSE(e3);
        // Failures: 401, 5xx exhausted, 404, TLS verification.
        auto [e4, t4] = co_await wrong.async_retrieve(cr.task_id, d, tup);
        CHECK(e4 == hd::error::authentication);
        texts.push_back(d.to_string(e4));
        hd::create_task_params q;
        q.input = "failing #fault:500:3";
        hd::request_options ro;
        ro.max_retries = 1;
        auto [e5, r5] = co_await c.async_create(q, ro, d, tup);
        CHECK(e5 == hd::error::server_error);
        texts.push_back(d.to_string(e5));
        auto [e6, t6] = co_await untrusted.async_retrieve(cr.task_id, d, tup);
        CHECK(e6 == hd::error::tls_verification);
        texts.push_back(d.to_string(e6));
        for (auto* cl : {&c, &wrong, &untrusted}) {
            try {
                co_await cl->async_retrieve("tsk_missing_" + std::to_string(texts.size()));
            } catch (const hd::api_error& e) {
                texts.push_back(e.what());
                texts.push_back(e.diag().body_excerpt);
                texts.push_back(e.diag().client_message);
            }
        }
    };
    run(ioc, body(), 15s);
    REQUIRE(texts.size() == 5 + 9);
    for (auto& s : texts) {
        CAPTURE(s);
        CHECK_FALSE(leaks(s));
    }
    auto all = log.all();
    CHECK_FALSE(all.empty());
    for (auto& l : log.lines) {
        CAPTURE(l);
        CHECK_FALSE(leaks(l));
    }
    // One attempt line per attempt, across the three clients.
    auto attempts = c.stats().attempts + wrong.stats().attempts + untrusted.stats().attempts;
    CHECK(attempt_lines(log).size() == attempts);
}

TEST_CASE("logging: one line per attempt with method, path, status, attempt number and connection")
{
    sim_fixture f;
    captured_log log;
    f.copts.logger = log.fn();
    f.copts.level = hd::log_level::debug;
    test_io ioc;
    hd::client c(ioc, f.copts);
    std::string id;
    auto body = [&]() -> asio::awaitable<void> {
        id = co_await create_task(c, "logged #get-fault:503");
        hd::diagnostics d;
        auto [ec, t] = co_await c.async_retrieve(id, d, tup);
        CHECK_FALSE(ec);
    };
    run(ioc, body(), 10s);
    CHECK(c.stats().attempts == 3);
    auto lines = attempt_lines(log);
    REQUIRE(lines.size() == 3);
    // Each line: method and path, the status (or the error), the attempt
    // number, and whether the connection was new or reused.
    auto has = [](const std::string& line, std::vector<std::string> parts) {
        for (auto& p : parts)
            if (line.find(p) == std::string::npos)
                return false;
        return true;
    };
    CAPTURE(lines[0]);
    CAPTURE(lines[1]);
    CAPTURE(lines[2]);
    CHECK(has(lines[0], {"POST /api/tasks ", " 200", "attempt 1", "new"}));
    CHECK(has(lines[1], {"GET /api/tasks/" + id + " ", " 503", "attempt 1", "reused"}));
    CHECK(has(lines[2], {"GET /api/tasks/" + id + " ", " 200", "attempt 2", "reused"}));
    CHECK_FALSE(has(lines[1], {"new"}));
    // Timing, for the record: "N.N ms".
    CHECK(std::regex_search(lines[2], std::regex("[0-9]+(\\.[0-9]+)? ms")));
    // The debug level adds the retry decision.
    CHECK(log.all().find("retrying") != std::string::npos);
}

TEST_CASE("logging: a failure without a response names the error, level info hides debug lines")
{
    sim_fixture f;
    captured_log log;
    auto o = f.copts;
    o.tls.ca_pem.clear();
    o.logger = log.fn();
    o.level = hd::log_level::info;
    test_io ioc;
    hd::client c(ioc, o);
    auto body = [&]() -> asio::awaitable<void> {
        hd::diagnostics d;
        auto [ec, t] = co_await c.async_retrieve("tsk_x", d, tup);
        CHECK(ec == hd::error::tls_verification);
    };
    run(ioc, body(), 10s);
    auto lines = attempt_lines(log);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].rfind("GET /api/tasks/tsk_x -> TLS certificate verification failed", 0) == 0);
    CHECK(lines[0].find("attempt 1, ") != std::string::npos);
    CHECK(lines[0].find("new connection") != std::string::npos);
    CHECK(log.lines.size() == 1);
}

TEST_CASE("logging: the debug level adds a line for each failed operation, with its diagnostics")
{
    sim_fixture f;
    captured_log log;
    f.copts.logger = log.fn();
    f.copts.level = hd::log_level::debug;
    test_io ioc;
    hd::client c(ioc, f.copts);
    hd::diagnostics d;
    error_code got;
    std::string shown;
    auto body = [&]() -> asio::awaitable<void> {
        auto [ec, t] = co_await c.async_retrieve("tsk_not_there", d, tup);
        got = ec;
        shown = d.to_string(ec);
        hd::create_task_params p; // invalid: no input
        auto [ec2, r] = co_await c.async_create(p, d, tup);
        CHECK(ec2 == hd::error::invalid_argument);
    };
    run(ioc, body(), 10s);
    REQUIRE(got == hd::error::not_found);
    std::vector<std::string> failed;
    for (auto& l : log.lines)
        if (l.rfind("failed: ", 0) == 0)
            failed.push_back(l);
    REQUIRE(failed.size() == 2);
    CHECK(failed[0] == "failed: " + shown);
    CHECK(failed[0].find("GET /api/tasks/tsk_not_there: 404 not found") != std::string::npos);
    CHECK(failed[1].rfind("failed: POST /api/tasks: invalid argument: input", 0) == 0);
    // Not at the info level.
    captured_log info_log;
    auto o = f.copts;
    o.logger = info_log.fn();
    o.level = hd::log_level::info;
    hd::client quiet(ioc, o);
    auto again = [&]() -> asio::awaitable<void> {
        auto [ec, t] = co_await quiet.async_retrieve("tsk_not_there", d, tup);
        CHECK(ec == hd::error::not_found);
    };
    run(ioc, again(), 10s);
    CHECK(info_log.all().find("failed: ") == std::string::npos);
    CHECK_FALSE(info_log.all().empty());
}

namespace {

// A password put in the user info of base URLs: the canary in the canary
// run, so that the run's search covers these messages too.
std::string url_password()
{
    return canary().empty() ? std::string("pw-URL-SECRET-4242") : canary() + "-pw";
}

// The api_error text of constructing a client with `o` (empty when it was built).
std::pair<error_code, std::string> construction_error(const hd::client_options& o)
{
    test_io ioc;
    try {
        hd::client c(ioc, o);
    } catch (const hd::api_error& e) {
        canary_echo("construction error", e.what());
        return {e.code(), e.what()};
    }
    return {};
}

std::string replace_all(std::string s, std::string_view from, std::string_view to)
{
    for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
    return s;
}

} // namespace

TEST_CASE("secrets: a base URL's user info, query and fragment show in no message")
{
    env_guard url("HANDINGER_BASE_URL", std::nullopt);
    env_guard allow("HANDINGER_ALLOW_INSECURE_HTTP", std::nullopt);
    const std::string pw = url_password();
    // Every way the URL check can fail, with the secret where a user might
    // have put it (PW stands for it).
    for (std::string shape : {"https://alice:PW@h.example",
                              "https://alice:PW@h.example:8443/prefix",
                              "https://PW@h.example",
                              "https://:PW@h.example",
                              "https://alice:PW%40x@h.example",
                              "http://alice:PW@127.0.0.1:1",
                              "http://alice:PW@example.invalid",
                              "https://alice:PW@h.example:99999",
                              "https://alice:PW@[::1]:0",
                              "ftp://alice:PW@h.example",
                              "alice:PW@h.example",
                              "https://alice:PW@",
                              "https://alice:p/PW@h.example",
                              "https://alice:1/PW@h.example",
                              "https://alice:p#PW@h.example",
                              "https://alice:p?PW@h.example",
                              "https://alice:p@PW@h.example",
                              "https://alice:PW@h ex ample",
                              "https://h.example/?key=PW",
                              "https://h.example/p#PW",
                              "https://h.example/p?x=1#PW",
                              "https://alice:PW@h.example/p?q=PW#PW"}) {
        auto bad = replace_all(shape, "PW", pw);
        CAPTURE(shape);
        hd::client_options o;
        o.api_key = "sk-x";
        o.base_url = bad;
        captured_log log;
        o.logger = log.fn();
        o.level = hd::log_level::debug;
        auto [ec, what] = construction_error(o);
        CHECK(ec == hd::error::invalid_argument);
        CHECK(what.find("base URL") != std::string::npos);
        CHECK(what.find(pw) == std::string::npos);
        CHECK(what.find("alice") == std::string::npos);
        CHECK(log.all().find(pw) == std::string::npos);
        // The same URL from the environment.
        env_guard from_env("HANDINGER_BASE_URL", bad);
        o.base_url.clear();
        auto [ec2, what2] = construction_error(o);
        CHECK(ec2 == hd::error::invalid_argument);
        CHECK(what2.find(pw) == std::string::npos);
        CHECK(what2.find("alice") == std::string::npos);
    }
    // What is left says what is wrong.
    hd::client_options o;
    o.api_key = "sk-x";
    o.base_url = "https://alice:" + pw + "@h.example";
    auto [ec, what] = construction_error(o);
    CHECK(what.find("\"https://***@h.example\"") != std::string::npos);
    CHECK(what.find("user info") != std::string::npos);
    o.base_url = "https://h.example/p?key=" + pw;
    CHECK(construction_error(o).second.find("\"https://h.example/p?...\"") != std::string::npos);
}

TEST_CASE("secrets: the API key shows in no construction error")
{
    env_guard url("HANDINGER_BASE_URL", std::nullopt);
    env_guard allow("HANDINGER_ALLOW_INSECURE_HTTP", std::nullopt);
    const std::string key = url_password() + "-key";
    hd::client_options o;
    o.api_key = key;
    auto check = [&](auto change) {
        auto x = o;
        change(x);
        auto [ec, what] = construction_error(x);
        CHECK(ec == hd::error::invalid_argument);
        CHECK_FALSE(what.empty());
        CHECK(what.find(key) == std::string::npos);
    };
    check([&](auto& x) { x.api_key = key + "\r\nX-Evil: 1"; });
    check([&](auto& x) { x.base_url = "http://example.invalid"; });
    check([&](auto& x) { x.base_url = "not a url"; });
    check([&](auto& x) { x.headers = {{"X-Key", key + "\n"}}; });
    check([&](auto& x) { x.headers = {{"Authorization: Bearer " + key, ""}}; }); // a whole line as the name
    check([&](auto& x) { x.tls.ca_file = "/nonexistent/handinger-ca.pem"; });
}
