// The simulator's command line, shared by `handinger-sim` and `handinger sim`.
#pragma once

namespace handinger::sim {

/// Parses argv[1..argc) as handinger-sim's options, starts the simulator,
/// prints its URL as the first line of stdout and serves until SIGINT or
/// SIGTERM. `name` prefixes messages and the usage text. Returns the exit
/// status: 0 after a clean stop or --help, 1 when the simulator could not
/// start, 2 on bad arguments. Blocks SIGINT and SIGTERM in the calling thread.
int run_program(int argc, char** argv, const char* name);

} // namespace handinger::sim
