#include <handinger/sim/detail/lifecycle.hpp>
#include <handinger/sim/detail/util.hpp>

#include <algorithm>

namespace handinger::sim::detail {

std::string_view run_record::final_status() const
{
    switch (end) {
    case run_end::completed: return "completed";
    case run_end::error: return "error";
    case run_end::aborted: return "aborted";
    case run_end::raw: return raw_status;
    }
    return "completed";
}

int task_record::next_seq() const
{
    if (runs.empty())
        return 1;
    const auto& last = runs.back();
    return last.first_seq + last.turns();
}

std::int64_t task_record::end_ms() const
{
    return runs.empty() ? created_ms : runs.back().end_ms();
}

run_record& append_run(task_record& task, std::string run_id, std::string input, const run_plan& plan,
                       std::int64_t now, std::uint64_t seed)
{
    run_record run;
    run.id = std::move(run_id);
    run.input = std::move(input);
    run.posted_ms = now;
    // A follow-up queues behind the run still in progress, as a worker takes
    // one message at a time.
    run.start_ms = task.runs.empty() ? now : std::max(now, task.end_ms());
    run.pending_ms = std::max<std::int64_t>(0, plan.pending_ms);
    run.turn_ms = std::max<std::int64_t>(0, plan.turn_ms);
    run.first_seq = task.next_seq();
    run.end = plan.end;
    run.raw_status = plan.raw_status;
    int turns = std::max(0, plan.turns);
    if (plan.end == run_end::aborted)
        turns = std::min(turns, 1);
    run.texts.reserve(static_cast<std::size_t>(turns));
    for (int i = 0; i < turns; ++i)
        run.texts.push_back(pseudo_text(seed, task.id, run.first_seq + i));
    task.runs.push_back(std::move(run));
    return task.runs.back();
}

namespace {

// Credits a completed turn costs: 1..5, stable for the turn.
std::int64_t turn_credits(const run_record& run, int index)
{
    return 1 + static_cast<std::int64_t>(run.texts[index].size() % 5);
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b)
{
    return (a + b - 1) / b;
}

turn_view make_turn_view(const run_record& run, int index, std::int64_t now, int steps)
{
    turn_view t;
    t.run = &run;
    t.index = index;
    t.seq = run.first_seq + index;
    t.started_ms = run.turns_start_ms() + run.turn_ms * index;
    const std::int64_t end = t.started_ms + run.turn_ms;
    const std::size_t full = run.texts[index].size();
    t.input_tokens = static_cast<std::int64_t>(run.input.size() / 4 + 12);
    if (now >= end) {
        t.done = true;
        t.status = (run.end == run_end::error && index == run.turns() - 1) ? "error" : "completed";
        t.completed_ms = end;
        t.text_len = full;
        t.visible_since_ms = end;
        t.credits = turn_credits(run, index);
        t.duration_ms = run.turn_ms;
    } else {
        // Step k of `steps` shows k/steps of the text: empty when the turn
        // appears, the whole text only once it completes.
        const std::int64_t elapsed = now - t.started_ms;
        const std::int64_t k = elapsed * steps / run.turn_ms;
        t.status = "running";
        t.text_len =
            static_cast<std::size_t>(full * static_cast<std::size_t>(k) / static_cast<std::size_t>(steps));
        t.visible_since_ms = t.started_ms + ceil_div(k * run.turn_ms, steps);
        t.duration_ms = elapsed;
    }
    t.output_tokens = static_cast<std::int64_t>(t.text_len / 4);
    return t;
}

// A run's first turn before it starts: recorded at POST time with the input,
// so a submission is visible at once (a client that lost the POST's response
// can see it arrived), "pending" until the run reaches it.
turn_view make_pending_turn_view(const run_record& run)
{
    turn_view t;
    t.run = &run;
    t.index = 0;
    t.seq = run.first_seq;
    t.status = "pending";
    t.started_ms = run.posted_ms;
    t.visible_since_ms = run.posted_ms;
    t.input_tokens = static_cast<std::int64_t>(run.input.size() / 4 + 12);
    return t;
}

} // namespace

task_view view_task(const task_record& task, std::int64_t now, int text_steps, std::vector<turn_view>* turns)
{
    const int steps = std::max(1, text_steps);
    task_view v;
    v.status = "pending";
    const run_record* current = nullptr;
    for (const auto& run : task.runs) {
        if (run.posted_ms > now)
            break;
        if (run.turns() > 0 && now < run.turns_start_ms()) {
            ++v.turn_count;
            if (turns)
                turns->push_back(make_pending_turn_view(run));
        }
        if (run.start_ms > now)
            continue;
        current = &run;
        for (int i = 0; i < run.turns(); ++i) {
            if (run.turns_start_ms() + run.turn_ms * i > now)
                break;
            turn_view t = make_turn_view(run, i, now, steps);
            v.credits += t.credits;
            ++v.turn_count;
            if (turns)
                turns->push_back(t);
        }
    }
    if (current) {
        if (now < current->turns_start_ms()) {
            v.status = "pending";
        } else if (now < current->end_ms()) {
            v.status = "running";
        } else {
            v.status = current->final_status();
            v.terminal = true;
            v.completed_ms = current->end_ms();
        }
    }
    v.duration_ms = std::max<std::int64_t>(0, (v.terminal ? v.completed_ms : now) - task.created_ms);
    return v;
}

} // namespace handinger::sim::detail
