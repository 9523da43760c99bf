// Output of the `handinger` tool: JSON (indented or one line), the human
// form of tasks and turns, and error lines.
#pragma once

#include "commands.hpp"

#include <handinger/error.hpp>
#include <handinger/models.hpp>

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace handinger::cli {

/// JSON text indented by two spaces per level.
std::string pretty_json(const boost::json::value& v);

/// Writes text to stdout and flushes it. A failed write (a closed pipe, a
/// full disk) is remembered: see output_failed.
void emit(std::string_view text);

/// True once a write to stdout failed; the command then stops and fails.
bool output_failed();

/// exit_failed after a failed write (said on stderr, except for a reader
/// that went away), else rc.
int finish_output(int rc);

/// Writes v to stdout: indented for json, one line for jsonl (and pretty,
/// where a command has no human form).
void print_json(const boost::json::value& v, output_format f);

/// The human form of a task and its turns.
std::string describe(const task_with_turns& t);
std::string describe(const turn& t);

/// {"kind": "not_found", "status": 404, "message": "..."} for a failed call.
boost::json::object error_json(boost::system::error_code ec, const diagnostics& d);

/// The error's kind as a word ("not_found", "rate_limited", ...).
std::string error_kind(boost::system::error_code ec);

/// "handinger: <what>" on stderr.
void print_error(std::string_view what);

bool stdout_is_tty();
bool stderr_is_tty();

} // namespace handinger::cli
