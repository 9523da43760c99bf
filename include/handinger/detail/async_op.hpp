// The one way the library's operations meet completion tokens. Each
// operation is a coroutine compiled in the library that produces an
// op_result<T> and never throws for a failed call; async_op starts it with
// co_spawn and hands its outcome over in one of the two public forms:
//  - void(std::exception_ptr, T): a failure is an api_error (with
//    use_awaitable, co_await throws it);
//  - void(boost::system::error_code, T), the diagnostics written where the
//    caller said before the handler runs.
// launch() sorts out an operation's optional trailing arguments
// ([options] [diagnostics&] [token]) so each public operation is one
// declaration.
#pragma once

#include <handinger/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associator.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <memory>
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

/// Hands `r` (an op_result or the like: ec, diag, value) to `h` in the
/// form `ec_form` says; `diag` is where the error_code form stores the
/// diagnostics (unused otherwise).
template <bool ec_form, class Handler, class Result>
void deliver(Handler&& h, Result&& r, diagnostics* diag)
{
    if constexpr (ec_form) {
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
/// signature. Forwards every association (executor, allocator, cancellation
/// slot) of the wrapped handler, so cancellation reaches the coroutine.
template <class T, class Handler, bool ec_form>
struct op_adapter {
    Handler handler_;
    diagnostics* diag_;

    void operator()(std::exception_ptr e, op_result<T> r)
    {
        if (e) { // only resource exhaustion escapes an operation coroutine
            if constexpr (ec_form)
                std::rethrow_exception(e);
            else
                return std::move(handler_)(e, T{});
        }
        deliver<ec_form>(std::move(handler_), std::move(r), diag_);
    }
};

template <bool ec_form, class T, class Token>
auto start_op(boost::asio::any_io_executor ex, boost::asio::awaitable<op_result<T>> op, diagnostics* diag,
              Token&& token)
{
    using signature = std::conditional_t<ec_form, void(boost::system::error_code, T), void(std::exception_ptr, T)>;
    auto init = [](auto handler, boost::asio::any_io_executor ex, boost::asio::awaitable<op_result<T>> op,
                   diagnostics* diag) {
        using handler_t = std::decay_t<decltype(handler)>;
        boost::asio::co_spawn(ex, std::move(op), op_adapter<T, handler_t, ec_form>{std::move(handler), diag});
    };
    return boost::asio::async_initiate<Token, signature>(init, token, std::move(ex), std::move(op), diag);
}

/// The throwing form: signature void(std::exception_ptr, T).
template <class T, class Token>
auto async_op(boost::asio::any_io_executor ex, boost::asio::awaitable<op_result<T>> op, Token&& token)
{
    return start_op<false>(std::move(ex), std::move(op), nullptr, std::forward<Token>(token));
}

/// The error_code form: signature void(error_code, T); `diag` must outlive
/// the operation.
template <class T, class Token>
auto async_op(boost::asio::any_io_executor ex, boost::asio::awaitable<op_result<T>> op, diagnostics& diag,
              Token&& token)
{
    return start_op<true>(std::move(ex), std::move(op), &diag, std::forward<Token>(token));
}

/// Excludes option and diagnostics arguments from a token parameter.
template <class Token>
concept completion_token = !std::is_same_v<std::decay_t<Token>, diagnostics> &&
                           !std::is_same_v<std::decay_t<Token>, request_options> &&
                           !std::is_same_v<std::decay_t<Token>, watch_options> &&
                           !std::is_same_v<std::decay_t<Token>, batch_options>;

template <class A, class Options>
concept options_arg = std::is_same_v<std::remove_cvref_t<A>, Options>;
template <class A>
concept diag_arg = std::is_same_v<A, diagnostics&>;

using default_token = boost::asio::use_awaitable_t<>;

/// Calls `f(options, [diagnostics&,] token)` with an operation's trailing
/// arguments: [Options] [diagnostics&] [token], each optional, in that
/// order (missing options are Options{}, a missing token is use_awaitable).
template <class Options, class F>
auto with_trailing(F&& f)
{
    return f(Options{}, default_token{});
}
template <class Options, class F, options_arg<Options> O>
auto with_trailing(F&& f, O&& o)
{
    return f(Options(std::forward<O>(o)), default_token{});
}
template <class Options, class F, diag_arg D>
auto with_trailing(F&& f, D&& d)
{
    return f(Options{}, d, default_token{});
}
template <class Options, class F, options_arg<Options> O, diag_arg D>
auto with_trailing(F&& f, O&& o, D&& d)
{
    return f(Options(std::forward<O>(o)), d, default_token{});
}
template <class Options, class F, completion_token Token>
requires(!options_arg<Token, Options>) auto with_trailing(F&& f, Token&& t)
{
    return f(Options{}, std::forward<Token>(t));
}
template <class Options, class F, options_arg<Options> O, completion_token Token>
auto with_trailing(F&& f, O&& o, Token&& t)
{
    return f(Options(std::forward<O>(o)), std::forward<Token>(t));
}
template <class Options, class F, diag_arg D, completion_token Token>
auto with_trailing(F&& f, D&& d, Token&& t)
{
    return f(Options{}, d, std::forward<Token>(t));
}
template <class Options, class F, options_arg<Options> O, diag_arg D, completion_token Token>
auto with_trailing(F&& f, O&& o, D&& d, Token&& t)
{
    return f(Options(std::forward<O>(o)), d, std::forward<Token>(t));
}

} // namespace detail
} // namespace handinger

template <template <class, class> class Associator, class T, class Handler, bool ec_form, class Default>
struct boost::asio::associator<Associator, handinger::detail::op_adapter<T, Handler, ec_form>, Default> {
    using type = typename Associator<Handler, Default>::type;

    static type get(const handinger::detail::op_adapter<T, Handler, ec_form>& h) noexcept
    {
        return Associator<Handler, Default>::get(h.handler_);
    }
    static auto get(const handinger::detail::op_adapter<T, Handler, ec_form>& h, const Default& d) noexcept
        -> decltype(Associator<Handler, Default>::get(h.handler_, d))
    {
        return Associator<Handler, Default>::get(h.handler_, d);
    }
};
