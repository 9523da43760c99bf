// `handinger tasks batch FILE|-`: JSON Lines in (one CreateTask per line,
// read as they come: batch_input.hpp), JSON Lines out (one result per input
// line, in completion order), and with --journal a record that lets a run
// killed half-way be run again without sending any input twice
// (journal.hpp).
#include "batch_input.hpp"
#include "commands.hpp"
#include "journal.hpp"
#include "output.hpp"
#include "run.hpp"

#include <handinger/json.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/value_from.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

namespace handinger::cli {

namespace asio = boost::asio;
namespace json = boost::json;
using steady = std::chrono::steady_clock;

namespace {

/// After SIGINT or SIGTERM, how long the creates in flight may take to
/// finish before they are cancelled (a second signal: at once).
constexpr std::chrono::seconds drain_limit{10};
/// Parsed lines read ahead of the batch.
constexpr std::size_t read_ahead = 512;

std::string clock_text(double seconds)
{
    auto s = static_cast<long long>(seconds + 0.5);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
    return buf;
}

/// What the input gave so far (written by the source, read by the view).
struct input_tally {
    std::size_t inputs = 0;    ///< lines that are not blank
    std::size_t malformed = 0; ///< of those, not a valid CreateTask
    std::size_t journaled = 0; ///< of those, done by an earlier run (the journal says)
    bool at_end = false;
};

/// The live progress bar (stderr on a TTY) and the closing summary.
struct progress_view {
    progress_view(std::shared_ptr<const input_tally> in, bool tty, bool journal)
        : in(std::move(in)), tty(tty), journal(journal)
    {}

    std::shared_ptr<const input_tally> in;
    bool tty;
    bool journal;
    steady::time_point start = steady::now();
    std::optional<batch_progress> last;
    bool drawn = false;

    void update(const batch_progress& p)
    {
        last = p;
        draw();
    }

    void draw()
    {
        if (!tty || !last)
            return;
        const auto& p = *last;
        const std::size_t total = in->inputs;
        const std::size_t done = p.done + in->malformed + in->journaled;
        double secs = std::chrono::duration<double>(steady::now() - start).count();
        double rate = secs > 0 ? p.done / secs : 0;
        constexpr int width = 24;
        int filled = total ? static_cast<int>(width * done / total) : width;
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.append(static_cast<std::size_t>(width - filled), '.');
        // The total is known once the input has ended.
        std::string eta = in->at_end && rate > 0 && done < total ? clock_text((total - done) / rate) : "-";
        std::fprintf(stderr, "\r\033[K[%s] %zu/%zu%s done, %zu failed, %zu in flight, %.1f/s, ETA %s",
                     bar.c_str(), done, total, in->at_end ? "" : "+", p.failed + in->malformed, p.in_flight,
                     rate, eta.c_str());
        std::fflush(stderr);
        drawn = true;
    }

    /// Takes the bar off its line, so that a result printed on the same
    /// terminal starts a line of its own.
    void clear()
    {
        if (drawn) {
            std::fputs("\r\033[K", stderr);
            std::fflush(stderr);
            drawn = false;
        }
    }

    void summary(std::size_t ok, std::size_t failed)
    {
        clear();
        double secs = std::chrono::duration<double>(steady::now() - start).count();
        std::string before;
        if (journal)
            before = ", " + std::to_string(in->journaled) + " done before (journal)";
        std::fprintf(stderr,
                     "batch: %zu inputs, %zu succeeded, %zu failed (%zu malformed)%s in %.2f s (%.1f/s)\n",
                     in->inputs, ok, failed + in->malformed, in->malformed, before.c_str(), secs,
                     secs > 0 ? (ok + failed) / secs : 0.0);
    }
};

/// A result succeeded when its create did and, with --wait, its task
/// completed.
bool succeeded(const batch_item_result& r)
{
    return !r.ec && (!r.final_state || r.final_state->task.status == task_status::completed);
}

json::object result_json(const batch_item_result& r, std::size_t line)
{
    json::object o;
    o["line"] = line;
    o["ok"] = succeeded(r);
    if (!r.task_id.empty())
        o["taskId"] = r.task_id;
    if (r.ec) {
        o["error"] = error_json(r.ec, r.diag ? *r.diag : diagnostics{});
        return o;
    }
    o["recovered"] = r.recovered;
    if (r.run) {
        o["status"] = r.run->status.str();
        o["run"] = json::value_from(*r.run);
    }
    if (r.final_state) {
        o["finalStatus"] = r.final_state->task.status.str();
        o["final"] = json::value_from(*r.final_state);
    }
    return o;
}

void print_malformed(std::size_t line, const std::string& problem)
{
    auto msg = "line " + std::to_string(line) + ": " + problem;
    print_error(msg + "; each line must be a CreateTask object such as {\"input\": \"...\"}");
    json::object o;
    o["line"] = line;
    o["ok"] = false;
    json::object e;
    e["kind"] = "invalid_input";
    e["message"] = msg;
    o["error"] = std::move(e);
    print_json(o, output_format::jsonl);
}

/// What a signal reaches while the batch runs.
struct interruption {
    batch_stream* stream = nullptr;
    line_feed* feed = nullptr;
    asio::steady_timer* drain = nullptr;
    int signals = 0;

    void on_signal()
    {
        if (++signals > 1 || !stream) { // the second: stop waiting
            if (stream)
                stream->cancel();
            return;
        }
        // Nothing new is sent; what is in flight may finish (its result
        // then goes to the journal), for a while.
        stream->stop();
        feed->stop();
        drain->expires_after(drain_limit);
        drain->async_wait([this](boost::system::error_code ec) {
            if (!ec && stream)
                stream->cancel();
        });
    }
};

} // namespace

int run_batch(const global_args& g, const batch_args& a)
{
    int fd = STDIN_FILENO;
    if (a.file != "-") {
        fd = ::open(a.file.c_str(), O_RDONLY | O_CLOEXEC);
        struct stat st {};
        if (fd < 0 || ::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
            print_error("cannot read " + a.file + ": " + (fd < 0 ? std::strerror(errno) : "a directory"));
            if (fd >= 0)
                ::close(fd);
            return exit_usage;
        }
    }
    const bool owns_fd = fd != STDIN_FILENO;
    if (a.adaptive && a.max_concurrency < a.concurrency) {
        if (owns_fd)
            ::close(fd);
        print_error("--concurrency must not be above --max-concurrency");
        return exit_usage;
    }
    batch_options o;
    o.initial_in_flight = a.concurrency;
    o.max_in_flight = a.adaptive ? a.max_concurrency : a.concurrency;
    o.adaptive = a.adaptive;
    o.wait = a.wait;
    if (a.deadline_s)
        o.watch.deadline = to_ms(*a.deadline_s);

    interruption stop;
    bool interrupted = false;
    bool fd_taken = false;
    // The input is read once the client exists (a missing key is said before
    // any line), as it comes: the first line is sent before the last is read.
    auto body = [&](client& c) -> asio::awaitable<int> {
        std::shared_ptr<batch_journal> journal;
        if (a.journal) {
            std::string problem;
            journal = batch_journal::open(*a.journal, problem);
            if (!journal) {
                print_error(problem);
                co_return exit_usage;
            }
        }
        fd_taken = true;
        line_feed feed(fd, owns_fd, c.get_executor(), read_ahead);
        auto tally = std::make_shared<input_tally>();
        progress_view view{tally, stderr_is_tty(), journal != nullptr};
        auto opts = o;
        opts.on_progress = [&view](const batch_progress& p) { view.update(p); };
        // The batch's index of an input is its line number - 1 (a blank or
        // malformed line is handed over as an empty input, which `resume`
        // skips), so a derived id stays the same when another line is fixed.
        opts.resume = [journal, tally](std::size_t index, const create_task_params& p) {
            if (p.input.empty())
                return batch_resume::skip; // (said when it was read)
            auto r = journal ? journal->resume(index + 1, *p.task_id) : batch_resume::submit;
            tally->journaled += r == batch_resume::skip;
            return r;
        };
        if (journal) {
            opts.id_key = journal->key();
            opts.on_submit = [journal](std::size_t index, std::string_view id) {
                journal->sent(index + 1, id);
            };
        }
        auto lines = feed.source();
        auto source = [lines, tally]() -> asio::awaitable<std::optional<create_task_params>> {
            auto l = co_await lines();
            if (!l) {
                tally->at_end = true;
                co_return std::nullopt;
            }
            if (l->what == input_line::kind::valid) {
                ++tally->inputs;
                co_return std::move(l->params);
            }
            if (l->what == input_line::kind::malformed) {
                ++tally->inputs;
                ++tally->malformed;
                print_malformed(l->line, l->problem);
            }
            co_return create_task_params{}; // (its line's place)
        };
        asio::steady_timer drain(c.get_executor());
        // The stream lives in this coroutine, so it ends before the client
        // and its io_context do.
        auto stream = c.stream_batch(source, std::move(opts));
        if (stop.signals > 0) // interrupted before anything was sent
            co_return exit_interrupted;
        stop.stream = &stream;
        stop.feed = &feed;
        stop.drain = &drain;
        std::size_t ok = 0, failed = 0;
        bool journal_failed = false;
        while (auto r = co_await stream.async_next()) {
            if (r->skipped)
                continue;
            auto res = result_json(*r, r->index + 1);
            // A cancelled create is no outcome: a re-run looks for its task.
            if (journal && !journal_failed && r->ec != error::cancelled) {
                try {
                    journal->result(res);
                } catch (const std::exception& e) {
                    print_error(e.what());
                    journal_failed = true;
                    stream.stop(); // nothing more is sent without its note
                }
            }
            view.clear();
            print_json(res, output_format::jsonl);
            view.draw();
            ++(succeeded(*r) ? ok : failed);
            if (output_failed()) {
                stream.cancel(); // nobody reads the results: stop submitting
                break;
            }
        }
        stop.stream = nullptr;
        drain.cancel();
        if (auto why = feed.read_error(); !why.empty()) {
            view.clear();
            print_error("cannot read " + (a.file == "-" ? std::string("standard input") : a.file) + ": " +
                        why);
            co_return exit_usage;
        }
        view.summary(ok, failed);
        co_return interrupted               ? exit_interrupted
        : output_failed() || journal_failed ? exit_failed
        : tally->malformed                  ? exit_usage
        : failed                            ? exit_failed
                                            : exit_ok;
    };
    auto on_signal = [&] {
        interrupted = true;
        stop.on_signal();
    };
    int rc = finish_output(run_with_client(g, body, o.max_in_flight, on_signal));
    if (owns_fd && !fd_taken)
        ::close(fd);
    return rc;
}

} // namespace handinger::cli
