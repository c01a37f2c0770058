/*
** unigram.c — the Unigram model: each pre-tokenised piece is cut into the
** vocabulary pieces whose scores (log probabilities) sum highest, as the
** tokenizers crate's Unigram::encode_optimized does (SentencePiece's
** Viterbi):
**
**   for each character position i, reached with best score S(i):
**     every vocabulary piece p that starts at i, shortest first:
**       S(i + |p|) = max(S(i + |p|), S(i) + score(p))   (strictly greater wins)
**     if no piece is exactly the character at i:
**       S(i + 1) = max(S(i + 1), S(i) + lowest score - 10)  as <unk>
**
** then the best path is read back; runs of <unk> are fused into one token,
** or, with byte_fallback, become <0xNN> tokens when the vocabulary has them
** all.  Pieces are found by hashing each prefix in the token table; a
** bitset of the hashes of every piece's proper prefixes ends the search
** once no longer piece can start with what has been read.
*/
#include "wp_internal.h"
#include "se_alloc.h"
#include <stdio.h>
#include <string.h>

#define UNK_PENALTY 10.0

typedef struct vnode {
  double score;   /* best score of a path ending here */
  int32_t from;   /* character where the last token of that path starts; -1: unreached */
  int32_t id;     /* that token's id */
} vnode;

struct wp_viterbi {
  vnode *node;      /* (cap) one per character boundary */
  size_t cap;
  int32_t *path;    /* (cap) the best path's boundaries, read back */
};

static inline size_t prefix_bit(uint32_t h) { return h & (WP_UNIGRAM_PREFIX_BITS - 1); }

wp_status wp_unigram_finish(wp_tokenizer *t) {
  wp_unigram *u = t->uni;
  if (!(u->prefix_bits = se_calloc(WP_UNIGRAM_PREFIX_BITS / 8, 1))) return WP_ERR_NOMEM;
  double lowest = 0;
  int seen = 0;
  for (int32_t id = 0; id < u->n_scores; id++) {
    if (!(u->not_lowest && u->not_lowest[id]) && (!seen++ || u->score[id] < lowest)) lowest = u->score[id];
    size_t len;
    const unsigned char *p = (const unsigned char *)wp_id_to_token(t, id, &len);
    uint32_t h = WP_FNV_SEED;
    for (size_t i = 0; p && i + 1 < len; i++) {
      h = wp_fnv1a(h, (const char *)p + i, 1);
      if ((p[i + 1] & 0xC0) != 0x80) { /* a character boundary follows */
        size_t b = prefix_bit(h);
        u->prefix_bits[b >> 3] |= (uint8_t)(1u << (b & 7));
      }
    }
  }
  u->unk_score = lowest - UNK_PENALTY;
  return WP_OK;
}

void wp_unigram_free(wp_unigram *u) {
  if (!u) return;
  for (int i = 0; i < u->n_steps; i++) {
    wp_charsmap_free(u->steps[i].map);
    se_free(u->steps[i].pattern);
    se_free(u->steps[i].content);
  }
  se_free(u->score);
  se_free(u->not_lowest);
  se_free(u->prefix_bits);
  se_free(u);
}

void wp_viterbi_free(wp_viterbi *v) {
  if (!v) return;
  se_free(v->node);
  se_free(v->path);
  se_free(v);
}

static wp_status reserve(wp_viterbi **vp, size_t n) {
  if (!*vp && !(*vp = se_calloc(1, sizeof **vp))) return WP_ERR_NOMEM;
  wp_viterbi *v = *vp;
  if (n <= v->cap) return WP_OK;
  size_t cap = v->cap ? v->cap : 64;
  while (cap < n) cap *= 2;
  vnode *node = se_realloc(v->node, cap * sizeof *node);
  if (!node) return WP_ERR_NOMEM;
  v->node = node;
  int32_t *path = se_realloc(v->path, cap * sizeof *path);
  if (!path) return WP_ERR_NOMEM;
  v->path = path;
  v->cap = cap;
  return WP_OK;
}

/* Unknown text b[0..len) as <0xNN> pieces, each spanning [s, e); 0 if the
** vocabulary lacks one of them (the caller then uses <unk>). */
static int byte_tokens(const wp_tokenizer *t, const unsigned char *b, size_t len, int32_t s, int32_t e,
                       wp_token_fn fn, void *ctx, int *failed) {
  char name[8];
  for (size_t i = 0; i < len; i++) {
    snprintf(name, sizeof name, "<0x%02X>", b[i]);
    if (wp_tok_lookup(t, name, 6, "", 0) < 0) return 0;
  }
  for (size_t i = 0; i < len && !*failed; i++) {
    snprintf(name, sizeof name, "<0x%02X>", b[i]);
    *failed = fn(ctx, wp_tok_lookup(t, name, 6, "", 0), s, e);
  }
  return 1;
}

wp_status wp_unigram_encode(wp_viterbi **state, const wp_tokenizer *t, const unsigned char *b,
                            const int32_t *cstart, int32_t nchars, const int32_t *al_s,
                            const int32_t *al_e, wp_token_fn fn, void *ctx) {
  const wp_unigram *u = t->uni;
  if (nchars <= 0) return WP_OK;
  if (reserve(state, (size_t)nchars + 1) != WP_OK) return WP_ERR_NOMEM;
  vnode *node = (*state)->node;
  node[0] = (vnode){0, 0, -1};
  for (int32_t i = 1; i <= nchars; i++) node[i].from = -1;
  for (int32_t ci = 0; ci < nchars; ci++) {
    double base = node[ci].score; /* every boundary is reached: <unk> covers any character */
    uint32_t h = WP_FNV_SEED;
    int single = 0;
    for (int32_t cj = ci; cj < nchars;) {
      h = wp_fnv1a(h, (const char *)b + cstart[cj], (size_t)(cstart[cj + 1] - cstart[cj]));
      cj++;
      size_t len = (size_t)(cstart[cj] - cstart[ci]);
      if (len > t->max_token_len) break;
      int32_t id = wp_tok_lookup_h(t, h, (const char *)b + cstart[ci], len, "", 0);
      if (id >= 0 && id < u->n_scores) {
        double cand = base + u->score[id];
        if (node[cj].from < 0 || cand > node[cj].score) node[cj] = (vnode){cand, ci, id};
        if (cj == ci + 1) single = 1;
      }
      size_t bit = prefix_bit(h);
      if (!(u->prefix_bits[bit >> 3] & (1u << (bit & 7)))) break;
    }
    if (!single) {
      double cand = base + u->unk_score;
      if (node[ci + 1].from < 0 || cand > node[ci + 1].score) node[ci + 1] = (vnode){cand, ci, t->unk_id};
    }
  }
  /* Read the path back into path[0..np]: boundaries, first to last. */
  int32_t *path = (*state)->path, np = 0;
  for (int32_t at = nchars; at > 0; at = node[at].from) path[np++] = at;
  path[np] = 0;
  for (int32_t i = 0, j = np; i < j; i++, j--) {
    int32_t x = path[i];
    path[i] = path[j];
    path[j] = x;
  }
  int failed = 0;
  for (int32_t k = 0; k < np && !failed;) {
    int32_t from = path[k], to = path[k + 1], id = node[to].id;
    k++;
    if (id == t->unk_id) /* fuse a run of unknown pieces */
      while (k < np && node[path[k + 1]].id == t->unk_id) to = path[++k];
    int32_t s = al_s[from], e = al_e[to - 1];
    if (id == t->unk_id && u->byte_fallback &&
        byte_tokens(t, b + cstart[from], (size_t)(cstart[to] - cstart[from]), s, e, fn, ctx, &failed))
      continue;
    failed = fn(ctx, id, s, e);
  }
  return failed ? WP_ERR_NOMEM : WP_OK;
}
