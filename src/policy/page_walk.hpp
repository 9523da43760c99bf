// The walk through a listing served newest first in numbered pages (a
// webhook's executions), as a state machine without I/O: which page to
// fetch next, which items of a page are new to the walk, when it is over.
//
// Newest first means that an item added while the walk goes on is put at
// the top and pushes every other item down: an item read on page p may
// show again on page p + 1 (or later, when a whole page or more arrived
// between two fetches), never on a page already read. So reading pages 1,
// 2, 3, ... in turn and dropping the ids already seen returns every item
// that was listed when the walk began, each once; items added during the
// walk come out only when they are pushed down to a page not read yet. An
// item removed while the walk goes on pulls the others up, and one of
// them may then be missed: the service's executions are never removed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace handinger::detail {

class page_walk {
public:
    /// `page_size`: the items of a full page (> 0), which tells the last
    /// page when the service does not say how many pages there are.
    explicit page_walk(std::size_t page_size) : page_size_(page_size) {}

    /// The page to fetch next (from 1), or nullopt when the walk is over.
    std::optional<std::int64_t> next_page() const noexcept
    {
        return done_ ? std::nullopt : std::optional<std::int64_t>(next_);
    }
    bool done() const noexcept { return done_; }

    /// The page next_page() named came back with items of these ids, in
    /// order, and said there are `page_count` pages (nullopt when it did
    /// not say). Returns the positions of the items new to the walk, in
    /// order (an id seen before, on this page too, is dropped), and moves
    /// on: the walk is over after an empty page, after the last page by the
    /// count, or, without a count, after a page shorter than a full one.
    std::vector<std::size_t> take(const std::vector<std::string_view>& ids,
                                  std::optional<std::int64_t> page_count);

    /// Distinct ids returned so far.
    std::size_t seen() const noexcept { return seen_.size(); }

private:
    std::size_t page_size_;
    std::int64_t next_ = 1;
    bool done_ = false;
    std::unordered_set<std::string> seen_;
};

} // namespace handinger::detail
