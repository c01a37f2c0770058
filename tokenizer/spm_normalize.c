/*
** spm_normalize.c — the normalizers and pre-tokenizer of a Unigram
** (SentencePiece) tokenizer.json, applied to one piece of text between
** added tokens, then the Unigram model on each resulting piece:
**
**   "Ａ  ｂ①" -Precompiled-> "A  b1" -Replace(" {2,}", " ")-> "A b1"
**            -Metaspace-> "▁A▁b1" -> pieces "▁A", "▁b1" -> unigram.c
**
** Text is held as code points, each with the byte span of the original
** text it came from.  The spans follow the tokenizers crate's alignment
** rules exactly, quirks included, so that token offsets match it:
**  - Precompiled maps each grapheme of fewer than 6 bytes as a whole when
**    the charsmap has a key that prefixes it, else each character.  Of a
**    replacement, the first characters take the spans of the characters
**    replaced, one for one; extra ones share the last one's span; when it
**    is shorter, its last character swallows the rest (if it is empty, the
**    character before swallows them; at the very start nothing does, so the
**    spans that follow shift, as the crate's do).
**  - Replace gives each character of its content the span of the last
**    character matched; Metaspace's replacement of ' ' keeps the space's.
**  - A prepended replacement shares the first character's span.
** Graphemes are utf8proc's extended grapheme clusters.
*/
#include "wp_internal.h"
#include "se_alloc.h"
#include <string.h>
#include <utf8proc.h>

/* Code points and, per point, the original byte span [s, e). */
typedef struct spm_chars {
  uint32_t *cp;
  int32_t *s, *e;
  size_t n, cap;
} spm_chars;

struct wp_spm_state {
  spm_chars cur, next;    /* the text before and after a step */
  spm_chars dest;         /* Precompiled's (code point, change) list; s holds the change */
  unsigned char *bytes;   /* (cap_bytes) a piece in UTF-8 for the Unigram model */
  int32_t *cstart;        /* (cap_cstart) its characters' byte starts */
  size_t cap_bytes, cap_cstart;
  wp_viterbi *viterbi;
};

static int chars_push(spm_chars *c, uint32_t cp, int32_t s, int32_t e) {
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 256;
    uint32_t *p = se_realloc(c->cp, cap * sizeof *p);
    if (!p) return 1;
    c->cp = p;
    int32_t *ps = se_realloc(c->s, cap * sizeof *ps);
    if (!ps) return 1;
    c->s = ps;
    int32_t *pe = se_realloc(c->e, cap * sizeof *pe);
    if (!pe) return 1;
    c->e = pe;
    c->cap = cap;
  }
  c->cp[c->n] = cp;
  c->s[c->n] = s;
  c->e[c->n] = e;
  c->n++;
  return 0;
}

static void chars_free(spm_chars *c) {
  se_free(c->cp);
  se_free(c->s);
  se_free(c->e);
}

void wp_spm_state_free(wp_spm_state *st) {
  if (!st) return;
  chars_free(&st->cur);
  chars_free(&st->next);
  chars_free(&st->dest);
  se_free(st->bytes);
  se_free(st->cstart);
  wp_viterbi_free(st->viterbi);
  se_free(st);
}

/* The step's output becomes the input of the next. */
static void swap(wp_spm_state *st) {
  spm_chars t = st->cur;
  st->cur = st->next;
  st->next = t;
  st->next.n = 0;
}

/* Precompiled's replace(): push `to` with change 0, then mark the extra
** characters as inserted (+1) or let the last swallow the missing ones. */
static int dest_replace(spm_chars *d, size_t old_count, const char *to, size_t to_len) {
  size_t first = d->n;
  for (size_t i = 0; i < to_len;) {
    uint32_t cp;
    i += (size_t)wpu_decode((const unsigned char *)to + i, &cp);
    if (chars_push(d, cp, 0, 0)) return 1;
  }
  size_t new_count = d->n - first;
  if (new_count > old_count)
    for (size_t k = d->n - (new_count - old_count); k < d->n; k++) d->s[k] = 1;
  else if (new_count < old_count && d->n > 0)
    d->s[d->n - 1] -= (int32_t)(old_count - new_count);
  return 0;
}

static size_t cp_len(uint32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

static wp_status precompiled_spans(wp_spm_state *st);
static wp_status to_bytes(wp_spm_state *st, const spm_chars *c, size_t a, size_t b);

static wp_status step_precompiled(wp_spm_state *st, const wp_charsmap *map) {
  const spm_chars *in = &st->cur;
  spm_chars *d = &st->dest;
  d->n = 0;
  int modified = 0;
  utf8proc_int32_t gstate = 0;
  unsigned char buf[8];
  const char *to;
  size_t to_len;
  for (size_t a = 0, b; a < in->n; a = b) {
    size_t glen = cp_len(in->cp[a]);
    for (b = a + 1; b < in->n && !utf8proc_grapheme_break_stateful((utf8proc_int32_t)in->cp[b - 1],
                                                                    (utf8proc_int32_t)in->cp[b], &gstate);
         b++)
      glen += cp_len(in->cp[b]);
    if (glen < 6) {
      size_t k = 0;
      for (size_t i = a; i < b; i++) k += (size_t)wpu_encode(in->cp[i], buf + k);
      int r = wp_charsmap_lookup(map, buf, k, &to, &to_len);
      if (r < 0) return WP_ERR_FORMAT;
      if (r > 0) {
        if (dest_replace(d, b - a, to, to_len)) return WP_ERR_NOMEM;
        modified = 1;
        continue;
      }
    }
    for (size_t i = a; i < b; i++) {
      int n = wpu_encode(in->cp[i], buf);
      int r = wp_charsmap_lookup(map, buf, (size_t)n, &to, &to_len);
      if (r < 0) return WP_ERR_FORMAT;
      if (r > 0) modified = 1;
      if (r > 0 ? dest_replace(d, 1, to, to_len) : chars_push(d, in->cp[i], 0, 0)) return WP_ERR_NOMEM;
    }
  }
  return modified ? precompiled_spans(st) : WP_OK;
}

/* The crate's NormalizedString::transform of dest into the next text. */
static wp_status precompiled_spans(wp_spm_state *st) {
  const spm_chars *in = &st->cur;
  spm_chars *d = &st->dest;
  /* The crate's NormalizedString::transform: a kept or replacing character
  ** takes the span of the next input character (and skips the ones it
  ** swallows); an inserted one shares the span of the one before. */
  size_t pos = 0;
  for (size_t k = 0; k < d->n; k++) {
    int32_t change = d->s[k], s, e;
    if (change > 0) {
      s = pos ? in->s[pos - 1] : in->s[0];
      e = pos ? in->e[pos - 1] : in->s[0];
    } else {
      size_t at = pos < in->n ? pos : in->n - 1;
      s = in->s[at];
      e = in->e[at];
      pos += 1 + (size_t)-change;
    }
    if (chars_push(&st->next, d->cp[k], s, e)) return WP_ERR_NOMEM;
  }
  swap(st);
  return WP_OK;
}

/* SentencePiece's (and llama.cpp's): at each character, the longest key
** that prefixes the rest of the text is replaced, else the character is
** kept; a key ending inside a character (a damaged map) is no match. */
static wp_status step_precompiled_longest(wp_spm_state *st, const wp_charsmap *map) {
  const spm_chars *in = &st->cur;
  spm_chars *d = &st->dest;
  d->n = 0;
  wp_status rc = to_bytes(st, in, 0, in->n);
  if (rc != WP_OK) return rc;
  const int32_t total = st->cstart[in->n];
  int modified = 0;
  for (size_t a = 0; a < in->n;) {
    size_t key_len = 0, to_len = 0;
    const char *to = NULL;
    int r = wp_charsmap_longest(map, st->bytes + st->cstart[a], (size_t)(total - st->cstart[a]), &key_len, &to,
                                &to_len);
    if (r < 0) return WP_ERR_FORMAT;
    size_t b = a + 1;
    while (r > 0 && b < in->n && (size_t)(st->cstart[b] - st->cstart[a]) < key_len) b++;
    if (r > 0 && (size_t)(st->cstart[b] - st->cstart[a]) == key_len) {
      if (dest_replace(d, b - a, to, to_len)) return WP_ERR_NOMEM;
      modified = 1;
      a = b;
    } else {
      if (chars_push(d, in->cp[a], 0, 0)) return WP_ERR_NOMEM;
      a++;
    }
  }
  return modified ? precompiled_spans(st) : WP_OK;
}

/* Replace: every match of the pattern (or each run of 2+ spaces) becomes
** the content, each of its characters spanning the match's last one. */
static wp_status step_replace(wp_spm_state *st, const wp_spm_step *step) {
  const spm_chars *in = &st->cur;
  for (size_t i = 0; i < in->n;) {
    size_t end = i;
    if (step->kind == WP_SPM_REPLACE_SPACES) {
      while (end < in->n && in->cp[end] == ' ') end++;
      if (end - i < 2) end = i;
    } else if (in->n - i >= step->n_pattern &&
               memcmp(in->cp + i, step->pattern, step->n_pattern * sizeof *step->pattern) == 0) {
      end = i + step->n_pattern;
    }
    if (end == i) {
      if (chars_push(&st->next, in->cp[i], in->s[i], in->e[i])) return WP_ERR_NOMEM;
      i++;
      continue;
    }
    for (size_t k = 0; k < step->n_content; k++)
      if (chars_push(&st->next, step->content[k], in->s[end - 1], in->e[end - 1])) return WP_ERR_NOMEM;
    i = end;
  }
  swap(st);
  return WP_OK;
}

/* Strip; a window in the middle of a long text has no ends to strip. */
/* The crate strips Unicode's white space; llama.cpp's Unigram only ' '. */
static int strip_char(const wp_spm_step *step, uint32_t cp) {
  return step->spaces_only ? cp == ' ' : (wpu_flags(cp) & WPU_SPACE) != 0;
}

static void step_strip(wp_spm_state *st, const wp_spm_step *step, int text_start, int text_end) {
  spm_chars *c = &st->cur;
  size_t a = 0, b = c->n;
  if (step->left && text_start) while (a < b && strip_char(step, c->cp[a])) a++;
  if (step->right && text_end) while (b > a && strip_char(step, c->cp[b - 1])) b--;
  if (a) {
    memmove(c->cp, c->cp + a, (b - a) * sizeof *c->cp);
    memmove(c->s, c->s + a, (b - a) * sizeof *c->s);
    memmove(c->e, c->e + a, (b - a) * sizeof *c->e);
  }
  c->n = b - a;
}

/* c[a..b) in UTF-8 into st->bytes, each character's start in st->cstart
** (n + 1 of them). */
static wp_status to_bytes(wp_spm_state *st, const spm_chars *c, size_t a, size_t b) {
  size_t n = b - a;
  if (n + 1 > st->cap_cstart) {
    int32_t *p = se_realloc(st->cstart, (n + 1) * 2 * sizeof *p);
    if (!p) return WP_ERR_NOMEM;
    st->cstart = p;
    st->cap_cstart = (n + 1) * 2;
  }
  if (4 * n > st->cap_bytes) {
    unsigned char *p = se_realloc(st->bytes, 8 * n);
    if (!p) return WP_ERR_NOMEM;
    st->bytes = p;
    st->cap_bytes = 8 * n;
  }
  int32_t len = 0;
  for (size_t i = 0; i < n; i++) {
    st->cstart[i] = len;
    len += wpu_encode(c->cp[a + i], st->bytes + len);
  }
  st->cstart[n] = len;
  return WP_OK;
}

/* One piece c[a..b) through the Unigram model. */
static wp_status encode_piece(wp_spm_state *st, const wp_tokenizer *t, const spm_chars *c, size_t a,
                              size_t b, wp_token_fn fn, void *ctx) {
  wp_status rc = to_bytes(st, c, a, b);
  if (rc != WP_OK) return rc;
  return wp_unigram_encode(&st->viterbi, t, st->bytes, st->cstart, (int32_t)(b - a), c->s + a, c->e + a, fn, ctx);
}

/* Where a word lies: whether Metaspace may put a replacement before it. */
typedef enum { WORD_FIRST, WORD_LATER, WORD_CONTINUED } word_place;

/* Metaspace on one word c[a..b): ' ' becomes the replacement, one is put
** in front when the scheme says so, and the word is cut before each
** replacement (the crate's MergedWithNext). */
static wp_status metaspace(wp_spm_state *st, const wp_tokenizer *t, size_t a, size_t b, word_place place,
                           wp_token_fn fn, void *ctx) {
  const wp_unigram *u = t->uni;
  const spm_chars *in = &st->cur;
  spm_chars *w = &st->next;
  w->n = 0;
  if (a == b) return WP_OK;
  int lead = in->cp[a] != ' ' && in->cp[a] != u->replacement && place != WORD_CONTINUED;
  if (lead && (u->prepend == WP_PREPEND_ALWAYS || (u->prepend == WP_PREPEND_FIRST && place == WORD_FIRST)) &&
      chars_push(w, u->replacement, in->s[a], in->e[a]))
    return WP_ERR_NOMEM;
  for (size_t i = a; i < b; i++)
    if (chars_push(w, in->cp[i] == ' ' ? u->replacement : in->cp[i], in->s[i], in->e[i])) return WP_ERR_NOMEM;
  wp_status rc = WP_OK;
  size_t start = 0;
  for (size_t i = 1; u->split && i < w->n && rc == WP_OK; i++)
    if (w->cp[i] == u->replacement) {
      rc = encode_piece(st, t, w, start, i, fn, ctx);
      start = i;
    }
  if (rc == WP_OK) rc = encode_piece(st, t, w, start, w->n, fn, ctx);
  return rc;
}

/* The pre-tokenizer on cur[a..b): Metaspace, after WhitespaceSplit if any. */
static wp_status pretokenize(wp_spm_state *st, const wp_tokenizer *t, size_t a, size_t b, word_place place,
                             wp_token_fn fn, void *ctx) {
  if (!t->uni->whitespace_split) return metaspace(st, t, a, b, place, fn, ctx);
  wp_status rc = WP_OK;
  for (size_t i = a; i < b && rc == WP_OK;) {
    size_t j = i;
    while (j < b && (wpu_flags(st->cur.cp[j]) & WPU_SPACE)) j++;
    if (j > i && place == WORD_CONTINUED) place = WORD_LATER; /* whitespace ended the cut word */
    i = j;
    while (j < b && !(wpu_flags(st->cur.cp[j]) & WPU_SPACE)) j++;
    if (j > i) rc = metaspace(st, t, i, j, place, fn, ctx);
    place = WORD_LATER;
    i = j;
  }
  return rc;
}

/* How many characters of c from i on spell the added token's normalised
** text (0 if they do not). */
static size_t literal_at(const spm_chars *c, size_t i, const wp_literal *l) {
  size_t k = i;
  for (size_t b = 0; b < l->norm_len; k++) {
    uint32_t cp;
    b += (size_t)wpu_decode((const unsigned char *)l->norm + b, &cp);
    if (k >= c->n || c->cp[k] != cp) return 0;
  }
  return k - i;
}

/* Run the normalizers on cur (text_start/text_end: whether it begins/ends
** the segment, for Strip). */
static wp_status normalize_cur(wp_spm_state *st, const wp_unigram *u, int text_start, int text_end) {
  wp_status rc = WP_OK;
  for (int k = 0; k < u->n_steps && rc == WP_OK; k++) {
    const wp_spm_step *step = &u->steps[k];
    if (step->kind == WP_SPM_PRECOMPILED)
      rc = step->longest ? step_precompiled_longest(st, step->map) : step_precompiled(st, step->map);
    else if (step->kind == WP_SPM_STRIP) step_strip(st, step, text_start, text_end);
    else rc = step_replace(st, step);
  }
  return rc;
}

static wp_status load_chars(wp_spm_state *st, const char *text, size_t len, int32_t base) {
  st->cur.n = st->next.n = 0;
  for (size_t i = 0; i < len;) {
    uint32_t cp;
    int n = wpu_decode((const unsigned char *)text + i, &cp);
    if (chars_push(&st->cur, cp, base + (int32_t)i, base + (int32_t)i + n)) return WP_ERR_NOMEM;
    i += (size_t)n;
  }
  return WP_OK;
}

/* The whole pipeline on text[0..len), a window of a segment: `place` is
** where its first word lies; text_start/text_end: whether it begins/ends
** the segment.  Added tokens marked "normalized" are found in the
** normalised text (leftmost, then longest), as the crate does, and split
** it before the pre-tokenizer. */
static wp_status encode_window(wp_spm_state *st, const wp_tokenizer *t, const char *text, size_t len,
                               int32_t base, word_place place, int text_start, int text_end,
                               wp_token_fn fn, void *ctx) {
  wp_status rc = load_chars(st, text, len, base);
  if (rc == WP_OK) rc = normalize_cur(st, t->uni, text_start, text_end);
  if (rc != WP_OK) return rc;
  const spm_chars *c = &st->cur;
  size_t part = 0;
  for (size_t i = 0; t->n_nlits && i < c->n;) {
    const wp_literal *best = NULL;
    size_t m = 0;
    for (int k = 0; k < t->n_nlits; k++) {
      size_t mk = literal_at(c, i, &t->nlits[k]);
      if (mk > m) m = mk, best = &t->nlits[k];
    }
    if (!best) { i++; continue; }
    size_t a = i, b = i + m;
    while (a > part && wp_strip_takes(best->lstrip, c->cp[a - 1])) a--;
    while (b < c->n && wp_strip_takes(best->rstrip, c->cp[b])) b++;
    if ((rc = pretokenize(st, t, part, a, place, fn, ctx)) != WP_OK) return rc;
    if (fn(ctx, best->id, c->s[a], c->e[b - 1])) return WP_ERR_NOMEM;
    place = WORD_LATER;
    part = i = b;
  }
  return pretokenize(st, t, part, c->n, place, fn, ctx);
}

wp_status wp_spm_normalize_string(const wp_tokenizer *t, const char *text, size_t len, char **out,
                                  size_t *out_len) {
  wp_spm_state *st = se_calloc(1, sizeof *st);
  wp_status rc = st ? load_chars(st, text, len, 0) : WP_ERR_NOMEM;
  if (rc == WP_OK) rc = normalize_cur(st, t->uni, 1, 1);
  char *s = rc == WP_OK ? se_malloc(4 * st->cur.n + 1) : NULL;
  if (rc == WP_OK && !s) rc = WP_ERR_NOMEM;
  if (rc == WP_OK) {
    size_t n = 0;
    for (size_t i = 0; i < st->cur.n; i++) n += (size_t)wpu_encode(st->cur.cp[i], (unsigned char *)s + n);
    s[n] = 0;
    *out = s;
    *out_len = n;
  }
  wp_spm_state_free(st);
  return rc;
}

/* A long text is normalised and cut in windows of about this many bytes,
** so that the work memory (some 40 bytes a character) stays bounded.  (The
** fuzzers build with small windows, to cut often.) */
#ifndef WP_SPM_WINDOW_BYTES
#define WP_SPM_WINDOW_BYTES 65536
#endif
#define WINDOW_BYTES ((size_t)WP_SPM_WINDOW_BYTES)

/* Can no charsmap of the tokenizer see this character alone? */
static int unmapped(const wp_unigram *u, uint32_t cp) {
  unsigned char b[4];
  size_t n = (size_t)wpu_encode(cp, b), to_len;
  const char *to;
  for (int k = 0; k < u->n_steps; k++)
    if (u->steps[k].kind == WP_SPM_PRECOMPILED && wp_charsmap_lookup(u->steps[k].map, b, n, &to, &to_len) != 0)
      return 0;
  return 1;
}

/* Whether a space may end a window with nothing changed: it starts a new
** piece, no normalizer sees across it, and a Replace pattern cannot hold it.
** A charsmap matched by longest key (a GGUF file's) may hold a space in a
** key: window_end then cuts only between the keys the whole text's matching
** takes, which it can follow on the raw text only when that map comes
** first. */
static int spaces_split(const wp_unigram *u) {
  if (!u->split && !u->whitespace_split) return 0;
  for (int k = 0; k < u->n_steps; k++) {
    if (u->steps[k].kind == WP_SPM_REPLACE)
      for (size_t i = 0; i < u->steps[k].n_pattern; i++)
        if (u->steps[k].pattern[i] == ' ') return 0;
    if (k > 0 && u->steps[k].kind == WP_SPM_PRECOMPILED && u->steps[k].longest) return 0;
  }
  return unmapped(u, ' ');
}

/* The charsmap of a first step that matches by longest key, or NULL. */
static const wp_charsmap *longest_first_map(const wp_unigram *u) {
  return u->n_steps > 0 && u->steps[0].kind == WP_SPM_PRECOMPILED && u->steps[0].longest ? u->steps[0].map : NULL;
}

/* Marks in edge[] (bit p - start) each s[p], start <= p <= end, where the
** longest-key matching of the whole text s[0..len), which runs on from
** s[start], begins a key or an unmapped character: no key crosses it.  As
** step_precompiled_longest, a key that ends inside a character is none. */
static void key_edges(const wp_charsmap *map, const unsigned char *s, size_t len, size_t start, size_t end,
                      unsigned char *edge) {
  for (size_t a = start; a <= end && a < len;) {
    edge[(a - start) / 8] |= (unsigned char)(1u << ((a - start) % 8));
    size_t key_len = 0, to_len = 0;
    const char *to = NULL;
    int r = wp_charsmap_longest(map, s + a, len - a, &key_len, &to, &to_len);
    if (r < 0) return; /* a damaged map: encode_window reports it */
    uint32_t cp;
    size_t n = (size_t)wpu_decode(s + a, &cp);
    a += r > 0 && key_len > 0 && (a + key_len == len || (s[a + key_len] & 0xC0) != 0x80) ? key_len : n;
  }
}

static int edge_at(const unsigned char *edge, size_t i) { return !edge || (edge[i / 8] >> (i % 8)) & 1; }

static int boundclass(uint32_t cp) { return utf8proc_get_property((utf8proc_int32_t)cp)->boundclass; }

/* A window may end before the space s[p] with nothing changed when the
** character c1 before it is a grapheme of its own (an ordinary character,
** not after a Prepend one) that no charsmap maps: then the graphemes, the
** Replace runs of spaces and the Metaspace pieces on each side are those of
** the whole text. */
static int clean_cut(const wp_unigram *u, const unsigned char *s, size_t start, size_t p) {
  if (s[p] != ' ') return 0;
  uint32_t c1, c0;
  size_t q = wpu_decode_before(s, p, &c1);
  if (boundclass(c1) != UTF8PROC_BOUNDCLASS_OTHER || (wpu_flags(c1) & WPU_SPACE) || !unmapped(u, c1)) return 0;
  if (q == start) return 1;
  wpu_decode_before(s, q, &c0);
  return boundclass(c0) != UTF8PROC_BOUNDCLASS_PREPEND;
}

/* Where the window that starts at s[start] (with more than WINDOW_BYTES to
** go) ends, and whether that cuts a word (*hard).  Best at a clean_cut
** space (with a longest-key charsmap first, one no key crosses): the result
** is exactly the whole text's.  Else a word longer than half a window is cut
** at a grapheme boundary (and a key edge) and each side is segmented alone
** (the crate segments it whole, which may differ around the cut). */
static size_t window_end(const wp_unigram *u, const unsigned char *s, size_t len, size_t start, int soft_ok,
                         int *hard) {
  size_t end = start + WINDOW_BYTES, low = start + WINDOW_BYTES / 2;
  const wp_charsmap *map = longest_first_map(u);
  unsigned char edge_bits[WINDOW_BYTES / 8 + 1] = {0}, *edge = map ? edge_bits : NULL;
  if (map) key_edges(map, s, len, start, end, edge);
  *hard = 0;
  for (size_t p = end; soft_ok && p > low; p--)
    if (clean_cut(u, s, start, p) && edge_at(edge, p - start)) return p;
  *hard = 1;
  for (size_t p = end; p > low; p--) {
    if ((s[p] & 0xC0) == 0x80 || !edge_at(edge, p - start)) continue;
    uint32_t c1, c2;
    wpu_decode_before(s, p, &c1);
    wpu_decode(s + p, &c2);
    if (utf8proc_grapheme_break((utf8proc_int32_t)c1, (utf8proc_int32_t)c2)) return p;
  }
  while ((s[end] & 0xC0) == 0x80) end--; /* one grapheme of 32 KB: any character boundary */
  return end;
}

wp_status wp_spm_encode(wp_spm_state **state, const wp_tokenizer *t, const char *text, size_t len,
                        int32_t base, wp_token_fn fn, void *ctx) {
  if (!*state && !(*state = se_calloc(1, sizeof **state))) return WP_ERR_NOMEM;
  const unsigned char *s = (const unsigned char *)text;
  int soft_ok = len > WINDOW_BYTES && spaces_split(t->uni), hard = 0;
  word_place place = base == 0 ? WORD_FIRST : WORD_LATER;
  wp_status rc = WP_OK;
  for (size_t start = 0; start < len && rc == WP_OK;) {
    size_t end = len - start > WINDOW_BYTES ? window_end(t->uni, s, len, start, soft_ok, &hard) : len;
    rc = encode_window(*state, t, text + start, end - start, base + (int32_t)start, place, start == 0,
                       end == len, fn, ctx);
    place = hard ? WORD_CONTINUED : WORD_LATER;
    start = end;
  }
  return rc;
}
