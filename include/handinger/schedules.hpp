// handinger::schedules: the Schedules resource of a client
// (`c.schedules()`), a worker's input run later or repeatedly.
//
// (Scaffold: the operations are being written; see issue 13, item 2.)
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

/// The Schedules resource of a client: `co_await c.schedules().async_...`.
/// A cheap handle (one shared pointer), as handinger::workers.
class schedules {
private:
    friend class client;
    explicit schedules(detail::impl_ptr impl) noexcept : impl_(std::move(impl)) {}

    detail::impl_ptr impl_;
};

} // namespace handinger
