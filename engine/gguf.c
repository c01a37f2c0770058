/*
** gguf.c — a BERT model in one GGUF file (llama.cpp's format, what
** sqlite-lembed loads): its tensors under BertModel's names, its config and
** its WordPiece vocabulary.
**
**   st_file f;                                    // weights.c opens it so
**   st_open_with(&f, "all-MiniLM-L6-v2.F16.gguf", gguf_parse, &err);
**   ee_gguf_config(path, &cfg, &err);             // model_load.c
**   ee_gguf_tokenizer(path, &tok, &err);          // gguf_vocab.c
**
** Layout (GGUF v2 and v3, little-endian):
**   "GGUF", u32 version, u64 tensor count, u64 metadata count
**   metadata: string key, u32 type, value (strings: u64 length + bytes;
**             arrays: u32 element type, u64 count, elements)
**   tensor infos: string name, u32 n_dims, u64 ne[n_dims] (ne[0] varies
**             fastest: a torch [out, in] weight is ne = {in, out}), u32 type,
**             u64 offset from the data section
**   padding to general.alignment (32 by default), then the data section
**
** llama.cpp's convert_hf_to_gguf.py writes a BertModel as architecture
** "bert": bert.embedding_length, bert.block_count, bert.feed_forward_length,
** bert.attention.head_count, bert.attention.layer_norm_epsilon,
** bert.context_length, bert.pooling_type (1 mean, 2 CLS, from the
** sentence-transformers Pooling module), tensors token_embd, position_embd,
** token_types, token_embd_norm, blk.N.{attn_q, attn_k, attn_v, attn_output,
** attn_output_norm, ffn_up, ffn_down, layer_output_norm}, and its WordPiece
** vocabulary as tokenizer.ggml.tokens with "##" dropped from word pieces
** and U+2581 put before word starts ("[...]" tokens kept as they are).
** Here the names are mapped back to BertModel's and the vocabulary back to
** vocab.txt's form, so weights.c and the tokenizer take the model as if it
** were a Hugging Face directory.  Tensor types: F32, F16, BF16 and
** llama-quantize's Q8_0, Q4_0/Q4_1/Q5_0/Q5_1, the K-quants Q2_K..Q6_K and
** IQ4_NL/IQ4_XS (blocks of small integers with F16 scales, dequantised at
** load by ggml_blocks.c); others are refused by number.
**
** Every count, length and offset is checked against the file before use.
*/
#include "engine_int.h"
#include "gguf_int.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int GG_SIZE[GG_NTYPES] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

#define GG_MAX_TENSORS (1 << 20)
#define GG_MAX_KV (1 << 20)

static ee_status gg_bad(gg_reader *r, const char *what) {
  return ee_set_error(r->err, EE_ERR_FORMAT, "%s: %s at byte %zu (truncated or damaged GGUF file?)",
                      r->path, what, r->pos);
}

uint64_t gg_rd(const unsigned char *p, int n) {
  uint64_t x = 0;
  for (int i = n - 1; i >= 0; i--) x = (x << 8) | p[i];
  return x;
}

static int take(gg_reader *r, size_t n, const unsigned char **p) {
  if (r->size - r->pos < n) return 0;
  if (p) *p = r->buf + r->pos;
  r->pos += n;
  return 1;
}

static int take_u(gg_reader *r, int n, uint64_t *x) {
  const unsigned char *p;
  if (!take(r, (size_t)n, &p)) return 0;
  *x = gg_rd(p, n);
  return 1;
}

int gg_take_str(gg_reader *r, const char **s, size_t *n) {
  uint64_t len;
  const unsigned char *p;
  if (!take_u(r, 8, &len) || len > r->size - r->pos || !take(r, (size_t)len, &p)) return 0;
  *s = (const char *)p, *n = (size_t)len;
  return 1;
}

/* Skips one value of type t (arrays of arrays refused: GGUF files do not nest). */
static int skip_value(gg_reader *r, uint32_t t, gg_kv *kv) {
  if (t >= GG_NTYPES) return 0;
  if (t == GG_STR) {
    const char *s;
    size_t n;
    return gg_take_str(r, &s, &n);
  }
  if (t != GG_ARR) return take(r, (size_t)GG_SIZE[t], NULL);
  uint64_t et, n;
  if (!take_u(r, 4, &et) || !take_u(r, 8, &n) || et >= GG_NTYPES || et == GG_ARR) return 0;
  if (kv) kv->arr_type = (uint32_t)et, kv->arr_n = n, kv->val = r->buf + r->pos;
  if (et != GG_STR) return n <= (r->size - r->pos) / (size_t)GG_SIZE[et] &&
                           take(r, (size_t)n * (size_t)GG_SIZE[et], NULL);
  for (uint64_t i = 0; i < n; i++)
    if (!skip_value(r, GG_STR, NULL)) return 0;
  return 1;
}

static ee_status read_header(gg_reader *r, gg_header *h) {
  memset(h, 0, sizeof *h);
  const unsigned char *p;
  uint64_t version, nkv;
  if (!take(r, 4, &p) || memcmp(p, "GGUF", 4) != 0)
    return ee_set_error(r->err, EE_ERR_FORMAT, "%s is not a GGUF file (no \"GGUF\" magic)", r->path);
  if (!take_u(r, 4, &version) || !take_u(r, 8, &h->n_tensors) || !take_u(r, 8, &nkv))
    return gg_bad(r, "header cut short");
  if (version != 2 && version != 3)
    return ee_set_error(r->err, EE_ERR_UNSUPPORTED, "%s: GGUF version %llu (2 and 3 are read)",
                        r->path, (unsigned long long)version);
  /* Each entry takes bytes of the file (a metadata entry at least 13, a
  ** tensor info 33): counts past that are lies, checked before allocating. */
  if (h->n_tensors > GG_MAX_TENSORS || nkv > GG_MAX_KV || nkv > r->size / 13 ||
      h->n_tensors > r->size / 33)
    return gg_bad(r, "more tensors or metadata than the file can hold");
  h->kv = se_calloc((size_t)(nkv ? nkv : 1), sizeof *h->kv);
  if (!h->kv) return ee_set_error(r->err, EE_ERR_NOMEM, "out of memory reading %s", r->path);
  for (uint64_t i = 0; i < nkv; i++) {
    gg_kv *kv = &h->kv[i];
    uint64_t t;
    if (!gg_take_str(r, &kv->key, &kv->nkey) || !take_u(r, 4, &t)) return gg_bad(r, "metadata cut short");
    kv->type = (uint32_t)t, kv->val = r->buf + r->pos;
    if (!skip_value(r, kv->type, kv)) return gg_bad(r, "a metadata value cut short or of no known type");
    h->n_kv++;
  }
  h->tensors_at = r->pos;
  return EE_OK;
}

const gg_kv *gg_find_kv(const gg_header *h, const char *key) {
  size_t n = strlen(key);
  for (int64_t i = 0; i < h->n_kv; i++)
    if (h->kv[i].nkey == n && memcmp(h->kv[i].key, key, n) == 0) return &h->kv[i];
  return NULL;
}

/* An integer value of any integer type; 0 if absent or not an integer. */
int gg_kv_int(const gg_kv *kv, int64_t *out) {
  if (!kv) return 0;
  switch (kv->type) {
  case GG_U8: case GG_U16: case GG_U32: case GG_U64:
    *out = (int64_t)(gg_rd(kv->val, GG_SIZE[kv->type]) & (uint64_t)INT64_MAX);
    return 1;
  case GG_I8: *out = (int8_t)kv->val[0]; return 1;
  case GG_I16: *out = (int16_t)gg_rd(kv->val, 2); return 1;
  case GG_I32: *out = (int32_t)gg_rd(kv->val, 4); return 1;
  case GG_I64: { uint64_t u = gg_rd(kv->val, 8); memcpy(out, &u, 8); return 1; }
  default: return 0;
  }
}

static int kv_float(const gg_kv *kv, double *out) {
  if (!kv) return 0;
  if (kv->type == GG_F32) {
    uint32_t u = (uint32_t)gg_rd(kv->val, 4);
    float f;
    memcpy(&f, &u, 4);
    *out = f;
    return 1;
  }
  if (kv->type == GG_F64) {
    uint64_t u = gg_rd(kv->val, 8);
    memcpy(out, &u, 8);
    return 1;
  }
  int64_t i;
  if (gg_kv_int(kv, &i)) return *out = (double)i, 1;
  return 0;
}

const char *gg_kv_str64(const gg_kv *kv, int *n) {
  *n = 0;
  if (!kv || kv->type != GG_STR) return "";
  uint64_t len = gg_rd(kv->val, 8);
  *n = len < 64 ? (int)len : 64;
  return (const char *)kv->val + 8;
}

int gg_kv_is_str(const gg_kv *kv, const char *s) {
  if (!kv || kv->type != GG_STR) return 0;
  size_t n = (size_t)gg_rd(kv->val, 8);
  return n == strlen(s) && memcmp(kv->val + 8, s, n) == 0;
}

/* ---- tensors ----------------------------------------------------------------- */

/* The name map of general.architecture (BERT's for any other: the config
** refuses those by name). */

/* GGUF's names for the Hugging Face model's ("blk.N." + suffix <->
** layer prefix + name), per architecture. */
typedef struct gg_pair { const char *gguf, *hf; } gg_pair;
typedef struct gg_names {
  const char *arch;             /* general.architecture */
  const char *layer;            /* printf format of a layer's prefix */
  gg_pair layers[13], model[4];
} gg_names;

static const gg_names NAMES[] = {
  {"bert", "encoder.layer.%.*s.",
   {{"attn_q", "attention.self.query"}, {"attn_k", "attention.self.key"},
    {"attn_v", "attention.self.value"}, {"attn_output", "attention.output.dense"},
    {"attn_output_norm", "attention.output.LayerNorm"}, {"ffn_up", "intermediate.dense"},
    {"ffn_down", "output.dense"}, {"layer_output_norm", "output.LayerNorm"}},
   {{"token_embd", "embeddings.word_embeddings"}, {"position_embd", "embeddings.position_embeddings"},
    {"token_types", "embeddings.token_type_embeddings"}, {"token_embd_norm", "embeddings.LayerNorm"}}},
  /* NomicBertModel: fc11 is the FFN's up product, fc12 its gate (silu) */
  {"nomic-bert", "encoder.layers.%.*s.",
   {{"attn_qkv", "attn.Wqkv"}, {"attn_output", "attn.out_proj"}, {"attn_output_norm", "norm1"},
    {"ffn_up", "mlp.fc11"}, {"ffn_gate", "mlp.fc12"}, {"ffn_down", "mlp.fc2"},
    {"layer_output_norm", "norm2"}, {NULL, NULL}},
   {{"token_embd", "embeddings.word_embeddings"}, {"token_types", "embeddings.token_type_embeddings"},
    {"token_embd_norm", "emb_ln"}, {NULL, NULL}}},
  /* JinaBert: the converter splits mlp.gated_layers into its first half
  ** (gated_layers_w, ffn_gate: through GELU) and its second (gated_layers_v,
  ** ffn_up); weights.c binds the two as the halves of the one tensor.  The
  ** qk-post-norm variant's up_gated_layer goes the same way with its halves
  ** the other way round (the gate, through GELU, is its second), and its
  ** layer_norm_2 and down_layer to the same GGUF names; its other norms have
  ** their own */
  {"jina-bert-v2", "encoder.layer.%.*s.",
   {{"attn_q", "attention.self.query"}, {"attn_k", "attention.self.key"},
    {"attn_v", "attention.self.value"}, {"attn_output", "attention.output.dense"},
    {"attn_output_norm", "attention.output.LayerNorm"}, {"ffn_gate", "mlp.gated_layers_w"},
    {"ffn_up", "mlp.gated_layers_v"}, {"ffn_down", "mlp.wo"}, {"layer_output_norm", "mlp.layernorm"},
    {"attn_q_norm", "attention.self.layer_norm_q"}, {"attn_k_norm", "attention.self.layer_norm_k"},
    {"attn_norm_2", "layer_norm_1"}, {NULL, NULL}},
   {{"token_embd", "embeddings.word_embeddings"}, {"token_types", "embeddings.token_type_embeddings"},
    {"token_embd_norm", "embeddings.LayerNorm"}, {NULL, NULL}}},
};

/* name (n bytes) -> the Hugging Face name in out; 0 if the architecture has
** no such tensor (kept under its GGUF name, e.g. a pooler a converter left in). */
static int hf_name(const gg_names *map, const char *name, size_t n, char *out, size_t cap) {
  const char *last = NULL;
  for (size_t i = n; i > 0 && !last; i--)
    if (name[i - 1] == '.') last = name + i - 1;
  if (!last) return 0;
  const char *kind = last + 1; /* "weight" or "bias" */
  size_t nkind = (size_t)(name + n - kind);
  if (!((nkind == 6 && !memcmp(kind, "weight", 6)) || (nkind == 4 && !memcmp(kind, "bias", 4))))
    return 0;
  char prefix[64];
  if (n > 4 && !memcmp(name, "blk.", 4)) {
    const char *p = name + 4, *q = p;
    while (q < last && *q >= '0' && *q <= '9') q++;
    if (q == p || q - p > 6 || *q != '.') return 0;
    snprintf(prefix, sizeof prefix, map->layer, (int)(q - p), p);
    for (size_t i = 0; i < sizeof map->layers / sizeof *map->layers && map->layers[i].gguf; i++) {
      size_t len = strlen(map->layers[i].gguf);
      if ((size_t)(last - (q + 1)) == len && !memcmp(q + 1, map->layers[i].gguf, len))
        return snprintf(out, cap, "%s%s.%.*s", prefix, map->layers[i].hf, (int)nkind, kind) < (int)cap;
    }
    return 0;
  }
  for (size_t i = 0; i < sizeof map->model / sizeof *map->model && map->model[i].gguf; i++) {
    size_t len = strlen(map->model[i].gguf);
    if ((size_t)(last - name) == len && !memcmp(name, map->model[i].gguf, len))
      return snprintf(out, cap, "%s.%.*s", map->model[i].hf, (int)nkind, kind) < (int)cap;
  }
  return 0;
}

static const gg_names *names_of(const gg_header *h) {
  const gg_kv *arch = gg_find_kv(h, "general.architecture");
  for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++)
    if (gg_kv_is_str(arch, NAMES[i].arch)) return &NAMES[i];
  return &NAMES[0];
}

static int cmp_name(const void *a, const void *b) {
  return strcmp(((const st_tensor *)a)->name, ((const st_tensor *)b)->name);
}

ee_status gguf_parse(st_file *f, const char *path, const unsigned char *buf, size_t size,
                     ee_error *err) {
  if (!f->path && !(f->path = se_strndup(path, strlen(path))))
    return ee_set_error(err, EE_ERR_NOMEM, "out of memory opening %s", path);
  gg_reader r = {buf, size, 0, path, err};
  gg_header h;
  ee_status rc = read_header(&r, &h);
  if (rc != EE_OK) goto done;
  int64_t align = 32;
  const gg_kv *al = gg_find_kv(&h, "general.alignment");
  if (al && (!gg_kv_int(al, &align) || align < 1 || align > 65536 || (align & (align - 1)))) {
    rc = ee_set_error(err, EE_ERR_FORMAT, "%s: general.alignment must be a power of two up to 65536",
                      path);
    goto done;
  }
  const gg_names *map = names_of(&h);
  f->tensors = se_calloc((size_t)(h.n_tensors ? h.n_tensors : 1), sizeof *f->tensors);
  if (!f->tensors) {
    rc = ee_set_error(err, EE_ERR_NOMEM, "out of memory reading %s", path);
    goto done;
  }
  /* Names and types first; offsets need the data section's start, after all infos. */
  uint64_t *offsets = se_calloc((size_t)(h.n_tensors ? h.n_tensors : 1), sizeof *offsets);
  if (!offsets) {
    rc = ee_set_error(err, EE_ERR_NOMEM, "out of memory reading %s", path);
    goto done;
  }
  for (uint64_t i = 0; i < h.n_tensors && rc == EE_OK; i++) {
    st_tensor *t = &f->tensors[i];
    const char *name;
    size_t nname;
    uint64_t nd, type;
    if (!gg_take_str(&r, &name, &nname) || !take_u(&r, 4, &nd)) {
      rc = gg_bad(&r, "a tensor info cut short");
      break;
    }
    if (nd < 1 || nd > 4 || memchr(name, 0, nname) || nname > 200) {
      rc = gg_bad(&r, "a tensor with no or more than 4 dimensions, or a bad name");
      break;
    }
    char hf[256];
    t->name = hf_name(map, name, nname, hf, sizeof hf) ? se_strndup(hf, strlen(hf))
                                                       : se_strndup(name, nname);
    if (!t->name) {
      rc = ee_set_error(err, EE_ERR_NOMEM, "out of memory reading %s", path);
      break;
    }
    f->n_tensors++;
    t->ndim = (int)nd;
    int64_t numel = 1;
    for (uint64_t d = 0; d < nd; d++) {
      uint64_t ne;
      if (!take_u(&r, 8, &ne)) {
        rc = gg_bad(&r, "a tensor info cut short");
        break;
      }
      if (ne > (uint64_t)EE_MAX_HEADER * 64 || (ne && numel > (INT64_MAX / 8) / (int64_t)ne)) {
        rc = ee_set_error(err, EE_ERR_FORMAT, "tensor '%.200s' in %s: shape is too large", t->name, path);
        break;
      }
      t->shape[nd - 1 - d] = (int64_t)ne; /* ne[0] varies fastest: the last row-major dim */
      numel *= (int64_t)ne;
    }
    if (rc != EE_OK) break;
    t->numel = numel;
    /* Converters of 2024 squeezed a one-row token type table to 1-D. */
    if (t->ndim == 1 && !strcmp(t->name, "embeddings.token_type_embeddings.weight"))
      t->ndim = 2, t->shape[1] = t->shape[0], t->shape[0] = 1;
    if (!take_u(&r, 4, &type) || !take_u(&r, 8, &offsets[i])) {
      rc = gg_bad(&r, "a tensor info cut short");
      break;
    }
    /* ggml's type ids (ggml.h enum ggml_type) */
    static const struct { uint64_t id; st_dtype dt; } TYPES[] = {
      {0, ST_F32},   {1, ST_F16},   {2, ST_Q4_0},  {3, ST_Q4_1},   {6, ST_Q5_0},
      {7, ST_Q5_1},  {8, ST_Q8_0},  {10, ST_Q2_K}, {11, ST_Q3_K},  {12, ST_Q4_K},
      {13, ST_Q5_K}, {14, ST_Q6_K}, {20, ST_IQ4_NL}, {23, ST_IQ4_XS}, {30, ST_BF16}};
    int k = -1;
    for (size_t j = 0; j < sizeof TYPES / sizeof *TYPES; j++)
      if (TYPES[j].id == type) k = (int)j;
    if (k < 0) {
      rc = ee_set_error(err, EE_ERR_UNSUPPORTED,
                        "tensor '%.200s' in %s has GGML type %llu (read: F32, F16, BF16, Q8_0, "
                        "Q4_0, Q4_1, Q5_0, Q5_1, Q2_K to Q6_K, IQ4_NL, IQ4_XS; the IQ1/IQ2/IQ3 and "
                        "TQ types are not: quantize the model to one of those)",
                        t->name, path, (unsigned long long)type);
      break;
    }
    t->dtype = TYPES[k].dt;
    const int block = gb_block_values(t->dtype);
    if (block && t->shape[t->ndim - 1] % block != 0) {
      rc = ee_set_error(err, EE_ERR_FORMAT, "tensor '%.200s' in %s: %s rows of %lld values, not "
                        "whole blocks of %d", t->name, path, gb_name(t->dtype),
                        (long long)t->shape[t->ndim - 1], block);
      break;
    }
  }
  if (rc == EE_OK) {
    size_t data = (r.pos + (size_t)align - 1) / (size_t)align * (size_t)align;
    if (data > size) data = size;
    f->data = buf + data, f->data_size = (int64_t)(size - data);
    for (int i = 0; i < f->n_tensors && rc == EE_OK; i++) {
      st_tensor *t = &f->tensors[i];
      int64_t bytes = st_tensor_bytes(t->dtype, t->numel);
      if (offsets[i] > (uint64_t)f->data_size || bytes > f->data_size - (int64_t)offsets[i])
        rc = ee_set_error(err, EE_ERR_FORMAT,
                          "tensor '%.200s' in %s: %lld bytes at offset %llu run past the end of "
                          "the file (truncated file?)",
                          t->name, path, (long long)bytes, (unsigned long long)offsets[i]);
      t->begin = (int64_t)offsets[i], t->end = t->begin + bytes;
    }
  }
  se_free(offsets);
  if (rc == EE_OK) {
    qsort(f->tensors, (size_t)f->n_tensors, sizeof *f->tensors, cmp_name);
    for (int i = 1; i < f->n_tensors && rc == EE_OK; i++)
      if (strcmp(f->tensors[i - 1].name, f->tensors[i].name) == 0)
        rc = ee_set_error(err, EE_ERR_FORMAT, "%s: tensor '%.200s' appears twice", path,
                          f->tensors[i].name);
  }
done:
  se_free(h.kv);
  return rc;
}

int ee_is_gguf(const char *path) {
  size_t n = strlen(path);
  return n > 5 && strcmp(path + n - 5, ".gguf") == 0 && ee_file_exists(path);
}

/* ---- config and vocabulary ------------------------------------------------------ */

/* The file mapped and its header read: *f to st_close, h->kv to se_free. */
ee_status gg_open_header(const char *path, st_file *f, gg_header *h, ee_error *err) {
  memset(h, 0, sizeof *h);
  ee_status rc = st_open_with(f, path, gguf_parse, err);
  if (rc != EE_OK) return rc;
  gg_reader r = {f->map, f->map_size, 0, path, err};
  if ((rc = read_header(&r, h)) != EE_OK) {
    se_free(h->kv);
    st_close(f);
  }
  return rc;
}

/* "<arch>.<key>" of the file's architecture. */
static const gg_kv *arch_kv(const gg_header *h, const char *arch, const char *key) {
  char full[128];
  snprintf(full, sizeof full, "%s.%s", arch, key);
  return gg_find_kv(h, full);
}

/* The GGUF architectures read, as config.json's kinds. */
typedef enum gg_kind { GG_BERT, GG_NOMIC, GG_JINA } gg_kind;
static const char *const KIND_ARCH[] = {"bert", "nomic-bert", "jina-bert-v2"};

/* The config.json the keys came from, for config.c / config_nomic.c to check
** as any other: BertModel's keys (JinaBert's too), or NomicBertModel's GPT-2
** ones. */
static ee_status build_config(const gg_header *h, const st_file *f, gg_kind kind, const char *path,
                              json_t *root, ee_error *err) {
  const int nomic = kind == GG_NOMIC;
  const char *arch = KIND_ARCH[kind];
  static const char *const GG[] = {"embedding_length", "block_count", "attention.head_count",
                                   "feed_forward_length", "context_length"};
  static const char *const BERT[] = {"hidden_size", "num_hidden_layers", "num_attention_heads",
                                     "intermediate_size", "max_position_embeddings"};
  static const char *const NOMIC[] = {"n_embd", "n_layer", "n_head", "n_inner", "n_positions"};
  for (size_t i = 0; i < 5; i++) {
    int64_t v;
    const gg_kv *kv = arch_kv(h, arch, GG[i]);
    if (!gg_kv_int(kv, &v))
      return ee_set_error(err, EE_ERR_FORMAT, "%s: %s.%s %s", path, arch, GG[i],
                          kv ? "is not an integer" : "is missing");
    if (json_object_set_new(root, nomic ? NOMIC[i] : BERT[i], json_integer(v))) return EE_ERR_NOMEM;
  }
  int64_t tv;
  if (gg_kv_int(gg_find_kv(h, "tokenizer.ggml.token_type_count"), &tv) &&
      json_object_set_new(root, "type_vocab_size", json_integer(tv)))
    return EE_ERR_NOMEM;
  /* The word table's rows (a NomicBert table is padded past the tokens). */
  const gg_kv *tokens = gg_find_kv(h, "tokenizer.ggml.tokens");
  const st_tensor *word = st_find(f, "embeddings.word_embeddings.weight");
  if (!tokens || tokens->type != GG_ARR || tokens->arr_type != GG_STR)
    return ee_set_error(err, EE_ERR_FORMAT, "%s: no tokenizer.ggml.tokens string array", path);
  int64_t rows = word && word->ndim == 2 ? word->shape[0] : (int64_t)tokens->arr_n;
  if (json_object_set_new(root, "vocab_size", json_integer(rows))) return EE_ERR_NOMEM;
  double v;
  const gg_kv *e = arch_kv(h, arch, "attention.layer_norm_epsilon");
  if (e && !kv_float(e, &v))
    return ee_set_error(err, EE_ERR_FORMAT, "%s: %s.attention.layer_norm_epsilon is not a number",
                        path, arch);
  if (e && json_object_set_new(root, nomic ? "layer_norm_epsilon" : "layer_norm_eps", json_real(v)))
    return EE_ERR_NOMEM;
  const gg_kv *causal = arch_kv(h, arch, "attention.causal");
  if (causal && causal->type == GG_BOOL && causal->val[0])
    return ee_set_error(err, EE_ERR_UNSUPPORTED, "%s: %s.attention.causal is true (an encoder "
                        "attends both ways)", path, arch);
  if (json_object_set_new(root, "model_type", json_string(nomic ? "nomic_bert" : "bert")))
    return EE_ERR_NOMEM;
  if (kind == GG_JINA) {
    /* What llama.cpp's jina-bert-v2 graph computes: ALiBi, GELU(ffn_gate) *
    ** ffn_up; jina-embeddings-v2-base-code's attn_q_norm, attn_k_norm and
    ** attn_norm_2, when there, weights.c reads by their tensors as from
    ** its safetensors. */
    if (json_object_set_new(root, "position_embedding_type", json_string("alibi")) ||
        json_object_set_new(root, "feed_forward_type", json_string("geglu")))
      return EE_ERR_NOMEM;
    return EE_OK;
  }
  if (!nomic) return EE_OK;
  /* What llama.cpp's nomic-bert graph computes: rotary over the whole head
  ** (rope.freq_base), SwiGLU, no biases in the products. */
  const gg_kv *base = arch_kv(h, arch, "rope.freq_base");
  if (base && !kv_float(base, &v))
    return ee_set_error(err, EE_ERR_FORMAT, "%s: nomic-bert.rope.freq_base is not a number", path);
  if (json_object_set_new(root, "rotary_emb_base", json_real(base ? v : 10000.0)) ||
      json_object_set_new(root, "rotary_emb_fraction", json_real(1.0)) ||
      json_object_set_new(root, "activation_function", json_string("swiglu")) ||
      json_object_set_new(root, "qkv_proj_bias", json_false()) ||
      json_object_set_new(root, "mlp_fc1_bias", json_false()) ||
      json_object_set_new(root, "mlp_fc2_bias", json_false()))
    return EE_ERR_NOMEM;
  return EE_OK;
}

ee_status ee_gguf_config(const char *path, int pooling_given, ee_config *cfg, ee_error *err) {
  st_file f;
  gg_header h;
  ee_status rc = gg_open_header(path, &f, &h, err);
  if (rc != EE_OK) return rc;
  json_t *root = NULL;
  const gg_kv *arch = gg_find_kv(&h, "general.architecture");
  int kind = 0;
  while (kind < 3 && !gg_kv_is_str(arch, KIND_ARCH[kind])) kind++;
  if (kind == 3) {
    int n;
    const char *name = gg_kv_str64(arch, &n);
    rc = ee_set_error(err, EE_ERR_UNSUPPORTED,
                      "%s: general.architecture '%.*s' is not supported in a GGUF file (read: "
                      "bert, nomic-bert, jina-bert-v2)",
                      path, n, name);
    goto done;
  }
  if (!(root = json_object())) {
    rc = EE_ERR_NOMEM;
  } else if ((rc = build_config(&h, &f, (gg_kind)kind, path, root, err)) == EE_OK) {
    rc = ee_config_from_json(root, path, cfg, err);
  }
  if (rc == EE_ERR_NOMEM && !err->msg[0])
    rc = ee_set_error(err, EE_ERR_NOMEM, "out of memory reading %s", path);
  if (rc != EE_OK) goto done;
  /* <arch>.pooling_type as llama.cpp numbers it (none 0, mean 1, cls 2, last 3,
  ** rank 4); absent, the engine's default (CLS). sqlite-lembed and llama.cpp's
  ** embedding tool normalise, and a GGUF file does not say whether the
  ** sentence-transformers model had a Normalize module: normalised too. */
  int64_t pt = 2;
  const gg_kv *pk = arch_kv(&h, KIND_ARCH[kind], "pooling_type");
  if (pk && (!gg_kv_int(pk, &pt) || (pt != 1 && pt != 2)) && !pooling_given) {
    rc = ee_set_error(err, EE_ERR_UNSUPPORTED,
                      "%s: %s.pooling_type %lld is not mean (1) or cls (2): give a pooling "
                      "option", path, KIND_ARCH[kind], (long long)pt);
    goto done;
  }
  cfg->pooling = pt == 1 ? EE_POOL_MEAN : EE_POOL_CLS;
  cfg->normalize = 1;
done:
  json_decref(root);
  se_free(h.kv);
  st_close(&f);
  return rc;
}
