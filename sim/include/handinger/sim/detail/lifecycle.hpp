// The task lifecycle, computed lazily from timestamps: a task is a list of
// runs, each with a fixed timeline (pending, then turns one after another),
// so an idle task costs no timer and no CPU, and the state at time `now` is a
// pure function of the records. Times are unix milliseconds.
#pragma once

#include <handinger/sim/detail/directives.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace handinger::sim::detail {

/// A file that came with a POST (multipart/form-data, field `files`).
struct stored_file {
    std::string id;                      ///< "fil_..."; its url ends with it
    std::optional<std::string> filename; ///< absent when the part had none
    std::string media_type;              ///< the part's Content-Type, else application/octet-stream
    std::string content;
};

/// One POST's worth of work appended to a task.
struct run_record {
    std::string id;              ///< "run_..."
    std::string input;           ///< the POST's input
    std::int64_t posted_ms = 0;  ///< when the POST arrived
    std::int64_t start_ms = 0;   ///< max(posted_ms, end of the previous run)
    std::int64_t pending_ms = 0; ///< pending phase length
    std::int64_t turn_ms = 0;    ///< each turn's length
    int first_seq = 1;           ///< seq of this run's first turn
    run_end end = run_end::completed;
    std::string raw_status;         ///< the final status when end == raw
    std::vector<std::string> texts; ///< each turn's full output text
    /// Each turn's structured output (JSON text), shown once the turn has
    /// completed; empty: null (the worker had no output schema).
    std::vector<std::string> outputs;
    std::vector<stored_file> files; ///< listed on the run and on its first turn

    int turns() const { return static_cast<int>(texts.size()); }
    std::int64_t turns_start_ms() const { return start_ms + pending_ms; }
    std::int64_t end_ms() const { return turns_start_ms() + turn_ms * turns(); }
    /// "completed", "error", "aborted" or the raw status.
    std::string_view final_status() const;
};

/// A task and everything the simulator remembers about it.
struct task_record {
    std::string id;
    std::string worker_id;
    std::string title;       ///< the first 60 characters of the first input
    std::string creator_key; ///< only this key may archive it
    std::int64_t created_ms = 0;
    bool archived = false;
    std::vector<run_record> runs;
    fault_kind get_fault = fault_kind::none; ///< from #get-fault
    int get_fault_left = 0;
    bool null_fields = false;              ///< from #null-fields: display fields sent as null
    std::string_view triggered_by = "api"; ///< "schedule" for a schedule's run (a literal)

    /// The seq the next appended run starts with.
    int next_seq() const;
    /// When the last run ends (created_ms when there is none).
    std::int64_t end_ms() const;
};

/// Lifecycle parameters of one run, after directives override the options.
struct run_plan {
    std::int64_t pending_ms = 300;
    std::int64_t turn_ms = 400;
    int turns = 3;
    run_end end = run_end::completed;
    std::string raw_status;
};

/// Appends a run posted at `now` and returns it. #abort keeps at most one turn.
run_record& append_run(task_record& task, std::string run_id, std::string input, const run_plan& plan,
                       std::int64_t now, std::uint64_t seed);

/// A turn as visible at some time.
struct turn_view {
    const run_record* run = nullptr;
    int index = 0; ///< within the run
    int seq = 0;
    std::string_view
        status;        ///< "pending" (first turn before its run starts), "running", "completed" or "error"
    bool done = false; ///< completed or error
    std::int64_t started_ms = 0;
    std::int64_t completed_ms = 0;     ///< valid when done
    std::size_t text_len = 0;          ///< visible prefix of run->texts[index]
    std::int64_t visible_since_ms = 0; ///< when this state (status + text) appeared
    std::int64_t credits = 0, duration_ms = 0, input_tokens = 0, output_tokens = 0;

    std::string_view text() const { return std::string_view(run->texts[index]).substr(0, text_len); }
};

/// A task as visible at some time.
struct task_view {
    std::string_view status; ///< pending, running, or the last run's final status
    bool terminal = false;
    std::int64_t completed_ms = 0; ///< valid when terminal
    std::int64_t credits = 0;
    std::int64_t duration_ms = 0;
    int turn_count = 0;
};

/// The task at `now`; when `turns` is given it receives the visible turns in
/// seq order. `text_steps` (>= 1) is how many steps a running turn's text grows in.
task_view view_task(const task_record& task, std::int64_t now, int text_steps,
                    std::vector<turn_view>* turns = nullptr);

} // namespace handinger::sim::detail
