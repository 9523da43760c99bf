// `handinger schedules create|list|cancel`: the subcommands, their
// arguments, and running the one the command line names.
#pragma once

#include "commands.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace handinger::cli {

class schedule_commands {
public:
    /// Adds `schedules` and its subcommands to `app`.
    explicit schedule_commands(CLI::App& app);

    /// Whether the parsed command line named one of them.
    bool given() const;
    /// Runs it (after parsing); the exit status.
    int run(const global_args& g) const;

private:
    CLI::App* create_ = nullptr;
    CLI::App* list_ = nullptr;
    CLI::App* cancel_ = nullptr;
    std::string worker_id_, schedule_id_, input_, budget_, at_, cron_, timezone_;
    std::optional<std::int64_t> delay_, every_;
};

} // namespace handinger::cli
