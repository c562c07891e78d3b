// The CPU backend's copy of the streamed weights onto huge pages (engine/cpu/resident_weights.hpp):
// the same logits as reading the mapping, the copied tensors' mapped pages dropped, and the
// buffer it lives in (engine/huge_pages.hpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/huge_pages.hpp"
#include "engine/model.hpp"
#include "engine/session.hpp"
#include "tests/engine/golden_data.hpp"
#include "tests/engine/weights_memory.hpp"

using namespace ossa;
using engine::Model;
using engine::Session;

namespace {
std::shared_ptr<const Model> load(const std::filesystem::path& dir, bool map_weights) {
  engine::LoadOptions o;
  o.threads = 2;
  o.map_weights = map_weights;
  return Model::load(dir, o);
}

std::vector<float> logits_after(const std::shared_ptr<const Model>& m, const std::vector<std::int32_t>& tokens) {
  Session s(m);
  s.append(tokens);
  return {s.logits().begin(), s.logits().end()};
}
}  // namespace

TEST(HugeBuffer, IsAlignedZeroedAndMovable) {
  engine::HugeBuffer a(5 << 20);
  ASSERT_NE(a.data(), nullptr);
  EXPECT_EQ(a.size(), std::size_t{5} << 20);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.data()) % (std::uintptr_t{2} << 20), 0u);
  for (std::size_t i = 0; i < a.size(); i += 4096) ASSERT_EQ(a.data()[i], 0) << i;
  a.data()[a.size() - 1] = 7;
  engine::HugeBuffer b(std::move(a));
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_EQ(b.data()[b.size() - 1], 7);
  engine::HugeBuffer none(0);
  EXPECT_EQ(none.data(), nullptr);
}

// Whether the weights are copied or read in place, every logit is the same float: the kernels
// see the same bytes, only their pages differ.
TEST(ResidentWeights, CopyGivesTheSameLogitsAsTheMapping) {
  for (const char* name : {"tiny-a", "tiny-a-hf"}) {
    const auto dir = test::golden_dir(name);
    auto copied = load(dir, false), mapped = load(dir, true);
    EXPECT_EQ(mapped->weights_note(), "mapped (--map-weights)");
    // Copied wherever THP is on and memory is not short (the copy keeps 1 GiB free).
    if (engine::huge_pages_available() && engine::anonymous_memory_available() > (std::uint64_t{2} << 30)) {
      EXPECT_EQ(copied->weights_note().rfind("huge pages (", 0), 0u) << copied->weights_note();
    } else {
      EXPECT_EQ(copied->weights_note().rfind("mapped (", 0), 0u) << copied->weights_note();
    }
    const auto tokens = test::pseudo_tokens(40, 11);
    EXPECT_EQ(logits_after(copied, tokens), logits_after(mapped, tokens)) << name;
  }
}

// The copied tensors do not stay mapped as well: their pages are dropped as each is copied, and
// neither prefetch() nor running the model maps them back (the forward pass reads the copy).
// tiny-harmony's unembedding (201088 x 64 bf16, 25.7 MB) is copied; its embedding, the same
// size, is read a row per token and stays mapped.
TEST(ResidentWeights, CopiedTensorsLeaveTheMapping) {
  long long copied_rss = 0, mapped_rss = 0;
  std::string note;
  test::TinyHarmonyCheckpoint ck("resident");
  {
    auto m = load(ck.dir, false);
    note = m->weights_note();
    m->prefetch();
    logits_after(m, test::pseudo_tokens(3, 5));
    copied_rss = test::mapped_rss(ck.file);
  }
  {
    auto m = load(ck.dir, true);
    m->prefetch();
    mapped_rss = test::mapped_rss(ck.file);
  }
  if (copied_rss < 0) GTEST_SKIP() << "no /proc/self/smaps here";
  EXPECT_GT(mapped_rss, ck.size - 64 * 1024);  // the check itself sees the whole file
  if (note.rfind("huge pages", 0) != 0) GTEST_SKIP() << "weights stayed mapped here: " << note;
  EXPECT_LT(copied_rss, ck.size - ck.table + 64 * 1024);
  EXPECT_GT(copied_rss, ck.table - 64 * 1024);  // the embedding is still read from the mapping
}
