/*
** config_modernbert.c — a ModernBERT config.json (model_type "modernbert",
** transformers' ModernBertConfig: answerdotai/ModernBERT-base and -large,
** nomic-ai/modernbert-embed-base, Alibaba-NLP/gte-modernbert-base,
** lightonai/modernbert-embed-large) into an ee_config.
**
** ModernBertModel is a pre-LayerNorm encoder: each layer adds attention of
** LayerNorm(x) to x (layer 0 reads the embeddings' output itself), then
** Wo(act(input) * gate) of LayerNorm(x), where Wi gives input and gate side
** by side; a final LayerNorm closes it.  Positions are rotary (GPT-NeoX's
** halves, the whole head); every global_attn_every_n_layers-th layer,
** starting with layer 0, attends to the whole text with global_rope_theta,
** the others only to keys within local_attention / 2 tokens, with
** local_rope_theta.  The published models have no biases anywhere (the
** LayerNorms' included): attention_bias, mlp_bias and norm_bias true, which
** nothing published uses, are refused by name rather than computed.
** Absent keys take ModernBertConfig's defaults.
*/
#include "engine_int.h"
#include <jansson.h>
#include <string.h>

ee_status ee_modernbert_config(const json_t *root, const char *path, ee_config *cfg,
                               ee_error *err) {
  ee_status rc;
  int local_attention = 128;
  struct { const char *key; int def, lo; int *out; } ints[] = {
    {"hidden_size", 768, 1, &cfg->hidden_size},
    {"num_hidden_layers", 22, 1, &cfg->num_layers},
    {"num_attention_heads", 12, 1, &cfg->num_heads},
    {"intermediate_size", 1152, 1, &cfg->intermediate_size},
    {"vocab_size", 50368, 1, &cfg->vocab_size},
    {"max_position_embeddings", 8192, 1, &cfg->max_position_embeddings},
    {"global_attn_every_n_layers", 3, 1, &cfg->global_every},
    {"local_attention", 128, 0, &local_attention},
    {"cls_token_id", 50281, 0, &cfg->bos_token_id},
    {"sep_token_id", 50282, 0, &cfg->eos_token_id},
  };
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
    if ((rc = ee_json_int(root, ints[i].key, 0, ints[i].def, ints[i].lo, EE_MAX_DIM, path,
                          ints[i].out, err)) != EE_OK)
      return rc;
  if ((rc = ee_head_dim(cfg, "hidden_size", "num_attention_heads", 1, path, err)) != EE_OK) return rc;
  cfg->type_vocab_size = 1; /* no token types: a zero row (weights.c) */
  cfg->no_token_types = 1;
  cfg->window = local_attention / 2; /* HF: keys with |i - j| <= local_attention // 2 */

  double eps, theta, local_theta;
  if ((rc = ee_json_number(root, "norm_eps", 1e-5, 0.0, 1.0, 1, path, &eps, err)) != EE_OK ||
      (rc = ee_json_number(root, "global_rope_theta", 160000.0, 1.0, 1e12, 1, path, &theta, err)) != EE_OK ||
      (rc = ee_json_number(root, "local_rope_theta", theta, 1.0, 1e12, 1, path, &local_theta, err)) != EE_OK)
    return rc;
  cfg->layer_norm_eps = (float)eps;
  cfg->rotary = 1;
  cfg->rotary_base = (float)theta;
  cfg->rotary_base_local = (float)local_theta;

  static const char *const acts[] = {"gelu", "gelu_new", "gelu_pytorch_tanh", NULL};
  int a;
  if ((rc = ee_json_choice(root, "hidden_activation", "gelu", acts, "ModernBERT", path, &a, err)) !=
      EE_OK)
    return rc;
  cfg->act = a == 0 ? EE_ACT_GELU : EE_ACT_GELU_TANH;
  cfg->act_name = a == 0 ? "geglu" : "geglu_tanh";
  cfg->glu = 1;
  cfg->glu_act = 1; /* act(input) * gate, not NomicBert's up * silu(gate) */
  cfg->prenorm = 1;

  static const char *const no_bias[] = {"attention_bias", "mlp_bias", "norm_bias"};
  for (size_t i = 0; i < sizeof no_bias / sizeof no_bias[0]; i++) {
    const json_t *v = json_object_get(root, no_bias[i]);
    if (v && !json_is_boolean(v))
      return ee_set_error(err, EE_ERR_FORMAT, "\"%s\" in %s must be true or false", no_bias[i], path);
    if (json_is_true(v)) return ee_refuse_setting(err, "ModernBERT", path, no_bias[i], "true", "false");
  }
  return EE_OK;
}
