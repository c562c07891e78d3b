#pragma once
// The activation panel of the MXFP4 x Q8 product (matmul_mxfp4_q8.hpp): T rows of K floats
// quantized to int8 in blocks of 32 (q8.hpp), which line up with the MXFP4 groups of 32.
//
// A block is held at one or three levels of int8: level 1 is x ~ q1 d (d = block max / 127,
// |error| <= d/2, the --weights-q8 experts option); levels 2 and 3 quantize what is left with
// steps d/2^7 and d/2^14, so x = d (q1 + q2/2^7 + q3/2^14) to within d/2^15 = block max / 2^22,
// about fp32's own rounding: the engine's default path. (Two levels, block max / 2^15, were
// measured at 2e-3 from the golden logits of tiny-a, over the 1e-3 the engine holds to.) The
// levels combine into one integer per lane (q1 2^14 + q2 2^7 + q3 fits with room in int32).
//
// Layout, per 128 columns (a unit of four groups): per level, element 2j of group L at
// even[16 L + j] and element 2j+1 at odd[16 L + j], matching the low and high nibbles of the
// weight bytes; then per lane (four per group, eight activations each) the correction
// -12 * sum of the lane's combined integers (int32) and the scale d / 2 * 2^-7(levels-1)
// (float). Why the corrections: see mxfp4_q8_panel.cpp. Every product version reads the same
// panel, and every version of prepare_mxfp4_q8 writes the same bytes.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/cpu/mxfp4.hpp"
#include "kernels/cpu/variants.hpp"

namespace ossa::kernels {

// Columns per panel unit: four MXFP4 groups, one 512-bit register of packed weights.
inline constexpr std::size_t kMxfp4Q8Quad = 128;
inline constexpr std::size_t kMxfp4Q8QuadGroups = kMxfp4Q8Quad / kMxfp4Group;
// Bytes of a panel unit: per level even[64], odd[64] (int8); then corr[16] (int32) and
// scale[16] (float).
constexpr std::size_t mxfp4_q8_unit_bytes(std::size_t levels) { return 128 * levels + 128; }

// T activation rows of K columns (K a multiple of 32), quantized and laid out for the product.
struct Mxfp4Q8Panel {
  std::size_t T = 0, K = 0;
  std::size_t levels = 1;          // 1 or 3
  std::size_t quads = 0;           // ceil(K / 128); a partial last quad is zero-padded
  std::size_t unit = 0;            // mxfp4_q8_unit_bytes(levels)
  std::vector<std::uint8_t> data;  // T * quads * unit bytes, 64-byte aligned units
  const std::uint8_t* row(std::size_t t) const { return data.data() + offset_ + t * quads * unit; }

  std::size_t offset_ = 0;  // to the first 64-byte aligned byte of data
};

// Quantizes x (T rows of K floats) at `levels` (1 or 3) into p, reusing p's memory. Blocks
// whose largest value is below 2^-100 count as zero.
OSSA_KERNEL_VARIANTS(void prepare_mxfp4_q8(const float* x, std::size_t T, std::size_t K, std::size_t levels,
                                           Mxfp4Q8Panel& p))

// The integer a lane holds for activation i of the levels q[0..levels): q1 2^14 + q2 2^7 + q3
// at three levels, q1 at one.
inline std::int32_t mxfp4_q8_combined(const std::int8_t* const* q, std::size_t levels, std::size_t i) {
  return levels == 3 ? q[0][i] * 16384 + q[1][i] * 128 + q[2][i] : q[0][i];
}

// Sets p's shape for T rows of K at `levels` and sizes its memory (each version's first step).
void shape_mxfp4_q8_panel(std::size_t T, std::size_t K, std::size_t levels, Mxfp4Q8Panel& p);

}  // namespace ossa::kernels
