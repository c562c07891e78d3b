#pragma once
// Shared body of the AVX2 and AVX-512 kernels, written once over a vector-traits type V.
// Included ONLY by matmul_avx2.cpp / matmul_avx512.cpp, inside an anonymous namespace of their
// own, so each instantiation is compiled with that file's -m flags and has internal linkage
// (no inline function compiled with AVX can leak into code that runs on older CPUs).
//
// V provides: width, reg, zero(), loadu(const float*), storeu(float*, reg), fma(a, b, c),
// reduce(reg), load_bf16(const uint16_t*) (width values), set1(float),
// decode_group(const uint8_t* 16 bytes, float scale, reg out[32 / width]).
//
// Both kernels process up to 4 tokens per pass over a weight row, so a row is decoded once per
// 4 tokens, and keep two accumulator chains per token to hide FMA latency when T = 1.

#include <cstddef>
#include <cstdint>

inline float simd_bf16_to_f32(uint16_t v) {
  uint32_t bits = static_cast<uint32_t>(v) << 16;
  float f;
  __builtin_memcpy(&f, &bits, sizeof f);
  return f;
}

// 2^(s-127) built from its bit pattern (s = 0 is the subnormal 2^-127, s = 255 is +inf, as
// std::ldexp in the scalar reference gives).
inline float simd_scale_value(uint8_t s) {
  uint32_t bits = s == 0 ? 0x00400000u : static_cast<uint32_t>(s) << 23;
  float f;
  __builtin_memcpy(&f, &bits, sizeof f);
  return f;
}

template <class V>
void matmul_bf16_impl(const float* x, std::size_t T, std::size_t K, const uint16_t* w,
                      const uint16_t* bias, float* y, std::size_t ldy, std::size_t n0,
                      std::size_t n1) {
  constexpr std::size_t W = V::width;
  const std::size_t K2 = K / (2 * W) * (2 * W);
  for (std::size_t n = n0; n < n1; ++n) {
    const uint16_t* row = w + n * K;
    const float b = bias ? simd_bf16_to_f32(bias[n]) : 0.0f;
    for (std::size_t t0 = 0; t0 < T; t0 += 4) {
      const std::size_t tb = T - t0 < 4 ? T - t0 : 4;
      const float* xs[4];
      for (std::size_t i = 0; i < 4; ++i) xs[i] = x + (t0 + (i < tb ? i : 0)) * K;
      typename V::reg a0[4] = {V::zero(), V::zero(), V::zero(), V::zero()};
      typename V::reg a1[4] = {V::zero(), V::zero(), V::zero(), V::zero()};
      std::size_t k = 0;
      for (; k < K2; k += 2 * W) {
        typename V::reg w0 = V::load_bf16(row + k);
        typename V::reg w1 = V::load_bf16(row + k + W);
        for (std::size_t i = 0; i < tb; ++i) {
          a0[i] = V::fma(w0, V::loadu(xs[i] + k), a0[i]);
          a1[i] = V::fma(w1, V::loadu(xs[i] + k + W), a1[i]);
        }
      }
      for (std::size_t i = 0; i < tb; ++i) {
        float s = V::reduce(V::add(a0[i], a1[i]));
        for (std::size_t kk = k; kk < K; ++kk) s += xs[i][kk] * simd_bf16_to_f32(row[kk]);
        y[(t0 + i) * ldy + n] = s + b;
      }
    }
  }
}

template <class V>
void matmul_mxfp4_impl(const float* x, std::size_t T, std::size_t K, const uint8_t* blocks,
                       const uint8_t* scales, const uint16_t* bias, float* y, std::size_t ldy,
                       std::size_t n0, std::size_t n1) {
  constexpr std::size_t W = V::width;
  constexpr std::size_t R = 32 / W;  // registers per decoded group
  const std::size_t groups = K / 32;
  for (std::size_t n = n0; n < n1; ++n) {
    const uint8_t* rb = blocks + n * groups * 16;
    const uint8_t* rs = scales + n * groups;
    const float b = bias ? simd_bf16_to_f32(bias[n]) : 0.0f;
    for (std::size_t t0 = 0; t0 < T; t0 += 4) {
      const std::size_t tb = T - t0 < 4 ? T - t0 : 4;
      const float* xs[4];
      for (std::size_t i = 0; i < 4; ++i) xs[i] = x + (t0 + (i < tb ? i : 0)) * K;
      typename V::reg a0[4] = {V::zero(), V::zero(), V::zero(), V::zero()};
      typename V::reg a1[4] = {V::zero(), V::zero(), V::zero(), V::zero()};
      for (std::size_t g = 0; g < groups; ++g) {
        typename V::reg wv[R];
        V::decode_group(rb + g * 16, simd_scale_value(rs[g]), wv);
        const std::size_t k = g * 32;
        for (std::size_t i = 0; i < tb; ++i) {
          for (std::size_t r = 0; r < R; r += 2) {
            a0[i] = V::fma(wv[r], V::loadu(xs[i] + k + r * W), a0[i]);
            a1[i] = V::fma(wv[r + 1], V::loadu(xs[i] + k + (r + 1) * W), a1[i]);
          }
        }
      }
      for (std::size_t i = 0; i < tb; ++i) y[(t0 + i) * ldy + n] = V::reduce(V::add(a0[i], a1[i])) + b;
    }
  }
}

template <class V>
float dot_f32_impl(const float* a, const float* b, std::size_t n) {
  constexpr std::size_t W = V::width;
  typename V::reg s0 = V::zero(), s1 = V::zero();
  std::size_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    s0 = V::fma(V::loadu(a + i), V::loadu(b + i), s0);
    s1 = V::fma(V::loadu(a + i + W), V::loadu(b + i + W), s1);
  }
  float s = V::reduce(V::add(s0, s1));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

template <class V>
void axpy_f32_impl(float alpha, const float* x, float* y, std::size_t n) {
  constexpr std::size_t W = V::width;
  typename V::reg va = V::set1(alpha);
  std::size_t i = 0;
  for (; i + W <= n; i += W) V::storeu(y + i, V::fma(va, V::loadu(x + i), V::loadu(y + i)));
  for (; i < n; ++i) y[i] += alpha * x[i];
}
