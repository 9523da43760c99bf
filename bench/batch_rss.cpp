// bench_batch_rss: the peak resident memory of `handinger tasks batch -` as
// its input grows. For each size N: the CLI (a child process; --cli PATH)
// reads N CreateTask lines from a pipe that this program fills as fast as
// the CLI takes them (so the input is never a file the CLI could map), its
// results go to /dev/null, and its peak RSS comes from wait4's ru_maxrss
// (the child's own high-water mark, VmHWM). With --journal DIR the run also
// keeps a journal there (deleted after). The simulator is started by
// scripts/bench.sh batch_rss. Last line: one JSON object.
#include "bench_util.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

struct args {
    std::string url, ca, key = "sk-bench", cli;
    std::vector<long> lines{20000, 1000000};
    int concurrency = 64;
    std::string journal_dir;
};

struct row {
    long lines = 0;
    double seconds = 0, cpu = 0;
    double peak_rss_mb = 0;
    int status = -1;
    std::string summary; // the CLI's last stderr line
};

std::string last_line(const std::string& path)
{
    std::ifstream f(path);
    std::string l, last;
    while (std::getline(f, l))
        if (!l.empty())
            last = l;
    return last;
}

row run_one(const args& a, long n)
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        std::perror("pipe");
        std::exit(1);
    }
    const std::string err_file = "/tmp/bench_batch_rss." + std::to_string(::getpid()) + ".err";
    std::vector<std::string> argv{a.cli, "tasks",         "batch",
                                  "-",   "--concurrency", std::to_string(a.concurrency)};
    std::string journal;
    if (!a.journal_dir.empty()) {
        journal = a.journal_dir + "/journal." + std::to_string(::getpid()) + "." + std::to_string(n);
        ::unlink(journal.c_str());
        argv.insert(argv.end(), {"--journal", journal});
    }
    std::vector<std::string> env{"HANDINGER_BASE_URL=" + a.url, "HANDINGER_CA_FILE=" + a.ca,
                                 "HANDINGER_API_KEY=" + a.key};
    for (char** e = environ; e && *e; ++e)
        if (std::strncmp(*e, "HANDINGER_", 10) != 0)
            env.emplace_back(*e);
    std::vector<char*> argp, envp;
    for (auto& s : argv)
        argp.push_back(s.data());
    argp.push_back(nullptr);
    for (auto& s : env)
        envp.push_back(s.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const auto start = std::chrono::steady_clock::now();
    pid_t pid = -1;
    if (::posix_spawn(&pid, argp[0], &fa, nullptr, argp.data(), envp.data()) != 0) {
        std::perror("posix_spawn");
        std::exit(1);
    }
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[0]);
    std::thread writer([fd = fds[1], n] {
        std::string buf;
        for (long i = 0; i < n; ++i) {
            buf += "{\"input\":\"rss line " + std::to_string(i) + "\"}\n";
            if (buf.size() >= 64 * 1024 || i + 1 == n) {
                std::size_t off = 0;
                while (off < buf.size()) {
                    auto w = ::write(fd, buf.data() + off, buf.size() - off);
                    if (w <= 0)
                        break; // the CLI went away: its status says why
                    off += static_cast<std::size_t>(w);
                }
                buf.clear();
            }
        }
        ::close(fd);
    });
    int st = 0;
    rusage ru{};
    ::wait4(pid, &st, 0, &ru);
    writer.join();
    row r;
    r.lines = n;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.cpu = bench::cpu_seconds(ru);
    r.peak_rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0; // KB on Linux
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.summary = last_line(err_file);
    ::unlink(err_file.c_str());
    if (!journal.empty())
        ::unlink(journal.c_str());
    return r;
}

} // namespace

int main(int argc, char** argv)
{
    ::signal(SIGPIPE, SIG_IGN);
    args a;
    bench::arg_reader r(argc, argv);
    for (auto k = r.next(); !k.empty(); k = r.next()) {
        if (r.server(k, a.url, a.ca, a.key))
            continue;
        if (k == "--cli")
            a.cli = r.value();
        else if (k == "--concurrency")
            a.concurrency = std::stoi(r.value());
        else if (k == "--journal")
            a.journal_dir = r.value();
        else if (k == "--lines") {
            a.lines.clear();
            std::stringstream in(r.value());
            for (std::string item; std::getline(in, item, ',');)
                a.lines.push_back(std::stol(item));
        } else
            r.unknown();
    }
    if (a.url.empty() || a.cli.empty()) {
        std::cerr << "usage: bench_batch_rss --url URL --ca CA.pem --cli PATH [--lines 20000,1000000] "
                     "[--concurrency 64] [--journal DIR]\n";
        return 2;
    }
    std::string json = "{\"scenario\":\"batch_rss\",\"concurrency\":" + std::to_string(a.concurrency) +
                       ",\"journal\":" + (a.journal_dir.empty() ? "false" : "true") + ",\"runs\":[";
    bool ok = true;
    for (std::size_t i = 0; i < a.lines.size(); ++i) {
        auto x = run_one(a, a.lines[i]);
        std::fprintf(
            stderr, "%ld lines: exit %d, %.1f s, %.0f creates/s, CPU %.1f s, peak RSS %.1f MB | %s\n",
            x.lines, x.status, x.seconds, x.lines / x.seconds, x.cpu, x.peak_rss_mb, x.summary.c_str());
        ok = ok && x.status == 0;
        char buf[256];
        std::snprintf(buf, sizeof buf,
                      "%s{\"lines\":%ld,\"exit\":%d,\"seconds\":%.2f,\"creates_per_s\":%.0f,\"cpu_s\":%.2f,"
                      "\"peak_rss_mb\":%.1f}",
                      i ? "," : "", x.lines, x.status, x.seconds, x.lines / x.seconds, x.cpu, x.peak_rss_mb);
        json += buf;
    }
    json += "]}";
    std::cout << json << std::endl;
    return ok ? 0 : 1;
}
