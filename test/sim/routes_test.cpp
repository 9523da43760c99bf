// Every route over real TLS, driven by curl.
#include "sim_test_util.hpp"

using namespace sim_test;

TEST_CASE("tls: create answers a pending worker run with the task id in a header")
{
    fixture f;
    auto r = f.post(R"({"input":"summarise the news","budget":"low"})");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.status == 200);
    CHECK(r.header("content-type") == "application/json");
    const std::string id = r.header("x-sim-task-id");
    CHECK(id.size() == 30);
    CHECK(id.rfind("tsk_", 0) == 0);
    auto v = r.json();
    CHECK(str(v, "object") == "worker");
    CHECK(str(v, "status") == "pending");
    CHECK(v.at("running").as_bool());
    CHECK(str(v, "id").rfind("run_", 0) == 0);
    CHECK(v.at("created_at").is_int64());
    for (auto key : {"output_text", "output", "structured_output", "files", "sources", "messages", "metadata",
                     "url", "usage", "error", "incomplete_details"})
        CHECK_MESSAGE(v.as_object().contains(key), key);
    CHECK_FALSE(v.as_object().contains("taskId"));
}

TEST_CASE("tls: retrieve returns the task and its turns with every field")
{
    fixture f;
    const std::string id =
        f.create(R"({"input":"count to three #pending-ms:0 #turn-ms:50","workerId":"wrk_x"})");
    curl_result r;
    REQUIRE(eventually([&] {
        r = f.get("/api/tasks/" + id);
        return r.status == 200 && str(r.json().at("task"), "status") == "completed";
    }));
    auto v = r.json();
    const auto& task = v.at("task");
    CHECK(str(task, "id") == id);
    CHECK(str(task, "workerId") == "wrk_x");
    CHECK(str(task, "title") == "count to three #pending-ms:0 #turn-ms:50");
    CHECK(str(task, "triggeredBy") == "api");
    CHECK(str(task, "organizationId") == "org_sim");
    CHECK(str(task, "createdAt").size() == 24); // 2024-01-02T03:04:05.678Z
    CHECK(task.at("completedAt").is_string());
    CHECK(task.at("totals").at("turnCount").as_int64() == 3);
    CHECK(task.at("totals").at("credits").as_int64() > 0);
    const auto& turns = v.at("turns").as_array();
    REQUIRE(turns.size() == 3);
    for (std::int64_t i = 0; i < 3; ++i) {
        const auto& t = turns[static_cast<std::size_t>(i)];
        CHECK(t.at("seq").as_int64() == i + 1);
        CHECK(str(t, "taskId") == id);
        CHECK(str(t, "role") == "assistant");
        CHECK(str(t, "status") == "completed");
        CHECK(str(t, "outputText").size() >= 40);
        CHECK(t.at("structuredOutput").is_null());
        CHECK(t.at("files").as_array().empty());
        for (auto key : {"id", "input", "credits", "durationMs", "inputTokens", "outputTokens", "startedAt",
                         "completedAt"})
            CHECK_MESSAGE(t.as_object().contains(key), key);
    }
}

TEST_CASE("tls: task-only shape leaves turns to /turns")
{
    sim::options o;
    o.shape = sim::retrieve_shape::task_only;
    fixture f(o);
    const std::string id = f.create(R"({"input":"x #pending-ms:0 #turn-ms:10"})");
    auto r = f.get("/api/tasks/" + id);
    CHECK(r.status == 200);
    CHECK(r.json().as_object().contains("task"));
    CHECK_FALSE(r.json().as_object().contains("turns"));
    REQUIRE(eventually([&] {
        r = f.get("/api/tasks/" + id + "/turns");
        return r.status == 200 && r.json().at("items").as_array().size() == 3;
    }));
    CHECK(str(r.json(), "taskId") == id);
}

TEST_CASE("tls: archive is idempotent, keeps the task, and only its creator may do it")
{
    sim::options o;
    o.other_keys = {"sk-other"};
    fixture f(o);
    const std::string id = f.create(R"({"input":"to archive"})");
    auto r = f.del("/api/tasks/" + id, "sk-other");
    CHECK(r.status == 403);
    CHECK(str(r.json(), "error") == "permission_denied");
    r = f.del("/api/tasks/" + id);
    CHECK(r.status == 200);
    CHECK(r.json().at("archived").as_bool());
    CHECK(f.del("/api/tasks/" + id).status == 200);
    CHECK(f.get("/api/tasks/" + id).status == 200);
    // The other key may read and create.
    CHECK(f.curl({.path = "/api/tasks/" + id, .key = "sk-other"}).status == 200);
}

TEST_CASE("tls: unknown ids and routes are JSON 404s and ids are one percent-decoded segment")
{
    fixture f;
    auto r = f.get("/api/tasks/tsk_nope");
    CHECK(r.status == 404);
    CHECK(str(r.json(), "error") == "not_found");
    CHECK(str(r.json(), "message") == "task tsk_nope not found");

    r = f.get("/api/tasks/tsk%2Fx");
    CHECK(r.status == 404);
    CHECK(str(r.json(), "message") == "task tsk/x not found");
    f.create(R"({"input":"slash","taskId":"tsk/x"})");
    r = f.get("/api/tasks/tsk%2Fx");
    CHECK(r.status == 200);
    CHECK(str(r.json().at("task"), "id") == "tsk/x");
    CHECK(f.get("/api/tasks/tsk/x").status == 404); // two segments: no such route
    CHECK(f.get("/api/tasks/tsk%2Fx/turns").status == 200);

    r = f.get("/api/nothing"); // (GET /api/workers is a route now: 405, see workers_test.cpp)
    CHECK(r.status == 404);
    CHECK(str(r.json(), "error") == "not_found");
    CHECK(f.curl({.path = "/elsewhere", .auth = false}).status == 404);
}

TEST_CASE("tls: wrong methods are JSON 405s with Allow")
{
    fixture f;
    auto r = f.curl({.method = "PUT", .path = "/api/tasks/tsk_1"});
    CHECK(r.status == 405);
    CHECK(r.header("allow") == "GET, DELETE");
    CHECK(str(r.json(), "error") == "method_not_allowed");
    r = f.get("/api/tasks");
    CHECK(r.status == 405);
    CHECK(r.header("allow") == "POST");
}

TEST_CASE("tls: bearer auth, while stats and reset need none")
{
    fixture f;
    auto r = f.curl({.path = "/api/tasks/x", .auth = false});
    CHECK(r.status == 401);
    CHECK(str(r.json(), "error") == "unauthorized");
    CHECK(str(r.json(), "message").size() > 0);
    r = f.curl({.path = "/api/tasks/x", .key = "sk-wrong"});
    CHECK(r.status == 401);
    CHECK(r.body.find("sk-wrong") == std::string::npos); // keys are never echoed

    r = f.curl({.path = "/_sim/stats", .auth = false});
    CHECK(r.status == 200);
    CHECK(r.json().at("requests").at("GET /api/tasks/{id}").at("401").as_int64() == 2);
    r = f.curl({.method = "POST", .path = "/_sim/reset-stats", .auth = false});
    CHECK(r.status == 200);
    CHECK(stat_of(f.stats(), {"requests", "GET /api/tasks/{id}", "401"}) == 0);
}

TEST_CASE("tls: 400 for bad JSON and 422 naming the field")
{
    fixture f;
    auto r = f.post("{not json");
    CHECK(r.status == 400);
    CHECK(str(r.json(), "error") == "bad_request");
    CHECK(str(r.json(), "message") == "body: invalid JSON");

    struct row {
        std::string body, field;
    };
    for (const row& c :
         {row{R"({"budget":"low"})", "input"}, row{R"({"input":""})", "input"},
          row{R"({"input":3})", "input"}, row{R"({"input":"x","budget":"max"})", "budget"},
          row{R"({"input":"x","taskId":""})", "taskId"}, row{R"({"input":"x","workerId":""})", "workerId"},
          row{R"({"input":"x","workerId":false})", "workerId"}}) {
        INFO(c.body);
        r = f.post(c.body);
        CHECK(r.status == 422);
        CHECK(str(r.json(), "error") == "validation_error");
        CHECK(str(r.json(), "field") == c.field);
        CHECK(str(r.json(), "message").rfind(c.field + ": ", 0) == 0);
    }
}

TEST_CASE("tls: a follow-up with another workerId is a 409")
{
    fixture f;
    f.create(R"({"input":"one","taskId":"tsk_conf","workerId":"wrk_1"})");
    auto r = f.post(R"({"input":"two","taskId":"tsk_conf","workerId":"wrk_2"})");
    CHECK(r.status == 409);
    CHECK(str(r.json(), "error") == "conflict");
    CHECK(f.post(R"({"input":"three","taskId":"tsk_conf","workerId":"wrk_1"})").status == 200);
}

TEST_CASE("tls: the certificate verifies for localhost and 127.0.0.1")
{
    fixture f;
    const std::string port = std::to_string(f.sim().port());
    for (const std::string host : {"localhost", "127.0.0.1"}) {
        const std::string out = f.tmp().file("v-" + host), err = f.tmp().file("ve-" + host);
        int rc = run_process({"curl", "-sS", "--max-time", "10", "--cacert", f.ca_file(), "-o", "/dev/null",
                              "-w", "%{http_code}", "https://" + host + ":" + port + "/_sim/stats"},
                             out, err);
        INFO(host << ": " << read_file(err));
        CHECK(rc == 0);
        CHECK(read_file(out) == "200");
    }
    // Without the CA, verification fails.
    const std::string err = f.tmp().file("noca");
    CHECK(run_process({"curl", "-sS", "--max-time", "10", "-o", "/dev/null", f.url() + "/_sim/stats"},
                      f.tmp().file("noca-out"), err) == 60);
    CHECK(f.sim().ca_pem().find("BEGIN CERTIFICATE") != std::string::npos);
    CHECK(read_file(f.ca_file()) == f.sim().ca_pem());
}

TEST_CASE("plain http serves the same API")
{
    sim::options o;
    o.plain_http = true;
    fixture f(o);
    CHECK(f.url().rfind("http://127.0.0.1:", 0) == 0);
    const std::string id = f.create(R"({"input":"plain"})");
    CHECK(f.get("/api/tasks/" + id).status == 200);
    CHECK(stat_of(f.stats(), {"tls_handshakes"}) == 0);
}
