// The simulator's Workers routes: without sockets (exact statuses, bodies
// and counters), then once over TLS with curl.
#include "service_harness.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

using namespace handinger::sim;
using namespace handinger::sim::detail;

using namespace sim_harness;

TEST_CASE("workers: create answers the worker with every field")
{
    harness h;
    h.call(
        "POST", "/api/workers",
        R"({"instructions":"Do it.","outputSchema":{"type":"object"},"summary":"s","title":"T","visibility":"private"})");
    REQUIRE(h.res.status == 200);
    auto v = h.json().as_object();
    CHECK(std::string(v.at("id").as_string()).rfind("wrk_", 0) == 0);
    CHECK(v.at("instructions") == "Do it.");
    CHECK(boost::json::serialize(v.at("outputSchema")) == R"({"type":"object"})");
    CHECK(v.at("summary") == "s");
    CHECK(v.at("title") == "T");
    CHECK(v.at("visibility") == "private");
    CHECK(v.at("organizationId") == "org_sim");
    CHECK(v.at("userId") == "usr_sim");
    CHECK(v.at("createdAt") == "2023-11-14T22:13:20.000Z");
    CHECK(v.at("updatedAt") == v.at("createdAt"));
    CHECK(v.at("url").as_string() == "https://handinger.com/workers/" + std::string(v.at("id").as_string()));

    // Nothing given: public, no schema, a random title; another key's user.
    h.call("POST", "/api/workers", "{}", other);
    v = h.json().as_object();
    CHECK(v.at("visibility") == "public");
    CHECK(v.at("outputSchema").is_null());
    CHECK_FALSE(v.at("title").as_string().empty());
    CHECK(v.at("userId") == "usr_sim_1");
    // A prompt alone: the service writes the instructions from it.
    h.call("POST", "/api/workers", R"({"prompt":"news"})");
    CHECK(h.str("instructions") == "Instructions written from the prompt: news");
    CHECK(h.stat({"workers_created"}) == 3);
    CHECK(h.stat({"requests", "POST /api/workers", "200"}) == 3);
}

TEST_CASE("workers: each limit at its bound is accepted, one past it is 422")
{
    harness h;
    struct limit {
        const char* field;
        std::size_t max;
    };
    for (const auto& l : {limit{"instructions", 20'000}, limit{"prompt", 10'000}, limit{"summary", 80},
                          limit{"title", 200}}) {
        const std::string field = l.field;
        const std::size_t max = l.max;
        INFO(field);
        // Characters, not bytes ("é" is two bytes).
        for (std::string_view ch : {"a", "\xc3\xa9"}) {
            h.call("POST", "/api/workers", "{\"" + std::string(field) + "\":\"" + chars(max, ch) + "\"}");
            CHECK(h.res.status == 200);
            h.call("POST", "/api/workers", "{\"" + std::string(field) + "\":\"" + chars(max + 1, ch) + "\"}");
            CHECK(h.res.status == 422);
            CHECK(h.str("error") == "validation_error");
            CHECK(h.str("field") == field);
            CHECK(h.str("message") ==
                  std::string(field) + ": must be at most " + std::to_string(max) + " characters");
        }
    }
}

TEST_CASE("workers: wrong values and types are 422 naming the field, bad bodies 400")
{
    harness h;
    struct row {
        const char* body;
        const char* field;
        const char* message;
    };
    const row rows[] = {
        {R"({"title":""})", "title", "title: must be at least 1 character"},
        {R"({"title":null})", "title", "title: must be a string"},
        {R"({"summary":5})", "summary", "summary: must be a string"},
        {R"({"visibility":"secret"})", "visibility", "visibility: must be one of public, private"},
        {R"({"visibility":"Public"})", "visibility", "visibility: must be one of public, private"},
        {R"({"visibility":null})", "visibility", "visibility: must be one of public, private"},
        {R"({"outputSchema":null})", "outputSchema", "outputSchema: must be an object"},
        {R"({"outputSchema":[]})", "outputSchema", "outputSchema: must be an object"},
        {R"({"instructions":["x"]})", "instructions", "instructions: must be a string"},
    };
    for (const auto& r : rows) {
        INFO(r.body);
        h.call("POST", "/api/workers", r.body);
        CHECK(h.res.status == 422);
        CHECK(h.str("field") == r.field);
        CHECK(h.str("message") == r.message);
    }
    h.call("POST", "/api/workers", "{nope");
    CHECK(h.res.status == 400);
    CHECK(h.str("message") == "body: invalid JSON");
    h.call("POST", "/api/workers", "[]");
    CHECK(h.res.status == 400);
    CHECK(h.stat({"workers_created"}) == 0);
    CHECK(h.stat({"requests", "POST /api/workers", "422"}) == 9);
}

TEST_CASE("workers: update changes only the fields sent, null clears the schema")
{
    harness h;
    const std::string id =
        h.worker(R"({"instructions":"i","outputSchema":{"type":"object"},"summary":"s","title":"T"})");
    const std::string path = "/api/workers/" + id;
    h.call("PATCH", path, R"({"title":"T2","prompt":"ignored"})", owner, t0 + 5000);
    REQUIRE(h.res.status == 200);
    auto v = h.json().as_object();
    CHECK(v.at("title") == "T2");
    CHECK(v.at("instructions") == "i");
    CHECK(v.at("summary") == "s");
    CHECK(v.at("outputSchema").is_object());
    CHECK(v.at("updatedAt") == "2023-11-14T22:13:25.000Z");
    CHECK(v.at("createdAt") == "2023-11-14T22:13:20.000Z");
    h.call("PATCH", path, R"({"outputSchema":null,"visibility":"private"})");
    v = h.json().as_object();
    CHECK(v.at("outputSchema").is_null());
    CHECK(v.at("visibility") == "private");
    CHECK(v.at("title") == "T2");
    h.call("PATCH", path, "{}");
    CHECK(h.res.status == 200);
    // The limits of a create, but the schema may be null.
    h.call("PATCH", path, "{\"summary\":\"" + chars(81) + "\"}");
    CHECK(h.res.status == 422);
    CHECK(h.str("message") == "summary: must be at most 80 characters");
    h.call("PATCH", path, R"({"outputSchema":"x"})");
    CHECK(h.str("message") == "outputSchema: must be an object or null");
    h.call("PATCH", path, "not json");
    CHECK(h.res.status == 400);
    CHECK(h.stat({"workers_updated"}) == 3);
    CHECK(h.stat({"requests", "PATCH /api/workers/{id}", "422"}) == 2);
}

TEST_CASE("workers: creator-only operations answer 403 to another key")
{
    harness h;
    const std::string id = h.worker();
    const std::string path = "/api/workers/" + id;
    h.call("PATCH", path, R"({"title":"mine"})", other);
    CHECK(h.res.status == 403);
    CHECK(h.str("error") == "permission_denied");
    CHECK(h.str("message") == "only the key that created worker " + id + " may update it");
    h.call("DELETE", path, {}, other);
    CHECK(h.res.status == 403);
    CHECK(h.str("message") == "only the key that created worker " + id + " may delete it");
    h.call("GET", path + "/email", {}, other);
    CHECK(h.res.status == 403);
    // A public worker's runs are readable, and it takes others' tasks.
    h.task(id, other);
    h.call("GET", path, {}, other);
    CHECK(h.res.status == 200);
    // A private one answers 403 to both.
    h.call("PATCH", path, R"({"visibility":"private"})");
    h.call("GET", path, {}, other);
    CHECK(h.res.status == 403);
    CHECK(h.str("message") == "no access to worker " + id);
    h.call("POST", "/api/tasks", R"({"input":"x","workerId":")" + id + "\"}", other);
    CHECK(h.res.status == 403);
    // The owner still may do everything.
    h.call("GET", path + "/email");
    CHECK(h.res.status == 200);
    CHECK(h.str("email") == id + "@workers.sim.invalid");
    CHECK(h.stat({"requests", "GET /api/workers/{id}/email", "403"}) == 1);
    CHECK(h.stat({"requests", "GET /api/workers/{id}/email", "200"}) == 1);
}

TEST_CASE("workers: delete is soft, afterwards every worker route answers 404")
{
    harness h;
    const std::string id = h.worker();
    const std::string task = h.task(id);
    const std::string path = "/api/workers/" + id;
    h.call("DELETE", path);
    CHECK(h.res.status == 200);
    CHECK(h.res.body == R"({"deleted":true})");
    for (const auto& [m, t] : {std::pair<std::string_view, std::string>{"GET", path},
                               {"PATCH", path},
                               {"DELETE", path},
                               {"GET", path + "/email"},
                               {"GET", path + "?taskId=" + task}}) {
        const std::string_view method = m;
        const std::string target = t;
        INFO(method << " " << target);
        h.call(method, target, "{}");
        CHECK(h.res.status == 404);
        CHECK(h.str("message") == "worker " + id + " not found");
    }
    // Its tasks stay; no new ones run on it.
    h.call("GET", "/api/tasks/" + task);
    CHECK(h.res.status == 200);
    h.call("POST", "/api/tasks", R"({"input":"again","taskId":")" + task + "\"}");
    CHECK(h.res.status == 404);
    h.call("POST", "/api/tasks", R"({"input":"again","workerId":")" + id + "\"}");
    CHECK(h.res.status == 404);
    CHECK(h.stat({"workers_deleted"}) == 1);
    CHECK(h.stat({"workers"}) == 1);
}

TEST_CASE("workers: retrieve answers the run of the latest task, or of the task asked")
{
    harness h;
    const std::string id = h.worker();
    const std::string path = "/api/workers/" + id;
    h.call("GET", path);
    CHECK(h.res.status == 404);
    CHECK(h.str("message") == "worker " + id + " has run no task yet");

    h.call("POST", "/api/tasks", R"({"input":"first #pending-ms:0 #turn-ms:10","workerId":")" + id + "\"}");
    const std::string first = h.header("x-sim-task-id");
    const std::string first_run = h.str("id");
    h.call("POST", "/api/tasks", R"({"input":"second","workerId":")" + id + "\"}", owner, t0 + 1);
    const std::string second_run = h.str("id");

    h.call("GET", path, {}, owner, t0 + 10'000);
    CHECK(h.res.status == 200);
    CHECK(h.str("id") == second_run);
    CHECK(h.str("object") == "worker");
    h.call("GET", path + "?taskId=" + first, {}, owner, t0 + 10'000);
    CHECK(h.str("id") == first_run);
    CHECK(h.str("status") == "completed");

    h.call("GET", path + "?taskId=");
    CHECK(h.res.status == 422);
    CHECK(h.str("field") == "taskId");
    h.call("GET", path + "?taskId=tsk_nope");
    CHECK(h.res.status == 404);
    CHECK(h.str("message") == "task tsk_nope not found for worker " + id);
    // A task of another worker is not this worker's.
    const std::string elsewhere = h.task(h.worker());
    h.call("GET", path + "?taskId=" + elsewhere);
    CHECK(h.res.status == 404);
}

TEST_CASE("workers: a task without a worker gets one, made from its input")
{
    harness h;
    h.call("POST", "/api/tasks", R"({"input":"count the stars"})");
    REQUIRE(h.res.status == 200);
    const std::string task = h.header("x-sim-task-id");
    h.call("GET", "/api/tasks/" + task);
    const std::string worker(h.json().at("task").at("workerId").as_string());
    h.call("GET", "/api/workers/" + worker);
    CHECK(h.res.status == 200);
    h.call("PATCH", "/api/workers/" + worker, "{}");
    CHECK(h.str("instructions") == "count the stars");
    // A worker id the simulator has not seen is taken as the key's.
    h.task("wrk_elsewhere");
    h.call("GET", "/api/workers/wrk_elsewhere/email");
    CHECK(h.res.status == 200);
    CHECK(h.stat({"workers_created"}) == 0); // (only POST /api/workers counts)
    CHECK(h.stat({"workers"}) == 2);
}

TEST_CASE("workers: unknown paths are 404, wrong methods 405 with allow")
{
    harness h;
    h.check_routes({
        {"GET", "/api/workers", 405, "POST"},
        {"PUT", "/api/workers/wrk_1", 405, "GET, PATCH, DELETE"},
        {"POST", "/api/workers/wrk_1/email", 405, "GET"},
        {"GET", "/api/workers/wrk_1/webhooks", 404, ""},
        {"GET", "/api/workers/", 404, ""},
    });
    h.call("GET", "/api/workers/wrk_1", {}, "Bearer wrong");
    CHECK(h.res.status == 401);
    CHECK(h.stat({"requests", "GET /api/workers/{id}", "401"}) == 1);
}

TEST_CASE("tls: the worker routes over HTTPS")
{
    sim_test::fixture f;
    auto r = f.post(R"({"title":"over tls"})", "/api/workers");
    INFO(r.err);
    REQUIRE(r.status == 200);
    const std::string id = sim_test::str(r.json(), "id");
    r = f.curl({.method = "PATCH", .path = "/api/workers/" + id, .body = R"({"summary":"s"})"});
    CHECK(r.status == 200);
    CHECK(sim_test::str(r.json(), "summary") == "s");
    r = f.get("/api/workers/" + id + "/email");
    CHECK(r.status == 200);
    r = f.del("/api/workers/" + id);
    CHECK(r.status == 200);
    CHECK(r.body == R"({"deleted":true})");
    r = f.get("/api/workers/" + id);
    CHECK(r.status == 404);
    auto s = f.stats();
    CHECK(sim_test::stat_of(s, {"requests", "PATCH /api/workers/{id}", "200"}) == 1);
    CHECK(sim_test::stat_of(s, {"requests", "DELETE /api/workers/{id}", "200"}) == 1);
    CHECK(sim_test::stat_of(s, {"workers_deleted"}) == 1);
}
