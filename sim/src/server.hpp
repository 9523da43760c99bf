// The listening side: io_context, threads, acceptor and the TLS context.
#pragma once

#include <handinger/sim/detail/service.hpp>
#include <handinger/sim/simulator.hpp>

#include <memory>

namespace handinger::sim::detail {

struct tls_material;

class server {
public:
    /// `svc` must outlive the server. With `tls` null the server speaks
    /// plain HTTP unless opts names cert_file/key_file.
    server(const options& opts, service& svc, const tls_material* tls);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Binds and starts opts.threads threads; throws on failure.
    void start();
    /// Closes the acceptor, stops the threads and destroys every connection.
    void stop();
    unsigned short port() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace handinger::sim::detail
