// The streaming form of a batch (client::stream_batch, batch_stream): the
// results handed over one by one, in completion order.
#include "core/batch_state.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>

namespace handinger::detail {

asio::any_io_executor batch_executor(const batch_ptr& b)
{
    return b->strand;
}

namespace {

std::string what_of(const std::exception_ptr& e)
{
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    } catch (...) {
        return "an exception not derived from std::exception";
    }
}

} // namespace

asio::awaitable<op_result<std::optional<batch_item_result>>> batch_next_op(batch_ptr b,
                                                                           bool rethrow_source_error)
{
    co_await asio::this_coro::throw_if_cancelled(false);
    op_result<std::optional<batch_item_result>> r;
    if (!b->started) {
        b->started = true;
        asio::co_spawn(b->strand, run_driver(b, nullptr), asio::detached);
    }
    auto cs = co_await asio::this_coro::cancellation_state;
    for (;;) {
        if (!b->ready.empty()) {
            r.value = std::move(b->ready.front());
            b->ready.pop_front();
            b->driver_wake.cancel(); // room for one more
            co_return r;
        }
        if (b->driver_done) {
            if (b->source_error) {
                if (rethrow_source_error) // the throwing form hands it over as it is
                    std::rethrow_exception(b->source_error);
                r.ec = error::invalid_argument;
                r.diag.client_message = "the input source threw: " + what_of(b->source_error);
            }
            co_return r; // empty: the stream is over
        }
        b->reader_wake.expires_at(clock::time_point::max());
        boost::system::error_code ec;
        co_await b->reader_wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (cs.cancelled() != asio::cancellation_type::none) {
            r.ec = error::cancelled;
            r.diag.client_message = "cancelled while waiting for the next result";
            co_return r; // the batch itself goes on
        }
    }
}

void batch_cancel(const batch_ptr& b)
{
    b->cancel_requested = true; // nothing is pulled or submitted from now on
    asio::post(b->strand, [b] { b->cancel_all(); });
}

void batch_stop(const batch_ptr& b)
{
    b->stop_requested = true; // nothing is pulled from now on
    asio::post(b->strand, [b] { b->stop_all(); });
}

batch_progress batch_counts(const batch_ptr& b)
{
    return b->counts();
}

} // namespace handinger::detail

namespace handinger {

batch_stream::batch_stream(detail::batch_ptr st) noexcept : st_(std::move(st)) {}
batch_stream::batch_stream(batch_stream&&) noexcept = default;
batch_stream& batch_stream::operator=(batch_stream&& other) noexcept
{
    if (this != &other) {
        cancel();
        st_ = std::move(other.st_);
    }
    return *this;
}

batch_stream::~batch_stream()
{
    cancel();
}

void batch_stream::cancel()
{
    if (st_)
        detail::batch_cancel(st_);
}

void batch_stream::stop()
{
    if (st_)
        detail::batch_stop(st_);
}

batch_progress batch_stream::progress() const
{
    return st_ ? detail::batch_counts(st_) : batch_progress{};
}

namespace {

// Everything of a batch on one strand; the client's executor is one already
// when it runs handlers one at a time.
boost::asio::any_io_executor batch_strand(const detail::impl_ptr& impl)
{
    return impl->runs_serially() ? impl->executor() : boost::asio::make_strand(impl->executor());
}

} // namespace

batch_stream client::stream_batch(std::function<std::optional<create_task_params>()> source,
                                  batch_options opts)
{
    return batch_stream(std::make_shared<detail::batch_state>(impl_, std::move(source), std::move(opts), true,
                                                              batch_strand(impl_)));
}

batch_stream
client::stream_batch(std::function<boost::asio::awaitable<std::optional<create_task_params>>()> source,
                     batch_options opts)
{
    return batch_stream(std::make_shared<detail::batch_state>(impl_, detail::input_source{}, std::move(opts),
                                                              true, batch_strand(impl_), std::move(source)));
}

} // namespace handinger
