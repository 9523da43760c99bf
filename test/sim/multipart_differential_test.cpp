// Differential: what the library's form writer (src/http/multipart.cpp,
// core/create_body.cpp) writes, the simulator's reader (sim/src/multipart.cpp)
// reads back identically, over many random forms (names and filenames with
// quotes, CR, LF, UTF-8; binary contents holding CRLF, dashes and pieces of
// boundaries; empty parts), and a create body's fields and files arrive in
// the service as they were given. Seeded: the same forms every run.
#include "core/create_body.hpp"
#include "http/multipart.hpp"

#include <handinger/sim/detail/multipart.hpp>
#include <handinger/sim/detail/service.hpp>

#include <boost/json/parse.hpp>

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

namespace lib = handinger::detail::http;
namespace sim = handinger::sim::detail;

namespace {

struct random_form {
    std::mt19937 rng;
    explicit random_form(unsigned seed) : rng(seed) {}

    std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); }

    // Text from pieces that stress the format, joined at random.
    std::string text(std::size_t max_pieces, bool any_byte)
    {
        static const std::vector<std::string> pieces{"a",
                                                     "files",
                                                     "\"",
                                                     "\r",
                                                     "\n",
                                                     "\r\n",
                                                     "--",
                                                     "\r\n--",
                                                     "%",
                                                     "%2",
                                                     "%20",
                                                     " ",
                                                     "\t",
                                                     ";",
                                                     "=",
                                                     "caf\xc3\xa9",
                                                     "\xe6\x97\xa5",
                                                     "handinger-",
                                                     "\r\n\r\n",
                                                     "name=\"x\"",
                                                     "Content-Type: "};
        std::string s;
        const std::size_t n = below(max_pieces + 1);
        for (std::size_t i = 0; i < n; ++i) {
            if (any_byte && below(3) == 0)
                s += static_cast<char>(below(256));
            else
                s += pieces[below(pieces.size())];
        }
        return s;
    }

    // The library refuses these in filenames (a reader would decode them).
    static bool decodable(const std::string& s)
    {
        return s.find("%22") != std::string::npos || s.find("%0D") != std::string::npos ||
               s.find("%0A") != std::string::npos;
    }
};

} // namespace

TEST_CASE("multipart differential: random forms written by the library read back identically")
{
    random_form r(20240611);
    int checked = 0;
    for (int round = 0; round < 400; ++round) {
        std::vector<std::string> names, filenames, types, contents;
        std::vector<bool> is_file;
        const std::size_t n = r.below(7);
        for (std::size_t i = 0; i < n; ++i) {
            std::string name, filename;
            do {
                name = r.text(4, false);
                filename = r.text(4, false);
            } while (random_form::decodable(name) || random_form::decodable(filename));
            names.push_back(name);
            filenames.push_back(filename);
            is_file.push_back(r.below(2) == 0);
            // A content type as a header value carries: no CR/LF, no blanks at its ends.
            std::string type = r.below(3) == 0 ? std::string() : "type/sub" + std::to_string(r.below(100));
            types.push_back(type);
            std::string content = r.text(40, true);
            if (r.below(10) == 0)
                content.clear();
            contents.push_back(content);
        }
        std::vector<lib::form_part> parts;
        for (std::size_t i = 0; i < n; ++i)
            parts.push_back({names[i],
                             is_file[i] ? std::optional<std::string_view>(filenames[i]) : std::nullopt,
                             types[i], contents[i]});
        const auto boundary = lib::pick_boundary(parts, lib::random_boundary);
        REQUIRE(boundary);
        std::string body;
        lib::write_form(body, parts, *boundary);

        const auto type = sim::classify_body(lib::form_content_type(*boundary));
        REQUIRE(type.kind == sim::body_type::form);
        CHECK(type.boundary == *boundary);
        std::vector<sim::form_part> read;
        auto e = sim::parse_form(body, type.boundary, read);
        INFO("round " << round);
        REQUIRE_MESSAGE(!e, (e ? e->message : std::string()));
        REQUIRE(read.size() == n);
        for (std::size_t i = 0; i < n; ++i) {
            INFO("part " << i);
            CHECK(read[i].name == names[i]);
            CHECK(read[i].filename.has_value() == is_file[i]);
            if (is_file[i])
                CHECK(read[i].filename == filenames[i]);
            CHECK(read[i].content_type == types[i]);
            CHECK(read[i].content == contents[i]);
        }
        ++checked;
    }
    CHECK(checked == 400);
}

TEST_CASE("multipart differential: a create's fields and files arrive in the service as given")
{
    random_form r(7);
    sim::service svc{handinger::sim::options{}};
    sim::http_response res;
    for (int round = 0; round < 40; ++round) {
        handinger::create_task_params p;
        p.input = "input " + std::to_string(round) + " \"quoted\" caf\xc3\xa9\r\n--";
        if (round % 2)
            p.budget = handinger::task_budget::unlimited;
        const std::size_t files = 1 + r.below(5);
        for (std::size_t i = 0; i < files; ++i) {
            std::string content = r.text(60, true);
            p.files.push_back(handinger::attachment::from_memory(
                "f" + std::to_string(i) + (i % 2 ? " \"q\".txt" : " \xe6\x97\xa5.bin"), content));
        }
        REQUIRE(handinger::validate(p).empty());
        const auto body = handinger::detail::make_create_body(p);
        REQUIRE(body);
        svc.handle(sim::http_request{"POST", "/api/tasks", "Bearer sk-sim-test", body->bytes,
                                     1'700'000'000'000, body->content_type},
                   res);
        INFO("round " << round << ": " << res.body);
        REQUIRE(res.status == 200);
        const auto run = boost::json::parse(res.body);
        const auto& listed = run.at("files").as_array();
        REQUIRE(listed.size() == files);
        for (std::size_t i = 0; i < files; ++i) {
            INFO("file " << i);
            CHECK(listed[i].at("filename").as_string() == p.files[i].filename);
            const auto expected_type = p.files[i].content_type.empty()
                                           ? std::string("application/octet-stream")
                                           : p.files[i].content_type;
            CHECK(listed[i].at("mediaType").as_string() == expected_type);
            CHECK(svc.file_content(std::string(listed[i].at("url").as_string())) == p.files[i].content);
        }
        std::string id;
        for (auto& [name, value] : res.headers)
            if (name == "x-sim-task-id")
                id = value;
        svc.handle(
            sim::http_request{"GET", "/api/tasks/" + id, "Bearer sk-sim-test", {}, 1'700'000'100'000, {}},
            res);
        REQUIRE(res.status == 200);
        const auto t = boost::json::parse(res.body);
        CHECK(t.at("turns").at(0).at("input").as_string() == p.input);
        CHECK(t.at("turns").at(0).at("files") == run.at("files"));
    }
}
