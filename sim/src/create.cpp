// POST /api/tasks: validation exactly as API.md's CreateTask, as JSON or as
// a multipart/form-data form with files (multipart.cpp reads it), directive
// faults, the rate limit, new tasks and follow-up runs, each linked to its
// worker (workers.cpp).
#include <handinger/sim/detail/schema_sample.hpp>
#include <handinger/sim/detail/service.hpp>

#include <handinger/models.hpp> // attachment's limits, the simulator's too

#include "util/utf8.hpp" // the library's own (src/util)

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <optional>

namespace handinger::sim::detail {

namespace {

struct create_fields {
    std::string_view input, budget, task_id, worker_id;
};

struct field_problem {
    std::string_view field;
    std::string message;
};

// Checks one optional-or-required string field with minLength 1.
std::optional<field_problem> read_string(const boost::json::object& o, std::string_view name, bool required,
                                         std::string_view& out)
{
    auto it = o.find(name);
    if (it == o.end()) {
        if (required)
            return field_problem{name, std::string(name) + ": required"};
        return std::nullopt;
    }
    if (!it->value().is_string())
        return field_problem{name, std::string(name) + ": must be a string"};
    const auto& s = it->value().get_string();
    if (s.empty())
        return field_problem{name, std::string(name) + ": must be at least 1 character"};
    out = std::string_view(s.data(), s.size());
    return std::nullopt;
}

std::optional<field_problem> validate(const boost::json::object& o, create_fields& f)
{
    if (auto p = read_string(o, "input", true, f.input))
        return p;
    if (auto it = o.find("budget"); it != o.end()) {
        const auto& v = it->value();
        const bool ok = v.is_string() && (v.get_string() == "low" || v.get_string() == "standard" ||
                                          v.get_string() == "high" || v.get_string() == "unlimited");
        if (!ok)
            return field_problem{"budget", "budget: must be one of low, standard, high, unlimited"};
        f.budget = std::string_view(v.get_string().data(), v.get_string().size());
    }
    if (auto p = read_string(o, "taskId", false, f.task_id))
        return p;
    if (auto p = read_string(o, "workerId", false, f.worker_id))
        return p;
    return std::nullopt;
}

// The text fields of a form as the JSON object they stand for (so that one
// validation serves both), and its `files` parts. Unknown fields are
// ignored, as unknown keys of a JSON body are.
std::optional<field_problem> read_form(const std::vector<form_part>& form, boost::json::object& fields,
                                       std::vector<const form_part*>& files)
{
    for (const auto& part : form) {
        if (part.name == "files") {
            files.push_back(&part);
            continue;
        }
        std::string_view name;
        for (std::string_view known : {"input", "budget", "taskId", "workerId"})
            if (part.name == known)
                name = known;
        if (name.empty())
            continue;
        if (part.filename)
            return field_problem{name, std::string(name) + ": must be a text field, not a file"};
        if (fields.contains(name))
            return field_problem{name, std::string(name) + ": given more than once"};
        if (!handinger::detail::valid_utf8(part.content))
            return field_problem{name, std::string(name) + ": must be valid UTF-8"};
        fields[name] = part.content;
    }
    return std::nullopt;
}

// The first 60 characters of the input, not cutting a UTF-8 sequence.
std::string make_title(std::string_view input)
{
    std::size_t chars = 0, i = 0;
    for (; i < input.size(); ++i) {
        const auto c = static_cast<unsigned char>(input[i]);
        if ((c & 0xC0) != 0x80 && chars++ == 60)
            break;
    }
    return std::string(input.substr(0, i));
}

} // namespace

void service::add_structured_outputs(run_record& run, const task_record& task, const worker_record& worker,
                                     const directives& d)
{
    if (d.structured) {
        run.outputs.assign(run.texts.size(), *d.structured);
        return;
    }
    if (!worker.output_schema || run.texts.empty())
        return;
    // The schema as the worker holds it now: an update later changes the
    // runs that follow, not this one.
    boost::system::error_code ec;
    boost::json::parse_options po;
    po.max_depth = 64;
    const boost::json::value schema = boost::json::parse(*worker.output_schema, ec, {}, po);
    for (int i = 0; i < run.turns(); ++i) {
        bool fallback = false;
        const std::uint64_t seed =
            hash_str(task.id, opts_.seed) ^ mix64(static_cast<std::uint64_t>(run.first_seq + i));
        run.outputs.push_back(ec ? std::string("{}") : structured_output_text(schema, seed, fallback));
        ++counters_.structured_outputs;
        if (ec || fallback)
            ++counters_.structured_fallbacks;
    }
}

task_record& service::add_task(std::string id, std::string_view key, std::string_view input, std::int64_t now)
{
    while (id.empty() || tasks_.count(id))
        id = make_task_id(now, ids_);
    task_record& task = tasks_[id];
    task.id = std::move(id);
    task.title = make_title(input);
    task.creator_key = std::string(key);
    task.created_ms = now;
    return task;
}

run_plan service::plan_of(const directives& d) const
{
    run_plan plan;
    plan.pending_ms = d.pending_ms.value_or(opts_.pending.count());
    plan.turn_ms = d.turn_ms.value_or(opts_.turn.count());
    plan.turns = d.turns.value_or(opts_.turns_per_task);
    plan.end = d.end;
    plan.raw_status = d.raw_status;
    return plan;
}

void service::handle_create(const http_request& req, std::string_view key, fault_kind& fault,
                            http_response& res)
{
    const std::int64_t now = req.now_ms;
    std::int64_t wait_ms = 0;
    if (!post_bucket_.take(faults_.rate_limit_rps, now, wait_ms)) {
        ++counters_.rate_limited;
        error(res, 429, "rate_limited",
              "more than " + std::to_string(faults_.rate_limit_rps) + " task creations per second");
        add_retry_after(res.headers, faults_.retry_after, wait_ms, now);
        return;
    }

    // The fields, as views into `body` (or, for a form, into the request).
    boost::json::value body;
    std::vector<form_part> form;
    std::vector<const form_part*> file_parts;
    const boost::json::object* o = nullptr;
    const body_type type = classify_body(req.content_type);
    if (type.kind == body_type::unsupported)
        return error(res, 415, "unsupported_media_type", type.problem);
    if (type.kind == body_type::bad)
        return error(res, 400, "bad_request", type.problem);
    if (type.kind == body_type::form) {
        if (auto e = parse_form(req.body, type.boundary, form))
            return error(res, e->status, e->status == 413 ? "payload_too_large" : "bad_request", e->message);
        if (auto problem = read_form(form, body.emplace_object(), file_parts))
            return error(res, 422, "validation_error", problem->message, problem->field);
        o = &body.get_object();
    } else if (o = body_object(req, body, res); !o) {
        return; // (400 answered)
    }
    create_fields f;
    if (auto problem = validate(*o, f))
        return error(res, 422, "validation_error", problem->message, problem->field);
    std::vector<stored_file> files;
    if (!take_files(file_parts, files, res))
        return;

    const directives d = parse_directives(f.input);
    if (d.post_fault != fault_kind::none) {
        // Keyed by taskId and input, so that retries of one submission share
        // the count while a follow-up with another input starts its own.
        std::string attempt_key(f.task_id);
        attempt_key += '\n';
        attempt_key += f.input;
        if (++post_fault_attempts_[attempt_key] <= d.post_fault_count)
            fault = d.post_fault;
    }
    if (answer_fault(fault, now, res))
        return;

    task_record* task = f.task_id.empty() ? nullptr : find_task(f.task_id);
    if (task && !f.worker_id.empty() && f.worker_id != task->worker_id)
        return error(res, 409, "conflict",
                     "task " + task->id + " belongs to worker " + task->worker_id + ", not " +
                         std::string(f.worker_id));

    // The worker it runs on: the task's, or the one named (else a new one,
    // below, made after the task's id as it always was).
    worker_record* worker = nullptr;
    if (const std::string_view wid = task ? std::string_view(task->worker_id) : f.worker_id; !wid.empty()) {
        worker = task_worker(wid, key, now, res);
        if (!worker)
            return; // (403 or 404 answered)
    }

    if (task) {
        ++counters_.followup_turns;
        if (now - task->runs.back().posted_ms < 2000)
            ++counters_.duplicate_posts;
    } else {
        task = &add_task(std::string(f.task_id), key, f.input, now);
        if (!worker) { // a new worker (after the task's id), with the input as its instructions
            worker = &new_worker(key, now);
            worker->instructions = std::string(f.input);
        }
        task->worker_id = worker->id;
        ++counters_.tasks_created;
    }
    ++counters_.posts;
    if (type.kind == body_type::form) {
        ++counters_.multipart_creates;
        counters_.files_received += static_cast<std::int64_t>(files.size());
        for (const auto& file : files)
            counters_.file_bytes_received += static_cast<std::int64_t>(file.content.size());
    }
    if (d.null_fields)
        task->null_fields = true;
    if (d.get_fault != fault_kind::none) {
        task->get_fault = d.get_fault;
        task->get_fault_left = d.get_fault_count;
    }

    run_record& run = append_run(*task, make_run_id(ids_), std::string(f.input), plan_of(d), now, opts_.seed);
    for (auto& file : files)
        file.id = "fil_" + make_run_id(ids_).substr(4);
    run.files = std::move(files);
    worker->latest_task = task->id;
    watch_finish(*task);
    add_structured_outputs(run, *task, *worker, d);

    res.headers.emplace_back("x-sim-task-id", task->id);
    if (opts_.create == create_mode::wait) {
        // The lifecycle is fixed at creation, so the final answer can be
        // written now and merely held back until the run ends.
        res.send_at_ms = run.end_ms();
        render_run(res.body, *task, run, run.end_ms(), opts_.text_steps, ctx_);
    } else {
        render_run(res.body, *task, run, now, opts_.text_steps, ctx_);
    }
}

bool service::take_files(const std::vector<const form_part*>& parts, std::vector<stored_file>& out,
                         http_response& res)
{
    using handinger::attachment;
    if (parts.size() > attachment::max_count) {
        error(res, 422, "validation_error",
              "files: at most " + std::to_string(attachment::max_count) + " files (got " +
                  std::to_string(parts.size()) + ")",
              "files");
        return false;
    }
    std::size_t total = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const form_part& p = *parts[i];
        const std::string at = "files[" + std::to_string(i) + "]";
        if (p.filename && !handinger::detail::valid_utf8(*p.filename)) {
            error(res, 422, "validation_error", at + ".filename: must be valid UTF-8", "files");
            return false;
        }
        if (p.content.size() > attachment::max_size) {
            error(res, 413, "payload_too_large",
                  at + ": " + std::to_string(p.content.size()) + " bytes, more than the " +
                      std::to_string(attachment::max_size) + " a file may have",
                  "files");
            return false;
        }
        total += p.content.size();
    }
    if (total > attachment::max_total_size) {
        error(res, 413, "payload_too_large",
              "files: " + std::to_string(total) + " bytes in all, more than the " +
                  std::to_string(attachment::max_total_size) + " a create may carry",
              "files");
        return false;
    }
    out.reserve(parts.size());
    for (const form_part* p : parts)
        out.push_back(stored_file{{},
                                  p->filename,
                                  p->content_type.empty() ? "application/octet-stream" : p->content_type,
                                  std::string(p->content)});
    return true;
}

} // namespace handinger::sim::detail
