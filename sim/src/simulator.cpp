// The public face: owns the service (the logic), the server (the sockets) and
// the TLS material, in that order of lifetime.
#include <handinger/sim/simulator.hpp>

#include "server.hpp"
#include "tls_cert.hpp"

#include <handinger/sim/detail/service.hpp>

#include <fstream>
#include <stdexcept>

namespace handinger::sim {

struct simulator::impl {
    options opts;
    detail::service svc;
    std::optional<detail::tls_material> tls;
    std::unique_ptr<detail::server> srv;

    explicit impl(options o) : opts(std::move(o)), svc(opts) {}
};

simulator::simulator(options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}

simulator::~simulator()
{
    stop();
}

void simulator::start()
{
    auto& s = *impl_;
    if (s.srv)
        throw std::logic_error("handinger-sim: start() called twice");
    if (!s.opts.plain_http && s.opts.cert_file.empty()) {
        s.tls = detail::generate_tls_material();
        if (!s.opts.ca_out.empty()) {
            std::ofstream f(s.opts.ca_out, std::ios::binary | std::ios::trunc);
            f << s.tls->ca_pem;
            if (!f.flush())
                throw std::runtime_error("handinger-sim: cannot write " + s.opts.ca_out);
        }
    }
    if (s.opts.plain_http) {
        s.opts.cert_file.clear();
        s.opts.key_file.clear();
    }
    s.srv = std::make_unique<detail::server>(s.opts, s.svc, s.tls ? &*s.tls : nullptr);
    try {
        s.srv->start();
    } catch (...) {
        s.srv.reset();
        throw;
    }
}

void simulator::stop()
{
    if (impl_->srv)
        impl_->srv->stop();
}

std::string simulator::url() const
{
    return std::string(impl_->opts.plain_http ? "http://" : "https://") + impl_->opts.host + ":" +
           std::to_string(port());
}

unsigned short simulator::port() const
{
    return impl_->srv ? impl_->srv->port() : 0;
}

std::string simulator::ca_pem() const
{
    return impl_->tls ? impl_->tls->ca_pem : std::string();
}

boost::json::object simulator::stats() const
{
    return impl_->svc.stats();
}

std::optional<std::string> simulator::file_content(std::string_view url_or_id) const
{
    return impl_->svc.file_content(url_or_id);
}

void simulator::reset_stats()
{
    impl_->svc.reset_stats();
}

std::vector<std::pair<std::string, std::string>> simulator::last_request_headers() const
{
    return impl_->svc.last_headers();
}

void simulator::set_faults(const fault_options& faults)
{
    impl_->svc.set_faults(faults);
}

} // namespace handinger::sim
