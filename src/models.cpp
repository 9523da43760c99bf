#include <handinger/models.hpp>

namespace handinger {
namespace {

// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view s)
{
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t n;
        unsigned cp;
        if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= s.size())
            return false;
        for (std::size_t k = 1; k <= n; ++k) {
            auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        static constexpr unsigned min_for[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_for[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

} // namespace

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
    return {};
}

} // namespace handinger
