// Creates and follow-ups (POST /api/tasks), and the check that keeps one
// whose answer was lost from being resent when it took effect.
#include "core/client_impl.hpp"
#include "core/create_body.hpp"
#include "core/op_support.hpp"
#include "core/watch_hub.hpp"

#include <handinger/json.hpp>
#include <handinger/task_id.hpp>

#include <boost/asio/this_coro.hpp>

namespace handinger::detail {

namespace asio = boost::asio;

std::size_t count_matching_turns(const task_with_turns& t, std::string_view input)
{
    std::size_t n = 0;
    for (const auto& turn : t.turns)
        n += turn.input == input;
    return n;
}

namespace {

// Did a POST /api/tasks whose answer was lost take effect? A new task took
// effect when the task exists. A follow-up took effect when more turns carry
// its input than before: a count of all turns would also grow with the turns
// of an earlier run still in progress.
class create_check final : public effect_check {
public:
    create_check(impl_ptr impl, std::string_view task_id, std::string_view input, bool existed_before,
                 std::size_t matching_before)
        : impl_(std::move(impl)), task_id_(task_id), input_(input), existed_before_(existed_before),
          matching_before_(matching_before)
    {}

    std::string_view task_id() const override { return task_id_; }

    asio::awaitable<found> look(request_options ro) override
    {
        auto o = co_await impl_->call("GET", impl_->task_path(task_id_), {}, ro);
        if (o.ec == error::not_found) {
            if (existed_before_)
                co_return found{check_result::unknown, "the task disappeared"};
            co_return found{check_result::absent, {}};
        }
        if (o.ec)
            co_return found{check_result::unknown,
                            "could not check whether the task was created: " + o.diag.to_string(o.ec)};
        if (!existed_before_)
            co_return found{check_result::present, {}};
        task_with_turns t;
        boost::system::error_code ec;
        std::string what;
        parse_json(o.value.body, t, ec, what);
        if (ec)
            co_return found{check_result::unknown, "could not check whether the follow-up arrived: " + what};
        if (!t.has_turns) {
            auto list = co_await list_turns_op(impl_, std::string(task_id_), ro);
            if (list.ec)
                co_return found{check_result::unknown, "could not check whether the follow-up arrived: " +
                                                           list.diag.to_string(list.ec)};
            t.turns = std::move(list.value.items);
        }
        if (count_matching_turns(t, input_) > matching_before_)
            co_return found{check_result::present, {}};
        // A turn whose input arrived null or absent may be this very
        // follow-up: resending could duplicate it.
        for (const auto& tu : t.turns)
            if (!tu.presence.has_value(turn::field::input))
                co_return found{check_result::unknown,
                                "could not check whether the follow-up arrived: turn " +
                                    std::to_string(tu.seq) + " came without its input"};
        co_return found{check_result::absent, {}};
    }

private:
    impl_ptr impl_;
    std::string_view task_id_; // (both views into the create's own state,
    std::string_view input_;   //  which outlives the call)
    bool existed_before_;
    std::size_t matching_before_;
};

// A create fails because the look at its task before the POST failed.
void failed_look(const impl_ptr& impl, op_result<create_result>& r, op_result<task_with_turns>& look,
                 const std::string& doing)
{
    r.ec = look.ec;
    r.diag = std::move(look.diag);
    r.diag.client_message = doing + r.diag.client_message;
    log_failure(impl, r);
}

// The run result a recovered create reports: what the task shows now.
run_result run_from_task(const task_with_turns& t)
{
    run_result r;
    r.object = "worker";
    switch (t.task.status.value()) {
    case task_status::pending: r.status = run_status::pending; break;
    case task_status::running: r.status = run_status::running; break;
    case task_status::completed: r.status = run_status::completed; break;
    default: r.status = open_enum<run_status>::from_string(t.task.status.str()); break;
    }
    r.running = !is_terminal(t.task.status);
    r.url = t.task.url;
    if (!t.turns.empty())
        r.output_text = t.turns.back().output_text;
    return r;
}

} // namespace

asio::awaitable<op_result<create_result>> create_op(impl_ptr impl, create_task_params p, request_options ro)
{
    return create_fresh_op(std::move(impl), std::move(p), std::move(ro), false);
}

asio::awaitable<op_result<create_result>> create_fresh_op(impl_ptr impl, create_task_params p,
                                                          request_options ro, bool fresh_id)
{
    // Cancellation is reported as error::cancelled, not thrown by Asio at
    // the next co_await.
    co_await asio::this_coro::throw_if_cancelled(false);
    op_result<create_result> r;
    const std::string path = impl->tasks_path();
    if (auto what = validate(p); !what.empty()) {
        invalid_argument(impl, r, "POST", path, what);
        co_return r;
    }
    // Files given by path are read now, before any request: one missing
    // or too big fails the create here, and a resend sends what was read.
    if (auto what = load_attachments(p); !what.empty()) {
        invalid_argument(impl, r, "POST", path, what);
        co_return r;
    }
    bool existed_before = false;
    std::size_t matching_before = 0;
    bool generated = false; // an id made here: nobody else can know it yet
    if (p.task_id && !fresh_id) {
        // A caller's id may name an existing task (a follow-up): note its
        // turns now, so a lost response can be told apart later.
        if (ro.max_retries.value_or(impl->options().max_retries) > 0) {
            auto cs = co_await asio::this_coro::cancellation_state;
            auto before = co_await retrieve_op(impl, *p.task_id, ro);
            if (cancelled_between(
                    impl, cs, r, "POST", [&] { return path; }, "the follow-up (nothing was sent)"))
                co_return r;
            if (!before.ec) {
                existed_before = true;
                matching_before = count_matching_turns(before.value, p.input);
            } else if (before.ec != error::not_found) {
                failed_look(impl, r, before, "checking task " + *p.task_id + " before a follow-up: ");
                co_return r;
            }
        }
    } else {
        if (!p.task_id) {
            p.task_id = make_task_id();
            generated = true;
        }
    }

    auto body = make_create_body(p);
    if (!body) { // (random boundaries: not expected)
        invalid_argument(impl, r, "POST", path,
                         "files: no multipart boundary found that the files do not hold");
        co_return r;
    }
    std::vector<attachment>().swap(p.files); // the body holds the bytes now
    r.value.task_id = std::move(*p.task_id); // the body has it; p is not read again
    const std::string& id = r.value.task_id;
    create_check check(impl, id, p.input, existed_before, matching_before);
    if (!generated) // a result of this task seen before the POST is out of date
        impl->hub().forget(id);
    auto c =
        co_await impl->call("POST", path, std::move(body->bytes), ro, &check, std::move(body->content_type));
    if (!generated) // nor a result fetched while the POST was under way
        impl->hub().forget(id);
    if (c.ec) {
        fail_from(impl, c, r);
        co_return r;
    }
    if (c.value.recovered) {
        // The submission is there; report what the task shows.
        auto g = co_await impl->call("GET", impl->task_path(id), {}, ro);
        task_with_turns t;
        if (!g.ec) {
            std::string what;
            boost::system::error_code ec;
            parse_json(g.value.body, t, ec, what);
        }
        r.value.run = run_from_task(t);
        r.value.recovered = true;
        r.diag = c.diag;
        co_return r;
    }
    parse_body(impl, c, r.value.run, r);
    co_return r;
}

asio::awaitable<op_result<create_result>> create_unless_exists_op(impl_ptr impl, create_task_params p,
                                                                  request_options ro)
{
    co_await asio::this_coro::throw_if_cancelled(false);
    op_result<create_result> r;
    if (auto what = validate(p); !what.empty() || !p.task_id) {
        invalid_argument(impl, r, "POST", impl->tasks_path(), what.empty() ? "taskId: required" : what);
        co_return r;
    }
    auto cs = co_await asio::this_coro::cancellation_state;
    auto before = co_await retrieve_op(impl, *p.task_id, ro);
    if (before.ec == error::not_found) { // never sent, or never arrived: sent now
        if (cancelled_between(
                impl, cs, r, "POST", [&] { return impl->tasks_path(); }, "the create (nothing was sent)"))
            co_return r;
        auto fresh = create_fresh_op(std::move(impl), std::move(p), std::move(ro), true);
        co_return co_await std::move(fresh);
    }
    if (before.ec) {
        failed_look(impl, r, before, "checking whether task " + *p.task_id + " was sent by an earlier run: ");
        co_return r;
    }
    // There: an earlier run sent it. Sending it again would add a turn.
    r.value.task_id = std::move(*p.task_id);
    r.value.run = run_from_task(before.value);
    r.value.recovered = true;
    co_return r;
}

} // namespace handinger::detail
