// Shared by the CLI tests: the real `handinger` program run as a child
// process (posix_spawn, no shell unless a test asks for a terminal through
// `script`), with stdout and stderr captured to files, optional stdin, an
// environment of the test's choosing and a bounded wait; and an in-process
// simulator over verified TLS whose CA is written to a file for the child.
#pragma once

#include "client/support.hpp"
#include "temp_dir.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

#ifndef HANDINGER_CLI_EXE
#error "HANDINGER_CLI_EXE (the path of the handinger program) must be defined"
#endif

namespace cli_test {

using namespace std::chrono_literals;
namespace json = boost::json;
using env_vars = std::vector<std::pair<std::string, std::string>>;
using steady = std::chrono::steady_clock;

inline std::string cli_exe()
{
    return HANDINGER_CLI_EXE;
}

using test_files::temp_dir;

inline std::string read_file(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

/// The lines of `text`, without their '\n' (a last line without one included).
inline std::vector<std::string> lines_of(const std::string& text)
{
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto nl = text.find('\n', start);
        if (nl == std::string::npos) {
            out.push_back(text.substr(start));
            break;
        }
        out.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    return out;
}

inline bool starts_with(std::string_view s, std::string_view prefix)
{
    return s.substr(0, prefix.size()) == prefix;
}

inline bool contains(std::string_view s, std::string_view part)
{
    return s.find(part) != std::string_view::npos;
}

inline std::size_t count_of(std::string_view s, std::string_view part)
{
    std::size_t n = 0;
    for (auto at = s.find(part); at != std::string_view::npos; at = s.find(part, at + part.size()))
        ++n;
    return n;
}

/// Polls `done` every 5 ms until it holds or `limit` passes.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit)
{
    auto deadline = steady::now() + limit;
    for (;;) {
        if (done())
            return true;
        if (steady::now() > deadline)
            return false;
        std::this_thread::sleep_for(5ms);
    }
}

/// How a child ended, and what it wrote.
struct result {
    /// The exit status; 128 + N when killed by signal N; -1 when it had to be
    /// killed because it outlived the test's limit.
    int status = -1;
    std::string out, err;
    std::chrono::milliseconds elapsed{0}; ///< from spawn to exit

    std::vector<std::string> out_lines() const { return lines_of(out); }
    std::vector<std::string> err_lines() const { return lines_of(err); }
    /// For INFO: the exit and both streams, each cut to its first and last
    /// 2 KB. An INFO is printed again with every later check in its scope
    /// (with --success, with every passing one), and a batch's stdout is
    /// megabytes: whole, it made the canary run's output 13 GB. (The canary
    /// run reads every child's whole output through canary_echo.)
    std::string dump() const
    {
        return "exit " + std::to_string(status) + " after " + std::to_string(elapsed.count()) +
               " ms\n--- stdout:\n" + cut(out) + "\n--- stderr:\n" + cut(err);
    }

    static std::string cut(const std::string& s, std::size_t keep = 2048)
    {
        if (s.size() <= 2 * keep + 64)
            return s;
        return s.substr(0, keep) + "\n[... " + std::to_string(s.size() - 2 * keep) + " bytes ...]\n" +
               s.substr(s.size() - keep);
    }
};

/// One running child. stdout and stderr go to files (readable while it
/// runs), stdin comes from a file (or /dev/null). The environment is the
/// parent's minus every HANDINGER_* variable, plus `env` (a name given twice
/// has its last value). The destructor
/// kills a child still running.
class process {
public:
    process(const std::vector<std::string>& argv, const env_vars& env,
            const std::optional<std::string>& stdin_text = std::nullopt)
    {
        static int serial = 0;
        const std::string tag = std::to_string(++serial);
        out_file_ = dir_.file("out" + tag);
        err_file_ = dir_.file("err" + tag);
        const std::string in_file = stdin_text ? dir_.write("in" + tag, *stdin_text) : "/dev/null";

        std::vector<std::string> envs;
        for (char** e = environ; e && *e; ++e)
            if (!starts_with(*e, "HANDINGER_"))
                envs.emplace_back(*e);
        for (const auto& [k, v] : env) { // a later value of a name replaces an earlier one
            const std::string prefix = k + "=";
            envs.erase(std::remove_if(envs.begin(), envs.end(),
                                      [&](const std::string& e) { return starts_with(e, prefix); }),
                       envs.end());
            envs.push_back(prefix + v);
        }
        std::vector<char*> envp;
        for (auto& e : envs)
            envp.push_back(e.data());
        envp.push_back(nullptr);
        std::vector<std::string> args_copy = argv;
        std::vector<char*> args;
        for (auto& a : args_copy)
            args.push_back(a.data());
        args.push_back(nullptr);

        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, in_file.c_str(), O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, out_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&fa, 2, err_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        // The child starts with no signal blocked and the default actions of
        // the signals the tests send, whatever this process (or ctest) set.
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        sigset_t none, defaults;
        sigemptyset(&none);
        sigemptyset(&defaults);
        for (int s : {SIGINT, SIGTERM, SIGPIPE, SIGHUP})
            sigaddset(&defaults, s);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &defaults);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        start_ = steady::now();
        int rc = ::posix_spawnp(&pid_, args[0], &fa, &attr, args.data(), envp.data());
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&fa);
        INFO("spawning ", argv.front());
        REQUIRE(rc == 0);
    }
    ~process()
    {
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            int st = 0;
            ::waitpid(pid_, &st, 0);
        }
        if (pid_ > 0 && !echoed_) // the canary run reads what every child wrote
            echo(out(), err());
    }
    process(const process&) = delete;
    process& operator=(const process&) = delete;

    pid_t pid() const { return pid_; }
    std::string out() const { return read_file(out_file_); }
    std::string err() const { return read_file(err_file_); }
    void signal(int sig) const { REQUIRE(::kill(pid_, sig) == 0); }
    /// Whether the child still runs (reaps it once it ended).
    bool running() { return !exited(); }

    /// Waits until stdout contains `text` (false after `limit`, or when the
    /// child ended first without writing it).
    bool wait_for_output(std::string_view text, std::chrono::milliseconds limit = 20s)
    {
        return eventually(
                   [&] {
                       if (contains(out(), text))
                           return true;
                       return exited();
                   },
                   limit) &&
               contains(out(), text);
    }

    /// Sends `sig` and waits for the child's end; `took` is from the signal
    /// to the end (or to the kill after `limit`).
    result interrupt(int sig, std::chrono::milliseconds limit, steady::duration& took)
    {
        auto sent = steady::now();
        signal(sig);
        auto r = wait(limit);
        took = steady::now() - sent;
        return r;
    }

    /// Waits for the child's end; after `limit` it is killed (status -1).
    result wait(std::chrono::milliseconds limit = 60s)
    {
        result r;
        bool ended = eventually([&] { return exited(); }, limit);
        if (!ended) {
            ::kill(pid_, SIGKILL);
            int st = 0;
            ::waitpid(pid_, &st, 0);
            reaped_ = true;
            r.status = -1;
        } else if (WIFEXITED(status_)) {
            r.status = WEXITSTATUS(status_);
        } else if (WIFSIGNALED(status_)) {
            r.status = 128 + WTERMSIG(status_);
        }
        r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(end_ - start_);
        if (!ended)
            r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start_);
        r.out = out();
        r.err = err();
        echo(r.out, r.err);
        return r;
    }

private:
    // In the canary run (test_support::canary()), the child's output goes to
    // this process's stderr, which the canary script searches.
    void echo(const std::string& o, const std::string& e)
    {
        echoed_ = true;
        test_support::canary_echo("cli stdout", o);
        test_support::canary_echo("cli stderr", e);
    }

    bool exited()
    {
        if (reaped_)
            return true;
        int st = 0;
        pid_t p = ::waitpid(pid_, &st, WNOHANG);
        if (p == pid_) {
            reaped_ = true;
            status_ = st;
            end_ = steady::now();
            return true;
        }
        return false;
    }

    temp_dir dir_;
    std::string out_file_, err_file_;
    pid_t pid_ = -1;
    bool reaped_ = false;
    bool echoed_ = false;
    int status_ = 0;
    steady::time_point start_, end_;
};

/// Runs argv to its end (bounded by `limit`).
inline result run_process(const std::vector<std::string>& argv, const env_vars& env,
                          const std::optional<std::string>& stdin_text = std::nullopt,
                          std::chrono::milliseconds limit = 60s)
{
    process p(argv, env, stdin_text);
    auto r = p.wait(limit);
    INFO(r.dump());
    CHECK_MESSAGE(r.status != -1, "the child outlived its limit and was killed");
    return r;
}

/// `s` quoted for /bin/sh.
inline std::string shell_quote(const std::string& s)
{
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

/// Whether util-linux `script` can be run (it gives the child a terminal).
inline bool have_script()
{
    return run_process({"script", "--version"}, {}).status == 0;
}

/// One JSON value per non-blank line of `text`; fails the test on a line
/// that is not JSON.
inline std::vector<json::value> parse_lines(const std::string& text)
{
    std::vector<json::value> out;
    for (const auto& l : lines_of(text)) {
        if (l.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        boost::system::error_code ec;
        auto v = json::parse(l, ec);
        INFO("line: ", l);
        REQUIRE_FALSE(ec);
        out.push_back(std::move(v));
    }
    return out;
}

/// The one JSON document of `text` (indented or not).
inline json::value parse_doc(const std::string& text)
{
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    INFO("text: ", text);
    REQUIRE_FALSE(ec);
    return v;
}

/// The string at obj[key] ("" when absent or not a string).
inline std::string str_at(const json::value& v, std::string_view key)
{
    if (const auto* o = v.if_object())
        if (const auto* s = o->if_contains(key); s && s->is_string())
            return std::string(s->as_string());
    return {};
}

/// An in-process simulator over TLS, its CA in a file, and the `handinger`
/// program pointed at it through HANDINGER_* variables.
struct cli_fixture {
    explicit cli_fixture(handinger::sim::options o = test_support::fast_sim())
        : fx(std::move(o)), ca_file(dir.write("ca.pem", fx.sim.ca_pem()))
    {
        REQUIRE_FALSE(fx.sim.ca_pem().empty());
    }

    /// The environment that points the program at the simulator.
    env_vars env() const
    {
        return {{"HANDINGER_BASE_URL", fx.sim.url()},
                {"HANDINGER_CA_FILE", ca_file},
                {"HANDINGER_API_KEY", fx.key}};
    }

    /// Runs `handinger ARGS...` with env() plus `extra` (bounded by `limit`).
    result run(std::vector<std::string> args, const std::optional<std::string>& stdin_text = std::nullopt,
               const env_vars& extra = {}, std::chrono::milliseconds limit = 60s) const
    {
        args.insert(args.begin(), cli_exe());
        auto e = env();
        e.insert(e.end(), extra.begin(), extra.end());
        return run_process(args, e, stdin_text, limit);
    }
    /// Runs `handinger ARGS...` with exactly `e` (and no HANDINGER_* of the parent).
    result run_with_env(std::vector<std::string> args, const env_vars& e,
                        const std::optional<std::string>& stdin_text = std::nullopt) const
    {
        args.insert(args.begin(), cli_exe());
        return run_process(args, e, stdin_text);
    }
    /// Starts `handinger ARGS...` with env() and returns the running child.
    std::unique_ptr<process> start(std::vector<std::string> args,
                                   const std::optional<std::string>& stdin_text = std::nullopt) const
    {
        args.insert(args.begin(), cli_exe());
        return std::make_unique<process>(args, env(), stdin_text);
    }
    /// Runs `handinger ARGS...` under `script`, so that its stdin, stdout and
    /// stderr are a terminal; returns what the terminal showed (stdout and
    /// stderr merged, "\n" turned into "\r\n" by the terminal).
    result run_on_tty(std::vector<std::string> args) const
    {
        std::string cmd = shell_quote(cli_exe());
        for (auto& a : args)
            cmd += " " + shell_quote(a);
        return run_process({"script", "-qec", cmd, "/dev/null"}, env());
    }

    /// Creates a task with `tasks create --format jsonl` and returns its id.
    std::string create(const std::string& input) const
    {
        auto r = run({"tasks", "create", "--input", input, "--format", "jsonl"});
        INFO(r.dump());
        REQUIRE(r.status == 0);
        auto id = str_at(parse_doc(r.out), "taskId");
        REQUIRE(starts_with(id, "tsk_"));
        return id;
    }
    /// Creates a task and waits for its end (`--wait`); returns its id.
    std::string create_finished(const std::string& input) const
    {
        auto r = run({"tasks", "create", "--input", input, "--wait", "--format", "jsonl"});
        INFO(r.dump());
        REQUIRE(r.status == 0);
        auto v = parse_doc(r.out);
        auto id = str_at(v.at("task"), "id");
        REQUIRE(starts_with(id, "tsk_"));
        return id;
    }

    test_support::sim_fixture fx;
    temp_dir dir;
    std::string ca_file;
};

/// Runs `handinger ARGS...` for each of `cases`: each must be refused as bad
/// input (exit 2), with nothing on stdout and one "handinger: " line on stderr.
inline void check_usage_errors(const cli_fixture& f, const std::vector<std::vector<std::string>>& cases)
{
    for (const auto& args : cases) {
        std::string shown;
        for (const auto& a : args)
            shown += " '" + a + "'";
        INFO("handinger", shown);
        auto r = f.run(args);
        INFO(r.dump());
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(r.err_lines().size() == 1);
        CHECK(starts_with(r.err, "handinger: "));
    }
}

/// A call that failed (exit 1): nothing on stdout, one "handinger: " line on
/// stderr that says `says`.
inline void check_failed(const result& r, std::string_view says)
{
    INFO(r.dump());
    CHECK(r.status == 1);
    CHECK(r.out.empty());
    REQUIRE(r.err_lines().size() == 1);
    CHECK(starts_with(r.err, "handinger: "));
    CHECK(contains(r.err, says));
}

} // namespace cli_test
