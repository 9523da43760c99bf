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
/// CreateTask object (bad JSON, a wrong type, an unknown key) is reported on
/// stderr and as a failed result, and only that line fails.
struct read_inputs {
    std::vector<input_line> valid;
    std::size_t malformed = 0;

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
                print_error(msg);
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
        return {};
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
    std::size_t total;
    std::size_t malformed;
    bool tty;
    steady::time_point start = steady::now();

    void draw(const batch_progress& p) const
    {
        if (!tty)
            return;
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
    }

    void summary(std::size_t ok, std::size_t failed) const
    {
        double secs = std::chrono::duration<double>(steady::now() - start).count();
        if (tty)
            std::fputs("\r\033[K", stderr);
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
        o["error"] = error_json(r.ec, r.diag);
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
    if (a.concurrency == 0 || (a.adaptive && a.max_concurrency < a.concurrency)) {
        print_error("--concurrency must be at least 1 and at most --max-concurrency");
        return exit_usage;
    }
    auto inputs = std::make_shared<read_inputs>(*in);
    progress_view view{inputs->valid.size() + inputs->malformed, inputs->malformed, stderr_is_tty()};

    batch_options o;
    o.initial_in_flight = a.concurrency;
    o.max_in_flight = a.adaptive ? a.max_concurrency : a.concurrency;
    o.adaptive = a.adaptive;
    o.wait = a.wait;
    if (a.deadline_s)
        o.watch.deadline = std::chrono::milliseconds(static_cast<long long>(*a.deadline_s * 1000));
    o.on_progress = [&view](const batch_progress& p) { view.draw(p); };

    std::optional<batch_stream> stream;
    std::size_t ok = 0, failed = 0;
    bool interrupted = false;
    auto body = [&](client& c) -> asio::awaitable<int> {
        std::size_t next = 0;
        auto source = [inputs, next]() mutable -> std::optional<create_task_params> {
            if (next == inputs->valid.size())
                return std::nullopt;
            return std::move(inputs->valid[next++].params);
        };
        stream.emplace(c.stream_batch(source, o));
        while (auto r = co_await stream->async_next()) {
            print_json(result_json(*r, inputs->valid[r->index].line), output_format::jsonl);
            ++(succeeded(*r) ? ok : failed);
        }
        view.summary(ok, failed);
        co_return interrupted ? exit_interrupted
        : inputs->malformed   ? exit_usage
        : failed              ? exit_failed
                              : exit_ok;
    };
    auto on_signal = [&] {
        interrupted = true;
        if (stream)
            stream->cancel(); // every input still gets its (cancelled) result
    };
    return run_with_client(g, body, o.max_in_flight, on_signal);
}

} // namespace handinger::cli
