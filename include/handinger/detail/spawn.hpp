// Plumbing of the completion-token generic operations: each operation is an
// awaitable coroutine (compiled in the library) handed to co_spawn.
#pragma once

#include <handinger/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associator.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>

#include <exception>
#include <type_traits>
#include <utility>

namespace handinger {
struct request_options;
struct watch_options;

namespace detail {

/// What a non-throwing operation coroutine produces.
template <class T>
struct op_result {
    boost::system::error_code ec;
    diagnostics diag;
    T value{};
};

/// Completion handler adapter: turns co_spawn's (exception_ptr, op_result<T>)
/// into (error_code, T) and stores the diagnostics where the caller asked.
/// Forwards every association (executor, allocator, cancellation slot) of the
/// wrapped handler, so cancellation reaches the coroutine.
template <class T, class Handler>
struct ec_adapter {
    Handler handler_;
    diagnostics* diag_;

    void operator()(std::exception_ptr e, op_result<T> r)
    {
        if (e) // only resource exhaustion escapes an operation coroutine
            std::rethrow_exception(e);
        *diag_ = std::move(r.diag);
        std::move(handler_)(r.ec, std::move(r.value));
    }
};

template <class T, class Token>
auto spawn_ec(boost::asio::any_io_executor ex, boost::asio::awaitable<op_result<T>> op, diagnostics& diag,
              Token&& token)
{
    auto init = [](auto handler, boost::asio::any_io_executor ex, boost::asio::awaitable<op_result<T>> op,
                   diagnostics* diag) {
        using handler_t = std::decay_t<decltype(handler)>;
        boost::asio::co_spawn(ex, std::move(op), ec_adapter<T, handler_t>{std::move(handler), diag});
    };
    return boost::asio::async_initiate<Token, void(boost::system::error_code, T)>(init, token, std::move(ex),
                                                                                  std::move(op), &diag);
}

/// Excludes option and diagnostics arguments from the token parameter, so
/// that the overloads of each operation cannot be confused.
template <class Token>
concept completion_token = !std::is_same_v<std::decay_t<Token>, diagnostics> &&
                           !std::is_same_v<std::decay_t<Token>, request_options> &&
                           !std::is_same_v<std::decay_t<Token>, watch_options>;

} // namespace detail
} // namespace handinger

template <template <class, class> class Associator, class T, class Handler, class Default>
struct boost::asio::associator<Associator, handinger::detail::ec_adapter<T, Handler>, Default> {
    using type = typename Associator<Handler, Default>::type;

    static type get(const handinger::detail::ec_adapter<T, Handler>& h) noexcept
    {
        return Associator<Handler, Default>::get(h.handler_);
    }
    static auto get(const handinger::detail::ec_adapter<T, Handler>& h, const Default& d) noexcept
        -> decltype(Associator<Handler, Default>::get(h.handler_, d))
    {
        return Associator<Handler, Default>::get(h.handler_, d);
    }
};
