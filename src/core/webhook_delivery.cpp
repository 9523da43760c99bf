// Reading a webhook delivery (include/handinger/webhook_delivery.hpp): the
// token compared in constant time, the task id looked for leniently.
#include <handinger/webhook_delivery.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/system/system_error.hpp>

#include <openssl/crypto.h>

#include <deque>

namespace handinger {

namespace json = boost::json;

namespace {

class category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "handinger.webhook"; }
    std::string message(int ev) const override
    {
        switch (static_cast<webhook_error>(ev)) {
        case webhook_error::token_mismatch: return "the delivery's token is missing or wrong";
        case webhook_error::invalid_body: return "the delivery's body is not a JSON object";
        case webhook_error::no_task_id: return "no task id in the delivery";
        }
        return "unknown webhook error";
    }
};

constexpr std::size_t max_body = 1 << 20;
constexpr unsigned max_depth = 64;
constexpr std::size_t max_id = 256;

bool plausible_id(std::string_view s)
{
    if (s.empty() || s.size() > max_id)
        return false;
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f)
            return false;
    return true;
}

// The string at `key` in `o` when it is one that `ok` accepts.
template <class Ok>
const json::string* string_at(const json::object& o, std::string_view key, Ok ok)
{
    auto* v = o.if_contains(key);
    if (!v || !v->is_string() || !ok(std::string_view(v->get_string())))
        return nullptr;
    return &v->get_string();
}

const json::string* task_id_in(const json::object& o)
{
    if (auto* s = string_at(o, "taskId", plausible_id))
        return s;
    return string_at(o, "task_id", plausible_id);
}

const json::string* tsk_id_in(const json::object& o)
{
    return string_at(o, "id", [](std::string_view s) { return s.starts_with("tsk_") && plausible_id(s); });
}

// The first object, breadth first (shallowest, then document order), in
// which `find` finds something; the root is not visited.
template <class Find>
std::pair<const json::object*, const json::string*> search_nested(const json::object& root, Find find)
{
    std::deque<const json::value*> queue;
    for (auto& kv : root)
        queue.push_back(&kv.value());
    while (!queue.empty()) {
        auto* v = queue.front();
        queue.pop_front();
        if (auto* o = v->if_object()) {
            if (auto* s = find(*o))
                return {o, s};
            for (auto& kv : *o)
                queue.push_back(&kv.value());
        } else if (auto* a = v->if_array()) {
            for (auto& e : *a)
                queue.push_back(&e);
        }
    }
    return {nullptr, nullptr};
}

std::string string_or_empty(const json::string* s)
{
    return s ? std::string(*s) : std::string();
}

} // namespace

const boost::system::error_category& webhook_category() noexcept
{
    static const category c;
    return c;
}

bool secrets_equal(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size()) {
        // As long as an equal-length comparison, and false.
        (void)CRYPTO_memcmp(a.data(), a.data(), a.size());
        return false;
    }
    return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

webhook_delivery read_webhook_delivery(std::string_view expected_token, std::string_view token_header,
                                       std::string_view body, boost::system::error_code& ec)
{
    ec = {};
    webhook_delivery d;
    if (expected_token.empty() || !secrets_equal(expected_token, token_header)) {
        ec = webhook_error::token_mismatch;
        return d;
    }
    if (body.size() > max_body) {
        ec = webhook_error::invalid_body;
        return d;
    }
    json::parse_options po;
    po.max_depth = max_depth;
    boost::system::error_code pec;
    auto v = json::parse(body, pec, {}, po);
    if (pec || !v.is_object()) {
        ec = webhook_error::invalid_body;
        return d;
    }
    const auto& root = v.get_object();
    const json::object* where = &root;
    const json::string* id = task_id_in(root);
    if (!id)
        std::tie(where, id) = search_nested(root, task_id_in);
    if (!id) {
        where = &root;
        id = tsk_id_in(root);
    }
    if (!id)
        std::tie(where, id) = search_nested(root, tsk_id_in);
    if (!id) {
        ec = webhook_error::no_task_id;
        return d;
    }
    auto any = [](std::string_view) { return true; };
    d.task_id = std::string(*id);
    d.worker_id = string_or_empty(string_at(root, "workerId", any));
    if (d.worker_id.empty())
        d.worker_id = string_or_empty(string_at(root, "worker_id", any));
    d.status = string_or_empty(string_at(root, "status", any));
    if (d.status.empty() && where != &root)
        d.status = string_or_empty(string_at(*where, "status", any));
    return d;
}

webhook_delivery read_webhook_delivery(std::string_view expected_token, std::string_view token_header,
                                       std::string_view body)
{
    boost::system::error_code ec;
    auto d = read_webhook_delivery(expected_token, token_header, body, ec);
    if (ec)
        throw boost::system::system_error(ec);
    return d;
}

} // namespace handinger
