// `tasks batch --journal J`: what a batch has sent and what came back, one
// JSON line each, so that a run killed half-way can be run again without
// sending any input twice.
//
// The file, appended to with one write(2) per line (nothing is buffered in
// this process, so SIGKILL loses nothing written; no fsync: a power loss
// may lose the last lines, and a lost "sent" line lets its input be sent
// again without the check):
//   {"journal":"handinger tasks batch","version":1,"key":"tsk_..."}   first line
//   {"line":N,"sent":"tsk_..."}      written before input line N's create is sent
//   {"line":N,"ok":...,"taskId":...} input line N's result, as printed on stdout
// The key names the batch: each input's task id is
// derive_task_id(key, N - 1, input) (<handinger/task_id.hpp>). On a re-run,
// an input whose latest line is a result without "error" for that same id
// is done (skipped); one with any other line is looked for before it is
// sent (batch_resume::check_first); the rest are sent. A last line cut
// short (killed mid-write) is dropped when the journal is opened. Another
// process running on the same journal is refused (flock).
#pragma once

#include <handinger/batch.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace handinger::cli {

class batch_journal {
public:
    /// Opens the journal at `path`, creating it (with a new key) when it is
    /// missing or empty; nullptr and `problem` set when it cannot be used.
    static std::unique_ptr<batch_journal> open(const std::string& path, std::string& problem);
    ~batch_journal();
    batch_journal(const batch_journal&) = delete;
    batch_journal& operator=(const batch_journal&) = delete;

    /// The batch's key (for batch_options::id_key).
    const std::string& key() const { return key_; }
    /// What to do with input line `line` whose task id is `task_id`.
    batch_resume resume(std::size_t line, std::string_view task_id) const;
    /// Results without an error found when the journal was opened.
    std::size_t done_at_open() const { return done_at_open_; }

    /// Notes that input line `line` is about to be sent. Throws
    /// std::runtime_error when the line cannot be written.
    void sent(std::size_t line, std::string_view task_id);
    /// Appends a result line (the object printed on stdout). Throws
    /// std::runtime_error when it cannot be written.
    void result(const boost::json::object& r);

private:
    batch_journal(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    // Reads every whole line; the offset after the last one, or nullopt and
    // `problem`.
    std::optional<std::size_t> read_lines(std::string& problem);
    bool take(std::string_view text, std::size_t at, std::string& problem);
    void note(std::size_t line, std::string_view task_id, unsigned state);
    void append(std::string text);

    int fd_;
    std::string path_;
    std::string key_;
    // By input line - 1: a fingerprint of the task id of the input's latest
    // journal line, its low two bits that line's kind (0: none).
    std::vector<std::uint64_t> state_;
    std::size_t done_at_open_ = 0;
    std::string cut_start_; // the start of a last line cut short
};

} // namespace handinger::cli
