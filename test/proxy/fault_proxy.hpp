// A TCP proxy that injects faults, for the tests and the fault benchmark.
//
// It forwards bytes between a client and one target (TLS passes through
// untouched: it never looks inside) and, per connection, follows a plan:
// pass everything, refuse the connection at accept (reset), reset both sides
// (RST: SO_LINGER 0) once a direction has carried a given number of bytes, or
// stall a direction from such a byte offset on, for a time or until a side
// closes. A stalled direction keeps accepting bytes from its sender (as a
// network holds what the sender's kernel handed it); `deliver_late` says
// whether those bytes still reach the receiver when the sender closes during
// the stall (at the stall's end, or at the close when it lasts "until
// closed"), which is how a request the client gave up on arrives after all.
//
// Plans are scripted (the next connections, in accept order) or drawn from a
// seeded PRNG per connection index (random_plan, a pure function). Offsets
// count the bytes of one direction of a connection, either from its first
// byte or from the start of one of its "flights": a flight of a direction is
// a run of its bytes with none in the other direction between them, so on a
// request/response connection flight k of the client's direction is its k-th
// write burst (with TLS 1.3 and no session tickets: 0 the ClientHello, 1 the
// Finished and the first request, 2 the second request, ...; the server's
// flight 1 is the first response).
//
// The proxy runs on a thread of its own; every public member may be called
// from any thread after start(). The header is light (no Asio).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace handinger::fault_proxy {

enum class direction {
    to_server, ///< client -> server
    to_client, ///< server -> client
};

enum class action {
    pass,   ///< forward everything
    refuse, ///< reset the connection as soon as it is accepted
    reset,  ///< forward up to the offset, then reset both sides
    stall,  ///< forward up to the offset, then hold that direction's bytes
};

/// What happens to one connection.
struct plan {
    action what = action::pass;
    direction dir = direction::to_server;
    /// -1: `offset` counts from the first byte of `dir`; k >= 0: from the
    /// first byte of flight k of `dir` (the fault never strikes when that
    /// flight ends before the offset).
    int flight = -1;
    /// The fault strikes when the byte at this offset arrives: the bytes
    /// before it are forwarded, it and those after are not (reset) or held
    /// (stall).
    std::uint64_t offset = 0;
    /// stall: how long it lasts; zero = until either side closes.
    std::chrono::milliseconds stall_for{0};
    /// stall: when the sender closes during the stall, the held bytes are
    /// still delivered (when the stall ends; at once for "until closed"),
    /// then the close. false: they are dropped with the close.
    bool deliver_late = false;

    friend bool operator==(const plan&, const plan&) = default;
};

/// "pass", "refuse", "reset,dir=to_client,flight=1,offset=20",
/// "stall,dir=to_server,offset=300,for=450,late" (the form parse_plan reads).
std::string to_string(const plan& p);
/// Reads what to_string writes (keys in any order; dir defaults to
/// to_server, flight to -1, offset and for to 0); nullopt when malformed.
std::optional<plan> parse_plan(std::string_view text);

/// The seeded random plans. Probabilities are 0..1.
struct random_options {
    double refuse = 0;      ///< of connections: refused at accept
    double fault = 0;       ///< of the connections not refused: a reset or a stall
    double reset = 0.5;     ///< of faults: resets (the others stall)
    double to_client = 0.5; ///< of faults: in the server->client direction
    /// Offsets are uniform in [0, max) of the direction's bytes (handshake
    /// included), from the connection's start or from the end of the stall
    /// before (see random_plan).
    std::uint64_t max_offset_to_server = 4096;
    std::uint64_t max_offset_to_client = 8192;
    double stall_until_closed = 0.3; ///< of stalls: until a side closes (else timed)
    std::chrono::milliseconds min_stall{100}, max_stall{2000}; ///< timed stalls: uniform in [min, max]
    double deliver_late = 0.5; ///< of stalls: held bytes delivered after the sender closed
};

/// The plan of connection number `index` (0 = the first accepted) for
/// `seed`: the same arguments give the same plan. A connection that lives
/// on after its fault (a timed stall that ended) draws its next fault with
/// `round` 1, 2, ...; its offset then counts from where the stall ended.
/// Only round 0 refuses.
plan random_plan(const random_options& r, std::uint64_t seed, std::uint64_t index, unsigned round = 0);

struct options {
    std::string listen_host = "127.0.0.1"; ///< loopback only
    unsigned short listen_port = 0;        ///< 0 = any free port
    std::string target_host = "127.0.0.1";
    unsigned short target_port = 0;
    std::uint64_t seed = 1;
    random_options random; ///< for connections beyond the script (default: no faults)
    /// A stalled direction accepts this many bytes, then stops reading.
    std::size_t max_held = 1u << 20;
    /// How many finished connections history() keeps (the most recent).
    std::size_t history = 256;
};

/// What the proxy did so far.
struct counters {
    std::uint64_t connections = 0; ///< accepted
    std::uint64_t refused = 0;     ///< reset at accept
    std::uint64_t resets = 0;      ///< reset at an offset
    std::uint64_t stalls = 0;      ///< stalls that began
    std::uint64_t late_deliveries =
        0; ///< stalls whose held bytes went out after their sender closed (counted as they start)
    std::uint64_t dropped = 0;         ///< stalls whose held bytes were dropped at their sender's close
    std::uint64_t target_failures = 0; ///< connections to the target that failed
    std::uint64_t bytes_to_server = 0, bytes_to_client = 0; ///< forwarded
    std::uint64_t resets_to_server = 0, resets_to_client = 0;
    std::uint64_t stalls_to_server = 0, stalls_to_client = 0;
    /// Faults injected: refused + resets + stalls.
    std::uint64_t faults() const { return refused + resets + stalls; }
};

/// One finished connection, for tests that need to see the traffic's shape.
struct connection_record {
    std::uint64_t index = 0;                      ///< accept order
    plan planned;                                 ///< the first plan (a random one may be followed by more)
    bool struck = false;                          ///< the (last) plan's fault happened
    unsigned faults = 0;                          ///< faults that struck this connection
    std::vector<std::uint64_t> flights_to_server; ///< bytes received per flight
    std::vector<std::uint64_t> flights_to_client;
};

class proxy {
public:
    explicit proxy(options o);
    /// Stops the proxy if it runs.
    ~proxy();
    proxy(const proxy&) = delete;
    proxy& operator=(const proxy&) = delete;

    /// Binds and starts serving on a thread of its own. Throws when it cannot bind.
    void start();
    /// Closes the listener and resets every connection; joins the thread.
    /// Idempotent; returns within a bounded time.
    void stop();

    unsigned short port() const;
    /// "127.0.0.1:PORT".
    std::string address() const;

    /// Plans for the next connections, in accept order (after any left from
    /// an earlier script); later connections get random plans.
    void script(std::vector<plan> plans);
    /// Replaces the random plans' options (for connections accepted later).
    void set_random(const random_options& r);
    /// Resets every open connection now (both sides, RST), as a middlebox
    /// that forgot them would; counted in `resets`.
    void reset_connections();

    counters stats() const;
    /// The most recent finished connections, oldest first.
    std::vector<connection_record> history() const;
    /// Connections open now.
    std::size_t open_connections() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

} // namespace handinger::fault_proxy
