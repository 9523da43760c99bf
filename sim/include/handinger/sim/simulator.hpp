// The Handinger service simulator: a loopback HTTPS (or plain HTTP) server that
// speaks the Tasks API of API.md with a time-driven task lifecycle, Bearer auth,
// validation errors, both retrieve shapes and faults on demand. Tests, examples
// and benchmarks embed it in-process; `handinger-sim` wraps it as a program.
//
// Lifecycle: each POST appends a run to its task. The run's first turn is
// visible at once with status "pending" (so a submission can be seen right
// after its POST); the run then waits `pending` (and behind any earlier run
// still going), after which its turns run one after another for `turn` each,
// "running" with outputText growing in `text_steps` steps, then "completed".
// The task is "pending" before its current run's turns start, "running"
// while they run, and takes the run's final status after its last turn.
//
// This header is deliberately light (no Beast, no OpenSSL, no Asio) so that a
// test TU that only starts a simulator compiles quickly.
//
// Input directives. The `input` of a POST may carry words that steer the run it
// creates (they stay in the input text, the simulator only reads them):
//   #fail            the run ends with status "error"; its last turn is "error"
//   #abort           the run ends "aborted" right after its first turn
//   #status:WORD     the run ends with the raw status WORD (e.g. "paused"), for
//                    clients' unknown-status handling
//   #turns:N         this run has N turns (default: options::turns_per_task)
//   #pending-ms:N    this run stays pending N ms (default: options::pending)
//   #turn-ms:N       each turn of this run lasts N ms (default: options::turn)
//   #fault:KIND[:N]  the first N (default 1) POST attempts with the same taskId
//                    and input (the same input when there is no taskId) get
//                    fault KIND; later attempts are served normally
//   #get-fault:KIND[:N]  the first N GETs of the task (retrieve or /turns) get KIND
//   #null-fields     the task is sent with `"title": null`, and its turns with
//                    null `role`, `input` and `outputText` (from the POST that
//                    carries it on), for clients' handling of unexpected nulls
//   #structured:JSON every completed turn of this run, and the run once it has
//                    completed, carry JSON as their structured output, whatever
//                    the worker's schema (none included): e.g. a value that does
//                    not match it. JSON is one word, so compact: a space inside
//                    a string is written \u0020. Not JSON: ignored
// KIND is one of: 429, 500, 503, reset (close before processing, no response),
// lost (process fully, then reset without a response), stall (process, then
// send nothing for options::stall, then close), truncate (process, send the
// headers with the full content-length and half the body, then close), slow
// (process, send the body in small pieces over about a second), no-retry (503
// with `x-should-retry: false`), retry-true (400 with `x-should-retry: true`),
// early-hints (process, send `100 Continue` and `103 Early Hints`, then the
// response), extra-response (process, send the response, then in a write of
// its own an unsolicited second response `{"unsolicited":true}`; stats count
// it in "unsolicited_sent" once it is out).
//
// Thread safety: start(), stop() and the destructor must not run concurrently
// with each other; url(), port(), ca_pem(), stats(), reset_stats() and
// set_faults() may be called from any thread at any time after start().
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace handinger::sim {

/// When POST /api/tasks answers.
enum class create_mode {
    immediate, ///< at once, with the run "pending" (running: true)
    wait,      ///< only when the run has finished, with its final status and text
};

/// The shape of GET /api/tasks/{id}.
enum class retrieve_shape {
    with_turns, ///< {"task": Task, "turns": [Turn...]} (the reference's shape)
    task_only,  ///< {"task": Task}; the turns come from GET /api/tasks/{id}/turns
};

/// How a 429 says when to come back (the value is fault_options::retry_after_value).
enum class retry_after_form {
    none,      ///< no header at all
    ms,        ///< `retry-after-ms: 1000`
    seconds,   ///< `retry-after: 1` (rounded up to whole seconds)
    http_date, ///< `retry-after: Wed, 21 Oct 2015 07:28:00 GMT` (now + value)
};

/// The knobs that may change while the simulator runs (simulator::set_faults).
/// Percentages are of /api requests (0..100) and are decided per request by a
/// PRNG seeded with options::seed and a global request counter, so the same
/// sequence of requests meets the same faults. When they add up past 100 the
/// later kinds in this list get the remainder.
struct fault_options {
    double p429 = 0;           ///< 429 with a retry-after per retry_after
    double p5xx = 0;           ///< 500 or 503 (no x-should-retry header)
    double p_reset_before = 0; ///< connection reset before processing, no response
    double p_reset_after = 0;  ///< request processed, then connection reset ("lost")
    double p_stall = 0;        ///< processed, then nothing for `stall`, then close
    double p_truncate = 0;     ///< processed, half the body sent, then close
    double p_slow = 0;         ///< processed, body dribbled out over ~1 s
    double p_no_retry = 0;     ///< 503 with `x-should-retry: false`
    retry_after_form retry_after = retry_after_form::seconds; ///< form of 429s' hint
    std::chrono::milliseconds retry_after_value{1000};        ///< the hint's value
    /// > 0: POST /api/tasks beyond this many per second (token bucket, burst
    /// = the rate) get 429 with a retry-after; 0 = no limit.
    int rate_limit_rps = 0;
    /// How long a stalled response hangs before the server closes the connection.
    std::chrono::milliseconds stall{30000};
};

/// Everything the simulator can be told. Every field has a usable default: a
/// default-constructed options gives an HTTPS server on a free loopback port
/// with key "sk-sim-test" and no faults.
struct options : fault_options {
    std::string host = "127.0.0.1"; ///< address to listen on (loopback only, please)
    unsigned short port = 0;        ///< 0 = let the system pick a free port
    bool plain_http = false;        ///< serve plain HTTP instead of HTTPS

    std::string api_key = "sk-sim-test"; ///< the key accepted in `Authorization: Bearer`
    /// Further accepted keys, each another member of the same organization
    /// (the Nth is user "usr_sim_N"; api_key is "usr_sim"). A task may be
    /// archived, and a worker updated, deleted or asked its email address,
    /// only with the key that created it: another key gets 403. A private
    /// worker answers 403 to other keys on retrieve and on task creation too.
    std::vector<std::string> other_keys;

    std::string ca_out;    ///< if set, the generated CA certificate (PEM) is written there
    std::string cert_file; ///< PEM certificate chain to serve instead of generating one
    std::string key_file;  ///< PEM private key for cert_file

    create_mode create = create_mode::immediate;
    retrieve_shape shape = retrieve_shape::with_turns;

    std::chrono::milliseconds pending{300}; ///< how long a new run stays "pending"
    std::chrono::milliseconds turn{400};    ///< how long each turn runs
    int turns_per_task = 3;                 ///< turns per run
    int text_steps = 4;                     ///< a running turn's text grows in this many steps

    std::uint64_t seed = 1; ///< drives ids, texts and fault decisions
    int threads = 1;        ///< threads running the server

    /// > 0: a keep-alive connection idle this long is closed silently (no TLS
    /// close_notify), so clients meet stale pooled connections.
    std::chrono::milliseconds idle_close{0};

    /// false: no TLS session tickets and no session cache, so no client can
    /// resume a session (a server that does not offer resumption).
    bool session_tickets = true;
    bool close_each = false; ///< every response has `Connection: close` and the server closes
    bool chunked = false;    ///< bodies in chunked transfer-encoding
    bool http10 = false;     ///< answer as HTTP/1.0 (content-length, close after)
    /// Add "simVisibleAtMs" to each turn: the unix time (ms) at which the turn's
    /// current state (status and text) became visible, for latency measurements.
    bool stamp_visibility = false;
    /// The largest multipart/form-data request body read (bytes); a request
    /// whose Content-Length is larger is answered 413 and the connection
    /// closed. Other bodies: 1 MiB (larger ones: the connection is closed).
    std::uint64_t max_form_body = 40u << 20;

    /// How long one second of a schedule lasts: a schedule's delayInSeconds
    /// and intervalSeconds count these, so that tests need not wait real
    /// seconds ({1ms}: a 60-second delay runs 60 ms after its create). Its
    /// nextRunAt shows the time so scaled. A `scheduled` date and a cron
    /// expression are wall-clock times, never scaled. Must be positive.
    std::chrono::milliseconds schedule_second{1000};

    /// How long after a task finishes its webhook delivery is POSTed.
    std::chrono::milliseconds webhook_delay{0};
    /// The bound on one delivery attempt (connect, send, answer); past it
    /// the attempt is recorded as an error.
    std::chrono::milliseconds webhook_timeout{5000};

    /// Keep the header fields of the latest request, for
    /// simulator::last_request_headers (tests of what a client sends).
    bool record_headers = false;
};

/// The simulator. Routes (JSON bodies):
///   POST   /api/tasks                create a task, or a follow-up run when taskId exists;
///                                    JSON, or multipart/form-data with the same
///                                    fields as text fields and files under
///                                    `files` (see "Files" below)
///   GET    /api/tasks/{id}           the task (and its turns, per options::shape)
///   GET    /api/tasks/{id}/turns     {"taskId": id, "items": [Turn...]}
///   DELETE /api/tasks/{id}           {"archived": true}; 403 unless the creating key
///   POST   /api/workers              create a worker (422 past a limit of API.md)
///   GET    /api/workers/{id}         the run of the worker's latest task, or of
///                                    ?taskId=; 404 when it has none (the task's id
///                                    in the header x-sim-task-id, as a create's)
///   PATCH  /api/workers/{id}         change the fields sent (outputSchema null
///                                    clears it); 403 unless the creating key
///   DELETE /api/workers/{id}         {"deleted": true}, soft: every worker route
///                                    then answers 404 (tasks stay, none start)
///   GET    /api/workers/{id}/email   {"email": "<id>@workers.sim.invalid"}; 403
///                                    unless the creating key
///   POST   /api/workers/{id}/schedules  make a schedule (422 past a limit of
///                                    API.md, naming the field: "when.cron", ...)
///   GET    /api/workers/{id}/schedules  {"schedules": [...], "workerId": id}: the
///                                    worker's schedules still to run, every key's,
///                                    in the order they were made
///   DELETE /api/workers/{id}/schedules/{scheduleId}  {"cancelled": true}; 403
///                                    unless the key that made the schedule, 404
///                                    when it is not the worker's (or has gone)
///                                    The three answer 404 for a worker the
///                                    simulator has not made, or deleted (a task's
///                                    create adopts an unknown worker id, these do
///                                    not), and 403 for another key's private worker.
///   GET    /api/workers/{id}/webhook {"token", "url"}, both null when none is set
///   PUT    /api/workers/{id}/webhook body {"url": string or null}: a string of at
///                                    most 2,048 characters that parses as a URI
///                                    (else 422); the first URL makes a token
///                                    "whk_...", later ones keep it; null clears both
///   DELETE /api/workers/{id}/webhook clears both; answers {"token":null,"url":null}
///   POST   /api/workers/{id}/webhook/regenerate-token   a new token; 404 when the
///                                    worker has no webhook URL
///   GET    /api/workers/{id}/webhook/executions?page=N  {"logs": [...], "page",
///                                    "pageCount", "totalCount"}: the delivery
///                                    attempts, newest first, 50 a page; page >= 1
///                                    (default 1, else 422); pageCount is 0 when
///                                    there are none; a page past the last is empty
///                                    Every webhook route is the creating key's
///                                    only (403 to another), 404 for a worker
///                                    unknown or deleted.
///   GET    /_sim/stats               counters (no auth); see stats()
///   POST   /_sim/reset-stats         zeroes the counters (no auth)
class simulator {
public:
    explicit simulator(options opts = {});
    /// Stops the server if it runs.
    ~simulator();
    simulator(const simulator&) = delete;
    simulator& operator=(const simulator&) = delete;

    /// Binds, prepares TLS (generating the CA and server certificate unless
    /// cert_file is given), writes ca_out, then serves on options::threads
    /// background threads. Throws std::runtime_error (or boost::system::system_error)
    /// when it cannot.
    void start();
    /// Stops accepting, drops every connection (including stalled and waiting
    /// responses) and joins the threads. Returns within a bounded time;
    /// idempotent.
    void stop();

    /// "https://127.0.0.1:PORT" (or http:// with plain_http), valid after start().
    std::string url() const;
    /// The bound port, valid after start().
    unsigned short port() const;
    /// The generated CA certificate (PEM); empty with plain_http or cert_file.
    std::string ca_pem() const;

    /// The counters also served at GET /_sim/stats:
    ///   connections_accepted, connections_open, connections_peak,
    ///   tls_handshakes, tls_resumed,
    ///   requests: {"POST /api/tasks": {"200": n, ...}, "GET /api/tasks/{id}": ...,
    ///              "GET /api/tasks/{id}/turns", "DELETE /api/tasks/{id}",
    ///              "GET /_sim/stats", "POST /_sim/reset-stats", "other"}
    ///              (status "none" when no response was sent),
    ///   ("POST /api/workers", "GET /api/workers/{id}", "PATCH /api/workers/{id}",
    ///              "DELETE /api/workers/{id}", "GET /api/workers/{id}/email" too, and
    ///              "GET|PUT|DELETE /api/workers/{id}/webhook" (three routes),
    ///              "POST /api/workers/{id}/webhook/regenerate-token",
    ///              "GET /api/workers/{id}/webhook/executions"),
    ///   tasks_created, followup_turns, posts (POSTs that created a run),
    ///   duplicate_posts (runs created within 2 s of the previous run of the
    ///   same taskId: the mark of a blind resend), faults {kind: n}, rate_limited,
    ///   tasks (how many tasks the simulator holds), workers_created (by POST
    ///   /api/workers), workers_updated, workers_deleted, workers (how many it
    ///   holds, deleted ones included), structured_outputs (turns' structured
    ///   outputs generated from a schema), structured_fallbacks (of those, "{}"
    ///   because the schema could not be met),
    ///   ("POST /api/workers/{id}/schedules", "GET /api/workers/{id}/schedules",
    ///   "DELETE /api/workers/{id}/schedules/{scheduleId}" in requests too),
    ///   schedules_created, schedules_cancelled, schedule_runs (tasks started by
    ///   schedules; not in tasks_created, which counts POST /api/tasks),
    ///   schedules (how many are still to run), webhook_deliveries (attempts
    ///   made), webhook_delivery_failures (those not answered 2xx).
    ///
    /// Workers: every task runs on one. A task created without a workerId gets a
    /// new worker whose instructions are its input; a workerId the simulator has
    /// not seen is taken as a worker of the creating key (made elsewhere). A
    /// worker created without a title gets a random two-word name; with a prompt
    /// and no instructions, instructions written "from" the prompt.
    ///
    /// Structured output: a run posted on a worker with an outputSchema gets,
    /// for each turn, a value generated from the schema as it is then
    /// (detail/schema_sample.hpp: draft-07's common keywords, $ref within the
    /// schema), fixed by options::seed, the task id and the turn's seq, and
    /// valid against the schema. A completed turn shows it as
    /// `structuredOutput`, the run (once completed) its last turn's as
    /// `structured_output`; before, after an error, and without a schema,
    /// both are null. A schema that cannot be met (unsatisfiable, a pattern
    /// it must match, past the generator's bounds, a root that is not an
    /// object) gives `{}` instead.
    /// Files: a create sent as multipart/form-data (RFC 7578) keeps each
    /// `files` part, listed as {filename (null when the part had none),
    /// mediaType (its Content-Type, else application/octet-stream), url
    /// (https://handinger.com/files/fil_...), size} on the run it answers
    /// and on that run's first turn. Names and filenames are read as the
    /// HTML standard writes them (%22, %0D, %0A decoded). The limits are the
    /// library's (handinger::attachment): a file past max_size or all past
    /// max_total_size 413, more than max_count files 422; a malformed body
    /// (no boundary line, a part without a Content-Disposition of form-data
    /// with a name, headers that do not end, no closing boundary) or a
    /// multipart/form-data Content-Type without a boundary 400; another
    /// multipart type 415; a text field twice, as a file, or not UTF-8 422.
    /// Counters: multipart_creates (creates sent as forms that made a run),
    /// files_received, file_bytes_received.
    /// Schedules run their input as a task of the worker (`triggeredBy:
    /// "schedule"`, the key that made the schedule its creator, the input's
    /// directives applied): a scheduled one once at its date (at once when the
    /// date has passed), a delayed one once after its delay, an interval one
    /// every interval from its create, a cron one at each time its expression
    /// matches (UTC; the next computed from the last). A one-shot schedule that
    /// has run leaves the list (its cancel is then 404); so does every schedule
    /// of a deleted worker. A run is made at its due time: by the simulator's
    /// timer, or by the first request that comes after it (GET /_sim/stats
    /// included; stats() is not a request and shows what the timer has done),
    /// so a task's times are its due time's either way. One schedule late by
    /// many runs makes up to 100 of them at once and skips the rest. stop()
    /// stops the timer with the rest.
    /// Webhook deliveries (the simulator's own choices where API.md says
    /// nothing): when a task of a worker with a webhook URL finishes (one a
    /// schedule started included), whatever its final status (completed,
    /// error, aborted, a #status:WORD), it POSTs
    /// `{"event":"task.finished","taskId","workerId","status"}` (JSON, header
    /// X-Handinger-Token: the token) to the URL, options::webhook_delay after
    /// the end, within options::webhook_timeout, with the URL and token in
    /// force then: none (cleared, or the worker deleted), no delivery. A task
    /// finishes when its last run ends (not a run followed by another posted
    /// before its end). A URL set while a task runs counts for it, not for a
    /// run already ended. Deliveries go over plain HTTP/1.1 to loopback only
    /// (http://127.x.x.x, http://[::1], http://localhost; this is a test tool:
    /// another URL is accepted by PUT, its deliveries recorded as errors,
    /// sending nothing), on connections kept alive between deliveries. Each
    /// attempt is recorded as an execution (success on 2xx, else error with
    /// responseStatus and errorMessage) whose createdAt is when it ended (the
    /// list's order), before the connection is kept or closed (a receiver
    /// that answers `Connection: close` knows, at the close, that it is
    /// listed). No retry (but a kept connection found closed is replaced).
    /// They run on the server's threads without blocking them; stop() drops
    /// those in flight. Flags: --webhook-delay-ms, --webhook-timeout-ms.
    boost::json::object stats() const;
    /// The bytes of a file a create carried, by the url listed for it (or
    /// its id, fil_...); nullopt when there is none.
    std::optional<std::string> file_content(std::string_view url_or_id) const;
    /// Zeroes every counter except connections_open (peak restarts from it).
    void reset_stats();
    /// Replaces the fault knobs; affects requests that arrive afterwards.
    void set_faults(const fault_options& faults);
    /// With options::record_headers: the header fields of the latest request
    /// read, name and value as received, in their order, repeats included
    /// (Authorization's value replaced by "(redacted)"); empty before any.
    std::vector<std::pair<std::string, std::string>> last_request_headers() const;

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

} // namespace handinger::sim
