// Writing the Webhooks resource's models (webhook_models.hpp) with their
// wire names, as write_models.cpp writes the others.
#include "json/write_support.hpp"

#include <handinger/json.hpp>
#include <handinger/webhook_models.hpp>

namespace handinger {

namespace json = boost::json;
using namespace detail;

void tag_invoke(json::value_from_tag, json::value& jv, const webhook& v)
{
    json::object& o = make_object(jv, 2);
    put(o, v, webhook::field::token, v.token);
    put(o, v, webhook::field::url, v.url);
}

void tag_invoke(json::value_from_tag, json::value& jv, const webhook_execution& v)
{
    using F = webhook_execution::field;
    json::object& o = make_object(jv, 10);
    o.emplace("id", v.id);
    put(o, v, F::created_at, v.created_at);
    put(o, v, F::duration_ms, v.duration_ms);
    put(o, v, F::request_status, v.request_status);
    put(o, v, F::response_status, v.response_status);
    put(o, v, F::error_message, v.error_message);
    put(o, v, F::task_id, v.task_id);
    put(o, v, F::task_title, v.task_title);
    put(o, v, F::url, v.url);
    put(o, v, F::worker_id, v.worker_id);
}

void tag_invoke(json::value_from_tag, json::value& jv, const webhook_execution_page& v)
{
    using F = webhook_execution_page::field;
    json::object& o = make_object(jv, 4);
    put_array(o, "logs", v.logs);
    put(o, v, F::page, v.page);
    put(o, v, F::page_count, v.page_count);
    put(o, v, F::total_count, v.total_count);
}

template std::string to_json_string(const webhook&);
template std::string to_json_string(const webhook_execution&);
template std::string to_json_string(const webhook_execution_page&);

} // namespace handinger
