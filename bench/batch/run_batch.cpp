// One measured batch (collecting or streaming) on a fresh client: what every
// scenario runs.
#include "bench_batch.hpp"
#include "bench_util.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <memory>
#include <optional>

namespace bench::batch {
namespace {

using namespace std::chrono_literals;

std::string input_text(int i)
{
    return "Batch benchmark task " + std::to_string(i) + ": summarise the quarterly filings";
}

} // namespace

batch_outcome run_batch(const batch_setup& s)
{
    asio::io_context ioc(1);
    hd::client_options o;
    o.base_url = s.url;
    o.api_key = s.key;
    o.tls.ca_file = s.ca;
    o.pool_size = s.pool;
    o.max_retries = s.max_retries;
    hd::client cl(ioc, o);

    auto make_inputs = [](int count, int base) {
        std::vector<hd::create_task_params> v(static_cast<std::size_t>(count));
        for (int i = 0; i < count; ++i)
            v[static_cast<std::size_t>(i)].input = input_text(base + i);
        return v;
    };
    auto options = [&] {
        hd::batch_options bo;
        bo.adaptive = s.adaptive;
        bo.initial_in_flight = s.initial;
        bo.max_in_flight = s.max_in_flight;
        return bo;
    };

    batch_outcome out;
    auto run_one = [&](std::vector<hd::create_task_params> inputs, hd::batch_options bo, bool measured) {
        asio::cancellation_signal stop;
        asio::steady_timer watchdog(ioc);
        bool timed_out = false;
        watchdog.expires_after(std::chrono::seconds(s.timeout_s));
        watchdog.async_wait([&](boost::system::error_code ec) {
            if (!ec) {
                timed_out = true;
                stop.emit(asio::cancellation_type::terminal);
            }
        });
        const auto t0 = clock_type::now();
        if (measured) {
            bo.progress_interval = 250ms;
            bo.on_progress = [&, t0](const hd::batch_progress& p) {
                out.limits.emplace_back(std::chrono::duration<double>(clock_type::now() - t0).count(),
                                        p.limit);
            };
        }
        const double cpu0 = bench::self_cpu();
        const auto att0 = cl.stats().attempts;
        std::vector<hd::batch_item_result> results;
        clock_type::time_point t1;
        if (s.stream) {
            // Results are read one by one and dropped; only failures are kept.
            auto shared = std::make_shared<std::vector<hd::create_task_params>>(std::move(inputs));
            auto next = std::make_shared<std::size_t>(0);
            auto stream = cl.stream_batch(
                [shared, next]() -> std::optional<hd::create_task_params> {
                    if (*next >= shared->size())
                        return std::nullopt;
                    return std::move((*shared)[(*next)++]);
                },
                std::move(bo));
            stop.slot().assign([&](asio::cancellation_type) { stream.cancel(); });
            asio::co_spawn(
                ioc,
                [&]() -> asio::awaitable<void> {
                    while (auto r = co_await stream.async_next())
                        if (r->ec)
                            results.push_back(std::move(*r));
                },
                [&](std::exception_ptr e) {
                    t1 = clock_type::now();
                    watchdog.cancel();
                    if (e)
                        std::rethrow_exception(e);
                });
            ioc.restart();
            ioc.run();
            stop.slot().clear();
        } else {
            cl.async_submit_batch(
                std::move(inputs), std::move(bo),
                asio::bind_cancellation_slot(stop.slot(),
                                             [&](std::exception_ptr e, std::vector<hd::batch_item_result> r) {
                                                 t1 = clock_type::now();
                                                 watchdog.cancel();
                                                 if (e)
                                                     std::rethrow_exception(e);
                                                 results = std::move(r);
                                             }));
            ioc.restart();
            ioc.run();
        }
        if (!measured)
            return;
        out.seconds = std::chrono::duration<double>(t1 - t0).count();
        out.cpu_s = bench::self_cpu() - cpu0;
        out.timed_out = timed_out;
        auto st = cl.stats();
        out.attempts = static_cast<long long>(st.attempts - att0);
        out.connections = static_cast<long long>(st.connections_created);
        for (auto& r : results) {
            if (r.recovered)
                ++out.recovered;
            if (!r.ec)
                continue;
            ++out.failures;
            ++out.failure_kinds[r.ec.message()];
            if (out.first_failure.empty())
                out.first_failure = r.diag ? r.diag->to_string(r.ec) : r.ec.message();
        }
    };
    if (s.warmup > 0)
        run_one(make_inputs(s.warmup, 1'000'000), options(), false);
    run_one(make_inputs(s.n, 0), options(), true);
    return out;
}

} // namespace bench::batch
