// Internal: what the operations on a worker and its parts (workers.cpp,
// webhooks.cpp) share: the paths under /api/workers, and one call whose
// answer is read into a model.
#pragma once

#include "core/client_impl.hpp"
#include "core/op_support.hpp"
#include "http/url.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>

#include <string>
#include <string_view>

namespace handinger::detail {

namespace asio = boost::asio;

// One path segment: percent-encoded, and "." and ".." written "%2E" so that
// no server resolves them away as dot segments (as task ids are).
inline void append_id(std::string& out, std::string_view id)
{
    if (id == "." || id == "..")
        for (std::size_t i = 0; i < id.size(); ++i)
            out += "%2E";
    else
        http::append_segment(out, id);
}

// "/api/workers" with the base path prefix; then the id as one segment and
// `suffix`, when an id is given.
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

// One call whose answer is a T: `path` (or `what`, a problem found in the
// arguments before any I/O), the call with its retries, the body read.
template <class T>
asio::awaitable<op_result<T>> worker_call(impl_ptr impl, const char* method, std::string path,
                                          std::string what, std::string body, request_options ro,
                                          effect_check* check = nullptr)
{
    // Cancellation is reported as error::cancelled, not thrown by Asio at
    // the next co_await.
    co_await asio::this_coro::throw_if_cancelled(false);
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

inline std::string check_id(const std::string& id)
{
    return id.empty() ? "worker_id: must be at least 1 character" : std::string();
}

} // namespace handinger::detail
