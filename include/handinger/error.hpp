// Errors of the Handinger client: one error enum with its category, the
// diagnostics that travel with an error, and the one exception type.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace handinger {

/// Every way a Handinger call can fail. The HTTP kinds follow the official
/// SDKs' status table (API.md); the rest describe what happened before or
/// instead of a response.
enum class error {
    // HTTP status kinds
    bad_request = 1,      ///< 400
    authentication,       ///< 401
    permission_denied,    ///< 403
    not_found,            ///< 404
    conflict,             ///< 409
    unprocessable_entity, ///< 422
    rate_limited,         ///< 429
    server_error,         ///< >= 500
    unexpected_status,    ///< any other non-2xx status (e.g. 405, 408, 413, 3xx)
    // No (usable) response
    connection,       ///< could not connect, or the connection broke mid-exchange
    timeout,          ///< a deadline (attempt, connect or overall) expired
    tls_verification, ///< the peer's certificate or host name failed verification
    tls,              ///< any other TLS failure (handshake, protocol)
    invalid_response, ///< unparseable, wrong shape, or over the size limit
    // Before any I/O, or by the caller
    invalid_argument, ///< the request failed client-side validation
    cancelled,        ///< the operation was cancelled by its caller
    // From a proxy (last, so that the values above stay as they were)
    /// The HTTPS proxy refused the tunnel to the service: it answered the
    /// CONNECT with 407 (credentials missing or wrong), 403 or another
    /// status that is neither a success nor a 5xx. Not retried. (A 5xx of
    /// the proxy, which could not reach the service, is a connection error,
    /// retried as one.) The message names the proxy and its answer.
    proxy,
};

/// The category of handinger::error; its name is "handinger".
const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category()};
}

/// The error kind for an HTTP status that is not a success (API.md table).
/// Returns a default-constructed (success) code for 1xx/2xx.
boost::system::error_code error_from_status(int status) noexcept;

/// What is known about a failed call, beyond its error code. Never holds the
/// API key or the Authorization header.
struct diagnostics {
    int status = 0;             ///< HTTP status, 0 when no response arrived
    std::string server_message; ///< the server's own words ("message"/"error" of a JSON body)
    std::string body_excerpt;   ///< the first bytes of the response body (bounded, see max_excerpt)
    std::string method;         ///< request method, e.g. "POST"
    std::string path;           ///< request target, e.g. "/api/tasks/tsk_01..."
    std::string
        client_message; ///< what the client itself found wrong (parse path, validation, transport detail)
    int attempts = 0;   ///< attempts made (1 = no retry)
    /// The wait the last response asked for (retry-after-ms or retry-after,
    /// capped at 60 s), on success or failure; empty when it asked none.
    std::optional<std::chrono::milliseconds> retry_after;

    /// Bound on body_excerpt, in bytes.
    static constexpr std::size_t max_excerpt = 512;

    /// Sets status, server_message and body_excerpt from a response. The
    /// server message is taken from a JSON body's "message", then "error"
    /// (string or {message}), else left empty; the excerpt is cut at
    /// max_excerpt bytes on a UTF-8 boundary.
    void set_response(int status, std::string_view body);

    /// One line: "POST /api/tasks: 422 unprocessable entity: input: too short".
    std::string to_string(boost::system::error_code ec) const;

    void clear() { *this = diagnostics{}; }
};

/// The exception thrown by the throwing forms of every operation: an error
/// code from handinger::error_category() (or a transport code) plus the
/// diagnostics. what() is diagnostics::to_string().
class api_error : public boost::system::system_error {
public:
    api_error(boost::system::error_code ec, diagnostics diag);

    const diagnostics& diag() const noexcept { return diag_; }
    int status() const noexcept { return diag_.status; }
    const char* what() const noexcept override { return what_.c_str(); }

private:
    diagnostics diag_;
    std::string what_;
};

/// Throws api_error when ec is an error.
void throw_if(boost::system::error_code ec, const diagnostics& diag);

} // namespace handinger

template <>
struct boost::system::is_error_code_enum<handinger::error> : std::true_type {};
