#include "runtime/transcript.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace ossa::runtime {
namespace {

std::string errno_text() { return std::strerror(errno); }

}  // namespace

long long now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

TranscriptContents read_transcript(const std::string& path) {
  // Never through a link: a transcript folder inside the workspace is writable by sandboxed
  // code, which could point a transcript at another file.
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) throw TranscriptError(path + ": cannot open transcript: " + errno_text());
  std::string data;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);

  TranscriptContents out;
  std::size_t pos = 0;
  std::size_t line_no = 0;
  while (pos < data.size()) {
    ++line_no;
    std::size_t nl = data.find('\n', pos);
    bool complete = nl != std::string::npos;
    std::size_t end = complete ? nl : data.size();
    std::string_view line(data.data() + pos, end - pos);
    if (!complete) {
      // Only a line without its newline can be a write a crash interrupted (one write() per
      // line, newline included).
      out.torn_tail = true;
      return out;
    }
    Event ev = Event::parse(line, nullptr, /*allow_exceptions=*/false);
    if (ev.is_discarded() || !ev.is_object())
      throw TranscriptError(path + ":" + std::to_string(line_no) +
                            ": not a transcript line (a complete line that is not a JSON object)");
    out.events.push_back(std::move(ev));
    pos = nl + 1;
    out.valid_bytes = pos;
  }
  return out;
}

void check_transcript(const TranscriptContents& t, const std::string& path) {
  if (t.events.empty() || t.events.front().value("type", "") != "session_start" ||
      !t.events.front().contains("id") || !t.events.front()["id"].is_string())
    throw TranscriptError(path + ": not an ossa transcript (it does not start with a "
                                 "session_start line); left untouched");
}

std::string transcript_session_id(const TranscriptContents& t) {
  if (t.events.empty() || !t.events.front().contains("id") || !t.events.front()["id"].is_string())
    return {};
  return t.events.front()["id"].get<std::string>();
}

std::vector<Event> transcript_messages(const TranscriptContents& t) {
  std::vector<Event> msgs;
  for (const auto& ev : t.events) {
    const std::string type = ev.value("type", "");
    if (type == "message" && ev.contains("message")) msgs.push_back(ev["message"]);
    // A later system message (chat's /effort) stands in place of the first.
    if (type == "system_message" && ev.contains("message") && !msgs.empty()) msgs.front() = ev["message"];
  }
  return msgs;
}

std::string new_session_id() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  std::random_device rd;
  std::ostringstream s;
  s << buf << "-" << std::hex;
  s.width(8);
  s.fill('0');
  s << rd();
  return s.str();
}

std::string transcript_path(const std::string& dir, const std::string& id_or_path) {
  if (id_or_path.find('/') != std::string::npos ||
      (id_or_path.size() > 6 && id_or_path.compare(id_or_path.size() - 6, 6, ".jsonl") == 0))
    return id_or_path;
  return dir + "/" + id_or_path + ".jsonl";
}

namespace {

void sync_parent(const std::filesystem::path& p) {
  std::filesystem::path dir = p.has_parent_path() ? p.parent_path() : ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

// An exclusive lock for the life of the fd: a second writer gets a clear error, not an
// interleaved conversation.
void lock_or_throw(int fd, const std::string& path) {
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return;
  std::string e = errno == EWOULDBLOCK ? "it is in use by another ossa process"
                                       : "cannot lock it: " + errno_text();
  ::close(fd);
  throw TranscriptError(path + ": " + e);
}

}  // namespace

TranscriptWriter TranscriptWriter::create_staged(const std::string& path) {
  std::filesystem::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  if (ec) throw TranscriptError(p.parent_path().string() + ": cannot create folder: " + ec.message());
  if (std::filesystem::exists(p, ec)) throw TranscriptError(path + ": already exists");
  // Unique per process and attempt; a crash leaves only this temporary file, never a
  // transcript without its opening.
  std::string staged = path + "." + std::to_string(::getpid()) + "." +
                       std::to_string(now_ms()) + ".partial";
  int fd = ::open(staged.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw TranscriptError(staged + ": cannot create transcript: " + errno_text());
  lock_or_throw(fd, staged);
  return TranscriptWriter(fd, path, staged);
}

TranscriptWriter TranscriptWriter::create(const std::string& path) {
  TranscriptWriter w = create_staged(path);
  w.publish();
  return w;
}

void TranscriptWriter::publish() {
  if (staged_.empty()) return;
  sync();
  // link() refuses an existing name, unlike rename(): a session never replaces another's file.
  if (::link(staged_.c_str(), path_.c_str()) != 0) {
    std::string e = errno_text();
    ::unlink(staged_.c_str());
    throw TranscriptError(path_ + ": cannot create transcript: " + e);
  }
  ::unlink(staged_.c_str());
  staged_.clear();
  sync_parent(path_);
}

TranscriptWriter TranscriptWriter::open_existing(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) throw TranscriptError(path + ": cannot open transcript: " + errno_text());
  lock_or_throw(fd, path);
  TranscriptContents c;
  try {
    c = read_transcript(path);
    check_transcript(c, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (c.torn_tail) {
    if (::ftruncate(fd, static_cast<off_t>(c.valid_bytes)) != 0) {
      std::string e = errno_text();
      ::close(fd);
      throw TranscriptError(path + ": cannot cut the torn last line: " + e);
    }
    ::fsync(fd);
  }
  return TranscriptWriter(fd, path);
}

TranscriptWriter::TranscriptWriter(TranscriptWriter&& o) noexcept
    : fd_(o.fd_), path_(std::move(o.path_)), staged_(std::move(o.staged_)) {
  o.fd_ = -1;
  o.staged_.clear();
}

TranscriptWriter& TranscriptWriter::operator=(TranscriptWriter&& o) noexcept {
  if (this != &o) {
    if (!staged_.empty()) ::unlink(staged_.c_str());
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    staged_ = std::move(o.staged_);
    o.fd_ = -1;
    o.staged_.clear();
  }
  return *this;
}

TranscriptWriter::~TranscriptWriter() {
  // A staged transcript never published (the opening failed) is not a session.
  if (!staged_.empty()) ::unlink(staged_.c_str());
  if (fd_ >= 0) ::close(fd_);
}

void TranscriptWriter::append(Event event, bool do_sync) {
  if (fd_ < 0) throw TranscriptError("transcript is closed");
  if (!event.contains("time")) event["time"] = now_ms();
  // Invalid UTF-8 from the model must not make the record unwritable: replace it.
  std::string line = event.dump(-1, ' ', false, Event::error_handler_t::replace);
  line.push_back('\n');
  // One write() per line with O_APPEND: a crash leaves at most the last line torn.
  std::size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw TranscriptError(path_ + ": write failed: " + errno_text());
    }
    off += static_cast<std::size_t>(n);
  }
  if (do_sync) sync();
}

void TranscriptWriter::sync() {
  if (fd_ >= 0 && ::fdatasync(fd_) != 0)
    throw TranscriptError(path_ + ": fsync failed: " + errno_text());
}

}  // namespace ossa::runtime
