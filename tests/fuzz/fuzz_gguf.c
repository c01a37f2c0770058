/*
** fuzz_gguf.c — libFuzzer target for the GGUF reader (engine/gguf.c: header,
** metadata, tensor infos, names mapped to BertModel's, Q8_0 blocks; the
** config and the vocabulary taken from the metadata) and the model load and
** embedding that follow.
**
**   make fuzz                                   (builds build-fuzz/fuzz_gguf)
**   build-fuzz/fuzz_gguf -dict=tests/fuzz/fuzz_gguf.dict CORPUS_DIR
**
** The input is a whole .gguf file, parsed in memory with gguf_parse (what
** st_open_with calls after mmap); every tensor it accepts is checked to lie
** inside the data section and to be found by name.  Inputs that parse are
** written to a file and loaded with ee_model_load as sqlite-lembed's users
** give them (a path to the .gguf); a model that loads embeds two texts.  The
** seeds are the fuzzers' tiny model (fuzz_model.h) written as GGUF, F32 and
** F16, by tests/scripts/make_gguf.py (llama.cpp's conventions), and a tiny
** jina-bert-v2 of jina-embeddings-v2-base-code's qk-post-norm variant
** (hidden 8, one layer, seeded weights) written the same way, also with a
** 16-token byte-level BPE ("gpt2") or Unigram ("t5") vocabulary
** (tests/scripts/gguf_vocab_seed.py).
*/
#include "../../engine/engine_int.h"
#include "fuzz_model.h"
#include "fuzz_weights.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[256], path[300];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/se-fuzz_gguf-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(dir)) abort();
  snprintf(path, sizeof path, "%s/model.gguf", dir);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  st_file f;
  ee_error err;
  memset(&f, 0, sizeof f);
  memset(&err, 0, sizeof err);
  ee_status rc = gguf_parse(&f, "fuzz.gguf", data, size, &err);
  if (memchr(err.msg, 0, sizeof err.msg) == NULL) abort();
  if (rc != EE_OK && !err.msg[0]) abort();
  if (rc == EE_OK) fz_check_tensors(&f);
  st_close(&f);
  if (rc != EE_OK) return 0;

  if (fz_write(dir, "model.gguf", data, size) != 0) abort();
  fz_load_and_embed(path);
  return 0;
}
