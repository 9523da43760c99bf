#include "batch_input.hpp"

#include <handinger/json.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>

namespace handinger::cli {

namespace asio = boost::asio;
namespace json = boost::json;

std::string parse_input_line(const std::string& text, create_task_params& p)
{
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec)
        return "invalid JSON: " + ec.message();
    std::string what;
    read_json(v, p, ec, what);
    if (ec)
        return what;
    // The reader is lenient; input written by hand deserves to hear of a
    // misspelt key instead of having it dropped.
    for (const auto& kv : v.as_object()) {
        auto k = kv.key();
        if (k != "input" && k != "budget" && k != "taskId" && k != "workerId")
            return "unknown key \"" + std::string(k) + "\" (expected input, budget, taskId, workerId)";
    }
    return validate(p);
}

struct line_feed::state {
    state(asio::any_io_executor ex, std::size_t cap) : capacity(cap), wake(std::move(ex)) {}

    std::mutex mu;
    std::condition_variable space; // the reader waits for room in `queue`
    std::deque<input_line> queue;
    const std::size_t capacity;
    bool ended = false;   // the reader is done: end of input, error or stop
    bool stopped = false; // stop(): nothing more is handed over
    std::string error;
    bool consumer_waiting = false;
    asio::steady_timer wake; // the consumer waits on it; the reader cancels it (posted)
    int stop_pipe[2] = {-1, -1};

    // Under `mu`: wakes a consumer waiting for a line or the end.
    void wake_consumer(const std::shared_ptr<state>& self)
    {
        if (!consumer_waiting)
            return;
        consumer_waiting = false;
        asio::post(wake.get_executor(), [self] { self->wake.cancel(); });
    }
};

namespace {

using state_ptr = std::shared_ptr<line_feed::state>;

// Hands one line over; false when the feed was stopped meanwhile.
bool push(const state_ptr& st, input_line l)
{
    std::unique_lock lk(st->mu);
    st->space.wait(lk, [&] { return st->stopped || st->queue.size() < st->capacity; });
    if (st->stopped)
        return false;
    st->queue.push_back(std::move(l));
    st->wake_consumer(st);
    return true;
}

bool hand_over(const state_ptr& st, std::size_t line_no, const std::string& text)
{
    input_line l;
    l.line = line_no;
    if (text.find_first_not_of(" \t\r") == std::string::npos) {
        l.what = input_line::kind::blank;
    } else if (auto bad = parse_input_line(text, l.params); !bad.empty()) {
        l.what = input_line::kind::malformed;
        l.problem = std::move(bad);
        l.params = {};
    } else {
        l.what = input_line::kind::valid;
    }
    return push(st, std::move(l));
}

void read_lines(const state_ptr& st, int fd)
{
    std::string pending; // the line being read
    std::size_t line_no = 0;
    static constexpr std::size_t chunk_size = 64 * 1024;
    auto chunk = std::make_unique<char[]>(chunk_size);
    std::string error;
    for (;;) {
        pollfd fds[2] = {{fd, POLLIN, 0}, {st->stop_pipe[0], POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            error = std::strerror(errno);
            break;
        }
        if (fds[1].revents != 0)
            break; // stopped
        const ssize_t got = ::read(fd, chunk.get(), chunk_size);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            error = std::strerror(errno);
            break;
        }
        if (got == 0) { // the end; a last line without its newline counts
            if (!pending.empty())
                hand_over(st, ++line_no, pending);
            break;
        }
        std::string_view data(chunk.get(), static_cast<std::size_t>(got));
        bool more = true;
        for (auto nl = data.find('\n'); more && nl != std::string_view::npos; nl = data.find('\n')) {
            pending.append(data.substr(0, nl));
            more = hand_over(st, ++line_no, pending);
            pending.clear();
            data.remove_prefix(nl + 1);
        }
        if (!more)
            break;
        pending.append(data);
    }
    std::lock_guard lk(st->mu);
    st->ended = true;
    st->error = std::move(error);
    st->wake_consumer(st);
}

asio::awaitable<std::optional<input_line>> next_line(state_ptr st)
{
    co_await asio::this_coro::throw_if_cancelled(false);
    for (;;) {
        {
            std::lock_guard lk(st->mu);
            if (st->stopped)
                co_return std::nullopt;
            if (!st->queue.empty()) {
                std::optional<input_line> l(std::move(st->queue.front()));
                st->queue.pop_front();
                // The reader (waiting on a full queue) is woken once half of
                // it is read, not for each line: a line each would cost two
                // context switches.
                if (st->queue.size() == st->capacity / 2)
                    st->space.notify_one();
                co_return l;
            }
            if (st->ended)
                co_return std::nullopt;
            st->consumer_waiting = true;
        }
        // The reader cancels the timer (posted to this executor, so after
        // the wait below has started) when it hands a line over or ends.
        st->wake.expires_at(asio::steady_timer::time_point::max());
        boost::system::error_code ec;
        co_await st->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        auto cs = co_await asio::this_coro::cancellation_state;
        if (cs.cancelled() != asio::cancellation_type::none)
            co_return std::nullopt;
    }
}

} // namespace

line_feed::line_feed(int fd, bool owns_fd, asio::any_io_executor ex, std::size_t capacity)
    : st_(std::make_shared<state>(std::move(ex), capacity))
{
    if (::pipe2(st_->stop_pipe, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    reader_ = std::thread([st = st_, fd, owns_fd] {
        read_lines(st, fd);
        if (owns_fd)
            ::close(fd);
    });
}

line_feed::~line_feed()
{
    stop();
    reader_.join();
    ::close(st_->stop_pipe[0]);
    ::close(st_->stop_pipe[1]);
}

line_feed::source_fn line_feed::source() const
{
    return [st = st_] { return next_line(st); };
}

void line_feed::stop()
{
    std::lock_guard lk(st_->mu);
    if (st_->stopped)
        return;
    st_->stopped = true;
    st_->space.notify_all();
    const char byte = 1;
    [[maybe_unused]] auto n = ::write(st_->stop_pipe[1], &byte, 1);
    st_->consumer_waiting = true; // (so that a wait under way ends)
    st_->wake_consumer(st_);
}

std::string line_feed::read_error() const
{
    std::lock_guard lk(st_->mu);
    return st_->error;
}

} // namespace handinger::cli
