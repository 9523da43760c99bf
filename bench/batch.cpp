// bench/batch: client::async_submit_batch under a rate limit, and the same
// number of creates through the official TypeScript SDK.
//
// Part 0: each configuration once against a simulator without a limit: what
// it reaches unlimited, and the round trip at the smallest fixed limit.
//
// Part 1, the in-flight limit under a rate limit: N submissions to a simulator
// that answers 429 to POSTs beyond R per second (a token bucket, burst = R),
// once per configuration (adaptive, then the fixed limits) per round, each
// run on a fresh client (one pool for all: the largest limit), after a pause
// that lets the bucket refill. Per run: seconds, the simulator's rate_limited
// and duplicate_posts deltas, retries (the client's attempts minus the
// submissions), failures. Two simulators: creates answered at once (the
// capacity, R x round trip, is then below one in flight), and creates answered
// after ~10 ms (capacity about 20 in flight, between the fixed limits).
//
// Part 2, throughput against the TypeScript SDK: N creates with 64 in flight
// against a simulator without a rate limit, over HTTPS and over plain HTTP:
// our client (async_submit_batch, fixed limit 64, all results kept) in a
// child process (this program re-run with --child-ours; also with --stream:
// stream_batch, results dropped as read), and the SDK's tasks.create under a
// 64-slot semaphore in Promise.all (bench/ts_sdk/create_many.mjs under node).
// Both are measured alike: requests/s and CPU of the measured phase as each
// reports it (after a warm-up of the same shape), peak RSS (VmHWM) as each
// reports it and as sampled from /proc while it runs, the whole process's CPU
// from wait4.
//
// scripts/bench.sh batch starts the simulators, installs the SDK into a
// temporary directory and passes the URLs. Last line: one JSON object.
#include "bench_util.hpp"

#include <handinger/client.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <signal.h>
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
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace hd = handinger;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

struct args {
    int n = 10000;
    // Part 1
    std::string url, ca;                 // the rate-limited simulator, creates answered at once
    std::string latency_url, latency_ca; // the same limit, creates answered after ~10 ms
    int rate_limit = 0;                  // its limit (for the report; the simulator enforces it)
    std::string retry_after_form = "seconds";
    // The adaptive configuration: batch_options' defaults unless given.
    std::size_t initial = hd::batch_options{}.initial_in_flight,
                max_in_flight = hd::batch_options{}.max_in_flight;
    std::vector<std::size_t> fixed = {8, 64, 256};
    int max_retries = 2;
    int repeats = 3;
    int settle_ms = 1500; // pause before each run: the bucket refills (burst = rate, 1 s)
    int run_timeout_s = 120;
    // Part 2
    std::string open_url, open_ca, plain_url; // simulators without a rate limit
    std::string ts_dir;                       // the SDK installed there, with create_many.mjs
    int concurrency = 64;
    int warmup = 1000;
    int throughput_repeats = 5;
    std::string key = "sk-bench";
    // child mode
    bool child_ours = false;
    bool stream = false; // child: stream_batch, results dropped as read
};

std::string input_text(int i)
{
    return "Batch benchmark task " + std::to_string(i) + ": summarise the quarterly filings";
}

double kb_from_status(const std::string& field)
{
    std::ifstream st("/proc/self/status");
    for (std::string line; std::getline(st, line);)
        if (line.rfind(field, 0) == 0)
            return std::atof(line.c_str() + field.size());
    return 0;
}

// ---------------------------------------------------------------------------
// The simulator's /_sim endpoints (not part of the client library's API).

template <class Stream>
asio::awaitable<std::string> exchange(Stream& s, const std::string& host, http::verb verb,
                                      const std::string& target)
{
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, host);
    req.set(http::field::connection, "close");
    req.prepare_payload();
    co_await http::async_write(s, req, asio::use_awaitable);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    co_await http::async_read(s, buf, res, asio::use_awaitable);
    co_return res.body();
}

// One request to a simulator's control endpoint; throws on failure. Bounded: 10 s.
json::object sim_call(const std::string& base, const std::string& ca, http::verb verb,
                      const std::string& target)
{
    const bool tls = base.rfind("https://", 0) == 0;
    auto hostport = base.substr(tls ? 8 : 7);
    hostport = hostport.substr(0, hostport.find('/'));
    const auto colon = hostport.rfind(':');
    const auto host = hostport.substr(0, colon);
    const auto port = static_cast<unsigned short>(std::stoi(hostport.substr(colon + 1)));
    asio::io_context ioc;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    std::string body;
    std::exception_ptr err;
    auto op = [&]() -> asio::awaitable<void> {
        const asio::ip::tcp::endpoint ep(asio::ip::make_address(host), port);
        if (tls) {
            ctx.load_verify_file(ca);
            ctx.set_verify_mode(asio::ssl::verify_peer);
            beast::ssl_stream<beast::tcp_stream> s(ioc, ctx);
            beast::get_lowest_layer(s).expires_after(5s);
            co_await beast::get_lowest_layer(s).async_connect(ep, asio::use_awaitable);
            co_await s.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
            body = co_await exchange(s, hostport, verb, target);
        } else {
            beast::tcp_stream s(ioc);
            s.expires_after(5s);
            co_await s.async_connect(ep, asio::use_awaitable);
            body = co_await exchange(s, hostport, verb, target);
        }
    };
    asio::co_spawn(ioc, op(), [&](std::exception_ptr e) { err = e; });
    ioc.run_for(10s);
    if (err)
        std::rethrow_exception(err);
    if (body.empty())
        throw std::runtime_error("no answer from " + base + target);
    return json::parse(body).as_object();
}

long long counter(const json::object& o, const char* name)
{
    auto it = o.find(name);
    return it != o.end() && it->value().is_int64() ? it->value().as_int64() : 0;
}

// ---------------------------------------------------------------------------
// Part 1: one batch against the rate-limited simulator.

struct batch_run {
    std::string name;
    std::size_t limit = 0; // fixed limit, or 0 for adaptive
    double seconds = 0;
    long long rate_limited = 0, duplicates = 0, tasks_created = 0;
    long long attempts = 0, retries = 0, failures = 0, recovered = 0, connections = 0;
    std::map<std::string, long long> failure_kinds;
    std::size_t limit_min = 0, limit_max = 0;
    double limit_mean = 0;
    std::string limit_trace; // the adaptive limit every ~250 ms
    bool timed_out = false;
};

struct batch_setup {
    std::string url, ca, key;
    int n = 0;
    bool adaptive = true;
    std::size_t initial = 16, max_in_flight = 256, pool = 256;
    int max_retries = 2;
    int warmup = 0;
    int timeout_s = 120;
    bool stream = false; // stream_batch, each result dropped once read
};

struct batch_outcome {
    double seconds = 0, cpu_s = 0;
    long long failures = 0, recovered = 0, attempts = 0, connections = 0;
    std::map<std::string, long long> failure_kinds;
    std::string first_failure;
    std::vector<std::pair<double, std::size_t>> limits; // (seconds, limit) samples
    bool timed_out = false;
};

// Runs setup.warmup creates (not measured), then setup.n as the measured
// batch, on a fresh client and io_context.
batch_outcome run_batch(const batch_setup& s)
{
    asio::io_context ioc(1);
    hd::client_options o;
    o.base_url = s.url;
    o.api_key = s.key;
    o.tls.ca_file = s.ca;
    o.pool_size = s.pool;
    o.max_retries = s.max_retries;
    hd::client cl(ioc, o);

    auto make_inputs = [](int count, int base) {
        std::vector<hd::create_task_params> v(static_cast<std::size_t>(count));
        for (int i = 0; i < count; ++i)
            v[static_cast<std::size_t>(i)].input = input_text(base + i);
        return v;
    };
    auto options = [&] {
        hd::batch_options bo;
        bo.adaptive = s.adaptive;
        bo.initial_in_flight = s.initial;
        bo.max_in_flight = s.max_in_flight;
        return bo;
    };

    batch_outcome out;
    auto run_one = [&](std::vector<hd::create_task_params> inputs, hd::batch_options bo, bool measured) {
        asio::cancellation_signal stop;
        asio::steady_timer watchdog(ioc);
        bool timed_out = false;
        watchdog.expires_after(std::chrono::seconds(s.timeout_s));
        watchdog.async_wait([&](boost::system::error_code ec) {
            if (!ec) {
                timed_out = true;
                stop.emit(asio::cancellation_type::terminal);
            }
        });
        const auto t0 = clock_type::now();
        if (measured) {
            bo.progress_interval = 250ms;
            bo.on_progress = [&, t0](const hd::batch_progress& p) {
                out.limits.emplace_back(std::chrono::duration<double>(clock_type::now() - t0).count(),
                                        p.limit);
            };
        }
        const double cpu0 = bench::self_cpu();
        const auto att0 = cl.stats().attempts;
        std::vector<hd::batch_item_result> results;
        clock_type::time_point t1;
        if (s.stream) {
            // Results are read one by one and dropped; only failures are kept.
            auto shared = std::make_shared<std::vector<hd::create_task_params>>(std::move(inputs));
            auto next = std::make_shared<std::size_t>(0);
            auto stream = cl.stream_batch(
                [shared, next]() -> std::optional<hd::create_task_params> {
                    if (*next >= shared->size())
                        return std::nullopt;
                    return std::move((*shared)[(*next)++]);
                },
                std::move(bo));
            stop.slot().assign([&](asio::cancellation_type) { stream.cancel(); });
            asio::co_spawn(
                ioc,
                [&]() -> asio::awaitable<void> {
                    while (auto r = co_await stream.async_next())
                        if (r->ec)
                            results.push_back(std::move(*r));
                },
                [&](std::exception_ptr e) {
                    t1 = clock_type::now();
                    watchdog.cancel();
                    if (e)
                        std::rethrow_exception(e);
                });
            ioc.restart();
            ioc.run();
            stop.slot().clear();
        } else {
            cl.async_submit_batch(
                std::move(inputs), std::move(bo),
                asio::bind_cancellation_slot(stop.slot(),
                                             [&](std::exception_ptr e, std::vector<hd::batch_item_result> r) {
                                                 t1 = clock_type::now();
                                                 watchdog.cancel();
                                                 if (e)
                                                     std::rethrow_exception(e);
                                                 results = std::move(r);
                                             }));
            ioc.restart();
            ioc.run();
        }
        if (!measured)
            return;
        out.seconds = std::chrono::duration<double>(t1 - t0).count();
        out.cpu_s = bench::self_cpu() - cpu0;
        out.timed_out = timed_out;
        auto st = cl.stats();
        out.attempts = static_cast<long long>(st.attempts - att0);
        out.connections = static_cast<long long>(st.connections_created);
        for (auto& r : results) {
            if (r.recovered)
                ++out.recovered;
            if (!r.ec)
                continue;
            ++out.failures;
            ++out.failure_kinds[r.ec.message()];
            if (out.first_failure.empty())
                out.first_failure = r.diag ? r.diag->to_string(r.ec) : r.ec.message();
        }
    };
    if (s.warmup > 0)
        run_one(make_inputs(s.warmup, 1'000'000), options(), false);
    run_one(make_inputs(s.n, 0), options(), true);
    return out;
}

batch_run limited_run(const args& a, std::size_t fixed_limit)
{
    batch_setup s;
    s.url = a.url;
    s.ca = a.ca;
    s.key = a.key;
    s.n = a.n;
    s.adaptive = fixed_limit == 0;
    s.initial = s.adaptive ? a.initial : fixed_limit;
    s.max_in_flight = s.adaptive ? a.max_in_flight : fixed_limit;
    // The same pool for every configuration: the largest limit of the run.
    s.pool = a.max_in_flight;
    for (auto f : a.fixed)
        s.pool = std::max(s.pool, f);
    s.max_retries = a.max_retries;
    s.timeout_s = a.run_timeout_s;

    std::this_thread::sleep_for(std::chrono::milliseconds(a.settle_ms));
    const auto before = sim_call(a.url, a.ca, http::verb::get, "/_sim/stats");
    auto o = run_batch(s);
    const auto after = sim_call(a.url, a.ca, http::verb::get, "/_sim/stats");

    batch_run r;
    r.name = s.adaptive ? "adaptive" : "fixed " + std::to_string(fixed_limit);
    r.limit = fixed_limit;
    r.seconds = o.seconds;
    r.rate_limited = counter(after, "rate_limited") - counter(before, "rate_limited");
    r.duplicates = counter(after, "duplicate_posts") - counter(before, "duplicate_posts");
    r.tasks_created = counter(after, "tasks_created") - counter(before, "tasks_created");
    r.attempts = o.attempts;
    r.retries = o.attempts - a.n;
    r.failures = o.failures;
    r.recovered = o.recovered;
    r.connections = o.connections;
    r.failure_kinds = o.failure_kinds;
    r.timed_out = o.timed_out;
    if (!o.first_failure.empty())
        std::printf("  first failure: %s\n", o.first_failure.c_str());
    if (!o.limits.empty()) {
        r.limit_min = r.limit_max = o.limits.front().second;
        double sum = 0;
        std::ostringstream trace;
        for (auto& [t, l] : o.limits) {
            r.limit_min = std::min(r.limit_min, l);
            r.limit_max = std::max(r.limit_max, l);
            sum += static_cast<double>(l);
            trace << (trace.tellp() > 0 ? " " : "") << l;
        }
        r.limit_mean = sum / static_cast<double>(o.limits.size());
        r.limit_trace = trace.str();
    }
    return r;
}

// ---------------------------------------------------------------------------
// Part 2: children measured alike.

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
    const auto before = sim_call(url, ca, http::verb::get, "/_sim/stats");
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
    const auto after = sim_call(url, ca, http::verb::get, "/_sim/stats");
    auto s = measure(c, a.n);
    s.tasks_created = counter(after, "tasks_created") - counter(before, "tasks_created");
    s.duplicates = counter(after, "duplicate_posts") - counter(before, "duplicate_posts");
    return s;
}

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

std::vector<std::size_t> parse_list(const std::string& s)
{
    std::vector<std::size_t> v;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');)
        if (!item.empty())
            v.push_back(static_cast<std::size_t>(std::stoul(item)));
    return v;
}

args parse(int argc, char** argv)
{
    args a;
    bench::arg_reader r(argc, argv);
    for (auto k = r.next(); !k.empty(); k = r.next()) {
        if (k == "--n")
            a.n = std::stoi(r.value());
        else if (k == "--url")
            a.url = r.value();
        else if (k == "--ca")
            a.ca = r.value();
        else if (k == "--rate-limit")
            a.rate_limit = std::stoi(r.value());
        else if (k == "--retry-after-form")
            a.retry_after_form = r.value();
        else if (k == "--initial")
            a.initial = std::stoul(r.value());
        else if (k == "--max-in-flight")
            a.max_in_flight = std::stoul(r.value());
        else if (k == "--fixed")
            a.fixed = parse_list(r.value());
        else if (k == "--max-retries")
            a.max_retries = std::stoi(r.value());
        else if (k == "--repeats")
            a.repeats = std::max(1, std::stoi(r.value()));
        else if (k == "--settle-ms")
            a.settle_ms = std::stoi(r.value());
        else if (k == "--run-timeout")
            a.run_timeout_s = std::stoi(r.value());
        else if (k == "--open-url")
            a.open_url = r.value();
        else if (k == "--open-ca")
            a.open_ca = r.value();
        else if (k == "--plain-url")
            a.plain_url = r.value();
        else if (k == "--ts-dir")
            a.ts_dir = r.value();
        else if (k == "--concurrency")
            a.concurrency = std::stoi(r.value());
        else if (k == "--throughput-repeats")
            a.throughput_repeats = std::max(1, std::stoi(r.value()));
        else if (k == "--warmup")
            a.warmup = std::stoi(r.value());
        else if (k == "--key")
            a.key = r.value();
        else if (k == "--latency-url")
            a.latency_url = r.value();
        else if (k == "--latency-ca")
            a.latency_ca = r.value();
        else if (k == "--child-ours")
            a.child_ours = true;
        else if (k == "--stream")
            a.stream = true;
        else
            r.unknown();
    }
    return a;
}

template <class T>
T median_of(std::vector<T> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Part 1 for one rate-limited simulator: rounds of every configuration
// (interleaved, so that drift on the machine hits them alike), then the
// medians. `latency_ms`: the round trip of one create when not limited, if
// known (else it is taken from the smallest fixed limit's runs when they drew
// no 429); the capacity in flight is then rate x latency.
json::object rate_limited_scenario(const args& a, const std::string& url, const std::string& ca,
                                   const std::string& label, double latency_ms, long long& duplicates)
{
    args b = a;
    b.url = url;
    b.ca = ca;
    std::printf("%s: rate limit %d POST/s (429 hint: %s), max_retries %d, pool %zu, adaptive initial %zu "
                "max %zu; %d round(s)\n",
                label.c_str(), a.rate_limit, a.retry_after_form.c_str(), a.max_retries, a.max_in_flight,
                a.initial, a.max_in_flight, a.repeats);
    std::vector<std::size_t> configs = {0};
    configs.insert(configs.end(), a.fixed.begin(), a.fixed.end());
    std::map<std::size_t, std::vector<batch_run>> runs;
    for (int rep = 0; rep < a.repeats; ++rep)
        for (auto c : configs) {
            auto r = limited_run(b, c);
            std::printf("  %-12s %6.2f s  429s %6lld  retries %6lld  failed %5lld  duplicates %lld  created "
                        "%lld  connections %lld%s",
                        r.name.c_str(), r.seconds, r.rate_limited, r.retries, r.failures, r.duplicates,
                        r.tasks_created, r.connections, r.timed_out ? "  TIMED OUT" : "");
            for (auto& [k, v] : r.failure_kinds)
                std::printf("  [%s: %lld]", k.c_str(), v);
            if (c == 0)
                std::printf("\n    limit min %zu max %zu mean %.1f; sampled: %s", r.limit_min, r.limit_max,
                            r.limit_mean, r.limit_trace.c_str());
            std::printf("\n");
            std::fflush(stdout);
            duplicates += r.duplicates;
            runs[c].push_back(std::move(r));
        }

    json::object out;
    auto median_field = [&](std::size_t c, auto field) {
        std::vector<long long> v;
        for (auto& r : runs[c])
            v.push_back(r.*field);
        return median_of(v);
    };
    auto median_seconds = [&](std::size_t c) {
        std::vector<double> v;
        for (auto& r : runs[c])
            v.push_back(r.seconds);
        return median_of(v);
    };
    auto mean_limit = [&](std::size_t c) {
        double sum = 0;
        for (auto& r : runs[c])
            sum += r.limit_mean;
        return sum / static_cast<double>(runs[c].size());
    };
    // The round trip, from the smallest fixed limit when it was never limited.
    const auto smallest = *std::min_element(a.fixed.begin(), a.fixed.end());
    if (latency_ms <= 0 && median_field(smallest, &batch_run::rate_limited) == 0)
        latency_ms = static_cast<double>(smallest) * median_seconds(smallest) / a.n * 1000.0;
    const double capacity = latency_ms > 0 ? a.rate_limit * latency_ms / 1000.0 : 0;

    std::printf("  medians over %d round(s); round trip %.3f ms, so the capacity is %.2f in flight:\n",
                a.repeats, latency_ms, capacity);
    json::array fixed_out;
    double best_fixed = 0;
    std::size_t best_limit = 0;
    long long least_429_above = -1;
    bool timed_out = false;
    for (auto c : configs) {
        const auto sec = median_seconds(c);
        const auto rl = median_field(c, &batch_run::rate_limited);
        const auto re = median_field(c, &batch_run::retries);
        const auto fa = median_field(c, &batch_run::failures);
        for (auto& r : runs[c])
            timed_out = timed_out || r.timed_out;
        std::printf("    %-12s %6.2f s  429s %6lld  retries %6lld  failed %5lld%s\n",
                    c == 0 ? "adaptive" : ("fixed " + std::to_string(c)).c_str(), sec, rl, re, fa,
                    c == 0 ? ("  (limit mean " + std::to_string(mean_limit(0)).substr(0, 5) + ")").c_str()
                           : "");
        json::array all_s, all_429;
        for (auto& r : runs[c]) {
            all_s.push_back(r.seconds);
            all_429.push_back(r.rate_limited);
        }
        if (c == 0) {
            out["adaptive_s"] = sec;
            out["adaptive_rate_limited"] = rl;
            out["adaptive_retries"] = re;
            out["adaptive_failures"] = fa;
            out["adaptive_runs_s"] = all_s;
            out["adaptive_runs_rate_limited"] = all_429;
            out["adaptive_limit_mean"] = mean_limit(0);
            continue;
        }
        json::object f;
        f["limit"] = c;
        f["seconds"] = sec;
        f["rate_limited"] = rl;
        f["retries"] = re;
        f["failures"] = fa;
        f["runs_s"] = all_s;
        f["runs_rate_limited"] = all_429;
        fixed_out.push_back(f);
        // Only a limit that completed every input can be the best.
        if (fa == 0 && (best_fixed == 0 || sec < best_fixed)) {
            best_fixed = sec;
            best_limit = c;
        }
        // At or above the capacity (unknown capacity: every limit counts).
        if (static_cast<double>(c) >= capacity && (least_429_above < 0 || rl < least_429_above))
            least_429_above = rl;
    }
    out["fixed"] = fixed_out;
    out["round_trip_ms"] = latency_ms;
    out["capacity_in_flight"] = capacity;
    out["best_fixed_limit"] = best_limit;
    out["best_fixed_s"] = best_fixed;
    json::object targets;
    const double ad = median_seconds(0);
    const auto ad429 = median_field(0, &batch_run::rate_limited);
    if (best_fixed > 0) {
        out["adaptive_vs_best_fixed"] = ad / best_fixed;
        targets["adaptive_within_10pct"] =
            ad <= 1.10 * best_fixed && median_field(0, &batch_run::failures) == 0;
    }
    targets["adaptive_fewer_429s"] = least_429_above >= 0 && ad429 < least_429_above;
    out["targets"] = targets;
    out["timed_out"] = timed_out;
    return out;
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

int main(int argc, char** argv)
{
    auto a = parse(argc, argv);
    if (a.child_ours)
        return child_ours(a);

    json::object out;
    bool ok = true;
    std::printf("batch: %d submissions per run\n", a.n);

    // -- Part 0: what each limit reaches without a rate limit (the capacity
    // of the immediate scenario in flight: rate x round trip).
    json::object unlimited;
    double round_trip_ms = 0;
    if (!a.open_url.empty()) {
        std::printf("without a rate limit (HTTPS simulator, one run each):\n");
        std::vector<std::size_t> limits = a.fixed;
        limits.insert(limits.begin(), 0);
        for (auto l : limits) {
            batch_setup s;
            s.url = a.open_url;
            s.ca = a.open_ca;
            s.key = a.key;
            s.n = a.n;
            s.adaptive = l == 0;
            s.initial = l == 0 ? a.initial : l;
            s.max_in_flight = l == 0 ? a.max_in_flight : l;
            s.pool =
                std::max<std::size_t>(a.max_in_flight, *std::max_element(a.fixed.begin(), a.fixed.end()));
            s.max_retries = a.max_retries;
            s.timeout_s = a.run_timeout_s;
            auto o = run_batch(s);
            const double rps = a.n / o.seconds;
            const std::string name = l == 0 ? "adaptive" : std::to_string(l);
            std::printf("  %-9s %8.0f req/s  %lld failed\n", name.c_str(), rps, o.failures);
            unlimited[name] = rps;
            if (l == *std::min_element(a.fixed.begin(), a.fixed.end()))
                round_trip_ms = static_cast<double>(l) / rps * 1000.0;
        }
    }
    out["unlimited_rps"] = unlimited;

    // -- Part 1: the limits under the rate limit. The figures are
    // those of the immediate simulator (creates answered at once); the
    // second simulator answers each create after ~10 ms.
    long long duplicates = 0;
    json::object immediate, latency;
    if (!a.url.empty()) {
        immediate = rate_limited_scenario(a, a.url, a.ca, "immediate creates", round_trip_ms, duplicates);
        for (auto& kv : immediate)
            out[kv.key()] = kv.value();
        ok = ok && !immediate["timed_out"].as_bool();
    }
    if (!a.latency_url.empty()) {
        latency =
            rate_limited_scenario(a, a.latency_url, a.latency_ca, "creates taking ~10 ms", 0, duplicates);
        out["with_latency"] = latency;
        ok = ok && !latency["timed_out"].as_bool();
    }
    out["duplicates"] = duplicates;

    // -- Part 2: ours against the TypeScript SDK.
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
    for (auto* s : {&ours, &ours_plain, &ours_stream})
        if (!s->ok && s->seconds > 0)
            ok = false;

    // -- Targets (the rate-limit ones per scenario, above).
    json::object targets;
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
    if (!immediate.empty())
        for (auto& kv : immediate["targets"].as_object())
            targets[kv.key()] = kv.value();
    if (!latency.empty())
        for (auto& kv : latency["targets"].as_object())
            targets[std::string(kv.key()) + "_with_latency"] = kv.value();
    out["targets"] = targets;
    out["n"] = a.n;
    out["rate_limit_rps"] = a.rate_limit;
    out["retry_after_form"] = a.retry_after_form;
    out["max_retries"] = a.max_retries;
    out["repeats"] = a.repeats;
    out["concurrency"] = a.concurrency;
    std::cout << json::serialize(out) << std::endl;
    return ok ? 0 : 1;
}
