// `handinger tasks create --file PATH` (repeatable): the files go with the
// create (listed on the run and on the task's first turn, stored byte for
// byte), with --wait too; a file that cannot be read or is past a limit is
// bad input (exit 2) named on one line, before any request.
#include "cli/cli_support.hpp"

#include <handinger/models.hpp>

using namespace cli_test;

TEST_CASE("tasks create --file: each file is sent, listed on the run in the JSON output")
{
    cli_fixture f;
    temp_dir d;
    std::string bytes;
    for (int i = 0; i < 256; ++i)
        bytes += static_cast<char>(i);
    const auto notes = d.write("notes.md", "# notes\n");
    const auto bin = d.write("blob \"1\".bin", bytes);
    auto r = f.run(
        {"tasks", "create", "--input", "read them", "--file", notes, "--format", "jsonl", "--file", bin});
    INFO(r.dump());
    CHECK(r.status == 0);
    CHECK(r.err.empty());
    auto v = parse_doc(r.out);
    const auto& files = v.at("run").at("files").as_array();
    REQUIRE(files.size() == 2);
    CHECK(str_at(files[0], "filename") == "notes.md");
    CHECK(str_at(files[0], "mediaType") == "text/markdown");
    CHECK(files[0].at("size").as_int64() == 8);
    CHECK(str_at(files[1], "filename") == "blob \"1\".bin");
    CHECK(files[1].at("size").as_int64() == 256);
    CHECK(f.fx.sim.file_content(str_at(files[1], "url")) == bytes);
    CHECK(f.fx.stat("multipart_creates") == 1);
    CHECK(f.fx.stat("files_received") == 2);

    // Plain output: as without files.
    auto p = f.run({"tasks", "create", "--input", "plain", "--file", notes});
    INFO(p.dump());
    CHECK(p.status == 0);
    CHECK(starts_with(p.out, "created tsk_"));
    CHECK(f.fx.stat("multipart_creates") == 2);
}

TEST_CASE("tasks create --file --wait: the final snapshot lists the files on the first turn")
{
    cli_fixture f;
    temp_dir d;
    const auto empty = d.write("empty.txt", "");
    auto r = f.run(
        {"tasks", "create", "--input", "wait with a file", "--file", empty, "--wait", "--format", "jsonl"});
    INFO(r.dump());
    CHECK(r.status == 0);
    auto v = parse_doc(r.out);
    CHECK(str_at(v.at("task"), "status") == "completed");
    const auto& files = v.at("turns").at(0).at("files").as_array();
    REQUIRE(files.size() == 1);
    CHECK(str_at(files[0], "filename") == "empty.txt");
    CHECK(files[0].at("size").as_int64() == 0);
}

TEST_CASE("tasks create --file: a missing file, a directory, one too big: exit 2, one line, no request")
{
    cli_fixture f;
    temp_dir d;
    const auto ok = d.write("ok.txt", "ok");
    const auto missing = d.file("missing.txt");
    auto r = f.run({"tasks", "create", "--input", "x", "--file", ok, "--file", missing});
    INFO(r.dump());
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(r.err ==
          "handinger: invalid task: files[1]: cannot read " + missing + ": No such file or directory\n");

    auto dir = f.run({"tasks", "create", "--input", "x", "--file", d.path(), "--wait"});
    INFO(dir.dump());
    CHECK(dir.status == 2);
    CHECK(dir.err_lines().size() == 1);
    CHECK(contains(dir.err, "it is a directory"));

    const auto big = d.sized("big.bin", handinger::attachment::max_size + 1);
    auto b = f.run({"tasks", "create", "--input", "x", "--file", big, "--watch"});
    INFO(b.dump());
    CHECK(b.status == 2);
    CHECK(b.err ==
          "handinger: invalid task: files[0]: 26214401 bytes, more than the 26214400 a file may have\n");

    auto no_value = f.run({"tasks", "create", "--input", "x", "--file"});
    INFO(no_value.dump());
    CHECK(no_value.status == 2);
    CHECK(f.fx.api_requests() == 0);
}
