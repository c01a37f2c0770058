/*
** normalize.c — BertNormalizer followed by BertPreTokenizer, streamed one
** character at a time, so memory stays bounded by the longest word
** whatever the text length.
**
**   wp_normalize(&state, tok, "Héllo, 世界", len, 0, on_word, ctx);
**   // on_word sees "hello" [0,6)  "," [6,7)  "世" [8,11)  "界" [11,14)
**
** Each source character flows through these stages, in the crate's order
** (shared TOKENIZER-NOTES rules 2-6):
**
**   source     clean text: drop U+0000, U+FFFD and Cc/Cf/Co except tab,
**              lf, cr; map tab/lf/cr and White_Space to ' '.  Then pad
**              CJK ideographs with spaces.
**   decompose  (strip_accents) full canonical decomposition, Hangul too
**   reorder    (strip_accents) canonical ordering: a run of non-starters
**              is held back and stably sorted by combining class
**   lower      (strip_accents) drop Mn; (lowercase) map each character
**   word       split on whitespace, isolate punctuation; hand each word
**              with per-character original spans to the callback
**
** Every character a stage produces keeps the original byte span of the
** source character it came from, which is how the crate's alignments
** behave for these transformations, so tokens map back to input bytes;
** the one exception, canonical reordering, is explained at emit_ordered.
*/
#include "wp_internal.h"
#include "se_alloc.h"
#include <string.h>

struct wp_norm {
  const wp_tokenizer *t;   /* the tokenizer being run */
  int strip;               /* strip accents (NFD, drop Mn) */
  int32_t max_chars;       /* words longer than this are not stored */
  wp_word_fn fn;           /* where finished words go */
  void *ctx;               /* fn's context */
  int failed;              /* an allocation or the callback failed */
  /* reorder stage: pending non-starters, and spans not yet taken */
  uint32_t *mk_cp;         /* (mk_cap) code points, MK_INSERTED tagged */
  uint32_t *mk_tmp;        /* (mk_cap) counting-sort output */
  size_t mk_n;             /* pending marks */
  size_t mk_cap;           /* allocated marks */
  int32_t *in_span;        /* (2*in_cap) spans of decomposer inputs, a queue */
  size_t in_head;          /* next span to take */
  size_t in_n;             /* spans queued (taken ones included) */
  size_t in_cap;           /* allocated spans */
  int32_t last_s, last_e;  /* span taken last */
  /* word stage */
  unsigned char *w_bytes;  /* (w_bcap) normalised UTF-8 of the word */
  int32_t *w_cstart;       /* (w_ccap+1) byte start of each character */
  int32_t *w_span;         /* (2*w_ccap) original span of each character */
  int32_t w_nbytes;        /* bytes stored */
  int32_t w_nchars;        /* characters seen (may exceed what is stored) */
  int32_t w_bcap;          /* allocated bytes */
  int32_t w_ccap;          /* allocated characters */
  int32_t w_start;         /* original start of the first character */
  int32_t w_end;           /* original end of the last character */
  /* normalised added tokens: characters held while one could still match */
  uint32_t *q_cp;          /* (q_cap) code points */
  unsigned *q_f;           /* (q_cap) their flags */
  int32_t *q_span;         /* (2*q_cap) original spans */
  int32_t *q_bstart;       /* (q_cap) byte start of each in q_bytes */
  unsigned char *q_bytes;  /* (q_bcap) their UTF-8 */
  size_t q_n, q_cap, q_nbytes, q_bcap;
  /* wp_normalize_string: the characters, instead of words */
  int collect;
  unsigned char *c_bytes;  /* (c_cap) */
  size_t c_n, c_cap;
};

void wp_norm_free(wp_norm *n) {
  if (!n) return;
  se_free(n->mk_cp);
  se_free(n->mk_tmp);
  se_free(n->in_span);
  se_free(n->w_bytes);
  se_free(n->w_cstart);
  se_free(n->w_span);
  se_free(n->q_cp);
  se_free(n->q_f);
  se_free(n->q_span);
  se_free(n->q_bstart);
  se_free(n->q_bytes);
  se_free(n->c_bytes);
  se_free(n);
}


/**************** word stage ****************/

static void word_flush(wp_norm *n) {
  if (n->w_nchars == 0) return;
  if (!n->failed) {
    wp_word w;
    w.literal_id = -1;
    int stored = n->w_nchars <= n->max_chars;
    w.bytes = stored ? n->w_bytes : NULL;
    w.cstart = n->w_cstart;
    w.span = n->w_span;
    w.nbytes = n->w_nbytes;
    w.nchars = n->w_nchars;
    w.start = n->w_start;
    w.end = n->w_end;
    if (stored) n->w_cstart[n->w_nchars] = n->w_nbytes;
    if (n->fn(n->ctx, &w)) n->failed = 1;
  }
  n->w_nchars = 0;
  n->w_nbytes = 0;
}

/* Make room for one more stored character; 0 on allocation failure. */
static int word_grow(wp_norm *n) {
  size_t need = (size_t)n->w_nchars + 2, c1 = (size_t)n->w_ccap, c2 = c1, bcap = (size_t)n->w_bcap;
  void *q;
  if (!(q = se_grow(n->w_cstart, sizeof(int32_t), &c1, need))) goto nomem;
  n->w_cstart = q;
  if (!(q = se_grow(n->w_span, 2 * sizeof(int32_t), &c2, need))) goto nomem;
  n->w_span = q;
  if (!(q = se_grow(n->w_bytes, 1, &bcap, (size_t)n->w_nbytes + 4))) goto nomem;
  n->w_bytes = q;
  n->w_ccap = (int32_t)(c1 < c2 ? c1 : c2);
  n->w_bcap = (int32_t)bcap;
  return 1;
nomem:
  n->failed = 1;
  return 0;
}

static void word_append(wp_norm *n, uint32_t cp, int32_t s, int32_t e) {
  if (n->w_nchars == 0) n->w_start = s;
  n->w_end = e;
  if (n->w_nchars < n->max_chars) { /* beyond max_chars only the count matters */
    if ((n->w_nchars + 2 > n->w_ccap || n->w_nbytes + 4 > n->w_bcap) && !word_grow(n)) return;
    n->w_cstart[n->w_nchars] = n->w_nbytes;
    n->w_span[2 * n->w_nchars] = s;
    n->w_span[2 * n->w_nchars + 1] = e;
    if (cp < 0x80) n->w_bytes[n->w_nbytes++] = (unsigned char)cp;
    else n->w_nbytes += wpu_encode(cp, n->w_bytes + n->w_nbytes);
  }
  if (n->w_nchars < INT32_MAX) n->w_nchars++;
}

static void stage_split(wp_norm *n, uint32_t cp, unsigned f, int32_t s, int32_t e) {
  if (f & WPU_SPACE) { word_flush(n); return; }
  if (f & WPU_PUNCT) {
    word_flush(n);
    word_append(n, cp, s, e);
    word_flush(n);
    return;
  }
  word_append(n, cp, s, e);
}

/**************** added-token stage ****************/

/* Added tokens marked "normalized" are found in the normalised text, as
** the crate's AddedVocabulary does (leftmost, then longest), before the
** pre-tokenizer would split them at their punctuation.  Characters wait in
** a queue while a token could still match from its head, so the queue
** never holds more than the longest token. */

/* The longest whole token at the queue's head into *best (or NULL);
** returns 1 if a longer one could still match with more characters. */
static int queue_match(const wp_norm *n, const wp_literal **best) {
  const wp_tokenizer *t = n->t;
  int open = 0;
  *best = NULL;
  for (int k = 0; k < t->n_nlits; k++) {
    const wp_literal *l = &t->nlits[k];
    if (l->norm_len == 0) continue;
    if (l->norm_len <= n->q_nbytes) {
      if ((!*best || l->norm_len > (*best)->norm_len) && memcmp(n->q_bytes, l->norm, l->norm_len) == 0)
        *best = l;
    } else if (memcmp(n->q_bytes, l->norm, n->q_nbytes) == 0) {
      open = 1;
    }
  }
  return open;
}

static void queue_pop(wp_norm *n, size_t take) {
  size_t rest = n->q_n - take, bytes = take < n->q_n ? (size_t)n->q_bstart[take] : n->q_nbytes;
  memmove(n->q_cp, n->q_cp + take, rest * sizeof *n->q_cp);
  memmove(n->q_f, n->q_f + take, rest * sizeof *n->q_f);
  memmove(n->q_span, n->q_span + 2 * take, 2 * rest * sizeof *n->q_span);
  for (size_t i = 0; i < rest; i++) n->q_bstart[i] = n->q_bstart[i + take] - (int32_t)bytes;
  memmove(n->q_bytes, n->q_bytes + bytes, n->q_nbytes - bytes);
  n->q_n = rest;
  n->q_nbytes -= bytes;
}

/* Resolve the queue's head while it can be (final: no more characters). */
static void queue_drain(wp_norm *n, int final) {
  while (n->q_n > 0 && !n->failed) {
    const wp_literal *best;
    if (queue_match(n, &best) && !final) return;
    size_t take = 1;
    if (best) {
      while (take < n->q_n && (size_t)n->q_bstart[take] < best->norm_len) take++;
      word_flush(n);
      wp_word w;
      memset(&w, 0, sizeof w);
      w.literal_id = best->id;
      w.start = n->q_span[0];
      w.end = n->q_span[2 * take - 1];
      if (n->fn(n->ctx, &w)) n->failed = 1;
    } else {
      stage_split(n, n->q_cp[0], n->q_f[0], n->q_span[0], n->q_span[1]);
    }
    queue_pop(n, take);
  }
}

static void stage_word(wp_norm *n, uint32_t cp, unsigned f, int32_t s, int32_t e) {
  if (n->collect) {
    size_t cap = n->c_cap;
    void *q = se_grow(n->c_bytes, 1, &cap, n->c_n + 5);
    if (!q) { n->failed = 1; return; }
    n->c_bytes = q, n->c_cap = cap;
    if (cp < 0x80) n->c_bytes[n->c_n++] = (unsigned char)cp;
    else n->c_n += (size_t)wpu_encode(cp, n->c_bytes + n->c_n);
    return;
  }
  if (n->t->n_nlits == 0) { stage_split(n, cp, f, s, e); return; }
  unsigned char u[4];
  int k = cp < 0x80 ? (u[0] = (unsigned char)cp, 1) : wpu_encode(cp, u);
  if (n->q_n == 0) { /* most characters start no token: no queueing */
    int starts = 0;
    for (int i = 0; i < n->t->n_nlits && !starts; i++)
      starts = n->t->nlits[i].norm_len > 0 && (unsigned char)n->t->nlits[i].norm[0] == u[0];
    if (!starts) { stage_split(n, cp, f, s, e); return; }
  }
  size_t c1 = n->q_cap, c2 = n->q_cap, c3 = n->q_cap, c4 = n->q_cap, bcap = n->q_bcap;
  void *q;
  if (!(q = se_grow(n->q_cp, sizeof *n->q_cp, &c1, n->q_n + 1))) goto nomem;
  n->q_cp = q;
  if (!(q = se_grow(n->q_f, sizeof *n->q_f, &c2, n->q_n + 1))) goto nomem;
  n->q_f = q;
  if (!(q = se_grow(n->q_span, 2 * sizeof *n->q_span, &c3, n->q_n + 1))) goto nomem;
  n->q_span = q;
  if (!(q = se_grow(n->q_bstart, sizeof *n->q_bstart, &c4, n->q_n + 1))) goto nomem;
  n->q_bstart = q;
  if (!(q = se_grow(n->q_bytes, 1, &bcap, n->q_nbytes + 4))) goto nomem;
  n->q_bytes = q;
  n->q_bcap = bcap;
  n->q_cap = c1 < c2 ? c1 : c2;
  n->q_cap = n->q_cap < c3 ? n->q_cap : c3;
  n->q_cap = n->q_cap < c4 ? n->q_cap : c4;
  n->q_cp[n->q_n] = cp;
  n->q_f[n->q_n] = f;
  n->q_span[2 * n->q_n] = s;
  n->q_span[2 * n->q_n + 1] = e;
  n->q_bstart[n->q_n] = (int32_t)n->q_nbytes;
  memcpy(n->q_bytes + n->q_nbytes, u, (size_t)k);
  n->q_n++;
  n->q_nbytes += (size_t)k;
  queue_drain(n, 0);
  return;
nomem:
  n->failed = 1;
}

/**************** lower stage ****************/

static void stage_lower(wp_norm *n, uint32_t cp, int32_t s, int32_t e) {
  unsigned f = wpu_flags(cp);
  if (n->strip && (f & WPU_MN)) return;
  if (n->t->opts.lowercase && (f & WPU_LOWER)) {
    uint32_t low[2];
    int k = wpu_lowercase(cp, low);
    for (int i = 0; i < k; i++) stage_word(n, low[i], wpu_flags(low[i]), s, e);
    return;
  }
  stage_word(n, cp, f, s, e);
}

/**************** reorder stage ****************/

/* Which original span a character gets here is positional, as in the
** crate's NormalizedString::transform: the decomposer tags the first
** character of each decomposition "replaces one" and the rest "inserted",
** the tags travel with the characters through the sort, and then each
** "replaces one" character takes the span of the next unconsumed input
** character, in input order, while an inserted one repeats the span last
** taken.  So a reordered mark can end up with a neighbour's span; only
** marks that survive stripping (assigned after Unicode 8.0) show it. */
#define MK_INSERTED 0x80000000u /* tag bit on a pending code point */

static void emit_ordered(wp_norm *n, uint32_t item) {
  if (!(item & MK_INSERTED) && n->in_head < n->in_n) {
    n->last_s = n->in_span[2 * n->in_head];
    n->last_e = n->in_span[2 * n->in_head + 1];
    if (++n->in_head == n->in_n) n->in_head = n->in_n = 0;
  }
  stage_lower(n, item & ~MK_INSERTED, n->last_s, n->last_e);
}

/* Canonical ordering: stable sort of the pending run by combining class.
** Real runs are a handful of marks (insertion sort); a hostile run of
** millions gets a counting sort so the whole pass stays linear. */
static void marks_flush(wp_norm *n) {
  size_t m = n->mk_n;
  if (m == 0) return;
  n->mk_n = 0;
  uint32_t *cp = n->mk_cp;
  if (m <= 32) {
    for (size_t i = 1; i < m; i++) {
      uint32_t c = cp[i];
      unsigned k = wpu_ccc(c & ~MK_INSERTED);
      size_t j = i;
      for (; j > 0 && wpu_ccc(cp[j - 1] & ~MK_INSERTED) > k; j--) cp[j] = cp[j - 1];
      cp[j] = c;
    }
  } else {
    size_t count[257] = {0};
    for (size_t i = 0; i < m; i++) count[wpu_ccc(cp[i] & ~MK_INSERTED) + 1]++;
    for (int k = 1; k < 257; k++) count[k] += count[k - 1];
    for (size_t i = 0; i < m; i++) n->mk_tmp[count[wpu_ccc(cp[i] & ~MK_INSERTED)]++] = cp[i];
    cp = n->mk_tmp;
  }
  for (size_t i = 0; i < m; i++) emit_ordered(n, cp[i]);
}

static void stage_reorder(wp_norm *n, uint32_t item) {
  if (!(wpu_flags(item & ~MK_INSERTED) & WPU_CCC)) {
    marks_flush(n);
    emit_ordered(n, item);
    return;
  }
  if (n->mk_n == n->mk_cap) {
    size_t c1 = n->mk_cap, c2 = n->mk_cap;
    void *q;
    if (!(q = se_grow(n->mk_cp, sizeof(uint32_t), &c1, n->mk_n + 1))) { n->failed = 1; return; }
    n->mk_cp = q;
    if (!(q = se_grow(n->mk_tmp, sizeof(uint32_t), &c2, n->mk_n + 1))) { n->failed = 1; return; }
    n->mk_tmp = q;
    n->mk_cap = c1 < c2 ? c1 : c2;
  }
  n->mk_cp[n->mk_n++] = item;
}

/**************** decompose stage ****************/

static void stage_decompose(wp_norm *n, uint32_t cp, int32_t s, int32_t e) {
  if (!n->strip) { stage_lower(n, cp, s, e); return; }
  if (n->in_n == n->in_cap) {
    size_t c = n->in_cap;
    void *q = se_grow(n->in_span, 2 * sizeof(int32_t), &c, n->in_n + 1);
    if (!q) { n->failed = 1; return; }
    n->in_span = q;
    n->in_cap = c;
  }
  n->in_span[2 * n->in_n] = s;
  n->in_span[2 * n->in_n + 1] = e;
  n->in_n++;
  if (wpu_flags(cp) & WPU_DECOMP) {
    uint32_t d[WPU_MAX_DECOMP];
    int k = wpu_decompose(cp, d);
    for (int i = 0; i < k; i++) stage_reorder(n, d[i] | (i ? MK_INSERTED : 0));
    return;
  }
  stage_reorder(n, cp);
}

/**************** source stage ****************/

static wp_status run(wp_norm **state, const wp_tokenizer *t, const char *text, size_t len,
                     int32_t base, wp_word_fn fn, void *ctx, int collect) {
  wp_norm *n = *state;
  if (!n) {
    n = se_calloc(1, sizeof *n);
    if (!n) return WP_ERR_NOMEM;
    *state = n;
  }
  const wp_options *o = &t->opts;
  n->t = t;
  n->strip = o->strip_accents < 0 ? o->lowercase : o->strip_accents;
  n->max_chars = o->max_input_chars_per_word;
  n->fn = fn;
  n->ctx = ctx;
  n->failed = 0;
  n->collect = collect;
  n->q_n = n->q_nbytes = n->c_n = 0;
  n->mk_n = n->in_head = n->in_n = 0;
  n->last_s = n->last_e = base;
  n->w_nchars = n->w_nbytes = 0;
  const unsigned char *p = (const unsigned char *)text;
  const int lower = o->lowercase;
  size_t i = 0;
  while (i < len && !n->failed) {
    uint32_t cp;
    int k = wpu_decode(p + i, &cp);
    int32_t s = base + (int32_t)i, e = s + k;
    i += (size_t)k;
    unsigned f = wpu_flags(cp);
    if (cp < 0x80 && n->mk_n == 0) {
      /* ASCII fast path: nothing to decompose, reorder or strip, and no
      ** pending marks or untaken spans (mk_n == 0 implies both). */
      if (o->clean_text) {
        if (cp == '\t' || cp == '\n' || cp == '\r') cp = ' ';
        else if (f & WPU_CTRL) continue; /* NUL and the other C0 controls, DEL */
      }
      if (lower && cp - 'A' < 26u) cp += 32;
      n->last_s = s;
      n->last_e = e;
      stage_word(n, cp, wpu_flags(cp), s, e);
      continue;
    }
    if (o->clean_text) {
      if (cp == 0 || cp == 0xFFFD) continue;
      if (cp == '\t' || cp == '\n' || cp == '\r') cp = ' ';
      else if (f & WPU_CTRL) continue;
      else if (f & WPU_SPACE) cp = ' ';
    }
    if (o->handle_chinese_chars && (f & WPU_CJK)) {
      stage_decompose(n, ' ', s, e);
      stage_decompose(n, cp, s, e);
      stage_decompose(n, ' ', s, e);
    } else {
      stage_decompose(n, cp, s, e);
    }
  }
  marks_flush(n);
  queue_drain(n, 1);
  word_flush(n);
  return n->failed ? WP_ERR_NOMEM : WP_OK;
}

wp_status wp_normalize(wp_norm **state, const wp_tokenizer *t, const char *text,
                       size_t len, int32_t base, wp_word_fn fn, void *ctx) {
  return run(state, t, text, len, base, fn, ctx, 0);
}

wp_status wp_normalize_string(const wp_tokenizer *t, const char *text, size_t len, char **out,
                              size_t *out_len) {
  wp_norm *n = NULL;
  *out = NULL;
  *out_len = 0;
  wp_status rc = run(&n, t, text, len, 0, NULL, NULL, 1);
  if (rc == WP_OK) {
    size_t cap = n->c_cap;
    void *q = se_grow(n->c_bytes, 1, &cap, n->c_n + 1);
    if (!q) {
      rc = WP_ERR_NOMEM;
    } else {
      n->c_bytes = q;
      n->c_bytes[n->c_n] = 0;
      *out = (char *)n->c_bytes;
      *out_len = n->c_n;
      n->c_bytes = NULL;
    }
  }
  wp_norm_free(n);
  return rc;
}
