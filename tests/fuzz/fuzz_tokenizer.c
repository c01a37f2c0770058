/*
** fuzz_tokenizer.c — libFuzzer target for the tokenizer's three parsers:
** vocab.txt, tokenizer.json and input text (single and pair).
**
**   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o build/fuzz_tokenizer \
**     tests/fuzz/fuzz_tokenizer.c $(ls tokenizer/[a-z]*.c) -ljansson
**   build/fuzz_tokenizer -max_len=4096 CORPUS_DIR   (any directory; it starts empty)
**
** The first input byte picks the target: 0 vocab.txt, 1 tokenizer.json,
** 2 text, 3 a pair (split at the second byte's fraction of the rest), with
** the rest as the file or text.  Texts are encoded with a small built-in
** vocabulary (loading 30k tokens per run would swamp the fuzzer) and with
** random max_length from the second byte; bit 2 of the first byte picks a
** tokenizer with python_lower (sentence-transformers' do_lower_case), whose
** offsets, mapped back from the lowered text, must stay inside the text;
** bit 3 the Unigram tokenizer of tests/fixtures/tokenizer/unigram (charsmap,
** Metaspace; the fuzz build cuts texts in 64-byte windows), bit 4 with
** python_strip; bit 5 the byte-level BPE tokenizer of
** tests/fixtures/tokenizer/bpe (bit 6: its add_prefix_space variant; the
** fuzz build merges words in 64-byte windows), whose offsets must also
** fall on character boundaries.
** Any return code is fine; a crash, sanitizer report, leak, hang or an
** offset outside the text is the bug.
*/
#include "../../tokenizer/wordpiece.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char vocab[] =
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\nb\nc\n##a\n##b\n##c\nab\nabc\n\xc3\xa9\n##\xcc\x81\n"
    "\xe4\xb8\x96\n,\n.\n!\n[\n]\n#\n##s\nthe\n##the\n\xce\xb1\n##\xce\xb1\ni\n##i\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static wp_tokenizer *tok[7];
  wp_error err;
  if (!tok[0]) {
    wp_options o;
    if (wp_load_vocab_txt_mem(vocab, sizeof vocab - 1, NULL, &tok[0], &err) != WP_OK) abort();
    o = *wp_get_options(tok[0]);
    o.lowercase = 0;
    o.strip_accents = 1;
    o.max_input_chars_per_word = 8;
    if (wp_load_vocab_txt_mem(vocab, sizeof vocab - 1, &o, &tok[1], &err) != WP_OK) abort();
    o = *wp_get_options(tok[0]);
    o.python_lower = 1;
    if (wp_load_vocab_txt_mem(vocab, sizeof vocab - 1, &o, &tok[2], &err) != WP_OK) abort();
    /* run from the repository root (tests/fuzz/run.sh does) */
    if (wp_load_tokenizer_json("tests/fixtures/tokenizer/unigram/tokenizer.json", &tok[3], &err) != WP_OK ||
        wp_load_tokenizer_json("tests/fixtures/tokenizer/unigram/tokenizer.json", &tok[4], &err) != WP_OK)
      abort();
    o = *wp_get_options(tok[4]);
    o.python_strip = 1;
    if (wp_options_override(tok[4], &o, &err) != WP_OK) abort();
    if (wp_load_tokenizer_json("tests/fixtures/tokenizer/bpe/tokenizer.json", &tok[5], &err) != WP_OK ||
        wp_load_tokenizer_json("tests/fixtures/tokenizer/bpe/tokenizer-prefix.json", &tok[6], &err) != WP_OK)
      abort();
  }
  if (size < 2) return 0;
  memset(&err, 0, sizeof err);
  const char *body = (const char *)data + 2;
  size_t n = size - 2;
  wp_tokenizer *t = NULL;
  wp_encoding enc = {0};
  const int bpe = (data[0] & 32) != 0;
  const wp_tokenizer *text_tok = bpe ? tok[5 + ((data[0] >> 6) & 1)]
                                     : tok[(data[0] & 8) ? 3 + ((data[0] >> 4) & 1) : (data[0] & 4) ? 2 : (data[1] & 1)];
  switch (data[0] & 3) {
    case 0:
      if (wp_load_vocab_txt_mem(body, n, NULL, &t, &err) == WP_OK) wp_encode(t, "a b", 3, 0, &enc, &err);
      break;
    case 1:
      if (wp_load_tokenizer_json_mem(body, n, &t, &err) == WP_OK) wp_encode(t, "[CLS] x", 7, 0, &enc, &err);
      break;
    case 2:
      if (wp_encode(text_tok, body, n, (int32_t)(data[1] >> 1) - 8, &enc, &err) == WP_OK)
        for (int32_t i = 0; i < enc.n; i++)
          if (enc.offsets[2 * i] < 0 || enc.offsets[2 * i] > enc.offsets[2 * i + 1] ||
              (size_t)enc.offsets[2 * i + 1] > n ||
              (bpe && (((size_t)enc.offsets[2 * i] < n && (body[enc.offsets[2 * i]] & 0xC0) == 0x80) ||
                       ((size_t)enc.offsets[2 * i + 1] < n && (body[enc.offsets[2 * i + 1]] & 0xC0) == 0x80))))
            abort();
      break;
    case 3: {
      size_t cut = n * data[1] / 256;
      wp_encode_pair(text_tok, body, cut, body + cut, n - cut, (int32_t)(data[1] & 31) + 3, &enc, &err);
      break;
    }
  }
  if (memchr(err.msg, 0, sizeof err.msg) == NULL) abort(); /* messages always terminated */
  wp_encoding_free(&enc);
  wp_free(t);
  return 0;
}
