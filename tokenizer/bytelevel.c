/*
** bytelevel.c — the ByteLevel pre-tokenizer of a BPE tokenizer (RoBERTa,
** GPT-2) and the offset trimming of its post-processor.
**
** A segment (the text between added tokens) goes through, as in the
** Hugging Face crate:
**  0. the normalizer: none (RoBERTa, GPT-2), or NFC (ModernBERT, OLMo;
**     nfc.c), whose alignments give every character of the NFC text its
**     span in the segment;
**  1. added tokens marked "normalized", matched in the (normalised) text,
**     leftmost then longest, with their lstrip/rstrip; each splits the
**     segment;
**  2. add_prefix_space: a space before each piece that does not start with
**     one (U+0020), carrying the span of the piece's first character;
**  3. GPT-2's split (use_regex), the pattern
**       's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
**     matched here by hand, alternative by alternative, on code points
**     (\s is White_Space, \p{L} and \p{N} utf8proc's categories: Unicode
**     15.0 in Debian 12, where the crate's Oniguruma has 16.0, so the 5,004
**     letters and numbers new in 16.0 count as neither here: README, Limits);
**  4. each word's bytes become symbols (bpe_json.c's byte_id), every byte
**     spanning its whole character, as the crate aligns them; bytes missing
**     from the vocabulary become model.unk_token (fused with fuse_unk) or
**     are dropped; then the merges (bpe.c).
** Text is read a window of WP_BPE_WINDOW_BYTES at a time, and a word
** longer than that is merged in windows of that size cut at character
** boundaries, so that work memory stays bounded; tokens next to such a cut
** may differ from the crate's (README, Limits).
**
** The offsets the crate gives are trimmed afterwards by RobertaProcessing
** (trim_offsets): a token's leading and trailing spaces ('Ġ' or
** whitespace in its text: for an added token, the text it matched) leave
** its span, counted in characters as Python's offsets are, except the one
** space of a first token with add_prefix_space (wp_bl_trim_offsets).
*/
#include "wp_internal.h"
#include "se_alloc.h"
#include <string.h>
#include <utf8proc.h>

#ifndef WP_BPE_WINDOW_BYTES
#define WP_BPE_WINDOW_BYTES 16384 /* -D smaller in the fuzz build, to cut often */
#endif

/* Work memory of one call: the segment's characters, then one word's symbols. */
struct wp_bl_state {
  uint32_t *cp;           /* (cap_chars) code points of the piece, a prepended space first */
  uint8_t *cls;           /* (cap_chars) C_* of each */
  int32_t *cb;            /* (cap_chars+1) byte start of each in text */
  int32_t *cs, *ce;       /* (cap_chars) original span of each */
  size_t cap_chars;
  int32_t *id, *s, *e;    /* (cap_syms) a word's symbols */
  uint8_t *wbyte;         /* (cap_syms) a word's bytes */
  int32_t *ws, *we;       /* (cap_syms) the span of each: its character's */
  size_t cap_syms;
  wp_bpe_work *work;      /* bpe.c's */
  wp_nfc nfc;             /* the segment's NFC and its alignments (normalizer NFC) */
};

int wp_bl_char_class(uint32_t cp) {
  if (cp < 0x80) {
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) return C_LETTER;
    if (cp >= '0' && cp <= '9') return C_NUMBER;
    return (cp >= 9 && cp <= 13) || cp == ' ' ? C_SPACE : C_OTHER;
  }
  if (wpu_flags(cp) & WPU_SPACE) return C_SPACE;
  switch (utf8proc_category((utf8proc_int32_t)cp)) {
  case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
  case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
    return C_LETTER;
  case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
    return C_NUMBER;
  default:
    return C_OTHER;
  }
}

static int reserve_chars(wp_bl_state *st, size_t n) {
  if (n <= st->cap_chars) return 0;
  size_t cap = st->cap_chars ? st->cap_chars : 256;
  while (cap < n) cap *= 2;
  uint32_t *cp = se_realloc(st->cp, cap * sizeof *cp);
  if (cp) st->cp = cp;
  uint8_t *cl = cp ? se_realloc(st->cls, cap) : NULL;
  if (cl) st->cls = cl;
  int32_t *cb = cl ? se_realloc(st->cb, (cap + 1) * sizeof *cb) : NULL;
  if (cb) st->cb = cb;
  int32_t *cs = cb ? se_realloc(st->cs, cap * sizeof *cs) : NULL;
  if (cs) st->cs = cs;
  int32_t *ce = cs ? se_realloc(st->ce, cap * sizeof *ce) : NULL;
  if (!ce) return -1;
  st->ce = ce;
  st->cap_chars = cap;
  return 0;
}

static int reserve_syms(wp_bl_state *st, size_t n) {
  if (n <= st->cap_syms) return 0;
  size_t cap = st->cap_syms ? st->cap_syms : 256;
  while (cap < n) cap *= 2;
  int32_t **arrays[] = {&st->id, &st->s, &st->e, &st->ws, &st->we};
  for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
    int32_t *p = se_realloc(*arrays[i], cap * sizeof *p);
    if (!p) return -1;
    *arrays[i] = p;
  }
  uint8_t *wb = se_realloc(st->wbyte, cap);
  if (!wb) return -1;
  st->wbyte = wb;
  st->cap_syms = cap;
  return 0;
}

/* GPT-2's pattern at character i of cp[0..n): the end of its match. */
static size_t gpt2_match(const uint32_t *cp, const uint8_t *cls, size_t i, size_t n) {
  if (cp[i] == '\'' && i + 1 < n) {
    uint32_t a = cp[i + 1], b = i + 2 < n ? cp[i + 2] : 0;
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
  }
  /* ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': an optional space, then a run of one class */
  size_t j = i + (cp[i] == ' ' && i + 1 < n && cls[i + 1] != C_SPACE);
  if (cls[j] != C_SPACE) {
    size_t k = j + 1;
    while (k < n && cls[k] == cls[j]) k++;
    return k;
  }
  /* '\s+(?!\S)', else '\s+': a run of whitespace, less its last character
  ** when a non-space follows it and it is longer than one */
  size_t k = i + 1;
  while (k < n && cls[k] == C_SPACE) k++;
  return k < n && k - 1 > i ? k - 1 : k;
}

/* Bytes of a byte's character in the byte-level text (U+0021..U+017F). */
static int byte_level_len(uint8_t byte) { return wp_byte_char(byte) < 0x80 ? 1 : 2; }

/* The crate's offsets of a word's tokens when bytes missing from the
** vocabulary were dropped: it lays the kept tokens back to back over the
** word's byte-level text, so a token after a dropped byte takes the spans
** of the bytes that lie where its text would start and end. */
static void dropped_offsets(wp_bl_state *st, const wp_tokenizer *t, int32_t nb, int32_t n) {
  int32_t j = 0, q = 0; /* byte j starts at q in the byte-level text */
  int32_t p = 0;        /* where token k starts in it */
  for (int32_t k = 0; k < n; k++) {
    size_t len = 0;
    wp_id_to_token(t, st->id[k], &len);
    while (j < nb && p >= q + byte_level_len(st->wbyte[j])) q += byte_level_len(st->wbyte[j++]);
    if (j == nb || len == 0) break; /* cannot happen: the kept tokens are shorter than the word */
    int32_t last = j, ql = q;
    while (last < nb && p + (int32_t)len > ql + byte_level_len(st->wbyte[last])) ql += byte_level_len(st->wbyte[last++]);
    if (last == nb) break;
    st->s[k] = st->ws[j], st->e[k] = st->we[last];
    p += (int32_t)len;
  }
}

/* One word, characters [a, b): its bytes as symbols, merged, out through fn. */
static wp_status encode_word(wp_bl_state *st, const wp_tokenizer *t, const unsigned char *text,
                             size_t a, size_t b, wp_token_fn fn, void *ctx) {
  const wp_bpe *bp = t->bpe;
  /* a prepended space is the one character without bytes in text */
  const size_t nb = (size_t)(st->cb[b] - st->cb[a]) + (st->cb[a] == st->cb[a + 1]);
  if (reserve_syms(st, nb)) return WP_ERR_NOMEM;
  int32_t m = 0;
  for (size_t c = a; c < b; c++) {
    const int prepended = st->cb[c] == st->cb[c + 1];
    const int32_t len = prepended ? 1 : st->cb[c + 1] - st->cb[c];
    for (int32_t k = 0; k < len; k++, m++) {
      st->wbyte[m] = prepended ? ' ' : text[st->cb[c] + k];
      st->ws[m] = st->cs[c], st->we[m] = st->ce[c];
    }
  }
  if (bp->ignore_merges && m > 1 && 2 * (size_t)m <= WP_MAX_TOKEN_BYTES) {
    /* the word whole, if the vocabulary has its byte-level text */
    unsigned char buf[WP_MAX_TOKEN_BYTES];
    size_t tl = 0;
    for (int32_t k = 0; k < m; k++) tl += (size_t)wpu_encode(wp_byte_char(st->wbyte[k]), buf + tl);
    int32_t whole = wp_tok_lookup(t, (const char *)buf, tl, "", 0);
    if (whole >= 0) return fn(ctx, whole, st->ws[0], st->we[m - 1]) ? WP_ERR_NOMEM : WP_OK;
  }
  int32_t n = 0;
  int last_unk = 0, dropped = 0;
  for (int32_t k = 0; k < m; k++) {
    int32_t id = bp->byte_id[st->wbyte[k]];
    if (id < 0) {
      if (bp->unk_id < 0) { /* no unk_token: the crate drops the byte */
        dropped = 1;
        continue;
      }
      if (bp->fuse_unk && last_unk) {
        st->e[n - 1] = st->we[k];
        continue;
      }
      id = bp->unk_id;
    }
    last_unk = bp->byte_id[st->wbyte[k]] < 0;
    st->id[n] = id, st->s[n] = st->ws[k], st->e[n] = st->we[k];
    n++;
  }
  n = wp_bpe_merge_word(&st->work, bp, st->id, st->s, st->e, n);
  if (n < 0) return WP_ERR_NOMEM;
  if (dropped) dropped_offsets(st, t, m, n);
  for (int32_t k = 0; k < n; k++)
    if (fn(ctx, st->id[k], st->s[k], st->e[k])) return WP_ERR_NOMEM;
  return WP_OK;
}

/* A word, in windows of at most WP_BPE_WINDOW_BYTES (whole characters). */
static wp_status encode_long_word(wp_bl_state *st, const wp_tokenizer *t, const unsigned char *text,
                                  size_t a, size_t b, wp_token_fn fn, void *ctx) {
  wp_status rc = WP_OK;
  while (rc == WP_OK && a < b) {
    size_t z = a + 1;
    while (z < b && st->cb[z + 1] - st->cb[a] <= WP_BPE_WINDOW_BYTES) z++;
    rc = encode_word(st, t, text, a, z, fn, ctx);
    a = z;
  }
  return rc;
}

/* Characters of text[from, to) into st (after a prepended space if
** `space`), each with its span in the caller's text: its own place, or
** where the NFC alignments `nfc` (NULL: none) say it came from; returns
** their count. */
static size_t load_chars(wp_bl_state *st, const unsigned char *u, size_t from, size_t to, int space,
                         int32_t base, const wp_nfc *nfc) {
  size_t n = space ? 1 : 0;
  wp_nfc_cursor cur = {0, 0};
  if (nfc) cur = wp_nfc_seek(nfc, (int32_t)from);
  for (size_t i = from; i < to;) {
    uint32_t cp;
    int l = wpu_decode(u + i, &cp);
    int32_t s = (int32_t)i, e = (int32_t)i + l;
    if (nfc) wp_nfc_span(nfc, &cur, (int32_t)i, l, &s, &e);
    st->cp[n] = cp, st->cls[n] = (uint8_t)wp_bl_char_class(cp), st->cb[n] = (int32_t)i;
    st->cs[n] = base + s, st->ce[n] = base + e;
    n++;
    i += (size_t)l;
  }
  if (space) {
    /* the space spans the character it is put before, as the crate aligns it */
    st->cp[0] = ' ', st->cls[0] = C_SPACE, st->cb[0] = (int32_t)from;
    st->cs[0] = st->cs[1], st->ce[0] = st->ce[1];
  }
  st->cb[n] = (int32_t)to;
  return n;
}

/* One piece between added tokens: text[from, to) of the segment, not
** empty.  Its characters are loaded a window at a time; a word that reaches
** the end of a window may go on past it, so the window is loaded again from
** that word's start, unless the word fills the whole window: then it is cut
** there (encode_long_word's windows). */
static wp_status encode_piece(wp_bl_state *st, const wp_tokenizer *t, const char *text, size_t from,
                              size_t to, int32_t base, const wp_nfc *nfc, wp_token_fn fn, void *ctx) {
  const unsigned char *u = (const unsigned char *)text;
  int space = t->bpe->add_prefix_space && text[from] != ' ';
  wp_status rc = WP_OK;
  for (size_t pos = from; pos < to && rc == WP_OK;) {
    size_t wend = to - pos > WP_BPE_WINDOW_BYTES ? pos + WP_BPE_WINDOW_BYTES : to;
    while (wend < to && (u[wend] & 0xC0) == 0x80) wend++;
    if (reserve_chars(st, wend - pos + 2)) return WP_ERR_NOMEM;
    const size_t n = load_chars(st, u, pos, wend, space, base, nfc);
    space = 0;
    size_t i = 0;
    while (i < n && rc == WP_OK) {
      size_t j = t->bpe->use_regex ? gpt2_match(st->cp, st->cls, i, n) : n;
      if (j == n && wend < to && i > 0) break; /* may go on: load again from i */
      rc = encode_long_word(st, t, u, i, j, fn, ctx);
      i = j;
    }
    pos = i < n ? (size_t)st->cb[i] : wend;
  }
  return rc;
}

/* The longest normalised added token whose normalised text is at text[i..len), or NULL. */
static const wp_literal *nlit_at(const wp_tokenizer *t, const char *text, size_t i, size_t len) {
  const wp_literal *best = NULL;
  for (int k = 0; k < t->n_nlits; k++) {
    const wp_literal *l = &t->nlits[k];
    if (l->norm_len && l->norm_len <= len - i && (!best || l->norm_len > best->norm_len) &&
        memcmp(text + i, l->norm, l->norm_len) == 0)
      best = l;
  }
  return best;
}

wp_status wp_bl_encode(wp_bl_state **state, const wp_tokenizer *t, const char *text, size_t len,
                       int32_t base, wp_token_fn fn, void *ctx) {
  wp_bl_state *st = *state;
  if (!st && !(st = *state = se_calloc(1, sizeof *st))) return WP_ERR_NOMEM;
  const wp_nfc *nfc = NULL;
  int changed = 0;
  wp_status rc;
  if (t->bpe->nfc && (rc = wp_nfc_run(&st->nfc, text, len, &changed)) != WP_OK) return rc;
  if (changed) { /* from here on the text is the NFC one; spans come from the alignments */
    nfc = &st->nfc;
    text = st->nfc.text, len = st->nfc.len;
  }
  size_t part = 0;
  for (size_t i = 0; t->n_nlits && i < len;) {
    const wp_literal *lit = nlit_at(t, text, i, len);
    if (!lit) {
      i++;
      continue;
    }
    size_t a, b;
    const wp_literal as_normalized = {.len = lit->norm_len, .lstrip = lit->lstrip, .rstrip = lit->rstrip};
    wp_literal_span(&as_normalized, text, part, i, len, &a, &b);
    if (a > part && (rc = encode_piece(st, t, text, part, a, base, nfc, fn, ctx)) != WP_OK) return rc;
    int32_t s = (int32_t)a, e = (int32_t)b;
    if (nfc) { /* from its first character's start to its last one's end */
      uint32_t cp;
      const unsigned char *u = (const unsigned char *)text;
      const size_t last = wpu_decode_before(u, b, &cp);
      int32_t unused;
      wp_nfc_cursor cur = wp_nfc_seek(nfc, s);
      wp_nfc_span(nfc, &cur, s, wpu_decode(u + a, &cp), &s, &unused);
      cur = wp_nfc_seek(nfc, (int32_t)last);
      wp_nfc_span(nfc, &cur, (int32_t)last, (int32_t)(b - last), &unused, &e);
    }
    if (fn(ctx, lit->id, base + s, base + e)) return WP_ERR_NOMEM;
    part = i = b;
  }
  /* the crate never sees an empty piece (nor so adds a space to one) */
  return part < len ? encode_piece(st, t, text, part, len, base, nfc, fn, ctx) : WP_OK;
}

void wp_bl_state_free(wp_bl_state *st) {
  if (!st) return;
  se_free(st->cp);
  se_free(st->cls);
  se_free(st->cb);
  se_free(st->cs);
  se_free(st->ce);
  se_free(st->id);
  se_free(st->s);
  se_free(st->e);
  se_free(st->wbyte);
  se_free(st->ws);
  se_free(st->we);
  wp_bpe_work_free(st->work);
  wp_nfc_free(&st->nfc);
  se_free(st);
}

/* Characters at the start (from_end 0) or end of a token's text that are
** 'Ġ' (a space byte) or whitespace, as the crate's process_offsets counts
** them. */
static int32_t spaces_at(const unsigned char *z, size_t n, int from_end) {
  int32_t count = 0;
  size_t i = from_end ? n : 0;
  while (from_end ? i > 0 : i < n) {
    uint32_t cp;
    size_t at = from_end ? wpu_decode_before(z, i, &cp) : i;
    int l = from_end ? (int)(i - at) : wpu_decode(z + i, &cp);
    if (cp != 0x120 && !(wpu_flags(cp) & WPU_SPACE)) break;
    count++;
    i = from_end ? at : i + (size_t)l;
  }
  return count;
}

static int is_literal(const wp_tokenizer *t, int32_t id) {
  for (int k = 0; k < t->n_literals; k++)
    if (t->literals[k].id == id) return 1;
  for (int k = 0; k < t->n_nlits; k++)
    if (t->nlits[k].id == id) return 1;
  return 0;
}

void wp_bl_trim_offsets(const wp_tokenizer *t, const char *text, const int32_t *ids, int32_t *offs,
                        int64_t n) {
  if (!t->bpe || !t->bpe->trim_offsets) return;
  for (int64_t i = 0; i < n; i++) {
    size_t len;
    const unsigned char *z;
    /* an added token's text is what it matched, whitespace that lstrip or
    ** rstrip took included; a model token's is its vocabulary entry */
    if (is_literal(t, ids[i])) {
      z = (const unsigned char *)text + offs[2 * i];
      len = (size_t)(offs[2 * i + 1] - offs[2 * i]);
    } else if (!(z = (const unsigned char *)wp_id_to_token(t, ids[i], &len))) {
      continue;
    }
    int32_t lead = spaces_at(z, len, 0), trail = spaces_at(z, len, 1);
    int32_t *s = &offs[2 * i], *e = &offs[2 * i + 1];
    const unsigned char *u = (const unsigned char *)text;
    /* The crate counts in characters (Python's offsets, encode_char_offsets):
    ** so do we, so that an offset never falls inside a character. */
    if (lead > 0) {
      /* the space add_prefix_space put before the first token is not in the text */
      if ((i == 0 || *s == 0) && t->bpe->trim_keep_prefix && lead == 1) lead = 0;
      uint32_t cp;
      while (lead-- > 0 && *s < *e) *s += wpu_decode(u + *s, &cp);
      if (*s > *e) *s = *e;
    }
    if (trail > 0) {
      /* only when the end has that many characters before it */
      int32_t p = *e;
      uint32_t cp;
      while (trail > 0 && p > 0) p = (int32_t)wpu_decode_before(u, (size_t)p, &cp), trail--;
      if (trail == 0) *e = p > *s ? p : *s;
    }
  }
}
