/*
** config_gte.c — a GTE v1.5 config.json (model_type "new", the
** trust_remote_code NewModel of Alibaba-NLP/gte-base-en-v1.5,
** gte-large-en-v1.5 and gte-multilingual-base, and their
** NewForSequenceClassification rerankers) into an ee_config.
**
** NewModel is BERT's post-LayerNorm encoder with three changes: rotary
** positions (GPT-NeoX halves, over the whole head) in place of a position
** table, a gated FFN (up_gate_proj's rows [0, I) the "up" half, [I, 2I)
** the gate: down_proj(act(gate) * up)), and an optional token-type table
** (type_vocab_size 0 means none).  Its rotary angles may be NTK-scaled
** (rope_scaling {"type": "ntk", "factor": f}): the model's __init__ always
** rebuilds its table with base rope_theta * f and inverse frequencies
** divided by f^(2/d) when f > 1, so the scaling is fixed, not a function of
** the batch.  Keys that change the computation otherwise (RMSNorm, learned
** positions, logn attention scaling, mixed NTK) are refused by name;
** pack_qkv picks fused or separate Q/K/V tensors (weights.c);
** unpad_inputs and use_memory_efficient_attention only change how torch
** schedules the same sums.  Absent keys take NewConfig's defaults.
*/
#include "engine_int.h"
#include <jansson.h>
#include <math.h>
#include <string.h>

/* rope_scaling: null, or {"type": "ntk", "factor": f >= 1} without mixed_b. */
static ee_status ntk_scaling(const json_t *root, const char *path, double *factor, ee_error *err) {
  const json_t *rs = json_object_get(root, "rope_scaling");
  *factor = 1.0;
  if (!rs || json_is_null(rs)) return EE_OK;
  if (!json_is_object(rs))
    return ee_set_error(err, EE_ERR_FORMAT, "\"rope_scaling\" in %s must be an object or null", path);
  const char *type = json_string_value(json_object_get(rs, "type"));
  if (!type) return ee_set_error(err, EE_ERR_FORMAT, "\"rope_scaling\" in %s has no \"type\" string", path);
  if (strcmp(type, "ntk") != 0) {
    char got[80];
    snprintf(got, sizeof got, "type '%.64s'", type);
    return ee_refuse_setting(err, "GTE", path, "rope_scaling", got, "null, type ntk");
  }
  const json_t *mixed = json_object_get(rs, "mixed_b");
  if (mixed && !json_is_null(mixed))
    return ee_refuse_setting(err, "GTE", path, "rope_scaling", "mixed_b set (mixed NTK)",
                             "null, type ntk without mixed_b");
  const json_t *f = json_object_get(rs, "factor");
  if (!json_is_number(f))
    return ee_set_error(err, EE_ERR_FORMAT, "\"rope_scaling\" in %s has no \"factor\" number", path);
  *factor = json_number_value(f);
  /* Below 1 the model scales only the texts longer than the table it built
  ** (max_position_embeddings x factor): angles that change with length. */
  if (!(*factor >= 1.0 && *factor <= 1e6)) {
    char got[64];
    snprintf(got, sizeof got, "factor %g", *factor);
    return ee_refuse_setting(err, "GTE", path, "rope_scaling", got, "factor 1..1e6");
  }
  return EE_OK;
}

ee_status ee_gte_config(const json_t *root, const char *path, ee_config *cfg, ee_error *err) {
  ee_status rc;
  struct { const char *key; int def, lo; int *out; } ints[] = {
    {"hidden_size", 768, 1, &cfg->hidden_size},
    {"num_hidden_layers", 12, 1, &cfg->num_layers},
    {"num_attention_heads", 12, 1, &cfg->num_heads},
    {"intermediate_size", 3072, 1, &cfg->intermediate_size},
    {"vocab_size", 30528, 1, &cfg->vocab_size},
    {"max_position_embeddings", 2048, 1, &cfg->max_position_embeddings},
    {"type_vocab_size", 1, 0, &cfg->type_vocab_size},
  };
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
    if ((rc = ee_json_int(root, ints[i].key, 0, ints[i].def, ints[i].lo, EE_MAX_DIM, path,
                          ints[i].out, err)) != EE_OK)
      return rc;
  if ((rc = ee_head_dim(cfg, "hidden_size", "num_attention_heads", 1, path, err)) != EE_OK) return rc;
  if (cfg->type_vocab_size == 0) /* no table: a zero row (weights.c), pairs typed 0 */
    cfg->type_vocab_size = 1, cfg->no_token_types = 1;

  static const char *const rope[] = {"rope", NULL}, *const layer_norm[] = {"layer_norm", NULL};
  int only;
  if ((rc = ee_json_choice(root, "position_embedding_type", "rope", rope, "GTE", path, &only, err)) != EE_OK ||
      (rc = ee_json_choice(root, "layer_norm_type", "layer_norm", layer_norm, "GTE", path, &only, err)) != EE_OK)
    return rc;
  const json_t *logn = json_object_get(root, "logn_attention_scale");
  if (logn && !json_is_boolean(logn))
    return ee_set_error(err, EE_ERR_FORMAT, "\"logn_attention_scale\" in %s must be true or false", path);
  if (json_is_true(logn)) return ee_refuse_setting(err, "GTE", path, "logn_attention_scale", "true", "false");
  const json_t *pack = json_object_get(root, "pack_qkv");
  if (pack && !json_is_boolean(pack))
    return ee_set_error(err, EE_ERR_FORMAT, "\"pack_qkv\" in %s must be true or false", path);
  cfg->split_qkv = json_is_false(pack);

  double eps, theta, factor;
  if ((rc = ee_json_number(root, "layer_norm_eps", 1e-12, 0.0, 1.0, 0, path, &eps, err)) != EE_OK ||
      (rc = ee_json_number(root, "rope_theta", 10000.0, 1.0, 1e12, 0, path, &theta, err)) != EE_OK ||
      (rc = ntk_scaling(root, path, &factor, err)) != EE_OK)
    return rc;
  cfg->layer_norm_eps = (float)eps;
  cfg->rotary = 1;
  /* NTKScalingRotaryEmbedding: base rope_theta * f (a Python float
  ** product), inv_freq / f ** (2 / d) */
  cfg->rotary_base = (float)(theta * factor);
  cfg->rotary_divisor = factor > 1.0 ? (float)pow(factor, 2.0 / cfg->head_dim) : 1.0f;

  /* GELU (erf), its tanh form, or SiLU (NomicBert's up * silu(gate)) */
  static const char *const acts[] = {"gelu", "gelu_new", "gelu_pytorch_tanh", "silu", "swish", NULL};
  int a;
  if ((rc = ee_json_choice(root, "hidden_act", "gelu", acts, "GTE", path, &a, err)) != EE_OK) return rc;
  cfg->glu = 1;
  cfg->glu_act = a < 3; /* act(gate) * up: weights.c holds the gate half as g_w */
  cfg->act = a == 1 || a == 2 ? EE_ACT_GELU_TANH : EE_ACT_GELU;
  cfg->act_name = a == 0 ? "geglu" : a < 3 ? "geglu_tanh" : "swiglu";
  return EE_OK;
}
