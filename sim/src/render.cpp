#include <handinger/sim/detail/render.hpp>
#include <handinger/sim/detail/util.hpp>

#include "json/text.hpp"

namespace handinger::sim::detail {
namespace {

using handinger::detail::json_writer;

json_writer& iso_or_null(json_writer& w, bool present, std::int64_t unix_ms)
{
    return present ? w.str(iso8601_ms(unix_ms)) : w.null();
}

// API.md's file items: {filename (nullable), mediaType, url, size}.
void write_files(json_writer& w, const std::vector<stored_file>& files, const render_context& ctx)
{
    w.begin_array();
    for (const auto& f : files) {
        w.begin_object();
        w.key("filename");
        if (f.filename)
            w.str(*f.filename);
        else
            w.null();
        w.key("mediaType").str(f.media_type);
        w.key("url").str_concat({ctx.dashboard, "/files/", f.id});
        w.key("size").num(static_cast<std::int64_t>(f.content.size()));
        w.end_object();
    }
    w.end_array();
}

void write_task(json_writer& w, const task_record& task, const task_view& v, const render_context& ctx)
{
    w.begin_object();
    w.key("id").str(task.id);
    iso_or_null(w.key("completedAt"), v.terminal, v.completed_ms);
    w.key("createdAt").str(iso8601_ms(task.created_ms));
    w.key("createdByUserId").str(ctx.user_id);
    w.key("organizationId").str(ctx.organization_id);
    w.key("status").str(v.status);
    if (task.null_fields)
        w.key("title").null();
    else
        w.key("title").str(task.title);
    w.key("totals").begin_object();
    w.key("credits").num(v.credits);
    w.key("durationMs").num(v.duration_ms);
    w.key("turnCount").num(v.turn_count);
    w.end_object();
    w.key("triggeredBy").str(task.triggered_by);
    w.key("url").str_concat({ctx.dashboard, "/tasks/", task.id}); // no temporary URL string
    w.key("workerId").str(task.worker_id);
    w.end_object();
}

void write_turn(json_writer& w, const task_record& task, const turn_view& t, const render_context& ctx)
{
    w.begin_object();
    w.key("id").str(make_turn_id(ctx.seed, task.id, t.seq));
    w.key("taskId").str(task.id);
    w.key("seq").num(t.seq);
    if (task.null_fields) {
        w.key("role").null();
        w.key("status").str(t.status);
        w.key("input").null();
        w.key("outputText").null();
    } else {
        w.key("role").str("assistant");
        w.key("status").str(t.status);
        // The POST's input belongs to the run's first turn (the message the
        // worker answers); the worker's further turns carry none.
        w.key("input").str(t.index == 0 ? std::string_view(t.run->input) : std::string_view());
        w.key("outputText").str(t.text());
    }
    // A completed turn's structured output (an errored one has none).
    if (t.done && t.status == "completed" && static_cast<std::size_t>(t.index) < t.run->outputs.size())
        w.key("structuredOutput").raw(t.run->outputs[static_cast<std::size_t>(t.index)]);
    else
        w.key("structuredOutput").null();
    w.key("credits").num(t.credits);
    w.key("durationMs").num(t.duration_ms);
    w.key("inputTokens").num(t.input_tokens);
    w.key("outputTokens").num(t.output_tokens);
    w.key("startedAt").str(iso8601_ms(t.started_ms));
    iso_or_null(w.key("completedAt"), t.done, t.completed_ms);
    // The files of a POST belong to its run's first turn, as its input does.
    static const std::vector<stored_file> none;
    write_files(w.key("files"), t.index == 0 ? t.run->files : none, ctx);
    if (ctx.stamp_visibility)
        w.key("simVisibleAtMs").num(t.visible_since_ms);
    w.end_object();
}

} // namespace

void render_retrieve(std::string& out, const task_record& task, std::int64_t now, int text_steps,
                     bool with_turns, const render_context& ctx, std::vector<turn_view>& scratch)
{
    scratch.clear();
    task_view v = view_task(task, now, text_steps, with_turns ? &scratch : nullptr);
    json_writer w(out);
    w.begin_object();
    w.key("task");
    write_task(w, task, v, ctx);
    if (with_turns) {
        w.key("turns").begin_array();
        for (const auto& t : scratch)
            write_turn(w, task, t, ctx);
        w.end_array();
    }
    w.end_object();
}

void render_turns(std::string& out, const task_record& task, std::int64_t now, int text_steps,
                  const render_context& ctx, std::vector<turn_view>& scratch)
{
    scratch.clear();
    view_task(task, now, text_steps, &scratch);
    json_writer w(out);
    w.begin_object();
    w.key("taskId").str(task.id);
    w.key("items").begin_array();
    for (const auto& t : scratch)
        write_turn(w, task, t, ctx);
    w.end_array();
    w.end_object();
}

void render_run(std::string& out, const task_record& task, const run_record& run, std::int64_t now,
                int text_steps, const render_context& ctx)
{
    const bool finished = now >= run.end_ms();
    std::string_view status = "pending";
    if (finished)
        status = run.final_status();
    else if (now >= run.turns_start_ms())
        status = "running";
    // The run's answer is its last turn's text, once there is one.
    std::string_view text;
    if (finished && run.turns() > 0)
        text = run.texts.back();
    json_writer w(out);
    w.begin_object();
    w.key("id").str(run.id);
    w.key("object").str("worker");
    w.key("status").str(status);
    w.key("running").boolean(!finished);
    w.key("output_text").str(text);
    w.key("output").begin_array();
    if (!text.empty()) {
        w.begin_object();
        w.key("role").str("assistant");
        w.key("content").begin_array().begin_object();
        w.key("type").str("output_text");
        w.key("text").str(text);
        w.end_object().end_array();
        w.end_object();
    }
    w.end_array();
    // The run's answer: its last turn's, once it has completed.
    if (finished && run.end == run_end::completed && !run.outputs.empty())
        w.key("structured_output").raw(run.outputs.back());
    else
        w.key("structured_output").null();
    write_files(w.key("files"), run.files, ctx);
    w.key("sources").begin_array().end_array();
    w.key("messages").begin_array().end_array();
    w.key("metadata").begin_object().end_object();
    w.key("url").str_concat({ctx.dashboard, "/workers/", task.worker_id});
    w.key("created_at").num(run.posted_ms / 1000);
    w.key("usage").begin_object();
    w.key("durationMs").num(finished ? run.end_ms() - run.posted_ms : 0);
    w.end_object();
    w.key("error");
    if (finished && run.end == run_end::error) {
        w.begin_object();
        w.key("code").str("run_failed");
        w.key("message").str("the run failed (#fail)");
        w.end_object();
    } else {
        w.null();
    }
    w.key("incomplete_details").null();
    w.end_object();
}

void render_worker(std::string& out, const worker_record& wk, const render_context& ctx)
{
    json_writer w(out);
    w.begin_object();
    w.key("id").str(wk.id);
    w.key("createdAt").str(iso8601_ms(wk.created_ms));
    w.key("instructions").str(wk.instructions);
    w.key("organizationId").str(ctx.organization_id);
    w.key("outputSchema");
    if (wk.output_schema)
        w.raw(*wk.output_schema);
    else
        w.null();
    w.key("summary").str(wk.summary);
    w.key("title").str(wk.title);
    w.key("updatedAt").str(iso8601_ms(wk.updated_ms));
    w.key("url").str_concat({ctx.dashboard, "/workers/", wk.id});
    w.key("userId").str(wk.user_id);
    w.key("visibility").str(wk.visibility);
    w.end_object();
}

void render_error(std::string& out, std::string_view code, std::string_view message, std::string_view field)
{
    json_writer w(out);
    w.begin_object();
    w.key("error").str(code);
    w.key("message").str(message);
    if (!field.empty())
        w.key("field").str(field);
    w.end_object();
}

} // namespace handinger::sim::detail
