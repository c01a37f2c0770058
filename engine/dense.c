/*
** dense.c — the sentence-transformers Dense module: y = act(W x + b) on the
** pooled sentence vector, before any Normalize module.
**
** LaBSE (768 -> 768, tanh) puts one after pooling, and some models use
** one to change the vector's size; without it their vectors are not the
** model's.  A module directory holds
**   config.json         {"in_features": 768, "out_features": 768, "bias": true,
**                        "activation_function": "torch.nn.modules.activation.Tanh",
**                        "module_input_name": "sentence_embedding"}  (the last two
**                        keys only in newer files)
**   model.safetensors   linear.weight [out, in], linear.bias [out] (if bias)
** (older modules saved only pytorch_model.bin, torch.save's file, which
** torch_bin.c reads without running it).  A Dense on another feature than the
** sentence vector (module_input_name "token_embeddings") is refused.
**
**   ee_dense_cfg d;  ee_dense dw;
**   ee_dense_config_load(dir, "2_Dense", 768, &d, &err);
**   ee_dense_load(&dw, dir, &d, &err);
**   ee_dense_apply(&dw, &d, pooled, out);
**   ee_dense_free(&dw);
**
** The product is a matrix-vector product per sentence: a few hundred
** thousand multiply-adds against the encoder's billions, so it runs on
** plain C loops (eight partial sums, which the compiler vectorises) rather
** than the packed GEMM kernels.
*/
#include "engine_int.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

/* activation_function names as sentence-transformers writes them
** (fullname() of the torch module), and the torch.nn aliases. */
static const struct {
  const char *name;
  ee_dense_act act;
} ACTS[] = {
  {"torch.nn.modules.linear.Identity", EE_DENSE_IDENTITY},
  {"torch.nn.modules.activation.Tanh", EE_DENSE_TANH},
  {"torch.nn.modules.activation.ReLU", EE_DENSE_RELU},
  {"torch.nn.modules.activation.GELU", EE_DENSE_GELU},
  {"torch.nn.modules.activation.Sigmoid", EE_DENSE_SIGMOID},
  {"torch.nn.Identity", EE_DENSE_IDENTITY},
  {"torch.nn.Tanh", EE_DENSE_TANH},
  {"torch.nn.ReLU", EE_DENSE_RELU},
  {"torch.nn.GELU", EE_DENSE_GELU},
  {"torch.nn.Sigmoid", EE_DENSE_SIGMOID},
};

/* A required integer in 1..EE_MAX_DIM. */
static ee_status get_dim(const json_t *root, const char *key, const char *path, int *out,
                         ee_error *err) {
  const json_t *v = json_object_get(root, key);
  if (!v) return ee_set_error(err, EE_ERR_FORMAT, "missing \"%s\" in %s", key, path);
  if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > EE_MAX_DIM)
    return ee_set_error(err, EE_ERR_FORMAT, "\"%s\" in %s must be an integer in 1..%d", key,
                        path, EE_MAX_DIM);
  *out = (int)json_integer_value(v);
  return EE_OK;
}

/* module_input_name / module_output_name: absent, null (output: same as
** the input) or "sentence_embedding". */
static ee_status check_feature(const json_t *root, const char *key, const char *path,
                               ee_error *err) {
  const json_t *v = json_object_get(root, key);
  if (!v || json_is_null(v)) return EE_OK;
  if (!json_is_string(v))
    return ee_set_error(err, EE_ERR_FORMAT, "\"%s\" in %s must be a string", key, path);
  if (strcmp(json_string_value(v), "sentence_embedding") != 0)
    return ee_set_error(err, EE_ERR_UNSUPPORTED,
                        "unsupported %s '%.64s' in %s (supported: a Dense module on the "
                        "sentence vector, \"sentence_embedding\")",
                        key, json_string_value(v), path);
  return EE_OK;
}

ee_status ee_dense_config_load(const char *dir, const char *mpath, int in, ee_dense_cfg *d,
                               ee_error *err) {
  char sub[EE_PATH_MAX], path[EE_PATH_MAX];
  json_t *root = NULL;
  ee_status rc;
  memset(d, 0, sizeof *d);
  if (strlen(mpath) >= sizeof d->path)
    return ee_set_error(err, EE_ERR_FORMAT, "Dense module path '%.64s...' in %s/modules.json is "
                        "too long", mpath, dir);
  if ((rc = ee_module_dir(sub, dir, mpath, "Dense", err)) != EE_OK) return rc;
  if ((rc = ee_path_join(path, sub, "config.json", err)) != EE_OK) return rc;
  if ((rc = ee_load_json(path, 0, &root, err)) != EE_OK) return rc;
  if (!json_is_object(root)) {
    rc = ee_set_error(err, EE_ERR_FORMAT, "%s is not a JSON object", path);
    goto done;
  }
  snprintf(d->path, sizeof d->path, "%s", mpath);
  if ((rc = get_dim(root, "in_features", path, &d->in, err)) != EE_OK) goto done;
  if ((rc = get_dim(root, "out_features", path, &d->out, err)) != EE_OK) goto done;
  if (d->in != in) {
    rc = ee_set_error(err, EE_ERR_FORMAT,
                      "in_features %d in %s does not match the %d values of the vector before "
                      "it (hidden_size, or the previous Dense module's out_features)",
                      d->in, path, in);
    goto done;
  }
  const json_t *bias = json_object_get(root, "bias");
  if (bias && !json_is_boolean(bias)) {
    rc = ee_set_error(err, EE_ERR_FORMAT, "\"bias\" in %s must be true or false", path);
    goto done;
  }
  d->bias = bias ? json_is_true(bias) : 1; /* nn.Linear's default */
  const char *act = json_string_value(json_object_get(root, "activation_function"));
  if (!act) {
    rc = ee_set_error(err, EE_ERR_FORMAT, "missing \"activation_function\" string in %s", path);
    goto done;
  }
  size_t k = 0, nacts = sizeof ACTS / sizeof ACTS[0];
  while (k < nacts && strcmp(act, ACTS[k].name) != 0) k++;
  if (k == nacts) {
    rc = ee_set_error(err, EE_ERR_UNSUPPORTED,
                      "unsupported activation_function '%.128s' in %s (supported: torch.nn "
                      "Identity, Tanh, ReLU, GELU, Sigmoid)", act, path);
    goto done;
  }
  d->act = ACTS[k].act;
  if ((rc = check_feature(root, "module_input_name", path, err)) != EE_OK) goto done;
  rc = check_feature(root, "module_output_name", path, err);
done:
  json_decref(root);
  return rc;
}

ee_status ee_dense_load(ee_dense *dw, const char *dir, const ee_dense_cfg *d, ee_error *err) {
  char sub[EE_PATH_MAX], path[EE_PATH_MAX], pickle[EE_PATH_MAX], hint[320];
  ee_status rc;
  memset(dw, 0, sizeof *dw);
  if ((rc = ee_module_dir(sub, dir, d->path, "Dense", err)) != EE_OK) return rc;
  if ((rc = ee_path_join(path, sub, "model.safetensors", err)) != EE_OK) return rc;
  if ((rc = ee_path_join(pickle, sub, "pytorch_model.bin", err)) != EE_OK) return rc;
  if ((rc = ee_weights_open_file(&dw->w, !ee_file_exists(path) && ee_file_exists(pickle) ? pickle : path,
                                  err)) != EE_OK)
    return rc;
  snprintf(hint, sizeof hint, "%s/config.json: out_features %d, in_features %d", d->path, d->out,
           d->in);
  if ((rc = ee_weights_bind(&dw->w, "linear.weight", d->out, d->in, hint, &dw->weight, err)) !=
      EE_OK)
    return rc;
  if (d->bias &&
      (rc = ee_weights_bind(&dw->w, "linear.bias", d->out, -1, hint, &dw->bias, err)) != EE_OK)
    return rc;
  ee_weights_unmap_unused(&dw->w);
  return EE_OK;
}

void ee_dense_free(ee_dense *dw) {
  if (!dw) return;
  ee_weights_free(&dw->w);
  memset(dw, 0, sizeof *dw);
}

static float activate(float x, ee_dense_act act) {
  switch (act) {
    case EE_DENSE_TANH: return tanhf(x);
    case EE_DENSE_RELU: return x > 0.0f ? x : 0.0f;
    case EE_DENSE_GELU: return (float)(0.5 * x * (1.0 + erf(x / sqrt(2.0)))); /* torch's default, exact erf */
    case EE_DENSE_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case EE_DENSE_IDENTITY: break;
  }
  return x;
}

void ee_dense_apply(const ee_dense *dw, const ee_dense_cfg *d, const float *x, float *y) {
  const int in = d->in;
  for (int o = 0; o < d->out; o++) {
    const float *w = dw->weight + (int64_t)o * in;
    float part[8] = {0};
    int i = 0;
    for (; i + 8 <= in; i += 8)
      for (int j = 0; j < 8; j++) part[j] += w[i + j] * x[i + j];
    float s = ((part[0] + part[4]) + (part[1] + part[5])) + ((part[2] + part[6]) + (part[3] + part[7]));
    for (; i < in; i++) s += w[i] * x[i];
    y[o] = activate(dw->bias ? s + dw->bias[o] : s, d->act);
  }
  if (d->norm) { /* nn.LayerNorm without bias: biased variance, as torch */
    double mean = 0.0, var = 0.0;
    for (int o = 0; o < d->out; o++) mean += y[o];
    mean /= d->out;
    for (int o = 0; o < d->out; o++) var += (y[o] - mean) * (y[o] - mean);
    const double inv = 1.0 / sqrt(var / d->out + d->norm_eps);
    for (int o = 0; o < d->out; o++) y[o] = (float)((y[o] - mean) * inv) * dw->norm_g[o];
  }
}
