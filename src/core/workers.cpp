// The Workers resource's operations over client_impl::call: create,
// retrieve (a run), update, delete, email.
#include "core/worker_call.hpp"
#include "http/url.hpp"
#include "json/write_workers.hpp"

#include <handinger/json.hpp>

#include <boost/asio/this_coro.hpp>

namespace handinger::detail {

namespace asio = boost::asio;

namespace {

// A create whose answer was lost cannot be looked for: a worker has no id
// the client chooses, and a listing would not tell this POST's worker from
// another made alike. Every look says "unknown", so the call fails rather
// than resend (policy/retry_driver.hpp: a check that cannot tell is never
// taken for "absent").
class no_effect_check final : public effect_check {
public:
    std::string_view task_id() const override { return {}; }
    asio::awaitable<found> look(request_options) override
    {
        co_return found{check_result::unknown,
                        "whether the POST made a worker cannot be checked (a worker has no id the client "
                        "chooses)"};
    }
};

} // namespace

asio::awaitable<op_result<worker_template>> create_worker_op(impl_ptr impl, create_worker_params p,
                                                             request_options ro)
{
    auto what = validate(p);
    auto body = what.empty() ? create_worker_body(p) : std::string();
    no_effect_check check;
    // (co_await here, not return: `check` lives in this frame.)
    co_return co_await worker_call<worker_template>(impl, "POST", worker_path(*impl), std::move(what),
                                                    std::move(body), std::move(ro), &check);
}

asio::awaitable<op_result<run_result>> retrieve_worker_op(impl_ptr impl, std::string worker_id,
                                                          std::optional<std::string> task_id,
                                                          request_options ro)
{
    auto path = worker_path(*impl, &worker_id);
    auto what = check_id(worker_id);
    if (task_id) {
        path += "?taskId=";
        http::append_segment(path, *task_id); // (unreserved characters only: safe in a query)
        if (what.empty() && task_id->empty())
            what = "task_id: must be at least 1 character";
    }
    return worker_call<run_result>(std::move(impl), "GET", std::move(path), std::move(what), {},
                                   std::move(ro));
}

asio::awaitable<op_result<worker_template>> update_worker_op(impl_ptr impl, std::string worker_id,
                                                             update_worker_params p, request_options ro)
{
    auto what = check_id(worker_id);
    if (what.empty())
        what = validate(p);
    auto body = what.empty() ? update_worker_body(p) : std::string();
    return worker_call<worker_template>(impl, "PATCH", worker_path(*impl, &worker_id), std::move(what),
                                        std::move(body), std::move(ro));
}

asio::awaitable<op_result<delete_worker_response>> delete_worker_op(impl_ptr impl, std::string worker_id,
                                                                    request_options ro)
{
    auto what = check_id(worker_id);
    return worker_call<delete_worker_response>(impl, "DELETE", worker_path(*impl, &worker_id),
                                               std::move(what), {}, std::move(ro));
}

asio::awaitable<op_result<worker_email>> worker_email_op(impl_ptr impl, std::string worker_id,
                                                         request_options ro)
{
    auto what = check_id(worker_id);
    return worker_call<worker_email>(impl, "GET", worker_path(*impl, &worker_id, "/email"), std::move(what),
                                     {}, std::move(ro));
}

} // namespace handinger::detail
