// Internal: the state behind handinger::client and the retry loop shared by
// every operation. No Beast here (the transport hides it).
#pragma once

#include "http/transport.hpp"
#include "policy/retry.hpp"

#include <handinger/client.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace handinger::detail {

/// The options after the environment is applied.
struct resolved_options {
    client_options opts;
    http::endpoint ep;
    std::string api_key;
};

/// Applies HANDINGER_BASE_URL, HANDINGER_API_KEY, HANDINGER_CUSTOM_HEADERS,
/// HANDINGER_ALLOW_INSECURE_HTTP and HANDINGER_LOG. Throws
/// api_error(invalid_argument) when no key is found, the base URL is invalid,
/// or it is plain http:// to a host that is not loopback without
/// allow_insecure_http. No message holds the key or the URL's user info.
resolved_options resolve_options(client_options o);

/// Parses "Name: value" lines; malformed lines are skipped.
header_list parse_header_lines(std::string_view text);

/// "" when every header has a token name and a value without CR, LF or NUL;
/// else "headers: ..." naming the bad one (they go onto the wire as they are).
std::string check_headers(const header_list& h);

/// One HTTP call's outcome after retries.
struct call_outcome {
    boost::system::error_code ec;
    diagnostics diag;
    int status = 0;
    std::string body;
    bool recovered = false; ///< a lost POST was found to have taken effect
};

/// How a POST /api/tasks may be checked for having taken effect. A new task
/// took effect when the task exists. A follow-up took effect when more turns
/// carry its input than before: a count of all turns would also grow with the
/// turns of an earlier run still in progress.
struct post_probe {
    std::string_view task_id; ///< (both views into the create's own state,
    std::string_view input;   ///<  which outlives the call)
    bool existed_before = false;
    std::size_t matching_before = 0; ///< turns whose input is `input`, before the POST
};

/// create_op, where `fresh_id` says the task id was just generated (so it
/// cannot name an existing task: no check before the POST).
boost::asio::awaitable<op_result<create_result>> create_fresh_op(impl_ptr impl, create_task_params p,
                                                                 request_options ro, bool fresh_id);

/// Turns of `t` whose input is `input`.
std::size_t count_matching_turns(const task_with_turns& t, std::string_view input);

class watch_hub;

/// Empties `o` and lets go of its memory resource. Assigning an empty object
/// would not: it keeps `o`'s resource, which for a model's `raw` is the arena
/// of the whole parsed response.
inline void release_json(boost::json::object& o) noexcept
{
    std::destroy_at(&o);
    std::construct_at(&o);
}

class client_impl : public std::enable_shared_from_this<client_impl> {
public:
    client_impl(boost::asio::any_io_executor ex, client_options opts);
    ~client_impl();

    /// Performs method+target with retries per the policy. With `probe`, an
    /// ambiguous POST failure is checked by retrieving the task before any
    /// resend. Must run on a strand, or on an executor that runs handlers one
    /// at a time (op_executor()).
    boost::asio::awaitable<void> call(std::string_view method, std::string target, std::string body,
                                      const request_options& ro, const post_probe* probe, call_outcome& out);

    /// "/api/tasks" with the base path prefix.
    std::string tasks_path() const { return opts_.ep.path_prefix + "/api/tasks"; }
    /// "/api/tasks/{id}" (+ suffix) with the base path prefix.
    std::string task_path(std::string_view id, std::string_view suffix = {}) const;

    void log(log_level lv, std::string_view line) const;
    bool logs(log_level lv) const { return logger_ && lv >= opts_.opts.level; }

    /// The client is being destroyed: refuse new exchanges, wake calls that
    /// wait to retry (they complete with error::cancelled).
    void shutdown();

    boost::asio::any_io_executor executor() const { return ex_; }
    /// A strand for an operation or a watcher: one of a few shared by all
    /// the operations and watchers of this client, in turn. A new strand each
    /// would cost an allocation per call and ~250 bytes per watcher; shared,
    /// they still let up to `strand_count` of them run in parallel. When the
    /// client's executor runs handlers one at a time (runs_serially), the
    /// executor itself: a strand on top would only cost a dispatch per
    /// completion.
    boost::asio::any_io_executor strand();
    /// runs_serially(executor()), found once.
    bool runs_serially() const { return serial_; }
    const client_options& options() const { return opts_.opts; }
    http::transport& transport() { return transport_; }
    watch_hub& hub() { return *hub_; }
    std::uint64_t attempts() const { return attempts_.load(); }

private:
    // Checks whether a POST that may have been delivered took effect. Returns
    // true (visible), false (not visible: safe to resend), or nullopt
    // (unknown: do not resend).
    boost::asio::awaitable<std::optional<bool>> probe_visible(const post_probe& p, const request_options& ro,
                                                              std::string& why);

    // What checking a POST's effect found.
    enum class delivery_check {
        present,   // it took effect: do not resend
        absent,    // no trace of it: resend
        unknown,   // could not tell (`why` says why): do not resend
        cancelled, // the call was cancelled meanwhile
    };
    // Checks (probe_visible) whether a failed POST, which ended as `how`,
    // took effect; for one the client gave up on, looks again an attempt
    // timeout later before calling it absent (policy/retry.hpp:
    // after_absent). Within `overall`.
    boost::asio::awaitable<delivery_check> check_delivery(const post_probe& p, delivery how,
                                                          const request_options& ro,
                                                          std::chrono::milliseconds timeout,
                                                          std::chrono::steady_clock::time_point overall,
                                                          std::string& why);

    using wait_timer = boost::asio::steady_timer;
    // Waits `d` (a retry's backoff, a check's settling time); false when
    // cancelled or the client shut down meanwhile.
    boost::asio::awaitable<bool> pause(std::chrono::milliseconds d);
    // Registers a retry wait so shutdown() can wake it; false when already shut.
    bool add_wait(const std::shared_ptr<wait_timer>& t);
    void remove_wait(const std::shared_ptr<wait_timer>& t);

    boost::asio::any_io_executor ex_;
    resolved_options opts_;
    std::mutex waits_mu_;
    std::vector<std::shared_ptr<wait_timer>> waits_;
    bool shut_ = false;
    logger_fn logger_;
    http::transport transport_;
    std::unique_ptr<watch_hub> hub_;
    std::atomic<std::uint64_t> attempts_{0};
    static constexpr std::size_t strand_count = 64;
    std::mutex strands_mu_;
    std::vector<boost::asio::any_io_executor> strands_; // made as they are first needed
    std::size_t next_strand_ = 0;
    bool serial_ = false; // runs_serially(ex_)
};

/// True when `ex` never runs two handlers at once: a strand, or the executor
/// of an io_context made with a concurrency hint of 1 (one thread runs it)
/// or with one of the hints that turn its locking off.
bool runs_serially(const boost::asio::any_io_executor& ex);

} // namespace handinger::detail
