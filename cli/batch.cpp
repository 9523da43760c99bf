// `handinger tasks batch FILE|-`: JSON Lines in (one CreateTask per line),
// JSON Lines out (one result per input line, in completion order).
#include "commands.hpp"
#include "output.hpp"
#include "run.hpp"

#include <handinger/json.hpp>

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

namespace handinger::cli {

namespace asio = boost::asio;
namespace json = boost::json;
using steady = std::chrono::steady_clock;

namespace {

struct input_line {
    std::size_t line = 0;
    create_task_params params;
};

/// Reads the JSON Lines; blank lines are skipped. A line that is not a
/// valid CreateTask object (bad JSON, a wrong type, an unknown key, a value
/// the API refuses such as an empty input) is reported on stderr and as a
/// failed result, and only that line fails.
struct read_inputs {
    std::vector<input_line> valid;
    std::size_t malformed = 0;
    bool read_error = false; ///< the input could not be read to its end

    explicit read_inputs(std::istream& in)
    {
        std::string text;
        std::size_t n = 0;
        while (std::getline(in, text)) {
            ++n;
            if (text.find_first_not_of(" \t\r") == std::string::npos)
                continue;
            input_line l;
            l.line = n;
            if (auto bad = parse(text, l.params); !bad.empty()) {
                ++malformed;
                auto msg = "line " + std::to_string(n) + ": " + bad;
                print_error(msg + "; each line must be a CreateTask object such as {\"input\": \"...\"}");
                json::object o;
                o["line"] = n;
                o["ok"] = false;
                json::object e;
                e["kind"] = "invalid_input";
                e["message"] = msg;
                o["error"] = std::move(e);
                print_json(o, output_format::jsonl);
                continue;
            }
            valid.push_back(std::move(l));
        }
        read_error = !in.eof(); // getline stops on an error (EISDIR, EIO) as on the end
    }

    static std::string parse(const std::string& text, create_task_params& p)
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
};

std::string clock_text(double seconds)
{
    auto s = static_cast<long long>(seconds + 0.5);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
    return buf;
}

/// The live progress bar (stderr on a TTY) and the closing summary.
struct progress_view {
    progress_view(std::size_t total, std::size_t malformed, bool tty)
        : total(total), malformed(malformed), tty(tty)
    {}

    std::size_t total;
    std::size_t malformed;
    bool tty;
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
        std::size_t done = p.done + malformed;
        double secs = std::chrono::duration<double>(steady::now() - start).count();
        double rate = secs > 0 ? p.done / secs : 0;
        constexpr int width = 24;
        int filled = total ? static_cast<int>(width * done / total) : width;
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.append(static_cast<std::size_t>(width - filled), '.');
        std::string eta = rate > 0 && done < total ? clock_text((total - done) / rate) : "-";
        std::fprintf(stderr, "\r\033[K[%s] %zu/%zu done, %zu failed, %zu in flight, %.1f/s, ETA %s",
                     bar.c_str(), done, total, p.failed + malformed, p.in_flight, rate, eta.c_str());
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
        std::fprintf(stderr,
                     "batch: %zu inputs, %zu succeeded, %zu failed (%zu malformed) in %.2f s (%.1f/s)\n",
                     total, ok, failed + malformed, malformed, secs, secs > 0 ? (ok + failed) / secs : 0.0);
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

} // namespace

int run_batch(const global_args& g, const batch_args& a)
{
    std::unique_ptr<std::ifstream> file;
    std::istream* in = &std::cin;
    if (a.file != "-") {
        file = std::make_unique<std::ifstream>(a.file);
        if (!*file) {
            print_error("cannot read " + a.file);
            return exit_usage;
        }
        in = file.get();
    }
    if (a.adaptive && a.max_concurrency < a.concurrency) {
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

    batch_stream* active = nullptr; // for the signal handler, while the batch runs
    bool interrupted = false;
    // The input is read once the client exists (a missing key is said before
    // any line), and whole before the first create (a slow writer on stdin
    // then never stalls the creates in flight).
    auto body = [&](client& c) -> asio::awaitable<int> {
        auto inputs = std::make_shared<read_inputs>(*in);
        if (inputs->read_error) {
            print_error("cannot read " + (a.file == "-" ? std::string("standard input") : a.file));
            co_return exit_usage;
        }
        progress_view view{inputs->valid.size() + inputs->malformed, inputs->malformed, stderr_is_tty()};
        auto opts = o;
        opts.on_progress = [&view](const batch_progress& p) { view.update(p); };
        std::size_t next = 0;
        auto source = [inputs, next]() mutable -> std::optional<create_task_params> {
            if (next == inputs->valid.size())
                return std::nullopt;
            return std::move(inputs->valid[next++].params);
        };
        // The stream lives in this coroutine, so it ends before the client
        // and its io_context do.
        auto stream = c.stream_batch(source, std::move(opts));
        active = &stream;
        std::size_t ok = 0, failed = 0;
        while (auto r = co_await stream.async_next()) {
            view.clear();
            print_json(result_json(*r, inputs->valid[r->index].line), output_format::jsonl);
            view.draw();
            ++(succeeded(*r) ? ok : failed);
            if (output_failed()) {
                stream.cancel(); // nobody reads the results: stop submitting
                break;
            }
        }
        active = nullptr;
        view.summary(ok, failed);
        co_return interrupted ? exit_interrupted
        : output_failed()     ? exit_failed
        : inputs->malformed   ? exit_usage
        : failed              ? exit_failed
                              : exit_ok;
    };
    auto on_signal = [&] {
        interrupted = true;
        if (active)
            active->cancel(); // every input still gets its (cancelled) result
    };
    return finish_output(run_with_client(g, body, o.max_in_flight, on_signal));
}

} // namespace handinger::cli
