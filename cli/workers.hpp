// `handinger workers create|get|update|delete|email`: the Workers resource.
#pragma once

#include "commands.hpp"

#include <memory>
#include <optional>

namespace CLI {
class App;
}

namespace handinger::cli {

/// The `workers` subcommands, added to `app` by the constructor; after the
/// parse, run() carries out the one chosen.
class workers_command {
public:
    explicit workers_command(CLI::App& app);
    ~workers_command();
    workers_command(const workers_command&) = delete;
    workers_command& operator=(const workers_command&) = delete;

    /// The exit status of the workers subcommand chosen, or nothing when
    /// none was.
    std::optional<int> run(const global_args& g);

private:
    struct state;
    std::unique_ptr<state> s_;
};

} // namespace handinger::cli
