/*
** config_nomic.c — a NomicBert config.json (model_type "nomic_bert", the
** trust_remote_code class of nomic-ai/nomic-embed-text-v1 and v1.5) into an
** ee_config.
**
** NomicBertConfig is a GPT2Config: sizes are n_embd, n_layer, n_head,
** n_inner, n_positions, layer_norm_epsilon.  Its model
** (modeling_hf_nomic_bert.py) can be built many ways; the engine computes
** the one the published embedding models use, and every other setting is
** refused by name rather than computed wrong:
**   post-LayerNorm blocks (prenorm false, parallel_block false, LayerNorm
**   not RMSNorm), bidirectional (causal false), rotary positions over the
**   whole head (rotary_emb_fraction 1) in GPT-NeoX's layout
**   (rotary_emb_interleaved false) without xPos (rotary_emb_scale_base
**   null) or NTK scaling (rotary_scaling_factor null: with it the angles
**   change with the padded batch's length), a SwiGLU FFN
**   (activation_function "swiglu"), no biases in the products
**   (qkv_proj_bias, mlp_fc1_bias, mlp_fc2_bias false).
** Absent keys take NomicBertConfig's and GPT2Config's defaults, so a file
** that leaves out qkv_proj_bias asks for biases (the default) and is
** refused.  The word embeddings have vocab_size rows rounded up to a
** multiple of pad_vocab_size_multiple, the FFN n_inner (default 8/3 of
** n_embd) features rounded up to a multiple of 256, as the model builds
** them.
*/
#include "engine_int.h"
#include <jansson.h>
#include <string.h>

/* A boolean key, def when absent. */
static ee_status get_bool(const json_t *root, const char *key, int def, const char *path,
                          int *out, ee_error *err) {
  const json_t *v = json_object_get(root, key);
  if (!v) {
    *out = def;
    return EE_OK;
  }
  if (!json_is_boolean(v))
    return ee_set_error(err, EE_ERR_FORMAT, "\"%s\" in %s must be true or false", key, path);
  *out = json_is_true(v);
  return EE_OK;
}

ee_status ee_nomic_config(const json_t *root, const char *path, ee_config *cfg, ee_error *err) {
  ee_status rc;
  int n_inner = 0, pad_multiple = 1;
  struct { const char *key; int def, lo; int *out; } ints[] = {
    {"n_embd", 768, 1, &cfg->hidden_size},
    {"n_layer", 12, 1, &cfg->num_layers},
    {"n_head", 12, 1, &cfg->num_heads},
    {"vocab_size", 50257, 1, &cfg->vocab_size},
    {"n_positions", 1024, 1, &cfg->max_position_embeddings},
    {"type_vocab_size", 2, 1, &cfg->type_vocab_size},
    {"pad_vocab_size_multiple", 1, 1, &pad_multiple},
  };
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
    if ((rc = ee_json_int(root, ints[i].key, 0, ints[i].def, ints[i].lo, EE_MAX_DIM, path,
                          ints[i].out, err)) != EE_OK)
      return rc;
  if ((rc = ee_head_dim(cfg, "n_embd", "n_head", 0, path, err)) != EE_OK) return rc;
  /* NomicBertModel pads the embedding table itself */
  cfg->vocab_size = (cfg->vocab_size + pad_multiple - 1) / pad_multiple * pad_multiple;
  if (cfg->vocab_size > EE_MAX_DIM)
    return ee_set_error(err, EE_ERR_FORMAT,
                        "vocab_size rounded up to pad_vocab_size_multiple %d is %d in %s, out of "
                        "range (1..%d)", pad_multiple, cfg->vocab_size, path, EE_MAX_DIM);
  const json_t *ni = json_object_get(root, "n_inner");
  if (ni && !json_is_null(ni)) {
    if ((rc = ee_json_int(root, "n_inner", 0, 0, 1, EE_MAX_DIM, path, &n_inner, err)) != EE_OK)
      return rc;
  } else {
    n_inner = (int)(8.0 * cfg->hidden_size / 3.0); /* GatedMLP's int(8 * in_features / 3) */
  }
  cfg->intermediate_size = (n_inner + 255) / 256 * 256;

  double eps, fraction, base;
  if ((rc = ee_json_number(root, "layer_norm_epsilon", 1e-5, 0.0, 1.0, 0, path, &eps, err)) != EE_OK ||
      (rc = ee_json_number(root, "rotary_emb_fraction", 0.0, 0.0, 2.0, 0, path, &fraction, err)) != EE_OK ||
      (rc = ee_json_number(root, "rotary_emb_base", 10000.0, 1.0, 1e12, 0, path, &base, err)) != EE_OK)
    return rc;
  cfg->layer_norm_eps = (float)eps;
  if (fraction != 1.0) {
    char got[32];
    snprintf(got, sizeof got, "%g", fraction);
    return ee_refuse_setting(err, "NomicBert", path, "rotary_emb_fraction", got,
                  "1, rotary positions over the whole head; 0 means learned positions");
  }
  if ((rc = ee_head_dim(cfg, "n_embd", "n_head", 1, path, err)) != EE_OK) return rc;
  cfg->rotary = 1;
  cfg->rotary_base = (float)base;

  static const char *const swiglu[] = {"swiglu", NULL};
  int only;
  if ((rc = ee_json_choice(root, "activation_function", "gelu_new" /* GPT2Config's default */, swiglu,
                           "NomicBert", path, &only, err)) != EE_OK)
    return rc;
  cfg->glu = 1;
  cfg->act = EE_ACT_GELU; /* unused: the gate's SiLU is the FFN's activation */
  cfg->act_name = "swiglu";

  /* Settings that change the computation, each with its default, and the
  ** value the engine computes. */
  static const struct { const char *key; int def, want; } flags[] = {
    {"prenorm", 0, 0},        {"parallel_block", 0, 0}, {"use_rms_norm", 0, 0},
    {"causal", 0, 0},         {"rotary_emb_interleaved", 0, 0}, {"rotary_head_dim", 0, 0},
    {"qkv_proj_bias", 1, 0},  {"mlp_fc1_bias", 1, 0},   {"mlp_fc2_bias", 1, 0},
  };
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
    int v = 0;
    if ((rc = get_bool(root, flags[i].key, flags[i].def, path, &v, err)) != EE_OK) return rc;
    if (v != flags[i].want)
      return ee_refuse_setting(err, "NomicBert", path, flags[i].key, v ? "true" : "false", flags[i].want ? "true" : "false");
  }
  /* Settings whose absence (null) the engine computes. */
  static const struct { const char *key, *set; } nulls[] = {
    {"rotary_emb_scale_base", "set (xPos scaling)"},
    {"rotary_scaling_factor", "set (dynamic NTK scaling: angles that change with the padded "
                              "batch's length)"},
  };
  for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++) {
    const json_t *v = json_object_get(root, nulls[i].key);
    /* the model tests "if config.rotary_scaling_factor:", so 0 is off too */
    if (v && !json_is_null(v) && !(json_is_number(v) && json_number_value(v) == 0.0))
      return ee_refuse_setting(err, "NomicBert", path, nulls[i].key, nulls[i].set, "null");
  }
  const json_t *kv = json_object_get(root, "num_heads_kv");
  if (kv && !json_is_null(kv) &&
      !(json_is_integer(kv) && json_integer_value(kv) == cfg->num_heads))
    return ee_refuse_setting(err, "NomicBert", path, "num_heads_kv", "not n_head", "null or n_head");
  return EE_OK;
}
