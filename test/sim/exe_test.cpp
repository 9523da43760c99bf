// The handinger-sim program: first line is the URL, it serves, SIGTERM stops it.
#include "sim_test_util.hpp"

#include <algorithm>
#include <csignal>
#include <limits.h>

using namespace sim_test;

namespace {

std::string sim_exe()
{
#ifdef HANDINGER_SIM_EXE
    return HANDINGER_SIM_EXE;
#else
    // Fallback: beside the test binary's directory, as laid out by the build.
    char self[PATH_MAX] = {};
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    std::string dir = std::string(self, n > 0 ? static_cast<std::size_t>(n) : 0);
    dir = dir.substr(0, dir.rfind('/'));
    return dir + "/../sim/handinger-sim";
#endif
}

// Spawns the program with stdout to a file; returns its pid.
pid_t spawn(const std::vector<std::string>& argv, const std::string& out, const std::string& err)
{
    std::vector<char*> args;
    for (auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    REQUIRE(rc == 0);
    return pid;
}

// Waits up to `timeout` for the child; returns its status or -1 (then kills it).
int wait_for(pid_t pid, std::chrono::milliseconds timeout)
{
    int status = 0;
    const bool done = eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, timeout, 10ms);
    if (!done) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        return -1;
    }
    return status;
}

} // namespace

TEST_CASE("exe: --port 0 prints the URL first, serves curl, stops on SIGTERM")
{
    temp_dir tmp;
    const std::string out = tmp.file("out"), err = tmp.file("err"), ca = tmp.file("ca.pem");
    pid_t pid = spawn(
        {sim_exe(), "--port", "0", "--ca-out", ca, "--pending-ms", "0", "--turn-ms", "10", "--seed", "9"},
        out, err);
    std::string url;
    const bool up = eventually(
        [&] {
            std::string text = read_file(out);
            if (text.find('\n') == std::string::npos)
                return false;
            url = text.substr(0, text.find('\n'));
            return true;
        },
        10'000ms, 10ms);
    if (!up)
        ::kill(pid, SIGKILL);
    REQUIRE(up);
    CHECK(url.rfind("https://127.0.0.1:", 0) == 0);

    const std::string body = tmp.file("body"), cerr = tmp.file("cerr");
    int rc = run_process({"curl", "-sS", "--max-time", "10", "--cacert", ca, "-o", body, "-H",
                          "Authorization: Bearer sk-sim-test", "-d", R"({"input":"from the exe"})",
                          url + "/api/tasks"},
                         tmp.file("curl-out"), cerr);
    INFO(read_file(cerr));
    CHECK(rc == 0);
    CHECK(read_file(body).find("\"object\":\"worker\"") != std::string::npos);

    ::kill(pid, SIGTERM);
    int status = wait_for(pid, 5000ms);
    REQUIRE(status != -1);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("exe: plain HTTP, --help, and an unknown flag exits 2 with one line")
{
    temp_dir tmp;
    const std::string out = tmp.file("out"), err = tmp.file("err");
    CHECK(run_process({sim_exe(), "--bogus"}, out, err) == 2);
    const std::string msg = read_file(err);
    CHECK(msg.find("--bogus") != std::string::npos);
    CHECK(std::count(msg.begin(), msg.end(), '\n') == 1);
    CHECK(run_process({sim_exe(), "--turns", "many"}, out, err) == 2);

    CHECK(run_process({sim_exe(), "--help"}, out, err) == 0);
    CHECK(read_file(out).find("--fault-truncate") != std::string::npos);

    pid_t pid =
        spawn({sim_exe(), "--plain-http", "--port=0", "--close-each", "--no-session-tickets"}, out, err);
    std::string url;
    bool up = eventually(
        [&] {
            std::string text = read_file(out);
            url = text.substr(0, text.find('\n'));
            return text.find('\n') != std::string::npos;
        },
        10'000ms, 10ms);
    if (!up)
        ::kill(pid, SIGKILL);
    REQUIRE(up);
    CHECK(url.rfind("http://127.0.0.1:", 0) == 0);
    CHECK(run_process({"curl", "-sS", "--max-time", "10", "-o", "/dev/null", url + "/_sim/stats"},
                      tmp.file("o2"), tmp.file("e2")) == 0);
    ::kill(pid, SIGINT);
    int status = wait_for(pid, 5000ms);
    REQUIRE(status != -1);
    CHECK(WEXITSTATUS(status) == 0);
}
