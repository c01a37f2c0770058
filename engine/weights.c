/*
** weights.c — find, check and bind every BERT tensor the config asks for.
**
**   ee_weights w;
**   if (ee_weights_load(&w, dir, &cfg, &err) != EE_OK) return err.code;
**   ... w.word, w.layers[3].i_w ...
**   ee_weights_free(&w);
**
** Files: <dir>/model.safetensors, or the shards named in the "weight_map"
** of <dir>/model.safetensors.index.json ({"weight_map": {"tensor name":
** "model-00001-of-00002.safetensors", ...}}); failing both, the same with
** pytorch_model.bin (torch.save's file, read by torch_bin.c without
** running it) and pytorch_model.bin.index.json.  Names are Hugging Face
** BertModel's ("encoder.layer.0.attention.self.query.weight"), with or
** without the "bert." prefix a BertFor* checkpoint adds; the prefix is
** decided once from the word embeddings.  DistilBertModel's and
** MPNetModel's ("encoder.layer.0.attention.attn.q.weight",
** "encoder.relative_attention_bias.weight") likewise, with their prefixes.  Tensors the encoder does not use
** (pooler, heads) are ignored, except a cross-encoder's classification head
** (head_weights).
**
** Each tensor must exist, have a float dtype and exactly the shape the
** config implies (Linear weights are [out, in], as torch stores them).
**   F32   used in place from the mapping when 4-byte aligned (the data
**         section's offset decides; hostile files may misalign it), else
**         copied once into an owned buffer;
**   F16,  converted once to an owned F32 buffer (the packing and the fp32
**   BF16  kernels read f32; precision "bf16" then rounds back at packing).
**   Q8_0, Q4_K, ... (a GGUF file's, gguf.c) dequantised once to an owned
**         F32 buffer by ggml_blocks.c.
**         Conversion also rejects Inf/NaN, which costs nothing there; F32
**         tensors used in place are not scanned (that would fault in every
**         page at load).
** Except the word embeddings, which stay in the mapping in any of these
** dtypes (bind_word_rows): a pass reads one row per token.
** The mapping stays valid while the model lives: a model file truncated or
** rewritten in place meanwhile would fault (SIGBUS), as with any mmap; tools
** that replace models should write a new file and rename it.
*/
#include "engine_int.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_SHARDS 4096

/* ---- shard discovery ---------------------------------------------------- */

/* A .bin is torch.save's (torch_bin.c), a .gguf llama.cpp's (gguf.c),
** anything else safetensors. */
static ee_status open_weights_file(st_file *f, const char *path, ee_error *err) {
  size_t n = strlen(path);
  if (n >= 4 && strcmp(path + n - 4, ".bin") == 0) return tb_open(f, path, err);
  if (n >= 5 && strcmp(path + n - 5, ".gguf") == 0) return st_open_with(f, path, gguf_parse, err);
  return st_open(f, path, err);
}

/* Shard file names from the index, deduplicated, in first-seen order. */
static ee_status open_shards(ee_weights *w, const char *dir, const char *index_path,
                             ee_error *err) {
  json_t *root = NULL;
  const char **names = NULL;
  int n = 0;
  ee_status rc = ee_load_json(index_path, 0, &root, err);
  if (rc != EE_OK) return rc;
  json_t *map = json_object_get(root, "weight_map");
  if (!json_is_object(map)) {
    rc = ee_set_error(err, EE_ERR_FORMAT, "missing \"weight_map\" object in %s", index_path);
    goto done;
  }
  size_t total = json_object_size(map);
  names = se_calloc(total ? total : 1, sizeof *names);
  if (!names) {
    rc = ee_set_error(err, EE_ERR_NOMEM, "out of memory reading %s", index_path);
    goto done;
  }
  const char *key;
  json_t *v;
  json_object_foreach(map, key, v) {
    const char *file = json_string_value(v);
    if (!file || !file[0] || strchr(file, '/') || strstr(file, "..") || strlen(file) > 255) {
      rc = ee_set_error(err, EE_ERR_FORMAT,
                        "weight_map entry '%.200s' in %s must name a file in the model directory",
                        key, index_path);
      goto done;
    }
    int seen = 0;
    for (int i = 0; i < n && !seen; i++) seen = strcmp(names[i], file) == 0;
    if (seen) continue;
    if (n == MAX_SHARDS) {
      rc = ee_set_error(err, EE_ERR_FORMAT, "%s lists more than %d shards", index_path,
                        MAX_SHARDS);
      goto done;
    }
    names[n++] = file;
  }
  if (n == 0) {
    rc = ee_set_error(err, EE_ERR_FORMAT, "\"weight_map\" in %s is empty", index_path);
    goto done;
  }
  w->files = se_calloc((size_t)n, sizeof *w->files);
  if (!w->files) {
    rc = ee_set_error(err, EE_ERR_NOMEM, "out of memory reading %s", index_path);
    goto done;
  }
  for (int i = 0; i < n; i++) {
    char path[EE_PATH_MAX];
    if ((rc = ee_path_join(path, dir, names[i], err)) != EE_OK) goto done;
    if ((rc = open_weights_file(&w->files[i], path, err)) != EE_OK) goto done;
    w->n_files = i + 1;
  }
done:
  se_free(names);
  json_decref(root);
  return rc;
}

/* Prefers safetensors, as transformers does: model.safetensors, its index,
** then pytorch_model.bin and its index. */
static ee_status open_files(ee_weights *w, const char *dir, ee_error *err) {
  static const char *const FILES[][2] = {
    {"model.safetensors", "model.safetensors.index.json"},
    {"pytorch_model.bin", "pytorch_model.bin.index.json"},
  };
  char path[EE_PATH_MAX], index[EE_PATH_MAX];
  ee_status rc;
  if (ee_is_gguf(dir)) return ee_weights_open_file(w, dir, err); /* the model is one file */
  for (int i = 0; i < 2; i++) {
    if ((rc = ee_path_join(path, dir, FILES[i][0], err)) != EE_OK) return rc;
    if ((rc = ee_path_join(index, dir, FILES[i][1], err)) != EE_OK) return rc;
    if (ee_file_exists(path)) return ee_weights_open_file(w, path, err);
    if (ee_file_exists(index)) {
      snprintf(w->weights_file, sizeof w->weights_file, "%s", index);
      return open_shards(w, dir, index, err);
    }
  }
  /* Weights in a format this engine does not read: say which, since a
  ** directory with config.json and a tokenizer looks complete otherwise
  ** (transformers.js repositories, Xenova's, hold only ONNX files). */
  static const char *const OTHER[][2] = {
    {"onnx/model.onnx", "ONNX"}, {"model.onnx", "ONNX"}, {"tf_model.h5", "TensorFlow"},
    {"flax_model.msgpack", "Flax"}, {"openvino_model.xml", "OpenVINO"},
  };
  const char *other = NULL, *kind = NULL;
  for (size_t i = 0; i < sizeof OTHER / sizeof OTHER[0] && !other; i++) {
    if ((rc = ee_path_join(index, dir, OTHER[i][0], err)) != EE_OK) return rc;
    if (ee_file_exists(index)) other = OTHER[i][0], kind = OTHER[i][1];
  }
  if ((rc = ee_path_join(path, dir, "model.safetensors", err)) != EE_OK) return rc;
  if (other)
    return ee_set_error(err, EE_ERR_IO,
                        "missing %s (nor is there a model.safetensors.index.json, "
                        "pytorch_model.bin or pytorch_model.bin.index.json); the directory has %s "
                        "weights (%s), which are not read: use the repository they were exported "
                        "from, with its model.safetensors",
                        path, kind, other);
  return ee_set_error(err, EE_ERR_IO,
                      "missing %s (nor is there a model.safetensors.index.json, "
                      "pytorch_model.bin or pytorch_model.bin.index.json)",
                      path);
}

/* ---- conversion ----------------------------------------------------------- */

/* IEEE half -> float, exact (subnormals included).  Inf/NaN are rejected by
** the caller before this is reached. */
float ee_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  float f;
  if (exp == 0) {
    f = ldexpf((float)mant, -24); /* zero or subnormal: mant * 2^-24 */
    return sign ? -f : f;
  }
  uint32_t bits = sign | ((exp + 112u) << 23) | (mant << 13);
  memcpy(&f, &bits, 4);
  return f;
}

/* src (numel elements of dtype, any alignment) -> dst f32.  Returns the
** index of the first Inf/NaN in an F16/BF16 tensor (block types: in a
** block's scale), or -1. */
static int64_t convert(float *dst, const unsigned char *src, st_dtype dt, int64_t numel) {
  if (dt == ST_F32) {
    memcpy(dst, src, (size_t)numel * 4);
    return -1;
  }
  if (gb_block_values(dt)) return gb_dequantize(dt, src, numel, dst);
  for (int64_t i = 0; i < numel; i++) {
    uint16_t h;
    memcpy(&h, src + 2 * i, 2);
    if (dt == ST_F16) {
      if (((h >> 10) & 0x1f) == 0x1f) return i;
      dst[i] = ee_f16_to_f32(h);
    } else { /* BF16: the top half of an f32 */
      if (((h >> 7) & 0xff) == 0xff) return i;
      uint32_t bits = (uint32_t)h << 16;
      memcpy(&dst[i], &bits, 4);
    }
  }
  return -1;
}

/* ---- binding ---------------------------------------------------------------- */

/* *out = a new buffer of n floats that w owns (freed with it). */
static ee_status own_floats(ee_weights *w, int64_t n, float **out, ee_error *err) {
  if (w->n_owned == w->cap_owned) {
    int cap = w->cap_owned ? 2 * w->cap_owned : 64;
    float **p = se_realloc(w->owned, sizeof *p * (size_t)cap);
    if (!p) return ee_set_error(err, EE_ERR_NOMEM, "out of memory loading %s", w->weights_file);
    w->owned = p;
    w->cap_owned = cap;
  }
  if (!(*out = se_malloc((size_t)(n ? n : 1) * sizeof(float))))
    return ee_set_error(err, EE_ERR_NOMEM, "out of memory loading %s (%lld floats)",
                        w->weights_file, (long long)n);
  w->owned[w->n_owned++] = *out;
  return EE_OK;
}

/* Find prefix+name in any file and check its dtype and shape [d0] or
** [d0, d1] (d1 < 0: 1-D); hint explains the expectation.  Sets *pt and *pf
** and counts the tensor in w's dtype and n_params. */
static ee_status find_tensor(ee_weights *w, const char *prefix, const char *name, int64_t d0, int64_t d1,
                             const char *hint, const st_tensor **pt, st_file **pf, ee_error *err) {
  char full[256];
  snprintf(full, sizeof full, "%s%s", prefix, name);
  const st_tensor *t = NULL;
  st_file *f = NULL;
  for (int i = 0; i < w->n_files && !t; i++) {
    t = st_find(&w->files[i], full);
    f = &w->files[i];
  }
  if (!t)
    return ee_set_error(err, EE_ERR_FORMAT, "missing tensor '%s' in %s", full, w->weights_file);
  if (t->dtype == ST_F64)
    return ee_set_error(err, EE_ERR_UNSUPPORTED,
                        "tensor '%s' in %s has dtype F64 (supported: F32, F16, BF16)", full,
                        f->path);
  if (t->dtype != ST_F32 && t->dtype != ST_F16 && t->dtype != ST_BF16 && !gb_block_values(t->dtype))
    return ee_set_error(err, EE_ERR_FORMAT,
                        "tensor '%s' in %s has dtype %s, expected a float dtype (F32, F16 or BF16)",
                        full, f->path, st_dtype_name(t->dtype));
  int64_t want[2] = {d0, d1};
  int nd = d1 < 0 ? 1 : 2;
  if (t->ndim != nd || t->shape[0] != d0 || (nd == 2 && t->shape[1] != d1)) {
    char got[160], exp[64];
    st_format_shape(got, sizeof got, t->shape, t->ndim);
    st_format_shape(exp, sizeof exp, want, nd);
    return ee_set_error(err, EE_ERR_FORMAT, "tensor '%s' in %s has shape %s, expected %s (%s)",
                        full, f->path, got, exp, hint);
  }
  if (!w->dtype)
    w->dtype = st_dtype_name(t->dtype);
  else if (strcmp(w->dtype, st_dtype_name(t->dtype)) != 0)
    w->dtype = "mixed";
  w->n_params += t->numel;
  *pt = t;
  *pf = f;
  return EE_OK;
}

static ee_status inf_nan_error(const char *prefix, const char *name, const st_file *f, int64_t at, ee_error *err) {
  return ee_set_error(err, EE_ERR_FORMAT, "tensor '%s%s' in %s has an Inf or NaN at element %lld", prefix,
                      name, f->path, (long long)at);
}

/* *out = tensor t of file f (found and checked by find_tensor) as f32 data:
** in place from the mapping, or converted into a buffer w owns. */
static ee_status bind_found(ee_weights *w, const char *prefix, const char *name, const st_tensor *t, st_file *f,
                            const float **out, ee_error *err) {
  const unsigned char *src = f->data + t->begin;
  if (t->dtype == ST_F32 && ((uintptr_t)src & 3u) == 0) {
    *out = (const float *)(const void *)src; /* in place from the mapping */
    f->used_in_place = 1;
    return EE_OK;
  }
  float *dst = NULL;
  ee_status rc = own_floats(w, t->numel, &dst, err);
  if (rc != EE_OK) return rc;
  int64_t bad = convert(dst, src, t->dtype, t->numel);
  if (bad >= 0) return inf_nan_error(prefix, name, f, bad, err);
  *out = dst;
  return EE_OK;
}

/* Find and check a tensor (find_tensor) and set *out to its f32 data. */
static ee_status bind(ee_weights *w, const char *prefix, const char *name, int64_t d0, int64_t d1,
                      const char *hint, const float **out, ee_error *err) {
  const st_tensor *t = NULL;
  st_file *f = NULL;
  ee_status rc = find_tensor(w, prefix, name, d0, d1, hint, &t, &f, err);
  return rc != EE_OK ? rc : bind_found(w, prefix, name, t, f, out, err);
}

/* The word embeddings (vocab x H): read a row per token, so a table in F16,
** BF16 or a GGUF block type stays in the mapping, in its own format, and
** ee_word_row converts the rows tokens ask for.  Converting it all at load
** took 4 bytes a value of heap (47 MB for MiniLM, 768 MB for a 250k-token
** multilingual vocabulary at 768), where the file holds 2 (F16) or ~1.06
** (Q8_0).  The table is still read once here, a chunk of rows at a time,
** to refuse an Inf or NaN at load rather than in a vector; an aligned F32
** table is used in place and not scanned, as bind does. */
static ee_status bind_word_rows(ee_weights *w, const char *prefix, const char *name, int64_t V, int64_t H,
                                const char *hint, ee_error *err) {
  const st_tensor *t = NULL;
  st_file *f = NULL;
  ee_status rc = find_tensor(w, prefix, name, V, H, hint, &t, &f, err);
  if (rc != EE_OK) return rc;
  const unsigned char *src = f->data + t->begin;
  const int bv = gb_block_values(t->dtype);
  if (t->dtype == ST_F32 || (bv && H % bv != 0)) return bind_found(w, prefix, name, t, f, &w->word, err);
  const int64_t row_bytes = bv ? H / bv * gb_block_bytes(t->dtype) : 2 * H;
  const int64_t chunk_rows = H < 16384 ? 16384 / H : 1;
  float *buf = se_malloc(sizeof(float) * (size_t)(chunk_rows * H));
  if (!buf) return ee_set_error(err, EE_ERR_NOMEM, "out of memory loading %s", w->weights_file);
  for (int64_t r = 0; r < V; r += chunk_rows) {
    const int64_t n = V - r < chunk_rows ? V - r : chunk_rows;
    int64_t bad = convert(buf, src + r * row_bytes, t->dtype, n * H);
    if (bad >= 0) {
      se_free(buf);
      return inf_nan_error(prefix, name, f, r * H + bad, err);
    }
  }
  se_free(buf);
  w->word = NULL;
  w->word_raw = src;
  w->word_dtype = t->dtype;
  w->word_row_bytes = row_bytes;
  f->used_in_place = 1; /* the mapping stays */
  return EE_OK;
}

const float *ee_word_row(const ee_weights *w, int32_t id, int H, float *buf) {
  if (w->word) return w->word + (int64_t)id * H;
  convert(buf, w->word_raw + (int64_t)id * w->word_row_bytes, w->word_dtype, H); /* checked at load */
  return buf;
}

const void *ee_word_row_src(const ee_weights *w, int32_t id, int H, int64_t *bytes) {
  *bytes = w->word ? 4 * (int64_t)H : w->word_row_bytes;
  return w->word ? (const void *)(w->word + (int64_t)id * H) : (const void *)(w->word_raw + id * w->word_row_bytes);
}

static int has_tensor(const ee_weights *w, const char *name) {
  for (int i = 0; i < w->n_files; i++)
    if (st_find(&w->files[i], name)) return 1;
  return 0;
}

/* Tensor names of one architecture: per layer, the suffixes after
** "<layer>%d." of query, key, value, attention output, its LayerNorm,
** FFN up, down and the output LayerNorm (".weight" / ".bias" added). */
typedef struct arch_names {
  const char *prefix;  /* what a For* checkpoint puts before every name */
  const char *layer;   /* printf format of a layer's prefix */
  const char *q, *k, *v, *o, *ln1, *up, *down, *ln2;
} arch_names;

static const arch_names BERT_NAMES = {
  "bert.", "encoder.layer.%d.", "attention.self.query", "attention.self.key",
  "attention.self.value", "attention.output.dense", "attention.output.LayerNorm",
  "intermediate.dense", "output.dense", "output.LayerNorm"};
static const arch_names DISTILBERT_NAMES = {
  "distilbert.", "transformer.layer.%d.", "attention.q_lin", "attention.k_lin",
  "attention.v_lin", "attention.out_lin", "sa_layer_norm", "ffn.lin1", "ffn.lin2",
  "output_layer_norm"};
static const arch_names MPNET_NAMES = {
  "mpnet.", "encoder.layer.%d.", "attention.attn.q", "attention.attn.k", "attention.attn.v",
  "attention.attn.o", "attention.LayerNorm", "intermediate.dense", "output.dense",
  "output.LayerNorm"};

const char *ee_arch_name(ee_arch a) {
  switch (a) {
  case EE_ARCH_DISTILBERT: return "distilbert";
  case EE_ARCH_MPNET: return "mpnet";
  case EE_ARCH_ROBERTA: return "roberta";
  case EE_ARCH_XLM_ROBERTA: return "xlm-roberta";
  case EE_ARCH_NOMIC_BERT: return "nomic_bert";
  case EE_ARCH_MODERNBERT: return "modernbert";
  case EE_ARCH_GTE: return "new";
  default: return "bert";
  }
}

/* MPNet's relative_attention_bias (buckets x heads) as w->rel_bias, a row
** per head over distances -rel_max..rel_max: one lookup per score in the
** attention loop instead of a bucket computation. */
static ee_status relative_bias_table(ee_weights *w, const ee_config *cfg, const float *by_bucket,
                                     ee_error *err) {
  const int NH = cfg->num_heads;
  w->rel_max = cfg->max_position_embeddings - cfg->position_offset - 1;
  w->rel_ld = 2 * (int64_t)w->rel_max + 1;
  float *table = NULL;
  ee_status rc = own_floats(w, NH * w->rel_ld, &table, err);
  if (rc != EE_OK) return rc;
  for (int64_t r = -w->rel_max; r <= w->rel_max; r++) {
    const int b = ee_relative_position_bucket((int)r, EE_MPNET_BUCKETS, EE_MPNET_MAX_DISTANCE);
    for (int h = 0; h < NH; h++) table[h * w->rel_ld + w->rel_max + r] = by_bucket[b * NH + h];
  }
  w->rel_bias = table;
  return EE_OK;
}

/* Rotary angles (*out) of positions 0 .. max_position_embeddings - 1 as
** NomicBertRotaryEmbedding and ModernBertRotaryEmbedding compute them, in
** float: inverse frequencies 1 / base^(2i / d) (the exponent a float
** division, as torch.arange(0, d, 2) / d), angle = float(j) * inv_freq
** rounded to float (torch.outer, or a float32 matmul with one term), then
** its cosine and sine. */
static ee_status rotary_table(ee_weights *w, const ee_config *cfg, float base, const float **out,
                              ee_error *err) {
  const int d = cfg->head_dim, half = d / 2;
  float *table = NULL, inv_freq[EE_ROPE_MAX_HALF];
  if (half > EE_ROPE_MAX_HALF)
    return ee_set_error(err, EE_ERR_UNSUPPORTED, "head size %d in %s/config.json is over %d",
                        d, w->weights_file, 2 * EE_ROPE_MAX_HALF);
  ee_status rc = own_floats(w, (int64_t)cfg->max_position_embeddings * d, &table, err);
  if (rc != EE_OK) return rc;
  /* GTE's NTK scaling divides them by f^(2/d), a float division as torch's */
  const float divisor = cfg->rotary_divisor > 0.0f ? cfg->rotary_divisor : 1.0f;
  for (int i = 0; i < half; i++)
    inv_freq[i] = 1.0f / powf(base, (float)(2 * i) / (float)d) / divisor;
  for (int64_t j = 0; j < cfg->max_position_embeddings; j++)
    for (int i = 0; i < half; i++) {
      const float angle = (float)j * inv_freq[i];
      table[j * d + i] = cosf(angle);
      table[j * d + half + i] = sinf(angle);
    }
  *out = table;
  return EE_OK;
}

/* n floats of zeros that w owns: the position or token-type row of a model
** without that table, or a LayerNorm's bias for one without biases. */
static ee_status zero_floats(ee_weights *w, int64_t n, const float **out, ee_error *err) {
  float *zero = NULL;
  ee_status rc = own_floats(w, n, &zero, err);
  if (rc != EE_OK) return rc;
  memset(zero, 0, sizeof(float) * (size_t)n);
  *out = zero;
  return EE_OK;
}

/* NomicBertModel's tensors (NomicBertForPreTraining puts "bert." before
** them): no position table (a zero row stands in, so the embedding sum is
** word + type), the attention's Q, K, V one [3H, H] tensor, the FFN's up
** and gate fc11 and fc12, no biases but the LayerNorms' (v1, v1.5); or
** (v2-moe) fc1 and fc2, the biases config.json asks for, and in the MoE
** layers the router and the experts instead of fc1 and fc2. */
static ee_status nomic_weights(ee_weights *w, const ee_config *cfg, ee_error *err) {
  const char *prefix =
      !has_tensor(w, "embeddings.word_embeddings.weight") &&
              has_tensor(w, "bert.embeddings.word_embeddings.weight") ? "bert." : "";
  const int64_t H = cfg->hidden_size, I = cfg->intermediate_size;
  char hint_vh[128], hint_th[128], hint_h[64], hint_qkv[64], hint_ih[112], hint_hi[112];
  snprintf(hint_vh, sizeof hint_vh, "config.json: vocab_size %d (padded), n_embd %d",
           cfg->vocab_size, cfg->hidden_size);
  snprintf(hint_th, sizeof hint_th, "config.json: type_vocab_size %d, n_embd %d",
           cfg->type_vocab_size, cfg->hidden_size);
  snprintf(hint_h, sizeof hint_h, "config.json: n_embd %d", cfg->hidden_size);
  snprintf(hint_qkv, sizeof hint_qkv, "config.json: 3 x n_embd %d", cfg->hidden_size);
  const char *inner = cfg->glu ? "n_inner rounded up to 256 =" : "n_inner";
  snprintf(hint_ih, sizeof hint_ih, "config.json: %s %d, n_embd %d", inner, cfg->intermediate_size,
           cfg->hidden_size);
  snprintf(hint_hi, sizeof hint_hi, "config.json: n_embd %d, %s %d", cfg->hidden_size, inner,
           cfg->intermediate_size);
  char hint_eh[96], hint_moe[128];
  snprintf(hint_eh, sizeof hint_eh, "config.json: num_experts %d, n_embd %d", cfg->moe_experts,
           cfg->hidden_size);
  snprintf(hint_moe, sizeof hint_moe, "config.json: num_experts %d x n_inner %d, n_embd %d",
           cfg->moe_experts, cfg->intermediate_size, cfg->hidden_size);
  ee_status rc;
  if ((rc = zero_floats(w, H, &w->pos, err)) != EE_OK) return rc;
#define BIND(name, d0, d1, hint, out)   if ((rc = bind(w, prefix, name, d0, d1, hint, out, err)) != EE_OK) return rc
  if ((rc = bind_word_rows(w, prefix, "embeddings.word_embeddings.weight", cfg->vocab_size, H, hint_vh, err)) != EE_OK)
    return rc;
  BIND("embeddings.token_type_embeddings.weight", cfg->type_vocab_size, H, hint_th, &w->type);
  BIND("emb_ln.weight", H, -1, hint_h, &w->emb_ln_g);
  BIND("emb_ln.bias", H, -1, hint_h, &w->emb_ln_b);
  w->layers = se_calloc((size_t)cfg->num_layers, sizeof *w->layers);
  if (!w->layers) return ee_set_error(err, EE_ERR_NOMEM, "out of memory loading %s", w->weights_file);
  for (int l = 0; l < cfg->num_layers; l++) {
    ee_layer *ly = &w->layers[l];
    char n[96];
    const float *qkv = NULL;
#define LBIND(suffix, d0, d1, hint, out)                   snprintf(n, sizeof n, "encoder.layers.%d." suffix, l);   BIND(n, d0, d1, hint, out)
    const float *qkv_b = NULL;
    LBIND("attn.Wqkv.weight", 3 * H, H, hint_qkv, &qkv);
    LBIND("attn.out_proj.weight", H, H, hint_h, &ly->o_w);
    if (cfg->bias_qkv) { /* qkv_proj_bias: out_proj's too */
      LBIND("attn.Wqkv.bias", 3 * H, -1, hint_qkv, &qkv_b);
      LBIND("attn.out_proj.bias", H, -1, hint_h, &ly->o_b);
    }
    LBIND("norm1.weight", H, -1, hint_h, &ly->ln1_g);
    LBIND("norm1.bias", H, -1, hint_h, &ly->ln1_b);
    if (ee_moe_layer(cfg, l)) { /* no fc1/fc2: the router and the experts */
      const int64_t E = cfg->moe_experts;
      LBIND("mlp.router.layer.weight", E, H, hint_eh, &ly->router_w);
      LBIND("mlp.experts.mlp.w1", E * I, H, hint_moe, &ly->moe_w1);
      LBIND("mlp.experts.mlp.w2", E * I, H, hint_moe, &ly->moe_w2);
      LBIND("mlp.experts.bias", H, -1, hint_h, &ly->moe_b);
    } else if (cfg->glu) {
      LBIND("mlp.fc11.weight", I, H, hint_ih, &ly->i_w);
      LBIND("mlp.fc12.weight", I, H, hint_ih, &ly->g_w);
      LBIND("mlp.fc2.weight", H, I, hint_hi, &ly->f_w);
    } else {
      LBIND("mlp.fc1.weight", I, H, hint_ih, &ly->i_w);
      LBIND("mlp.fc2.weight", H, I, hint_hi, &ly->f_w);
      if (cfg->bias_fc1) LBIND("mlp.fc1.bias", I, -1, hint_ih, &ly->i_b);
      if (cfg->bias_fc2) LBIND("mlp.fc2.bias", H, -1, hint_h, &ly->f_b);
    }
    LBIND("norm2.weight", H, -1, hint_h, &ly->ln2_g);
    LBIND("norm2.bias", H, -1, hint_h, &ly->ln2_b);
#undef LBIND
    /* rows "(three h d)": queries, then keys, then values */
    ly->q_w = qkv, ly->k_w = qkv + H * H, ly->v_w = qkv + 2 * H * H;
    if (qkv_b) ly->q_b = qkv_b, ly->k_b = qkv_b + H, ly->v_b = qkv_b + 2 * H;
  }
#undef BIND
  return rotary_table(w, cfg, cfg->rotary_base, &w->rope, err);
}

/* What a wrong shape's error shows beside the expected one, in
** transformers' config.json keys (ModernBERT, GTE, JinaBert's FFN): the
** word table (vh), the token types (th), an H vector (h), a fused Q/K/V
** (qkv), a gated up-projection of 2I rows (ih), the down-projection (hi). */
typedef struct shape_hints {
  char vh[128], th[128], h[64], qkv[64], ih[112], hi[112];
} shape_hints;

static void shape_hints_of(const ee_config *cfg, shape_hints *k) {
  snprintf(k->vh, sizeof k->vh, "config.json: vocab_size %d, hidden_size %d", cfg->vocab_size,
           cfg->hidden_size);
  snprintf(k->th, sizeof k->th, "config.json: type_vocab_size %d, hidden_size %d",
           cfg->type_vocab_size, cfg->hidden_size);
  snprintf(k->h, sizeof k->h, "config.json: hidden_size %d", cfg->hidden_size);
  snprintf(k->qkv, sizeof k->qkv, "config.json: 3 x hidden_size %d", cfg->hidden_size);
  snprintf(k->ih, sizeof k->ih, "config.json: 2 x intermediate_size %d, hidden_size %d",
           cfg->intermediate_size, cfg->hidden_size);
  snprintf(k->hi, sizeof k->hi, "config.json: hidden_size %d, intermediate_size %d",
           cfg->hidden_size, cfg->intermediate_size);
}

/* ModernBertModel's tensors (ModernBertForMaskedLM and the classifiers put
** "model." before them): embeddings.tok_embeddings and embeddings.norm (no
** position or token-type table: zero rows), per layer attn.Wqkv [3H, H],
** attn.Wo, attn_norm (none in layer 0, whose attention reads the
** embeddings' output), mlp_norm, mlp.Wi [2I, H] (rows [0, I) the input
** that goes through the activation, [I, 2I) the gate that multiplies it),
** mlp.Wo [H, I]; final_norm.  No biases: every LayerNorm gets a zero one.
** Two rotary tables, for global and local layers. */
static ee_status modernbert_weights(ee_weights *w, const ee_config *cfg, ee_error *err) {
  const char *prefix =
      !has_tensor(w, "embeddings.tok_embeddings.weight") &&
              has_tensor(w, "model.embeddings.tok_embeddings.weight") ? "model." : "";
  const int64_t H = cfg->hidden_size, I = cfg->intermediate_size;
  shape_hints k;
  shape_hints_of(cfg, &k);
  ee_status rc;
  const float *zero = NULL;
  if ((rc = zero_floats(w, H, &zero, err)) != EE_OK) return rc;
  w->pos = w->type = w->emb_ln_b = w->final_b = zero;
#define BIND(name, d0, d1, hint, out) \
  if ((rc = bind(w, prefix, name, d0, d1, hint, out, err)) != EE_OK) return rc
  if ((rc = bind_word_rows(w, prefix, "embeddings.tok_embeddings.weight", cfg->vocab_size, H, k.vh,
                           err)) != EE_OK)
    return rc;
  BIND("embeddings.norm.weight", H, -1, k.h, &w->emb_ln_g);
  BIND("final_norm.weight", H, -1, k.h, &w->final_g);
  w->layers = se_calloc((size_t)cfg->num_layers, sizeof *w->layers);
  if (!w->layers) return ee_set_error(err, EE_ERR_NOMEM, "out of memory loading %s", w->weights_file);
  for (int l = 0; l < cfg->num_layers; l++) {
    ee_layer *ly = &w->layers[l];
    char n[96];
    const float *qkv = NULL, *wi = NULL;
#define LBIND(suffix, d0, d1, hint, out) \
  snprintf(n, sizeof n, "layers.%d." suffix, l); \
  BIND(n, d0, d1, hint, out)
    LBIND("attn.Wqkv.weight", 3 * H, H, k.qkv, &qkv);
    LBIND("attn.Wo.weight", H, H, k.h, &ly->o_w);
    if (l > 0) {
      LBIND("attn_norm.weight", H, -1, k.h, &ly->ln1_g);
      ly->ln1_b = zero;
    }
    LBIND("mlp_norm.weight", H, -1, k.h, &ly->ln2_g);
    ly->ln2_b = zero;
    LBIND("mlp.Wi.weight", 2 * I, H, k.ih, &wi);
    LBIND("mlp.Wo.weight", H, I, k.hi, &ly->f_w);
#undef LBIND
    ly->q_w = qkv, ly->k_w = qkv + H * H, ly->v_w = qkv + 2 * H * H;
    ly->g_w = wi, ly->i_w = wi + I * H; /* act(g_w x) * (i_w x): forward.c, glu_act */
  }
#undef BIND
  if ((rc = rotary_table(w, cfg, cfg->rotary_base, &w->rope, err)) != EE_OK) return rc;
  return rotary_table(w, cfg, cfg->rotary_base_local, &w->rope_local, err);
}

/* JinaBert's ALiBi as w->rel_bias: head h's score of key j for query i
** gets -slope_h * |i - j|, slope_h as JinaBertEncoder's
** _get_alibi_head_slopes computes it in double (2^(-8/n) to the power h + 1
** for n a power of two; else those of the power of two below and every
** other of twice it), then the product in float as torch's
** float32 slopes times the integer distances. */
static ee_status alibi_table(ee_weights *w, const ee_config *cfg, ee_error *err) {
  const int NH = cfg->num_heads;
  w->rel_max = cfg->max_position_embeddings - 1;
  w->rel_ld = 2 * (int64_t)w->rel_max + 1;
  float *table = NULL;
  ee_status rc = own_floats(w, NH * w->rel_ld, &table, err);
  if (rc != EE_OK) return rc;
  const int p2 = 1 << (int)floor(log2((double)NH)); /* the power of two at or below NH */
  for (int h = 0; h < NH; h++) {
    /* heads past p2 take slopes 1, 3, 5, ... of 2 * p2 heads (index 2k of the list) */
    const int n = h < p2 ? p2 : 2 * p2, i = h < p2 ? h : 2 * (h - p2);
    const double start = pow(2.0, -pow(2.0, -(log2((double)n) - 3.0)));
    const float slope = (float)(start * pow(start, (double)i));
    for (int64_t r = -w->rel_max; r <= w->rel_max; r++)
      table[h * w->rel_ld + w->rel_max + r] = slope * (float)-(r < 0 ? -r : r);
  }
  w->rel_bias = table;
  return EE_OK;
}

/* Binds "encoder.layer.<l>.<suffix>" (under prefix), as JinaBert's layer
** parts outside BERT's names are found. */
static ee_status bind_in_layer(ee_weights *w, const char *prefix, int l, const char *suffix, int64_t d0,
                               int64_t d1, const char *hint, const float **out, ee_error *err) {
  char n[128];
  snprintf(n, sizeof n, "encoder.layer.%d.%s", l, suffix);
  return bind(w, prefix, n, d0, d1, hint, out, err);
}

/* JinaBert's gated FFN of layer l: mlp.gated_layers [2I, H] without bias
** (rows [0, I) go through the activation, [I, 2I) multiply them), mlp.wo
** with its bias, mlp.layernorm over it + the residual (BERT's output
** LayerNorm's place). */
static ee_status jina_ffn(ee_weights *w, const ee_config *cfg, const char *prefix, int l,
                          ee_layer *ly, ee_error *err) {
  const int64_t H = cfg->hidden_size, I = cfg->intermediate_size;
  shape_hints k;
  shape_hints_of(cfg, &k);
  const float *gated = NULL;
  ee_status rc;
#define MBIND(suffix, d0, d1, hint, out) \
  if ((rc = bind_in_layer(w, prefix, l, "mlp." suffix, d0, d1, hint, out, err)) != EE_OK) return rc
  /* A GGUF file (gguf.c) holds ffn_gate and ffn_up as the halves (converters
  ** before 2025), or the whole tensor as ffn_up (since). */
  char gate[128], whole[128];
  snprintf(gate, sizeof gate, "%sencoder.layer.%d.mlp.gated_layers_w.weight", prefix, l);
  snprintf(whole, sizeof whole, "%sencoder.layer.%d.mlp.gated_layers_v.weight", prefix, l);
  if (has_tensor(w, gate)) {
    snprintf(k.ih, sizeof k.ih, "config.json: intermediate_size %d, hidden_size %d",
             cfg->intermediate_size, cfg->hidden_size);
    MBIND("gated_layers_w.weight", I, H, k.ih, &ly->g_w);
    MBIND("gated_layers_v.weight", I, H, k.ih, &ly->i_w);
  } else {
    if (has_tensor(w, whole)) {
      MBIND("gated_layers_v.weight", 2 * I, H, k.ih, &gated);
    } else {
      MBIND("gated_layers.weight", 2 * I, H, k.ih, &gated);
    }
    ly->g_w = gated, ly->i_w = gated + I * H; /* act(g_w x) * (i_w x): forward.c */
  }
  MBIND("wo.weight", H, I, k.hi, &ly->f_w);
  MBIND("wo.bias", H, -1, k.h, &ly->f_b);
  MBIND("layernorm.weight", H, -1, k.h, &ly->ln2_g);
  MBIND("layernorm.bias", H, -1, k.h, &ly->ln2_b);
#undef MBIND
  return EE_OK;
}

/* The rest of layer l of JinaBert's qk-post-norm variant
** (jinaai/jina-bert-v2-qk-post-norm, jina-embeddings-v2-base-code), as its
** modeling code (transformers' modular_jina_bert.py),
** text-embeddings-inference's JinaCodeBertModel and llama.cpp's jina-bert-v2
** graph compute it: attention.self.layer_norm_q / _k over the projected
** queries and keys, layer_norm_1 over attention.output.LayerNorm's output
** plus the layer input again; then (ffn, its safetensors' names; a GGUF
** file has jina_ffn's) mlp.up_gated_layer [2I, H] without bias (rows
** [0, I) the up half, [I, 2I) the gate that goes through the activation:
** the other way round from gated_layers), mlp.down_layer with its bias,
** layer_norm_2 over it + the residual. */
static ee_status jina_code_layer(ee_weights *w, const ee_config *cfg, const char *prefix, int l, int ffn,
                                 ee_layer *ly, ee_error *err) {
  const int64_t H = cfg->hidden_size, I = cfg->intermediate_size;
  shape_hints k;
  shape_hints_of(cfg, &k);
  const float *up_gated = NULL;
  ee_status rc;
#define CBIND(suffix, d0, d1, hint, out) \
  if ((rc = bind_in_layer(w, prefix, l, suffix, d0, d1, hint, out, err)) != EE_OK) return rc
  CBIND("attention.self.layer_norm_q.weight", H, -1, k.h, &ly->qn_g);
  CBIND("attention.self.layer_norm_q.bias", H, -1, k.h, &ly->qn_b);
  CBIND("attention.self.layer_norm_k.weight", H, -1, k.h, &ly->kn_g);
  CBIND("attention.self.layer_norm_k.bias", H, -1, k.h, &ly->kn_b);
  CBIND("layer_norm_1.weight", H, -1, k.h, &ly->ln1x_g);
  CBIND("layer_norm_1.bias", H, -1, k.h, &ly->ln1x_b);
  if (!ffn) return EE_OK;
  CBIND("mlp.up_gated_layer.weight", 2 * I, H, k.ih, &up_gated);
  ly->i_w = up_gated, ly->g_w = up_gated + I * H;
  CBIND("mlp.down_layer.weight", H, I, k.hi, &ly->f_w);
  CBIND("mlp.down_layer.bias", H, -1, k.h, &ly->f_b);
  CBIND("layer_norm_2.weight", H, -1, k.h, &ly->ln2_g);
  CBIND("layer_norm_2.bias", H, -1, k.h, &ly->ln2_b);
#undef CBIND
  return EE_OK;
}

/* GTE v1.5's NewModel tensors (NewForSequenceClassification puts "new."
** before them): no position table (rotary; a zero row), a token-type table
** only when config.json's type_vocab_size is not 0 (else a zero row),
** attention.qkv_proj [3H, H] with its bias (or q_proj, k_proj, v_proj when
** pack_qkv is false), attention.o_proj, attn_ln, mlp.up_gate_proj [2I, H]
** without bias (rows [0, I) the up half, [I, 2I) the gate that goes
** through the activation), mlp.down_proj, mlp_ln.  *prefix: what was found. */
static ee_status gte_weights(ee_weights *w, const ee_config *cfg, const char **prefix,
                             ee_error *err) {
  const char *pre = !has_tensor(w, "embeddings.word_embeddings.weight") &&
                            has_tensor(w, "new.embeddings.word_embeddings.weight") ? "new." : "";
  *prefix = pre;
  const int64_t H = cfg->hidden_size, I = cfg->intermediate_size;
  shape_hints k;
  shape_hints_of(cfg, &k);
  ee_status rc;
  if ((rc = zero_floats(w, H, &w->pos, err)) != EE_OK) return rc;
#define BIND(name, d0, d1, hint, out) \
  if ((rc = bind(w, pre, name, d0, d1, hint, out, err)) != EE_OK) return rc
  if ((rc = bind_word_rows(w, pre, "embeddings.word_embeddings.weight", cfg->vocab_size, H, k.vh,
                           err)) != EE_OK)
    return rc;
  if (cfg->no_token_types) {
    if ((rc = zero_floats(w, H, &w->type, err)) != EE_OK) return rc;
  } else {
    BIND("embeddings.token_type_embeddings.weight", cfg->type_vocab_size, H, k.th, &w->type);
  }
  BIND("embeddings.LayerNorm.weight", H, -1, k.h, &w->emb_ln_g);
  BIND("embeddings.LayerNorm.bias", H, -1, k.h, &w->emb_ln_b);
  w->layers = se_calloc((size_t)cfg->num_layers, sizeof *w->layers);
  if (!w->layers) return ee_set_error(err, EE_ERR_NOMEM, "out of memory loading %s", w->weights_file);
  for (int l = 0; l < cfg->num_layers; l++) {
    ee_layer *ly = &w->layers[l];
    char n[96];
    const float *up_gate = NULL;
#define LBIND(suffix, d0, d1, hint, out) \
  snprintf(n, sizeof n, "encoder.layer.%d." suffix, l); \
  BIND(n, d0, d1, hint, out)
    if (cfg->split_qkv) {
      LBIND("attention.q_proj.weight", H, H, k.h, &ly->q_w);
      LBIND("attention.q_proj.bias", H, -1, k.h, &ly->q_b);
      LBIND("attention.k_proj.weight", H, H, k.h, &ly->k_w);
      LBIND("attention.k_proj.bias", H, -1, k.h, &ly->k_b);
      LBIND("attention.v_proj.weight", H, H, k.h, &ly->v_w);
      LBIND("attention.v_proj.bias", H, -1, k.h, &ly->v_b);
    } else {
      const float *qkv = NULL, *qkv_b = NULL;
      LBIND("attention.qkv_proj.weight", 3 * H, H, k.qkv, &qkv);
      LBIND("attention.qkv_proj.bias", 3 * H, -1, k.qkv, &qkv_b);
      ly->q_w = qkv, ly->k_w = qkv + H * H, ly->v_w = qkv + 2 * H * H;
      ly->q_b = qkv_b, ly->k_b = qkv_b + H, ly->v_b = qkv_b + 2 * H;
    }
    LBIND("attention.o_proj.weight", H, H, k.h, &ly->o_w);
    LBIND("attention.o_proj.bias", H, -1, k.h, &ly->o_b);
    LBIND("attn_ln.weight", H, -1, k.h, &ly->ln1_g);
    LBIND("attn_ln.bias", H, -1, k.h, &ly->ln1_b);
    LBIND("mlp.up_gate_proj.weight", 2 * I, H, k.ih, &up_gate);
    LBIND("mlp.down_proj.weight", H, I, k.hi, &ly->f_w);
    LBIND("mlp.down_proj.bias", H, -1, k.h, &ly->f_b);
    LBIND("mlp_ln.weight", H, -1, k.h, &ly->ln2_g);
    LBIND("mlp_ln.bias", H, -1, k.h, &ly->ln2_b);
#undef LBIND
    ly->i_w = up_gate, ly->g_w = up_gate + I * H; /* act(g_w x) * (i_w x): forward.c */
  }
#undef BIND
  return rotary_table(w, cfg, cfg->rotary_base, &w->rope, err);
}

/* A cross-encoder's two Linear layers (config_head.c): BERT's pooler sits
** under the encoder's prefix ("bert.pooler.dense"), every other head
** tensor at the top level, as transformers' *ForSequenceClassification
** names them. */
static ee_status head_weights(ee_weights *w, const ee_config *cfg, const char *prefix,
                              const char *hk, ee_error *err) {
  const int64_t H = cfg->hidden_size, N = cfg->labels;
  const char *first = "classifier.dense", *second = "classifier.out_proj", *first_prefix = "";
  if (cfg->arch == EE_ARCH_BERT || cfg->arch == EE_ARCH_GTE)
    first = "pooler.dense", second = "classifier", first_prefix = prefix;
  if (cfg->arch == EE_ARCH_DISTILBERT) first = "pre_classifier", second = "classifier";
  if (cfg->arch == EE_ARCH_MODERNBERT) first = "head.dense", second = "classifier";
  char n[64], hint_hh[96], hint_nh[160];
  snprintf(hint_hh, sizeof hint_hh, "config.json: %s %d", hk, cfg->hidden_size);
  snprintf(hint_nh, sizeof hint_nh, "config.json: %d label%s (id2label or num_labels), %s %d",
           cfg->labels, cfg->labels == 1 ? "" : "s", hk, cfg->hidden_size);
  ee_status rc;
  snprintf(n, sizeof n, "%s.weight", first);
  if ((rc = bind(w, first_prefix, n, H, H, hint_hh, &w->head_w[0], err)) != EE_OK) return rc;
  snprintf(n, sizeof n, "%s.bias", first);
  if (cfg->dense[0].bias && (rc = bind(w, first_prefix, n, H, -1, hint_hh, &w->head_b[0], err)) != EE_OK)
    return rc;
  if (cfg->dense[0].norm &&
      (rc = bind(w, "", "head.norm.weight", H, -1, hint_hh, &w->head_norm_g, err)) != EE_OK)
    return rc;
  snprintf(n, sizeof n, "%s.weight", second);
  if ((rc = bind(w, "", n, N, H, hint_nh, &w->head_w[1], err)) != EE_OK) return rc;
  snprintf(n, sizeof n, "%s.bias", second);
  return bind(w, "", n, N, -1, hint_nh, &w->head_b[1], err);
}

ee_status ee_weights_load(ee_weights *w, const char *dir, const ee_config *cfg, ee_error *err) {
  memset(w, 0, sizeof *w);
  ee_status rc = open_files(w, dir, err);
  if (rc != EE_OK) return rc;
  if (cfg->arch == EE_ARCH_NOMIC_BERT || cfg->arch == EE_ARCH_MODERNBERT || cfg->arch == EE_ARCH_GTE) {
    const char *prefix = "";
    rc = cfg->arch == EE_ARCH_NOMIC_BERT ? nomic_weights(w, cfg, err)
         : cfg->arch == EE_ARCH_GTE      ? gte_weights(w, cfg, &prefix, err)
                                         : modernbert_weights(w, cfg, err);
    if (rc == EE_OK && cfg->labels) rc = head_weights(w, cfg, prefix, "hidden_size", err);
    if (rc != EE_OK) return rc;
    ee_weights_unmap_unused(w);
    return EE_OK;
  }
  const arch_names *an = cfg->arch == EE_ARCH_DISTILBERT ? &DISTILBERT_NAMES
                         : cfg->arch == EE_ARCH_MPNET    ? &MPNET_NAMES
                                                         : &BERT_NAMES;
  /* RobertaModel's and XLMRobertaModel's names are BertModel's; a
  ** RobertaForXxx checkpoint puts "roberta." before them (XLM-R's too). */
  const char *model_prefix =
      cfg->arch == EE_ARCH_ROBERTA || cfg->arch == EE_ARCH_XLM_ROBERTA ? "roberta." : an->prefix;
  const char *prefix = "";
  char probe[64];
  snprintf(probe, sizeof probe, "%sembeddings.word_embeddings.weight", model_prefix);
  if (!has_tensor(w, "embeddings.word_embeddings.weight") && has_tensor(w, probe))
    prefix = model_prefix;

  const int64_t H = cfg->hidden_size, I = cfg->intermediate_size;
  /* hints name config.json's keys as the architecture spells them */
  const int distil = cfg->arch == EE_ARCH_DISTILBERT;
  const char *hk = distil ? "dim" : "hidden_size", *ik = distil ? "hidden_dim" : "intermediate_size";
  char hint_vh[128], hint_ph[128], hint_th[128], hint_h[64], hint_ih[96], hint_hi[96];
  snprintf(hint_vh, sizeof hint_vh, "config.json: vocab_size %d, %s %d", cfg->vocab_size, hk,
           cfg->hidden_size);
  snprintf(hint_ph, sizeof hint_ph, "config.json: max_position_embeddings %d, %s %d",
           cfg->max_position_embeddings, hk, cfg->hidden_size);
  snprintf(hint_th, sizeof hint_th, "config.json: type_vocab_size %d, %s %d",
           cfg->type_vocab_size, hk, cfg->hidden_size);
  snprintf(hint_h, sizeof hint_h, "config.json: %s %d", hk, cfg->hidden_size);
  snprintf(hint_ih, sizeof hint_ih, "config.json: %s %d, %s %d", ik, cfg->intermediate_size, hk,
           cfg->hidden_size);
  snprintf(hint_hi, sizeof hint_hi, "config.json: %s %d, %s %d", hk, cfg->hidden_size, ik,
           cfg->intermediate_size);

#define BIND(name, d0, d1, hint, out) \
  if ((rc = bind(w, prefix, name, d0, d1, hint, out, err)) != EE_OK) return rc
  if ((rc = bind_word_rows(w, prefix, "embeddings.word_embeddings.weight", cfg->vocab_size, H, hint_vh, err)) != EE_OK)
    return rc;
  if (cfg->alibi) { /* JinaBert: no position table, a zero row */
    if ((rc = zero_floats(w, H, &w->pos, err)) != EE_OK) return rc;
  } else {
    BIND("embeddings.position_embeddings.weight", cfg->max_position_embeddings, H, hint_ph,
         &w->pos);
  }
  if (cfg->arch == EE_ARCH_DISTILBERT || cfg->arch == EE_ARCH_MPNET) {
    /* no token types: one zero row, so the embedding sum is unchanged */
    if ((rc = zero_floats(w, H, &w->type, err)) != EE_OK) return rc;
  } else {
    BIND("embeddings.token_type_embeddings.weight", cfg->type_vocab_size, H, hint_th, &w->type);
  }
  BIND("embeddings.LayerNorm.weight", H, -1, hint_h, &w->emb_ln_g);
  BIND("embeddings.LayerNorm.bias", H, -1, hint_h, &w->emb_ln_b);

  w->layers = se_calloc((size_t)cfg->num_layers, sizeof *w->layers);
  if (!w->layers) return ee_set_error(err, EE_ERR_NOMEM, "out of memory loading %s", dir);
  /* JinaBert's qk-post-norm variant says so only by its tensors (its
  ** config.json is jina-base-en's but for auto_map; its GGUF file has the
  ** norms but the base model's FFN names): decided once, by layer 0, so
  ** that a later layer missing its tensors is named as such. */
  char code_ffn_probe[96], code_norm_probe[96];
  snprintf(code_ffn_probe, sizeof code_ffn_probe, "%sencoder.layer.0.mlp.up_gated_layer.weight", prefix);
  snprintf(code_norm_probe, sizeof code_norm_probe, "%sencoder.layer.0.attention.self.layer_norm_q.weight",
           prefix);
  const int code_ffn = cfg->alibi && has_tensor(w, code_ffn_probe);
  const int jina_code = code_ffn || (cfg->alibi && has_tensor(w, code_norm_probe));
  for (int l = 0; l < cfg->num_layers; l++) {
    ee_layer *ly = &w->layers[l];
    char lp[64], n[160];
    snprintf(lp, sizeof lp, an->layer, l);
#define LBIND(part, suffix, d0, d1, hint, out)                    \
  snprintf(n, sizeof n, "%s%s." suffix, lp, an->part);            \
  BIND(n, d0, d1, hint, out)
    LBIND(q, "weight", H, H, hint_h, &ly->q_w);
    LBIND(q, "bias", H, -1, hint_h, &ly->q_b);
    LBIND(k, "weight", H, H, hint_h, &ly->k_w);
    LBIND(k, "bias", H, -1, hint_h, &ly->k_b);
    LBIND(v, "weight", H, H, hint_h, &ly->v_w);
    LBIND(v, "bias", H, -1, hint_h, &ly->v_b);
    LBIND(o, "weight", H, H, hint_h, &ly->o_w);
    LBIND(o, "bias", H, -1, hint_h, &ly->o_b);
    LBIND(ln1, "weight", H, -1, hint_h, &ly->ln1_g);
    LBIND(ln1, "bias", H, -1, hint_h, &ly->ln1_b);
    if (cfg->alibi) {
      if (jina_code && (rc = jina_code_layer(w, cfg, prefix, l, code_ffn, ly, err)) != EE_OK) return rc;
      if (!code_ffn && (rc = jina_ffn(w, cfg, prefix, l, ly, err)) != EE_OK) return rc;
      continue;
    }
    LBIND(up, "weight", I, H, hint_ih, &ly->i_w);
    LBIND(up, "bias", I, -1, hint_ih, &ly->i_b);
    LBIND(down, "weight", H, I, hint_hi, &ly->f_w);
    LBIND(down, "bias", H, -1, hint_h, &ly->f_b);
    LBIND(ln2, "weight", H, -1, hint_h, &ly->ln2_g);
    LBIND(ln2, "bias", H, -1, hint_h, &ly->ln2_b);
#undef LBIND
  }
  if (cfg->alibi && (rc = alibi_table(w, cfg, err)) != EE_OK) return rc;
  if (cfg->arch == EE_ARCH_MPNET) {
    char hint_rel[96];
    const float *by_bucket = NULL;
    snprintf(hint_rel, sizeof hint_rel, "config.json: relative_attention_num_buckets %d, num_attention_heads %d",
             EE_MPNET_BUCKETS, cfg->num_heads);
    BIND("encoder.relative_attention_bias.weight", EE_MPNET_BUCKETS, cfg->num_heads, hint_rel,
         &by_bucket);
    if ((rc = relative_bias_table(w, cfg, by_bucket, err)) != EE_OK) return rc;
  }
  if (cfg->labels && (rc = head_weights(w, cfg, prefix, hk, err)) != EE_OK) return rc;
#undef BIND
  ee_weights_unmap_unused(w);
  return EE_OK;
}

ee_status ee_weights_open_file(ee_weights *w, const char *path, ee_error *err) {
  memset(w, 0, sizeof *w);
  snprintf(w->weights_file, sizeof w->weights_file, "%s", path);
  if (!(w->files = se_calloc(1, sizeof *w->files)))
    return ee_set_error(err, EE_ERR_NOMEM, "out of memory opening %s", path);
  ee_status rc = open_weights_file(&w->files[0], path, err);
  if (rc == EE_OK) w->n_files = 1;
  return rc;
}

ee_status ee_weights_bind(ee_weights *w, const char *name, int64_t d0, int64_t d1,
                          const char *hint, const float **out, ee_error *err) {
  return bind(w, "", name, d0, d1, hint, out, err);
}

/* Files nothing points into (all converted) need not stay mapped. */
void ee_weights_unmap_unused(ee_weights *w) {
  for (int i = 0; i < w->n_files; i++)
    if (!w->files[i].used_in_place) st_close(&w->files[i]);
}

int64_t ee_weights_bytes_mapped(const ee_weights *w) {
  int64_t n = 0;
  for (int i = 0; i < w->n_files; i++) n += (int64_t)w->files[i].map_size;
  return n;
}

void ee_weights_release(ee_weights *w, const float *p) {
  for (int i = 0; p && i < w->n_owned; i++)
    if (w->owned[i] == p) {
      se_free(w->owned[i]);
      w->owned[i] = w->owned[--w->n_owned];
      return;
    }
}

void ee_weights_free(ee_weights *w) {
  if (!w) return;
  for (int i = 0; i < w->n_files; i++) st_close(&w->files[i]);
  se_free(w->files);
  for (int i = 0; i < w->n_owned; i++) se_free(w->owned[i]);
  se_free(w->owned);
  se_free(w->layers);
  memset(w, 0, sizeof *w);
}
