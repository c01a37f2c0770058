/*
** test_oom.c — allocation-failure injection over the tokenizer and the
** engine: every allocation of a call is made to fail in turn, and the call
** must fail cleanly.
**
**   make test-oom        (builds build-oom/test_oom with -DSE_FAULT_INJECTION
**                         and AddressSanitizer, then runs it)
**
** For each path below the sweep runs N = 0, 1, 2, ...: se_fault_set(N) lets
** N allocations succeed and refuses every one after that (tokenizer/se_alloc.h),
** then the call runs.  It must either return the out-of-memory status
** (WP_ERR_NOMEM / EE_ERR_NOMEM, with a message), or succeed with a correct
** result; any other status, or NOMEM with no refused allocation, is a
** failure.  After se_fault_reset() the objects the failed call touched (a
** wp_encoding, an ee_context) must work and give the reference result.  The
** sweep ends at the first N at which the call succeeds without a refused
** allocation: N is then the number of allocation points swept, printed in
** the path's PASS line.  LeakSanitizer is asked after each path whether
** anything leaked (__lsan_do_recoverable_leak_check), so a leak on any
** error path fails the path that caused it.
**
** Paths: wp_load_dir on the bert-base-uncased vocab.txt and on MiniLM's
** tokenizer.json; wp_encode and wp_encode_pair (also with the MPNet-style
** tokenizer.json: RobertaProcessing, "<unk>" matched after normalising);
** ee_model_load on the f16, bge (two shards, tokenizer.json), dense and
** mpnet test models; ee_context_new + ee_embed_texts of a small batch (one
** batch, batches of two, two threads).
**
** JSON: in this build jansson allocates through se_alloc.h too
** (tokenizer/se_json.c), so every JSON parse is swept as well: a failure
** there must come back as NOMEM, not as "invalid JSON".  The sweeps over
** MiniLM's and bge's 30,522-token tokenizer.json leave jansson out
** (se_fault_json(0)): each token adds allocation points and each point
** re-parses the file, hours in all.  Instead the JSON sweeps run on small
** files that have every kind of JSON the loaders read: the tiny model of
** tests/fuzz/fuzz_model.h (config.json, modules.json,
** 1_Pooling/config.json, sentence_bert_config.json, tokenizer_config.json,
** the safetensors header), the same model split by
** model.safetensors.index.json and read through a small tokenizer.json
** (tests/fuzz/corpus/fuzz_tokenizer_json/template_processing.json).
** Two files are also parsed with one allocation refused at a time (the
** ones after it succeed): where jansson drops a byte it could not store,
** se_json.c must report out of memory, never a document a byte short; one
** of them starts with 19-character scores, on which jansson's lexer
** asserts when its buffer cannot grow (both swept with jansson injected).
**
** Built by the ordinary pattern rule (no SE_FAULT_INJECTION) it prints SKIP.
*/
#include "check.h"
#include "../../engine/embed_engine.h"
#include "../../tokenizer/se_alloc.h"
#include "../../tokenizer/se_json.h"
#include "../fuzz/fuzz_model.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef SE_FAULT_INJECTION
int main(void) {
  printf("SKIP: test_oom needs -DSE_FAULT_INJECTION: run `make test-oom`\n");
  return 0;
}
#else

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_LSAN 1
#endif
#endif
#ifdef HAVE_LSAN
#include <sanitizer/lsan_interface.h>
static int leaks_now(void) { return __lsan_do_recoverable_leak_check(); }
#else
static int leaks_now(void) { return 0; }
#endif

#define MAX_SWEEP 200000

/* The second pass refuses only the Nth allocation and lets the ones after
** it succeed (se_fault_set_once), as a transient shortage would: code that
** carries on after a refusal must still give the right result. */
static int g_once;
static const char *g_mode = "";

/* Refuse allocation n and, unless once, every one after it. */
static void fault_arm_mode(long n, int once) {
  if (once) se_fault_set_once(n);
  else se_fault_set(n);
}

static void fault_arm(long n) { fault_arm_mode(n, g_once); }

/* label with the pass's prefix, in buf */
static const char *mode_label(char *buf, size_t n, const char *label) {
  snprintf(buf, n, "%s%s", g_mode, label);
  return buf;
}

static char fixtures[1024] = "tests/fixtures/vocab";
static char models[1024] = "build/test-models";

/* ---- the tokenizer ------------------------------------------------------ */

typedef wp_status (*wp_loader)(const char *path, wp_tokenizer **out, wp_error *err);

/* se_json_loadb of an invalid document (a truncated tokenizer.json with
** XLM-R's long scores) with allocations refused, from the Nth on and only
** the Nth: each parse fails, with out of memory or the message of the parse
** without refusals, and never aborts (jansson's lexer asserts when its
** buffer cannot grow inside a long number: se_json.c parses it primed). */
static void sweep_json_invalid(const char *label, const char *doc) {
  size_t len = strlen(doc);
  json_error_t ref_err, jerr;
  int nomem = 0;
  json_t *ref = se_json_loadb(doc, len, 0, &ref_err, &nomem);
  if (ref || nomem) {
    CHECK(0, "%s: the document must fail to parse, with a message", label);
    json_decref(ref);
    return;
  }
  for (int once = 0; once < 2; once++) {
    long n, bad = 0;
    for (n = 0; n < MAX_SWEEP; n++) {
      fault_arm_mode(n, once);
      json_t *v = se_json_loadb(doc, len, 0, &jerr, &nomem);
      long refused = se_fault_failures();
      se_fault_reset();
      if (v || (nomem && refused == 0) || (!nomem && strcmp(jerr.text, ref_err.text) != 0)) {
        bad++;
        printf("  N=%ld: %s (%s), %ld refused\n", n, v ? "parsed" : nomem ? "out of memory" : "another error",
               jerr.text, refused);
      }
      json_decref(v);
      if (refused == 0) break;
    }
    CHECK(bad == 0 && n < MAX_SWEEP, "%s (%s): %ld allocation points swept, each parse out of memory or '%s'",
          label, once ? "only the Nth refused" : "the Nth and later refused", n, ref_err.text);
  }
  CHECK(!leaks_now(), "%s: no leaks", label);
}

static int same_encoding(const wp_encoding *a, const wp_encoding *b) {
  return a->n == b->n && a->n_untruncated == b->n_untruncated &&
         memcmp(a->ids, b->ids, sizeof(int32_t) * (size_t)a->n) == 0 &&
         memcmp(a->type_ids, b->type_ids, sizeof(int32_t) * (size_t)a->n) == 0 &&
         memcmp(a->offsets, b->offsets, sizeof(int32_t) * 2 * (size_t)a->n) == 0;
}

/* Whether tokenizers a and b encode a text with accents, CJK, a long word
** and special tokens alike. */
static int same_tokens(const wp_tokenizer *a, const wp_tokenizer *b) {
  static const char text[] = "Hello, world! [CLS] <s> Caf\xc3\xa9 \xe4\xb8\x96\xe7\x95\x8c "
                             "supercalifragilistic tokenization \xf0\x9f\x98\x80 [MASK] <mask>";
  wp_encoding ea = {0}, eb = {0};
  wp_error err;
  int same = wp_encode(a, text, sizeof text - 1, 0, &ea, &err) == WP_OK &&
             wp_encode(b, text, sizeof text - 1, 0, &eb, &err) == WP_OK && same_encoding(&ea, &eb);
  wp_encoding_free(&ea);
  wp_encoding_free(&eb);
  return same;
}

/* load is wp_load_dir (path a directory) or wp_load_tokenizer_json. */
static void sweep_wp_load(const char *label_in, wp_loader load, const char *dir) {
  char lb[512];
  const char *label = mode_label(lb, sizeof lb, label_in);
  wp_tokenizer *ref = NULL;
  wp_error err;
  if (load(dir, &ref, &err) != WP_OK) {
    CHECK(0, "%s: reference load of %s: %s", label, dir, err.msg);
    return;
  }
  long n, bad = 0;
  for (n = 0; n < MAX_SWEEP; n++) {
    wp_tokenizer *t = NULL;
    memset(&err, 0, sizeof err);
    fault_arm(n);
    wp_status rc = load(dir, &t, &err);
    long refused = se_fault_failures();
    se_fault_reset();
    if (rc == WP_OK) {
      int same = wp_vocab_size(t) == wp_vocab_size(ref) &&
                 wp_special_id(t, WP_CLS) == wp_special_id(ref, WP_CLS) && same_tokens(t, ref);
      wp_free(t);
      if (!same) { bad++; printf("  N=%ld: loaded a different tokenizer\n", n); }
      if (refused == 0) break;
    } else if (rc != WP_ERR_NOMEM || refused == 0 || t != NULL || !err.msg[0]) {
      bad++;
      printf("  N=%ld: status %s (%s), %ld refused, out %p\n", n, wp_status_string(rc), err.msg,
             refused, (void *)t);
      wp_free(t);
    }
  }
  wp_free(ref);
  CHECK(bad == 0 && n < MAX_SWEEP, "%s: %ld allocation points swept, every failure WP_ERR_NOMEM", label, n);
  CHECK(!leaks_now(), "%s: no leaks", label);
}

/* se_json_loadb of the file with only the Nth of its allocations refused,
** N = 0, 1, ...: where its token buffer cannot grow jansson drops a byte and
** goes on, and se_json.c's prime must turn that into out of memory, so each
** parse is whole (equal to the one without refusals) or out of memory. */
static void sweep_json_once(const char *label, const char *path) {
  size_t len = 0;
  char *data = check_slurp(path, &len);
  json_error_t jerr;
  int nomem = 0;
  json_t *ref = data ? se_json_loadb(data, len, JSON_ALLOW_NUL, &jerr, &nomem) : NULL;
  if (!ref) {
    CHECK(0, "%s: reference parse of %s", label, path);
    free(data);
    return;
  }
  long n, bad = 0, whole = 0;
  for (n = 0; n < MAX_SWEEP; n++) {
    se_fault_set_once(n);
    json_t *v = se_json_loadb(data, len, JSON_ALLOW_NUL, &jerr, &nomem);
    long refused = se_fault_failures();
    se_fault_reset();
    if (v) {
      if (!json_equal(v, ref)) { bad++; printf("  N=%ld: parsed a different document\n", n); }
      json_decref(v);
      if (refused == 0) break;
      whole++;
    } else if (!nomem || refused == 0) {
      bad++;
      printf("  N=%ld: %s, %ld refused\n", n, jerr.text, refused);
    }
  }
  json_decref(ref);
  free(data);
  CHECK(bad == 0 && n < MAX_SWEEP && n > 0,
        "%s: %ld allocations refused one at a time, every parse whole (%ld) or out of memory", label, n, whole);
  CHECK(!leaks_now(), "%s: no leaks", label);
}

/* wp_encode (pair = 0) or wp_encode_pair (pair = 1) into a fresh encoding;
** python_lower: with sentence-transformers' do_lower_case. */
static void sweep_wp_encode(const char *label_in, const char *dir, int pair, int python_lower) {
  char lb[512];
  const char *label = mode_label(lb, sizeof lb, label_in);
  wp_tokenizer *tok = NULL;
  wp_error err;
  size_t dl = strlen(dir); /* a directory, or a tokenizer.json itself */
  wp_status lrc = dl > 5 && strcmp(dir + dl - 5, ".json") == 0 ? wp_load_tokenizer_json(dir, &tok, &err)
                                                               : wp_load_dir(dir, &tok, &err);
  if (lrc != WP_OK) {
    CHECK(0, "%s: load %s: %s", label, dir, err.msg);
    return;
  }
  wp_options opts = *wp_get_options(tok);
  opts.python_lower = python_lower;
  if (wp_options_override(tok, &opts, &err) != WP_OK) {
    CHECK(0, "%s: options: %s", label, err.msg);
    wp_free(tok);
    return;
  }
  /* long enough to grow every buffer; accents, CJK, added tokens, a long word */
  static const char text[] =
      "Hello, world! [CLS] Caf\xc3\xa9 na\xc3\xafve r\xc3\xa9sum\xc3\xa9 \xe4\xb8\x96\xe7\x95\x8c "
      "supercalifragilisticexpialidocious unaffable tokenization [MASK] \xf0\x9f\x98\x80 "
      "The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog. "
      "<UNK> <un" /* MPNet's "<unk>" is matched after normalising: a held queue */
      " \xce\x91\xce\xa3 \xc4\xb0 \xe2\x84\xaa" /* ΑΣ İ K(elvin): lowercases of other lengths */
      "  a   <mask>  \xef\xbc\xa1\xe2\x91\xa0\xcc\x81\xef\xac\x81"; /* Unigram: space runs, lstrip, NFKC */
  static const char text2[] = "A second sequence, with [SEP] inside it and \xce\xb1\xce\xb2\xce\xb3 \xc4\xb0.";
  wp_encoding ref = {0};
  wp_status rc = pair ? wp_encode_pair(tok, text, sizeof text - 1, text2, sizeof text2 - 1, 64, &ref, &err)
                      : wp_encode(tok, text, sizeof text - 1, 0, &ref, &err);
  if (rc != WP_OK) {
    CHECK(0, "%s: reference encode: %s", label, err.msg);
    wp_free(tok);
    return;
  }
  long n, bad = 0;
  for (n = 0; n < MAX_SWEEP; n++) {
    wp_encoding enc = {0};
    memset(&err, 0, sizeof err);
    fault_arm(n);
    rc = pair ? wp_encode_pair(tok, text, sizeof text - 1, text2, sizeof text2 - 1, 64, &enc, &err)
              : wp_encode(tok, text, sizeof text - 1, 0, &enc, &err);
    long refused = se_fault_failures();
    se_fault_reset();
    if (rc == WP_OK) {
      if (!same_encoding(&enc, &ref)) { bad++; printf("  N=%ld: wrong encoding\n", n); }
      wp_encoding_free(&enc);
      if (refused == 0) break;
      continue;
    }
    if (rc != WP_ERR_NOMEM || refused == 0 || !err.msg[0]) {
      bad++;
      printf("  N=%ld: status %s (%s), %ld refused\n", n, wp_status_string(rc), err.msg, refused);
    }
    /* the same, partly grown encoding must now work */
    rc = pair ? wp_encode_pair(tok, text, sizeof text - 1, text2, sizeof text2 - 1, 64, &enc, &err)
              : wp_encode(tok, text, sizeof text - 1, 0, &enc, &err);
    if (rc != WP_OK || !same_encoding(&enc, &ref)) {
      bad++;
      printf("  N=%ld: encoding after the failure: %s %s\n", n, wp_status_string(rc), err.msg);
    }
    wp_encoding_free(&enc);
  }
  wp_encoding_free(&ref);
  wp_free(tok);
  CHECK(bad == 0 && n < MAX_SWEEP, "%s: %ld allocation points swept, every failure WP_ERR_NOMEM, encoding reusable",
        label, n);
  CHECK(!leaks_now(), "%s: no leaks", label);
}

/* ---- the engine --------------------------------------------------------- */

static ee_params params1(void) {
  ee_params p = ee_default_params();
  p.threads = 1;
  return p;
}

static ee_status run_texts(ee_context *ctx, const char *prompt, int pairs, int n, const char **texts,
                           const size_t *lens, float *out, ee_error *err);

/* What model m gives for three texts (vectors, or a cross-encoder's scores
** of the pairs), into out (3 x dims floats, zeroed first). */
static ee_status model_outputs(ee_model *m, float *out, ee_error *err) {
  const char *texts[3] = {"The cat sat on the mat.", "Caf\xc3\xa9 \xe4\xb8\x96\xe7\x95\x8c", "hello"};
  size_t lens[3];
  for (int i = 0; i < 3; i++) lens[i] = strlen(texts[i]);
  ee_info in;
  ee_model_info(m, &in);
  memset(out, 0, sizeof(float) * 3 * (size_t)ee_model_dims(m));
  ee_context *ctx = ee_context_new(m);
  if (!ctx) return EE_ERR_NOMEM;
  ee_status rc = run_texts(ctx, NULL, in.labels > 0, 3, texts, lens, out, err);
  ee_context_free(ctx);
  return rc;
}

static void sweep_model_load(const char *label_in, const char *dir, ee_precision prec) {
  char lb[512];
  const char *label = mode_label(lb, sizeof lb, label_in);
  ee_params p = params1();
  p.precision = prec;
  ee_error err;
  ee_model *ref = NULL;
  if (ee_model_load(dir, &p, &ref, &err) != EE_OK) {
    if (err.code == EE_ERR_IO) printf("SKIP: %s: %s\n", label, err.msg);
    else CHECK(0, "%s: reference load: %s", label, err.msg);
    return;
  }
  ee_info ri;
  ee_model_info(ref, &ri);
  size_t nout = 3 * (size_t)ee_model_dims(ref);
  float *want = malloc(sizeof(float) * nout), *got = malloc(sizeof(float) * nout);
  if (!want || !got || model_outputs(ref, want, &err) != EE_OK) {
    CHECK(0, "%s: reference outputs: %s", label, err.msg);
    free(want);
    free(got);
    ee_model_free(ref);
    return;
  }
  long n, bad = 0;
  for (n = 0; n < MAX_SWEEP; n++) {
    ee_model *m = NULL;
    memset(&err, 0, sizeof err);
    fault_arm(n);
    ee_status rc = ee_model_load(dir, &p, &m, &err);
    long refused = se_fault_failures();
    se_fault_reset();
    if (rc == EE_OK) {
      ee_info mi;
      ee_model_info(m, &mi);
      int same_prompts =
          (!mi.prompts && !ri.prompts) || (mi.prompts && ri.prompts && strcmp(mi.prompts, ri.prompts) == 0);
      if (mi.n_params != ri.n_params || mi.vocab_size != ri.vocab_size || !same_prompts ||
          (size_t)ee_model_dims(m) * 3 != nout || model_outputs(m, got, &err) != EE_OK ||
          memcmp(got, want, sizeof(float) * nout) != 0) {
        bad++;
        printf("  N=%ld: loaded a different model (%s)\n", n, err.msg);
      }
      ee_model_free(m);
      if (refused == 0) break;
    } else if (rc != EE_ERR_NOMEM || refused == 0 || m != NULL || !err.msg[0]) {
      bad++;
      printf("  N=%ld: status %s (%s), %ld refused\n", n, ee_status_string(rc), err.msg, refused);
      ee_model_free(m);
    }
  }
  ee_model_free(ref);
  free(want);
  free(got);
  CHECK(bad == 0 && n < MAX_SWEEP,
        "%s: %ld allocation points swept, every failure EE_ERR_NOMEM, every load giving the same outputs", label,
        n);
  /* the directory loads again once allocations succeed */
  ee_model *again = NULL;
  CHECK(ee_model_load(dir, &p, &again, &err) == EE_OK, "%s: loads after se_fault_reset", label);
  ee_model_free(again);
  CHECK(!leaks_now(), "%s: no leaks", label);
}

static float max_diff(const float *a, const float *b, size_t n) {
  float d = 0;
  for (size_t i = 0; i < n; i++) d = fmaxf(d, fabsf(a[i] - b[i]));
  return d;
}

/* The texts through the engine: embedded with prompt, or (pairs, a
** cross-encoder) scored as pairs with the same texts in reverse order. */
static ee_status run_texts(ee_context *ctx, const char *prompt, int pairs, int n, const char **texts,
                           const size_t *lens, float *out, ee_error *err) {
  if (!pairs) return ee_embed_texts_prompted(ctx, prompt, n, texts, lens, out, err);
  const char *rev[8];
  size_t rlen[8];
  for (int i = 0; i < n && i < 8; i++) rev[i] = texts[n - 1 - i], rlen[i] = lens[n - 1 - i];
  return ee_score_pairs(ctx, n, texts, lens, rev, rlen, out, err);
}

static void sweep_embed(const char *label_in, const char *dir, ee_precision prec, int batch_size,
                        int threads, const char *prompt, int pairs) {
  char lb[512];
  const char *label = mode_label(lb, sizeof lb, label_in);
  ee_params p = params1();
  p.precision = prec;
  p.batch_size = batch_size;
  p.threads = threads;
  ee_error err;
  ee_model *m = NULL;
  if (ee_model_load(dir, &p, &m, &err) != EE_OK) {
    if (err.code == EE_ERR_IO) printf("SKIP: %s: %s\n", label, err.msg);
    else CHECK(0, "%s: load: %s", label, err.msg);
    return;
  }
  enum { NT = 5 };
  const char *texts[NT] = {"The cat sat on the mat.", "", "Caf\xc3\xa9 \xe4\xb8\x96\xe7\x95\x8c",
                           "A somewhat longer sentence, so that the batch has texts of different lengths.",
                           "hello"};
  size_t lens[NT];
  for (int i = 0; i < NT; i++) lens[i] = strlen(texts[i]);
  size_t dims = (size_t)ee_model_dims(m);
  float *ref = malloc(sizeof(float) * NT * dims), *out = malloc(sizeof(float) * NT * dims);
  ee_context *rctx = ee_context_new(m);
  if (!ref || !out || !rctx || run_texts(rctx, prompt, pairs, NT, texts, lens, ref, &err) != EE_OK) {
    CHECK(0, "%s: reference embedding: %s", label, err.msg);
    goto done;
  }
  ee_context_free(rctx);
  rctx = NULL;
  long n, bad = 0;
  for (n = 0; n < MAX_SWEEP; n++) {
    memset(&err, 0, sizeof err);
    memset(out, 0, sizeof(float) * NT * dims);
    fault_arm(n);
    ee_context *ctx = ee_context_new(m);
    ee_status rc = EE_ERR_NOMEM;
    if (ctx) rc = run_texts(ctx, prompt, pairs, NT, texts, lens, out, &err);
    else snprintf(err.msg, sizeof err.msg, "ee_context_new returned NULL");
    long refused = se_fault_failures();
    se_fault_reset();
    if (rc == EE_OK) {
      if (max_diff(out, ref, NT * dims) > 1e-6f) { bad++; printf("  N=%ld: wrong vectors\n", n); }
      ee_context_free(ctx);
      if (refused == 0) break;
      continue;
    }
    if (rc != EE_ERR_NOMEM || refused == 0 || !err.msg[0]) {
      bad++;
      printf("  N=%ld: status %s (%s), %ld refused\n", n, ee_status_string(rc), err.msg, refused);
    }
    if (ctx) { /* the same context works now */
      rc = run_texts(ctx, prompt, pairs, NT, texts, lens, out, &err);
      if (rc != EE_OK || max_diff(out, ref, NT * dims) > 1e-6f) {
        bad++;
        printf("  N=%ld: context after the failure: %s %s\n", n, ee_status_string(rc), err.msg);
      }
      ee_context_free(ctx);
    }
  }
  CHECK(bad == 0 && n < MAX_SWEEP,
        "%s: %ld allocation points swept, every failure EE_ERR_NOMEM, context reusable", label, n);
done:
  ee_context_free(rctx);
  free(ref);
  free(out);
  ee_model_free(m);
  CHECK(!leaks_now(), "%s: no leaks", label);
}

/* The tiny model split the way big checkpoints are: its tensors in
** model-00001-of-00001.safetensors listed by model.safetensors.index.json,
** and the tokenizer as a tokenizer.json instead of vocab.txt; with prompts
** in config_sentence_transformers.json. */
static int make_sharded_tiny(char *dir, size_t n) {
  if (fz_model_dir(dir, n, "oom-shards") != 0) return -1;
  char from[700], to[700];
  snprintf(from, sizeof from, "%s/model.safetensors", dir);
  snprintf(to, sizeof to, "%s/model-00001-of-00001.safetensors", dir);
  if (rename(from, to) != 0) return -1;
  fz_tensor t[64];
  int nt = fz_tensors(t);
  static char idx[16384];
  size_t u = (size_t)snprintf(idx, sizeof idx, "{\"metadata\": {\"total_size\": 0}, \"weight_map\": {");
  for (int i = 0; i < nt && u < sizeof idx; i++)
    u += (size_t)snprintf(idx + u, sizeof idx - u, "%s\"%s\": \"model-00001-of-00001.safetensors\"",
                          i ? ", " : "", t[i].name);
  if (u >= sizeof idx - 4) return -1;
  snprintf(idx + u, sizeof idx - u, "}}\n");
  if (fz_write_str(dir, "model.safetensors.index.json", idx) != 0) return -1;
  if (fz_write_str(dir, "config_sentence_transformers.json",
                   "{\"prompts\": {\"query\": \"query: \", \"passage\": \"\"}, "
                   "\"default_prompt_name\": \"query\"}\n") != 0)
    return -1;
  /* tokenizer.json: the tiny vocabulary as WordPiece with BERT's normalizer */
  static char tj[16384];
  u = (size_t)snprintf(tj, sizeof tj,
                       "{\"version\": \"1.0\", \"added_tokens\": [{\"id\": 0, \"content\": \"[PAD]\", "
                       "\"special\": true}, {\"id\": 4, \"content\": \"[MASK]\", \"special\": true}],\n"
                       " \"normalizer\": {\"type\": \"BertNormalizer\", \"clean_text\": true, "
                       "\"handle_chinese_chars\": true, \"strip_accents\": null, \"lowercase\": true},\n"
                       " \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"},\n"
                       " \"post_processor\": {\"type\": \"BertProcessing\", \"sep\": [\"[SEP]\", 3], "
                       "\"cls\": [\"[CLS]\", 2]},\n"
                       " \"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", "
                       "\"continuing_subword_prefix\": \"##\", \"max_input_chars_per_word\": 100, \"vocab\": {");
  for (int i = 0; i < FZ_VOCAB_N && u < sizeof tj; i++) {
    const char *v = fz_vocab[i];
    u += (size_t)snprintf(tj + u, sizeof tj - u, "%s\"%s%s\": %d", i ? ", " : "",
                          strcmp(v, "\"") == 0 ? "\\" : "", v, i);
  }
  if (u >= sizeof tj - 8) return -1;
  snprintf(tj + u, sizeof tj - u, "}}}\n");
  return fz_write_str(dir, "tokenizer.json", tj);
}

/* The tiny model with its weights as the torch.save seed file `seed`
** (tests/fuzz/corpus/fuzz_torch_bin: written by PyTorch from the same tensors). */
static int make_torch_bin_tiny(char *dir, size_t n, const char *tag, const char *seed) {
  if (fz_model_dir(dir, n, tag) != 0) return -1;
  char path[1024];
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  if (unlink(path) != 0) return -1;
  FILE *f = fopen(seed, "rb");
  if (!f) return -1;
  static unsigned char buf[1 << 16];
  size_t len = fread(buf, 1, sizeof buf, f);
  int rc = ferror(f) || !feof(f) ? -1 : fz_write(dir, "pytorch_model.bin", buf, len);
  fclose(f);
  return rc;
}

int main(int argc, char **argv) {
  const char *env = getenv("TEST_MODELS");
  if (env && *env) snprintf(models, sizeof models, "%s", env);
  if (argc > 1) snprintf(fixtures, sizeof fixtures, "%s", argv[1]);
  char uncased[1200], minilm[1200], f16[1200], bge[1200], dense[1200], mpnet[1200], mpnet_tok[1200];
  char nomic[1200], rerank[1200], rerank_xlmr[1200], modernbert[1200], gte[1200], jina[1200];
  char jina_code[1200], nomic_moe[1200];
  snprintf(uncased, sizeof uncased, "%s/bert-base-uncased", fixtures);
  snprintf(minilm, sizeof minilm, "%s/all-MiniLM-L6-v2", fixtures);
  snprintf(f16, sizeof f16, "%s/f16", models);
  snprintf(bge, sizeof bge, "%s/bge", models);
  snprintf(dense, sizeof dense, "%s/dense", models);
  snprintf(mpnet, sizeof mpnet, "%s/mpnet", models);
  snprintf(nomic, sizeof nomic, "%s/nomic", models);
  snprintf(modernbert, sizeof modernbert, "%s/modernbert", models);
  snprintf(gte, sizeof gte, "%s/gte", models);
  snprintf(jina, sizeof jina, "%s/jina", models);
  snprintf(jina_code, sizeof jina_code, "%s/jina_code", models);
  snprintf(nomic_moe, sizeof nomic_moe, "%s/nomic_moe", models);
  snprintf(rerank, sizeof rerank, "%s/rerank", models);
  snprintf(rerank_xlmr, sizeof rerank_xlmr, "%s/rerank_xlmr", models);
  snprintf(mpnet_tok, sizeof mpnet_tok, "%s/mpnet-style", fixtures);

  /* every sweep twice: all allocations refused from the Nth on, then only
  ** the Nth (g_once) */
  for (int pass = 0; pass < 2; pass++) {
    g_once = pass;
    g_mode = pass ? "one refused: " : "";
    /* the 30k-token files: jansson's allocations left out (see above) */
    se_fault_json(0);
    sweep_wp_load("wp_load_dir bert-base-uncased vocab.txt", wp_load_dir, uncased);
    sweep_wp_load("wp_load_dir all-MiniLM-L6-v2 tokenizer.json (jansson not injected)", wp_load_dir, minilm);
    sweep_wp_encode("wp_encode bert-base-uncased", uncased, 0, 0);
    sweep_wp_encode("wp_encode_pair all-MiniLM-L6-v2", minilm, 1, 0);
    sweep_wp_encode("wp_encode all-MiniLM-L6-v2 with python_lower (do_lower_case)", minilm, 0, 1);
    sweep_wp_encode("wp_encode_pair all-MiniLM-L6-v2 with python_lower (do_lower_case)", minilm, 1, 1);
    sweep_wp_encode("wp_encode mpnet-style tokenizer.json (normalised added tokens)", mpnet_tok, 0, 0);
    sweep_wp_encode("wp_encode_pair mpnet-style tokenizer.json (RobertaProcessing)", mpnet_tok, 1, 0);
    sweep_wp_load("wp_load_dir unigram tokenizer.json (XLM-R style; jansson not injected)", wp_load_dir,
                  "tests/fixtures/tokenizer/unigram");
    sweep_wp_encode("wp_encode unigram tokenizer.json (Precompiled, Metaspace, Viterbi)",
                    "tests/fixtures/tokenizer/unigram", 0, 0);
    sweep_wp_load("wp_load_dir bpe tokenizer.json (RoBERTa style; jansson not injected)", wp_load_dir,
                  "tests/fixtures/tokenizer/bpe");
    sweep_wp_encode("wp_encode bpe tokenizer.json (ByteLevel, merges, trimmed offsets)",
                    "tests/fixtures/tokenizer/bpe", 0, 0);
    sweep_wp_encode("wp_encode_pair bpe tokenizer.json (RobertaProcessing)", "tests/fixtures/tokenizer/bpe", 1, 0);
    sweep_wp_load("wp_load_dir modernbert-style tokenizer.json (NFC, normalised added tokens; jansson not injected)",
                  wp_load_dir, "tests/fixtures/vocab/modernbert-style");
    sweep_wp_encode("wp_encode modernbert-style tokenizer.json (NFC: U+0301 and the Kelvin sign change)",
                    "tests/fixtures/vocab/modernbert-style", 0, 0);
    sweep_wp_encode("wp_encode_pair modernbert-style tokenizer.json (TemplateProcessing pair)",
                    "tests/fixtures/vocab/modernbert-style", 1, 0);
    sweep_model_load("ee_model_load f16 (jansson not injected)", f16, EE_PREC_FP32);
    sweep_model_load("ee_model_load bge (2 shards, tokenizer.json; jansson not injected)", bge, EE_PREC_FP32);
    sweep_model_load("ee_model_load dense (2 Dense modules, F32 and F16 files; jansson not injected)", dense,
                     EE_PREC_FP32);
    sweep_model_load("ee_model_load mpnet (relative bias table, normalised added tokens; jansson not injected)",
                     mpnet, EE_PREC_FP32);
    sweep_model_load("ee_model_load nomic (rotary table, interleaved gate panels; jansson not injected)",
                     nomic, EE_PREC_FP32);
    sweep_model_load("ee_model_load modernbert (two rotary tables, zero biases, NFC tokenizer; jansson not "
                     "injected)", modernbert, EE_PREC_FP32);
    sweep_model_load("ee_model_load gte (NTK rotary table, biases, no token types; jansson not injected)",
                     gte, EE_PREC_FP32);
    sweep_model_load("ee_model_load jina (ALiBi table, gated FFN; jansson not injected)", jina, EE_PREC_FP32);
    sweep_model_load("ee_model_load jina_code (qk-post-norm, byte-level BPE; jansson not injected)", jina_code,
                     EE_PREC_FP32);
    sweep_model_load("ee_model_load nomic_moe (the experts' packed weights; jansson not injected)", nomic_moe,
                     EE_PREC_FP32);
    sweep_model_load("ee_model_load nomic_moe, precision int8 (the experts quantised; jansson not injected)",
                     nomic_moe, EE_PREC_INT8);
    sweep_model_load("ee_model_load rerank (a BertForSequenceClassification head; jansson not injected)",
                     rerank, EE_PREC_FP32);
    sweep_model_load("ee_model_load rerank_xlmr (classifier.dense + out_proj, Unigram; jansson not injected)",
                     rerank_xlmr, EE_PREC_FP32);
    se_fault_json(1);

    /* every JSON file kind, jansson's allocations included */
    char tiny[512], sharded[512];
    if (fz_model_dir(tiny, sizeof tiny, "oom-tiny") != 0 || make_sharded_tiny(sharded, sizeof sharded) != 0) {
      CHECK(0, "writing the tiny models");
      return check_finish();
    }
    sweep_wp_load("wp_load_tokenizer_json template_processing.json (jansson injected)", wp_load_tokenizer_json,
                  "tests/fuzz/corpus/fuzz_tokenizer_json/template_processing.json");
    sweep_wp_load("wp_load_tokenizer_json unigram_precompiled.json (normalised added tokens; jansson injected)",
                  wp_load_tokenizer_json,
                  "tests/fuzz/corpus/fuzz_tokenizer_json/unigram_precompiled.json");
    /* scores of 17 significant digits, as XLM-R's file has them, and no long
    ** string before them: jansson 2.14's lexer asserts when its token buffer
    ** cannot grow inside such a number (se_json.c primes it) */
    sweep_wp_load("wp_load_tokenizer_json unigram_long_scores.json (19-character scores first; jansson injected)",
                  wp_load_tokenizer_json, "tests/fuzz/corpus/fuzz_tokenizer_json/unigram_long_scores.json");
    sweep_wp_encode("wp_encode unigram_precompiled.json (normalised added tokens, Strip)",
                    "tests/fuzz/corpus/fuzz_tokenizer_json/unigram_precompiled.json", 0, 0);
    sweep_wp_encode("wp_encode unigram_wsplit_bytes.json (WhitespaceSplit, byte_fallback)",
                    "tests/fuzz/corpus/fuzz_tokenizer_json/unigram_wsplit_bytes.json", 0, 0);
    sweep_wp_load("wp_load_tokenizer_json bpe_small.json (BPE, unk_token, ignore_merges; jansson injected)",
                  wp_load_tokenizer_json, "tests/fuzz/corpus/fuzz_tokenizer_json/bpe_small.json");
    sweep_wp_encode("wp_encode bpe_small.json (add_prefix_space, fuse_unk, ignore_merges, lstrip)",
                    "tests/fuzz/corpus/fuzz_tokenizer_json/bpe_small.json", 0, 0);
    sweep_wp_load("wp_load_tokenizer_json roberta_processing_normalized.json (jansson injected)",
                  wp_load_tokenizer_json, "tests/fuzz/corpus/fuzz_tokenizer_json/roberta_processing_normalized.json");
    sweep_model_load("ee_model_load tiny model, every JSON file (jansson injected)", tiny, EE_PREC_FP32);
    sweep_model_load("ee_model_load tiny model, shards + index.json + tokenizer.json (jansson injected)", sharded,
                     EE_PREC_FP32);
    char tiny_zip[512], tiny_legacy[512];
    if (make_torch_bin_tiny(tiny_zip, sizeof tiny_zip, "oom-zip",
                            "tests/fuzz/corpus/fuzz_torch_bin/tiny_zip.bin") != 0 ||
        make_torch_bin_tiny(tiny_legacy, sizeof tiny_legacy, "oom-legacy",
                            "tests/fuzz/corpus/fuzz_torch_bin/tiny_legacy.bin") != 0) {
      CHECK(0, "writing the tiny models with pytorch_model.bin");
      return check_finish();
    }
    sweep_model_load("ee_model_load tiny model from pytorch_model.bin (zip: records, pickle, storages)",
                     tiny_zip, EE_PREC_FP32);
    sweep_model_load("ee_model_load tiny model from pytorch_model.bin (legacy: five pickles, storage keys)",
                     tiny_legacy, EE_PREC_FP32);
    sweep_model_load("ee_model_load tiny model as one GGUF file (metadata, vocabulary, F16 tensors)",
                     "tests/fuzz/corpus/fuzz_gguf/tiny_f16.gguf", EE_PREC_FP32);
    sweep_model_load("ee_model_load a GGUF file with a byte-level BPE vocabulary (its tokenizer.json "
                     "built in memory, then parsed)", "tests/fuzz/corpus/fuzz_gguf/tiny_jina_code_bpe_f32.gguf",
                     EE_PREC_FP32);
    /* jansson injected too */
    sweep_model_load("ee_model_load a GGUF file with a Unigram (t5) vocabulary (its tokenizer.json built in "
                     "memory, then parsed)", "tests/fuzz/corpus/fuzz_gguf/tiny_unigram_f32.gguf", EE_PREC_FP32);
    sweep_model_load("ee_model_load a llama-quantize Q4_K_M GGUF file (Q8_0, Q5_0, Q4_K, Q6_K blocks "
                     "dequantised, then freed once packed)", "tests/fixtures/gguf_quants/f16-q4_k_m.gguf",
                     EE_PREC_FP32);
    /* reduced precision: weights converted and packed at load, activations
    ** converted per product (their buffers in the context's arena) */
    sweep_model_load("ee_model_load tiny model, precision bf16", tiny, EE_PREC_BF16);
    sweep_model_load("ee_model_load tiny model, precision int8", tiny, EE_PREC_INT8);
    sweep_embed("ee_embed_texts f16 (5 texts, one batch)", f16, EE_PREC_FP32, 0, 1, NULL, 0);
    sweep_embed("ee_embed_texts_prompted f16 (5 texts, a prompt)", f16, EE_PREC_FP32, 0, 1, "query: ", 0);
    sweep_embed("ee_embed_texts f16 (5 texts, batches of 2)", f16, EE_PREC_FP32, 2, 1, NULL, 0);
    sweep_embed("ee_embed_texts f16 (5 texts, 2 threads)", f16, EE_PREC_FP32, 0, 2, NULL, 0);
    sweep_embed("ee_embed_texts f16 precision bf16 (5 texts, batches of 2)", f16, EE_PREC_BF16, 2, 1, NULL, 0);
    sweep_embed("ee_embed_texts f16 precision int8 (5 texts, 2 threads)", f16, EE_PREC_INT8, 0, 2, NULL, 0);
    sweep_embed("ee_embed_texts nomic (5 texts, 2 threads: the gated FFN's scratch)", nomic, EE_PREC_FP32, 0,
                2, NULL, 0);
    sweep_embed("ee_embed_texts nomic_moe (5 texts, 2 threads: the experts' rows in the arena)", nomic_moe,
                EE_PREC_FP32, 0, 2, NULL, 0);
    sweep_embed("ee_embed_texts nomic_moe precision bf16 (5 texts, batches of 2)", nomic_moe, EE_PREC_BF16, 2, 1,
                NULL, 0);
    sweep_embed("ee_embed_texts modernbert (5 texts, 2 threads: pre-LayerNorm, windowed layers)", modernbert,
                EE_PREC_FP32, 0, 2, NULL, 0);
    sweep_embed("ee_embed_texts dense (5 texts, 2 Dense modules)", dense, EE_PREC_FP32, 0, 1, NULL, 0);
    sweep_embed("ee_embed_texts mpnet (5 texts, relative position bias)", mpnet, EE_PREC_FP32, 0, 1, NULL, 0);
    sweep_embed("ee_score_pairs rerank (5 pairs, 2 threads: type ids with the token ids)", rerank,
                EE_PREC_FP32, 0, 2, NULL, 1);
    sweep_embed("ee_score_pairs rerank_xlmr (5 pairs, batches of 2)", rerank_xlmr, EE_PREC_FP32, 2, 1, NULL, 1);
  }
  g_mode = "";
  sweep_json_once("se_json_loadb unigram_long_scores.json", "tests/fuzz/corpus/fuzz_tokenizer_json/unigram_long_scores.json");
  sweep_json_once("se_json_loadb template_processing.json (long keys and strings)",
                  "tests/fuzz/corpus/fuzz_tokenizer_json/template_processing.json");
  sweep_json_invalid("se_json_loadb a truncated Unigram tokenizer.json",
                     "{\"model\": {\"vocab\": [[\"<unk>\", 0.0], [\"\\u2581\", -1.7989219427108765], "
                     "[\"s\", -3.754697322845459], [\"\\u2581the\", -4.6336469650268555], [\"b\", -4.94");
  return check_finish();
}
#endif
