// `handinger tasks create|get|archive|turns|watch`.
#include "commands.hpp"
#include "messages.hpp"
#include "output.hpp"
#include "run.hpp"

#include <handinger/json.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <cstdio>
#include <iostream>
#include <map>
#include <variant>

namespace handinger::cli {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

watch_options make_watch_options(const std::optional<double>& deadline_s)
{
    watch_options w;
    w.report_retrying = true;
    if (deadline_s)
        w.deadline = to_ms(*deadline_s);
    return w;
}

int exit_for(const open_enum<task_status>& s)
{
    if (s == task_status::completed)
        return exit_ok;
    if (s == task_status::error)
        return exit_task_error;
    return exit_task_aborted;
}

bool turn_live(const turn& t)
{
    return t.status == turn_status::pending || t.status == turn_status::running;
}

/// Prints a watch's events: JSON Lines, or the human form. On a terminal
/// (pretty format, stdout a TTY) a running turn's text is shown as it grows.
class event_printer {
public:
    event_printer(output_format f, bool tty) : json_(f != output_format::pretty), tty_(tty) {}

    void operator()(const watch_event& ev)
    {
        if (json_) {
            print_json(to_json(ev), output_format::jsonl);
            return;
        }
        std::visit([this](const auto& e) { human(e); }, ev);
        emit(buf_);
        buf_.clear();
    }

    /// Ends a line left open by growing text.
    void close_line()
    {
        if (open_) {
            emit("\n");
            open_.reset();
        }
    }

private:
    static json::value to_json(const watch_event& ev)
    {
        json::object o;
        if (auto* s = std::get_if<events::status_changed>(&ev)) {
            o["event"] = "status_changed";
            if (s->from)
                o["from"] = s->from->str();
            else
                o["from"] = nullptr;
            o["to"] = s->to.str();
        } else if (auto* a = std::get_if<events::turn_added>(&ev)) {
            o["event"] = "turn_added";
            o["turn"] = json::value_from(a->turn);
        } else if (auto* u = std::get_if<events::turn_updated>(&ev)) {
            o["event"] = "turn_updated";
            o["seq"] = u->turn.seq;
            o["text"] = u->text;
            o["replaced"] = u->replaced;
            o["turn"] = json::value_from(u->turn);
        } else if (auto* t = std::get_if<events::terminal>(&ev)) {
            o["event"] = "terminal";
            o["status"] = t->status.str();
            o["task"] = json::value_from(t->snapshot);
        } else if (auto* r = std::get_if<events::retrying>(&ev)) {
            o["event"] = "retrying";
            o["error"] = error_json(r->ec, r->diag);
            o["delayMs"] = r->delay.count();
        }
        return o;
    }

    void line(const std::string& s)
    {
        end_open_line();
        buf_ += s;
    }

    void end_open_line()
    {
        if (open_) {
            buf_ += '\n';
            open_.reset();
        }
    }

    void human(const events::status_changed& e)
    {
        std::string s = "status: ";
        if (e.from)
            s += std::string(e.from->str()) + " -> ";
        s += std::string(e.to.str()) + "\n";
        line(s);
    }

    void human(const events::turn_added& e)
    {
        const auto& t = e.turn;
        if (!turn_live(t)) {
            finished(t);
            return;
        }
        line("turn " + std::to_string(t.seq) + " [" + std::string(t.status.str()) + "]\n");
        if (tty_ && !t.output_text.empty())
            grow(t.seq, t.output_text);
    }

    void human(const events::turn_updated& e)
    {
        const auto& t = e.turn;
        if (tty_ && (e.replaced || !e.text.empty())) {
            if (e.replaced && open_ == t.seq)
                end_open_line();
            grow(t.seq, e.replaced ? t.output_text : e.text);
        }
        if (!turn_live(t))
            finished(t);
    }

    void human(const events::terminal& e)
    {
        const auto& tt = e.snapshot.task.totals;
        line("final: " + std::string(e.status.str()) + " (" + std::to_string(e.snapshot.turns.size()) +
             " turns, " + std::to_string(tt.credits) + " credits, " + std::to_string(tt.duration_ms) +
             " ms)\n");
    }

    void human(const events::retrying& e)
    {
        end_open_line();
        emit(buf_);
        buf_.clear();
        std::cerr << "handinger: retrying in " << e.delay.count() << " ms: " << e.diag.to_string(e.ec)
                  << std::endl;
    }

    // On a TTY: the text of a running turn, appended in place.
    void grow(std::int64_t seq, const std::string& text)
    {
        if (open_ != seq) {
            end_open_line();
            buf_ += "  ";
            open_ = seq;
        }
        for (char ch : text) {
            buf_ += ch;
            if (ch == '\n')
                buf_ += "  ";
        }
    }

    // A turn reached its end: its whole text (off a TTY), or its status.
    void finished(const turn& t)
    {
        if (done_.count(t.seq))
            return;
        done_[t.seq] = true;
        if (tty_ && open_ == t.seq) {
            line("turn " + std::to_string(t.seq) + " " + std::string(t.status.str()) + " (" +
                 std::to_string(t.credits) + " credits, " + std::to_string(t.duration_ms) + " ms)\n");
            return;
        }
        line(describe(t));
    }

    bool json_;
    bool tty_;
    std::optional<std::int64_t> open_;
    std::string buf_; // what one event prints
    std::map<std::int64_t, bool> done_;
};

/// Follows `w` to its end, printing each event when `print` is given.
asio::awaitable<int> follow(task_watcher& w, event_printer* print, output_format f)
{
    std::optional<events::terminal> last;
    diagnostics diag;
    for (;;) {
        auto [ec, ev] = co_await w.async_next(diag, asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (print)
                print->close_line();
            if (ec == error::cancelled)
                co_return exit_interrupted;
            print_error(failure_line(ec, diag));
            co_return ec == error::timeout ? exit_timeout : exit_failed;
        }
        if (!ev)
            break;
        if (print)
            (*print)(*ev);
        if (output_failed())
            co_return exit_failed; // nobody reads: stop watching
        if (auto* t = std::get_if<events::terminal>(&*ev))
            last = std::move(*t);
    }
    if (!last)
        co_return exit_failed;
    if (!print) {
        if (f == output_format::pretty)
            emit(describe(last->snapshot));
        else
            print_json(json::value_from(last->snapshot), f);
    }
    co_return exit_for(last->status);
}

} // namespace

int run_create(const global_args& g, const create_args& args)
{
    if (auto bad = validate(args.params); !bad.empty()) {
        print_error("invalid task: " + bad);
        return exit_usage;
    }
    // The --file files are read now: one missing is bad input, found
    // before connecting.
    create_args a = args;
    if (auto bad = load_attachments(a.params); !bad.empty()) {
        print_error("invalid task: " + bad);
        return exit_usage;
    }
    auto body = [&](client& c) -> asio::awaitable<int> {
        if (a.wait || a.watch) {
            auto w = c.submit(a.params, make_watch_options(a.deadline_s));
            if (a.watch) {
                std::fprintf(stderr, "handinger: task %s\n", w.task_id().c_str());
                event_printer p(g.format, stdout_is_tty());
                co_return co_await follow(w, &p, g.format);
            }
            co_return co_await follow(w, nullptr, g.format);
        }
        auto r = co_await c.async_create(a.params);
        if (g.format == output_format::pretty) {
            std::string text = "created " + r.task_id + " (" + std::string(r.run.status.str()) + ")" +
                               (r.recovered ? ", found after a lost response" : "") + "\n";
            if (!r.run.output_text.empty())
                text += r.run.output_text + "\n";
            emit(text);
        } else {
            json::object o;
            o["taskId"] = r.task_id;
            o["recovered"] = r.recovered;
            o["run"] = json::value_from(r.run);
            print_json(o, g.format);
        }
        co_return exit_ok;
    };
    return finish_output(run_with_client(g, body));
}

int run_get(const global_args& g, const std::string& task_id)
{
    auto body = [&](client& c) -> asio::awaitable<int> {
        auto t = co_await c.async_retrieve(task_id);
        if (g.format == output_format::pretty)
            emit(describe(t));
        else
            print_json(json::value_from(t), g.format);
        co_return exit_ok;
    };
    return finish_output(run_with_client(g, body));
}

int run_archive(const global_args& g, const std::string& task_id)
{
    auto body = [&](client& c) -> asio::awaitable<int> {
        auto r = co_await c.async_archive(task_id);
        if (g.format == output_format::pretty) {
            if (r.presence.has_value(delete_task_response::field::archived))
                emit(task_id + (r.archived ? " archived\n" : " not archived\n"));
            else // a 2xx that does not say: not counted as archived
                emit(task_id + " archive answered without saying whether it was archived\n");
        } else {
            print_json(json::value_from(r), g.format);
        }
        co_return r.archived ? exit_ok : exit_failed;
    };
    return finish_output(run_with_client(g, body));
}

int run_turns(const global_args& g, const std::string& task_id)
{
    auto body = [&](client& c) -> asio::awaitable<int> {
        auto r = co_await c.async_list_turns(task_id);
        if (g.format == output_format::pretty)
            for (const auto& t : r.items)
                emit(describe(t));
        else
            print_json(json::value_from(r), g.format);
        co_return exit_ok;
    };
    return finish_output(run_with_client(g, body));
}

int run_watch(const global_args& g, const watch_args& a)
{
    auto body = [&](client& c) -> asio::awaitable<int> {
        auto opts = make_watch_options(a.deadline_s);
        opts.not_found_grace = std::chrono::milliseconds(0); // an id given by hand exists, or is a mistake
        auto w = c.watch(a.task_id, opts);
        event_printer p(g.format, stdout_is_tty());
        co_return co_await follow(w, &p, g.format);
    };
    return finish_output(run_with_client(g, body));
}

} // namespace handinger::cli
