// What the `handinger` tool says when something goes wrong: one line each,
// in this tool's words (its flags and variables, not the library's fields),
// ending with what to do next.
#pragma once

#include <handinger/error.hpp>

#include <string>

namespace CLI {
class App;
class ParseError;
} // namespace CLI

namespace handinger::cli {

/// The line for a failed call or a refused client: diagnostics::to_string,
/// with the library's option names put in this tool's terms, and a hint
/// (which flag or variable to check) for the failures a user can fix: no
/// key, a wrong key (401), a CA file that does not load, a base URL that is
/// refused or that nothing answers at, a certificate that does not verify.
std::string failure_line(boost::system::error_code ec, const diagnostics& d);

/// The line for a command line CLI11 refused, `app` being the whole parsed
/// tree: an unknown command ('frobnicate' is not a command of 'handinger
/// tasks'; its commands are: ...), a missing command, an unknown option or
/// an unexpected argument (naming the command it was given to), else CLI11's
/// own message; each ending with the --help to read.
std::string usage_line(const CLI::App& app, const CLI::ParseError& e);

} // namespace handinger::cli
