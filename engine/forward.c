/*
** forward.c — the BERT encoder forward pass on a packed batch, one function
** per op in the manner of karpathy/llm.c train_gpt2.c, each op split over
** the threads of the context's pool (threadpool.c).
**
**   float *arena = se_malloc(ee_arena_floats(&m->cfg, T, max_len, nth) * sizeof(float));
**   ee_forward(m, pool, arena, n, ids, NULL, lens, T, pooled, NULL);
**
** Packing.  The n sequences of a batch sit back to back: token t of the
** batch is row t of every (T,C) activation, T = sum(lens).  There is no
** padding anywhere, so the dense layers (Q/K/V, attention output, FFN) run
** as single (T,K)x(K,N) matrix products over every real token, and only
** attention, which mixes tokens, loops over sequences: for sequence s and
** head h it works on exactly that sequence's len x len scores.  This is the
** padding mask of Hugging Face's BertModel without the wasted work.  The
** dense products use kernels.c, where every output is one in-order sum over
** k, so a sequence's result is bit-identical alone or at any row of any
** batch, and whatever the thread count (checked in tests/unit/test_engine.c).
**
** One layer, as transformers' BertLayer (post-LayerNorm), one stage each:
**   qkv   = x [Wq;Wk;Wv]^T + [bq;bk;bv]                  (T,3H), bias in the epilogue
**   ctx   = per sequence, per head: softmax(q_h k_h^T / sqrt(d)) v_h
**   h1    = LayerNorm(ctx Wo^T + bo + x)                 bias + residual in the epilogue
**   ff    = act(h1 Wi^T + bi)                            (T,I), bias + act in the epilogue
**   x     = LayerNorm(ff Wf^T + bf + h1)
** Threads split the products into tasks of (192 rows, one pair of packed
** weight panels = 32 output features), attention into (sequence, head)
** tasks with per-thread scratch (attention.c: the same micro-kernels on
** keys and values packed per head), and LayerNorm/embeddings into
** tasks of 32 rows.  Tasks are claimed dynamically; none depends on the
** thread that runs it.
**
** Numerics.  LayerNorm uses the biased variance (as torch) with double
** accumulators; softmax subtracts the row max and uses a 4-wide polynomial
** exp (vf_exp, within 1e-7 relative of exp); GELU is the exact erf form
** 0.5 x (1 + erf(x / sqrt 2)) (transformers' "gelu") with a vectorised erf
** (vf_erf, ~1 ulp), or the tanh approximation for "gelu_new".  Mean pooling
** divides by the token count, L2 normalisation by max(||x||, 1e-12)
** (torch.nn.functional.normalize).
*/
#include "engine_int.h"
#include <math.h>
#include <stdatomic.h>
#include <string.h>

/* Round an arena slot up to 16 floats (64 bytes) so every tensor is
** cache-line aligned when the arena is. */
static int64_t slot(int64_t floats) { return (floats + 15) & ~(int64_t)15; }

/* Floats at the end of the arena for one GEMM input in bf16 or int8
** (precision != fp32): a row scale per token, then T rows of ceil(K/2)
** pairs or ceil(K/4) quads (4 bytes each) for the widest K. */
static int64_t quant_floats(const ee_config *cfg, int64_t T) {
  if (cfg->precision == EE_PREC_FP32) return 0;
  int64_t K = cfg->hidden_size > cfg->intermediate_size ? cfg->hidden_size : cfg->intermediate_size;
  int64_t per_row = cfg->precision == EE_PREC_BF16 ? (K + 1) / 2 : (K + 3) / 4;
  return slot(T) + slot(T * per_row);
}

int64_t ee_arena_floats(const ee_config *cfg, int64_t total_tokens, int64_t max_len,
                        int nthreads) {
  /* H, I <= 1e6 (config.c); tokens and max_len are bounded by the caller
  ** but check anyway so the products stay far inside int64. */
  if (total_tokens < 0 || max_len < 0 || total_tokens > ((int64_t)1 << 31) ||
      max_len > ((int64_t)1 << 31) || nthreads < 1 || nthreads > 4096)
    return -1;
  int64_t th = slot(total_tokens * cfg->hidden_size);
  int64_t ti = slot(total_tokens * cfg->intermediate_size);
  return 6 * th + ti + nthreads * slot(ee_attention_scratch_floats(max_len, cfg->hidden_size / cfg->num_heads)) + quant_floats(cfg, total_tokens);
}

/* ---- ops -------------------------------------------------------------------- */


/* exp(x) for 4 floats at once, with GCC/Clang vector extensions (SSE on
** x86-64, NEON on arm64).  Cephes' expf: x = n ln2 + r with |r| <= ln2/2,
** e^r by a polynomial, 2^n put into the exponent bits; relative error about
** 1e-7 (within ~2 ulp of libm's expf).  Inputs are clamped to [-87, 88]:
** softmax feeds x - max <= 0, and e^-87 ~ 1.6e-38 is as good as 0 there.
** glibc's scalar expf and the loop around it were ~10% of a forward pass at
** 128 tokens; this is several times cheaper, and deterministic. */
typedef float vf __attribute__((vector_size(64)));
typedef int32_t vi __attribute__((vector_size(64)));
#define VW 16 /* lanes */
#define VB(x) ((vf){0} + (x))
#define VI(x) ((vi){0} + (x))
#define INL static inline __attribute__((always_inline))
/* The helpers below take and return 64-byte vectors; they are always
** inlined, so GCC's note that such an ABI differs without AVX-512 is moot. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
/* The functions that loop over these vectors are compiled for AVX-512, AVX2
** and baseline x86-64 (the same always-inline body under three target
** attributes) and picked per call from __builtin_cpu_supports; elsewhere
** once.  16-lane vectors then map to 1 zmm, 2 ymm or 4 xmm registers.  With
** GCC the AVX-512 and AVX2+FMA variants fuse multiply-adds into FMAs (the
** polynomials of exp and erf halve; -std=c11 otherwise keeps them apart),
** so each differs from the others in the last bits; a CPU always runs the same variant,
** so results still do not depend on the batch or the threads.  (GCC's
** target_clones would do the same through an ifunc, which crashes under
** ThreadSanitizer.) */
#if defined(__GNUC__) && !defined(__clang__)
#define VEC_FMA __attribute__((optimize("fp-contract=fast")))
#else
#define VEC_FMA
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define VEC_VARIANTS(name, params, args)                                          \
  __attribute__((target("avx512f"))) VEC_FMA static void name##_avx512 params { name##_body args; } \
  __attribute__((target("avx2,fma"))) VEC_FMA static void name##_avx2 params { name##_body args; } \
  static void name##_base params { name##_body args; }                            \
  static void name##_pick params {                                                 \
    if (__builtin_cpu_supports("avx512f")) name##_avx512 args;                     \
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) name##_avx2 args; \
    else name##_base args;                                                         \
  }
#else
#define VEC_VARIANTS(name, params, args) \
  static void name##_pick params { name##_body args; }
#endif

INL vf vf_bits_f(vi i) { vf f; memcpy(&f, &i, sizeof f); return f; }
INL vi vf_bits_i(vf f) { vi i; memcpy(&i, &f, sizeof i); return i; }

/* Comparisons go through the sign of a difference, not `a > b`: GCC 12
** turns a 64-byte vector comparison into 16 scalar ones wherever the target
** lacks AVX-512 (it was 60% of the AVX2 GELU's time).  A rounded difference
** keeps the sign of the exact one and is +0 only for equal operands, so for
** any non-NaN a, b this picks what a > b would. */
INL vi vf_sign_mask(vf d) { return vf_bits_i(d) >> 31; } /* -1 where d < 0 (or -0) */

INL vf vf_max(vf a, vf b) {
  vi m = vf_sign_mask(b - a); /* -1 where a > b */
  return vf_bits_f((m & vf_bits_i(a)) | (~m & vf_bits_i(b)));
}

INL vf vf_exp(vf x) {
  x = vf_max(x, VB(-87.0f));
  x = -vf_max(-x, VB(-88.0f));        /* min(x, 88) */
  const vf magic = VB(12582912.0f);  /* 1.5 * 2^23: adding it rounds to an integer */
  vf t = x * VB(1.44269504088896341f) + magic;
  vf n = t - magic;                  /* round(x / ln2) */
  vf r = x - n * VB(0.693359375f);   /* ln2 split in two for accuracy */
  r = r - n * VB(-2.12194440e-4f);
  vf p = VB(1.9875691500e-4f);
  p = p * r + VB(1.3981999507e-3f);
  p = p * r + VB(8.3334519073e-3f);
  p = p * r + VB(4.1665795894e-2f);
  p = p * r + VB(1.6666665459e-1f);
  p = p * r + VB(5.0000001201e-1f);
  p = p * r * r + r + VB(1.0f);
  vi e = ((vf_bits_i(t) - vf_bits_i(magic)) + 127) << 23; /* 2^n as float bits */
  return p * vf_bits_f(e);
}

/* erf(x) for 4 floats: Norbert Juffa's single-precision erff (max error
** ~1 ulp with FMA), branch-free.  |x| < 0.921875: x + x p(x^2), a minimax
** polynomial; above: 1 - exp(-q(|x|)), q a minimax polynomial, with the
** sign copied from x.  Both are computed and blended.  The max error against
** erf() in double over a dense grid is checked in tests/unit/test_engine.c
** (Abramowitz-Stegun 7.1.26, ~1e-7 absolute but far worse relative near
** 0, was not accurate enough). */
INL vf vf_erf(vf a) {
  vi sign = vf_bits_i(a) & VI(INT32_MIN);
  vf t = vf_bits_f(vf_bits_i(a) & VI(INT32_MAX));
  vf s = a * a;
  vf p = VB(-0x1.3a1a82p-11f);
  p = p * s + VB(0x1.473f48p-08f);
  p = p * s + VB(-0x1.b68bd2p-06f);
  p = p * s + VB(0x1.ce1a46p-04f);
  p = p * s + VB(-0x1.8126e0p-02f);
  p = p * s + VB(0x1.06eba6p-03f);
  p = p * a + a;
  vf r = VB(0x1.222900p-16f) * t + VB(-0x1.91d2ccp-12f);
  vf u = VB(0x1.fd1336p-09f) * t + VB(-0x1.8d6300p-06f);
  r = r * s + u;
  r = r * t + VB(0x1.b55cb0p-4f);
  r = r * t + VB(0x1.450aa0p-1f);
  r = r * t + VB(0x1.079d0cp-3f);
  r = r * t + t;
  r = VB(1.0f) - vf_exp(-r);
  r = vf_bits_f(vf_bits_i(r) | sign);
  vi big = ~vf_sign_mask(t - VB(0.921875f)); /* t >= 0.921875 */
  return vf_bits_f((big & vf_bits_i(r)) | (~big & vf_bits_i(p)));
}

INL void erf_body(float *y, const float *x, int64_t n) {
  int64_t i = 0;
  vf v;
  for (; i + VW <= n; i += VW) {
    memcpy(&v, x + i, sizeof v);
    v = vf_erf(v);
    memcpy(y + i, &v, sizeof v);
  }
  if (i < n) {
    v = VB(0.0f);
    memcpy(&v, x + i, sizeof(float) * (size_t)(n - i));
    v = vf_erf(v);
    memcpy(y + i, &v, sizeof(float) * (size_t)(n - i));
  }
}
VEC_VARIANTS(erf, (float *y, const float *x, int64_t n), (y, x, n))
void ee_erf(float *y, const float *x, int64_t n) { erf_pick(y, x, n); }

/* x (n) = act(x) in place: exact GELU 0.5 x (1 + erf(x / sqrt 2))
** (transformers' "gelu"), the tanh form for "gelu_new", or ReLU.  Called by
** kernels.c on each block of rows right after its product (bias already
** added), while it is in cache.  Elementwise, so thread-count independent. */
INL void act_row_body(float *x, int n, ee_act act) {
  int i = 0;
  vf v;
  switch (act) {
    case EE_ACT_GELU:
      for (; i + VW <= n; i += VW) {
        memcpy(&v, x + i, sizeof v);
        v = VB(0.5f) * v * (VB(1.0f) + vf_erf(v * VB((float)M_SQRT1_2)));
        memcpy(x + i, &v, sizeof v);
      }
      if (i < n) {
        v = VB(0.0f);
        memcpy(&v, x + i, sizeof(float) * (size_t)(n - i));
        v = VB(0.5f) * v * (VB(1.0f) + vf_erf(v * VB((float)M_SQRT1_2)));
        memcpy(x + i, &v, sizeof(float) * (size_t)(n - i));
      }
      break;
    case EE_ACT_GELU_TANH: /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
      for (; i < n; i++) {
        float u = x[i];
        x[i] = 0.5f * u * (1.0f + tanhf(0.7978845608028654f * (u + 0.044715f * u * u * u)));
      }
      break;
    case EE_ACT_RELU:
      for (; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
      break;
  }
}
VEC_VARIANTS(act_row, (float *x, int n, ee_act act), (x, n, act))
void ee_act_row(float *x, int n, ee_act act) { act_row_pick(x, n, act); }

/* Softmax of each of the rows of x (rows, cols) in place, max subtracted.
** Four columns at a time, the tail through a zero-padded vector.  The
** summation order depends only on cols, so a row's result does not depend
** on the batch it is in. */
INL void softmax_forward_body(float *x, int rows, int cols) {
  for (int r = 0; r < rows; r++) {
    float *row = x + (int64_t)r * cols;
    vf vmx = VB(row[0]), v;
    int j = 0;
    for (; j + VW <= cols; j += VW) {
      memcpy(&v, row + j, sizeof v);
      vmx = vf_max(vmx, v);
    }
    float mx = vmx[0];
    for (int k = 1; k < VW; k++) mx = vmx[k] > mx ? vmx[k] : mx;
    for (; j < cols; j++) mx = row[j] > mx ? row[j] : mx;

    vf vsum = VB(0.0f), vm = VB(mx);
    for (j = 0; j + VW <= cols; j += VW) {
      memcpy(&v, row + j, sizeof v);
      v = vf_exp(v - vm);
      memcpy(row + j, &v, sizeof v);
      vsum += v;
    }
    float sum = 0.0f;
    for (int k = 0; k < VW; k++) sum += vsum[k];
    if (j < cols) {
      int tail = cols - j;
      v = VB(0.0f);
      memcpy(&v, row + j, sizeof(float) * (size_t)tail);
      v = vf_exp(v - vm);
      for (int k = 0; k < tail; k++) {
        row[j + k] = v[k];
        sum += v[k];
      }
    }
    const float inv = 1.0f / sum;
    const vf vinv = VB(inv);
    for (j = 0; j + VW <= cols; j += VW) { /* (GCC left the plain loop scalar) */
      memcpy(&v, row + j, sizeof v);
      v *= vinv;
      memcpy(row + j, &v, sizeof v);
    }
    for (; j < cols; j++) row[j] *= inv;
  }
}
VEC_VARIANTS(softmax_forward, (float *x, int rows, int cols), (x, rows, cols))
void ee_softmax_rows(float *x, int rows, int cols) { softmax_forward_pick(x, rows, cols); }

/* LayerNorm of each of the rows of x (rows, H) in place:
** (x - mean) / sqrt(var + eps) * g + b, the biased variance as torch.
** Sums run in 16 float lanes (then the lanes in order), two passes (mean,
** then squared deviations): the order depends only on H, so results do not
** depend on the batch; float sums of a few thousand terms stay within
** ~1e-6 relative, far inside the 1e-4 contract, at a fraction of the cost
** of the double scalar loops this replaced (~5% of a forward pass). */
INL void layernorm_body(float *x, int rows, int H, const float *g, const float *b, float eps) {
  for (int r = 0; r < rows; r++) {
    float *row = x + (int64_t)r * H;
    vf acc = VB(0.0f), v, vg, vb;
    int j = 0;
    for (; j + VW <= H; j += VW) {
      memcpy(&v, row + j, sizeof v);
      acc += v;
    }
    float sum = 0.0f;
    for (int k = 0; k < VW; k++) sum += acc[k];
    for (; j < H; j++) sum += row[j];
    const float mean = sum / (float)H;
    const vf vm = VB(mean);
    acc = VB(0.0f);
    for (j = 0; j + VW <= H; j += VW) {
      memcpy(&v, row + j, sizeof v);
      v -= vm;
      acc += v * v;
    }
    float var = 0.0f;
    for (int k = 0; k < VW; k++) var += acc[k];
    for (; j < H; j++) var += (row[j] - mean) * (row[j] - mean);
    const float rstd = 1.0f / sqrtf(var / (float)H + eps);
    const vf vr = VB(rstd);
    for (j = 0; j + VW <= H; j += VW) {
      memcpy(&v, row + j, sizeof v);
      memcpy(&vg, g + j, sizeof vg);
      memcpy(&vb, b + j, sizeof vb);
      v = (v - vm) * vr * vg + vb;
      memcpy(row + j, &v, sizeof v);
    }
    for (; j < H; j++) row[j] = (row[j] - mean) * rstd * g[j] + b[j];
  }
}
VEC_VARIANTS(layernorm, (float *x, int rows, int H, const float *g, const float *b, float eps),
             (x, rows, H, g, b, eps))

/* out (n,H) = pooled x (T,H) over each sequence's tokens, then optionally
** L2-normalised. */
static void pool_forward(float *out, const float *x, const int32_t *lens, int n, int H,
                         ee_pooling mode, int normalize) {
  int64_t o = 0;
  for (int s = 0; s < n; s++) {
    float *dst = out + (int64_t)s * H;
    const float *seq = x + o * H;
    const int L = lens[s];
    if (mode == EE_POOL_MEAN || mode == EE_POOL_MAX) {
      memcpy(dst, seq, sizeof(float) * (size_t)H);
      for (int j = 1; j < L; j++) {
        const float *row = seq + (int64_t)j * H;
        if (mode == EE_POOL_MEAN)
          for (int i = 0; i < H; i++) dst[i] += row[i];
        else
          for (int i = 0; i < H; i++) dst[i] = row[i] > dst[i] ? row[i] : dst[i];
      }
      if (mode == EE_POOL_MEAN)
        for (int i = 0; i < H; i++) dst[i] /= (float)L;
    } else { /* CLS: the first token's hidden state */
      memcpy(dst, seq, sizeof(float) * (size_t)H);
    }
    if (normalize) {
      double ss = 0.0;
      for (int i = 0; i < H; i++) ss += (double)dst[i] * dst[i];
      double norm = sqrt(ss);
      float inv = (float)(1.0 / (norm > 1e-12 ? norm : 1e-12));
      for (int i = 0; i < H; i++) dst[i] *= inv;
    }
    o += L;
  }
}

/* ---- the encoder ---------------------------------------------------------------- */

/* One forward pass, shared by the threads of the pool.  Each stage is one
** ee_pool_run whose work is cut into tasks that threads claim from an
** atomic counter, so a thread that is descheduled (more threads than free
** cores) delays a stage by at most one task.  What a task computes never
** depends on which thread runs it, so results stay thread-count invariant. */
#define ROW_TASK 32   /* rows per LayerNorm / embedding task */
#ifndef GEMM_ROWS
#define GEMM_ROWS 192 /* rows per matmul task (x one panel pair); -D to tune */
#endif

typedef struct fwd {
  const ee_model *m;
  int n;                          /* sequences */
  const int32_t *const *ids, *const *type_ids;
  const int32_t *lens;            /* (n) */
  int64_t T;                      /* tokens */
  float *x;                       /* (T,H) residual stream */
  float *qkv;                     /* (T,3H) queries | keys | values */
  float *ctx;                     /* (T,H) attention output */
  float *h1;                      /* (T,H) after the attention block */
  float *ff;                      /* (T,FF) FFN intermediate */
  float *scores;                  /* (nth, sc_stride) per-thread attention scratch */
  int64_t sc_stride;              /* floats of scratch per thread */
  const ee_layer *ly;             /* current layer */
  /* precision bf16/int8: the next product's input A (T,K), converted once
  ** by st_quant into qa (T rows of qld bf16 or bytes) and qscale (T). */
  const float *qin;
  int qK, qld;
  void *qa;
  float *qscale;
  atomic_llong next;              /* next task of the current stage */
} fwd;

static inline int64_t claim(fwd *f) { return atomic_fetch_add(&f->next, 1); }

/* Tasks of sequence rows [r0, r1) for embeddings: each thread's claims
** increase, so a cursor (s, o) over the sequences only moves forward. */
static void st_embed(void *arg, int tid, int nth) {
  (void)tid, (void)nth;
  fwd *f = arg;
  const ee_config *c = &f->m->cfg;
  const ee_weights *w = &f->m->w;
  const int H = c->hidden_size;
  int s = 0;
  int64_t o = 0, task;
  while ((task = claim(f)) * ROW_TASK < f->T) {
    int64_t r0 = task * ROW_TASK, r1 = r0 + ROW_TASK < f->T ? r0 + ROW_TASK : f->T;
    for (int64_t r = r0; r < r1; r++) {
      while (r >= o + f->lens[s]) o += f->lens[s++];
      int64_t j = r - o;
      float *out = f->x + r * H;
      const float *we = w->word + (int64_t)f->ids[s][j] * H;
      const float *pe = w->pos + (int64_t)(c->position_offset + j) * H;
      int tt = f->type_ids && f->type_ids[s] ? f->type_ids[s][j] : 0;
      const float *te = w->type + (int64_t)tt * H;
      for (int i = 0; i < H; i++) out[i] = we[i] + pe[i] + te[i];
      layernorm_pick(out, 1, H, w->emb_ln_g, w->emb_ln_b, c->layer_norm_eps);
    }
  }
}

/* C = act(A W^T + bias + R) by tasks of (GEMM_ROWS rows, one panel pair).
** In bf16/int8, A has been converted by st_quant into f->qa. */
static void gemm_tasks(fwd *f, int nth, float *C, int ldc, const float *A, int lda,
                       const ee_pw *W, const float *bias, const float *R, int ldr, int act) {
  const int64_t pairs = (W->np + 1) / 2, mblocks = (f->T + GEMM_ROWS - 1) / GEMM_ROWS;
  int64_t task;
  while ((task = claim(f)) < pairs * mblocks) {
    int64_t mb = task / pairs, pr = task % pairs;
    int64_t i0 = mb * GEMM_ROWS, rows = f->T - i0 < GEMM_ROWS ? f->T - i0 : GEMM_ROWS;
    const float *Ri = R ? R + i0 * ldr : NULL;
    const int p0 = (int)(2 * pr), p1 = p0 + 2;
    /* Threads claim tasks in turn, so this one's next pair is likely nth on. */
    const int after = pr + nth < pairs ? (int)(2 * (pr + nth)) : -1;
    if (W->prec == EE_PREC_BF16)
      ee_gemm_bf16(C + i0 * ldc, ldc, (const uint16_t *)f->qa + i0 * f->qld, f->qld, (int)rows, W,
                   p0, p1, after, bias, Ri, ldr, act);
    else if (W->prec == EE_PREC_INT8)
      ee_gemm_int8(C + i0 * ldc, ldc, (const uint8_t *)f->qa + i0 * f->qld, f->qld, f->qscale + i0,
                   (int)rows, W, p0, p1, after, bias, Ri, ldr, act);
    else
      ee_gemm(C + i0 * ldc, ldc, A + i0 * lda, lda, (int)rows, W, p0, p1, after, bias, Ri, ldr,
              act);
  }
}

/* bf16/int8: the next product's input f->qin (T, qK) -> f->qa, by tasks of
** ROW_TASK rows; each row is converted on its own (per-token scales), so a
** row's bits do not depend on the batch. */
static void st_quant(void *arg, int tid, int nth) {
  (void)tid, (void)nth;
  fwd *f = arg;
  int64_t task;
  while ((task = claim(f)) * ROW_TASK < f->T) {
    int64_t r0 = task * ROW_TASK, r1 = r0 + ROW_TASK < f->T ? r0 + ROW_TASK : f->T;
    if (f->m->cfg.precision == EE_PREC_BF16)
      ee_to_bf16_rows((uint16_t *)f->qa + r0 * f->qld, f->qld, f->qin + r0 * f->qK, f->qK,
                      (int)(r1 - r0), f->qK);
    else
      ee_quant_rows((uint8_t *)f->qa + r0 * f->qld, f->qld, f->qscale + r0, f->qin + r0 * f->qK,
                    f->qK, (int)(r1 - r0), f->qK);
  }
}

static void st_qkv(void *arg, int tid, int nth) {
  (void)tid;
  fwd *f = arg;
  const int H = f->m->cfg.hidden_size;
  gemm_tasks(f, nth, f->qkv, 3 * H, f->x, H, &f->ly->qkv_p, f->ly->qkv_b, NULL, 0, -1);
}

/* Attention by (sequence, head) tasks, in this thread's scratch. */
static void st_attn(void *arg, int tid, int nth) {
  (void)nth;
  fwd *f = arg;
  const int H = f->m->cfg.hidden_size, NH = f->m->cfg.num_heads, d = H / NH, ld = 3 * H;
  float *scratch = f->scores + f->sc_stride * tid;
  int64_t o = 0, task;
  int s = 0;
  while ((task = claim(f)) < (int64_t)f->n * NH) {
    while ((int64_t)(s + 1) * NH <= task) o += f->lens[s++];
    const int h = (int)(task - (int64_t)s * NH);
    const float *qh = f->qkv + o * ld + h * d;
    ee_attention_head(f->ctx + o * H + h * d, H, qh, qh + H, qh + 2 * H, ld, f->lens[s], d,
                      scratch);
  }
}

/* h1 = ctx Wo^T + bo + x (LayerNorm follows in st_ln1). */
static void st_oproj(void *arg, int tid, int nth) {
  (void)tid;
  fwd *f = arg;
  const int H = f->m->cfg.hidden_size;
  gemm_tasks(f, nth, f->h1, H, f->ctx, H, &f->ly->o_p, f->ly->o_b, f->x, H, -1);
}

static void ln_tasks(fwd *f, float *x, const float *g, const float *b) {
  const int H = f->m->cfg.hidden_size;
  int64_t task;
  while ((task = claim(f)) * ROW_TASK < f->T) {
    int64_t r0 = task * ROW_TASK, r1 = r0 + ROW_TASK < f->T ? r0 + ROW_TASK : f->T;
    layernorm_pick(x + r0 * H, (int)(r1 - r0), H, g, b, f->m->cfg.layer_norm_eps);
  }
}

static void st_ln1(void *arg, int tid, int nth) {
  (void)tid, (void)nth;
  fwd *f = arg;
  ln_tasks(f, f->h1, f->ly->ln1_g, f->ly->ln1_b);
}

/* ff = act(h1 Wi^T + bi) */
static void st_ffup(void *arg, int tid, int nth) {
  (void)tid;
  fwd *f = arg;
  const int H = f->m->cfg.hidden_size, FF = f->m->cfg.intermediate_size;
  gemm_tasks(f, nth, f->ff, FF, f->h1, H, &f->ly->i_p, f->ly->i_b, NULL, 0, (int)f->m->cfg.act);
}

/* x = ff Wf^T + bf + h1 (LayerNorm follows in st_ln2). */
static void st_ffdown(void *arg, int tid, int nth) {
  (void)tid;
  fwd *f = arg;
  const int H = f->m->cfg.hidden_size, FF = f->m->cfg.intermediate_size;
  gemm_tasks(f, nth, f->x, H, f->ff, FF, &f->ly->f_p, f->ly->f_b, f->h1, H, -1);
}

static void st_ln2(void *arg, int tid, int nth) {
  (void)tid, (void)nth;
  fwd *f = arg;
  ln_tasks(f, f->x, f->ly->ln2_g, f->ly->ln2_b);
}

/* One stage: reset the task counter, run on every thread. */
static void stage(ee_pool *pool, void (*fn)(void *, int, int), fwd *f) {
  atomic_store(&f->next, 0);
  ee_pool_run(pool, fn, f);
}

/* A product's stage, preceded in bf16/int8 by converting its input A (T,K). */
static void gemm_stage(ee_pool *pool, void (*fn)(void *, int, int), fwd *f, const float *A,
                       int K) {
  const ee_precision prec = f->m->cfg.precision;
  if (prec != EE_PREC_FP32) {
    f->qin = A;
    f->qK = K;
    f->qld = prec == EE_PREC_BF16 ? 2 * ((K + 1) / 2) : 4 * ((K + 3) / 4);
    stage(pool, st_quant, f);
  }
  stage(pool, fn, f);
}

void ee_forward(const ee_model *m, ee_pool *pool, float *arena, int n,
                const int32_t *const *ids, const int32_t *const *type_ids, const int32_t *lens,
                int64_t T, float *pooled, float *hidden) {
  const ee_config *c = &m->cfg;
  const int H = c->hidden_size, FF = c->intermediate_size;
  int max_len = 0;
  for (int s = 0; s < n; s++) max_len = lens[s] > max_len ? lens[s] : max_len;

  /* Carve the arena (sizes as in ee_arena_floats). */
  const int64_t th = slot(T * H), ti = slot(T * FF);
  fwd f;
  memset(&f, 0, sizeof f);
  f.m = m, f.n = n, f.ids = ids, f.type_ids = type_ids, f.lens = lens, f.T = T;
  f.x = arena;               /* (T,H) residual stream: layer input and output */
  f.qkv = f.x + th;          /* (T,3H) queries, keys, values side by side */
  f.ctx = f.qkv + 3 * th;    /* (T,H) attention output, heads side by side */
  f.h1 = f.ctx + th;         /* (T,H) after the attention block's LayerNorm */
  f.ff = f.h1 + th;          /* (T,FF) FFN intermediate, FF = I */
  f.scores = f.ff + ti;      /* (nth, sc_stride) one head of one sequence per thread */
  f.sc_stride = slot(ee_attention_scratch_floats(max_len, H / c->num_heads));

  /* bf16/int8 activations at the end of the arena (ee_arena_floats' last term). */
  float *qbuf = arena + ee_arena_floats(c, T, max_len, ee_pool_threads(pool)) - quant_floats(c, T);
  f.qscale = qbuf;
  f.qa = qbuf + slot(T);

  stage(pool, st_embed, &f);
  for (int l = 0; l < c->num_layers; l++) {
    f.ly = &m->w.layers[l];
    gemm_stage(pool, st_qkv, &f, f.x, H);
    stage(pool, st_attn, &f);
    gemm_stage(pool, st_oproj, &f, f.ctx, H);
    stage(pool, st_ln1, &f);
    gemm_stage(pool, st_ffup, &f, f.h1, H);
    gemm_stage(pool, st_ffdown, &f, f.ff, FF);
    stage(pool, st_ln2, &f);
  }

  if (hidden) memcpy(hidden, f.x, sizeof(float) * (size_t)(T * H));
  if (pooled) pool_forward(pooled, f.x, lens, n, H, c->pooling, c->normalize);
}
