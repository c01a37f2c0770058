/*
** test_tokenizer.c — unit tests of tokenizer/ (wordpiece.h).
**
**   make build/tests/test_tokenizer && build/tests/test_tokenizer
**   (run from the repository root: vocabularies come from tests/fixtures/vocab/)
**
** Expected ids and offsets were produced by Hugging Face's tokenizers
** (Rust crate 0.22 via @anush008/tokenizers, BertNormalizer +
** BertPreTokenizer + WordPiece, as shared/peers/tokenize_ref.js sets it
** up); its character offsets were converted to UTF-8 byte offsets by hand.
** Error messages are pinned exactly: their wording is API.
*/
#include "../../tokenizer/wordpiece.h"
#include "../../tokenizer/se_alloc.h"
#include "../../tokenizer/se_json.h"
#include "check.h"
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VOCAB_UNCASED "tests/fixtures/vocab/bert-base-uncased/vocab.txt"
#define VOCAB_CASED "tests/fixtures/vocab/bert-base-cased/vocab.txt"
#define MINILM_DIR "tests/fixtures/vocab/all-MiniLM-L6-v2"
#define MAXT 16

static wp_tokenizer *uncased, *cased;
static char tmpdir[256];

/* One table row: text (explicit length, may hold NUL) and the expected
** encoding; offsets are byte pairs, -1 ends the lists. */
typedef struct enc_case {
  const char *label;     /* what the case shows */
  int use_cased;         /* 0: bert-base-uncased, 1: bert-base-cased */
  const char *text;      /* input */
  size_t len;            /* its length (sizeof - 1 for literals) */
  int32_t ids[MAXT];     /* expected ids, -1 terminated */
  int32_t offs[2 * MAXT]; /* expected offsets, or {-1} to skip */
} enc_case;

#define T(s) s, sizeof(s) - 1

static const enc_case cases[] = {
  {"hello world (well-known ids)", 0, T("Hello, world!"),
   {101, 7592, 1010, 2088, 999, 102, -1}, {0, 0, 0, 5, 5, 6, 7, 12, 12, 13, 0, 0, -1}},
  {"accents stripped when lowercasing", 0, T("H\xc3\xa9llo w\xc3\xb6rld"),
   {101, 7592, 2088, 102, -1}, {0, 0, 0, 6, 7, 13, 0, 0, -1}},
  {"naive cafe", 0, T("na\xc3\xafve caf\xc3\xa9"), {101, 15743, 7668, 102, -1}, {0, 0, 0, 6, 7, 12, 0, 0, -1}},
  {"accents kept when cased", 1, T("H\xc3\xa9llo w\xc3\xb6rld"),
   {101, 145, 2744, 6643, 192, 19593, 17670, 1181, 102, -1},
   {0, 0, 0, 1, 1, 3, 3, 6, 7, 8, 8, 10, 10, 12, 12, 13, 0, 0, -1}},
  {"cased hello world", 1, T("Hello, world!"), {101, 8667, 117, 1362, 106, 102, -1}, {-1}},
  {"CJK split per ideograph", 0, T("\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c"),
   {101, 100, 100, 1745, 100, 102, -1}, {0, 0, 0, 3, 3, 6, 6, 9, 9, 12, 0, 0, -1}},
  {"special tokens in text", 0, T("[CLS] hi [SEP]"), {101, 101, 7632, 102, 102, -1},
   {0, 0, 0, 5, 6, 8, 9, 14, 0, 0, -1}},
  {"[cls] is not special", 0, T("[cls] hi"), {101, 1031, 18856, 2015, 1033, 7632, 102, -1},
   {0, 0, 0, 1, 1, 3, 3, 4, 4, 5, 6, 8, 0, 0, -1}},
  {"[SE<NUL>P] is not special", 0, T("[SE\0P]"), {101, 1031, 19802, 1033, 102, -1},
   {0, 0, 0, 1, 1, 5, 5, 6, 0, 0, -1}},
  {"special token inside a word", 0, T("a[MASK]b"), {101, 1037, 103, 1038, 102, -1},
   {0, 0, 0, 1, 1, 7, 7, 8, 0, 0, -1}},
  {"NUL dropped, text joins", 0, T("a\0b"), {101, 11113, 102, -1}, {0, 0, 0, 3, 0, 0, -1}},
  {"U+0130 lowercases to i + U+0307", 0, T("\xc4\xb0stanbul"), {101, 9960, 102, -1}, {0, 0, 0, 9, 0, 0, -1}},
  {"no final sigma", 0, T("\xce\xa3\xce\x91\xce\xa3"), {101, 1173, 14608, 29733, 102, -1},
   {0, 0, 0, 2, 2, 4, 4, 6, 0, 0, -1}},
  {"wordpiece continuation", 0, T("unaffable"), {101, 14477, 20961, 3468, 102, -1},
   {0, 0, 0, 3, 3, 6, 6, 9, 0, 0, -1}},
  {"soft hyphen and zero-width space vanish", 0, T("x\xc2\xadz\xe2\x80\x8bw"), {101, 1060, 2480, 2860, 102, -1},
   {0, 0, 0, 1, 3, 4, 7, 8, 0, 0, -1}},
  {"Hangul decomposes to jamo", 0, T("\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4"),
   {101, 1469, 30006, 30021, 29991, 30014, 30020, 29999, 30008, 102, -1},
   {0, 0, 0, 3, 0, 3, 0, 3, 3, 6, 3, 6, 3, 6, 6, 9, 6, 9, 0, 0, -1}},
  {"ASCII symbols are punctuation", 0, T("$5 + <3> ^|~"),
   {101, 1002, 1019, 1009, 1026, 1017, 1028, 1034, 1064, 1066, 102, -1}, {-1}},
  {"emoji is [UNK]", 0, T("emoji \xf0\x9f\x9a\x80 ok"), {101, 7861, 29147, 2072, 100, 7929, 102, -1},
   {0, 0, 0, 2, 2, 4, 4, 5, 6, 10, 11, 13, 0, 0, -1}},
  {"empty text", 0, T(""), {101, 102, -1}, {0, 0, 0, 0, -1}},
  {"only whitespace and controls", 0, T(" \t\n\r\x0b\x0c\xc2\x85 "), {101, 102, -1}, {-1}},
};

static void check_case(const enc_case *c) {
  wp_encoding enc = {0};
  wp_error err;
  wp_tokenizer *tok = c->use_cased ? cased : uncased;
  wp_status rc = wp_encode(tok, c->text, c->len, 512, &enc, &err);
  int n = 0;
  while (c->ids[n] >= 0) n++;
  int ok = rc == WP_OK && enc.n == n;
  for (int i = 0; ok && i < n; i++) ok = enc.ids[i] == c->ids[i];
  CHECK(ok, "ids: %s", c->label);
  if (!ok) {
    printf("    got:");
    for (int i = 0; i < enc.n; i++) printf(" %d", enc.ids[i]);
    printf("\n");
  }
  if (c->offs[0] >= 0) {
    int okoff = ok;
    for (int i = 0; okoff && i < 2 * n; i++) okoff = enc.offsets[i] == c->offs[i];
    CHECK(okoff, "offsets: %s", c->label);
    if (!okoff) {
      printf("    got:");
      for (int i = 0; i < enc.n; i++) printf(" [%d,%d]", enc.offsets[2 * i], enc.offsets[2 * i + 1]);
      printf("\n");
    }
  }
  wp_encoding_free(&enc);
}

/* A toy vocabulary whose WordPiece behaviour is easy to predict. */
static const char toy_vocab[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n##a\nb\n##b\nab\n";

static void test_word_length(void) {
  wp_tokenizer *tok = NULL;
  wp_error err;
  CHECK_EQ_INT(wp_load_vocab_txt_mem(toy_vocab, sizeof toy_vocab - 1, NULL, &tok, &err), WP_OK, "toy vocab loads");
  if (!tok) return;
  char text[300];
  memset(text, 'a', sizeof text);
  wp_encoding enc = {0};
  CHECK_EQ_INT(wp_encode(tok, text, 100, 0, &enc, &err), WP_OK, "100-char word encodes");
  CHECK_EQ_INT(enc.n, 102, "100-char word: [CLS] a ##a x99 [SEP]");
  CHECK(enc.ids[1] == 5 && enc.ids[100] == 6, "100-char word is not [UNK]");
  wp_encode(tok, text, 101, 0, &enc, &err);
  CHECK(enc.n == 3 && enc.ids[1] == 1, "101-char word is one [UNK]");
  CHECK(enc.offsets[2] == 0 && enc.offsets[3] == 101, "[UNK] of a long word spans the word");
  CHECK(wp_encode(tok, "ab", 2, 0, &enc, &err) == WP_OK && enc.n == 3 && enc.ids[1] == 9,
        "greedy longest match takes 'ab' over 'a'");
  CHECK(wp_encode(tok, "abc a", 5, 0, &enc, &err) == WP_OK && enc.n == 4 && enc.ids[1] == 1 &&
        enc.ids[2] == 5 && enc.offsets[2] == 0 && enc.offsets[3] == 3,
        "a word with an unknown piece is one [UNK] over the whole word");
  /* Options: max_input_chars_per_word is honoured. */
  wp_options o = *wp_get_options(tok);
  o.max_input_chars_per_word = 3;
  CHECK_EQ_INT(wp_options_override(tok, &o, &err), WP_OK, "options override");
  wp_encode(tok, "aaa aaaa", 8, 0, &enc, &err);
  CHECK(enc.n == 6 && enc.ids[4] == 1, "max_input_chars_per_word 3: 'aaa' split, 'aaaa' [UNK]");
  strcpy(o.unk_token, "[NOPE]");
  CHECK_EQ_INT(wp_options_override(tok, &o, &err), WP_ERR_ARG, "override with a missing unk token fails");
  CHECK_STR_CONTAINS(err.msg, "the vocabulary lacks the unknown token '[NOPE]'", "override error message");
  wp_encoding_free(&enc);
  wp_free(tok);
}

static void test_truncation_and_pairs(void) {
  wp_encoding enc = {0};
  wp_error err;
  const char *text = "one two three four five six seven eight nine ten";
  CHECK_EQ_INT(wp_encode(uncased, text, strlen(text), 8, &enc, &err), WP_OK, "truncated encode");
  CHECK_EQ_INT(enc.n, 8, "max_length 8 gives 8 tokens");
  CHECK(enc.ids[0] == 101 && enc.ids[7] == 102 && enc.ids[6] == 2416, "[CLS] six words [SEP]");
  CHECK_EQ_INT(enc.n_untruncated, 10, "n_untruncated counts all content tokens");
  CHECK(wp_encode(uncased, text, strlen(text), 2, &enc, &err) == WP_OK && enc.n == 2, "max_length 2: [CLS] [SEP]");
  CHECK_EQ_INT(wp_encode(uncased, text, strlen(text), 1, &enc, &err), WP_ERR_ARG, "max_length 1 refused");
  CHECK_STR_CONTAINS(err.msg, "max_length 1 is too small (minimum 2)", "max_length error message");
  CHECK(wp_encode(uncased, text, strlen(text), 0, &enc, &err) == WP_OK && enc.n == 12, "max_length 0: no truncation");

  CHECK_EQ_INT(wp_encode_pair(uncased, "hello world", 11, "how are you", 11, 512, &enc, &err), WP_OK, "pair");
  static const int32_t pid[] = {101, 7592, 2088, 102, 2129, 2024, 2017, 102};
  static const int32_t pty[] = {0, 0, 0, 0, 1, 1, 1, 1};
  static const int32_t poff[] = {0, 0, 0, 5, 6, 11, 0, 0, 0, 3, 4, 7, 8, 11, 0, 0};
  CHECK(enc.n == 8 && !memcmp(enc.ids, pid, sizeof pid) && !memcmp(enc.type_ids, pty, sizeof pty),
        "pair ids and type ids: [CLS] A [SEP] B [SEP]");
  CHECK(!memcmp(enc.offsets, poff, sizeof poff), "pair offsets index each text");
  /* LongestFirst: 10 + 3 content tokens into 7 (max_length 10 - 3 added). */
  CHECK(wp_encode_pair(uncased, text, strlen(text), "a b c", 5, 10, &enc, &err) == WP_OK && enc.n == 10 &&
        enc.ids[5] == 102 && enc.ids[6] == 1037, "longest_first keeps the short one whole (4 + 3)");
  /* 10 + 10 into 7: 3 and 4, the odd token to the second. */
  CHECK(wp_encode_pair(uncased, text, strlen(text), text, strlen(text), 10, &enc, &err) == WP_OK &&
        enc.n == 10 && enc.ids[4] == 102 && enc.type_ids[5] == 1, "longest_first splits evenly (3 + 4)");
  CHECK_EQ_INT(enc.n_untruncated, 20, "pair n_untruncated");
  CHECK_EQ_INT(wp_encode_pair(uncased, "a", 1, "b", 1, 2, &enc, &err), WP_ERR_ARG, "pair max_length 2 refused");
  wp_encoding_free(&enc);
}

static void test_invalid_utf8(void) {
  static const struct { const char *label; const char *text; size_t len; const char *msg; } bad[] = {
    {"stray continuation byte", "ab\x80", 3, "invalid UTF-8 at byte 2"},
    {"overlong 2-byte (C0 80)", "\xc0\x80", 2, "invalid UTF-8 at byte 0"},
    {"overlong 3-byte", "x\xe0\x80\xaf", 4, "invalid UTF-8 at byte 1"},
    {"overlong 4-byte", "\xf0\x8f\xbf\xbf", 4, "invalid UTF-8 at byte 0"},
    {"surrogate U+D800", "ok \xed\xa0\x80", 6, "invalid UTF-8 at byte 3"},
    {"above U+10FFFF (F4 90)", "\xf4\x90\x80\x80", 4, "invalid UTF-8 at byte 0"},
    {"F5 lead byte", "a\xf5\x80\x80\x80", 5, "invalid UTF-8 at byte 1"},
    {"FF byte", "\xff", 1, "invalid UTF-8 at byte 0"},
    {"truncated at end", "caf\xc3", 4, "invalid UTF-8 at byte 3"},
    {"truncated 3-byte at end", "\xe2\x82", 2, "invalid UTF-8 at byte 0"},
    {"truncated mid-text", "a\xe2\x82z", 4, "invalid UTF-8 at byte 1"},
    {"bad after valid multibyte", "\xc3\xa9\xc3(", 4, "invalid UTF-8 at byte 2"},
  };
  wp_encoding enc = {0};
  wp_error err;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    wp_status rc = wp_encode(uncased, bad[i].text, bad[i].len, 512, &enc, &err);
    CHECK(rc == WP_ERR_UTF8 && strcmp(err.msg, bad[i].msg) == 0, "invalid UTF-8, %s: \"%s\"", bad[i].label,
          rc == WP_ERR_UTF8 ? err.msg : "(accepted)");
  }
  CHECK(wp_encode_pair(uncased, "ok", 2, "x\xff", 2, 512, &enc, &err) == WP_ERR_UTF8 &&
        strcmp(err.msg, "invalid UTF-8 at byte 1 of the second text") == 0, "pair: bad second text named");
  CHECK(wp_encode(uncased, "\xf4\x8f\xbf\xbf", 4, 512, &enc, &err) == WP_OK, "U+10FFFF is valid");
  wp_encoding_free(&enc);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_big_texts(void) {
  size_t n = 10u << 20;
  char *big = malloc(n);
  wp_encoding enc = {0};
  wp_error err;
  static const char *const unit[] = {"The quick brown fox, jumps over the lazy dog! ", "x", "\xcc\x81", "[",
                                     "\xe4\xb8\x96"};
  static const char *const what[] = {"prose", "one 10 MB word", "combining marks", "'[' (literal prefix)",
                                     "CJK"};
  for (int k = 0; k < 5; k++) {
    size_t ul = strlen(unit[k]), i;
    for (i = 0; i + ul <= n; i += ul) memcpy(big + i, unit[k], ul);
    double t0 = now();
    wp_status rc = wp_encode(uncased, big, i, 512, &enc, &err);
    double dt = now() - t0;
    /* Linear time: a quadratic step would take hours here, not seconds. */
    CHECK(rc == WP_OK && enc.n <= 512 && dt < 10.0, "10 MB of %s in %.2f s (%d tokens kept of %d)", what[k],
          dt, enc.n, enc.n_untruncated);
  }
  memset(big, 'x', n);
  wp_encode(uncased, big, n, 512, &enc, &err);
  CHECK(enc.n == 3 && enc.ids[1] == 100 && enc.offsets[3] == (int32_t)n, "10 MB word is one [UNK] spanning it");
  /* Reuse: a short text after a long one. */
  CHECK(wp_encode(uncased, "Hello, world!", 13, 512, &enc, &err) == WP_OK && enc.n == 6 && enc.ids[1] == 7592,
        "encoding reused after a 10 MB text");
  free(big);
  wp_encoding_free(&enc);
}

/* Write a file under tmpdir; returns its path (static buffer rotation). */
static const char *write_tmp(const char *name, const char *data, size_t len) {
  static char paths[8][512];
  static int next;
  char *p = paths[next++ % 8];
  snprintf(p, 512, "%s/%s", tmpdir, name);
  FILE *f = fopen(p, "wb");
  if (f) { fwrite(data, 1, len, f); fclose(f); }
  return p;
}

static void expect_load_error(const char *label, wp_status want, const char *path, int json, const char *msg_fmt) {
  wp_tokenizer *tok = NULL;
  wp_error err;
  wp_status rc = json ? wp_load_tokenizer_json(path, &tok, &err) : wp_load_vocab_txt(path, NULL, &tok, &err);
  char msg[1024];
  snprintf(msg, sizeof msg, msg_fmt, path);
  CHECK(rc == want && tok == NULL && strcmp(err.msg, msg) == 0, "hostile file, %s: \"%s\"", label,
        rc == WP_OK ? "(accepted)" : err.msg);
  wp_free(tok);
}

static void test_hostile_files(void) {
  wp_tokenizer *tok = NULL;
  wp_error err;
  expect_load_error("missing vocab.txt", WP_ERR_IO, "/nonexistent/vocab.txt", 0,
                    "cannot open %s: no such file or directory");
  expect_load_error("empty vocab", WP_ERR_FORMAT, write_tmp("empty.txt", "", 0), 0, "empty vocabulary in %s");
  const char nounk[] = "[CLS]\n[SEP]\nhello\n";
  expect_load_error("vocab lacking [UNK]", WP_ERR_FORMAT, write_tmp("nounk.txt", nounk, sizeof nounk - 1), 0,
                    "vocabulary in %s lacks the unknown token '[UNK]'");
  const char nocls[] = "[UNK]\n[SEP]\n";
  expect_load_error("vocab lacking [CLS]", WP_ERR_FORMAT, write_tmp("nocls.txt", nocls, sizeof nocls - 1), 0,
                    "vocabulary in %s lacks the token '[CLS]'");
  size_t hn = 5u << 20;
  char *huge = malloc(hn);
  memset(huge, 'x', hn);
  expect_load_error("a 5 MB line", WP_ERR_FORMAT, write_tmp("huge.txt", huge, hn), 0,
                    "line 1 of %s is 5242880 bytes long (limit 4096)");
  free(huge);
  {
    char big[600];
    snprintf(big, sizeof big, "%s/big.json", tmpdir);
    FILE *f = fopen(big, "wb");
    if (f) { fseek(f, (64L << 20), SEEK_SET); fputc('}', f); fclose(f); } /* sparse: 64 MiB + 1 */
    expect_load_error("tokenizer.json over 64 MiB", WP_ERR_FORMAT, big, 1,
                      "%s is too large (67108865 bytes, limit 67108864)");
  }
  expect_load_error("invalid UTF-8 line", WP_ERR_FORMAT, write_tmp("badutf.txt", "[UNK]\n\xff\n", 8), 0,
                    "invalid UTF-8 in line 2 of %s");

  /* Duplicates override, empty lines count, CRLF loses its CR. */
  const char dup[] = "[PAD]\r\n[UNK]\r\n[CLS]\n[SEP]\n\nhello\nworld\nhello\n";
  CHECK_EQ_INT(wp_load_vocab_txt(write_tmp("dup.txt", dup, sizeof dup - 1), NULL, &tok, &err), WP_OK,
               "vocab with duplicate, empty and CRLF lines loads");
  if (tok) {
    CHECK_EQ_INT(wp_token_to_id(tok, "hello", 5), 7, "later duplicate overrides");
    CHECK_EQ_INT(wp_token_to_id(tok, "world", 5), 6, "empty line is a token (ids shift)");
    CHECK_EQ_INT(wp_token_to_id(tok, "[UNK]", 5), 1, "trailing \\r dropped");
    CHECK_EQ_INT(wp_vocab_size(tok), 8, "vocab size = lines");
    size_t l;
    const char *s = wp_id_to_token(tok, 5, &l);
    CHECK(s && l == 5 && !memcmp(s, "hello", 5), "id_to_token keeps the earlier id's text");
    CHECK_EQ_INT(wp_special_id(tok, WP_MASK), -1, "absent [MASK] is -1");
    wp_encoding enc = {0};
    CHECK(wp_encode(tok, "hello [MASK]", 12, 0, &enc, &err) == WP_OK && enc.n == 6 && enc.ids[1] == 7 &&
          enc.ids[2] == 1, "absent [MASK] is not special");
    wp_encoding_free(&enc);
    wp_free(tok);
    tok = NULL;
  }

  const char trunc_json[] = "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0";
  expect_load_error("truncated tokenizer.json", WP_ERR_FORMAT,
                    write_tmp("trunc.json", trunc_json, sizeof trunc_json - 1), 1,
                    "invalid JSON in %s: '}' expected near end of file (line 1, column 48)");
  const char wl[] = "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {}}}";
  expect_load_error("WordLevel model", WP_ERR_FORMAT, write_tmp("wl.json", wl, sizeof wl - 1), 1,
                    "unsupported tokenizer model type 'WordLevel' in %s (expected 'WordPiece', 'Unigram' or 'BPE')");
  const char arr[] = "[1, 2, 3]";
  expect_load_error("JSON array", WP_ERR_FORMAT, write_tmp("arr.json", arr, sizeof arr - 1), 1,
                    "%s is not a JSON object");
  const char noprepre[] = "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": 0}}, "
                          "\"pre_tokenizer\": {\"type\": \"Whitespace\"}}";
  expect_load_error("unsupported pre_tokenizer", WP_ERR_FORMAT, write_tmp("pre.json", noprepre, sizeof noprepre - 1),
                    1, "unsupported pre_tokenizer type 'Whitespace' in %s (expected 'BertPreTokenizer')");
  const char badid[] = "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": -5}}, "
                       "\"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"}}";
  expect_load_error("negative id", WP_ERR_FORMAT, write_tmp("badid.json", badid, sizeof badid - 1), 1,
                    "model.vocab in %s: token '[UNK]' has a bad id (expected 0..16777215)");
  const char emptyv[] = "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}, "
                        "\"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"}}";
  expect_load_error("empty model.vocab", WP_ERR_FORMAT, write_tmp("emptyv.json", emptyv, sizeof emptyv - 1), 1,
                    "empty vocabulary in %s");
  /* post_processors that would change the ids or token types around a text
  ** are refused, not replaced by [CLS] ... [SEP] */
#define TEMPLATE_MSG                                                                              \
  "unsupported TemplateProcessing in %s: its single template must be a special token, $A and a " \
  "special token, all of type 0, each special token one id (as BERT's \"[CLS] $A [SEP]\")"
  static const struct { const char *label, *pp, *msg; } pps[] = {
    {"TemplateProcessing without the closing special",
     "{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}},"
     "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}],\"special_tokens\":{\"[CLS]\":{\"id\":\"[CLS]\",\"ids\":[2]}}}",
     TEMPLATE_MSG},
    {"TemplateProcessing with two specials first",
     "{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}},"
     "{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},"
     "{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}}],\"special_tokens\":{\"[CLS]\":{\"id\":\"[CLS]\",\"ids\":[2]}}}",
     TEMPLATE_MSG},
    {"TemplateProcessing whose text has token type 1",
     "{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}},"
     "{\"Sequence\":{\"id\":\"A\",\"type_id\":1}},{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}}],"
     "\"special_tokens\":{\"[CLS]\":{\"id\":\"[CLS]\",\"ids\":[2]}}}",
     TEMPLATE_MSG},
    {"TemplateProcessing with a special of two ids",
     "{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}},"
     "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}}],"
     "\"special_tokens\":{\"[CLS]\":{\"id\":\"[CLS]\",\"ids\":[2,3]}}}",
     TEMPLATE_MSG},
    {"BertProcessing without a sep id", "{\"type\":\"BertProcessing\",\"cls\":[\"[CLS]\",2],\"sep\":[\"[SEP]\"]}",
     "BertProcessing in %s: \"cls\" and \"sep\" must each be [token, id]"},
    {"a ByteLevel post_processor", "{\"type\":\"ByteLevel\",\"trim_offsets\":true}",
     "unsupported post_processor type 'ByteLevel' in %s (supported: TemplateProcessing, BertProcessing, "
     "RobertaProcessing)"},
    {"a post_processor without a type", "{\"single\":[]}", "post_processor in %s has no type"},
  };
  for (size_t k = 0; k < sizeof pps / sizeof pps[0]; k++) {
    char json[1024];
    int n = snprintf(json, sizeof json,
                     "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[PAD]\": 0, \"[UNK]\": 1, "
                     "\"[CLS]\": 2, \"[SEP]\": 3, \"a\": 4}}, \"pre_tokenizer\": {\"type\": "
                     "\"BertPreTokenizer\"}, \"post_processor\": %s}", pps[k].pp);
    expect_load_error(pps[k].label, WP_ERR_FORMAT, write_tmp("pp.json", json, (size_t)n), 1, pps[k].msg);
  }
  expect_load_error("empty file as tokenizer.json", WP_ERR_FORMAT, write_tmp("zero.json", "", 0), 1,
                    "invalid JSON in %s: '[' or '{' expected near end of file (line 1, column 0)");
  CHECK(wp_load_tokenizer_json_mem("{\"model\":", 9, &tok, &err) == WP_ERR_FORMAT && !tok &&
        strstr(err.msg, "invalid JSON in (memory)") == err.msg, "in-memory loader names (memory)");
  CHECK(wp_load_dir(tmpdir, &tok, &err) == WP_ERR_IO && !tok, "directory without tokenizer files");
}

/* A small Unigram tokenizer.json: `model_extra` goes into the model object,
** the other parts are the JSON of those fields ("null" to leave one out). */
static const char *unigram_json(const char *name, const char *model_extra, const char *normalizer,
                                const char *pre, const char *post, const char *added) {
  static char buf[8192];
  int n = snprintf(buf, sizeof buf,
                   "{\"model\": {\"type\": \"Unigram\"%s, \"vocab\": [[\"<unk>\", 0], [\"<s>\", 0], "
                   "[\"</s>\", 0], [\"\xe2\x96\x81\", -2], [\"\xe2\x96\x81" "b\", -1], [\"b\", -3], "
                   "[\"<0xC3>\", -5], [\"<0xA9>\", -5], [\"c\", -4]]}, \"normalizer\": %s, "
                   "\"pre_tokenizer\": %s, \"post_processor\": %s, \"added_tokens\": %s}",
                   model_extra, normalizer, pre, post, added);
  return write_tmp(name, buf, (size_t)n);
}

#define UNI_META "{\"type\": \"Metaspace\", \"replacement\": \"\xe2\x96\x81\", \"prepend_scheme\": \"always\"}"
#define UNI_POST "{\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"<s>\", " \
  "\"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}, {\"SpecialToken\": {\"id\": \"</s>\", " \
  "\"type_id\": 0}}], \"special_tokens\": {\"<s>\": {\"id\": \"<s>\", \"ids\": [1]}, \"</s>\": {\"id\": " \
  "\"</s>\", \"ids\": [2]}}}"

/* A charsmap blob: the trie size, the units (little-endian), then the
** replacement strings; written into out as base64. */
static void charsmap_base64(const uint32_t *units, size_t n_units, const char *strings, size_t n_strings, char *out,
                            size_t cap) {
  unsigned char blob[4 + 1024 * 4 + 16] = {0};
  size_t n = 4 + 4 * n_units + n_strings;
  if (n > sizeof blob) abort();
  for (int b = 0; b < 4; b++) blob[b] = (unsigned char)((4 * n_units) >> (8 * b));
  for (size_t i = 0; i < n_units; i++)
    for (int b = 0; b < 4; b++) blob[4 + 4 * i + b] = (unsigned char)(units[i] >> (8 * b));
  memcpy(blob + 4 + 4 * n_units, strings, n_strings);
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t k = 0;
  for (size_t i = 0; i < n && k + 5 < cap; i += 3) {
    uint32_t v = (uint32_t)blob[i] << 16 | (i + 1 < n ? (uint32_t)blob[i + 1] << 8 : 0) | (i + 2 < n ? blob[i + 2] : 0);
    out[k++] = b64[v >> 18];
    out[k++] = b64[(v >> 12) & 63];
    out[k++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
    out[k++] = i + 2 < n ? b64[v & 63] : '=';
  }
  out[k] = 0;
}

/* A darts-clone charsmap mapping "a" to "b" (leaf value `value`), base64. */
static void tiny_charsmap(uint32_t value, char *out, size_t cap) {
  uint32_t units[256] = {0};
  units[0] = 1u << 10;                              /* root: children at 1 ^ byte */
  units[1 ^ 'a'] = (1u << 10) | 0x100u | 'a';       /* 'a', has a leaf at its position ^ 1 */
  units[(1 ^ 'a') ^ 1] = 0x80000000u | value;       /* the leaf: offset of "b" */
  charsmap_base64(units, 256, "b", 2, out, cap);
}

/* A charsmap with one key, "a b", mapped to "c"; "a" alone is no key. */
static void spaced_key_charsmap(char *out, size_t cap) {
  static uint32_t units[1024];
  units[0] = 1u << 10;                                   /* root: children at 1 ^ byte */
  units[0x060] = (0x100u << 10) | 'a';                   /* 1 ^ 'a'; children at 0x060 ^ 0x100 ^ byte */
  units[0x140] = (0x200u << 10) | ' ';                   /* 0x160 ^ ' ' */
  units[0x322] = (1u << 10) | 0x100u | 'b';              /* 0x340 ^ 'b', has a leaf at its position ^ 1 */
  units[0x323] = 0x80000000u;                            /* the leaf: offset of "c" */
  charsmap_base64(units, 1024, "c", 2, out, cap);
}

/* A charsmap matched by longest key (a GGUF file's, as SentencePiece and
** llama.cpp match it) may hold a space in a key.  A text longer than one
** 64 KB window, with the key "a b" where the window would end at a space, is
** normalised as a whole: its ids are those of the same text with the key's
** replacement "c" in its place (the window's end moves to a space no key
** crosses), not "a" and "▁b" split across two windows. */
static void test_unigram_longest_key_across_window(void) {
  char cm[8192], norm[8400];
  spaced_key_charsmap(cm, sizeof cm);
  snprintf(norm, sizeof norm, "{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"%s\", \"longest_match\": true}",
           cm);
  wp_tokenizer *tok = NULL;
  wp_error err;
  CHECK_EQ_INT(wp_load_tokenizer_json(unigram_json("ulk.json", ", \"unk_id\": 0", norm, UNI_META, UNI_POST, "[]"), &tok,
                                      &err), WP_OK, "unigram with a longest-key charsmap loads");
  const size_t len = 65536 + 300, at = 65535; /* "a b" at [at, at + 3): its space is byte 65536 */
  char *keyed = malloc(len), *replaced = malloc(len);
  if (!tok || !keyed || !replaced) abort();
  for (size_t i = 0; i < len; i++) keyed[i] = "xy "[i % 3];
  keyed[at - 1] = ' ';
  memcpy(keyed + at, "a b ", 4);
  memcpy(replaced, keyed, at);
  replaced[at] = 'c';
  memcpy(replaced + at + 1, keyed + at + 3, len - at - 3);
  wp_encoding a = {0}, b = {0};
  int ok = wp_encode(tok, keyed, len, 0, &a, &err) == WP_OK && wp_encode(tok, replaced, len - 2, 0, &b, &err) == WP_OK &&
           a.n == b.n && a.n > 20000;
  int n_c = 0, n_b = 0;
  for (int32_t i = 0; ok && i < a.n; i++) {
    ok = a.ids[i] == b.ids[i];
    n_c += a.ids[i] == 8; /* "c" */
    n_b += a.ids[i] == 4; /* "▁b" */
  }
  CHECK(ok && n_c == 1 && n_b == 0, "longest-key charsmap: a key across a window's end is mapped as in the whole text "
        "(%d and %d tokens, 'c' %d times, '▁b' %d times)", a.n, b.n, n_c, n_b);
  wp_encoding_free(&a);
  wp_encoding_free(&b);
  free(keyed);
  free(replaced);
  wp_free(tok);
}

/* Encode text and compare ids and byte offsets with the crate's. */
static void expect_unigram(const char *label, wp_tokenizer *tok, const char *text, const int32_t *ids,
                           const int32_t *offs, int32_t n) {
  wp_encoding enc = {0};
  wp_error err;
  int ok = tok && wp_encode(tok, text, strlen(text), 0, &enc, &err) == WP_OK && enc.n == n;
  for (int32_t i = 0; ok && i < n; i++)
    ok = enc.ids[i] == ids[i] && enc.offsets[2 * i] == offs[2 * i] && enc.offsets[2 * i + 1] == offs[2 * i + 1];
  CHECK(ok, "unigram %s: ids and offsets as the crate's", label);
  wp_encoding_free(&enc);
}

/* Unigram tokenizer.json: what the crate does on small files (expected
** values from the Node binding of the tokenizers crate, offsets turned into
** bytes), and every malformed part refused with a message naming it. */
static void test_unigram_files(void) {
  wp_tokenizer *tok = NULL;
  wp_error err;
  char cm[2048], norm[2200];
  tiny_charsmap(0, cm, sizeof cm);
  snprintf(norm, sizeof norm, "{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"%s\"}", cm);
  CHECK_EQ_INT(wp_load_tokenizer_json(unigram_json("u1.json", ", \"unk_id\": 0", norm, UNI_META, UNI_POST, "[]"),
                                      &tok, &err), WP_OK, "unigram with a charsmap loads");
  expect_unigram("charsmap a->b", tok, "xa b", (const int32_t[]){1, 3, 0, 5, 4, 2},
                 (const int32_t[]){0, 0, 0, 1, 0, 1, 1, 2, 2, 4, 0, 0}, 6);
  expect_unigram("charsmap, 'ab'", tok, "ab", (const int32_t[]){1, 4, 5, 2}, (const int32_t[]){0, 0, 0, 1, 1, 2, 0, 0}, 4);
  if (tok) { /* a TemplateProcessing without a pair template of a known shape: pairs are refused */
    wp_encoding enc = {0};
    wp_status rc = wp_encode_pair(tok, "a", 1, "b", 1, 0, &enc, &err);
    CHECK(rc == WP_ERR_ARG && strstr(err.msg, "pairs are not supported") && enc.n == 0,
          "unigram: an unknown pair template refuses pairs: %s", rc == WP_OK ? "(accepted)" : err.msg);
    CHECK(wp_encode(tok, "a", 1, 0, &enc, &err) == WP_OK && enc.n == 3, "... and still encodes single texts");
    wp_encoding_free(&enc);
  }
  wp_free(tok);
  tok = NULL;

  /* Strip, a String Replace and byte_fallback. */
  const char *seq = "{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Strip\", \"strip_left\": true, "
                    "\"strip_right\": true}, {\"type\": \"Replace\", \"pattern\": {\"String\": \"c\"}, "
                    "\"content\": \"bb\"}]}";
  CHECK_EQ_INT(wp_load_tokenizer_json(unigram_json("u2.json", ", \"unk_id\": 0, \"byte_fallback\": true", seq,
                                                   UNI_META, UNI_POST, "[]"), &tok, &err), WP_OK,
               "unigram with byte_fallback loads");
  expect_unigram("strip, replace, bytes", tok, "  \xc3\xa9 c ", (const int32_t[]){1, 3, 6, 7, 4, 5, 2},
                 (const int32_t[]){0, 0, 2, 4, 2, 4, 2, 4, 4, 6, 5, 6, 0, 0}, 7);
  expect_unigram("bytes inside a piece", tok, "c\xc3\xa9" "c", (const int32_t[]){1, 4, 5, 6, 7, 5, 5, 2},
                 (const int32_t[]){0, 0, 0, 1, 0, 1, 1, 3, 1, 3, 3, 4, 3, 4, 0, 0}, 8);
  wp_free(tok);
  tok = NULL;

  /* A text longer than the 64 KB normalisation window: Strip only at its
  ** ends, and each "▁b" after the first takes the span of its space (the
  ** crate's alignment), also where a window begins with that space. */
  const char *strip = "{\"type\": \"Strip\", \"strip_left\": true, \"strip_right\": true}";
  CHECK_EQ_INT(wp_load_tokenizer_json(unigram_json("u4.json", ", \"unk_id\": 0", strip, UNI_META, UNI_POST, "[]"),
                                      &tok, &err), WP_OK, "unigram with Strip loads");
  if (tok) {
    size_t words = 40000, n = 2 + 2 * words + 1;
    char *text = malloc(n);
    memset(text, ' ', n);
    for (size_t w = 0; w < words; w++) text[2 + 2 * w] = 'b';
    wp_encoding enc = {0};
    int ok = wp_encode(tok, text, n, 0, &enc, &err) == WP_OK && enc.n == (int32_t)words + 2 &&
             enc.offsets[2] == 2 && enc.offsets[3] == 3;
    for (int32_t k = 2; ok && k <= (int32_t)words; k++)
      ok = enc.ids[k] == 4 && text[enc.offsets[2 * k]] == ' ' && enc.offsets[2 * k + 1] == enc.offsets[2 * k] + 2;
    CHECK(ok, "unigram, 80 KB text in windows: stripped at its ends only, %d tokens, each from its space", enc.n);
    wp_encoding_free(&enc);
    free(text);
    wp_free(tok);
    tok = NULL;
  }

  /* A leaf past the strings: the load cannot see it, the lookup must. */
  tiny_charsmap(100, cm, sizeof cm);
  snprintf(norm, sizeof norm, "{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"%s\"}", cm);
  CHECK_EQ_INT(wp_load_tokenizer_json(unigram_json("u3.json", ", \"unk_id\": 0", norm, UNI_META, UNI_POST, "[]"),
                                      &tok, &err), WP_OK, "unigram with a corrupt leaf loads");
  if (tok) {
    wp_encoding enc = {0};
    wp_status rc = wp_encode(tok, "xa", 2, 0, &enc, &err);
    CHECK(rc == WP_ERR_FORMAT && strstr(err.msg, "precompiled_charsmap is corrupt") && enc.n == 0,
          "a corrupt charsmap leaf is an encode error: %s", rc == WP_OK ? "(accepted)" : err.msg);
    CHECK(wp_encode(tok, "xy", 2, 0, &enc, &err) == WP_OK && enc.n == 4, "text that misses the leaf encodes");
    wp_encoding_free(&enc);
    wp_free(tok);
    tok = NULL;
  }
  /* ... and an added token matched after normalising meets it at load */
  expect_load_error("unigram, corrupt charsmap leaf reached by a normalized added token", WP_ERR_FORMAT,
                    unigram_json("u5.json", ", \"unk_id\": 0", norm, UNI_META, UNI_POST,
                                 "[{\"id\": 8, \"content\": \"a\", \"normalized\": true}]"),
                    1, "the precompiled_charsmap in %s is corrupt");

  static const struct { const char *label, *model, *norm, *pre, *post, *added, *msg; } bad[] = {
    {"no unk_id", "", "null", UNI_META, UNI_POST, "[]", "model.unk_id in %s must be the id of a vocabulary entry"},
    {"unk_id out of range", ", \"unk_id\": 9", "null", UNI_META, UNI_POST, "[]",
     "model.unk_id in %s must be the id of a vocabulary entry"},
    {"byte_fallback not boolean", ", \"unk_id\": 0, \"byte_fallback\": 1", "null", UNI_META, UNI_POST, "[]",
     "model.byte_fallback in %s must be a boolean"},
    {"scores_f32 not boolean", ", \"unk_id\": 0, \"scores_f32\": \"yes\"", "null", UNI_META, UNI_POST, "[]",
     "model.scores_f32 in %s must be a boolean"},
    {"NFKC normalizer", ", \"unk_id\": 0", "{\"type\": \"NFKC\"}", UNI_META, UNI_POST, "[]",
     "unsupported normalizer type 'NFKC' in %s for a Unigram model (supported: Precompiled, Replace, Strip, "
     "Sequence)"},
    {"other regex", ", \"unk_id\": 0", "{\"type\": \"Replace\", \"pattern\": {\"Regex\": \"\\\\s+\"}, "
     "\"content\": \" \"}", UNI_META, UNI_POST, "[]", "unsupported Replace regex '\\s+' in %s (supported: \" {2,}\")"},
    {"empty Replace", ", \"unk_id\": 0", "{\"type\": \"Replace\", \"pattern\": {\"String\": \"\"}, "
     "\"content\": \" \"}", UNI_META, UNI_POST, "[]",
     "Replace normalizer in %s needs a non-empty pattern {\"String\": ...} or {\"Regex\": ...} and a string content"},
    {"charsmap not base64", ", \"unk_id\": 0", "{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"a*b\"}",
     UNI_META, UNI_POST, "[]", "Precompiled normalizer in %s: precompiled_charsmap is not a base64 string"},
    {"charsmap too short", ", \"unk_id\": 0", "{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"AAE=\"}",
     UNI_META, UNI_POST, "[]", "Precompiled normalizer in %s: precompiled_charsmap is not a SentencePiece charsmap"},
    {"Strip flags", ", \"unk_id\": 0", "{\"type\": \"Strip\", \"strip_left\": 1, \"strip_right\": true}",
     UNI_META, UNI_POST, "[]", "Strip normalizer in %s needs boolean strip_left and strip_right"},
    {"BertPreTokenizer", ", \"unk_id\": 0", "null", "{\"type\": \"BertPreTokenizer\"}", UNI_POST, "[]",
     "unsupported pre_tokenizer in %s for a Unigram model (supported: Metaspace, or a Sequence of WhitespaceSplit "
     "and Metaspace)"},
    {"two-character replacement", ", \"unk_id\": 0", "null",
     "{\"type\": \"Metaspace\", \"replacement\": \"__\"}", UNI_POST, "[]",
     "Metaspace in %s: replacement must be one character"},
    {"prepend_scheme", ", \"unk_id\": 0", "null",
     "{\"type\": \"Metaspace\", \"prepend_scheme\": \"sometimes\"}", UNI_POST, "[]",
     "Metaspace in %s: prepend_scheme must be \"always\", \"never\" or \"first\""},
    {"no post_processor", ", \"unk_id\": 0", "null", UNI_META, "null", "[]",
     "Unigram tokenizer in %s has no post_processor naming the tokens put around a text (such as XLM-R's "
     "\"<s> $A </s>\")"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char label[128];
    snprintf(label, sizeof label, "unigram, %s", bad[i].label);
    expect_load_error(label, WP_ERR_FORMAT,
                      unigram_json("ubad.json", bad[i].model, bad[i].norm, bad[i].pre, bad[i].post, bad[i].added), 1,
                      bad[i].msg);
  }
  const char *bad_vocab[] = {"{\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": []}}",
                             "{\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": {\"a\": 0}}}"};
  for (int i = 0; i < 2; i++)
    expect_load_error(i ? "unigram, vocab an object" : "unigram, empty vocab", WP_ERR_FORMAT,
                      write_tmp("uv.json", bad_vocab[i], strlen(bad_vocab[i])), 1,
                      "model.vocab in %s is not a list of 1..16777216 [piece, score] pairs");
  const char pair[] = "{\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": [[\"a\", \"x\"]]}}";
  expect_load_error("unigram, score a string", WP_ERR_FORMAT, write_tmp("up.json", pair, sizeof pair - 1), 1,
                    "model.vocab[0] in %s is not a [piece, score] pair with a finite score");
}

/* A small byte-level BPE tokenizer.json: ids <s> 0, </s> 1, <unk> 2, a 3,
** b 4, Ġ 5, ab 6, Ġa 7, Ġab 8, c 9 and abab 10; no other byte is in the
** vocabulary.  `model_extra` goes into the model object, `merges` is its
** JSON, the other parts are the JSON of those fields. */
static const char *bpe_normalizer = "null"; /* the JSON of bpe_json's "normalizer" */

static const char *bpe_json(const char *name, const char *model_extra, const char *merges, const char *pre,
                            const char *post) {
  static char buf[4096];
  int n = snprintf(buf, sizeof buf,
                   "{\"added_tokens\": [{\"id\": 0, \"content\": \"<s>\", \"special\": true}, "
                   "{\"id\": 1, \"content\": \"</s>\", \"special\": true}], \"normalizer\": %s, "
                   "\"pre_tokenizer\": %s, \"post_processor\": %s, \"model\": {\"type\": \"BPE\"%s, "
                   "\"vocab\": {\"<s>\": 0, \"</s>\": 1, \"<unk>\": 2, \"a\": 3, \"b\": 4, \"\u0120\": 5, "
                   "\"ab\": 6, \"\u0120a\": 7, \"\u0120ab\": 8, \"c\": 9, \"abab\": 10}, \"merges\": %s}}",
                   bpe_normalizer, pre, post, model_extra, merges);
  return write_tmp(name, buf, (size_t)n);
}

#define BPE_MERGES "[\"a b\", \"\u0120 a\", \"\u0120a b\"]"
#define BPE_PRE "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true}"
#define BPE_POST "{\"type\": \"RobertaProcessing\", \"sep\": [\"</s>\", 1], \"cls\": [\"<s>\", 0], " \
  "\"trim_offsets\": true, \"add_prefix_space\": false}"

/* Encode text with a BPE tokenizer.json and compare with the crate's ids and offsets. */
static void expect_bpe(const char *label, const char *path, const char *text, const int32_t *ids,
                       const int32_t *offs, int32_t n) {
  wp_tokenizer *tok = NULL;
  wp_encoding enc = {0};
  wp_error err;
  int ok = wp_load_tokenizer_json(path, &tok, &err) == WP_OK &&
           wp_encode(tok, text, strlen(text), 0, &enc, &err) == WP_OK && enc.n == n;
  for (int32_t i = 0; ok && i < n; i++)
    ok = enc.ids[i] == ids[i] && enc.offsets[2 * i] == offs[2 * i] && enc.offsets[2 * i + 1] == offs[2 * i + 1];
  CHECK(ok, "bpe %s, \"%s\": ids and offsets as the crate's", label, text);
  wp_encoding_free(&enc);
  wp_free(tok);
}

/* BPE tokenizer.json: the model options on small files (expected values
** from the Node binding of the tokenizers crate), and every malformed or
** unsupported part refused with a message naming it. */
static void test_bpe_files(void) {
  const char *plain = bpe_json("b1.json", "", BPE_MERGES, BPE_PRE, BPE_POST);
  /* x, y, z are not in the vocabulary and there is no unk_token: dropped */
  expect_bpe("bytes missing, no unk_token", plain, "ab xyz ab", (const int32_t[]){0, 6, 5, 5, 6, 1},
             (const int32_t[]){0, 0, 0, 2, 3, 3, 7, 7, 7, 9, 0, 0}, 6);
  expect_bpe("bytes missing, no unk_token", plain, "xxab", (const int32_t[]){0, 6, 1},
             (const int32_t[]){0, 0, 0, 2, 0, 0}, 3);
  expect_bpe("two spaces", plain, "  ab", (const int32_t[]){0, 5, 5, 6, 1},
             (const int32_t[]){0, 0, 1, 1, 2, 2, 2, 4, 0, 0}, 5);
  expect_bpe("merges by rank, abab not reached", plain, "abab ab", (const int32_t[]){0, 6, 6, 5, 6, 1},
             (const int32_t[]){0, 0, 0, 2, 2, 4, 5, 5, 5, 7, 0, 0}, 6);
  const char *unk = bpe_json("b2.json", ", \"unk_token\": \"<unk>\"", BPE_MERGES, BPE_PRE, BPE_POST);
  expect_bpe("unk_token", unk, "ab xyz ab", (const int32_t[]){0, 6, 5, 2, 2, 2, 5, 6, 1},
             (const int32_t[]){0, 0, 0, 2, 3, 3, 3, 4, 4, 5, 5, 6, 7, 7, 7, 9, 0, 0}, 9);
  const char *fuse = bpe_json("b3.json", ", \"unk_token\": \"<unk>\", \"fuse_unk\": true", BPE_MERGES, BPE_PRE,
                              BPE_POST);
  expect_bpe("fuse_unk", fuse, "ab xyz ab", (const int32_t[]){0, 6, 5, 2, 5, 6, 1},
             (const int32_t[]){0, 0, 0, 2, 3, 3, 3, 6, 7, 7, 7, 9, 0, 0}, 7);
  expect_bpe("fuse_unk", fuse, "xxab", (const int32_t[]){0, 2, 6, 1}, (const int32_t[]){0, 0, 0, 2, 2, 4, 0, 0}, 4);
  const char *whole = bpe_json("b4.json", ", \"ignore_merges\": true", BPE_MERGES, BPE_PRE, BPE_POST);
  expect_bpe("ignore_merges", whole, "abab ab", (const int32_t[]){0, 10, 8, 1},
             (const int32_t[]){0, 0, 0, 4, 5, 7, 0, 0}, 4);
  expect_bpe("ignore_merges", whole, "ab ab cab", (const int32_t[]){0, 6, 8, 5, 9, 6, 1},
             (const int32_t[]){0, 0, 0, 2, 3, 5, 6, 6, 6, 7, 7, 9, 0, 0}, 7);
  /* one word: after the dropped x, y, z the crate puts the tokens where
  ** their byte-level text would be, so their spans shift */
  const char *noregex = bpe_json("b5.json", "", BPE_MERGES,
                                 "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": false}",
                                 BPE_POST);
  expect_bpe("use_regex false, bytes dropped", noregex, "ab xyz ab", (const int32_t[]){0, 6, 5, 5, 6, 1},
             (const int32_t[]){0, 0, 0, 2, 3, 3, 4, 4, 5, 7, 0, 0}, 6);
  const char *arrays = bpe_json("b6.json", "", "[[\"a\", \"b\"], [\"\u0120\", \"a\"], [\"\u0120a\", \"b\"]]",
                                BPE_PRE, BPE_POST);
  expect_bpe("merges as pairs", arrays, "ab xyz ab", (const int32_t[]){0, 6, 5, 5, 6, 1},
             (const int32_t[]){0, 0, 0, 2, 3, 3, 7, 7, 7, 9, 0, 0}, 6);

  /* the fuzz seed: add_prefix_space, <s> matched as a normalised added
  ** token, <mask> with lstrip, unk_token with fuse_unk, ignore_merges */
  const char *seed = "tests/fuzz/corpus/fuzz_tokenizer_json/bpe_small.json";
  expect_bpe("seed", seed, "ab <s>ab</s> xyz  <mask>\xc3\xa9 ab",
             (const int32_t[]){0, 8, 5, 0, 8, 1, 5, 2, 11, 5, 14, 8, 1},
             (const int32_t[]){0, 0, 0, 2, 3, 3, 3, 6, 7, 8, 8, 12, 13, 13, 13, 16, 18, 24, 26, 26, 24, 26, 27, 29, 0, 0},
             13);
  expect_bpe("seed", seed, "\xc3\xa9t\xc3\xa9", (const int32_t[]){0, 5, 14, 2, 14, 1},
             (const int32_t[]){0, 0, 0, 0, 0, 2, 2, 3, 3, 5, 0, 0}, 6);
  expect_bpe("seed", seed, "a<mask>", (const int32_t[]){0, 7, 11, 1}, (const int32_t[]){0, 0, 0, 1, 1, 7, 0, 0}, 4);

  /* GPT-2's contractions, lower case only: each merges into one token only
  ** if the split keeps it whole (the fixture's vocabulary has too few of them) */
  expect_bpe("contractions", "tests/fuzz/corpus/fuzz_tokenizer_json/bpe_contractions.json",
             "we'll it's don't you're we've I'm he'd IT'S 'S",
             (const int32_t[]){0, 11, 6, 31, 21, 12, 4, 22, 21, 9, 14, 15, 23, 21, 16, 14, 17, 25, 21,
                               11, 6, 27, 21, 13, 28, 21, 18, 6, 29, 21, 13, 20, 2, 19, 21, 2, 19, 1},
             (const int32_t[]){0, 0, 0, 1, 1, 2, 2, 5, 6, 6, 6, 7, 7, 8, 8, 10, 11, 11, 11, 12, 12, 13,
                               13, 14, 14, 16, 17, 17, 17, 18, 18, 19, 19, 20, 20, 23, 24, 24, 24, 25,
                               25, 26, 26, 29, 30, 30, 30, 31, 31, 33, 34, 34, 34, 35, 35, 36, 36, 38,
                               39, 39, 39, 40, 40, 41, 41, 42, 42, 43, 44, 44, 44, 45, 45, 46, 0, 0},
             38);

  static const struct { const char *label, *model, *merges, *pre, *post, *msg; } bad[] = {
    {"dropout", ", \"dropout\": 0.1", BPE_MERGES, BPE_PRE, BPE_POST,
     "model.dropout in %s is set: BPE dropout picks merges at random, so the same text would not give the same "
     "tokens (set it to null)"},
    {"continuing_subword_prefix", ", \"continuing_subword_prefix\": \"##\"", BPE_MERGES, BPE_PRE, BPE_POST,
     "unsupported BPE model in %s: a continuing_subword_prefix or end_of_word_suffix (supported: byte-level BPE "
     "without them, as RoBERTa's and GPT-2's)"},
    {"end_of_word_suffix", ", \"end_of_word_suffix\": \"</w>\"", BPE_MERGES, BPE_PRE, BPE_POST,
     "unsupported BPE model in %s: a continuing_subword_prefix or end_of_word_suffix (supported: byte-level BPE "
     "without them, as RoBERTa's and GPT-2's)"},
    {"byte_fallback", ", \"byte_fallback\": true", BPE_MERGES, BPE_PRE, BPE_POST,
     "unsupported BPE model in %s: byte_fallback (supported: byte-level BPE, as RoBERTa's and GPT-2's)"},
    {"Whitespace pre-tokenizer", "", BPE_MERGES, "{\"type\": \"Whitespace\"}", BPE_POST,
     "unsupported pre_tokenizer type 'Whitespace' for a BPE model in %s (expected 'ByteLevel')"},
    {"no pre-tokenizer", "", BPE_MERGES, "null", BPE_POST,
     "unsupported pre_tokenizer type '(none)' for a BPE model in %s (expected 'ByteLevel')"},
    {"merges an object", "", "{}", BPE_PRE, BPE_POST, "model.merges in %s is not an array"},
    {"merge without a space", "", "[\"ab\"]", BPE_PRE, BPE_POST,
     "model.merges[0] in %s is not two tokens separated by one space"},
    {"merge of three", "", "[\"a b c\"]", BPE_PRE, BPE_POST,
     "model.merges[0] in %s is not two tokens separated by one space"},
    {"merges of both forms", "", "[\"a b\", [\"\u0120\", \"a\"]]", BPE_PRE, BPE_POST,
     "model.merges in %s mixes \"left right\" strings and [left, right] pairs"},
    {"merge of numbers", "", "[[1, 2]]", BPE_PRE, BPE_POST,
     "model.merges[0] in %s is neither \"left right\" nor [left, right]"},
    {"merge of an unknown token", "", "[\"a b\", \"a q\"]", BPE_PRE, BPE_POST,
     "model.merges[1] in %s names 'q', which is not in model.vocab"},
    {"merge into an unknown token", "", "[\"b a\"]", BPE_PRE, BPE_POST,
     "model.merges[0] in %s makes 'ba', which is not in model.vocab"},
    {"unk_token not in vocab", ", \"unk_token\": \"[UNK]\"", BPE_MERGES, BPE_PRE, BPE_POST,
     "model.unk_token '[UNK]' in %s is not in model.vocab"},
    {"no post_processor", "", BPE_MERGES, BPE_PRE, "null",
     "BPE tokenizer in %s has no post_processor naming the tokens put around a text (such as RoBERTa's "
     "RobertaProcessing)"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char label[128];
    snprintf(label, sizeof label, "bpe, %s", bad[i].label);
    expect_load_error(label, WP_ERR_FORMAT, bpe_json("bbad.json", bad[i].model, bad[i].merges, bad[i].pre, bad[i].post),
                      1, bad[i].msg);
  }
  /* NFC is ModernBERT's normalizer (vocab/modernbert-style); the others stay refused by name */
  static const struct { const char *label, *normalizer, *name; } norms[] = {
      {"NFKC normalizer", "{\"type\": \"NFKC\"}", "NFKC"},
      {"NFD normalizer", "{\"type\": \"NFD\"}", "NFD"},
      {"NFC in a Sequence", "{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFC\"}]}", "Sequence"},
      {"Lowercase normalizer", "{\"type\": \"Lowercase\"}", "Lowercase"},
      {"normalizer without a type", "{}", "?"},
      {"normalizer type not a string", "{\"type\": 7}", "?"},
  };
  for (size_t i = 0; i < sizeof norms / sizeof norms[0]; i++) {
    char doc[512], label[128], msg[256];
    int n = snprintf(doc, sizeof doc, "{\"normalizer\": %s, \"model\": {\"type\": \"BPE\", \"vocab\": {}, "
                     "\"merges\": []}}", norms[i].normalizer);
    snprintf(label, sizeof label, "bpe, %s", norms[i].label);
    snprintf(msg, sizeof msg, "unsupported normalizer '%s' for a BPE model in %%s (supported: null, as RoBERTa's, "
             "or NFC, as ModernBERT's)", norms[i].name);
    expect_load_error(label, WP_ERR_FORMAT, write_tmp("bn.json", doc, (size_t)n), 1, msg);
  }
  /* NFC alone is accepted; the composed character's bytes are not in this
  ** vocabulary, so they are dropped, and "a" U+0301 "b" becomes "ab" */
  bpe_normalizer = "{\"type\": \"NFC\"}";
  const char *nfc = bpe_json("bnfc.json", "", BPE_MERGES, BPE_PRE, BPE_POST);
  bpe_normalizer = "null";
  expect_bpe("NFC normalizer", nfc, "ab", (const int32_t[]){0, 6, 1}, (const int32_t[]){0, 0, 0, 2, 0, 0}, 3);
  /* A text whose NFC could pass the 2 GB of the offsets (three bytes out
  ** per byte in, at worst) is refused before normalising, when it has a
  ** character from U+0300 up; zero pages are NULs and cost no memory. */
  wp_tokenizer *mb = NULL;
  wp_error err;
  const size_t big = ((size_t)INT32_MAX - 8) / 3 + 1;
  char *zeros = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (zeros != MAP_FAILED &&
      wp_load_tokenizer_json("tests/fixtures/vocab/modernbert-style/tokenizer.json", &mb, &err) == WP_OK) {
    wp_encoding enc = {0};
    memcpy(zeros, "\xcc\x81", 2);
    wp_status rc = wp_encode(mb, zeros, big, 512, &enc, &err);
    CHECK(rc == WP_ERR_ARG && enc.n == 0 &&
              strcmp(err.msg, "text is too long once lowercased or normalized (limit 2147483639 bytes)") == 0,
          "bpe NFC: a %zu-byte text with U+0301 is refused: %s", big, err.msg);
    rc = wp_encode_pair(mb, "a", 1, zeros, big, 512, &enc, &err);
    CHECK(rc == WP_ERR_ARG && strstr(err.msg, "the second text is too long once lowercased or normalized"),
          "bpe NFC: the same as a pair's second text: %s", err.msg);
    wp_encoding_free(&enc);
  } else {
    CHECK(0, "bpe NFC: mmap of %zu bytes and the modernbert-style tokenizer", big);
  }
  if (zeros != MAP_FAILED) munmap(zeros, big);
  wp_free(mb);
  /* NFC makes "\u00e1b ab\u0301": \u00e1 spans the "a" alone, and its dropped bytes leave "b" there */
  expect_bpe("NFC normalizer", nfc, "a\u0301b ab\u0301", (const int32_t[]){0, 4, 5, 6, 1},
             (const int32_t[]){0, 0, 0, 1, 5, 5, 5, 7, 0, 0}, 5);
  const char vocab_list[] = "{\"pre_tokenizer\": " BPE_PRE ", \"model\": {\"type\": \"BPE\", \"vocab\": [], \"merges\": []}}";
  expect_load_error("bpe, vocab a list", WP_ERR_FORMAT, write_tmp("bv.json", vocab_list, sizeof vocab_list - 1), 1,
                    "model.vocab in %s is not an object");
}

/* python_strip: the characters Python's str.strip() removes, and only
** those, go before anything else; offsets still index the text.  The list
** is Python 3.11's: [c for c in range(0x110000) if chr(c).isspace()]. */
static void test_python_strip(void) {
  static const uint32_t py_space[] = {0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
                                      0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
                                      0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000};
  wp_tokenizer *tok = NULL;
  wp_error err;
  if (wp_load_dir("tests/fixtures/tokenizer/unigram", &tok, &err) != WP_OK) {
    CHECK(0, "python_strip: load the Unigram fixture: %s", err.msg);
    return;
  }
  wp_options o = *wp_get_options(tok);
  o.python_strip = 1;
  CHECK_EQ_INT(wp_options_override(tok, &o, &err), WP_OK, "python_strip set");
  wp_encoding ref = {0}, enc = {0};
  wp_encode(tok, "hello", 5, 0, &ref, &err);
  int bad = 0;
  for (size_t i = 0; i < sizeof py_space / sizeof py_space[0]; i++) {
    char text[32];
    unsigned char cp[4];
    uint32_t c = py_space[i];
    int n = c < 0x80 ? 1 : c < 0x800 ? 2 : 3; /* all below U+10000 */
    if (n == 1) cp[0] = (unsigned char)c;
    else if (n == 2) cp[0] = (unsigned char)(0xC0 | c >> 6), cp[1] = (unsigned char)(0x80 | (c & 63));
    else cp[0] = (unsigned char)(0xE0 | c >> 12), cp[1] = (unsigned char)(0x80 | ((c >> 6) & 63)),
         cp[2] = (unsigned char)(0x80 | (c & 63));
    memcpy(text, cp, (size_t)n);
    memcpy(text + n, "hello", 5);
    memcpy(text + n + 5, cp, (size_t)n);
    int ok = wp_encode(tok, text, (size_t)(2 * n + 5), 0, &enc, &err) == WP_OK && enc.n == ref.n;
    for (int32_t k = 0; ok && k < enc.n; k++)
      ok = enc.ids[k] == ref.ids[k] && (k == 0 || k == enc.n - 1 || enc.offsets[2 * k] == ref.offsets[2 * k] + n);
    if (!ok && bad++ < 3) printf("    U+%04X around a text is not stripped as Python does\n", py_space[i]);
  }
  CHECK(bad == 0, "python_strip: the 29 characters of Python's isspace() stripped, offsets kept (%d wrong)", bad);
  /* U+200B and U+180E are not Python whitespace: the charsmap sees them */
  static const char *kept[] = {"\xe2\x80\x8bhello", "\xe1\xa0\x8ehello"};
  for (int i = 0; i < 2; i++) {
    wp_encode(tok, kept[i], strlen(kept[i]), 0, &enc, &err);
    int same = enc.n == ref.n && memcmp(enc.ids, ref.ids, sizeof(int32_t) * (size_t)ref.n) == 0;
    CHECK(!same || enc.offsets[2] == 0, "python_strip: %s is not stripped", i ? "U+180E" : "U+200B");
  }
  wp_encoding_free(&ref);
  wp_encoding_free(&enc);
  wp_free(tok);
}

static void test_load_dir(void) {
  wp_tokenizer *tok = NULL;
  wp_error err;
  wp_encoding enc = {0};
  CHECK_EQ_INT(wp_load_dir(MINILM_DIR, &tok, &err), WP_OK, "load_dir picks tokenizer.json");
  if (tok) {
    CHECK(wp_encode(tok, "Hello, world!", 13, 512, &enc, &err) == WP_OK && enc.n == 6 && enc.ids[1] == 7592,
          "MiniLM tokenizer.json: hello world");
    CHECK_EQ_INT(wp_vocab_size(tok), 30522, "MiniLM vocab size");
    CHECK_EQ_INT(wp_special_id(tok, WP_PAD), 0, "[PAD] id");
    CHECK_EQ_INT(wp_get_options(tok)->strip_accents, -1, "strip_accents null follows lowercase");
    wp_free(tok);
    tok = NULL;
  }
  /* vocab.txt + tokenizer_config.json saying cased. */
  char dir[512], path[600];
  snprintf(dir, sizeof dir, "%s/caseddir", tmpdir);
  mkdir(dir, 0700);
  FILE *in = fopen(VOCAB_CASED, "rb"), *out;
  snprintf(path, sizeof path, "%s/vocab.txt", dir);
  out = fopen(path, "wb");
  int ch;
  while (in && out && (ch = fgetc(in)) != EOF) fputc(ch, out);
  if (in) fclose(in);
  if (out) fclose(out);
  snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
  out = fopen(path, "wb");
  if (out) { fputs("{\"do_lower_case\": false, \"tokenize_chinese_chars\": true}", out); fclose(out); }
  CHECK_EQ_INT(wp_load_dir(dir, &tok, &err), WP_OK, "load_dir: vocab.txt + tokenizer_config.json");
  if (tok) {
    CHECK(!wp_get_options(tok)->lowercase && wp_get_options(tok)->strip_accents == -1, "do_lower_case false read");
    CHECK(wp_encode(tok, "Hello, world!", 13, 512, &enc, &err) == WP_OK && enc.ids[1] == 8667, "cased ids");
    wp_free(tok);
    tok = NULL;
  }
  out = fopen(path, "wb");
  if (out) { fputs("{\"do_lower_case\": ", out); fclose(out); }
  CHECK(wp_load_dir(dir, &tok, &err) == WP_ERR_FORMAT && strstr(err.msg, "tokenizer_config.json"),
        "broken tokenizer_config.json named: \"%s\"", err.msg);
  wp_encoding_free(&enc);
}

/* Threads share one tokenizer, each with its own wp_encoding. */
typedef struct thread_arg { int32_t sum; int ok; } thread_arg;
static const char *const thread_texts[] = {"Hello, world!", "H\xc3\xa9llo w\xc3\xb6rld [SEP] \xe4\xb8\x96",
                                           "unaffable \xed\x95\x9c\xea\xb5\xad\xec\x96\xb4", ""};

static void *thread_main(void *p) {
  thread_arg *a = p;
  wp_encoding enc = {0};
  wp_error err;
  a->ok = 1;
  for (int r = 0; r < 2000; r++) {
    const char *t = thread_texts[r % 4];
    if (wp_encode(uncased, t, strlen(t), 512, &enc, &err) != WP_OK) a->ok = 0;
    for (int32_t i = 0; i < enc.n; i++) a->sum += enc.ids[i] * (i + 1);
  }
  wp_encoding_free(&enc);
  return NULL;
}

static void test_threads(void) {
  thread_arg one = {0, 0}, many[4];
  thread_main(&one);
  pthread_t th[4];
  int started = 0;
  for (int i = 0; i < 4; i++) {
    many[i].sum = 0;
    if (pthread_create(&th[i], NULL, thread_main, &many[i]) == 0) started++;
  }
  int same = started == 4;
  for (int i = 0; i < started; i++) {
    pthread_join(th[i], NULL);
    same = same && many[i].ok && many[i].sum == one.sum;
  }
  CHECK(one.ok && same, "4 threads on one tokenizer agree with 1 thread");
}

/* With -DSE_FAULT_INJECTION every allocation in turn fails; each failure
** must come back as WP_ERR_NOMEM, never a crash or a leak (ASan checks).
** Without it the loop runs once and checks the normal path. */
static void test_oom(void) {
  const char text[] = "Hello, W\xc3\xb6rld! \xe4\xb8\x96 [SEP] unaffable \xcc\x81\xcc\x81";
  int failures = 0, bad = 0;
  for (long k = 0; k < 400; k++) {
    se_fault_set(k);
    wp_tokenizer *tok = NULL;
    wp_error err;
    wp_encoding enc = {0};
    wp_status rc = wp_load_vocab_txt_mem(toy_vocab, sizeof toy_vocab - 1, NULL, &tok, &err);
    if (rc == WP_OK) rc = wp_encode(tok, text, sizeof text - 1, 512, &enc, &err);
    if (rc == WP_OK) rc = wp_encode_pair(tok, text, sizeof text - 1, "ab", 2, 512, &enc, &err);
    if (rc != WP_OK && rc != WP_ERR_NOMEM) bad++;
    wp_encoding_free(&enc);
    wp_free(tok);
    long f = se_fault_failures();
    se_fault_reset();
    if (f == 0) break; /* every allocation point has been failed once */
    failures++;
  }
  CHECK(bad == 0, "allocation failures give WP_ERR_NOMEM (%d injected)", failures);
}

/* wp_id_piece: a token's text inside a decoded string, as llama.cpp's
** llama_token_to_piece gives it (WordPiece: checked against sqlite-lembed's
** own answers in tests/sql/lembed.test; the rules for Unigram and BPE are
** their decoders': U+2581 is a space, byte-level characters their bytes). */
static void expect_piece(const char *label, const wp_tokenizer *tok, const char *token, const char *want) {
  const int32_t id = wp_token_to_id(tok, token, strlen(token));
  char buf[64];
  const int32_t n = id < 0 ? -2 : wp_id_piece(tok, id, buf, sizeof buf);
  if (!want) {
    CHECK(n == -1, "piece of %s '%s' (id %d): none, got %d", label, token, id, n);
    return;
  }
  CHECK(n == (int32_t)strlen(want) && memcmp(buf, want, (size_t)n) == 0, "piece of %s '%s' (id %d) is '%s', got '%.*s'",
        label, token, id, want, n < 0 ? 0 : n, buf);
}

/* se_json_loadb parses behind a prime (tokenizer/se_json.c): it must give
** what json_loadb gives, the value or jansson's own message and position. */
static void same_as_jansson(const char *label, const char *doc, size_t len, size_t flags) {
  json_error_t want_err, got_err;
  int nomem = -1;
  json_t *want = json_loadb(doc, len, flags, &want_err);
  json_t *got = se_json_loadb(doc, len, flags, &got_err, &nomem);
  if (want) {
    CHECK(got && json_equal(want, got) && nomem == 0, "se_json_loadb %s: the value json_loadb parses", label);
  } else {
    CHECK(!got && nomem == 0 && strcmp(want_err.text, got_err.text) == 0 && want_err.line == got_err.line &&
              want_err.column == got_err.column && want_err.position == got_err.position,
          "se_json_loadb %s: jansson's error, '%s' at line %d column %d (got '%s' at %d, %d)", label, want_err.text,
          want_err.line, want_err.column, got_err.text, got_err.line, got_err.column);
  }
  json_decref(want);
  json_decref(got);
}

static void test_json_prime(void) {
  static const struct { const char *label, *doc; size_t flags; } docs[] = {
    {"an object", "{\"a\": [1, 2.5, \"x\", null, true]}", 0},
    {"XLM-R's scores", "{\"vocab\": [[\"\\u2581\", -1.7989219427108765], [\"s\", -9.1234567890123456e-1]]}", 0},
    {"escapes", "[\"a\\\"b\\\\c\\u00e9\\ud83d\\ude00\", \"\\n\"]", 0},
    {"trailing value", "{} {}", 0},
    {"trailing comma and value", "{}, 5", 0},
    {"trailing ]", "[1]]", 0},
    {"a number alone", "5", 0},
    {"a number alone, JSON_DECODE_ANY", "5", JSON_DECODE_ANY},
    {"a string alone, JSON_DECODE_ANY", "\"some long string value\"", JSON_DECODE_ANY},
    {"empty", "", 0},
    {"whitespace", " \n\t ", 0},
    {"truncated object", "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0", 0},
    {"unterminated string", "{\"model", 0},
    {"newline in a string", "{\"a\nb\": 1}", 0},
    {"invalid UTF-8 in a string", "{\"a\xff\": 1}", 0},
    {"a bad word", "{\"a\": tru}", 0},
    {"a byte no token starts with", "{\"a\": \x01}", 0},
    {"an error on line 3", "{\n\"a\": 1,\n\"b\" 2}", 0},
    {"duplicate keys, JSON_REJECT_DUPLICATES", "{\"a\": 1, \"a\": 2}", JSON_REJECT_DUPLICATES},
    {"trailing value, JSON_DISABLE_EOF_CHECK", "{\"a\": 1} x", JSON_DISABLE_EOF_CHECK},
    /* with a number long enough for jansson's assert the second parse is
    ** primed too (the wrapper left open): the same messages */
    {"truncated, long scores", "{\"vocab\": [[\"a\", -1.7989219427108765],\n [\"b\", -4.63", 0},
    {"truncated inside a long number", "{\"vocab\": [[\"a\", -1.798921942710876", 0},
    {"unterminated string after a long number", "{\"v\": -1.7989219427108765, \"abc", 0},
    {"an error inside, long scores", "{\"vocab\": [[\"a\", -1.7989219427108765]\n\n [\"b\", 1]]}", 0},
    {"a bad word after a long number", "[-1.7989219427108765, nul]", 0},
  };
  for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
    same_as_jansson(docs[i].label, docs[i].doc, strlen(docs[i].doc), docs[i].flags);
  /* trailing text after a whole value with a long number: the primed
  ** parse's message ("']' expected"), at jansson's line, column and position */
  {
    const char trail[] = "{\"a\": -1.7989219427108765}\n x";
    json_error_t want_err, got_err;
    int nomem = -1;
    json_t *want = json_loadb(trail, sizeof trail - 1, 0, &want_err);
    json_t *got = se_json_loadb(trail, sizeof trail - 1, 0, &got_err, &nomem);
    CHECK(!want && !got && nomem == 0 && strstr(got_err.text, "near 'x'") && got_err.line == want_err.line &&
              got_err.column == want_err.column && got_err.position == want_err.position,
          "se_json_loadb trailing text after a long number: '%s' at %d, %d, %d (jansson: '%s' at %d, %d, %d)",
          got_err.text, got_err.line, got_err.column, got_err.position, want_err.text, want_err.line,
          want_err.column, want_err.position);
  }
  const char nul[] = "{\"a\": 1}\0\0";
  same_as_jansson("NUL bytes after the value", nul, sizeof nul - 1, 0);
  same_as_jansson("a NUL byte in a string, JSON_ALLOW_NUL", "[\"a\\u0000b\"]", 12, JSON_ALLOW_NUL);

  /* tokens far longer than the prime's first sizes, and nesting at and past
  ** jansson's depth limit (2048: the wrapper's level takes a document at
  ** the limit past it, so that one is parsed alone) */
  size_t big = 300000;
  char *doc = malloc(2 * big + 64);
  if (!doc) { CHECK(0, "malloc"); return; }
  size_t n = 0;
  doc[n++] = '[';
  doc[n++] = '"';
  for (size_t i = 0; i < big; i++) doc[n++] = (char)('a' + i % 26);
  n += (size_t)sprintf(doc + n, "\", -1.");
  for (size_t i = 0; i < 1000; i++) doc[n++] = (char)('0' + i % 10);
  doc[n++] = ']';
  same_as_jansson("a 300,000-byte string and a 1,003-character number", doc, n, 0);
  for (int depth = 2047; depth <= 2049; depth++) {
    char label[64];
    n = 0;
    for (int i = 0; i < depth; i++) doc[n++] = '[';
    for (int i = 0; i < depth; i++) doc[n++] = ']';
    snprintf(label, sizeof label, "arrays nested %d deep", depth);
    same_as_jansson(label, doc, n, 0);
  }
  free(doc);
}

static void test_id_piece(void) {
  expect_piece("WordPiece", uncased, "hello", " hello");
  expect_piece("WordPiece", uncased, "##ing", "ing");
  expect_piece("WordPiece", uncased, "[unused0]", "[unused0]");
  expect_piece("WordPiece", uncased, "[CLS]", NULL);
  expect_piece("WordPiece", uncased, "[PAD]", NULL);
  char buf[8];
  CHECK(wp_id_piece(uncased, 7592, buf, 5) == -1 && wp_id_piece(uncased, 7592, buf, 6) == 6,
        "a piece needs the token's length + 1 bytes ('hello' -> ' hello')");
  CHECK(wp_id_piece(uncased, -1, buf, sizeof buf) == -1 && wp_id_piece(uncased, 30522, buf, sizeof buf) == -1,
        "no piece for an id out of range");
  CHECK(wp_id_score(uncased, 7592) == 0.0, "WordPiece has no scores");
  wp_tokenizer *tok = NULL;
  wp_error err;
  CHECK_EQ_INT(wp_load_dir("tests/fixtures/tokenizer/unigram", &tok, &err), WP_OK, "unigram tokenizer loads");
  if (tok) {
    expect_piece("Unigram", tok, "\xe2\x96\x81playing", " playing");
    expect_piece("Unigram", tok, "\xe3\x81\x9f", "\xe3\x81\x9f"); /* no U+2581: as it is */
    expect_piece("Unigram", tok, "<s>", NULL);
    const int32_t id = wp_token_to_id(tok, "\xe2\x96\x81playing", 10);
    CHECK(id >= 0 && fabs(wp_id_score(tok, id) - -6.929059982299805) < 1e-12, "Unigram score is the piece's log probability");
    wp_free(tok);
  }
  tok = NULL;
  CHECK_EQ_INT(wp_load_dir("tests/fixtures/tokenizer/bpe", &tok, &err), WP_OK, "bpe tokenizer loads");
  if (tok) {
    expect_piece("BPE", tok, "\xc4\xa0re", " re");     /* U+0120 stands for the space byte */
    expect_piece("BPE", tok, "ent", "ent");
    expect_piece("BPE", tok, "\xc4\x8a", "\n");       /* U+010A: the newline byte */
    expect_piece("BPE", tok, "</s>", NULL);  /* a normalized added token */
    expect_piece("BPE", tok, "<mask>", NULL);
    CHECK(wp_id_score(tok, 300) == 0.0, "BPE has no scores");
    wp_free(tok);
  }
}

int main(void) {
  wp_error err;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/test_tokenizer.%d", (int)getpid());
  mkdir(tmpdir, 0700);
  CHECK_EQ_INT(wp_load_vocab_txt(VOCAB_UNCASED, NULL, &uncased, &err), WP_OK, "load bert-base-uncased vocab.txt");
  wp_options o;
  CHECK_EQ_INT(wp_load_vocab_txt(VOCAB_CASED, NULL, &cased, &err), WP_OK, "load bert-base-cased vocab.txt");
  if (!uncased || !cased) return check_finish();
  o = *wp_get_options(cased);
  o.lowercase = 0;
  o.strip_accents = 0;
  wp_options_override(cased, &o, &err);
  CHECK_EQ_INT(wp_vocab_size(uncased), 30522, "bert-base-uncased has 30522 ids");
  CHECK(wp_special_id(uncased, WP_CLS) == 101 && wp_special_id(uncased, WP_SEP) == 102 &&
        wp_special_id(uncased, WP_UNK) == 100 && wp_special_id(uncased, WP_MASK) == 103, "special ids");
  CHECK_EQ_INT(wp_token_to_id(uncased, "##ing", 5), 2075, "token_to_id");
  CHECK(wp_token_to_id(uncased, "hello\0", 6) == -1, "token_to_id uses the length");

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(&cases[i]);
  test_word_length();
  test_truncation_and_pairs();
  test_invalid_utf8();
  test_big_texts();
  test_hostile_files();
  test_unigram_files();
  test_unigram_longest_key_across_window();
  test_bpe_files();
  test_python_strip();
  test_id_piece();
  test_json_prime();
  test_load_dir();
  test_threads();
  test_oom();

  wp_free(uncased);
  wp_free(cased);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0) printf("note: could not remove %s\n", tmpdir);
  return check_finish();
}
