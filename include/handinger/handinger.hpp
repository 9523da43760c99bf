// The whole public API of handinger-cpp in one include. (The simulator,
// <handinger/sim/...>, is not part of it.) Each header below can also be
// included on its own; <handinger/client.hpp> alone brings the client with
// everything its operations take and return.
#pragma once

#include <handinger/attachment.hpp>        // attachment (create_task_params::files)
#include <handinger/batch.hpp>             // batch_options, batch_item_result, batch_stream
#include <handinger/client.hpp>            // client, client_stats
#include <handinger/create_result.hpp>     // create_result
#include <handinger/error.hpp>             // error, diagnostics, api_error
#include <handinger/field_presence.hpp>    // field_state, field_presence
#include <handinger/json.hpp>              // read_json, parse_json, to_json_string
#include <handinger/models.hpp>            // task, turn, create_task_params, run_result, ...
#include <handinger/nullable_update.hpp>   // nullable_update
#include <handinger/open_enum.hpp>         // open_enum
#include <handinger/options.hpp>           // client_options, request_options, tls_options
#include <handinger/schedule_models.hpp>   // worker_schedule, create_schedule_params, schedule_when, ...
#include <handinger/schedules.hpp>         // schedules (client::schedules())
#include <handinger/structured_output.hpp> // read_structured (run_result/turn::structured_output_as)
#include <handinger/task_id.hpp>           // make_task_id
#include <handinger/version.hpp>           // HANDINGER_VERSION_STRING, _MAJOR, _MINOR, _PATCH (generated)
#include <handinger/watch.hpp>             // task_watcher
#include <handinger/watch_events.hpp>      // events::..., watch_event
#include <handinger/watch_options.hpp>     // watch_options
#include <handinger/webhook_delivery.hpp>  // read_webhook_delivery, webhook_error
#include <handinger/webhook_models.hpp> // webhook, webhook_execution, webhook_execution_page, validate_webhook_url
#include <handinger/webhooks.hpp>       // webhooks (client::webhooks())
#include <handinger/worker_models.hpp> // worker_template, create_worker_params, update_worker_params, ...
#include <handinger/workers.hpp>       // workers (client::workers())
