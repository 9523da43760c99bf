// JSON bodies of the simulator, written straight into a reused string: the
// GET path is the hot one (tens of thousands per second), and building a
// boost::json::value per response would cost more than the rest of it. The
// text is written by the library's json_writer (src/json/text.hpp, reached
// through the simulator's private include directory), the one JSON writer
// of the project.
#pragma once

#include <handinger/sim/detail/lifecycle.hpp>
#include <handinger/sim/detail/workers.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace handinger::sim::detail {

/// What rendering needs besides the records.
struct render_context {
    std::string_view organization_id = "org_sim";
    std::string_view user_id = "usr_sim";
    std::string_view dashboard = "https://handinger.com";
    std::uint64_t seed = 1;
    bool stamp_visibility = false;
};

/// GET /api/tasks/{id}: {"task": ..., "turns": [...]} or, without turns, {"task": ...}.
void render_retrieve(std::string& out, const task_record& task, std::int64_t now, int text_steps,
                     bool with_turns, const render_context& ctx, std::vector<turn_view>& scratch);
/// GET /api/tasks/{id}/turns: {"taskId": ..., "items": [...]}.
void render_turns(std::string& out, const task_record& task, std::int64_t now, int text_steps,
                  const render_context& ctx, std::vector<turn_view>& scratch);
/// The create response (a "worker run" object) for `run`, as it stands at `now`.
void render_run(std::string& out, const task_record& task, const run_record& run, std::int64_t now,
                int text_steps, const render_context& ctx);
/// A worker (API.md "WorkerTemplate").
void render_worker(std::string& out, const worker_record& w, const render_context& ctx);
/// {"error": code, "message": message} plus "field" when given.
void render_error(std::string& out, std::string_view code, std::string_view message,
                  std::string_view field = {});

} // namespace handinger::sim::detail
