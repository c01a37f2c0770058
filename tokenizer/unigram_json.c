/*
** unigram_json.c — the Unigram (SentencePiece) parts of a tokenizer.json,
** as transformers' XLMRobertaConverter writes them for XLM-R,
** paraphrase-multilingual-* and multilingual-e5-*:
**
**   "model": {"type": "Unigram", "unk_id": 3, "byte_fallback": false,
**             "vocab": [["<s>", 0.0], ["<pad>", 0.0], ..., ["▁the", -3.41], ...]}
**       an id is the entry's index; scores are log probabilities.  Not the
**       crate's: a third element, "unused" or "control", marks what
**       llama.cpp's Unigram leaves out of the lowest score (an unknown
**       character costs that less 10), and "control" out of the lattice
**       too: gguf_vocab.c writes them for a GGUF file's token types; nor
**       is "scores_f32": true (gguf_vocab.c's, for a file's FLOAT32 scores
**       written with 9 significant digits): each score is rounded to float
**   "normalizer": {"type": "Sequence", "normalizers": [
**       {"type": "Precompiled", "precompiled_charsmap": "<base64>"},
**       {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]}
**       also null, one of them alone, a Replace of a {"String": ...}, or
**       {"type": "Strip", "strip_left": .., "strip_right": ..}; a regex
**       other than " {2,}" and any other normalizer are refused
**   "pre_tokenizer": {"type": "Metaspace", "replacement": "▁",
**                     "prepend_scheme": "always", "split": true}
**       or the older "add_prefix_space": true, alone or after a
**       {"type": "WhitespaceSplit"} in a "Sequence"; nothing else
**
** Added tokens and the post_processor are read by tokenizer_json.c.
*/
#include "wp_internal.h"
#include "se_alloc.h"
#include <jansson.h>
#include <math.h>
#include <string.h>

#define FAIL(code, ...) do { wp_set_error(err, code, __VA_ARGS__); rc = code; goto done; } while (0)
#define METASPACE_DEFAULT 0x2581u /* ▁ */

/* Standard base64 (padding optional, no whitespace) into a new buffer. */
static wp_status base64_decode(const char *s, size_t n, unsigned char **out, size_t *out_len) {
  *out = NULL;
  while (n && s[n - 1] == '=') n--;
  if (n % 4 == 1) return WP_ERR_FORMAT;
  unsigned char *buf = se_malloc(n / 4 * 3 + 3);
  if (!buf) return WP_ERR_NOMEM;
  size_t len = 0;
  uint32_t acc = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26
          : c >= '0' && c <= '9' ? c - '0' + 52 : c == '+' ? 62 : c == '/' ? 63 : -1;
    if (v < 0) {
      se_free(buf);
      return WP_ERR_FORMAT;
    }
    acc = acc << 6 | (uint32_t)v;
    if (i % 4 == 3) {
      buf[len++] = (unsigned char)(acc >> 16);
      buf[len++] = (unsigned char)(acc >> 8);
      buf[len++] = (unsigned char)acc;
      acc = 0;
    }
  }
  if (n % 4 == 2) buf[len++] = (unsigned char)(acc >> 4);
  if (n % 4 == 3) {
    buf[len++] = (unsigned char)(acc >> 10);
    buf[len++] = (unsigned char)(acc >> 2);
  }
  *out = buf;
  *out_len = len;
  return WP_OK;
}

/* A JSON string's code points into a new array (NULL and 0 for ""). */
static wp_status code_points(json_t *v, uint32_t **out, size_t *n) {
  const unsigned char *s = (const unsigned char *)json_string_value(v);
  size_t len = json_string_length(v), k = 0;
  *out = NULL;
  *n = 0;
  if (!len) return WP_OK;
  uint32_t *cp = se_malloc(len * sizeof *cp);
  if (!cp) return WP_ERR_NOMEM;
  for (size_t i = 0; i < len;) i += (size_t)wpu_decode(s + i, &cp[k++]); /* jansson keeps strings UTF-8 */
  *out = cp;
  *n = k;
  return WP_OK;
}

static wp_status read_step(json_t *n, wp_unigram *u, const char *path, wp_error *err) {
  wp_status rc = WP_OK;
  const char *type = json_string_value(json_object_get(n, "type"));
  if (u->n_steps == WP_SPM_MAX_STEPS)
    FAIL(WP_ERR_FORMAT, "normalizer in %s has more than %d steps", path, WP_SPM_MAX_STEPS);
  wp_spm_step *st = &u->steps[u->n_steps];
  memset(st, 0, sizeof *st);
  if (type && strcmp(type, "Precompiled") == 0) {
    json_t *map = json_object_get(n, "precompiled_charsmap");
    unsigned char *blob = NULL;
    size_t blob_len = 0;
    if (!json_is_string(map) ||
        (rc = base64_decode(json_string_value(map), json_string_length(map), &blob, &blob_len)) == WP_ERR_FORMAT)
      FAIL(WP_ERR_FORMAT, "Precompiled normalizer in %s: precompiled_charsmap is not a base64 string", path);
    if (rc == WP_OK) rc = wp_charsmap_load(blob, blob_len, &st->map);
    st->longest = json_is_true(json_object_get(n, "longest_match")); /* not the crate's: gguf_vocab.c */
    se_free(blob);
    if (rc == WP_ERR_FORMAT)
      FAIL(rc, "Precompiled normalizer in %s: precompiled_charsmap is not a SentencePiece charsmap", path);
    if (rc != WP_OK) FAIL(rc, "out of memory loading %s", path);
    st->kind = WP_SPM_PRECOMPILED;
  } else if (type && strcmp(type, "Replace") == 0) {
    json_t *pat = json_object_get(n, "pattern"), *content = json_object_get(n, "content");
    json_t *lit = json_object_get(pat, "String"), *re = json_object_get(pat, "Regex");
    if (!json_is_string(content) || (!json_is_string(lit) && !json_is_string(re)) ||
        (json_is_string(lit) && !json_string_length(lit)))
      FAIL(WP_ERR_FORMAT, "Replace normalizer in %s needs a non-empty pattern {\"String\": ...} or "
           "{\"Regex\": ...} and a string content", path);
    if (json_is_string(re) && strcmp(json_string_value(re), " {2,}") != 0)
      FAIL(WP_ERR_FORMAT, "unsupported Replace regex '%.64s' in %s (supported: \" {2,}\")",
           json_string_value(re), path);
    st->kind = json_is_string(re) ? WP_SPM_REPLACE_SPACES : WP_SPM_REPLACE;
    if ((lit && code_points(lit, &st->pattern, &st->n_pattern) != WP_OK) ||
        code_points(content, &st->content, &st->n_content) != WP_OK) {
      u->n_steps++; /* so that wp_unigram_free frees what was allocated */
      FAIL(WP_ERR_NOMEM, "out of memory loading %s", path);
    }
  } else if (type && strcmp(type, "Strip") == 0) {
    json_t *l = json_object_get(n, "strip_left"), *r = json_object_get(n, "strip_right");
    if (!json_is_boolean(l) || !json_is_boolean(r))
      FAIL(WP_ERR_FORMAT, "Strip normalizer in %s needs boolean strip_left and strip_right", path);
    st->kind = WP_SPM_STRIP;
    st->left = json_is_true(l);
    st->right = json_is_true(r);
    st->spaces_only = json_is_true(json_object_get(n, "spaces_only")); /* not the crate's: gguf_vocab.c */
  } else {
    FAIL(WP_ERR_FORMAT, "unsupported normalizer type '%.64s' in %s for a Unigram model (supported: "
         "Precompiled, Replace, Strip, Sequence)", type ? type : "(none)", path);
  }
  u->n_steps++;
done:
  return rc;
}

static wp_status read_normalizers(json_t *n, wp_unigram *u, const char *path, wp_error *err) {
  if (!n || json_is_null(n)) return WP_OK;
  const char *type = json_string_value(json_object_get(n, "type"));
  if (!type || strcmp(type, "Sequence") != 0) return read_step(n, u, path, err);
  json_t *list = json_object_get(n, "normalizers"), *item;
  size_t i;
  if (!json_is_array(list)) {
    wp_set_error(err, WP_ERR_FORMAT, "Sequence normalizer in %s has no \"normalizers\" array", path);
    return WP_ERR_FORMAT;
  }
  json_array_foreach(list, i, item) {
    wp_status rc = read_step(item, u, path, err);
    if (rc != WP_OK) return rc;
  }
  return WP_OK;
}

static wp_status read_metaspace(json_t *m, wp_unigram *u, const char *path, wp_error *err) {
  json_t *rep = json_object_get(m, "replacement"), *scheme = json_object_get(m, "prepend_scheme");
  json_t *prefix = json_object_get(m, "add_prefix_space"), *split = json_object_get(m, "split");
  const unsigned char *r = (const unsigned char *)json_string_value(rep);
  u->replacement = METASPACE_DEFAULT;
  u->prepend = WP_PREPEND_ALWAYS;
  u->split = 1;
  if (rep && (!r || !json_string_length(rep) ||
              (size_t)wpu_decode(r, &u->replacement) != json_string_length(rep))) {
    wp_set_error(err, WP_ERR_FORMAT, "Metaspace in %s: replacement must be one character", path);
    return WP_ERR_FORMAT;
  }
  const char *s = json_string_value(scheme);
  if (s && strcmp(s, "always") == 0) u->prepend = WP_PREPEND_ALWAYS;
  else if (s && strcmp(s, "never") == 0) u->prepend = WP_PREPEND_NEVER;
  else if (s && strcmp(s, "first") == 0) u->prepend = WP_PREPEND_FIRST;
  else if (scheme && !json_is_null(scheme)) {
    wp_set_error(err, WP_ERR_FORMAT, "Metaspace in %s: prepend_scheme must be \"always\", \"never\" or "
                 "\"first\"", path);
    return WP_ERR_FORMAT;
  } else if (json_is_boolean(prefix)) {
    u->prepend = json_is_true(prefix) ? WP_PREPEND_ALWAYS : WP_PREPEND_NEVER;
  } else if (prefix && !json_is_null(prefix)) {
    wp_set_error(err, WP_ERR_FORMAT, "Metaspace in %s: add_prefix_space must be a boolean", path);
    return WP_ERR_FORMAT;
  }
  if (split && !json_is_null(split)) {
    if (!json_is_boolean(split)) {
      wp_set_error(err, WP_ERR_FORMAT, "Metaspace in %s: split must be a boolean", path);
      return WP_ERR_FORMAT;
    }
    u->split = json_is_true(split);
  }
  return WP_OK;
}

static int is_type(json_t *v, const char *type) {
  const char *t = json_string_value(json_object_get(v, "type"));
  return t && strcmp(t, type) == 0;
}

static wp_status read_pre_tokenizer(json_t *pre, wp_unigram *u, const char *path, wp_error *err) {
  if (is_type(pre, "Metaspace")) return read_metaspace(pre, u, path, err);
  json_t *list = json_object_get(pre, "pretokenizers");
  if (is_type(pre, "Sequence") && json_array_size(list) == 2 &&
      is_type(json_array_get(list, 0), "WhitespaceSplit") && is_type(json_array_get(list, 1), "Metaspace")) {
    u->whitespace_split = 1;
    return read_metaspace(json_array_get(list, 1), u, path, err);
  }
  wp_set_error(err, WP_ERR_FORMAT, "unsupported pre_tokenizer in %s for a Unigram model (supported: "
               "Metaspace, or a Sequence of WhitespaceSplit and Metaspace)", path);
  return WP_ERR_FORMAT;
}

wp_status wp_parse_unigram(json_t *root, json_t *model, const char *path, wp_tokenizer *t,
                           wp_error *err) {
  wp_status rc = WP_OK;
  wp_unigram *u = t->uni = se_calloc(1, sizeof *u);
  if (!u) FAIL(WP_ERR_NOMEM, "out of memory loading %s", path);
  json_t *vocab = json_object_get(model, "vocab"), *unk = json_object_get(model, "unk_id");
  json_t *fallback = json_object_get(model, "byte_fallback"), *f32 = json_object_get(model, "scores_f32");
  size_t n = json_array_size(vocab);
  if (!json_is_array(vocab) || n == 0 || n > WP_MAX_TOKEN_ID)
    FAIL(WP_ERR_FORMAT, "model.vocab in %s is not a list of 1..%d [piece, score] pairs", path,
         WP_MAX_TOKEN_ID);
  if (!json_is_integer(unk) || json_integer_value(unk) < 0 || (size_t)json_integer_value(unk) >= n)
    FAIL(WP_ERR_FORMAT, "model.unk_id in %s must be the id of a vocabulary entry", path);
  if (fallback && !json_is_null(fallback) && !json_is_boolean(fallback))
    FAIL(WP_ERR_FORMAT, "model.byte_fallback in %s must be a boolean", path);
  u->byte_fallback = json_is_true(fallback);
  if (f32 && !json_is_boolean(f32)) FAIL(WP_ERR_FORMAT, "model.scores_f32 in %s must be a boolean", path);
  u->unk_id = (int32_t)json_integer_value(unk);
  if (!(u->score = se_malloc(n * sizeof *u->score))) FAIL(WP_ERR_NOMEM, "out of memory loading %s", path);
  u->n_scores = (int32_t)n;
  for (size_t i = 0; i < n; i++) {
    json_t *e = json_array_get(vocab, i), *piece = json_array_get(e, 0), *score = json_array_get(e, 1);
    const char *kind = json_string_value(json_array_get(e, 2));
    int unused = kind && strcmp(kind, "unused") == 0, control = kind && strcmp(kind, "control") == 0;
    if ((json_array_size(e) != 2 && !(json_array_size(e) == 3 && (unused || control))) || !json_is_string(piece) ||
        !json_is_number(score) || !isfinite(json_number_value(score)))
      FAIL(WP_ERR_FORMAT, "model.vocab[%zu] in %s is not a [piece, score] pair with a finite score", i, path);
    if ((unused || control) && !u->not_lowest && !(u->not_lowest = se_calloc(n, 1)))
      FAIL(WP_ERR_NOMEM, "out of memory loading %s", path);
    if (unused || control) u->not_lowest[i] = 1;
    if (json_string_length(piece) > WP_MAX_TOKEN_BYTES)
      FAIL(WP_ERR_FORMAT, "model.vocab in %s: a piece is %zu bytes long (limit %d)", path,
           json_string_length(piece), WP_MAX_TOKEN_BYTES);
    u->score[i] = json_is_true(f32) ? (double)(float)json_number_value(score) : json_number_value(score);
    if (wp_tok_add(t, json_string_value(piece), json_string_length(piece), (int32_t)i, !control) != WP_OK)
      FAIL(WP_ERR_NOMEM, "out of memory loading %s", path);
  }
  size_t unk_len;
  const char *unk_text = wp_id_to_token(t, (int32_t)json_integer_value(unk), &unk_len);
  if (unk_len >= sizeof t->opts.unk_token || memchr(unk_text, 0, unk_len))
    FAIL(WP_ERR_FORMAT, "model.unk_id in %s names a piece longer than %d bytes", path,
         (int)sizeof t->opts.unk_token - 1);
  memcpy(t->opts.unk_token, unk_text, unk_len);
  t->opts.unk_token[unk_len] = 0;
  /* The BERT normaliser's flags stay off: a Unigram model has its own. */
  t->opts.lowercase = t->opts.strip_accents = t->opts.clean_text = t->opts.handle_chinese_chars = 0;
  if ((rc = read_normalizers(json_object_get(root, "normalizer"), u, path, err)) != WP_OK) goto done;
  if ((rc = read_pre_tokenizer(json_object_get(root, "pre_tokenizer"), u, path, err)) != WP_OK) goto done;
  if (wp_unigram_finish(t) != WP_OK) FAIL(WP_ERR_NOMEM, "out of memory loading %s", path);
done:
  return rc;
}
