// The simulator's request handling without any I/O: a request (method, target,
// key, body, time) goes in, a response (status, headers, JSON body, and the
// transport fault to play, if any) comes out. The server feeds it bytes from
// sockets; the tests can feed it directly. Thread-safe: one mutex guards the
// task store, the fault state and the counters; connection counters are atomic.
#pragma once

#include <handinger/sim/detail/faults.hpp>
#include <handinger/sim/detail/lifecycle.hpp>
#include <handinger/sim/detail/multipart.hpp>
#include <handinger/sim/detail/render.hpp>
#include <handinger/sim/detail/schedules.hpp>
#include <handinger/sim/detail/util.hpp>
#include <handinger/sim/detail/webhooks.hpp>
#include <handinger/sim/detail/workers.hpp>
#include <handinger/sim/simulator.hpp>

#include <boost/json/object.hpp>
#include <boost/url/url_view.hpp>

#include <array>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace handinger::sim::detail {

struct http_request {
    std::string_view method;
    std::string_view target;        ///< origin-form, e.g. "/api/tasks/tsk_1?x=y"
    std::string_view authorization; ///< the Authorization header's value
    std::string_view body;
    std::int64_t now_ms = 0;       ///< arrival time (unix ms)
    std::string_view content_type; ///< the Content-Type header's value ("" when none)
};

struct http_response {
    int status = 200;
    std::string body;    ///< JSON; reused between requests
    header_list headers; ///< beyond content-type, content-length and connection
    /// What the transport must do instead of (or besides) answering normally:
    /// reset, lost, stall, truncate or slow; none for a plain answer.
    fault_kind transport = fault_kind::none;
    std::int64_t send_at_ms = 0; ///< hold the answer until then (create mode wait)

    void clear();
};

/// The routes counted in the stats.
enum class route : std::uint8_t {
    create,
    retrieve,
    turns,
    archive,
    worker_create,
    worker_retrieve,
    worker_update,
    worker_delete,
    worker_email,
    schedule_create,
    schedule_list,
    schedule_cancel,
    webhook_retrieve,
    webhook_update,
    webhook_delete,
    webhook_regenerate,
    webhook_executions,
    stats,
    reset_stats,
    other,
    count_
};
std::string_view route_name(route r);

class service {
public:
    explicit service(const options& opts);

    /// Handles one request; `res` is cleared first. Schedules due by the
    /// request's time run first (fire_due).
    void handle(const http_request& req, http_response& res);
    /// Answers a request whose body is past the server's limit (413,
    /// counted under its route) without reading the body.
    void too_large(const http_request& req, std::uint64_t limit, http_response& res);
    /// The bytes of a stored file, by its id or its url; nullopt when none.
    std::optional<std::string> file_content(std::string_view id_or_url) const;

    /// Starts the run of every schedule due at `now` (unix ms), each at its
    /// due time (a task created then), and returns when the next one is due
    /// (nothing when no schedule is left). A schedule found due several times
    /// over runs at each of its due times, up to 100 at once; further missed
    /// ones are skipped.
    std::optional<std::int64_t> fire_due(std::int64_t now);
    /// `f` is called when a schedule is made (under the service's lock: it
    /// must only post), so that whoever calls fire_due on time learns of an
    /// earlier due time; empty: nobody. The server sets it while it runs.
    void set_schedule_listener(std::function<void()> f);

    void set_faults(const fault_options& f);
    /// The header fields of the latest request (options::record_headers).
    void record_headers(header_list h);
    header_list last_headers() const;
    boost::json::object stats() const;
    void reset_stats();

    // Connection counters, updated by the server.
    void on_connection_open();
    void on_connection_close();
    void on_handshake(bool resumed);
    /// An unsolicited response (fault extra-response) went out.
    void on_unsolicited_sent() { ++unsolicited_sent_; }

    // Webhook deliveries (webhooks.cpp). The engine that POSTs them asks
    // for the ones due at `now` (appended to `out`) and learns when the next
    // one is due (nullopt: none is scheduled); `wake` is called (under the
    // service's lock: it must only post) when a delivery is scheduled
    // earlier than that, and is cleared with nullptr before the engine goes.
    std::optional<std::int64_t> take_due(std::int64_t now, std::vector<delivery_job>& out);
    void record_delivery(const delivery_job& job, const delivery_outcome& outcome);
    void set_wake(std::function<void()> wake);

private:
    struct counters {
        std::map<int, std::int64_t> requests[static_cast<int>(route::count_)]; // status (0 = none) -> n
        std::map<std::string, std::int64_t, std::less<>> faults;
        std::int64_t tasks_created = 0, followup_turns = 0, posts = 0, duplicate_posts = 0, rate_limited = 0;
        std::int64_t workers_created = 0, workers_updated = 0, workers_deleted = 0;
        std::int64_t structured_outputs = 0, structured_fallbacks = 0;
        std::int64_t multipart_creates = 0, files_received = 0, file_bytes_received = 0;
        std::int64_t schedules_created = 0, schedules_cancelled = 0, schedule_runs = 0;
        std::int64_t webhook_deliveries = 0, webhook_delivery_failures = 0;
    };

    // Where an /api request goes: a route (with the task or worker id, the
    // schedule id of a cancel, the taskId query of a worker's retrieve, the
    // page query of a webhook's executions), a known path with the wrong
    // method (allow says which), or nowhere (route::other).
    struct api_match {
        route r = route::other;
        std::string id;
        std::string schedule_id;
        std::string_view allow;
        std::optional<std::string> task_id;
        std::optional<std::string> page;
    };
    static api_match match_api(std::string_view method, std::string_view target);
    // The /api/workers paths (workers.cpp); `segs` holds the path's `n` segments.
    static api_match match_workers(const boost::urls::url_view& target, std::array<std::string, 5>& segs,
                                   std::size_t n, std::string_view method);
    // The /api/workers/{id}/webhook paths (webhooks.cpp): `m` has the id.
    static void match_webhook(const boost::urls::url_view& target, const std::array<std::string, 5>& segs,
                              std::size_t n, std::string_view method, api_match& m);
    // The worker routes, its schedules' included.
    static bool is_worker_route(route r) { return r >= route::worker_create && r <= route::schedule_cancel; }
    static bool is_schedule_route(route r)
    {
        return r >= route::schedule_create && r <= route::schedule_cancel;
    }
    static bool is_webhook_route(route r)
    {
        return r >= route::webhook_retrieve && r <= route::webhook_executions;
    }

    route dispatch(const http_request& req, http_response& res);
    route handle_api(const http_request& req, std::string_view key, const api_match& m, http_response& res);
    void route_api(const http_request& req, std::string_view key, const api_match& m, fault_kind& fault,
                   http_response& res);
    // `fault` comes in as drawn and leaves as the one to play (a #fault directive may set it).
    void handle_create(const http_request& req, std::string_view key, fault_kind& fault, http_response& res);
    // The files of a form's `files` parts, checked against the library's
    // limits (413, 422 answered); false after answering.
    bool take_files(const std::vector<const form_part*>& parts, std::vector<stored_file>& out,
                    http_response& res);
    void handle_retrieve(const task_record& task, bool turns_route, std::int64_t now_ms, http_response& res);
    // Each turn's structured output of a new run: forced by #structured:, or
    // generated from the worker's output schema (schema_sample.hpp); none
    // without either.
    void add_structured_outputs(run_record& run, const task_record& task, const worker_record& worker,
                                const directives& d);
    // The worker routes (workers.cpp).
    void route_worker(const http_request& req, std::string_view key, const api_match& m, http_response& res);
    void handle_worker_create(const http_request& req, std::string_view key, http_response& res);
    void handle_worker_update(const http_request& req, worker_record& w, http_response& res);
    void handle_worker_retrieve(const http_request& req, const worker_record& w, const api_match& m,
                                http_response& res);
    // The worker `worker_id` that a POST /api/tasks runs on (one the
    // simulator has not seen is adopted as `key`'s); null after answering
    // 404 (deleted) or 403 (another key's private worker).
    worker_record* task_worker(std::string_view worker_id, std::string_view key, std::int64_t now,
                               http_response& res);
    // A worker of `key` with a new id.
    worker_record& new_worker(std::string_view key, std::int64_t now);
    worker_record& add_worker(std::string id, std::string_view key, std::int64_t now);
    // The webhook routes (webhooks.cpp).
    void route_webhook(const http_request& req, std::string_view key, const api_match& m, http_response& res);
    void handle_webhook_update(const http_request& req, worker_record& w, http_response& res);
    void handle_webhook_executions(const api_match& m, const worker_record& w, http_response& res);
    void render_webhook(const webhook_state* h, http_response& res) const;
    // A run was appended to `task` (create.cpp): its end is watched when the
    // task's worker has a webhook URL.
    void watch_finish(const task_record& task);
    // Schedules the end of run `run` of `task`.
    void schedule_finish(const task_record& task, std::size_t run);
    // A new task of `key` (its id generated when `id` is empty), made at
    // `now` from `input`; no worker nor run yet.
    task_record& add_task(std::string id, std::string_view key, std::string_view input, std::int64_t now);
    // A run's plan: the options, as the input's directives change them.
    run_plan plan_of(const directives& d) const;
    // The schedule routes of worker `w` (schedules.cpp); `w` exists and is
    // not deleted.
    void route_schedule(const http_request& req, std::string_view key, const api_match& m, worker_record& w,
                        http_response& res);
    void handle_schedule_create(const http_request& req, std::string_view key, worker_record& w,
                                http_response& res);
    // One run of `s`, due at `due`: a task on its worker. False (nothing
    // started) when the worker is gone: the schedule is then dropped.
    bool run_schedule(const schedule_record& s, std::int64_t due);
    // The run after the one due at `due` (`now` being when the simulator
    // looks); nothing for a one-shot schedule.
    std::optional<std::int64_t> next_run(const schedule_record& s, std::int64_t due) const;
    void fire_due_locked(std::int64_t now);
    // How long one schedule second lasts (options::schedule_second), in ms;
    // at least 1, so that an interval always moves on.
    std::int64_t schedule_second_ms() const
    {
        return opts_.schedule_second.count() > 0 ? opts_.schedule_second.count() : 1;
    }
    worker_record* find_worker(std::string_view id);
    // The user behind an API key: "usr_sim" for options::api_key,
    // "usr_sim_N" for the Nth of other_keys.
    std::string user_of(std::string_view key) const;
    // Answers a fault that replaces the response (429, 5xx, reset, ...);
    // false when `kind` is none or lets the request be processed.
    bool answer_fault(fault_kind kind, std::int64_t now_ms, http_response& res);
    void note_fault(fault_kind kind);
    void error(http_response& res, int status, std::string_view code, std::string_view message,
               std::string_view field = {});
    // The request's body parsed into `body`, when it is a JSON object; else
    // null, after answering 400.
    const boost::json::object* body_object(const http_request& req, boost::json::value& body,
                                           http_response& res);
    task_record* find_task(std::string_view id);
    boost::json::object stats_locked() const;
    void reset_locked();

    const options opts_;
    const render_context ctx_;
    std::vector<std::string> keys_; // api_key first

    mutable std::mutex mutex_;
    fault_options faults_;
    std::unordered_map<std::string, task_record> tasks_;
    std::unordered_map<std::string, worker_record> workers_;
    std::vector<schedule_record> schedules_;    // in creation order
    std::int64_t next_schedule_ms_ = INT64_MAX; // the earliest next_ms of schedules_
    std::function<void()> schedule_listener_;
    std::unordered_map<std::string, webhook_state> webhooks_;    // by worker id
    std::priority_queue<finish_event> finishes_;                 // earliest first
    std::unordered_map<std::string, std::size_t> finished_runs_; // task id -> runs whose end was handled
    std::int64_t armed_due_ = INT64_MAX;                         // what the engine sleeps until
    std::function<void()> wake_;
    std::unordered_map<std::string, int> post_fault_attempts_; // "taskId\ninput" -> attempts seen
    prng ids_;
    std::uint64_t api_requests_ = 0; // drives the fault draw
    token_bucket post_bucket_;
    counters counters_;
    std::vector<turn_view> scratch_;
    header_list last_headers_; // options::record_headers

    std::atomic<std::int64_t> conn_accepted_{0}, conn_open_{0}, conn_peak_{0}, handshakes_{0}, resumed_{0},
        unsolicited_sent_{0};
};

} // namespace handinger::sim::detail
