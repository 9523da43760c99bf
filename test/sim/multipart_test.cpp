// The simulator's multipart/form-data: its reader without sockets (the
// Content-Type, every part, every malformation), POST /api/tasks with files
// through the service (statuses at each limit and one past, the files
// listed on the turn and the run, the counters), then curl's own forms over
// TLS.
#include "sim_test_util.hpp"

#include <handinger/models.hpp>
#include <handinger/sim/detail/multipart.hpp>
#include <handinger/sim/detail/service.hpp>

#include <boost/json/parse.hpp>

using namespace handinger::sim;
using namespace handinger::sim::detail;
using handinger::attachment;

namespace {

constexpr std::int64_t t0 = 1'700'000'000'000;
constexpr std::string_view auth = "Bearer sk-sim-test";

std::vector<form_part> parsed(std::string_view body, std::string_view boundary = "b")
{
    std::vector<form_part> parts;
    auto e = parse_form(body, boundary, parts);
    INFO((e ? e->message : std::string()));
    CHECK_FALSE(e);
    return parts;
}

// The refusal of `body`: "status message".
std::string refusal(std::string_view body, std::string_view boundary = "b", form_limits limits = {})
{
    std::vector<form_part> parts;
    auto e = parse_form(body, boundary, parts, limits);
    return e ? std::to_string(e->status) + " " + e->message : std::string("accepted");
}

// A form part's bytes as the library writes them (field, or file with a type).
std::string field(std::string_view name, std::string_view value, std::string_view b = "b")
{
    return "--" + std::string(b) + "\r\nContent-Disposition: form-data; name=\"" + std::string(name) +
           "\"\r\n\r\n" + std::string(value) + "\r\n";
}
std::string file(std::string_view filename, std::string_view content, std::string_view type = "text/plain",
                 std::string_view b = "b")
{
    return "--" + std::string(b) + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" +
           std::string(filename) + "\"\r\nContent-Type: " + std::string(type) + "\r\n\r\n" +
           std::string(content) + "\r\n";
}
std::string close(std::string_view b = "b")
{
    return "--" + std::string(b) + "--\r\n";
}

struct harness {
    service svc{options{}};
    http_response res;

    http_response& post(std::string_view body,
                        std::string_view content_type = "multipart/form-data; boundary=b")
    {
        svc.handle(http_request{"POST", "/api/tasks", auth, body, t0, content_type}, res);
        return res;
    }
    http_response& get(const std::string& target, std::int64_t now = t0 + 60'000)
    {
        svc.handle(http_request{"GET", target, auth, {}, now, {}}, res);
        return res;
    }
    boost::json::value json() const { return boost::json::parse(res.body); }
    std::string task_id() const
    {
        for (auto& [n, v] : res.headers)
            if (n == "x-sim-task-id")
                return v;
        return {};
    }
    std::int64_t stat(std::initializer_list<std::string_view> path)
    {
        return sim_test::stat_of(svc.stats(), path);
    }
    // The status, and for an error its message and field.
    std::string outcome() const
    {
        if (res.status == 200)
            return "200";
        auto v = json();
        std::string s =
            std::to_string(res.status) + " " + sim_test::str(v, "error") + ": " + sim_test::str(v, "message");
        if (v.as_object().contains("field"))
            s += " [" + sim_test::str(v, "field") + "]";
        return s;
    }
};

} // namespace

TEST_CASE("multipart: the Content-Type decides between JSON, a form, 415 and 400")
{
    for (std::string_view json_type : {"", "application/json", "application/x-www-form-urlencoded",
                                       "text/plain", "multipart", "multipartx/form-data"}) {
        CAPTURE(json_type);
        CHECK(classify_body(json_type).kind == body_type::json);
    }
    auto t = classify_body("multipart/form-data; boundary=abc");
    CHECK(t.kind == body_type::form);
    CHECK(t.boundary == "abc");
    t = classify_body("Multipart/Form-Data ; charset=utf-8;BOUNDARY=\"a b:c?\"");
    CHECK(t.kind == body_type::form);
    CHECK(t.boundary == "a b:c?");
    CHECK(classify_body("multipart/form-data; boundary=" + std::string(70, 'x')).kind == body_type::form);

    t = classify_body("multipart/mixed; boundary=abc");
    CHECK(t.kind == body_type::unsupported);
    CHECK(t.problem == "Content-Type: multipart/mixed is not supported (multipart/form-data or JSON)");
    for (std::string bad : {std::string("multipart/form-data"), std::string("multipart/form-data; charset=x"),
                            std::string("multipart/form-data; boundary=\"\""),
                            "multipart/form-data; boundary=" + std::string(71, 'x'),
                            std::string("multipart/form-data; boundary=\"ends \""),
                            std::string("multipart/form-data; boundary=\"a@b\""),
                            std::string("multipart/form-data; boundary=a; boundary=b"),
                            std::string("multipart/form-data; boundary=\"open")}) {
        CAPTURE(bad);
        CHECK(classify_body(bad).kind == body_type::bad);
        CHECK_FALSE(classify_body(bad).problem.empty());
    }
    CHECK(classify_body("multipart/form-data").problem ==
          "Content-Type: multipart/form-data without a boundary");
}

TEST_CASE("multipart: parts with their names, filenames, types and bytes, preamble and epilogue ignored")
{
    const std::string body =
        "preamble to ignore\r\n"
        "--b \t\r\n"
        "content-disposition: FORM-DATA; name=input\r\n"
        "X-Ignored: yes\r\n"
        "\r\n"
        "line one\r\n--not the boundary\r\n"
        "--b\r\n"
        "Content-Disposition: form-data; filename=\"q%22u%0D%0A.txt\"; name=\"files\"\r\n"
        "Content-Type:   text/csv ; charset=utf-8  \r\n"
        "\r\n"
        "\r\n"
        "--b\r\n"
        "Content-Disposition: form-data; name=\"fi%22les\"; filename=\"\"\r\n"
        "\r\n"
        "\r\n"
        "--b--\r\nepilogue --b\r\n";
    auto parts = parsed(body);
    REQUIRE(parts.size() == 3);
    CHECK(parts[0].name == "input");
    CHECK_FALSE(parts[0].filename);
    CHECK(parts[0].content_type.empty());
    CHECK(parts[0].content == "line one\r\n--not the boundary");
    CHECK(parts[1].name == "files");
    CHECK(parts[1].filename == "q\"u\r\n.txt");
    CHECK(parts[1].content_type == "text/csv ; charset=utf-8");
    CHECK(parts[1].content.empty());
    CHECK(parts[2].name == "fi\"les");
    CHECK(parts[2].filename == "");
    CHECK(parts[2].content.empty());

    // Every byte value, the body opening with the boundary line, no CRLF after the close.
    std::string bytes;
    for (int i = 0; i < 256; ++i)
        bytes += static_cast<char>(i);
    // (The parts are views into the body: it must outlive them.)
    const std::string bin_body =
        "--b\r\nContent-Disposition: form-data; name=files; filename=x\r\n\r\n" + bytes + "\r\n--b--";
    auto bin = parsed(bin_body);
    REQUIRE(bin.size() == 1);
    CHECK(bin[0].content == bytes);
    CHECK(parsed("--b--").empty()); // a form without parts
    // filename* is not read (RFC 7578 forbids senders to use it).
    auto star =
        parsed("--b\r\nContent-Disposition: form-data; name=files; filename*=UTF-8''a.txt\r\n\r\nx\r\n--b--");
    REQUIRE(star.size() == 1);
    CHECK_FALSE(star[0].filename);
}

TEST_CASE("multipart: each malformation is refused with 400 naming the part")
{
    const std::string cd = "Content-Disposition: form-data; name=input\r\n";
    CHECK(refusal("no boundary here") == "400 body: no boundary line (--b)");
    CHECK(refusal("x--b\r\n" + cd + "\r\nx") == "400 body: no boundary line (--b)");
    CHECK(refusal("preamble only, then\r\n--b--") == "accepted"); // (no parts)
    CHECK(refusal("--bc\r\n" + cd + "\r\nx\r\n--b--") ==
          "400 body: a boundary line must end with CRLF (part 1)");
    CHECK(refusal("--b\r\n" + cd + "\r\nx\r\n--bX\r\n") ==
          "400 body: a boundary line must end with CRLF (part 2)");
    CHECK(refusal("--b\r\n" + cd) == "400 part 1: its headers do not end");
    CHECK(refusal("--b\r\n" + cd + " folded\r\n\r\nx\r\n--b--") == "400 part 1: a folded header line");
    CHECK(refusal("--b\r\nno colon\r\n\r\nx\r\n--b--") == "400 part 1: a header line without a name");
    CHECK(refusal("--b\r\n: v\r\n\r\nx\r\n--b--") == "400 part 1: a header line without a name");
    CHECK(refusal("--b\r\nBad Name: v\r\n\r\nx\r\n--b--") == "400 part 1: a header name that is not a token");
    CHECK(refusal("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--") ==
          "400 part 1: no Content-Disposition header");
    CHECK(refusal("--b\r\nContent-Disposition: attachment; name=x\r\n\r\nx\r\n--b--") ==
          "400 part 1: Content-Disposition is not form-data");
    CHECK(refusal(field("input", "x") +
                  "--b\r\nContent-Disposition: form-data; filename=a\r\n\r\nx\r\n--b--") ==
          "400 part 2: no name in its Content-Disposition");
    CHECK(refusal("--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--") ==
          "400 part 1: no name in its Content-Disposition");
    CHECK(refusal("--b\r\n" + cd + cd + "\r\nx\r\n--b--") == "400 part 1: two Content-Disposition headers");
    CHECK(refusal("--b\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\nx\r\n--b--") ==
          "400 part 1: a Content-Disposition parameter given twice");
    CHECK(refusal("--b\r\nContent-Disposition: form-data; name=\"open\r\n\r\nx\r\n--b--") ==
          "400 part 1: malformed Content-Disposition parameters");
    CHECK(refusal("--b\r\nContent-Disposition: form-data; name\r\n\r\nx\r\n--b--") ==
          "400 part 1: malformed Content-Disposition parameters");
    CHECK(refusal(field("input", "x") + "--b\r\n" + cd + "\r\nno end") ==
          "400 body: no closing boundary (--b--)");
    CHECK(refusal(field("input", "x")) == "400 body: no closing boundary (--b--)");
}

TEST_CASE("multipart: the reader's own bounds, at them and one past (413)")
{
    std::string body;
    for (int i = 0; i < 4; ++i)
        body += field("f", "x");
    body += close();
    CHECK(refusal(body, "b", {4, 8192}) == "accepted");
    CHECK(refusal(body, "b", {3, 8192}) == "413 body: more than 3 parts");
    const std::string headers =
        "Content-Disposition: form-data; name=f\r\nX: " + std::string(50, 'v') + "\r\n";
    const std::string one = "--b\r\n" + headers + "\r\nx\r\n--b--";
    CHECK(refusal(one, "b", {128, headers.size()}) == "accepted");
    CHECK(refusal(one, "b", {128, headers.size() - 1}) ==
          "413 part 1: more than " + std::to_string(headers.size() - 1) + " bytes of headers");
}

TEST_CASE("multipart create: the files are stored and listed on the run and on its first turn, and counted")
{
    harness h;
    std::string bytes;
    for (int i = 0; i < 256; ++i)
        bytes += static_cast<char>(i);
    const std::string body = field("input", "read the files") + field("budget", "low") +
                             file("notes.txt", "hello") + file("bin.dat", bytes, "application/octet-stream") +
                             "--b\r\nContent-Disposition: form-data; name=\"files\"\r\n\r\n\r\n" + close();
    h.post(body);
    INFO(h.res.body);
    REQUIRE(h.res.status == 200);
    const std::string id = h.task_id();
    auto run = h.json();
    const auto& files = run.at("files").as_array();
    REQUIRE(files.size() == 3);
    CHECK(files[0].at("filename") == "notes.txt");
    CHECK(files[0].at("mediaType") == "text/plain");
    CHECK(files[0].at("size") == 5);
    const std::string url0(files[0].at("url").as_string());
    CHECK(url0.rfind("https://handinger.com/files/fil_", 0) == 0);
    CHECK(files[1].at("mediaType") == "application/octet-stream");
    CHECK(files[1].at("size") == 256);
    CHECK(files[2].at("filename").is_null()); // a part without a filename
    CHECK(files[2].at("size") == 0);
    CHECK(h.svc.file_content(url0) == "hello");
    CHECK(h.svc.file_content(std::string(files[1].at("url").as_string())) == bytes);
    CHECK_FALSE(h.svc.file_content("fil_none"));

    CHECK(h.stat({"multipart_creates"}) == 1);
    CHECK(h.stat({"files_received"}) == 3);
    CHECK(h.stat({"file_bytes_received"}) == 5 + 256);
    CHECK(h.stat({"tasks_created"}) == 1);
    CHECK(h.stat({"requests", "POST /api/tasks", "200"}) == 1);

    // The turn that the create made lists them; the run's later turns none.
    h.get("/api/tasks/" + id);
    REQUIRE(h.res.status == 200);
    auto t = h.json();
    const auto& turns = t.at("turns").as_array();
    REQUIRE(turns.size() == 3);
    CHECK(turns[0].at("files") == run.at("files"));
    CHECK(turns[1].at("files").as_array().empty());

    // A follow-up with a file: on its own run's first turn.
    h.post(field("input", "and this one") + field("taskId", id) + file("more.md", "# more", "text/markdown") +
           close());
    REQUIRE(h.res.status == 200);
    h.get("/api/tasks/" + id + "/turns");
    auto items = h.json().at("items").as_array();
    REQUIRE(items.size() == 6);
    CHECK(items[0].at("files").as_array().size() == 3);
    REQUIRE(items[3].at("files").as_array().size() == 1);
    CHECK(items[3].at("files").at(0).at("filename") == "more.md");
    CHECK(items[3].at("input") == "and this one");
    CHECK(h.stat({"multipart_creates"}) == 2);
    CHECK(h.stat({"followup_turns"}) == 1);

    // A JSON create is not a multipart one.
    h.post(R"({"input":"json"})", "application/json");
    REQUIRE(h.res.status == 200);
    CHECK(h.json().at("files").as_array().empty());
    CHECK(h.stat({"multipart_creates"}) == 2);
}

TEST_CASE("multipart create: 415, 400 and 422 with a clear error, nothing created")
{
    harness h;
    const std::string ok = field("input", "x") + close();
    h.post(ok, "multipart/mixed; boundary=b");
    CHECK(h.outcome() == "415 unsupported_media_type: Content-Type: multipart/mixed is not supported "
                         "(multipart/form-data or JSON)");
    h.post(ok, "multipart/form-data");
    CHECK(h.outcome() == "400 bad_request: Content-Type: multipart/form-data without a boundary");
    h.post(field("input", "x"));
    CHECK(h.outcome() == "400 bad_request: body: no closing boundary (--b--)");
    h.post("--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--");
    CHECK(h.outcome() == "400 bad_request: part 1: no name in its Content-Disposition");
    h.post(file("a.txt", "x") + close());
    CHECK(h.outcome() == "422 validation_error: input: required [input]");
    h.post(field("input", "") + close());
    CHECK(h.outcome() == "422 validation_error: input: must be at least 1 character [input]");
    h.post(field("input", "x") + field("budget", "bogus") + close());
    CHECK(h.outcome() ==
          "422 validation_error: budget: must be one of low, standard, high, unlimited [budget]");
    h.post(field("input", "x") + field("taskId", "") + close());
    CHECK(h.outcome() == "422 validation_error: taskId: must be at least 1 character [taskId]");
    h.post(field("input", "x") + field("input", "y") + close());
    CHECK(h.outcome() == "422 validation_error: input: given more than once [input]");
    h.post("--b\r\nContent-Disposition: form-data; name=input; filename=in.txt\r\n\r\nx\r\n" + close());
    CHECK(h.outcome() == "422 validation_error: input: must be a text field, not a file [input]");
    h.post(field("input", "bad \xff") + close());
    CHECK(h.outcome() == "422 validation_error: input: must be valid UTF-8 [input]");
    h.post(field("input", "x") + file("bad\xff", "x") + close());
    CHECK(h.outcome() == "422 validation_error: files[0].filename: must be valid UTF-8 [files]");
    h.post(field("input", "x") + field("unknown", "ignored") + close());
    CHECK(h.outcome() == "200");

    CHECK(h.stat({"tasks_created"}) == 1);
    CHECK(h.stat({"multipart_creates"}) == 1);
    CHECK(h.stat({"requests", "POST /api/tasks", "400"}) == 3);
    CHECK(h.stat({"requests", "POST /api/tasks", "415"}) == 1);
    CHECK(h.stat({"requests", "POST /api/tasks", "422"}) == 8);
}

TEST_CASE("multipart create: the library's limits, at each and one past")
{
    harness h;
    std::string at_count = field("input", "x");
    for (std::size_t i = 0; i < attachment::max_count; ++i)
        at_count += file("f" + std::to_string(i), "x");
    h.post(at_count + close());
    CHECK(h.outcome() == "200");
    h.post(at_count + file("one-more", "x") + close());
    CHECK(h.outcome() == "422 validation_error: files: at most 100 files (got 101) [files]");

    const std::string big(attachment::max_size, 'a');
    h.post(field("input", "x") + file("big", big) + close());
    CHECK(h.outcome() == "200");
    h.post(field("input", "x") + file("big", big + "a") + close());
    CHECK(h.outcome() ==
          "413 payload_too_large: files[0]: 26214401 bytes, more than the 26214400 a file may have [files]");

    const std::string half(attachment::max_total_size / 2, 'h');
    h.post(field("input", "x") + file("a", half) + file("b", half) + close());
    CHECK(h.outcome() == "200");
    h.post(field("input", "x") + file("a", half) + file("b", half + "h") + close());
    CHECK(h.outcome() ==
          "413 payload_too_large: files: 33554433 bytes in all, more than the 33554432 a create "
          "may carry [files]");
    CHECK(h.stat({"multipart_creates"}) == 3);
    CHECK(h.stat({"files_received"}) == 100 + 1 + 2);
}

TEST_CASE("tls: curl's own multipart/form-data forms, and a body past the server's limit")
{
    options o;
    o.max_form_body = 64 * 1024;
    sim_test::fixture f(o);
    const std::string notes = f.tmp().file("notes.txt");
    const std::string bin = f.tmp().file("say \"hi\" caf\xc3\xa9.bin"); // curl sends the file's own name
    std::string bytes;
    for (int i = 0; i < 256; ++i)
        bytes += static_cast<char>(i);
    std::ofstream(notes, std::ios::binary) << "some notes";
    std::ofstream(bin, std::ios::binary) << bytes;

    auto r = f.curl({.method = "POST",
                     .path = "/api/tasks",
                     .extra = {"-F", "input=from curl", "-F", "budget=high", "-F",
                               "files=@" + notes + ";type=text/plain", "-F", "files=@" + bin}});
    INFO(r.body << r.err);
    REQUIRE(r.status == 200);
    auto run = r.json();
    const auto& files = run.at("files").as_array();
    REQUIRE(files.size() == 2);
    CHECK(files[0].at("filename") == "notes.txt");
    CHECK(files[0].at("mediaType") == "text/plain");
    CHECK(files[0].at("size") == 10);
    CHECK(files[1].at("filename") == "say \"hi\" caf\xc3\xa9.bin"); // curl writes %22, as browsers do
    CHECK(files[1].at("size") == 256);
    CHECK(f.sim().file_content(std::string(files[1].at("url").as_string())) == bytes);
    const std::string id = r.header("x-sim-task-id");
    auto g = f.get("/api/tasks/" + id);
    REQUIRE(g.status == 200);
    CHECK(g.json().at("turns").at(0).at("files") == run.at("files"));
    auto s = f.stats();
    CHECK(sim_test::stat_of(s, {"multipart_creates"}) == 1);
    CHECK(sim_test::stat_of(s, {"files_received"}) == 2);

    // Past max_form_body: 413 from the Content-Length alone.
    const std::string large = f.tmp().file("large.bin");
    std::ofstream(large, std::ios::binary) << std::string(65 * 1024, 'z');
    // (Expect: 100-continue: curl waits for the answer before sending the
    // body, so the 413 is read before the server closes.)
    auto big = f.curl({.method = "POST",
                       .path = "/api/tasks",
                       .extra = {"-H", "Expect: 100-continue", "-F", "input=x", "-F", "files=@" + large}});
    INFO(big.body << big.err);
    CHECK(big.status == 413);
    CHECK(sim_test::str(big.json(), "message") == "body: more than 65536 bytes");
    CHECK(sim_test::stat_of(f.stats(), {"requests", "POST /api/tasks", "413"}) == 1);
    CHECK(sim_test::stat_of(f.stats(), {"multipart_creates"}) == 1);
}
