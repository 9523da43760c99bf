// A stream for tests, in place of a TCP socket: what the code under test
// writes goes to a peer function; what it reads comes from bytes the test
// (or the peer) delivers, in whatever segmentation the test asks for. A
// read with nothing to give waits (a stall) until more is delivered, the
// end is delivered, or the stream is closed (as a deadline closes a socket).
//
// The model is Boost.MySQL's test stream and Beast's test::stream; this one
// adds a peer that answers writes, so that a TLS server can sit behind it.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <cstddef>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace handinger::test {

class test_stream {
public:
    using executor_type = boost::asio::any_io_executor;
    using error_code = boost::system::error_code;

    explicit test_stream(executor_type ex) : ex_(std::move(ex)) {}
    executor_type get_executor() const { return ex_; }
    // (what asio::ssl::stream asks of its next layer)
    using lowest_layer_type = test_stream;
    lowest_layer_type& lowest_layer() noexcept { return *this; }
    const lowest_layer_type& lowest_layer() const noexcept { return *this; }

    // ---- the script ----

    /// Called with each piece the code under test writes, after it is taken.
    std::function<void(std::string_view)> on_write;
    /// Each read returns at most this many bytes...
    std::size_t read_size = std::numeric_limits<std::size_t>::max();
    /// ... and the first reads exactly these many (the segmentation), when set.
    std::deque<std::size_t> read_splits;
    /// Each write takes at most this many bytes.
    std::size_t write_size = std::numeric_limits<std::size_t>::max();
    /// The n-th write (1-based) and every one after it fails with this error.
    int fail_write_from = 0;
    error_code write_error = boost::asio::error::connection_reset;

    /// Bytes for the code under test to read.
    void deliver(std::string_view bytes)
    {
        in_.append(bytes);
        serve();
    }
    /// After what was delivered, reads end with `ec` (eof: the peer closed).
    void deliver_end(error_code ec = boost::asio::error::eof)
    {
        end_ = ec;
        serve();
    }
    /// As a deadline closes a socket: a waiting read fails with
    /// operation_aborted, and so does every operation after it.
    void close()
    {
        closed_ = true;
        serve();
    }

    // ---- what happened ----

    std::string written; ///< every byte written, in order
    int reads = 0, writes = 0;
    std::size_t unread() const noexcept { return in_.size(); }
    bool read_waiting() const noexcept { return pending_.has_value(); }

    // ---- the AsyncReadStream / AsyncWriteStream operations ----

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& b, Token&& token)
    {
        return boost::asio::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, boost::asio::mutable_buffer first) {
                ++reads;
                pending_.emplace(pending_read{first, std::move(handler)});
                serve();
            },
            token, first_buffer(b));
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& b, Token&& token)
    {
        return boost::asio::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, ConstBuffers b) {
                ++writes;
                error_code ec;
                std::size_t n = 0;
                if (closed_)
                    ec = boost::asio::error::operation_aborted;
                else if (fail_write_from > 0 && writes >= fail_write_from)
                    ec = write_error;
                else {
                    std::string piece(std::min(boost::asio::buffer_size(b), write_size), '\0');
                    n = boost::asio::buffer_copy(boost::asio::buffer(piece), b);
                    written += piece;
                    if (on_write)
                        on_write(piece);
                }
                boost::asio::post(ex_, boost::asio::append(std::move(handler), ec, n));
            },
            token, b);
    }

    // ---- the SyncReadStream / SyncWriteStream operations (for reference
    // implementations driven synchronously); a read with nothing to give
    // fails with would_block instead of waiting ----

    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& b, error_code& ec)
    {
        ++reads;
        ec = {};
        auto into = first_buffer(b);
        if (closed_) {
            ec = boost::asio::error::operation_aborted;
            return 0;
        }
        if (in_.empty()) {
            ec = end_ ? *end_ : error_code(boost::asio::error::would_block);
            return 0;
        }
        std::size_t limit = read_size;
        if (!read_splits.empty()) {
            limit = std::max<std::size_t>(read_splits.front(), 1);
            read_splits.pop_front();
        }
        auto n = std::min({limit, in_.size(), into.size()});
        std::copy_n(in_.data(), n, static_cast<char*>(into.data()));
        in_.erase(0, n);
        return n;
    }
    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& b)
    {
        error_code ec;
        auto n = read_some(b, ec);
        if (ec)
            throw boost::system::system_error(ec);
        return n;
    }
    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& b, error_code& ec)
    {
        ++writes;
        ec = {};
        if (closed_) {
            ec = boost::asio::error::operation_aborted;
            return 0;
        }
        std::string piece(std::min(boost::asio::buffer_size(b), write_size), '\0');
        auto n = boost::asio::buffer_copy(boost::asio::buffer(piece), b);
        written += piece;
        if (on_write)
            on_write(piece);
        return n;
    }
    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& b)
    {
        error_code ec;
        auto n = write_some(b, ec);
        if (ec)
            throw boost::system::system_error(ec);
        return n;
    }

private:
    struct pending_read {
        boost::asio::mutable_buffer into;
        boost::asio::any_completion_handler<void(error_code, std::size_t)> handler;
    };

    template <class MutableBuffers>
    static boost::asio::mutable_buffer first_buffer(const MutableBuffers& b)
    {
        for (auto it = boost::asio::buffer_sequence_begin(b); it != boost::asio::buffer_sequence_end(b); ++it)
            if (boost::asio::mutable_buffer m(*it); m.size() > 0)
                return m;
        return {};
    }

    // Completes the waiting read when it can.
    void serve()
    {
        if (!pending_)
            return;
        error_code ec;
        std::size_t n = 0;
        if (closed_)
            ec = boost::asio::error::operation_aborted;
        else if (!in_.empty()) {
            std::size_t limit = read_size;
            if (!read_splits.empty()) {
                limit = std::max<std::size_t>(read_splits.front(), 1);
                read_splits.pop_front();
            }
            n = std::min({limit, in_.size(), pending_->into.size()});
            std::copy_n(in_.data(), n, static_cast<char*>(pending_->into.data()));
            in_.erase(0, n);
        } else if (end_)
            ec = *end_;
        else
            return; // a stall: wait for more
        auto h = std::move(pending_->handler);
        pending_.reset();
        boost::asio::post(ex_, boost::asio::append(std::move(h), ec, n));
    }

    executor_type ex_;
    std::string in_;
    std::optional<error_code> end_;
    bool closed_ = false;
    std::optional<pending_read> pending_;
};

} // namespace handinger::test
