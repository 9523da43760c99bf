// Did a POST whose answer was lost take effect? The checks a create makes
// before it may resend (client_impl::call asks them when the failure left
// that open; policy/retry.hpp decides when to look and what to believe).
#include "core/client_impl.hpp"

#include <handinger/json.hpp>

#include <boost/asio/this_coro.hpp>

namespace handinger::detail {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

asio::awaitable<std::optional<bool>> client_impl::probe_visible(const post_probe& p,
                                                                const request_options& ro, std::string& why)
{
    call_outcome o;
    co_await call("GET", task_path(p.task_id), {}, ro, nullptr, o);
    if (o.ec == error::not_found) {
        if (p.existed_before) {
            why = "the task disappeared";
            co_return std::nullopt;
        }
        co_return false;
    }
    if (o.ec) {
        why = "could not check whether the task was created: " + o.diag.to_string(o.ec);
        co_return std::nullopt;
    }
    if (!p.existed_before)
        co_return true;
    task_with_turns t;
    boost::system::error_code ec;
    std::string what;
    parse_json(o.body, t, ec, what);
    if (ec) {
        why = "could not check whether the follow-up arrived: " + what;
        co_return std::nullopt;
    }
    if (!t.has_turns) {
        auto list = co_await list_turns_op(shared_from_this(), std::string(p.task_id), ro);
        if (list.ec) {
            why = "could not check whether the follow-up arrived: " + list.diag.to_string(list.ec);
            co_return std::nullopt;
        }
        t.turns = std::move(list.value.items);
    }
    if (count_matching_turns(t, p.input) > p.matching_before)
        co_return true;
    // A turn whose input arrived null or absent may be this very follow-up:
    // resending could duplicate it.
    for (const auto& tu : t.turns)
        if (!tu.presence.has_value(turn::field::input)) {
            why = "could not check whether the follow-up arrived: turn " + std::to_string(tu.seq) +
                  " came without its input";
            co_return std::nullopt;
        }
    co_return false;
}

std::size_t count_matching_turns(const task_with_turns& t, std::string_view input)
{
    std::size_t n = 0;
    for (const auto& turn : t.turns)
        n += turn.input == input;
    return n;
}

asio::awaitable<client_impl::delivery_check>
client_impl::check_delivery(const post_probe& p, delivery how, const request_options& ro,
                            milliseconds timeout, clock::time_point overall, std::string& why)
{
    auto cs = co_await asio::this_coro::cancellation_state;
    auto remaining = [&]() -> std::optional<milliseconds> {
        if (overall == clock::time_point::max())
            return std::nullopt;
        return std::chrono::duration_cast<milliseconds>(overall - clock::now());
    };
    // A request the client gave up on is only taken for lost when a second
    // check, an attempt timeout after the first, finds nothing either
    // (policy/retry.hpp: after_absent).
    for (int absent = 1;; ++absent) {
        request_options cro = ro;
        if (auto left = remaining())
            cro.total_timeout = std::max(*left, milliseconds(1)); // the checks spend the call's time
        auto visible = co_await probe_visible(p, cro, why);
        if (cs.cancelled() != asio::cancellation_type::none)
            co_return delivery_check::cancelled;
        if (!visible)
            co_return delivery_check::unknown;
        if (*visible)
            co_return delivery_check::present;
        absent_inputs ai;
        ai.how = how;
        ai.absent_checks = absent;
        ai.attempt_timeout = timeout;
        ai.remaining = remaining();
        const auto next = after_absent(ai);
        if (next.next == absent_decision::step::resend)
            co_return delivery_check::absent;
        if (next.next == absent_decision::step::give_up) {
            why = "task " + std::string(p.task_id) +
                  " does not show it, but the request may still be on its way and no time is left to look "
                  "again";
            co_return delivery_check::unknown;
        }
        log(log_level::debug,
            "task " + std::string(p.task_id) +
                " does not show the submission yet, which may still be on its way: checking "
                "again in " +
                std::to_string(next.wait.count()) + " ms");
        bool waited = co_await pause(next.wait);
        if (!waited)
            co_return delivery_check::cancelled;
    }
}

} // namespace handinger::detail
