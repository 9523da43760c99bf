// The one way the library's operations meet completion tokens.
//
// Each operation is a coroutine compiled in the library that produces an
// op_result<T> and does not throw for a failed call. async_op() starts it
// with co_spawn and hands its outcome over in the form the caller's
// trailing arguments pick:
//  - `[token]`: void(std::exception_ptr, T); a failure is an api_error
//    (with use_awaitable, co_await throws it);
//  - `diagnostics&, [token]`: void(boost::system::error_code, T); the
//    diagnostics are written there before the handler runs.
// A missing token is use_awaitable. with_tail() sorts those trailing
// arguments out for operations that do not run as a coroutine (the
// watcher's async_next), so that every public operation is declared the
// same way:
//
//     template <class... Tail> requires detail::op_tail<Tail...>
//     auto async_x(args..., Tail&&... tail);
#pragma once

#include <handinger/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associator.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <type_traits>
#include <utility>

namespace handinger {
struct request_options;
struct watch_options;
struct batch_options;

namespace detail {

/// What an operation coroutine produces.
template <class T>
struct op_result {
    boost::system::error_code ec;
    diagnostics diag;
    T value{};
};

/// A completion token: anything but the options and diagnostics arguments of
/// an operation (so that an operation's arguments cannot be mistaken for it).
template <class Token>
concept completion_token = !std::is_same_v<std::decay_t<Token>, diagnostics> &&
                           !std::is_same_v<std::decay_t<Token>, request_options> &&
                           !std::is_same_v<std::decay_t<Token>, watch_options> &&
                           !std::is_same_v<std::decay_t<Token>, batch_options>;

using default_token = boost::asio::use_awaitable_t<>;

/// Which public form an operation completes in.
template <bool ec>
using form = std::bool_constant<ec>;
using throwing_form = form<false>;
using ec_form = form<true>;

/// Calls `f(form, diagnostics*, token)` with an operation's trailing
/// arguments `[diagnostics&] [token]` (the diagnostics pointer is null in
/// the throwing form; a missing token is use_awaitable).
template <class F>
decltype(auto) with_tail(F&& f)
{
    return f(throwing_form{}, static_cast<diagnostics*>(nullptr), default_token{});
}
template <class F, completion_token Token>
decltype(auto) with_tail(F&& f, Token&& token)
{
    return f(throwing_form{}, static_cast<diagnostics*>(nullptr), std::forward<Token>(token));
}
template <class F>
decltype(auto) with_tail(F&& f, diagnostics& diag)
{
    return f(ec_form{}, &diag, default_token{});
}
template <class F, completion_token Token>
decltype(auto) with_tail(F&& f, diagnostics& diag, Token&& token)
{
    return f(ec_form{}, &diag, std::forward<Token>(token));
}

struct tail_probe {
    template <class Form, class Token>
    void operator()(Form, diagnostics*, Token&&) const
    {}
};

/// The trailing arguments an operation accepts: `[diagnostics&] [token]`.
template <class... Tail>
concept op_tail = requires(Tail&&... tail)
{
    with_tail(tail_probe{}, std::forward<Tail>(tail)...);
};

/// Hands `r` (an op_result, or anything with ec, diag and value) to `h` in
/// the form `ec` says; `diag` is where the error_code form stores the
/// diagnostics.
template <bool ec, class Handler, class Result>
void deliver(Handler&& h, Result&& r, diagnostics* diag)
{
    if constexpr (ec) {
        *diag = std::move(r.diag);
        std::move(h)(r.ec, std::move(r.value));
    } else {
        std::exception_ptr e;
        if (r.ec)
            e = std::make_exception_ptr(api_error(r.ec, std::move(r.diag)));
        std::move(h)(e, std::move(r.value));
    }
}

/// co_spawn's handler: turns (exception_ptr, op_result<T>) into the public
/// form. Forwards every association (executor, allocator, cancellation
/// slot) of the wrapped handler, so cancellation reaches the coroutine.
template <class T, class Handler, bool ec>
struct op_adapter {
    Handler handler_;
    diagnostics* diag_;

    void operator()(std::exception_ptr e, op_result<T> r)
    {
        if (e) {
            // Only resource exhaustion escapes an operation coroutine (and,
            // in the throwing form, an exception of the caller's own code
            // that the operation hands over as it is).
            if constexpr (ec)
                std::rethrow_exception(e);
            else
                return std::move(handler_)(e, T{});
        }
        deliver<ec>(std::move(handler_), std::move(r), diag_);
    }
};

template <bool ec, class T, class Token>
auto start_op(boost::asio::any_io_executor ex, boost::asio::awaitable<op_result<T>> op, diagnostics* diag,
              Token&& token)
{
    using signature = std::conditional_t<ec, void(boost::system::error_code, T), void(std::exception_ptr, T)>;
    auto init = [](auto handler, boost::asio::any_io_executor ex, boost::asio::awaitable<op_result<T>> op,
                   diagnostics* diag) {
        using handler_t = std::decay_t<decltype(handler)>;
        boost::asio::co_spawn(ex, std::move(op), op_adapter<T, handler_t, ec>{std::move(handler), diag});
    };
    return boost::asio::async_initiate<Token, signature>(init, token, std::move(ex), std::move(op), diag);
}

/// Runs operation `op` on `ex` and completes in the form the trailing
/// arguments `[diagnostics&] [token]` pick.
template <class T, class... Tail>
requires op_tail<Tail...>
auto async_op(boost::asio::any_io_executor ex, boost::asio::awaitable<op_result<T>> op, Tail&&... tail)
{
    auto start = [&]<bool ec, class Token>(form<ec>, diagnostics* diag, Token&& token) {
        return start_op<ec>(std::move(ex), std::move(op), diag, std::forward<Token>(token));
    };
    return with_tail(start, std::forward<Tail>(tail)...);
}

} // namespace detail
} // namespace handinger

template <template <class, class> class Associator, class T, class Handler, bool ec, class Default>
struct boost::asio::associator<Associator, handinger::detail::op_adapter<T, Handler, ec>, Default> {
    using type = typename Associator<Handler, Default>::type;

    static type get(const handinger::detail::op_adapter<T, Handler, ec>& h) noexcept
    {
        return Associator<Handler, Default>::get(h.handler_);
    }
    static auto get(const handinger::detail::op_adapter<T, Handler, ec>& h, const Default& d) noexcept
        -> decltype(Associator<Handler, Default>::get(h.handler_, d))
    {
        return Associator<Handler, Default>::get(h.handler_, d);
    }
};
