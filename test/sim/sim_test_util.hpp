// Shared helpers of the simulator tests: an in-process simulator with its CA
// in a temporary file, and curl run as a subprocess (no shell) with every
// call bounded by --max-time.
#pragma once

#include <handinger/sim/simulator.hpp>

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

// The tests name only the request fields they set ({.path = ...}); g++'s
// -Wextra would flag every omitted one.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace sim_test {

namespace sim = handinger::sim;
using namespace std::chrono_literals;

/// A private temporary directory, removed with its files at scope exit.
class temp_dir {
public:
    temp_dir()
    {
        std::string tmpl =
            (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + std::string("/simtest.XXXXXX");
        REQUIRE(mkdtemp(tmpl.data()) != nullptr);
        path_ = tmpl;
    }
    ~temp_dir()
    {
        for (auto& f : files_)
            ::unlink(f.c_str());
        ::rmdir(path_.c_str());
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    /// A path inside the directory (the file is removed at exit).
    std::string file(std::string_view name)
    {
        files_.push_back(path_ + "/" + std::string(name));
        return files_.back();
    }

private:
    std::string path_;
    std::vector<std::string> files_;
};

inline std::string read_file(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

/// Runs argv[0] (looked up in PATH) with stdout and stderr sent to files;
/// returns the exit status (128 + signal when killed), -1 if it could not run.
inline int run_process(const std::vector<std::string>& argv, const std::string& out_file,
                       const std::string& err_file)
{
    std::vector<char*> args;
    for (auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

/// One curl run.
struct curl_result {
    int exit_code = -1;   ///< curl's exit code (0 ok, 18 partial, 28 timeout, 52 empty reply, 56 recv error)
    long status = 0;      ///< last HTTP status, 0 when none
    int num_connects = 0; ///< new connections curl made
    double time_total = 0;
    std::string head; ///< response headers as received (all responses)
    std::string body;
    std::string err; ///< curl's stderr

    /// The value of the last header `name` (case-insensitive), "" when absent.
    std::string header(std::string_view name) const
    {
        std::string found;
        std::istringstream lines(head);
        for (std::string line; std::getline(lines, line);) {
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            auto colon = line.find(':');
            if (colon == std::string::npos || colon != name.size())
                continue;
            bool same = true;
            for (std::size_t i = 0; i < colon; ++i)
                same = same && std::tolower(static_cast<unsigned char>(line[i])) ==
                                   std::tolower(static_cast<unsigned char>(name[i]));
            if (same)
                found = line.substr(colon + 1 + (line.size() > colon + 1 && line[colon + 1] == ' '));
        }
        return found;
    }
    boost::json::value json() const
    {
        boost::system::error_code ec;
        auto v = boost::json::parse(body, ec);
        INFO("body: " << body);
        CHECK_MESSAGE(!ec, "body is not JSON");
        return v;
    }
};

/// What to ask curl for.
struct request {
    std::string method = "GET";
    std::string path = "/";
    std::string body; ///< sent with content-type: application/json when not empty
    std::string key = "sk-sim-test";
    bool auth = true;
    double max_time = 10;                ///< seconds; every curl call is bounded
    std::vector<std::string> extra;      ///< more curl arguments (before the URL)
    std::vector<std::string> more_paths; ///< further URLs in the same curl run (connection reuse)
};

/// An in-process simulator plus curl.
class fixture {
public:
    explicit fixture(sim::options o = {}) : plain_(o.plain_http), sim_(with_ca_out(o)) { sim_.start(); }

    sim::simulator& sim() { return sim_; }
    std::string url() const { return sim_.url(); }
    const std::string& ca_file() const { return ca_file_; }
    temp_dir& tmp() { return tmp_; }

    curl_result curl(const request& r)
    {
        const std::string hdr = tmp_.file("h" + std::to_string(counter_)),
                          body = tmp_.file("b" + std::to_string(counter_)),
                          out = tmp_.file("o" + std::to_string(counter_)),
                          err = tmp_.file("e" + std::to_string(counter_));
        ++counter_;
        std::vector<std::string> argv{"curl",
                                      "-sS",
                                      "--http1.1",
                                      "-D",
                                      hdr,
                                      "-o",
                                      body,
                                      "-w",
                                      "%{http_code} %{num_connects} %{time_total}\\n",
                                      "--max-time",
                                      std::to_string(r.max_time)};
        if (!plain_)
            argv.insert(argv.end(), {"--cacert", ca_file_});
        if (r.method != "GET" || !r.body.empty())
            argv.insert(argv.end(), {"-X", r.method});
        if (r.auth)
            argv.insert(argv.end(), {"-H", "Authorization: Bearer " + r.key});
        if (!r.body.empty())
            argv.insert(argv.end(), {"-H", "content-type: application/json", "--data-binary", r.body});
        argv.insert(argv.end(), r.extra.begin(), r.extra.end());
        argv.push_back(url() + r.path);
        for (auto& p : r.more_paths)
            argv.insert(argv.end(), {"-o", body, url() + p});
        curl_result res;
        res.exit_code = run_process(argv, out, err);
        res.head = read_file(hdr);
        res.body = read_file(body);
        res.err = read_file(err);
        // -w prints a line per URL; the last one describes the last transfer,
        // num_connects is summed.
        std::istringstream w(read_file(out));
        for (std::string line; std::getline(w, line);) {
            std::istringstream l(line);
            int connects = 0;
            l >> res.status >> connects >> res.time_total;
            res.num_connects += connects;
        }
        return res;
    }

    curl_result get(const std::string& path) { return curl({.path = path}); }
    curl_result post(const std::string& json, const std::string& path = "/api/tasks")
    {
        return curl({.method = "POST", .path = path, .body = json});
    }
    curl_result del(const std::string& path, const std::string& key = "sk-sim-test")
    {
        return curl({.method = "DELETE", .path = path, .key = key});
    }
    /// POSTs and returns the new task's id (from x-sim-task-id).
    std::string create(const std::string& json)
    {
        auto r = post(json);
        INFO("create body: " << r.body << " err: " << r.err);
        REQUIRE(r.status == 200);
        std::string id = r.header("x-sim-task-id");
        REQUIRE(!id.empty());
        return id;
    }
    boost::json::object stats() { return sim_.stats(); }

private:
    sim::options& with_ca_out(sim::options& o)
    {
        if (!o.plain_http && o.ca_out.empty())
            o.ca_out = ca_file_ = tmp_.file("ca.pem");
        else
            ca_file_ = o.ca_out;
        return o;
    }

    temp_dir tmp_;
    std::string ca_file_;
    bool plain_;
    int counter_ = 0;
    sim::simulator sim_;
};

/// Polls `f` until it returns true or `timeout` passes; returns the last result.
template <class F>
bool eventually(F f, std::chrono::milliseconds timeout = 5000ms, std::chrono::milliseconds every = 20ms)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (f())
            return true;
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(every);
    }
}

/// stats()[a][b]... as an integer, 0 when a key is missing.
inline std::int64_t stat_of(const boost::json::object& o, std::initializer_list<std::string_view> path)
{
    const boost::json::value* v = nullptr;
    const boost::json::object* cur = &o;
    for (auto key : path) {
        if (!cur)
            return 0;
        auto it = cur->find(key);
        if (it == cur->end())
            return 0;
        v = &it->value();
        cur = v->if_object();
    }
    return v && v->is_int64() ? v->as_int64() : 0;
}

inline std::string str(const boost::json::value& v, std::string_view key)
{
    const auto* o = v.if_object();
    if (!o || !o->contains(key) || !o->at(key).is_string())
        return "<missing>";
    return std::string(o->at(key).as_string());
}

} // namespace sim_test
