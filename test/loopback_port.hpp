// A loopback port where nothing listens, for as long as the object lives:
// bound, never listened on, so a connection there is refused at once and no
// other program can take the port meanwhile.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace test_support {

class unused_port {
public:
    unused_port()
    {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
            socklen_t len = sizeof a;
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
            port_ = ntohs(a.sin_port);
        }
    }
    ~unused_port() { ::close(fd_); }
    unused_port(const unused_port&) = delete;
    unused_port& operator=(const unused_port&) = delete;

    /// The port; 0 when none could be bound (the test then fails on it).
    unsigned short port() const { return port_; }
    /// "http://127.0.0.1:PORT" + path.
    std::string url(const std::string& path = "/") const
    {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }

private:
    int fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    unsigned short port_ = 0;
};

/// A TCP socket listening on 127.0.0.1 (a port the kernel picks, written to
/// `port`), with `backlog`; -1 when it could not be made (the caller
/// REQUIREs it). Connections queue in the backlog until the caller accepts
/// them, or for ever: a peer that never answers.
inline int listen_on_loopback(int backlog, unsigned short& port)
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, backlog) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        if (fd >= 0)
            ::close(fd);
        return -1;
    }
    port = ntohs(a.sin_port);
    return fd;
}

} // namespace test_support
