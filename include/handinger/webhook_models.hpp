// The Webhooks resource's types (API.md "Webhooks"): a worker's webhook
// configuration, the record of one delivery (an execution) and a page of
// them. The reading rules of models.hpp apply (lenient, unknown keys kept in
// `raw`, unknown enum strings kept raw, `presence` says how each tolerant
// field arrived). read_json / parse_json (<handinger/json.hpp>) read them;
// the value_from conversions are declared here.
#pragma once

#include <handinger/field_presence.hpp>
#include <handinger/open_enum.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace handinger {

/// The service's limits on a webhook.
struct webhook_limits {
    /// The longest URL, in characters.
    static constexpr std::size_t max_url = 2048;
    /// Executions on one page of GET .../webhook/executions.
    static constexpr std::size_t page_size = 50;
};

/// Checks a webhook URL before any I/O: valid UTF-8, at most 2,048
/// characters, and a URI (RFC 3986, with a scheme: Boost.URL's parse_uri).
/// Returns "" when valid, else "url: problem" ("url: must be at most 2048
/// characters (got 2049)", "url: must be a URI (...)").
std::string validate_webhook_url(std::string_view url);

/// API.md "Webhook": a worker's webhook configuration. Both fields are null
/// when the worker has none.
struct webhook {
    enum class field : std::uint8_t { token, url };
    static constexpr std::array<std::string_view, 2> field_names{"token", "url"};

    /// "whk_...": what each delivery carries in X-Handinger-Token (give it to
    /// read_webhook_delivery); null when none is set.
    std::optional<std::string> token;
    /// Where deliveries go; null when none is set.
    std::optional<std::string> url;
    boost::json::object raw; ///< the whole response object as received
    field_presence<field> presence{};

    /// Equality compares the typed fields only, not `raw` nor `presence`.
    friend bool operator==(const webhook& a, const webhook& b)
    {
        return a.token == b.token && a.url == b.url;
    }
};

/// How a delivery went (`requestStatus`).
enum class webhook_request_status {
    success, ///< the endpoint answered 2xx
    error,   ///< anything else: another status, no answer
    unknown,
};

template <>
struct enum_traits<webhook_request_status> {
    static constexpr std::array<std::string_view, 2> names{"success", "error"};
};

/// API.md "WebhookExecution": one delivery attempt. `id` is required when
/// reading; every other field may be null or absent (see `presence`).
struct webhook_execution {
    /// The fields that may be null or absent, in wire order.
    enum class field : std::uint8_t {
        created_at,
        duration_ms,
        request_status,
        response_status,
        error_message,
        task_id,
        task_title,
        url,
        worker_id,
    };
    static constexpr std::array<std::string_view, 9> field_names{
        "createdAt", "durationMs", "requestStatus", "responseStatus", "errorMessage",
        "taskId",    "taskTitle",  "url",           "workerId"};

    std::string id;
    std::string created_at; ///< ISO 8601
    std::int64_t duration_ms = 0;
    open_enum<webhook_request_status> request_status;
    std::optional<std::int64_t> response_status; ///< the endpoint's HTTP status; null without an answer
    std::optional<std::string> error_message;    ///< why it failed; null on success
    std::optional<std::string> task_id;          ///< the task whose end it announced
    std::optional<std::string> task_title;
    std::string url; ///< where it went
    std::string worker_id;
    boost::json::object raw; ///< the whole object as received
    field_presence<field> presence{};

    /// Equality compares the typed fields only, not `raw` nor `presence`.
    friend bool operator==(const webhook_execution& a, const webhook_execution& b)
    {
        return a.id == b.id && a.created_at == b.created_at && a.duration_ms == b.duration_ms &&
               a.request_status == b.request_status && a.response_status == b.response_status &&
               a.error_message == b.error_message && a.task_id == b.task_id && a.task_title == b.task_title &&
               a.url == b.url && a.worker_id == b.worker_id;
    }
};

/// `GET /api/workers/{id}/webhook/executions?page=N`: one page of a
/// worker's executions, newest first, 50 a page. `logs` is required when
/// reading; the counts may be null or absent (see `presence`: the pager
/// then ends at the first page shorter than 50).
struct webhook_execution_page {
    enum class field : std::uint8_t { page, page_count, total_count };
    static constexpr std::array<std::string_view, 3> field_names{"page", "pageCount", "totalCount"};

    std::vector<webhook_execution> logs;
    std::int64_t page = 0;        ///< this page's number, from 1
    std::int64_t page_count = 0;  ///< how many pages there are now
    std::int64_t total_count = 0; ///< how many executions there are now
    boost::json::object raw;
    field_presence<field> presence{};

    /// Equality compares the typed fields only, not `raw` nor `presence`.
    friend bool operator==(const webhook_execution_page& a, const webhook_execution_page& b)
    {
        return a.logs == b.logs && a.page == b.page && a.page_count == b.page_count &&
               a.total_count == b.total_count;
    }
};

// Writers (with the wire names; a field read as null or absent is written
// as it arrived), usable through boost::json::value_from(x).
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const webhook& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const webhook_execution& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const webhook_execution_page& v);

} // namespace handinger
