/*
** fuzz_config.c — libFuzzer target for the model directory's JSON files:
** config.json, modules.json, 1_Pooling/config.json,
** sentence_bert_config.json, tokenizer_config.json,
** model.safetensors.index.json, config_sentence_transformers.json and the
** Dense module's 2_Dense/config.json (engine/dense.c)
** (engine/config.c, engine/weights.c's shard discovery,
** tokenizer/tokenizer_json.c's tokenizer_config reader, engine/prompts.c).
**
**   make fuzz                                   (builds build-fuzz/fuzz_config)
**   build-fuzz/fuzz_config -dict=tests/fuzz/fuzz_config.dict CORPUS_DIR
**
** Byte 0 picks the file (low 3 bits: 0 config.json, 1 modules.json,
** 2 1_Pooling/config.json, 3 sentence_bert_config.json,
** 4 tokenizer_config.json, 5 model.safetensors.index.json,
** 6 config_sentence_transformers.json, 7 2_Dense/config.json)
** and ee_params overrides (bits 3-4 pooling default/cls/mean/max, bit 5
** normalize, bits 6-7 max_length 0/2/3/1000); the rest is the file's
** content.  It is written next to the other files of a valid tiny model
** (fuzz_model.h) made at start-up; the index goes to a second, sharded copy
** (shard.safetensors, no model.safetensors).  The directory is loaded with
** ee_model_load, a model that loads embeds three texts (with the prompt
** its default_prompt_name or "query" names, if any), and the file is put
** back.  Seeds: the valid files and some variants.
*/
#include "../../engine/embed_engine.h"
#include "fuzz_model.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char dir[256], shard_dir[256];
static char cfg_json[1024];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (fz_model_dir(dir, sizeof dir, "fuzz_config") != 0) abort();
  if (fz_model_dir(shard_dir, sizeof shard_dir, "fuzz_config_sharded") != 0) abort();
  char a[512], b[512];
  snprintf(a, sizeof a, "%s/model.safetensors", shard_dir);
  snprintf(b, sizeof b, "%s/shard.safetensors", shard_dir);
  if (rename(a, b) != 0) abort();
  snprintf(a, sizeof a, "%s/config.json", dir);
  FILE *f = fopen(a, "rb");
  if (!f) abort();
  size_t n = fread(cfg_json, 1, sizeof cfg_json - 1, f);
  cfg_json[n] = '\0';
  fclose(f);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  static const char *const files[8] = {"config.json", "modules.json", "1_Pooling/config.json",
                                       "sentence_bert_config.json", "tokenizer_config.json",
                                       "model.safetensors.index.json",
                                       "config_sentence_transformers.json", "2_Dense/config.json"};
  static const char *const defaults[8] = {NULL, FZ_MODULES_JSON, FZ_POOLING_JSON, FZ_SBERT_JSON,
                                          FZ_TOKCONFIG_JSON, NULL, "{}", FZ_DENSE_JSON};
  int which = data[0] & 7;
  const char *d = which == 5 ? shard_dir : dir;
  if (fz_write(d, files[which], data + 1, size - 1) != 0) abort();

  ee_params p = ee_default_params();
  p.threads = 1;
  p.pooling = (ee_pooling)(((data[0] >> 3) & 3) - 1);
  if (data[0] & 32) p.normalize = 1;
  static const int maxlen[4] = {0, 2, 3, 1000};
  p.max_length = maxlen[data[0] >> 6];
  ee_model *m = NULL;
  ee_error err;
  memset(&err, 0, sizeof err);
  if (ee_model_load(d, &p, &m, &err) == EE_OK) {
    ee_info info;
    ee_model_info(m, &info);
    if (info.max_length < 2) abort();
    ee_context *ctx = ee_context_new(m);
    int dims = ee_model_dims(m);
    float *out = malloc(sizeof(float) * 3 * (size_t)dims);
    const char *texts[3] = {"the cat sat on the mat and the dog sat on the rug", "", "caf\xc3\xa9 \xe4\xb8\x96"};
    size_t lens[3] = {49, 0, 9};
    const char *prompt = info.default_prompt_name ? ee_model_prompt(m, info.default_prompt_name)
                                                  : ee_model_prompt(m, "query");
    if (info.default_prompt_name && !prompt) abort(); /* a default must name a prompt */
    if (!info.similarity || (strcmp(info.similarity, "cosine") && strcmp(info.similarity, "dot") &&
                             strcmp(info.similarity, "euclidean") && strcmp(info.similarity, "manhattan")))
      abort(); /* one of sentence-transformers' four */
    if (ctx && out) ee_embed_texts_prompted(ctx, prompt, 3, texts, lens, out, &err);
    free(out);
    ee_context_free(ctx);
    ee_model_free(m);
  } else if (m) {
    abort();
  }
  if (memchr(err.msg, 0, sizeof err.msg) == NULL) abort();

  /* put the valid file back (the sharded copy's index is simply replaced next time) */
  if (which != 5 && fz_write_str(d, files[which], defaults[which] ? defaults[which] : cfg_json) != 0)
    abort();
  return 0;
}
