/*
** wordpiece.c — wp_encode and wp_encode_pair: special tokens, WordPiece,
** truncation and the output encoding.
**
**   wp_encoding enc = {0};
**   wp_encode(tok, "unaffable [SEP] x", 17, 512, &enc, &err);
**   // [CLS] una ##ff ##able [SEP] x [SEP], offsets into the text
**   wp_encoding_free(&enc);
**
** How one sequence is encoded (shared TOKENIZER-NOTES rules 1, 8, 10):
**  0. With opts.python_lower (sentence-transformers' do_lower_case) the
**     whole text is first lowered as Python's str.lower() does (pylower.c).
**  1. The raw text is scanned for literal (special/added) tokens, leftmost
**     then longest, case-sensitively; each becomes its own token.
**  2. The pieces between them go through normalize.c, which calls
**     on_word() for every pre-tokenised word.
**  3. on_word() cuts the word greedily, longest prefix first, the later
**     pieces looked up with the "##" prefix.  A word of more than
**     max_input_chars_per_word characters, or one with a piece that is in
**     no form in the vocabulary, becomes a single [UNK] spanning the word.
**  4. Only the first `keep` tokens are stored, all are counted (for
**     n_untruncated), so a 10 MB text truncated to 512 allocates little.
**
** All work memory hangs off the wp_encoding (struct wp_scratch), so any
** number of threads can encode with one tokenizer.
*/
#include "wp_internal.h"
#include "se_alloc.h"
#include <string.h>

/* Tokens of one sequence before [CLS]/[SEP] are added. */
typedef struct tok_list {
  int32_t *ids;     /* (cap) token ids */
  int32_t *offs;    /* (2*cap) original byte spans */
  int64_t count;    /* tokens produced (stored or not) */
  int64_t keep;     /* store at most this many */
  size_t cap;       /* allocated tokens */
} tok_list;

struct wp_scratch {
  wp_norm *norm;           /* normaliser state and its buffers */
  tok_list list[2];        /* first and second sequence */
  int32_t *piece_id;       /* (piece_cap) pieces of the current word */
  int32_t *piece_span;     /* (2*piece_cap) their spans */
  uint32_t *hash;          /* (piece_cap+1) hash of prefix + word[ci..cj) by cj */
  size_t piece_cap;        /* allocated pieces */
  wp_lowered lowered;      /* the text after Python's lower(), with opts.python_lower */
  wp_spm_state *spm;       /* a Unigram model's normaliser state and its buffers */
  wp_bl_state *bl;         /* a BPE model's pre-tokenizer state and its buffers */
};

typedef struct seq_ctx {
  const wp_tokenizer *t;   /* the tokenizer */
  struct wp_scratch *sc;   /* scratch of this call */
  tok_list *out;           /* where tokens go */
  size_t plen;             /* strlen(continuing_subword_prefix) */
} seq_ctx;

static int list_push(tok_list *l, int32_t id, int32_t s, int32_t e) {
  if (l->count < l->keep) {
    size_t i = (size_t)l->count;
    if (i >= l->cap) {
      size_t cap = l->cap ? l->cap * 2 : 256;
      int32_t *ids = se_realloc(l->ids, cap * sizeof *ids);
      if (!ids) return 1;
      l->ids = ids;
      int32_t *offs = se_realloc(l->offs, 2 * cap * sizeof *offs);
      if (!offs) return 1;
      l->offs = offs;
      l->cap = cap;
    }
    l->ids[i] = id;
    l->offs[2 * i] = s;
    l->offs[2 * i + 1] = e;
  }
  l->count++;
  return 0;
}

static int on_word(void *vctx, const wp_word *w) {
  seq_ctx *c = vctx;
  const wp_tokenizer *t = c->t;
  struct wp_scratch *sc = c->sc;
  if (w->literal_id >= 0) return list_push(c->out, w->literal_id, w->start, w->end);
  if (!w->bytes) return list_push(c->out, t->unk_id, w->start, w->end);
  if ((size_t)w->nchars > sc->piece_cap) {
    size_t cap = sc->piece_cap ? sc->piece_cap : 128;
    while (cap < (size_t)w->nchars) cap *= 2;
    int32_t *id = se_realloc(sc->piece_id, cap * sizeof *id);
    if (!id) return 1;
    sc->piece_id = id;
    int32_t *sp = se_realloc(sc->piece_span, 2 * cap * sizeof *sp);
    if (!sp) return 1;
    sc->piece_span = sp;
    uint32_t *h = se_realloc(sc->hash, (cap + 1) * sizeof *h);
    if (!h) return 1;
    sc->hash = h;
    sc->piece_cap = cap;
  }
  const char *prefix = t->opts.continuing_subword_prefix;
  size_t plen = c->plen;
  const char *b = (const char *)w->bytes;
  int32_t np = 0;
  for (int32_t ci = 0; ci < w->nchars;) {
    int32_t bs = w->cstart[ci];
    size_t pre = ci > 0 ? plen : 0;
    /* Hash every candidate (prefix + word[ci..cj)) in one pass, stopping
    ** at the longest token length, then try them longest first. */
    uint32_t h = wp_fnv1a(WP_FNV_SEED, prefix, pre);
    int32_t top = ci;
    while (top < w->nchars && (size_t)(w->cstart[top + 1] - bs) + pre <= t->max_token_len) {
      h = wp_fnv1a(h, b + w->cstart[top], (size_t)(w->cstart[top + 1] - w->cstart[top]));
      sc->hash[++top] = h;
    }
    int32_t id = -1, cj = top;
    for (; cj > ci; cj--) {
      id = wp_tok_lookup_h(t, sc->hash[cj], prefix, pre, b + bs, (size_t)(w->cstart[cj] - bs));
      if (id >= 0) break;
    }
    if (id < 0) return list_push(c->out, t->unk_id, w->start, w->end);
    sc->piece_id[np] = id;
    sc->piece_span[2 * np] = w->span[2 * ci];
    sc->piece_span[2 * np + 1] = w->span[2 * (cj - 1) + 1];
    np++;
    ci = cj;
  }
  for (int32_t i = 0; i < np; i++)
    if (list_push(c->out, sc->piece_id[i], sc->piece_span[2 * i], sc->piece_span[2 * i + 1])) return 1;
  return 0;
}

static int on_token(void *vctx, int32_t id, int32_t start, int32_t end) {
  return list_push(((seq_ctx *)vctx)->out, id, start, end);
}

/* The text between literal tokens, through the tokenizer's own pipeline. */
static wp_status encode_segment(seq_ctx *c, const char *text, size_t len, int32_t base) {
  if (c->t->uni) return wp_spm_encode(&c->sc->spm, c->t, text, len, base, on_token, c);
  if (c->t->bpe) return wp_bl_encode(&c->sc->bl, c->t, text, len, base, on_token, c);
  return wp_normalize(&c->sc->norm, c->t, text, len, base, on_word, c);
}

const wp_literal *wp_literal_at(const wp_literal *lits, int n, const char *text, size_t i, size_t len) {
  const wp_literal *best = NULL;
  for (int k = 0; k < n; k++) {
    const wp_literal *l = &lits[k];
    if (text[i] == l->text[0] && l->len <= len - i && (!best || l->len > best->len) &&
        memcmp(text + i, l->text, l->len) == 0)
      best = l;
  }
  return best;
}

void wp_literal_span(const wp_literal *lit, const char *text, size_t seg, size_t i, size_t len, size_t *start,
                     size_t *end) {
  const unsigned char *u = (const unsigned char *)text;
  size_t a = i, b = i + lit->len;
  uint32_t cp;
  while (lit->lstrip && a > seg) {
    size_t j = wpu_decode_before(u, a, &cp);
    if (!wp_strip_takes(lit->lstrip, cp)) break;
    a = j;
  }
  while (lit->rstrip && b < len) {
    int n = wpu_decode(u + b, &cp);
    if (!wp_strip_takes(lit->rstrip, cp)) break;
    b += (size_t)n;
  }
  *start = a, *end = b;
}

/* Encode one sequence (valid UTF-8) into sc->list[which]. */
static wp_status encode_text(const wp_tokenizer *t, struct wp_scratch *sc, int which,
                             const char *text, size_t len, int64_t keep) {
  tok_list *l = &sc->list[which];
  l->count = 0;
  l->keep = keep;
  seq_ctx c = {t, sc, l, strlen(t->opts.continuing_subword_prefix)};
  size_t seg = 0;
  wp_status rc;
  if (t->n_literals) {
    for (size_t i = 0; i < len;) {
      if (t->literal_byte >= 0) { /* skip to the next candidate with memchr */
        const char *q = memchr(text + i, t->literal_byte, len - i);
        if (!q) break;
        i = (size_t)(q - text);
      }
      unsigned char ch = (unsigned char)text[i];
      const wp_literal *lit = NULL;
      if (t->literal_first[ch >> 3] & (1u << (ch & 7))) lit = wp_literal_at(t->literals, t->n_literals, text, i, len);
      if (!lit) { i++; continue; }
      size_t start, end;
      wp_literal_span(lit, text, seg, i, len, &start, &end);
      if (start > seg && (rc = encode_segment(&c, text + seg, start - seg, (int32_t)seg)) != WP_OK) return rc;
      if (list_push(l, lit->id, (int32_t)start, (int32_t)end)) return WP_ERR_NOMEM;
      i = seg = end;
    }
  }
  if (len > seg && (rc = encode_segment(&c, text + seg, len - seg, (int32_t)seg)) != WP_OK) return rc;
  /* RobertaProcessing's trim_offsets, on the offsets into the text it was given */
  wp_bl_trim_offsets(t, text, l->ids, l->offs, l->count < l->keep ? l->count : l->keep);
  return WP_OK;
}

/* encode_text, first through Python's lower() when the options say so
** (sentence-transformers' do_lower_case), offsets mapped back to `text`.
** WP_ERR_NOMEM, or WP_ERR_ARG for a text too long once lowered. */
static wp_status encode_lowered(const wp_tokenizer *t, struct wp_scratch *sc, int which,
                                const char *text, size_t len, int64_t keep) {
  if (!t->opts.python_lower) return encode_text(t, sc, which, text, len, keep);
  wp_lowered *lo = &sc->lowered;
  wp_status rc = wp_py_lower(lo, text, len);
  if (rc == WP_OK) rc = encode_text(t, sc, which, lo->text, lo->len, keep);
  if (rc != WP_OK) return rc;
  tok_list *l = &sc->list[which];
  int64_t stored = l->count < l->keep ? l->count : l->keep;
  for (int64_t i = 0; i < stored; i++) {
    int32_t s = l->offs[2 * i], e = l->offs[2 * i + 1];
    l->offs[2 * i] = wp_lowered_start(lo, s);
    l->offs[2 * i + 1] = e > s ? wp_lowered_end(lo, e) : l->offs[2 * i];
  }
  return WP_OK;
}

/* Python's str.isspace(): Rust's whitespace and U+001C..U+001F. */
static int py_space(uint32_t cp) { return (wpu_flags(cp) & WPU_SPACE) || (cp >= 0x1C && cp <= 0x1F); }

/* encode_lowered, first through Python's strip() when the options say so
** (sentence-transformers), offsets still into `text`. */
static wp_status encode_seq(const wp_tokenizer *t, struct wp_scratch *sc, int which,
                            const char *text, size_t len, int64_t keep) {
  size_t a = 0, b = len;
  uint32_t cp;
  if (t->opts.python_strip) {
    while (a < b) {
      int n = wpu_decode((const unsigned char *)text + a, &cp);
      if (!py_space(cp)) break;
      a += (size_t)n;
    }
    while (b > a) {
      size_t j = wpu_decode_before((const unsigned char *)text, b, &cp);
      if (!py_space(cp)) break;
      b = j;
    }
  }
  wp_status rc = encode_lowered(t, sc, which, text + a, b - a, keep);
  if (rc != WP_OK || a == 0) return rc;
  tok_list *l = &sc->list[which];
  int64_t stored = l->count < l->keep ? l->count : l->keep;
  for (int64_t i = 0; i < 2 * stored; i++) l->offs[i] += (int32_t)a;
  return WP_OK;
}

static wp_status reserve(wp_encoding *out, int64_t n) {
  if (n <= out->cap) return WP_OK;
  int64_t cap = out->cap ? out->cap : 64;
  while (cap < n) cap *= 2;
  int32_t *ids = se_realloc(out->ids, (size_t)cap * sizeof *ids);
  if (!ids) return WP_ERR_NOMEM;
  out->ids = ids;
  int32_t *ty = se_realloc(out->type_ids, (size_t)cap * sizeof *ty);
  if (!ty) return WP_ERR_NOMEM;
  out->type_ids = ty;
  int32_t *of = se_realloc(out->offsets, 2 * (size_t)cap * sizeof *of);
  if (!of) return WP_ERR_NOMEM;
  out->offsets = of;
  out->cap = (int32_t)cap;
  return WP_OK;
}

static void put(wp_encoding *out, int32_t id, int32_t type, int32_t s, int32_t e) {
  int32_t i = out->n++;
  out->ids[i] = id;
  out->type_ids[i] = type;
  out->offsets[2 * i] = s;
  out->offsets[2 * i + 1] = e;
}

static void put_list(wp_encoding *out, const tok_list *l, int64_t n, int32_t type) {
  for (int64_t i = 0; i < n; i++) put(out, l->ids[i], type, l->offs[2 * i], l->offs[2 * i + 1]);
}

/* Argument and UTF-8 checks shared by both entry points. */
static wp_status check_text(const char *text, size_t len, const char *which, wp_error *err) {
  if (!text && len) {
    wp_set_error(err, WP_ERR_ARG, "NULL text with length %zu%s", len, which);
    return WP_ERR_ARG;
  }
  if (len > (size_t)INT32_MAX - 8) {
    wp_set_error(err, WP_ERR_ARG, "text is too long (%zu bytes, limit %d)%s", len, INT32_MAX - 8, which);
    return WP_ERR_ARG;
  }
  size_t ok = len ? wpu_valid_prefix((const unsigned char *)text, len) : 0;
  if (ok != len) {
    wp_set_error(err, WP_ERR_UTF8, "invalid UTF-8 at byte %zu%s", ok, which);
    return WP_ERR_UTF8;
  }
  return WP_OK;
}

static wp_status prepare(const wp_tokenizer *tok, wp_encoding *out, wp_error *err) {
  if (!tok || !out) {
    wp_set_error(err, WP_ERR_ARG, "NULL tokenizer or encoding");
    return WP_ERR_ARG;
  }
  out->n = 0;
  out->n_untruncated = 0;
  if (!out->scratch && !(out->scratch = se_calloc(1, sizeof *out->scratch))) {
    wp_set_error(err, WP_ERR_NOMEM, "out of memory encoding text");
    return WP_ERR_NOMEM;
  }
  return WP_OK;
}

static wp_status nomem(wp_encoding *out, wp_error *err) {
  out->n = 0;
  wp_set_error(err, WP_ERR_NOMEM, "out of memory encoding text");
  return WP_ERR_NOMEM;
}

/* The error for encode_seq's status. */
static wp_status seq_failed(wp_encoding *out, wp_status rc, const char *which, wp_error *err) {
  if (rc == WP_ERR_NOMEM) return nomem(out, err);
  out->n = 0;
  if (rc == WP_ERR_FORMAT) {
    wp_set_error(err, rc, "the tokenizer's precompiled_charsmap is corrupt (a lookup for %s left it)", which);
    return rc;
  }
  wp_set_error(err, WP_ERR_ARG, "%s is too long once lowercased or normalized (limit %d bytes)", which,
               INT32_MAX - 8);
  return rc;
}

wp_status wp_encode(const wp_tokenizer *tok, const char *text, size_t len,
                    int32_t max_length, wp_encoding *out, wp_error *err) {
  wp_status rc = prepare(tok, out, err);
  if (rc != WP_OK) return rc;
  if (max_length > 0 && max_length < 2) {
    wp_set_error(err, WP_ERR_ARG, "max_length %d is too small (minimum 2)", max_length);
    return WP_ERR_ARG;
  }
  if ((rc = check_text(text, len, "", err)) != WP_OK) return rc;
  struct wp_scratch *sc = out->scratch;
  int64_t keep = max_length > 0 ? max_length - 2 : INT64_MAX;
  if ((rc = encode_seq(tok, sc, 0, text, len, keep)) != WP_OK) return seq_failed(out, rc, "text", err);
  int64_t n = sc->list[0].count < keep ? sc->list[0].count : keep;
  if (n + 2 > INT32_MAX || reserve(out, n + 2) != WP_OK) return nomem(out, err);
  put(out, tok->cls_id, 0, 0, 0);
  put_list(out, &sc->list[0], n, 0);
  put(out, tok->sep_id, 0, 0, 0);
  out->n_untruncated = sc->list[0].count > INT32_MAX ? INT32_MAX : (int32_t)sc->list[0].count;
  return WP_OK;
}

/* Hugging Face's LongestFirst (tokenizers/src/utils/truncation.rs): with
** n1 <= n2, keep the shorter whole if the longer can take the rest,
** else split max evenly, the odd token going to the longer. */
static void longest_first(int64_t len1, int64_t len2, int64_t max, int64_t *k1, int64_t *k2) {
  if (len1 + len2 <= max) { *k1 = len1; *k2 = len2; return; }
  int swap = len1 > len2;
  int64_t n1 = swap ? len2 : len1, n2;
  if (n1 > max) n2 = n1;
  else n2 = n1 > max - n1 ? n1 : max - n1;
  if (n1 + n2 > max) {
    n1 = max / 2;
    n2 = n1 + max % 2;
  }
  *k1 = swap ? n2 : n1;
  *k2 = swap ? n1 : n2;
}

wp_status wp_encode_pair(const wp_tokenizer *tok, const char *a, size_t alen,
                         const char *b, size_t blen, int32_t max_length,
                         wp_encoding *out, wp_error *err) {
  wp_status rc = prepare(tok, out, err);
  if (rc != WP_OK) return rc;
  if (tok->pair_layout == WP_PAIR_UNSUPPORTED) {
    wp_set_error(err, WP_ERR_ARG, "this tokenizer's pair template (tokenizer.json post_processor \"pair\") is "
                 "neither BERT's nor RoBERTa's; pairs are not supported");
    return WP_ERR_ARG;
  }
  const int added = tok->roberta_pair ? 4 : 3, tb = tok->roberta_pair ? 0 : 1;
  if (max_length > 0 && max_length < added) {
    wp_set_error(err, WP_ERR_ARG, "max_length %d is too small for a pair (minimum %d)", max_length,
                 added);
    return WP_ERR_ARG;
  }
  if ((rc = check_text(a, alen, "", err)) != WP_OK) return rc;
  if ((rc = check_text(b, blen, " of the second text", err)) != WP_OK) return rc;
  struct wp_scratch *sc = out->scratch;
  int64_t max = max_length > 0 ? max_length - added : INT64_MAX;
  /* Neither sequence can keep more than max tokens, so store no more. */
  if ((rc = encode_seq(tok, sc, 0, a, alen, max)) != WP_OK) return seq_failed(out, rc, "text", err);
  if ((rc = encode_seq(tok, sc, 1, b, blen, max)) != WP_OK)
    return seq_failed(out, rc, "the second text", err);
  int64_t na = sc->list[0].count, nb = sc->list[1].count, ka = na, kb = nb;
  if (max_length > 0) longest_first(na, nb, max, &ka, &kb);
  if (ka + kb + added > INT32_MAX || reserve(out, ka + kb + added) != WP_OK) return nomem(out, err);
  put(out, tok->cls_id, 0, 0, 0);
  put_list(out, &sc->list[0], ka, 0);
  put(out, tok->sep_id, 0, 0, 0);
  if (tok->roberta_pair) put(out, tok->sep_id, 0, 0, 0);
  put_list(out, &sc->list[1], kb, tb);
  put(out, tok->sep_id, tb, 0, 0);
  out->n_untruncated = na + nb > INT32_MAX ? INT32_MAX : (int32_t)(na + nb);
  return WP_OK;
}

void wp_encoding_free(wp_encoding *enc) {
  if (!enc) return;
  struct wp_scratch *sc = enc->scratch;
  if (sc) {
    wp_norm_free(sc->norm);
    for (int i = 0; i < 2; i++) {
      se_free(sc->list[i].ids);
      se_free(sc->list[i].offs);
    }
    se_free(sc->piece_id);
    se_free(sc->piece_span);
    se_free(sc->hash);
    wp_lowered_free(&sc->lowered);
    wp_spm_state_free(sc->spm);
    wp_bl_state_free(sc->bl);
    se_free(sc);
  }
  se_free(enc->ids);
  se_free(enc->type_ids);
  se_free(enc->offsets);
  memset(enc, 0, sizeof *enc);
}
