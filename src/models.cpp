#include <handinger/models.hpp>

namespace handinger {

std::string validate(const create_task_params& p)
{
    if (p.input.empty())
        return "input: must be at least 1 character";
    if (p.budget && !p.budget->known())
        return "budget: must be one of low, standard, high, unlimited (got \"" +
               std::string(p.budget->str()) + "\")";
    if (p.task_id && p.task_id->empty())
        return "taskId: must be at least 1 character";
    if (p.worker_id && p.worker_id->empty())
        return "workerId: must be at least 1 character";
    return {};
}

} // namespace handinger
