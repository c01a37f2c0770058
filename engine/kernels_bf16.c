/*
** kernels_bf16.c — the dense layers' matrix product in bfloat16 with fp32
** accumulation, for models loaded with precision "bf16": AVX512_BF16
** (vdpbf16ps) where the CPU has it, else a portable C tile that computes
** the very same bits.
**
**   ee_pw w;                                   // at load: bf16 copy of W (N,K)
**   ee_pack_bf16(&w, dst, W, N, K);            // dst: ee_pack_bf16_bytes(N, K), 64-byte aligned
**   ee_to_bf16_rows(Ab, w.K2 * 2 * ee_bf16_act_width(), A, lda, M, K);   // per stage, once
**   ee_gemm_bf16(C, ldc, Ab, lda16, M, &w, 0, w.np, bias, resid, ldr, act);
**
** computes C (M,N) = act(A (M,K) . W^T + bias + resid), with A and W rounded
** to bfloat16 (8-bit significand) and every product summed in fp32.
**
** Rounding to bfloat16 is round-to-nearest-even on the upper 16 bits of the
** float, as vcvtneps2bf16 does: subnormal floats become a signed zero (the
** instruction assumes DAZ), NaN stays a quiet NaN, values past the largest
** bfloat16 become Inf.  The weights are rounded once at load by the
** portable routine; the activations (once per row and stage, forward.c) by
** vcvtne2ps2bf16 where the tile is avx512bf16, else by the same integer
** arithmetic as the weights.  Both give the same bits (every sign and
** exponent is compared in test_precision), so the SIMD and portable
** products read the same bfloat16 inputs.
**
** Packing.  vdpbf16ps multiplies pairs: lane j of the result accumulates
** a[2j+1] b[2j+1], then a[2j] b[2j] (in that order, each sum rounded to
** fp32; products of two bfloat16 are exact in fp32).  So a panel holds 16
** output features and k runs in pairs: panel p, pair kk =
**   W[16p+j][2kk], W[16p+j][2kk+1]   for j = 0..15      (32 bfloat16, 64 bytes)
** zeros past N and past K (K is padded to K2 = ceil(K/2) pairs).  Rows of A
** likewise hold K2 pairs; one 32-bit broadcast gives a row's pair (the AVX2
** tile's rows hold the 2 K2 values widened to floats, see there).
**
** Exactness.  The portable tile adds a[2j+1] b[2j+1] and then a[2j] b[2j]
** to the accumulator, pair after pair, as the instruction is defined
** (Intel SDM, VDPBF16PS) and as this Zen 5 computes it (checked bit for bit
** in tests/unit/test_precision.c).  The products are exact, so contraction
** into FMA changes nothing.  The epilogue adds bias then the residual in
** fp32 in both.  A vector is therefore bit-identical whichever tile ran,
** alone or in any batch, with any thread count.
**
** Dispatch: avx512bf16 where the CPU has AVX512_BF16 and runs vdpbf16ps
** at least half as fast as an FMA (timed once, see dpbf16_is_fast: Zen 4
** and 5 do, Sapphire/Emerald Rapids do not); else avx512 (bfloat16 widened
** to fp32 in registers, FMA, on the fp32 tile's shape) with AVX-512; else
** avx2 (the same on 4 x 16); else generic.  EE_KERNEL=generic, avx2, avx512
** or avx512bf16 in the environment forces that tile (or the next best the
** CPU has).
*/
#include "engine_int.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) && (defined(__GNUC__) && __GNUC__ >= 10 || defined(__clang__) && __clang_major__ >= 9)
#include <immintrin.h>
#include "tile_store_avx2.h"
#include "tile_store_avx512.h"
#define HAVE_BF16_KERNEL 1
#endif

/* ---- rounding ----------------------------------------------------------------- */

/* One float -> bfloat16 bits, round to nearest even (vcvtneps2bf16). */
static inline uint16_t bf16_round(uint32_t u) {
  if ((u & 0x7f800000u) == 0) return (uint16_t)((u >> 16) & 0x8000u);      /* zero, subnormal */
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u); /* NaN: quiet */
  return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

uint16_t ee_bf16_from_float(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  return bf16_round(u);
}

float ee_bf16_to_float(uint16_t b) {
  uint32_t u = (uint32_t)b << 16;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* Rows of floats -> rows of bfloat16: the same lane-wise integer
** arithmetic as bf16_round, 16 lanes at a time with vector extensions
** (one zmm, or four xmm in the portable build), so both variants give the
** same bits.  Each tile below runs with the variant of its ISA. */
typedef uint32_t vu __attribute__((vector_size(64)));
typedef float vf __attribute__((vector_size(64)));
typedef uint16_t vh __attribute__((vector_size(32)));
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

/* With scale (1.0f for activations: x * 1 is x exactly, so the bits are
** those of the unscaled rounding) each value is multiplied before rounding. */
static inline __attribute__((always_inline)) void rows_body(uint16_t *dst, int ldd,
                                                            const float *src, int lds, int M,
                                                            int K, float scale) {
  const int K2 = (K + 1) / 2;
  for (int r = 0; r < M; r++) {
    const float *s = src + (int64_t)r * lds;
    uint16_t *d = dst + (int64_t)r * ldd;
    int k = 0;
    for (; k + 16 <= K; k += 16) {
      vf x;
      memcpy(&x, s + k, sizeof x);
      x *= scale;
      vu u;
      memcpy(&u, &x, sizeof u);
      vu zero = (vu)((u & 0x7f800000u) == 0), nan = (vu)((u & 0x7fffffffu) > 0x7f800000u);
      vu rne = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
      vu v = (zero & ((u >> 16) & 0x8000u)) | (nan & ((u >> 16) | 0x40u)) | (~(zero | nan) & rne);
      vh h = __builtin_convertvector(v, vh);
      memcpy(d + k, &h, sizeof h);
    }
    for (; k < K; k++) d[k] = ee_bf16_from_float(s[k] * scale);
    if (K < 2 * K2) d[K] = 0; /* the odd K's padding half of the last pair */
  }
}

#ifdef HAVE_BF16_KERNEL
__attribute__((target("avx512f,avx512bw"))) static void scaled_avx512(uint16_t *d, int ldd,
                                                                      const float *s, int lds,
                                                                      int M, int K, float scale) {
  rows_body(d, ldd, s, lds, M, K, scale);
}
/* vcvtne2ps2bf16 rounds as bf16_round does, NaN payloads, subnormals and
** overflow included (test_precision compares them over every sign and
** exponent), in one instruction per 32 values where rows_body spends ~20
** integer operations per 16: the rounding was 8% of a bf16 pass on Zen 5. */
__attribute__((target("avx512f,avx512vl,avx512bw,avx512bf16"))) static void scaled_avx512bf16(
    uint16_t *d, int ldd, const float *s, int lds, int M, int K, float scale) {
  const int K2 = (K + 1) / 2;
  const __m512 vs = _mm512_set1_ps(scale);
  for (int r = 0; r < M; r++) {
    const float *sr = s + (int64_t)r * lds;
    uint16_t *dr = d + (int64_t)r * ldd;
    int k = 0;
    for (; k + 32 <= K; k += 32) {
      __m512 lo = _mm512_mul_ps(_mm512_loadu_ps(sr + k), vs);
      __m512 hi = _mm512_mul_ps(_mm512_loadu_ps(sr + k + 16), vs);
      _mm512_storeu_si512((void *)(dr + k), (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    }
    if (k < K) {
      const __mmask32 m = (__mmask32)(0xffffffffu >> (32 - (K - k)));
      __m512 lo = _mm512_mul_ps(_mm512_maskz_loadu_ps((__mmask16)m, sr + k), vs);
      __m512 hi = _mm512_mul_ps(_mm512_maskz_loadu_ps((__mmask16)(m >> 16), sr + k + 16), vs);
      _mm512_mask_storeu_epi16(dr + k, m, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    }
    if (K < 2 * K2) dr[K] = 0; /* the odd K's padding half of the last pair */
  }
}
/* The wide tiles' layout (act_width 2) by vcvtneps2bf16: 4 vector operations
** per 16 values where scaled_avx2 spends ~18 per 8 (it was 5.9% of a bf16
** 8 x 128 pass on Emerald Rapids with the avx512 tile). */
__attribute__((target("avx512f,avx512vl,avx512bw,avx512bf16"))) static void scaled_wide_avx512bf16(
    uint16_t *dst, int ldd, const float *src, int lds, int M, int K, float scale) {
  const int K2 = (K + 1) / 2;
  const __m512 vs = _mm512_set1_ps(scale);
  for (int r = 0; r < M; r++) {
    const float *s = src + (int64_t)r * lds;
    uint32_t *d = (uint32_t *)(void *)(dst + (int64_t)r * ldd);
    for (int k = 0; k < K; k += 16) {
      const __mmask16 m = K - k >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (K - k)) - 1);
      const __m512 x = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, s + k), vs);
      const __m512i h = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(x));
      _mm512_mask_storeu_epi32(d + k, m, _mm512_slli_epi32(h, 16));
    }
    if (K < 2 * K2) d[K] = 0; /* the odd K's padding half of the last pair */
  }
}
#endif
static void scaled_base(uint16_t *d, int ldd, const float *s, int lds, int M, int K,
                        float scale) {
  rows_body(d, ldd, s, lds, M, K, scale);
}

/* scale * src -> rows of bfloat16 in a tile's layout. */
typedef void (*rows_fn)(uint16_t *dst, int ldd, const float *src, int lds, int M, int K,
                        float scale);

/* ---- packing ---------------------------------------------------------------------- */

int64_t ee_pack_bf16_bytes(int N, int K) {
  return (int64_t)((N + EE_NR - 1) / EE_NR) * ((K + 1) / 2) * EE_NR * 2 * (int64_t)sizeof(uint16_t);
}

void ee_pack_bf16(ee_pw *pw, void *dst, const float *w, int N, int K) {
  const int np = (N + EE_NR - 1) / EE_NR, K2 = (K + 1) / 2;
  uint16_t *d = dst;
  for (int p = 0; p < np; p++)
    for (int kk = 0; kk < K2; kk++)
      for (int j = 0; j < EE_NR; j++)
        for (int h = 0; h < 2; h++) {
          int n = p * EE_NR + j, k = 2 * kk + h;
          *d++ = n < N && k < K ? ee_bf16_from_float(w[(int64_t)n * K + k]) : 0;
        }
  memset(pw, 0, sizeof *pw);
  pw->pb = dst;
  pw->N = N;
  pw->K = K;
  pw->K2 = K2;
  pw->np = np;
  pw->prec = EE_PREC_BF16;
}

/* ---- tiles ---------------------------------------------------------------------------- */

/* C[0..mr) x [0..ncols) = A[0..mr) . B panels + bias + R.  A: rows of lda
** bfloat16 (K2 pairs used); B: npan (1 or 2) consecutive panels. */
typedef void (*tile_fn)(float *C, int ldc, const uint16_t *A, int lda, int mr,
                        const uint16_t *B, int K2, int npan, int ncols, const float *bias,
                        const float *R, int ldr, const char *pf, int pf_step);

static void tile_generic(float *C, int ldc, const uint16_t *A, int lda, int mr,
                         const uint16_t *B, int K2, int npan, int ncols, const float *bias,
                         const float *R, int ldr, const char *pf, int pf_step) {
  (void)npan; /* always 1 here */
  float acc[4][EE_NR];
  memset(acc, 0, sizeof acc);
  for (int kk = 0; kk < K2; kk++) {
    ee_prefetch_step(pf, kk, pf_step);
    const uint16_t *b = B + (int64_t)kk * 2 * EE_NR;
    for (int r = 0; r < mr; r++) {
      const float a0 = ee_bf16_to_float(A[(int64_t)r * lda + 2 * kk]);
      const float a1 = ee_bf16_to_float(A[(int64_t)r * lda + 2 * kk + 1]);
      for (int j = 0; j < EE_NR; j++) {
        float t = acc[r][j] + a1 * ee_bf16_to_float(b[2 * j + 1]); /* odd half first */
        acc[r][j] = t + a0 * ee_bf16_to_float(b[2 * j]);
      }
    }
  }
  for (int r = 0; r < mr; r++)
    for (int j = 0; j < ncols; j++) {
      float c = acc[r][j];
      if (bias) c += bias[j];
      if (R) c += R[(int64_t)r * ldr + j];
      C[(int64_t)r * ldc + j] = c;
    }
}

#ifdef HAVE_BF16_KERNEL
#define T_BF16 __attribute__((target("avx512f,avx512vl,avx512bw,avx512bf16")))

/* 8 rows x 32 columns (two panels) in 16 zmm accumulators, as kernels.c's
** fp32 tile, with one vdpbf16ps per pair of k instead of two FMAs. */
static inline __attribute__((always_inline)) T_BF16 void k_bf16(
    const int mr, const int two, float *C, int ldc, const uint16_t *A, int lda,
    const uint16_t *B, int K2, int ncols, const float *bias, const float *R, int ldr,
    const char *pf, int pf_step) {
  __m512 c0[8], c1[8];
#pragma GCC unroll 8
  for (int r = 0; r < 8; r++) c0[r] = c1[r] = _mm512_setzero_ps();
  const uint16_t *B1 = B + (int64_t)K2 * 2 * EE_NR;
  for (int kk = 0; kk < K2; kk++) {
    __m512bh w0 = (__m512bh)_mm512_load_si512((const void *)(B + (int64_t)kk * 32));
    __m512bh w1 = two ? (__m512bh)_mm512_load_si512((const void *)(B1 + (int64_t)kk * 32)) : w0;
    ee_prefetch_step(pf, kk, pf_step);
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++)
      if (r < mr) {
        int32_t pair;
        memcpy(&pair, A + (int64_t)r * lda + 2 * kk, sizeof pair);
        __m512bh a = (__m512bh)_mm512_set1_epi32(pair);
        c0[r] = _mm512_dpbf16_ps(c0[r], a, w0);
        if (two) c1[r] = _mm512_dpbf16_ps(c1[r], a, w1);
      }
  }
  ee_tile_store_avx512(C, ldc, c0, c1, mr, two, ncols, bias, R, ldr);
}

static T_BF16 void tile_avx512bf16(float *C, int ldc, const uint16_t *A, int lda, int mr,
                                   const uint16_t *B, int K2, int npan, int ncols,
                                   const float *bias, const float *R, int ldr, const char *pf,
                                   int pf_step) {
  EE_TILE_8X2(k_bf16, mr, npan, C, ldc, A, lda, B, K2, ncols, bias, R, ldr, pf, pf_step);
}
#endif

#ifdef HAVE_BF16_KERNEL
/* Plain AVX2 + FMA (Zen 2/3, Intel before Sapphire Rapids): no bfloat16
** product, but a bfloat16 is the upper half of a float, so a weight pair's
** odd half is its 32-bit lane with the low 16 bits cleared and its even
** half the lane shifted left by 16.  The activations come already widened
** (scaled_avx2 writes each bfloat16 as the float it stands for), so a row's
** value is one vbroadcastss from memory: unpacking them here as well took
** two more vector operations per row and pair and held the tile to ~75 % of
** the fp32 tile's speed (a microbenchmark on Zen 3; 90 % once widened).
** Two FMAs per pair, odd half first: the products are exact, so fma(a, b,
** acc) rounds the same sum as the portable tile's multiply then add, and
** the bits are the same.  The FMAs are as many as fp32's; what bfloat16
** saves is half the weight bytes, which is what a product on few rows (a
** short text) waits on. */
#define T_AVX2 __attribute__((target("avx2,fma")))

/* 4 rows x 16 columns: 8 ymm fp32 accumulators (columns 0-7 and 8-15).  A:
** rows of lda halves, each holding 2 K2 floats. */
static inline __attribute__((always_inline)) T_AVX2 void tile4_avx2(
    const int mr, float *C, int ldc, const uint16_t *A, int lda, const uint16_t *B, int K2,
    int ncols, const float *bias, const float *R, int ldr, const char *pf, int pf_step) {
  __m256 c0[4], c1[4];
  const __m256i high = _mm256_set1_epi32((int)0xffff0000u);
  const float *Af = (const float *)(const void *)A;
  const int ldf = lda / 2;
#pragma GCC unroll 4
  for (int r = 0; r < 4; r++) c0[r] = c1[r] = _mm256_setzero_ps();
  for (int kk = 0; kk < K2; kk++) {
    __m256i wl = _mm256_load_si256((const __m256i *)(B + (int64_t)kk * 32));
    __m256i wh = _mm256_load_si256((const __m256i *)(B + (int64_t)kk * 32 + 16));
    __m256 w0odd = _mm256_castsi256_ps(_mm256_and_si256(wl, high));
    __m256 w0even = _mm256_castsi256_ps(_mm256_slli_epi32(wl, 16));
    __m256 w1odd = _mm256_castsi256_ps(_mm256_and_si256(wh, high));
    __m256 w1even = _mm256_castsi256_ps(_mm256_slli_epi32(wh, 16));
    ee_prefetch_step(pf, kk, pf_step);
#pragma GCC unroll 4
    for (int r = 0; r < 4; r++)
      if (r < mr) {
        const float *a = Af + (int64_t)r * ldf + 2 * kk;
        __m256 aodd = _mm256_broadcast_ss(a + 1), aeven = _mm256_broadcast_ss(a);
        c0[r] = _mm256_fmadd_ps(aeven, w0even, _mm256_fmadd_ps(aodd, w0odd, c0[r]));
        c1[r] = _mm256_fmadd_ps(aeven, w1even, _mm256_fmadd_ps(aodd, w1odd, c1[r]));
      }
  }
  ee_tile_store_avx2(C, ldc, c0, c1, 4, mr, ncols, bias, R, ldr);
}

static T_AVX2 void tile_avx2(float *C, int ldc, const uint16_t *A, int lda, int mr,
                             const uint16_t *B, int K2, int npan, int ncols, const float *bias,
                             const float *R, int ldr, const char *pf, int pf_step) {
  (void)npan;
  switch (mr) {
#define CASE(m) case m: tile4_avx2(m, C, ldc, A, lda, B, K2, ncols, bias, R, ldr, pf, pf_step); break;
    CASE(1) CASE(2) CASE(3) CASE(4)
#undef CASE
    default: break;
  }
}

/* The AVX2 tile's method on the fp32 tile's shape, for AVX-512 CPUs without
** a fast vdpbf16ps: 8 rows x 32 columns (two panels) in 16 zmm
** accumulators, each weight pair widened by one AND and one shift, two FMAs
** per pair and row, odd half first (the same bits as every tile).  Sapphire
** and Emerald Rapids run vdpbf16ps at a quarter of FMA's rate (1.39 against
** 5.6 G instructions/s on one core of an Emerald Rapids VM), so its pair of
** products costs twice two FMAs: the avx512bf16 tile ran at 0.55x the fp32
** tile's speed there.  This one does fp32's FMAs plus 4 vector operations
** per pair and reads half the weight bytes. */
#define T_AVX512W __attribute__((target("avx512f,avx512vl,avx2,fma")))

static inline __attribute__((always_inline)) T_AVX512W void k_wide(
    const int mr, const int two, float *C, int ldc, const uint16_t *A, int lda,
    const uint16_t *B, int K2, int ncols, const float *bias, const float *R, int ldr,
    const char *pf, int pf_step) {
  __m512 c0[8], c1[8];
  const __m512i high = _mm512_set1_epi32((int)0xffff0000u);
  const float *Af = (const float *)(const void *)A;
  const int ldf = lda / 2;
#pragma GCC unroll 8
  for (int r = 0; r < 8; r++) c0[r] = c1[r] = _mm512_setzero_ps();
  const uint16_t *B1 = B + (int64_t)K2 * 2 * EE_NR;
  for (int kk = 0; kk < K2; kk++) {
    const __m512i wl = _mm512_load_si512((const void *)(B + (int64_t)kk * 32));
    const __m512i wh = two ? _mm512_load_si512((const void *)(B1 + (int64_t)kk * 32)) : wl;
    const __m512 w0odd = _mm512_castsi512_ps(_mm512_and_si512(wl, high));
    const __m512 w0even = _mm512_castsi512_ps(_mm512_slli_epi32(wl, 16));
    const __m512 w1odd = _mm512_castsi512_ps(_mm512_and_si512(wh, high));
    const __m512 w1even = _mm512_castsi512_ps(_mm512_slli_epi32(wh, 16));
    ee_prefetch_step(pf, kk, pf_step);
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++)
      if (r < mr) {
        const float *a = Af + (int64_t)r * ldf + 2 * kk;
        const __m512 aodd = _mm512_set1_ps(a[1]), aeven = _mm512_set1_ps(a[0]);
        c0[r] = _mm512_fmadd_ps(aeven, w0even, _mm512_fmadd_ps(aodd, w0odd, c0[r]));
        if (two) c1[r] = _mm512_fmadd_ps(aeven, w1even, _mm512_fmadd_ps(aodd, w1odd, c1[r]));
      }
  }
  ee_tile_store_avx512(C, ldc, c0, c1, mr, two, ncols, bias, R, ldr);
}

static T_AVX512W void tile_avx512(float *C, int ldc, const uint16_t *A, int lda, int mr,
                                  const uint16_t *B, int K2, int npan, int ncols,
                                  const float *bias, const float *R, int ldr, const char *pf,
                                  int pf_step) {
  EE_TILE_8X2(k_wide, mr, npan, C, ldc, A, lda, B, K2, ncols, bias, R, ldr, pf, pf_step);
}

/* rows_body's arithmetic on 8 lanes with intrinsics: GCC 12 keeps its
** 64-byte vectors in memory when it has only 32-byte registers (5% of a
** bf16 pass on Zen 3).  Each lane ends below 0x10000, so the unsigned
** saturating pack changes nothing; permute4x64 undoes its lane interleave. */
static inline __attribute__((always_inline, target("avx2"))) __m256i bf16_round8(__m256i u) {
  const __m256i zero = _mm256_cmpeq_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7f800000)),
                                          _mm256_setzero_si256());
  const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff)),
                                         _mm256_set1_epi32(0x7f800000));
  const __m256i hi = _mm256_srli_epi32(u, 16), one = _mm256_set1_epi32(1);
  const __m256i rne = _mm256_srli_epi32(
      _mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7fff)), _mm256_and_si256(hi, one)), 16);
  __m256i v = _mm256_andnot_si256(_mm256_or_si256(zero, nan), rne);
  v = _mm256_or_si256(v, _mm256_and_si256(zero, _mm256_and_si256(hi, _mm256_set1_epi32(0x8000))));
  return _mm256_or_si256(v, _mm256_and_si256(nan, _mm256_or_si256(hi, _mm256_set1_epi32(0x40))));
}

/* The AVX2 tile's layout (ee_bf16_act_width() == 2): each value as the
** float its bfloat16 stands for, i.e. the bfloat16 bits shifted into the
** upper half; the rounding is bf16_round8's, the same as every variant's. */
__attribute__((target("avx2"))) static void scaled_avx2(uint16_t *dst, int ldd, const float *src,
                                                        int lds, int M, int K, float scale) {
  const int K2 = (K + 1) / 2;
  const __m256 vs = _mm256_set1_ps(scale);
  for (int r = 0; r < M; r++) {
    const float *s = src + (int64_t)r * lds;
    uint32_t *d = (uint32_t *)(void *)(dst + (int64_t)r * ldd);
    int k = 0;
    for (; k + 8 <= K; k += 8) {
      const __m256 x = _mm256_mul_ps(_mm256_loadu_ps(s + k), vs);
      _mm256_storeu_si256((__m256i *)(d + k), _mm256_slli_epi32(bf16_round8(_mm256_castps_si256(x)), 16));
    }
    for (; k < K; k++) d[k] = (uint32_t)ee_bf16_from_float(s[k] * scale) << 16;
    if (K < 2 * K2) d[K] = 0; /* the odd K's padding half of the last pair */
  }
}
#endif

/* ---- dispatch ------------------------------------------------------------------------------ */

/* Each tile comes with the rounding routine compiled for the same ISA, so
** forcing the portable tile also exercises the portable routine. */
/* act_width: halves per activation value in the rows the tile reads. */
typedef struct kernel {
  const char *name;
  tile_fn fn;
  int mr, npan;
  rows_fn rows;
  int act_width;
} kernel;
static const kernel k_generic = {"generic", tile_generic, 4, 1, scaled_base, 1};
#ifdef HAVE_BF16_KERNEL
static const kernel k_avx512bf16 = {"avx512bf16", tile_avx512bf16, 8, 2, scaled_avx512bf16, 1};
static const kernel kn_avx2 = {"avx2", tile_avx2, 4, 1, scaled_avx2, 2};
static const kernel k_avx512 = {"avx512", tile_avx512, 8, 2, scaled_avx2, 2};
/* the same tile where the CPU rounds to bfloat16 itself (vdpbf16ps slow) */
static const kernel k_avx512_cvt = {"avx512", tile_avx512, 8, 2, scaled_wide_avx512bf16, 2};
#endif
static const kernel *_Atomic active = &k_generic;
static pthread_once_t once = PTHREAD_ONCE_INIT;

#ifdef HAVE_BF16_KERNEL
/* Whether this CPU's vdpbf16ps is worth two FMAs.  It runs at FMA's rate on
** Zen 4 and Zen 5 and at a quarter of it on Sapphire/Emerald Rapids, and
** nothing the CPU reports tells them apart, so time both instructions on
** 12 independent sums (latency hidden) for ~50k instructions each, the
** fastest of 5 alternating rounds (a clock ramping up or a vCPU paused
** slows a round, never speeds one).  Break-even is at 2.25x FMA's time
** (the wide tile adds 4 operations to 32 FMAs per pair); 2 errs towards
** vdpbf16ps, whose tile needs no widened activations.  Either tile computes
** the same bits, so the choice changes speed only.  Costs ~0.2 ms, once. */
enum { PROBE_ITERS = 4096 };
static volatile float probe_seed = 1e-9f, probe_sink;

static double seconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#define PROBE_BODY(step)                                                                   \
  for (int n = 0; n < PROBE_ITERS; n++) {                                                  \
    step(a0); step(a1); step(a2); step(a3); step(a4); step(a5);                            \
    step(a6); step(a7); step(a8); step(a9); step(a10); step(a11);                          \
  }
/* Distinct starting values: equal ones would let the compiler merge the 12
** sums into one chain, which times latency, not throughput. */
#define PROBE_SUMS(x)                                                                      \
  __m512 a0 = x, a1 = _mm512_add_ps(a0, x), a2 = _mm512_add_ps(a1, x),                     \
         a3 = _mm512_add_ps(a2, x), a4 = _mm512_add_ps(a3, x), a5 = _mm512_add_ps(a4, x),   \
         a6 = _mm512_add_ps(a5, x), a7 = _mm512_add_ps(a6, x), a8 = _mm512_add_ps(a7, x),   \
         a9 = _mm512_add_ps(a8, x), a10 = _mm512_add_ps(a9, x), a11 = _mm512_add_ps(a10, x)
#define PROBE_FOLD                                                                         \
  _mm512_reduce_add_ps(_mm512_add_ps(                                                      \
      _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),           \
                    _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7))),          \
      _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11))))

__attribute__((target("avx512f"))) static double fma_seconds(void) {
  const double t0 = seconds_now();
  const __m512 x = _mm512_set1_ps(probe_seed), y = _mm512_set1_ps(1.0f);
  PROBE_SUMS(x);
#define STEP(a) a = _mm512_fmadd_ps(x, y, a)
  PROBE_BODY(STEP)
#undef STEP
  probe_sink = PROBE_FOLD;
  return seconds_now() - t0;
}

__attribute__((target("avx512f,avx512bf16"))) static double dpbf16_seconds(void) {
  const double t0 = seconds_now();
  const __m512 x = _mm512_set1_ps(probe_seed);
  const __m512bh w = (__m512bh)_mm512_set1_epi16(0x3f80); /* 1.0 */
  PROBE_SUMS(x);
#define STEP(a) a = _mm512_dpbf16_ps(a, w, w)
  PROBE_BODY(STEP)
#undef STEP
  probe_sink = PROBE_FOLD;
  return seconds_now() - t0;
}

static int dpbf16_is_fast(void) {
  double best_fma = 1e30, best_dp = 1e30;
  for (int round = 0; round < 5; round++) {
    const double f = fma_seconds(), d = dpbf16_seconds();
    best_fma = f < best_fma ? f : best_fma;
    best_dp = d < best_dp ? d : best_dp;
  }
  return best_dp < 2.0 * best_fma;
}
#endif

/* force: "generic" for the portable tile, "avx2", "avx512" (widening) or
** "avx512bf16" for that one (the next best where the CPU lacks it), NULL
** for the fastest the CPU has. */
static const kernel *choose(const char *force) {
#ifdef HAVE_BF16_KERNEL
  if (force && strcmp(force, "generic") == 0) return &k_generic;
  __builtin_cpu_init();
  const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const int avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                     __builtin_cpu_supports("avx512bw");
  const int bf16 = avx512 && __builtin_cpu_supports("avx512bf16");
  if (force && strcmp(force, "avx2") == 0) return avx2 ? &kn_avx2 : &k_generic;
  const kernel *wide = bf16 ? &k_avx512_cvt : &k_avx512;
  if (force && strcmp(force, "avx512") == 0) return avx512 ? wide : avx2 ? &kn_avx2 : &k_generic;
  if (bf16 && ((force && strcmp(force, "avx512bf16") == 0) || dpbf16_is_fast())) return &k_avx512bf16;
  if (avx512) return wide;
  if (avx2) return &kn_avx2;
#else
  (void)force;
#endif
  return &k_generic;
}

static void pick_kernel(void) { active = choose(getenv("EE_KERNEL")); }

const char *ee_bf16_kernel_name(void) {
  pthread_once(&once, pick_kernel);
  return active->name;
}

const char *ee_bf16_force(const char *force) {
  pthread_once(&once, pick_kernel);
  active = choose(force ? force : getenv("EE_KERNEL"));
  return active->name;
}

void ee_to_bf16_rows(uint16_t *dst, int ldd, const float *src, int lds, int M, int K) {
  pthread_once(&once, pick_kernel);
  active->rows(dst, ldd, src, lds, M, K, 1.0f);
}

void ee_to_bf16_rows_scaled(uint16_t *dst, int ldd, const float *src, int lds, int M, int K,
                            float scale) {
  pthread_once(&once, pick_kernel);
  active->rows(dst, ldd, src, lds, M, K, scale);
}

/* One bfloat16 per value whatever the tile (the layout packed weights are
** made from): attention.c's keys and values. */
void ee_bf16_round_rows(uint16_t *dst, int ldd, const float *src, int lds, int M, int K,
                        float scale) {
  pthread_once(&once, pick_kernel);
#ifdef HAVE_BF16_KERNEL
  if (active == &k_avx512bf16) {
    scaled_avx512bf16(dst, ldd, src, lds, M, K, scale);
    return;
  }
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) {
    scaled_avx512(dst, ldd, src, lds, M, K, scale);
    return;
  }
#endif
  scaled_base(dst, ldd, src, lds, M, K, scale);
}

int ee_bf16_act_width(void) {
  pthread_once(&once, pick_kernel);
  return active->act_width;
}

typedef struct bf16_tiles {
  ee_tiles t;
  const kernel *kn;
  const uint16_t *A;
  int lda, K2;
} bf16_tiles;

static void bf16_tile(const ee_tiles *t, float *C, int i, int mr, const char *B, int np, int col,
                      int ncols, const float *bias, const float *R, const char *pf, int pf_step) {
  const bf16_tiles *x = (const bf16_tiles *)t;
  (void)col;
  x->kn->fn(C, t->ldc, x->A + (int64_t)i * x->lda, x->lda, mr, (const uint16_t *)(const void *)B,
            x->K2, np, ncols, bias, R, t->ldr, pf, pf_step);
}

void ee_gemm_bf16(float *C, int ldc, const uint16_t *A, int lda, int M, const ee_pw *W, int p0,
                  int p1, int after, const float *bias, const float *R, int ldr, int act) {
  pthread_once(&once, pick_kernel);
  const kernel *kn = active;
  const bf16_tiles x = {{bf16_tile, (const char *)W->pb, (int64_t)W->K2 * 64, W->K2, kn->mr,
                         kn->npan, ldc, ldr},
                        kn, A, lda, W->K2};
  ee_gemm_drive(&x.t, C, M, W->N, W->np, p0, p1, after, bias, R, act);
}
