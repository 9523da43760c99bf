#include "messages.hpp"

#include <CLI/CLI.hpp>

#include <string_view>
#include <vector>

namespace handinger::cli {

namespace {

bool starts_with(std::string_view s, std::string_view prefix)
{
    return s.substr(0, prefix.size()) == prefix;
}

constexpr std::string_view no_key_prefix = "no API key";
constexpr std::string_view ca_file_prefix = "tls.ca_file: ";
constexpr std::string_view check_base_url = "check --base-url (or HANDINGER_BASE_URL)";

// The client's message about its own settings, in this tool's terms; empty
// when it has no such form.
std::string refused_client(const diagnostics& d)
{
    const std::string& m = d.client_message;
    if (starts_with(m, no_key_prefix))
        return "no API key: pass --api-key KEY or set HANDINGER_API_KEY";
    if (starts_with(m, ca_file_prefix))
        return "--ca-file (or HANDINGER_CA_FILE): " + m.substr(ca_file_prefix.size()) +
               "; give a PEM file of CA certificates";
    if (m.find("allow_insecure_http") != std::string::npos) {
        // "... use https://, or allow it explicitly with client_options::..."
        auto cut = m.find("; use https://");
        return m.substr(0, cut) + "; use https://, or pass --allow-insecure-http (insecure)";
    }
    if (starts_with(m, "base URL "))
        return m + "; " + std::string(check_base_url);
    return {};
}

} // namespace

std::string failure_line(boost::system::error_code ec, const diagnostics& d)
{
    if (ec == error::invalid_argument && d.method.empty())
        if (auto line = refused_client(d); !line.empty())
            return line;
    std::string line = d.to_string(ec);
    if (ec == error::authentication)
        line += "; check the key given by --api-key or HANDINGER_API_KEY";
    else if (ec == error::connection)
        line += "; is the service up? " + std::string(check_base_url);
    else if (ec == error::tls_verification)
        line += "; for a service whose certificate a private CA signed, pass that CA with --ca-file";
    return line;
}

namespace {

// "handinger tasks get"
std::string path_of(const CLI::App& app)
{
    std::string path = app.get_name();
    for (auto* p = app.get_parent(); p; p = p->get_parent())
        path = p->get_name() + " " + path;
    return path;
}

// The named subcommands of `app` (CLI11's option groups are unnamed ones).
std::vector<const CLI::App*> commands_of(const CLI::App& app)
{
    std::vector<const CLI::App*> out;
    for (const auto* sub : app.get_subcommands([](const CLI::App* a) { return !a->get_name().empty(); }))
        out.push_back(sub);
    return out;
}

std::string names_of(const CLI::App& app)
{
    std::string names;
    for (const auto* sub : commands_of(app)) {
        if (!names.empty())
            names += ", ";
        names += sub->get_name();
    }
    return names;
}

} // namespace

std::string usage_line(const CLI::App& app, const CLI::ParseError& e)
{
    const CLI::App* deepest = &app;
    for (auto subs = deepest->get_subcommands(); !subs.empty(); subs = deepest->get_subcommands())
        deepest = subs.front();
    const std::string path = path_of(*deepest);
    const std::string see = "; see '" + path + " --help'";
    const std::vector<std::string> left = app.remaining(true);
    const bool has_commands = !commands_of(*deepest).empty();

    if (has_commands) {
        for (const auto& word : left)
            if (!starts_with(word, "-"))
                return "'" + word + "' is not a command of '" + path +
                       "'; its commands are: " + names_of(*deepest) + see;
    }
    if (!left.empty()) {
        const auto& word = left.front();
        if (starts_with(word, "-"))
            return "unknown option '" + word + "' for '" + path + "'" + see;
        return "unexpected argument '" + word + "' for '" + path + "'" + see;
    }
    if (has_commands)
        return "'" + path + "' needs a command: " + names_of(*deepest) + see;
    return e.what() + see;
}

} // namespace handinger::cli
