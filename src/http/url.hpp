// Base URL helpers that need no transport: what may be shown of a URL in a
// message, and whether a host is this machine.
#pragma once

#include <string>
#include <string_view>

namespace handinger::detail::http {

/// `url` as it may appear in a message: user info replaced by "***" (with
/// everything else before the last '@' of the authority, so that a password
/// holding '/' or '#' does not slip through), and any query or fragment by
/// "?..." or "#...". Used for every message that shows a base URL: a
/// password in user info, or a key in a query, must not reach logs.
std::string redact_url(std::string_view url);

/// True for "localhost" (any case, with or without a final dot), an IPv4
/// address in 127.0.0.0/8, "::1", and ::ffff:127.x.y.z: hosts where plain
/// HTTP does not leave the machine. A name that merely resolves to loopback
/// is not recognised (its resolution is not known before connecting).
bool is_loopback_host(std::string_view host);

} // namespace handinger::detail::http
