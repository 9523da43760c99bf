#include <handinger/error.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace handinger {
namespace {

class category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "handinger"; }

    std::string message(int ev) const override
    {
        switch (static_cast<error>(ev)) {
        case error::bad_request: return "bad request";
        case error::authentication: return "authentication failed";
        case error::permission_denied: return "permission denied";
        case error::not_found: return "not found";
        case error::conflict: return "conflict";
        case error::unprocessable_entity: return "unprocessable entity";
        case error::rate_limited: return "rate limited";
        case error::server_error: return "server error";
        case error::unexpected_status: return "unexpected HTTP status";
        case error::connection: return "connection error";
        case error::timeout: return "timed out";
        case error::tls_verification: return "TLS certificate verification failed";
        case error::tls: return "TLS error";
        case error::invalid_response: return "invalid response";
        case error::invalid_argument: return "invalid argument";
        case error::cancelled: return "cancelled";
        case error::proxy: return "proxy refused the tunnel";
        }
        return "unknown handinger error";
    }

    boost::system::error_condition default_error_condition(int ev) const noexcept override
    {
        switch (static_cast<error>(ev)) {
        case error::timeout: return boost::system::errc::timed_out;
        case error::cancelled: return boost::system::errc::operation_canceled;
        case error::invalid_argument: return boost::system::errc::invalid_argument;
        default: return {ev, *this};
        }
    }
};

// Cuts s to at most n bytes without splitting a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, std::size_t n)
{
    if (s.size() <= n)
        return s;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
        --n;
    return s.substr(0, n);
}

} // namespace

const boost::system::error_category& error_category() noexcept
{
    static const category c;
    return c;
}

boost::system::error_code error_from_status(int status) noexcept
{
    if (status >= 100 && status < 300)
        return {};
    switch (status) {
    case 400: return error::bad_request;
    case 401: return error::authentication;
    case 403: return error::permission_denied;
    case 404: return error::not_found;
    case 409: return error::conflict;
    case 422: return error::unprocessable_entity;
    case 429: return error::rate_limited;
    default: return status >= 500 ? error::server_error : error::unexpected_status;
    }
}

void diagnostics::set_response(int st, std::string_view body)
{
    status = st;
    body_excerpt.assign(utf8_prefix(body, max_excerpt));
    if (body.size() > body_excerpt.size())
        body_excerpt += "...";
    server_message.clear();
    boost::system::error_code ec;
    auto jv = boost::json::parse(body, ec);
    if (ec || !jv.is_object())
        return;
    const auto& o = jv.get_object();
    auto take = [&](const boost::json::value* v) {
        if (v && v->is_string()) {
            server_message.assign(utf8_prefix(v->get_string(), max_excerpt));
            return true;
        }
        return false;
    };
    if (take(o.if_contains("message")))
        return;
    if (auto* e = o.if_contains("error")) {
        if (take(e))
            return;
        if (e->is_object())
            take(e->get_object().if_contains("message"));
    }
}

std::string diagnostics::to_string(boost::system::error_code ec) const
{
    std::string s;
    if (!method.empty()) {
        s += method;
        s += ' ';
        s += path;
        s += ": ";
    }
    if (status != 0) {
        s += std::to_string(status);
        s += ' ';
    }
    s += ec ? ec.message() : std::string("success");
    if (!server_message.empty()) {
        s += ": ";
        s += server_message;
    }
    if (!client_message.empty()) {
        s += ": ";
        s += client_message;
    }
    if (attempts > 1) {
        s += " (after ";
        s += std::to_string(attempts);
        s += " attempts)";
    }
    return s;
}

api_error::api_error(boost::system::error_code ec, diagnostics diag)
    : boost::system::system_error(ec), diag_(std::move(diag)), what_(diag_.to_string(ec))
{}

void throw_if(boost::system::error_code ec, const diagnostics& diag)
{
    if (ec)
        throw api_error(ec, diag);
}

} // namespace handinger
