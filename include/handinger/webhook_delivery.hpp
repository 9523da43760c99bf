// The receiving end of a worker's webhook: what one delivery says.
//
// The service POSTs to a worker's webhook URL, with the header
// X-Handinger-Token, when a task of the worker finishes. Its body is not
// documented, so a delivery is read as a hint, never as data: the token is
// checked (in constant time), a task id is looked for leniently, and the
// task itself is then fetched with a GET (client::notify_finished wakes the
// watchers of that task to do so). Transport-free: give it the header's
// value and the body from whatever HTTP server receives the POST.
#pragma once

#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>
#include <type_traits>

namespace handinger {

/// The header a delivery carries its token in.
inline constexpr std::string_view webhook_token_header = "X-Handinger-Token";

/// Why a delivery was refused.
enum class webhook_error {
    /// The token header is missing, or is not the expected token (an empty
    /// expected token matches nothing).
    token_mismatch = 1,
    /// The body is not a JSON object (or is over 1 MiB, or nests deeper
    /// than 64 levels).
    invalid_body,
    /// A JSON object in which no task id was found.
    no_task_id,
};

/// The category of webhook_error; its name is "handinger.webhook".
const boost::system::error_category& webhook_category() noexcept;

inline boost::system::error_code make_error_code(webhook_error e) noexcept
{
    return {static_cast<int>(e), webhook_category()};
}

/// What a delivery names. Only `task_id` is always there.
struct webhook_delivery {
    /// Found, in this order: a string `taskId` (or `task_id`) at the top
    /// level; the same in a nested object (breadth first: the shallowest
    /// wins, then the first in document order); an `id` of the form
    /// "tsk_..." at the top level or in a nested object. A task id is 1 to
    /// 256 characters without control characters.
    std::string task_id;
    /// A string `workerId` (or `worker_id`) at the top level, else "".
    std::string worker_id;
    /// A string `status` at the top level (or in the object the task id was
    /// found in), as sent, else "". A hint only: the GET says the status.
    std::string status;
};

/// Reads one delivery. `expected_token` is the worker's webhook token (see
/// the webhook configuration); `token_header` the value of the delivery's
/// X-Handinger-Token header ("" when it has none); `body` the request body.
/// On failure `ec` is a webhook_error and the result is empty.
webhook_delivery read_webhook_delivery(std::string_view expected_token, std::string_view token_header,
                                       std::string_view body, boost::system::error_code& ec);

/// The same; throws boost::system::system_error on failure.
webhook_delivery read_webhook_delivery(std::string_view expected_token, std::string_view token_header,
                                       std::string_view body);

/// Compares two secrets in time that depends on their lengths only, not on
/// where they differ.
bool secrets_equal(std::string_view a, std::string_view b) noexcept;

} // namespace handinger

template <>
struct boost::system::is_error_code_enum<handinger::webhook_error> : std::true_type {};
