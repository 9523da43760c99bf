// The Schedules resource's operations over client_impl::call: create, list,
// cancel.
#include "core/resource_call.hpp"
#include "json/write_schedules.hpp"

#include <handinger/json.hpp>
#include <handinger/schedules.hpp>

namespace handinger::detail {

namespace asio = boost::asio;

namespace {

// "/api/workers/{id}/schedules", then "/{schedule id}" when one is given.
std::string schedules_path(const client_impl& impl, const std::string& worker_id,
                           const std::string* schedule_id = nullptr)
{
    std::string p = worker_path(impl, &worker_id, "/schedules");
    if (schedule_id) {
        p += '/';
        append_id(p, *schedule_id);
    }
    return p;
}

} // namespace

asio::awaitable<op_result<worker_schedule>> create_schedule_op(impl_ptr impl, std::string worker_id,
                                                               create_schedule_params p, request_options ro)
{
    auto what = check_id("worker_id", worker_id);
    if (what.empty())
        what = validate(p);
    auto body = what.empty() ? create_schedule_body(p) : std::string();
    // A schedule has no id the client chooses: as a worker's create, a POST
    // whose answer was lost is not resent.
    no_effect_check check(
        "whether the POST made a schedule cannot be checked (a schedule has no id the client chooses)");
    // (co_await here, not return: `check` lives in this frame.)
    co_return co_await resource_call<worker_schedule>(impl, "POST", schedules_path(*impl, worker_id),
                                                      std::move(what), std::move(body), std::move(ro),
                                                      &check);
}

asio::awaitable<op_result<schedule_list>> list_schedules_op(impl_ptr impl, std::string worker_id,
                                                            request_options ro)
{
    auto what = check_id("worker_id", worker_id);
    return resource_call<schedule_list>(impl, "GET", schedules_path(*impl, worker_id), std::move(what), {},
                                        std::move(ro));
}

asio::awaitable<op_result<cancel_schedule_response>>
cancel_schedule_op(impl_ptr impl, std::string worker_id, std::string schedule_id, request_options ro)
{
    auto what = check_id("worker_id", worker_id);
    if (what.empty())
        what = check_id("schedule_id", schedule_id);
    return resource_call<cancel_schedule_response>(
        impl, "DELETE", schedules_path(*impl, worker_id, &schedule_id), std::move(what), {}, std::move(ro));
}

} // namespace handinger::detail
