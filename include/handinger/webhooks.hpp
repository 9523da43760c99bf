// handinger::webhooks: the Webhooks resource of a client
// (`c.webhooks()`), a worker's webhook configuration and its deliveries.
//
// (Scaffold: the operations are being written; see issue 13, item 3.)
#pragma once

#include <handinger/detail/async_op.hpp>
#include <handinger/error.hpp>
#include <handinger/options.hpp>

#include <memory>
#include <utility>

namespace handinger {

class client;

namespace detail {
class client_impl;
using impl_ptr = std::shared_ptr<client_impl>;
} // namespace detail

/// The Webhooks resource of a client: `co_await c.webhooks().async_...`.
/// A cheap handle (one shared pointer), as handinger::workers.
class webhooks {
private:
    friend class client;
    explicit webhooks(detail::impl_ptr impl) noexcept : impl_(std::move(impl)) {}

    detail::impl_ptr impl_;
};

} // namespace handinger
