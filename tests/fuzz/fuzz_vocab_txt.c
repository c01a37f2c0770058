/*
** fuzz_vocab_txt.c — libFuzzer target for the vocab.txt loader
** (wp_load_vocab_txt_mem) and for encoding with whatever it accepts.
**
**   make fuzz                                   (builds build-fuzz/fuzz_vocab_txt)
**   build-fuzz/fuzz_vocab_txt -dict=tests/fuzz/fuzz_vocab_txt.dict CORPUS_DIR
**
** Input: byte 0 picks the options (bit 0 lowercase, bit 1 strip accents,
** bit 2 drop clean_text, bit 3 no CJK spacing, bits 4-5 max_input_chars_per_word
** 1/4/16/100, bit 6 an empty "##" prefix, bit 7 unk_token "<unk>"); the rest
** is the file.  When it loads, a few texts (including the file's own first
** bytes, so tokens of the file get matched) are encoded alone and as a pair
** with short max_lengths, and every id is mapped back and forth.  Any status
** is fine; a crash, sanitizer report, leak or hang is the bug.
*/
#include "../../tokenizer/wordpiece.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  wp_tokenizer *probe = NULL;
  wp_error err;
  memset(&err, 0, sizeof err);
  wp_options o;
  /* BERT's defaults, then the byte's overrides */
  memset(&o, 0, sizeof o);
  o.lowercase = data[0] & 1;
  o.strip_accents = (data[0] & 2) ? 1 : -1;
  o.clean_text = !(data[0] & 4);
  o.handle_chinese_chars = !(data[0] & 8);
  static const int maxc[4] = {1, 4, 16, 100};
  o.max_input_chars_per_word = maxc[(data[0] >> 4) & 3];
  strcpy(o.continuing_subword_prefix, (data[0] & 64) ? "" : "##");
  strcpy(o.unk_token, (data[0] & 128) ? "<unk>" : "[UNK]");
  const char *body = (const char *)data + 1;
  size_t n = size - 1;
  wp_status rc = wp_load_vocab_txt_mem(body, n, &o, &probe, &err);
  if (memchr(err.msg, 0, sizeof err.msg) == NULL) abort();
  if (rc != WP_OK) {
    if (probe) abort(); /* no tokenizer on failure */
    return 0;
  }
  wp_encoding enc = {0};
  static const char *texts[] = {"Hello, world! [CLS] the cat [SEP] x", "caf\xc3\xa9 \xe4\xb8\x96\xe7\x95\x8c unaffable",
                                "[MASK][UNK]##a ## ab abc", ""};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    wp_encode(probe, texts[i], strlen(texts[i]), (int32_t)i * 3, &enc, &err);
    wp_encode_pair(probe, texts[i], strlen(texts[i]), body, n < 64 ? n : 64, 5 + (int32_t)i, &enc, &err);
  }
  wp_encode(probe, body, n < 256 ? n : 256, 0, &enc, &err);
  int32_t nv = wp_vocab_size(probe);
  for (int32_t id = -1; id <= nv && id < 4096; id++) {
    size_t len = 0;
    const char *t = wp_id_to_token(probe, id, &len);
    if (t && wp_token_to_id(probe, t, len) < 0) abort(); /* every text maps back to some id */
  }
  for (int w = 0; w < WP_SPECIAL_COUNT; w++) (void)wp_special_id(probe, (wp_special)w);
  if (memchr(err.msg, 0, sizeof err.msg) == NULL) abort();
  wp_encoding_free(&enc);
  wp_free(probe);
  return 0;
}
