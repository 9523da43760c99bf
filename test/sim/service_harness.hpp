// Shared by the simulator's route tests (workers_test.cpp,
// schedules_test.cpp, webhooks_test.cpp, ...): the service driven without
// sockets at chosen instants, with two keys; exact statuses, bodies and
// counters out.
#pragma once

#include "sim_test_util.hpp"

#include <handinger/sim/detail/service.hpp>

#include <boost/json/parse.hpp>

#include <string>
#include <string_view>

namespace sim_harness {

using namespace handinger::sim;
using namespace handinger::sim::detail;

/// A time (unix ms) the tests start at: 2023-11-14T22:13:20Z.
constexpr std::int64_t t0 = 1'700'000'000'000;
constexpr std::string_view owner = "Bearer sk-sim-test";
constexpr std::string_view other = "Bearer sk-sim-other";

inline options two_keys()
{
    options o;
    o.other_keys = {"sk-sim-other"};
    return o;
}

/// The service of an in-process simulator, called directly.
struct harness {
    service svc;
    http_response res;
    explicit harness(options o = two_keys()) : svc(o) {}

    http_response& call(std::string_view method, std::string_view target, std::string_view body = {},
                        std::string_view auth = owner, std::int64_t now = t0)
    {
        svc.handle(http_request{method, target, auth, body, now}, res);
        return res;
    }
    boost::json::value json() const { return boost::json::parse(res.body); }
    std::string str(std::string_view key) const
    {
        auto v = json();
        const auto* s = v.as_object().if_contains(key);
        return s && s->is_string() ? std::string(s->as_string()) : "<not a string>";
    }
    std::string header(std::string_view name) const
    {
        for (auto& [n, v] : res.headers)
            if (n == name)
                return v;
        return {};
    }
    // Creates a worker from `body` and returns its id.
    std::string worker(std::string_view body = "{}", std::string_view auth = owner)
    {
        call("POST", "/api/workers", body, auth);
        INFO(res.body);
        REQUIRE(res.status == 200);
        return str("id");
    }
    // Creates a task with `input` on `worker_id` at `now` (with the id
    // `task_id` when given: a follow-up run when it exists) and returns the
    // task's id.
    std::string start(const std::string& worker_id, std::string_view input, std::int64_t now = t0,
                      std::string_view task_id = {}, std::string_view auth = owner)
    {
        std::string body = R"({"input":")" + std::string(input) + R"(","workerId":")" + worker_id + "\"";
        if (!task_id.empty())
            body += R"(,"taskId":")" + std::string(task_id) + "\"";
        call("POST", "/api/tasks", body + "}", auth, now);
        INFO(res.body);
        REQUIRE(res.status == 200);
        return header("x-sim-task-id");
    }
    // Creates a task on `worker_id` and returns the task's id.
    std::string task(const std::string& worker_id, std::string_view auth = owner, std::int64_t now = t0)
    {
        return start(worker_id, "go", now, {}, auth);
    }
    std::int64_t stat(std::initializer_list<std::string_view> path)
    {
        return sim_test::stat_of(svc.stats(), path);
    }

    // A request with the status and `allow` header it must get.
    struct route_row {
        const char* method;
        const char* target;
        int status;
        const char* allow;
    };
    void check_routes(std::initializer_list<route_row> rows)
    {
        for (const auto& r : rows) {
            INFO(r.method << " " << r.target);
            call(r.method, r.target);
            CHECK(res.status == r.status);
            CHECK(header("allow") == r.allow);
        }
    }
};

inline std::string chars(std::size_t n, std::string_view ch = "a")
{
    std::string s;
    for (std::size_t i = 0; i < n; ++i)
        s += ch;
    return s;
}

} // namespace sim_harness
