/*
** fuzz_weights.h — what the weights-file fuzzers (fuzz_safetensors,
** fuzz_torch_bin, fuzz_gguf) check alike after their parser ran.
**
**   if (rc == EE_OK) fz_check_tensors(&f);   // the table the parser made
**   ...
**   fz_load_and_embed(model_path);           // a file that parsed, as a model
**
** Header-only (static functions) so each fuzzer stays one .c file; needs
** engine/engine_int.h included first.
*/
#ifndef FUZZ_WEIGHTS_H
#define FUZZ_WEIGHTS_H
#include <stdlib.h>
#include <string.h>

/* Every tensor a parser accepted lies inside the data it was given, holds
** the bytes its dtype and element count take, and is found by its name. */
static inline void fz_check_tensors(const st_file *f) {
  for (int i = 0; i < f->n_tensors; i++) {
    const st_tensor *t = &f->tensors[i];
    if (t->begin < 0 || t->end < t->begin || t->end > f->data_size) abort();
    if (t->end - t->begin != st_tensor_bytes(t->dtype, t->numel)) abort();
    if (st_find(f, t->name) != t) abort();
  }
}

/* ee_model_load of path (a directory, or a .gguf file); a model that loads
** embeds two texts.  A failed load must leave *out NULL, and every message
** must be NUL-terminated. */
static inline void fz_load_and_embed(const char *path) {
  ee_params p = ee_default_params();
  p.threads = 1;
  ee_model *m = NULL;
  ee_error err;
  memset(&err, 0, sizeof err);
  if (ee_model_load(path, &p, &m, &err) == EE_OK) {
    ee_context *ctx = ee_context_new(m);
    const char *texts[2] = {"the cat sat on the mat", "hello"};
    size_t lens[2] = {22, 5};
    int dims = ee_model_dims(m);
    float *out = dims > 0 && dims <= 4096 ? malloc(sizeof *out * 2 * (size_t)dims) : NULL;
    if (ctx && out) ee_embed_texts(ctx, 2, texts, lens, out, &err);
    free(out);
    ee_context_free(ctx);
    ee_model_free(m);
  } else if (m) {
    abort(); /* *out stays NULL on failure */
  }
  if (memchr(err.msg, 0, sizeof err.msg) == NULL) abort();
}

#endif
