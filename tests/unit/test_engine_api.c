/*
** test_engine_api.c — a plain usage example of embed_engine.h, run as a
** smoke test.
**
**   build/tests/test_engine_api [MODEL_DIR] [TEXT ...]
**
** Loads a model (default $TEST_MODELS/minilm, TEST_MODELS defaulting to
** build/test-models), prints what ee_model_info reports, embeds the texts
** (a few sentences of its own when none are given), and prints the first
** dimensions of each vector and the cosine similarity of every pair.  It
** uses nothing but the public header; the few PASS lines are for
** tests/run.sh.  Without a model directory it prints SKIP and exits 0.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../engine/embed_engine.h"

static const char *pooling_name(ee_pooling p) {
  return p == EE_POOL_CLS ? "cls" : p == EE_POOL_MEAN ? "mean" : p == EE_POOL_MAX ? "max" : "?";
}

int main(int argc, char **argv) {
  char dflt[1024];
  const char *models = getenv("TEST_MODELS");
  snprintf(dflt, sizeof dflt, "%s/minilm", models && *models ? models : "build/test-models");
  const char *dir = argc > 1 ? argv[1] : dflt;

  static const char *demo[] = {"A man is playing a guitar.", "Someone plays an instrument.",
                               "The stock market fell sharply today."};
  const char *const *texts = argc > 2 ? (const char *const *)argv + 2 : demo;
  int n = argc > 2 ? argc - 2 : 3;

  ee_params params = ee_default_params(); /* pooling, normalisation, length from the model */
  ee_error err;
  ee_model *model = NULL;
  ee_status rc = ee_model_load(dir, &params, &model, &err);
  if (rc != EE_OK) {
    if (argc <= 1 && rc == EE_ERR_IO) {
      printf("SKIP: no model at %s (%s)\n", dir, err.msg);
      return 0;
    }
    printf("FAIL: ee_model_load(%s): %s: %s\n", dir, ee_status_string(rc), err.msg);
    return 1;
  }
  printf("PASS: loaded %s\n", dir);

  ee_info info;
  ee_model_info(model, &info);
  printf("  %s, %s weights, %d layers, hidden %d, %d heads, FFN %d, vocab %d\n",
         info.model_type, info.dtype, info.num_layers, info.hidden_size, info.num_heads,
         info.intermediate_size, info.vocab_size);
  printf("  pooling %s, normalize %d, max_length %d, %lld parameters, %lld bytes mapped\n",
         pooling_name(info.pooling), info.normalize, info.max_length, (long long)info.n_params,
         (long long)info.bytes_mapped);

  ee_context *ctx = ee_context_new(model); /* one per thread */
  int dims = ee_model_dims(model);
  size_t *lens = malloc(sizeof *lens * (size_t)n);
  float *vec = malloc(sizeof *vec * (size_t)n * (size_t)dims);
  if (!ctx || !lens || !vec) {
    printf("FAIL: out of memory\n");
    return 1;
  }
  for (int i = 0; i < n; i++) lens[i] = strlen(texts[i]);
  rc = ee_embed_texts(ctx, n, texts, lens, vec, &err);
  if (rc != EE_OK) {
    printf("FAIL: ee_embed_texts: %s: %s\n", ee_status_string(rc), err.msg);
    return 1;
  }
  printf("PASS: embedded %d texts into %d dimensions\n", n, dims);

  int finite = 1;
  for (int i = 0; i < n; i++) {
    const float *v = vec + (size_t)i * dims;
    double norm = 0.0;
    for (int d = 0; d < dims; d++) {
      norm += (double)v[d] * v[d];
      finite &= isfinite(v[d]);
    }
    printf("  [%d] |v| = %.4f  (%.4f, %.4f, %.4f, ...)  %s\n", i, sqrt(norm), v[0], v[1 % dims],
           v[2 % dims], texts[i]);
  }
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      const float *a = vec + (size_t)i * dims, *b = vec + (size_t)j * dims;
      double ab = 0, aa = 0, bb = 0;
      for (int d = 0; d < dims; d++) ab += (double)a[d] * b[d], aa += (double)a[d] * a[d], bb += (double)b[d] * b[d];
      printf("  cos([%d], [%d]) = %.4f\n", i, j, ab / (sqrt(aa * bb) + 1e-30));
    }
  printf("%s: every component is finite\n", finite ? "PASS" : "FAIL");

  free(vec);
  free(lens);
  ee_context_free(ctx);
  ee_model_free(model);
  return finite ? 0 : 1;
}
