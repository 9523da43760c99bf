// Internal: what every operation over client_impl::call does with its
// outcome: log a failure, read the body, carry the diagnostics.
#pragma once

#include "core/client_impl.hpp"

#include <handinger/json.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_state.hpp>

#include <string>

namespace handinger::detail {

/// Every failure of an operation, with all its diagnostics, is logged at the
/// debug level: the server's message or the start of its body, which attempt
/// lines do not show. It is also the one place every call error passes
/// through, where the tests' canary run (test/secrets_canary.sh) reads them.
template <class T>
void log_failure(const impl_ptr& impl, const op_result<T>& r)
{
    if (!r.ec || !impl->logs(log_level::debug))
        return;
    std::string line = "failed: " + r.diag.to_string(r.ec);
    if (r.diag.server_message.empty() && !r.diag.body_excerpt.empty())
        line += " (body: " + r.diag.body_excerpt + ")";
    impl->log(log_level::debug, line);
}

/// Reads a successful call's body into `out`; the diagnostics keep the
/// call's (method, path, status, attempts) either way (moved from `c`).
template <class T, class R>
void parse_body(const impl_ptr& impl, call_outcome& c, T& out, op_result<R>& r)
{
    r.diag = std::move(c.diag);
    std::string what;
    parse_json(c.value.body, out, r.ec, what);
    if (r.ec) {
        r.diag.set_response(c.value.status, c.value.body);
        r.diag.client_message = what;
        log_failure(impl, r);
    }
}

/// The call failed: so does the operation, with the call's diagnostics.
template <class T>
void fail_from(const impl_ptr& impl, const call_outcome& c, op_result<T>& r)
{
    r.ec = c.ec;
    r.diag = c.diag;
    log_failure(impl, r);
}

/// An argument was refused before any I/O.
template <class T>
void invalid_argument(const impl_ptr& impl, op_result<T>& r, std::string method, std::string path,
                      std::string what)
{
    r.ec = error::invalid_argument;
    r.diag.method = std::move(method);
    r.diag.path = std::move(path);
    r.diag.client_message = std::move(what);
    log_failure(impl, r);
}

/// Between two steps of an operation that reports cancellation instead of
/// throwing it (throw_if_cancelled(false)): a cancellation that came while
/// no step was pending reached no handler, and only the coroutine's
/// cancellation state remembers it. True (with `r` failed as cancelled)
/// when it came: the operation must not start its next step. `path()` gives
/// the next step's path, made only then (a watch asks between every two
/// events).
template <class T, class PathFn>
bool cancelled_between(const impl_ptr& impl, const boost::asio::cancellation_state& cs, op_result<T>& r,
                       const char* method, PathFn&& path, std::string_view before)
{
    if (cs.cancelled() == boost::asio::cancellation_type::none)
        return false;
    r.ec = error::cancelled;
    r.diag.method = method;
    r.diag.path = path();
    r.diag.client_message = "cancelled before " + std::string(before);
    log_failure(impl, r);
    return true;
}

} // namespace handinger::detail
