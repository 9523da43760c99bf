// Structured output end to end, against the simulator over verified TLS: a
// worker made with a schema, a task run on it, the run's and the turns'
// structured output read into the caller's described structs; none without
// a schema or after it is cleared; a value that does not match the struct
// (forced with the simulator's #structured: directive) named by its path.
#include "client/support.hpp"

#include <handinger/client.hpp>
#include <handinger/structured_output.hpp>
#include <handinger/workers.hpp>

#include <boost/describe/class.hpp>
#include <boost/json/parse.hpp>

using namespace test_support;
namespace asio = boost::asio;
namespace hd = handinger;

namespace so_test {

struct line {
    std::string item;
    int quantity = 0;
    std::optional<double> price;
};
BOOST_DESCRIBE_STRUCT(line, (), (item, quantity, price))

struct invoice {
    std::string vendor;
    std::vector<line> lines;
};
BOOST_DESCRIBE_STRUCT(invoice, (), (vendor, lines))

} // namespace so_test

namespace {

using so_test::invoice;

boost::json::object invoice_schema()
{
    return boost::json::parse(R"({
      "type": "object", "required": ["vendor", "lines"],
      "properties": {
        "vendor": {"type": "string", "minLength": 1},
        "lines": {"type": "array", "minItems": 1, "maxItems": 4, "items": {
          "type": "object", "required": ["item", "quantity"],
          "properties": {"item": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1, "maximum": 9},
                         "price": {"type": "number", "minimum": 0}}}}}})")
        .as_object();
}

// A task on `worker_id` run to its end: the final snapshot and the run.
struct finished_task {
    hd::task_with_turns final_;
    hd::run_result run;
};

asio::awaitable<finished_task> run_on(hd::client& c, std::string worker_id, std::string input)
{
    hd::create_task_params p;
    p.input = std::move(input);
    p.worker_id = worker_id;
    auto created = co_await c.async_create(p);
    finished_task out;
    out.final_ = co_await c.async_wait(created.task_id);
    out.run = co_await c.workers().async_retrieve_run(worker_id, created.task_id);
    co_return out;
}

// The throwing form of the typed reader fails with invalid_response saying `what`.
void check_refused(const hd::run_result& run, const std::string& what)
{
    try {
        (void)run.structured_output_as<invoice>();
        FAIL("expected invalid_response");
    } catch (const hd::api_error& e) {
        CHECK(e.code() == hd::error::invalid_response);
        CHECK(e.diag().client_message == what);
    }
}

} // namespace

TEST_CASE("structured output: a task on a worker with a schema ends with a value the typed reader reads")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_worker_params wp;
        wp.title = "Invoices";
        wp.output_schema = invoice_schema();
        auto w = co_await c.workers().async_create(wp);
        auto t = co_await run_on(c, w.id, "Read the attached invoice");
        CHECK(t.final_.task.status == hd::task_status::completed);
        CHECK(t.run.status == hd::run_status::completed);

        const invoice inv = t.run.structured_output_as<invoice>();
        CHECK_FALSE(inv.vendor.empty());
        REQUIRE_FALSE(inv.lines.empty());
        CHECK(inv.lines.size() <= 4);
        for (const auto& l : inv.lines) {
            CHECK(l.quantity >= 1);
            CHECK(l.quantity <= 9);
            CHECK(l.price.value_or(0) >= 0);
        }
        // Each completed turn has one; the run's is the last turn's.
        REQUIRE(t.final_.turns.size() == 2);
        for (const auto& turn : t.final_.turns) {
            hd::diagnostics d;
            boost::system::error_code ec;
            const invoice ti = turn.structured_output_as<invoice>(ec, d);
            CHECK_FALSE(ec);
            CHECK_FALSE(ti.lines.empty());
        }
        CHECK(t.final_.turns.back().structured_output == t.run.structured_output);
        CHECK(t.run.raw.at("structured_output").is_object());
    };
    run(ioc, body());
    CHECK(f.stat("structured_outputs") == 2);
    CHECK(f.stat("structured_fallbacks") == 0);
}

TEST_CASE("structured output: none without a schema, and none once an update clears it")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        auto plain = co_await c.workers().async_create(hd::create_worker_params{});
        auto t = co_await run_on(c, plain.id, "no schema here");
        CHECK_FALSE(t.run.structured_output);
        for (const auto& turn : t.final_.turns)
            CHECK_FALSE(turn.structured_output);
        // The typed reader says why, in both forms.
        check_refused(t.run, "structured_output: null (the worker has no output schema, or the run has no "
                             "structured output yet)");
        hd::diagnostics d;
        boost::system::error_code ec;
        (void)t.final_.turns.front().structured_output_as<invoice>(ec, d);
        CHECK(ec == hd::error::invalid_response);
        CHECK(d.client_message.rfind("structuredOutput: null", 0) == 0);

        // A schema, then cleared: the task before keeps its value, the next has none.
        hd::create_worker_params wp;
        wp.output_schema = invoice_schema();
        auto w = co_await c.workers().async_create(wp);
        auto with = co_await run_on(c, w.id, "with a schema");
        hd::update_worker_params u;
        u.output_schema = nullptr;
        auto cleared = co_await c.workers().async_update(w.id, u);
        CHECK_FALSE(cleared.output_schema);
        auto without = co_await run_on(c, w.id, "schema cleared");
        CHECK_FALSE(without.run.structured_output);
        auto again = co_await c.workers().async_retrieve_run(w.id, with.final_.task.id);
        CHECK(again.structured_output);
        CHECK_FALSE(again.structured_output_as<invoice>().lines.empty());
    };
    run(ioc, body());
    CHECK(f.stat("structured_outputs") == 2);
}

TEST_CASE("structured output: a value that does not match the struct fails naming its path")
{
    sim_fixture f;
    test_io ioc;
    hd::client c(ioc, f.copts);
    auto body = [&]() -> asio::awaitable<void> {
        hd::create_worker_params wp;
        wp.output_schema = invoice_schema();
        auto w = co_await c.workers().async_create(wp);
        // The simulator sends this value whatever the schema: a quantity in words.
        auto t = co_await run_on(
            c, w.id,
            R"(bill #structured:{"vendor":"Acme","lines":[{"item":"nut","quantity":3},{"item":"bolt","quantity":"two"}]})");
        REQUIRE(t.run.structured_output);
        check_refused(t.run, "structured_output.lines[1].quantity: expected integer, got string");
        hd::diagnostics d;
        boost::system::error_code ec;
        (void)t.final_.turns.back().structured_output_as<invoice>(ec, d);
        CHECK(ec == hd::error::invalid_response);
        CHECK(d.client_message == "structuredOutput.lines[1].quantity: expected integer, got string");
        // The raw value is still there to look at.
        CHECK(t.run.structured_output->at("vendor") == "Acme");
    };
    run(ioc, body());
    CHECK(f.stat("structured_outputs") == 0);
}
