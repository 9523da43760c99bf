// Part 2: throughput against the TypeScript SDK. Our client (this program
// re-run with --child-ours) and the SDK (bench/ts_sdk/create_many.mjs under
// node), each in a child process, measured alike.
#include "bench_batch.hpp"
#include "bench_util.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string_view>

extern char** environ;

namespace bench::batch {
namespace {

double kb_from_status(const std::string& field)
{
    std::ifstream st("/proc/self/status");
    for (std::string line; std::getline(st, line);)
        if (line.rfind(field, 0) == 0)
            return std::atof(line.c_str() + field.size());
    return 0;
}

struct child_figures {
    bool ok = false;
    std::string error;
    json::object reported;  // the child's last line
    double cpu_total_s = 0; // wait4: the whole process, all threads
    double hwm_sampled_mb = 0;
};

std::string self_exe()
{
    char buf[4096];
    auto n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        throw std::runtime_error("cannot read /proc/self/exe");
    return std::string(buf, static_cast<std::size_t>(n));
}

child_figures run_child(const std::vector<std::string>& argv_s, const std::vector<std::string>& extra_env,
                        int timeout_s)
{
    child_figures f;
    char dir[] = "/tmp/hbench-batch-XXXXXX";
    if (!mkdtemp(dir))
        throw std::runtime_error("mkdtemp failed");
    const std::string out = std::string(dir) + "/child.out";
    // extra_env replaces variables of the same name (getenv takes the first).
    std::vector<std::string> env_s;
    for (char** e = environ; *e; ++e) {
        const std::string_view v(*e);
        const bool replaced = std::any_of(extra_env.begin(), extra_env.end(), [&](const std::string& x) {
            return v.substr(0, v.find('=') + 1) == std::string_view(x).substr(0, x.find('=') + 1);
        });
        if (!replaced)
            env_s.emplace_back(v);
    }
    for (auto& e : extra_env)
        env_s.push_back(e);
    std::vector<char*> argv, envp;
    for (auto& s : argv_s)
        argv.push_back(const_cast<char*>(s.c_str()));
    argv.push_back(nullptr);
    for (auto& s : env_s)
        envp.push_back(const_cast<char*>(s.c_str()));
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        f.error = "cannot start " + argv_s[0];
        rmdir(dir);
        return f;
    }
    // Peak RSS sampled while it runs (the rusage of a child spawned with
    // vfork also counts the parent's pages before the exec); the children
    // also report their own VmHWM at the end, which misses nothing.
    int status = 0;
    rusage ru{};
    const auto deadline = clock_type::now() + std::chrono::seconds(timeout_s);
    bool killed = false;
    for (;;) {
        pid_t r = wait4(pid, &status, WNOHANG, &ru);
        if (r == pid)
            break;
        std::ifstream st("/proc/" + std::to_string(pid) + "/status");
        for (std::string line; std::getline(st, line);)
            if (line.rfind("VmHWM:", 0) == 0)
                f.hwm_sampled_mb = std::max(f.hwm_sampled_mb, std::atof(line.c_str() + 6) / 1024.0);
        if (!killed && clock_type::now() > deadline) {
            kill(pid, SIGKILL);
            killed = true;
        }
        usleep(10'000);
    }
    f.cpu_total_s = bench::cpu_seconds(ru);
    std::ifstream in(out);
    std::string line, last;
    while (std::getline(in, line))
        if (!line.empty())
            last = line;
    std::remove(out.c_str());
    rmdir(dir);
    if (killed) {
        f.error = argv_s[0] + " killed after " + std::to_string(timeout_s) + " s";
        return f;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        f.error = argv_s[0] + " exited with status " + std::to_string(WEXITSTATUS(status));
    try {
        f.reported = json::parse(last).as_object();
        f.ok = f.error.empty();
    } catch (const std::exception&) {
        if (f.error.empty())
            f.error = "no JSON line from " + argv_s[0];
        f.error += " (last line: " + last.substr(0, 300) + ")";
    }
    return f;
}

double num(const json::object& o, const char* k)
{
    auto it = o.find(k);
    if (it == o.end())
        return 0;
    if (it->value().is_double())
        return it->value().as_double();
    if (it->value().is_int64())
        return static_cast<double>(it->value().as_int64());
    if (it->value().is_uint64())
        return static_cast<double>(it->value().as_uint64());
    return 0;
}

struct side {
    bool ok = false;
    std::string error;
    double rps = 0, seconds = 0, cpu_s = 0, cpu_us_per_req = 0, cpu_total_s = 0, peak_rss_mb = 0;
    long long failures = 0, tasks_created = 0, duplicates = 0;
};

side measure(const child_figures& c, int n)
{
    side s;
    s.ok = c.ok;
    s.error = c.error;
    if (!c.reported.empty()) {
        s.seconds = num(c.reported, "seconds");
        s.rps = s.seconds > 0 ? n / s.seconds : 0;
        s.cpu_s = num(c.reported, "cpu_s");
        s.cpu_us_per_req = s.cpu_s / n * 1e6;
        s.failures = static_cast<long long>(num(c.reported, "failures"));
        s.peak_rss_mb = num(c.reported, "hwm_kb") / 1024.0;
        if (auto it = c.reported.find("error"); it != c.reported.end() && it->value().is_string())
            s.error += (s.error.empty() ? "" : ": ") + std::string(it->value().as_string());
    }
    s.peak_rss_mb = std::max(s.peak_rss_mb, c.hwm_sampled_mb);
    s.cpu_total_s = c.cpu_total_s;
    return s;
}

side run_side(const args& a, bool ts, const std::string& url, const std::string& ca, bool stream = false)
{
    const auto before = sim_stats(url, ca);
    child_figures c;
    const auto n = std::to_string(a.n), conc = std::to_string(a.concurrency), warm = std::to_string(a.warmup);
    if (ts) {
        std::vector<std::string> env;
        if (!ca.empty() && url.rfind("https://", 0) == 0)
            env.push_back("NODE_EXTRA_CA_CERTS=" + ca);
        c = run_child({"node", a.ts_dir + "/create_many.mjs", "--url", url, "--key", a.key, "--n", n,
                       "--concurrency", conc, "--warmup", warm},
                      env, a.run_timeout_s * 2);
    } else {
        std::vector<std::string> argv = {self_exe(),      "--child-ours",
                                         "--url",         url,
                                         "--ca",          ca,
                                         "--key",         a.key,
                                         "--n",           n,
                                         "--concurrency", conc,
                                         "--warmup",      warm,
                                         "--run-timeout", std::to_string(a.run_timeout_s)};
        if (stream)
            argv.push_back("--stream");
        c = run_child(argv, {}, a.run_timeout_s * 2);
    }
    const auto after = sim_stats(url, ca);
    auto s = measure(c, a.n);
    s.tasks_created = counter(after, "tasks_created") - counter(before, "tasks_created");
    s.duplicates = counter(after, "duplicate_posts") - counter(before, "duplicate_posts");
    return s;
}

json::object side_json(const side& s)
{
    json::object j;
    j["ok"] = s.ok;
    j["rps"] = s.rps;
    j["seconds"] = s.seconds;
    j["cpu_s"] = s.cpu_s;
    j["cpu_us_per_request"] = s.cpu_us_per_req;
    j["cpu_total_s"] = s.cpu_total_s;
    j["peak_rss_mb"] = s.peak_rss_mb;
    j["failures"] = s.failures;
    j["tasks_created"] = s.tasks_created;
    j["duplicates"] = s.duplicates;
    if (!s.error.empty())
        j["error"] = s.error;
    return j;
}

void print_side(const char* name, const side& s)
{
    if (!s.ok && s.rps == 0) {
        std::printf("  %-26s failed: %s\n", name, s.error.c_str());
        return;
    }
    std::printf("  %-26s %8.0f req/s  %6.3f s  CPU %6.3f s (%5.1f us/req, whole process %.3f s)  peak RSS "
                "%6.1f MB  %lld failed  %lld tasks created%s%s\n",
                name, s.rps, s.seconds, s.cpu_s, s.cpu_us_per_req, s.cpu_total_s, s.peak_rss_mb, s.failures,
                s.tasks_created, s.error.empty() ? "" : "  error: ", s.error.c_str());
}

} // namespace

// The child: warm-up, then N creates with a fixed limit of `concurrency`
// (pool of the same size), as one async_submit_batch.
int child_ours(const args& a)
{
    batch_setup s;
    s.url = a.url;
    s.ca = a.ca;
    s.key = a.key;
    s.n = a.n;
    s.adaptive = false;
    s.initial = s.max_in_flight = s.pool = static_cast<std::size_t>(a.concurrency);
    s.warmup = a.warmup;
    s.timeout_s = a.run_timeout_s;
    s.stream = a.stream;
    auto o = run_batch(s);
    json::object j;
    j["seconds"] = o.seconds;
    j["cpu_s"] = o.cpu_s;
    j["failures"] = o.failures;
    j["hwm_kb"] = kb_from_status("VmHWM:");
    if (!o.first_failure.empty())
        j["error"] = o.first_failure;
    std::cout << json::serialize(j) << std::endl;
    return o.failures == 0 ? 0 : 1;
}

bool throughput_scenario(const args& a, json::object& out, json::object& targets)
{
    side ours, ours_plain, ours_stream, ts, ts_plain;
    std::printf("throughput, %d creates, %d in flight, warm-up %d (no rate limit), %d round(s), each side a "
                "process of its own:\n",
                a.n, a.concurrency, a.warmup, a.throughput_repeats);
    // Rounds alternate the sides; per side the median run by requests/s is
    // kept, with the highest peak RSS and the sum of failures of all its runs.
    std::vector<side> runs_ours, runs_ts, runs_ours_plain, runs_ts_plain, runs_stream;
    auto one = [&](std::vector<side>& into, const char* name, bool ts_side, const std::string& url,
                   const std::string& ca, bool stream) {
        into.push_back(run_side(a, ts_side, url, ca, stream));
        print_side(name, into.back());
    };
    for (int rep = 0; rep < a.throughput_repeats; ++rep) {
        if (!a.open_url.empty()) {
            one(runs_ours, "ours, HTTPS", false, a.open_url, a.open_ca, false);
            if (!a.ts_dir.empty())
                one(runs_ts, "TypeScript SDK, HTTPS", true, a.open_url, a.open_ca, false);
        }
        if (!a.plain_url.empty()) {
            one(runs_ours_plain, "ours, plain HTTP", false, a.plain_url, "", false);
            if (!a.ts_dir.empty())
                one(runs_ts_plain, "TypeScript SDK, plain HTTP", true, a.plain_url, "", false);
        }
        if (!a.open_url.empty())
            one(runs_stream, "ours, stream_batch, HTTPS", false, a.open_url, a.open_ca, true);
    }
    auto pick = [](std::vector<side> v) {
        if (v.empty())
            return side{};
        double rss = 0;
        long long failures = 0;
        bool all_ok = true;
        for (auto& s : v) {
            rss = std::max(rss, s.peak_rss_mb);
            failures += s.failures;
            all_ok = all_ok && s.ok;
        }
        std::sort(v.begin(), v.end(), [](auto& x, auto& y) { return x.rps < y.rps; });
        auto m = v[v.size() / 2];
        m.peak_rss_mb = rss;
        m.failures = failures;
        m.ok = all_ok;
        return m;
    };
    ours = pick(runs_ours);
    ts = pick(runs_ts);
    ours_plain = pick(runs_ours_plain);
    ts_plain = pick(runs_ts_plain);
    ours_stream = pick(runs_stream);
    std::printf("  medians:\n");
    for (auto [name, sd] : {std::pair{"ours, HTTPS", &ours},
                            {"TypeScript SDK, HTTPS", &ts},
                            {"ours, plain HTTP", &ours_plain},
                            {"TypeScript SDK, plain HTTP", &ts_plain},
                            {"ours, stream_batch, HTTPS", &ours_stream}})
        if (sd->seconds > 0)
            print_side(name, *sd);
    if (a.ts_dir.empty())
        std::printf("  TypeScript SDK: not run (not installed; see scripts/bench.sh output)\n");
    out["ours_rps"] = ours.rps;
    out["ts_sdk_rps"] = ts.rps;
    out["ours_peak_rss_mb"] = ours.peak_rss_mb;
    out["ts_sdk_peak_rss_mb"] = ts.peak_rss_mb;
    out["ours_cpu_us_per_request"] = ours.cpu_us_per_req;
    out["ts_sdk_cpu_us_per_request"] = ts.cpu_us_per_req;
    out["ours_plain_rps"] = ours_plain.rps;
    out["ts_sdk_plain_rps"] = ts_plain.rps;
    out["ours_plain_peak_rss_mb"] = ours_plain.peak_rss_mb;
    out["ts_sdk_plain_peak_rss_mb"] = ts_plain.peak_rss_mb;
    out["ours_plain_cpu_us_per_request"] = ours_plain.cpu_us_per_req;
    out["ts_sdk_plain_cpu_us_per_request"] = ts_plain.cpu_us_per_req;
    out["ours_stream_peak_rss_mb"] = ours_stream.peak_rss_mb;
    json::object detail;
    detail["ours_https"] = side_json(ours);
    detail["ts_sdk_https"] = side_json(ts);
    detail["ours_plain"] = side_json(ours_plain);
    detail["ts_sdk_plain"] = side_json(ts_plain);
    detail["ours_stream_https"] = side_json(ours_stream);
    out["throughput"] = detail;
    bool ok = true;
    for (auto* s : {&ours, &ours_plain, &ours_stream})
        if (!s->ok && s->seconds > 0)
            ok = false;

    // The targets (the rate-limit ones are the scenarios' own).
    if (ts.rps > 0) {
        out["rps_ratio"] = ours.rps / ts.rps;
        out["rss_ratio"] = ours.peak_rss_mb / ts.peak_rss_mb;
        targets["throughput_20x"] = ours.rps >= 20 * ts.rps;
        targets["memory_tenth"] = ours.peak_rss_mb <= ts.peak_rss_mb / 10;
    }
    if (ts_plain.rps > 0) {
        out["rps_ratio_plain"] = ours_plain.rps / ts_plain.rps;
        out["rss_ratio_plain"] = ours_plain.peak_rss_mb / ts_plain.peak_rss_mb;
        targets["throughput_20x_plain"] = ours_plain.rps >= 20 * ts_plain.rps;
        targets["memory_tenth_plain"] = ours_plain.peak_rss_mb <= ts_plain.peak_rss_mb / 10;
    }
    return ok;
}

} // namespace bench::batch
