// What changed between two snapshots of one task, as watch events. Pure: no
// I/O, no clocks; the tracker only remembers what it needs to diff.
#pragma once

#include <handinger/models.hpp>
#include <handinger/watch_events.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace handinger::detail {

/// Turns successive snapshots of one task into watch events.
///
/// Status: the first snapshot emits status_changed{from = nullopt, to}; later
/// ones emit status_changed only when the status differs (open_enum
/// equality: two different unknown raw statuses differ).
///
/// Turns are identified by `id`. A turn not seen before emits turn_added (the
/// whole turn); a turn seen before that differs in any typed field (turn's
/// operator==) emits turn_updated: when the old outputText is a prefix of the
/// new one, `text` is the appended part and `replaced` false (so a change of
/// completedAt or credits alone gives an empty `text`), else `text` is the
/// whole new text and `replaced` true. A turn missing from a snapshot emits
/// nothing and is still remembered: it emits nothing when it comes back
/// unchanged, turn_updated when it comes back changed. (A snapshot without
/// turns, has_turns == false, therefore emits no turn events.) Each distinct
/// state emits once: the same snapshot twice emits nothing the second time.
///
/// Fields that arrived null or absent (models.hpp) hold their unset values
/// and are compared as such; `presence` takes no part: a turn whose
/// outputText goes from "abc" to null is updated with replaced == true and
/// an empty text, and back to "abc" is updated with "abc" appended.
///
/// Duplicate ids within one snapshot: the last occurrence in list order
/// wins; earlier ones are ignored as if absent.
///
/// Order within one snapshot: turn events are in ascending (seq, id) order
/// of the new turns, whatever the server's listing order. When the new
/// status is live (pending, running): status_changed first, then the turn
/// events. When it is terminal (is_terminal, which includes unknown
/// statuses): the turn events, then status_changed, then
/// terminal{status, snapshot}, after which the tracker is finished and
/// ignores every further snapshot (update emits nothing).
///
/// Memory: the tracker keeps the typed turns (sorted by id) and its scratch
/// buffers, never a snapshot's `raw` JSON; a kept turn's structuredOutput is
/// copied into the default JSON storage, so it never holds on to the arena
/// of the response it was read from. Diffing a snapshot in which nothing
/// changed does not allocate once the scratch buffers have grown to the
/// snapshot's turn count (after the first snapshot of that size).
///
/// Not thread-safe: one per watcher.
class turn_tracker {
public:
    /// Appends the events of snapshot `s` to `out` (which is not cleared) and
    /// returns how many were appended. The terminal event, if any, holds a
    /// copy of `s` (raw included).
    std::size_t update(const task_with_turns& s, std::vector<watch_event>& out);

    /// As above, but the terminal event, if any, takes `s` by move; `s` is
    /// left unspecified when a terminal event was emitted, untouched
    /// otherwise.
    std::size_t update(task_with_turns&& s, std::vector<watch_event>& out);

    /// True once a terminal event was emitted.
    bool finished() const noexcept { return finished_; }

    /// The last status seen; empty before the first snapshot.
    const std::optional<open_enum<task_status>>& status() const noexcept { return status_; }

    /// The last state seen of the turn with this id, or nullptr.
    const turn* find(std::string_view id) const noexcept;

    /// How many distinct turns have been seen.
    std::size_t turn_count() const noexcept { return turns_.size(); }
    /// The turns as last seen, sorted by id (not by seq).
    const std::vector<turn>& turns() const noexcept { return turns_; }

    /// Approximate heap bytes held: the kept turns (vector capacity, strings'
    /// heap capacities, files, structuredOutput) and the scratch buffers. Not
    /// sizeof(*this).
    std::size_t memory_estimate() const noexcept;

private:
    template <class Snapshot>
    std::size_t update_impl(Snapshot&& s, std::vector<watch_event>& out);
    void diff_turns(const std::vector<turn>& turns);
    void emit_turns(const std::vector<turn>& turns, std::vector<watch_event>& out);

    std::optional<open_enum<task_status>> status_;
    bool finished_ = false;
    std::vector<turn> turns_; // sorted by id, ids unique
    // Scratch, kept between calls so that steady-state diffs do not allocate:
    // indices into the snapshot's turns.
    std::vector<std::uint32_t> by_id_;   // sorted by (id, index)
    std::vector<std::uint32_t> changed_; // new or changed, then sorted by (seq, id)
};

} // namespace handinger::detail
