/*
** tile_store_avx2.h — the end of every AVX2 register tile (kernels.c's fp32
** tile, kernels_bf16.c's bf16 tile, kernels_int8.c's int8 tiles once
** dequantised): rows [0, mr) of one 16-column panel held as two ymm each,
**   C[r][0..ncols) = acc + bias + R[r]        (bias, R may be NULL)
** Included only by x86 code compiled with GCC or Clang; the caller's target
** must include avx2, and the function is always inlined with a constant
** rows, so the accumulator arrays stay in registers.
**
** A whole panel is two vector adds and stores a row; the panel at the
** matrix's right edge goes through memory one column at a time.  Both do
** the same float additions in the same order (acc + bias, then + R), so the
** values do not depend on where a column falls.  Done one column at a time
** everywhere, this epilogue was a quarter of the int8 tile's time on Zen 3
** (MiniLM, K = 384: 96 steps of the k loop against 64 scalar stores).
*/
#ifndef EE_TILE_STORE_AVX2_H
#define EE_TILE_STORE_AVX2_H
#include <immintrin.h>
#include <stdint.h>

static inline __attribute__((always_inline, target("avx2"))) void ee_tile_store_avx2(
    float *C, int ldc, __m256 *c0, __m256 *c1, const int rows, const int mr, int ncols,
    const float *bias, const float *R, int ldr) {
  if (ncols == 16) {
    const __m256 b0 = bias ? _mm256_loadu_ps(bias) : _mm256_setzero_ps();
    const __m256 b1 = bias ? _mm256_loadu_ps(bias + 8) : _mm256_setzero_ps();
#pragma GCC unroll 8
    for (int r = 0; r < rows; r++)
      if (r < mr) {
        float *c = C + (int64_t)r * ldc;
        if (bias) {
          c0[r] = _mm256_add_ps(c0[r], b0);
          c1[r] = _mm256_add_ps(c1[r], b1);
        }
        if (R) {
          c0[r] = _mm256_add_ps(c0[r], _mm256_loadu_ps(R + (int64_t)r * ldr));
          c1[r] = _mm256_add_ps(c1[r], _mm256_loadu_ps(R + (int64_t)r * ldr + 8));
        }
        _mm256_storeu_ps(c, c0[r]);
        _mm256_storeu_ps(c + 8, c1[r]);
      }
    return;
  }
#pragma GCC unroll 8
  for (int r = 0; r < rows; r++)
    if (r < mr) { /* the last, partial panel: bias, R and C end at ncols */
      float t[16], *c = C + (int64_t)r * ldc;
      _mm256_storeu_ps(t, c0[r]);
      _mm256_storeu_ps(t + 8, c1[r]);
      for (int j = 0; j < ncols; j++) {
        float v = bias ? t[j] + bias[j] : t[j];
        c[j] = R ? v + R[(int64_t)r * ldr + j] : v;
      }
    }
}
#endif
