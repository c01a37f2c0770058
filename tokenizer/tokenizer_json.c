/*
** tokenizer_json.c — read a Hugging Face tokenizer.json (and the flags of
** tokenizer_config.json) into a wp_tokenizer.
**
**   wp_load_tokenizer_json("all-MiniLM-L6-v2/tokenizer.json", &tok, &err);
**
** What is read (everything else, e.g. truncation/padding, is ignored: the
** caller passes max_length):
**
**   "model": {"type": "WordPiece", "vocab": {"[PAD]": 0, ...},
**             "unk_token": "[UNK]", "continuing_subword_prefix": "##",
**             "max_input_chars_per_word": 100}
**   "normalizer": {"type": "BertNormalizer", "clean_text": true,
**                  "handle_chinese_chars": true, "strip_accents": null,
**                  "lowercase": true}
**       also null, or a "Sequence" of BertNormalizer / Lowercase / NFD /
**       StripAccents; anything else is refused rather than ignored
**   "pre_tokenizer": {"type": "BertPreTokenizer"} (required)
**   or a "Unigram" model with its own normalizers and pre-tokenizer
**       (XLM-R's SentencePiece; read by unigram_json.c), or a byte-level
**       "BPE" model with the ByteLevel pre-tokenizer (RoBERTa's; bpe_json.c)
**   "added_tokens": [{"id": 0, "content": "[PAD]", ...}, ...]
**       matched literally in the raw text, or, "normalized": true (MPNet's
**       "<unk>"), in the normalised text, as the crate does (normalize.c,
**       spm_normalize.c); "lstrip"/"rstrip": the match also takes the
**       whitespace before/after it (XLM-R's <mask>), which changes a
**       Unigram model's ids and any model's offsets
**   "post_processor": TemplateProcessing, BertProcessing or
**       RobertaProcessing (MPNet's: <s> A </s>, a pair <s> A </s> </s> B </s>),
**       for the ids of the tokens added around a sequence (default [CLS]
**       and [SEP]; a template of another shape, a token type other than 0
**       around a single text, or another processor type is refused);
**       TemplateProcessing's pair template may be BERT's or RoBERTa's
**       (XLM-R's "<s> $A </s> </s> $B </s>"); with another, wp_encode_pair
**       refuses pairs (single texts still encode)
**
** Strings may contain \u0000 (JSON_ALLOW_NUL); lengths come from jansson.
*/
#include "wp_internal.h"
#include "se_alloc.h"
#include "se_json.h"
#include <jansson.h>
#include <string.h>

#define FAIL(code, ...) do { wp_set_error(err, code, __VA_ARGS__); rc = code; goto done; } while (0)

/* The document's root object into *out (NULL on failure, with *err set:
** WP_ERR_NOMEM when parsing ran out of memory, WP_ERR_FORMAT otherwise). */
static wp_status parse(const char *data, size_t len, const char *path, json_t **out,
                       wp_error *err) {
  json_error_t jerr;
  int nomem;
  json_t *root = se_json_loadb(data, len, JSON_ALLOW_NUL, &jerr, &nomem);
  *out = NULL;
  if (!root && nomem) {
    wp_set_error(err, WP_ERR_NOMEM, "out of memory parsing %s", path);
    return WP_ERR_NOMEM;
  }
  if (!root) {
    wp_set_error(err, WP_ERR_FORMAT, "invalid JSON in %s: %s (line %d, column %d)", path,
                 jerr.text, jerr.line, jerr.column);
    return WP_ERR_FORMAT;
  }
  if (!json_is_object(root)) {
    wp_set_error(err, WP_ERR_FORMAT, "%s is not a JSON object", path);
    json_decref(root);
    return WP_ERR_FORMAT;
  }
  *out = root;
  return WP_OK;
}

/* A JSON boolean into *out; null or absent leaves *out alone. */
static int get_bool(json_t *obj, const char *key, int *out) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) return 1;
  if (!json_is_boolean(v)) return 0;
  *out = json_is_true(v);
  return 1;
}

/* Copy a JSON string into a fixed buffer; 0 if not a string, too long or has NUL. */
static int get_str(json_t *v, char *buf, size_t cap) {
  if (!json_is_string(v)) return 0;
  size_t n = json_string_length(v);
  if (n >= cap || memchr(json_string_value(v), 0, n)) return 0;
  memcpy(buf, json_string_value(v), n + 1);
  return 1;
}

static wp_status bert_normalizer(json_t *n, wp_options *o, const char *path, wp_error *err) {
  o->clean_text = o->handle_chinese_chars = o->lowercase = 1;
  o->strip_accents = -1;
  if (!get_bool(n, "clean_text", &o->clean_text) ||
      !get_bool(n, "handle_chinese_chars", &o->handle_chinese_chars) ||
      !get_bool(n, "strip_accents", &o->strip_accents) ||
      !get_bool(n, "lowercase", &o->lowercase)) {
    wp_set_error(err, WP_ERR_FORMAT, "BertNormalizer in %s has a non-boolean flag", path);
    return WP_ERR_FORMAT;
  }
  return WP_OK;
}

static wp_status read_normalizer(json_t *n, wp_options *o, const char *path, wp_error *err) {
  o->clean_text = o->handle_chinese_chars = o->lowercase = o->strip_accents = 0;
  if (!n || json_is_null(n)) return WP_OK;
  const char *type = json_string_value(json_object_get(n, "type"));
  if (type && strcmp(type, "BertNormalizer") == 0) return bert_normalizer(n, o, path, err);
  json_t *list = json_object_get(n, "normalizers");
  if (type && strcmp(type, "Sequence") == 0 && json_is_array(list)) {
    size_t i;
    json_t *item;
    int nfd = 0, strip = 0;
    json_array_foreach(list, i, item) {
      const char *t = json_string_value(json_object_get(item, "type"));
      wp_status rc = WP_OK;
      if (t && strcmp(t, "BertNormalizer") == 0) rc = bert_normalizer(item, o, path, err);
      else if (t && strcmp(t, "Lowercase") == 0) o->lowercase = 1;
      else if (t && strcmp(t, "NFD") == 0) nfd = 1;
      else if (t && strcmp(t, "StripAccents") == 0) strip = 1;
      else {
        wp_set_error(err, WP_ERR_FORMAT, "unsupported normalizer type '%s' in %s",
                     t ? t : "(none)", path);
        return WP_ERR_FORMAT;
      }
      if (rc != WP_OK) return rc;
    }
    if (nfd && strip) o->strip_accents = 1;
    return WP_OK;
  }
  wp_set_error(err, WP_ERR_FORMAT, "unsupported normalizer type '%s' in %s",
               type ? type : "(none)", path);
  return WP_ERR_FORMAT;
}

/* The id of a TemplateProcessing piece that is a special token of this
** type mapping to exactly one id, or -1. */
static int32_t template_id(json_t *pp, json_t *piece, int type) {
  json_t *st = json_object_get(piece, "SpecialToken");
  const char *name = json_string_value(json_object_get(st, "id"));
  json_t *type_id = json_object_get(st, "type_id");
  if (!name || !json_is_integer(type_id) || json_integer_value(type_id) != type) return -1;
  json_t *ids = json_object_get(json_object_get(json_object_get(pp, "special_tokens"), name), "ids");
  json_t *id = json_array_get(ids, 0);
  if (json_array_size(ids) != 1 || !json_is_integer(id) || json_integer_value(id) < 0 ||
      json_integer_value(id) >= WP_MAX_TOKEN_ID)
    return -1;
  return (int32_t)json_integer_value(id);
}

/* Piece k of a template: a special token with this id and type, or (id
** -1) sequence `seq` of this type. */
static int template_piece(json_t *pp, json_t *tpl, size_t k, int32_t id, const char *seq, int type) {
  json_t *piece = json_array_get(tpl, k);
  if (id < 0) {
    json_t *sq = json_object_get(piece, "Sequence");
    const char *name = json_string_value(json_object_get(sq, "id"));
    json_t *ty = json_object_get(sq, "type_id");
    return name && strcmp(name, seq) == 0 && json_is_integer(ty) && json_integer_value(ty) == type;
  }
  return template_id(pp, piece, type) == id;
}

/* The pair template: BERT's "[CLS] $A [SEP] $B:1 [SEP]:1" or RoBERTa's
** "<s> $A </s> </s> $B </s>" (XLM-R; all of type 0, *roberta set), with the
** single template's ids; anything else leaves pairs unsupported. */
static int template_pair(json_t *pp, json_t *pair, int32_t cls, int32_t sep, int *roberta) {
  size_t n = json_array_size(pair);
  if (n == 5 && template_piece(pp, pair, 0, cls, NULL, 0) && template_piece(pp, pair, 1, -1, "A", 0) &&
      template_piece(pp, pair, 2, sep, NULL, 0) && template_piece(pp, pair, 3, -1, "B", 1) &&
      template_piece(pp, pair, 4, sep, NULL, 1))
    return WP_PAIR_BERT;
  if (n == 6 && template_piece(pp, pair, 0, cls, NULL, 0) && template_piece(pp, pair, 1, -1, "A", 0) &&
      template_piece(pp, pair, 2, sep, NULL, 0) && template_piece(pp, pair, 3, sep, NULL, 0) &&
      template_piece(pp, pair, 4, -1, "B", 0) && template_piece(pp, pair, 5, sep, NULL, 0)) {
    *roberta = 1;
    return WP_PAIR_BERT;
  }
  return WP_PAIR_UNSUPPORTED;
}

/* An id of BertProcessing's/RobertaProcessing's ["[CLS]", 101], or -1. */
static int32_t processing_id(json_t *pair) {
  json_t *id = json_array_get(pair, 1);
  if (json_array_size(pair) != 2 || !json_is_string(json_array_get(pair, 0)) || !json_is_integer(id) ||
      json_integer_value(id) < 0 || json_integer_value(id) >= WP_MAX_TOKEN_ID)
    return -1;
  return (int32_t)json_integer_value(id);
}

/* The ids put around a text.  Only what BERT-family models use is taken:
** anything else would change the ids or their token types (and so the
** vectors) without a word, so it is refused.  No post_processor at all
** keeps the default [CLS] and [SEP]. */
static wp_status read_post_processor(json_t *pp, const char *path, wp_tokenizer *t, wp_error *err) {
  if (!pp || json_is_null(pp)) return WP_OK;
  const char *type = json_string_value(json_object_get(pp, "type"));
  if (!type) {
    wp_set_error(err, WP_ERR_FORMAT, "post_processor in %s has no type", path);
    return WP_ERR_FORMAT;
  }
  if (strcmp(type, "TemplateProcessing") == 0) {
    json_t *single = json_object_get(pp, "single");
    if (json_array_size(single) == 3 && template_piece(pp, single, 1, -1, "A", 0)) {
      t->cls_id = template_id(pp, json_array_get(single, 0), 0);
      t->sep_id = template_id(pp, json_array_get(single, 2), 0);
    }
    if (json_array_size(single) != 3 || t->cls_id < 0 || t->sep_id < 0) {
      wp_set_error(err, WP_ERR_FORMAT,
                   "unsupported TemplateProcessing in %s: its single template must be a special "
                   "token, $A and a special token, all of type 0, each special token one id (as "
                   "BERT's \"[CLS] $A [SEP]\")", path);
      return WP_ERR_FORMAT;
    }
    t->pair_layout = template_pair(pp, json_object_get(pp, "pair"), t->cls_id, t->sep_id, &t->roberta_pair);
  } else if (strcmp(type, "BertProcessing") == 0 || strcmp(type, "RobertaProcessing") == 0) {
    t->roberta_pair = type[0] == 'R';
    t->cls_id = processing_id(json_object_get(pp, "cls"));
    t->sep_id = processing_id(json_object_get(pp, "sep"));
    if (t->cls_id < 0 || t->sep_id < 0) {
      wp_set_error(err, WP_ERR_FORMAT, "%s in %s: \"cls\" and \"sep\" must each be [token, id]", type,
                   path);
      return WP_ERR_FORMAT;
    }
  } else {
    wp_set_error(err, WP_ERR_FORMAT,
                 "unsupported post_processor type '%.64s' in %s (supported: TemplateProcessing, "
                 "BertProcessing, RobertaProcessing)", type, path);
    return WP_ERR_FORMAT;
  }
  return WP_OK;
}

wp_status wp_read_vocab_object(json_t *vocab, const char *path, wp_tokenizer *t, wp_error *err) {
  wp_status rc = WP_OK;
  if (!json_is_object(vocab)) FAIL(WP_ERR_FORMAT, "model.vocab in %s is not an object", path);
  /* json_object_foreach stops at a key with NUL; iterate by key length instead. */
  for (void *iter = json_object_iter(vocab); iter; iter = json_object_iter_next(vocab, iter)) {
    const char *key = json_object_iter_key(iter);
    json_t *val = json_object_iter_value(iter);
    size_t klen = strlen(key);
#if JANSSON_VERSION_HEX >= 0x020e00
    klen = json_object_iter_key_len(iter);
#endif
    if (!json_is_integer(val) || json_integer_value(val) < 0 || json_integer_value(val) >= WP_MAX_TOKEN_ID)
      FAIL(WP_ERR_FORMAT, "model.vocab in %s: token '%.64s' has a bad id (expected 0..%d)", path,
           key, WP_MAX_TOKEN_ID - 1);
    if (klen > WP_MAX_TOKEN_BYTES)
      FAIL(WP_ERR_FORMAT, "model.vocab in %s: a token is %zu bytes long (limit %d)", path, klen,
           WP_MAX_TOKEN_BYTES);
    if (wp_tok_add(t, key, klen, (int32_t)json_integer_value(val), 1) != WP_OK)
      FAIL(WP_ERR_NOMEM, "out of memory loading %s", path);
  }
done:
  return rc;
}

/* The WordPiece model, BERT's normalizer and pre-tokenizer. */
static wp_status read_wordpiece(json_t *root, json_t *model, const char *path, wp_tokenizer *t,
                                wp_error *err) {
  wp_status rc = WP_OK;
  wp_options *o = &t->opts;
  json_t *v;
  if ((v = json_object_get(model, "unk_token")) && !get_str(v, o->unk_token, sizeof o->unk_token))
    FAIL(WP_ERR_FORMAT, "model.unk_token in %s is not a string of at most %d bytes", path,
         (int)sizeof o->unk_token - 1);
  if ((v = json_object_get(model, "continuing_subword_prefix")) && !json_is_null(v) &&
      !get_str(v, o->continuing_subword_prefix, sizeof o->continuing_subword_prefix))
    FAIL(WP_ERR_FORMAT, "model.continuing_subword_prefix in %s is not a string of at most %d bytes",
         path, (int)sizeof o->continuing_subword_prefix - 1);
  if ((v = json_object_get(model, "max_input_chars_per_word")) && !json_is_null(v)) {
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > (1 << 30))
      FAIL(WP_ERR_FORMAT, "model.max_input_chars_per_word in %s is not a positive integer", path);
    o->max_input_chars_per_word = (int)json_integer_value(v);
  }
  if ((rc = read_normalizer(json_object_get(root, "normalizer"), o, path, err)) != WP_OK) goto done;

  json_t *pre = json_object_get(root, "pre_tokenizer");
  const char *pre_type = json_string_value(json_object_get(pre, "type"));
  if (!pre_type || strcmp(pre_type, "BertPreTokenizer") != 0)
    FAIL(WP_ERR_FORMAT, "unsupported pre_tokenizer type '%.64s' in %s (expected 'BertPreTokenizer')",
         pre_type ? pre_type : "(none)", path);

  rc = wp_read_vocab_object(json_object_get(model, "vocab"), path, t, err);

done:
  return rc;
}

wp_status wp_parse_tokenizer_json(const char *data, size_t len, const char *path,
                                  wp_tokenizer **out, wp_error *err) {
  *out = NULL;
  json_t *root;
  wp_status rc = parse(data, len, path, &root, err);
  if (rc == WP_OK) rc = wp_tokenizer_from_json(root, path, out, err);
  json_decref(root);
  return rc;
}

wp_status wp_load_tokenizer_json_value(json_t *root, const char *name, wp_tokenizer **out, wp_error *err) {
  *out = NULL;
  if (!json_is_object(root)) {
    wp_set_error(err, WP_ERR_FORMAT, "%s is not a JSON object", name);
    return WP_ERR_FORMAT;
  }
  return wp_tokenizer_from_json(root, name, out, err);
}

wp_status wp_tokenizer_from_json(json_t *root, const char *path, wp_tokenizer **out, wp_error *err) {
  wp_status rc = WP_OK;
  *out = NULL;
  wp_tokenizer *t = wp_tok_new();
  if (!t) FAIL(WP_ERR_NOMEM, "out of memory loading %s", path);

  json_t *model = json_object_get(root, "model");
  if (!json_is_object(model)) FAIL(WP_ERR_FORMAT, "%s has no \"model\" object", path);
  json_t *type = json_object_get(model, "type");
  if (!json_is_string(type))
    FAIL(WP_ERR_FORMAT, "tokenizer model in %s has no type (expected 'WordPiece', 'Unigram' or 'BPE')", path);
  if (strcmp(json_string_value(type), "Unigram") == 0) {
    if ((rc = wp_parse_unigram(root, model, path, t, err)) != WP_OK) goto done;
  } else if (strcmp(json_string_value(type), "BPE") == 0) {
    if ((rc = wp_parse_bpe(root, model, path, t, err)) != WP_OK) goto done;
  } else if (strcmp(json_string_value(type), "WordPiece") == 0) {
    if ((rc = read_wordpiece(root, model, path, t, err)) != WP_OK) goto done;
  } else {
    FAIL(WP_ERR_FORMAT, "unsupported tokenizer model type '%.64s' in %s (expected 'WordPiece', 'Unigram' or 'BPE')",
         json_string_value(type), path);
  }

  json_t *added = json_object_get(root, "added_tokens");
  size_t i;
  json_t *item;
  if (added && !json_is_null(added) && !json_is_array(added))
    FAIL(WP_ERR_FORMAT, "added_tokens in %s is not an array", path);
  json_array_foreach(added, i, item) {
    json_t *content = json_object_get(item, "content"), *id = json_object_get(item, "id");
    if (!json_is_string(content) || !json_is_integer(id) || json_integer_value(id) < 0 ||
        json_integer_value(id) >= WP_MAX_TOKEN_ID || json_string_length(content) > WP_MAX_TOKEN_BYTES)
      FAIL(WP_ERR_FORMAT, "added_tokens[%zu] in %s needs a string \"content\" and an id 0..%d", i,
           path, WP_MAX_TOKEN_ID - 1);
    /* "normalized": true -> matched in the normalised text, as the crate does */
    int normalized = json_is_true(json_object_get(item, "normalized"));
    int flags = (normalized ? WP_LIT_NORMALIZED : 0) |
                (json_is_true(json_object_get(item, "lstrip")) ? WP_LIT_LSTRIP : 0) |
                (json_is_true(json_object_get(item, "rstrip")) ? WP_LIT_RSTRIP : 0) |
                /* not the crate's: gguf_vocab.c's, for llama.cpp's isspace */
                (json_is_true(json_object_get(item, "ascii_strip")) ? WP_LIT_ASCII_STRIP : 0);
    wp_status r = wp_tok_add_literal(t, json_string_value(content), json_string_length(content),
                                     (int32_t)json_integer_value(id), flags);
    if (r == WP_ERR_FORMAT) FAIL(r, "%s has more than %d added tokens", path, WP_MAX_LITERALS);
    if (r != WP_OK) FAIL(WP_ERR_NOMEM, "out of memory loading %s", path);
    /* The reverse mapping needs the text of ids that exist only here. */
    if (!wp_id_to_token(t, (int32_t)json_integer_value(id), NULL) &&
        wp_tok_add(t, json_string_value(content), json_string_length(content),
                   (int32_t)json_integer_value(id), 0) != WP_OK)
      FAIL(WP_ERR_NOMEM, "out of memory loading %s", path);
  }
  if ((rc = read_post_processor(json_object_get(root, "post_processor"), path, t, err)) != WP_OK) goto done;
  wp_bpe_set_trim(t, json_object_get(root, "post_processor"));
  /* Without one the crate adds nothing around a text; the encoder needs <s> ... </s>. */
  if ((t->uni || t->bpe) && t->cls_id < 0)
    FAIL(WP_ERR_FORMAT, "%s tokenizer in %s has no post_processor naming the tokens put around a "
         "text (such as %s)", t->uni ? "Unigram" : "BPE", path,
         t->uni ? "XLM-R's \"<s> $A </s>\"" : "RoBERTa's RobertaProcessing");
  if ((rc = wp_tok_finish(t, path, err)) != WP_OK) goto done;
  *out = t;
  t = NULL;
done:
  wp_free(t);
  return rc;
}

wp_status wp_parse_tokenizer_config(const char *data, size_t len, const char *path,
                                    wp_options *opts, wp_error *err) {
  json_t *root;
  wp_status rc = parse(data, len, path, &root, err);
  if (rc != WP_OK) return rc;
  if (!get_bool(root, "do_lower_case", &opts->lowercase) ||
      !get_bool(root, "tokenize_chinese_chars", &opts->handle_chinese_chars))
    FAIL(WP_ERR_FORMAT, "do_lower_case and tokenize_chinese_chars in %s must be booleans", path);
  json_t *sa = json_object_get(root, "strip_accents");
  if (json_is_boolean(sa)) opts->strip_accents = json_is_true(sa);
  else if (sa && !json_is_null(sa))
    FAIL(WP_ERR_FORMAT, "strip_accents in %s must be a boolean or null", path);
  json_t *unk = json_object_get(root, "unk_token");
  if (json_is_object(unk)) unk = json_object_get(unk, "content"); /* an AddedToken */
  if (json_is_string(unk) && !get_str(unk, opts->unk_token, sizeof opts->unk_token))
    FAIL(WP_ERR_FORMAT, "unk_token in %s is longer than %d bytes", path, (int)sizeof opts->unk_token - 1);
done:
  json_decref(root);
  return rc;
}
