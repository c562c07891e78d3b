#include "engine/cpu/resident_weights.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <utility>
#include <vector>

#include "engine/thread_pool.hpp"

namespace ossa::engine {
namespace {
std::size_t sz(int v) { return static_cast<std::size_t>(v); }

// Left free after the copy: the KV cache, activations and the rest of the host need room, and
// an anonymous copy cannot be paged back to the checkpoint file as the mapping can.
constexpr std::uint64_t kReserve = std::uint64_t{1} << 30;
// Each tensor's copy is cut into pieces of this size for the pool.
constexpr std::size_t kPiece = std::size_t{1} << 20;
// Start of each tensor in the region: a whole cache line, so kernel loads stay aligned as in
// the mapping (safetensors data is at least 8-byte aligned there).
constexpr std::size_t kAlign = 64;

// A streamed tensor: where it is, its size, and the pointer to redirect.
struct Tensor {
  const void* src;
  std::size_t bytes;
  std::function<void(const std::uint8_t*)> redirect;
};

template <class T>
void add(std::vector<Tensor>& list, const T*& slot, std::size_t count) {
  if (!slot || count == 0) return;  // replaced by a Q8 copy, or absent
  list.push_back({slot, count * sizeof(T), [&slot](const std::uint8_t* p) { slot = reinterpret_cast<const T*>(p); }});
}

std::vector<Tensor> streamed(const ModelConfig& c, ModelWeights& w) {
  const std::size_t H = sz(c.hidden_size), Q = sz(c.q_width()), KV = sz(c.kv_width()), E = sz(c.num_experts),
                    I = sz(c.intermediate_size), V = sz(c.vocab_size);
  std::vector<Tensor> list;
  for (auto& l : w.layers) {
    add(list, l.q_w, Q * H);
    add(list, l.k_w, KV * H);
    add(list, l.v_w, KV * H);
    add(list, l.out_w, H * Q);
    add(list, l.gate_w, E * H);
    add(list, l.mlp1.blocks, E * 2 * I * (H / 32) * 16);
    add(list, l.mlp1.scales, E * 2 * I * (H / 32));
    add(list, l.mlp2.blocks, E * H * (I / 32) * 16);
    add(list, l.mlp2.scales, E * H * (I / 32));
  }
  add(list, w.unembedding, V * H);
  return list;
}

// An open checkpoint file: its mapped range, to find a tensor's offset, and a descriptor to
// read it with. pread copies from the page cache into the new pages directly; a memcpy from the
// mapping first faults in every 4 KiB page of it (synth-20b loaded in 18-28 s that way, 8-18 s
// with pread, most of it the kernel zeroing the new pages and reading what the page cache lost).
struct Source {
  const std::uint8_t* base;
  std::size_t size;
  int fd;
};

// The open file whose mapping holds [from, from + bytes); null if none (or it could not be
// opened).
const Source* source_of(const std::vector<Source>& files, const std::uint8_t* from, std::size_t bytes) {
  for (const auto& f : files)
    if (f.fd >= 0 && from >= f.base && from + bytes <= f.base + f.size) return &f;
  return nullptr;
}

// Copies [from, from + bytes) of the checkpoint into `to`, reading the file where the range is
// in one (falling back to the mapping for any part read() cannot give).
void copy_piece(const std::vector<Source>& files, const std::uint8_t* from, std::size_t bytes, std::uint8_t* to) {
  std::size_t done = 0;
  if (const Source* f = source_of(files, from, bytes)) {
    while (done < bytes) {
      const ssize_t n = ::pread(f->fd, to + done, bytes - done, static_cast<off_t>(from - f->base + done));
      if (n > 0) {
        done += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        break;
      }
    }
  }
  if (done < bytes) std::memcpy(to + done, from + done, bytes - done);
}

// Drops a copied range from the page cache too (POSIX_FADV_DONTNEED): the process has its own
// copy now, and a second one in the cache leaves the kernel no free 2 MiB pages for the rest
// of the copy, which then falls back to 4 KiB pages. synth-20b on a 24 GB machine: 685 of
// 6,003 huge pages fell back without it, none with it. The cost: the next load of the same
// checkpoint reads these ranges from the disk again.
void drop_cached(const std::vector<Source>& files, const std::uint8_t* from, std::size_t bytes) {
  if (const Source* f = source_of(files, from, bytes))
    ::posix_fadvise(f->fd, static_cast<off_t>(from - f->base), static_cast<off_t>(bytes), POSIX_FADV_DONTNEED);
}
}  // namespace

ResidentWeights make_resident(const Checkpoint& ck, const ModelConfig& c, const ModelWeights& w, bool map_weights,
                              unsigned threads) {
  ResidentWeights r;
  r.weights = w;
  if (map_weights) {
    r.note = "mapped (--map-weights)";
    return r;
  }
  std::string why_not;
  if (!huge_pages_available(&why_not)) {
    r.note = "mapped (" + why_not + ")";
    return r;
  }
  std::vector<Tensor> list = streamed(c, r.weights);
  std::uint64_t total = 0;
  for (const auto& t : list) total += (t.bytes + kAlign - 1) / kAlign * kAlign;
  const std::uint64_t avail = anonymous_memory_available();
  if (total + kReserve > avail) {
    r.note = "mapped (copying " + std::to_string(total >> 20) + " MiB onto huge pages would leave less than " +
             std::to_string(kReserve >> 20) + " MiB of the " + std::to_string(avail >> 20) + " MiB available)";
    return r;
  }
  r.memory = HugeBuffer(static_cast<std::size_t>(total));
  std::vector<Source> files;
  for (const auto& f : ck.files()) files.push_back({f.map_data(), f.map_size(), ::open(f.path().c_str(), O_RDONLY | O_CLOEXEC)});
  ThreadPool pool(threads);
  std::size_t offset = 0;
  for (auto& t : list) {
    const auto* from = static_cast<const std::uint8_t*>(t.src);
    std::uint8_t* to = r.memory.data() + offset;
    pool.parallel_for((t.bytes + kPiece - 1) / kPiece, [&](std::size_t b, std::size_t e) {
      const std::size_t lo = b * kPiece, hi = std::min(t.bytes, e * kPiece);
      copy_piece(files, from + lo, hi - lo, to + lo);
    });
    drop_mapped_pages(r.weights, from, t.bytes);
    drop_cached(files, from, t.bytes);
    t.redirect(to);
    offset += (t.bytes + kAlign - 1) / kAlign * kAlign;
  }
  for (const auto& f : files)
    if (f.fd >= 0) ::close(f.fd);
  r.bytes = total;
  r.note = "huge pages (" + std::to_string(total >> 20) + " MiB copied at load)";
  return r;
}

}  // namespace ossa::engine
