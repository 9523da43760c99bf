// What a task watcher reports: its events. (Its settings, watch_options,
// are in <handinger/watch_options.hpp>, included here.)
#pragma once

#include <handinger/error.hpp>
#include <handinger/models.hpp>
#include <handinger/watch_options.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <variant>

namespace handinger {

namespace events {

/// The task's status changed. `from` is empty for the first status seen.
struct status_changed {
    std::optional<open_enum<task_status>> from;
    open_enum<task_status> to;
};

/// A turn appeared (reported once per turn, in seq order).
struct turn_added {
    handinger::turn turn;
};

/// A turn seen before changed (once per change). When the old outputText is
/// a prefix of the new one, `text` is the appended part and `replaced` is
/// false; otherwise `text` is the whole new text and `replaced` is true.
struct turn_updated {
    handinger::turn turn;
    std::string text;
    bool replaced = false;
};

/// The task reached a terminal status (completed, error, aborted, or one
/// this library does not know). The last event of a watch.
struct terminal {
    open_enum<task_status> status;
    task_with_turns snapshot;
};

/// A transient failure is being ridden out (only with
/// watch_options::report_retrying); polling resumes after `delay`.
struct retrying {
    boost::system::error_code ec;
    diagnostics diag;
    std::chrono::milliseconds delay{0};
};

} // namespace events

/// One event of a watch.
using watch_event = std::variant<events::status_changed, events::turn_added, events::turn_updated,
                                 events::terminal, events::retrying>;

} // namespace handinger
