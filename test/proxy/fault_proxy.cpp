// The proxy itself: the listener, and per connection two pumps (one per
// direction) that forward, reset or stall as the connection's plan says.
#include "fault_proxy.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

namespace handinger::fault_proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);

direction flip(direction d)
{
    return d == direction::to_server ? direction::to_client : direction::to_server;
}

} // namespace

// ---- the proxy -------------------------------------------------------------

class link;

struct proxy::impl {
    explicit impl(options o) : opts(std::move(o)), random(opts.random) {}

    options opts;
    tcp::endpoint target;

    mutable std::mutex mu; // guards scripted, random, finished
    std::deque<plan> scripted;
    random_options random;
    std::deque<connection_record> finished;

    struct {
        std::atomic<std::uint64_t> connections{0}, refused{0}, resets{0}, stalls{0}, late_deliveries{0},
            dropped{0}, target_failures{0}, bytes_to_server{0}, bytes_to_client{0}, resets_to_server{0},
            resets_to_client{0}, stalls_to_server{0}, stalls_to_client{0};
    } count;
    std::atomic<std::size_t> open{0};
    std::atomic<unsigned short> bound_port{0};

    // On the proxy's thread only.
    std::uint64_t next_index = 0;
    std::vector<std::weak_ptr<link>> links;

    std::thread thread;
    std::future<void> exited; // ready when the thread's run() has returned
    bool running = false;
    // Declared after the state above: the coroutines it still holds when it
    // is destroyed may touch that state.
    asio::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;

    // The plan of connection `index`; `r` gets the random options when the
    // plan is drawn from them (it stays empty for a scripted one).
    plan next_plan(std::uint64_t index, std::optional<random_options>& r)
    {
        std::lock_guard lk(mu);
        if (!scripted.empty()) {
            auto p = scripted.front();
            scripted.pop_front();
            return p;
        }
        r = random;
        return random_plan(random, opts.seed, index);
    }

    void record(connection_record r)
    {
        std::lock_guard lk(mu);
        finished.push_back(std::move(r));
        while (finished.size() > opts.history)
            finished.pop_front();
    }

    asio::awaitable<void> accept_loop();
};

/// One proxied connection: two pumps (one per direction), the plan, and the
/// stall of one direction when the plan has one. Everything runs on the
/// proxy's single thread.
class link : public std::enable_shared_from_this<link> {
public:
    link(proxy::impl& owner, tcp::socket client, plan p, std::uint64_t index, std::optional<random_options> r)
        : owner_(owner), client_(std::move(client)), server_(owner.ioc), plan_(p), first_plan_(p),
          index_(index), random_(r), up_(owner.ioc), down_(owner.ioc)
    {}

    static asio::awaitable<void> run(std::shared_ptr<link> self)
    {
        error_code ec;
        auto [cec] = co_await self->server_.async_connect(self->owner_.target, tup);
        ec = cec;
        if (self->dead_)
            co_return;
        if (ec) {
            ++self->owner_.count.target_failures;
            self->abort();
            co_return;
        }
        self->client_.set_option(tcp::no_delay(true), ec);
        self->server_.set_option(tcp::no_delay(true), ec);
        auto ex = self->owner_.ioc.get_executor();
        asio::co_spawn(ex, pump(self, direction::to_server), asio::detached);
        asio::co_spawn(ex, pump(self, direction::to_client), asio::detached);
    }

    /// Resets both sides (SO_LINGER 0, then close): the peers see RST.
    void abort()
    {
        if (dead_)
            return;
        dead_ = true;
        end(); // (first: a peer that sees the reset finds the connection in the history)
        for (auto* s : {&client_, &server_}) {
            error_code ignored;
            if (s->is_open()) {
                s->set_option(asio::socket_base::linger(true, 0), ignored);
                s->close(ignored);
            }
        }
    }

private:
    struct side {
        explicit side(asio::io_context& ioc) : timer(ioc), resume(ioc) {}
        std::uint64_t received = 0; // bytes read from the sender so far
        int flight = -1;
        std::uint64_t flight_start = 0;
        bool new_flight = true;
        bool stalled = false;
        bool releasing = false;
        bool source_ended = false;
        bool done = false; // closed towards the receiver
        std::string held;
        asio::steady_timer timer;  // the end of a timed stall
        asio::steady_timer resume; // wakes the pump when held bytes drop below the limit
        std::vector<std::uint64_t> flights;
    };

    side& of(direction d) { return d == direction::to_server ? up_ : down_; }
    const side& of(direction d) const { return d == direction::to_server ? up_ : down_; }
    tcp::socket& source(direction d) { return d == direction::to_server ? client_ : server_; }
    tcp::socket& sink(direction d) { return d == direction::to_server ? server_ : client_; }

    static asio::awaitable<void> pump(std::shared_ptr<link> self, direction d)
    {
        auto& me = *self;
        auto& s = me.of(d);
        std::vector<char> buf(16 * 1024);
        for (;;) {
            while (s.stalled && s.held.size() >= me.owner_.opts.max_held && !me.dead_) {
                s.resume.expires_at(asio::steady_timer::time_point::max());
                co_await s.resume.async_wait(tup);
            }
            if (me.dead_)
                co_return;
            auto [ec, n] = co_await me.source(d).async_read_some(asio::buffer(buf), tup);
            if (me.dead_)
                co_return;
            if (ec) {
                me.source_end(d, ec);
                co_return;
            }
            if (s.new_flight) {
                ++s.flight;
                s.flight_start = s.received;
                s.new_flight = false;
                s.flights.push_back(0);
            }
            s.flights.back() += n;
            me.of(flip(d)).new_flight = true;
            const auto pos = s.received;
            s.received += n;
            std::string_view chunk(buf.data(), n);
            if (s.stalled) {
                s.held.append(chunk);
                continue;
            }
            auto cut = me.strike_point(d, pos, n);
            if (!cut) {
                bool ok = co_await me.forward(d, chunk);
                if (!ok)
                    co_return;
                continue;
            }
            me.struck_ = true;
            ++me.faults_;
            if (*cut > 0) {
                bool ok = co_await me.forward(d, chunk.substr(0, *cut));
                if (!ok)
                    co_return;
            }
            if (me.plan_.what == action::reset) {
                ++me.owner_.count.resets;
                ++(d == direction::to_server ? me.owner_.count.resets_to_server
                                             : me.owner_.count.resets_to_client);
                me.abort();
                co_return;
            }
            ++me.owner_.count.stalls;
            ++(d == direction::to_server ? me.owner_.count.stalls_to_server
                                         : me.owner_.count.stalls_to_client);
            s.stalled = true;
            s.held.assign(chunk.substr(*cut));
            if (me.plan_.stall_for.count() > 0)
                asio::co_spawn(me.owner_.ioc, stall_end(self, d), asio::detached);
        }
    }

    // The fault's offset inside the chunk [pos, pos + n) of direction d, if
    // it is there and has not struck yet.
    std::optional<std::size_t> strike_point(direction d, std::uint64_t pos, std::size_t n) const
    {
        if (struck_ || plan_.dir != d || (plan_.what != action::reset && plan_.what != action::stall))
            return std::nullopt;
        const auto& s = of(d);
        if (plan_.flight >= 0 && s.flight != plan_.flight)
            return std::nullopt;
        const std::uint64_t at =
            (plan_.flight >= 0 ? s.flight_start : base_[d == direction::to_server ? 0 : 1]) + plan_.offset;
        if (at < pos || at >= pos + n)
            return std::nullopt;
        return static_cast<std::size_t>(at - pos);
    }

    // Writes to the receiver of d; false (and the link reset) when that fails.
    asio::awaitable<bool> forward(direction d, std::string_view data)
    {
        auto [ec, n] = co_await asio::async_write(sink(d), asio::buffer(data), tup);
        if (dead_)
            co_return false;
        if (ec) {
            abort();
            co_return false;
        }
        (d == direction::to_server ? owner_.count.bytes_to_server : owner_.count.bytes_to_client) += n;
        co_return true;
    }

    static asio::awaitable<void> stall_end(std::shared_ptr<link> self, direction d)
    {
        auto& s = self->of(d);
        s.timer.expires_after(self->plan_.stall_for);
        co_await s.timer.async_wait(tup);
        if (self->dead_ || !s.stalled || s.releasing)
            co_return;
        co_await release(self, d);
    }

    // Ends the stall of d: the held bytes go out (and those that arrive
    // meanwhile), then forwarding resumes, or, when the sender has closed,
    // the receiver is closed too.
    static asio::awaitable<void> release(std::shared_ptr<link> self, direction d)
    {
        auto& me = *self;
        auto& s = me.of(d);
        s.releasing = true;
        if (s.source_ended && !s.held.empty())
            ++me.owner_.count.late_deliveries; // (counted before the receiver can act on them)
        while (!s.held.empty()) {
            std::string data = std::move(s.held);
            s.held.clear();
            s.resume.cancel();
            bool ok = co_await me.forward(d, data);
            if (!ok)
                co_return;
        }
        s.stalled = false;
        s.releasing = false;
        s.resume.cancel();
        if (s.source_ended) {
            me.half_close(d);
        } else if (me.random_) {
            // The connection lives on: its next fault, from here.
            me.plan_ = random_plan(*me.random_, me.owner_.opts.seed, me.index_, me.faults_);
            me.struck_ = false;
            me.base_[0] = me.up_.received;
            me.base_[1] = me.down_.received;
        }
    }

    // The sender of d closed (or failed).
    void source_end(direction d, const error_code& ec)
    {
        auto& s = of(d);
        s.source_ended = true;
        if (s.releasing)
            return; // the release closes once the held bytes are out
        if (s.stalled) {
            if (plan_.deliver_late) {
                if (plan_.stall_for.count() == 0) // "until closed": now
                    asio::co_spawn(owner_.ioc, release(shared_from_this(), d), asio::detached);
                return; // timed: when the stall ends
            }
            ++owner_.count.dropped;
            s.held.clear();
            s.stalled = false;
            s.timer.cancel();
        }
        if (ec == asio::error::connection_reset) {
            abort(); // pass the reset on
            return;
        }
        half_close(d);
    }

    void half_close(direction d)
    {
        error_code ignored;
        sink(d).shutdown(tcp::socket::shutdown_send, ignored);
        of(d).done = true;
        if (up_.done && down_.done && !dead_) {
            dead_ = true;
            end();
            client_.close(ignored);
            server_.close(ignored);
        }
    }

    void end()
    {
        up_.timer.cancel();
        down_.timer.cancel();
        up_.resume.cancel();
        down_.resume.cancel();
        --owner_.open;
        connection_record r;
        r.index = index_;
        r.planned = first_plan_;
        r.struck = struck_;
        r.faults = faults_;
        r.flights_to_server = up_.flights;
        r.flights_to_client = down_.flights;
        owner_.record(std::move(r));
    }

    proxy::impl& owner_;
    tcp::socket client_, server_;
    plan plan_;
    plan first_plan_;
    std::uint64_t index_;
    std::optional<random_options> random_; // a random plan's options (for its next faults)
    std::uint64_t base_[2] = {0, 0};       // where offsets of flight -1 count from (to_server, to_client)
    unsigned faults_ = 0;
    bool struck_ = false;
    bool dead_ = false; // closed: the link's coroutines stop at their next step
    side up_, down_;    // to_server, to_client
};

asio::awaitable<void> proxy::impl::accept_loop()
{
    for (;;) {
        auto [ec, sock] = co_await acceptor.async_accept(tup);
        if (!acceptor.is_open())
            co_return;
        if (ec) {
            // (out of descriptors, say): try again a little later
            asio::steady_timer t(ioc, std::chrono::milliseconds(10));
            co_await t.async_wait(tup);
            continue;
        }
        const auto index = next_index++;
        ++count.connections;
        std::optional<random_options> drawn_from;
        auto p = next_plan(index, drawn_from);
        if (p.what == action::refuse) {
            ++count.refused;
            error_code ignored;
            sock.set_option(asio::socket_base::linger(true, 0), ignored);
            sock.close(ignored);
            connection_record r;
            r.index = index;
            r.planned = p;
            r.struck = true;
            r.faults = 1;
            record(std::move(r));
            continue;
        }
        ++open;
        auto l = std::make_shared<link>(*this, std::move(sock), p, index, drawn_from);
        std::erase_if(links, [](const std::weak_ptr<link>& w) { return w.expired(); });
        links.push_back(l);
        asio::co_spawn(ioc, link::run(std::move(l)), asio::detached);
    }
}

proxy::proxy(options o) : impl_(std::make_shared<impl>(std::move(o))) {}

proxy::~proxy()
{
    stop();
}

void proxy::start()
{
    auto& m = *impl_;
    if (m.running)
        return;
    m.target = tcp::endpoint(asio::ip::make_address(m.opts.target_host), m.opts.target_port);
    tcp::endpoint listen(asio::ip::make_address(m.opts.listen_host), m.opts.listen_port);
    m.acceptor.open(listen.protocol());
    m.acceptor.set_option(asio::socket_base::reuse_address(true));
    m.acceptor.bind(listen);
    m.acceptor.listen(asio::socket_base::max_listen_connections);
    m.bound_port = m.acceptor.local_endpoint().port();
    m.work.emplace(m.ioc.get_executor());
    asio::co_spawn(m.ioc, m.accept_loop(), asio::detached);
    m.running = true;
    std::promise<void> exited;
    m.exited = exited.get_future();
    m.thread = std::thread([&m, done = std::move(exited)]() mutable {
        m.ioc.run();
        done.set_value();
    });
}

void proxy::stop()
{
    auto& m = *impl_;
    if (!m.running)
        return;
    m.running = false;
    asio::post(m.ioc, [&m] {
        error_code ignored;
        m.acceptor.close(ignored);
        for (auto& w : m.links)
            if (auto l = w.lock())
                l->abort();
        m.links.clear();
    });
    m.work.reset();
    // Aborted links end their coroutines at once, and the loop returns when
    // nothing is left; should anything still run after a while, stop it.
    if (m.exited.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
        m.ioc.stop();
    m.thread.join();
}

unsigned short proxy::port() const
{
    return impl_->bound_port;
}

std::string proxy::address() const
{
    return impl_->opts.listen_host + ":" + std::to_string(port());
}

void proxy::script(std::vector<plan> plans)
{
    std::lock_guard lk(impl_->mu);
    for (auto& p : plans)
        impl_->scripted.push_back(p);
}

void proxy::set_random(const random_options& r)
{
    std::lock_guard lk(impl_->mu);
    impl_->random = r;
}

void proxy::reset_connections()
{
    auto& m = *impl_;
    if (!m.running)
        return;
    std::promise<void> done;
    asio::post(m.ioc, [&m, &done] {
        for (auto& w : m.links)
            if (auto l = w.lock()) {
                ++m.count.resets;
                l->abort();
            }
        m.links.clear();
        done.set_value();
    });
    done.get_future().wait();
}

counters proxy::stats() const
{
    const auto& c = impl_->count;
    counters s;
    s.connections = c.connections;
    s.refused = c.refused;
    s.resets = c.resets;
    s.stalls = c.stalls;
    s.late_deliveries = c.late_deliveries;
    s.dropped = c.dropped;
    s.target_failures = c.target_failures;
    s.bytes_to_server = c.bytes_to_server;
    s.bytes_to_client = c.bytes_to_client;
    s.resets_to_server = c.resets_to_server;
    s.resets_to_client = c.resets_to_client;
    s.stalls_to_server = c.stalls_to_server;
    s.stalls_to_client = c.stalls_to_client;
    return s;
}

std::vector<connection_record> proxy::history() const
{
    std::lock_guard lk(impl_->mu);
    return {impl_->finished.begin(), impl_->finished.end()};
}

std::size_t proxy::open_connections() const
{
    return impl_->open;
}

} // namespace handinger::fault_proxy
