// Realistic service responses (shapes from API.md) shared by the JSON tests,
// and a helper that parses and reports the error text.
#pragma once

#include <handinger/error.hpp>
#include <handinger/json.hpp>

#include <string>
#include <string_view>

namespace handinger::test {

inline constexpr std::string_view task_with_turns_json = R"({
  "task": {
    "id": "tsk_01HZY31W2SZJ8MJ2FQTR3M1K9D",
    "completedAt": "2024-06-01T12:03:04.500Z",
    "createdAt": "2024-06-01T12:00:00.000Z",
    "createdByUserId": "usr_42",
    "organizationId": "org_7",
    "status": "completed",
    "title": "Summarise the quarterly report",
    "totals": {"credits": 17, "durationMs": 184500, "turnCount": 2},
    "triggeredBy": "api",
    "url": "https://handinger.com/tasks/tsk_01HZY31W2SZJ8MJ2FQTR3M1K9D",
    "workerId": "wrk_vk81XUHKHG-qr4"
  },
  "turns": [
    {
      "id": "trn_1",
      "taskId": "tsk_01HZY31W2SZJ8MJ2FQTR3M1K9D",
      "seq": 1,
      "role": "user",
      "status": "completed",
      "input": "Summarise the attached report",
      "outputText": "The report says revenue grew 12%.",
      "structuredOutput": {"growth": 0.12, "tags": ["revenue", "q2"]},
      "credits": 12,
      "durationMs": 120000,
      "inputTokens": 1500,
      "outputTokens": 320,
      "startedAt": "2024-06-01T12:00:01.000Z",
      "completedAt": "2024-06-01T12:02:01.000Z",
      "files": [
        {"filename": "summary.pdf", "mediaType": "application/pdf",
         "url": "https://files.handinger.com/f/1", "size": 20480},
        {"filename": null, "mediaType": "image/png", "url": "https://files.handinger.com/f/2"}
      ]
    },
    {
      "id": "trn_2",
      "taskId": "tsk_01HZY31W2SZJ8MJ2FQTR3M1K9D",
      "seq": 2,
      "role": "user",
      "status": "running",
      "input": "And the risks?",
      "outputText": "",
      "structuredOutput": null,
      "credits": 5,
      "durationMs": 64500,
      "inputTokens": 40,
      "outputTokens": 0,
      "startedAt": "2024-06-01T12:02:02.000Z",
      "completedAt": null
    }
  ]
})";

inline constexpr std::string_view run_result_json = R"({
  "id": "run_9",
  "object": "worker",
  "status": "completed",
  "running": false,
  "output_text": "Done.",
  "output": [{"role": "assistant", "content": [{"type": "output_text", "text": "Done."}]}],
  "structured_output": {"ok": true},
  "files": [{"filename": "a.txt", "mediaType": "text/plain", "url": "https://f/a", "size": 3}],
  "sources": [{"url": "https://example.com", "title": "Example"}],
  "messages": [{"role": "user", "content": "hi"}],
  "metadata": {"team": "ops"},
  "url": "https://handinger.com/workers/wrk_vk81XUHKHG-qr4",
  "created_at": 1717243200.5,
  "usage": {"durationMs": 4200},
  "error": null,
  "incomplete_details": {"reason": "max_tokens"}
})";

inline constexpr std::string_view task_turn_list_json = R"({
  "taskId": "tsk_01HZY31W2SZJ8MJ2FQTR3M1K9D",
  "items": [
    {
      "id": "trn_1",
      "taskId": "tsk_01HZY31W2SZJ8MJ2FQTR3M1K9D",
      "seq": 1,
      "role": "user",
      "status": "completed",
      "input": "Summarise the attached report",
      "outputText": "The report says revenue grew 12%.",
      "structuredOutput": {"growth": 0.12},
      "credits": 12,
      "durationMs": 120000,
      "inputTokens": 1500,
      "outputTokens": 320,
      "startedAt": "2024-06-01T12:00:01.000Z",
      "completedAt": "2024-06-01T12:02:01.000Z",
      "files": [{"filename": "summary.pdf", "mediaType": "application/pdf",
                 "url": "https://files.handinger.com/f/1", "size": 20480}]
    }
  ]
})";

inline constexpr std::string_view delete_task_response_json = R"({"archived": true})";

// Aggregate initialisation that names only some members trips
// -Wmissing-field-initializers; these build the models instead.
inline create_task_params make_params(std::string input, std::optional<open_enum<task_budget>> budget = {},
                                      std::optional<std::string> task_id = {},
                                      std::optional<std::string> worker_id = {})
{
    return {std::move(input), std::move(budget), std::move(task_id), std::move(worker_id), {}};
}

inline delete_task_response make_delete(bool archived)
{
    delete_task_response r;
    r.archived = archived;
    return r;
}

inline task_turn_list make_list(std::string task_id, std::vector<turn> items)
{
    task_turn_list l;
    l.task_id = std::move(task_id);
    l.items = std::move(items);
    return l;
}

/// Parses text as T and returns the error text ("" when it parsed).
template <class T>
std::string parse_error(std::string_view text)
{
    T out;
    boost::system::error_code ec;
    std::string what;
    parse_json(text, out, ec, what);
    if (!ec)
        return what.empty() ? std::string() : "success with a message: " + what;
    if (ec != error::invalid_response)
        return "wrong error code: " + ec.message();
    return what.empty() ? std::string("failure without a message") : what;
}

} // namespace handinger::test
