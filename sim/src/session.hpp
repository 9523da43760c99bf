// One connection of the simulator: TLS handshake (unless plain), then
// request after request on the same coroutine until the client leaves, a
// response style or a fault closes it, or the server stops.
#pragma once

#include <handinger/sim/detail/service.hpp>
#include <handinger/sim/simulator.hpp>

#include <boost/asio/ip/tcp.hpp>

namespace boost::asio::ssl {
class context;
}

namespace handinger::sim::detail {

struct session_env {
    const options* opts = nullptr;
    service* svc = nullptr;
    boost::asio::ssl::context* tls = nullptr; ///< nullptr: plain HTTP
};

/// Starts serving `socket` on its executor (detached). `env`'s pointees must
/// outlive the io_context.
void spawn_session(boost::asio::ip::tcp::socket socket, const session_env& env);

} // namespace handinger::sim::detail
