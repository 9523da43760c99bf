// The multipart/form-data writer (http/multipart.hpp) and the create body
// built on it (core/create_body.hpp), without sockets: the exact bytes, a
// boundary that never occurs in a part, every byte value, empty and many
// files, the order of the fields. (Read back by the simulator's parser in
// test/sim/multipart_differential_test.cpp.)
#include "core/create_body.hpp"
#include "http/multipart.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

using namespace handinger;
namespace http = handinger::detail::http;
using http::form_part;

namespace {

std::string all_bytes()
{
    std::string s;
    for (int i = 0; i < 256; ++i)
        s += static_cast<char>(i);
    return s;
}

std::string form(const std::vector<form_part>& parts, std::string_view boundary)
{
    std::string out;
    http::write_form(out, parts, boundary);
    CHECK(out.size() == http::form_size(parts, boundary));
    return out;
}

// A generator of boundaries handing out `list` in turn (then "").
struct scripted {
    std::vector<std::string> list;
    std::size_t next = 0;
    std::string operator()() { return next < list.size() ? list[next++] : std::string(); }
};

} // namespace

TEST_CASE("multipart writer: the exact bytes of two text fields and a file")
{
    const std::vector<form_part> parts{
        {"input", std::nullopt, {}, "summarize"},
        {"budget", std::nullopt, {}, "low"},
        {"files", "a.txt", "text/plain", "hello\r\nworld"},
    };
    CHECK(form(parts, "B1") == "--B1\r\n"
                               "Content-Disposition: form-data; name=\"input\"\r\n"
                               "\r\n"
                               "summarize\r\n"
                               "--B1\r\n"
                               "Content-Disposition: form-data; name=\"budget\"\r\n"
                               "\r\n"
                               "low\r\n"
                               "--B1\r\n"
                               "Content-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n"
                               "Content-Type: text/plain\r\n"
                               "\r\n"
                               "hello\r\nworld\r\n"
                               "--B1--\r\n");
    CHECK(http::form_content_type("B1") == "multipart/form-data; boundary=B1");
}

TEST_CASE("multipart writer: quotes, CR and LF in names escaped as the HTML standard does, UTF-8 kept")
{
    std::string out;
    http::append_form_escaped(out, "a\"b\rc\nd%e caf\xc3\xa9");
    CHECK(out == "a%22b%0Dc%0Ad%e caf\xc3\xa9");
    const std::vector<form_part> parts{{"files", "say \"hi\".txt", "text/plain", "x"}};
    const auto body = form(parts, "b");
    CHECK(body.find("filename=\"say %22hi%22.txt\"\r\n") != std::string::npos);
}

TEST_CASE("multipart writer: every byte value of a binary file survives, and an empty file is empty")
{
    const std::string bytes = all_bytes() + all_bytes();
    const std::vector<form_part> parts{{"files", "bin", "application/octet-stream", bytes},
                                       {"files", "empty", "text/plain", ""}};
    const auto body = form(parts, "bnd");
    const std::string head = "--bnd\r\nContent-Disposition: form-data; name=\"files\"; filename=\"bin\"\r\n"
                             "Content-Type: application/octet-stream\r\n\r\n";
    REQUIRE(body.substr(0, head.size()) == head);
    CHECK(body.substr(head.size(), bytes.size()) == bytes);
    CHECK(body.substr(head.size() + bytes.size()) ==
          "\r\n--bnd\r\nContent-Disposition: form-data; name=\"files\"; filename=\"empty\"\r\n"
          "Content-Type: text/plain\r\n\r\n\r\n--bnd--\r\n");
}

TEST_CASE("multipart writer: a boundary that occurs in any part is passed over")
{
    const std::vector<form_part> parts{{"input", std::nullopt, {}, "text with --AAA inside"},
                                       {"files", "BBB.txt", "text/plain", "x"},
                                       {"files", "c", "type/CCC", "y"},
                                       {"DDD", std::nullopt, {}, "z"}};
    CHECK_FALSE(http::boundary_fits("AAA", parts));
    CHECK_FALSE(http::boundary_fits("BBB", parts)); // in a filename
    CHECK_FALSE(http::boundary_fits("CCC", parts)); // in a content type
    CHECK_FALSE(http::boundary_fits("DDD", parts)); // in a name
    CHECK(http::boundary_fits("EEE", parts));
    scripted gen{{"AAA", "BBB", "", "CCC", "DDD", "EEE", "FFF"}};
    auto b = http::pick_boundary(parts, std::ref(gen));
    REQUIRE(b);
    CHECK(*b == "EEE");
    CHECK(gen.next == 6);

    scripted never{{"AAA", "BBB", "CCC"}};
    CHECK_FALSE(http::pick_boundary(parts, std::ref(never), 3));
    CHECK(never.next == 3); // bounded: no more candidates asked for
}

TEST_CASE("multipart writer: random boundaries are 42 characters of handinger- and base32, each new")
{
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        const auto b = http::random_boundary();
        REQUIRE(b.size() == 42);
        CHECK(b.substr(0, 10) == "handinger-");
        for (char c : b.substr(10))
            CHECK(((c >= '0' && c <= '9') || (c >= 'a' && c <= 'v')));
        seen.insert(b);
    }
    CHECK(seen.size() == 200);
}

TEST_CASE("multipart writer: a hundred files keep their order and their bytes")
{
    std::vector<std::string> names, contents;
    for (int i = 0; i < 100; ++i) {
        names.push_back("f" + std::to_string(i) + ".txt");
        contents.push_back(std::string(static_cast<std::size_t>(i), static_cast<char>('a' + i % 26)));
    }
    std::vector<form_part> parts;
    for (int i = 0; i < 100; ++i)
        parts.push_back({"files", std::string_view(names[i]), "text/plain", contents[i]});
    const auto body = form(parts, "mny");
    std::size_t at = 0;
    for (int i = 0; i < 100; ++i) {
        const std::string part =
            "filename=\"" + names[i] + "\"\r\nContent-Type: text/plain\r\n\r\n" + contents[i] + "\r\n--mny";
        const auto found = body.find(part, at);
        INFO("file " << i);
        REQUIRE(found != std::string::npos);
        at = found + part.size();
    }
    CHECK(body.substr(at) == "--\r\n");
}

TEST_CASE("create body: JSON without files, with files the fields in wire order, then the files")
{
    create_task_params p;
    p.input = "read these";
    p.budget = task_budget::high;
    p.task_id = "tsk_1";
    p.worker_id = "wrk_1";
    auto json = detail::make_create_body(p);
    REQUIRE(json);
    CHECK(json->content_type.empty());
    CHECK(json->bytes == R"({"input":"read these","budget":"high","taskId":"tsk_1","workerId":"wrk_1"})");

    p.files = {attachment::from_memory("a.csv", "x,y\n1,2\n"), attachment::from_memory("raw", "\x01\x02")};
    scripted gen{{"fixed"}};
    auto b = detail::make_create_body(p, std::ref(gen));
    REQUIRE(b);
    CHECK(b->content_type == "multipart/form-data; boundary=fixed");
    CHECK(b->bytes == "--fixed\r\nContent-Disposition: form-data; name=\"input\"\r\n\r\nread these\r\n"
                      "--fixed\r\nContent-Disposition: form-data; name=\"budget\"\r\n\r\nhigh\r\n"
                      "--fixed\r\nContent-Disposition: form-data; name=\"taskId\"\r\n\r\ntsk_1\r\n"
                      "--fixed\r\nContent-Disposition: form-data; name=\"workerId\"\r\n\r\nwrk_1\r\n"
                      "--fixed\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.csv\"\r\n"
                      "Content-Type: text/csv\r\n\r\nx,y\n1,2\n\r\n"
                      "--fixed\r\nContent-Disposition: form-data; name=\"files\"; filename=\"raw\"\r\n"
                      "Content-Type: application/octet-stream\r\n\r\n\x01\x02\r\n"
                      "--fixed--\r\n");

    // Absent fields are left out of the form as of the JSON.
    create_task_params q;
    q.input = "only";
    q.files = {attachment::from_memory("e", "")};
    scripted one{{"q"}};
    auto c = detail::make_create_body(q, std::ref(one));
    REQUIRE(c);
    CHECK(c->bytes == "--q\r\nContent-Disposition: form-data; name=\"input\"\r\n\r\nonly\r\n"
                      "--q\r\nContent-Disposition: form-data; name=\"files\"; filename=\"e\"\r\n"
                      "Content-Type: application/octet-stream\r\n\r\n\r\n--q--\r\n");

    // No candidate fits: no body.
    q.files[0].content = "holds zzz";
    scripted bad{{"zzz"}};
    CHECK_FALSE(detail::make_create_body(q, std::ref(bad)));
}
