// The forms that one async helper gave operations that lacked them:
// batch_stream::async_next with diagnostics (error_code form), the batch
// and the wait without options or with diagnostics, and options written as
// braces.
#include "client/support.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <set>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;
using boost::system::error_code;

namespace {

hd::create_task_params params(std::string input)
{
    hd::create_task_params p;
    p.input = std::move(input);
    return p;
}

// Creates answer only when the run ends (so a create stays in flight).
hd::sim::options waiting_sim()
{
    auto o = fast_sim();
    o.create = hd::sim::create_mode::wait;
    return o;
}

// Hands out `n` inputs, then throws when `throw_after` is set, else ends.
struct counted_source {
    std::shared_ptr<std::size_t> pulled = std::make_shared<std::size_t>(0);
    std::size_t n = 0;
    bool throw_after = false;
    std::optional<hd::create_task_params> operator()() const
    {
        if (*pulled == n) {
            if (throw_after)
                throw std::runtime_error("the source broke");
            return std::nullopt;
        }
        return params("forms " + std::to_string((*pulled)++) + " #turns:1 #turn-ms:1");
    }
};

} // namespace

TEST_CASE("forms: batch_stream::async_next with diagnostics reads every result as error_code, value")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto s = c.stream_batch(counted_source{.n = 5});
    std::set<std::size_t> got;
    bool ended = false;
    auto body = [&]() -> asio::awaitable<void> {
        for (;;) {
            hd::diagnostics d;
            auto [ec, r] = co_await s.async_next(d, asio::as_tuple(asio::use_awaitable));
            CHECK_FALSE(ec);
            if (!r) {
                ended = true;
                co_return;
            }
            CHECK_FALSE(r->ec);
            got.insert(r->index);
        }
    };
    run(ioc, body(), 20s);
    CHECK(ended);
    CHECK(got == std::set<std::size_t>{0, 1, 2, 3, 4});
}

TEST_CASE("forms: a throwing source ends the error_code form with invalid_argument and its message")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto s = c.stream_batch(counted_source{.n = 3, .throw_after = true});
    std::size_t results = 0;
    error_code last;
    hd::diagnostics d;
    auto body = [&]() -> asio::awaitable<void> {
        for (;;) {
            auto [ec, r] = co_await s.async_next(d, asio::as_tuple(asio::use_awaitable));
            if (ec || !r) {
                last = ec;
                co_return;
            }
            ++results;
        }
    };
    run(ioc, body(), 20s);
    CHECK(results == 3); // what the source gave comes first
    CHECK(last == hd::error::invalid_argument);
    CHECK(d.client_message == "the input source threw: the source broke");
}

TEST_CASE("forms: cancelling an error_code async_next gives cancelled and the batch goes on")
{
    sim_fixture f(waiting_sim());
    test_io ioc;
    hd::client c(ioc, f.copts);
    hd::create_task_params slow = params("forms slow #turns:1 #turn-ms:400");
    std::size_t pulled = 0;
    auto source = [&]() -> std::optional<hd::create_task_params> {
        if (pulled == 2)
            return std::nullopt;
        ++pulled;
        return slow;
    };
    auto s = c.stream_batch(source);
    asio::cancellation_signal sig;
    hd::diagnostics d;
    bool done = false;
    error_code got;
    s.async_next(d, asio::bind_cancellation_slot(sig.slot(),
                                                 [&](error_code ec, std::optional<hd::batch_item_result> r) {
                                                     got = ec;
                                                     CHECK_FALSE(r);
                                                     done = true;
                                                 }));
    ioc.run_for(100ms);
    CHECK_FALSE(done);
    sig.emit(asio::cancellation_type::terminal);
    run_until(
        ioc, [&] { return done; }, 2s);
    CHECK(got == hd::error::cancelled);
    CHECK(d.client_message == "cancelled while waiting for the next result");
    std::size_t rest = 0;
    auto body = [&]() -> asio::awaitable<void> {
        while (auto r = co_await s.async_next()) {
            CHECK_FALSE(r->ec);
            ++rest;
        }
    };
    run(ioc, body(), 10s);
    CHECK(rest == 2);
}

TEST_CASE("forms: the batch without options, with braces, and in the error_code form")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    std::vector<hd::create_task_params> in{params("forms batch a"), params("forms batch b")};
    auto body = [&]() -> asio::awaitable<void> {
        auto r1 = co_await c.async_submit_batch(in);
        CHECK(r1.size() == 2);
        auto r2 = co_await c.async_submit_batch(in, {.initial_in_flight = 1, .max_in_flight = 1});
        CHECK(r2.size() == 2);
        hd::diagnostics d;
        auto [ec, r3] = co_await c.async_submit_batch(in, d, asio::as_tuple(asio::use_awaitable));
        CHECK_FALSE(ec);
        CHECK(r3.size() == 2);
        for (auto* rs : {&r1, &r2, &r3})
            for (auto& r : *rs)
                CHECK_FALSE(r.ec);
    };
    run(ioc, body(), 30s);
}

TEST_CASE("forms: request options as designated braces, and the wait in both forms without options")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto cr = co_await c.async_create(params("forms braces #turns:1 #turn-ms:1"), {.max_retries = 0});
        auto t = co_await c.async_retrieve(cr.task_id, {.timeout = 5s});
        CHECK(t.task.id == cr.task_id);
        hd::diagnostics d;
        auto [ec, fin] = co_await c.async_wait(cr.task_id, d, asio::as_tuple(asio::use_awaitable));
        CHECK_FALSE(ec);
        CHECK(fin.task.id == cr.task_id);
        auto again = co_await c.async_wait(cr.task_id);
        CHECK(again.task.status == fin.task.status);
        // A missing task: the error_code form, no exception.
        auto [ec2, none] =
            co_await c.async_retrieve("tsk_forms_missing", {}, d, asio::as_tuple(asio::use_awaitable));
        CHECK(ec2 == hd::error::not_found);
        CHECK(d.status == 404);
    };
    run(ioc, body(), 30s);
}
