/*
** attention.c — scaled dot-product attention of one head of one sequence,
** on the packed matrix kernels of kernels.c.
**
**   out (L,d) = softmax(q k^T / sqrt(d)) v       q, k, v: (L,d), row stride ld
**
** Why not cblas_sgemm: each (sequence, head) product is small (L x L x d
** with d = 32 or 64), so OpenBLAS's per-call cost (argument checks, packing
** both operands into its own buffers, its threading decision) was a large
** share of a short sequence's attention, and with OPENBLAS_CORETYPE pinned to
** an AVX2 core it ran at half this CPU's FMA rate.  Here k and v are packed
** once per head into the panel layout of ee_gemm (16 columns per panel,
** k-major), and the two products run on the same micro-kernels as the dense
** layers:
**   scores (L,L) = q . kp^T      kp = k scaled by 1/sqrt(d): N = L, K = d
**   out    (L,d) = P . vp^T      vp = v^T:                   N = d, K = L
** The packing costs 2·L·d loads and stores per head against 4·L²·d flops.
** Every score and output element is one in-order sum, as in the dense
** layers, so a sequence's result does not depend on the batch around it or
** on the thread that ran it.
**
** The scale is folded into the packed keys (q · (k/√d) rather than
** (q · k)/√d): one multiply per key element instead of per score; the two
** differ by float rounding only (~1e-7 relative).
*/
#include "engine_int.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

static int64_t align16(int64_t floats) { return (floats + 15) & ~(int64_t)15; }

/* Query rows per block: a block's scores are computed, turned into
** probabilities and multiplied by the values while they are still in L1/L2
** (48 x 256 floats = 48 KB); the whole L x L matrix at once went through
** memory four times and its softmax took ~10% of a bf16 pass at 256 tokens
** (Zen 5).  Every element is the same in-order sum either way. */
#define ATT_ROWS 48
static int64_t block_rows(int64_t L) { return L < ATT_ROWS ? L : ATT_ROWS; }

/* Floats that hold n halves, 64-byte aligned. */
static int64_t halves16(int64_t n) { return align16((n + 1) / 2); }

/* The bf16 head's scratch after the scores: queries and probabilities in
** the tile's activation layout, keys and values rounded to bfloat16 rows,
** then their panels. */
typedef struct bf16_scratch {
  int ldq, ldp;          /* halves per row of qb and pb */
  int64_t qb, pb, rows, kpan, vpan; /* offsets in floats from the scratch */
  int64_t total;
} bf16_scratch;

static bf16_scratch bf16_layout(int64_t L, int64_t d) {
  bf16_scratch b;
  const int64_t w = ee_bf16_act_width();
  b.ldq = (int)(w * 2 * ((d + 1) / 2));
  b.ldp = (int)(w * 2 * ((L + 1) / 2));
  b.qb = align16(block_rows(L) * L);
  b.pb = b.qb + halves16(L * b.ldq);
  b.rows = b.pb + halves16(block_rows(L) * b.ldp);
  b.kpan = b.rows + halves16(L * 2 * ((d + 1) / 2));
  b.vpan = b.kpan + align16(ee_pack_bf16_bytes((int)L, (int)d) / 4);
  b.total = b.vpan + align16(ee_pack_bf16_bytes((int)d, (int)L) / 4);
  return b;
}

int64_t ee_attention_scratch_floats(int64_t max_len, int head_dim, ee_precision prec) {
  int64_t L = max_len, d = head_dim;
  if (prec == EE_PREC_BF16) return bf16_layout(L, d).total;
  return align16(block_rows(L) * L) + ee_pack_floats((int)L, (int)d) + ee_pack_floats((int)d, (int)L);
}

/* Panels of 16 keys: panel p, row c (c < d) = scale * k[16p .. 16p+15][c],
** zeros past L (those score columns are computed but never read).  A
** transpose: the AVX2 version transposes 8 x 8 blocks in registers (head
** sizes that are multiples of 8), the AVX-512 one gathers each panel row
** in one instruction (any head size; the scalar loop was ~5% of an int8
** forward pass at 128 tokens on Zen 5, 3% of an fp32 one on Zen 3). */
static void pack_keys_scalar(float *kp, const float *k, int ld, int L, int d, float scale) {
  const int np = (L + EE_NR - 1) / EE_NR;
  for (int p = 0; p < np; p++) {
    float *panel = kp + (int64_t)p * d * EE_NR;
    for (int j = 0; j < EE_NR; j++) {
      int key = p * EE_NR + j;
      if (key < L) {
        const float *row = k + (int64_t)key * ld;
        for (int c = 0; c < d; c++) panel[c * EE_NR + j] = row[c] * scale;
      } else {
        for (int c = 0; c < d; c++) panel[c * EE_NR + j] = 0.0f;
      }
    }
  }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
__attribute__((target("avx512f"))) static void pack_keys_avx512(float *kp, const float *k, int ld,
                                                                int L, int d, float scale) {
  const int np = (L + EE_NR - 1) / EE_NR;
  const __m512i idx = _mm512_mullo_epi32(
      _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi32(ld));
  const __m512 vscale = _mm512_set1_ps(scale);
  for (int p = 0; p < np; p++) {
    float *panel = kp + (int64_t)p * d * EE_NR;
    const float *base = k + (int64_t)p * EE_NR * ld;
    int valid = L - p * EE_NR < EE_NR ? L - p * EE_NR : EE_NR;
    __mmask16 m = (__mmask16)((1u << valid) - 1u);
    for (int c = 0; c < d; c++) {
      __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, base + c, 4);
      _mm512_store_ps(panel + c * EE_NR, _mm512_mul_ps(v, vscale));
    }
  }
}

/* AVX2 has no fast gather (on Zen 3 one 8-lane gather costs about as much
** as the eight loads it replaces), so this one transposes 8 x 8 blocks in
** registers: 8 keys' rows of 8 dimensions in, 8 panel rows of 8 keys out.
** scaled = 0 moves the 32-bit words untouched (shuffles keep any bits), for
** the bf16 head's key pairs. */
__attribute__((target("avx2"))) static void pack_keys_avx2(float *kp, const float *k, int ld, int L,
                                                          int d, float scale, int scaled) {
  const int np = (L + EE_NR - 1) / EE_NR;
  const __m256 vscale = _mm256_set1_ps(scale);
  for (int p = 0; p < np; p++) {
    float *panel = kp + (int64_t)p * d * EE_NR;
    for (int j0 = 0; j0 < EE_NR; j0 += 8) {
      const int key0 = p * EE_NR + j0;
      for (int c = 0; c < d; c += 8) {
        __m256 r[8], t[8], u[8];
        for (int i = 0; i < 8; i++)
          r[i] = key0 + i < L ? _mm256_loadu_ps(k + (int64_t)(key0 + i) * ld + c) : _mm256_setzero_ps();
        for (int i = 0; i < 8; i += 2) {
          t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
          t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
        }
        for (int i = 0; i < 8; i += 4) {
          u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
          u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
          u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
          u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
        }
        for (int i = 0; i < 4; i++) { /* dimension c + i from lanes 0-3, c + 4 + i from 4-7 */
          __m256 lo = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
          __m256 hi = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
          if (scaled) lo = _mm256_mul_ps(lo, vscale), hi = _mm256_mul_ps(hi, vscale);
          _mm256_store_ps(panel + (int64_t)(c + i) * EE_NR + j0, lo);
          _mm256_store_ps(panel + (int64_t)(c + 4 + i) * EE_NR + j0, hi);
        }
      }
    }
  }
}
#endif

static void pack_keys(float *kp, const float *k, int ld, int L, int d, float scale) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  /* The transpose first where it fits (head sizes of real models are
  ** multiples of 8): Zen 5's gathers are slower.  perf, 8 x 128, runs of
  ** the two interleaved: gathers 1.4-1.7% of an fp32 pass, the transpose
  ** 1.2-1.3%; int8 3.5-3.8% and 2.3-2.8%. */
  if (__builtin_cpu_supports("avx2") && d % 8 == 0) {
    pack_keys_avx2(kp, k, ld, L, d, scale, 1);
    return;
  }
  /* Indices are 32-bit: rows of a sequence are at most 512 apart, ld = 3H. */
  if (__builtin_cpu_supports("avx512f") && (int64_t)EE_NR * ld < INT32_MAX) {
    pack_keys_avx512(kp, k, ld, L, d, scale);
    return;
  }
#endif
  pack_keys_scalar(kp, k, ld, L, d, scale);
}

/* Panels of 16 value dimensions: panel p, row j (j < L) = v[j][16p .. 16p+15],
** zeros past d. */
static void pack_values(float *vp, const float *v, int ld, int L, int d) {
  const int np = (d + EE_NR - 1) / EE_NR;
  for (int p = 0; p < np; p++) {
    float *panel = vp + (int64_t)p * L * EE_NR;
    int c0 = p * EE_NR, n = d - c0 < EE_NR ? d - c0 : EE_NR;
    for (int j = 0; j < L; j++) {
      const float *src = v + (int64_t)j * ld + c0;
      float *dst = panel + (int64_t)j * EE_NR;
      if (n == EE_NR) { /* a constant size: inlined, not a call per 64 bytes */
        memcpy(dst, src, sizeof(float) * EE_NR);
        continue;
      }
      memcpy(dst, src, sizeof(float) * (size_t)n);
      memset(dst + n, 0, sizeof(float) * (size_t)(EE_NR - n));
    }
  }
}

int ee_relative_position_bucket(int relative_position, int num_buckets, int max_distance) {
  const int half = num_buckets / 2, exact = half / 2;
  /* n = -relative_position; keys before the query (n > 0) use the lower half */
  const int n = relative_position > 0 ? relative_position : -relative_position;
  const int base = relative_position > 0 ? half : 0;
  if (n < exact) return base + n;
  /* float32 throughout, as torch evaluates the expression on a float tensor:
  ** at n = 16, 32, 64 the exact value is an integer, and only the same
  ** roundings land on the same side of it (tests/unit/test_engine.c checks
  ** every distance to 511 against torch's buckets). */
  volatile float ratio = (float)n / (float)exact;
  volatile float scaled = logf(ratio) / (float)log((double)max_distance / exact) * (float)(half - exact);
  int large = exact + (int)scaled;
  return base + (large < half - 1 ? large : half - 1);
}

/* scores (rows, L) of queries i0.. += rel[j - i] */
static void add_relative_bias(float *scores, int rows, int L, int i0, const float *rel) {
  for (int r = 0; r < rows; r++) {
    float *row = scores + (int64_t)r * L;
    const float *b = rel - (i0 + r);
    for (int j = 0; j < L; j++) row[j] += b[j];
  }
}

/* The keys a block of query rows [i0, i0 + rows) reads: all L, or with a
** window (ModernBERT's local layers) the whole panels of 16 keys that hold
** [i0 - window, i0 + rows - 1 + window]: panels [*p0, *p1), columns
** [*c0, *c1).  Only those are scored, softmaxed and summed, so a local
** layer's attention costs O(L x window) instead of O(L^2): at 8,192 tokens
** and ModernBERT's window of 64 on either side, 1/40 of the work. */
static void key_range(int L, int i0, int rows, int window, int *p0, int *p1, int *c0, int *c1) {
  int lo = 0, hi = L;
  if (window >= 0 && window + 1 < L) {
    lo = i0 - window > 0 ? i0 - window : 0;
    hi = i0 + rows + window < L ? i0 + rows + window : L;
  }
  *p0 = lo / EE_NR, *p1 = (hi + EE_NR - 1) / EE_NR;
  *c0 = *p0 * EE_NR, *c1 = *p1 * EE_NR < L ? *p1 * EE_NR : L;
}

/* scores (rows, cols) of queries i0.. over keys c0.. = -inf for keys past
** window on either side (HF adds finfo.min there).  The row's own key is
** always kept, so its max stays finite, and vf_exp's clamp turns each
** masked key into e^-75 of weight, which a sum of at least 1 (the max's own
** term) cannot register in float. */
static void mask_window(float *scores, int rows, int cols, int i0, int c0, int window) {
  if (window < 0) return;
  for (int r = 0; r < rows; r++) {
    float *row = scores + (int64_t)r * cols;
    const int i = i0 + r, lo = i - window - c0, hi = i + window - c0;
    for (int j = 0; j < lo && j < cols; j++) row[j] = -INFINITY;
    for (int j = hi + 1 > 0 ? hi + 1 : 0; j < cols; j++) row[j] = -INFINITY;
  }
}

void ee_attention_head(float *out, int ldo, const float *q, const float *k, const float *v,
                       int ld, int L, int d, const float *rel, int window, float *scratch) {
  float *scores = scratch;
  float *kp = scores + align16(block_rows(L) * L);
  float *vp = kp + ee_pack_floats(L, d);
  const float scale = 1.0f / sqrtf((float)d);

  ee_pw keys = {0}, values = {0};
  keys.p = kp, keys.N = L, keys.K = d, keys.np = (L + EE_NR - 1) / EE_NR;
  values.p = vp, values.N = d, values.K = L, values.np = (d + EE_NR - 1) / EE_NR;
  pack_keys(kp, k, ld, L, d, scale);
  pack_values(vp, v, ld, L, d);

  if (rel) window = -1; /* MPNet's bias is laid out for whole rows; no model has both */
  for (int i0 = 0; i0 < L; i0 += ATT_ROWS) {
    const int rows = L - i0 < ATT_ROWS ? L - i0 : ATT_ROWS;
    int p0, p1, c0, c1;
    key_range(L, i0, rows, window, &p0, &p1, &c0, &c1);
    const int cols = c1 - c0;
    ee_gemm(scores, cols, q + (int64_t)i0 * ld, ld, rows, &keys, p0, p1, -1, NULL, NULL, 0, -1);
    if (rel) add_relative_bias(scores, rows, L, i0, rel);
    mask_window(scores, rows, cols, i0, c0, window);
    ee_softmax_rows(scores, rows, cols);
    if (cols == L) {
      ee_gemm(out + (int64_t)i0 * ldo, ldo, scores, L, rows, &values, 0, values.np, -1, NULL, NULL,
              0, -1);
      continue;
    }
    /* keys [c0, c1) of each value panel: a panel of its own, K = cols */
    for (int p = 0; p < values.np; p++) {
      ee_pw part = values;
      part.p = vp + ((int64_t)p * L + c0) * EE_NR;
      part.K = cols, part.np = 1;
      part.N = d - p * EE_NR < EE_NR ? d - p * EE_NR : EE_NR;
      ee_gemm(out + (int64_t)i0 * ldo + p * EE_NR, ldo, scores, cols, rows, &part, 0, 1, -1, NULL,
              NULL, 0, -1);
    }
  }
}

/* ---- bfloat16 ------------------------------------------------------------------ */

/* The same head with both products on kernels_bf16.c (precision "bf16"):
** q, the scaled keys, the probabilities and v rounded to bfloat16, sums in
** fp32, the softmax in fp32.  Every tile of kernels_bf16.c computes the
** same bits, and the packing below is plain C, so the head's result is the
** same on every CPU path, alone or in any batch.  At 128 tokens the fp32
** products were an eighth of a bf16 pass (Zen 5), and attention's share
** grows with the length. */

/* Key panels (N = L keys, K = d): panel p, pair kk, lane j is 32-bit word
** kk of key row 16p + j (its dimensions 2kk, 2kk+1), zero past L. */
static void pack_key_pairs(uint16_t *dst, const uint16_t *rows, int L, int d) {
  const int K2 = (d + 1) / 2, np = (L + EE_NR - 1) / EE_NR;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  /* The same layout as the fp32 keys', with pairs for floats: the fp32
  ** transpose moves the words (1.8% of a bf16 1 x 16 pass in plain C). */
  if (__builtin_cpu_supports("avx2") && K2 % 8 == 0) {
    pack_keys_avx2((float *)(void *)dst, (const float *)(const void *)rows, K2, L, K2, 1.0f, 0);
    return;
  }
#endif
  uint32_t *out = (uint32_t *)(void *)dst;
  const uint32_t *in = (const uint32_t *)(const void *)rows;
  for (int p = 0; p < np; p++)
    for (int kk = 0; kk < K2; kk++)
      for (int j = 0; j < EE_NR; j++) {
        int key = p * EE_NR + j;
        *out++ = key < L ? in[(int64_t)key * K2 + kk] : 0u;
      }
}

/* Value panels (N = d dimensions, K = L keys): panel p, pair kk, lane j
** holds dimension 16p + j of keys 2kk (low half) and 2kk + 1, zero past d
** and past L. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* 16 dimensions of keys 2kk and 2kk + 1 interleaved: widen each to 32 bits,
** shift the odd one up. */
__attribute__((target("avx512f"))) static void pair_words_avx512(uint32_t *out, const uint16_t *even,
                                                                 const uint16_t *odd) {
  __m512i e = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)even));
  __m512i o = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)odd));
  _mm512_storeu_si512((void *)out, _mm512_or_si512(e, _mm512_slli_epi32(o, 16)));
}
#endif

static void pack_value_pairs(uint16_t *dst, const uint16_t *rows, int L, int d) {
  const int K2 = (L + 1) / 2, np = (d + EE_NR - 1) / EE_NR, ldr = 2 * ((d + 1) / 2);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  const int vec = __builtin_cpu_supports("avx512f");
#else
  const int vec = 0;
#endif
  uint32_t *out = (uint32_t *)(void *)dst;
  for (int p = 0; p < np; p++)
    for (int kk = 0; kk < K2; kk++) {
      const uint16_t *even = rows + (int64_t)(2 * kk) * ldr + p * EE_NR;
      const uint16_t *odd = 2 * kk + 1 < L ? even + ldr : NULL;
      const int n = d - p * EE_NR < EE_NR ? d - p * EE_NR : EE_NR;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
      if (vec && odd && n == EE_NR) {
        pair_words_avx512(out, even, odd);
        out += EE_NR;
        continue;
      }
#endif
      for (int j = 0; j < EE_NR; j++)
        *out++ = j < n ? (uint32_t)even[j] | (odd ? (uint32_t)odd[j] << 16 : 0u) : 0u;
    }
}

void ee_attention_head_bf16(float *out, int ldo, const float *q, const float *k, const float *v,
                            int ld, int L, int d, const float *rel, int window, float *scratch) {
  const bf16_scratch b = bf16_layout(L, d);
  float *scores = scratch;
  uint16_t *qb = (uint16_t *)(void *)(scratch + b.qb), *pb = (uint16_t *)(void *)(scratch + b.pb);
  uint16_t *kv_rows = (uint16_t *)(void *)(scratch + b.rows);
  uint16_t *kpan = (uint16_t *)(void *)(scratch + b.kpan), *vpan = (uint16_t *)(void *)(scratch + b.vpan);
  const int ldr = 2 * ((d + 1) / 2);

  ee_pw keys = {0}, values = {0};
  keys.pb = kpan, keys.N = L, keys.K = d, keys.K2 = (d + 1) / 2;
  keys.np = (L + EE_NR - 1) / EE_NR, keys.prec = EE_PREC_BF16;
  values.pb = vpan, values.N = d, values.K = L, values.K2 = (L + 1) / 2;
  values.np = (d + EE_NR - 1) / EE_NR, values.prec = EE_PREC_BF16;

  ee_bf16_round_rows(kv_rows, ldr, k, ld, L, d, 1.0f / sqrtf((float)d));
  pack_key_pairs(kpan, kv_rows, L, d);
  ee_bf16_round_rows(kv_rows, ldr, v, ld, L, d, 1.0f);
  pack_value_pairs(vpan, kv_rows, L, d);
  ee_to_bf16_rows(qb, b.ldq, q, ld, L, d);

  if (rel) window = -1; /* as in ee_attention_head */
  for (int i0 = 0; i0 < L; i0 += ATT_ROWS) {
    const int rows = L - i0 < ATT_ROWS ? L - i0 : ATT_ROWS;
    int p0, p1, c0, c1;
    key_range(L, i0, rows, window, &p0, &p1, &c0, &c1);
    const int cols = c1 - c0;
    ee_gemm_bf16(scores, cols, qb + (int64_t)i0 * b.ldq, b.ldq, rows, &keys, p0, p1, -1, NULL,
                 NULL, 0, -1);
    if (rel) add_relative_bias(scores, rows, L, i0, rel);
    mask_window(scores, rows, cols, i0, c0, window);
    /* Normalised by the rounding, which multiplies anyway: one pass over
    ** the scores fewer, the same bits (one fp32 product either way). */
    float inv[ATT_ROWS];
    ee_softmax_rows_unscaled(scores, rows, cols, inv);
    for (int r = 0; r < rows; r++)
      ee_to_bf16_rows_scaled(pb + (int64_t)r * b.ldp, b.ldp, scores + (int64_t)r * cols, cols, 1,
                             cols, inv[r]);
    if (cols == L) {
      ee_gemm_bf16(out + (int64_t)i0 * ldo, ldo, pb, b.ldp, rows, &values, 0, values.np, -1, NULL,
                   NULL, 0, -1);
      continue;
    }
    /* pairs of keys [c0, c1) (c0 a multiple of 16; cols odd only at L, whose
    ** pair's missing key is a zero in both operands) of each value panel */
    for (int p = 0; p < values.np; p++) {
      ee_pw part = values;
      part.pb = vpan + ((int64_t)p * values.K2 + c0 / 2) * EE_NR * 2;
      part.K = cols, part.K2 = (cols + 1) / 2, part.np = 1;
      part.N = d - p * EE_NR < EE_NR ? d - p * EE_NR : EE_NR;
      ee_gemm_bf16(out + (int64_t)i0 * ldo + p * EE_NR, ldo, pb, b.ldp, rows, &part, 0, 1, -1,
                   NULL, NULL, 0, -1);
    }
  }
}
