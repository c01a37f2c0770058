/*
** test_gguf.c — a BERT model in one GGUF file (engine/gguf.c), as llama.cpp's
** convert_hf_to_gguf.py writes it and sqlite-lembed loads it.
**
**   TEST_MODELS=build/test-models build/tests/test_gguf     (from the repository root)
**
** 1. llama.cpp's own file: tests/fixtures/tokenizer/llama-cpp/ggml-vocab-bert-bge.gguf
**    (bge-small-en-v1.5's vocabulary, written by llama.cpp's converter) gives
**    back bert-base-uncased's vocab.txt byte for byte, read with BERT's uncased
**    options, and tokenizes llama.cpp's 46 test texts as vocab.txt does (whose
**    ids test_tokenizer_parity checks against llama.cpp's expected ones);
**    bert-base-cased's vocabulary written as GGUF reads back cased.
** 2. Test models written as GGUF by tests/scripts/make_gguf.py (llama.cpp's
**    conventions, stdlib Python): f16 (F16 weights, CLS), minilm (F32, mean,
**    normalised) and nomic (architecture nomic-bert) embed bit for bit as
**    from their safetensors directories
**    (texts without a typed "[SEP]": sentence-transformers' do_lower_case,
**    which a GGUF file does not record, makes it plain text there); minilm
**    in Q8_0 stays within cosine 0.9999 of them, and each dequantised
**    weight is within half a quantisation step of F32's.
** 3. What is refused, each with its message: another architecture, a tensor
**    type not read, a pooling type not read (unless a pooling option is
**    given), a causal encoder; every truncation of a tiny model's GGUF and
**    every changed byte of its header is an error or a clean read.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../../engine/engine_int.h"
#include "../fuzz/fuzz_model.h"
#include "check.h"

#define LLAMA "tests/fixtures/tokenizer/llama-cpp/"

/* 1: llama.cpp's vocabulary file. */
static void check_llama_vocab(void) {
  char *vocab = NULL;
  size_t len = 0, want_len = 0;
  wp_options opts;
  ee_error err = {0};
  ee_status rc = ee_gguf_vocab(LLAMA "ggml-vocab-bert-bge.gguf", &vocab, &len, &opts, &err);
  CHECK_EQ_INT(rc, EE_OK, "llama.cpp's bert-bge GGUF: vocabulary read (%s)", err.msg);
  unsigned char *want = (unsigned char *)check_slurp("tests/fixtures/vocab/bert-base-uncased/vocab.txt", &want_len);
  CHECK(vocab && want && len == want_len && memcmp(vocab, want, len) == 0,
        "  it is bert-base-uncased's vocab.txt, byte for byte (%zu bytes)", len);
  CHECK(rc == EE_OK && opts.lowercase == 1 && opts.strip_accents == -1 && opts.clean_text == 1 &&
            opts.handle_chinese_chars == 1 && !strcmp(opts.continuing_subword_prefix, "##"),
        "  read as an uncased BERT vocabulary (no capitals in it)");
  wp_tokenizer *a = NULL, *b = NULL;
  wp_error werr;
  size_t ilen = 0;
  char *inp = check_slurp(LLAMA "ggml-vocab-bert-bge.gguf.inp", &ilen);
  int ok = vocab && inp && wp_load_vocab_txt_mem(vocab, len, &opts, &a, &werr) == WP_OK &&
           wp_load_vocab_txt("tests/fixtures/vocab/bert-base-uncased/vocab.txt", NULL, &b, &werr) == WP_OK;
  CHECK(ok, "  both tokenizers load");
  int cases = 0, same = 0;
  const char *sep = "\n__ggml_vocab_test__\n";
  for (char *p = inp; ok && p && p < inp + ilen; cases++) {
    char *end = strstr(p, sep);
    size_t n = end ? (size_t)(end - p) : strlen(p);
    wp_encoding ea = {0}, eb = {0};
    if (wp_encode(a, p, n, 0, &ea, &werr) == WP_OK && wp_encode(b, p, n, 0, &eb, &werr) == WP_OK &&
        ea.n == eb.n && !memcmp(ea.ids, eb.ids, sizeof *ea.ids * (size_t)ea.n))
      same++;
    wp_encoding_free(&ea);
    wp_encoding_free(&eb);
    p = end ? end + strlen(sep) : NULL;
  }
  CHECK(cases >= 46 && same == cases, "  llama.cpp's %d test texts tokenize alike (%d same)", cases, same);
  wp_free(a);
  wp_free(b);
  free(inp);
  free(want);
  se_free(vocab);
}

/* 1b: a cased vocabulary (bert-base-cased's) written as a vocabulary-only
** GGUF: read back byte for byte and not lowercased; as a model, refused
** for its missing tensors. */
static void check_cased_vocab(const char *tmp, const char *models_dir) {
  char cmd[8192], out[600], dir[600];
  snprintf(dir, sizeof dir, "%s/cased", tmp);
  snprintf(out, sizeof out, "%s/cased.gguf", tmp);
  snprintf(cmd, sizeof cmd,
           "mkdir -p '%s' && python3 -c \"import json; c = json.load(open('%s/f16/config.json')); "
           "c['vocab_size'] = 28996; json.dump(c, open('%s/config.json', 'w'))\" && "
           "cp tests/fixtures/vocab/bert-base-cased/vocab.txt '%s/' && "
           "python3 tests/scripts/make_gguf.py '%s' '%s' --vocab-only --pre default",
           dir, models_dir, dir, dir, dir, out);
  CHECK(system(cmd) == 0, "bert-base-cased's vocabulary written as a vocabulary-only GGUF");
  char *vocab = NULL;
  size_t len = 0, want_len = 0;
  wp_options opts;
  ee_error err = {0};
  ee_status rc = ee_gguf_vocab(out, &vocab, &len, &opts, &err);
  unsigned char *want = (unsigned char *)check_slurp("tests/fixtures/vocab/bert-base-cased/vocab.txt", &want_len);
  CHECK(rc == EE_OK && vocab && want && len == want_len && !memcmp(vocab, want, len),
        "  read back as bert-base-cased's vocab.txt, byte for byte (%s)", err.msg);
  CHECK(rc == EE_OK && opts.lowercase == 0, "  not lowercased: the vocabulary has capitals");
  ee_params p = ee_default_params();
  ee_model *m = NULL;
  memset(&err, 0, sizeof err);
  CHECK(ee_model_load(out, &p, &m, &err) == EE_ERR_FORMAT && m == NULL,
        "  as a model: refused, having no tensors");
  CHECK_STR_CONTAINS(err.msg, "missing tensor 'embeddings.word_embeddings.weight'", "  the message");
  free(want);
  se_free(vocab);
}

/* 2: test models as GGUF. */
static const char *models(void) {
  const char *m = getenv("TEST_MODELS");
  return m && *m ? m : "build/test-models";
}

/* extra: more arguments (the tiny model's vocabulary is no known
** pre-tokenizer's, whose hash the converter would look up: --pre names one) */
static int make_gguf(const char *shape_dir, const char *out, const char *type, const char *extra) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "python3 tests/scripts/make_gguf.py '%s' '%s' --type %s %s", shape_dir,
           out, type, extra);
  return system(cmd);
}

static const char *const TEXTS[] = {"Hello, world!", "", "the quick brown fox jumps over the lazy dog",
                                    "Café déjà vu", "UNUSUAL Capitals and an Ångström"};
#define NT 5

static float *embed_all(const char *dir, int normalize, int *dims) {
  ee_params p = ee_default_params();
  p.threads = 1;
  p.normalize = normalize;
  ee_model *m = NULL;
  ee_error err = {0};
  if (ee_model_load(dir, &p, &m, &err) != EE_OK) {
    printf("# %s: %s\n", dir, err.msg);
    return NULL;
  }
  *dims = ee_model_dims(m);
  float *out = calloc((size_t)NT * (size_t)*dims, sizeof *out);
  size_t lens[NT];
  for (int i = 0; i < NT; i++) lens[i] = strlen(TEXTS[i]);
  ee_context *ctx = ee_context_new(m);
  ee_status rc = ctx ? ee_embed_texts(ctx, NT, TEXTS, lens, out, &err) : EE_ERR_NOMEM;
  ee_context_free(ctx);
  ee_model_free(m);
  if (rc != EE_OK) {
    printf("# %s: %s\n", dir, err.msg);
    free(out);
    return NULL;
  }
  return out;
}

static void check_same(const char *label, const char *st_dir, const char *gguf, int normalize) {
  int da = 0, db = 0;
  float *a = embed_all(st_dir, normalize, &da), *b = embed_all(gguf, normalize, &db);
  int same = 0;
  for (int i = 0; a && b && da == db && i < NT; i++)
    same += !memcmp(a + i * da, b + i * da, sizeof *a * (size_t)da);
  CHECK(same == NT, "%s: the GGUF file embeds bit for bit as the safetensors directory (%d dims)", label, da);
  free(a);
  free(b);
}

static void check_models(const char *tmp) {
  char st[1024], f16[1024], f32[1024], q8[1024];
  snprintf(f16, sizeof f16, "%s/f16.gguf", tmp);
  snprintf(f32, sizeof f32, "%s/minilm.gguf", tmp);
  snprintf(q8, sizeof q8, "%s/minilm-q8_0.gguf", tmp);
  snprintf(st, sizeof st, "%s/f16", models());
  CHECK(make_gguf(st, f16, "f16", "") == 0, "f16 written as GGUF (f16)");
  check_same("f16 (F16 weights, CLS, not normalised)", st, f16, 0);
  snprintf(st, sizeof st, "%s/minilm", models());
  CHECK(make_gguf(st, f32, "f32", "") == 0, "minilm written as GGUF (f32)");
  check_same("minilm (F32, mean pooling, normalised)", st, f32, -1);
  CHECK(make_gguf(st, q8, "q8_0", "") == 0, "minilm written as GGUF (q8_0)");
  int da = 0, db = 0;
  float *a = embed_all(st, -1, &da), *b = embed_all(q8, -1, &db);
  double worst = 1.0;
  for (int i = 0; a && b && da == db && i < NT; i++) {
    double dot = 0, na = 0, nb = 0;
    for (int j = 0; j < da; j++) {
      dot += (double)a[i * da + j] * b[i * da + j];
      na += (double)a[i * da + j] * a[i * da + j];
      nb += (double)b[i * da + j] * b[i * da + j];
    }
    double c = dot / sqrt(na * nb);
    if (c < worst) worst = c;
  }
  CHECK(a && b && da == db && worst >= 0.9999 && worst < 1.0,
        "minilm Q8_0: every vector within cosine 0.9999 of F32's, not equal (worst %.6f)", worst);
  free(a);
  free(b);

  /* NomicBert (nomic-embed-text): rotary, fused QKV, SwiGLU, a padded word table */
  char nomic[1024], nomic_gg[1100];
  snprintf(nomic, sizeof nomic, "%s/nomic", models());
  snprintf(nomic_gg, sizeof nomic_gg, "%s/nomic.gguf", tmp);
  CHECK(make_gguf(nomic, nomic_gg, "f32", "") == 0, "nomic written as GGUF (f32, nomic-bert)");
  check_same("nomic (nomic-bert: rotary, Wqkv, SwiGLU)", nomic, nomic_gg, 1);

  /* Each Q8_0 weight against the F32 one it came from: within half a step
  ** (the block's scale d = max|x| / 127, rounded to F16, over 2). */
  st_file gf = {0}, sf = {0};
  ee_error err = {0};
  char stf[1100];
  snprintf(stf, sizeof stf, "%s/model.safetensors", st);
  int ok = st_open_with(&gf, q8, gguf_parse, &err) == EE_OK && st_open(&sf, stf, &err) == EE_OK;
  CHECK(ok, "minilm Q8_0 and F32 files open (%s)", err.msg);
  int q8_tensors = 0, bad = 0;
  for (int i = 0; ok && i < gf.n_tensors; i++) {
    const st_tensor *g = &gf.tensors[i], *s = st_find(&sf, g->name);
    if (g->dtype != ST_Q8_0) continue;
    q8_tensors++;
    if (!s || s->dtype != ST_F32 || s->numel != g->numel) {
      bad++;
      continue;
    }
    const unsigned char *blk = gf.data + g->begin;
    for (int64_t b = 0; b < g->numel / 32; b++, blk += 34) {
      uint16_t h;
      memcpy(&h, blk, 2);
      uint32_t e = (h >> 10) & 31u, man = h & 0x3ffu;
      double d = e ? ldexp(1024 + man, (int)e - 25) : ldexp(man, -24);
      if (h >> 15) d = -d;
      double amax = 0;
      float x[32];
      memcpy(x, sf.data + s->begin + 4 * 32 * b, sizeof x);
      for (int j = 0; j < 32; j++) amax = fabs(x[j]) > amax ? fabs(x[j]) : amax;
      for (int j = 0; j < 32; j++)
        if (fabs(d * (int8_t)blk[2 + j] - x[j]) > fabs(d) / 2 + amax * 2e-3) bad++;
    }
  }
  CHECK(ok && q8_tensors >= 12 && bad == 0,
        "minilm Q8_0: %d quantised matrices, every weight within half a step of F32's (%d off)",
        q8_tensors, bad);
  st_close(&gf);
  st_close(&sf);
}

/* 3: refusals and damage, on the fuzzers' tiny model (fuzz_model.h) as GGUF. */
static unsigned char *after(unsigned char *buf, size_t n, const char *key) {
  unsigned char *p = memmem(buf, n, key, strlen(key));
  return p ? p + strlen(key) : NULL;
}

/* A copy of tiny with one byte at (where + off) set to v; the load's error. */
static void check_patched(const char *label, const unsigned char *tiny, size_t n, const char *key,
                          size_t off, unsigned char v, int pooling_option, ee_status code,
                          const char *needle, const char *tmp) {
  unsigned char *buf = malloc(n);
  memcpy(buf, tiny, n);
  unsigned char *at = after(buf, n, key);
  CHECK(at && (size_t)(at - buf) + off < n, "%s: '%s' found in the file", label, key);
  if (!at) {
    free(buf);
    return;
  }
  at[off] = v;
  char path[1100];
  snprintf(path, sizeof path, "%s/patched.gguf", tmp);
  FILE *f = fopen(path, "wb");
  CHECK(f && fwrite(buf, 1, n, f) == n && fclose(f) == 0, "%s: written", label);
  free(buf);
  ee_params p = ee_default_params();
  p.threads = 1;
  if (pooling_option) p.pooling = EE_POOL_MEAN;
  ee_model *m = NULL;
  ee_error err = {0};
  ee_status rc = ee_model_load(path, &p, &m, &err);
  CHECK_EQ_INT(rc, code, "%s: %s (%s)", label, ee_status_string(code), err.msg);
  if (code != EE_OK) CHECK_STR_CONTAINS(err.msg, needle, "%s: the message", label);
  ee_model_free(m);
}

static void check_refusals(const char *tmp) {
  char dir[600], gguf[1100];
  CHECK(fz_model_dir(dir, sizeof dir, "gguf-tiny") == 0, "the tiny model written");
  snprintf(gguf, sizeof gguf, "%s/tiny.gguf", tmp);
  CHECK(make_gguf(dir, gguf, "f32", "--pre default") == 0, "the tiny model written as GGUF");
  size_t n = 0;
  unsigned char *tiny = (unsigned char *)check_slurp(gguf, &n);
  if (!tiny) return;
  ee_params p = ee_default_params();
  p.threads = 1;
  ee_model *m = NULL;
  ee_error err = {0};
  CHECK_EQ_INT(ee_model_load(gguf, &p, &m, &err), EE_OK, "the tiny GGUF loads (%s)", err.msg);
  ee_model_free(m);
  /* key, then u32 value type, then the value (a string: u64 length first) */
  check_patched("general.architecture 'bart'", tiny, n, "general.architecture", 4 + 8 + 1, 'a', 0,
                EE_ERR_UNSUPPORTED, "general.architecture 'bart' is not supported in a GGUF file", tmp);
  check_patched("bert.pooling_type 4 (rank)", tiny, n, "bert.pooling_type", 4, 4, 0, EE_ERR_UNSUPPORTED,
                "bert.pooling_type 4 is not mean (1) or cls (2): give a pooling option", tmp);
  check_patched("bert.pooling_type 4 with a pooling option", tiny, n, "bert.pooling_type", 4, 4, 1,
                EE_OK, "", tmp);
  check_patched("bert.attention.causal true", tiny, n, "bert.attention.causal", 4, 1, 0,
                EE_ERR_UNSUPPORTED, "bert.attention.causal is true", tmp);
  /* tensor info: name, u32 n_dims (2), two u64 dims, u32 type */
  check_patched("token_embd.weight of type 12 (Q4_K) with rows of 8", tiny, n, "token_embd.weight",
                4 + 16, 12, 0, EE_ERR_FORMAT, "Q4_K rows of 8 values, not whole blocks of 256", tmp);
  check_patched("token_embd.weight of type 16 (IQ2_XXS)", tiny, n, "token_embd.weight", 4 + 16, 16, 0,
                EE_ERR_UNSUPPORTED, "has GGML type 16 (read: F32, F16, BF16, Q8_0, Q4_0", tmp);
  check_patched("token_embd.weight of type 4 (removed from ggml)", tiny, n, "token_embd.weight",
                4 + 16, 4, 0, EE_ERR_UNSUPPORTED, "has GGML type 4 (read:", tmp);
  check_patched("bert.context_length 1", tiny, n, "bert.context_length", 4, 1, 0, EE_ERR_FORMAT,
                "patched.gguf leaves no room for [CLS] and [SEP]", tmp);
  /* tokenizer.ggml.model: u32 type, u64 length 4, "bert" */
  check_patched("tokenizer.ggml.model 'bart'", tiny, n, "tokenizer.ggml.model", 4 + 8 + 1, 'a', 0,
                EE_ERR_UNSUPPORTED,
                "tokenizer.ggml.model 'bart': the tokenizer is not WordPiece, byte-level BPE or Unigram", tmp);
  /* a token with a line break could not be a vocab.txt line: the first
  ** "\u2581" token's next byte made a newline */
  check_patched("a token holding a line break", tiny, n, "\xe2\x96\x81", 0, '\n', 0, EE_ERR_FORMAT,
                "is empty or holds a line break", tmp);
  check_patched("GGUF version 4", tiny, n, "GGUF", 0, 4, 0, EE_ERR_UNSUPPORTED,
                "GGUF version 4 (2 and 3 are read)", tmp);

  /* every truncation; every byte of the header and tensor infos changed */
  int bad_msg = 0, out_of_file = 0;
  long refused = 0, read_ok = 0;
  for (size_t len = 0; len < n; len++) {
    st_file f = {0};
    memset(&err, 0, sizeof err);
    if (gguf_parse(&f, "t.gguf", tiny, len, &err) == EE_OK) {
      read_ok++;
      for (int i = 0; i < f.n_tensors; i++) out_of_file |= f.tensors[i].end > f.data_size;
    } else {
      refused++;
      bad_msg |= !err.msg[0];
    }
    st_close(&f);
  }
  CHECK(!bad_msg && !out_of_file && read_ok <= 32,
        "each of the %zu truncations is refused with a message, or reads inside what is left (%ld: "
        "the last tensor's padding)", n, read_ok);
  const unsigned char *data_start = after(tiny, n, "layer_output_norm.weight"); /* near the end of the infos */
  size_t head = data_start ? (size_t)(data_start - tiny) + 64 : 0;
  unsigned char *copy = malloc(n);
  static const unsigned char values[] = {0x00, 0xff, 0x80, 0x01};
  for (size_t i = 0; i < head && i < n; i++)
    for (size_t v = 0; v < sizeof values; v++) {
      memcpy(copy, tiny, n);
      copy[i] = values[v];
      st_file f = {0};
      memset(&err, 0, sizeof err);
      if (gguf_parse(&f, "t.gguf", copy, n, &err) == EE_OK) {
        for (int t = 0; t < f.n_tensors; t++)
          out_of_file |= f.tensors[t].begin < 0 || f.tensors[t].end > f.data_size;
      } else {
        bad_msg |= !err.msg[0];
      }
      st_close(&f);
    }
  CHECK(head > 0 && !bad_msg && !out_of_file,
        "each of the first %zu bytes changed: refused with a message, or every tensor inside the file", head);
  free(copy);
  free(tiny);
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0, "the tiny model's directory removed");
}

/* The cases of a cases.jsonl, one JSON object a line, as an array (NULL if
** the file cannot be read). */
static json_t *read_cases(const char *path) {
  char *lines = check_slurp(path, NULL);
  json_t *cases = lines ? json_array() : NULL;
  for (char *line = lines; cases && line && *line;) {
    char *end = strchr(line, '\n');
    json_array_append_new(cases, json_loadb(line, end ? (size_t)(end - line) : strlen(line), JSON_ALLOW_NUL, NULL));
    line = end ? end + 1 : NULL;
  }
  free(lines);
  return cases;
}

/* How many cases of a cases.jsonl (text, ids) the GGUF file's tokenizer
** gives the ids of (*n: how many cases); the first few that differ are
** printed. */
static int cases_same(const char *gguf, const char *cases_path, int *n) {
  ee_params p = ee_default_params();
  p.threads = 1;
  ee_model *m = NULL;
  ee_error err = {0};
  CHECK_EQ_INT(ee_model_load(gguf, &p, &m, &err), EE_OK, "  loads (%s)", err.msg);
  json_t *cases = read_cases(cases_path), *c;
  size_t i;
  int same = 0;
  *n = 0;
  json_array_foreach(cases, i, c) {
    if (!m) break;
    const char *text = json_string_value(json_object_get(c, "text"));
    size_t tlen = json_string_length(json_object_get(c, "text"));
    const json_t *ids = json_object_get(c, "ids");
    wp_encoding enc = {0};
    wp_error werr;
    int eq = text && wp_encode(ee_model_tokenizer(m), text, tlen, 0, &enc, &werr) == WP_OK &&
             (size_t)enc.n == json_array_size(ids);
    for (int k = 0; eq && k < enc.n; k++) eq = enc.ids[k] == json_integer_value(json_array_get(ids, (size_t)k));
    if (!eq && *n - same < 3) { /* the first few that differ */
      char *line = json_dumps(c, JSON_COMPACT);
      printf("# differs: %s\n", line ? line : "?");
      free(line);
    }
    same += eq;
    (*n)++;
    wp_encoding_free(&enc);
  }
  json_decref(cases);
  ee_model_free(m);
  return same;
}

/* llama.cpp's ids for one text longer than the tokenizer's windows (its
** count and FNV-1a hash, from llama_tokenize.mjs's LONG.json): the texts of
** cases_path without '<', each followed by a space, cycled to `size` bytes. */
static void long_same(const char *label, const char *gguf, const char *cases_path, const char *long_path) {
  json_t *want = json_load_file(long_path, 0, NULL), *cases = read_cases(cases_path), *texts = json_array(), *c;
  size_t k;
  json_array_foreach(cases, k, c) {
    json_t *t = json_object_get(c, "text");
    if (json_is_string(t) && !memchr(json_string_value(t), '<', json_string_length(t))) json_array_append(texts, t);
  }
  json_decref(cases);
  size_t size = (size_t)json_integer_value(json_object_get(want, "size")), len = 0, cap = size + 65536;
  char *text = json_array_size(texts) ? malloc(cap) : NULL;
  for (size_t i = 0; text && len < size; i++) {
    json_t *t = json_array_get(texts, i % json_array_size(texts));
    if (len + json_string_length(t) + 1 > cap) break;
    memcpy(text + len, json_string_value(t), json_string_length(t));
    len += json_string_length(t);
    text[len++] = ' ';
  }
  ee_params p = ee_default_params();
  p.threads = 1;
  ee_model *m = NULL;
  ee_error err = {0};
  wp_encoding enc = {0};
  wp_error werr;
  char hex[17] = "";
  if (text && (int64_t)len == json_integer_value(json_object_get(want, "bytes")) &&
      ee_model_load(gguf, &p, &m, &err) == EE_OK && wp_encode(ee_model_tokenizer(m), text, len, 0, &enc, &werr) == WP_OK)
    snprintf(hex, sizeof hex, "%016llx", check_fnv1a64_i32(0xcbf29ce484222325ull, enc.ids, (size_t)enc.n));
  const char *want_hex = json_string_value(json_object_get(want, "ids_fnv1a64"));
  CHECK(enc.n > 0 && enc.n == json_integer_value(json_object_get(want, "n")) && want_hex && strcmp(hex, want_hex) == 0,
        "  %s: llama.cpp's ids for a %zu-byte text of its cases (%d tokens, fnv %s)", label, len, enc.n, hex);
  wp_encoding_free(&enc);
  ee_model_free(m);
  free(text);
  json_decref(texts);
  json_decref(want);
}

/* The test model `shape` written as an F32 GGUF into *gguf (make_gguf.py
** with `extra` arguments), embedding bit for bit as its directory; the
** file's bytes (free them), or NULL. */
static unsigned char *shape_gguf(const char *tmp, const char *shape, const char *extra, const char *label,
                                 char *gguf, size_t cap, size_t *len) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/%s", models(), shape);
  snprintf(gguf, cap, "%s/%s.gguf", tmp, shape);
  CHECK(make_gguf(dir, gguf, "f32", extra) == 0, "%s written as GGUF", label);
  check_same(label, dir, gguf, -1);
  return (unsigned char *)check_slurp(gguf, len);
}

/* 4: a byte-level BPE vocabulary (tokenizer.ggml.model "gpt2"): the
** jina_code test model, whose tokenizer.json is tests/fixtures/tokenizer/bpe's,
** as the converter writes jina-embeddings-v2-base-code. */
static void check_bpe(const char *tmp) {
  char gguf[1100];
  size_t len = 0;
  unsigned char *bpe = shape_gguf(tmp, "jina_code", "--pre jina-v2-code", "jina_code (qk-post-norm, byte-level BPE)",
                                  gguf, sizeof gguf, &len);

  /* llama.cpp's ids (special tokens parsed, as sqlite-lembed) for every case
  ** of the tokenizer fixture the vocabulary came from; the Hugging Face ids
  ** but where llama.cpp's <mask> lstrip takes ASCII white space only */
  int n = 0, same = cases_same(gguf, "tests/fixtures/gguf_quants/jina_code_bpe-cases.jsonl", &n);
  CHECK(n >= 6000 && same == n, "  llama.cpp's ids for all %d cases of tokenizer/bpe (%d same)", n, same);
  same = cases_same(gguf, "tests/fixtures/tokenizer/bpe/cases.jsonl", &n);
  CHECK(n >= 6000 && same == n - 5, "  the Hugging Face tokenizer's ids for %d of them (%d differ)", same, n - same);
  long_same("jina_code BPE", gguf, "tests/fixtures/gguf_quants/jina_code_bpe-cases.jsonl",
            "tests/fixtures/gguf_quants/jina_code_bpe-long.json");
  if (!bpe) return;
  /* a string value: u32 type, u64 length, then its bytes */
  check_patched("tokenizer.ggml.pre 'jina-v2-codX'", bpe, len, "tokenizer.ggml.pre", 4 + 8 + 11, 'X', 0,
                EE_ERR_UNSUPPORTED, "tokenizer.ggml.pre 'jina-v2-codX' is not read here", tmp);
  check_patched("tokenizer.ggml.model 'gpt3'", bpe, len, "tokenizer.ggml.model", 4 + 8 + 3, '3', 0,
                EE_ERR_UNSUPPORTED,
                "tokenizer.ggml.model 'gpt3': the tokenizer is not WordPiece, byte-level BPE or Unigram", tmp);
  check_patched("no tokenizer.ggml.merges", bpe, len, "tokenizer.ggml.merge", 0, 'X', 0, EE_ERR_FORMAT,
                "a byte-level BPE vocabulary without tokenizer.ggml.merges", tmp);
  check_patched("tokenizer.ggml.token_type of UINT32", bpe, len, "tokenizer.ggml.token_type", 4, 4 /* UINT32 */, 0,
                EE_ERR_FORMAT, "tokenizer.ggml.token_type is not an array of 4000 INT32", tmp);
  check_patched("tokenizer.ggml.add_bos_token false", bpe, len, "tokenizer.ggml.add_bos_token", 4, 0, 0,
                EE_ERR_UNSUPPORTED, "with add_bos_token and add_eos_token true", tmp);
  check_patched("tokenizer.ggml.eos_token_id 65538", bpe, len, "tokenizer.ggml.eos_token_id", 4 + 2, 1, 0,
                EE_ERR_FORMAT, "tokenizer.ggml.eos_token_id is not a token id (the vocabulary has 4000", tmp);
  /* tokens: u32 element type, u64 count, then strings; the first is "<s>" */
  check_patched("a token of invalid UTF-8", bpe, len, "tokenizer.ggml.tokens", 4 + 4 + 8 + 8, 0xff, 0,
                EE_ERR_FORMAT, "token 0 is not UTF-8 text", tmp);
  /* the first merge, "\u0120 t", with byte 1 in place of "t": no token */
  check_patched("a merge naming no token", bpe, len, "tokenizer.ggml.merges", 4 + 4 + 8 + 8 + 3, 1, 0,
                EE_ERR_FORMAT, "which is not in model.vocab", tmp);
  free(bpe);
}

/* 5: a SentencePiece Unigram vocabulary ("t5"): the xlmroberta test model,
** whose tokenizer.json is tests/fixtures/tokenizer/unigram's, as the
** converter writes XLM-R (bge-m3, multilingual-e5). */
static void check_unigram(const char *tmp) {
  char gguf[1100];
  size_t len = 0;
  unsigned char *uni = shape_gguf(tmp, "xlmroberta", "", "xlmroberta (XLM-R, Unigram; position table cut by 2)", gguf,
                                  sizeof gguf, &len);
  /* llama.cpp's ids for every case of the tokenizer fixture (normalised as
  ** SentencePiece does: longest charsmap key, ' ' dropped at the ends), 150
  ** of which the Hugging Face tokenizer gives otherwise */
  int n = 0, same = cases_same(gguf, "tests/fixtures/gguf_quants/xlmroberta-cases.jsonl", &n);
  CHECK(n >= 600 && same == n, "  llama.cpp's ids for all %d cases of tokenizer/unigram (%d same)", n, same);
  /* cut in 64 KB windows here, normalised and segmented whole by llama.cpp */
  long_same("xlmroberta Unigram", gguf, "tests/fixtures/gguf_quants/xlmroberta-cases.jsonl",
            "tests/fixtures/gguf_quants/xlmroberta-long.json");
  if (!uni) return;
  check_patched("tokenizer.ggml.remove_extra_whitespaces false", uni, len, "tokenizer.ggml.remove_extra_whitespaces",
                4, 0, 0, EE_ERR_UNSUPPORTED, "tokenizer.ggml.remove_extra_whitespaces is not true", tmp);
  check_patched("tokenizer.ggml.scores of INT32", uni, len, "tokenizer.ggml.scores", 4, 5 /* INT32 */, 0,
                EE_ERR_FORMAT, "a Unigram vocabulary needs tokenizer.ggml.scores, an array of 4002 FLOAT32", tmp);
  /* scores: u32 type, u32 element type, u64 count, then floats; token 4's,
  ** -1.799 (0xbfe6...), made 0x7fe6...: a NaN */
  check_patched("a NaN score", uni, len, "tokenizer.ggml.scores", 4 + 4 + 8 + 4 * 4 + 3, 0x7f, 0, EE_ERR_FORMAT,
                "the score of token 4 is not a finite number", tmp);
  check_patched("no tokenizer.ggml.unknown_token_id", uni, len, "tokenizer.ggml.unknown_token_i", 0, 'X', 0,
                EE_ERR_FORMAT, "a Unigram vocabulary needs tokenizer.ggml.unknown_token_id", tmp);
  check_patched("a damaged charsmap (trie size past the blob)", uni, len, "tokenizer.ggml.precompiled_charsmap",
                4 + 4 + 8 + 3, 0x7f, 0, EE_ERR_FORMAT, "Precompiled", tmp);
  free(uni);
}

/* A GGUF file of one F32 tensor (name, ne[0..nd)) and no metadata, written here. */
static size_t one_tensor_gguf(unsigned char *out, const char *name, int nd, const uint64_t *ne) {
  size_t n = 0;
#define PUT(v, k) do { uint64_t x_ = (v); for (int b_ = 0; b_ < (k); b_++) out[n++] = (unsigned char)(x_ >> (8 * b_)); } while (0)
  memcpy(out, "GGUF", 4), n = 4;
  PUT(3, 4);
  PUT(1, 8);
  PUT(0, 8);
  PUT(strlen(name), 8);
  memcpy(out + n, name, strlen(name)), n += strlen(name);
  PUT((uint64_t)nd, 4);
  uint64_t numel = 1;
  for (int d = 0; d < nd; d++) {
    PUT(ne[d], 8);
    numel *= ne[d];
  }
  PUT(0, 4); /* F32 */
  PUT(0, 8); /* at offset 0 */
  while (n % 32) out[n++] = 0;
  for (uint64_t i = 0; i < numel; i++) {
    float f = (float)i;
    memcpy(out + n, &f, 4), n += 4;
  }
#undef PUT
  return n;
}

static void check_shapes(void) {
  unsigned char buf[512];
  uint64_t ne1[1] = {8}, ne2[2] = {8, 3};
  st_file f = {0};
  ee_error err = {0};
  size_t n = one_tensor_gguf(buf, "token_types.weight", 1, ne1);
  const st_tensor *t = NULL;
  CHECK(gguf_parse(&f, "t.gguf", buf, n, &err) == EE_OK &&
            (t = st_find(&f, "embeddings.token_type_embeddings.weight")) && t->ndim == 2 &&
            t->shape[0] == 1 && t->shape[1] == 8,
        "a 2024 converter's 1-D token_types [8] is BertModel's [1, 8] (%s)", err.msg);
  st_close(&f);
  n = one_tensor_gguf(buf, "blk.11.ffn_down.weight", 2, ne2);
  CHECK(gguf_parse(&f, "t.gguf", buf, n, &err) == EE_OK &&
            (t = st_find(&f, "encoder.layer.11.output.dense.weight")) && t->ndim == 2 &&
            t->shape[0] == 3 && t->shape[1] == 8,
        "blk.11.ffn_down.weight ne {8, 3} is encoder.layer.11.output.dense.weight [3, 8] (out, in)");
  st_close(&f);
  n = one_tensor_gguf(buf, "output_norm.weight", 1, ne1);
  CHECK(gguf_parse(&f, "t.gguf", buf, n, &err) == EE_OK && st_find(&f, "output_norm.weight"),
        "a tensor BERT does not have keeps its GGUF name");
  st_close(&f);
}

int main(void) {
  char tmp[] = "/tmp/se-gguf-XXXXXX";
  if (!mkdtemp(tmp)) return 1;
  check_llama_vocab();
  check_shapes();
  check_cased_vocab(tmp, models());
  check_models(tmp);
  check_refusals(tmp);
  check_bpe(tmp);
  check_unigram(tmp);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0) printf("# could not remove %s\n", tmp);
  return check_finish();
}
