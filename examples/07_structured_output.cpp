// Structured output: a worker made with an output schema answers each task
// with a JSON object of that shape, which the program reads into its own
// struct (described with Boost.Describe). Here: an invoice with its lines.
// Configuration comes from the environment:
//   HANDINGER_API_KEY, HANDINGER_BASE_URL (default https://handinger.com)
//   HANDINGER_CA_FILE  an extra trusted CA (e.g. the simulator's --ca-out file)
// Usage: 07_structured_output [input text]
#include <handinger/client.hpp>
#include <handinger/workers.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/describe/class.hpp>
#include <boost/json/parse.hpp>

#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;

// The program's own types. Member names are the JSON keys; an optional
// member may be missing or null.
struct invoice_line {
    std::string item;
    int quantity = 0;
    std::optional<double> unit_price;
};
BOOST_DESCRIBE_STRUCT(invoice_line, (), (item, quantity, unit_price))

struct invoice {
    std::string vendor;
    std::string issued;
    std::vector<invoice_line> lines;
    std::optional<std::string> note;
};
BOOST_DESCRIBE_STRUCT(invoice, (), (vendor, issued, lines, note))

// The same shape as a JSON Schema (draft-07), for the service.
constexpr const char* invoice_schema = R"({
  "type": "object",
  "required": ["vendor", "issued", "lines"],
  "properties": {
    "vendor": {"type": "string", "minLength": 1},
    "issued": {"type": "string", "format": "date"},
    "lines": {
      "type": "array", "minItems": 1, "maxItems": 10,
      "items": {
        "type": "object",
        "required": ["item", "quantity"],
        "properties": {
          "item": {"type": "string"},
          "quantity": {"type": "integer", "minimum": 1},
          "unit_price": {"type": "number", "minimum": 0}
        }
      }
    },
    "note": {"type": ["string", "null"]}
  }
})";

asio::awaitable<int> read_invoice(handinger::client& c, std::string input)
{
    handinger::create_worker_params wp;
    wp.title = "Invoice reader";
    wp.instructions = "Read the invoice you are given and answer with its vendor, date and lines.";
    wp.output_schema = boost::json::parse(invoice_schema).as_object();
    auto worker = co_await c.workers().async_create(wp);
    std::cout << "worker " << worker.id << " \"" << worker.title << "\"\n";

    handinger::create_task_params task;
    task.input = std::move(input);
    task.worker_id = worker.id;
    auto created = co_await c.async_create(task);
    auto final_ = co_await c.async_wait(created.task_id); // watched to its end
    std::cout << "task " << created.task_id << " " << final_.task.status << "\n";

    // The run's structured output, typed: api_error(invalid_response) naming
    // the first mismatch (e.g. "structured_output.lines[1].quantity:
    // expected integer, got string") if it does not fit the struct.
    auto run = co_await c.workers().async_retrieve_run(worker.id, created.task_id);
    const auto inv = run.structured_output_as<invoice>();
    std::cout << "invoice from " << inv.vendor << ", issued " << inv.issued << "\n";
    double total = 0;
    for (const auto& l : inv.lines) {
        std::cout << "  " << l.quantity << " x " << l.item;
        if (l.unit_price) {
            std::cout << " at " << *l.unit_price;
            total += l.quantity * *l.unit_price;
        }
        std::cout << "\n";
    }
    std::cout << "total " << total << (inv.note ? " (" + *inv.note + ")" : std::string()) << "\n";

    co_await c.workers().async_delete(worker.id);
    co_return final_.task.status == handinger::task_status::completed ? 0 : 1;
}

int main(int argc, char** argv)
{
    asio::io_context ioc;
    std::string input = argc > 1 ? argv[1] : "Invoice 2291 from Harbor Supplies: 12 hex nuts, 4 brackets";
    try {
        handinger::client c(ioc); // everything from the environment
        auto done = asio::co_spawn(ioc, read_invoice(c, input), asio::use_future);
        ioc.run();
        return done.get();
    } catch (const handinger::api_error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    }
}
