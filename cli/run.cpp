#include "run.hpp"
#include "messages.hpp"
#include "output.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <exception>
#include <mutex>

namespace handinger::cli {

namespace asio = boost::asio;

std::chrono::milliseconds to_ms(double seconds)
{
    return std::chrono::milliseconds(static_cast<long long>(std::ceil(seconds * 1000)));
}

client_options make_client_options(const global_args& g)
{
    client_options o;
    o.api_key = g.api_key;
    o.base_url = g.base_url;
    o.tls.ca_file = g.ca_file;
    o.allow_insecure_http = g.allow_insecure_http; // false: $HANDINGER_ALLOW_INSECURE_HTTP still applies
    if (g.timeout_s)
        o.timeout = to_ms(*g.timeout_s);
    if (g.max_retries)
        o.max_retries = *g.max_retries;
    if (g.debug) {
        // One line per attempt; the library never puts the key in a line.
        o.level = log_level::debug;
        o.logger = [](log_level lv, std::string_view line) {
            static std::mutex mu;
            std::lock_guard lk(mu);
            const char* tag = lv == log_level::debug ? "debug" : lv == log_level::info ? "info" : "warn";
            std::fprintf(stderr, "handinger %s: %.*s\n", tag, static_cast<int>(line.size()), line.data());
        };
    }
    return o;
}

int run_with_client(const global_args& g, std::function<asio::awaitable<int>(client&)> body,
                    std::size_t pool_size, std::function<void()> on_signal)
{
    bool interrupted = false;
    try {
        asio::io_context ioc;
        auto opts = make_client_options(g);
        if (pool_size > opts.pool_size)
            opts.pool_size = pool_size;
        client c(ioc, std::move(opts));

        asio::cancellation_signal cancel;
        asio::signal_set signals(ioc, SIGINT, SIGTERM);
        // With on_signal, every signal is handed over (a second one may
        // mean "now"); without, the first cancels the body.
        std::function<void(boost::system::error_code, int)> on_caught = [&](boost::system::error_code ec,
                                                                            int) {
            if (ec)
                return;
            interrupted = true;
            if (!on_signal) {
                cancel.emit(asio::cancellation_type::terminal);
                return;
            }
            on_signal();
            signals.async_wait(on_caught);
        };
        signals.async_wait(on_caught);

        int rc = exit_failed;
        std::exception_ptr failure;
        auto done = [&](std::exception_ptr e, int r) {
            failure = e;
            rc = r;
            signals.cancel();
        };
        asio::co_spawn(ioc, body(c), asio::bind_cancellation_slot(cancel.slot(), done));
        ioc.run();
        if (failure)
            std::rethrow_exception(failure);
        return interrupted && rc == exit_failed ? exit_interrupted : rc;
    } catch (const api_error& e) {
        print_error(failure_line(e.code(), e.diag()));
        if (interrupted)
            return exit_interrupted;
        return e.code() == error::invalid_argument ? exit_usage : exit_failed;
    } catch (const std::exception& e) {
        print_error(e.what());
        return exit_failed;
    }
}

} // namespace handinger::cli
