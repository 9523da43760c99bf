// Creates with files against the simulator over verified TLS: from memory
// and from paths, binary content with every byte value, an empty file,
// filenames with a quote and non-ASCII, each listed on the task's turn by
// retrieve and stored byte for byte; a missing file and one past the limit
// refused before any request; a create with files whose answer is lost is
// checked, not sent twice, and one refused with a 503 is resent whole.
#include "client/support.hpp"
#include "temp_dir.hpp"

#include <handinger/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace test_support;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace hd = handinger;
using boost::system::error_code;

namespace {

constexpr auto tup = asio::as_tuple(asio::use_awaitable);

std::string all_bytes()
{
    std::string s;
    for (int i = 0; i < 256; ++i)
        s += static_cast<char>(i);
    return s;
}

struct outcome {
    error_code ec;
    hd::diagnostics d;
    hd::create_result r;
    hd::task_with_turns t; ///< retrieved after the create, when it succeeded
};

// Creates `p` (error_code form), then retrieves the task when it succeeded.
outcome create_and_get(sim_fixture& f, hd::create_task_params p, hd::request_options ro = {})
{
    test_io ioc;
    hd::client c(ioc, f.copts);
    outcome out;
    auto body = [&]() -> asio::awaitable<void> {
        auto [ec, r] = co_await c.async_create(p, ro, out.d, tup);
        out.ec = ec;
        out.r = std::move(r);
        if (!ec)
            out.t = co_await c.async_retrieve(out.r.task_id);
    };
    run(ioc, body(), 20s);
    return out;
}

hd::create_task_params params(std::string input, std::vector<hd::attachment> files)
{
    hd::create_task_params p;
    p.input = std::move(input);
    p.files = std::move(files);
    return p;
}

// Each listed file against what was sent: name, type, size, the bytes stored.
void check_listed(const sim_fixture& f, const std::vector<hd::turn_file>& listed,
                  const std::vector<std::pair<hd::attachment, std::string>>& sent)
{
    REQUIRE(listed.size() == sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) {
        INFO("file " << i);
        const auto& [a, bytes] = sent[i];
        CHECK(listed[i].filename == a.filename);
        CHECK(listed[i].media_type == (a.content_type.empty() ? "application/octet-stream" : a.content_type));
        CHECK(listed[i].size == static_cast<std::int64_t>(bytes.size()));
        CHECK(f.sim.file_content(listed[i].url) == bytes);
    }
}

} // namespace

TEST_CASE("files: one from memory, listed on the run and on the task's turn")
{
    sim_fixture f;
    auto a = hd::attachment::from_memory("notes.txt", "remember the milk");
    auto o = create_and_get(f, params("read my notes", {a}));
    REQUIRE_FALSE(o.ec);
    CHECK(o.d.attempts == 1);
    check_listed(f, o.r.run.files, {{a, a.content}});
    REQUIRE_FALSE(o.t.turns.empty());
    CHECK(o.t.turns[0].input == "read my notes");
    CHECK(o.t.turns[0].files == o.r.run.files);
    CHECK(f.stat("multipart_creates") == 1);
    CHECK(f.stat("files_received") == 1);
    CHECK(f.stat("tasks_created") == 1);
}

TEST_CASE("files: several from paths, binary with every byte value and an empty one, throwing form")
{
    sim_fixture f;
    test_files::temp_dir dir;
    const std::string bin = all_bytes() + all_bytes();
    auto text = hd::attachment::from_path(dir.write("data.csv", "a,b\n1,2\n"));
    auto binary = hd::attachment::from_path(dir.write("blob.bin", bin), "", "application/x-blob");
    auto empty = hd::attachment::from_path(dir.write("empty", ""));
    test_io ioc;
    hd::client c(ioc, f.copts);
    hd::create_result r;
    hd::task_with_turns t;
    auto p = params("look at these", {text, binary, empty});
    auto body = [&]() -> asio::awaitable<void> {
        r = co_await c.async_create(p);
        t = co_await c.async_retrieve(r.task_id);
    };
    run(ioc, body());
    check_listed(f, r.run.files, {{text, "a,b\n1,2\n"}, {binary, bin}, {empty, ""}});
    REQUIRE_FALSE(t.turns.empty());
    check_listed(f, t.turns[0].files, {{text, "a,b\n1,2\n"}, {binary, bin}, {empty, ""}});
    CHECK(r.run.files[0].media_type == "text/csv");
    CHECK(r.run.files[1].filename == "blob.bin");
    CHECK(f.stat("file_bytes_received") == static_cast<long long>(8 + bin.size()));
}

TEST_CASE("files: a filename with a quote and non-ASCII arrives as it was given")
{
    sim_fixture f;
    auto a = hd::attachment::from_memory(
        "say \"hi\" \xe2\x80\x94 r\xc3\xa9sum\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.txt", "x");
    auto b = hd::attachment::from_memory("100% sure; name=\"files\".md", "y");
    auto o = create_and_get(f, params("names", {a, b}));
    REQUIRE_FALSE(o.ec);
    check_listed(f, o.r.run.files, {{a, "x"}, {b, "y"}});
    REQUIRE_FALSE(o.t.turns.empty());
    CHECK(o.t.turns[0].files == o.r.run.files);
}

TEST_CASE("files: a file that does not exist is refused before any request, naming it")
{
    sim_fixture f;
    test_files::temp_dir dir;
    const auto missing = dir.file("nope.txt");
    auto o = create_and_get(
        f, params("x", {hd::attachment::from_memory("ok", "ok"), hd::attachment::from_path(missing)}));
    CHECK(o.ec == hd::error::invalid_argument);
    CHECK(o.d.client_message == "files[1]: cannot read " + missing + ": No such file or directory");
    CHECK(o.d.attempts == 0);
    CHECK(f.api_requests() == 0);

    // With a task id of the caller's, not even the look for the task first.
    auto p = params("x", {hd::attachment::from_path(missing)});
    p.task_id = "tsk_mine";
    auto q = create_and_get(f, p);
    CHECK(q.ec == hd::error::invalid_argument);
    CHECK(f.api_requests() == 0);
}

TEST_CASE("files: one past the size limit, or past the total, is refused before any request")
{
    sim_fixture f;
    test_files::temp_dir dir;
    const auto path = dir.sized("big.bin", hd::attachment::max_size + 1);
    auto o = create_and_get(f, params("x", {hd::attachment::from_path(path)}));
    CHECK(o.ec == hd::error::invalid_argument);
    CHECK(o.d.client_message == "files[0]: 26214401 bytes, more than the 26214400 a file may have");

    const auto at_limit = dir.sized("at.bin", hd::attachment::max_size);
    auto too_much = params("x", {hd::attachment::from_path(at_limit),
                                 hd::attachment::from_memory("m", std::string(7u << 20, 'm')),
                                 hd::attachment::from_memory("one", "1")});
    auto q = create_and_get(f, too_much);
    CHECK(q.ec == hd::error::invalid_argument);
    CHECK(q.d.client_message == "files: 33554433 bytes in all, more than the 33554432 a create may carry");
    CHECK(f.api_requests() == 0);
}

TEST_CASE("files: a create whose answer is lost is checked and not sent twice")
{
    sim_fixture f;
    auto a = hd::attachment::from_memory("keep.bin", all_bytes());
    auto o = create_and_get(f, params("lost with a file #fault:lost #pending-ms:3000", {a}));
    REQUIRE_FALSE(o.ec);
    CHECK(o.r.recovered);
    CHECK(o.d.attempts == 1);
    CHECK(f.requests("POST /api/tasks") == 1);
    CHECK(f.stat("posts") == 1);
    CHECK(f.stat("duplicate_posts") == 0);
    CHECK(f.stat("multipart_creates") == 1);
    CHECK(f.faults("lost") == 1);
    REQUIRE_FALSE(o.t.turns.empty());
    check_listed(f, o.t.turns[0].files, {{a, all_bytes()}});
}

TEST_CASE("files: a create refused with 503 is resent whole, the files arrive once")
{
    sim_fixture f;
    auto a = hd::attachment::from_memory("again.bin", all_bytes());
    auto o = create_and_get(f, params("refused first #fault:503", {a}));
    REQUIRE_FALSE(o.ec);
    CHECK_FALSE(o.r.recovered);
    CHECK(o.d.attempts == 2);
    CHECK(f.requests("POST /api/tasks", "503") == 1);
    CHECK(f.requests("POST /api/tasks", "200") == 1);
    CHECK(f.stat("multipart_creates") == 1);
    CHECK(f.stat("files_received") == 1);
    check_listed(f, o.r.run.files, {{a, all_bytes()}});
}

TEST_CASE("files: a follow-up with files lists them on its own turn")
{
    sim_fixture f;
    auto first = create_and_get(f, params("first", {hd::attachment::from_memory("one.txt", "1")}));
    REQUIRE_FALSE(first.ec);
    auto p = params("second", {hd::attachment::from_memory("two.txt", "22")});
    p.task_id = first.r.task_id;
    auto o = create_and_get(f, p);
    REQUIRE_FALSE(o.ec);
    const hd::turn* second = nullptr;
    for (const auto& t : o.t.turns)
        if (t.input == "second")
            second = &t;
    REQUIRE(second);
    REQUIRE(second->files.size() == 1);
    CHECK(second->files[0].filename == "two.txt");
    CHECK(o.t.turns[0].files.size() == 1);
    CHECK(o.t.turns[0].files[0].filename == "one.txt");
    CHECK(f.stat("followup_turns") == 1);
}
