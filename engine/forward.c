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
** NomicBert (cfg->rotary, cfg->glu) changes two stages: attention first
** turns each query and key by its token's rotary angles (rotary_rows, in the
** same (sequence, head) task), and the FFN's up-projection computes up and
** gate side by side, each task a panel of each for the same 16 features,
** and writes up * silu(gate) (gemm_tasks); its embeddings have no position
** term and its products no biases.  GTE v1.5 is that with BERT's biases and
** GELU on the gate; JinaBert has no position term either, and adds a bias
** per head and distance to each score (ALiBi, from the table MPNet's
** relative bias uses: attention.c).  Its qk-post-norm variant
** (jina-embeddings-v2-base-code) adds two stages: st_qk_norm, a LayerNorm
** of each row's queries and of its keys before attention, and in st_ln1 a
** second LayerNorm of h1 plus the layer input again.
** Threads split the products into tasks of (192 rows, one pair of packed
** weight panels = 32 output features), attention into (sequence, head)
** tasks with per-thread scratch (attention.c: the same micro-kernels on
** keys and values packed per head), and LayerNorm/embeddings into
** tasks of 32 rows.  Tasks are claimed dynamically (a product's as one
** block per thread, taken in order, the rest stolen from the back:
** claim_block); none depends on the thread that runs it.
**
** In bf16 and int8 each product reads its input converted (rounded to
** bfloat16, or int8 with a scale per token).  The stage that writes an
** input converts it as it goes, while its rows are still in cache:
** embeddings and LayerNorm convert their rows, and in bf16 attention its
** head's columns and the FFN's up-projection its block of outputs (int8's
** scale needs a whole row, which no task of those two holds, so there a
** stage of its own converts them).  A separate stage for every product's
** input cost a pass over memory and, at 16 tokens on 2 threads, the wait
** between stages: bf16 1,259 -> 1,358 sentences a second, int8 1,536 ->
** 1,636 (MiniLM 1 x 16, best of 3 interleaved rounds, Zen 5).
**
** Numerics.  LayerNorm uses the biased variance (as torch), summed in
** float lanes (vec_math.h); softmax subtracts the row max and uses a
** polynomial exp (vf_exp, within 1e-7 relative of exp); GELU is the exact
** erf form 0.5 x (1 + erf(x / sqrt 2)) (transformers' "gelu") with a
** vectorised erf (vf_erf, a rational fit within 4.5e-7 relative), or the
** tanh approximation for "gelu_new".  Mean pooling divides by the token
** count, L2 normalisation by max(||x||, 1e-12)
** (torch.nn.functional.normalize).
*/
#include "engine_int.h"
#include <math.h>
#include <stdatomic.h>
#include <string.h>

/* Round an arena slot up to 16 floats (64 bytes) so every tensor is
** cache-line aligned when the arena is. */
static int64_t slot(int64_t floats) { return (floats + 15) & ~(int64_t)15; }

#ifndef GEMM_ROWS
#define GEMM_ROWS 192 /* rows per matmul task (x one panel pair); -D to tune */
#endif
/* Floats of one thread's scratch for a gated FFN's task: GEMM_ROWS rows of
** a panel pair (gemm_tasks). */
#define GLU_SCRATCH ((int64_t)GEMM_ROWS * 2 * EE_NR)

/* Halves (bf16) or bytes (int8) in a row of a product's converted input of
** K columns: ceil(K/2) pairs in the bf16 tile's layout (4 bytes a pair, or
** 8 where the tile takes its values widened to floats), ceil(K/4) quads. */
static int quant_ld(ee_precision prec, int K) {
  return prec == EE_PREC_BF16 ? ee_bf16_act_width() * 2 * ((K + 1) / 2) : 4 * ((K + 3) / 4);
}

/* Floats (slot-rounded) that T rows of a converted input of K columns take. */
static int64_t quant_slot(ee_precision prec, int64_t T, int K) {
  const int64_t bytes = T * quant_ld(prec, K) * (prec == EE_PREC_BF16 ? 2 : 1);
  return slot((bytes + 3) / 4);
}

/* Floats at the end of the arena for the products' inputs in bf16 or int8
** (precision != fp32): a row scale per token, then T rows of the inputs of
** width H (x, ctx, h1), then T rows of the FFN's intermediate (ff): the
** up-projection reads the first while it writes the second.  The tile is
** fixed for the process (tests may re-pick it between passes, never during
** one), so a pass sizes and carves this part alike. */
static int64_t quant_floats(const ee_config *cfg, int64_t T) {
  if (cfg->precision == EE_PREC_FP32) return 0;
  return slot(T) + quant_slot(cfg->precision, T, cfg->hidden_size) +
         quant_slot(cfg->precision, T, cfg->intermediate_size);
}

/* Floats of a Mixture-of-Experts layer's buffers (0 without one): for the
** T x top_k (token, expert) pairs their expert, probability and row (int32
** and float), the token of each row, the experts' outputs (H) and
** intermediates (I), two int64 tables of E + 1 (each expert's first row,
** its first task), and the rows' inputs: fp32 (H), or bf16/int8 both
** products' converted inputs (and int8 their scales). */
static int64_t moe_floats(const ee_config *cfg, int64_t T) {
  if (!cfg->moe_experts) return 0;
  const int64_t K = T * cfg->moe_top_k;
  const int64_t in = cfg->precision == EE_PREC_FP32
                         ? slot(K * cfg->hidden_size)
                         : 2 * slot(K) + quant_slot(cfg->precision, K, cfg->hidden_size) +
                               quant_slot(cfg->precision, K, cfg->intermediate_size);
  return 4 * slot(K) + slot(K * cfg->hidden_size) + slot(K * cfg->intermediate_size) +
         2 * slot(2 * ((int64_t)cfg->moe_experts + 1)) + in;
}

/* Floats of the pooling's scratch: two vectors as wide as the widest of
** the pooled vector and the Dense modules' outputs (each module reads one
** and writes the other). */
static int64_t pool_floats(const ee_config *cfg) {
  int64_t w = cfg->hidden_size;
  for (int i = 0; i < cfg->n_dense; i++) w = cfg->dense[i].out > w ? cfg->dense[i].out : w;
  return 2 * slot(w);
}

int64_t ee_arena_floats(const ee_config *cfg, int64_t total_tokens, int64_t max_len,
                        int nthreads) {
  /* H, I <= 1e6 (config.c); tokens and max_len are bounded by the caller
  ** but check anyway so the products stay far inside int64. */
  if (total_tokens < 0 || max_len < 0 || total_tokens > ((int64_t)1 << 31) ||
      max_len > ((int64_t)1 << 31) || nthreads < 1 || nthreads > 4096)
    return -1;
  /* a Mixture of Experts numbers its (token, expert) pairs in int32 */
  if (cfg->moe_experts && total_tokens * cfg->moe_top_k > INT32_MAX) return -1;
  int64_t th = slot(total_tokens * cfg->hidden_size);
  int64_t ti = slot(total_tokens * cfg->intermediate_size);
  return 6 * th + ti + nthreads * slot(ee_attention_scratch_floats(max_len, cfg->hidden_size / cfg->num_heads, cfg->precision)) + pool_floats(cfg) + (cfg->glu ? nthreads * GLU_SCRATCH : 0) + moe_floats(cfg, total_tokens) + quant_floats(cfg, total_tokens);
}

/* ---- ops -------------------------------------------------------------------- */


#include "vec_math_widths.h"

/* The functions that loop over these vectors are compiled for AVX-512, AVX2
** and baseline x86-64 (the same always-inline body under three target
** attributes) and picked per call from __builtin_cpu_supports; elsewhere
** once, each at its own vector width (vec_math.h).  With
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
  __attribute__((target("avx512f"))) VEC_FMA static void name##_avx512 params { name##_body16 args; } \
  __attribute__((target("avx2,fma"))) VEC_FMA static void name##_avx2 params { name##_body8 args; } \
  static void name##_base params { name##_body4 args; }                            \
  static void name##_pick params {                                                 \
    if (__builtin_cpu_supports("avx512f")) name##_avx512 args;                     \
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) name##_avx2 args; \
    else name##_base args;                                                         \
  }
#else
#define VEC_VARIANTS(name, params, args) \
  static void name##_pick params { name##_body4 args; }
#endif

VEC_VARIANTS(erf, (float *y, const float *x, int64_t n), (y, x, n))
void ee_erf(float *y, const float *x, int64_t n) { erf_pick(y, x, n); }
VEC_VARIANTS(act_row, (float *x, int n, ee_act act), (x, n, act))
void ee_act_row(float *x, int n, ee_act act) { act_row_pick(x, n, act); }
VEC_VARIANTS(softmax_forward, (float *x, int rows, int cols, float *inv), (x, rows, cols, inv))
void ee_softmax_rows(float *x, int rows, int cols) { softmax_forward_pick(x, rows, cols, NULL); }
void ee_softmax_rows_unscaled(float *x, int rows, int cols, float *inv) {
  softmax_forward_pick(x, rows, cols, inv);
}
VEC_VARIANTS(glu_row, (float *out, const float *up, const float *gate, int n, int gelu),
             (out, up, gate, n, gelu))
VEC_VARIANTS(rotary_row, (float *x, const float *cs, const float *sn, int half), (x, cs, sn, half))
VEC_VARIANTS(layernorm,
             (float *dst, const float *src, int rows, int H, const float *g, const float *b, float eps),
             (dst, src, rows, H, g, b, eps))
VEC_VARIANTS(embed_row,
             (float *out, const float *word, const float *pos, const float *type, int H,
              const float *g, const float *b, float eps),
             (out, word, pos, type, H, g, b, eps))

/* out (n, out_dims) = each sequence's tokens of x (T,H) pooled, through
** the Dense modules, optionally L2-normalised, then cut to out_dims
** (sentence-transformers' truncate_dim cuts the vector after its Normalize
** module); scratch: pool_floats(cfg).  Every mode but CLS starts at token
** skip, as sentence-transformers masks a prompt when include_prompt is
** false: with no token left, the means give zeros (a sum over a count
** clamped to 1e-9), max -1e9 (its fill for masked tokens) and last-token
** zeros (the masked token it gathers). */
static void pool_forward(const ee_model *m, float *out, float *scratch, const float *x,
                         const int32_t *lens, int n, int skip) {
  const ee_config *c = &m->cfg;
  const int H = c->hidden_size, D = c->out_dims;
  const ee_pooling mode = c->pooling;
  float *other = scratch + pool_floats(c) / 2;
  int64_t o = 0;
  for (int s = 0; s < n; s++) {
    float *dst = scratch;
    const float *seq = x + o * H;
    const int L = lens[s];
    const int first = skip < L ? skip : L; /* tokens [first, L) are pooled */
    if (mode == EE_POOL_CLS) { /* the first token's hidden state, prompt or not */
      memcpy(dst, seq, sizeof(float) * (size_t)H);
    } else if (mode == EE_POOL_LAST) { /* nothing left: zeros (a masked token) */
      if (first < L) memcpy(dst, seq + (int64_t)(L - 1) * H, sizeof(float) * (size_t)H);
      else memset(dst, 0, sizeof(float) * (size_t)H);
    } else if (mode == EE_POOL_MAX) {
      if (first == L)
        for (int i = 0; i < H; i++) dst[i] = -1e9f;
      else
        memcpy(dst, seq + (int64_t)first * H, sizeof(float) * (size_t)H);
      for (int j = first + 1; j < L; j++) {
        const float *row = seq + (int64_t)j * H;
        for (int i = 0; i < H; i++) dst[i] = row[i] > dst[i] ? row[i] : dst[i];
      }
    } else { /* mean, mean / sqrt(count), mean weighted by position j + 1 */
      const int weighted = mode == EE_POOL_WEIGHTED_MEAN;
      float wsum = 0.0f;
      memset(dst, 0, sizeof(float) * (size_t)H);
      for (int j = first; j < L; j++) {
        const float *row = seq + (int64_t)j * H, w = weighted ? (float)(j + 1) : 1.0f;
        if (weighted)
          for (int i = 0; i < H; i++) dst[i] += w * row[i];
        else
          for (int i = 0; i < H; i++) dst[i] += row[i];
        wsum += w;
      }
      const float div = mode == EE_POOL_MEAN_SQRT_LEN ? sqrtf(wsum) : wsum;
      if (div > 0.0f)
        for (int i = 0; i < H; i++) dst[i] /= div;
    }
    for (int k = 0; k < c->n_dense; k++) {
      float *next = dst == scratch ? other : scratch;
      ee_dense_apply(&m->dense[k], &c->dense[k], dst, next);
      dst = next;
    }
    const int width = c->pooled_dims;
    if (c->normalize) {
      double ss = 0.0;
      for (int i = 0; i < width; i++) ss += (double)dst[i] * dst[i];
      double norm = sqrt(ss);
      float inv = (float)(1.0 / (norm > 1e-12 ? norm : 1e-12));
      for (int i = 0; i < width; i++) dst[i] *= inv;
    }
    memcpy(out + (int64_t)s * D, dst, sizeof(float) * (size_t)D);
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
#define EE_BLOCK_THREADS 16 /* up to this many threads, products claim by blocks */

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
  float *glu_tmp;                 /* (nth, GLU_SCRATCH) a gated FFN's task blocks, or NULL */
  int64_t sc_stride;              /* floats of scratch per thread */
  const ee_layer *ly;             /* current layer */
  int layer;                      /* its index */
  const float *attn_in, *ffn_in;  /* the products' inputs: x and h1, or (prenorm) their
                                     LayerNorms in ctx */
  const float *ln_src, *ln_g, *ln_b; /* st_ln_copy: LayerNorm of ln_src's rows into ln_dst */
  float *ln_dst;
  /* precision bf16/int8: a product's input A (T,K), converted once into
  ** qa (T rows of qld bf16 or bytes) and qscale (T), by the stage that
  ** wrote A where it can (embeddings and LayerNorm; in bf16 attention and
  ** the FFN's up-projection too), else by st_quant from qin. */
  const float *qin;
  int qK, qld;
  void *qa;
  float *qscale;
  void *qa_h, *qa_i;              /* inputs of width H, and ff (quant_floats) */
  int qld_h, qld_i;
  int ln2_quant;                  /* st_ln2 converts x for the next layer */
  /* A Mixture-of-Experts layer (moe_floats): pair t * top_k + j is token
  ** t's j-th expert moe_e, of probability moe_w, whose row of moe_in,
  ** moe_up and moe_out is moe_row; rows are grouped by expert (expert e's
  ** from moe_first[e]), moe_tok the token of each. */
  int32_t *moe_e, *moe_row, *moe_tok;
  float *moe_w;
  float *moe_in, *moe_up, *moe_out;
  int64_t *moe_first, *moe_task;  /* (E + 1) each; moe_task: first task of each expert's product */
  void *moe_qa_h, *moe_qa_i;      /* bf16/int8 (no moe_in): the rows converted (gathered from qa_h), moe_up's */
  float *moe_qs_h, *moe_qs_i;     /* int8: their row scales */
  int moe_down;                   /* st_moe_gemm: the up-projections (0) or the down (1) */
  atomic_llong next;              /* next task of the current stage */
  /* a product's tasks as one block per thread (see claim_block) */
  int nblocks;                    /* 0: products claim from next instead */
  struct { _Atomic uint64_t lo_hi; char pad[56]; } block[EE_BLOCK_THREADS];
} fwd;

static inline int64_t claim(fwd *f) { return atomic_fetch_add(&f->next, 1); }

/* Rows [r0, r1) of src (K columns) converted into rows of dst, the layout
** of a bf16/int8 product's input.  Each row on its own (int8: a scale per
** token), so converting rows where they are written gives the bits that
** converting the whole input afterwards did. */
static void quant_rows(const fwd *f, void *dst, int ldd, const float *src, int lds, int64_t r0,
                       int64_t r1, int K) {
  if (f->m->cfg.precision == EE_PREC_BF16)
    ee_to_bf16_rows((uint16_t *)dst + r0 * ldd, ldd, src + r0 * lds, lds, (int)(r1 - r0), K);
  else
    ee_quant_rows((uint8_t *)dst + r0 * ldd, ldd, f->qscale + r0, src + r0 * lds, lds,
                  (int)(r1 - r0), K);
}

/* Products hand each thread a contiguous block of their tasks (block t:
** tasks [t n / nth, (t+1) n / nth)), taken in order from its front, and a
** thread whose block is empty takes tasks from the back of the others'.
** In order, a thread's weight panels are one sequential stream whose next
** task it prefetches for sure; claiming from one shared counter instead,
** two threads alternated over the panels and guessed each other's next:
** at 16 tokens (where products stream their weights from DRAM) a pass ran
** 12-17% slower on 2 threads (MiniLM and bert-base, Zen 5).  Taking from
** the back keeps the balance of the shared counter when one core is slower
** or busy.  lo_hi holds the block's remaining [lo, hi) as lo | hi << 32;
** *next_hint receives the task this thread will likely take next, or -1. */
static int64_t claim_block(fwd *f, int tid, int nth, int64_t *next_hint) {
  for (int k = 0; k < nth; k++) {
    const int v = (tid + k) % nth;
    uint64_t w = atomic_load(&f->block[v].lo_hi);
    for (;;) {
      const uint64_t lo = w & 0xffffffffu, hi = w >> 32;
      if (lo >= hi) break;
      /* the owner takes lo, others hi - 1 */
      const uint64_t nw = k == 0 ? (hi << 32) | (lo + 1) : ((hi - 1) << 32) | lo;
      if (atomic_compare_exchange_weak(&f->block[v].lo_hi, &w, nw)) {
        const int64_t task = k == 0 ? (int64_t)lo : (int64_t)hi - 1;
        *next_hint = k == 0 ? (lo + 1 < hi ? task + 1 : -1) : (hi - 1 > lo ? task - 1 : -1);
        return task;
      }
    }
  }
  return -1;
}

/* Tasks of sequence rows [r0, r1) for embeddings: each thread's claims
** increase, so a cursor (s, o) over the sequences only moves forward.
** The word table (vocab x H, 47 MB for MiniLM) is read a row at a time at
** random, so a second cursor fetches the row EMBED_AHEAD tokens on while
** this one is summed.  MiniLM 8 x 128, 1 thread, Zen 5: the stage took
** 2.05 ms a pass with a scalar sum, 1.82 with the sum in vectors, 1.58
** with the fetch as well (8 tokens ahead: no better). */
#define EMBED_AHEAD 2
static void st_embed(void *arg, int tid, int nth) {
  (void)tid, (void)nth;
  fwd *f = arg;
  const ee_config *c = &f->m->cfg;
  const ee_weights *w = &f->m->w;
  const int H = c->hidden_size;
  int s = 0, ps = 0, count_s = -1;
  int64_t o = 0, po = 0, task, count = 0, count_j = -1;
  while ((task = claim(f)) * ROW_TASK < f->T) {
    int64_t r0 = task * ROW_TASK, r1 = r0 + ROW_TASK < f->T ? r0 + ROW_TASK : f->T;
    for (int64_t r = r0; r < r1; r++) {
      const int64_t rp = r + EMBED_AHEAD;
      if (rp < f->T) {
        while (rp >= po + f->lens[ps]) po += f->lens[ps++];
        int64_t row_bytes = 0;
        const char *next = ee_word_row_src(w, f->ids[ps][rp - po], H, &row_bytes);
        for (int64_t b = 0; b < row_bytes; b += 64) ee_prefetch(next + b);
      }
      while (r >= o + f->lens[s]) o += f->lens[s++];
      int64_t j = r - o;
      const int32_t id = f->ids[s][j];
      float *out = f->x + r * H;
      const float *we = ee_word_row(w, id, H, out); /* a row not in f32 is converted into out */
      int64_t position = c->rotary || c->alibi ? 0 : j; /* no table: one zero row (weights.c) */
      if (c->pad_position >= 0) { /* MPNet: pad + the non-pad tokens up to j */
        if (s != count_s || j != count_j + 1) {
          count = 0;
          for (int64_t i = 0; i < j; i++) count += f->ids[s][i] != c->pad_position;
        }
        count += id != c->pad_position;
        count_s = s, count_j = j;
        position = id == c->pad_position ? c->pad_position : c->pad_position + count;
      }
      const float *pe = w->pos + position * H;
      int tt = f->type_ids && f->type_ids[s] ? f->type_ids[s][j] : 0;
      const float *te = w->type + (int64_t)tt * H;
      embed_row_pick(out, we, pe, te, H, w->emb_ln_g, w->emb_ln_b, c->layer_norm_eps);
    }
    if (c->precision != EE_PREC_FP32) quant_rows(f, f->qa_h, f->qld_h, f->x, H, r0, r1, H);
  }
}

/* One product's stage: C = act(A W^T + bias + R) (bias, R may be NULL; act
** < 0 for none).  With qout (bf16 only), each task also rounds its block of
** C into qout (rows of ldq halves), the next product's input, while the
** block is still in cache: the rounding is per value, and the block's
** columns start at a multiple of EE_NR, so no two tasks write the same
** pair.  With glu, W holds a gated FFN's up and gate rows a panel each in
** turn (ee_up_rows): a task's panel pair is features [16p, 16p + 16) of
** both, computed into the thread's scratch and written to C (ldc = I) as
** up * silu(gate), then rounded into qout as above. */
typedef struct gemm_job {
  float *C;
  int ldc;
  const float *A;
  int lda;
  const ee_pw *W;
  const float *bias, *R;
  int ldr, act;
  uint16_t *qout;
  int ldq;
  int glu;
} gemm_job;

/* Tasks of a product with weights W: row blocks x panel pairs. */
static int64_t gemm_task_count(const fwd *f, const ee_pw *W) {
  return (W->np + 1) / 2 * ((f->T + GEMM_ROWS - 1) / GEMM_ROWS);
}

/* j's product by tasks of (GEMM_ROWS rows, one panel pair).  In bf16/int8,
** A has been converted into f->qa. */
static void gemm_tasks(fwd *f, int tid, int nth, const gemm_job *j) {
  const ee_pw *W = j->W;
  const int64_t pairs = (W->np + 1) / 2, ntask = gemm_task_count(f, W);
  const int blocks = f->nblocks == nth;
  int64_t task, hint = -1;
  while ((task = blocks ? claim_block(f, tid, nth, &hint) : claim(f)) >= 0 && task < ntask) {
    int64_t mb = task / pairs, pr = task % pairs;
    int64_t i0 = mb * GEMM_ROWS, rows = f->T - i0 < GEMM_ROWS ? f->T - i0 : GEMM_ROWS;
    const float *Ri = j->R ? j->R + i0 * j->ldr : NULL;
    const int p0 = (int)(2 * pr), p1 = p0 + 2;
    /* The pair to prefetch after this one: the next task's when it is
    ** known (blocks); from the shared counter, threads claim in turn. */
    const int after = blocks ? (hint >= 0 ? (int)(2 * (hint % pairs)) : -1)
                      : pr + nth < pairs ? (int)(2 * (pr + nth)) : -1;
    /* the task's block: columns [p0 EE_NR, p1 EE_NR) of C, or the scratch */
    float *Cb = j->glu ? f->glu_tmp + tid * GLU_SCRATCH : j->C + i0 * j->ldc + p0 * EE_NR;
    const int ldb = j->glu ? 2 * EE_NR : j->ldc;
    if (W->prec == EE_PREC_BF16)
      ee_gemm_bf16(Cb, ldb, (const uint16_t *)f->qa + i0 * f->qld, f->qld, (int)rows, W, p0, p1,
                   after, j->bias, Ri, j->ldr, j->act);
    else if (W->prec == EE_PREC_INT8)
      ee_gemm_int8(Cb, ldb, (const uint8_t *)f->qa + i0 * f->qld, f->qld, f->qscale + i0,
                   (int)rows, W, p0, p1, after, j->bias, Ri, j->ldr, j->act);
    else
      ee_gemm(Cb, ldb, j->A + i0 * j->lda, j->lda, (int)rows, W, p0, p1, after, j->bias, Ri,
              j->ldr, j->act);
    /* the columns of C this task wrote */
    int c0 = p0 * EE_NR, c1 = p1 * EE_NR < W->N ? p1 * EE_NR : W->N;
    if (j->glu) {
      const ee_config *c = &f->m->cfg;
      const int I = c->intermediate_size;
      c0 = (int)pr * EE_NR, c1 = c0 + EE_NR < I ? c0 + EE_NR : I;
      for (int64_t r = 0; r < rows; r++) {
        float *up = Cb + r * ldb, *gate = up + EE_NR, *dst = j->C + (i0 + r) * j->ldc + c0;
        if (c->glu_act && c->act != EE_ACT_GELU) { /* ModernBERT's tanh GELU */
          act_row_pick(gate, c1 - c0, c->act);
          for (int k = 0; k < c1 - c0; k++) dst[k] = gate[k] * up[k];
        } else { /* act(input) * gate, ModernBERT's input in the gate's panel */
          glu_row_pick(dst, up, gate, c1 - c0, c->glu_act);
        }
      }
    }
    if (j->qout)
      ee_to_bf16_rows(j->qout + i0 * j->ldq + (int64_t)c0 * ee_bf16_act_width(), j->ldq,
                      j->C + i0 * j->ldc + c0, j->ldc, (int)rows, c1 - c0);
  }
}

/* bf16/int8: a product's input f->qin (T, qK) -> f->qa, by tasks of
** ROW_TASK rows, where the stage that wrote it could not convert it (int8's
** attention output and FFN intermediate: a row's scale needs the whole
** row, which no one task of those stages holds). */
static void st_quant(void *arg, int tid, int nth) {
  (void)tid, (void)nth;
  fwd *f = arg;
  int64_t task;
  while ((task = claim(f)) * ROW_TASK < f->T) {
    int64_t r0 = task * ROW_TASK, r1 = r0 + ROW_TASK < f->T ? r0 + ROW_TASK : f->T;
    quant_rows(f, f->qa, f->qld, f->qin, f->qK, r0, r1, f->qK);
  }
}

static void st_qkv(void *arg, int tid, int nth) {
  fwd *f = arg;
  const int H = f->m->cfg.hidden_size;
  const gemm_job j = {.C = f->qkv, .ldc = 3 * H, .A = f->attn_in, .lda = H, .W = &f->ly->qkv_p,
                      .bias = f->ly->qkv_b, .act = -1};
  gemm_tasks(f, tid, nth, &j);
}

/* JinaBert's qk-post-norm variant: LayerNorm of each row's queries and of
** its keys over the whole width (all heads), in place in qkv; a stage of
** its own because attention's tasks hold one head of a row. */
static void st_qk_norm(void *arg, int tid, int nth) {
  (void)tid, (void)nth;
  fwd *f = arg;
  const int H = f->m->cfg.hidden_size;
  const float eps = f->m->cfg.layer_norm_eps;
  int64_t task;
  while ((task = claim(f)) * ROW_TASK < f->T) {
    int64_t r0 = task * ROW_TASK, r1 = r0 + ROW_TASK < f->T ? r0 + ROW_TASK : f->T;
    for (int64_t r = r0; r < r1; r++) {
      float *q = f->qkv + r * 3 * H, *k = q + H;
      layernorm_pick(q, q, 1, H, f->ly->qn_g, f->ly->qn_b, eps);
      layernorm_pick(k, k, 1, H, f->ly->kn_g, f->ly->kn_b, eps);
    }
  }
}

/* Rotary positions on one head of one sequence, in place: for token j,
** each pair (x_i, x_{i + d/2}) of its query q and key k turned by angle
** j * inv_freq_i, as NomicBert's apply_rotary_emb (x cos + rotate_half(x)
** sin, GPT-NeoX's halves); rope: weights.c's table. */
static void rotary_rows(float *q, float *k, int ld, int L, int d, const float *rope) {
  const int half = d / 2;
  for (int j = 0; j < L; j++) {
    const float *cs = rope + (int64_t)j * d, *sn = cs + half;
    rotary_row_pick(q + (int64_t)j * ld, cs, sn, half);
    rotary_row_pick(k + (int64_t)j * ld, cs, sn, half);
  }
}

/* Attention by (sequence, head) tasks, in this thread's scratch.  In bf16
** each task rounds its head's columns of ctx for the output projection
** (when d is even, so no two heads share a pair). */
static void st_attn(void *arg, int tid, int nth) {
  (void)nth;
  fwd *f = arg;
  const int H = f->m->cfg.hidden_size, NH = f->m->cfg.num_heads, d = H / NH, ld = 3 * H;
  float *scratch = f->scores + f->sc_stride * tid;
  const int every = f->m->cfg.global_every;
  const int local = every > 0 && f->layer % every != 0; /* ModernBERT's windowed layers */
  const int window = local ? f->m->cfg.window : -1;
  int64_t o = 0, task;
  int s = 0;
  while ((task = claim(f)) < (int64_t)f->n * NH) {
    while ((int64_t)(s + 1) * NH <= task) o += f->lens[s++];
    const int h = (int)(task - (int64_t)s * NH);
    float *qh = f->qkv + o * ld + h * d;
    const ee_weights *w = &f->m->w;
    const float *rel = w->rel_bias ? w->rel_bias + h * w->rel_ld + w->rel_max : NULL;
    if (w->rope) rotary_rows(qh, qh + H, ld, f->lens[s], d, local ? w->rope_local : w->rope);
    if (f->m->cfg.precision == EE_PREC_BF16) {
      ee_attention_head_bf16(f->ctx + o * H + h * d, H, qh, qh + H, qh + 2 * H, ld, f->lens[s], d,
                             rel, window, scratch);
      if (d % 2 == 0)
        ee_to_bf16_rows((uint16_t *)f->qa_h + o * f->qld_h + (int64_t)h * d * ee_bf16_act_width(),
                        f->qld_h, f->ctx + o * H + h * d, H, f->lens[s], d);
    } else
      ee_attention_head(f->ctx + o * H + h * d, H, qh, qh + H, qh + 2 * H, ld, f->lens[s], d,
                        rel, window, scratch);
  }
}

/* h1 = ctx Wo^T + bo + x (LayerNorm follows in st_ln1). */
static void st_oproj(void *arg, int tid, int nth) {
  fwd *f = arg;
  const int H = f->m->cfg.hidden_size;
  const gemm_job j = {.C = f->h1, .ldc = H, .A = f->ctx, .lda = H, .W = &f->ly->o_p,
                      .bias = f->ly->o_b, .R = f->x, .ldr = H, .act = -1};
  gemm_tasks(f, tid, nth, &j);
}

/* LayerNorm of x's rows; with quant, also converted for the next product. */
static void ln_tasks(fwd *f, float *x, const float *g, const float *b, int quant) {
  const int H = f->m->cfg.hidden_size;
  int64_t task;
  while ((task = claim(f)) * ROW_TASK < f->T) {
    int64_t r0 = task * ROW_TASK, r1 = r0 + ROW_TASK < f->T ? r0 + ROW_TASK : f->T;
    layernorm_pick(x + r0 * H, x + r0 * H, (int)(r1 - r0), H, g, b, f->m->cfg.layer_norm_eps);
    if (quant) quant_rows(f, f->qa_h, f->qld_h, x, H, r0, r1, H);
  }
}

static void st_ln1(void *arg, int tid, int nth) {
  (void)tid, (void)nth;
  fwd *f = arg;
  const ee_layer *ly = f->ly;
  const int quant = f->m->cfg.precision != EE_PREC_FP32;
  if (!ly->ln1x_g) {
    ln_tasks(f, f->h1, ly->ln1_g, ly->ln1_b, quant);
    return;
  }
  /* JinaBert qk-post-norm: h1 = layer_norm_1(LayerNorm(h1) + x), x the
  ** layer's input added a second time, as the model does */
  const int H = f->m->cfg.hidden_size;
  const float eps = f->m->cfg.layer_norm_eps;
  int64_t task;
  while ((task = claim(f)) * ROW_TASK < f->T) {
    int64_t r0 = task * ROW_TASK, r1 = r0 + ROW_TASK < f->T ? r0 + ROW_TASK : f->T;
    float *h = f->h1 + r0 * H;
    const float *x = f->x + r0 * H;
    const int rows = (int)(r1 - r0);
    layernorm_pick(h, h, rows, H, ly->ln1_g, ly->ln1_b, eps);
    for (int64_t i = 0; i < (int64_t)rows * H; i++) h[i] += x[i];
    layernorm_pick(h, h, rows, H, ly->ln1x_g, ly->ln1x_b, eps);
    if (quant) quant_rows(f, f->qa_h, f->qld_h, f->h1, H, r0, r1, H);
  }
}

/* ff = act(h1 Wi^T + bi), or up(h1) * silu(gate(h1)) for a gated FFN */
static void st_ffup(void *arg, int tid, int nth) {
  fwd *f = arg;
  const int H = f->m->cfg.hidden_size, FF = f->m->cfg.intermediate_size;
  const int bf16 = f->m->cfg.precision == EE_PREC_BF16;
  const int glu = f->m->cfg.glu;
  const gemm_job j = {.C = f->ff, .ldc = FF, .A = f->ffn_in, .lda = H, .W = &f->ly->i_p,
                      .bias = f->ly->i_b, .act = glu ? -1 : (int)f->m->cfg.act,
                      .qout = bf16 ? f->qa_i : NULL, .ldq = f->qld_i, .glu = glu};
  gemm_tasks(f, tid, nth, &j);
}

/* x = ff Wf^T + bf + h1 (LayerNorm follows in st_ln2). */
static void st_ffdown(void *arg, int tid, int nth) {
  fwd *f = arg;
  const int H = f->m->cfg.hidden_size, FF = f->m->cfg.intermediate_size;
  const gemm_job j = {.C = f->x, .ldc = H, .A = f->ff, .lda = FF, .W = &f->ly->f_p,
                      .bias = f->ly->f_b, .R = f->h1, .ldr = H, .act = -1};
  gemm_tasks(f, tid, nth, &j);
}

/* ---- a Mixture-of-Experts FFN (NomicBert v2-moe) -------------------------------
** h1's rows routed to their experts: each token's router logits, their
** softmax (in float, as the model's .softmax(dtype=float32)), the top_k
** highest (the first of equal ones); then the pairs grouped by expert
** (moe_ffn, serially: a count of T x top_k), each group's rows gathered and
** run through its expert's two products, and each token's x = h1 + bias +
** the experts' outputs weighted by their probabilities (not renormalised),
** in the order they were chosen.  A token's row goes through the same tiles
** whichever rows share its group, so its vector does not depend on the
** batch, and every value is written by one task: none on the thread count. */
static void st_moe_route(void *arg, int tid, int nth) {
  (void)tid, (void)nth;
  fwd *f = arg;
  const ee_config *c = &f->m->cfg;
  const int H = c->hidden_size, E = c->moe_experts, k = c->moe_top_k;
  float p[EE_MAX_EXPERTS];
  unsigned char taken[EE_MAX_EXPERTS];
  int64_t task;
  while ((task = claim(f)) * ROW_TASK < f->T) {
    int64_t r0 = task * ROW_TASK, r1 = r0 + ROW_TASK < f->T ? r0 + ROW_TASK : f->T;
    for (int64_t t = r0; t < r1; t++) {
      const float *x = f->h1 + t * H;
      float top = -INFINITY, sum = 0.0f;
      for (int e = 0; e < E; e++) {
        const float *r = f->ly->router_w + (int64_t)e * H;
        float dot = 0.0f;
        for (int h = 0; h < H; h++) dot += x[h] * r[h];
        p[e] = dot;
        top = dot > top ? dot : top;
      }
      for (int e = 0; e < E; e++) sum += p[e] = expf(p[e] - top);
      for (int e = 0; e < E; e++) p[e] /= sum;
      memset(taken, 0, (size_t)E);
      for (int j = 0; j < k; j++) {
        int best = -1; /* the first untaken expert, then any higher one: never -1, NaN or not */
        for (int e = 0; e < E; e++)
          if (!taken[e] && (best < 0 || p[e] > p[best])) best = e;
        taken[best] = 1;
        f->moe_e[t * k + j] = best;
        f->moe_w[t * k + j] = p[best];
      }
    }
  }
}

/* moe_in's rows: each routed pair's token of h1; in bf16/int8 its row as
** st_ln1 converted it (and its scale), which the up-projections read. */
static void st_moe_gather(void *arg, int tid, int nth) {
  (void)tid, (void)nth;
  fwd *f = arg;
  const ee_config *c = &f->m->cfg;
  const int H = c->hidden_size;
  const int64_t rows = f->T * c->moe_top_k;
  const size_t qbytes = (size_t)f->qld_h * (c->precision == EE_PREC_BF16 ? 2 : 1);
  int64_t task;
  while ((task = claim(f)) * ROW_TASK < rows) {
    int64_t r0 = task * ROW_TASK, r1 = r0 + ROW_TASK < rows ? r0 + ROW_TASK : rows;
    for (int64_t r = r0; r < r1; r++) {
      const int64_t t = f->moe_tok[r];
      if (c->precision == EE_PREC_FP32) {
        memcpy(f->moe_in + r * H, f->h1 + t * H, sizeof(float) * (size_t)H);
        continue;
      }
      memcpy((char *)f->moe_qa_h + r * qbytes, (const char *)f->qa_h + t * qbytes, qbytes);
      if (c->precision == EE_PREC_INT8) f->moe_qs_h[r] = f->qscale[t];
    }
  }
}

/* int8: moe_up's rows quantised for the down-projections (a row's scale
** needs the whole row, which no one task of the up-projections holds). */
static void st_moe_quant(void *arg, int tid, int nth) {
  (void)tid, (void)nth;
  fwd *f = arg;
  const int I = f->m->cfg.intermediate_size;
  const int64_t rows = f->T * f->m->cfg.moe_top_k;
  int64_t task;
  while ((task = claim(f)) * ROW_TASK < rows) {
    int64_t r0 = task * ROW_TASK, r1 = r0 + ROW_TASK < rows ? r0 + ROW_TASK : rows;
    ee_quant_rows((uint8_t *)f->moe_qa_i + r0 * f->qld_i, f->qld_i, f->moe_qs_i + r0,
                  f->moe_up + r0 * I, I, (int)(r1 - r0), I);
  }
}

/* The experts' products by tasks of (expert, GEMM_ROWS of its rows, one
** panel pair): moe_up = GELU(moe_in W1_e^T), or moe_out = moe_up W2_e. */
static void st_moe_gemm(void *arg, int tid, int nth) {
  (void)tid;
  fwd *f = arg;
  const ee_config *c = &f->m->cfg;
  const int H = c->hidden_size, I = c->intermediate_size, E = c->moe_experts;
  const int K = f->moe_down ? I : H, N = f->moe_down ? H : I;
  const float *A = f->moe_down ? f->moe_up : f->moe_in;
  float *C = f->moe_down ? f->moe_out : f->moe_up;
  int64_t task;
  int e = 0;
  while ((task = claim(f)) < f->moe_task[E]) {
    while (f->moe_task[e + 1] <= task) e++; /* tasks are claimed in increasing order */
    const ee_pw *W = &f->ly->moe_p[2 * e + f->moe_down];
    const int64_t pairs = (W->np + 1) / 2, local = task - f->moe_task[e];
    const int64_t i0 = f->moe_first[e] + local / pairs * GEMM_ROWS;
    const int64_t rows = f->moe_first[e + 1] - i0 < GEMM_ROWS ? f->moe_first[e + 1] - i0 : GEMM_ROWS;
    const int p0 = (int)(2 * (local % pairs)), act = f->moe_down ? -1 : (int)c->act;
    /* the panels this thread probably takes next (threads claim in turn):
    ** fetched while this pair computes, as gemm_tasks does */
    const int64_t next = local + nth;
    const int after = next < f->moe_task[e + 1] - f->moe_task[e] && next / pairs == local / pairs
                          ? (int)(2 * (next % pairs)) : -1;
    float *Cb = C + i0 * N + p0 * EE_NR;
    if (c->precision == EE_PREC_FP32) {
      ee_gemm(Cb, N, A + i0 * K, K, (int)rows, W, p0, p0 + 2, after, NULL, NULL, 0, act);
      continue;
    }
    const int qld = f->moe_down ? f->qld_i : f->qld_h;
    const void *qa = f->moe_down ? f->moe_qa_i : f->moe_qa_h;
    if (c->precision == EE_PREC_INT8) {
      ee_gemm_int8(Cb, N, (const uint8_t *)qa + i0 * qld, qld, (f->moe_down ? f->moe_qs_i : f->moe_qs_h) + i0,
                   (int)rows, W, p0, p0 + 2, after, NULL, NULL, 0, act);
      continue;
    }
    ee_gemm_bf16(Cb, N, (const uint16_t *)qa + i0 * qld, qld, (int)rows, W, p0, p0 + 2, after, NULL, NULL,
                 0, act);
    if (!f->moe_down) { /* the block rounded for the down-projection, as gemm_tasks' qout */
      const int c0 = p0 * EE_NR, c1 = (p0 + 2) * EE_NR < N ? (p0 + 2) * EE_NR : N;
      ee_to_bf16_rows((uint16_t *)f->moe_qa_i + i0 * f->qld_i + (int64_t)c0 * ee_bf16_act_width(),
                      f->qld_i, Cb, N, (int)rows, c1 - c0);
    }
  }
}

/* x = h1 + experts.bias + sum_j moe_w * moe_out (st_ln2 follows). */
static void st_moe_combine(void *arg, int tid, int nth) {
  (void)tid, (void)nth;
  fwd *f = arg;
  const int H = f->m->cfg.hidden_size, k = f->m->cfg.moe_top_k;
  int64_t task;
  while ((task = claim(f)) * ROW_TASK < f->T) {
    int64_t r0 = task * ROW_TASK, r1 = r0 + ROW_TASK < f->T ? r0 + ROW_TASK : f->T;
    for (int64_t t = r0; t < r1; t++) {
      float *x = f->x + t * H;
      const float *h1 = f->h1 + t * H;
      for (int h = 0; h < H; h++) x[h] = 0.0f;
      for (int j = 0; j < k; j++) {
        const float w = f->moe_w[t * k + j], *out = f->moe_out + (int64_t)f->moe_row[t * k + j] * H;
        for (int h = 0; h < H; h++) x[h] += w * out[h];
      }
      for (int h = 0; h < H; h++) x[h] = x[h] + f->ly->moe_b[h] + h1[h];
    }
  }
}

/* First task of each expert's product (moe_task), whose weights have
** panels of N columns. */
static void moe_tasks(fwd *f, int N) {
  const int E = f->m->cfg.moe_experts;
  const int64_t pairs = ((N + EE_NR - 1) / EE_NR + 1) / 2;
  f->moe_task[0] = 0;
  for (int e = 0; e < E; e++) {
    const int64_t rows = f->moe_first[e + 1] - f->moe_first[e];
    f->moe_task[e + 1] = f->moe_task[e] + (rows + GEMM_ROWS - 1) / GEMM_ROWS * pairs;
  }
}

static void stage(ee_pool *pool, void (*fn)(void *, int, int), fwd *f);

/* x = h1 + the Mixture of Experts of h1 (before st_ln2). */
static void moe_ffn(ee_pool *pool, fwd *f) {
  const ee_config *c = &f->m->cfg;
  const int E = c->moe_experts;
  const int64_t pairs = f->T * c->moe_top_k;
  stage(pool, st_moe_route, f);
  /* group the pairs by expert, in token order within each (a counting sort) */
  for (int e = 0; e <= E; e++) f->moe_first[e] = 0;
  for (int64_t i = 0; i < pairs; i++) f->moe_first[f->moe_e[i] + 1]++;
  for (int e = 0; e < E; e++) f->moe_first[e + 1] += f->moe_first[e];
  for (int e = 0; e < E; e++) f->moe_task[e] = f->moe_first[e]; /* next free row of e */
  for (int64_t i = 0; i < pairs; i++) {
    const int64_t row = f->moe_task[f->moe_e[i]]++;
    f->moe_row[i] = (int32_t)row;
    f->moe_tok[row] = (int32_t)(i / c->moe_top_k);
  }
  stage(pool, st_moe_gather, f);
  moe_tasks(f, c->intermediate_size);
  f->moe_down = 0;
  stage(pool, st_moe_gemm, f);
  if (c->precision == EE_PREC_INT8) stage(pool, st_moe_quant, f);
  moe_tasks(f, c->hidden_size);
  f->moe_down = 1;
  stage(pool, st_moe_gemm, f);
  stage(pool, st_moe_combine, f);
}

/* Pre-LayerNorm (ModernBERT): ln_dst = LayerNorm(ln_src), the next
** product's input, converted for it in bf16/int8; ln_src stays as the
** residual. */
static void st_ln_copy(void *arg, int tid, int nth) {
  (void)tid, (void)nth;
  fwd *f = arg;
  const int H = f->m->cfg.hidden_size;
  int64_t task;
  while ((task = claim(f)) * ROW_TASK < f->T) {
    int64_t r0 = task * ROW_TASK, r1 = r0 + ROW_TASK < f->T ? r0 + ROW_TASK : f->T;
    layernorm_pick(f->ln_dst + r0 * H, f->ln_src + r0 * H, (int)(r1 - r0), H, f->ln_g, f->ln_b,
                   f->m->cfg.layer_norm_eps);
    if (f->m->cfg.precision != EE_PREC_FP32) quant_rows(f, f->qa_h, f->qld_h, f->ln_dst, H, r0, r1, H);
  }
}

/* ModernBERT's final LayerNorm of x, in place. */
static void st_ln_final(void *arg, int tid, int nth) {
  (void)tid, (void)nth;
  fwd *f = arg;
  ln_tasks(f, f->x, f->m->w.final_g, f->m->w.final_b, 0);
}

static void st_ln2(void *arg, int tid, int nth) {
  (void)tid, (void)nth;
  fwd *f = arg;
  ln_tasks(f, f->x, f->ly->ln2_g, f->ly->ln2_b, f->ln2_quant);
}

/* One stage: reset the task counter, run on every thread. */
static void stage(ee_pool *pool, void (*fn)(void *, int, int), fwd *f) {
  atomic_store(&f->next, 0);
  ee_pool_run(pool, fn, f);
}

/* The stage of a product with weights W; in bf16/int8 its input A (T,K)
** is read from qa (rows of qld), converted first unless converted says an
** earlier stage did.  Its tasks in blocks, one per thread, when they fit. */
static void gemm_stage(ee_pool *pool, void (*fn)(void *, int, int), fwd *f, const float *A,
                       int K, const ee_pw *W, void *qa, int qld, int converted) {
  if (f->m->cfg.precision != EE_PREC_FP32) {
    f->qa = qa;
    f->qld = qld;
    if (!converted) {
      f->qin = A;
      f->qK = K;
      stage(pool, st_quant, f);
    }
  }
  const int nth = ee_pool_threads(pool);
  const int64_t ntask = gemm_task_count(f, W);
  f->nblocks = 0;
  if (nth > 1 && nth <= EE_BLOCK_THREADS && ntask < ((int64_t)1 << 31)) {
    for (int t = 0; t < nth; t++)
      atomic_store(&f->block[t].lo_hi, (uint64_t)(t * ntask / nth) |
                                           (uint64_t)((t + 1) * ntask / nth) << 32);
    f->nblocks = nth;
  }
  stage(pool, fn, f);
}

void ee_forward(const ee_model *m, ee_pool *pool, float *arena, int n,
                const int32_t *const *ids, const int32_t *const *type_ids, const int32_t *lens,
                int64_t T, int pool_skip, float *pooled, float *hidden) {
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
  f.sc_stride = slot(ee_attention_scratch_floats(max_len, H / c->num_heads, c->precision));
  /* after the pooling's scratch: (nth, GLU_SCRATCH) for a gated FFN */
  f.glu_tmp = c->glu ? f.scores + ee_pool_threads(pool) * f.sc_stride + pool_floats(c) : NULL;

  /* bf16/int8 activations at the end of the arena (ee_arena_floats' last term). */
  float *qbuf = arena + ee_arena_floats(c, T, max_len, ee_pool_threads(pool)) - quant_floats(c, T);
  const int bf16 = c->precision == EE_PREC_BF16;
  if (c->precision != EE_PREC_FP32) {
    f.qld_h = quant_ld(c->precision, H);
    f.qld_i = quant_ld(c->precision, FF);
    f.qscale = qbuf;
    f.qa_h = qbuf + slot(T);
    f.qa_i = qbuf + slot(T) + quant_slot(c->precision, T, H);
  }
  const int ctx_converted = bf16 && (H / c->num_heads) % 2 == 0; /* by st_attn */
  if (c->moe_experts) { /* before the quantised inputs */
    const int64_t K = T * c->moe_top_k;
    float *mb = qbuf - moe_floats(c, T);
    if (c->precision != EE_PREC_FP32) {
      f.moe_qs_h = mb, mb += slot(K);
      f.moe_qs_i = mb, mb += slot(K);
      f.moe_qa_h = mb, mb += quant_slot(c->precision, K, H);
      f.moe_qa_i = mb, mb += quant_slot(c->precision, K, FF);
    } else {
      f.moe_in = mb, mb += slot(K * H);
    }
    f.moe_e = (int32_t *)(void *)mb, mb += slot(K);
    f.moe_row = (int32_t *)(void *)mb, mb += slot(K);
    f.moe_tok = (int32_t *)(void *)mb, mb += slot(K);
    f.moe_w = mb, mb += slot(K);
    f.moe_out = mb, mb += slot(K * H);
    f.moe_up = mb, mb += slot(K * FF);
    f.moe_first = (int64_t *)(void *)mb, mb += slot(2 * ((int64_t)c->moe_experts + 1));
    f.moe_task = (int64_t *)(void *)mb;
  }

  stage(pool, st_embed, &f);
  f.attn_in = f.x, f.ffn_in = f.h1;
  for (int l = 0; c->prenorm && l < c->num_layers; l++) {
    /* x = x + attn(LN1(x)) (layer 0: of x); x = x + ffn(LN2(x)): the
    ** LayerNorms go into ctx, free until attention writes it, and h1
    ** holds the residual between the two halves */
    f.ly = &m->w.layers[l], f.layer = l;
    f.attn_in = f.x;
    if (f.ly->ln1_g) {
      f.ln_src = f.x, f.ln_dst = f.ctx, f.ln_g = f.ly->ln1_g, f.ln_b = f.ly->ln1_b;
      stage(pool, st_ln_copy, &f);
      f.attn_in = f.ctx;
    }
    gemm_stage(pool, st_qkv, &f, f.attn_in, H, &f.ly->qkv_p, f.qa_h, f.qld_h, 1);
    stage(pool, st_attn, &f);
    gemm_stage(pool, st_oproj, &f, f.ctx, H, &f.ly->o_p, f.qa_h, f.qld_h, ctx_converted);
    f.ln_src = f.h1, f.ln_dst = f.ctx, f.ln_g = f.ly->ln2_g, f.ln_b = f.ly->ln2_b;
    stage(pool, st_ln_copy, &f);
    f.ffn_in = f.ctx;
    gemm_stage(pool, st_ffup, &f, f.ffn_in, H, &f.ly->i_p, f.qa_h, f.qld_h, 1);
    gemm_stage(pool, st_ffdown, &f, f.ff, FF, &f.ly->f_p, f.qa_i, f.qld_i, bf16);
  }
  if (c->prenorm) stage(pool, st_ln_final, &f);
  for (int l = 0; !c->prenorm && l < c->num_layers; l++) {
    f.ly = &m->w.layers[l], f.layer = l;
    f.ln2_quant = c->precision != EE_PREC_FP32 && l + 1 < c->num_layers;
    gemm_stage(pool, st_qkv, &f, f.x, H, &f.ly->qkv_p, f.qa_h, f.qld_h, 1);
    if (f.ly->qn_g) stage(pool, st_qk_norm, &f);
    stage(pool, st_attn, &f);
    gemm_stage(pool, st_oproj, &f, f.ctx, H, &f.ly->o_p, f.qa_h, f.qld_h, ctx_converted);
    stage(pool, st_ln1, &f);
    if (f.ly->router_w) {
      moe_ffn(pool, &f);
    } else {
      gemm_stage(pool, st_ffup, &f, f.h1, H, &f.ly->i_p, f.qa_h, f.qld_h, 1);
      gemm_stage(pool, st_ffdown, &f, f.ff, FF, &f.ly->f_p, f.qa_i, f.qld_i, bf16);
    }
    stage(pool, st_ln2, &f);
  }

  if (hidden) memcpy(hidden, f.x, sizeof(float) * (size_t)(T * H));
  if (pooled)
    pool_forward(m, pooled, f.scores + ee_pool_threads(pool) * f.sc_stride, f.x, lens, n, pool_skip);
}
