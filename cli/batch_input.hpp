// `tasks batch`'s input, read as it comes: a thread reads FILE (or standard
// input) and parses each line; a bounded queue hands the lines to the batch,
// so memory stays flat whatever the input's size, and a slow producer on a
// pipe never stalls the creates in flight.
#pragma once

#include <handinger/models.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace handinger::cli {

/// One line of the input.
struct input_line {
    enum class kind { valid, blank, malformed };
    std::size_t line = 0; ///< 1-based
    kind what = kind::blank;
    create_task_params params; ///< valid
    std::string problem;       ///< malformed: why (without "line N: ")
};

/// A CreateTask from one line: "" when it is valid, else why not (bad JSON,
/// a wrong type, an unknown key, a value the API refuses).
std::string parse_input_line(const std::string& text, create_task_params& p);

/// Reads `fd` on a thread of its own, at most `capacity` parsed lines ahead
/// of the batch.
class line_feed {
public:
    /// Takes `fd` (closed at the end when `owns_fd`); the lines are handed
    /// over on `ex`, which must run handlers one at a time.
    line_feed(int fd, bool owns_fd, boost::asio::any_io_executor ex, std::size_t capacity);
    /// Stops the thread and joins it.
    ~line_feed();
    line_feed(const line_feed&) = delete;
    line_feed& operator=(const line_feed&) = delete;

    using source_fn = std::function<boost::asio::awaitable<std::optional<input_line>>()>;
    /// Awaits the next line, on `ex`; empty at the end of the input, after
    /// stop(), or when its wait is cancelled (terminal). Holds the feed's
    /// state, so it may outlive the feed (it then returns empty).
    source_fn source() const;
    /// Reads no further; a wait of source() returns empty. Thread-safe.
    void stop();
    /// The input could not be read to its end: why (else "").
    std::string read_error() const;

    struct state;

private:
    std::shared_ptr<state> st_;
    std::thread reader_;
};

} // namespace handinger::cli
