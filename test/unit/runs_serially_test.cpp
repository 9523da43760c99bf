// Which executors the client takes as running one handler at a time (its
// operations then skip strands of their own).
#include "core/client_impl.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <doctest/doctest.h>

namespace asio = boost::asio;
using handinger::detail::runs_serially;

TEST_CASE("runs_serially: an io_context with concurrency hint 1 or an unlocked one, and strands")
{
    asio::io_context one(1);
    CHECK(runs_serially(one.get_executor()));
    asio::io_context unsafe(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE);
    CHECK(runs_serially(unsafe.get_executor()));
    asio::io_context unsafe_io(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO);
    CHECK(runs_serially(unsafe_io.get_executor()));

    asio::io_context any;
    CHECK(runs_serially(asio::make_strand(any)));
    CHECK(runs_serially(asio::make_strand(asio::any_io_executor(any.get_executor()))));
}

TEST_CASE("runs_serially: not an io_context that several threads may run, nor a thread pool")
{
    asio::io_context dflt;
    CHECK_FALSE(runs_serially(dflt.get_executor()));
    asio::io_context four(4);
    CHECK_FALSE(runs_serially(four.get_executor()));
    asio::io_context safe(BOOST_ASIO_CONCURRENCY_HINT_SAFE);
    CHECK_FALSE(runs_serially(safe.get_executor()));
    asio::thread_pool pool(1);
    CHECK_FALSE(runs_serially(pool.get_executor()));
    pool.join();
}
