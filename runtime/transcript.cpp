#include "runtime/transcript.hpp"

#include <fcntl.h>
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
    Event ev = Event::parse(line, nullptr, /*allow_exceptions=*/false);
    bool ok = !ev.is_discarded() && ev.is_object();
    if (!ok || !complete) {
      // Only the last line may be broken: it is the one a crash interrupted.
      bool last = !complete || nl + 1 >= data.size();
      if (last) {
        out.torn_tail = true;
        return out;
      }
      throw TranscriptError(path + ":" + std::to_string(line_no) +
                            ": corrupt transcript line (not the last line)");
    }
    out.events.push_back(std::move(ev));
    pos = nl + 1;
    out.valid_bytes = pos;
  }
  return out;
}

std::vector<Event> transcript_messages(const TranscriptContents& t) {
  std::vector<Event> msgs;
  for (const auto& ev : t.events)
    if (ev.value("type", "") == "message" && ev.contains("message")) msgs.push_back(ev["message"]);
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

TranscriptWriter TranscriptWriter::create(const std::string& path) {
  std::filesystem::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  if (ec) throw TranscriptError(p.parent_path().string() + ": cannot create folder: " + ec.message());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw TranscriptError(path + ": cannot create transcript: " + errno_text());
  // The new directory entry must survive a crash too.
  if (p.has_parent_path()) {
    int dfd = ::open(p.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }
  return TranscriptWriter(fd, path);
}

TranscriptWriter TranscriptWriter::open_existing(const std::string& path) {
  TranscriptContents c = read_transcript(path);
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) throw TranscriptError(path + ": cannot open transcript: " + errno_text());
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
    : fd_(o.fd_), path_(std::move(o.path_)) {
  o.fd_ = -1;
}

TranscriptWriter& TranscriptWriter::operator=(TranscriptWriter&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    o.fd_ = -1;
  }
  return *this;
}

TranscriptWriter::~TranscriptWriter() {
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
