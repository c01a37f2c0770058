/*
** config_head.c — a cross-encoder's classification head from config.json.
**
** A reranker such as cross-encoder/ms-marco-MiniLM-L-6-v2 or
** BAAI/bge-reranker-base is a Hugging Face *ForSequenceClassification
** checkpoint: the encoder reads a pair of texts as one sequence, and a head
** turns token 0's last hidden state into one score per label.  The heads of
** the encoders read here are two Linear layers:
**   BertForSequenceClassification           bert.pooler.dense, tanh, classifier
**   NewForSequenceClassification (GTE v1.5) new.pooler.dense, tanh, classifier
**   DistilBertForSequenceClassification     pre_classifier, ReLU, classifier
**   (XLM)RobertaForSequenceClassification,
**   MPNetForSequenceClassification          classifier.dense, tanh, classifier.out_proj
**   ModernBertForSequenceClassification     head.dense, GELU, head.norm (LayerNorm without
**                                           bias), classifier; token 0, or the mean of
**                                           every token (classifier_pooling "mean")
** They become two Dense modules after CLS pooling (head = 1: their tensors
** are in model.safetensors; weights.c binds them), so the rest of the
** pipeline runs them as it runs sentence-transformers' Dense modules.
**
** sentence-transformers' CrossEncoder then applies an activation to the
** logits: config.json's "sentence_transformers": {"activation_fn": ...}
** (v4), else its "sbert_ce_default_activation_function" (earlier
** versions), else Sigmoid for one label and Identity for several.  Only
** torch.nn's Identity, Sigmoid and Tanh are accepted; anything else is
** refused by name rather than left out.
*/
#include "engine_int.h"
#include <jansson.h>
#include <string.h>

#define MAX_LABELS 4096

static const char *const HEAD_SUFFIX = "ForSequenceClassification";

/* The *ForSequenceClassification entry of architectures, or NULL. */
static const char *classifier_name(const json_t *root) {
  const json_t *a = json_object_get(root, "architectures");
  size_t i;
  const json_t *v;
  json_array_foreach(a, i, v) {
    const char *s = json_string_value(v);
    size_t n = s ? strlen(s) : 0, k = strlen(HEAD_SUFFIX);
    if (n > k && strcmp(s + n - k, HEAD_SUFFIX) == 0) return s;
  }
  return NULL;
}

/* The labels: id2label's size when present (transformers derives
** num_labels from it), else num_labels, else PretrainedConfig's 2. */
static ee_status label_count(const json_t *root, const char *path, int *out, ee_error *err) {
  const json_t *ids = json_object_get(root, "id2label");
  if (ids) {
    if (!json_is_object(ids) || json_object_size(ids) == 0 ||
        json_object_size(ids) > MAX_LABELS)
      return ee_set_error(err, EE_ERR_FORMAT,
                          "\"id2label\" in %s must be an object of 1..%d labels", path,
                          MAX_LABELS);
    *out = (int)json_object_size(ids);
    return EE_OK;
  }
  return ee_json_int(root, "num_labels", 0, 2, 1, MAX_LABELS, path, out, err);
}

/* CrossEncoder's activation of the logits (see the top of this file). */
static ee_status score_activation(const json_t *root, const char *path, int labels,
                                  ee_dense_act *out, ee_error *err) {
  const json_t *st = json_object_get(root, "sentence_transformers");
  const json_t *fn = json_is_object(st) ? json_object_get(st, "activation_fn") : NULL;
  const char *key = "sentence_transformers.activation_fn";
  if (!fn || json_is_null(fn)) {
    fn = json_object_get(root, "sbert_ce_default_activation_function");
    key = "sbert_ce_default_activation_function";
  }
  if (!fn || json_is_null(fn)) {
    *out = labels == 1 ? EE_DENSE_SIGMOID : EE_DENSE_IDENTITY;
    return EE_OK;
  }
  const char *name = json_string_value(fn);
  if (!name) return ee_set_error(err, EE_ERR_FORMAT, "%s in %s must be a string", key, path);
  static const struct { const char *name; ee_dense_act act; } known[] = {
    {"torch.nn.modules.linear.Identity", EE_DENSE_IDENTITY},
    {"torch.nn.modules.activation.Sigmoid", EE_DENSE_SIGMOID},
    {"torch.nn.modules.activation.Tanh", EE_DENSE_TANH},
  };
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strcmp(name, known[i].name) == 0) {
      *out = known[i].act;
      return EE_OK;
    }
  return ee_set_error(err, EE_ERR_UNSUPPORTED,
                      "unsupported %s '%.128s' in %s (supported: torch.nn.modules.linear.Identity, "
                      "torch.nn.modules.activation.Sigmoid, torch.nn.modules.activation.Tanh)",
                      key, name, path);
}

/* ModernBertForSequenceClassification's head (ModernBertConfig's defaults):
** classifier_pooling "cls" (token 0) or "mean" (every token), then
** head.dense (with a bias only when classifier_bias), classifier_activation
** "gelu", head.norm; the activations transformers' ACT2FN computes
** otherwise are refused by name. */
static ee_status modernbert_head(const json_t *root, const char *path, ee_config *cfg,
                                 ee_error *err) {
  const json_t *pool = json_object_get(root, "classifier_pooling");
  const char *p = pool ? json_string_value(pool) : "cls";
  if (!p) return ee_set_error(err, EE_ERR_FORMAT, "\"classifier_pooling\" in %s must be a string", path);
  if (strcmp(p, "cls") != 0 && strcmp(p, "mean") != 0)
    return ee_set_error(err, EE_ERR_UNSUPPORTED,
                        "unsupported classifier_pooling '%.64s' in %s (supported: cls, mean)", p, path);
  cfg->pooling = strcmp(p, "mean") == 0 ? EE_POOL_MEAN : EE_POOL_CLS;
  const json_t *act = json_object_get(root, "classifier_activation");
  const char *a = act ? json_string_value(act) : "gelu";
  if (!a) return ee_set_error(err, EE_ERR_FORMAT, "\"classifier_activation\" in %s must be a string", path);
  if (strcmp(a, "gelu") != 0)
    return ee_set_error(err, EE_ERR_UNSUPPORTED,
                        "unsupported classifier_activation '%.64s' in %s (supported: gelu)", a, path);
  const json_t *bias = json_object_get(root, "classifier_bias");
  if (bias && !json_is_boolean(bias))
    return ee_set_error(err, EE_ERR_FORMAT, "\"classifier_bias\" in %s must be true or false", path);
  cfg->dense[0].bias = json_is_true(bias);
  cfg->dense[0].act = EE_DENSE_GELU;
  cfg->dense[0].norm = 1;
  cfg->dense[0].norm_eps = cfg->layer_norm_eps;
  return EE_OK;
}

ee_status ee_head_config(const json_t *root, const char *path, ee_config *cfg, ee_error *err) {
  const char *name = classifier_name(root);
  cfg->labels = 0;
  if (!name) return EE_OK;
  if (cfg->arch == EE_ARCH_NOMIC_BERT)
    return ee_set_error(err, EE_ERR_UNSUPPORTED,
                        "unsupported: architectures '%.64s' in %s (a classification head is read "
                        "for bert, distilbert, mpnet, roberta, xlm-roberta, modernbert and new)", name,
                        path);
  int labels;
  ee_dense_act act = EE_DENSE_IDENTITY;
  ee_status rc;
  if ((rc = label_count(root, path, &labels, err)) != EE_OK ||
      (rc = score_activation(root, path, labels, &act, err)) != EE_OK)
    return rc;
  const int H = cfg->hidden_size;
  ee_dense_cfg *d = cfg->dense;
  memset(d, 0, 2 * sizeof *d);
  d[0].in = H, d[0].out = H, d[0].bias = 1, d[0].head = 1;
  d[0].act = cfg->arch == EE_ARCH_DISTILBERT ? EE_DENSE_RELU : EE_DENSE_TANH;
  d[1].in = H, d[1].out = labels, d[1].bias = 1, d[1].head = 1, d[1].act = act;
  cfg->n_dense = 2;
  cfg->labels = labels;
  snprintf(cfg->head_name, sizeof cfg->head_name, "%s", name);
  cfg->pooling = EE_POOL_CLS;
  if (cfg->arch == EE_ARCH_MODERNBERT && (rc = modernbert_head(root, path, cfg, err)) != EE_OK)
    return rc;
  cfg->normalize = 0;
  cfg->pooled_dims = labels;
  return EE_OK;
}
