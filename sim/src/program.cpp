// The simulator as a program (handinger-sim, and `handinger sim`): prints its
// URL as the first line of stdout, serves until SIGINT or SIGTERM, then stops
// cleanly.
#include <handinger/sim/program.hpp>
#include <handinger/sim/simulator.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <string_view>

namespace {

using handinger::sim::options;

constexpr const char* usage = R"(usage: %s [options]
A local imitation of the Handinger Tasks API (see sim/include/handinger/sim/simulator.hpp).
Prints its URL as the first line of stdout; stops on SIGINT/SIGTERM.

  --host ADDR               listen address (default 127.0.0.1)
  --port N                  port, 0 = pick a free one (default 0)
  --plain-http              serve HTTP instead of HTTPS
  --api-key KEY             accepted bearer key (default sk-sim-test)
  --other-key KEY           a further accepted key that may not archive others' tasks (repeatable)
  --ca-out FILE             write the generated CA certificate (PEM) to FILE
  --cert FILE, --key FILE   serve this certificate and key instead of generating them
  --create-mode MODE        immediate | wait (default immediate)
  --retrieve-shape SHAPE    with-turns | task-only (default with-turns)
  --pending-ms N            pending phase of a run (default 300)
  --turn-ms N               length of a turn (default 400)
  --turns N                 turns per run (default 3)
  --text-steps N            steps in which a running turn's text grows (default 4)
  --seed N                  seed of ids, texts and fault draws (default 1)
  --threads N               server threads (default 1)
  --fault-429 PCT           percent of /api requests answered 429
  --fault-5xx PCT           ... answered 500 or 503
  --fault-reset PCT         ... reset before processing (no response)
  --fault-lost PCT          ... processed, then reset (no response)
  --fault-stall PCT         ... processed, then silent for --stall-ms, then closed
  --fault-truncate PCT      ... processed, half the body sent, then closed
  --fault-slow PCT          ... processed, body sent over about a second
  --fault-no-retry PCT      ... answered 503 with x-should-retry: false
  --retry-after-form FORM   none | ms | seconds | http-date (default seconds)
  --retry-after-ms N        value of the retry hint (default 1000)
  --rate-limit RPS          POST /api/tasks beyond RPS per second get 429 (default 0 = off)
  --stall-ms N              how long a stalled response hangs (default 30000)
  --idle-close-ms N         close keep-alive connections idle this long (default 0 = never)
  --close-each              Connection: close on every response
  --no-session-tickets      offer no TLS session resumption (no tickets, no cache)
  --chunked                 chunked response bodies
  --http10                  answer as HTTP/1.0
  --stamp-visibility        add simVisibleAtMs to each turn
  --webhook-delay-ms N      POST a webhook delivery N ms after its task finishes (default 0)
  --webhook-timeout-ms N    bound on one delivery attempt (default 5000)
  --schedule-second-ms N    how long one second of a schedule's delay or interval lasts (default 1000)
  --help                    this text
Input directives (#fail, #abort, #status:WORD, #turns:N, #pending-ms:N, #turn-ms:N,
#fault:KIND[:N], #get-fault:KIND[:N], #null-fields, #structured:JSON) are described in
the header. A task on a worker with an outputSchema gets structured output generated
from it.
)";

struct bad_args {
    std::string message;
};

long long to_int(std::string_view flag, const std::string& v, long long lo, long long hi)
{
    try {
        std::size_t used = 0;
        long long n = std::stoll(v, &used);
        if (used == v.size() && n >= lo && n <= hi)
            return n;
    } catch (const std::exception&) {
    }
    throw bad_args{std::string(flag) + ": expected an integer in [" + std::to_string(lo) + ", " +
                   std::to_string(hi) + "], got '" + v + "'"};
}

double to_pct(std::string_view flag, const std::string& v)
{
    try {
        std::size_t used = 0;
        double d = std::stod(v, &used);
        if (used == v.size() && d >= 0 && d <= 100)
            return d;
    } catch (const std::exception&) {
    }
    throw bad_args{std::string(flag) + ": expected a percentage in [0, 100], got '" + v + "'"};
}

options parse_args(int argc, char** argv, bool& help)
{
    options o;
    using ms = std::chrono::milliseconds;
    using setter = std::function<void(const std::string&)>;
    const std::map<std::string, setter, std::less<>> with_value{
        {"--host", [&](auto& v) { o.host = v; }},
        {"--port", [&](auto& v) { o.port = static_cast<unsigned short>(to_int("--port", v, 0, 65535)); }},
        {"--api-key", [&](auto& v) { o.api_key = v; }},
        {"--other-key", [&](auto& v) { o.other_keys.push_back(v); }},
        {"--ca-out", [&](auto& v) { o.ca_out = v; }},
        {"--cert", [&](auto& v) { o.cert_file = v; }},
        {"--key", [&](auto& v) { o.key_file = v; }},
        {"--create-mode",
         [&](auto& v) {
             if (v != "immediate" && v != "wait")
                 throw bad_args{"--create-mode: expected immediate or wait, got '" + v + "'"};
             o.create =
                 v == "wait" ? handinger::sim::create_mode::wait : handinger::sim::create_mode::immediate;
         }},
        {"--retrieve-shape",
         [&](auto& v) {
             if (v != "with-turns" && v != "task-only")
                 throw bad_args{"--retrieve-shape: expected with-turns or task-only, got '" + v + "'"};
             o.shape = v == "task-only" ? handinger::sim::retrieve_shape::task_only
                                        : handinger::sim::retrieve_shape::with_turns;
         }},
        {"--pending-ms", [&](auto& v) { o.pending = ms(to_int("--pending-ms", v, 0, 3'600'000)); }},
        {"--turn-ms", [&](auto& v) { o.turn = ms(to_int("--turn-ms", v, 0, 3'600'000)); }},
        {"--turns", [&](auto& v) { o.turns_per_task = static_cast<int>(to_int("--turns", v, 0, 100)); }},
        {"--text-steps",
         [&](auto& v) { o.text_steps = static_cast<int>(to_int("--text-steps", v, 1, 1000)); }},
        {"--seed", [&](auto& v) { o.seed = static_cast<std::uint64_t>(to_int("--seed", v, 0, INT64_MAX)); }},
        {"--threads", [&](auto& v) { o.threads = static_cast<int>(to_int("--threads", v, 1, 256)); }},
        {"--fault-429", [&](auto& v) { o.p429 = to_pct("--fault-429", v); }},
        {"--fault-5xx", [&](auto& v) { o.p5xx = to_pct("--fault-5xx", v); }},
        {"--fault-reset", [&](auto& v) { o.p_reset_before = to_pct("--fault-reset", v); }},
        {"--fault-lost", [&](auto& v) { o.p_reset_after = to_pct("--fault-lost", v); }},
        {"--fault-stall", [&](auto& v) { o.p_stall = to_pct("--fault-stall", v); }},
        {"--fault-truncate", [&](auto& v) { o.p_truncate = to_pct("--fault-truncate", v); }},
        {"--fault-slow", [&](auto& v) { o.p_slow = to_pct("--fault-slow", v); }},
        {"--fault-no-retry", [&](auto& v) { o.p_no_retry = to_pct("--fault-no-retry", v); }},
        {"--retry-after-form",
         [&](auto& v) {
             using f = handinger::sim::retry_after_form;
             if (v == "none")
                 o.retry_after = f::none;
             else if (v == "ms")
                 o.retry_after = f::ms;
             else if (v == "seconds")
                 o.retry_after = f::seconds;
             else if (v == "http-date")
                 o.retry_after = f::http_date;
             else
                 throw bad_args{"--retry-after-form: expected none, ms, seconds or http-date, got '" + v +
                                "'"};
         }},
        {"--retry-after-ms",
         [&](auto& v) { o.retry_after_value = ms(to_int("--retry-after-ms", v, 0, 86'400'000)); }},
        {"--rate-limit",
         [&](auto& v) { o.rate_limit_rps = static_cast<int>(to_int("--rate-limit", v, 0, 10'000'000)); }},
        {"--stall-ms", [&](auto& v) { o.stall = ms(to_int("--stall-ms", v, 0, 3'600'000)); }},
        {"--idle-close-ms", [&](auto& v) { o.idle_close = ms(to_int("--idle-close-ms", v, 0, 3'600'000)); }},
        {"--webhook-delay-ms",
         [&](auto& v) { o.webhook_delay = ms(to_int("--webhook-delay-ms", v, 0, 3'600'000)); }},
        {"--webhook-timeout-ms",
         [&](auto& v) { o.webhook_timeout = ms(to_int("--webhook-timeout-ms", v, 1, 3'600'000)); }},
        {"--schedule-second-ms",
         [&](auto& v) { o.schedule_second = ms(to_int("--schedule-second-ms", v, 1, 3'600'000)); }},
    };
    const std::map<std::string, std::function<void()>, std::less<>> switches{
        {"--plain-http", [&] { o.plain_http = true; }},
        {"--close-each", [&] { o.close_each = true; }},
        {"--no-session-tickets", [&] { o.session_tickets = false; }},
        {"--chunked", [&] { o.chunked = true; }},
        {"--http10", [&] { o.http10 = true; }},
        {"--stamp-visibility", [&] { o.stamp_visibility = true; }},
        {"--help", [&] { help = true; }},
        {"-h", [&] { help = true; }},
    };
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        std::string value;
        bool inline_value = false;
        if (auto eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
            value = arg.substr(eq + 1);
            arg.resize(eq);
            inline_value = true;
        }
        if (auto s = switches.find(arg); s != switches.end() && !inline_value) {
            s->second();
        } else if (auto w = with_value.find(arg); w != with_value.end()) {
            if (!inline_value) {
                if (i + 1 >= argc)
                    throw bad_args{arg + ": missing value"};
                value = argv[++i];
            }
            w->second(value);
        } else {
            throw bad_args{"unknown option '" + std::string(argv[i]) + "' (see --help)"};
        }
    }
    return o;
}

} // namespace

int handinger::sim::run_program(int argc, char** argv, const char* name)
{
    bool help = false;
    options opts;
    try {
        opts = parse_args(argc, argv, help);
    } catch (const bad_args& e) {
        std::fprintf(stderr, "%s: %s\n", name, e.message.c_str());
        return 2;
    }
    if (help) {
        std::printf(usage, name);
        return 0;
    }

    // Block the stop signals before any thread starts, so that they all
    // inherit the mask and only sigwait below ever sees them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    try {
        handinger::sim::simulator sim(opts);
        sim.start();
        std::printf("%s\n", sim.url().c_str());
        std::fflush(stdout);
        int sig = 0;
        sigwait(&stop_signals, &sig);
        sim.stop();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", name, e.what());
        return 1;
    }
    return 0;
}
