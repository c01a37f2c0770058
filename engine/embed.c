/*
** embed.c — per-thread contexts and the two embedding calls.
**
**   ee_context *ctx = ee_context_new(model);
**   ee_embed_texts(ctx, n, texts, lens, vectors, &err);     // n x dims
**   ee_embed_ids(ctx, n, ids, NULL, id_lens, pooled, hidden, &err);
**   ee_context_free(ctx);
**
** An ee_context owns its thread pool (model threads - 1 workers, started
** here and joined in ee_context_free; asleep between calls) and every buffer
** a call needs, all grown on demand and kept for the next call: the
** activation arena (sized from the largest batch seen: tokens x (6H + I) +
** threads x longest^2 floats), the tokenizer's
** wp_encoding, the token ids of all texts of one ee_embed_texts call, and
** the per-batch pointer arrays.  Nothing is allocated per token or per layer.
**
** ee_embed_texts tokenizes every text, sorts them by token count (ties by
** position, so the order is deterministic), and runs batches of up to
** batch_size texts and at most EE_BATCH_TOKENS tokens; similar lengths end up
** together.  Since batches are packed without padding (forward.c), a text's
** vector does not depend on its batch mates.  Each vector is written at the
** text's original position.
*/
#include "engine_int.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ee_item { int32_t len, idx; } ee_item; /* a text's token count and position */

struct ee_context {
  const ee_model *model;     /* borrowed; must outlive the context */
  ee_pool *pool;             /* owned: model->threads threads, the caller included */
  float *arena;              /* activations, see ee_arena_floats; 64-byte aligned */
  void *arena_base;          /* owned allocation arena points into */
  int64_t arena_cap;         /* floats usable at arena */
  wp_encoding enc;           /* reused by wp_encode */
  char *joined;              /* (joined_cap) prompt + one text, for wp_encode */
  size_t joined_cap;
  int32_t *tok;              /* (tok_cap) token ids of all texts, text after text */
  int32_t *typ;              /* (tok_cap) their type ids when the texts are pairs, else NULL */
  int64_t tok_cap;
  int64_t *tok_off;          /* (text_cap) first token of text i in tok */
  ee_item *items;            /* (text_cap) texts sorted by length */
  int text_cap;
  const int32_t **b_ids;     /* (b_cap) one batch's sequences */
  const int32_t **b_types;   /* (b_cap) their type ids (pairs) */
  int32_t *b_lens;           /* (b_cap) */
  float *b_pooled;           /* (b_cap, dims) one batch's vectors, in batch order */
  int b_cap;                 /* <= batch_size; grown to the largest batch seen */
  int solo_passes;           /* passes left to run without the pool (see pass_pool) */
  int prompt_skip;           /* tokens mean/max pooling leave out: [CLS] and the
                                prompt's, when the model's include_prompt is false */
};

/* The pool for a forward pass of T tokens, and what a pass tells about it.
** On idle cores two threads pay off from a handful of tokens (one 16-token
** text: 1.46 vs 2.75 ms, MiniLM, Zen 5).  But a pass waits for every worker
** at each of its ~40 stages, so when another core is busy (two connections
** embedding at once, another process) a worker that is not running stalls
** every stage: the same text took 10.4 ms.  So a pass during which the
** caller had to sleep waiting for a worker in more than EE_POOL_LATE_STAGES
** stages, and in more than a quarter of them, makes the next
** EE_POOL_SOLO_PASSES passes run on the calling thread alone; then threads
** are tried again.  Below EE_POOL_MIN_TOKENS the caller
** always runs alone.  Results are bit-identical either way. */
#ifndef EE_POOL_LATE_STAGES
#define EE_POOL_LATE_STAGES 2
#endif
#ifndef EE_POOL_LATE_SHARE
#define EE_POOL_LATE_SHARE 4 /* and more than 1/4 of its stages */
#endif
static ee_pool *pass_pool(ee_context *ctx, int64_t T) {
  if (T < EE_POOL_MIN_TOKENS || ee_pool_threads(ctx->pool) < 2) return NULL;
  if (ctx->solo_passes > 0) {
    ctx->solo_passes--;
    return NULL;
  }
  ee_pool_take_late(ctx->pool, NULL); /* count from this pass on */
  return ctx->pool;
}

int ee_context_solo_passes(const ee_context *ctx) { return ctx ? ctx->solo_passes : 0; }

/* After a pass on pool: did its workers keep up?  A busy core leaves
** most stages of a pass late; a VM's vCPU that the host pauses for a moment
** leaves a few (seen: 1 to 6 of ~45, on an idle 2-vCPU VM, about once
** every 300 passes), which must not cost 32 passes on one core. */
static void pass_done(ee_context *ctx, const ee_pool *pool) {
  if (!pool) return;
  int stages = 0, late = ee_pool_take_late(ctx->pool, &stages);
  if (late > EE_POOL_LATE_STAGES && late > stages / EE_POOL_LATE_SHARE)
    ctx->solo_passes = EE_POOL_SOLO_PASSES;
}

ee_context *ee_context_new(const ee_model *m) {
  if (!m) return NULL;
  ee_context *ctx = se_calloc(1, sizeof *ctx);
  if (!ctx) return NULL;
  ctx->model = m;
  if (!(ctx->pool = ee_pool_new(m->threads))) {
    se_free(ctx);
    return NULL;
  }
  return ctx;
}

/* Room for batches of nb texts (grown only). */
static ee_status ensure_batch(ee_context *ctx, int nb, ee_error *err) {
  if (nb <= ctx->b_cap) return EE_OK;
  se_free(ctx->b_ids);
  se_free(ctx->b_types);
  se_free(ctx->b_lens);
  se_free(ctx->b_pooled);
  ctx->b_cap = 0;
  ctx->b_ids = se_malloc(sizeof *ctx->b_ids * (size_t)nb);
  ctx->b_types = se_malloc(sizeof *ctx->b_types * (size_t)nb);
  ctx->b_lens = se_malloc(sizeof *ctx->b_lens * (size_t)nb);
  ctx->b_pooled = se_malloc(sizeof *ctx->b_pooled * (size_t)nb * (size_t)ctx->model->cfg.out_dims);
  if (!ctx->b_ids || !ctx->b_types || !ctx->b_lens || !ctx->b_pooled)
    return ee_set_error(err, EE_ERR_NOMEM, "out of memory for a batch of %d texts", nb);
  ctx->b_cap = nb;
  return EE_OK;
}

void ee_context_free(ee_context *ctx) {
  if (!ctx) return;
  ee_pool_free(ctx->pool);
  se_free(ctx->arena_base);
  wp_encoding_free(&ctx->enc);
  se_free(ctx->joined);
  se_free(ctx->tok);
  se_free(ctx->typ);
  se_free(ctx->tok_off);
  se_free(ctx->items);
  se_free(ctx->b_ids);
  se_free(ctx->b_types);
  se_free(ctx->b_lens);
  se_free(ctx->b_pooled);
  se_free(ctx);
}

/* Make the arena hold a batch of T tokens whose longest sequence has
** max_len tokens.  Grows only; the old contents need not survive. */
static ee_status ensure_arena(ee_context *ctx, int64_t T, int64_t max_len, ee_error *err) {
  int64_t need = ee_arena_floats(&ctx->model->cfg, T, max_len, ee_pool_threads(ctx->pool));
  if (need < 0 || (uint64_t)need > SIZE_MAX / sizeof(float))
    return ee_set_error(err, EE_ERR_NOMEM, "batch of %lld tokens is too large", (long long)T);
  if (need <= ctx->arena_cap) return EE_OK;
  se_free(ctx->arena_base);
  ctx->arena = NULL;
  ctx->arena_cap = 0;
  /* 64 bytes more, to start the arena on a cache line: the kernels load
  ** packed attention panels carved from it with aligned loads. */
  ctx->arena_base = se_malloc((size_t)need * sizeof(float) + 64);
  if (!ctx->arena_base)
    return ee_set_error(err, EE_ERR_NOMEM,
                        "out of memory: %lld-byte activation arena for a batch of %lld tokens",
                        (long long)need * 4, (long long)T);
  ctx->arena = (float *)(((uintptr_t)ctx->arena_base + 63) & ~(uintptr_t)63);
  ctx->arena_cap = need;
  return EE_OK;
}

/* Check one sequence against the model's limits (EE_ERR_INPUT). */
static ee_status check_seq(const ee_config *c, int s, const int32_t *ids, const int32_t *types,
                           int32_t len, ee_error *err) {
  int32_t maxlen = c->max_position_embeddings - c->position_offset;
  if (len < 1 || len > maxlen)
    return ee_set_error(err, EE_ERR_INPUT, "sequence %d has %d tokens (expected 1..%d)", s,
                        (int)len, (int)maxlen);
  if (!ids) return ee_set_error(err, EE_ERR_INPUT, "sequence %d: ids is NULL", s);
  for (int32_t j = 0; j < len; j++) {
    if (ids[j] < 0 || ids[j] >= c->vocab_size)
      return ee_set_error(err, EE_ERR_INPUT,
                          "sequence %d: token id %d at position %d is outside the vocabulary "
                          "(0..%d)", s, (int)ids[j], (int)j, c->vocab_size - 1);
    if (types && (types[j] < 0 || types[j] >= c->type_vocab_size))
      return ee_set_error(err, EE_ERR_INPUT,
                          "sequence %d: token type id %d at position %d is out of range (0..%d)",
                          s, (int)types[j], (int)j, c->type_vocab_size - 1);
  }
  return EE_OK;
}

ee_status ee_embed_ids(ee_context *ctx, int n, const int32_t *const *ids,
                       const int32_t *const *type_ids, const int32_t *lens, float *pooled,
                       float *hidden, ee_error *err) {
  ee_status rc;
  if (!ctx) return ee_set_error(err, EE_ERR_INPUT, "ee_embed_ids: ctx is NULL");
  if (n < 0) return ee_set_error(err, EE_ERR_INPUT, "ee_embed_ids: n is %d", n);
  if (n == 0) return EE_OK;
  if (!ids || !lens) return ee_set_error(err, EE_ERR_INPUT, "ee_embed_ids: ids or lens is NULL");
  const ee_config *c = &ctx->model->cfg;
  for (int s = 0; s < n; s++) {
    rc = check_seq(c, s, ids[s], type_ids ? type_ids[s] : NULL, lens[s], err);
    if (rc != EE_OK) return rc;
  }
  /* Consecutive chunks of at most EE_BATCH_TOKENS tokens (one longer
  ** sequence goes alone). */
  const int64_t H = c->hidden_size;
  int64_t hid_row = 0;
  for (int i = 0; i < n;) {
    int64_t T = 0;
    int max_len = 0, j = i;
    while (j < n && (j == i || T + lens[j] <= EE_BATCH_TOKENS)) {
      T += lens[j];
      if (lens[j] > max_len) max_len = lens[j];
      j++;
    }
    if ((rc = ensure_arena(ctx, T, max_len, err)) != EE_OK) return rc;
    ee_pool *pool = pass_pool(ctx, T);
    ee_forward(ctx->model, pool, ctx->arena, j - i, ids + i, type_ids ? type_ids + i : NULL, lens + i,
               T, 0, pooled ? pooled + i * (int64_t)c->out_dims : NULL,
               hidden ? hidden + hid_row * H : NULL);
    pass_done(ctx, pool);
    hid_row += T;
    i = j;
  }
  return EE_OK;
}

static int cmp_item(const void *a, const void *b) {
  const ee_item *x = a, *y = b;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Tokenizes prompt + text (one string, as sentence-transformers joins them)
** into ctx->enc; plen 0: the text alone.  The prompt is valid UTF-8 (a
** caller's NUL-terminated string, checked by tokenize_all once a call), so the
** joined string is valid exactly when the text is: a failure is reported as
** the text alone gives it, with byte offsets into the text. */
static wp_status encode_prompted(ee_context *ctx, const char *prompt, size_t plen,
                                 const char *text, size_t len, wp_error *werr) {
  const ee_model *m = ctx->model;
  if (plen == 0) return wp_encode(m->tok, text, len, m->cfg.max_length, &ctx->enc, werr);
  if (plen + len > ctx->joined_cap) {
    size_t cap = ctx->joined_cap ? ctx->joined_cap : 256;
    while (cap < plen + len) cap = cap > SIZE_MAX / 2 ? plen + len : cap * 2;
    char *p = se_realloc(ctx->joined, cap);
    if (!p) {
      werr->code = WP_ERR_NOMEM;
      snprintf(werr->msg, sizeof werr->msg, "out of memory joining a prompt and a text");
      return WP_ERR_NOMEM;
    }
    ctx->joined = p;
    ctx->joined_cap = cap;
  }
  memcpy(ctx->joined, prompt, plen);
  if (len) memcpy(ctx->joined + plen, text, len);
  wp_status ws = wp_encode(m->tok, ctx->joined, plen + len, m->cfg.max_length, &ctx->enc, werr);
  if (ws == WP_ERR_UTF8) ws = wp_encode(m->tok, text, len, m->cfg.max_length, &ctx->enc, werr);
  return ws;
}

/* Room for total + len tokens in ctx->tok (and ctx->typ for pairs). */
static ee_status ensure_tokens(ee_context *ctx, int64_t need, int pairs, ee_error *err) {
  if (need <= ctx->tok_cap && (!pairs || ctx->typ)) return EE_OK;
  int64_t cap = ctx->tok_cap ? ctx->tok_cap : 4096;
  while (cap < need) cap *= 2;
  int32_t *p = se_realloc(ctx->tok, sizeof *p * (size_t)cap);
  if (!p) return ee_set_error(err, EE_ERR_NOMEM, "out of memory for %lld tokens", (long long)cap);
  ctx->tok = p;
  if (pairs || ctx->typ) { /* kept as long as tok once a call needed it */
    int32_t *t = se_realloc(ctx->typ, sizeof *t * (size_t)cap);
    if (!t) return ee_set_error(err, EE_ERR_NOMEM, "out of memory for %lld tokens", (long long)cap);
    ctx->typ = t;
  }
  ctx->tok_cap = cap;
  return EE_OK;
}

/* Tokenize prompt + texts[0..n) into ctx->tok / tok_off / items, or with
** second the pairs (texts[i], second[i]), their type ids into ctx->typ.
** The prompt is tokenized alone first: an invalid prompt must not be
** hidden by a text whose first bytes complete its last character. */
static ee_status tokenize_all(ee_context *ctx, const char *prompt, int n, const char *const *texts,
                              const size_t *lens, const char *const *second,
                              const size_t *second_lens, ee_error *err) {
  const ee_model *m = ctx->model;
  const size_t plen = prompt ? strlen(prompt) : 0;
  const int typed = second && !m->cfg.no_token_types; /* keep the pair's type ids */
  ctx->prompt_skip = 0;
  if (plen) {
    wp_error werr;
    wp_status ws = wp_encode(m->tok, prompt, plen, m->cfg.max_length, &ctx->enc, &werr);
    if (ws != WP_OK) return ee_set_error(err, ee_from_wp(ws), "prompt: %s", werr.msg);
    /* sentence-transformers' prompt_length: the prompt tokenized alone
    ** ([CLS] prompt [SEP], truncated as a text), less its [SEP]. */
    if (!m->cfg.include_prompt) ctx->prompt_skip = ctx->enc.n - 1;
  }
  if (n > ctx->text_cap) {
    se_free(ctx->tok_off);
    se_free(ctx->items);
    ctx->text_cap = 0;
    ctx->tok_off = se_malloc(sizeof *ctx->tok_off * (size_t)n);
    ctx->items = se_malloc(sizeof *ctx->items * (size_t)n);
    if (!ctx->tok_off || !ctx->items)
      return ee_set_error(err, EE_ERR_NOMEM, "out of memory for %d texts", n);
    ctx->text_cap = n;
  }
  int64_t total = 0;
  for (int i = 0; i < n; i++) {
    wp_error werr;
    const char *text = texts[i] ? texts[i] : "";
    if (!texts[i] && lens[i])
      return ee_set_error(err, EE_ERR_INPUT, "text %d is NULL with length %zu", i, lens[i]);
    wp_status ws;
    if (second) {
      const char *b = second[i] ? second[i] : "";
      if (!second[i] && second_lens[i])
        return ee_set_error(err, EE_ERR_INPUT, "second text %d is NULL with length %zu", i,
                            second_lens[i]);
      ws = wp_encode_pair(m->tok, text, lens[i], b, second_lens[i], m->cfg.max_length, &ctx->enc,
                          &werr);
    } else {
      ws = encode_prompted(ctx, prompt, plen, text, lens[i], &werr);
    }
    if (ws != WP_OK) {
      /* A single text needs no index: embed() reports the tokenizer's words as they are. */
      if (n == 1) return ee_set_error(err, ee_from_wp(ws), "%s", werr.msg);
      return ee_set_error(err, ee_from_wp(ws), "text %d: %s", i, werr.msg);
    }
    int32_t len = ctx->enc.n;
    /* The tokenizer is trusted to stay inside the vocabulary (checked at
    ** load) and max_length; check anyway, it is one pass over the ids. */
    ee_status rc = check_seq(&m->cfg, i, ctx->enc.ids, typed ? ctx->enc.type_ids : NULL, len, err);
    if (rc != EE_OK) return rc;
    if ((rc = ensure_tokens(ctx, total + len, typed, err)) != EE_OK) return rc;
    memcpy(ctx->tok + total, ctx->enc.ids, sizeof(int32_t) * (size_t)len);
    if (typed) memcpy(ctx->typ + total, ctx->enc.type_ids, sizeof(int32_t) * (size_t)len);
    ctx->tok_off[i] = total;
    ctx->items[i] = (ee_item){len, i};
    total += len;
  }
  qsort(ctx->items, (size_t)n, sizeof *ctx->items, cmp_item);
  return EE_OK;
}

static ee_status run_sorted(ee_context *ctx, int n, int pairs, float *out, ee_error *err);

ee_status ee_embed_texts(ee_context *ctx, int n, const char *const *texts, const size_t *lens,
                         float *out, ee_error *err) {
  return ee_embed_texts_prompted(ctx, NULL, n, texts, lens, out, err);
}

ee_status ee_embed_texts_prompted(ee_context *ctx, const char *prompt, int n,
                                  const char *const *texts, const size_t *lens, float *out,
                                  ee_error *err) {
  ee_status rc;
  if (!ctx) return ee_set_error(err, EE_ERR_INPUT, "ee_embed_texts: ctx is NULL");
  if (n < 0) return ee_set_error(err, EE_ERR_INPUT, "ee_embed_texts: n is %d", n);
  if (n == 0) return EE_OK;
  if (!texts || !lens || !out)
    return ee_set_error(err, EE_ERR_INPUT, "ee_embed_texts: texts, lens or out is NULL");
  if (ctx->model->cfg.labels)
    return ee_set_error(err, EE_ERR_INPUT,
                        "the model is a cross-encoder (%s): it scores pairs of texts "
                        "(ee_score_pairs), it does not embed a text", ctx->model->cfg.head_name);
  if ((rc = tokenize_all(ctx, prompt, n, texts, lens, NULL, NULL, err)) != EE_OK) return rc;
  return run_sorted(ctx, n, 0, out, err);
}

ee_status ee_score_pairs(ee_context *ctx, int n, const char *const *a, const size_t *alens,
                         const char *const *b, const size_t *blens, float *out, ee_error *err) {
  ee_status rc;
  if (!ctx) return ee_set_error(err, EE_ERR_INPUT, "ee_score_pairs: ctx is NULL");
  if (n < 0) return ee_set_error(err, EE_ERR_INPUT, "ee_score_pairs: n is %d", n);
  if (n == 0) return EE_OK;
  if (!a || !alens || !b || !blens || !out)
    return ee_set_error(err, EE_ERR_INPUT, "ee_score_pairs: a text, length or out array is NULL");
  if (!ctx->model->cfg.labels)
    return ee_set_error(err, EE_ERR_INPUT,
                        "the model is not a cross-encoder: scoring pairs needs a classification "
                        "head (config.json's architectures *ForSequenceClassification)");
  if ((rc = tokenize_all(ctx, NULL, n, a, alens, b, blens, err)) != EE_OK) return rc;
  return run_sorted(ctx, n, !ctx->model->cfg.no_token_types, out, err);
}

/* The sequences tokenize_all left, in batches of similar lengths, each
** vector written at its text's position in out. */
static ee_status run_sorted(ee_context *ctx, int n, int pairs, float *out, ee_error *err) {
  ee_status rc;
  if ((rc = ensure_batch(ctx, n < ctx->model->batch_size ? n : ctx->model->batch_size, err)) != EE_OK)
    return rc;
  const ee_model *m = ctx->model;
  const int64_t D = m->cfg.out_dims;
  for (int i = 0; i < n;) {
    int nb = 0, max_len = 0;
    int64_t T = 0;
    while (i + nb < n && nb < m->batch_size &&
           (nb == 0 || T + ctx->items[i + nb].len <= EE_BATCH_TOKENS)) {
      const ee_item *it = &ctx->items[i + nb];
      ctx->b_ids[nb] = ctx->tok + ctx->tok_off[it->idx];
      ctx->b_types[nb] = pairs ? ctx->typ + ctx->tok_off[it->idx] : NULL;
      ctx->b_lens[nb] = it->len;
      T += it->len;
      if (it->len > max_len) max_len = it->len;
      nb++;
    }
    if ((rc = ensure_arena(ctx, T, max_len, err)) != EE_OK) return rc;
    ee_pool *pool = pass_pool(ctx, T);
    ee_forward(m, pool, ctx->arena, nb, ctx->b_ids, pairs ? ctx->b_types : NULL, ctx->b_lens, T,
               ctx->prompt_skip, ctx->b_pooled, NULL);
    pass_done(ctx, pool);
    for (int b = 0; b < nb; b++)
      memcpy(out + (int64_t)ctx->items[i + b].idx * D, ctx->b_pooled + (int64_t)b * D,
             sizeof(float) * (size_t)D);
    i += nb;
  }
  return EE_OK;
}
