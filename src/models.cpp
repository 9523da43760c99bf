#include <handinger/models.hpp>

#include "attachment.hpp"

#include "util/utf8.hpp"

namespace handinger {

using detail::valid_utf8;

std::string validate(const create_task_params& p)
{
    if (p.input.empty())
        return "input: must be at least 1 character";
    if (!valid_utf8(p.input))
        return "input: must be valid UTF-8";
    if (p.task_id && !valid_utf8(*p.task_id))
        return "taskId: must be valid UTF-8";
    if (p.worker_id && !valid_utf8(*p.worker_id))
        return "workerId: must be valid UTF-8";
    if (p.budget && !p.budget->known())
        return "budget: must be one of low, standard, high, unlimited (got \"" +
               std::string(p.budget->str()) + "\")";
    if (p.task_id && p.task_id->empty())
        return "taskId: must be at least 1 character";
    if (p.worker_id && p.worker_id->empty())
        return "workerId: must be at least 1 character";
    return detail::validate_files(p.files);
}

} // namespace handinger
