/*
** gguf_vocab.c — the tokenizer a GGUF file holds, as llama.cpp reads it.
**
**   wp_tokenizer *tok;
**   ee_gguf_tokenizer("jina-embeddings-v2-base-code.F16.gguf", &tok, &err);  // model_load.c
**
** Two kinds of vocabulary (tokenizer.ggml.model):
**   "bert"  WordPiece, written by convert_hf_to_gguf.py with "##" dropped from
**           word pieces and U+2581 put before word starts ("[...]" tokens as
**           they are): turned back into vocab.txt's form.
**   "gpt2"  byte-level BPE (jina-embeddings-v2-base-code/-de/-es, RoBERTa):
**           tokenizer.ggml.tokens as tokenizer.json's byte-level strings,
**           tokenizer.ggml.merges as "left right" lines by rank, and
**           tokenizer.ggml.pre naming the pre-tokenizer.  Built as the
**           tokenizer.json document that would give llama.cpp's tokens (see
**           bpe_tokenizer_json) and read by the tokenizer's own reader, so
**           that both kinds of file run the code the directories run.
**   "t5"    SentencePiece Unigram, as the converter writes XLM-R's (bge-m3,
**           multilingual-e5): pieces, scores, the Precompiled charsmap;
**           read the same way (see unigram_tokenizer_json).
*/
#include "gguf_int.h"
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* *id from the integer key (-1 when absent); an error names a value that is
** no token id. */
static ee_status token_id(const gg_header *h, const char *key, uint64_t n_tokens, int64_t *id,
                          const char *path, ee_error *err) {
  const gg_kv *kv = gg_find_kv(h, key);
  *id = -1;
  if (kv && (!gg_kv_int(kv, id) || *id < 0 || (uint64_t)*id >= n_tokens))
    return ee_set_error(err, EE_ERR_FORMAT, "%s: %s is not a token id (the vocabulary has %llu tokens)",
                        path, key, (unsigned long long)n_tokens);
  return EE_OK;
}

/* The WordPiece vocabulary in vocab.txt's form (*vocab se_malloc'd) and the
** options to read it with. */
static ee_status wordpiece_vocab(const char *path, const st_file *f, const gg_header *h,
                                 const gg_kv *tokens, char **vocab, size_t *len, wp_options *opts,
                                 ee_error *err) {
  ee_status rc;
  /* The special tokens are taken by name ([CLS], [SEP], [UNK]), as from a
  ** vocab.txt; llama.cpp takes them by the ids the file states.  A file
  ** whose ids name other tokens would give other vectors than llama.cpp's
  ** without a word: refused.  (Padding never reaches the encoder, and a
  ** [MASK] typed in a text is matched by its text in both.) */
  static const char *const SPECIAL[][2] = {
      {"tokenizer.ggml.cls_token_id", "[CLS]"},
      {"tokenizer.ggml.seperator_token_id", "[SEP]"},
      {"tokenizer.ggml.unknown_token_id", "[UNK]"},
  };
  enum { N_SPECIAL = sizeof SPECIAL / sizeof SPECIAL[0] };
  int64_t special_id[N_SPECIAL];
  for (int k = 0; k < N_SPECIAL; k++)
    if ((rc = token_id(h, SPECIAL[k][0], tokens->arr_n, &special_id[k], path, err)) != EE_OK) return rc;
  /* vocab.txt: one token a line, "##" back on word pieces. A token with a
  ** line break could not be a line: refused. Lowercasing as BERT's uncased
  ** tokenizers do unless the vocabulary has capitals (a cased model). */
  gg_reader r = {f->map, f->map_size, (size_t)(tokens->val - f->map), path, err};
  size_t total = 0;
  int upper = 0;
  for (uint64_t i = 0; i < tokens->arr_n; i++) {
    const char *s;
    size_t n;
    gg_take_str(&r, &s, &n); /* checked by read_header */
    if (memchr(s, '\n', n) || memchr(s, '\r', n) || n == 0) {
      rc = ee_set_error(err, EE_ERR_FORMAT, "%s: token %llu is empty or holds a line break", path,
                        (unsigned long long)i);
      return rc;
    }
    for (int k = 0; k < N_SPECIAL; k++) {
      if ((uint64_t)special_id[k] != i || (n == strlen(SPECIAL[k][1]) && !memcmp(s, SPECIAL[k][1], n))) continue;
      rc = ee_set_error(err, EE_ERR_UNSUPPORTED,
                        "%s: %s is %llu, the token '%.*s', not %s: special tokens are taken by name here, "
                        "so this file's would differ from llama.cpp's", path, SPECIAL[k][0],
                        (unsigned long long)i, (int)(n < 64 ? n : 64), s, SPECIAL[k][1]);
      return rc;
    }
    int special = s[0] == '[' && s[n - 1] == ']';
    for (size_t j = 0; j < n && !special; j++) upper |= s[j] >= 'A' && s[j] <= 'Z';
    total += n + 3;
  }
  char *out = se_malloc(total + 1);
  if (!out) return ee_set_error(err, EE_ERR_NOMEM, "out of memory reading %s", path);
  size_t used = 0;
  r.pos = (size_t)(tokens->val - f->map);
  for (uint64_t i = 0; i < tokens->arr_n; i++) {
    const char *s;
    size_t n;
    gg_take_str(&r, &s, &n);
    if (s[0] == '[' && s[n - 1] == ']') {
      /* as is */
    } else if (n >= 3 && !memcmp(s, "\xe2\x96\x81", 3)) {
      s += 3, n -= 3; /* U+2581: a word start */
    } else {
      memcpy(out + used, "##", 2), used += 2;
    }
    memcpy(out + used, s, n), used += n;
    out[used++] = '\n';
  }
  out[used] = '\0';
  *vocab = out, *len = used;
  memset(opts, 0, sizeof *opts);
  opts->lowercase = !upper;
  opts->strip_accents = -1;
  opts->clean_text = 1;
  opts->handle_chinese_chars = 1;
  opts->max_input_chars_per_word = 100;
  snprintf(opts->continuing_subword_prefix, sizeof opts->continuing_subword_prefix, "##");
  snprintf(opts->unk_token, sizeof opts->unk_token, "[UNK]");
  return EE_OK;
}

ee_status ee_gguf_vocab(const char *path, char **vocab, size_t *len, wp_options *opts, ee_error *err) {
  *vocab = NULL, *len = 0;
  st_file f;
  gg_header h;
  ee_status rc = gg_open_header(path, &f, &h, err);
  if (rc != EE_OK) return rc;
  const gg_kv *tokens = gg_find_kv(&h, "tokenizer.ggml.tokens");
  if (!gg_kv_is_str(gg_find_kv(&h, "tokenizer.ggml.model"), "bert") || !tokens || tokens->type != GG_ARR ||
      tokens->arr_type != GG_STR)
    rc = ee_set_error(err, EE_ERR_UNSUPPORTED, "%s: the tokenizer is not a WordPiece one (tokenizer.ggml.model "
                      "\"bert\" with tokenizer.ggml.tokens)", path);
  else
    rc = wordpiece_vocab(path, &f, &h, tokens, vocab, len, opts, err);
  se_free(h.kv);
  st_close(&f);
  return rc;
}

/* llama.cpp's pre-tokenizer names that split as GPT-2's pattern
** (llama-vocab.cpp: LLAMA_VOCAB_PRE_TYPE_GPT2), the one the byte-level BPE
** tokenizer runs; the first three also give "<mask>" lstrip, as
** llama.cpp's loader does for them (and their tokenizer.json says). */
static const char *const GPT2_PRE[] = {"jina-v2-code", "jina-v2-de", "jina-v2-es", "jina-v1-en",
                                       "jina-de", "jina-es", "roberta-bpe", "gpt-2"};
enum { N_GPT2_PRE = sizeof GPT2_PRE / sizeof GPT2_PRE[0], N_MASK_LSTRIP = 3 };

/* tokenizer.ggml.token_type: llama.cpp's token types. */
enum { TT_NORMAL = 1, TT_UNKNOWN = 2, TT_CONTROL = 3, TT_USER_DEFINED = 4, TT_UNUSED = 5 };

/* A string of the file's array at r, checked to be UTF-8 without NUL: the
** tokenizer.json built from it must hold the same bytes. */
static ee_status array_string(gg_reader *r, const char *what, uint64_t i, const char **s, size_t *n) {
  gg_take_str(r, s, n); /* its extent was checked by read_header */
  if (wp_utf8_valid_prefix(*s, *n) != *n || memchr(*s, '\0', *n))
    return ee_set_error(r->err, EE_ERR_FORMAT, "%s: %s %llu is not UTF-8 text", r->path, what,
                        (unsigned long long)i);
  return EE_OK;
}

/* What llama.cpp reads of a text's frame, checked with a message: the ids
** put around a text, the token types, and that both ids are put there. */
static ee_status frame_checks(const char *path, const gg_header *h, const gg_kv *tokens, const char *kind,
                              int64_t *bos, int64_t *eos, ee_error *err) {
  const gg_kv *types = gg_find_kv(h, "tokenizer.ggml.token_type");
  if (types && (types->type != GG_ARR || types->arr_type != GG_I32 || types->arr_n != tokens->arr_n))
    return ee_set_error(err, EE_ERR_FORMAT, "%s: tokenizer.ggml.token_type is not an array of %llu INT32",
                        path, (unsigned long long)tokens->arr_n);
  ee_status rc;
  if ((rc = token_id(h, "tokenizer.ggml.bos_token_id", tokens->arr_n, bos, path, err)) != EE_OK ||
      (rc = token_id(h, "tokenizer.ggml.eos_token_id", tokens->arr_n, eos, path, err)) != EE_OK)
    return rc;
  /* Without them llama.cpp embeds the bare text, which no BERT-family
  ** encoder was trained on: <s> ... </s> or nothing, not half of it. */
  const gg_kv *add_bos = gg_find_kv(h, "tokenizer.ggml.add_bos_token");
  const gg_kv *add_eos = gg_find_kv(h, "tokenizer.ggml.add_eos_token");
  int adds = add_bos && add_bos->type == GG_BOOL && add_bos->val[0] && add_eos && add_eos->type == GG_BOOL &&
             add_eos->val[0];
  if (*bos < 0 || *eos < 0 || !adds)
    return ee_set_error(err, EE_ERR_UNSUPPORTED,
                        "%s: a %s vocabulary needs tokenizer.ggml.bos_token_id and eos_token_id, with "
                        "add_bos_token and add_eos_token true (the tokens put around every text, as "
                        "convert_hf_to_gguf.py writes for jina-bert-v2 and XLM-R)", path, kind);
  return EE_OK;
}

static ee_status bpe_checks(const char *path, const gg_header *h, int *mask_lstrip, ee_error *err) {
  const gg_kv *pre = gg_find_kv(h, "tokenizer.ggml.pre");
  int k = 0;
  while (k < N_GPT2_PRE && !gg_kv_is_str(pre, GPT2_PRE[k])) k++;
  if (k == N_GPT2_PRE) {
    int n;
    const char *name = gg_kv_str64(pre, &n);
    return ee_set_error(err, EE_ERR_UNSUPPORTED,
                        "%s: tokenizer.ggml.pre '%.*s' is not read here (byte-level BPE is read with "
                        "GPT-2's pattern: jina-v2-code, jina-v2-de, jina-v2-es, jina-v1-en, jina-de, "
                        "jina-es, roberta-bpe, gpt-2)",
                        path, n, name);
  }
  *mask_lstrip = k < N_MASK_LSTRIP;
  const gg_kv *merges = gg_find_kv(h, "tokenizer.ggml.merges");
  if (!merges || merges->type != GG_ARR || merges->arr_type != GG_STR)
    return ee_set_error(err, EE_ERR_FORMAT, "%s: a byte-level BPE vocabulary without tokenizer.ggml.merges "
                        "(an array of \"left right\" strings)", path);
  return EE_OK;
}

/* Token i's score (tokenizer.ggml.scores, FLOAT32). */
static float score_of(const gg_kv *scores, uint64_t i) {
  uint32_t u = (uint32_t)gg_rd(scores->val + 4 * i, 4);
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* llama.cpp's Unigram ("t5") spacing is SentencePiece's with
** remove_extra_whitespaces: spaces at the ends dropped, runs of them one
** U+2581 before each word.  Without it each space is its own U+2581 and the
** prefix goes after leading spaces, which no tokenizer.json step gives. */
static ee_status unigram_checks(const char *path, const gg_header *h, const gg_kv *tokens, int64_t *unk,
                                ee_error *err) {
  const gg_kv *scores = gg_find_kv(h, "tokenizer.ggml.scores");
  if (!scores || scores->type != GG_ARR || scores->arr_type != GG_F32 || scores->arr_n != tokens->arr_n)
    return ee_set_error(err, EE_ERR_FORMAT, "%s: a Unigram vocabulary needs tokenizer.ggml.scores, an array "
                        "of %llu FLOAT32", path, (unsigned long long)tokens->arr_n);
  for (uint64_t i = 0; i < scores->arr_n; i++)
    if (!isfinite(score_of(scores, i)))
      return ee_set_error(err, EE_ERR_FORMAT, "%s: the score of token %llu is not a finite number", path,
                          (unsigned long long)i);
  const gg_kv *remove_ws = gg_find_kv(h, "tokenizer.ggml.remove_extra_whitespaces");
  if (!remove_ws || remove_ws->type != GG_BOOL || !remove_ws->val[0])
    return ee_set_error(err, EE_ERR_UNSUPPORTED,
                        "%s: tokenizer.ggml.remove_extra_whitespaces is not true: llama.cpp's spacing "
                        "without it is not read here (XLM-R's files have it)", path);
  const gg_kv *charsmap = gg_find_kv(h, "tokenizer.ggml.precompiled_charsmap");
  if (charsmap && (charsmap->type != GG_ARR || (charsmap->arr_type != GG_U8 && charsmap->arr_type != GG_I8)))
    return ee_set_error(err, EE_ERR_FORMAT, "%s: tokenizer.ggml.precompiled_charsmap is not an array of bytes",
                        path);
  ee_status rc = token_id(h, "tokenizer.ggml.unknown_token_id", tokens->arr_n, unk, path, err);
  if (rc == EE_OK && *unk < 0)
    rc = ee_set_error(err, EE_ERR_FORMAT, "%s: a Unigram vocabulary needs tokenizer.ggml.unknown_token_id",
                      path);
  return rc;
}

/* Standard base64 of n bytes (tokenizer.json's precompiled_charsmap), a new
** NUL-terminated string; NULL when out of memory. */
static char *base64(const unsigned char *p, size_t n) {
  static const char digit[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char *out = se_malloc((n + 2) / 3 * 4 + 1), *o = out;
  if (!out) return NULL;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    *o++ = digit[v >> 18 & 63];
    *o++ = digit[v >> 12 & 63];
    *o++ = i + 1 < n ? digit[v >> 6 & 63] : '=';
    *o++ = i + 2 < n ? digit[v & 63] : '=';
  }
  *o = '\0';
  return out;
}

/* The parts of tokenizer.json every kind here has: the special tokens and
** the RobertaProcessing that puts bos and eos around a text. */
typedef struct vocab_json {
  json_t *root, *vocab, *added; /* vocab: BPE {"token": id}, Unigram [["token", score], ...] */
  json_t *bos_s, *eos_s;        /* the texts of bos and eos */
} vocab_json;

static void vocab_json_free(vocab_json *v) {
  json_decref(v->root);
  json_decref(v->vocab);
  json_decref(v->added);
  json_decref(v->bos_s);
  json_decref(v->eos_s);
}

/* Each token into v->vocab (Unigram: with its score, and marked as
** llama.cpp treats it: a user-defined or unused token left out of the
** lowest score, a control, unknown or byte one out of the lattice too; see
** unigram_json.c); the unknown, control and user-defined ones also as added
** tokens, matched in the text as sqlite-lembed's llama.cpp matches them
** ("<mask>" with lstrip where mask_lstrip, ASCII white space as its
** isspace).  Returns 1 when out of memory. */
static int put_tokens(gg_reader *r, const gg_kv *tokens, const gg_kv *types, const gg_kv *scores, int mask_lstrip,
                      int64_t bos, int64_t eos, vocab_json *v, ee_status *rc) {
  for (uint64_t i = 0; i < tokens->arr_n; i++) {
    const char *s;
    size_t n;
    if ((*rc = array_string(r, "token", i, &s, &n)) != EE_OK) return 0;
    int32_t type = types ? (int32_t)gg_rd(types->val + 4 * i, 4) : TT_NORMAL;
    int bad;
    if (scores && type == TT_NORMAL) {
      bad = json_array_append_new(v->vocab, json_pack("[s%,f]", s, n, (double)score_of(scores, i))) != 0;
    } else if (scores) { /* a user-defined token never reaches the lattice: it is matched first */
      int in_lattice = type == TT_USER_DEFINED || type == TT_UNUSED;
      bad = json_array_append_new(v->vocab, json_pack("[s%,f,s]", s, n, (double)score_of(scores, i),
                                                      in_lattice ? "unused" : "control")) != 0;
    } else {
      bad = json_object_setn_new_nocheck(v->vocab, s, n, json_integer((json_int_t)i)) != 0;
    }
    if (!bad && (type == TT_UNKNOWN || type == TT_CONTROL || type == TT_USER_DEFINED))
      bad = json_array_append_new(v->added, json_pack("{s:I,s:s%,s:b,s:b,s:b,s:b,s:b,s:b}", "id", (json_int_t)i,
                                                       "content", s, n, "special", type != TT_USER_DEFINED,
                                                       "lstrip", mask_lstrip && n == 6 && !memcmp(s, "<mask>", 6),
                                                       "rstrip", 0, "ascii_strip", 1, "normalized", 0,
                                                       "single_word", 0)) != 0;
    if (!bad && (int64_t)i == bos) bad = !(v->bos_s = json_stringn_nocheck(s, n));
    if (!bad && (int64_t)i == eos) bad = !(v->eos_s = json_stringn_nocheck(s, n));
    if (bad) return 1;
  }
  return 0;
}

/* v->root finished with model, pre_tokenizer and normalizer (each may be
** NULL: out of memory), the added tokens and the post-processor.  Returns 1
** when out of memory.  The tokenizer is built from this value itself, not
** from its text: jansson 2.14's json_dumps leaves out what it could not
** append when memory runs short (a key's closing quote, a whole string) and
** returns the rest, which would parse as another tokenizer or none. */
static int finish_json(vocab_json *v, json_t *model, json_t *pre, json_t *norm, int64_t bos, int64_t eos) {
  json_t *post = json_pack("{s:s,s:[O,I],s:[O,I],s:b,s:b}", "type", "RobertaProcessing", "sep", v->eos_s,
                           (json_int_t)eos, "cls", v->bos_s, (json_int_t)bos, "trim_offsets", 1,
                           "add_prefix_space", 0);
  int bad = json_object_set_new(v->root, "model", model) | json_object_set_new(v->root, "pre_tokenizer", pre) |
            json_object_set_new(v->root, "normalizer", norm ? norm : json_null()) |
            json_object_set_new(v->root, "post_processor", post) | json_object_set(v->root, "added_tokens", v->added);
  return bad != 0;
}

/* The tokenizer of the finished v->root; *rc (EE_OK before) set on failure. */
static void tokenizer_of(const vocab_json *v, const char *path, wp_tokenizer **tok, ee_status *rc, ee_error *err) {
  wp_error werr;
  wp_status ws = wp_load_tokenizer_json_value(v->root, path, tok, &werr);
  if (ws != WP_OK) *rc = ee_set_error(err, ee_from_wp(ws), "%s", werr.msg);
}

/* The tokenizer (*tok) of tokenizer.json's form of the file's BPE vocabulary, giving the tokens
** llama.cpp gives with special tokens parsed (sqlite-lembed's call): model
** BPE with the file's vocabulary and merges (ranks by position); no
** normalizer; ByteLevel pre-tokenizer, GPT-2's pattern, no prefix space;
** the unknown, control and user-defined tokens as added tokens, matched in
** the text; RobertaProcessing with bos and eos around a text. */
static ee_status bpe_tokenizer_json(const char *path, const st_file *f, const gg_header *h,
                                    const gg_kv *tokens, wp_tokenizer **tok, ee_error *err) {
  int mask_lstrip = 0;
  int64_t bos = -1, eos = -1;
  ee_status rc = bpe_checks(path, h, &mask_lstrip, err);
  if (rc == EE_OK) rc = frame_checks(path, h, tokens, "byte-level BPE", &bos, &eos, err);
  if (rc != EE_OK) return rc;
  const gg_kv *merges_kv = gg_find_kv(h, "tokenizer.ggml.merges");
  vocab_json v = {json_object(), json_object(), json_array(), NULL, NULL};
  json_t *merges = json_array();
  gg_reader r = {f->map, f->map_size, (size_t)(tokens->val - f->map), path, err};
  int nomem = !v.root || !v.vocab || !v.added || !merges ||
              put_tokens(&r, tokens, gg_find_kv(h, "tokenizer.ggml.token_type"), NULL, mask_lstrip, bos, eos, &v, &rc);
  if (rc != EE_OK) goto done;
  r.pos = (size_t)(merges_kv->val - f->map);
  for (uint64_t i = 0; !nomem && i < merges_kv->arr_n; i++) {
    const char *s;
    size_t n;
    if ((rc = array_string(&r, "merge", i, &s, &n)) != EE_OK) goto done;
    nomem = json_array_append_new(merges, json_stringn_nocheck(s, n)) != 0;
  }
  if (!nomem)
    nomem = finish_json(&v, json_pack("{s:s,s:O,s:O}", "type", "BPE", "vocab", v.vocab, "merges", merges),
                        json_pack("{s:s,s:b,s:b,s:b}", "type", "ByteLevel", "add_prefix_space", 0, "trim_offsets", 1,
                                  "use_regex", 1),
                        NULL, bos, eos);
  if (nomem) rc = ee_set_error(err, EE_ERR_NOMEM, "out of memory reading %s", path);
  else tokenizer_of(&v, path, tok, &rc, err);
done:
  vocab_json_free(&v);
  json_decref(merges);
  return rc;
}

/* The tokenizer (*tok) of tokenizer.json's form of the file's Unigram ("t5") vocabulary, as
** convert_hf_to_gguf.py writes XLM-R's (bge-m3, multilingual-e5,
** paraphrase-multilingual): model Unigram with the file's pieces and scores
** and unk; normalizer the file's Precompiled charsmap, then spaces at the
** ends stripped and runs of them made one (llama.cpp's
** remove_extra_whitespaces); Metaspace, U+2581 before each word; special
** tokens and RobertaProcessing as for BPE. */
static ee_status unigram_tokenizer_json(const char *path, const st_file *f, const gg_header *h,
                                        const gg_kv *tokens, wp_tokenizer **tok, ee_error *err) {
  int64_t bos = -1, eos = -1, unk = -1;
  ee_status rc = unigram_checks(path, h, tokens, &unk, err);
  if (rc == EE_OK) rc = frame_checks(path, h, tokens, "Unigram", &bos, &eos, err);
  if (rc != EE_OK) return rc;
  const gg_kv *charsmap = gg_find_kv(h, "tokenizer.ggml.precompiled_charsmap");
  char *map64 = charsmap ? base64(charsmap->val, (size_t)charsmap->arr_n) : NULL;
  vocab_json v = {json_object(), json_array(), json_array(), NULL, NULL};
  gg_reader r = {f->map, f->map_size, (size_t)(tokens->val - f->map), path, err};
  int nomem = (charsmap && !map64) || !v.root || !v.vocab || !v.added ||
              put_tokens(&r, tokens, gg_find_kv(h, "tokenizer.ggml.token_type"),
                         gg_find_kv(h, "tokenizer.ggml.scores"), 0, bos, eos, &v, &rc);
  if (rc != EE_OK) goto done;
  if (!nomem) {
    json_t *steps = json_pack("[{s:s,s:b,s:b,s:b},{s:s,s:{s:s},s:s}]", "type", "Strip", "strip_left", 1,
                              "strip_right", 1, "spaces_only", 1, "type", "Replace", "pattern", "Regex", " {2,}",
                              "content", " ");
    if (steps && map64)
      nomem = json_array_insert_new(steps, 0, json_pack("{s:s,s:s,s:b}", "type", "Precompiled",
                                                         "precompiled_charsmap", map64, "longest_match", 1)) != 0;
    nomem = nomem || !steps ||
            finish_json(&v, json_pack("{s:s,s:I,s:O,s:b,s:b}", "type", "Unigram", "unk_id", (json_int_t)unk,
                                      "vocab", v.vocab, "byte_fallback", 0, "scores_f32", 1),
                        json_pack("{s:s,s:s,s:s,s:b}", "type", "Metaspace", "replacement", "\xe2\x96\x81",
                                  "prepend_scheme", "always", "split", 1),
                        steps ? json_pack("{s:s,s:O}", "type", "Sequence", "normalizers", steps) : NULL, bos, eos);
    json_decref(steps);
  }
  if (nomem) rc = ee_set_error(err, EE_ERR_NOMEM, "out of memory reading %s", path);
  else tokenizer_of(&v, path, tok, &rc, err);
done:
  vocab_json_free(&v);
  se_free(map64);
  return rc;
}

ee_status ee_gguf_tokenizer(const char *path, wp_tokenizer **tok, ee_error *err) {
  *tok = NULL;
  st_file f;
  gg_header h;
  ee_status rc = gg_open_header(path, &f, &h, err);
  if (rc != EE_OK) return rc;
  const gg_kv *model = gg_find_kv(&h, "tokenizer.ggml.model");
  const gg_kv *tokens = gg_find_kv(&h, "tokenizer.ggml.tokens");
  int bert = gg_kv_is_str(model, "bert"), gpt2 = gg_kv_is_str(model, "gpt2"), t5 = gg_kv_is_str(model, "t5");
  if (!(bert || gpt2 || t5) || !tokens || tokens->type != GG_ARR || tokens->arr_type != GG_STR) {
    /* "llama" is SentencePiece BPE, whose normalisation is llama.cpp's own */
    int n;
    const char *name = gg_kv_str64(model, &n);
    rc = ee_set_error(err, EE_ERR_UNSUPPORTED,
                      "%s: tokenizer.ggml.model '%.*s': the tokenizer is not WordPiece, byte-level BPE or "
                      "Unigram (read: \"bert\", \"gpt2\" or \"t5\", with tokenizer.ggml.tokens; SentencePiece "
                      "BPE, \"llama\", is not)", path, n, name);
  } else if (bert) {
    char *vocab = NULL;
    size_t len;
    wp_options opts;
    if ((rc = wordpiece_vocab(path, &f, &h, tokens, &vocab, &len, &opts, err)) == EE_OK) {
      wp_error werr;
      wp_status ws = wp_load_vocab_txt_mem(vocab, len, &opts, tok, &werr);
      if (ws != WP_OK) rc = ee_set_error(err, ee_from_wp(ws), "%s", werr.msg);
    }
    se_free(vocab);
  } else {
    rc = gpt2 ? bpe_tokenizer_json(path, &f, &h, tokens, tok, err)
              : unigram_tokenizer_json(path, &f, &h, tokens, tok, err);
  }
  se_free(h.kv);
  st_close(&f);
  return rc;
}
