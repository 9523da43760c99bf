// The simulator's webhooks (API.md "Webhooks"): a worker's configuration,
// the deliveries due and the record of each attempt, without I/O. The
// service decides what to deliver and when (webhooks.cpp); the delivery
// engine (deliveries.cpp) POSTs and reports back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace handinger::sim::detail {

/// One delivery attempt, as GET .../webhook/executions lists it.
struct execution_record {
    std::string id;              ///< "whx_..."
    std::int64_t created_ms = 0; ///< when the attempt ended (so the list's order is its order)
    std::int64_t duration_ms = 0;
    bool success = false;                     ///< the endpoint answered 2xx
    std::optional<int> response_status;       ///< none: no answer
    std::optional<std::string> error_message; ///< none on success
    std::string task_id, task_title, url, worker_id;
};

/// A worker's webhook. The executions outlive the configuration.
struct webhook_state {
    std::optional<std::string> url;           ///< none: no webhook
    std::optional<std::string> token;         ///< "whk_...", set with the first URL
    std::vector<execution_record> executions; ///< oldest first (the list reverses it)
};

/// A run whose end may call for a delivery: due at end + webhook_delay.
struct finish_event {
    std::int64_t due_ms = 0;
    std::string task_id;
    std::size_t run = 0; ///< index in the task's runs

    /// For a min-heap on due_ms (std::priority_queue is a max-heap).
    friend bool operator<(const finish_event& a, const finish_event& b) { return a.due_ms > b.due_ms; }
};

/// What the delivery engine is to POST.
struct delivery_job {
    std::string url, token, body;
    std::string worker_id, task_id, task_title;
};

/// How one attempt went, as the engine reports it.
struct delivery_outcome {
    std::int64_t started_ms = 0, ended_ms = 0;
    std::optional<int> status; ///< the endpoint's status; none without an answer
    std::string error;         ///< why there was no answer ("" when there was one)
};

/// The problem with a PUT body's `url` ("url: ..."), or nothing: a string of
/// at most 2,048 characters that parses as a URI, or null.
std::optional<std::string> check_webhook_url(const std::optional<std::string>& url);

} // namespace handinger::sim::detail
