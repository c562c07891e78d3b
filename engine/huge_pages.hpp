#pragma once
// Anonymous memory that the kernel may back with 2 MiB pages (transparent huge pages), for the
// weights the CPU engine streams every step. Read from 4 KiB pages, a weight matrix costs a
// TLB miss every 4 KiB and the hardware prefetchers stop at every page edge; a 2 MiB page
// has neither cost (engine/README.md gives the decode figures).
#include <cstddef>
#include <cstdint>
#include <string>

namespace ossa::engine {

// What the kernel does with MADV_HUGEPAGE regions, from
// /sys/kernel/mm/transparent_hugepage/enabled: true for "always" and "madvise", false for
// "never" or where the file is missing (no THP in this kernel). `why_not` says which.
bool huge_pages_available(std::string* why_not = nullptr);

// Bytes this process may still fill with anonymous memory without pushing the host (or its
// cgroup) into reclaiming memory it needs: MemAvailable, capped by the cgroup v2 limit minus
// the cgroup's anonymous memory where there is a limit.
std::uint64_t anonymous_memory_available();

// A zero-filled, 2 MiB-aligned anonymous mapping advised MADV_HUGEPAGE; empty (data() null)
// for 0 bytes. Throws std::bad_alloc when the mapping fails. Move-only.
class HugeBuffer {
 public:
  HugeBuffer() = default;
  explicit HugeBuffer(std::size_t bytes);
  HugeBuffer(HugeBuffer&& o) noexcept;
  HugeBuffer& operator=(HugeBuffer&& o) noexcept;
  HugeBuffer(const HugeBuffer&) = delete;
  HugeBuffer& operator=(const HugeBuffer&) = delete;
  ~HugeBuffer();

  std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;     // as asked
  std::size_t mapped_ = 0;   // rounded up to 2 MiB
};

}  // namespace ossa::engine
