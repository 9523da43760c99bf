// Fault kinds and the input directives (#fail, #turns:N, #fault:KIND:N, ...)
// documented in simulator.hpp. Pure parsing, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace handinger::sim::detail {

enum class fault_kind : std::uint8_t {
    none,
    http429,
    http500,
    http503,
    reset,          ///< no response, connection reset before processing
    lost,           ///< processed, then reset without a response
    stall,          ///< processed, nothing sent for a while, then close
    truncate,       ///< processed, half the body, then close
    slow,           ///< processed, body in small pieces over ~1 s
    no_retry,       ///< 503 + x-should-retry: false
    retry_true,     ///< 400 + x-should-retry: true
    early_hints,    ///< processed; 100 Continue and 103 Early Hints, then the response
    extra_response, ///< processed; the response, then an unsolicited second one
};

/// The name used in directives and in the stats ("429", "reset", "no-retry", ...).
std::string_view to_string(fault_kind k);
/// Inverse of to_string; nullopt for an unknown name (and for "none").
std::optional<fault_kind> parse_fault_kind(std::string_view name);
/// Whether the request is carried out (a task created, ...) before the fault
/// spoils the response: lost, stall, truncate and slow.
bool processes_request(fault_kind k);

/// How a run ends.
enum class run_end : std::uint8_t { completed, error, aborted, raw };

/// What an input asks for. Absent fields mean "the options' default".
struct directives {
    run_end end = run_end::completed;
    std::string raw_status; ///< for run_end::raw
    std::optional<int> turns;
    std::optional<std::int64_t> pending_ms;
    std::optional<std::int64_t> turn_ms;
    fault_kind post_fault = fault_kind::none;
    int post_fault_count = 0;
    fault_kind get_fault = fault_kind::none;
    int get_fault_count = 0;
    bool null_fields = false; ///< #null-fields
    /// #structured:JSON, the JSON text (compact) every completed turn's
    /// structured output is to be, whatever the worker's schema.
    std::optional<std::string> structured;
};

/// Reads every whitespace-separated word that starts with '#'. Unknown words
/// and malformed values are ignored (they are just text); when a directive
/// repeats, the last one wins. Numbers are clamped to sane ranges (turns 0..100,
/// times 0..3,600,000 ms, counts 1..1,000,000); #structured: with a value
/// that is not JSON is ignored too.
directives parse_directives(std::string_view input);

} // namespace handinger::sim::detail
