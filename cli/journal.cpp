#include "journal.hpp"

#include <handinger/task_id.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>

namespace handinger::cli {

namespace json = boost::json;

namespace {

constexpr std::string_view journal_name = "handinger tasks batch";

// The kinds of a line, in an input's state.
enum : unsigned { none = 0, sent_kind = 1, failed_kind = 2, done_kind = 3 };

std::uint64_t fingerprint(std::string_view task_id)
{
    std::uint64_t h = 0xcbf29ce484222325u; // FNV-1a
    for (unsigned char c : task_id)
        h = (h ^ c) * 0x100000001b3u;
    return h & ~std::uint64_t{3};
}

std::string errno_text()
{
    return std::strerror(errno);
}

} // namespace

std::unique_ptr<batch_journal> batch_journal::open(const std::string& path, std::string& problem)
{
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        problem = "cannot open journal " + path + ": " + errno_text();
        return nullptr;
    }
    std::unique_ptr<batch_journal> j(new batch_journal(fd, path));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        problem = errno == EWOULDBLOCK ? "journal " + path + " is in use by another run"
                                       : "cannot lock journal " + path + ": " + errno_text();
        return nullptr;
    }
    // Line by line (a journal of a million results is not held whole). A
    // last line cut short (a run killed while writing it) goes, so that the
    // next line starts a line of its own.
    const auto whole = j->read_lines(problem);
    if (!whole)
        return nullptr;
    if (const auto size = ::lseek(fd, 0, SEEK_END); size != static_cast<off_t>(*whole)) {
        // Only a journal's own line is cut: a file without a whole first
        // line is a journal whose header was cut, or not a journal at all.
        if (j->key_.empty() && !std::string_view("{\"journal\"").starts_with(j->cut_start_)) {
            problem = "journal " + path + ", line 1: not a journal of `handinger tasks batch`";
            return nullptr;
        }
        if (::ftruncate(fd, static_cast<off_t>(*whole)) != 0) {
            problem = "cannot truncate the cut line of journal " + path + ": " + errno_text();
            return nullptr;
        }
    }
    if (j->key_.empty()) { // a new journal (or one cut before its first line was whole)
        j->key_ = make_task_id();
        json::object h;
        h["journal"] = journal_name;
        h["version"] = 1;
        h["key"] = j->key_;
        try {
            j->append(json::serialize(h));
        } catch (const std::exception& e) {
            problem = e.what();
            return nullptr;
        }
    }
    return j;
}

batch_journal::~batch_journal()
{
    ::close(fd_); // (the lock goes with it)
}

std::optional<std::size_t> batch_journal::read_lines(std::string& problem)
{
    std::string pending; // the line being read
    std::size_t offset = 0, whole = 0, n = 0;
    auto buf = std::make_unique<char[]>(64 * 1024);
    for (;;) {
        const ssize_t got = ::pread(fd_, buf.get(), 64 * 1024, static_cast<off_t>(offset));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            problem = "cannot read journal " + path_ + ": " + errno_text();
            return std::nullopt;
        }
        if (got == 0) {
            cut_start_ = pending.substr(0, 10);
            return whole;
        }
        std::string_view data(buf.get(), static_cast<std::size_t>(got));
        for (auto nl = data.find('\n'); nl != std::string_view::npos; nl = data.find('\n')) {
            pending.append(data.substr(0, nl));
            if (!take(pending, ++n, problem))
                return std::nullopt;
            pending.clear();
            whole = offset + nl + 1;
            offset += nl + 1;
            data.remove_prefix(nl + 1);
        }
        pending.append(data);
        offset += data.size();
    }
}

bool batch_journal::take(std::string_view text, std::size_t at, std::string& problem)
{
    auto bad = [&](const std::string& why) {
        problem = "journal " + path_ + ", line " + std::to_string(at) + ": " + why;
        return false;
    };
    boost::system::error_code ec;
    const json::value v = json::parse(text, ec);
    if (ec || !v.is_object())
        return bad("not a JSON object");
    const auto& o = v.get_object();
    if (at == 1) {
        const auto* name = o.if_contains("journal");
        const auto* key = o.if_contains("key");
        if (!name || !name->is_string() || name->get_string() != journal_name || !key || !key->is_string() ||
            key->get_string().empty())
            return bad("not a journal of `handinger tasks batch`");
        key_ = std::string(key->get_string());
        return true;
    }
    const auto* line = o.if_contains("line");
    if (!line || !line->is_int64() || line->get_int64() < 1)
        return bad("no \"line\"");
    const auto n = static_cast<std::size_t>(line->get_int64());
    if (const auto* id = o.if_contains("sent"); id && id->is_string()) {
        note(n, id->get_string(), sent_kind);
        return true;
    }
    const auto* id = o.if_contains("taskId");
    if (!id || !id->is_string())
        return bad("neither \"sent\" nor \"taskId\"");
    const bool done = !o.contains("error");
    done_at_open_ += done;
    note(n, id->get_string(), done ? done_kind : failed_kind);
    return true;
}

void batch_journal::note(std::size_t line, std::string_view task_id, unsigned kind)
{
    if (state_.size() < line)
        state_.resize(line);
    state_[line - 1] = fingerprint(task_id) | kind;
}

batch_resume batch_journal::resume(std::size_t line, std::string_view task_id) const
{
    if (line == 0 || line > state_.size() || state_[line - 1] == none)
        return batch_resume::submit; // never sent
    const auto s = state_[line - 1];
    if ((s & 3) == done_kind && (s & ~std::uint64_t{3}) == fingerprint(task_id))
        return batch_resume::skip;
    // Sent and maybe arrived; failed; or sent for another text of the line:
    // only the service knows whether this id's task exists.
    return batch_resume::check_first;
}

void batch_journal::sent(std::size_t line, std::string_view task_id)
{
    json::object o;
    o["line"] = line;
    o["sent"] = task_id;
    append(json::serialize(o));
}

void batch_journal::result(const json::object& r)
{
    append(json::serialize(r));
}

void batch_journal::append(std::string text)
{
    text += '\n';
    // One write(2) for the whole line (a short one is finished): once it
    // returns, the line survives this process whatever kills it.
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw std::runtime_error("cannot write journal " + path_ + ": " + errno_text());
        done += static_cast<std::size_t>(n);
    }
}

} // namespace handinger::cli
