// JSON bodies of the simulator, written straight into a reused string: the
// GET path is the hot one (tens of thousands per second), and building a
// boost::json::value per response would cost more than the rest of it.
#pragma once

#include <handinger/detail/json_text.hpp>
#include <handinger/sim/detail/lifecycle.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace handinger::sim::detail {

/// A minimal streaming JSON writer; the caller keeps the structure balanced.
class json_writer {
public:
    explicit json_writer(std::string& out) : out_(out) {}
    json_writer& begin_object();
    json_writer& end_object();
    json_writer& begin_array();
    json_writer& end_array();
    json_writer& key(std::string_view k); ///< k must not need escaping
    json_writer& str(std::string_view s);
    json_writer& num(std::int64_t n);
    json_writer& boolean(bool b);
    json_writer& null();
    json_writer& iso_or_null(bool present, std::int64_t unix_ms);

private:
    void sep();
    std::string& out_;
    bool first_ = true;
};

/// Appends s to out as a JSON string literal (quotes included): the
/// library's escaper.
using handinger::detail::append_json_string;

/// What rendering needs besides the records.
struct render_context {
    std::string_view organization_id = "org_sim";
    std::string_view user_id = "usr_sim";
    std::string_view dashboard = "https://handinger.com";
    std::uint64_t seed = 1;
    bool stamp_visibility = false;
};

void write_task(json_writer& w, const task_record& task, const task_view& view, const render_context& ctx);
void write_turn(json_writer& w, const task_record& task, const turn_view& turn, const render_context& ctx);

/// GET /api/tasks/{id}: {"task": ..., "turns": [...]} or, without turns, {"task": ...}.
void render_retrieve(std::string& out, const task_record& task, std::int64_t now, int text_steps,
                     bool with_turns, const render_context& ctx, std::vector<turn_view>& scratch);
/// GET /api/tasks/{id}/turns: {"taskId": ..., "items": [...]}.
void render_turns(std::string& out, const task_record& task, std::int64_t now, int text_steps,
                  const render_context& ctx, std::vector<turn_view>& scratch);
/// The create response (a "worker run" object) for `run`, as it stands at `now`.
void render_run(std::string& out, const task_record& task, const run_record& run, std::int64_t now,
                int text_steps, const render_context& ctx);
/// {"error": code, "message": message} plus "field" when given.
void render_error(std::string& out, std::string_view code, std::string_view message,
                  std::string_view field = {});

} // namespace handinger::sim::detail
