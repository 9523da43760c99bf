// A create's files without sockets: the factories, validate() at every limit
// and one past it, and load_attachments() reading files given by path
// (refusing a missing one, a directory, one too big, too many bytes in all,
// before reading any).
#include "temp_dir.hpp"

#include <handinger/models.hpp>

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

using namespace handinger;

namespace {

create_task_params with_files(std::vector<attachment> files)
{
    create_task_params p;
    p.input = "go";
    p.files = std::move(files);
    return p;
}

std::string check(std::vector<attachment> files)
{
    return validate(with_files(std::move(files)));
}

std::string filename_check(std::string name)
{
    return check({attachment::from_memory(std::move(name), "x")});
}

std::string type_check(std::string type)
{
    return check({attachment::from_memory("f", "x", std::move(type))});
}

} // namespace

TEST_CASE("attachment: from_memory and from_path, with the media type guessed from the extension")
{
    auto m = attachment::from_memory("Report.PDF", "%PDF");
    CHECK(m.filename == "Report.PDF");
    CHECK(m.content == "%PDF");
    CHECK(m.content_type == "application/pdf");
    CHECK_FALSE(m.path);
    CHECK(attachment::from_memory("notes", "x").content_type.empty());   // no extension
    CHECK(attachment::from_memory("a.weird", "x").content_type.empty()); // unknown
    CHECK(attachment::from_memory("a.csv", "x", "text/plain").content_type == "text/plain");
    CHECK(attachment::from_memory("a.tar.gz.json", "x").content_type == "application/json");

    // No I/O: a path that does not exist is fine until the create reads it.
    auto p = attachment::from_path("/no/such/dir/data.csv");
    CHECK(p.filename == "data.csv");
    CHECK(p.content_type == "text/csv");
    CHECK(p.content.empty());
    REQUIRE(p.path);
    CHECK(*p.path == "/no/such/dir/data.csv");
    auto q = attachment::from_path("x/y.bin", "shown.txt", "application/x-mine");
    CHECK(q.filename == "shown.txt");
    CHECK(q.content_type == "application/x-mine");
}

TEST_CASE("attachment validate: count, sizes and total at their bounds and one past")
{
    CHECK(check({}).empty());
    std::vector<attachment> many(attachment::max_count, attachment::from_memory("f", "x"));
    CHECK(check(many).empty());
    many.push_back(attachment::from_memory("f", "x"));
    CHECK(check(many) == "files: at most 100 files (got 101)");

    CHECK(check({attachment::from_memory("big", std::string(attachment::max_size, 'a'))}).empty());
    CHECK(check({attachment::from_memory("ok", ""),
                 attachment::from_memory("big", std::string(attachment::max_size + 1, 'a'))}) ==
          "files[1]: 26214401 bytes, more than the 26214400 a file may have");

    const std::size_t half = attachment::max_total_size / 2;
    CHECK(check({attachment::from_memory("a", std::string(half, 'a')),
                 attachment::from_memory("b", std::string(half, 'b'))})
              .empty());
    CHECK(check({attachment::from_memory("a", std::string(half, 'a')),
                 attachment::from_memory("b", std::string(half + 1, 'b'))}) ==
          "files: 33554433 bytes in all, more than the 33554432 a create may carry");
    // A file by path is measured when it is read, not here.
    CHECK(check({attachment::from_memory("a", std::string(attachment::max_size, 'a')),
                 attachment::from_path("/whatever/b")})
              .empty());
    attachment empty_path = attachment::from_path("x");
    empty_path.path = "";
    CHECK(check({empty_path}) == "files[0].path: must not be empty");
}

TEST_CASE("attachment validate: filenames")
{
    CHECK(filename_check(std::string(attachment::max_filename_size, 'n')).empty());
    CHECK(filename_check(std::string(attachment::max_filename_size + 1, 'n')) ==
          "files[0].filename: must be at most 255 bytes (got 256)");
    CHECK(filename_check("") == "files[0].filename: must be at least 1 byte");
    CHECK(filename_check("say \"hi\".txt").empty()); // written %22
    CHECK(filename_check("r\xc3\xa9sum\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.pdf").empty());
    CHECK(filename_check("a\rb") == "files[0].filename: must not contain CR or LF");
    CHECK(filename_check("a\nb") == "files[0].filename: must not contain CR or LF");
    CHECK(filename_check(std::string("a\0b", 3)) == "files[0].filename: must not contain control characters");
    CHECK(filename_check("a\tb") == "files[0].filename: must not contain control characters");
    CHECK(filename_check("a\x7f") == "files[0].filename: must not contain control characters");
    CHECK(filename_check("\xff.txt") == "files[0].filename: must be valid UTF-8");
    for (std::string seq : {"%22", "%0D", "%0A"}) {
        CAPTURE(seq);
        CHECK(filename_check("a" + seq + ".txt").find("must not contain \"" + seq + "\"") !=
              std::string::npos);
    }
    CHECK(filename_check("100%.txt").empty());
    CHECK(filename_check("%0d%0a%2a").empty()); // (decoded in upper case only, as the HTML standard does)
    CHECK(check({attachment::from_memory("ok", "x"), attachment::from_memory("", "x")}) ==
          "files[1].filename: must be at least 1 byte");
}

TEST_CASE("attachment validate: content types")
{
    CHECK(type_check("text/plain").empty());
    CHECK(type_check("text/plain; charset=utf-8").empty());
    CHECK(type_check("application/vnd.ms-excel").empty());
    std::string longest = "a/" + std::string(attachment::max_content_type_size - 2, 'b');
    CHECK(type_check(longest).empty());
    CHECK(type_check(longest + "b") == "files[0].content_type: must be at most 255 bytes (got 256)");
    for (std::string bad : {"text", "/plain", "text/", "te xt/plain", "text/pl@in", "text;a=b/c"}) {
        CAPTURE(bad);
        CHECK(type_check(bad) ==
              "files[0].content_type: must be a media type such as text/plain (got \"" + bad + "\")");
    }
    CHECK(type_check("text/plain\r\nX: y") == "files[0].content_type: must be printable ASCII");
    CHECK(type_check("text/pl\xc3\xa4in") == "files[0].content_type: must be printable ASCII");
}

TEST_CASE("load_attachments: reads each path's file and clears the path, memory files stay")
{
    test_files::temp_dir s;
    std::string bin;
    for (int i = 0; i < 256; ++i)
        bin += static_cast<char>(i);
    auto p = with_files({attachment::from_path(s.write("a.bin", bin)), attachment::from_memory("m", "mem"),
                         attachment::from_path(s.write("empty.txt", ""))});
    CHECK(load_attachments(p).empty());
    CHECK(p.files[0].content == bin);
    CHECK_FALSE(p.files[0].path);
    CHECK(p.files[0].filename == "a.bin");
    CHECK(p.files[1].content == "mem");
    CHECK(p.files[2].content.empty());
    CHECK_FALSE(p.files[2].path);
    CHECK(p.files[2].content_type == "text/plain");
    CHECK(load_attachments(p).empty()); // (nothing left to read)
}

TEST_CASE("load_attachments: a missing file, a directory, a fifo: refused naming the file")
{
    test_files::temp_dir s;
    const auto ok = s.write("ok.txt", "fine");
    const auto missing = s.file("missing.txt");
    auto p = with_files({attachment::from_path(ok), attachment::from_path(missing)});
    CHECK(load_attachments(p) == "files[1]: cannot read " + missing + ": No such file or directory");
    CHECK(p.files[0].content.empty()); // nothing read before every file was found

    auto d = with_files({attachment::from_path(s.path(), "dir")});
    CHECK(load_attachments(d) == "files[0]: cannot read " + s.path() + ": it is a directory");

    const auto fifo = s.file("fifo");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    auto f = with_files({attachment::from_path(fifo)});
    CHECK(load_attachments(f) == "files[0]: cannot read " + fifo + ": it is not a regular file");

    auto bad = with_files({attachment::from_path(ok, "a\nb")});
    CHECK(load_attachments(bad) == "files[0].filename: must not contain CR or LF"); // validated first
}

TEST_CASE("load_attachments: a file past its limit, or past the total, is refused before any is read")
{
    test_files::temp_dir s;
    const auto small = s.write("small.txt", "abc");
    const auto at_limit = s.sized("at.bin", attachment::max_size);
    const auto past = s.sized("past.bin", attachment::max_size + 1);
    auto p = with_files({attachment::from_path(small), attachment::from_path(past)});
    CHECK(load_attachments(p) == "files[1]: 26214401 bytes, more than the 26214400 a file may have");
    CHECK(p.files[0].content.empty());
    CHECK(p.files[0].path);

    // 25 MiB and 7 MiB: the total exactly; one more byte in memory is one past it.
    const auto seven = s.sized("seven.bin", attachment::max_total_size - attachment::max_size);
    auto q = with_files({attachment::from_path(at_limit), attachment::from_path(seven)});
    CHECK(load_attachments(q).empty());
    CHECK(q.files[0].content.size() == attachment::max_size);
    CHECK(q.files[1].content.size() == attachment::max_total_size - attachment::max_size);

    auto r = with_files(
        {attachment::from_path(at_limit), attachment::from_memory("one", "1"), attachment::from_path(seven)});
    CHECK(load_attachments(r) == "files: 33554433 bytes in all, more than the 33554432 a create may carry");
    CHECK(r.files[0].content.empty());
    CHECK(r.files[2].path);
}
