// Differential fuzz target: the library's response reader (the round trip
// over a test stream, plain HTTP) against Beast's reference http::read into
// http::response<http::string_body>, over the same bytes sent as a response.
// They must agree: both fail, or both give the same status, retry headers
// and body. Interim 1xx responses are skipped by both (the reference in a
// loop, as Beast leaves that to its caller); a 101 is a failure for both.
//
// Input: byte 0 picks the library's read segmentation (1 to 256 bytes a
// read, or all at once); the rest is what the server sends, then closes.
#include "http/round_trip.hpp"
#include "transport/test_stream.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace http = handinger::detail::http;
namespace bhttp = boost::beast::http;
using handinger::test::test_stream;

namespace {

constexpr std::size_t body_limit = 1 << 20;
constexpr std::size_t header_limit = 64 * 1024; // as lean_response_parser's

struct outcome {
    bool ok = false;
    int status = 0;
    std::string body, retry_after, retry_after_ms, x_should_retry;
};

// One io_context for every input: making one costs more than a run.
boost::asio::io_context& io()
{
    static boost::asio::io_context ioc{1};
    ioc.restart();
    return ioc;
}

outcome library(std::string_view bytes, std::size_t read_size)
{
    auto& ioc = io();
    test_stream s(ioc.get_executor());
    s.read_size = read_size;
    s.deliver(bytes);
    s.deliver_end();
    boost::beast::flat_buffer buf;
    http::response res;
    http::response_reader reader(res, body_limit);
    http::round_trip_result rt;
    bool done = false;
    boost::system::error_code ec;
    std::string wire = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    http::async_round_trip(s, nullptr, buf, wire, reader, rt, [&](boost::system::error_code e) {
        done = true;
        ec = e;
    });
    ioc.run();
    if (!done) // the stream ends: the round trip must end too
        std::abort();
    outcome o;
    o.ok = !ec;
    o.status = res.status;
    o.body = res.body;
    o.retry_after = res.retry_after;
    o.retry_after_ms = res.retry_after_ms;
    o.x_should_retry = res.x_should_retry;
    return o;
}

outcome reference(std::string_view bytes)
{
    auto& ioc = io();
    test_stream s(ioc.get_executor());
    s.deliver(bytes);
    s.deliver_end();
    boost::beast::flat_buffer buf;
    boost::system::error_code ec;
    for (;;) {
        bhttp::response_parser<bhttp::string_body> p;
        p.body_limit(body_limit);
        p.header_limit(header_limit);
        bhttp::read(s, buf, p, ec);
        if (ec)
            return {};
        auto& m = p.get();
        int st = m.result_int();
        if (st / 100 == 1) {
            if (st == 101)
                return {};
            continue;
        }
        outcome o;
        o.ok = true;
        o.status = st;
        o.body = m.body();
        o.retry_after = std::string(m[bhttp::field::retry_after]);
        o.retry_after_ms = std::string(m["retry-after-ms"]);
        o.x_should_retry = std::string(m["x-should-retry"]);
        return o;
    }
}

[[noreturn]] void disagree(const char* what, const outcome& a, const outcome& b)
{
    std::fprintf(stderr, "library and Beast disagree on %s: ok %d/%d status %d/%d body %zu/%zu bytes\n", what,
                 a.ok, b.ok, a.status, b.status, a.body.size(), b.body.size());
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1)
        return 0;
    std::size_t read_size = data[0] == 0 ? std::size_t(1) << 20 : data[0];
    std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    auto mine = library(bytes, read_size);
    auto ref = reference(bytes);
    if (mine.ok != ref.ok)
        disagree("success", mine, ref);
    if (!mine.ok)
        return 0;
    if (mine.status != ref.status)
        disagree("status", mine, ref);
    if (mine.body != ref.body)
        disagree("body", mine, ref);
    if (mine.retry_after != ref.retry_after || mine.retry_after_ms != ref.retry_after_ms ||
        mine.x_should_retry != ref.x_should_retry)
        disagree("retry headers", mine, ref);
    return 0;
}
