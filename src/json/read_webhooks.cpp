// Reading the Webhooks resource's models (webhook_models.hpp): a webhook's
// configuration, an execution and a page of them.
#include "json/read_top.hpp"
#include "json/reader.hpp"

#include <handinger/webhook_models.hpp>

namespace handinger {
namespace detail {

bool read_value(const json::value& v, webhook& out, const json_path& at, std::string& what)
{
    using F = webhook::field;
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .tol("token", out.token, out.presence, F::token)
                    .tol("url", out.url, out.presence, F::url)
                    .ok();
}

// An execution: its id is strict (the pager tells executions apart by it),
// the rest tolerant.
bool read_value(const json::value& v, webhook_execution& out, const json_path& at, std::string& what)
{
    using F = webhook_execution::field;
    auto& p = out.presence;
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .req("id", out.id)
                    .tol("createdAt", out.created_at, p, F::created_at)
                    .tol("durationMs", out.duration_ms, p, F::duration_ms)
                    .tol("requestStatus", out.request_status, p, F::request_status)
                    .tol("responseStatus", out.response_status, p, F::response_status)
                    .tol("errorMessage", out.error_message, p, F::error_message)
                    .tol("taskId", out.task_id, p, F::task_id)
                    .tol("taskTitle", out.task_title, p, F::task_title)
                    .tol("url", out.url, p, F::url)
                    .tol("workerId", out.worker_id, p, F::worker_id)
                    .ok();
}

// The executions are the whole answer: required; the counts tolerant.
bool read_value(const json::value& v, webhook_execution_page& out, const json_path& at, std::string& what)
{
    using F = webhook_execution_page::field;
    auto& p = out.presence;
    const auto* o = as_object(v, at, what);
    return o && object_reader(*o, at, what)
                    .req("logs", out.logs)
                    .tol("page", out.page, p, F::page)
                    .tol("pageCount", out.page_count, p, F::page_count)
                    .tol("totalCount", out.total_count, p, F::total_count)
                    .ok();
}

} // namespace detail

HANDINGER_INSTANTIATE_READ(webhook)
HANDINGER_INSTANTIATE_READ(webhook_execution)
HANDINGER_INSTANTIATE_READ(webhook_execution_page)

#undef HANDINGER_INSTANTIATE_READ

} // namespace handinger
