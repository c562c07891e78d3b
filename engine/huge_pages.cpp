#include "engine/huge_pages.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <fstream>
#include <new>
#include <sstream>
#include <utility>

namespace ossa::engine {
namespace {
constexpr std::size_t kHugePage = std::size_t{2} << 20;

// The first number after `key` in a "key value" file such as /proc/meminfo; 0 if absent.
std::uint64_t field(const char* path, const std::string& key) {
  std::ifstream in(path);
  std::string k;
  std::uint64_t v = 0;
  while (in >> k >> v) {
    if (k == key) return v;
    in.ignore(1 << 10, '\n');
  }
  return 0;
}
}  // namespace

bool huge_pages_available(std::string* why_not) {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  if (!std::getline(in, line)) {
    if (why_not) *why_not = "this kernel has no transparent huge pages";
    return false;
  }
  if (line.find("[never]") != std::string::npos) {
    if (why_not) *why_not = "transparent huge pages are off (/sys/kernel/mm/transparent_hugepage/enabled: never)";
    return false;
  }
  return true;
}

std::uint64_t anonymous_memory_available() {
  std::uint64_t avail = field("/proc/meminfo", "MemAvailable:") << 10;
  std::ifstream max_file("/sys/fs/cgroup/memory.max");
  std::string max;
  if (max_file >> max && max != "max") {
    std::uint64_t limit = 0;
    std::istringstream(max) >> limit;
    // Page cache in the cgroup is reclaimed before it fails; its anonymous memory is not.
    const std::uint64_t anon = field("/sys/fs/cgroup/memory.stat", "anon");
    avail = std::min(avail, limit > anon ? limit - anon : 0);
  }
  return avail;
}

HugeBuffer::HugeBuffer(std::size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  mapped_ = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  // Over-map by one huge page and trim, so that the region starts on a 2 MiB boundary (the
  // kernel only uses a huge page for an aligned 2 MiB range).
  const std::size_t span = mapped_ + kHugePage;
  void* p = ::mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  auto* base = static_cast<std::uint8_t*>(p);
  const auto addr = reinterpret_cast<std::uintptr_t>(base);
  auto* aligned = reinterpret_cast<std::uint8_t*>((addr + kHugePage - 1) / kHugePage * kHugePage);
  if (aligned > base) ::munmap(base, static_cast<std::size_t>(aligned - base));
  const std::size_t tail = static_cast<std::size_t>(base + span - (aligned + mapped_));
  if (tail) ::munmap(aligned + mapped_, tail);
  // Advice only: where the kernel cannot (THP off, no free huge page) the memory stays 4 KiB.
  ::madvise(aligned, mapped_, MADV_HUGEPAGE);
  data_ = aligned;
}

HugeBuffer::HugeBuffer(HugeBuffer&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)), mapped_(std::exchange(o.mapped_, 0)) {}

HugeBuffer& HugeBuffer::operator=(HugeBuffer&& o) noexcept {
  if (this != &o) {
    if (data_) ::munmap(data_, mapped_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    mapped_ = std::exchange(o.mapped_, 0);
  }
  return *this;
}

HugeBuffer::~HugeBuffer() {
  if (data_) ::munmap(data_, mapped_);
}

}  // namespace ossa::engine
