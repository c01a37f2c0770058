/*
** test_precision.c — reduced precision (ee_params.precision "bf16" and
** "int8"): the kernels against references computed here, the portable
** paths against the SIMD ones, and the encoder's accuracy against fp32.
**
**   TEST_MODELS=build/test-models build/tests/test_precision
**
** Without a model:
**   - bfloat16 rounding (ee_bf16_from_float, ee_to_bf16_rows) against a
**     round-to-nearest-even written here from the definition (and against
**     the CPU's vcvtneps2bf16 where it has AVX512_BF16), special values
**     included, and every sign and exponent at the rounding boundaries
**     through the row routines of each tile (avx512bf16's is the
**     instruction itself); ee_to_bf16_rows_scaled against rounding the
**     float product, and ee_softmax_rows_unscaled times its inv against
**     ee_softmax_rows bit for bit (the bf16 head normalises that way);
**   - int8 row quantisation (ee_quant_rows) against the formula of
**     kernels_int8.c computed here; both routines as compiled for each tile
**     this CPU runs (forcing a tile forces its routine);
**   - ee_gemm_bf16 / ee_gemm_int8 on odd shapes, bias, residual and GELU,
**     for every tile this CPU can run (generic always, avx2, avx512,
**     avx512bf16, avx512vnni, avxvnni when present, each forced by name): equal bit for bit to a reference
**     computed here from the same bfloat16 / int8 values (pair order of
**     vdpbf16ps; exact integer sums), hence equal to one another; near
**     the double-precision product of the unrounded inputs; the same when
**     split in two column ranges as threads do;
**   - EE_KERNEL=generic selects the portable tiles;
**   - the bf16 attention head (attention.c) on odd lengths and head sizes:
**     every tile's bits the same, near the double-precision result.
** With $TEST_MODELS/minilm (and odd widths, and the other generated shapes
** listed in main: NomicBert's gated FFN and rotary attention, its v2-moe
** experts, ...; the generated MiniLM-L6-shape model, random weights over the
** real vocabulary: there are no pretrained weights here):
**   - cosine similarity of the pooled vectors of 300 AG News texts
**     (bench/data/ag_news_2000.txt) between fp32 and bf16 (mean and min >=
**     0.999) and fp32 and int8 (>= 0.99);
**   - the same texts' vectors with the portable tiles forced are
**     bit-identical to the SIMD ones (a subset, the portable path is slow);
**   - a text alone and in a batch, 1 thread and all cores: bit-identical;
**   - ee_info.precision and bytes_packed (the packed copy replaces fp32:
**     about 1/2 and 1/4 of the fp32 bytes);
**   - errors: params.precision out of range; int8 with an intermediate
**     size past 65,536 (a config.json alone suffices: it is refused before
**     the weights are read).
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../../engine/engine_int.h"
#include "check.h"

/* Under AddressSanitizer (make test-asan, -O1) a tenth of the texts: the
** memory checks need no more, and the accuracy bounds are checked by the
** ordinary build. */
#if defined(__SANITIZE_ADDRESS__)
#define N_TEXTS 48
#else
#define N_TEXTS 300
#endif
#define N_PORTABLE 6 /* texts run through the (slow) portable tiles */

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint32_t next_u32(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 11);
}
static float bits_f(uint32_t u) { float f; memcpy(&f, &u, sizeof f); return f; }
static uint32_t f_bits(float f) { uint32_t u; memcpy(&u, &f, sizeof u); return u; }
static float bf(uint16_t h) { return bits_f((uint32_t)h << 16); }

/* ---- references ------------------------------------------------------------- */

/* Round to bfloat16 from the definition: the two neighbours in bfloat16,
** the nearer in exact (double) distance, the even one on a tie; subnormal
** inputs to signed zero (vcvtneps2bf16 assumes DAZ); NaN to a quiet NaN. */
static uint16_t ref_bf16(float x) {
  uint32_t u = f_bits(x);
  if (isnan(x)) return (uint16_t)((u >> 16) | 0x40);
  if (fpclassify(x) == FP_SUBNORMAL || x == 0.0f) return (uint16_t)((u >> 16) & 0x8000);
  if (isinf(x)) return (uint16_t)(u >> 16);
  uint16_t lo = (uint16_t)(u >> 16); /* toward zero */
  double a = fabs((double)x), lo_v = fabs((double)bf(lo));
  int e;
  frexp(lo_v, &e);                      /* lo_v = m 2^e, m in [0.5, 1): 8 significant bits */
  double hi_v = lo_v + ldexp(1.0, e - 8); /* the next bfloat16 away from zero (2^128 = Inf) */
  double dlo = a - lo_v, dhi = hi_v - a;
  if (dlo < dhi) return lo;
  if (dhi < dlo) return (uint16_t)(lo + 1);
  return (lo & 1) ? (uint16_t)(lo + 1) : lo;
}

/* int8 of one row as kernels_int8.c documents: amax = max |x|; inv = 127 /
** amax in float; q = round-half-even(x * inv) clamped to [-127, 127]. */
static void ref_quant(int8_t *q, float *scale, const float *x, int K) {
  float amax = 0.0f;
  for (int k = 0; k < K; k++) amax = fabsf(x[k]) > amax ? fabsf(x[k]) : amax;
  float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
  *scale = amax / 127.0f;
  for (int k = 0; k < K; k++) {
    float t = x[k] * inv;
    double r = nearbyint((double)t); /* default rounding mode: to nearest even */
    q[k] = (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
  }
}

/* ---- rounding and quantisation ------------------------------------------------- */

#if defined(__x86_64__) && (defined(__GNUC__) && __GNUC__ >= 10 || defined(__clang__))
#include <immintrin.h>
__attribute__((target("avx512f,avx512vl,avx512bw,avx512bf16"))) static void hw_bf16(uint16_t *d,
                                                                                    const float *s) {
  __m256bh h = _mm512_cvtneps_pbh(_mm512_loadu_ps(s));
  memcpy(d, &h, 32);
}
static int have_hw_bf16(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512bw");
}
#else
static void hw_bf16(uint16_t *d, const float *s) { (void)d, (void)s; }
static int have_hw_bf16(void) { return 0; }
#endif

/* Value k of an activation row from ee_to_bf16_rows is the bfloat16 b: in
** the layout of width w (1: bfloat16s; 2: floats, zero low halves). */
static int act_is(const uint16_t *row, int w, int k, uint16_t b) {
  return w == 1 ? row[k] == b : row[2 * k] == 0 && row[2 * k + 1] == b;
}

static void check_rounding(void) {
  enum { N = 1 << 18 };
  float *x = malloc(sizeof(float) * N);
  uint16_t *h = malloc(sizeof(uint16_t) * 2 * (N + 2)); /* room for the widened layout */
  static const uint32_t special[] = {0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00800000,
                                     0x3f808000, 0x3f818000, 0x3f807fff, 0x3f808001, 0x7f7fffff,
                                     0xff7fffff, 0x7f7f8000, 0x7f800000, 0xff800000, 0x7fc00000,
                                     0x7f800001, 0xffa00000, 0x3f800000, 0xc0490fdb, 0x00810000};
  const int ns = (int)(sizeof special / sizeof special[0]);
  for (int i = 0; i < N; i++) x[i] = bits_f(i < ns ? special[i] : next_u32() ^ (next_u32() << 21));
  long bad_scalar = 0, bad_rows = 0, bad_hw = 0;
  for (int i = 0; i < N; i++) bad_scalar += ee_bf16_from_float(x[i]) != ref_bf16(x[i]);
  CHECK(bad_scalar == 0, "ee_bf16_from_float vs round-to-nearest-even on %d floats (%d special): %ld differ",
        N, ns, bad_scalar);
  /* rows of every length 1..40 (vector body and tails), odd K padded with
  ** 0, with the routine of the portable tile and of the best one */
  static const char *const bf16_variants[] = {"generic", "avx2", "avx512", "avx512bf16"};
  const char *bseen[4] = {0};
  for (int vi = 0; vi < 4; vi++) {
    const char *kname = ee_bf16_force(bf16_variants[vi]);
    int dup = 0;
    for (int j = 0; j < vi; j++) dup |= bseen[j] && strcmp(bseen[j], kname) == 0;
    bseen[vi] = kname;
    if (dup) continue;
    bad_rows = 0;
    const int w = ee_bf16_act_width();
    for (int K = 1; K <= 40; K++) {
      memset(h, 0xff, sizeof(uint16_t) * 2 * 42);
      ee_to_bf16_rows(h, 42 * w, x + 1000 * K, K, 1, K);
      for (int k = 0; k < K; k++) bad_rows += !act_is(h, w, k, ref_bf16(x[1000 * K + k]));
      if (K % 2) bad_rows += !act_is(h, w, K, 0);
    }
    ee_to_bf16_rows(h, N * w, x, N, 1, N);
    for (int i = 0; i < N; i++) bad_rows += !act_is(h, w, i, ref_bf16(x[i]));
    CHECK(bad_rows == 0, "ee_to_bf16_rows (with the %s tile) vs the reference (a %d-float row, rows of 1..40, odd padding): %ld differ",
          kname, N, bad_rows);
    /* scaled: the float product, rounded once (attention's probabilities
    ** are normalised this way); scales like 1/sum of a softmax row */
    static const float scales[] = {0.5f, 1.0f / 3.0f, 7.0710678e-3f, 1.0f / 127.3f, 3.0f};
    long bad_scaled = 0;
    for (int si = 0; si < 5; si++) {
      const float sc = scales[si];
      for (int K = 1; K <= 40; K++) {
        memset(h, 0xff, sizeof(uint16_t) * 2 * 42);
        ee_to_bf16_rows_scaled(h, 42 * w, x + 1000 * K, K, 1, K, sc);
        for (int k = 0; k < K; k++) bad_scaled += !act_is(h, w, k, ref_bf16(x[1000 * K + k] * sc));
        if (K % 2) bad_scaled += !act_is(h, w, K, 0);
      }
      ee_to_bf16_rows_scaled(h, N * w, x, N, 1, N, sc);
      for (int i = 0; i < N; i++) bad_scaled += !act_is(h, w, i, ref_bf16(x[i] * sc));
    }
    CHECK(bad_scaled == 0, "ee_to_bf16_rows_scaled (with the %s tile) vs rounding the float product, 5 scales: %ld differ",
          kname, bad_scaled);
    /* every sign and exponent (all 2^16 upper halves: NaN payloads, Inf,
    ** subnormals, the largest finite) with low halves at the rounding
    ** boundaries, through both row routines of this tile */
    static const uint16_t lows[8] = {0x0000, 0x0001, 0x7fff, 0x8000, 0x8001, 0xc000, 0xffff, 0x4321};
    enum { NS = 8 << 16 };
    float *xs = malloc(sizeof(float) * NS);
    uint16_t *hs = malloc(sizeof(uint16_t) * 2 * NS);
    for (int i = 0; i < NS; i++) xs[i] = bits_f(((uint32_t)(i >> 3) << 16) | lows[i & 7]);
    long bad_sweep = 0, bad_round = 0;
    ee_to_bf16_rows(hs, NS * w, xs, NS, 1, NS);
    for (int i = 0; i < NS; i++) bad_sweep += !act_is(hs, w, i, ref_bf16(xs[i]));
    ee_bf16_round_rows(hs, NS, xs, NS, 1, NS, 1.0f);
    for (int i = 0; i < NS; i++) bad_round += hs[i] != ref_bf16(xs[i]);
    CHECK(bad_sweep == 0 && bad_round == 0,
          "every float sign and exponent at the rounding boundaries (%d values), %s tile: ee_to_bf16_rows %ld, ee_bf16_round_rows %ld differ",
          NS, kname, bad_sweep, bad_round);
    free(xs);
    free(hs);
  }
  ee_bf16_force(NULL);
  if (have_hw_bf16()) {
    uint16_t hw[16];
    for (int i = 0; i + 16 <= N; i += 16) {
      hw_bf16(hw, x + i);
      for (int j = 0; j < 16; j++) bad_hw += hw[j] != ref_bf16(x[i + j]) && !isnan(x[i + j]);
      for (int j = 0; j < 16; j++) bad_hw += isnan(x[i + j]) && !(hw[j] & 0x40) ; /* quiet */
    }
    CHECK(bad_hw == 0, "the reference rounding equals this CPU's vcvtneps2bf16 on %d floats: %ld differ", N, bad_hw);
  } else {
    printf("SKIP: no AVX512_BF16: vcvtneps2bf16 not compared\n");
  }

  /* int8 rows: lengths 1..70 and a few long ones (every vector body and
  ** tail), a zero row, huge and tiny values; the routine of each tile */
  static uint8_t qb[1600];
  static int8_t qr[1600];
  static float row[1600];
  float s, sr;
  static const int long_k[] = {127, 128, 129, 191, 384, 1536};
  static const char *const int8_variants[] = {"generic", "avx2", "avxvnni", NULL};
  const char *seen[4] = {0};
  for (int vi = 0; vi < 4; vi++) {
    const char *kname = ee_int8_force(int8_variants[vi]);
    int dup = 0;
    for (int j = 0; j < vi; j++) dup |= seen[j] && strcmp(seen[j], kname) == 0;
    seen[vi] = kname;
    if (dup) continue;
    long bad_q = 0, bad_s = 0, bad_pad = 0;
    for (int ki = 0; ki < 70 + 6; ki++)
      for (int rep = 0; rep < 20; rep++) {
        int K = ki < 70 ? ki + 1 : long_k[ki - 70];
        float mag = rep == 0 ? 0.0f : ldexpf(1.0f, (int)(next_u32() % 60) - 30);
        for (int k = 0; k < K; k++) row[k] = ((float)(next_u32() % 2001) - 1000.0f) / 1000.0f * mag;
        if (rep == 1) row[K / 2] = mag * 0.5f / 127.0f * 3.0f; /* exact ties: 1.5 q steps */
        memset(qb, 0x55, sizeof qb);
        ee_quant_rows(qb, 1600, &s, row, K, 1, K);
        ref_quant(qr, &sr, row, K);
        bad_s += f_bits(s) != f_bits(sr);
        for (int k = 0; k < K; k++) bad_q += (int)qb[k] - 128 != qr[k];
        for (int k = K; k < (K + 3) / 4 * 4; k++) bad_pad += qb[k] != 128;
      }
    CHECK(bad_q == 0 && bad_s == 0 && bad_pad == 0,
          "ee_quant_rows (with the %s tile) vs the formula on rows of 1..70, 127..129, 191, 384, 1536 floats: "
          "%ld values, %ld scales, %ld padding bytes differ", kname, bad_q, bad_s, bad_pad);
    float nanrow[80];
    for (int k = 0; k < 80; k++) nanrow[k] = k == 3 || k == 70 ? NAN : k == 7 ? INFINITY : (float)k;
    ee_quant_rows(qb, 80, &s, nanrow, 80, 1, 80); /* defined bytes, no UB (checked under UBSan) */
    CHECK(1, "ee_quant_rows (with the %s tile) on a row with NaN and Inf returns (scale %g)", kname, (double)s);
  }
  ee_int8_force(NULL);
  free(x);
  free(h);
}

/* ---- products ---------------------------------------------------------------------- */

static void *aligned(size_t bytes) {
  void *p = NULL;
  return posix_memalign(&p, 64, bytes ? (bytes + 63) / 64 * 64 : 64) == 0 ? p : NULL;
}

static const int shapes[][3] = {{1, 16, 8}, {13, 37, 29}, {9, 48, 64}, {50, 33, 17}, {7, 70, 5},
                                {20, 64, 384}, {3, 17, 1}, {49, 96, 130}};
#define NSHAPES ((int)(sizeof shapes / sizeof shapes[0]))

static void fill(float *v, int n, int salt) {
  for (int i = 0; i < n; i++)
    v[i] = (float)((int)((unsigned)(i * 37 + salt * 101) % 1013u) - 506) / 317.0f *
           (1.0f + (float)(i % 5));
}

/* mode 0: plain, 1: bias + residual, 2: bias + GELU. */
static void check_gemm_bf16(const char *kname) {
  double worst_rel = 0.0;
  long bad = 0, bad_split = 0;
  for (int si = 0; si < NSHAPES; si++) {
    int M = shapes[si][0], N = shapes[si][1], K = shapes[si][2], K2 = (K + 1) / 2;
    float *A = malloc(sizeof(float) * M * K), *W = malloc(sizeof(float) * N * K);
    float *bias = malloc(sizeof(float) * N), *R = malloc(sizeof(float) * M * N);
    float *C = malloc(sizeof(float) * M * N), *C2 = malloc(sizeof(float) * M * N);
    const int lda = 2 * K2 * ee_bf16_act_width();
    uint16_t *Ab = malloc(sizeof(uint16_t) * M * lda);
    void *pk = aligned((size_t)ee_pack_bf16_bytes(N, K));
    fill(A, M * K, 1), fill(W, N * K, 2), fill(bias, N, 3), fill(R, M * N, 4);
    /* the inputs rounded by the reference, K padded to even with zeros */
    float *Ar = calloc((size_t)M * 2 * K2, sizeof(float)), *Wr = calloc((size_t)N * 2 * K2, sizeof(float));
    for (int i = 0; i < M; i++)
      for (int k = 0; k < K; k++) Ar[i * 2 * K2 + k] = bf(ref_bf16(A[i * K + k]));
    for (int j = 0; j < N; j++)
      for (int k = 0; k < K; k++) Wr[j * 2 * K2 + k] = bf(ref_bf16(W[j * K + k]));
    ee_pw pw;
    ee_pack_bf16(&pw, pk, W, N, K);
    ee_to_bf16_rows(Ab, lda, A, K, M, K);
    for (int mode = 0; mode < 3; mode++) {
      const float *Rm = mode == 1 ? R : NULL, *bm = mode ? bias : NULL;
      int act = mode == 2 ? (int)EE_ACT_GELU : -1;
      ee_gemm_bf16(C, N, Ab, lda, M, &pw, 0, pw.np, -1, bm, Rm, N, act);
      int half = (pw.np / 2) & ~1;
      ee_gemm_bf16(C2, N, Ab, lda, M, &pw, 0, half, half, bm, Rm, N, act);
      ee_gemm_bf16(C2 + half * EE_NR, N, Ab, lda, M, &pw, half, pw.np, 0, bm, Rm, N, act);
      for (int i = 0; i < M; i++) {
        float row[128];
        for (int j = 0; j < N; j++) {
          /* vdpbf16ps order: per pair, the odd product then the even one */
          float acc = 0.0f;
          double exact = 0.0, mag = 0.0;
          const float *ar = Ar + i * 2 * K2, *wr = Wr + j * 2 * K2;
          for (int kk = 0; kk < K2; kk++) {
            volatile float t = acc + ar[2 * kk + 1] * wr[2 * kk + 1];
            acc = t + ar[2 * kk] * wr[2 * kk];
          }
          for (int k = 0; k < K; k++) {
            exact += (double)A[i * K + k] * W[j * K + k];
            mag += fabs((double)A[i * K + k] * W[j * K + k]);
          }
          if (bm) acc += bm[j], exact += bm[j];
          if (Rm) acc += Rm[i * N + j], exact += Rm[i * N + j];
          row[j] = acc;
          if (mode == 2) continue;
          /* bf16 inputs: relative error per product <= 2^-8, so |sum err| <= 2^-7 sum |a w| */
          double rel = fabs((double)C[i * N + j] - exact) / (mag + 1.0);
          worst_rel = rel > worst_rel ? rel : worst_rel;
        }
        /* GELU: the engine's routine (tested against erf in test_engine.c) on the reference */
        if (act >= 0) ee_act_row(row, N, (ee_act)act);
        for (int j = 0; j < N; j++) {
          bad += f_bits(C[i * N + j]) != f_bits(row[j]);
          bad_split += f_bits(C[i * N + j]) != f_bits(C2[i * N + j]);
        }
      }
    }
    free(A), free(W), free(bias), free(R), free(C), free(C2), free(Ab), free(pk), free(Ar), free(Wr);
  }
  CHECK(bad == 0, "ee_gemm_bf16 (%s tile) on %d odd shapes x {plain, bias+residual, bias+GELU}: "
        "bit-identical to the vdpbf16ps-order reference (%ld differ)", kname, NSHAPES, bad);
  CHECK(worst_rel <= 1.0 / 128, "ee_gemm_bf16 (%s tile) vs the double product of the unrounded inputs: "
        "max error %.3g of sum |a w| (bound 2^-7)", kname, worst_rel);
  CHECK(bad_split == 0, "ee_gemm_bf16 (%s tile) split in two column ranges: %ld differ", kname, bad_split);
}

static void check_gemm_int8(const char *kname) {
  long bad = 0, bad_split = 0;
  double worst_rel = 0.0;
  for (int si = 0; si < NSHAPES; si++) {
    int M = shapes[si][0], N = shapes[si][1], K = shapes[si][2], K4 = (K + 3) / 4;
    float *A = malloc(sizeof(float) * M * K), *W = malloc(sizeof(float) * N * K);
    float *bias = malloc(sizeof(float) * N), *R = malloc(sizeof(float) * M * N);
    float *C = malloc(sizeof(float) * M * N), *C2 = malloc(sizeof(float) * M * N);
    uint8_t *Aq = malloc((size_t)M * 4 * K4);
    float *sa = malloc(sizeof(float) * M);
    int8_t *qa = malloc((size_t)M * K), *qw = malloc((size_t)N * K);
    float *sra = malloc(sizeof(float) * M), *srw = malloc(sizeof(float) * N);
    void *pk = aligned((size_t)ee_pack_int8_bytes(N, K));
    fill(A, M * K, 5), fill(W, N * K, 6), fill(bias, N, 7), fill(R, M * N, 8);
    for (int i = 0; i < M; i++) ref_quant(qa + i * K, &sra[i], A + i * K, K);
    for (int j = 0; j < N; j++) ref_quant(qw + j * K, &srw[j], W + j * K, K);
    ee_pw pw;
    ee_pack_int8(&pw, pk, W, N, K);
    ee_quant_rows(Aq, 4 * K4, sa, A, K, M, K);
    for (int mode = 0; mode < 3; mode++) {
      const float *Rm = mode == 1 ? R : NULL, *bm = mode ? bias : NULL;
      int act = mode == 2 ? (int)EE_ACT_GELU : -1;
      ee_gemm_int8(C, N, Aq, 4 * K4, sa, M, &pw, 0, pw.np, -1, bm, Rm, N, act);
      int half = (pw.np / 2) & ~1;
      ee_gemm_int8(C2, N, Aq, 4 * K4, sa, M, &pw, 0, half, half, bm, Rm, N, act);
      ee_gemm_int8(C2 + half * EE_NR, N, Aq, 4 * K4, sa, M, &pw, half, pw.np, 0, bm, Rm, N, act);
      for (int i = 0; i < M; i++) {
        float row[128];
        for (int j = 0; j < N; j++) {
          int32_t dot = 0;
          double exact = 0.0, bound = 0.0;
          for (int k = 0; k < K; k++) dot += qa[i * K + k] * qw[j * K + k];
          /* |a - qa sa| <= sa / 2, |w - qw sw| <= sw / 2 per element */
          for (int k = 0; k < K; k++) {
            exact += (double)A[i * K + k] * W[j * K + k];
            bound += sra[i] / 2.0 * fabs((double)W[j * K + k]) + srw[j] / 2.0 * fabs((double)A[i * K + k]) +
                     sra[i] * (double)srw[j] / 4.0;
          }
          volatile float c = (float)dot;
          c = c * sra[i];
          c = c * srw[j];
          float v = c;
          if (bm) v += bm[j], exact += bm[j];
          if (Rm) v += Rm[i * N + j], exact += Rm[i * N + j];
          row[j] = v;
          if (mode == 2) continue;
          double rel = fabs((double)C[i * N + j] - exact) / (1.001 * bound + 1e-5 * (fabs(exact) + 1.0));
          worst_rel = rel > worst_rel ? rel : worst_rel;
        }
        if (act >= 0) ee_act_row(row, N, (ee_act)act);
        for (int j = 0; j < N; j++) {
          bad += f_bits(C[i * N + j]) != f_bits(row[j]);
          bad_split += f_bits(C[i * N + j]) != f_bits(C2[i * N + j]);
        }
      }
    }
    free(A), free(W), free(bias), free(R), free(C), free(C2), free(Aq), free(sa), free(qa), free(qw);
    free(sra), free(srw), free(pk);
  }
  CHECK(bad == 0, "ee_gemm_int8 (%s tile) on %d odd shapes x {plain, bias+residual, bias+GELU}: "
        "bit-identical to the exact integer reference, dequantised in the documented order (%ld differ)",
        kname, NSHAPES, bad);
  CHECK(worst_rel <= 1.0, "ee_gemm_int8 (%s tile) vs the double product of the unquantised inputs: "
        "max error %.3g of the rounding bound sum (sa |w| + sw |a|) / 2 + sa sw / 4", kname, worst_rel);
  CHECK(bad_split == 0, "ee_gemm_int8 (%s tile) split in two column ranges: %ld differ", kname, bad_split);
}

static void check_products(void) {
  /* every bf16 tile this CPU runs, each forced by name (a tile the CPU
  ** lacks falls back to another, already tested, one) */
  static const char *const bf16_tiles[] = {"generic", "avx2", "avx512", "avx512bf16"};
  const char *b_seen[4] = {0};
  for (int ti = 0; ti < 4; ti++) {
    const char *kname = b_seen[ti] = ee_bf16_force(bf16_tiles[ti]);
    int dup = 0;
    for (int j = 0; j < ti; j++) dup |= strcmp(b_seen[j], kname) == 0;
    if (!dup) check_gemm_bf16(kname);
    else printf("SKIP: this CPU has no %s: the %s bf16 tile not tested\n", bf16_tiles[ti], bf16_tiles[ti]);
  }
  const char *b_best = ee_bf16_force(NULL);
  int best_known = 0;
  for (int ti = 0; ti < 4; ti++) best_known |= strcmp(b_best, b_seen[ti]) == 0;
  CHECK(best_known, "the bf16 tile picked for this CPU (%s) is one of the tiles tested above", b_best);
  const char *i_generic = ee_int8_force("generic");
  check_gemm_int8(i_generic);
  const char *i_avx2 = ee_int8_force("avx2");
  if (strcmp(i_avx2, "generic") != 0) check_gemm_int8(i_avx2);
  else printf("SKIP: no AVX2 on this CPU: the AVX2 int8 tile not tested\n");
  const char *i_256 = ee_int8_force("avxvnni");
  if (strcmp(i_256, "generic") != 0) check_gemm_int8(i_256);
  else printf("SKIP: no AVX-VNNI on this CPU: the 256-bit int8 tile not tested\n");
  const char *i_best = ee_int8_force(NULL);
  if (strcmp(i_best, "generic") != 0 && strcmp(i_best, i_256) != 0 && strcmp(i_best, i_avx2) != 0)
    check_gemm_int8(i_best);
  else printf("SKIP: no AVX512_VNNI on this CPU: the 512-bit int8 tile not tested\n");

  /* EE_KERNEL=generic in the environment selects the portable tiles */
  const char *old = getenv("EE_KERNEL");
  char *saved = old ? strdup(old) : NULL;
  setenv("EE_KERNEL", "generic", 1);
  CHECK(strcmp(ee_bf16_force(NULL), "generic") == 0 && strcmp(ee_int8_force(NULL), "generic") == 0,
        "EE_KERNEL=generic selects the portable bf16 and int8 tiles");
  if (saved) setenv("EE_KERNEL", saved, 1);
  else unsetenv("EE_KERNEL");
  free(saved);
  ee_bf16_force(NULL);
  ee_int8_force(NULL);
}

/* ---- attention ----------------------------------------------------------------------- */

/* The bf16 head normalises its probabilities in the rounding: the rows
** ee_softmax_rows_unscaled leaves, times its inv, must be ee_softmax_rows'
** rows bit for bit (rows of 1..70 columns: vector body and tails). */
static void check_softmax_unscaled(void) {
  long differ = 0, rows_seen = 0;
  for (int cols = 1; cols <= 70; cols++) {
    enum { ROWS = 5 };
    float a[ROWS * 70], b[ROWS * 70], inv[ROWS];
    for (int i = 0; i < ROWS * cols; i++)
      a[i] = b[i] = ((float)(next_u32() % 20001) - 10000.0f) / 1000.0f;
    ee_softmax_rows(a, ROWS, cols);
    ee_softmax_rows_unscaled(b, ROWS, cols, inv);
    for (int r = 0; r < ROWS; r++, rows_seen++)
      for (int c = 0; c < cols; c++) {
        float scaled = b[r * cols + c] * inv[r];
        differ += memcmp(&scaled, &a[r * cols + c], sizeof scaled) != 0;
      }
  }
  CHECK(differ == 0, "ee_softmax_rows_unscaled times inv is ee_softmax_rows bit for bit (%ld rows of 1..70): %ld differ",
        rows_seen, differ);
}

/* The worst error of an attention head's out (L,d), row stride ldo, against
** softmax(q k^T / sqrt(d)) v in double from qkv (rows of ld: q, k, v side by
** side), each query seeing the keys within window positions (all for window
** < 0); relative to the largest |v| of each output column.  NaN if out holds
** one. */
static double attention_error(const float *out, int ldo, const float *qkv, int ld, int L, int d,
                              int window) {
  double *p = malloc(sizeof(double) * (size_t)L), worst = 0.0;
  if (!p) return NAN;
  for (int i = 0; i < L; i++) {
    double mx = -1e300, sum = 0.0;
    for (int j = 0; j < L; j++) {
      double dot = 0.0;
      for (int c = 0; c < d; c++) dot += (double)qkv[i * ld + c] * qkv[j * ld + d + c];
      p[j] = window < 0 || abs(i - j) <= window ? dot / sqrt((double)d) : -INFINITY;
      mx = p[j] > mx ? p[j] : mx;
    }
    for (int j = 0; j < L; j++) sum += (p[j] = exp(p[j] - mx));
    for (int c = 0; c < d; c++) {
      double o = 0.0, scale = 0.0;
      for (int j = 0; j < L; j++) {
        o += p[j] / sum * qkv[j * ld + 2 * d + c];
        scale = fmax(scale, fabs(qkv[j * ld + 2 * d + c]));
      }
      double e = fabs(out[i * ldo + c] - o) / (scale > 0 ? scale : 1.0);
      worst = e > worst || isnan(e) ? e : worst;
    }
  }
  free(p);
  return worst;
}

/* ee_attention_head_bf16 on odd lengths and head sizes, with every bf16
** tile this CPU runs: bit-identical to one another, near softmax(q k^T /
** sqrt(d)) v computed here in double from the unrounded inputs, and within
** a scratch of exactly ee_attention_scratch_floats(L, d, bf16) floats (the
** ASan build catches a write past it). */
static void check_attention_bf16(void) {
  static const int lens[] = {1, 2, 17, 33, 130}, dims[] = {5, 32, 64};
  static const char *const tiles[] = {"generic", "avx2", "avx512", "avx512bf16"};
  long differ_tiles = 0;
  double worst = 0.0;
  for (int li = 0; li < 5; li++)
    for (int di = 0; di < 3; di++) {
      const int L = lens[li], d = dims[di], ld = 3 * d + 3, ldo = d + 1;
      float *qkv = malloc(sizeof(float) * (size_t)(L * ld));
      float *out = malloc(sizeof(float) * (size_t)(L * ldo)), *first = malloc(sizeof(float) * (size_t)(L * ldo));
      fill(qkv, L * ld, L * 7 + d);
      for (int i = 0; i < L * ld; i++) qkv[i] *= 0.25f;
      for (int ti = 0; ti < 4; ti++) {
        ee_bf16_force(tiles[ti]); /* the AVX2 tile's wider rows need more scratch */
        float *scratch = aligned(sizeof(float) * (size_t)ee_attention_scratch_floats(L, d, EE_PREC_BF16));
        ee_attention_head_bf16(out, ldo, qkv, qkv + d, qkv + 2 * d, ld, L, d, NULL, -1, scratch);
        free(scratch);
        if (ti == 0) memcpy(first, out, sizeof(float) * (size_t)(L * ldo));
        else
          for (int i = 0; i < L; i++)
            differ_tiles += memcmp(out + i * ldo, first + i * ldo, sizeof(float) * (size_t)d) != 0;
      }
      const double e = attention_error(out, ldo, qkv, ld, L, d, -1);
      worst = e > worst || isnan(e) ? e : worst;
      free(qkv), free(out), free(first);
    }
  ee_bf16_force(NULL);
  CHECK(differ_tiles == 0, "bf16 attention head: every tile gives the same bits (L 1..130, d 5/32/64): %ld rows differ",
        differ_tiles);
  CHECK(worst < 2e-2, "bf16 attention head vs double from the unrounded inputs: worst error %.2e of max |v| (< 2e-2)",
        worst);
}

/* A local layer's attention (ModernBERT): with a window, each query sees
** only keys within window positions, and the code scores only the panels
** of 16 keys a block of 48 queries needs.  Lengths around the block and
** panel edges, windows from 0 (a query sees itself) to past the length,
** in fp32 and bf16, against softmax over the band computed here in double
** from the inputs; the scratch is exactly ee_attention_scratch_floats
** (the ASan build catches a write past it). */
static void check_attention_window(void) {
  static const int lens[] = {1, 2, 17, 47, 49, 97, 130, 300}, dims[] = {16, 6};
  static const int windows[] = {0, 1, 8, 15, 16, 64, 299};
  double worst[2] = {0.0, 0.0};
  long cases = 0;
  for (size_t li = 0; li < sizeof lens / sizeof *lens; li++)
    for (size_t di = 0; di < sizeof dims / sizeof *dims; di++)
      for (size_t wi = 0; wi < sizeof windows / sizeof *windows; wi++) {
        const int L = lens[li], d = dims[di], w = windows[wi], ld = 3 * d + 1, ldo = d + 2;
        float *qkv = malloc(sizeof(float) * (size_t)(L * ld));
        float *out = malloc(sizeof(float) * (size_t)(L * ldo));
        fill(qkv, L * ld, L * 13 + d + w);
        for (int i = 0; i < L * ld; i++) qkv[i] *= 0.5f;
        for (int bf = 0; bf < 2; bf++) {
          const ee_precision prec = bf ? EE_PREC_BF16 : EE_PREC_FP32;
          float *scratch = aligned(sizeof(float) * (size_t)ee_attention_scratch_floats(L, d, prec));
          if (bf) ee_attention_head_bf16(out, ldo, qkv, qkv + d, qkv + 2 * d, ld, L, d, NULL, w, scratch);
          else ee_attention_head(out, ldo, qkv, qkv + d, qkv + 2 * d, ld, L, d, NULL, w, scratch);
          free(scratch);
          const double e = attention_error(out, ldo, qkv, ld, L, d, w);
          worst[bf] = e > worst[bf] || isnan(e) ? e : worst[bf];
          cases++;
        }
        free(qkv), free(out);
      }
  CHECK(worst[0] < 1e-5, "windowed attention head, fp32 (L 1..300, windows 0..299, %ld cases): worst "
        "error %.2e of max |v| vs the band's softmax in double (< 1e-5)", cases / 2, worst[0]);
  CHECK(worst[1] < 2e-2, "windowed attention head, bf16: worst error %.2e of max |v| (< 2e-2)", worst[1]);
}

/* ---- the encoder ------------------------------------------------------------------------- */

typedef struct texts { int n; char **t; size_t *len; } texts;

static int read_texts(const char *path, int max, texts *tx) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  tx->t = calloc((size_t)max, sizeof *tx->t);
  tx->len = calloc((size_t)max, sizeof *tx->len);
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  tx->n = 0;
  while (tx->n < max && (n = getline(&line, &cap, f)) >= 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    tx->t[tx->n] = strdup(line);
    tx->len[tx->n++] = (size_t)n;
  }
  free(line);
  fclose(f);
  return tx->n;
}

static ee_model *load(const char *dir, ee_precision prec, int threads) {
  ee_params p = ee_default_params();
  p.precision = prec;
  p.threads = threads;
  ee_model *m = NULL;
  ee_error err = {0};
  ee_status rc = ee_model_load(dir, &p, &m, &err);
  CHECK_EQ_INT(rc, EE_OK, "load %s with precision %d, %d thread(s) (%s)", dir, (int)prec, threads, err.msg);
  return m;
}

/* vectors (n, H) of texts [0, n) with model m, or NULL */
static float *embed(ee_model *m, const texts *tx, int n) {
  if (!m) return NULL;
  int H = ee_model_dims(m);
  ee_context *ctx = ee_context_new(m);
  float *v = malloc(sizeof(float) * (size_t)n * (size_t)H);
  ee_error err = {0};
  if (!ctx || !v || ee_embed_texts(ctx, n, (const char *const *)tx->t, tx->len, v, &err) != EE_OK) {
    printf("  ee_embed_texts: %s\n", err.msg);
    free(v);
    v = NULL;
  }
  ee_context_free(ctx);
  return v;
}

static void cosines(const float *a, const float *b, int n, int H, double *mean, double *min) {
  *mean = 0.0, *min = 2.0;
  for (int i = 0; i < n; i++) {
    double dot = 0.0, na = 0.0, nb = 0.0;
    for (int j = 0; j < H; j++) {
      double x = a[(size_t)i * H + j], y = b[(size_t)i * H + j];
      dot += x * y, na += x * x, nb += y * y;
    }
    double c = dot / sqrt(na * nb);
    *mean += c / n;
    *min = c < *min ? c : *min;
  }
}

static long differ(const float *a, const float *b, size_t n) {
  long d = 0;
  for (size_t i = 0; i < n; i++) d += f_bits(a[i]) != f_bits(b[i]);
  return d;
}

/* label: what the model is, for the messages; full: also the checks that
** need the MiniLM shape (the packed size ratio: odd widths pad pairs). */
static void check_encoder(const char *dir, const char *label, int full) {
  texts tx = {0};
  int n = read_texts("bench/data/ag_news_2000.txt", N_TEXTS, &tx);
  CHECK(n == N_TEXTS, "read %d AG News texts from bench/data/ag_news_2000.txt", n);
  if (n < N_PORTABLE) return;
  ee_model *m32 = load(dir, EE_PREC_FP32, 0);
  if (!m32) return;
  int H = ee_model_dims(m32);
  float *ref = embed(m32, &tx, n);
  static const struct { ee_precision p; const char *name; double bound; } precs[] = {
      {EE_PREC_BF16, "bf16", 0.999}, {EE_PREC_INT8, "int8", 0.99}};
  ee_info i32;
  ee_model_info(m32, &i32);
  for (int pi = 0; pi < 2; pi++) {
    ee_model *m = load(dir, precs[pi].p, 0);
    if (!m || !ref) {
      ee_model_free(m);
      continue;
    }
    ee_info in;
    ee_model_info(m, &in);
    CHECK(strcmp(in.precision, precs[pi].name) == 0 && strcmp(i32.precision, "fp32") == 0,
          "ee_info.precision %s (fp32 model: %s)", in.precision, i32.precision);
    const char *want = precs[pi].p == EE_PREC_BF16 ? ee_bf16_kernel_name() : ee_int8_kernel_name();
    CHECK(in.kernel && strcmp(in.kernel, want) == 0 && i32.kernel && strcmp(i32.kernel, ee_kernel_name()) == 0,
          "ee_info.kernel %s (the %s tile in use: %s), fp32 model's %s (%s)", in.kernel ? in.kernel : "NULL",
          precs[pi].name, want, i32.kernel ? i32.kernel : "NULL", ee_kernel_name());
    double frac = (double)in.bytes_packed / (double)i32.bytes_packed;
    if (full) {
      CHECK(frac < (precs[pi].p == EE_PREC_BF16 ? 0.51 : 0.27),
            "%s: bytes_packed %lld = %.3f of fp32's %lld (the low-precision copy replaces the fp32 one)",
            precs[pi].name, (long long)in.bytes_packed, frac, (long long)i32.bytes_packed);
    }

    float *v = embed(m, &tx, n);
    double mean = 0.0, min = 0.0;
    if (v) cosines(ref, v, n, H, &mean, &min);
    CHECK(v && mean >= precs[pi].bound && min >= precs[pi].bound,
          "%s vs fp32, %d AG News texts (%s, random weights): cosine mean %.6f, min %.6f (>= %g)",
          precs[pi].name, n, label, mean, min, precs[pi].bound);

    /* the portable tiles give the same bits */
    const char *simd = precs[pi].p == EE_PREC_BF16 ? ee_bf16_kernel_name() : ee_int8_kernel_name();
    if (precs[pi].p == EE_PREC_BF16) ee_bf16_force("generic");
    else ee_int8_force("generic");
    float *g = embed(m, &tx, N_PORTABLE);
    if (precs[pi].p == EE_PREC_BF16) ee_bf16_force(NULL);
    else ee_int8_force(NULL);
    CHECK(v && g && differ(v, g, (size_t)N_PORTABLE * H) == 0,
          "%s, %s: %d texts with the portable tile bit-identical to the %s tile (%ld floats differ)",
          precs[pi].name, label, N_PORTABLE, simd, v && g ? differ(v, g, (size_t)N_PORTABLE * H) : -1L);

    /* alone vs in the batch, 1 vs 2 threads */
    long alone_diff = v ? 0 : -1;
    ee_context *ctx = ee_context_new(m);
    float *one = malloc(sizeof(float) * (size_t)H);
    for (int i = 0; i < N_PORTABLE && v && ctx; i++) {
      ee_error err = {0};
      const char *t = tx.t[i];
      if (ee_embed_texts(ctx, 1, &t, &tx.len[i], one, &err) != EE_OK) alone_diff = -1;
      else alone_diff += differ(one, v + (size_t)i * H, (size_t)H);
    }
    CHECK(alone_diff == 0, "%s, %s: %d texts embedded alone bit-identical to in a batch of %d (%ld differ)",
          precs[pi].name, label, N_PORTABLE, n, alone_diff);
    ee_model *m1 = load(dir, precs[pi].p, 1);
    float *v1 = embed(m1, &tx, 40);
    CHECK(v1 && differ(v1, v, (size_t)40 * H) == 0,
          "%s, %s: 40 texts with 1 thread bit-identical to all cores (%ld)", precs[pi].name, label,
          sysconf(_SC_NPROCESSORS_ONLN));
    free(one), free(v1), free(v), free(g);
    ee_context_free(ctx);
    ee_model_free(m1);
    ee_model_free(m);
  }
  free(ref);
  ee_model_free(m32);
  for (int i = 0; i < tx.n; i++) free(tx.t[i]);
  free(tx.t);
  free(tx.len);
}

/* ---- errors ------------------------------------------------------------------------------- */

static void check_errors(const char *dir) {
  ee_params p = ee_default_params();
  CHECK_EQ_INT(p.precision, EE_PREC_FP32, "ee_default_params().precision is fp32");
  ee_model *m = NULL;
  ee_error err = {0};
  p.precision = (ee_precision)3;
  ee_status rc = ee_model_load(dir, &p, &m, &err);
  CHECK(rc == EE_ERR_INPUT && m == NULL &&
            strcmp(err.msg, "params.precision is 3 (expected 0 fp32, 1 bf16 or 2 int8)") == 0,
        "params.precision 3 refused: %s", err.msg);
  p.precision = (ee_precision)-1;
  rc = ee_model_load(dir, &p, &m, &err);
  CHECK(rc == EE_ERR_INPUT && strstr(err.msg, "params.precision is -1") != NULL,
        "params.precision -1 refused: %s", err.msg);

  /* int8 past K = 65536: a config.json alone (refused before the weights) */
  char tmp[] = "/tmp/test_precision_XXXXXX";
  if (!mkdtemp(tmp)) {
    CHECK(0, "mkdtemp");
    return;
  }
  char path[512];
  snprintf(path, sizeof path, "%s/config.json", tmp);
  FILE *f = fopen(path, "w");
  fputs("{\"model_type\": \"bert\", \"hidden_size\": 64, \"num_hidden_layers\": 1, "
        "\"num_attention_heads\": 4, \"intermediate_size\": 65540, \"vocab_size\": 100, "
        "\"max_position_embeddings\": 16, \"type_vocab_size\": 2, \"hidden_act\": \"gelu\", "
        "\"layer_norm_eps\": 1e-12}", f);
  fclose(f);
  p = ee_default_params();
  p.precision = EE_PREC_INT8;
  rc = ee_model_load(tmp, &p, &m, &err);
  char want[700];
  snprintf(want, sizeof want,
           "precision int8 needs hidden_size and intermediate_size <= 65536 (int32 sums), but "
           "%s/config.json has 64 and 65540: use precision fp32 or bf16", tmp);
  CHECK(rc == EE_ERR_UNSUPPORTED && m == NULL && strcmp(err.msg, want) == 0,
        "int8 with intermediate_size 65540 refused: %s", err.msg);
  p.precision = EE_PREC_BF16; /* bf16 has no such limit: it gets as far as the weights */
  rc = ee_model_load(tmp, &p, &m, &err);
  CHECK(rc != EE_OK && rc != EE_ERR_UNSUPPORTED && strstr(err.msg, "model.safetensors") != NULL,
        "bf16 with the same config goes on to the weights: %s", err.msg);
  remove(path);
  rmdir(tmp);
}

int main(void) {
  check_rounding();
  check_products();
  check_softmax_unscaled();
  check_attention_bf16();
  check_attention_window();
  const char *models = getenv("TEST_MODELS");
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/minilm", models && models[0] ? models : "build/test-models");
  char cfg[1100];
  snprintf(cfg, sizeof cfg, "%s/config.json", dir);
  if (access(cfg, R_OK) != 0) {
    printf("SKIP: no model at %s (run build/tools/gen_model)\n", dir);
    return check_finish();
  }
  check_errors(dir);
  check_encoder(dir, "generated MiniLM-L6-shape model", 1);
  /* the other generated shapes, each for what its tiles do differently */
  static const struct { const char *shape, *what; } more[] = {
    {"odd", "generated model of odd widths: hidden 45, head 15, intermediate 131"},
    /* the gated FFN's interleaved panels and rotary attention in each tile */
    {"nomic", "generated NomicBert: rotary, SwiGLU"},
    /* pre-LayerNorm copies converted for each product, GeGLU, windowed layers */
    {"modernbert", "generated ModernBERT: pre-LayerNorm, GeGLU, windowed layers"},
    /* QKV and down-projection biases in the epilogue, NTK-scaled rotary, GeGLU */
    {"gte", "generated GTE v1.5: post-LayerNorm, NTK rotary, GeGLU with biases"},
    /* ALiBi's bias table in the scores of each tile, 6 heads */
    {"jina", "generated JinaBert: ALiBi, GeGLU"},
    /* the query and key LayerNorms between the QKV product and the tiles, layer_norm_1 */
    {"jina_code", "generated JinaBert qk-post-norm: query/key LayerNorms, a second residual"},
    /* the experts' rows gathered from the converted inputs, their own products */
    {"nomic_moe", "generated NomicBert v2-moe: Mixture-of-Experts layers, biases"},
  };
  for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
    snprintf(dir, sizeof dir, "%s/%s", models && models[0] ? models : "build/test-models", more[i].shape);
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    if (access(cfg, R_OK) == 0)
      check_encoder(dir, more[i].what, 0);
    else
      CHECK(0, "no model at %s (gen_model --shape %s)", dir, more[i].shape);
  }
  return check_finish();
}
