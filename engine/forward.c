/*
** forward.c — the BERT encoder forward pass on a packed batch, one function
** per op in the manner of karpathy/llm.c train_gpt2.c.
**
**   float *arena = se_malloc(ee_arena_floats(&m->cfg, T, max_len) * sizeof(float));
**   ee_forward(m, arena, n, ids, NULL, lens, T, pooled, NULL);
**
** Packing.  The n sequences of a batch sit back to back: token t of the
** batch is row t of every (T,C) activation, T = sum(lens).  There is no
** padding anywhere, so the dense layers (Q/K/V, attention output, FFN) run
** as single (T,K)x(K,N) matrix products over every real token, and only
** attention, which mixes tokens, loops over sequences: for sequence s and
** head h it works on exactly that sequence's len x len scores.  This is the
** padding mask of Hugging Face's BertModel without the wasted work, and it
** makes a sequence's result independent of which other sequences share its
** batch, up to sgemm's own blocking: OpenBLAS's kernels for a matrix's edge
** rows sum in another order than its full tiles, so a sequence alone and
** the same sequence at another row offset differ by ~1 ulp (measured: at
** most 3.6e-7 on unnormalised outputs, 6e-8 on normalised ones; checked in
** tests/unit/test_engine.c against 1e-6).
**
** One layer, as transformers' BertLayer (post-LayerNorm):
**   q,k,v = x Wq^T + bq, x Wk^T + bk, x Wv^T + bv        (T,H) each
**   ctx   = per sequence, per head: softmax(q_h k_h^T / sqrt(d)) v_h
**   h1    = LayerNorm(ctx Wo^T + bo + x)
**   ff    = act(h1 Wi^T + bi)                            (T,I)
**   x     = LayerNorm(ff Wf^T + bf + h1)
** Linear weights are stored [out, in] (torch's layout), so each product is
** C = A W^T: cblas_sgemm(RowMajor, NoTrans, Trans).  Biases are fused into
** the op that follows the product (residual+LayerNorm, activation), or
** preloaded into C with beta = 1 for Q/K/V.
**
** Numerics.  LayerNorm uses the biased variance (as torch) with double
** accumulators; softmax subtracts the row max and uses a 4-wide polynomial
** exp (v4_exp, within 1e-7 relative of exp); GELU is the exact erf form
** 0.5 x (1 + erff(x / sqrt 2)) (transformers' "gelu"), or the tanh
** approximation for "gelu_new".  Mean pooling divides by the token count,
** L2 normalisation by max(||x||, 1e-12) (torch.nn.functional.normalize).
*/
#include "engine_int.h"
#include <cblas.h> /* note: via complex.h it defines I, so FF names the FFN width here */
#include <math.h>
#include <string.h>

/* Round an arena slot up to 16 floats (64 bytes) so every tensor is
** cache-line aligned when the arena is. */
static int64_t slot(int64_t floats) { return (floats + 15) & ~(int64_t)15; }

int64_t ee_arena_floats(const ee_config *cfg, int64_t total_tokens, int64_t max_len) {
  /* H, I <= 1e6 (config.c); tokens and max_len are bounded by the caller
  ** but check anyway so the products stay far inside int64. */
  if (total_tokens < 0 || max_len < 0 || total_tokens > ((int64_t)1 << 31) ||
      max_len > ((int64_t)1 << 31))
    return -1;
  int64_t th = slot(total_tokens * cfg->hidden_size);
  int64_t ti = slot(total_tokens * cfg->intermediate_size);
  return 6 * th + ti + slot(max_len * max_len);
}

/* ---- ops -------------------------------------------------------------------- */

/* out (T,H) = word[ids] + pos[offset + j] + type[type_ids], sequence after
** sequence; j restarts at 0 for each sequence. */
static void embeddings_forward(float *out, const int32_t *const *ids,
                               const int32_t *const *type_ids, const int32_t *lens, int n,
                               const float *word /* (V,H) */, const float *pos /* (P,H) */,
                               const float *type /* (TV,H) */, int pos_offset, int H) {
  for (int s = 0; s < n; s++) {
    for (int j = 0; j < lens[s]; j++) {
      const float *we = word + (int64_t)ids[s][j] * H;
      const float *pe = pos + (int64_t)(pos_offset + j) * H;
      const float *te = type + (int64_t)(type_ids && type_ids[s] ? type_ids[s][j] : 0) * H;
      for (int i = 0; i < H; i++) out[i] = we[i] + pe[i] + te[i];
      out += H;
    }
  }
}

/* LayerNorm of one row in place: (x - mean) / sqrt(var + eps) * g + b. */
static void layernorm_row(float *x /* (H) */, const float *g, const float *b, int H, float eps) {
  double sum = 0.0;
  for (int i = 0; i < H; i++) sum += x[i];
  double mean = sum / H;
  double var = 0.0;
  for (int i = 0; i < H; i++) {
    double d = x[i] - mean;
    var += d * d;
  }
  var /= H; /* biased, as torch.nn.LayerNorm */
  float m = (float)mean, rstd = (float)(1.0 / sqrt(var + (double)eps));
  for (int i = 0; i < H; i++) x[i] = (x[i] - m) * rstd * g[i] + b[i];
}

/* out (T,H) = LayerNorm(inp); out may equal inp. */
static void layernorm_forward(float *out, const float *inp, const float *g /* (H) */,
                              const float *b /* (H) */, int64_t T, int H, float eps) {
  for (int64_t t = 0; t < T; t++) {
    if (out != inp) memcpy(out + t * H, inp + t * H, sizeof(float) * (size_t)H);
    layernorm_row(out + t * H, g, b, H, eps);
  }
}

/* out (T,H) = LayerNorm(a + bias + resid): the bias of the preceding matmul
** and the residual connection fused into the norm.  out may equal a. */
static void residual_layernorm_forward(float *out, const float *a /* (T,H) */,
                                       const float *bias /* (H) */, const float *resid /* (T,H) */,
                                       const float *g, const float *b, int64_t T, int H,
                                       float eps) {
  for (int64_t t = 0; t < T; t++) {
    float *o = out + t * H;
    const float *ar = a + t * H, *rr = resid + t * H;
    for (int i = 0; i < H; i++) o[i] = (ar[i] + bias[i]) + rr[i];
    layernorm_row(o, g, b, H, eps);
  }
}

/* out (T,N) = inp (T,K) . w^T, w (N,K) as torch stores Linear weights;
** plus bias (N) if given (preloaded into out, sgemm beta = 1). */
static void matmul_forward(float *out, const float *inp, const float *w, const float *bias,
                           int64_t T, int K, int N) {
  float beta = 0.0f;
  if (bias) {
    for (int64_t t = 0; t < T; t++) memcpy(out + t * N, bias, sizeof(float) * (size_t)N);
    beta = 1.0f;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, N, K, 1.0f, inp, K, w, K, beta,
              out, N);
}

/* exp(x) for 4 floats at once, with GCC/Clang vector extensions (SSE on
** x86-64, NEON on arm64).  Cephes' expf: x = n ln2 + r with |r| <= ln2/2,
** e^r by a polynomial, 2^n put into the exponent bits; relative error about
** 1e-7 (within ~2 ulp of libm's expf).  Inputs are clamped to [-87, 88]:
** softmax feeds x - max <= 0, and e^-87 ~ 1.6e-38 is as good as 0 there.
** glibc's scalar expf and the loop around it were ~10% of a forward pass at
** 128 tokens; this is several times cheaper, and deterministic. */
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));
#define V4(x) ((v4f){(x), (x), (x), (x)})

static inline v4f v4_bits_f(v4i i) { v4f f; memcpy(&f, &i, sizeof f); return f; }
static inline v4i v4_bits_i(v4f f) { v4i i; memcpy(&i, &f, sizeof i); return i; }

static inline v4f v4_max(v4f a, v4f b) {
  v4i m = a > b; /* -1 where a > b */
  return v4_bits_f((m & v4_bits_i(a)) | (~m & v4_bits_i(b)));
}

static inline v4f v4_exp(v4f x) {
  x = v4_max(x, V4(-87.0f));
  x = -v4_max(-x, V4(-88.0f));        /* min(x, 88) */
  const v4f magic = V4(12582912.0f);  /* 1.5 * 2^23: adding it rounds to an integer */
  v4f t = x * V4(1.44269504088896341f) + magic;
  v4f n = t - magic;                  /* round(x / ln2) */
  v4f r = x - n * V4(0.693359375f);   /* ln2 split in two for accuracy */
  r = r - n * V4(-2.12194440e-4f);
  v4f p = V4(1.9875691500e-4f);
  p = p * r + V4(1.3981999507e-3f);
  p = p * r + V4(8.3334519073e-3f);
  p = p * r + V4(4.1665795894e-2f);
  p = p * r + V4(1.6666665459e-1f);
  p = p * r + V4(5.0000001201e-1f);
  p = p * r * r + r + V4(1.0f);
  v4i e = ((v4_bits_i(t) - v4_bits_i(magic)) + 127) << 23; /* 2^n as float bits */
  return p * v4_bits_f(e);
}

/* Softmax of each of the rows of x (rows, cols) in place, max subtracted.
** Four columns at a time, the tail through a zero-padded vector.  The
** summation order depends only on cols, so a row's result does not depend
** on the batch it is in. */
static void softmax_forward(float *x, int rows, int cols) {
  for (int r = 0; r < rows; r++) {
    float *row = x + (int64_t)r * cols;
    v4f vmx = V4(row[0]), v;
    int j = 0;
    for (; j + 4 <= cols; j += 4) {
      memcpy(&v, row + j, sizeof v);
      vmx = v4_max(vmx, v);
    }
    float mx = vmx[0];
    for (int k = 1; k < 4; k++) mx = vmx[k] > mx ? vmx[k] : mx;
    for (; j < cols; j++) mx = row[j] > mx ? row[j] : mx;

    v4f vsum = V4(0.0f), vm = V4(mx);
    for (j = 0; j + 4 <= cols; j += 4) {
      memcpy(&v, row + j, sizeof v);
      v = v4_exp(v - vm);
      memcpy(row + j, &v, sizeof v);
      vsum += v;
    }
    float sum = (vsum[0] + vsum[1]) + (vsum[2] + vsum[3]);
    if (j < cols) {
      int tail = cols - j;
      v = V4(0.0f);
      memcpy(&v, row + j, sizeof(float) * (size_t)tail);
      v = v4_exp(v - vm);
      for (int k = 0; k < tail; k++) {
        row[j + k] = v[k];
        sum += v[k];
      }
    }
    float inv = 1.0f / sum;
    for (j = 0; j < cols; j++) row[j] *= inv;
  }
}

/* Multi-head self-attention over packed sequences.  q, k, v, out are (T,H)
** with head h in columns [h*d, (h+1)*d); each sequence attends only to its
** own lens[s] tokens.  scores: scratch of max(lens)^2 floats. */
static void attention_forward(float *out, const float *q, const float *k, const float *v,
                              float *scores, const int32_t *lens, int n, int H, int NH) {
  const int d = H / NH;
  const float scale = 1.0f / sqrtf((float)d);
  int64_t o = 0; /* first row of the current sequence */
  for (int s = 0; s < n; s++) {
    const int L = lens[s];
    for (int h = 0; h < NH; h++) {
      const float *qh = q + o * H + h * d, *kh = k + o * H + h * d, *vh = v + o * H + h * d;
      /* scores (L,L) = q_h k_h^T / sqrt(d) */
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L, L, d, scale, qh, H, kh, H, 0.0f,
                  scores, L);
      softmax_forward(scores, L, L);
      /* out_h (L,d) = P (L,L) . v_h (L,d) */
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L, d, L, 1.0f, scores, L, vh, H,
                  0.0f, out + o * H + h * d, H);
    }
    o += L;
  }
}

/* x (T,FF) = act(x + bias), the intermediate dense bias fused in. */
static void bias_act_forward(float *x, const float *bias /* (FF) */, int64_t T, int FF, ee_act act) {
  for (int64_t t = 0; t < T; t++) {
    float *r = x + t * FF;
    switch (act) {
      case EE_ACT_GELU: /* exact: 0.5 x (1 + erf(x / sqrt 2)) */
        for (int i = 0; i < FF; i++) {
          float u = r[i] + bias[i];
          r[i] = 0.5f * u * (1.0f + erff(u * (float)M_SQRT1_2));
        }
        break;
      case EE_ACT_GELU_TANH: /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
        for (int i = 0; i < FF; i++) {
          float u = r[i] + bias[i];
          r[i] = 0.5f * u * (1.0f + tanhf(0.7978845608028654f * (u + 0.044715f * u * u * u)));
        }
        break;
      case EE_ACT_RELU:
        for (int i = 0; i < FF; i++) {
          float u = r[i] + bias[i];
          r[i] = u > 0.0f ? u : 0.0f;
        }
        break;
    }
  }
}

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

void ee_forward(const ee_model *m, float *arena, int n, const int32_t *const *ids,
                const int32_t *const *type_ids, const int32_t *lens, int64_t T,
                float *pooled, float *hidden) {
  const ee_config *c = &m->cfg;
  const ee_weights *w = &m->w;
  const int H = c->hidden_size, FF = c->intermediate_size, NH = c->num_heads;
  const float eps = c->layer_norm_eps;

  /* Carve the arena (sizes as in ee_arena_floats). */
  const int64_t th = slot(T * H), ti = slot(T * FF);
  float *x = arena;          /* (T,H) residual stream: layer input and output */
  float *q = x + th;         /* (T,H) queries; reused for the output projections */
  float *k = q + th;         /* (T,H) keys */
  float *v = k + th;         /* (T,H) values */
  float *ctx = v + th;       /* (T,H) attention output, heads side by side */
  float *h1 = ctx + th;      /* (T,H) after the attention block's LayerNorm */
  float *ff = h1 + th;       /* (T,FF) FFN intermediate, FF = I */
  float *scores = ff + ti;   /* (max_len, max_len) one head of one sequence: the tail */
  float *proj = q;           /* (T,H) matmul output before residual + LayerNorm */

  embeddings_forward(x, ids, type_ids, lens, n, w->word, w->pos, w->type, c->position_offset, H);
  layernorm_forward(x, x, w->emb_ln_g, w->emb_ln_b, T, H, eps);

  for (int l = 0; l < c->num_layers; l++) {
    const ee_layer *ly = &w->layers[l];
    matmul_forward(q, x, ly->q_w, ly->q_b, T, H, H);
    matmul_forward(k, x, ly->k_w, ly->k_b, T, H, H);
    matmul_forward(v, x, ly->v_w, ly->v_b, T, H, H);
    attention_forward(ctx, q, k, v, scores, lens, n, H, NH);
    matmul_forward(proj, ctx, ly->o_w, NULL, T, H, H);
    residual_layernorm_forward(h1, proj, ly->o_b, x, ly->ln1_g, ly->ln1_b, T, H, eps);
    matmul_forward(ff, h1, ly->i_w, NULL, T, H, FF);
    bias_act_forward(ff, ly->i_b, T, FF, c->act);
    matmul_forward(proj, ff, ly->f_w, NULL, T, FF, H);
    residual_layernorm_forward(x, proj, ly->f_b, h1, ly->ln2_g, ly->ln2_b, T, H, eps);
  }

  if (hidden) memcpy(hidden, x, sizeof(float) * (size_t)(T * H));
  if (pooled) pool_forward(pooled, x, lens, n, H, c->pooling, c->normalize);
}
