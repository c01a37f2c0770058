/*
** fuzz_safetensors.c — libFuzzer target for the safetensors parser
** (engine/safetensors.c) and the tensor binding that follows it
** (engine/weights.c: names, dtypes, shapes, F16/BF16 conversion, F32 used
** in place or realigned).
**
**   make fuzz                                   (builds build-fuzz/fuzz_safetensors)
**   build-fuzz/fuzz_safetensors -dict=tests/fuzz/fuzz_safetensors.dict CORPUS_DIR
**
** The input is a whole .safetensors file.  It is first validated in memory
** with st_parse (the internal entry point that st_open calls after mmap),
** and every tensor it accepts is checked to lie inside the data section.
** When the header is valid, the bytes are also written as model.safetensors
** into a tiny model directory made at start-up (fuzz_model.h: hidden 8,
** 1 layer, 100-token vocabulary) and the directory is loaded with
** ee_model_load; a model that loads embeds one text.  The seeds are that
** tiny model in F32 and F16 and a few damaged variants.
*/
#include "../../engine/engine_int.h"
#include "fuzz_model.h"
#include "fuzz_weights.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char model_dir[256];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (fz_model_dir(model_dir, sizeof model_dir, "fuzz_safetensors") != 0) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  st_file f;
  ee_error err;
  memset(&f, 0, sizeof f);
  memset(&err, 0, sizeof err);
  ee_status rc = st_parse(&f, "fuzz.safetensors", data, size, &err);
  if (memchr(err.msg, 0, sizeof err.msg) == NULL) abort();
  if (rc == EE_OK) fz_check_tensors(&f);
  st_close(&f);
  if (rc != EE_OK) return 0;

  if (fz_write(model_dir, "model.safetensors", data, size) != 0) abort();
  fz_load_and_embed(model_dir);
  return 0;
}
