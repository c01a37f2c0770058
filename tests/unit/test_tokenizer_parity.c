/*
** test_tokenizer_parity.c — our tokenizer against Hugging Face's, id by id.
**
**   make build/tests/test_tokenizer_parity && build/tests/test_tokenizer_parity
**   (run from the repository root; fixtures are found relative to it)
**
** Fixtures (tests/fixtures/, produced by the Rust `tokenizers` crate):
**   tokenizer/corpus.jsonl                one JSON string per line (may hold \u0000)
**   tokenizer/expected-<vocab>.jsonl      {"ids":[...],"offsets":[[s,e],...]} per line,
**                                         max_length 512, UTF-8 byte offsets
**   tokenizer/options.json                {"<vocab>": {"lowercase":..,"strip_accents":..}}
**   tokenizer/pairs-bert-base-uncased.jsonl  {"a","b","max_length","ids","type_ids"}
**   tokenizer/pairs-mpnet-style.jsonl     the same for vocab/mpnet-style/tokenizer.json
**   tokenizer/expected-mpnet-style-exceptions.jsonl  {"line","ids"}: see mpnet_corpus_parity
**   tokenizer/cases-mpnet-style.jsonl     {"text","ids"}: added tokens found after normalising
**   tokenizer/llama-cpp/ggml-vocab-bert-bge.gguf.{inp,out}  llama.cpp's cases
**   tokenizer/pylower-*.json[l]           Python's str.lower() (make_pylower_cases.py):
**                                         per code point, on the corpus, on chosen
**                                         texts with offsets, and HF's ids of the results
**   tokenizer/unigram/                    XLM-R style Unigram tokenizer.json files and
**                                         cases.jsonl, the crate's ids and byte offsets
**                                         (make_unigram_fixtures.py)
**   tokenizer/bpe/                        byte-level BPE (RoBERTa style) files and
**                                         cases.jsonl; cases-modernbert.jsonl for
**                                         vocab/modernbert-style/tokenizer.json (NFC)
**   vocab/<vocab>/vocab.txt, vocab/all-MiniLM-L6-v2/tokenizer.json
**
** One PASS/FAIL line per vocabulary and check, with mismatch counts; on
** failure the first few mismatches are printed (text escaped, expected vs
** got).  Ids must match exactly; offsets are counted separately.
*/
#include "../../tokenizer/wp_internal.h"
#include "check.h"
#include <jansson.h>
#include <stdlib.h>
#include <utf8proc.h>
#include <sys/mman.h>

#define FIX "tests/fixtures/"
#define SHOW 5

/* Every line of a JSONL file, parsed (JSON_ALLOW_NUL); NULL entries for bad lines. */
static json_t **read_jsonl(const char *path, size_t *count) {
  size_t len;
  char *data = check_slurp(path, &len);
  *count = 0;
  if (!data) return NULL;
  size_t cap = 1024, n = 0;
  json_t **rows = malloc(cap * sizeof *rows);
  for (char *p = data; p < data + len;) {
    char *nl = memchr(p, '\n', (size_t)(data + len - p));
    size_t ln = nl ? (size_t)(nl - p) : (size_t)(data + len - p);
    if (n == cap) rows = realloc(rows, (cap *= 2) * sizeof *rows);
    rows[n++] = json_loadb(p, ln, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    p += ln + 1;
  }
  free(data);
  *count = n;
  return rows;
}

static void free_rows(json_t **rows, size_t n) {
  for (size_t i = 0; i < n; i++) json_decref(rows[i]);
  free(rows);
}

static void print_escaped(const char *s, size_t n) {
  putchar('"');
  for (size_t i = 0; i < n && i < 160; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20 || c == 0x7f) printf("\\x%02x", c);
    else putchar(c);
  }
  printf(n > 160 ? "\"..." : "\"");
}

static void print_ids(const char *label, json_t *arr, const int32_t *ids, int32_t n) {
  printf("      %s:", label);
  if (arr) {
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) { if (i < 40) printf(" %lld", (long long)json_integer_value(v)); }
  } else {
    for (int32_t i = 0; i < n && i < 40; i++) printf(" %d", ids[i]);
  }
  printf("\n");
}

/* A text whose ids differ: "    <what> <no>: "text"", then both id lists. */
static void show_ids_mismatch(const char *what, size_t no, const char *text, size_t len, json_t *want,
                              const wp_encoding *got) {
  printf("    %s %zu: ", what, no);
  print_escaped(text, len);
  printf("\n");
  print_ids("expected", want, NULL, 0);
  print_ids("got     ", NULL, got->ids, got->n);
}

static int ids_equal(json_t *arr, const int32_t *ids, int32_t n) {
  if (!json_is_array(arr) || json_array_size(arr) != (size_t)n) return 0;
  for (int32_t i = 0; i < n; i++)
    if (json_integer_value(json_array_get(arr, (size_t)i)) != ids[i]) return 0;
  return 1;
}

static int offsets_equal(json_t *arr, const int32_t *offs, int32_t n) {
  if (!json_is_array(arr) || json_array_size(arr) != (size_t)n) return 0;
  for (int32_t i = 0; i < n; i++) {
    json_t *p = json_array_get(arr, (size_t)i);
    if (json_integer_value(json_array_get(p, 0)) != offs[2 * i] ||
        json_integer_value(json_array_get(p, 1)) != offs[2 * i + 1]) return 0;
  }
  return 1;
}

/* Encode the corpus with tok and compare with expected-<expect>.jsonl. */
static void corpus_parity(const char *label, wp_tokenizer *tok, const char *expect,
                          json_t **corpus, size_t ncorpus) {
  char path[512];
  snprintf(path, sizeof path, FIX "tokenizer/expected-%s.jsonl", expect);
  size_t nexp;
  json_t **exp = read_jsonl(path, &nexp);
  if (!exp || nexp != ncorpus) {
    CHECK(0, "parity %s: %s has %zu lines, corpus %zu", label, path, nexp, ncorpus);
    free_rows(exp, nexp);
    return;
  }
  wp_encoding enc = {0};
  wp_error err;
  int id_bad = 0, off_bad = 0, shown = 0, off_shown = 0;
  for (size_t i = 0; i < ncorpus; i++) {
    const char *text = json_string_value(corpus[i]);
    size_t len = json_string_length(corpus[i]);
    json_t *ids = json_object_get(exp[i], "ids"), *offs = json_object_get(exp[i], "offsets");
    if (!text || wp_encode(tok, text, len, 512, &enc, &err) != WP_OK) {
      id_bad++;
      if (shown++ < SHOW) printf("    line %zu: encode failed: %s\n", i + 1, text ? err.msg : "bad corpus line");
      continue;
    }
    if (!ids_equal(ids, enc.ids, enc.n)) {
      id_bad++;
      if (shown++ < SHOW) show_ids_mismatch("line", i + 1, text, len, ids, &enc);
    } else if (!offsets_equal(offs, enc.offsets, enc.n)) {
      off_bad++;
      if (off_shown++ < SHOW) {
        printf("    line %zu offsets differ: ", i + 1);
        print_escaped(text, len);
        char *e = json_dumps(offs, JSON_COMPACT);
        printf("\n      expected: %.300s\n      got     :", e ? e : "?");
        free(e);
        for (int32_t k = 0; k < enc.n && k < 30; k++) printf(" [%d,%d]", enc.offsets[2 * k], enc.offsets[2 * k + 1]);
        printf("\n");
      }
    }
  }
  CHECK(id_bad == 0, "parity %s: %zu texts, %d id mismatches", label, ncorpus, id_bad);
  CHECK(off_bad == 0, "parity %s: %zu texts, %d offset mismatches (ids equal)", label, ncorpus, off_bad);
  wp_encoding_free(&enc);
  free_rows(exp, nexp);
}

/* The MPNet-style tokenizer.json (RobertaProcessing, "<unk>" matched in
** normalised text) on the corpus: each line's ids are expected-mpnet-style-
** exceptions.jsonl's where it lists the line, else bert-base-uncased's
** mapped as the crate's output was checked to be by make_expected.js:
** [CLS] -> 0, [SEP] -> 2, every other id + 4. */
static void mpnet_corpus_parity(json_t **corpus, size_t ncorpus) {
  size_t nexp, nexc;
  json_t **exp = read_jsonl(FIX "tokenizer/expected-bert-base-uncased.jsonl", &nexp);
  json_t **exc = read_jsonl(FIX "tokenizer/expected-mpnet-style-exceptions.jsonl", &nexc);
  wp_tokenizer *tok = NULL;
  wp_error err;
  if (!exp || nexp != ncorpus || !exc ||
      wp_load_tokenizer_json(FIX "vocab/mpnet-style/tokenizer.json", &tok, &err) != WP_OK) {
    CHECK(0, "parity mpnet-style: fixtures readable");
    free_rows(exp, nexp);
    free_rows(exc, nexc);
    return;
  }
  wp_encoding enc = {0};
  int bad = 0, shown = 0;
  size_t k = 0; /* exceptions used: lines listed whole */
  for (size_t i = 0; i < ncorpus; i++) {
    json_t *want = NULL, *mapped = NULL;
    if (k < nexc && json_integer_value(json_object_get(exc[k], "line")) == (json_int_t)(i + 1)) {
      want = json_object_get(exc[k++], "ids");
    } else {
      json_t *ids = json_object_get(exp[i], "ids");
      size_t n = json_array_size(ids);
      mapped = json_array();
      for (size_t j = 0; j < n; j++) {
        json_int_t id = json_integer_value(json_array_get(ids, j));
        json_array_append_new(mapped, json_integer(j == 0 ? 0 : j + 1 == n ? 2 : id + 4));
      }
      want = mapped;
    }
    const char *text = json_string_value(corpus[i]);
    size_t len = json_string_length(corpus[i]);
    if (wp_encode(tok, text, len, 512, &enc, &err) != WP_OK || !ids_equal(want, enc.ids, enc.n)) {
      bad++;
      if (shown++ < SHOW) show_ids_mismatch("line", i + 1, text, len, want, &enc);
    }
    json_decref(mapped);
  }
  CHECK(bad == 0 && k == nexc && k > 400,
        "parity mpnet-style tokenizer.json: %zu texts (%zu listed whole), %d id mismatches", ncorpus, k,
        bad);
  wp_encoding_free(&enc);
  wp_free(tok);
  free_rows(exp, nexp);
  free_rows(exc, nexc);
}

/* cases-mpnet-style.jsonl: texts where "<unk>" is found only after
** normalisation (case, accents, controls, soft hyphens, CJK padding). */
static void mpnet_cases_parity(void) {
  size_t n;
  json_t **rows = read_jsonl(FIX "tokenizer/cases-mpnet-style.jsonl", &n);
  wp_tokenizer *tok = NULL;
  wp_error err;
  if (!rows || wp_load_tokenizer_json(FIX "vocab/mpnet-style/tokenizer.json", &tok, &err) != WP_OK) {
    CHECK(0, "parity mpnet-style cases: fixtures readable");
    free_rows(rows, n);
    return;
  }
  wp_encoding enc = {0};
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    json_t *text = json_object_get(rows[i], "text"), *ids = json_object_get(rows[i], "ids");
    if (wp_encode(tok, json_string_value(text), json_string_length(text), 512, &enc, &err) != WP_OK ||
        !ids_equal(ids, enc.ids, enc.n)) {
      if (bad++ < SHOW)
        show_ids_mismatch("case", i + 1, json_string_value(text), json_string_length(text), ids, &enc);
    }
  }
  CHECK(bad == 0 && n >= 20, "parity mpnet-style normalised added tokens: %zu cases, %d mismatches", n, bad);
  wp_encoding_free(&enc);
  wp_free(tok);
  free_rows(rows, n);
}

/* Pairs of the JSONL file `pairs` encoded by the tokenizer of `source`
** (a vocab.txt or tokenizer.json) */
static void pairs_parity_keys(const char *label, const char *pairs, const char *source, const char *ids_key,
                              const char *types_key) {
  size_t n;
  json_t **rows = read_jsonl(pairs, &n);
  wp_tokenizer *tok = NULL;
  wp_error err;
  const int json = strstr(source, ".json") != NULL;
  if (!rows || (json ? wp_load_tokenizer_json(source, &tok, &err)
                     : wp_load_vocab_txt(source, NULL, &tok, &err)) != WP_OK) {
    CHECK(0, "parity pairs %s: fixtures readable", label);
    free_rows(rows, n);
    return;
  }
  wp_encoding enc = {0};
  int bad = 0, shown = 0;
  for (size_t i = 0; i < n; i++) {
    json_t *a = json_object_get(rows[i], "a"), *b = json_object_get(rows[i], "b");
    int32_t max = (int32_t)json_integer_value(json_object_get(rows[i], "max_length"));
    json_t *ids = json_object_get(rows[i], ids_key), *types = json_object_get(rows[i], types_key);
    if (wp_encode_pair(tok, json_string_value(a), json_string_length(a), json_string_value(b),
                       json_string_length(b), max, &enc, &err) != WP_OK ||
        !ids_equal(ids, enc.ids, enc.n) || !ids_equal(types, enc.type_ids, enc.n)) {
      bad++;
      if (shown++ < SHOW) {
        printf("    pair line %zu (max_length %d, lengths %zu/%zu):\n", i + 1, max,
               json_array_size(ids), (size_t)enc.n);
        print_ids("expected", ids, NULL, 0);
        print_ids("got     ", NULL, enc.ids, enc.n);
      }
    }
  }
  CHECK(bad == 0 && n >= 100, "parity pairs %s: %zu pairs, %d mismatches", label, n, bad);
  wp_encoding_free(&enc);
  wp_free(tok);
  free_rows(rows, n);
}

static void pairs_parity(const char *label, const char *pairs, const char *source) {
  pairs_parity_keys(label, pairs, source, "ids", "type_ids");
}

/* llama.cpp's test-tokenizer-0 cases: texts separated by
** "\n__ggml_vocab_test__\n", expected ids (no [CLS]/[SEP]) one line each. */
static void llama_parity(void) {
  size_t ilen, olen;
  char *inp = check_slurp(FIX "tokenizer/llama-cpp/ggml-vocab-bert-bge.gguf.inp", &ilen);
  char *outp = check_slurp(FIX "tokenizer/llama-cpp/ggml-vocab-bert-bge.gguf.out", &olen);
  wp_tokenizer *tok = NULL;
  wp_error err;
  if (!inp || !outp || wp_load_vocab_txt(FIX "vocab/bert-base-uncased/vocab.txt", NULL, &tok, &err) != WP_OK) {
    CHECK(0, "parity llama.cpp: fixtures readable");
    free(inp); free(outp);
    return;
  }
  const char *sep = "\n__ggml_vocab_test__\n";
  size_t seplen = strlen(sep);
  char *p = inp, *o = outp;
  int cases = 0, bad = 0;
  wp_encoding enc = {0};
  while (p < inp + ilen) {
    char *end = strstr(p, sep);
    size_t tlen = end ? (size_t)(end - p) : (size_t)(inp + ilen - p);
    char *onl = strchr(o, '\n');
    if (!onl) break;
    *onl = 0;
    int32_t want[512];
    int nw = 0;
    for (char *q = o; *q && nw < 512;) {
      char *e2;
      long v = strtol(q, &e2, 10);
      if (e2 == q) break;
      want[nw++] = (int32_t)v;
      q = e2;
    }
    cases++;
    if (wp_encode(tok, p, tlen, 0, &enc, &err) != WP_OK || enc.n - 2 != nw ||
        memcmp(enc.ids + 1, want, (size_t)nw * sizeof *want) != 0) {
      if (bad++ < SHOW) { printf("    llama.cpp case %d: ", cases); print_escaped(p, tlen); printf("\n"); }
    }
    o = onl + 1;
    if (!end) break;
    p = end + seplen;
  }
  CHECK(bad == 0 && cases > 40, "parity llama.cpp bert-bge cases: %d cases, %d mismatches", cases, bad);
  wp_encoding_free(&enc);
  wp_free(tok);
  free(inp);
  free(outp);
}

/* Is cp inside one of the [first, last] pairs of a JSON array (sorted)? */
static int in_json_ranges(json_t *ranges, uint32_t cp) {
  size_t lo = 0, hi = json_array_size(ranges);
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    json_t *r = json_array_get(ranges, mid);
    if ((uint32_t)json_integer_value(json_array_get(r, 1)) < cp) lo = mid + 1;
    else hi = mid;
  }
  return lo < json_array_size(ranges) &&
         (uint32_t)json_integer_value(json_array_get(json_array_get(ranges, lo), 0)) <= cp;
}

/* Every code point Python assigns: its lowercase alone, and the two
** properties its Final_Sigma rule reads, against what Python did. */
static void pylower_unicode_parity(wp_lowered *lo, json_t *u) {
  json_t *assigned = json_object_get(u, "assigned"), *lower = json_object_get(u, "lower");
  json_t *ign = json_object_get(u, "ignorable"), *cased = json_object_get(u, "cased");
  if (!json_is_array(assigned) || !json_is_array(lower) || !json_is_array(ign) || !json_is_array(cased)) {
    CHECK(0, "pylower-unicode.json readable");
    return;
  }
  size_t next = 0, checked = 0;
  int bad_lower = 0, bad_class = 0;
  for (size_t r = 0; r < json_array_size(assigned); r++) {
    json_t *rg = json_array_get(assigned, r);
    uint32_t a = (uint32_t)json_integer_value(json_array_get(rg, 0));
    uint32_t b = (uint32_t)json_integer_value(json_array_get(rg, 1));
    for (uint32_t cp = a; cp <= b; cp++, checked++) {
      unsigned char in[4], want[8];
      size_t want_len = 0;
      json_t *m = json_array_get(lower, next);
      if (m && (uint32_t)json_integer_value(json_array_get(m, 0)) == cp) {
        size_t k;
        json_t *v;
        json_array_foreach(json_array_get(m, 1), k, v)
          want_len += (size_t)wpu_encode((uint32_t)json_integer_value(v), want + want_len);
        next++;
      } else {
        want_len = (size_t)wpu_encode(cp, want);
      }
      int n = wpu_encode(cp, in);
      if (wp_py_lower(lo, (const char *)in, (size_t)n) != WP_OK || lo->len != want_len ||
          memcmp(lo->text, want, want_len) != 0) {
        if (bad_lower++ < SHOW) printf("    U+%04X lowers to %zu other bytes\n", cp, lo->len);
      }
      int py_ign = in_json_ranges(ign, cp), py_cased = in_json_ranges(cased, cp);
      int our_ign = wpu_is_case_ignorable(cp), our_cased = !our_ign && wpu_is_cased(cp);
      if (py_ign != our_ign || py_cased != our_cased) {
        if (bad_class++ < SHOW)
          printf("    U+%04X: Python ignorable %d cased %d, ours %d %d\n", cp, py_ign, py_cased, our_ign,
                 our_cased);
      }
    }
  }
  const char *pyv = json_string_value(json_object_get(u, "unicode_version"));
  CHECK(bad_lower == 0 && next == json_array_size(lower) && checked > 140000,
        "pylower: %zu code points of Python's Unicode %s lower as str.lower() does (%d differ)",
        checked, pyv ? pyv : "?", bad_lower);
  CHECK(bad_class == 0, "pylower: Cased and Case_Ignorable as Python's sigma rule sees them (%d differ)",
        bad_class);
}

/* The corpus, lowered, against FNV-1a hashes of Python's lowering. */
static void pylower_corpus_parity(wp_lowered *lo, json_t *u, json_t **corpus, size_t ncorpus) {
  json_t *h = json_object_get(u, "corpus_fnv1a");
  int bad = 0;
  for (size_t i = 0; i < ncorpus; i++) {
    if (wp_py_lower(lo, json_string_value(corpus[i]), json_string_length(corpus[i])) != WP_OK ||
        wp_fnv1a(WP_FNV_SEED, lo->text, lo->len) != (uint32_t)json_integer_value(json_array_get(h, i))) {
      if (bad++ < SHOW) {
        printf("    corpus line %zu: ", i + 1);
        print_escaped(json_string_value(corpus[i]), json_string_length(corpus[i]));
        printf("\n");
      }
    }
  }
  CHECK(bad == 0 && json_array_size(h) == ncorpus && ncorpus > 0,
        "pylower: %zu corpus lines lower as Python's (%d differ)", ncorpus, bad);
}

/* Chosen texts: the lowered bytes, and every character boundary of the
** result mapped back to the text (a start to the start, an end to the end
** of the character whose lowercase holds it: "İ" lowers to two). */
static void pylower_cases_parity(wp_lowered *lo) {
  size_t n;
  json_t **rows = read_jsonl(FIX "tokenizer/pylower-cases.jsonl", &n);
  int bad_text = 0, bad_map = 0;
  for (size_t i = 0; i < n; i++) {
    json_t *text = json_object_get(rows[i], "text"), *want = json_object_get(rows[i], "lower");
    json_t *bounds = json_object_get(rows[i], "bounds");
    if (wp_py_lower(lo, json_string_value(text), json_string_length(text)) != WP_OK ||
        lo->len != json_string_length(want) || memcmp(lo->text, json_string_value(want), lo->len) != 0) {
      if (bad_text++ < SHOW) {
        printf("    case %zu: ", i + 1);
        print_escaped(json_string_value(text), json_string_length(text));
        printf(" lowers to ");
        print_escaped(lo->text, lo->len);
        printf("\n");
      }
      continue;
    }
    for (size_t k = 0; k + 1 < json_array_size(bounds); k++) {
      json_t *b0 = json_array_get(bounds, k), *b1 = json_array_get(bounds, k + 1);
      int32_t src0 = (int32_t)json_integer_value(json_array_get(b0, 0));
      int32_t src1 = (int32_t)json_integer_value(json_array_get(b1, 0));
      int32_t lo0 = (int32_t)json_integer_value(json_array_get(b0, 1));
      int32_t lo1 = (int32_t)json_integer_value(json_array_get(b1, 1));
      for (int32_t p = lo0; p < lo1; p++) {
        if ((lo->text[p] & 0xC0) == 0x80) continue; /* tokens start and end on characters */
        int32_t want_end = p == lo0 ? src0 : src1;
        if (wp_lowered_start(lo, p) != src0 || (p > 0 && wp_lowered_end(lo, p) != want_end)) {
          if (bad_map++ < SHOW)
            printf("    case %zu: lowered byte %d maps to %d/%d, expected %d/%d\n", i + 1, p,
                   wp_lowered_start(lo, p), wp_lowered_end(lo, p), src0, want_end);
        }
      }
    }
    json_t *last = json_array_get(bounds, json_array_size(bounds) - 1);
    int32_t src_len = (int32_t)json_integer_value(json_array_get(last, 0));
    if (lo->len > 0 && wp_lowered_end(lo, (int32_t)lo->len) != src_len && bad_map++ < SHOW)
      printf("    case %zu: the end maps to %d, expected %d\n", i + 1, wp_lowered_end(lo, (int32_t)lo->len),
             src_len);
  }
  CHECK(bad_text == 0 && n > 400, "pylower: %zu chosen texts lower as Python's (%d differ)", n, bad_text);
  CHECK(bad_map == 0 && n > 400, "pylower: offsets in the lowered texts map back to the text (%d wrong)",
        bad_map);
  free_rows(rows, n);
}

/* With python_lower (sentence-transformers' do_lower_case), the ids are
** Hugging Face's for Python's lowering of the text, and every token's
** offsets fall on character boundaries of the text itself. */
static void pylower_ids_parity(void) {
  size_t n;
  json_t **rows = read_jsonl(FIX "tokenizer/pylower-ids.jsonl", &n);
  wp_tokenizer *toks[2] = {NULL, NULL};
  wp_error err;
  wp_options cased;
  wp_options_default(&cased);
  cased.lowercase = cased.strip_accents = 0;
  int ok = rows && wp_load_tokenizer_json(FIX "vocab/all-MiniLM-L6-v2/tokenizer.json", &toks[0], &err) == WP_OK &&
           wp_load_vocab_txt(FIX "vocab/bert-base-cased/vocab.txt", &cased, &toks[1], &err) == WP_OK;
  for (int k = 0; ok && k < 2; k++) {
    wp_options o = *wp_get_options(toks[k]);
    o.python_lower = 1;
    ok = wp_options_override(toks[k], &o, &err) == WP_OK;
  }
  if (!ok) {
    CHECK(0, "pylower ids: fixtures load");
    free_rows(rows, n);
    wp_free(toks[0]);
    wp_free(toks[1]);
    return;
  }
  wp_encoding enc = {0};
  int bad[2] = {0, 0}, bad_offsets = 0;
  size_t count[2] = {0, 0};
  for (size_t i = 0; i < n; i++) {
    json_t *text = json_object_get(rows[i], "text"), *ids = json_object_get(rows[i], "ids");
    int k = strcmp(json_string_value(json_object_get(rows[i], "tokenizer")), "bert-base-cased") == 0;
    const char *s = json_string_value(text);
    size_t len = json_string_length(text);
    count[k]++;
    if (wp_encode(toks[k], s, len, 512, &enc, &err) != WP_OK || !ids_equal(ids, enc.ids, enc.n)) {
      if (bad[k]++ < SHOW) show_ids_mismatch(k ? "cased" : "uncased", i + 1, s, len, ids, &enc);
      continue;
    }
    for (int32_t t = 1; t + 1 < enc.n; t++) {
      int32_t a = enc.offsets[2 * t], b = enc.offsets[2 * t + 1];
      int inside = 0 <= a && a <= b && (size_t)b <= len;
      if (!inside || (a < (int32_t)len && (s[a] & 0xC0) == 0x80) ||
          (b < (int32_t)len && (s[b] & 0xC0) == 0x80)) {
        if (bad_offsets++ < SHOW) printf("    text %zu token %d: offsets [%d, %d)\n", i + 1, t, a, b);
      }
    }
  }
  CHECK(bad[0] == 0 && count[0] > 400, "pylower ids: all-MiniLM-L6-v2 tokenizer.json, %zu texts, %d mismatches",
        count[0], bad[0]);
  CHECK(bad[1] == 0 && count[1] > 400, "pylower ids: bert-base-cased vocab.txt, %zu texts, %d mismatches",
        count[1], bad[1]);
  CHECK(bad_offsets == 0, "pylower ids: offsets on the text's character boundaries (%d not)", bad_offsets);
  /* A text that fits the offsets but whose lowercase might not (3/2 of
  ** its bytes): refused before lowering.  Anonymous zero pages are NULs,
  ** valid UTF-8, and cost no memory. */
  size_t huge = 1500000000u;
  void *zeros = mmap(NULL, huge, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (zeros != MAP_FAILED) {
    wp_status rc = wp_encode(toks[0], zeros, huge, 512, &enc, &err);
    CHECK(rc == WP_ERR_ARG && strstr(err.msg, "too long once lowercased") && enc.n == 0,
          "pylower: a 1.5 GB text is refused: %s", err.msg);
    rc = wp_encode_pair(toks[0], "a", 1, zeros, huge, 512, &enc, &err);
    CHECK(rc == WP_ERR_ARG && strstr(err.msg, "the second text is too long once lowercased"),
          "pylower: the same as a pair's second text: %s", err.msg);
    munmap(zeros, huge);
  } else {
    CHECK(0, "mmap of %zu zero bytes", huge);
  }
  /* The same text without the option: the typed [SEP] is a special token. */
  wp_options o = *wp_get_options(toks[0]);
  o.python_lower = 0;
  if (wp_options_override(toks[0], &o, &err) == WP_OK &&
      wp_encode(toks[0], "a [SEP] b", 9, 512, &enc, &err) == WP_OK)
    CHECK(enc.n == 5 && enc.ids[2] == 102, "pylower off: a typed [SEP] stays special (%d tokens)", enc.n);
  else
    CHECK(0, "pylower off: encode: %s", err.msg);
  wp_encoding_free(&enc);
  wp_free(toks[0]);
  wp_free(toks[1]);
  free_rows(rows, n);
}

/* show_ids_mismatch's offsets. */
static void show_offsets(json_t *want, const wp_encoding *got) {
  printf("      expected offsets:");
  for (size_t i = 0; i < json_array_size(want) && i < 24; i++)
    printf(" %lld-%lld", (long long)json_integer_value(json_array_get(json_array_get(want, i), 0)),
           (long long)json_integer_value(json_array_get(json_array_get(want, i), 1)));
  printf("\n      got offsets:     ");
  for (int32_t i = 0; i < got->n && i < 24; i++) printf(" %d-%d", got->offsets[2 * i], got->offsets[2 * i + 1]);
  printf("\n");
}

/* The Unigram (XLM-R style) tokenizers of tests/fixtures/tokenizer/unigram
** against the crate's ids and byte offsets (make_unigram_fixtures.py):
** tokenizer.json (Precompiled nmt_nfkc charsmap, Replace, Metaspace) and
** tokenizer-wsplit.json (no charsmap, WhitespaceSplit then old-style
** Metaspace), no truncation. */
/* make_unigram_fixtures.py's normalized_variant: tokenizer.json with <mask>
** "normalized": true and an added token "\ufb01x" (normalised "fix",
** rstrip, id 4002), both then matched in the normalised text. */
static wp_status load_normalized_variant(wp_tokenizer **tok, wp_error *err) {
  json_t *doc = json_load_file(FIX "tokenizer/unigram/tokenizer.json", 0, NULL), *item;
  size_t i;
  wp_status rc = WP_ERR_IO;
  snprintf(err->msg, sizeof err->msg, "cannot read the Unigram tokenizer.json");
  if (doc) {
    json_array_foreach(json_object_get(doc, "added_tokens"), i, item)
      if (strcmp(json_string_value(json_object_get(item, "content")), "<mask>") == 0)
        json_object_set_new(item, "normalized", json_true());
    json_array_append_new(json_object_get(doc, "added_tokens"),
                          json_pack("{s:i, s:s, s:b, s:b, s:b, s:b, s:b}", "id", 4002, "content", "\xef\xac\x81x",
                                    "single_word", 0, "lstrip", 0, "rstrip", 1, "normalized", 1, "special", 0));
    char *text = json_dumps(doc, JSON_COMPACT);
    if (text) rc = wp_load_tokenizer_json_mem(text, strlen(text), tok, err);
    free(text);
    json_decref(doc);
  }
  return rc;
}

/* The tokenizers of one fixture directory against cases.jsonl's ids and
** byte offsets, each under its own keys; a name not ending in ".json" is
** built by `build` instead of read. */
static void cases_parity(const char *label, const char *cases, int nfiles, const char *const *files,
                         const char *const *ids_key, const char *const *offs_key,
                         wp_status (*build)(wp_tokenizer **tok, wp_error *err)) {
  size_t n;
  json_t **rows = read_jsonl(cases, &n);
  for (int f = 0; f < nfiles; f++) {
    wp_tokenizer *tok = NULL;
    wp_error err;
    const size_t fl = strlen(files[f]);
    const int is_file = fl > 5 && strcmp(files[f] + fl - 5, ".json") == 0;
    wp_status lrc = is_file ? wp_load_tokenizer_json(files[f], &tok, &err) : build(&tok, &err);
    if (!rows || lrc != WP_OK) {
      CHECK(0, "parity %s %s: fixtures load: %s", label, files[f], rows ? err.msg : cases);
      continue;
    }
    wp_encoding enc = {0};
    int bad = 0, bad_offs = 0;
    for (size_t i = 0; i < n; i++) {
      json_t *text = json_object_get(rows[i], "text"), *ids = json_object_get(rows[i], ids_key[f]);
      json_t *offs = json_object_get(rows[i], offs_key[f]);
      wp_status rc = wp_encode(tok, json_string_value(text), json_string_length(text), 0, &enc, &err);
      if (rc != WP_OK || !ids_equal(ids, enc.ids, enc.n)) {
        if (bad++ < SHOW)
          show_ids_mismatch("case", i + 1, json_string_value(text), json_string_length(text), ids, &enc);
      } else if (!offsets_equal(offs, enc.offsets, enc.n)) {
        if (bad_offs++ < SHOW) {
          show_ids_mismatch("offsets of case", i + 1, json_string_value(text), json_string_length(text), ids, &enc);
          show_offsets(offs, &enc);
        }
      }
    }
    CHECK(bad == 0 && n >= 400, "parity %s %s: %zu texts, %d id mismatches", label, files[f], n, bad);
    CHECK(bad_offs == 0, "parity %s %s: %d offset mismatches (ids equal)", label, files[f], bad_offs);
    wp_encoding_free(&enc);
    wp_free(tok);
  }
  free_rows(rows, n);
}

static void unigram_parity(void) {
  static const char *const files[] = {FIX "tokenizer/unigram/tokenizer.json",
                                      FIX "tokenizer/unigram/tokenizer-wsplit.json",
                                      "tokenizer.json with normalized added tokens"};
  static const char *const ids_key[] = {"ids", "ids_wsplit", "ids_normalized"},
                           *const offs_key[] = {"offsets", "offsets_wsplit", "offsets_normalized"};
  cases_parity("unigram", FIX "tokenizer/unigram/cases.jsonl", 3, files, ids_key, offs_key,
               load_normalized_variant);
}

/* The byte-level BPE (RoBERTa style) tokenizers of tests/fixtures/tokenizer/bpe
** (make_bpe_fixtures.py): RobertaProcessing with trimmed offsets, the
** same with add_prefix_space and [left, right] merges, and a
** TemplateProcessing that leaves offsets untrimmed. */
static void bpe_parity(void) {
  static const char *const files[] = {FIX "tokenizer/bpe/tokenizer.json", FIX "tokenizer/bpe/tokenizer-prefix.json",
                                      FIX "tokenizer/bpe/tokenizer-template.json"};
  static const char *const ids_key[] = {"ids", "ids_prefix", "ids_template"},
                           *const offs_key[] = {"offsets", "offsets_prefix", "offsets_template"};
  cases_parity("bpe", FIX "tokenizer/bpe/cases.jsonl", 3, files, ids_key, offs_key, NULL);
}

/* One expected result against wp_encode's; counts into *bad / *bad_offs. */
static void expect_encoding(const wp_tokenizer *tok, const char *what, size_t no, json_t *text, json_t *ids,
                            json_t *offs, wp_encoding *enc, int *bad, int *bad_offs) {
  wp_error err;
  wp_status rc = wp_encode(tok, json_string_value(text), json_string_length(text), 0, enc, &err);
  if (rc != WP_OK || !ids_equal(ids, enc->ids, enc->n)) {
    if ((*bad)++ < SHOW) show_ids_mismatch(what, no, json_string_value(text), json_string_length(text), ids, enc);
  } else if (!offsets_equal(offs, enc->offsets, enc->n)) {
    if ((*bad_offs)++ < SHOW) {
      show_ids_mismatch(what, no, json_string_value(text), json_string_length(text), ids, enc);
      show_offsets(offs, enc);
    }
  }
}

/* The modernbert-style tokenizer (vocab/modernbert-style: NFC, "[CLS] $A
** [SEP]", OLMo's added tokens, some "normalized" and not special) against
** bpe/cases-modernbert.jsonl (make_modernbert_cases.py).  Every text of
** bpe/cases.jsonl is checked: against its line there when it has one,
** else against cases.jsonl's tokenizer-template.json result with [CLS]
** 4000 and [SEP] 4001 in place of <s> and </s>, which the script found to
** be the crate's result for this file too.  Then the lines of NFC texts. */
static void modernbert_parity(void) {
  size_t nc = 0, nm = 0;
  json_t **cases = read_jsonl(FIX "tokenizer/bpe/cases.jsonl", &nc);
  json_t **rows = read_jsonl(FIX "tokenizer/bpe/cases-modernbert.jsonl", &nm);
  wp_tokenizer *tok = NULL;
  wp_error err;
  if (!cases || !rows || wp_load_tokenizer_json(FIX "vocab/modernbert-style/tokenizer.json", &tok, &err) != WP_OK) {
    CHECK(0, "parity modernbert-style: fixtures load: %s", cases && rows ? err.msg : "jsonl files");
    goto done;
  }
  wp_encoding enc = {0};
  int bad = 0, bad_offs = 0, derived = 0, nfc_texts = 0, misplaced = 0;
  size_t next = 0;
  for (size_t i = 0; i < nc; i++) {
    json_t *own = next < nm ? json_object_get(rows[next], "case") : NULL;
    if (own && json_integer_value(own) == (json_int_t)(i + 1)) {
      expect_encoding(tok, "case", i + 1, json_object_get(rows[next], "text"), json_object_get(rows[next], "ids"),
                      json_object_get(rows[next], "offsets"), &enc, &bad, &bad_offs);
      next++;
      continue;
    }
    json_t *ids = json_deep_copy(json_object_get(cases[i], "ids_template"));
    size_t n = json_array_size(ids);
    if (n >= 2) {
      json_array_set_new(ids, 0, json_integer(4000));
      json_array_set_new(ids, n - 1, json_integer(4001));
    }
    expect_encoding(tok, "case (as tokenizer-template.json's)", i + 1, json_object_get(cases[i], "text"), ids,
                    json_object_get(cases[i], "offsets_template"), &enc, &bad, &bad_offs);
    json_decref(ids);
    derived++;
  }
  for (; next < nm; next++) {
    if (json_object_get(rows[next], "case")) misplaced++;
    expect_encoding(tok, "NFC text, line", next + 1, json_object_get(rows[next], "text"),
                    json_object_get(rows[next], "ids"), json_object_get(rows[next], "offsets"), &enc, &bad,
                    &bad_offs);
    nfc_texts++;
  }
  CHECK(bad == 0 && misplaced == 0 && nc >= 6000 && nfc_texts >= 150,
        "parity modernbert-style tokenizer.json (NFC): %zu case texts (%d as tokenizer-template.json's) and %d "
        "NFC texts, %d id mismatches", nc, derived, nfc_texts, bad);
  CHECK(bad_offs == 0, "parity modernbert-style tokenizer.json (NFC): %d offset mismatches (ids equal)", bad_offs);
  wp_encoding_free(&enc);
done:
  wp_free(tok);
  free_rows(cases, nc);
  free_rows(rows, nm);
}

/* Is this case text kept for the long text `name` (long-texts.json's rule)? */
static int long_keeps(const char *name, const char *t, size_t n) {
  if (memchr(t, '<', n)) return 0;
  if (strcmp(name, "no_ascii_letters") != 0) return 1;
  for (size_t i = 0; i < n; i++)
    if ((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z')) return 0;
  return 1;
}

/* Texts longer than the 64 KB window spm_normalize.c works in (so cut
** between windows) against the crate's tokens of the whole text. */
static void long_parity(const char *label, const char *long_texts, json_t **rows, size_t nrows, int nfiles,
                        const char *const *files, const char *const *keys) {
  json_t *doc = json_load_file(long_texts, 0, NULL);
  wp_tokenizer *tok[3] = {NULL, NULL, NULL};
  wp_error err;
  int loaded = doc && rows && nfiles <= 3;
  for (int f = 0; loaded && f < nfiles; f++) loaded = wp_load_tokenizer_json(files[f], &tok[f], &err) == WP_OK;
  if (!loaded) {
    CHECK(0, "parity %s long texts: fixtures load", label);
    goto done;
  }
  size_t k;
  json_t *e;
  json_array_foreach(json_object_get(doc, "texts"), k, e) {
    const char *name = json_string_value(json_object_get(e, "name"));
    size_t size = (size_t)json_integer_value(json_object_get(e, "size")), len = 0, cap = size + 4096;
    char *text = malloc(cap);
    for (size_t i = 0; text && name && len < size; i++) {
      json_t *t = json_object_get(rows[i % nrows], "text");
      const char *z = json_string_value(t);
      size_t n = json_string_length(t);
      if (!long_keeps(name, z, n)) {
        if (i > 100 * nrows) break; /* nothing kept */
        continue;
      }
      if (len + n + 1 > cap && !(text = realloc(text, cap = 2 * (len + n + 1)))) break;
      memcpy(text + len, z, n);
      len += n;
      text[len++] = ' ';
    }
    CHECK(text && (int64_t)len == json_integer_value(json_object_get(e, "bytes")),
          "parity %s long text %s: rebuilt, %zu bytes", label, name ? name : "?", len);
    for (int f = 0; text && f < nfiles; f++) {
      json_t *want = json_object_get(e, keys[f]);
      wp_encoding enc = {0};
      char ids_hex[17] = "", offs_hex[17] = "";
      if (wp_encode(tok[f], text, len, 0, &enc, &err) == WP_OK) {
        snprintf(ids_hex, sizeof ids_hex, "%016llx",
                 check_fnv1a64_i32(0xcbf29ce484222325ull, enc.ids, (size_t)enc.n));
        snprintf(offs_hex, sizeof offs_hex, "%016llx",
                 check_fnv1a64_i32(0xcbf29ce484222325ull, enc.offsets, 2 * (size_t)enc.n));
      }
      CHECK(enc.n == json_integer_value(json_object_get(want, "n")) &&
            strcmp(ids_hex, json_string_value(json_object_get(want, "ids_fnv1a64"))) == 0,
            "parity %s long text %s (%zu bytes), %s: %d tokens, ids as the crate's (fnv %s)", label, name, len,
            files[f], enc.n, ids_hex);
      CHECK(strcmp(offs_hex, json_string_value(json_object_get(want, "offsets_fnv1a64"))) == 0,
            "parity %s long text %s, %s: offsets as the crate's", label, name, files[f]);
      wp_encoding_free(&enc);
    }
    free(text);
  }
done:
  for (int f = 0; f < 3; f++) wp_free(tok[f]);
  json_decref(doc);
}

/* GPT-2's character classes against the crate's (bpe/pretokenizer-classes.json,
** probed code point by code point): equal wherever utf8proc's Unicode
** assigns the code point; the crate's Oniguruma knows Unicode 16.0, so the
** letters and numbers new since (unassigned, Cn, here) are the only
** differences allowed, and counted. */
static void bpe_class_parity(void) {
  json_t *doc = json_load_file(FIX "tokenizer/bpe/pretokenizer-classes.json", 0, NULL);
  if (!doc) {
    CHECK(0, "parity bpe classes: pretokenizer-classes.json loads");
    return;
  }
  json_t *ws = json_object_get(doc, "white_space"), *l = json_object_get(doc, "letter"),
         *num = json_object_get(doc, "number");
  /* one pass over a sorted table instead of a search per code point */
  uint8_t *want = calloc(0x110000, 1);
  size_t i, checked = 0, bad = 0, newer = 0;
  json_t *r;
  for (uint32_t cp = 0; want && cp < 0x110000; cp++) want[cp] = 0xff;
  json_array_foreach(json_object_get(doc, "checked"), i, r)
    for (uint32_t cp = (uint32_t)json_integer_value(json_array_get(r, 0));
         want && cp <= (uint32_t)json_integer_value(json_array_get(r, 1)); cp++)
      want[cp] = C_OTHER;
  json_t *sets[3] = {ws, l, num};
  const uint8_t cls[3] = {C_SPACE, C_LETTER, C_NUMBER};
  for (int k = 0; want && k < 3; k++)
    json_array_foreach(sets[k], i, r) {
      uint32_t lo = json_is_integer(r) ? (uint32_t)json_integer_value(r) : (uint32_t)json_integer_value(json_array_get(r, 0));
      uint32_t hi = json_is_integer(r) ? lo : (uint32_t)json_integer_value(json_array_get(r, 1));
      for (uint32_t cp = lo; cp <= hi && cp < 0x110000; cp++) want[cp] = cls[k];
    }
  for (uint32_t cp = 0; want && cp < 0x110000; cp++) {
    if (want[cp] == 0xff) continue;
    checked++;
    int got = wp_bl_char_class(cp);
    if (got == want[cp]) continue;
    if (utf8proc_category((utf8proc_int32_t)cp) == UTF8PROC_CATEGORY_CN) newer++;
    else if (bad++ < SHOW) printf("    U+%04X: ours %d, the crate's %d\n", (unsigned)cp, got, want[cp]);
  }
  CHECK(want && bad == 0 && checked > 260000,
        "parity bpe classes: %zu code points, %zu differ where utf8proc's Unicode %s assigns them; %zu more are "
        "letters or numbers the crate's newer Unicode has", checked, bad, utf8proc_unicode_version(), newer);
  free(want);
  json_decref(doc);
}

/* Every text of tests/fixtures/tokenizer/corpus.jsonl through the three BPE
** files: counts and hashes of ids and offsets (bpe/corpus-hashes.jsonl,
** line n for corpus line n). */
static void bpe_corpus_parity(json_t **corpus, size_t ncorpus) {
  static const char *const files[] = {FIX "tokenizer/bpe/tokenizer.json", FIX "tokenizer/bpe/tokenizer-prefix.json",
                                      FIX "tokenizer/bpe/tokenizer-template.json"};
  size_t n;
  json_t **rows = read_jsonl(FIX "tokenizer/bpe/corpus-hashes.jsonl", &n);
  for (int f = 0; f < 3; f++) {
    wp_tokenizer *tok = NULL;
    wp_error err;
    if (!rows || n != ncorpus || wp_load_tokenizer_json(files[f], &tok, &err) != WP_OK) {
      CHECK(0, "parity bpe corpus %s: fixtures load (%zu hash lines for %zu texts)", files[f], n, ncorpus);
      continue;
    }
    wp_encoding enc = {0};
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
      json_t *want = rows[i];
      char ids_hex[17] = "", offs_hex[17] = "";
      if (wp_encode(tok, json_string_value(corpus[i]), json_string_length(corpus[i]), 0, &enc, &err) == WP_OK) {
        snprintf(ids_hex, sizeof ids_hex, "%016llx",
                 check_fnv1a64_i32(0xcbf29ce484222325ull, enc.ids, (size_t)enc.n));
        snprintf(offs_hex, sizeof offs_hex, "%016llx",
                 check_fnv1a64_i32(0xcbf29ce484222325ull, enc.offsets, 2 * (size_t)enc.n));
      }
      if (enc.n != json_integer_value(json_array_get(json_object_get(want, "n"), (size_t)f)) ||
          strcmp(ids_hex, json_string_value(json_array_get(json_object_get(want, "ids"), (size_t)f))) != 0 ||
          strcmp(offs_hex, json_string_value(json_array_get(json_object_get(want, "offsets"), (size_t)f))) != 0) {
        if (bad++ < SHOW) {
          printf("    corpus line %zu: ", i + 1);
          print_escaped(json_string_value(corpus[i]), json_string_length(corpus[i]));
          printf("\n");
        }
      }
    }
    CHECK(bad == 0 && n >= 10000, "parity bpe corpus %s: %zu texts, %d differ in ids, count or offsets", files[f],
          n, bad);
    wp_encoding_free(&enc);
    wp_free(tok);
  }
  free_rows(rows, n);
}

/* variants.json: tokenizer.json under other Metaspace settings (prepend
** "first" / "never", no split, both old and new fields) against the crate. */
static void unigram_variants_parity(void) {
  json_t *doc = json_load_file(FIX "tokenizer/unigram/variants.json", 0, NULL);
  json_t *base = json_load_file(FIX "tokenizer/unigram/tokenizer.json", 0, NULL);
  json_t *texts = json_object_get(doc, "texts"), *v;
  size_t k;
  if (!doc || !base || json_array_size(texts) < 10) {
    CHECK(0, "parity unigram variants: fixtures load");
    json_decref(doc);
    json_decref(base);
    return;
  }
  json_array_foreach(json_object_get(doc, "variants"), k, v) {
    const char *name = json_string_value(json_object_get(v, "name"));
    json_object_set(base, "pre_tokenizer", json_object_get(v, "pre_tokenizer"));
    char *text = json_dumps(base, JSON_COMPACT);
    wp_tokenizer *tok = NULL;
    wp_error err;
    int bad = 0;
    if (!text || wp_load_tokenizer_json_mem(text, strlen(text), &tok, &err) != WP_OK) {
      CHECK(0, "parity unigram variant %s: loads", name);
      free(text);
      continue;
    }
    wp_encoding enc = {0};
    for (size_t i = 0; i < json_array_size(texts); i++) {
      json_t *t = json_array_get(texts, i);
      if (wp_encode(tok, json_string_value(t), json_string_length(t), 0, &enc, &err) != WP_OK ||
          !ids_equal(json_array_get(json_object_get(v, "ids"), i), enc.ids, enc.n) ||
          !offsets_equal(json_array_get(json_object_get(v, "offsets"), i), enc.offsets, enc.n)) {
        if (bad++ < SHOW)
          show_ids_mismatch("text", i + 1, json_string_value(t), json_string_length(t),
                            json_array_get(json_object_get(v, "ids"), i), &enc);
      }
    }
    CHECK(bad == 0, "parity unigram pre_tokenizer variant %s: %zu texts, %d differ in ids or offsets", name,
          json_array_size(texts), bad);
    wp_encoding_free(&enc);
    wp_free(tok);
    free(text);
  }
  json_decref(doc);
  json_decref(base);
}

int main(void) {
  static const char *const vocabs[] = {"bert-base-uncased", "bert-base-cased",
                                       "bert-base-multilingual-cased", "bert-base-chinese"};
  size_t ncorpus;
  json_t **corpus = read_jsonl(FIX "tokenizer/corpus.jsonl", &ncorpus);
  json_t *options = json_load_file(FIX "tokenizer/options.json", 0, NULL);
  CHECK(corpus && ncorpus > 0 && options, "parity fixtures found (%zu corpus lines)", ncorpus);
  if (!corpus || !options) return check_finish();
  for (size_t i = 0; i < ncorpus; i++)
    if (!json_is_string(corpus[i])) { CHECK(0, "corpus line %zu is a JSON string", i + 1); return check_finish(); }

  for (size_t v = 0; v < sizeof vocabs / sizeof vocabs[0]; v++) {
    char path[512], label[256];
    snprintf(path, sizeof path, FIX "vocab/%s/vocab.txt", vocabs[v]);
    json_t *opt = json_object_get(options, vocabs[v]);
    wp_tokenizer *tok = NULL;
    wp_error err;
    if (wp_load_vocab_txt(path, NULL, &tok, &err) != WP_OK) {
      CHECK(0, "parity %s: load %s: %s", vocabs[v], path, err.msg);
      continue;
    }
    wp_options o = *wp_get_options(tok);
    o.lowercase = json_is_true(json_object_get(opt, "lowercase"));
    o.strip_accents = json_is_true(json_object_get(opt, "strip_accents"));
    if (wp_options_override(tok, &o, &err) != WP_OK) {
      CHECK(0, "parity %s: options: %s", vocabs[v], err.msg);
      wp_free(tok);
      continue;
    }
    snprintf(label, sizeof label, "%s vocab.txt", vocabs[v]);
    corpus_parity(label, tok, vocabs[v], corpus, ncorpus);
    wp_free(tok);
  }

  wp_tokenizer *tok = NULL;
  wp_error err;
  if (wp_load_tokenizer_json(FIX "vocab/all-MiniLM-L6-v2/tokenizer.json", &tok, &err) == WP_OK) {
    corpus_parity("all-MiniLM-L6-v2 tokenizer.json", tok, "bert-base-uncased", corpus, ncorpus);
    wp_free(tok);
  } else {
    CHECK(0, "parity all-MiniLM-L6-v2 tokenizer.json: load: %s", err.msg);
  }
  pairs_parity("bert-base-uncased", FIX "tokenizer/pairs-bert-base-uncased.jsonl",
               FIX "vocab/bert-base-uncased/vocab.txt");
  pairs_parity("mpnet-style tokenizer.json", FIX "tokenizer/pairs-mpnet-style.jsonl",
               FIX "vocab/mpnet-style/tokenizer.json");
  mpnet_corpus_parity(corpus, ncorpus);
  mpnet_cases_parity();
  llama_parity();
  wp_lowered lo = {0};
  json_t *pyu = json_load_file(FIX "tokenizer/pylower-unicode.json", 0, NULL);
  pylower_unicode_parity(&lo, pyu);
  pylower_corpus_parity(&lo, pyu, corpus, ncorpus);
  json_decref(pyu);
  pylower_cases_parity(&lo);
  wp_lowered_free(&lo);
  pylower_ids_parity();
  unigram_parity();
  bpe_parity();
  modernbert_parity();
  pairs_parity("unigram tokenizer.json (pair template <s> A </s> </s> B </s>)",
               FIX "tokenizer/unigram/pairs.jsonl", FIX "tokenizer/unigram/tokenizer.json");
  pairs_parity("bpe tokenizer.json (RobertaProcessing)", FIX "tokenizer/bpe/pairs.jsonl",
               FIX "tokenizer/bpe/tokenizer.json");
  pairs_parity_keys("bpe tokenizer-prefix.json", FIX "tokenizer/bpe/pairs.jsonl",
                    FIX "tokenizer/bpe/tokenizer-prefix.json", "ids_prefix", "type_ids_prefix");
  pairs_parity_keys("bpe tokenizer-template.json", FIX "tokenizer/bpe/pairs.jsonl",
                    FIX "tokenizer/bpe/tokenizer-template.json", "ids_template", "type_ids_template");
  unigram_variants_parity();
  {
    static const char *const ufiles[] = {FIX "tokenizer/unigram/tokenizer.json",
                                         FIX "tokenizer/unigram/tokenizer-wsplit.json"};
    static const char *const ukeys[] = {"main", "wsplit"};
    static const char *const bfiles[] = {FIX "tokenizer/bpe/tokenizer.json", FIX "tokenizer/bpe/tokenizer-prefix.json",
                                         FIX "tokenizer/bpe/tokenizer-template.json"};
    static const char *const bkeys[] = {"main", "prefix", "template"};
    size_t nu, nb;
    json_t **urows = read_jsonl(FIX "tokenizer/unigram/cases.jsonl", &nu);
    long_parity("unigram", FIX "tokenizer/unigram/long-texts.json", urows, nu, 2, ufiles, ukeys);
    free_rows(urows, nu);
    json_t **brows = read_jsonl(FIX "tokenizer/bpe/cases.jsonl", &nb);
    long_parity("bpe", FIX "tokenizer/bpe/long-texts.json", brows, nb, 3, bfiles, bkeys);
    free_rows(brows, nb);
  }
  bpe_corpus_parity(corpus, ncorpus);
  bpe_class_parity();
  free_rows(corpus, ncorpus);
  json_decref(options);
  return check_finish();
}
