#include "policy/page_walk.hpp"

namespace handinger::detail {

std::vector<std::size_t> page_walk::take(const std::vector<std::string_view>& ids,
                                         std::optional<std::int64_t> page_count)
{
    std::vector<std::size_t> fresh;
    if (done_)
        return fresh;
    for (std::size_t i = 0; i < ids.size(); ++i)
        if (seen_.emplace(ids[i]).second)
            fresh.push_back(i);
    const bool last = ids.empty() || (page_count ? next_ >= *page_count : ids.size() < page_size_);
    if (last)
        done_ = true;
    else
        ++next_;
    return fresh;
}

} // namespace handinger::detail
