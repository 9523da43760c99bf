// handinger-fault-proxy: the fault proxy as a program, for trying faults by
// hand against the simulator (or any TCP service on loopback).
//
//   handinger-fault-proxy --target 127.0.0.1:8443 [--port 0] [--seed 1]
//       [--refuse P] [--fault P] [--reset P] [--to-client P]
//       [--max-offset-to-server N] [--max-offset-to-client N]
//       [--until-closed P] [--min-stall-ms N] [--max-stall-ms N] [--deliver-late P]
//       [--plan PLAN]... [--max-seconds S]
//
// Prints "127.0.0.1:PORT" once listening, runs until SIGINT or SIGTERM or
// --max-seconds (default 600), then prints its counters as one JSON line.
// --plan (repeatable) scripts the first connections, in the form of
// fault_proxy::to_string: "reset,dir=to_server,flight=1,offset=100",
// "stall,dir=to_client,offset=0,for=1500,late", "refuse", "pass".
#include "fault_proxy.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

namespace fp = handinger::fault_proxy;

namespace {

[[noreturn]] void usage(const std::string& why)
{
    std::cerr
        << "handinger-fault-proxy: " << why << "\n"
        << "usage: handinger-fault-proxy --target HOST:PORT [--port N] [--seed N] [--refuse P] [--fault P]\n"
           "  [--reset P] [--to-client P] [--max-offset-to-server N] [--max-offset-to-client N]\n"
           "  [--until-closed P] [--min-stall-ms N] [--max-stall-ms N] [--deliver-late P]\n"
           "  [--plan PLAN]... [--max-seconds S]\n";
    std::exit(2);
}

} // namespace

int main(int argc, char** argv)
{
    fp::options o;
    std::vector<fp::plan> plans;
    long max_seconds = 600;
    bool have_target = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                usage("missing value for " + a);
            return argv[++i];
        };
        try {
            if (a == "--target") {
                auto v = value();
                auto colon = v.rfind(':');
                if (colon == std::string::npos)
                    usage("--target wants HOST:PORT");
                o.target_host = v.substr(0, colon);
                o.target_port = static_cast<unsigned short>(std::stoul(v.substr(colon + 1)));
                have_target = true;
            } else if (a == "--port")
                o.listen_port = static_cast<unsigned short>(std::stoul(value()));
            else if (a == "--seed")
                o.seed = std::stoull(value());
            else if (a == "--refuse")
                o.random.refuse = std::stod(value());
            else if (a == "--fault")
                o.random.fault = std::stod(value());
            else if (a == "--reset")
                o.random.reset = std::stod(value());
            else if (a == "--to-client")
                o.random.to_client = std::stod(value());
            else if (a == "--max-offset-to-server")
                o.random.max_offset_to_server = std::stoull(value());
            else if (a == "--max-offset-to-client")
                o.random.max_offset_to_client = std::stoull(value());
            else if (a == "--until-closed")
                o.random.stall_until_closed = std::stod(value());
            else if (a == "--min-stall-ms")
                o.random.min_stall = std::chrono::milliseconds(std::stol(value()));
            else if (a == "--max-stall-ms")
                o.random.max_stall = std::chrono::milliseconds(std::stol(value()));
            else if (a == "--deliver-late")
                o.random.deliver_late = std::stod(value());
            else if (a == "--plan") {
                auto v = value();
                auto p = fp::parse_plan(v);
                if (!p)
                    usage("bad plan '" + v + "'");
                plans.push_back(*p);
            } else if (a == "--max-seconds")
                max_seconds = std::stol(value());
            else
                usage("unknown option " + a);
        } catch (const std::exception&) {
            usage("bad value for " + a);
        }
    }
    if (!have_target)
        usage("--target is required");

    // The signals are taken synchronously below: block them in every thread.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);

    fp::proxy p(o);
    p.script(plans);
    p.start();
    std::cout << p.address() << std::endl;
    timespec limit{max_seconds, 0};
    sigtimedwait(&set, nullptr, &limit);
    p.stop();
    auto s = p.stats();
    std::printf(
        "{\"connections\":%llu,\"faults\":%llu,\"refused\":%llu,\"resets\":%llu,\"stalls\":%llu,"
        "\"late_deliveries\":%llu,\"dropped\":%llu,\"bytes_to_server\":%llu,\"bytes_to_client\":%llu}\n",
        (unsigned long long)s.connections, (unsigned long long)s.faults(), (unsigned long long)s.refused,
        (unsigned long long)s.resets, (unsigned long long)s.stalls, (unsigned long long)s.late_deliveries,
        (unsigned long long)s.dropped, (unsigned long long)s.bytes_to_server,
        (unsigned long long)s.bytes_to_client);
    return 0;
}
