// The `handinger` command-line tool: what the parser hands to the commands.
#pragma once

#include <handinger/models.hpp>
#include <handinger/options.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace handinger::cli {

/// Exit statuses of the tool (also listed in `handinger --help`).
enum exit_code : int {
    exit_ok = 0,           ///< the call succeeded; a watched task completed
    exit_failed = 1,       ///< a call failed (HTTP error, connection, TLS), or a batch input failed
    exit_usage = 2,        ///< bad input: unknown flag, missing value, malformed JSON Lines input
    exit_task_error = 3,   ///< the watched task ended with status error
    exit_task_aborted = 4, ///< ... ended aborted, or with a status this tool does not know
    exit_timeout = 5,      ///< the watch's deadline or stall timeout expired
    exit_interrupted = 130 ///< SIGINT or SIGTERM
};

enum class output_format { pretty, json, jsonl };

/// Settings shared by every subcommand.
struct global_args {
    std::string api_key;             ///< empty: $HANDINGER_API_KEY
    std::string base_url;            ///< empty: $HANDINGER_BASE_URL, else the default
    std::string ca_file;             ///< empty: $HANDINGER_CA_FILE
    std::optional<double> timeout_s; ///< per-attempt timeout
    std::optional<int> max_retries;
    output_format format = output_format::pretty;
    bool debug = false;
    bool allow_insecure_http = false; ///< http:// to a host that is not loopback
};

struct create_args {
    create_task_params params;
    bool wait = false;
    bool watch = false;
    std::optional<double> deadline_s; ///< with --wait or --watch
};

struct watch_args {
    std::string task_id;
    std::optional<double> deadline_s;
};

struct batch_args {
    std::string file;                  ///< "-" for standard input
    std::size_t concurrency = 16;      ///< the in-flight limit (the start, with adaptive)
    std::size_t max_concurrency = 256; ///< the ceiling, with adaptive
    bool adaptive = false;
    bool wait = false;
    std::optional<double> deadline_s;   ///< per watch, with --wait
    std::optional<std::string> journal; ///< --journal: where the batch's record goes
};

struct webhooks_args {
    std::string action; ///< get, set, delete, rotate or executions
    std::string worker_id;
    std::string url;                  ///< set
    std::optional<std::int64_t> page; ///< executions: this page only
    bool all = false;                 ///< executions: every page
};

/// Largest number of seconds a duration flag takes (about 31 years).
constexpr double max_seconds = 1e9;

/// A duration flag's value (checked: finite, in (0, max_seconds]) in whole
/// milliseconds, rounded up so that a tiny positive value stays positive.
std::chrono::milliseconds to_ms(double seconds);

/// Client options from the global arguments (environment filled in by the
/// client itself).
client_options make_client_options(const global_args& g);

int run_create(const global_args& g, const create_args& a);
int run_get(const global_args& g, const std::string& task_id);
int run_archive(const global_args& g, const std::string& task_id);
int run_turns(const global_args& g, const std::string& task_id);
int run_watch(const global_args& g, const watch_args& a);
int run_batch(const global_args& g, const batch_args& a);

/// Adds `webhooks get|set|delete|rotate|executions` to `app`, parsed into `a`
/// (webhooks.cpp); returns the `webhooks` command.
CLI::App* add_webhooks_command(CLI::App& app, webhooks_args& a);
int run_webhooks(const global_args& g, const webhooks_args& a);

} // namespace handinger::cli
