/*
** kernels.c — the dense layers' matrix product on weights packed at load,
** with AVX-512, AVX2+FMA and portable C micro-kernels picked at run time.
**
**   ee_pw w;                                   // packed copy of W (N,K)
**   w.p = aligned buffer of ee_pack_floats(N, K) floats; ee_pack(&w, W, N, K);
**   ee_gemm(C, ldc, A, lda, M, &w, 0, w.np, bias, resid, ldr, act);
**
** computes C (M,N) = act(A (M,K) . W^T + bias + resid) for the columns of
** panels [p0, p1), so threads can split one product by output features.
**
** Packing.  A Linear weight is stored [out, in] (torch).  Each block of 16
** outputs becomes one panel of K x 16 floats, k-major:
**   panel p, row k = W[16p .. 16p+15][k]   (zeros past N)
** so the micro-kernel loads one aligned vector per k and panel, and nothing
** is repacked per call (OpenBLAS repacks B on every call, which was 41% of
** a batch-1 16-token pass).
**
** Micro-kernels (register tiles of rows x columns, full K per tile):
**   avx512   8 rows x 32 columns (two panels): 16 zmm accumulators
**   avx2     6 rows x 16 columns: 12 ymm accumulators
**   generic  4 rows x 16 columns in plain C (any CPU, arm64 included)
** Every element is one accumulator summed over k = 0..K-1 in order, so an
** element's value does not depend on M, on its row's position, on the
** tile shape or on how threads split the columns: a text gets bit-identical
** results alone, in any batch and with any thread count.  (The three
** kernels round differently from one another: FMA vs multiply-add.)
** The CPU decides once (__builtin_cpu_supports); EE_KERNEL=generic|avx2|
** avx512 in the environment forces one, for tests and measurements.
**
** The loop around the tiles (row chunks, panels, prefetch of the weights
** needed next, activation) is gemm_drive.c's, shared with bf16 and int8.
*/
#include "engine_int.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

int64_t ee_pack_floats(int N, int K) { return (int64_t)((N + EE_NR - 1) / EE_NR) * K * EE_NR; }

void ee_pack(ee_pw *pw, float *dst, const float *w, int N, int K) {
  int np = (N + EE_NR - 1) / EE_NR;
  for (int p = 0; p < np; p++) {
    float *d = dst + (int64_t)p * K * EE_NR;
    for (int k = 0; k < K; k++)
      for (int j = 0; j < EE_NR; j++) {
        int n = p * EE_NR + j;
        d[(int64_t)k * EE_NR + j] = n < N ? w[(int64_t)n * K + k] : 0.0f;
      }
  }
  memset(pw, 0, sizeof *pw); /* prec EE_PREC_FP32 */
  pw->p = dst;
  pw->N = N;
  pw->K = K;
  pw->np = np;
}

/* One register tile: C[0..mr) x [0..ncols) = A[0..mr) . B panels + bias + R.
** B: npan (1 or 2) consecutive panels of K x 16.  bias/R may be NULL. */
typedef void (*tile_fn)(float *C, int ldc, const float *A, int lda, int mr, const float *B,
                        int K, int npan, int ncols, const float *bias, const float *R, int ldr,
                        const char *pf, int pf_step);

/* ---- portable C ---------------------------------------------------------- */

static void tile_generic(float *C, int ldc, const float *A, int lda, int mr, const float *B,
                         int K, int npan, int ncols, const float *bias, const float *R, int ldr,
                         const char *pf, int pf_step) {
  (void)npan; /* always 1 here */
  float acc[4][EE_NR];
  memset(acc, 0, sizeof acc);
  for (int k = 0; k < K; k++) {
    ee_prefetch_step(pf, k, pf_step);
    const float *b = B + (int64_t)k * EE_NR;
    for (int r = 0; r < mr; r++) {
      float a = A[(int64_t)r * lda + k];
      for (int j = 0; j < EE_NR; j++) acc[r][j] += a * b[j];
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

/* ---- x86-64: AVX2+FMA and AVX-512 ---------------------------------------- */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#include "tile_store_avx2.h"
#include "tile_store_avx512.h"
#define HAVE_X86_KERNELS 1

#define T_AVX2 __attribute__((target("avx2,fma")))
#define T_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))

static inline __attribute__((always_inline)) T_AVX2 void k_avx2(
    const int mr, float *C, int ldc, const float *A, int lda, const float *B, int K, int ncols,
    const float *bias, const float *R, int ldr, const char *pf, int pf_step) {
  __m256 c0[6], c1[6];
#pragma GCC unroll 6
  for (int r = 0; r < 6; r++) c0[r] = c1[r] = _mm256_setzero_ps();
  for (int k = 0; k < K; k++) {
    __m256 w0 = _mm256_load_ps(B + (int64_t)k * 16), w1 = _mm256_load_ps(B + (int64_t)k * 16 + 8);
    ee_prefetch_step(pf, k, pf_step);
#pragma GCC unroll 6
    for (int r = 0; r < 6; r++)
      if (r < mr) {
        __m256 a = _mm256_broadcast_ss(A + (int64_t)r * lda + k);
        c0[r] = _mm256_fmadd_ps(a, w0, c0[r]);
        c1[r] = _mm256_fmadd_ps(a, w1, c1[r]);
      }
  }
  ee_tile_store_avx2(C, ldc, c0, c1, 6, mr, ncols, bias, R, ldr);
}

static T_AVX2 void tile_avx2(float *C, int ldc, const float *A, int lda, int mr, const float *B,
                             int K, int npan, int ncols, const float *bias, const float *R,
                             int ldr, const char *pf, int pf_step) {
  (void)npan;
  switch (mr) {
#define CASE(m) case m: k_avx2(m, C, ldc, A, lda, B, K, ncols, bias, R, ldr, pf, pf_step); break;
    CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6)
#undef CASE
    default: break;
  }
}

static inline __attribute__((always_inline)) T_AVX512 void k_avx512(
    const int mr, const int two, float *C, int ldc, const float *A, int lda, const float *B,
    int K, int ncols, const float *bias, const float *R, int ldr, const char *pf, int pf_step) {
  __m512 c0[8], c1[8];
#pragma GCC unroll 8
  for (int r = 0; r < 8; r++) c0[r] = c1[r] = _mm512_setzero_ps();
  const float *B1 = B + (int64_t)K * 16;
  for (int k = 0; k < K; k++) {
    __m512 w0 = _mm512_load_ps(B + (int64_t)k * 16);
    __m512 w1 = two ? _mm512_load_ps(B1 + (int64_t)k * 16) : w0;
    ee_prefetch_step(pf, k, pf_step);
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++)
      if (r < mr) {
        __m512 a = _mm512_set1_ps(A[(int64_t)r * lda + k]);
        c0[r] = _mm512_fmadd_ps(a, w0, c0[r]);
        if (two) c1[r] = _mm512_fmadd_ps(a, w1, c1[r]);
      }
  }
  ee_tile_store_avx512(C, ldc, c0, c1, mr, two, ncols, bias, R, ldr);
}

static T_AVX512 void tile_avx512(float *C, int ldc, const float *A, int lda, int mr,
                                 const float *B, int K, int npan, int ncols, const float *bias,
                                 const float *R, int ldr, const char *pf, int pf_step) {
  EE_TILE_8X2(k_avx512, mr, npan, C, ldc, A, lda, B, K, ncols, bias, R, ldr, pf, pf_step);
}
#endif

/* ---- dispatch -------------------------------------------------------------- */

typedef struct kernel { const char *name; tile_fn fn; int mr, npan; } kernel;
static const kernel k_generic = {"generic", tile_generic, 4, 1};
#ifdef HAVE_X86_KERNELS
static const kernel k_avx2_ = {"avx2", tile_avx2, 6, 1};
static const kernel k_avx512_ = {"avx512", tile_avx512, 8, 2};
#endif
static const kernel *active = &k_generic;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void pick_kernel(void) {
  const char *force = getenv("EE_KERNEL");
  active = &k_generic;
#ifdef HAVE_X86_KERNELS
  __builtin_cpu_init();
  int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  int avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
  if (force && strcmp(force, "generic") == 0) return;
  if (force && strcmp(force, "avx2") == 0) {
    if (avx2) active = &k_avx2_;
    return;
  }
  if (avx512) active = &k_avx512_;
  else if (avx2) active = &k_avx2_;
#else
  (void)force;
#endif
}

const char *ee_kernel_name(void) {
  pthread_once(&once, pick_kernel);
  return active->name;
}

typedef struct f32_tiles {
  ee_tiles t;
  const kernel *kn;
  const float *A;
  int lda, K;
} f32_tiles;

static void f32_tile(const ee_tiles *t, float *C, int i, int mr, const char *B, int np, int col,
                     int ncols, const float *bias, const float *R, const char *pf, int pf_step) {
  const f32_tiles *x = (const f32_tiles *)t;
  (void)col;
  x->kn->fn(C, t->ldc, x->A + (int64_t)i * x->lda, x->lda, mr, (const float *)(const void *)B,
            x->K, np, ncols, bias, R, t->ldr, pf, pf_step);
}

void ee_gemm(float *C, int ldc, const float *A, int lda, int M, const ee_pw *W, int p0, int p1,
             int after, const float *bias, const float *R, int ldr, int act) {
  pthread_once(&once, pick_kernel);
  const f32_tiles x = {{f32_tile, (const char *)W->p, (int64_t)W->K * EE_NR * (int64_t)sizeof(float),
                        W->K, active->mr, active->npan, ldc, ldr},
                       active, A, lda, W->K};
  ee_gemm_drive(&x.t, C, M, W->N, W->np, p0, p1, after, bias, R, act);
}
