/*
** fuzz_tokenizer_json.c — libFuzzer target for the tokenizer.json parser
** (wp_load_tokenizer_json_mem): normalizer flags, pre-tokenizer, WordPiece
** model options, vocab with non-contiguous ids, added tokens (literal
** matching, raw or after normalisation) and the post-processor's ids
** (TemplateProcessing, BertProcessing, RobertaProcessing); and the Unigram
** model with its Precompiled / Replace / Strip normalizers and Metaspace.
**
**   make fuzz                                   (builds build-fuzz/fuzz_tokenizer_json)
**   build-fuzz/fuzz_tokenizer_json -dict=tests/fuzz/fuzz_tokenizer_json.dict CORPUS_DIR
**
** The whole input is the file.  When it loads, a few fixed texts (special
** tokens, accents, CJK, long words) are encoded alone and as pairs with
** several max_lengths, and the ids are mapped back to texts.  Any status is
** fine; a crash, sanitizer report, leak or hang is the bug.
*/
#include "../../tokenizer/wordpiece.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  wp_tokenizer *t = NULL;
  wp_error err;
  memset(&err, 0, sizeof err);
  wp_status rc = wp_load_tokenizer_json_mem((const char *)data, size, &t, &err);
  if (memchr(err.msg, 0, sizeof err.msg) == NULL) abort();
  if (rc != WP_OK) {
    if (t) abort();
    return 0;
  }
  static const char *texts[] = {
      "Hello, world! [CLS] the [MASK] cat [SEP] x<s></s>",
      "Caf\xc3\xa9 na\xc3\xafve \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x98\x80 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "[UNK] [PAD] ##a ab\tabc\r\n\x01 .,;",
      /* added tokens marked "normalized" match here in other cases and accents */
      "<UNK> a<Unk>b <un\x00k> <<unk>> <unk<UNK> <MASK> \xc3\x89T\xc3\x89 \xe4\xb8\x96 <u\xcc\x81nk>",
      /* Unigram: runs of spaces, lstrip/rstrip tokens, NFKC-mapped characters, unknown bytes */
      "  a  <mask>  b\xe2\x96\x81\xe2\x96\x81" "c \xef\xbc\xa1\xe2\x91\xa0\xef\xac\x81 \xc3\xa9\xcc\x81 \r\n ",
      /* NFC (ModernBERT): marks to compose, Hangul jamo, singletons, marks that reorder */
      "a\xcc\x81" "b e\xcc\x81|x \xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab \xe2\x84\xab\xef\xa4\x80 x\xcd\x84 "
      "\xcc\x81\xe0\xbd\xb3 a\xcc\x96\xcc\x81    b",
      "",
  };
  wp_encoding enc = {0};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    size_t len = strlen(texts[i]);
    if (wp_encode(t, texts[i], len, 0, &enc, &err) == WP_OK) {
      for (int32_t k = 0; k < enc.n; k++) {
        size_t tl;
        (void)wp_id_to_token(t, enc.ids[k], &tl);
        if (enc.offsets[2 * k] < 0 || enc.offsets[2 * k] > enc.offsets[2 * k + 1] ||
            (size_t)enc.offsets[2 * k + 1] > len)
          abort(); /* offsets stay inside the text */
      }
    }
    wp_encode(t, texts[i], len, 3 + (int32_t)i, &enc, &err);
    wp_encode_pair(t, texts[i], len, texts[(i + 1) % 4], strlen(texts[(i + 1) % 4]), 6 + (int32_t)i, &enc, &err);
  }
  if (memchr(err.msg, 0, sizeof err.msg) == NULL) abort();
  wp_encoding_free(&enc);
  wp_free(t);
  return 0;
}
