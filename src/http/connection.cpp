#include "http/connection.hpp"

#include <poll.h>

namespace handinger::detail::http {

connection::connection(asio::any_io_executor ex, asio::ssl::context* tls_ctx) : socket_(std::move(ex))
{
    if (tls_ctx)
        tls_.emplace(*tls_ctx);
}

void connection::close() noexcept
{
    if (auto* t = tls()) {
        // No close_notify is sent (the peer learns from the TCP close), but
        // OpenSSL must not take the connection for a broken one: freeing an
        // SSL object that was not shut down marks its session non-resumable.
        SSL_set_quiet_shutdown(t->native_handle(), 1);
        SSL_set_shutdown(t->native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    }
    boost::system::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
}

bool connection::idle_clean() noexcept
{
    if (!socket_.is_open())
        return false;
    auto* t = tls();
    if (t && !t->needs_input()) // (settle() left it clean: cannot happen)
        return false;
    pollfd p{};
    p.fd = socket_.native_handle();
    p.events = POLLIN;
    if (::poll(&p, 1, 0) == 0)
        return true;
    if (!t || !(p.revents & POLLIN))
        return false; // plain: any byte is one nobody asked for; or an error
    // TLS: what arrived may be a ticket or a KeyUpdate. It is there, so
    // this read does not block.
    boost::system::error_code ec;
    auto n = socket_.read_some(t->input_space(), ec);
    return t->input_received(n, ec) && !ec && t->settle();
}

} // namespace handinger::detail::http
