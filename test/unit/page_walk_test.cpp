// The page walk of a newest-first listing (policy/page_walk.hpp) without
// sockets: against a model of the service's list, every item listed when
// the walk began comes out exactly once, whatever arrives between pages;
// and the end rules (the count, a short page, an empty page).
#include "policy/page_walk.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

using handinger::detail::page_walk;

namespace {

// The service's list, newest first, served `size` a page.
struct listing {
    std::vector<std::string> items; // newest first
    std::size_t size;
    int next_id = 0;

    void add(int n)
    {
        for (int i = 0; i < n; ++i)
            items.insert(items.begin(), "x" + std::to_string(next_id++));
    }
    std::vector<std::string_view> page(std::int64_t p) const
    {
        std::vector<std::string_view> out;
        for (std::size_t i = static_cast<std::size_t>(p - 1) * size; i < items.size() && out.size() < size;
             ++i)
            out.push_back(items[i]);
        return out;
    }
    std::int64_t page_count() const { return static_cast<std::int64_t>((items.size() + size - 1) / size); }
};

// Walks `l` to its end, adding arrivals[k] items before the k-th fetch after
// the first (none past the list). Returns the ids the walk returned; fails
// when it fetches more pages than `max_fetches`.
std::vector<std::string> walk(listing& l, const std::vector<int>& arrivals, bool counted,
                              int max_fetches = 1000)
{
    page_walk w(l.size);
    std::vector<std::string> got;
    int fetches = 0;
    while (auto p = w.next_page()) {
        if (fetches > 0 && static_cast<std::size_t>(fetches - 1) < arrivals.size())
            l.add(arrivals[static_cast<std::size_t>(fetches - 1)]);
        REQUIRE(++fetches <= max_fetches);
        const auto ids = l.page(*p);
        for (std::size_t i : w.take(ids, counted ? std::optional(l.page_count()) : std::nullopt))
            got.emplace_back(ids[i]);
    }
    CHECK(w.done());
    CHECK(w.seen() == got.size());
    return got;
}

} // namespace

TEST_CASE("page walk: without arrivals, every item once, one page at a time")
{
    for (std::size_t size : {1, 2, 3, 50})
        for (int n = 0; n <= 7; ++n)
            for (bool counted : {true, false}) {
                INFO("size " << size << ", items " << n << ", counted " << counted);
                listing l{{}, size};
                l.add(n);
                const auto all = l.items;
                auto got = walk(l, {}, counted);
                CHECK(got == all);
            }
}

TEST_CASE("page walk: items that arrive between pages skip none that were listed, and repeat none")
{
    // Every pattern of 0..4 arrivals before each of up to 4 later fetches,
    // on lists of 0..9 items, pages of 3.
    int patterns = 0;
    for (int n = 0; n <= 9; ++n)
        for (int a = 0; a < 5 * 5 * 5 * 5; ++a)
            for (bool counted : {true, false}) {
                std::vector<int> arrivals = {a % 5, a / 5 % 5, a / 25 % 5, a / 125 % 5};
                listing l{{}, 3};
                l.add(n);
                const std::set<std::string> before(l.items.begin(), l.items.end());
                auto got = walk(l, arrivals, counted);
                INFO("items " << n << ", arrivals " << arrivals[0] << arrivals[1] << arrivals[2]
                              << arrivals[3] << ", counted " << counted);
                const std::set<std::string> distinct(got.begin(), got.end());
                CHECK(distinct.size() == got.size()); // none twice
                CHECK(std::includes(distinct.begin(), distinct.end(), before.begin(), before.end()));
                ++patterns;
            }
    CHECK(patterns == 10 * 625 * 2);
}

TEST_CASE("page walk: the order returned is the list's, newest first, shifted ones dropped")
{
    listing l{{}, 3};
    l.add(7); // x6 x5 x4 | x3 x2 x1 | x0
    page_walk w(3);
    auto take = [&] {
        const auto ids = l.page(*w.next_page());
        std::vector<std::string> out;
        for (std::size_t i : w.take(ids, l.page_count()))
            out.emplace_back(ids[i]);
        return out;
    };
    CHECK(take() == std::vector<std::string>{"x6", "x5", "x4"});
    l.add(2); // x8 x7 x6 | x5 x4 x3 | x2 x1 x0
    CHECK(take() == std::vector<std::string>{"x3"});
    CHECK(take() == std::vector<std::string>{"x2", "x1", "x0"});
    CHECK(w.done());
    CHECK_FALSE(w.next_page());
    CHECK(w.take({"x9"}, 9).empty()); // after the end, nothing more
}

TEST_CASE("page walk: a whole page arriving between fetches gives a page of nothing new, not the end")
{
    listing l{{}, 3};
    l.add(4); // x3 x2 x1 | x0
    page_walk w(3);
    auto ids = l.page(1);
    CHECK(w.take(ids, l.page_count()).size() == 3);
    l.add(3); // x6 x5 x4 | x3 x2 x1 | x0
    ids = l.page(*w.next_page());
    CHECK(*w.next_page() == 2);
    CHECK(w.take(ids, l.page_count()).empty());
    CHECK_FALSE(w.done());
    ids = l.page(*w.next_page());
    auto fresh = w.take(ids, l.page_count());
    REQUIRE(fresh.size() == 1);
    CHECK(ids[fresh[0]] == "x0");
    CHECK(w.done());
}

TEST_CASE("page walk: where it ends")
{
    SUBCASE("an empty first page")
    {
        page_walk w(50);
        CHECK(*w.next_page() == 1);
        CHECK(w.take({}, 0).empty());
        CHECK(w.done());
    }
    SUBCASE("the last page by the count, even a full one")
    {
        page_walk w(2);
        w.take({"a", "b"}, 2);
        CHECK(*w.next_page() == 2);
        w.take({"c", "d"}, 2);
        CHECK(w.done());
    }
    SUBCASE("without a count, the first page shorter than a full one")
    {
        page_walk w(2);
        w.take({"a", "b"}, std::nullopt);
        CHECK_FALSE(w.done());
        w.take({"c"}, std::nullopt);
        CHECK(w.done());
    }
    SUBCASE("without a count, an empty page after full ones")
    {
        page_walk w(2);
        w.take({"a", "b"}, std::nullopt);
        w.take({}, std::nullopt);
        CHECK(w.done());
    }
    SUBCASE("an empty page before the count says (items gone meanwhile)")
    {
        page_walk w(2);
        w.take({"a", "b"}, 5);
        w.take({}, 5);
        CHECK(w.done());
    }
    SUBCASE("a count that grows lengthens the walk")
    {
        page_walk w(1);
        w.take({"a"}, 1 + 1);
        w.take({"b"}, 3);
        CHECK_FALSE(w.done());
        CHECK(*w.next_page() == 3);
    }
    SUBCASE("the same id twice on one page comes out once")
    {
        page_walk w(3);
        auto fresh = w.take({"a", "a", "b"}, 1);
        CHECK(fresh == std::vector<std::size_t>{0, 2});
    }
}
