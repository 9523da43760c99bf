// The counters at /_sim/stats: connections, handshakes, resumption, requests
// per route and status, duplicate submissions.
#include "sim_test_util.hpp"

#include <atomic>

using namespace sim_test;

TEST_CASE("stats: connections, handshakes and requests by route and status")
{
    fixture f;
    const std::string id = f.create(R"({"input":"count me"})");
    f.get("/api/tasks/" + id);
    f.get("/api/tasks/" + id + "/turns");
    f.get("/api/tasks/nope");
    f.del("/api/tasks/" + id);
    auto r = f.curl({.path = "/_sim/stats", .auth = false});
    REQUIRE(r.status == 200);
    auto s = r.json().as_object();
    CHECK(stat_of(s, {"connections_accepted"}) == 6);
    CHECK(stat_of(s, {"tls_handshakes"}) == 6);
    CHECK(stat_of(s, {"connections_open"}) >= 1); // the stats request's own
    CHECK(stat_of(s, {"connections_peak"}) >= 1);
    CHECK(stat_of(s, {"requests", "POST /api/tasks", "200"}) == 1);
    CHECK(stat_of(s, {"requests", "GET /api/tasks/{id}", "200"}) == 1);
    CHECK(stat_of(s, {"requests", "GET /api/tasks/{id}", "404"}) == 1);
    CHECK(stat_of(s, {"requests", "GET /api/tasks/{id}/turns", "200"}) == 1);
    CHECK(stat_of(s, {"requests", "DELETE /api/tasks/{id}", "200"}) == 1);
    CHECK(stat_of(s, {"tasks_created"}) == 1);
    CHECK(stat_of(s, {"posts"}) == 1);
    for (auto key : {"followup_turns", "duplicate_posts", "faults", "rate_limited", "tls_resumed"})
        CHECK_MESSAGE(s.contains(key), key);

    CHECK(eventually([&] { return stat_of(f.stats(), {"connections_open"}) == 0; }));
    f.sim().reset_stats();
    s = f.stats();
    CHECK(stat_of(s, {"connections_accepted"}) == 0);
    CHECK(s.at("requests").as_object().empty());
    CHECK(stat_of(s, {"tasks_created"}) == 0);
}

TEST_CASE("stats: connections_peak counts simultaneous connections")
{
    sim::options o;
    o.stall = 1500ms;
    fixture f(o);
    // Three curls at once, each held open by a stalled response.
    std::vector<std::thread> clients;
    for (int i = 0; i < 3; ++i)
        clients.emplace_back([&f, i] {
            // Each thread has its own files; fixture::curl is not shared state-safe, so run curl directly.
            run_process({"curl", "-sS", "--max-time", "5", "--cacert", f.ca_file(), "-o", "/dev/null", "-H",
                         "Authorization: Bearer sk-sim-test", "-d", R"({"input":"#fault:stall:3"})",
                         f.url() + "/api/tasks"},
                        "/dev/null", "/dev/null");
            (void)i;
        });
    for (auto& t : clients)
        t.join();
    CHECK(stat_of(f.stats(), {"connections_peak"}) == 3);
    CHECK(stat_of(f.stats(), {"faults", "stall"}) == 3);
}

TEST_CASE("stats: TLS sessions are resumed on new connections")
{
    fixture f;
    // Connection: close makes curl open a new connection per URL, offering
    // the session it got from the previous one.
    auto r = f.curl({.path = "/_sim/stats",
                     .extra = {"-H", "Connection: close"},
                     .more_paths = {"/_sim/stats", "/_sim/stats"}});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.num_connects == 3);
    auto s = f.stats();
    CHECK(stat_of(s, {"tls_handshakes"}) == 3);
    CHECK(stat_of(s, {"tls_resumed"}) >= 1);

    // TLS 1.2 resumes too (session ids or tickets).
    f.sim().reset_stats();
    r = f.curl({.path = "/_sim/stats",
                .extra = {"-H", "Connection: close", "--tls-max", "1.2"},
                .more_paths = {"/_sim/stats"}});
    CHECK(r.exit_code == 0);
    CHECK(stat_of(f.stats(), {"tls_resumed"}) >= 1);
}

TEST_CASE("stats: several server threads serve concurrent clients")
{
    sim::options o;
    o.threads = 3;
    fixture f(o);
    std::vector<std::thread> clients;
    std::atomic<int> ok{0};
    for (int i = 0; i < 4; ++i)
        clients.emplace_back([&f, &ok, i] {
            const std::string body = R"({"input":"thread )" + std::to_string(i) + R"("})";
            int rc = run_process({"curl", "-sS", "--max-time", "10", "--cacert", f.ca_file(), "-o",
                                  "/dev/null", "-H", "Authorization: Bearer sk-sim-test", "-d", body,
                                  f.url() + "/api/tasks", f.url() + "/api/tasks"},
                                 "/dev/null", "/dev/null");
            ok += rc == 0;
        });
    for (auto& t : clients)
        t.join();
    CHECK(ok == 4);
    auto s = f.stats();
    CHECK(stat_of(s, {"tasks_created"}) == 8); // two per curl, over one connection each
    CHECK(stat_of(s, {"connections_accepted"}) == 4);
}

TEST_CASE("stats: the same taskId POSTed twice quickly is a duplicate")
{
    fixture f;
    const std::string body = R"({"input":"once please","taskId":"tsk_dup"})";
    f.create(body);
    f.create(body);
    auto s = f.stats();
    CHECK(stat_of(s, {"duplicate_posts"}) == 1);
    CHECK(stat_of(s, {"followup_turns"}) == 1);
    CHECK(stat_of(s, {"posts"}) == 2);
    // A distinct task is no duplicate.
    f.create(R"({"input":"once please","taskId":"tsk_other"})");
    CHECK(stat_of(f.stats(), {"duplicate_posts"}) == 1);
}
