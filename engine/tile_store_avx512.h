/*
** tile_store_avx512.h — the end of every AVX-512 register tile (kernels.c's
** fp32 tile, kernels_bf16.c's bf16 tile, kernels_int8.c's int8 tile once
** dequantised): rows [0, mr) of one or two 16-column panels,
**   C[r][0..ncols) = acc + bias + R[r]        (bias, R may be NULL)
** Included only by x86 code compiled with GCC or Clang; the caller's target
** must include avx512f and avx512vl, and the function is always inlined, so
** the accumulator arrays stay in registers.
**
** Masked loads and stores cost ~10% of a whole product on Zen 4/5 (measured:
** 188 vs 212 GFLOP/s on one core), so a whole tile uses plain ones and only
** a tile at the matrix's right edge is masked.
*/
#ifndef EE_TILE_STORE_AVX512_H
#define EE_TILE_STORE_AVX512_H
#include <immintrin.h>
#include <stdint.h>

static inline __attribute__((always_inline, target("avx512f,avx512vl"))) void ee_tile_store_avx512(
    float *C, int ldc, __m512 *c0, __m512 *c1, const int mr, const int two, int ncols,
    const float *bias, const float *R, int ldr) {
  const int n0 = ncols < 16 ? ncols : 16, n1 = ncols - n0;
  if (n0 == 16 && (!two || n1 >= 16)) {
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++)
      if (r < mr) {
        float *c = C + (int64_t)r * ldc;
        if (bias) c0[r] = _mm512_add_ps(c0[r], _mm512_loadu_ps(bias));
        if (R) c0[r] = _mm512_add_ps(c0[r], _mm512_loadu_ps(R + (int64_t)r * ldr));
        _mm512_storeu_ps(c, c0[r]);
        if (two) {
          if (bias) c1[r] = _mm512_add_ps(c1[r], _mm512_loadu_ps(bias + 16));
          if (R) c1[r] = _mm512_add_ps(c1[r], _mm512_loadu_ps(R + (int64_t)r * ldr + 16));
          _mm512_storeu_ps(c + 16, c1[r]);
        }
      }
    return;
  }
  const __mmask16 m0 = n0 == 16 ? (__mmask16)0xffff : (__mmask16)((1u << n0) - 1u);
  const __mmask16 m1 = n1 >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n1) - 1u);
#pragma GCC unroll 8
  for (int r = 0; r < 8; r++)
    if (r < mr) {
      float *c = C + (int64_t)r * ldc;
      if (bias) c0[r] = _mm512_add_ps(c0[r], _mm512_maskz_loadu_ps(m0, bias));
      if (R) c0[r] = _mm512_add_ps(c0[r], _mm512_maskz_loadu_ps(m0, R + (int64_t)r * ldr));
      _mm512_mask_storeu_ps(c, m0, c0[r]);
      if (two) {
        if (bias) c1[r] = _mm512_add_ps(c1[r], _mm512_maskz_loadu_ps(m1, bias + 16));
        if (R) c1[r] = _mm512_add_ps(c1[r], _mm512_maskz_loadu_ps(m1, R + (int64_t)r * ldr + 16));
        _mm512_mask_storeu_ps(c + 16, m1, c1[r]);
      }
    }
}
/* Calls k(m, two, ...) with the tile's rows m (1 to 8) and its panels
** (two: 1 for npan == 2, else 0) as compile-time constants, so that the
** always-inlined body keeps its accumulators in registers and drops the
** rows it does not have; any other mr calls nothing.  Every AVX-512 tile
** (fp32, bf16, int8) is dispatched this way.  Two switches on mr, not one
** on a combined key: GCC then compiles the tile as before (one switch with
** a range check outlined the dispatch and cost bf16 ~5% at 16 rows). */
#define EE_TILE_8X2(k, mr, npan, ...)       \
  if ((npan) == 2) {                        \
    switch (mr) {                           \
      case 1: k(1, 1, __VA_ARGS__); break;  \
      case 2: k(2, 1, __VA_ARGS__); break;  \
      case 3: k(3, 1, __VA_ARGS__); break;  \
      case 4: k(4, 1, __VA_ARGS__); break;  \
      case 5: k(5, 1, __VA_ARGS__); break;  \
      case 6: k(6, 1, __VA_ARGS__); break;  \
      case 7: k(7, 1, __VA_ARGS__); break;  \
      case 8: k(8, 1, __VA_ARGS__); break;  \
      default: break;                       \
    }                                       \
  } else {                                  \
    switch (mr) {                           \
      case 1: k(1, 0, __VA_ARGS__); break;  \
      case 2: k(2, 0, __VA_ARGS__); break;  \
      case 3: k(3, 0, __VA_ARGS__); break;  \
      case 4: k(4, 0, __VA_ARGS__); break;  \
      case 5: k(5, 0, __VA_ARGS__); break;  \
      case 6: k(6, 0, __VA_ARGS__); break;  \
      case 7: k(7, 0, __VA_ARGS__); break;  \
      case 8: k(8, 0, __VA_ARGS__); break;  \
      default: break;                       \
    }                                       \
  }

#endif
