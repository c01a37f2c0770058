/*
** kernels_int8.c — the dense layers' matrix product with 8-bit integers,
** for models loaded with precision "int8" (dynamic quantisation): VNNI
** vpdpbusd (AVX512_VNNI, or the 256-bit AVX-VNNI) where the CPU has it,
** else a portable C tile with the same integer results, bit for bit.
**
**   ee_pw w;                                    // at load: int8 copy of W (N,K)
**   ee_pack_int8(&w, dst, W, N, K);             // dst: ee_pack_int8_bytes(N, K), 64-byte aligned
**   ee_quant_rows(Aq, w.K4 * 4, sa, A, lda, M, K);   // per stage: activations, once
**   ee_gemm_int8(C, ldc, Aq, w.K4 * 4, sa, M, &w, 0, w.np, bias, resid, ldr, act);
**
** computes C (M,N) ~ act(A (M,K) . W^T + bias + resid) as
**   C[i][n] = (float)(sum_k qa[i][k] qw[n][k]) * sa[i] * sw[n] + bias[n] + resid[i][n]
** Weights: per output feature n, symmetric: sw[n] = max_k |W[n][k]| / 127,
** qw = round(W / sw) in [-127, 127] (at load).  Activations: per row (per
** token), symmetric, at run time: sa[i] = max_k |A[i][k]| / 127, qa =
** round(A[i][k] * 127 / max) in [-127, 127].  round is to nearest even.
**
** The unsigned trick.  vpdpbusd multiplies unsigned bytes by signed bytes,
** four products per 32-bit lane, summed into the lane (no saturation).
** Activations are stored as ua = qa + 128 in [1, 255], so
**   sum_k ua qw = sum_k qa qw + 128 sum_k qw
** and the second term, fixed per output feature, is computed at packing
** (qc[n]) and subtracted in the epilogue.  Sums stay inside int32 while
** K <= 65536 (255 x 127 x 65536 < 2^31); model_load.c refuses int8 beyond.
**
** Packing.  A panel holds 16 output features and k runs in quads: panel p,
** quad kq = qw[16p+j][4kq .. 4kq+3] for j = 0..15 (64 bytes: one zmm, or two
** ymm of 8 features), zeros past N and K (K4 = ceil(K/4) quads).  A row of
** activations holds K4 quads (padding 128, i.e. qa = 0); a 32-bit
** broadcast gives a row's quad.  After the panels come qs (sw, np x 16
** floats) and qc (np x 16 int32).
**
** Exactness.  Integer sums are exact, so every tile gives the same int32;
** the epilogue is the same fp32 operations in the same order in all of them
** (convert, x sa, x sw, + bias, + resid; no FMA).  A text's vector is thus
** bit-identical whichever tile ran, alone or in any batch, with any thread
** count (tests/unit/test_precision.c).  The quantisation routine is
** lane-wise (vector extensions, no FMA), compiled for each tile's ISA (the
** AVX-512 and AVX2 ones with intrinsics, one full-width store per 64 or 32
** values); every variant gives the same bytes, and forcing a tile forces its
** variant, so the tests see each.
**
** Dispatch: avx512vnni (8 rows x 32 columns) when the CPU has AVX512_VNNI,
** else avxvnni (6 x 16, 256-bit) with AVX-VNNI, else avx2 (4 x 16, vpmaddubsw
** on the activations' magnitudes, below), else generic (4 x 16).
** EE_KERNEL=generic forces the portable tile, EE_KERNEL=avx2 the AVX2 one,
** EE_KERNEL=avxvnni the AVX-VNNI one where it exists.
*/
#include "engine_int.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) && __GNUC__ >= 11 || defined(__clang__) && __clang_major__ >= 12)
#include <cpuid.h>
#include <immintrin.h>
#include "tile_store_avx2.h"
#include "tile_store_avx512.h"
#define HAVE_VNNI_KERNELS 1
#endif

/* ---- quantisation ---------------------------------------------------------- */

typedef float vf __attribute__((vector_size(64)));
typedef int32_t vi __attribute__((vector_size(64)));
typedef uint8_t vb __attribute__((vector_size(16)));
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
#define MAGIC 12582912.0f /* 1.5 x 2^23: t + MAGIC rounds t (|t| < 2^22) to an integer, ties to even */

/* round(x * inv) clamped to [-127, 127], + 128.  NaN gives some byte (no UB). */
static inline uint8_t quant_one(float x, float inv) {
  float t = x * inv;
  t = t > 127.0f ? 127.0f : t;
  t = t < -127.0f ? -127.0f : t;
  float s = t + MAGIC, m = MAGIC;
  int32_t si, mi;
  memcpy(&si, &s, sizeof si);
  memcpy(&mi, &m, sizeof mi);
  return (uint8_t)(si - mi + 128);
}

static inline float absmax_scalar(const float *x, int n) {
  float m = 0.0f;
  for (int k = 0; k < n; k++) {
    float a = x[k] < 0.0f ? -x[k] : x[k];
    m = a > m ? a : m;
  }
  return m;
}

static inline __attribute__((always_inline)) void quant_body(uint8_t *dst, int ldd, float *scale,
                                                             const float *src, int lds, int M,
                                                             int K) {
  const int K4p = (K + 3) / 4 * 4;
  for (int r = 0; r < M; r++) {
    const float *s = src + (int64_t)r * lds;
    uint8_t *d = dst + (int64_t)r * ldd;
    /* max |x|: exact whatever the order, so four independent running
    ** maxima (one would wait on its own compare-and-blend every step) */
    vf vm[4] = {{0}, {0}, {0}, {0}}, v;
    int k = 0;
    for (; k + 64 <= K; k += 64)
      for (int u = 0; u < 4; u++) {
        memcpy(&v, s + k + 16 * u, sizeof v);
        vf a = (vf)((vi)v & 0x7fffffff);
        vi gt = a > vm[u];
        vm[u] = (vf)((gt & (vi)a) | (~gt & (vi)vm[u]));
      }
    for (; k + 16 <= K; k += 16) {
      memcpy(&v, s + k, sizeof v);
      vf a = (vf)((vi)v & 0x7fffffff);
      vi gt = a > vm[0];
      vm[0] = (vf)((gt & (vi)a) | (~gt & (vi)vm[0]));
    }
    /* a tree over the 64 lanes (a chain of 64 compares cost more than the row) */
    float lanes[64], amax;
    memcpy(lanes, vm, sizeof lanes);
    for (int w = 32; w > 0; w /= 2)
      for (int j = 0; j < w; j++) lanes[j] = lanes[j + w] > lanes[j] ? lanes[j + w] : lanes[j];
    amax = absmax_scalar(s + k, K - k);
    amax = lanes[0] > amax ? lanes[0] : amax;
    float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    scale[r] = amax / 127.0f;
    vf vinv = (vf){0} + inv;
    for (k = 0; k + 16 <= K; k += 16) {
      memcpy(&v, s + k, sizeof v);
      vf t = v * vinv;
      vi hi = t > 127.0f, lo = t < -127.0f;
      t = (vf)((hi & (vi)((vf){0} + 127.0f)) | (~hi & (vi)t));
      t = (vf)((lo & (vi)((vf){0} - 127.0f)) | (~lo & (vi)t));
      t = t + MAGIC;
      vi q = (vi)t - (vi)((vf){0} + MAGIC) + 128;
      vb b = __builtin_convertvector(q, vb);
      memcpy(d + k, &b, sizeof b);
    }
    for (; k < K; k++) d[k] = quant_one(s[k], inv);
    for (; k < K4p; k++) d[k] = 128; /* qa = 0 */
  }
}

#ifdef HAVE_VNNI_KERNELS
/* AVX-512: the same lane arithmetic as quant_body, but 64 values at a time
** packed into one 64-byte store (vpmovdb to memory is slow on Zen 4/5).
** The low byte is kept before packing, so the saturating packs see values
** in [0, 255] and change nothing: the bytes equal quant_body's truncation. */
__attribute__((target("avx512f,avx512bw"))) static void quant_avx512(uint8_t *dst, int ldd,
                                                                     float *scale, const float *src,
                                                                     int lds, int M, int K) {
  const int K4p = (K + 3) / 4 * 4;
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  const __m512 hi = _mm512_set1_ps(127.0f), lo = _mm512_set1_ps(-127.0f), magic = _mm512_set1_ps(MAGIC);
  const __m512i magic_i = _mm512_set1_epi32(0x4b400000), low = _mm512_set1_epi32(0xff);
  const __m512i off = _mm512_set1_epi32(128), absmask = _mm512_set1_epi32(0x7fffffff);
  for (int r = 0; r < M; r++) {
    const float *s = src + (int64_t)r * lds;
    uint8_t *d = dst + (int64_t)r * ldd;
    __m512 vm[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    int k = 0;
    for (; k + 64 <= K; k += 64)
      for (int u = 0; u < 4; u++) /* a > vm ? a : vm, as quant_body */
        vm[u] = _mm512_max_ps(_mm512_castsi512_ps(_mm512_and_si512(
                                  _mm512_castps_si512(_mm512_loadu_ps(s + k + 16 * u)), absmask)),
                              vm[u]);
    for (; k + 16 <= K; k += 16)
      vm[0] = _mm512_max_ps(_mm512_castsi512_ps(_mm512_and_si512(
                                _mm512_castps_si512(_mm512_loadu_ps(s + k)), absmask)),
                            vm[0]);
    /* the lanes hold no NaN (max_ps keeps vm then), so any order is exact */
    float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(vm[0], vm[1]), _mm512_max_ps(vm[2], vm[3])));
    float tail = absmax_scalar(s + k, K - k);
    amax = tail > amax ? tail : amax;
    float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    scale[r] = amax / 127.0f;
    const __m512 vinv = _mm512_set1_ps(inv);
    for (k = 0; k + 64 <= K; k += 64) {
      __m512i q[4];
      for (int u = 0; u < 4; u++) {
        __m512 t = _mm512_mul_ps(_mm512_loadu_ps(s + k + 16 * u), vinv);
        t = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(t, hi, _CMP_GT_OQ), t, hi);
        t = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(t, lo, _CMP_LT_OQ), t, lo);
        t = _mm512_add_ps(t, magic);
        q[u] = _mm512_and_si512(_mm512_add_epi32(_mm512_sub_epi32(_mm512_castps_si512(t), magic_i), off), low);
      }
      __m512i b = _mm512_packus_epi16(_mm512_packs_epi32(q[0], q[1]), _mm512_packs_epi32(q[2], q[3]));
      _mm512_storeu_si512((void *)(d + k), _mm512_permutexvar_epi32(order, b));
    }
    for (; k < K; k++) d[k] = quant_one(s[k], inv);
    for (; k < K4p; k++) d[k] = 128; /* qa = 0 */
  }
}
/* AVX2: quant_body's arithmetic 32 values at a time with intrinsics.  GCC 12
** keeps quant_body's 64-byte vectors in memory when it has only 32-byte
** registers, which made quantising 13% of an int8 pass on Zen 3.  max_ps
** keeps its second operand when the first is NaN, as quant_body's compare
** does; the packs see bytes in [0, 255] and change nothing. */
__attribute__((target("avx2"))) static void quant_avx2(uint8_t *dst, int ldd, float *scale,
                                                       const float *src, int lds, int M, int K) {
  const int K4p = (K + 3) / 4 * 4;
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const __m256 hi = _mm256_set1_ps(127.0f), lo = _mm256_set1_ps(-127.0f), magic = _mm256_set1_ps(MAGIC);
  const __m256i magic_i = _mm256_set1_epi32(0x4b400000), low = _mm256_set1_epi32(0xff);
  const __m256i off = _mm256_set1_epi32(128), absmask = _mm256_set1_epi32(0x7fffffff);
  for (int r = 0; r < M; r++) {
    const float *s = src + (int64_t)r * lds;
    uint8_t *d = dst + (int64_t)r * ldd;
    __m256 vm[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    int k = 0;
    for (; k + 32 <= K; k += 32)
      for (int u = 0; u < 4; u++)
        vm[u] = _mm256_max_ps(_mm256_castsi256_ps(_mm256_and_si256(
                                  _mm256_castps_si256(_mm256_loadu_ps(s + k + 8 * u)), absmask)),
                              vm[u]);
    __m256 m = _mm256_max_ps(_mm256_max_ps(vm[0], vm[1]), _mm256_max_ps(vm[2], vm[3]));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
    float amax = _mm_cvtss_f32(m4), tail = absmax_scalar(s + k, K - k);
    amax = tail > amax ? tail : amax;
    float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    scale[r] = amax / 127.0f;
    const __m256 vinv = _mm256_set1_ps(inv);
    for (k = 0; k + 32 <= K; k += 32) {
      __m256i q[4];
      for (int u = 0; u < 4; u++) {
        __m256 t = _mm256_mul_ps(_mm256_loadu_ps(s + k + 8 * u), vinv);
        t = _mm256_blendv_ps(t, hi, _mm256_cmp_ps(t, hi, _CMP_GT_OQ));
        t = _mm256_blendv_ps(t, lo, _mm256_cmp_ps(t, lo, _CMP_LT_OQ));
        t = _mm256_add_ps(t, magic);
        q[u] = _mm256_and_si256(_mm256_add_epi32(_mm256_sub_epi32(_mm256_castps_si256(t), magic_i), off), low);
      }
      __m256i b = _mm256_packus_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
      _mm256_storeu_si256((__m256i *)(d + k), _mm256_permutevar8x32_epi32(b, order));
    }
    for (; k < K; k++) d[k] = quant_one(s[k], inv);
    for (; k < K4p; k++) d[k] = 128; /* qa = 0 */
  }
}
#endif
static void quant_base(uint8_t *d, int ldd, float *sc, const float *s, int lds, int M, int K) {
  quant_body(d, ldd, sc, s, lds, M, K);
}

typedef void (*quant_fn)(uint8_t *dst, int ldd, float *scale, const float *src, int lds, int M,
                         int K);

/* ---- packing ------------------------------------------------------------------- */

int64_t ee_pack_int8_bytes(int N, int K) {
  int64_t np = (N + EE_NR - 1) / EE_NR;
  return np * ((K + 3) / 4) * EE_NR * 4 + np * EE_NR * (int64_t)(sizeof(float) + sizeof(int32_t));
}

void ee_pack_int8(ee_pw *pw, void *dst, const float *w, int N, int K) {
  const int np = (N + EE_NR - 1) / EE_NR, K4 = (K + 3) / 4;
  int8_t *q = dst;
  float *qs = (float *)(q + (int64_t)np * K4 * EE_NR * 4);
  int32_t *qc = (int32_t *)(qs + np * EE_NR);
  memset(q, 0, (size_t)np * (size_t)K4 * EE_NR * 4); /* zeros past N and K */
  for (int n = 0; n < np * EE_NR; n++) {
    qs[n] = 0.0f;
    qc[n] = 0;
    if (n >= N) continue;
    const float *row = w + (int64_t)n * K;
    float amax = absmax_scalar(row, K);
    qs[n] = amax / 127.0f;
    float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    int8_t *panel = q + (int64_t)(n / EE_NR) * K4 * EE_NR * 4 + (n % EE_NR) * 4;
    int32_t sum = 0;
    for (int k = 0; k < K; k++) {
      int v = (int)quant_one(row[k], inv) - 128;
      panel[(int64_t)(k / 4) * EE_NR * 4 + k % 4] = (int8_t)v;
      sum += v;
    }
    qc[n] = 128 * sum;
  }
  memset(pw, 0, sizeof *pw);
  pw->pq = dst;
  pw->qs = qs;
  pw->qc = qc;
  pw->N = N;
  pw->K = K;
  pw->K4 = K4;
  pw->np = np;
  pw->prec = EE_PREC_INT8;
}

/* ---- tiles ---------------------------------------------------------------------- */

/* C[0..mr) x [0..ncols) = dequantised A[0..mr) . B panels + bias + R.
** A: rows of lda bytes (K4 quads used), sa their scales; B: npan panels;
** qs, qc: the panels' scales and offset corrections (16 x npan). */
typedef void (*tile_fn)(float *C, int ldc, const uint8_t *A, int lda, const float *sa, int mr,
                        const int8_t *B, int K4, int npan, int ncols, const float *qs,
                        const int32_t *qc, const float *bias, const float *R, int ldr,
                        const char *pf, int pf_step);

/* The portable tile's epilogue of one element; the SIMD tiles do the same
** operations lane-wise (dequant_store_avx2, k_vnni512). */
static inline float dequant(int32_t acc, int32_t qc, float sa, float qs) {
  float c = (float)(acc - qc);
  c = c * sa;
  return c * qs;
}

static void tile_generic(float *C, int ldc, const uint8_t *A, int lda, const float *sa, int mr,
                         const int8_t *B, int K4, int npan, int ncols, const float *qs,
                         const int32_t *qc, const float *bias, const float *R, int ldr,
                         const char *pf, int pf_step) {
  (void)npan; /* always 1 here */
  int32_t acc[4][EE_NR];
  memset(acc, 0, sizeof acc);
  for (int kq = 0; kq < K4; kq++) {
    ee_prefetch_step(pf, kq, pf_step);
    const int8_t *b = B + (int64_t)kq * 4 * EE_NR;
    for (int r = 0; r < mr; r++) {
      const uint8_t *a = A + (int64_t)r * lda + 4 * kq;
      for (int j = 0; j < EE_NR; j++)
        acc[r][j] += a[0] * b[4 * j] + a[1] * b[4 * j + 1] + a[2] * b[4 * j + 2] + a[3] * b[4 * j + 3];
    }
  }
  for (int r = 0; r < mr; r++)
    for (int j = 0; j < ncols; j++) {
      float c = dequant(acc[r][j], qc[j], sa[r], qs[j]);
      if (bias) c += bias[j];
      if (R) c += R[(int64_t)r * ldr + j];
      C[(int64_t)r * ldc + j] = c;
    }
}

#ifdef HAVE_VNNI_KERNELS
#define T_VNNI512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512vnni")))
#define T_VNNI256 __attribute__((target("avx2,fma,avxvnni")))

/* acc += a (u8) . b (s8), four products per lane.  Inline assembly: with
** the intrinsic, GCC 12 copied every accumulator through another register
** (and spilled two) on each step of the k loop, for ~15% of the product. */
static inline __attribute__((always_inline)) T_VNNI512 __m512i dpbusd512(__m512i acc, __m512i a,
                                                                         __m512i b) {
  __asm__("vpdpbusd %[b], %[a], %[acc]" : [acc] "+v"(acc) : [a] "v"(a), [b] "v"(b));
  return acc;
}

/* 8 rows x 32 columns (two panels), 16 zmm int32 accumulators. */
static inline __attribute__((always_inline)) T_VNNI512 void k_vnni512(
    const int mr, const int two, float *C, int ldc, const uint8_t *A, int lda, const float *sa,
    const int8_t *B, int K4, int ncols, const float *qs, const int32_t *qc, const float *bias,
    const float *R, int ldr, const char *pf, int pf_step) {
  __m512i c0[8], c1[8];
#pragma GCC unroll 8
  for (int r = 0; r < 8; r++) c0[r] = c1[r] = _mm512_setzero_si512();
  const int8_t *B1 = B + (int64_t)K4 * 4 * EE_NR;
  for (int kq = 0; kq < K4; kq++) {
    __m512i w0 = _mm512_load_si512((const void *)(B + (int64_t)kq * 64));
    __m512i w1 = two ? _mm512_load_si512((const void *)(B1 + (int64_t)kq * 64)) : w0;
    ee_prefetch_step(pf, kq, pf_step);
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++)
      if (r < mr) {
        int32_t quad;
        memcpy(&quad, A + (int64_t)r * lda + 4 * kq, sizeof quad);
        __m512i a = _mm512_set1_epi32(quad);
        c0[r] = dpbusd512(c0[r], a, w0);
        if (two) c1[r] = dpbusd512(c1[r], a, w1);
      }
  }
  int n0 = ncols < 16 ? ncols : 16, n1 = ncols - n0;
  __mmask16 m0 = (__mmask16)((1u << n0) - 1u), m1 = (__mmask16)((1u << n1) - 1u);
  if (n0 == 16) m0 = 0xffff;
  if (n1 >= 16) m1 = 0xffff;
  const __m512i qc0 = _mm512_maskz_loadu_epi32(m0, qc), qc1 = _mm512_maskz_loadu_epi32(m1, qc + 16);
  const __m512 qs0 = _mm512_maskz_loadu_ps(m0, qs), qs1 = _mm512_maskz_loadu_ps(m1, qs + 16);
  /* Dequantise: (int32 sum - 128 x column sum) x token scale x feature scale. */
  __m512 f0[8], f1[8];
#pragma GCC unroll 8
  for (int r = 0; r < 8; r++)
    if (r < mr) {
      const __m512 s = _mm512_set1_ps(sa[r]);
      f0[r] = _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(c0[r], qc0)), s), qs0);
      f1[r] = two ? _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(c1[r], qc1)), s), qs1)
                  : f0[r];
    }
  ee_tile_store_avx512(C, ldc, f0, f1, mr, two, ncols, bias, R, ldr);
}

static T_VNNI512 void tile_vnni512(float *C, int ldc, const uint8_t *A, int lda, const float *sa,
                                   int mr, const int8_t *B, int K4, int npan, int ncols,
                                   const float *qs, const int32_t *qc, const float *bias,
                                   const float *R, int ldr, const char *pf, int pf_step) {
  EE_TILE_8X2(k_vnni512, mr, npan, C, ldc, A, lda, sa, B, K4, ncols, qs, qc, bias, R, ldr, pf, pf_step);
}

/* The 256-bit tiles' epilogue: signed sums (qc already subtracted) to
** floats, x token scale, x feature scale, lane-wise as dequant (qs holds 16
** values a panel, zeros past N, so a whole panel's load stays inside it),
** then + bias + R.  No FMA: the same roundings as every other tile. */
static inline __attribute__((always_inline, target("avx2"))) void dequant_store_avx2(
    float *C, int ldc, const __m256i *s0, const __m256i *s1, const int rows, const int mr,
    int ncols, const float *sa, const float *qs, const float *bias, const float *R, int ldr) {
  const __m256 qs0 = _mm256_loadu_ps(qs), qs1 = _mm256_loadu_ps(qs + 8);
  __m256 f0[6], f1[6];
#pragma GCC unroll 6
  for (int r = 0; r < rows; r++)
    if (r < mr) {
      const __m256 s = _mm256_set1_ps(sa[r]);
      f0[r] = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(s0[r]), s), qs0);
      f1[r] = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(s1[r]), s), qs1);
    }
  ee_tile_store_avx2(C, ldc, f0, f1, rows, mr, ncols, bias, R, ldr);
}

/* 6 rows x 16 columns, 12 ymm int32 accumulators (columns 0-7 and 8-15). */
static inline __attribute__((always_inline)) T_VNNI256 void k_vnni256(
    const int mr, float *C, int ldc, const uint8_t *A, int lda, const float *sa, const int8_t *B,
    int K4, int ncols, const float *qs, const int32_t *qc, const float *bias, const float *R,
    int ldr, const char *pf, int pf_step) {
  __m256i c0[6], c1[6];
#pragma GCC unroll 6
  for (int r = 0; r < 6; r++) c0[r] = c1[r] = _mm256_setzero_si256();
  for (int kq = 0; kq < K4; kq++) {
    __m256i w0 = _mm256_load_si256((const __m256i *)(B + (int64_t)kq * 64));
    __m256i w1 = _mm256_load_si256((const __m256i *)(B + (int64_t)kq * 64 + 32));
    ee_prefetch_step(pf, kq, pf_step);
#pragma GCC unroll 6
    for (int r = 0; r < 6; r++)
      if (r < mr) {
        int32_t quad;
        memcpy(&quad, A + (int64_t)r * lda + 4 * kq, sizeof quad);
        __m256i a = _mm256_set1_epi32(quad);
        c0[r] = _mm256_dpbusd_avx_epi32(c0[r], a, w0);
        c1[r] = _mm256_dpbusd_avx_epi32(c1[r], a, w1);
      }
  }
  /* the unsigned-activation sums less 128 x the column sums */
  const __m256i qc0 = _mm256_loadu_si256((const __m256i *)qc);
  const __m256i qc1 = _mm256_loadu_si256((const __m256i *)(qc + 8));
#pragma GCC unroll 6
  for (int r = 0; r < 6; r++)
    if (r < mr) {
      c0[r] = _mm256_sub_epi32(c0[r], qc0);
      c1[r] = _mm256_sub_epi32(c1[r], qc1);
    }
  dequant_store_avx2(C, ldc, c0, c1, 6, mr, ncols, sa, qs, bias, R, ldr);
}

static T_VNNI256 void tile_vnni256(float *C, int ldc, const uint8_t *A, int lda, const float *sa,
                                   int mr, const int8_t *B, int K4, int npan, int ncols,
                                   const float *qs, const int32_t *qc, const float *bias,
                                   const float *R, int ldr, const char *pf, int pf_step) {
  (void)npan;
  switch (mr) {
#define CASE(m) case m: k_vnni256(m, C, ldc, A, lda, sa, B, K4, ncols, qs, qc, bias, R, ldr, pf, pf_step); break;
    CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6)
#undef CASE
    default: break;
  }
}

/* Plain AVX2 (no VNNI: Zen 2/3, Intel before Alder Lake): vpmaddubsw
** multiplies unsigned by signed bytes into saturating int16 pair sums, and
** ua (up to 255) x qw (up to 127) x 2 would saturate.  So the tile works on
** the signed activations qa = ua - 128 (a byte xor 0x80) and moves their
** sign onto the weights: |qa| x (qw sign(qa)), a pair at most 2 x 127 x 127
** = 32258, never saturates; vpmaddwd by ones widens the pairs to int32.
** The sums are sum_k qa qw exactly, i.e. the VNNI tiles' sum minus qc, the
** very int32 their epilogue converts: dequant_store_avx2 takes them as
** they are, so the results are the same bits.  (Storing |qa| and qa with
** the activations, to save the xor and abs of each step, measured no
** faster on Zen 3: the tile is bound by its four multiplies a step.) */
#define T_AVX2 __attribute__((target("avx2,fma")))

/* 4 rows x 16 columns: 8 ymm int32 accumulators (columns 0-7 and 8-15). */
static inline __attribute__((always_inline)) T_AVX2 void tile4_avx2(
    const int mr, float *C, int ldc, const uint8_t *A, int lda, const float *sa, const int8_t *B,
    int K4, int ncols, const float *qs, const int32_t *qc, const float *bias, const float *R,
    int ldr, const char *pf, int pf_step) {
  __m256i c0[4], c1[4];
  const __m256i ones = _mm256_set1_epi16(1), flip = _mm256_set1_epi8((char)0x80);
#pragma GCC unroll 4
  for (int r = 0; r < 4; r++) c0[r] = c1[r] = _mm256_setzero_si256();
  for (int kq = 0; kq < K4; kq++) {
    __m256i w0 = _mm256_load_si256((const __m256i *)(B + (int64_t)kq * 64));
    __m256i w1 = _mm256_load_si256((const __m256i *)(B + (int64_t)kq * 64 + 32));
    ee_prefetch_step(pf, kq, pf_step);
#pragma GCC unroll 4
    for (int r = 0; r < 4; r++)
      if (r < mr) {
        int32_t quad;
        memcpy(&quad, A + (int64_t)r * lda + 4 * kq, sizeof quad);
        __m256i a = _mm256_xor_si256(_mm256_set1_epi32(quad), flip); /* qa */
        __m256i mag = _mm256_abs_epi8(a);
        __m256i p0 = _mm256_maddubs_epi16(mag, _mm256_sign_epi8(w0, a));
        __m256i p1 = _mm256_maddubs_epi16(mag, _mm256_sign_epi8(w1, a));
        c0[r] = _mm256_add_epi32(c0[r], _mm256_madd_epi16(p0, ones));
        c1[r] = _mm256_add_epi32(c1[r], _mm256_madd_epi16(p1, ones));
      }
  }
  (void)qc; /* the sums are already the signed ones the VNNI tiles reach by subtracting qc */
  dequant_store_avx2(C, ldc, c0, c1, 4, mr, ncols, sa, qs, bias, R, ldr);
}

static T_AVX2 void tile_avx2(float *C, int ldc, const uint8_t *A, int lda, const float *sa, int mr,
                             const int8_t *B, int K4, int npan, int ncols, const float *qs,
                             const int32_t *qc, const float *bias, const float *R, int ldr,
                             const char *pf, int pf_step) {
  (void)npan;
  switch (mr) {
#define CASE(m) case m: tile4_avx2(m, C, ldc, A, lda, sa, B, K4, ncols, qs, qc, bias, R, ldr, pf, pf_step); break;
    CASE(1) CASE(2) CASE(3) CASE(4)
#undef CASE
    default: break;
  }
}

/* AVX-VNNI is CPUID.(EAX=7,ECX=1):EAX bit 4; not every compiler's
** __builtin_cpu_supports knows its name.  avx2 implies the OS saves ymm. */
static int cpu_has_avxvnni(void) {
  unsigned a, b, c, d;
  if (!__builtin_cpu_supports("avx2") || !__get_cpuid_count(7, 1, &a, &b, &c, &d)) return 0;
  return (a >> 4) & 1;
}
#endif

/* ---- dispatch ------------------------------------------------------------------------------ */

/* Each tile comes with the quantisation variant compiled for the same
** ISA, so forcing the portable tile also exercises the portable routine. */
typedef struct kernel { const char *name; tile_fn fn; int mr, npan; quant_fn quant; } kernel;
static const kernel k_generic = {"generic", tile_generic, 4, 1, quant_base};
#ifdef HAVE_VNNI_KERNELS
static const kernel kn_vnni512 = {"avx512vnni", tile_vnni512, 8, 2, quant_avx512};
static const kernel kn_vnni256 = {"avxvnni", tile_vnni256, 6, 1, quant_avx2};
static const kernel kn_avx2 = {"avx2", tile_avx2, 4, 1, quant_avx2};
#endif
static const kernel *_Atomic active = &k_generic;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* force: "generic", "avx2" (the plain AVX2 tile), "avxvnni" (the 256-bit
** AVX-VNNI tile), each the portable one where the CPU lacks it, or NULL /
** anything else for the best the CPU has. */
static const kernel *choose(const char *force) {
#ifdef HAVE_VNNI_KERNELS
  if (force && strcmp(force, "generic") == 0) return &k_generic;
  __builtin_cpu_init();
  int v256 = cpu_has_avxvnni();
  int v512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
  int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (force && strcmp(force, "avxvnni") == 0) return v256 ? &kn_vnni256 : &k_generic;
  if (force && strcmp(force, "avx2") == 0) return avx2 ? &kn_avx2 : &k_generic;
  if (v512) return &kn_vnni512;
  if (v256) return &kn_vnni256;
  if (avx2) return &kn_avx2;
#else
  (void)force;
#endif
  return &k_generic;
}

static void pick_kernel(void) { active = choose(getenv("EE_KERNEL")); }

const char *ee_int8_kernel_name(void) {
  pthread_once(&once, pick_kernel);
  return active->name;
}

const char *ee_int8_force(const char *force) {
  pthread_once(&once, pick_kernel);
  active = choose(force ? force : getenv("EE_KERNEL"));
  return active->name;
}

void ee_quant_rows(uint8_t *dst, int ldd, float *scale, const float *src, int lds, int M, int K) {
  pthread_once(&once, pick_kernel);
  active->quant(dst, ldd, scale, src, lds, M, K);
}

typedef struct int8_tiles {
  ee_tiles t;
  const kernel *kn;
  const ee_pw *W;
  const uint8_t *A;
  const float *sa;
  int lda;
} int8_tiles;

static void int8_tile(const ee_tiles *t, float *C, int i, int mr, const char *B, int np, int col,
                      int ncols, const float *bias, const float *R, const char *pf, int pf_step) {
  const int8_tiles *x = (const int8_tiles *)t;
  x->kn->fn(C, t->ldc, x->A + (int64_t)i * x->lda, x->lda, x->sa + i, mr,
            (const int8_t *)(const void *)B, x->W->K4, np, ncols, x->W->qs + col, x->W->qc + col,
            bias, R, t->ldr, pf, pf_step);
}

void ee_gemm_int8(float *C, int ldc, const uint8_t *A, int lda, const float *sa, int M,
                  const ee_pw *W, int p0, int p1, int after, const float *bias, const float *R,
                  int ldr, int act) {
  pthread_once(&once, pick_kernel);
  const kernel *kn = active;
  const int8_tiles x = {{int8_tile, (const char *)W->pq, (int64_t)W->K4 * 64, W->K4, kn->mr,
                         kn->npan, ldc, ldr},
                        kn, W, A, sa, lda};
  ee_gemm_drive(&x.t, C, M, W->N, W->np, p0, p1, after, bias, R, act);
}
