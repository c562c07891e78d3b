#pragma once
// The CPU backend's copy of the weights it streams every step (engine-internal). The checkpoint
// stays mapped (engine/weights.hpp: nothing copied at bind time), but reading the experts,
// attention and unembedding from the mapping means 4 KiB pages: a TLB miss every 4 KiB and
// hardware prefetchers that stop at each page edge. At load the backend copies those tensors
// into one anonymous region on transparent huge pages (engine/huge_pages.hpp) and drops the
// mapped pages of each as soon as it is copied, so the process never holds both copies, and
// its pages in the page cache, so that the kernel has free 2 MiB pages for the rest. The
// embedding (one row per token), norms, biases and sinks stay mapped.
//
// Skipped, with a note, when the kernel has no transparent huge pages, when the copy would not
// fit in the memory available (anonymous_memory_available, keeping a reserve: the mapping can
// be paged out and back, the copy cannot), or when LoadOptions::map_weights asks for it.
#include <cstdint>
#include <string>

#include "engine/checkpoint.hpp"
#include "engine/config.hpp"
#include "engine/huge_pages.hpp"
#include "engine/weights.hpp"

namespace ossa::engine {

struct ResidentWeights {
  ModelWeights weights;     // the model's, with the streamed tensors pointing into `memory`
  HugeBuffer memory;        // empty when nothing was copied
  std::uint64_t bytes = 0;  // copied
  std::string note;         // where the streamed weights live, and why
};

// `w` as bound (after --weights-q8, whose Q8 copies are already on huge pages) into the
// backend's copy; `threads` split the copy. Mapped pages of the copied tensors are dropped and
// listed in the result's weights.released.
ResidentWeights make_resident(const Checkpoint& ck, const ModelConfig& c, const ModelWeights& w, bool map_weights,
                              unsigned threads);

}  // namespace ossa::engine
