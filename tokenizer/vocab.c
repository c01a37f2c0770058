/*
** vocab.c — the vocabulary: a hash table from token text to id, the
** vocab.txt loader, wp_load_dir, and the tokenizer's accessors.
**
**   wp_tokenizer *tok; wp_error err;
**   wp_load_vocab_txt("bert/vocab.txt", NULL, &tok, &err);  // uncased defaults
**   int32_t id = wp_token_to_id(tok, "hello", 5);           // 7592
**
** vocab.txt format (shared TOKENIZER-NOTES rule 9): one token per line,
** id = line number from 0.  Lines split on '\n' only — bert-base-chinese
** has tokens that are U+2028 — and lose one trailing '\r'.  A final '\n'
** does not start another line.  Empty lines are tokens (unmatchable ones).
** A text seen twice keeps the later id, as the crate's HashMap insert does.
**
** The table is open addressing with linear probing over FNV-1a hashes,
** kept at most half full, so a lookup is a hash plus one or two probes and
** never scans.  Token texts live back to back in one arena; ids index
** arrays of (offset, length) for the reverse mapping.
*/
#include "wp_internal.h"
#include "se_alloc.h"
#include "se_file.h"
#include <stdio.h>
#include <string.h>

static const char *const special_text[WP_SPECIAL_COUNT] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};

void wp_set_error(wp_error *err, wp_status code, const char *fmt, ...) {
  if (!err) return;
  err->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
}

const char *wp_status_string(wp_status s) {
  switch (s) {
    case WP_OK: return "ok";
    case WP_ERR_NOMEM: return "out of memory";
    case WP_ERR_IO: return "i/o error";
    case WP_ERR_FORMAT: return "bad or unsupported file format";
    case WP_ERR_UTF8: return "invalid UTF-8";
    case WP_ERR_ARG: return "bad argument";
  }
  return "unknown status";
}

void wp_options_default(wp_options *o) {
  memset(o, 0, sizeof *o);
  o->lowercase = 1;
  o->strip_accents = -1;
  o->clean_text = 1;
  o->handle_chinese_chars = 1;
  o->max_input_chars_per_word = 100;
  strcpy(o->continuing_subword_prefix, "##");
  strcpy(o->unk_token, "[UNK]");
}

wp_tokenizer *wp_tok_new(void) {
  wp_tokenizer *t = se_calloc(1, sizeof *t);
  if (!t) return NULL;
  wp_options_default(&t->opts);
  for (int i = 0; i < WP_SPECIAL_COUNT; i++) t->special[i] = -1;
  t->unk_id = t->cls_id = t->sep_id = -1;
  return t;
}

void wp_free(wp_tokenizer *t) {
  if (!t) return;
  wp_unigram_free(t->uni);
  wp_bpe_free(t->bpe);
  for (int i = 0; i < t->n_literals; i++) se_free(t->literals[i].text);
  se_free(t->literals);
  for (int i = 0; i < t->n_nlits; i++) se_free(t->nlits[i].text), se_free(t->nlits[i].norm);
  se_free(t->nlits);
  se_free(t->arena);
  se_free(t->tok_off);
  se_free(t->tok_len);
  se_free(t->slots);
  se_free(t->slot_hash);
  se_free(t);
}

static int tok_equal(const wp_tokenizer *t, int32_t id, const char *a, size_t alen,
                     const char *b, size_t blen) {
  if (t->tok_len[id] != alen + blen) return 0;
  const char *s = t->arena + t->tok_off[id];
  return memcmp(s, a, alen) == 0 && memcmp(s + alen, b, blen) == 0;
}

int32_t wp_tok_lookup(const wp_tokenizer *t, const char *a, size_t alen,
                      const char *b, size_t blen) {
  return wp_tok_lookup_h(t, wp_fnv1a(wp_fnv1a(WP_FNV_SEED, a, alen), b, blen), a, alen, b, blen);
}

int32_t wp_tok_lookup_h(const wp_tokenizer *t, uint32_t h, const char *a, size_t alen,
                        const char *b, size_t blen) {
  if (!t->n_slots) return -1;
  size_t mask = t->n_slots - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    int32_t id = t->slots[i];
    if (id < 0) return -1;
    if (t->slot_hash[i] == h && tok_equal(t, id, a, alen, b, blen)) return id;
  }
}

static wp_status grow_slots(wp_tokenizer *t) {
  size_t n = t->n_slots ? t->n_slots * 2 : 1024;
  int32_t *slots = se_malloc(n * sizeof *slots);
  uint32_t *hash = se_malloc(n * sizeof *hash);
  if (!slots || !hash) { se_free(slots); se_free(hash); return WP_ERR_NOMEM; }
  memset(slots, 0xff, n * sizeof *slots); /* every slot -1 */
  for (size_t i = 0; i < t->n_slots; i++) {
    if (t->slots[i] < 0) continue;
    size_t j = t->slot_hash[i] & (n - 1);
    while (slots[j] >= 0) j = (j + 1) & (n - 1);
    slots[j] = t->slots[i];
    hash[j] = t->slot_hash[i];
  }
  se_free(t->slots);
  se_free(t->slot_hash);
  t->slots = slots;
  t->slot_hash = hash;
  t->n_slots = n;
  return WP_OK;
}

wp_status wp_tok_add(wp_tokenizer *t, const char *tok, size_t len, int32_t id, int in_table) {
  if (id < 0 || id >= WP_MAX_TOKEN_ID || len > WP_MAX_TOKEN_BYTES) return WP_ERR_FORMAT;
  if ((t->n_entries + 1) * 2 > t->n_slots && grow_slots(t) != WP_OK) return WP_ERR_NOMEM;
  if (id >= t->cap_ids) {
    int32_t cap = t->cap_ids ? t->cap_ids : 1024;
    while (cap <= id) cap *= 2;
    uint32_t *off = se_realloc(t->tok_off, (size_t)cap * sizeof *off);
    if (!off) return WP_ERR_NOMEM;
    t->tok_off = off;
    uint32_t *ln = se_realloc(t->tok_len, (size_t)cap * sizeof *ln);
    if (!ln) return WP_ERR_NOMEM;
    t->tok_len = ln;
    for (int32_t i = t->cap_ids; i < cap; i++) { off[i] = UINT32_MAX; ln[i] = 0; }
    t->cap_ids = cap;
  }
  if (!t->arena || t->arena_len + len > t->arena_cap) { /* non-NULL even for empty tokens */
    size_t cap = t->arena_cap ? t->arena_cap : 65536;
    while (cap < t->arena_len + len) cap *= 2;
    char *a = se_realloc(t->arena, cap);
    if (!a) return WP_ERR_NOMEM;
    t->arena = a;
    t->arena_cap = cap;
  }
  /* An id given a second text (tokenizer.json vocab plus added_tokens)
  ** keeps the first text for id_to_token; the table gets both. */
  if (t->tok_off[id] == UINT32_MAX) {
    memcpy(t->arena + t->arena_len, tok, len);
    t->tok_off[id] = (uint32_t)t->arena_len;
    t->tok_len[id] = (uint32_t)len;
    t->arena_len += len;
  } else if (!tok_equal(t, id, tok, len, "", 0)) {
    return WP_OK; /* keep the id's first text; the rare alias is dropped */
  }
  if (id >= t->n_ids) t->n_ids = id + 1;
  if (!in_table) return WP_OK;
  if (len > t->max_token_len) t->max_token_len = len;
  uint32_t h = wp_fnv1a(WP_FNV_SEED, tok, len);
  size_t mask = t->n_slots - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    int32_t old = t->slots[i];
    if (old < 0) {
      t->slots[i] = id;
      t->slot_hash[i] = h;
      t->n_entries++;
      return WP_OK;
    }
    if (t->slot_hash[i] == h && tok_equal(t, old, tok, len, "", 0)) {
      t->slots[i] = id; /* later duplicate overrides */
      return WP_OK;
    }
  }
}

/* The entry of list[0..n) whose text is text[0..len), or NULL. */
static wp_literal *find_literal(wp_literal *list, int n, const char *text, size_t len) {
  for (int i = 0; i < n; i++)
    if (list[i].len == len && memcmp(list[i].text, text, len) == 0) return &list[i];
  return NULL;
}

/* Give text the id in *list (n entries), appending it if it is new (*added
** set); *entry is its literal.  Both lists together hold at most
** WP_MAX_LITERALS. */
static wp_status put_literal(wp_tokenizer *t, wp_literal **list, int *n, const char *text, size_t len,
                             int32_t id, wp_literal **entry, int *added) {
  wp_literal *seen = find_literal(*list, *n, text, len);
  *added = 0;
  if (seen) {
    seen->id = id;
    *entry = seen;
    return WP_OK;
  }
  if (t->n_literals + t->n_nlits >= WP_MAX_LITERALS) return WP_ERR_FORMAT;
  wp_literal *l = se_realloc(*list, (size_t)(*n + 1) * sizeof *l);
  if (!l) return WP_ERR_NOMEM;
  *list = l;
  memset(&l[*n], 0, sizeof *l);
  if (!(l[*n].text = se_strndup(text, len))) return WP_ERR_NOMEM;
  l[*n].len = len;
  l[*n].id = id;
  *entry = &l[(*n)++];
  *added = 1;
  return WP_OK;
}

/* A BPE model's normaliser: NFC, or none. */
static wp_status wp_nfc_or_copy(const wp_tokenizer *t, const char *text, size_t len, char **out,
                                size_t *out_len) {
  if (t->bpe->nfc) return wp_nfc_string(text, len, out, out_len);
  *out_len = len;
  return (*out = se_strndup(text, len)) ? WP_OK : WP_ERR_NOMEM;
}

/* All or nothing: on failure the previous texts stay. */
wp_status wp_tok_normalize_literals(wp_tokenizer *t) {
  if (t->n_nlits == 0) return WP_OK;
  char **norm = se_calloc((size_t)t->n_nlits, sizeof *norm);
  size_t *nlen = se_calloc((size_t)t->n_nlits, sizeof *nlen);
  wp_status rc = norm && nlen ? WP_OK : WP_ERR_NOMEM;
  for (int i = 0; i < t->n_nlits && rc == WP_OK; i++)
    rc = t->uni   ? wp_spm_normalize_string(t, t->nlits[i].text, t->nlits[i].len, &norm[i], &nlen[i])
         : t->bpe ? wp_nfc_or_copy(t, t->nlits[i].text, t->nlits[i].len, &norm[i], &nlen[i])
                  : wp_normalize_string(t, t->nlits[i].text, t->nlits[i].len, &norm[i], &nlen[i]);
  if (rc == WP_OK) {
    t->nlit_max = 0;
    for (int i = 0; i < t->n_nlits; i++) {
      se_free(t->nlits[i].norm);
      t->nlits[i].norm = norm[i];
      t->nlits[i].norm_len = nlen[i];
      if (nlen[i] > t->nlit_max) t->nlit_max = nlen[i];
    }
  } else if (norm) {
    for (int i = 0; i < t->n_nlits; i++) se_free(norm[i]);
  }
  se_free(norm);
  se_free(nlen);
  return rc;
}

wp_status wp_tok_add_literal(wp_tokenizer *t, const char *text, size_t len, int32_t id, int flags) {
  if (len == 0) return WP_OK; /* an empty literal would match everywhere */
  int added;
  /* a normalised token's normalised text is wp_tok_finish's job */
  int normalized = (flags & WP_LIT_NORMALIZED) != 0;
  wp_literal **list = normalized ? &t->nlits : &t->literals;
  int *n = normalized ? &t->n_nlits : &t->n_literals;
  wp_literal *l;
  wp_status rc = put_literal(t, list, n, text, len, id, &l, &added);
  if (rc != WP_OK) return rc;
  int kind = flags & WP_LIT_ASCII_STRIP ? WP_STRIP_ASCII : WP_STRIP_UNICODE;
  l->lstrip = flags & WP_LIT_LSTRIP ? kind : WP_STRIP_NONE;
  l->rstrip = flags & WP_LIT_RSTRIP ? kind : WP_STRIP_NONE;
  if (normalized || !added) return rc;
  t->literal_first[(unsigned char)text[0] >> 3] |= (unsigned char)(1u << (text[0] & 7));
  t->literal_byte = (t->n_literals == 1 || t->literal_byte == (unsigned char)text[0]) ? (unsigned char)text[0] : -1;
  return WP_OK;
}

/* Id of a token text in the vocabulary or among the literals, or -1. */
static int32_t find_token(const wp_tokenizer *t, const char *s) {
  return wp_token_to_id(t, s, strlen(s));
}

wp_status wp_tok_finish(wp_tokenizer *t, const char *path, wp_error *err) {
  if (t->n_entries == 0) {
    wp_set_error(err, WP_ERR_FORMAT, "empty vocabulary in %s", path);
    return WP_ERR_FORMAT;
  }
  for (int i = 0; i < WP_SPECIAL_COUNT; i++) t->special[i] = find_token(t, special_text[i]);
  /* A Unigram model names its unknown piece by id (its text may recur); a
  ** byte-level BPE model usually has none (every byte is a token). */
  t->unk_id = t->uni ? t->uni->unk_id : t->bpe ? t->bpe->unk_id : find_token(t, t->opts.unk_token);
  if (t->unk_id < 0 && !t->bpe) {
    wp_set_error(err, WP_ERR_FORMAT, "vocabulary in %s lacks the unknown token '%s'",
                 path, t->opts.unk_token);
    return WP_ERR_FORMAT;
  }
  wp_status nrc = wp_tok_normalize_literals(t);
  if (nrc == WP_ERR_FORMAT) { /* a Unigram charsmap that a lookup left */
    wp_set_error(err, nrc, "the precompiled_charsmap in %s is corrupt", path);
    return nrc;
  }
  if (nrc != WP_OK) {
    wp_set_error(err, WP_ERR_NOMEM, "out of memory loading %s", path);
    return WP_ERR_NOMEM;
  }
  if (t->cls_id < 0) t->cls_id = t->special[WP_CLS];
  if (t->sep_id < 0) t->sep_id = t->special[WP_SEP];
  if (t->cls_id < 0 || t->sep_id < 0) {
    wp_set_error(err, WP_ERR_FORMAT, "vocabulary in %s lacks the token '%s'", path,
                 t->cls_id < 0 ? "[CLS]" : "[SEP]");
    return WP_ERR_FORMAT;
  }
  return WP_OK;
}

/* The whole file, under se_file.h's policy (regular files only, links
** followed, at most WP_MAX_FILE_BYTES read). */
wp_status wp_read_file(const char *path, char **data, size_t *len, wp_error *err) {
  char msg[sizeof err->msg];
  wp_status rc = WP_OK;
  switch (se_file_read(path, WP_MAX_FILE_BYTES, data, len, msg, sizeof msg)) {
    case SE_FILE_OK: return WP_OK;
    case SE_FILE_MISSING:
    case SE_FILE_IO: rc = WP_ERR_IO; break;
    case SE_FILE_TOO_BIG: rc = WP_ERR_FORMAT; break;
    case SE_FILE_NOMEM: rc = WP_ERR_NOMEM; break;
  }
  wp_set_error(err, rc, "%s", msg);
  return rc;
}

static wp_status check_options(const wp_options *o, const char *path, wp_error *err) {
  if (o->max_input_chars_per_word < 1 ||
      memchr(o->continuing_subword_prefix, 0, sizeof o->continuing_subword_prefix) == NULL ||
      memchr(o->unk_token, 0, sizeof o->unk_token) == NULL) {
    wp_set_error(err, WP_ERR_ARG, "bad tokenizer options for %s", path);
    return WP_ERR_ARG;
  }
  return WP_OK;
}

static wp_status load_vocab_txt(const char *data, size_t len, const wp_options *opts,
                                const char *path, wp_tokenizer **out, wp_error *err) {
  *out = NULL;
  wp_tokenizer *t = wp_tok_new();
  wp_status rc = WP_ERR_NOMEM;
  if (!t) goto nomem;
  if (opts) t->opts = *opts;
  if ((rc = check_options(&t->opts, path, err)) != WP_OK) goto fail;
  int32_t line = 0;
  for (size_t pos = 0; pos < len; line++) {
    const char *s = data + pos;
    const char *nl = memchr(s, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - s) : len - pos;
    pos += n + (nl != NULL);
    if (n && s[n - 1] == '\r') n--;
    if (n > WP_MAX_TOKEN_BYTES) {
      wp_set_error(err, WP_ERR_FORMAT, "line %d of %s is %zu bytes long (limit %d)",
                   line + 1, path, n, WP_MAX_TOKEN_BYTES);
      rc = WP_ERR_FORMAT;
      goto fail;
    }
    if (wpu_valid_prefix((const unsigned char *)s, n) != n) {
      wp_set_error(err, WP_ERR_FORMAT, "invalid UTF-8 in line %d of %s", line + 1, path);
      rc = WP_ERR_FORMAT;
      goto fail;
    }
    if (line >= WP_MAX_TOKEN_ID) {
      wp_set_error(err, WP_ERR_FORMAT, "%s has more than %d lines", path, WP_MAX_TOKEN_ID);
      rc = WP_ERR_FORMAT;
      goto fail;
    }
    if ((rc = wp_tok_add(t, s, n, line, 1)) != WP_OK) goto nomem;
  }
  for (int i = 0; i < WP_SPECIAL_COUNT; i++) {
    int32_t id = wp_tok_lookup(t, special_text[i], strlen(special_text[i]), "", 0);
    if (id >= 0 && (rc = wp_tok_add_literal(t, special_text[i], strlen(special_text[i]), id, 0)) != WP_OK)
      goto nomem;
  }
  if ((rc = wp_tok_finish(t, path, err)) != WP_OK) goto fail;
  *out = t;
  return WP_OK;
nomem:
  rc = WP_ERR_NOMEM;
  wp_set_error(err, rc, "out of memory loading %s", path);
fail:
  wp_free(t);
  return rc;
}

wp_status wp_load_vocab_txt_mem(const char *data, size_t len, const wp_options *opts,
                                wp_tokenizer **out, wp_error *err) {
  return load_vocab_txt(data, len, opts, "(memory)", out, err);
}

wp_status wp_load_vocab_txt(const char *path, const wp_options *opts, wp_tokenizer **out,
                            wp_error *err) {
  char *data;
  size_t len;
  *out = NULL;
  wp_status rc = wp_read_file(path, &data, &len, err);
  if (rc != WP_OK) return rc;
  rc = load_vocab_txt(data, len, opts, path, out, err);
  se_free(data);
  return rc;
}

wp_status wp_load_tokenizer_json_mem(const char *data, size_t len, wp_tokenizer **out,
                                     wp_error *err) {
  return wp_parse_tokenizer_json(data, len, "(memory)", out, err);
}

wp_status wp_load_tokenizer_json(const char *path, wp_tokenizer **out, wp_error *err) {
  char *data;
  size_t len;
  *out = NULL;
  wp_status rc = wp_read_file(path, &data, &len, err);
  if (rc != WP_OK) return rc;
  rc = wp_parse_tokenizer_json(data, len, path, out, err);
  se_free(data);
  return rc;
}

wp_status wp_load_dir(const char *dir, wp_tokenizer **out, wp_error *err) {
  char path[4096];
  *out = NULL;
  if (snprintf(path, sizeof path, "%s/tokenizer.json", dir) >= (int)sizeof path) {
    wp_set_error(err, WP_ERR_ARG, "model directory path is too long: %.100s...", dir);
    return WP_ERR_ARG;
  }
  if (se_file_present(path)) return wp_load_tokenizer_json(path, out, err);
  wp_options opts;
  wp_options_default(&opts);
  snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
  if (se_file_present(path)) {
    char *data;
    size_t len;
    wp_status rc = wp_read_file(path, &data, &len, err);
    if (rc != WP_OK) return rc;
    rc = wp_parse_tokenizer_config(data, len, path, &opts, err);
    se_free(data);
    if (rc != WP_OK) return rc;
  }
  snprintf(path, sizeof path, "%s/vocab.txt", dir);
  if (!se_file_present(path)) {
    /* The slow tokenizers' own files: name the way out rather than the
    ** missing vocab.txt, which such a model never had. */
    static const char *const slow[] = {"vocab.json", "sentencepiece.bpe.model", "spiece.model"};
    for (size_t i = 0; i < sizeof slow / sizeof slow[0]; i++) {
      snprintf(path, sizeof path, "%s/%s", dir, slow[i]);
      if (se_file_present(path)) {
        wp_set_error(err, WP_ERR_IO,
                     "no tokenizer.json in %s, only %s: this tokenizer is read from its tokenizer.json "
                     "(transformers' AutoTokenizer.from_pretrained(dir).save_pretrained(dir) writes one)",
                     dir, slow[i]);
        return WP_ERR_IO;
      }
    }
    wp_set_error(err, WP_ERR_IO, "no tokenizer.json or vocab.txt in %s", dir);
    return WP_ERR_IO;
  }
  return wp_load_vocab_txt(path, &opts, out, err);
}

const wp_options *wp_get_options(const wp_tokenizer *tok) { return &tok->opts; }
void wp_sequence_ids(const wp_tokenizer *tok, int32_t *first, int32_t *last) {
  *first = tok->cls_id;
  *last = tok->sep_id;
}
int32_t wp_vocab_size(const wp_tokenizer *tok) { return tok->n_ids; }
int wp_supports_pairs(const wp_tokenizer *tok) { return tok->pair_layout != WP_PAIR_UNSUPPORTED; }

int32_t wp_special_id(const wp_tokenizer *tok, wp_special which) {
  return (which >= 0 && which < WP_SPECIAL_COUNT) ? tok->special[which] : -1;
}

const char *wp_id_to_token(const wp_tokenizer *tok, int32_t id, size_t *len) {
  if (id < 0 || id >= tok->n_ids || tok->tok_off[id] == UINT32_MAX) return NULL;
  if (len) *len = tok->tok_len[id];
  return tok->arena + tok->tok_off[id];
}

int wp_id_continues_word(const wp_tokenizer *tok, int32_t id) {
  size_t n = 0;
  const char *z = wp_id_to_token(tok, id, &n);
  if (tok->bpe) {
    /* a byte-level token starts a word when it starts with a whitespace byte */
    for (int i = 0; i < tok->n_literals; i++)
      if (tok->literals[i].id == id) return 0;
    uint32_t first = 0;
    if (z && n) wpu_decode((const unsigned char *)z, &first);
    for (int b = 0; z && n && b <= ' '; b++)
      if ((b == ' ' || (b >= 9 && b <= 13)) && first == wp_byte_char(b)) return 0;
    return z != NULL;
  }
  if (!tok->uni) {
    size_t p = strlen(tok->opts.continuing_subword_prefix);
    return z && p && n > p && memcmp(z, tok->opts.continuing_subword_prefix, p) == 0;
  }
  for (int i = 0; i < tok->n_literals; i++)
    if (tok->literals[i].id == id) return 0;
  unsigned char rep[4];
  int rn = wpu_encode(tok->uni->replacement, rep);
  /* <unk> (possibly fused unknown text) never starts a piece: a ▁ comes first */
  return !z || n < (size_t)rn || memcmp(z, rep, (size_t)rn) != 0;
}

int32_t wp_id_piece(const wp_tokenizer *tok, int32_t id, char *out, size_t cap) {
  size_t n = 0;
  const char *z = wp_id_to_token(tok, id, &n);
  if (!z || cap < n + 1 || n > INT32_MAX - 1) return -1;
  for (int i = 0; i < tok->n_literals; i++)
    if (tok->literals[i].id == id) return -1;
  for (int i = 0; i < tok->n_nlits; i++)
    if (tok->nlits[i].id == id) return -1;
  for (int k = 0; k < WP_SPECIAL_COUNT; k++)
    if (tok->special[k] == id) return -1;
  if (id == tok->cls_id || id == tok->sep_id) return -1;
  size_t o = 0;
  if (tok->bpe || tok->uni) {
    for (size_t i = 0; i < n;) {
      /* Token texts are valid UTF-8 (every loader checks); the length
      ** check keeps a decode inside this token regardless. */
      const unsigned char lead = (unsigned char)z[i];
      size_t step = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
      uint32_t cp = lead;
      if (i + step <= n) wpu_decode((const unsigned char *)z + i, &cp);
      else step = 1;
      int byte = -1;
      if (tok->uni && cp == tok->uni->replacement) byte = ' ';
      for (int b = 0; tok->bpe && b < 256 && byte < 0; b++) /* bytes_to_unicode backwards */
        if (wp_byte_char(b) == cp) byte = b;
      if (byte >= 0) out[o++] = (char)byte;
      else memcpy(out + o, z + i, step), o += step;
      i += step;
    }
    return (int32_t)o;
  }
  /* WordPiece as llama.cpp's converter writes it: the "##" of a continuing
  ** piece dropped, "[...]" tokens kept, U+2581 (shown as a space) before
  ** every other token. */
  const size_t p = strlen(tok->opts.continuing_subword_prefix);
  if (p && n > p && memcmp(z, tok->opts.continuing_subword_prefix, p) == 0) {
    memcpy(out, z + p, n - p);
    return (int32_t)(n - p);
  }
  if (!(n >= 2 && z[0] == '[' && z[n - 1] == ']')) out[o++] = ' ';
  memcpy(out + o, z, n);
  return (int32_t)(o + n);
}

double wp_id_score(const wp_tokenizer *tok, int32_t id) {
  return tok->uni && id >= 0 && id < tok->uni->n_scores ? tok->uni->score[id] : 0.0;
}

const char *wp_model_name(const wp_tokenizer *tok) {
  return tok->uni ? "Unigram" : tok->bpe ? "BPE" : "WordPiece";
}

int32_t wp_token_to_id(const wp_tokenizer *tok, const char *token, size_t len) {
  int32_t id = wp_tok_lookup(tok, token, len, "", 0);
  const wp_literal *l = NULL;
  if (id < 0 && !(l = find_literal(tok->literals, tok->n_literals, token, len)))
    l = find_literal(tok->nlits, tok->n_nlits, token, len);
  return l ? l->id : id;
}

wp_status wp_options_override(wp_tokenizer *tok, const wp_options *opts, wp_error *err) {
  wp_status rc = check_options(opts, "the loaded tokenizer", err);
  if (rc != WP_OK) return rc;
  const int same_unk = strcmp(opts->unk_token, tok->opts.unk_token) == 0;
  int32_t unk = same_unk ? tok->unk_id : find_token(tok, opts->unk_token);
  if (unk < 0 && !(same_unk && tok->bpe)) { /* a BPE model may have none */
    wp_set_error(err, WP_ERR_ARG, "the vocabulary lacks the unknown token '%s'", opts->unk_token);
    return WP_ERR_ARG;
  }
  const wp_options old = tok->opts;
  tok->opts = *opts;
  if (wp_tok_normalize_literals(tok) != WP_OK) { /* under the new options */
    tok->opts = old;
    wp_set_error(err, WP_ERR_NOMEM, "out of memory changing the tokenizer's options");
    return WP_ERR_NOMEM;
  }
  tok->unk_id = unk;
  return WP_OK;
}
