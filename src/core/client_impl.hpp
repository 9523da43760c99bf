// Internal: the state behind handinger::client and the retry loop shared by
// every operation. No Beast here (the transport hides it).
#pragma once

#include "http/transport.hpp"
#include "policy/retry_driver.hpp"

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
    /// The proxy in effect (client_options::proxy, else the environment,
    /// unless no_proxy says the host is reached directly).
    std::optional<http::proxy_endpoint> proxy;
};

/// Applies HANDINGER_BASE_URL, HANDINGER_API_KEY, HANDINGER_CUSTOM_HEADERS,
/// HANDINGER_ALLOW_INSECURE_HTTP, HANDINGER_LOG, https_proxy / HTTPS_PROXY and
/// no_proxy / NO_PROXY. Throws
/// api_error(invalid_argument) when no key is found, the base URL is invalid,
/// or it is plain http:// to a host that is not loopback without
/// allow_insecure_http, or the proxy URL is invalid. No message holds the key
/// or a URL's user info.
resolved_options resolve_options(client_options o);

/// Parses "Name: value" lines; malformed lines are skipped.
header_list parse_header_lines(std::string_view text);

/// "" when every header has a token name and a value without CR, LF or NUL;
/// else "headers: ..." naming the bad one (they go onto the wire as they are).
std::string check_headers(const header_list& h);

/// A call's answer: the 2xx response, or `recovered`.
struct http_reply {
    int status = 0;
    std::string body;
    /// A POST's answer was lost, but a check found it took effect (status 0,
    /// no body).
    bool recovered = false;
};

/// One HTTP call's outcome after retries.
using call_outcome = op_result<http_reply>;

/// Looks once whether a request whose answer was lost took effect (a
/// create's check retrieves its task). When to look, how often and what to
/// believe is the call's (policy/retry_driver.hpp).
class effect_check {
public:
    struct found {
        check_result result = check_result::unknown;
        std::string why; ///< for unknown: what went wrong
    };
    virtual ~effect_check() = default;
    /// The task a check retrieves (a view that outlives the call).
    virtual std::string_view task_id() const = 0;
    /// One look, within `ro` (the call's options with its time left).
    virtual boost::asio::awaitable<found> look(request_options ro) = 0;
};

/// Turns of `t` whose input is `input`.
std::size_t count_matching_turns(const task_with_turns& t, std::string_view input);

/// create_op, where `fresh_id` says the task id was just generated (so it
/// cannot name an existing task: no check before the POST).
boost::asio::awaitable<op_result<create_result>> create_fresh_op(impl_ptr impl, create_task_params p,
                                                                 request_options ro, bool fresh_id);

/// A create whose task id (p.task_id, required) names a new task that an
/// earlier run may have sent already: the task is retrieved first; when it
/// exists the result is what it shows (`recovered`, nothing sent), else it
/// is created as create_fresh_op does (a lost answer still checked).
boost::asio::awaitable<op_result<create_result>> create_unless_exists_op(impl_ptr impl, create_task_params p,
                                                                         request_options ro);

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

    /// Performs method+target with retries (policy/retry_driver.hpp). With
    /// `check`, a POST whose answer was lost is looked for before any
    /// resend; every attempt sends the same `body`, of `content_type` (empty:
    /// application/json). Must run on a strand, or on an executor that runs
    /// handlers one at a time (op_executor()).
    boost::asio::awaitable<call_outcome> call(std::string_view method, std::string target, std::string body,
                                              const request_options& ro, effect_check* check = nullptr,
                                              std::string content_type = {});

    /// The base URL's path ("" or "/prefix", no trailing slash).
    const std::string& path_prefix() const { return opts_.ep.path_prefix; }
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
    // The call's limits: its options over the client's.
    call_limits limits_for(const request_options& ro, const effect_check* check) const;
    // After an attempt: names the limit of a timeout, notes a retry-after in
    // `diag`, logs the attempt's line, tells ro.on_attempt, and says what the
    // driver needs to know.
    attempt_report after_attempt(std::string_view method, std::string_view target, const request_options& ro,
                                 const retry_driver& d, http::exchange_result& ex,
                                 std::chrono::steady_clock::duration took, bool cancelled,
                                 diagnostics& diag) const;

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
    bool serial_ = false;                  // runs_serially(ex_)
    bool headers_replace_builtin_ = false; // the client's headers replace a built-in one
};

/// True when `ex` never runs two handlers at once: a strand, or the executor
/// of an io_context made with a concurrency hint of 1 (one thread runs it)
/// or with one of the hints that turn its locking off.
bool runs_serially(const boost::asio::any_io_executor& ex);

} // namespace handinger::detail
