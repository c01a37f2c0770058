/*
** config_nomic.c — a NomicBert config.json (model_type "nomic_bert", the
** trust_remote_code class of nomic-ai/nomic-embed-text-v1, v1.5 and
** v2-moe) into an ee_config.
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
**   (activation_function "swiglu") without biases in the products
**   (qkv_proj_bias, mlp_fc1_bias, mlp_fc2_bias false); or (v2-moe) a GELU
**   MLP (activation_function "gelu", fc1 and fc2, n_inner not rounded)
**   with or without those biases, and Mixture-of-Experts layers (moe_config).
** nomic-embed-text-v2-moe's config.json says nothing of the experts'
** activation: vLLM's, fastembed's (candle) and Tenstorrent's ports of the
** model all run them with activation_function's exact GELU.
** Absent keys take NomicBertConfig's and GPT2Config's defaults, so a SwiGLU
** file that leaves out qkv_proj_bias asks for biases (the default) and is
** refused.  The word embeddings have vocab_size rows rounded up to a
** multiple of pad_vocab_size_multiple, the SwiGLU FFN's n_inner (default
** 8/3 of n_embd) features rounded up to a multiple of 256, as the model
** builds them.
*/
#include "engine_int.h"
#include <jansson.h>
#include <string.h>

/* A boolean key, def when absent. */
static ee_status get_bool(const json_t *root, const char *key, int def, const char *path,
                          int *out, ee_error *err) {
  const json_t *v = json_object_get(root, key);
  if (!v || json_is_null(v)) { /* v2-moe's file has "use_rms_norm": null */
    *out = def;
    return EE_OK;
  }
  if (!json_is_boolean(v))
    return ee_set_error(err, EE_ERR_FORMAT, "\"%s\" in %s must be true or false", key, path);
  *out = json_is_true(v);
  return EE_OK;
}

/* The Mixture-of-Experts keys (nomic-embed-text-v2-moe: 8 experts, top 2,
** every other layer from layer 1).  Layer l is an MoE layer when
** moe_every_n_layers > 0 and l % moe_every_n_layers == 1, as the model
** builds its blocks.  What the published model does not use is refused:
** renormalised expert weights, shared experts, expert-choice routing (above),
** and experts with the gated MLP. */
static ee_status moe_config(const json_t *root, const char *path, int gated, ee_config *cfg,
                            ee_error *err) {
  ee_status rc;
  int experts = 0, top_k = 2 /* when absent: v2-moe's (its file has the key) */, every = 0, shared = 0;
  if ((rc = ee_json_int(root, "num_experts", 0, 0, 0, EE_MAX_EXPERTS, path, &experts, err)) != EE_OK ||
      (rc = ee_json_int(root, "moe_every_n_layers", 0, 0, 0, EE_MAX_DIM, path, &every, err)) != EE_OK ||
      (rc = ee_json_int(root, "num_shared_experts", 0, 0, 0, EE_MAX_EXPERTS, path, &shared, err)) != EE_OK)
    return rc;
  int any = 0;
  for (int l = 0; every > 0 && l < cfg->num_layers; l++) any |= l % every == 1;
  if (!any) return EE_OK; /* no MoE layer: the experts' keys are not used */
  if (experts == 0)
    return ee_set_error(err, EE_ERR_FORMAT, "moe_every_n_layers %d in %s asks for Mixture-of-Experts "
                        "layers, but num_experts is 0", every, path);
  if ((rc = ee_json_int(root, "moe_top_k", 0, 2, 1, experts, path, &top_k, err)) != EE_OK) return rc;
  if (shared != 0) {
    char got[16];
    snprintf(got, sizeof got, "%d", shared);
    return ee_refuse_setting(err, "NomicBert", path, "num_shared_experts", got, "0");
  }
  /* megablocks' p-norm order: false, null or 0 for raw probabilities */
  const json_t *norm = json_object_get(root, "moe_normalize_expert_weights");
  if (norm && !json_is_null(norm) && !json_is_false(norm) &&
      !(json_is_number(norm) && json_number_value(norm) == 0.0))
    return ee_refuse_setting(err, "NomicBert", path, "moe_normalize_expert_weights", "set",
                             "false (each expert weighed by its softmax probability)");
  if (gated)
    return ee_refuse_setting(err, "NomicBert", path, "activation_function",
                             "swiglu with num_experts", "gelu (the experts' GELU MLP)");
  cfg->moe_experts = experts, cfg->moe_top_k = top_k, cfg->moe_every = every;
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
  static const char *const acts[] = {"swiglu", "gelu", NULL};
  int act;
  if ((rc = ee_json_choice(root, "activation_function", "gelu_new" /* GPT2Config's default */, acts,
                           "NomicBert", path, &act, err)) != EE_OK)
    return rc;
  const int gated = act == 0;
  const json_t *ni = json_object_get(root, "n_inner");
  if (ni && !json_is_null(ni)) {
    if ((rc = ee_json_int(root, "n_inner", 0, 0, 1, EE_MAX_DIM, path, &n_inner, err)) != EE_OK)
      return rc;
  } else { /* GatedMLP's int(8 * in_features / 3); Mlp's 4 * in_features */
    n_inner = gated ? (int)(8.0 * cfg->hidden_size / 3.0) : 4 * cfg->hidden_size;
  }
  /* only the gated MLP rounds its width up to a multiple of 256 */
  cfg->intermediate_size = gated ? (n_inner + 255) / 256 * 256 : n_inner;
  if (cfg->intermediate_size > EE_MAX_DIM) /* only a rounded one can be */
    return ee_set_error(err, EE_ERR_FORMAT, "n_inner %d rounded up to a multiple of 256 is %d in %s, "
                        "out of range (1..%d)", n_inner, cfg->intermediate_size, path, EE_MAX_DIM);

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

  cfg->glu = gated;
  cfg->act = EE_ACT_GELU; /* swiglu: unused, the gate's SiLU is the FFN's activation */
  cfg->act_name = gated ? "swiglu" : "gelu";

  /* Settings that change the computation, each with its default, and the
  ** value the engine computes; want -1: either (v2-moe's biases, read
  ** into cfg), with swiglu only false (v1 and v1.5 have none). */
  struct { const char *key; int def, want; int *out; } flags[] = {
    {"prenorm", 0, 0, NULL},        {"parallel_block", 0, 0, NULL}, {"use_rms_norm", 0, 0, NULL},
    {"causal", 0, 0, NULL},         {"rotary_emb_interleaved", 0, 0, NULL},
    {"rotary_head_dim", 0, 0, NULL}, {"expert_choice_router", 0, 0, NULL},
    {"qkv_proj_bias", 1, gated ? 0 : -1, &cfg->bias_qkv},
    {"mlp_fc1_bias", 1, gated ? 0 : -1, &cfg->bias_fc1},
    {"mlp_fc2_bias", 1, gated ? 0 : -1, &cfg->bias_fc2},
  };
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
    int v = 0;
    if ((rc = get_bool(root, flags[i].key, flags[i].def, path, &v, err)) != EE_OK) return rc;
    if (flags[i].want >= 0 && v != flags[i].want)
      return ee_refuse_setting(err, "NomicBert", path, flags[i].key, v ? "true" : "false",
                               flags[i].want ? "true" : "false");
    if (flags[i].out) *flags[i].out = v;
  }
  if ((rc = moe_config(root, path, gated, cfg, err)) != EE_OK) return rc;
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
