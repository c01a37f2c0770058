/*
** bpe_json.c — the byte-level BPE parts of a tokenizer.json, as RoBERTa's
** (roberta-base, all-distilroberta-v1, all-roberta-large-v1) and GPT-2's
** are laid out:
**
**   "model": {"type": "BPE", "dropout": null, "unk_token": null,
**             "continuing_subword_prefix": "", "end_of_word_suffix": "",
**             "fuse_unk": false, "byte_fallback": false,
**             "vocab": {"<s>": 0, ..., "Ġthe": 5, ...},
**             "merges": ["Ġ t", "h e", ...]}
**       merges as "left right" strings or (tokenizers >= 0.20) as
**       [left, right] pairs; their order is their priority
**   "normalizer": null, or {"type": "NFC"} (ModernBERT's, OLMo's; nfc.c)
**   "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false,
**                     "trim_offsets": true, "use_regex": true}
**   "post_processor": {"type": "RobertaProcessing", ..., "trim_offsets": true,
**                      "add_prefix_space": false}  (tokenizer_json.c reads the
**       ids; wp_bpe_set_trim its offset flags)
**
** What would change the ids in a way not done here is refused by name: a
** dropout (random merges), a continuing_subword_prefix or
** end_of_word_suffix, byte_fallback, another normalizer, another
** pre-tokenizer.
** The vocabulary's entries are byte-level strings (each byte of the text
** as one printable character, as GPT-2's bytes_to_unicode maps them);
** the merges are read into a table of id pairs (bpe.c).
*/
#include "wp_internal.h"
#include "se_alloc.h"
#include <jansson.h>
#include <string.h>

#define FAIL(code, ...) do { wp_set_error(err, code, __VA_ARGS__); rc = code; goto done; } while (0)

/* GPT-2's bytes_to_unicode: the printable bytes ('!'..'~', U+00A1..U+00AC,
** U+00AE..U+00FF) stand for themselves; the others, in order, for
** U+0100, U+0101, ... (so a space is 'Ġ' U+0120 and a newline 'Ċ'). */
uint32_t wp_byte_char(int byte) {
  int printable = (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE && byte <= 0xFF);
  if (printable) return (uint32_t)byte;
  int k = 0;
  for (int b = 0; b < byte; b++)
    if (!((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF))) k++;
  return 256u + (uint32_t)k;
}

static int flag(json_t *obj, const char *key, int def) {
  json_t *v = json_object_get(obj, key);
  return json_is_boolean(v) ? json_is_true(v) : def;
}

/* A string setting that must be absent, null or "" (what RoBERTa has). */
static int empty_or_null(json_t *model, const char *key) {
  json_t *v = json_object_get(model, key);
  return !v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0);
}

/* The id of a vocabulary entry named by a merge, or -1. */
static int32_t merge_part(const wp_tokenizer *t, json_t *v) {
  return json_is_string(v) ? wp_tok_lookup(t, json_string_value(v), json_string_length(v), "", 0) : -1;
}

static wp_status read_merges(json_t *merges, const char *path, wp_tokenizer *t, wp_error *err) {
  wp_status rc = WP_OK;
  wp_bpe *b = t->bpe;
  size_t i;
  json_t *m;
  if (!json_is_array(merges)) FAIL(WP_ERR_FORMAT, "model.merges in %s is not an array", path);
  if (json_array_size(merges) >= (size_t)WP_MAX_TOKEN_ID)
    FAIL(WP_ERR_FORMAT, "model.merges in %s has more than %d lines", path, WP_MAX_TOKEN_ID - 1);
  json_array_foreach(merges, i, m) {
    /* the crate reads either form, never both in one file */
    if (json_is_string(m) != json_is_string(json_array_get(merges, 0)))
      FAIL(WP_ERR_FORMAT, "model.merges in %s mixes \"left right\" strings and [left, right] pairs", path);
    int32_t left = -1, right = -1;
    const char *lt = NULL, *rt = NULL;
    size_t ll = 0, rl = 0;
    if (json_is_string(m)) { /* "left right": exactly one space */
      const char *z = json_string_value(m), *sp = memchr(z, ' ', json_string_length(m));
      if (sp && !memchr(sp + 1, ' ', json_string_length(m) - (size_t)(sp + 1 - z))) {
        lt = z, ll = (size_t)(sp - z), rt = sp + 1, rl = json_string_length(m) - ll - 1;
        left = wp_tok_lookup(t, lt, ll, "", 0);
        right = wp_tok_lookup(t, rt, rl, "", 0);
      } else {
        FAIL(WP_ERR_FORMAT, "model.merges[%zu] in %s is not two tokens separated by one space", i, path);
      }
    } else if (json_is_array(m) && json_array_size(m) == 2 && json_is_string(json_array_get(m, 0)) &&
               json_is_string(json_array_get(m, 1))) {
      lt = json_string_value(json_array_get(m, 0)), ll = json_string_length(json_array_get(m, 0));
      rt = json_string_value(json_array_get(m, 1)), rl = json_string_length(json_array_get(m, 1));
      left = merge_part(t, json_array_get(m, 0));
      right = merge_part(t, json_array_get(m, 1));
    } else {
      FAIL(WP_ERR_FORMAT, "model.merges[%zu] in %s is neither \"left right\" nor [left, right]", i, path);
    }
    if (left < 0 || right < 0)
      FAIL(WP_ERR_FORMAT, "model.merges[%zu] in %s names '%.*s', which is not in model.vocab", i, path,
           (int)((left < 0 ? ll : rl) < 64 ? (left < 0 ? ll : rl) : 64), left < 0 ? lt : rt);
    int32_t into = wp_tok_lookup(t, lt, ll, rt, rl);
    if (into < 0)
      FAIL(WP_ERR_FORMAT, "model.merges[%zu] in %s makes '%.*s%.*s', which is not in model.vocab", i,
           path, (int)(ll < 64 ? ll : 64), lt, (int)(rl < 64 ? rl : 64), rt);
    if (wp_bpe_add_merge(b, left, right, (int32_t)i, into) != WP_OK)
      FAIL(WP_ERR_NOMEM, "out of memory loading %s", path);
  }
done:
  return rc;
}

static wp_status read_pre_tokenizer(json_t *pre, const char *path, wp_bpe *b, wp_error *err) {
  wp_status rc = WP_OK;
  const char *type = json_string_value(json_object_get(pre, "type"));
  if (!type || strcmp(type, "ByteLevel") != 0)
    FAIL(WP_ERR_FORMAT, "unsupported pre_tokenizer type '%.64s' for a BPE model in %s (expected "
         "'ByteLevel')", type ? type : "(none)", path);
  b->add_prefix_space = flag(pre, "add_prefix_space", 1);
  b->use_regex = flag(pre, "use_regex", 1);
done:
  return rc;
}

void wp_bpe_set_trim(wp_tokenizer *t, json_t *pp) {
  if (!t->bpe) return;
  const char *type = json_string_value(json_object_get(pp, "type"));
  /* Only these two trim; TemplateProcessing leaves the offsets as they are. */
  int trims = type && (strcmp(type, "RobertaProcessing") == 0 || strcmp(type, "ByteLevel") == 0);
  t->bpe->trim_offsets = trims && flag(pp, "trim_offsets", 1);
  t->bpe->trim_keep_prefix = trims && flag(pp, "add_prefix_space", 1);
}

wp_status wp_parse_bpe(json_t *root, json_t *model, const char *path, wp_tokenizer *t, wp_error *err) {
  wp_status rc = WP_OK;
  wp_bpe *b = t->bpe = se_calloc(1, sizeof *t->bpe);
  if (!b) FAIL(WP_ERR_NOMEM, "out of memory loading %s", path);
  b->unk_id = -1;
  json_t *v = json_object_get(model, "dropout");
  if (v && !json_is_null(v) && !(json_is_number(v) && json_number_value(v) == 0.0))
    FAIL(WP_ERR_FORMAT, "model.dropout in %s is set: BPE dropout picks merges at random, so the same "
         "text would not give the same tokens (set it to null)", path);
  if (!empty_or_null(model, "continuing_subword_prefix") || !empty_or_null(model, "end_of_word_suffix"))
    FAIL(WP_ERR_FORMAT, "unsupported BPE model in %s: a continuing_subword_prefix or end_of_word_suffix "
         "(supported: byte-level BPE without them, as RoBERTa's and GPT-2's)", path);
  if (flag(model, "byte_fallback", 0))
    FAIL(WP_ERR_FORMAT, "unsupported BPE model in %s: byte_fallback (supported: byte-level BPE, as "
         "RoBERTa's and GPT-2's)", path);
  b->fuse_unk = flag(model, "fuse_unk", 0);
  b->ignore_merges = flag(model, "ignore_merges", 0);
  json_t *norm = json_object_get(root, "normalizer");
  const char *norm_type = json_string_value(json_object_get(norm, "type"));
  b->nfc = norm_type && strcmp(norm_type, "NFC") == 0;
  if (norm && !json_is_null(norm) && !b->nfc)
    FAIL(WP_ERR_FORMAT, "unsupported normalizer '%.64s' for a BPE model in %s (supported: null, as "
         "RoBERTa's, or NFC, as ModernBERT's)", norm_type ? norm_type : "?", path);
  if ((rc = read_pre_tokenizer(json_object_get(root, "pre_tokenizer"), path, b, err)) != WP_OK) goto done;
  if ((rc = wp_read_vocab_object(json_object_get(model, "vocab"), path, t, err)) != WP_OK) goto done;
  v = json_object_get(model, "unk_token");
  if (v && !json_is_null(v)) {
    if (!json_is_string(v) || json_string_length(v) >= sizeof t->opts.unk_token)
      FAIL(WP_ERR_FORMAT, "model.unk_token in %s is not a string of at most %d bytes", path,
           (int)sizeof t->opts.unk_token - 1);
    b->unk_id = wp_tok_lookup(t, json_string_value(v), json_string_length(v), "", 0);
    if (b->unk_id < 0)
      FAIL(WP_ERR_FORMAT, "model.unk_token '%.64s' in %s is not in model.vocab", json_string_value(v), path);
    memcpy(t->opts.unk_token, json_string_value(v), json_string_length(v) + 1);
  } else {
    t->opts.unk_token[0] = 0;
  }
  for (int byte = 0; byte < 256; byte++) {
    unsigned char u[4];
    int n = wpu_encode(wp_byte_char(byte), u);
    b->byte_id[byte] = wp_tok_lookup(t, (const char *)u, (size_t)n, "", 0);
  }
  if ((rc = read_merges(json_object_get(model, "merges"), path, t, err)) != WP_OK) goto done;
  /* The BERT normaliser's flags stay off: the text reaches the model as it is. */
  t->opts.lowercase = t->opts.strip_accents = t->opts.clean_text = t->opts.handle_chinese_chars = 0;
done:
  return rc;
}
