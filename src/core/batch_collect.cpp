// The collecting form of a batch (client::async_submit_batch): every
// input's result, by index, once the batch is over.
#include "core/batch_state.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>

namespace handinger::detail {

asio::awaitable<op_result<std::vector<batch_item_result>>>
batch_collect_op(impl_ptr impl, std::vector<create_task_params> inputs, batch_options opts)
{
    co_await asio::this_coro::throw_if_cancelled(false);
    op_result<std::vector<batch_item_result>> r;
    r.value.resize(inputs.size());
    auto next = std::make_shared<std::size_t>(0);
    auto shared_inputs = std::make_shared<std::vector<create_task_params>>(std::move(inputs));
    input_source source = [next, shared_inputs]() -> std::optional<create_task_params> {
        if (*next >= shared_inputs->size()) {
            // All handed out: the inputs' storage goes back before the last
            // results arrive (when a batch holds the most).
            std::vector<create_task_params>().swap(*shared_inputs);
            *next = 0;
            return std::nullopt;
        }
        return std::move((*shared_inputs)[(*next)++]);
    };
    auto ex = co_await asio::this_coro::executor;
    auto b = std::make_shared<batch_state>(std::move(impl), std::move(source), std::move(opts), false, ex);
    b->collected = &r.value;
    b->started = true;
    // The driver runs in this coroutine: a cancellation of the call (even one
    // that came before it started) reaches it before any input is admitted,
    // and every input still gets its (cancelled) result.
    auto cs = co_await asio::this_coro::cancellation_state;
    b->caller = &cs;
    // One turn of the executor first: a cancellation already on its way (one
    // emitted before this operation ran) lands before anything is admitted.
    co_await asio::post(b->strand, asio::use_awaitable);
    co_await run_driver(b, &cs);
    b->caller = nullptr;
    b->collected = nullptr;
    co_return r;
}

} // namespace handinger::detail
