/*
** fuzz_torch_bin.c — libFuzzer target for the pytorch_model.bin reader
** (engine/torch_bin.c: zip records, legacy layout, storages and tensors;
** engine/pickle.c: the pickle machine underneath) and the model load that
** follows it.
**
**   make fuzz                                   (builds build-fuzz/fuzz_torch_bin)
**   build-fuzz/fuzz_torch_bin -dict=tests/fuzz/fuzz_torch_bin.dict CORPUS_DIR
**
** The input is a whole pytorch_model.bin, read in memory with tb_parse (what
** tb_open calls after mmap); every tensor it accepts is checked to lie inside
** the input and to be found by name.  Inputs that read cleanly are written as
** the tiny model's pytorch_model.bin (fuzz_model.h, its model.safetensors
** removed) and the directory is loaded with ee_model_load; a model that loads
** embeds two texts.  The seeds are that tiny model saved by torch.save in the
** zip and the legacy formats (tests/scripts/make_torch_bin.py) and the reader's
** test fixtures (tests/fixtures/torch_bin: ten dtypes, views, protocol 4, a
** state_dict, a pickle calling os.system, ...).
*/
#include "../../engine/engine_int.h"
#include "fuzz_model.h"
#include "fuzz_weights.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char model_dir[256];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (fz_model_dir(model_dir, sizeof model_dir, "fuzz_torch_bin") != 0) abort();
  char path[512];
  snprintf(path, sizeof path, "%s/model.safetensors", model_dir);
  if (unlink(path) != 0) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  st_file f;
  ee_error err;
  memset(&f, 0, sizeof f);
  memset(&err, 0, sizeof err);
  ee_status rc = tb_parse(&f, "fuzz.bin", data, size, &err);
  if (memchr(err.msg, 0, sizeof err.msg) == NULL) abort();
  if (rc != EE_OK && !err.msg[0]) abort();
  if (rc == EE_OK) fz_check_tensors(&f);
  st_close(&f);
  if (rc != EE_OK) return 0;

  if (fz_write(model_dir, "pytorch_model.bin", data, size) != 0) abort();
  fz_load_and_embed(model_dir);
  return 0;
}
