// validate_webhook_url: the service's limits on a webhook URL, checked
// before any I/O.
#include <handinger/webhook_models.hpp>

#include "util/utf8.hpp"

#include <boost/url/parse.hpp>

namespace handinger {

std::string validate_webhook_url(std::string_view url)
{
    if (!detail::valid_utf8(url))
        return "url: must be valid UTF-8";
    const std::size_t len = detail::utf8_length(url);
    if (len > webhook_limits::max_url)
        return "url: must be at most " + std::to_string(webhook_limits::max_url) + " characters (got " +
               std::to_string(len) + ")";
    // A URI has a scheme; a relative reference ("/hook", "") is not one.
    if (auto r = boost::urls::parse_uri(url); !r)
        return "url: must be a URI (" + r.error().message() + ")";
    return {};
}

} // namespace handinger
