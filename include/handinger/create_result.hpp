// What client::async_create completes with: create_result.
#pragma once

#include <handinger/models.hpp>

#include <string>

namespace handinger {

/// The outcome of a create: the run result and the task id that was sent.
struct create_result {
    /// The task id the client sent (the caller's, or a generated `tsk_` ULID).
    std::string task_id;
    /// The service's response. When `recovered`, built from the retrieved
    /// task instead: id empty, status mapped from the task's status,
    /// output_text the last turn's text.
    run_result run;
    /// The response was lost (connection broke, timeout, 5xx after the request
    /// was sent) and the client, rather than resending, retrieved the task and
    /// found the submission there (see client::async_create).
    bool recovered = false;
};

} // namespace handinger
