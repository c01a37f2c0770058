/*
** model_load.c — ee_model_load and friends: config, weights and tokenizer
** glued into one immutable ee_model.
**
**   ee_params p = ee_default_params();
**   p.threads = 1;
**   ee_model *m;
**   if (ee_model_load("models/all-MiniLM-L6-v2", &p, &m, &err) != EE_OK) ...
**
** Order: the directory (ee_model_locate: a path, or a name in the Hugging
** Face cache), config.json (architecture), sentence-transformers files (pooling,
** Dense modules, normalisation, max length), ee_params overrides, weights
** (mapped, checked, bound; the Dense modules' from their own files),
** tokenizer (wp_load_dir: tokenizer.json or vocab.txt) and a check that
** every token id the tokenizer can produce has an embedding.  A .gguf file
** (or a directory of them without config.json, ee_model_locate picking one:
** gguf_pick.c) is the whole model:
** gguf.c gives its config, vocabulary and weights in the same forms.
** On failure *out is NULL and everything loaded so far is released.
**
** Threads: params.threads (0: all cores) is how many threads each context
** of this model runs (threadpool.c), so models and connections no longer
** share one global setting.  OpenBLAS, which is left only the attention's
** small products, is set to one thread: its pool is process-global, and
** our workers call it in parallel.
**
** Packing: after binding, every layer's Linear weights are copied once into
** panels (query, key and value stacked into one (3H,H) weight), one 64-byte
** aligned allocation for the whole model: fp32 panels for kernels.c, or,
** with params.precision, bfloat16 panels for kernels_bf16.c or int8 panels
** and scales for kernels_int8.c instead (never two copies).  The fp32
** weights the panels come from stay where they were (the mmap'd file, or
** weights.c's converted copy).
*/
#include "engine_int.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 1024
#define MAX_BATCH 65536

const char *ee_pooling_name(ee_pooling p) {
  static const char *const names[] = {"cls", "mean", "max", "mean_sqrt_len_tokens",
                                      "weightedmean", "lasttoken"};
  return p >= 0 && (size_t)p < sizeof names / sizeof names[0] ? names[p] : NULL;
}

ee_params ee_default_params(void) {
  ee_params p;
  p.pooling = EE_POOL_DEFAULT;
  p.normalize = -1;
  p.max_length = 0;
  p.threads = 0;
  p.batch_size = 0;
  p.precision = EE_PREC_FP32;
  p.truncate_dim = 0;
  return p;
}

static ee_status check_params(const ee_params *p, ee_error *err) {
  if (p->pooling != EE_POOL_DEFAULT && !ee_pooling_name(p->pooling))
    return ee_set_error(err, EE_ERR_INPUT, "params.pooling is %d (expected -1, or 0 to 5)",
                        (int)p->pooling);
  if (p->normalize < -1 || p->normalize > 1)
    return ee_set_error(err, EE_ERR_INPUT, "params.normalize is %d (expected -1, 0 or 1)",
                        p->normalize);
  if (p->max_length < 0 || p->max_length == 1)
    return ee_set_error(err, EE_ERR_INPUT,
                        "params.max_length is %d (expected 0 for the model's default, or >= 2)",
                        p->max_length);
  if (p->threads < 0 || p->threads > MAX_THREADS)
    return ee_set_error(err, EE_ERR_INPUT, "params.threads is %d (expected 0..%d)", p->threads,
                        MAX_THREADS);
  if (p->batch_size < 0 || p->batch_size > MAX_BATCH)
    return ee_set_error(err, EE_ERR_INPUT, "params.batch_size is %d (expected 0..%d)",
                        p->batch_size, MAX_BATCH);
  if (p->truncate_dim < 0)
    return ee_set_error(err, EE_ERR_INPUT, "params.truncate_dim is %d (expected 0 for none, or >= 1)",
                        p->truncate_dim);
  if (p->precision != EE_PREC_FP32 && p->precision != EE_PREC_BF16 && p->precision != EE_PREC_INT8)
    return ee_set_error(err, EE_ERR_INPUT,
                        "params.precision is %d (expected 0 fp32, 1 bf16 or 2 int8)",
                        (int)p->precision);
  return EE_OK;
}


static ee_status load_tokenizer(ee_model *m, ee_error *err) {
  wp_error werr;
  wp_status ws;
  if (ee_is_gguf(m->dir)) {
    ee_status rc = ee_gguf_tokenizer(m->dir, &m->tok, err);
    if (rc != EE_OK) return rc;
  } else if ((ws = wp_load_dir(m->dir, &m->tok, &werr)) != WP_OK) {
    m->tok = NULL;
    return ee_set_error(err, ee_from_wp(ws), "%s", werr.msg);
  }
  if (m->cfg.st_lower || m->cfg.st_strip) {
    wp_options opts = *wp_get_options(m->tok);
    opts.python_lower = m->cfg.st_lower;
    opts.python_strip = m->cfg.st_strip;
    if ((ws = wp_options_override(m->tok, &opts, &werr)) != WP_OK)
      return ee_set_error(err, ee_from_wp(ws), "%s", werr.msg);
  }
  int32_t nv = wp_vocab_size(m->tok);
  if (nv > m->cfg.vocab_size) {
    char path[EE_PATH_MAX];
    ee_status rc = ee_path_join(path, m->dir, "tokenizer.json", err);
    if (rc != EE_OK) return rc;
    if (!ee_file_exists(path) && (rc = ee_path_join(path, m->dir, "vocab.txt", err)) != EE_OK)
      return rc;
    return ee_set_error(err, EE_ERR_FORMAT,
                        "tokenizer vocabulary in %s has %d tokens but the word embeddings in %s "
                        "have %d rows (config.json vocab_size %d)",
                        path, (int)nv, m->w.weights_file, m->cfg.vocab_size, m->cfg.vocab_size);
  }
  /* A cross-encoder reads every input as a pair: a tokenizer that cannot
  ** encode one would fail every call, so it fails the load instead. */
  if (m->cfg.labels && !wp_supports_pairs(m->tok))
    return ee_set_error(err, EE_ERR_UNSUPPORTED,
                        "%s is a cross-encoder (%s), but its tokenizer.json's pair template "
                        "(post_processor \"pair\") is neither BERT's nor RoBERTa's; pairs are not "
                        "supported", m->dir, m->cfg.head_name);
  /* MPNet and RoBERTa were trained with <s> ... </s> around every text
  ** (bos/eos); a tokenizer that puts BERT's [CLS]/[SEP] there instead (an
  ** MPNet vocabulary has them too: a vocab.txt without tokenizer.json)
  ** would give vectors that look fine and are not the model's. */
  int32_t first, last;
  wp_sequence_ids(m->tok, &first, &last);
  const int modern = m->cfg.arch == EE_ARCH_MODERNBERT; /* [CLS]/[SEP] at the vocabulary's end */
  if (m->cfg.bos_token_id >= 0 && (first != m->cfg.bos_token_id || last != m->cfg.eos_token_id))
    return ee_set_error(err, EE_ERR_FORMAT,
                        "the tokenizer of %s puts ids %d and %d around a text, but config.json's "
                        "%s are %d and %d (a model_type '%s' model needs its tokenizer.json, whose "
                        "post_processor adds %s)",
                        m->dir, (int)first, (int)last,
                        modern ? "cls_token_id and sep_token_id" : "bos_token_id and eos_token_id",
                        m->cfg.bos_token_id, m->cfg.eos_token_id, ee_arch_name(m->cfg.arch),
                        modern ? "[CLS] and [SEP]" : "<s> and </s>");
  return EE_OK;
}

/* m->modules: the pipeline after the encoder as it will run. */
static void describe_modules(ee_model *m) {
  static const char *const act[] = {"identity", "tanh", "relu", "gelu", "sigmoid"};
  const ee_config *c = &m->cfg;
  size_t u = (size_t)snprintf(m->modules, sizeof m->modules, "Pooling(%s%s)", ee_pooling_name(c->pooling),
                              c->include_prompt ? "" : ", include_prompt false");
  if (c->labels && u < sizeof m->modules) /* the head's two Linear layers */
    u += (size_t)snprintf(m->modules + u, sizeof m->modules - u, ", %s(%d->%d, %s%s; %d->%d, %s)",
                          c->head_name, c->dense[0].in, c->dense[0].out, act[c->dense[0].act],
                          c->dense[0].norm ? ", LayerNorm" : "",
                          c->dense[1].in, c->dense[1].out, act[c->dense[1].act]);
  for (int i = c->labels ? 2 : 0; i < c->n_dense && u < sizeof m->modules; i++)
    u += (size_t)snprintf(m->modules + u, sizeof m->modules - u, ", Dense(%d->%d, %s%s)",
                          c->dense[i].in, c->dense[i].out, act[c->dense[i].act],
                          c->dense[i].bias ? "" : ", no bias");
  if (c->normalize && u < sizeof m->modules)
    snprintf(m->modules + u, sizeof m->modules - u, ", Normalize");
}

ee_status ee_model_load(const char *dir, const ee_params *params, ee_model **out,
                        ee_error *err) {
  ee_status rc;
  ee_model *m = NULL;
  ee_params p = params ? *params : ee_default_params();
  if (err) err->code = EE_OK, err->msg[0] = '\0';
  if (!out) return ee_set_error(err, EE_ERR_INPUT, "ee_model_load: out is NULL");
  *out = NULL;
  if (!dir || !dir[0]) return ee_set_error(err, EE_ERR_INPUT, "ee_model_load: no directory given");
  if ((rc = check_params(&p, err)) != EE_OK) return rc;
  char located[EE_PATH_MAX];
  if ((rc = ee_model_locate(dir, located, err)) != EE_OK) return rc;
  dir = located;

  m = se_calloc(1, sizeof *m);
  if (!m || !(m->dir = se_strndup(dir, strlen(dir)))) {
    rc = ee_set_error(err, EE_ERR_NOMEM, "out of memory loading %s", dir);
    goto fail;
  }
  /* Strip trailing slashes so messages read "<dir>/config.json". */
  for (size_t n = strlen(m->dir); n > 1 && m->dir[n - 1] == '/'; n--) m->dir[n - 1] = '\0';

  /* Where the config came from, for messages. */
  char cfg_file[EE_PATH_MAX + 16];
  snprintf(cfg_file, sizeof cfg_file, ee_is_gguf(m->dir) ? "%s" : "%s/config.json", m->dir);
  if (ee_is_gguf(m->dir)) { /* one file: config, vocabulary and weights (gguf.c) */
    if ((rc = ee_gguf_config(m->dir, p.pooling != EE_POOL_DEFAULT, &m->cfg, err)) != EE_OK) goto fail;
  } else {
    if ((rc = ee_config_load(m->dir, &m->cfg, err)) != EE_OK) goto fail;
    if ((rc = ee_st_config_load(m->dir, &m->cfg, err)) != EE_OK) goto fail;
    if ((rc = ee_prompts_load(m->dir, &m->prompts, err)) != EE_OK) goto fail;
  }

  ee_config *c = &m->cfg;
  /* A cross-encoder's head reads token 0 (ModernBERT's: all of them, with
  ** classifier_pooling "mean") and its scores are not a vector: another
  ** pooling, normalising or cutting them would change what the model says
  ** without an error. */
  if (c->labels && (p.pooling != EE_POOL_DEFAULT || p.normalize >= 0 || p.truncate_dim)) {
    rc = ee_set_error(err, EE_ERR_INPUT,
                      "%s is a cross-encoder (%s): its scores come from %s through its "
                      "classification head, so %s does not apply",
                      m->dir, c->head_name,
                      c->pooling == EE_POOL_MEAN ? "the mean of its tokens" : "token 0",
                      p.pooling != EE_POOL_DEFAULT ? "pooling" : p.normalize >= 0 ? "normalize" : "truncate_dim");
    goto fail;
  }
  if (p.pooling != EE_POOL_DEFAULT) c->pooling = p.pooling;
  if (p.normalize >= 0) c->normalize = p.normalize;
  if (p.max_length > 0) c->max_length = p.max_length;
  int usable = c->max_position_embeddings - c->position_offset;
  if (c->max_length == 0 || c->max_length > usable) c->max_length = usable;
  c->precision = p.precision;
  if (p.truncate_dim > c->pooled_dims) {
    rc = ee_set_error(err, EE_ERR_INPUT, "truncate_dim %d is more than the %d dimensions of %s",
                      p.truncate_dim, c->pooled_dims, m->dir);
    goto fail;
  }
  c->out_dims = p.truncate_dim ? p.truncate_dim : c->pooled_dims;
  if (c->precision == EE_PREC_INT8 &&
      (c->hidden_size > EE_INT8_MAX_K || c->intermediate_size > EE_INT8_MAX_K)) {
    rc = ee_set_error(err, EE_ERR_UNSUPPORTED,
                      "precision int8 needs hidden_size and intermediate_size <= %d (int32 "
                      "sums), but %s has %d and %d: use precision fp32 or bf16",
                      EE_INT8_MAX_K, cfg_file, c->hidden_size, c->intermediate_size);
    goto fail;
  }
  if (c->max_length < 2) {
    rc = ee_set_error(err, EE_ERR_FORMAT,
                      "max_position_embeddings %d in %s leaves no room for "
                      "[CLS] and [SEP]", c->max_position_embeddings, cfg_file);
    goto fail;
  }

  describe_modules(m);
  if ((rc = ee_weights_load(&m->w, m->dir, c, err)) != EE_OK) goto fail;
  for (int i = 0; i < c->n_dense; i++) {
    if (c->dense[i].head) { /* in model.safetensors: m->w owns the tensors */
      m->dense[i].weight = m->w.head_w[i], m->dense[i].bias = m->w.head_b[i];
      m->dense[i].norm_g = i == 0 ? m->w.head_norm_g : NULL;
      continue;
    }
    if ((rc = ee_dense_load(&m->dense[i], m->dir, &c->dense[i], err)) != EE_OK) goto fail;
  }
  if ((rc = load_tokenizer(m, err)) != EE_OK) goto fail;

  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  m->threads = p.threads ? p.threads : (int)(ncpu > 0 ? (ncpu < MAX_THREADS ? ncpu : MAX_THREADS) : 1);
  m->batch_size = p.batch_size ? p.batch_size : 32;
  if ((rc = ee_model_pack(m, err)) != EE_OK) goto fail;
  *out = m;
  return EE_OK;
fail:
  ee_model_free(m);
  return rc;
}

static const char *precision_name(ee_precision p) {
  return p == EE_PREC_BF16 ? "bf16" : p == EE_PREC_INT8 ? "int8" : "fp32";
}

/* Bytes of one packed (N,K) weight at precision prec, rounded up to 64. */
static int64_t packed_bytes(ee_precision prec, int N, int K) {
  int64_t b = prec == EE_PREC_BF16   ? ee_pack_bf16_bytes(N, K)
              : prec == EE_PREC_INT8 ? ee_pack_int8_bytes(N, K)
                                     : ee_pack_floats(N, K) * (int64_t)sizeof(float);
  return (b + 63) & ~(int64_t)63;
}

/* Pack w (N,K) at precision prec into dst; returns the bytes used. */
static int64_t pack_one(ee_precision prec, ee_pw *pw, unsigned char *dst, const float *w, int N,
                        int K) {
  if (prec == EE_PREC_BF16) ee_pack_bf16(pw, dst, w, N, K);
  else if (prec == EE_PREC_INT8) ee_pack_int8(pw, dst, w, N, K);
  else ee_pack(pw, (float *)(void *)dst, w, N, K);
  return packed_bytes(prec, N, K);
}

ee_status ee_model_pack(ee_model *m, ee_error *err) {
  const ee_config *c = &m->cfg;
  const ee_precision prec = c->precision;
  const int H = c->hidden_size, FF = c->intermediate_size;
  const int64_t bias_bytes = (3 * (int64_t)H * (int64_t)sizeof(float) + 63) & ~(int64_t)63;
  const int up_rows = ee_up_rows(c); /* FF, or up and gate interleaved */
  const int E = c->moe_experts;
  int moe_layers = 0;
  for (int l = 0; l < c->num_layers; l++) moe_layers += ee_moe_layer(c, l);
  const int64_t attn_bytes = packed_bytes(prec, 3 * H, H) + bias_bytes + packed_bytes(prec, H, H);
  const int64_t ffn_bytes = packed_bytes(prec, up_rows, H) + packed_bytes(prec, H, FF);
  const int64_t moe_bytes = E * (packed_bytes(prec, FF, H) + packed_bytes(prec, H, FF));
  int64_t total = attn_bytes * c->num_layers + ffn_bytes * (c->num_layers - moe_layers) +
                  moe_bytes * moe_layers + 64;
  if ((uint64_t)total > SIZE_MAX / 2)
    return ee_set_error(err, EE_ERR_NOMEM, "packed weights of %s are too large", m->dir);
  /* one staging buffer: Q, K, V stacked, a gated FFN's interleaved rows, or
  ** an expert's down weights transposed */
  int64_t tmp_floats = 3 * (int64_t)H * H;
  if (c->glu && (int64_t)up_rows * H > tmp_floats) tmp_floats = (int64_t)up_rows * H;
  if (moe_layers && (int64_t)FF * H > tmp_floats) tmp_floats = (int64_t)FF * H;
  float *qkv_tmp = se_malloc(sizeof(float) * (size_t)tmp_floats);
  m->packed = se_malloc((size_t)total);
  m->moe_pw = moe_layers ? se_calloc((size_t)moe_layers * 2 * (size_t)E, sizeof *m->moe_pw) : NULL;
  if (!m->packed || !qkv_tmp || (moe_layers && !m->moe_pw)) {
    se_free(qkv_tmp);
    return ee_set_error(err, EE_ERR_NOMEM, "out of memory packing the weights of %s (%lld bytes)",
                        m->dir, (long long)total);
  }
  m->packed_bytes = total;
  unsigned char *p = m->packed;
  p += (64 - (uintptr_t)p % 64) % 64; /* 64-byte aligned */
  const size_t hh = (size_t)H * (size_t)H;
  int moe_at = 0;
  for (int l = 0; l < c->num_layers; l++) {
    ee_layer *ly = &m->w.layers[l];
    memcpy(qkv_tmp, ly->q_w, sizeof(float) * hh);
    memcpy(qkv_tmp + hh, ly->k_w, sizeof(float) * hh);
    memcpy(qkv_tmp + 2 * hh, ly->v_w, sizeof(float) * hh);
    p += pack_one(prec, &ly->qkv_p, p, qkv_tmp, 3 * H, H);
    float *b = (float *)(void *)p;
    ly->qkv_b = NULL;
    if (ly->q_b) { /* NomicBert's products have no biases */
      memcpy(b, ly->q_b, sizeof(float) * (size_t)H);
      memcpy(b + H, ly->k_b, sizeof(float) * (size_t)H);
      memcpy(b + 2 * H, ly->v_b, sizeof(float) * (size_t)H);
      ly->qkv_b = b;
    }
    p += bias_bytes;
    p += pack_one(prec, &ly->o_p, p, ly->o_w, H, H);
    if (ly->router_w) {
      ly->moe_p = m->moe_pw + (size_t)moe_at++ * 2 * (size_t)E;
      for (int e = 0; e < E; e++) {
        const float *w1 = ly->moe_w1 + (int64_t)e * FF * H, *w2 = ly->moe_w2 + (int64_t)e * FF * H;
        p += pack_one(prec, &ly->moe_p[2 * e], p, w1, FF, H);
        /* w2_e (I,H) is applied as x @ w2_e: the Linear weight is its transpose */
        for (int i = 0; i < FF; i++)
          for (int h = 0; h < H; h++) qkv_tmp[(int64_t)h * FF + i] = w2[(int64_t)i * H + h];
        p += pack_one(prec, &ly->moe_p[2 * e + 1], p, qkv_tmp, H, FF);
      }
    } else if (c->glu) {
      /* panel 2k: up features [16k, 16k + 16), panel 2k + 1: the same
      ** features' gates, so each product task (a panel pair) holds both
      ** halves of its outputs (forward.c, gemm_tasks) */
      memset(qkv_tmp, 0, sizeof(float) * (size_t)up_rows * (size_t)H);
      for (int f = 0; f < FF; f++) {
        const int64_t row = (int64_t)(f / EE_NR) * 2 * EE_NR + f % EE_NR;
        memcpy(qkv_tmp + row * H, ly->i_w + (int64_t)f * H, sizeof(float) * (size_t)H);
        memcpy(qkv_tmp + (row + EE_NR) * H, ly->g_w + (int64_t)f * H, sizeof(float) * (size_t)H);
      }
      p += pack_one(prec, &ly->i_p, p, qkv_tmp, up_rows, H);
    } else {
      p += pack_one(prec, &ly->i_p, p, ly->i_w, FF, H);
    }
    if (!ly->router_w) p += pack_one(prec, &ly->f_p, p, ly->f_w, H, FF);
    const float **done[] = {&ly->q_w, &ly->k_w, &ly->v_w, &ly->o_w, &ly->i_w, &ly->g_w, &ly->f_w,
                            &ly->moe_w1, &ly->moe_w2};
    for (size_t k = 0; k < sizeof done / sizeof *done; k++) {
      ee_weights_release(&m->w, *done[k]);
      *done[k] = NULL; /* read only through the packed copy from here on */
    }
  }
  se_free(qkv_tmp);
  return EE_OK;
}

void ee_model_free(ee_model *m) {
  if (!m) return;
  se_free(m->packed);
  se_free(m->moe_pw);
  ee_prompts_free(&m->prompts);
  wp_free(m->tok);
  ee_weights_free(&m->w);
  for (int i = 0; i < EE_MAX_DENSE; i++) ee_dense_free(&m->dense[i]);
  se_free(m->dir);
  se_free(m);
}

void ee_model_info(const ee_model *m, ee_info *info) {
  memset(info, 0, sizeof *info);
  if (!m) return;
  info->model_type = ee_arch_name(m->cfg.arch);
  info->dir = m->dir;
  info->dtype = m->w.dtype ? m->w.dtype : "F32";
  info->hidden_size = m->cfg.hidden_size;
  info->dims = m->cfg.out_dims;
  info->num_layers = m->cfg.num_layers;
  info->num_heads = m->cfg.num_heads;
  info->intermediate_size = m->cfg.intermediate_size;
  info->vocab_size = m->cfg.vocab_size;
  info->max_position_embeddings = m->cfg.max_position_embeddings;
  info->max_length = m->cfg.max_length;
  info->pooling = m->cfg.pooling;
  info->normalize = m->cfg.normalize;
  info->n_params = m->w.n_params;
  info->bytes_mapped = ee_weights_bytes_mapped(&m->w);
  for (int i = 0; i < m->cfg.n_dense; i++) {
    info->n_params += m->dense[i].w.n_params;
    info->bytes_mapped += ee_weights_bytes_mapped(&m->dense[i].w);
  }
  info->precision = precision_name(m->cfg.precision);
  info->bytes_packed = m->packed_bytes;
  info->kernel = m->cfg.precision == EE_PREC_BF16   ? ee_bf16_kernel_name()
                 : m->cfg.precision == EE_PREC_INT8 ? ee_int8_kernel_name()
                                                    : ee_kernel_name();
  info->prompts = m->prompts.json ? m->prompts.json : "{}";
  info->default_prompt_name = m->prompts.dflt;
  /* "cosine" when the file says nothing, and for a GGUF file, which keeps
  ** no similarity_fn_name (its vectors are compared by cosine in llama.cpp
  ** and sqlite-lembed). */
  info->similarity = m->prompts.similarity ? m->prompts.similarity : "cosine";
  info->include_prompt = m->cfg.include_prompt;
  info->modules = m->modules;
  info->labels = m->cfg.labels;
  info->head = m->cfg.labels ? m->cfg.head_name : NULL;
  info->tokenizer = wp_model_name(m->tok);
}

const char *ee_model_prompt(const ee_model *m, const char *name) {
  return m ? ee_prompts_find(&m->prompts, name) : NULL;
}

int ee_model_dims(const ee_model *m) { return m ? m->cfg.out_dims : 0; }

const wp_tokenizer *ee_model_tokenizer(const ee_model *m) { return m ? m->tok : NULL; }
