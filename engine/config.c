/*
** config.c — read a model directory's JSON settings into an ee_config.
**
**   ee_config cfg;
**   if (ee_config_load(dir, &cfg, &err) == EE_OK &&
**       ee_st_config_load(dir, &cfg, &err) == EE_OK) ... cfg.hidden_size ...
**
** config.json (Hugging Face BertConfig) gives the architecture:
**   {"model_type": "bert", "hidden_size": 384, "num_hidden_layers": 6,
**    "num_attention_heads": 12, "intermediate_size": 1536,
**    "vocab_size": 30522, "max_position_embeddings": 512,
**    "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}
** model_type "bert" with absolute position embeddings, "distilbert"
** (DistilBertConfig: dim, n_layers, n_heads, hidden_dim, activation; no
** token types, LayerNorm eps 1e-12; the same post-LayerNorm encoder, its
** tensors named otherwise: weights.c) or "mpnet" (MPNetConfig: BERT's
** keys, no token types, positions from pad_token_id + 1, a relative
** position bias in attention) or "roberta" / "xlm-roberta" (BERT's keys
** and tensors, positions from pad_token_id + 1, LayerNorm eps as the file
** says: 1e-5 in every published one) or "nomic_bert" (GPT-2's keys, rotary
** positions, a gated FFN: config_nomic.c) or "modernbert"
** (config_modernbert.c) or "new" (GTE v1.5: config_gte.c) is accepted;
** every integer must lie in 1..EE_MAX_DIM so later size arithmetic in int64
** cannot overflow.  type_vocab_size (2), layer_norm_eps (1e-12) and
** hidden_act ("gelu") default as in transformers' BertConfig, DistilBERT's
** sizes as in DistilBertConfig.
**
** The sentence-transformers files, all optional, choose how token vectors
** become one sentence vector:
**   modules.json                  [{"type": "sentence_transformers.models.Pooling",
**                                   "path": "1_Pooling"}, {"type": "...Normalize"}]
**   <pooling path>/config.json    {"pooling_mode_mean_tokens": true, ...}
**   <dense path>/config.json      {"in_features": 768, "out_features": 768, ...} (dense.c)
**   sentence_bert_config.json     {"max_seq_length": 256, "do_lower_case": false}
** (config_sentence_transformers.json's prompts: prompts.c.)
** Modules other than Transformer, Pooling, Dense and Normalize (LayerNorm,
** WordWeights, ...) would change the output, so they are refused rather
** than silently skipped.
*/
#include "engine_int.h"
#include <jansson.h>
#include <string.h>

ee_status ee_json_number(const json_t *root, const char *key, double def, double lo, double hi,
                         int null_ok, const char *path, double *out, ee_error *err) {
  const json_t *v = json_object_get(root, key);
  if (!v || (null_ok && json_is_null(v))) {
    *out = def;
    return EE_OK;
  }
  if (!json_is_number(v))
    return ee_set_error(err, EE_ERR_FORMAT, "\"%s\" in %s must be a number", key, path);
  const double x = json_number_value(v);
  if (!(x >= lo && x < hi)) /* also NaN */
    return ee_set_error(err, EE_ERR_FORMAT, "\"%s\" in %s is %g, out of range [%g, %g)", key,
                        path, x, lo, hi);
  *out = x;
  return EE_OK;
}

ee_status ee_refuse_setting(ee_error *err, const char *model, const char *path, const char *key,
                            const char *got, const char *supported) {
  return ee_set_error(err, EE_ERR_UNSUPPORTED,
                      "unsupported %s setting \"%s\": %s in %s (supported: %s)", model, key, got,
                      path, supported);
}

ee_status ee_json_choice(const json_t *root, const char *key, const char *def,
                         const char *const *names, const char *model, const char *path, int *out,
                         ee_error *err) {
  const json_t *v = json_object_get(root, key);
  const char *s = v ? json_string_value(v) : def;
  if (!s) return ee_set_error(err, EE_ERR_FORMAT, "\"%s\" in %s must be a string", key, path);
  char supported[256] = "";
  size_t len = 0;
  for (int i = 0; names[i]; i++) {
    if (strcmp(s, names[i]) == 0) {
      *out = i;
      return EE_OK;
    }
    len += (size_t)snprintf(supported + len, sizeof supported - len, "%s%s", i ? ", " : "", names[i]);
    if (len >= sizeof supported) len = sizeof supported - 1;
  }
  char got[80];
  snprintf(got, sizeof got, "'%.64s'", s);
  return ee_refuse_setting(err, model, path, key, got, supported);
}

ee_status ee_head_dim(ee_config *cfg, const char *hkey, const char *nkey, int rotary,
                      const char *path, ee_error *err) {
  if (cfg->hidden_size % cfg->num_heads != 0)
    return ee_set_error(err, EE_ERR_FORMAT, "%s %d is not divisible by %s %d in %s", hkey,
                        cfg->hidden_size, nkey, cfg->num_heads, path);
  cfg->head_dim = cfg->hidden_size / cfg->num_heads;
  if (rotary && cfg->head_dim % 2 != 0)
    return ee_set_error(err, EE_ERR_FORMAT,
                        "head size %s / %s = %d in %s is odd: rotary positions turn pairs", hkey,
                        nkey, cfg->head_dim, path);
  return EE_OK;
}

ee_status ee_json_int(const json_t *root, const char *key, int required, int def,
                         int lo, int hi, const char *path, int *out, ee_error *err) {
  const json_t *v = json_object_get(root, key);
  if (!v) {
    if (required)
      return ee_set_error(err, EE_ERR_FORMAT, "missing \"%s\" in %s", key, path);
    *out = def;
    return EE_OK;
  }
  if (!json_is_integer(v))
    return ee_set_error(err, EE_ERR_FORMAT, "\"%s\" in %s must be an integer", key, path);
  json_int_t x = json_integer_value(v);
  if (x < lo || x > hi)
    return ee_set_error(err, EE_ERR_FORMAT, "\"%s\" in %s is %lld, out of range (%d..%d)", key,
                        path, (long long)x, lo, hi);
  *out = (int)x;
  return EE_OK;
}

/* The keys MPNetConfig and RobertaConfig add to BERT's (defaults as
** there): pad_token_id numbers the positions, bos/eos_token_id are checked
** against the tokenizer (model_load.c).  MPNet's relative attention bias
** has relative_attention_num_buckets rows, of which transformers' PyTorch
** MPNet always uses 32 (its compute_position_bias ignores the setting,
** TensorFlow's does not), so only 32 is accepted. */
static ee_status padded_positions_config(const json_t *root, const char *path, ee_config *cfg,
                                         ee_error *err) {
  int pad, buckets = EE_MPNET_BUCKETS;
  ee_status rc;
  if ((rc = ee_json_int(root, "pad_token_id", 0, 1, 0, EE_MAX_DIM, path, &pad, err)) != EE_OK ||
      (rc = ee_json_int(root, "bos_token_id", 0, 0, 0, EE_MAX_DIM, path, &cfg->bos_token_id, err)) != EE_OK ||
      (rc = ee_json_int(root, "eos_token_id", 0, 2, 0, EE_MAX_DIM, path, &cfg->eos_token_id, err)) != EE_OK)
    return rc;
  if (cfg->arch == EE_ARCH_MPNET &&
      (rc = ee_json_int(root, "relative_attention_num_buckets", 0, EE_MPNET_BUCKETS, 1, EE_MAX_DIM, path,
                    &buckets, err)) != EE_OK)
    return rc;
  if (buckets != EE_MPNET_BUCKETS)
    return ee_set_error(err, EE_ERR_UNSUPPORTED,
                        "\"relative_attention_num_buckets\" in %s is %d (supported: %d, what "
                        "transformers' MPNetModel uses)", path, buckets, EE_MPNET_BUCKETS);
  /* positions pad + 1 .. pad + n must exist for at least one token */
  if (pad > cfg->max_position_embeddings - 2)
    return ee_set_error(err, EE_ERR_FORMAT,
                        "\"pad_token_id\" %d in %s leaves no positions: positions start at %d "
                        "and max_position_embeddings is %d", pad, path, pad + 1,
                        cfg->max_position_embeddings);
  cfg->pad_position = pad;
  cfg->position_offset = pad + 1;
  return EE_OK;
}

ee_status ee_config_load(const char *dir, ee_config *cfg, ee_error *err) {
  char path[EE_PATH_MAX];
  json_t *root = NULL;
  ee_status rc = ee_path_join(path, dir, "config.json", err);
  if (rc != EE_OK) return rc;
  memset(cfg, 0, sizeof *cfg);
  if ((rc = ee_load_json(path, 0, &root, err)) != EE_OK) return rc;
  rc = ee_config_from_json(root, path, cfg, err);
  json_decref(root);
  return rc;
}

/* The tables weights.c derives from positions (rotary angles, ALiBi and
** MPNet's relative bias) come from config.json alone, not from the file's
** tensors, so a hostile config could ask for terabytes: each must hold at
** most EE_MAX_TABLE_FLOATS (the published models need a few MB). */
static ee_status position_tables_fit(const ee_config *cfg, const char *path, ee_error *err) {
  const int64_t P = cfg->max_position_embeddings - cfg->position_offset, NH = cfg->num_heads;
  int64_t floats = 0;
  const char *what = NULL;
  if (cfg->rotary) floats = P * cfg->head_dim, what = "rotary angles";
  if (cfg->alibi) floats = NH * (2 * P - 1), what = "ALiBi biases";
  if (cfg->arch == EE_ARCH_MPNET) floats = NH * (2 * P - 1), what = "relative position biases";
  if (floats <= EE_MAX_TABLE_FLOATS) return EE_OK;
  return ee_set_error(err, EE_ERR_UNSUPPORTED,
                      "%s for max_position_embeddings %d and %d heads of %d in %s would take "
                      "%lld floats, over the limit of %lld", what, cfg->max_position_embeddings,
                      cfg->num_heads, cfg->head_dim, path, (long long)floats,
                      (long long)EE_MAX_TABLE_FLOATS);
}

/* JinaBert (jinaai/jina-bert-implementation, the trust_remote_code model of
** jina-embeddings-v2-small-en / -base-en / -base-de / -base-zh / -base-es
** and jina-reranker-v1): BERT's keys with position_embedding_type "alibi"
** and a gated FFN by feed_forward_type, its activation nn.GELU() (erf) for
** geglu or nn.ReLU() for reglu whatever hidden_act says.  "original" (BERT's
** FFN under other names) is refused rather than guessed. */
static ee_status jina_config(const json_t *root, const char *path, ee_config *cfg, ee_error *err) {
  static const char *const types[] = {"geglu", "reglu", NULL};
  int t;
  ee_status rc = ee_json_choice(root, "feed_forward_type", "original" /* JinaBertConfig's default */,
                                types, "JinaBert", path, &t, err);
  if (rc != EE_OK) return rc;
  cfg->act = t == 0 ? EE_ACT_GELU : EE_ACT_RELU;
  cfg->act_name = types[t];
  cfg->alibi = 1;
  cfg->glu = 1;
  cfg->glu_act = 1; /* act(g_w x) * (i_w x), the gated half first (weights.c) */
  return EE_OK;
}

ee_status ee_config_from_json(const json_t *root, const char *path, ee_config *cfg, ee_error *err) {
  ee_status rc = EE_OK;
  memset(cfg, 0, sizeof *cfg);
  if (!json_is_object(root)) {
    rc = ee_set_error(err, EE_ERR_FORMAT, "%s is not a JSON object", path);
    goto done;
  }

  const json_t *mt = json_object_get(root, "model_type");
  if (!json_is_string(mt)) {
    rc = ee_set_error(err, EE_ERR_FORMAT, "missing \"model_type\" string in %s", path);
    goto done;
  }
  static const ee_arch archs[] = {EE_ARCH_BERT, EE_ARCH_DISTILBERT, EE_ARCH_MPNET, EE_ARCH_ROBERTA,
                                   EE_ARCH_XLM_ROBERTA, EE_ARCH_NOMIC_BERT, EE_ARCH_MODERNBERT,
                                   EE_ARCH_GTE};
  size_t ai = 0, na = sizeof archs / sizeof archs[0];
  while (ai < na && strcmp(json_string_value(mt), ee_arch_name(archs[ai])) != 0) ai++;
  if (ai == na) {
    rc = ee_set_error(err, EE_ERR_UNSUPPORTED,
                      "unsupported model_type '%.64s' in %s (supported: bert, distilbert, mpnet, "
                      "roberta, xlm-roberta, nomic_bert, modernbert, new: GTE v1.5)",
                      json_string_value(mt), path);
    goto done;
  }
  cfg->arch = archs[ai];
  cfg->position_offset = 0;
  cfg->pad_position = cfg->bos_token_id = cfg->eos_token_id = -1;
  if (cfg->arch == EE_ARCH_NOMIC_BERT) { /* GPT-2's keys: config_nomic.c */
    if ((rc = ee_nomic_config(root, path, cfg, err)) != EE_OK) goto done;
    goto sentence_defaults;
  }
  if (cfg->arch == EE_ARCH_MODERNBERT || cfg->arch == EE_ARCH_GTE) {
    rc = cfg->arch == EE_ARCH_GTE ? ee_gte_config(root, path, cfg, err)
                                  : ee_modernbert_config(root, path, cfg, err);
    if (rc != EE_OK) goto done;
    goto sentence_defaults;
  }
  const int distil = cfg->arch == EE_ARCH_DISTILBERT, mpnet = cfg->arch == EE_ARCH_MPNET;

  /* DistilBertConfig names its sizes dim, n_layers, n_heads, hidden_dim and
  ** defaults every one (as transformers does when a key is absent); it has
  ** no token types (the engine adds a zero row: type_vocab_size 1). */
  struct { const char *key; int required, def, lo, hi; int *out; } ints[] = {
    {distil ? "dim" : "hidden_size", !distil, 768, 1, EE_MAX_DIM, &cfg->hidden_size},
    {distil ? "n_layers" : "num_hidden_layers", !distil, 6, 1, EE_MAX_DIM, &cfg->num_layers},
    {distil ? "n_heads" : "num_attention_heads", !distil, 12, 1, EE_MAX_DIM, &cfg->num_heads},
    {distil ? "hidden_dim" : "intermediate_size", !distil, 3072, 1, EE_MAX_DIM, &cfg->intermediate_size},
    {"vocab_size", !distil, 30522, 1, EE_MAX_DIM, &cfg->vocab_size},
    {"max_position_embeddings", !distil, 512, 1, EE_MAX_DIM, &cfg->max_position_embeddings},
    {"type_vocab_size", 0, 2, 1, EE_MAX_DIM, &cfg->type_vocab_size},
  };
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    /* neither has token types: set to 1 below */
    if ((distil || mpnet) && strcmp(ints[i].key, "type_vocab_size") == 0) continue;
    rc = ee_json_int(root, ints[i].key, ints[i].required, ints[i].def, ints[i].lo, ints[i].hi, path,
                 ints[i].out, err);
    if (rc != EE_OK) goto done;
  }
  if (distil || mpnet) cfg->type_vocab_size = 1, cfg->no_token_types = 1;
  const int roberta = cfg->arch == EE_ARCH_ROBERTA || cfg->arch == EE_ARCH_XLM_ROBERTA;
  if ((mpnet || roberta) && (rc = padded_positions_config(root, path, cfg, err)) != EE_OK) goto done;
  if ((rc = ee_head_dim(cfg, ints[0].key, ints[2].key, 0, path, err)) != EE_OK) goto done;

  /* DistilBERT's LayerNorms are built with eps 1e-12, whatever the file says. */
  const json_t *eps = distil ? NULL : json_object_get(root, "layer_norm_eps");
  double e = 1e-12;
  if (eps) {
    if (!json_is_number(eps)) {
      rc = ee_set_error(err, EE_ERR_FORMAT, "\"layer_norm_eps\" in %s must be a number", path);
      goto done;
    }
    e = json_number_value(eps);
    if (!(e >= 0.0 && e < 1.0)) { /* also rejects NaN */
      rc = ee_set_error(err, EE_ERR_FORMAT, "\"layer_norm_eps\" in %s is %g, out of range [0, 1)",
                        path, e);
      goto done;
    }
  }
  cfg->layer_norm_eps = (float)e;

  const char *act_key = distil ? "activation" : "hidden_act";
  const json_t *act = json_object_get(root, act_key);
  const char *a = act ? json_string_value(act) : "gelu";
  if (!a) {
    rc = ee_set_error(err, EE_ERR_FORMAT, "\"%s\" in %s must be a string", act_key, path);
    goto done;
  }
  if (strcmp(a, "gelu") == 0) {
    cfg->act = EE_ACT_GELU, cfg->act_name = "gelu";
  } else if (strcmp(a, "gelu_new") == 0 || strcmp(a, "gelu_pytorch_tanh") == 0) {
    cfg->act = EE_ACT_GELU_TANH, cfg->act_name = "gelu_new";
  } else if (strcmp(a, "relu") == 0) {
    cfg->act = EE_ACT_RELU, cfg->act_name = "relu";
  } else {
    rc = ee_set_error(err, EE_ERR_UNSUPPORTED,
                      "unsupported %s '%.64s' in %s (supported: gelu, gelu_new, relu)", act_key, a,
                      path);
    goto done;
  }

  const json_t *pet = json_object_get(root, "position_embedding_type");
  if (cfg->arch == EE_ARCH_BERT && json_is_string(pet) && strcmp(json_string_value(pet), "alibi") == 0) {
    if ((rc = jina_config(root, path, cfg, err)) != EE_OK) goto done;
  } else if (pet && json_is_string(pet) && strcmp(json_string_value(pet), "absolute") != 0) {
    rc = ee_set_error(err, EE_ERR_UNSUPPORTED,
                      "unsupported position_embedding_type '%.64s' in %s (supported: absolute; "
                      "alibi for model_type bert, as JinaBert)",
                      json_string_value(pet), path);
    goto done;
  }

sentence_defaults:
  if ((rc = position_tables_fit(cfg, path, err)) != EE_OK) goto done;
  cfg->pooling = EE_POOL_CLS;
  cfg->normalize = 0;
  cfg->max_length = 0;
  cfg->include_prompt = 1;
  cfg->pooled_dims = cfg->hidden_size;
  rc = ee_head_config(root, path, cfg, err);
done:
  return rc;
}

/* A pooling flag: JSON true/false (or 0/1). */
static int flag_set(const json_t *root, const char *key) {
  const json_t *v = json_object_get(root, key);
  if (json_is_boolean(v)) return json_is_true(v);
  if (json_is_integer(v)) return json_integer_value(v) != 0;
  return 0;
}

ee_status ee_module_dir(char *out, const char *dir, const char *mpath, const char *kind,
                        ee_error *err) {
  if (mpath[0] == '/' || strstr(mpath, ".."))
    return ee_set_error(err, EE_ERR_FORMAT,
                        "%s module path '%.200s' in %s/modules.json must stay inside the "
                        "model directory", kind, mpath, dir);
  if (mpath[0]) return ee_path_join(out, dir, mpath, err);
  snprintf(out, EE_PATH_MAX, "%s", dir);
  return EE_OK;
}

/* <dir>/<module path>/config.json of the Pooling module -> cfg->pooling. */
static ee_status load_pooling(const char *dir, const char *mpath, ee_config *cfg, ee_error *err) {
  char sub[EE_PATH_MAX], path[EE_PATH_MAX];
  json_t *root = NULL;
  ee_status rc;
  if ((rc = ee_module_dir(sub, dir, mpath, "pooling", err)) != EE_OK) return rc;
  if ((rc = ee_path_join(path, sub, "config.json", err)) != EE_OK) return rc;
  if ((rc = ee_load_json(path, 0, &root, err)) != EE_OK) return rc;
  if (!json_is_object(root)) {
    rc = ee_set_error(err, EE_ERR_FORMAT, "%s is not a JSON object", path);
    goto done;
  }
  static const struct { const char *key; int mode; } modes[] = {
    {"pooling_mode_cls_token", EE_POOL_CLS},
    {"pooling_mode_mean_tokens", EE_POOL_MEAN},
    {"pooling_mode_max_tokens", EE_POOL_MAX},
    {"pooling_mode_mean_sqrt_len_tokens", EE_POOL_MEAN_SQRT_LEN},
    {"pooling_mode_weightedmean_tokens", EE_POOL_WEIGHTED_MEAN},
    {"pooling_mode_lasttoken", EE_POOL_LAST},
  };
  int nset = 0, mode = -1;
  char names[256] = "";
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
    if (!flag_set(root, modes[i].key)) continue;
    nset++;
    mode = modes[i].mode;
    size_t used = strlen(names);
    snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "",
             modes[i].key + strlen("pooling_mode_"));
  }
  if (nset > 1) {
    rc = ee_set_error(err, EE_ERR_UNSUPPORTED, "unsupported: several pooling modes (%s) in %s",
                      names, path);
    goto done;
  }
  if (nset == 0) {
    rc = ee_set_error(err, EE_ERR_UNSUPPORTED, "no pooling mode set in %s", path);
    goto done;
  }
  const json_t *wed = json_object_get(root, "word_embedding_dimension");
  if (json_is_integer(wed) && json_integer_value(wed) != cfg->hidden_size) {
    rc = ee_set_error(err, EE_ERR_FORMAT,
                      "word_embedding_dimension %lld in %s does not match hidden_size %d",
                      (long long)json_integer_value(wed), path, cfg->hidden_size);
    goto done;
  }
  /* sentence-transformers' include_prompt (default true): false masks the
  ** prompt's tokens out of mean and max pooling. */
  const json_t *ip = json_object_get(root, "include_prompt");
  if (ip && !json_is_boolean(ip)) {
    rc = ee_set_error(err, EE_ERR_FORMAT, "include_prompt in %s must be true or false", path);
    goto done;
  }
  cfg->include_prompt = ip ? json_is_true(ip) : 1;
  cfg->pooling = (ee_pooling)mode;
done:
  json_decref(root);
  return rc;
}

ee_status ee_st_config_load(const char *dir, ee_config *cfg, ee_error *err) {
  char path[EE_PATH_MAX];
  json_t *mods = NULL, *sb = NULL;
  ee_status rc;

  /* A cross-encoder is CrossEncoder's, not SentenceTransformer's: its
  ** pooling and head come from config.json, and CrossEncoder hands texts
  ** to the tokenizer as they are. */
  if (cfg->labels) return EE_OK;

  if ((rc = ee_path_join(path, dir, "modules.json", err)) != EE_OK) return rc;
  if ((rc = ee_load_json(path, 1, &mods, err)) != EE_OK) return rc;
  if (mods) {
    if (!json_is_array(mods)) {
      rc = ee_set_error(err, EE_ERR_FORMAT, "%s is not a JSON array", path);
      goto done;
    }
    size_t i;
    json_t *m;
    /* Modules run in order on the sentence vector; the pipeline supported is
    ** Transformer, Pooling, Dense..., Normalize.  A Dense before the Pooling
    ** would work on token vectors, and one after Normalize on a normalised
    ** vector: both are refused rather than run in the wrong place. */
    int pooled = 0;
    json_array_foreach(mods, i, m) {
      const char *type = json_string_value(json_object_get(m, "type"));
      const char *mpath = json_string_value(json_object_get(m, "path"));
      if (!type) {
        rc = ee_set_error(err, EE_ERR_FORMAT, "module %zu in %s has no \"type\" string", i, path);
        goto done;
      }
      if (strcmp(type, "sentence_transformers.models.Transformer") == 0) continue;
      if (strcmp(type, "sentence_transformers.models.Normalize") == 0) {
        cfg->normalize = 1;
      } else if (strcmp(type, "sentence_transformers.models.Pooling") == 0) {
        rc = load_pooling(dir, mpath ? mpath : "1_Pooling", cfg, err);
        if (rc != EE_OK) goto done;
        pooled = 1;
      } else if (strcmp(type, "sentence_transformers.models.Dense") == 0) {
        if (!pooled || cfg->normalize) {
          rc = ee_set_error(err, EE_ERR_UNSUPPORTED,
                            "unsupported: Dense module %zu in %s comes %s the %s module "
                            "(supported order: Transformer, Pooling, Dense, Normalize)", i, path,
                            pooled ? "after" : "before", pooled ? "Normalize" : "Pooling");
          goto done;
        }
        if (cfg->n_dense == EE_MAX_DENSE) {
          rc = ee_set_error(err, EE_ERR_UNSUPPORTED, "unsupported: more than %d Dense modules in %s",
                            EE_MAX_DENSE, path);
          goto done;
        }
        if (!mpath) {
          rc = ee_set_error(err, EE_ERR_FORMAT, "Dense module %zu in %s has no \"path\" string",
                            i, path);
          goto done;
        }
        int in = cfg->n_dense ? cfg->dense[cfg->n_dense - 1].out : cfg->hidden_size;
        rc = ee_dense_config_load(dir, mpath, in, &cfg->dense[cfg->n_dense], err);
        if (rc != EE_OK) goto done;
        cfg->n_dense++;
      } else {
        rc = ee_set_error(err, EE_ERR_UNSUPPORTED,
                          "unsupported module '%.128s' in %s (supported: Transformer, Pooling, "
                          "Dense, Normalize)", type, path);
        goto done;
      }
    }
  }

  if ((rc = ee_path_join(path, dir, "sentence_bert_config.json", err)) != EE_OK) goto done;
  if ((rc = ee_load_json(path, 1, &sb, err)) != EE_OK) goto done;
  if (sb) {
    if (!json_is_object(sb)) {
      rc = ee_set_error(err, EE_ERR_FORMAT, "%s is not a JSON object", path);
      goto done;
    }
    if (json_object_get(sb, "max_seq_length")) {
      rc = ee_json_int(sb, "max_seq_length", 1, 0, 2, EE_MAX_DIM, path, &cfg->max_length, err);
      if (rc != EE_OK) goto done;
    }
    /* sentence-transformers' Transformer module runs str.lower() on each
    ** text before its tokenizer when this is true (bge-small-en-v1.5). */
    const json_t *lc = json_object_get(sb, "do_lower_case");
    if (lc && !json_is_boolean(lc)) {
      rc = ee_set_error(err, EE_ERR_FORMAT, "do_lower_case in %s must be true or false", path);
      goto done;
    }
    cfg->st_lower = lc && json_is_true(lc);
  }
  cfg->st_strip = mods || sb;
  cfg->pooled_dims = cfg->n_dense ? cfg->dense[cfg->n_dense - 1].out : cfg->hidden_size;
done:
  json_decref(mods);
  json_decref(sb);
  return rc;
}
