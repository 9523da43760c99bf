// An in-memory certificate authority for the simulator: a fresh CA and a
// server certificate for localhost / 127.0.0.1, made with the OpenSSL 3 API at
// start so that nothing secret is checked in and nothing expires in the tree.
#pragma once

#include <string>

namespace handinger::sim::detail {

struct tls_material {
    std::string ca_pem;   ///< the CA certificate clients should trust
    std::string cert_pem; ///< the server certificate, signed by the CA
    std::string key_pem;  ///< the server's private key (PKCS#8 PEM)
};

/// EC P-256 keys (fast to make), SHA-256 signatures, valid from an hour ago
/// for 30 days; the server certificate has SAN DNS:localhost, IP:127.0.0.1.
/// Throws std::runtime_error with OpenSSL's reason on failure.
tls_material generate_tls_material();

} // namespace handinger::sim::detail
