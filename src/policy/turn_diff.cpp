#include "policy/turn_diff.hpp"

#include <boost/json/storage_ptr.hpp>

#include <algorithm>
#include <type_traits>
#include <utility>

namespace handinger::detail {
namespace {

namespace json = boost::json;

bool id_less(const turn& t, std::string_view id) noexcept
{
    return t.id < id;
}

// A string's heap block, if it has one: a small string lives inside the
// object, which the containing object's own size already counts.
template <class String>
std::size_t string_heap(const String& s) noexcept
{
    const auto* p = reinterpret_cast<const char*>(s.data());
    const auto* self = reinterpret_cast<const char*>(&s);
    const bool inline_buffer = p >= self && p < self + sizeof(s);
    return inline_buffer ? 0 : s.capacity() + 1;
}

std::size_t heap_of(const std::string& s) noexcept
{
    return string_heap(s);
}

std::size_t heap_of(const json::string& s) noexcept
{
    return string_heap(s);
}

// open_enum keeps its raw string private and only shows it through str():
// count it as a heap block when it is too long for a small-string buffer.
std::size_t heap_of(std::string_view raw) noexcept
{
    return raw.size() > 15 ? raw.size() + 1 : 0;
}

std::size_t heap_of(const json::value& v) noexcept;

std::size_t heap_of(const json::object& o) noexcept
{
    // One table of key/value pairs (plus a small header); each key owns its
    // characters. Approximate: the hash index of large objects is ignored.
    std::size_t n = o.capacity() == 0 ? 0 : 16 + o.capacity() * sizeof(json::key_value_pair);
    for (const auto& kv : o)
        n += kv.key().size() + 1 + heap_of(kv.value());
    return n;
}

std::size_t heap_of(const json::value& v) noexcept
{
    switch (v.kind()) {
    case json::kind::string: return heap_of(v.get_string());
    case json::kind::object: return heap_of(v.get_object());
    case json::kind::array: {
        const auto& a = v.get_array();
        std::size_t n = a.capacity() == 0 ? 0 : 16 + a.capacity() * sizeof(json::value);
        for (const auto& e : a)
            n += heap_of(e);
        return n;
    }
    default: return 0;
    }
}

std::size_t heap_of(const turn& t) noexcept
{
    std::size_t n = heap_of(t.id) + heap_of(t.task_id) + heap_of(t.role) + heap_of(t.status.str()) +
                    heap_of(t.input) + heap_of(t.output_text) + heap_of(t.started_at);
    if (t.completed_at)
        n += heap_of(*t.completed_at);
    if (t.structured_output)
        n += heap_of(*t.structured_output);
    n += t.files.capacity() * sizeof(turn_file);
    for (const auto& f : t.files) {
        n += heap_of(f.media_type) + heap_of(f.url);
        if (f.filename)
            n += heap_of(*f.filename);
    }
    return n;
}

// JSON equality as boost::json's operator==, without its allocations:
// Boost.JSON 1.81's object comparison copies every member it visits (a
// range-for by value in object::equal).
bool json_equal(const json::value& a, const json::value& b) noexcept;

bool json_equal(const json::object& a, const json::object& b) noexcept
{
    if (a.size() != b.size())
        return false;
    for (const auto& kv : a) {
        auto it = b.find(kv.key());
        if (it == b.end() || !json_equal(kv.value(), it->value()))
            return false;
    }
    return true;
}

bool json_equal(const json::value& a, const json::value& b) noexcept
{
    if (const auto* x = a.if_object()) {
        const auto* y = b.if_object();
        return y && json_equal(*x, *y);
    }
    if (const auto* x = a.if_array()) {
        const auto* y = b.if_array();
        if (!y || x->size() != y->size())
            return false;
        for (std::size_t i = 0; i < x->size(); ++i)
            if (!json_equal((*x)[i], (*y)[i]))
                return false;
        return true;
    }
    return !b.is_structured() && a == b; // scalars (int64 == uint64 by value, as Boost)
}

// turn's operator==, field by field, with json_equal for structuredOutput.
// The structured bindings stop compiling when turn gains or loses a field,
// so this cannot silently drift from operator==. Like operator==, it leaves
// out `presence`: a field going from null to absent, or to an empty value,
// is no change of the turn.
bool same_turn(const turn& a, const turn& b) noexcept
{
    const auto& [id, task_id, seq, role, status, input, output_text, structured_output, credits, duration_ms,
                 input_tokens, output_tokens, started_at, completed_at, files, presence] = a;
    const auto& [id2, task_id2, seq2, role2, status2, input2, output_text2, structured_output2, credits2,
                 duration_ms2, input_tokens2, output_tokens2, started_at2, completed_at2, files2, presence2] =
        b;
    (void)presence;
    (void)presence2;
    if (seq != seq2 || credits != credits2 || duration_ms != duration_ms2 || input_tokens != input_tokens2 ||
        output_tokens != output_tokens2 || !(status == status2))
        return false;
    if (id != id2 || task_id != task_id2 || role != role2 || input != input2 || output_text != output_text2 ||
        started_at != started_at2 || completed_at != completed_at2 || files != files2)
        return false;
    if (structured_output.has_value() != structured_output2.has_value())
        return false;
    return !structured_output || json_equal(*structured_output, *structured_output2);
}

// dst = src, except that dst's structuredOutput always lives in the default
// storage: a copy-constructed json::object shares its source's memory
// resource, which may be the arena of a whole parsed response.
void assign_kept(turn& dst, const turn& src)
{
    dst = src; // reuses dst's buffers where it can
    auto& so = dst.structured_output;
    if (so && so->storage().get() != json::storage_ptr().get())
        so.emplace(*src.structured_output, json::storage_ptr());
}

} // namespace

const turn* turn_tracker::find(std::string_view id) const noexcept
{
    auto it = std::lower_bound(turns_.begin(), turns_.end(), id, id_less);
    return it != turns_.end() && it->id == id ? &*it : nullptr;
}

void turn_tracker::diff_turns(const std::vector<turn>& turns)
{
    // Index the snapshot by id, in place of copying it; equal ids keep their
    // listing order, so the last of each run is the one that counts.
    by_id_.clear();
    for (std::size_t i = 0; i < turns.size(); ++i)
        by_id_.push_back(static_cast<std::uint32_t>(i));
    std::sort(by_id_.begin(), by_id_.end(), [&](std::uint32_t a, std::uint32_t b) {
        int c = turns[a].id.compare(turns[b].id);
        return c < 0 || (c == 0 && a < b);
    });
    changed_.clear();
    auto kept = turns_.begin();
    for (std::size_t k = 0; k < by_id_.size(); ++k) {
        const std::uint32_t i = by_id_[k];
        if (k + 1 < by_id_.size() && turns[by_id_[k + 1]].id == turns[i].id)
            continue; // a later duplicate wins
        // Both sequences ascend by id: a merge, not a search per turn.
        kept = std::lower_bound(kept, turns_.end(), turns[i].id, id_less);
        if (kept == turns_.end() || kept->id != turns[i].id || !same_turn(*kept, turns[i]))
            changed_.push_back(i);
    }
}

void turn_tracker::emit_turns(const std::vector<turn>& turns, std::vector<watch_event>& out)
{
    std::sort(changed_.begin(), changed_.end(), [&](std::uint32_t a, std::uint32_t b) {
        const turn& x = turns[a];
        const turn& y = turns[b];
        return x.seq != y.seq ? x.seq < y.seq : x.id < y.id;
    });
    for (std::uint32_t i : changed_) {
        const turn& now = turns[i];
        auto it = std::lower_bound(turns_.begin(), turns_.end(), now.id, id_less);
        if (it == turns_.end() || it->id != now.id) {
            it = turns_.emplace(it);
            assign_kept(*it, now);
            out.emplace_back(events::turn_added{now});
            continue;
        }
        const std::string& old_text = it->output_text;
        events::turn_updated ev{now, {}, false};
        if (now.output_text.starts_with(old_text)) {
            ev.text.assign(now.output_text, old_text.size());
        } else {
            ev.text = now.output_text;
            ev.replaced = true;
        }
        assign_kept(*it, now);
        out.emplace_back(std::move(ev));
    }
}

template <class Snapshot>
std::size_t turn_tracker::update_impl(Snapshot&& s, std::vector<watch_event>& out)
{
    if (finished_)
        return 0;
    const std::size_t before = out.size();
    const auto& status = s.task.status;
    const bool status_moved = !status_ || !(*status_ == status);
    std::optional<open_enum<task_status>> from;
    if (status_moved) {
        from = std::move(status_);
        status_ = status;
    }
    diff_turns(s.turns);
    if (!is_terminal(status)) {
        if (status_moved)
            out.emplace_back(events::status_changed{std::move(from), status});
        emit_turns(s.turns, out);
        return out.size() - before;
    }
    emit_turns(s.turns, out);
    // status_moved is necessarily true here: a terminal status is never seen
    // twice, the tracker finishes at the first.
    out.emplace_back(events::status_changed{std::move(from), status});
    finished_ = true;
    open_enum<task_status> final_status = status; // before s may be moved from
    out.emplace_back(events::terminal{std::move(final_status), std::forward<Snapshot>(s)});
    return out.size() - before;
}

std::size_t turn_tracker::update(const task_with_turns& s, std::vector<watch_event>& out)
{
    return update_impl(s, out);
}

std::size_t turn_tracker::update(task_with_turns&& s, std::vector<watch_event>& out)
{
    return update_impl(std::move(s), out);
}

std::size_t turn_tracker::memory_estimate() const noexcept
{
    std::size_t n = turns_.capacity() * sizeof(turn) + by_id_.capacity() * sizeof(std::uint32_t) +
                    changed_.capacity() * sizeof(std::uint32_t);
    if (status_)
        n += heap_of(status_->str());
    for (const auto& t : turns_)
        n += heap_of(t);
    return n;
}

} // namespace handinger::detail
