// Options of a client and of a single call.
#pragma once

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace handinger {

/// A list of extra HTTP headers, name then value.
using header_list = std::vector<std::pair<std::string, std::string>>;

enum class log_level { debug, info, warning };

/// A log sink. Lines never contain the API key or the Authorization header.
/// Called from whatever thread runs the client's executor; it must be
/// thread-safe if that executor is run by several threads.
using logger_fn = std::function<void(log_level, std::string_view line)>;

/// TLS settings. Verification against the system store is on by default.
struct tls_options {
    /// PEM file of extra trusted CAs, used beside the system store. Empty:
    /// $HANDINGER_CA_FILE when set.
    std::string ca_file;
    /// Directory of extra trusted CAs (OpenSSL c_rehash layout).
    std::string ca_dir;
    /// Extra trusted CAs given as PEM text (one or more certificates).
    std::string ca_pem;
    /// Skips certificate and host name verification. INSECURE: anyone on the
    /// path can read and change the traffic, including the API key. For
    /// debugging against a local server only.
    bool insecure_skip_verify = false;
    /// Resume TLS sessions on new connections to the same host. While no
    /// session is known yet (a new client), the first new connection's
    /// handshake goes alone and the others, once their TCP connect is done,
    /// wait for its session (some 1.5 round trips; at most 4 of their
    /// connect times and 100 ms) to resume it: a burst of calls on a new
    /// client then costs one full handshake instead of one per connection.
    bool session_resumption = true;
};

/// Settings of a client. Every field has a default; empty strings mean "take
/// it from the environment, else the default".
struct client_options {
    /// Base URL of the service, https:// or http://, optionally with a path
    /// prefix; no user info, query or fragment. Empty: $HANDINGER_BASE_URL,
    /// else "https://handinger.com". An http:// URL is accepted only for a
    /// loopback host (127.0.0.0/8, ::1, "localhost") unless
    /// allow_insecure_http is set.
    std::string base_url;
    /// Allows an http:// base URL whose host is not loopback. INSECURE: the
    /// API key (Authorization header) and every task then cross the network
    /// in clear text, readable and changeable by anyone on the path. Without
    /// it such a URL fails construction with error::invalid_argument, before
    /// any I/O. Also turned on by $HANDINGER_ALLOW_INSECURE_HTTP=1 (or
    /// "true"). Default false.
    bool allow_insecure_http = false;
    /// API key, sent as "Authorization: Bearer <key>". Empty:
    /// $HANDINGER_API_KEY; when neither is set, constructing the client throws
    /// api_error(error::invalid_argument).
    std::string api_key;
    /// Headers added to every request. Lines "Name: value" from
    /// $HANDINGER_CUSTOM_HEADERS are merged under these (these win).
    header_list headers;

    /// HTTPS proxy: "http://[user[:password]@]host[:port]" ("host[:port]"
    /// alone means http://; the port defaults to 80). Each connection is an
    /// HTTP CONNECT tunnel through it, with TLS to the service inside,
    /// verified as without a proxy. The user info, percent-decoded, is sent
    /// as "Proxy-Authorization: Basic ..." and never shown in messages or
    /// logs. Unset: $https_proxy, else $HTTPS_PROXY (the lowercase one first,
    /// as curl; an empty variable counts as unset), for an https:// base URL
    /// only. An empty string: no proxy, whatever the environment says. Only
    /// http:// proxies: an https:// (TLS to the proxy), socks or other URL
    /// fails construction with error::invalid_argument, as does bad syntax.
    /// After construction (client::options()): the proxy in effect with its
    /// user info shown as "***", or "" for none.
    std::optional<std::string> proxy;
    /// Hosts reached without the proxy: entries separated by commas or
    /// blanks, compared with the base URL's host as written (never
    /// resolved), without case. "*" alone: every host. A name matches itself
    /// and its subdomains ("example.com", ".example.com" and "*.example.com"
    /// all match example.com and api.example.com, not myexample.com). An IP
    /// address matches that address written as the host; a CIDR block
    /// ("10.0.0.0/8", "fd00::/8") every address in it. An entry with a port
    /// ("host:8443", "[::1]:8443") matches only that port; without one, any
    /// port. Malformed entries match nothing. Unset: $no_proxy, else
    /// $NO_PROXY (wherever the proxy came from).
    std::optional<std::string> no_proxy;

    /// Time limit of one attempt (connect, TLS, send, receive). Default 60 s.
    std::chrono::milliseconds timeout{std::chrono::seconds(60)};
    /// Time limit of TCP connect (+ the proxy's CONNECT) + TLS handshake,
    /// within `timeout`. Default 10 s.
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
    /// Time limit of a whole call, retries and waits included; zero = none
    /// (the call is then bounded by timeout x (max_retries + 1) plus waits).
    std::chrono::milliseconds total_timeout{0};
    /// Retries after the first attempt. Default 2 (as the official SDKs).
    int max_retries = 2;

    /// Most connections open to the host at once; further calls queue in
    /// order. Default 64.
    std::size_t pool_size = 64;
    /// A pooled connection idle this long is never reused; it is closed at the
    /// pool's next acquire or release, by client::stats() or
    /// client::close_idle(), or when the client is destroyed. (No timer does it: an idle client keeps no work
    /// pending, so io_context::run() returns once the caller's work is done.)
    /// Default 30 s.
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};
    /// Largest response body accepted; over it the call fails with
    /// error::invalid_response and the connection is closed. Default 16 MiB.
    std::size_t max_body_size = 16u << 20;

    tls_options tls;

    /// GETs per second that all the task watchers of this client may make
    /// together (a shared budget: many watchers stretch their intervals
    /// instead of drawing 429s); zero or less = no limit. Default 50.
    double watch_rate = 50;
    /// Requests the watch budget allows at once after an idle time. Zero:
    /// one second's worth (watch_rate). Default 0.
    double watch_burst = 0;

    /// Log sink. Null: $HANDINGER_LOG=info|debug turns on a stderr logger,
    /// otherwise nothing is logged.
    logger_fn logger;
    /// Lowest level passed to the logger. Default info.
    log_level level = log_level::info;
};

/// What one attempt of a call met, for observers (metrics, adaptive limits).
struct attempt_info {
    std::string_view method;
    std::string_view path;
    int attempt = 1;                                      ///< 1 for the first, 2 for the first retry...
    int status = 0;                                       ///< HTTP status, 0 when no response arrived
    boost::system::error_code ec;                         ///< the error kind (success for a 2xx)
    std::optional<std::chrono::milliseconds> retry_after; ///< the server's hint, if any
    std::chrono::microseconds duration{0};
};

/// Called after each attempt of a call, on the call's executor (a strand of
/// the client's, or the client's executor when that runs handlers one at a
/// time: see client). It must not block; the key is never in it.
using attempt_observer = std::function<void(const attempt_info&)>;

/// Per-call overrides; an unset field takes the client's setting.
struct request_options {
    std::optional<std::chrono::milliseconds> timeout;
    std::optional<std::chrono::milliseconds> total_timeout;
    std::optional<int> max_retries;
    /// Added to the client's headers for this call (these win).
    header_list headers;
    /// Observes every attempt of this call (optional).
    attempt_observer on_attempt;
    /// When set, a retry waits at least until the time it returns (asked
    /// before each retry): a pause shared by several calls, such as a batch's
    /// after a 429, so that calls in flight do not retry into it together.
    /// The call's deadline still applies.
    std::function<std::chrono::steady_clock::time_point()> not_before;
};

} // namespace handinger
