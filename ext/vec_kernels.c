/*
** vec_kernels.c — the float32 distance kernels of the KNN scan, with
** run-time CPU dispatch.
**
** The build targets baseline x86-64 (or arm64), so the AVX2+FMA and
** AVX-512 versions are compiled with function target attributes and picked
** once, at first use, from what the running CPU reports.  The portable
** version keeps 8 independent partial sums, which compilers turn into one
** vector register on any SIMD ISA (NEON included), and is always correct.
** All versions compute in float32 with the same association per lane
** width; results may differ from each other in the last bits, never more.
*/
#include "vec_kernels.h"
#include <stdatomic.h>
#include <string.h>

static float dot_portable(const float *a, const float *b, int n) {
  float acc[8] = {0};
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; j++) acc[j] += a[i + j] * b[i + j];
  }
  float s = 0;
  for (; i < n; i++) s += a[i] * b[i];
  for (int j = 0; j < 8; j++) s += acc[j];
  return s;
}

static float l2sq_portable(const float *a, const float *b, int n) {
  float acc[8] = {0};
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; j++) {
      float d = a[i + j] - b[i + j];
      acc[j] += d * d;
    }
  }
  float s = 0;
  for (; i < n; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
  for (int j = 0; j < 8; j++) s += acc[j];
  return s;
}

static void dot_norm_portable(const float *q, const float *v, int n, float *pDot, float *pNorm2) {
  *pDot = dot_portable(q, v, n);
  *pNorm2 = dot_portable(v, v, n);
}

static int32_t dot_i8_portable(const int8_t *a, const int8_t *b, int n) {
  int32_t s = 0;
  for (int i = 0; i < n; i++) s += (int32_t)a[i] * b[i];
  return s;
}

static int hamming_portable(const uint8_t *a, const uint8_t *b, int nBytes) {
  int d = 0, i = 0;
  for (; i + 8 <= nBytes; i += 8) {
    uint64_t x, y;
    memcpy(&x, a + i, 8);
    memcpy(&y, b + i, 8);
    d += __builtin_popcountll(x ^ y);
  }
  for (; i < nBytes; i++) d += __builtin_popcount((unsigned)(a[i] ^ b[i]));
  return d;
}

static double dot_f64_portable(const float *a, const float *b, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += (double)a[i] * b[i];
  return s;
}

static double l2sq_f64_portable(const float *a, const float *b, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) {
    double d = (double)a[i] - b[i];
    s += d * d;
  }
  return s;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

__attribute__((target("avx2,fma"))) static double hsum256d(__m256d x) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(x), _mm256_extractf128_pd(x, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

__attribute__((target("avx2,fma"))) static double dot_f64_avx2(const float *a, const float *b, int n) {
  __m256d acc = _mm256_setzero_pd();
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    acc = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm_loadu_ps(a + i)), _mm256_cvtps_pd(_mm_loadu_ps(b + i)), acc);
  }
  double s = hsum256d(acc);
  for (; i < n; i++) s += (double)a[i] * b[i];
  return s;
}

__attribute__((target("avx2,fma"))) static double l2sq_f64_avx2(const float *a, const float *b, int n) {
  __m256d acc = _mm256_setzero_pd();
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    __m256d d = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(a + i)), _mm256_cvtps_pd(_mm_loadu_ps(b + i)));
    acc = _mm256_fmadd_pd(d, d, acc);
  }
  double s = hsum256d(acc);
  for (; i < n; i++) {
    double d = (double)a[i] - b[i];
    s += d * d;
  }
  return s;
}

/* int8 products widened to int16 pairs and summed into int32 lanes
** (madd): exact for any length below 2^16 dimensions. */
__attribute__((target("avx2"))) static int32_t dot_i8_avx2(const int8_t *a, const int8_t *b, int n) {
  __m256i acc = _mm256_setzero_si256();
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256i x = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i)));
    __m256i y = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i)));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, y));
  }
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  int32_t sum = _mm_cvtsi128_si32(s);
  for (; i < n; i++) sum += (int32_t)a[i] * b[i];
  return sum;
}

__attribute__((target("popcnt"))) static int hamming_popcnt(const uint8_t *a, const uint8_t *b, int nBytes) {
  int d = 0, i = 0;
  for (; i + 8 <= nBytes; i += 8) {
    uint64_t x, y;
    memcpy(&x, a + i, 8);
    memcpy(&y, b + i, 8);
    d += (int)_mm_popcnt_u64(x ^ y);
  }
  for (; i < nBytes; i++) d += (int)_mm_popcnt_u32((unsigned)(a[i] ^ b[i]));
  return d;
}

__attribute__((target("avx2,fma"))) static float hsum256(__m256 x) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) static float dot_avx2(const float *a, const float *b, int n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  float s = hsum256(_mm256_add_ps(acc0, acc1));
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

__attribute__((target("avx2,fma"))) static float l2sq_avx2(const float *a, const float *b, int n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
    acc0 = _mm256_fmadd_ps(d0, d0, acc0);
    acc1 = _mm256_fmadd_ps(d1, d1, acc1);
  }
  float s = hsum256(_mm256_add_ps(acc0, acc1));
  for (; i < n; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
  return s;
}

__attribute__((target("avx2,fma"))) static void dot_norm_avx2(const float *q, const float *v, int n, float *pDot,
                                                               float *pNorm2) {
  __m256 d = _mm256_setzero_ps(), nn = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 x = _mm256_loadu_ps(v + i);
    d = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), x, d);
    nn = _mm256_fmadd_ps(x, x, nn);
  }
  float sd = hsum256(d), sn = hsum256(nn);
  for (; i < n; i++) {
    sd += q[i] * v[i];
    sn += v[i] * v[i];
  }
  *pDot = sd;
  *pNorm2 = sn;
}

__attribute__((target("avx512f"))) static float dot_avx512(const float *a, const float *b, int n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
  }
  for (; i + 16 <= n; i += 16) acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
  float s = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

__attribute__((target("avx512f"))) static float l2sq_avx512(const float *a, const float *b, int n) {
  __m512 acc = _mm512_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 d = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    acc = _mm512_fmadd_ps(d, d, acc);
  }
  float s = _mm512_reduce_add_ps(acc);
  for (; i < n; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
  return s;
}

__attribute__((target("avx512f"))) static void dot_norm_avx512(const float *q, const float *v, int n, float *pDot,
                                                                float *pNorm2) {
  __m512 d = _mm512_setzero_ps(), nn = _mm512_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 x = _mm512_loadu_ps(v + i);
    d = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), x, d);
    nn = _mm512_fmadd_ps(x, x, nn);
  }
  float sd = _mm512_reduce_add_ps(d), sn = _mm512_reduce_add_ps(nn);
  for (; i < n; i++) {
    sd += q[i] * v[i];
    sn += v[i] * v[i];
  }
  *pDot = sd;
  *pNorm2 = sn;
}
#endif

static const vec_kernels kernels_portable = {"portable", dot_portable, l2sq_portable, dot_norm_portable,
                                             dot_i8_portable, hamming_portable, dot_f64_portable, l2sq_f64_portable};
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
static const vec_kernels kernels_avx2 = {"avx2", dot_avx2, l2sq_avx2, dot_norm_avx2, dot_i8_avx2, hamming_popcnt,
                                         dot_f64_avx2, l2sq_f64_avx2};
static const vec_kernels kernels_avx512 = {"avx512", dot_avx512, l2sq_avx512, dot_norm_avx512, dot_i8_avx2,
                                           hamming_popcnt, dot_f64_avx2, l2sq_f64_avx2};
#endif

const vec_kernels *vecKernels(void) {
  /* Racing first calls all compute the same answer; the atomic only keeps
  ** the publication well defined. */
  static _Atomic(const vec_kernels *) pChosen = NULL;
  const vec_kernels *pKnown = atomic_load_explicit(&pChosen, memory_order_relaxed);
  if (pKnown) return pKnown;
  const vec_kernels *p = &kernels_portable;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) p = &kernels_avx512;
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) p = &kernels_avx2;
#endif
  atomic_store_explicit(&pChosen, p, memory_order_relaxed);
  return p;
}

const vec_kernels *vecKernelsPortable(void) { return &kernels_portable; }
