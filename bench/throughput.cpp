// bench/throughput: N creates with C in flight through handinger::client,
// against (a) the simulator and (b) nginx serving a fixed 1 KB JSON body over
// HTTPS with keep-alive, and wrk -t1 -cC against the same nginx in the same
// run. scripts/bench.sh throughput starts the servers and passes their URLs.
// Last line: one JSON object with the figures.
#include "bench_util.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

struct args {
    int requests = 20000;
    int in_flight = 64;
    int wrk_seconds = 3;
    int rounds = 5;     // client then wrk, this many times: the medians are reported
    int warmup = 2000;  // creates of a warm-up run before each measured one (at most `requests`; 0: none)
    int server_pid = 0; // nginx worker: its CPU is read from /proc around each run
    std::string sim_url, sim_ca, nginx_url, nginx_ca, nginx_status, key = "sk-bench";
};

// CPU seconds a process has used (utime + stime from /proc/PID/stat), or -1.
double proc_cpu(int pid)
{
    if (pid <= 0)
        return -1;
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(f)), {});
    auto p = s.rfind(')');
    if (p == std::string::npos)
        return -1;
    std::istringstream in(s.substr(p + 2));
    std::string field;
    double ut = 0, st = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
        if (i == 14)
            ut = std::stod(field);
        if (i == 15)
            st = std::stod(field);
    }
    return (ut + st) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double peak_rss_mb()
{
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    return static_cast<double>(r.ru_maxrss) / 1024.0;
}

struct run_figures {
    double seconds = 0, rps = 0, cpu_s_per_1k = 0, user_s_per_1k = 0;
    long long handshakes = 0, failures = 0, resumed = 0;
};

run_figures run_client(const std::string& url, const std::string& ca, const std::string& key, int n, int c)
{
    asio::io_context ioc(1);
    handinger::client_options o;
    o.base_url = url;
    o.api_key = key;
    o.tls.ca_file = ca;
    o.pool_size = static_cast<std::size_t>(c);
    handinger::client cl(ioc, o);
    int next = 0;
    long long failures = 0;
    auto worker = [&]() -> asio::awaitable<void> {
        handinger::create_task_params p;
        p.input = "Benchmark task: summarise the quarterly filings";
        handinger::diagnostics diag;
        while (next < n) {
            ++next;
            auto [ec, r] = co_await cl.async_create(p, diag, asio::as_tuple(asio::use_awaitable));
            if (ec) {
                if (++failures <= 3)
                    std::cerr << "create failed: " << diag.to_string(ec) << "\n";
            }
        }
    };
    double cpu0 = bench::self_cpu();
    double user0 = bench::self_user_cpu();
    auto t0 = clock_type::now();
    for (int i = 0; i < c; ++i)
        asio::co_spawn(ioc, worker(), asio::detached);
    ioc.run();
    run_figures f;
    f.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    f.rps = n / f.seconds;
    f.cpu_s_per_1k = (bench::self_cpu() - cpu0) / n * 1000.0;
    f.user_s_per_1k = (bench::self_user_cpu() - user0) / n * 1000.0;
    auto st = cl.stats();
    f.handshakes = static_cast<long long>(st.connections_created);
    f.resumed = static_cast<long long>(st.tls_resumed);
    f.failures = failures;
    return f;
}

// "accepts" of nginx's stub_status page, fetched over plain HTTP.
long long nginx_accepts(const std::string& status_url)
{
    // status_url: http://127.0.0.1:PORT/path
    auto rest = status_url.substr(std::string("http://").size());
    auto slash = rest.find('/');
    auto hostport = rest.substr(0, slash);
    auto path = rest.substr(slash);
    auto colon = hostport.find(':');
    asio::io_context ioc;
    asio::ip::tcp::socket s(ioc);
    s.connect({asio::ip::make_address(hostport.substr(0, colon)),
               static_cast<unsigned short>(std::stoi(hostport.substr(colon + 1)))});
    std::string req = "GET " + path + " HTTP/1.0\r\nHost: " + hostport + "\r\n\r\n";
    asio::write(s, asio::buffer(req));
    std::string resp;
    boost::system::error_code ec;
    asio::read(s, asio::dynamic_buffer(resp), ec);
    auto pos = resp.find("requests\n");
    if (pos == std::string::npos)
        return -1;
    return std::atoll(resp.c_str() + pos + 9);
}

struct wrk_figures {
    double rps = 0, cpu_s_per_1k = 0, user_s_per_1k = 0, peak_rss_mb = 0;
    long long requests = 0;
    std::string output;
};

wrk_figures run_wrk(const std::string& url, int c, int seconds, const std::string& key)
{
    char dir[] = "/tmp/hbench-XXXXXX";
    if (!mkdtemp(dir))
        throw std::runtime_error("mkdtemp failed");
    std::string lua = std::string(dir) + "/post.lua";
    {
        std::ofstream f(lua);
        f << "wrk.method = \"POST\"\n"
          << "wrk.body = '{\"input\":\"Benchmark task: summarise the quarterly filings\","
             "\"taskId\":\"tsk_01JBENCHWRK0000000000000000\"}'\n"
          << "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
          << "wrk.headers[\"Accept\"] = \"application/json\"\n"
          << "wrk.headers[\"Authorization\"] = \"Bearer " << key << "\"\n";
    }
    std::string out = std::string(dir) + "/wrk.out";
    std::vector<std::string> argv_s = {
        "wrk", "-t1", "-c" + std::to_string(c), "-d" + std::to_string(seconds) + "s",
        "-s",  lua,   url + "/api/tasks"};
    std::vector<char*> argv;
    for (auto& a : argv_s)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    if (posix_spawnp(&pid, "wrk", &fa, nullptr, argv.data(), environ) != 0)
        throw std::runtime_error("cannot start wrk");
    posix_spawn_file_actions_destroy(&fa);
    // wrk's peak RSS: VmHWM read while it runs (the rusage of a child
    // spawned with vfork also counts the parent's pages before the exec).
    int status = 0;
    rusage ru{};
    double hwm_kb = 0;
    for (;;) {
        pid_t r = wait4(pid, &status, WNOHANG, &ru);
        if (r == pid)
            break;
        std::ifstream st("/proc/" + std::to_string(pid) + "/status");
        for (std::string line; std::getline(st, line);)
            if (line.rfind("VmHWM:", 0) == 0)
                hwm_kb = std::max(hwm_kb, std::atof(line.c_str() + 6));
        usleep(50'000);
    }
    wrk_figures w;
    std::ifstream f(out);
    w.output.assign(std::istreambuf_iterator<char>(f), {});
    if (auto p = w.output.find("Requests/sec:"); p != std::string::npos)
        w.rps = std::atof(w.output.c_str() + p + 13);
    if (auto p = w.output.find(" requests in "); p != std::string::npos) {
        auto b = w.output.rfind('\n', p);
        w.requests = std::atoll(w.output.c_str() + (b == std::string::npos ? 0 : b + 1));
    }
    if (w.requests > 0)
        w.cpu_s_per_1k = bench::cpu_seconds(ru) / static_cast<double>(w.requests) * 1000.0;
    w.user_s_per_1k = bench::user_seconds(ru) / static_cast<double>(w.requests) * 1000.0;
    w.peak_rss_mb = hwm_kb / 1024.0;
    std::remove(out.c_str());
    std::remove(lua.c_str());
    rmdir(dir);
    return w;
}

args parse(int argc, char** argv)
{
    args a;
    bench::arg_reader r(argc, argv);
    for (auto k = r.next(); !k.empty(); k = r.next()) {
        if (k == "--requests")
            a.requests = std::stoi(r.value());
        else if (k == "--in-flight")
            a.in_flight = std::stoi(r.value());
        else if (k == "--wrk-seconds")
            a.wrk_seconds = std::stoi(r.value());
        else if (k == "--warmup")
            a.warmup = std::max(0, std::stoi(r.value()));
        else if (k == "--rounds")
            a.rounds = std::max(1, std::stoi(r.value()));
        else if (k == "--sim-url")
            a.sim_url = r.value();
        else if (k == "--sim-ca")
            a.sim_ca = r.value();
        else if (k == "--nginx-url")
            a.nginx_url = r.value();
        else if (k == "--nginx-ca")
            a.nginx_ca = r.value();
        else if (k == "--nginx-status")
            a.nginx_status = r.value();
        else if (k == "--key")
            a.key = r.value();
        else if (k == "--server-pid")
            a.server_pid = std::stoi(r.value());
        else
            r.unknown();
    }
    return a;
}

} // namespace

int main(int argc, char** argv)
{
    auto a = parse(argc, argv);
    alarm(900); // a run that hangs (a server gone, say) ends by itself
    boost::json::object out;
    std::printf("throughput: %d creates, %d in flight\n", a.requests, a.in_flight);

    run_figures sim;
    if (!a.sim_url.empty()) {
        if (a.warmup > 0)
            run_client(a.sim_url, a.sim_ca, a.key, std::min(a.requests, a.warmup), a.in_flight);
        sim = run_client(a.sim_url, a.sim_ca, a.key, a.requests, a.in_flight);
        std::printf(
            "client -> simulator: %.0f req/s, %.3f CPU s/1k, %lld handshakes (%lld resumed), %lld failed\n",
            sim.rps, sim.cpu_s_per_1k, sim.handshakes, sim.resumed, sim.failures);
    }
    // The machine's speed drifts (wrk alone has ranged from 102,000 to
    // 127,000 requests/s within the hour): the client and wrk take turns,
    // `rounds` times, and each figure is the median of its rounds; the ratio
    // is the median of the rounds' ratios, each taken a few seconds apart.
    std::vector<run_figures> ngs;
    std::vector<wrk_figures> wrks;
    std::vector<double> ratios, server_cpu_clients, server_cpu_wrks;
    long long wrk_handshakes = -1;
    if (!a.nginx_url.empty()) {
        if (a.warmup > 0)
            run_client(a.nginx_url, a.nginx_ca, a.key, std::min(a.requests, a.warmup), a.in_flight);
        for (int round = 0; round < a.rounds; ++round) {
            double s0 = proc_cpu(a.server_pid);
            auto ng = run_client(a.nginx_url, a.nginx_ca, a.key, a.requests, a.in_flight);
            double s1 = proc_cpu(a.server_pid);
            double server_cpu_client = s0 >= 0 ? (s1 - s0) / a.requests * 1000.0 : -1;
            std::printf("client -> nginx:     %.0f req/s, %.3f CPU s/1k (nginx %.3f), %lld handshakes (%lld "
                        "resumed), %lld failed\n",
                        ng.rps, ng.cpu_s_per_1k, server_cpu_client, ng.handshakes, ng.resumed, ng.failures);
            long long before = a.nginx_status.empty() ? -1 : nginx_accepts(a.nginx_status);
            s0 = proc_cpu(a.server_pid);
            auto wrk = run_wrk(a.nginx_url, a.in_flight, a.wrk_seconds, a.key);
            s1 = proc_cpu(a.server_pid);
            double server_cpu_wrk =
                s0 >= 0 && wrk.requests > 0 ? (s1 - s0) / static_cast<double>(wrk.requests) * 1000.0 : -1;
            long long after = a.nginx_status.empty() ? -1 : nginx_accepts(a.nginx_status);
            if (before >= 0 && after >= 0)
                wrk_handshakes = std::max(wrk_handshakes, after - before - 1); // minus the status request
            std::printf("wrk -> nginx:        %.0f req/s, %.3f CPU s/1k (nginx %.3f), %lld requests, %lld "
                        "connections\n",
                        wrk.rps, wrk.cpu_s_per_1k, server_cpu_wrk, wrk.requests, after - before - 1);
            ratios.push_back(wrk.rps > 0 ? ng.rps / wrk.rps : 0.0);
            server_cpu_clients.push_back(server_cpu_client);
            server_cpu_wrks.push_back(server_cpu_wrk);
            ngs.push_back(ng);
            wrks.push_back(std::move(wrk));
        }
    }
    auto median = [](std::vector<double> v) {
        if (v.empty())
            return 0.0;
        std::sort(v.begin(), v.end());
        return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    };
    auto of_ng = [&](auto field) {
        std::vector<double> v;
        for (const auto& f : ngs)
            v.push_back(static_cast<double>(field(f)));
        return v;
    };
    auto of_wrk = [&](auto field) {
        std::vector<double> v;
        for (const auto& f : wrks)
            v.push_back(static_cast<double>(field(f)));
        return v;
    };
    auto as_array = [](const std::vector<double>& v) {
        boost::json::array a;
        for (double x : v)
            a.push_back(x);
        return a;
    };
    run_figures ng;
    ng.rps = median(of_ng([](const run_figures& f) { return f.rps; }));
    ng.cpu_s_per_1k = median(of_ng([](const run_figures& f) { return f.cpu_s_per_1k; }));
    ng.user_s_per_1k = median(of_ng([](const run_figures& f) { return f.user_s_per_1k; }));
    for (const auto& f : ngs) {
        ng.handshakes = std::max(ng.handshakes, f.handshakes);
        ng.failures += f.failures;
    }
    wrk_figures wrk;
    wrk.rps = median(of_wrk([](const wrk_figures& f) { return f.rps; }));
    wrk.cpu_s_per_1k = median(of_wrk([](const wrk_figures& f) { return f.cpu_s_per_1k; }));
    wrk.user_s_per_1k = median(of_wrk([](const wrk_figures& f) { return f.user_s_per_1k; }));
    for (const auto& f : wrks)
        wrk.peak_rss_mb = std::max(wrk.peak_rss_mb, f.peak_rss_mb);
    double server_cpu_client = median(server_cpu_clients), server_cpu_wrk = median(server_cpu_wrks);
    out["client_rps"] = ng.rps;
    out["wrk_rps"] = wrk.rps;
    out["ratio_vs_wrk"] = median(ratios);
    out["client_cpu_s_per_1k"] = ng.cpu_s_per_1k;
    out["wrk_cpu_s_per_1k"] = wrk.cpu_s_per_1k;
    out["client_user_cpu_s_per_1k"] = ng.user_s_per_1k;
    out["wrk_user_cpu_s_per_1k"] = wrk.user_s_per_1k;
    out["client_peak_rss_mb"] = peak_rss_mb();
    out["wrk_peak_rss_mb"] = wrk.peak_rss_mb;
    out["handshakes"] = ng.handshakes;
    out["wrk_handshakes"] = wrk_handshakes;
    out["client_failures"] = ng.failures + sim.failures;
    out["nginx_cpu_s_per_1k_client"] = server_cpu_client;
    out["nginx_cpu_s_per_1k_wrk"] = server_cpu_wrk;
    out["in_flight"] = a.in_flight;
    out["requests"] = a.requests;
    out["sim_rps"] = sim.rps;
    out["sim_cpu_s_per_1k"] = sim.cpu_s_per_1k;
    out["sim_handshakes"] = sim.handshakes;
    out["rounds"] = a.rounds;
    out["ratio_runs"] = as_array(ratios);
    out["client_rps_runs"] = as_array(of_ng([](const run_figures& f) { return f.rps; }));
    out["wrk_rps_runs"] = as_array(of_wrk([](const wrk_figures& f) { return f.rps; }));
    std::cout << boost::json::serialize(out) << std::endl;
    return ng.failures + sim.failures == 0 ? 0 : 1;
}
