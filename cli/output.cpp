#include "output.hpp"

#include <handinger/json.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>

namespace handinger::cli {

namespace json = boost::json;

namespace {

void indent_to(std::string& out, int depth)
{
    out += '\n';
    out.append(static_cast<std::size_t>(depth) * 2, ' ');
}

void write_pretty(std::string& out, const json::value& v, int depth);

// An object's or an array's elements, one per line, one level deeper.
template <class Container, class WriteOne>
void write_elements(std::string& out, const Container& c, char open, char close, int depth, WriteOne one)
{
    out += open;
    bool first = true;
    for (const auto& e : c) {
        if (!first)
            out += ',';
        first = false;
        indent_to(out, depth + 1);
        one(e);
    }
    if (!c.empty())
        indent_to(out, depth);
    out += close;
}

void write_pretty(std::string& out, const json::value& v, int depth)
{
    if (const auto* o = v.if_object()) {
        write_elements(out, *o, '{', '}', depth, [&](const json::key_value_pair& kv) {
            out += json::serialize(json::string_view(kv.key()));
            out += ": ";
            write_pretty(out, kv.value(), depth + 1);
        });
    } else if (const auto* a = v.if_array()) {
        write_elements(out, *a, '[', ']', depth,
                       [&](const json::value& e) { write_pretty(out, e, depth + 1); });
    } else {
        out += json::serialize(v);
    }
}

void indented(std::ostringstream& os, std::string_view text, std::string_view prefix)
{
    std::size_t start = 0;
    while (start <= text.size()) {
        auto nl = text.find('\n', start);
        auto line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
        os << prefix << line << '\n';
        if (nl == std::string_view::npos)
            break;
        start = nl + 1;
    }
}

} // namespace

std::string pretty_json(const json::value& v)
{
    std::string out;
    write_pretty(out, v, 0);
    return out;
}

namespace {
int output_errno = 0;
} // namespace

void emit(std::string_view text)
{
    if (output_errno)
        return;
    errno = 0;
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
        output_errno = errno ? errno : EIO;
}

bool output_failed()
{
    return output_errno != 0;
}

int finish_output(int rc)
{
    if (!output_errno)
        return rc;
    if (output_errno != EPIPE) // a reader that went away needs no word
        print_error(std::string("cannot write the output: ") + std::strerror(output_errno));
    return exit_failed;
}

void print_json(const json::value& v, output_format f)
{
    std::string text = f == output_format::json ? pretty_json(v) : json::serialize(v);
    text += '\n';
    emit(text);
}

std::string describe(const turn& t)
{
    std::ostringstream os;
    os << "turn " << t.seq << " [" << t.status << "]";
    if (!t.role.empty())
        os << " " << t.role;
    if (t.credits || t.duration_ms)
        os << " (" << t.credits << " credits, " << t.duration_ms << " ms)";
    os << "\n";
    if (!t.output_text.empty())
        indented(os, t.output_text, "  ");
    for (const auto& f : t.files)
        os << "  file: " << f.filename.value_or("(unnamed)") << " " << f.media_type << " " << f.url << "\n";
    return os.str();
}

std::string describe(const task_with_turns& t)
{
    std::ostringstream os;
    os << t.task.id << "  " << t.task.status;
    if (!t.task.title.empty())
        os << "  \"" << t.task.title << "\"";
    os << "\n";
    os << "  worker " << (t.task.worker_id.empty() ? "-" : t.task.worker_id) << ", created "
       << (t.task.created_at.empty() ? "-" : t.task.created_at);
    if (t.task.completed_at)
        os << ", completed " << *t.task.completed_at;
    os << "\n  " << t.task.totals.turn_count << " turns, " << t.task.totals.credits << " credits, "
       << t.task.totals.duration_ms << " ms\n";
    if (!t.task.url.empty())
        os << "  " << t.task.url << "\n";
    for (const auto& tu : t.turns)
        os << describe(tu);
    return os.str();
}

std::string error_kind(boost::system::error_code ec)
{
    if (ec.category() != error_category())
        return "transport";
    switch (static_cast<error>(ec.value())) {
    case error::bad_request: return "bad_request";
    case error::authentication: return "authentication";
    case error::permission_denied: return "permission_denied";
    case error::not_found: return "not_found";
    case error::conflict: return "conflict";
    case error::unprocessable_entity: return "unprocessable_entity";
    case error::rate_limited: return "rate_limited";
    case error::server_error: return "server_error";
    case error::unexpected_status: return "unexpected_status";
    case error::connection: return "connection";
    case error::timeout: return "timeout";
    case error::tls_verification: return "tls_verification";
    case error::tls: return "tls";
    case error::invalid_response: return "invalid_response";
    case error::invalid_argument: return "invalid_argument";
    case error::cancelled: return "cancelled";
    case error::proxy: return "proxy";
    }
    return "unknown";
}

json::object error_json(boost::system::error_code ec, const diagnostics& d)
{
    json::object o;
    o["kind"] = error_kind(ec);
    if (d.status)
        o["status"] = d.status;
    o["message"] = d.to_string(ec);
    if (!d.server_message.empty())
        o["serverMessage"] = d.server_message;
    if (d.attempts)
        o["attempts"] = d.attempts;
    return o;
}

void print_error(std::string_view what)
{
    // One line whatever the text holds (a server's message may have breaks).
    std::string line(what);
    for (auto& c : line)
        if (c == '\n' || c == '\r')
            c = ' ';
    std::cerr << "handinger: " << line << std::endl;
}

bool stdout_is_tty()
{
    return ::isatty(STDOUT_FILENO) == 1;
}

bool stderr_is_tty()
{
    return ::isatty(STDERR_FILENO) == 1;
}

} // namespace handinger::cli
