// The Workers resource's operations over client_impl::call: create,
// retrieve (a run), update, delete, email.
#include "core/resource_call.hpp"
#include "json/write_workers.hpp"

#include <handinger/json.hpp>

namespace handinger::detail {

namespace asio = boost::asio;

asio::awaitable<op_result<worker_template>> create_worker_op(impl_ptr impl, create_worker_params p,
                                                             request_options ro)
{
    auto what = validate(p);
    auto body = what.empty() ? create_worker_body(p) : std::string();
    no_effect_check check(
        "whether the POST made a worker cannot be checked (a worker has no id the client chooses)");
    // (co_await here, not return: `check` lives in this frame.)
    co_return co_await resource_call<worker_template>(impl, "POST", worker_path(*impl), std::move(what),
                                                      std::move(body), std::move(ro), &check);
}

asio::awaitable<op_result<run_result>> retrieve_worker_op(impl_ptr impl, std::string worker_id,
                                                          std::optional<std::string> task_id,
                                                          request_options ro)
{
    auto path = worker_path(*impl, &worker_id);
    auto what = check_id("worker_id", worker_id);
    if (task_id) {
        path += "?taskId=";
        http::append_segment(path, *task_id); // (unreserved characters only: safe in a query)
        if (what.empty() && task_id->empty())
            what = "task_id: must be at least 1 character";
    }
    return resource_call<run_result>(std::move(impl), "GET", std::move(path), std::move(what), {},
                                     std::move(ro));
}

asio::awaitable<op_result<worker_template>> update_worker_op(impl_ptr impl, std::string worker_id,
                                                             update_worker_params p, request_options ro)
{
    auto what = check_id("worker_id", worker_id);
    if (what.empty())
        what = validate(p);
    auto body = what.empty() ? update_worker_body(p) : std::string();
    return resource_call<worker_template>(impl, "PATCH", worker_path(*impl, &worker_id), std::move(what),
                                          std::move(body), std::move(ro));
}

asio::awaitable<op_result<delete_worker_response>> delete_worker_op(impl_ptr impl, std::string worker_id,
                                                                    request_options ro)
{
    auto what = check_id("worker_id", worker_id);
    return resource_call<delete_worker_response>(impl, "DELETE", worker_path(*impl, &worker_id),
                                                 std::move(what), {}, std::move(ro));
}

asio::awaitable<op_result<worker_email>> worker_email_op(impl_ptr impl, std::string worker_id,
                                                         request_options ro)
{
    auto what = check_id("worker_id", worker_id);
    return resource_call<worker_email>(impl, "GET", worker_path(*impl, &worker_id, "/email"), std::move(what),
                                       {}, std::move(ro));
}

} // namespace handinger::detail
