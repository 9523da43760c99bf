// A real HTTP proxy for the proxy tests: Debian's tinyproxy, started as a
// child process with a generated configuration on a free loopback port,
// its log in a private directory, stopped (SIGTERM, then SIGKILL) at scope
// exit. Not the fault proxy of test/proxy/, which relays bytes and breaks
// them on purpose: this one speaks CONNECT, with or without Basic auth.
#pragma once

#include "temp_dir.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace test_support {

class tinyproxy {
public:
    struct options {
        /// Ports CONNECT may reach ("ConnectPort"); empty: any. A proxy that
        /// refuses with 403 allows only a port the test never asks for.
        std::vector<unsigned short> connect_ports;
        /// With a user, the proxy asks for Basic auth ("BasicAuth").
        std::string user, password;
    };

    /// The tinyproxy program, or "" when it is not installed.
    static std::string program()
    {
        for (const char* p : {"/usr/bin/tinyproxy", "/usr/sbin/tinyproxy", "/usr/local/bin/tinyproxy"})
            if (::access(p, X_OK) == 0)
                return p;
        return {};
    }

    explicit tinyproxy(options o)
    {
        const auto prog = program();
        // Not a skip: the proxy tests are part of the suite, and a machine
        // without tinyproxy has not run scripts/deps.sh.
        if (prog.empty())
            FAIL("tinyproxy is not installed: run scripts/deps.sh (it installs the Debian package)");
        // A port that was free a moment ago; taken meanwhile, tinyproxy exits
        // and another is tried.
        for (int attempt = 0; attempt < 5 && !running_; ++attempt)
            start(prog, o, free_port());
        REQUIRE_MESSAGE(running_, "tinyproxy did not start; its output:\n", log());
    }
    ~tinyproxy() { stop(); }
    tinyproxy(const tinyproxy&) = delete;
    tinyproxy& operator=(const tinyproxy&) = delete;

    unsigned short port() const { return port_; }
    /// "127.0.0.1:PORT", as the library names the proxy in its messages.
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    /// "http://[user:password@]127.0.0.1:PORT".
    std::string url(const std::string& userinfo = {}) const
    {
        return "http://" + (userinfo.empty() ? "" : userinfo + "@") + address();
    }

    /// Everything tinyproxy wrote (its log).
    std::string log() const
    {
        std::ifstream f(log_file_);
        std::stringstream ss;
        ss << f.rdbuf();
        return ss.str();
    }
    /// The CONNECT requests it received ("Request (file descriptor N):
    /// CONNECT host:port HTTP/1.1" lines), waiting up to a second for the
    /// log of a request already answered to be written.
    int connects(int at_least = 0) const
    {
        int n = 0;
        for (int i = 0; i < 100; ++i) {
            n = count("): CONNECT ");
            if (n >= at_least)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return n;
    }

    /// Stops it now (also done at scope exit).
    void stop()
    {
        if (pid_ <= 0)
            return;
        ::kill(pid_, SIGTERM);
        int st = 0;
        for (int i = 0; i < 200; ++i) {
            if (::waitpid(pid_, &st, WNOHANG) == pid_) {
                pid_ = 0;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &st, 0);
        pid_ = 0;
    }

private:
    static unsigned short free_port()
    {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        unsigned short port = 0;
        if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
            socklen_t len = sizeof a;
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
            port = ntohs(a.sin_port);
        }
        ::close(fd);
        return port;
    }

    int count(const std::string& part) const
    {
        auto text = log();
        int n = 0;
        for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size()))
            ++n;
        return n;
    }

    void start(const std::string& prog, const options& o, unsigned short port)
    {
        stop();
        port_ = port;
        std::ostringstream conf;
        conf << "Port " << port << "\nListen 127.0.0.1\nAllow 127.0.0.1\nTimeout 30\nMaxClients 64\n"
             << "LogLevel Info\nDisableViaHeader Yes\n";
        for (auto p : o.connect_ports)
            conf << "ConnectPort " << p << "\n";
        if (!o.user.empty())
            conf << "BasicAuth " << o.user << " " << o.password << "\n";
        const auto conf_file = dir_.write("tinyproxy.conf", conf.str());
        ::chmod(conf_file.c_str(), 0600);
        log_file_ = dir_.file("tinyproxy.log");

        std::vector<std::string> args = {prog, "-d", "-c", conf_file};
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, log_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        int rc = ::posix_spawn(&pid_, prog.c_str(), &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        REQUIRE_MESSAGE(rc == 0, "cannot start ", prog);
        // Listening within 5 s, or gone (the port was taken). Its own log
        // says so, not a connect to the port: another test's listener that
        // took the port meanwhile would accept while this tinyproxy exits.
        for (int i = 0; i < 500; ++i) {
            int st = 0;
            if (::waitpid(pid_, &st, WNOHANG) == pid_) {
                pid_ = 0;
                return;
            }
            if (count(" Accepting connections.") > 0) {
                running_ = true;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }

    test_files::temp_dir dir_;
    std::string log_file_;
    pid_t pid_ = 0;
    unsigned short port_ = 0;
    bool running_ = false;
};

} // namespace test_support
