// Running one command's coroutine on a client: SIGINT/SIGTERM, errors, exit
// statuses.
#pragma once

#include "commands.hpp"

#include <handinger/client.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>

namespace handinger::cli {

/// Builds a client from `g` on a fresh io_context and runs `body` to its end.
/// SIGINT and SIGTERM cancel it (terminal cancellation) unless `on_signal`
/// is given, in which case it is called instead, for every signal (the body
/// then ends by itself). An api_error escaping `body` is printed as one line on stderr;
/// its exit status is exit_usage for error::invalid_argument (bad input,
/// found before any I/O), exit_interrupted after a signal, else exit_failed.
int run_with_client(const global_args& g, std::function<boost::asio::awaitable<int>(client&)> body,
                    std::size_t pool_size = 0, std::function<void()> on_signal = {});

} // namespace handinger::cli
