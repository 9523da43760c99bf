// Internal: what the resources' operations share (workers.cpp,
// schedules.cpp, webhooks.cpp): worker paths with ids as one path segment, one call whose
// answer is a model, and the check of a POST that cannot be looked for.
#pragma once

#include "core/client_impl.hpp"
#include "core/op_support.hpp"
#include "http/url.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace handinger::detail {

/// Appends one path segment: percent-encoded, and "." and ".." written
/// "%2E" so that no server resolves them away as dot segments (as task ids
/// are).
inline void append_id(std::string& out, std::string_view id)
{
    if (id == "." || id == "..")
        for (std::size_t i = 0; i < id.size(); ++i)
            out += "%2E";
    else
        http::append_segment(out, id);
}

/// "/api/workers" with the base path prefix; then the id as one segment and
/// `suffix`, when an id is given.
inline std::string worker_path(const client_impl& impl, const std::string* id = nullptr,
                               std::string_view suffix = {})
{
    std::string p = impl.path_prefix() + "/api/workers";
    if (id) {
        p += '/';
        append_id(p, *id);
        p += suffix;
    }
    return p;
}

/// "" when `id` (the argument `name`) is not empty, else the problem.
inline std::string check_id(std::string_view name, const std::string& id)
{
    return id.empty() ? std::string(name) + ": must be at least 1 character" : std::string();
}

/// The check of a POST that makes something without an id the client
/// chooses (a worker, a schedule): whether it took effect cannot be looked
/// for, since a listing would not tell this POST's result from another made
/// alike. Every look says "unknown" (`why`), so a call whose answer was lost
/// fails rather than resend (policy/retry_driver.hpp: a check that cannot
/// tell is never taken for "absent").
class no_effect_check final : public effect_check {
public:
    explicit no_effect_check(std::string why) : why_(std::move(why)) {}
    std::string_view task_id() const override { return {}; }
    boost::asio::awaitable<found> look(request_options) override
    {
        co_return found{check_result::unknown, why_};
    }

private:
    std::string why_;
};

/// One call whose answer is a T: `path` (or `what`, a problem found in the
/// arguments before any I/O), the call with its retries, the body read.
template <class T>
boost::asio::awaitable<op_result<T>> resource_call(impl_ptr impl, const char* method, std::string path,
                                                   std::string what, std::string body, request_options ro,
                                                   effect_check* check = nullptr)
{
    // Cancellation is reported as error::cancelled, not thrown by Asio at
    // the next co_await.
    co_await boost::asio::this_coro::throw_if_cancelled(false);
    op_result<T> r;
    if (!what.empty()) {
        invalid_argument(impl, r, method, std::move(path), std::move(what));
        co_return r;
    }
    auto c = co_await impl->call(method, std::move(path), std::move(body), ro, check);
    if (c.ec) {
        fail_from(impl, c, r);
        co_return r;
    }
    parse_body(impl, c, r.value, r);
    co_return r;
}

} // namespace handinger::detail
