// What the tool does when its output cannot be written: a reader that went
// away (a closed pipe; SIGPIPE is ignored by the tool) and a full device.
#include "cli/cli_support.hpp"

using namespace cli_test;

TEST_CASE("tasks watch stops soon after its reader goes away")
{
    // `handinger tasks watch ID | head -n 1`: once head has exited every
    // write fails with EPIPE; the tool ignores SIGPIPE, so it must notice the
    // failed writes itself instead of watching a long task to its end.
    cli_fixture f;
    auto id = f.create("a long one #pending-ms:0 #turns:16 #turn-ms:250"); // about 4 s
    auto r = run_process({"sh", "-c", "\"$0\" \"$@\" | head -n 1", cli_exe(), "tasks", "watch", id}, f.env(),
                         std::nullopt, 30s);
    INFO(r.dump());
    CHECK(r.out_lines().size() == 1);
    CHECK(starts_with(r.out, "status: running\n"));
    CHECK(r.elapsed < 2500ms);
}

TEST_CASE("output that cannot be written is not reported as success")
{
    // stdout on /dev/full: every write fails with ENOSPC. The result was
    // lost, so the exit status must not say 0.
    cli_fixture f;
    auto id = f.create_finished("to a full disk");
    auto to_full = [&](std::vector<std::string> args, const std::optional<std::string>& in = std::nullopt) {
        args.insert(args.begin(), {"sh", "-c", "exec \"$0\" \"$@\" >/dev/full", cli_exe()});
        return run_process(args, f.env(), in);
    };
    for (const char* format : {"pretty", "json", "jsonl"}) {
        INFO("tasks get --format ", std::string(format));
        auto r = to_full({"tasks", "get", id, "--format", format});
        INFO(r.dump());
        CHECK(r.status != 0);
        CHECK_FALSE(r.err.empty());
    }
    auto b = to_full({"tasks", "batch", "-"}, std::string("{\"input\":\"lost result\"}\n"));
    INFO(b.dump());
    CHECK(b.status != 0);

    // The same commands to a file: fine.
    auto ok = f.run({"tasks", "get", id});
    INFO(ok.dump());
    CHECK(ok.status == 0);
}
