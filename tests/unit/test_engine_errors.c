/*
** test_engine_errors.c — hostile model directories and bad arguments.
**
**   build/tests/test_engine_errors
**
** Builds a tiny valid BERT model (H 8, 1 layer, 2 heads, I 16, vocab 16,
** 16 positions) with its own safetensors writer under a mkdtemp directory,
** then breaks one thing at a time and checks that ee_model_load returns the
** expected ee_status with a message naming the file and the problem.  The
** same tiny model, written as F32 (aligned and misaligned), F16, BF16, with
** the "bert." prefix and as two shards, must load and give identical
** vectors: every weight is a small dyadic rational, exact in all three
** dtypes.  Also: argument errors of ee_embed_ids / ee_embed_texts, params
** overrides, and (when built with -DSE_FAULT_INJECTION) every allocation
** of a load failing in turn.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../../engine/embed_engine.h"
#include "../../tokenizer/se_alloc.h"
#include "check.h"

static char g_root[256]; /* the mkdtemp directory */

/* ---- files ------------------------------------------------------------------ */

static void write_file(const char *dir, const char *name, const void *data, size_t len) {
  char p[1024];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "wb");
  if (!f) { perror(p); exit(2); }
  if (len && fwrite(data, 1, len, f) != len) { perror(p); exit(2); }
  fclose(f);
}

static void write_text(const char *dir, const char *name, const char *fmt, ...) {
  char buf[8192];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  write_file(dir, name, buf, (size_t)n);
}

static void remove_file(const char *dir, const char *name) {
  char p[1024];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  unlink(p);
}

static int rm_cb(const char *p, const struct stat *s, int flag, struct FTW *ftw) {
  (void)s, (void)flag, (void)ftw;
  return remove(p);
}

/* ---- the tiny model --------------------------------------------------------- */

typedef struct spec {
  int H, L, NH, I, V, P, TV;       /* architecture */
  const char *model_type, *act;    /* "bert", "gelu" */
  const char *dtype;               /* "F32", "F16", "BF16" for every tensor */
  const char *prefix;              /* "" or "bert." */
  int vocab_tokens;                /* lines of vocab.txt */
  int misalign;                    /* header padded so the data starts at 2 mod 4 */
  int shards;                      /* 1 or 2 files */
} spec;

static spec base_spec(void) {
  spec s = {8, 1, 2, 16, 16, 16, 2, "bert", "gelu", "F32", "", 16, 0, 1};
  return s;
}

typedef struct tensor {
  char name[128];
  char dtype[16];
  int ndim;
  int64_t shape[2];
  int64_t b, e;                    /* data_offsets */
  int is_ln_weight;
  int prefix_len;                  /* values hash the name without "bert." */
  char vname[128];                 /* if set, the values are those of this (BERT) name */
  int64_t voff;                    /* ... from its value voff on (a slice of a fused tensor) */
} tensor;

#define MAX_T 64

static int dtype_size(const char *dt) {
  if (!strcmp(dt, "F32") || !strcmp(dt, "I32")) return 4;
  if (!strcmp(dt, "F16") || !strcmp(dt, "BF16")) return 2;
  if (!strcmp(dt, "F64") || !strcmp(dt, "I64")) return 8;
  return 1;
}

static int add_t(tensor *t, int n, const spec *s, const char *name, int64_t d0, int64_t d1) {
  tensor *x = &t[n];
  memset(x, 0, sizeof *x);
  snprintf(x->name, sizeof x->name, "%s%s", s->prefix, name);
  snprintf(x->dtype, sizeof x->dtype, "%s", s->dtype);
  x->ndim = d1 < 0 ? 1 : 2;
  x->shape[0] = d0;
  x->shape[1] = d1 < 0 ? 0 : d1;
  x->is_ln_weight = strstr(name, "LayerNorm.weight") != NULL;
  x->prefix_len = (int)strlen(s->prefix);
  return n + 1;
}

static int64_t numel(const tensor *x) { return x->ndim == 1 ? x->shape[0] : x->shape[0] * x->shape[1]; }

/* Every tensor of BertModel's encoder for s, offsets laid out back to back. */
static int make_tensors(tensor *t, const spec *s) {
  int n = 0;
  char nm[128];
  n = add_t(t, n, s, "embeddings.word_embeddings.weight", s->V, s->H);
  n = add_t(t, n, s, "embeddings.position_embeddings.weight", s->P, s->H);
  n = add_t(t, n, s, "embeddings.token_type_embeddings.weight", s->TV, s->H);
  n = add_t(t, n, s, "embeddings.LayerNorm.weight", s->H, -1);
  n = add_t(t, n, s, "embeddings.LayerNorm.bias", s->H, -1);
  for (int l = 0; l < s->L; l++) {
    static const char *hh[] = {"attention.self.query", "attention.self.key", "attention.self.value",
                               "attention.output.dense"};
    for (int k = 0; k < 4; k++) {
      snprintf(nm, sizeof nm, "encoder.layer.%d.%s.weight", l, hh[k]);
      n = add_t(t, n, s, nm, s->H, s->H);
      snprintf(nm, sizeof nm, "encoder.layer.%d.%s.bias", l, hh[k]);
      n = add_t(t, n, s, nm, s->H, -1);
    }
    snprintf(nm, sizeof nm, "encoder.layer.%d.attention.output.LayerNorm.weight", l);
    n = add_t(t, n, s, nm, s->H, -1);
    snprintf(nm, sizeof nm, "encoder.layer.%d.attention.output.LayerNorm.bias", l);
    n = add_t(t, n, s, nm, s->H, -1);
    snprintf(nm, sizeof nm, "encoder.layer.%d.intermediate.dense.weight", l);
    n = add_t(t, n, s, nm, s->I, s->H);
    snprintf(nm, sizeof nm, "encoder.layer.%d.intermediate.dense.bias", l);
    n = add_t(t, n, s, nm, s->I, -1);
    snprintf(nm, sizeof nm, "encoder.layer.%d.output.dense.weight", l);
    n = add_t(t, n, s, nm, s->H, s->I);
    snprintf(nm, sizeof nm, "encoder.layer.%d.output.dense.bias", l);
    n = add_t(t, n, s, nm, s->H, -1);
    snprintf(nm, sizeof nm, "encoder.layer.%d.output.LayerNorm.weight", l);
    n = add_t(t, n, s, nm, s->H, -1);
    snprintf(nm, sizeof nm, "encoder.layer.%d.output.LayerNorm.bias", l);
    n = add_t(t, n, s, nm, s->H, -1);
  }
  return n;
}

static void layout(tensor *t, int n) {
  int64_t off = 0;
  for (int i = 0; i < n; i++) {
    t[i].b = off;
    t[i].e = off + numel(&t[i]) * dtype_size(t[i].dtype);
    off = t[i].e;
  }
}

/* Weight k of a tensor: k/256 in [-1/4, 1/4] (LayerNorm gains 1 + k/64),
** exact in F32, F16 and BF16. */
static float weight_value(const tensor *x, int64_t k) {
  uint32_t h = 2166136261u;
  for (const char *c = x->vname[0] ? x->vname : x->name + x->prefix_len; *c; c++)
    h = (h ^ (uint8_t)*c) * 16777619u;
  int64_t r = (int64_t)((h + (uint64_t)(k + x->voff) * 2654435761u) % 129) - 64;
  return x->is_ln_weight ? 1.0f + (float)(r % 5) / 64.0f : (float)r / 256.0f;
}

static uint16_t to_f16(float f) { /* exact for the values above */
  uint32_t b;
  memcpy(&b, &f, 4);
  uint16_t sign = (uint16_t)((b >> 16) & 0x8000);
  if ((b & 0x7fffffff) == 0) return sign;
  int exp = (int)((b >> 23) & 0xff) - 127 + 15;
  return (uint16_t)(sign | (exp << 10) | ((b >> 13) & 0x3ff));
}

/* The data of tensor x in its dtype (F32/F16/BF16; other dtypes get zeros). */
static void fill(unsigned char *dst, const tensor *x) {
  int64_t bytes = x->e - x->b;
  int64_t n = bytes / dtype_size(x->dtype);
  memset(dst, 0, (size_t)bytes);
  for (int64_t k = 0; k < n; k++) {
    float v = weight_value(x, k);
    if (!strcmp(x->dtype, "F32") && (k + 1) * 4 <= bytes) {
      memcpy(dst + 4 * k, &v, 4);
    } else if ((!strcmp(x->dtype, "F16") || !strcmp(x->dtype, "BF16")) && (k + 1) * 2 <= bytes) {
      uint32_t b;
      memcpy(&b, &v, 4);
      uint16_t h = !strcmp(x->dtype, "F16") ? to_f16(v) : (uint16_t)(b >> 16);
      memcpy(dst + 2 * k, &h, 2);
    }
  }
}

/* Header JSON for t[0..n); pad so 8 + len is a multiple of 8 (or 2 mod 4). */
static size_t header_json(char *buf, size_t cap, const tensor *t, int n, int misalign) {
  size_t len = (size_t)snprintf(buf, cap, "{\"__metadata__\":{\"format\":\"pt\"}");
  for (int i = 0; i < n; i++) {
    len += (size_t)snprintf(buf + len, cap - len, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[", t[i].name,
                            t[i].dtype);
    for (int d = 0; d < t[i].ndim; d++)
      len += (size_t)snprintf(buf + len, cap - len, "%s%lld", d ? "," : "", (long long)t[i].shape[d]);
    len += (size_t)snprintf(buf + len, cap - len, "],\"data_offsets\":[%lld,%lld]}",
                            (long long)t[i].b, (long long)t[i].e);
  }
  len += (size_t)snprintf(buf + len, cap - len, "}");
  while (misalign ? (8 + len) % 4 != 2 : (8 + len) % 8 != 0) buf[len++] = ' ';
  return len;
}

/* A safetensors file: header_len < 0 means the real length; the data
** section is data_len bytes, or (< 0) up to the last tensor's end. */
static void write_st_data(const char *dir, const char *name, const tensor *t, int n,
                          int misalign, int64_t header_len, int64_t data_len) {
  static char hdr[65536];
  size_t hl = header_json(hdr, sizeof hdr, t, n, misalign);
  int64_t data = data_len;
  for (int i = 0; i < n && data_len < 0; i++)
    if (t[i].e > data && t[i].e - t[i].b < (1 << 24)) data = t[i].e;
  size_t total = 8 + hl + (size_t)data;
  unsigned char *buf = calloc(total, 1);
  uint64_t h = header_len < 0 ? (uint64_t)hl : (uint64_t)header_len;
  for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(h >> (8 * i));
  memcpy(buf + 8, hdr, hl);
  for (int i = 0; i < n; i++)
    if (t[i].e <= data && t[i].b <= t[i].e) fill(buf + 8 + hl + t[i].b, &t[i]);
  write_file(dir, name, buf, total);
  free(buf);
}

static void write_st(const char *dir, const char *name, const tensor *t, int n, int misalign,
                     int64_t header_len) {
  write_st_data(dir, name, t, n, misalign, header_len, -1);
}

static void write_config(const char *dir, const spec *s) {
  write_text(dir, "config.json",
             "{\"architectures\": [\"BertModel\"], \"model_type\": \"%s\", \"hidden_act\": \"%s\",\n"
             " \"hidden_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": %d,\n"
             " \"intermediate_size\": %d, \"vocab_size\": %d, \"max_position_embeddings\": %d,\n"
             " \"type_vocab_size\": %d, \"layer_norm_eps\": 1e-12}\n",
             s->model_type, s->act, s->H, s->L, s->NH, s->I, s->V, s->P, s->TV);
}

static void write_vocab(const char *dir, int ntok) {
  static const char *special[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  char buf[4096];
  size_t len = 0;
  for (int i = 0; i < ntok; i++) {
    if (i < 5) len += (size_t)snprintf(buf + len, sizeof buf - len, "%s\n", special[i]);
    else len += (size_t)snprintf(buf + len, sizeof buf - len, "%c\n", 'a' + (i - 5) % 26);
  }
  write_file(dir, "vocab.txt", buf, len);
}

/* A fresh directory <root>/<name> holding the model of s; t/n receive the
** tensors (already laid out) so a case can rewrite the safetensors file. */
static const char *make_model(const char *name, const spec *s, tensor *t, int *n) {
  static char dir[512];
  snprintf(dir, sizeof dir, "%s/%s", g_root, name);
  mkdir(dir, 0700);
  write_config(dir, s);
  write_vocab(dir, s->vocab_tokens);
  *n = make_tensors(t, s);
  layout(t, *n);
  if (s->shards == 1) {
    write_st(dir, "model.safetensors", t, *n, s->misalign, -1);
  } else {
    int half = *n / 2;
    tensor *t2 = t + half;
    int n2 = *n - half;
    layout(t, half);
    layout(t2, n2);
    write_st(dir, "model-00001-of-00002.safetensors", t, half, 0, -1);
    write_st(dir, "model-00002-of-00002.safetensors", t2, n2, 0, -1);
    char idx[16384];
    size_t len = (size_t)snprintf(idx, sizeof idx, "{\"metadata\": {}, \"weight_map\": {");
    for (int i = 0; i < *n; i++)
      len += (size_t)snprintf(idx + len, sizeof idx - len, "%s\"%s\": \"model-0000%d-of-00002.safetensors\"",
                              i ? ", " : "", t[i].name, i < half ? 1 : 2);
    snprintf(idx + len, sizeof idx - len, "}}\n");
    write_text(dir, "model.safetensors.index.json", "%s", idx);
  }
  return dir;
}

/* ---- expectations ------------------------------------------------------------- */

static void expect_load(const char *label, const char *dir, const ee_params *p, ee_status want,
                        const char *sub1, const char *sub2) {
  ee_model *m = (ee_model *)(uintptr_t)1;
  ee_error err;
  memset(&err, 0, sizeof err);
  ee_status rc = ee_model_load(dir, p, &m, &err);
  CHECK_EQ_INT(rc, want, "%s: status %s (%s)", label, ee_status_string(want), err.msg);
  if (want != EE_OK) {
    CHECK(m == NULL, "%s: *out is NULL on failure", label);
    CHECK_EQ_INT(err.code, want, "%s: err.code", label);
    if (sub1) CHECK_STR_CONTAINS(err.msg, sub1, "%s: message names '%s'", label, sub1);
    if (sub2) CHECK_STR_CONTAINS(err.msg, sub2, "%s: message says '%s'", label, sub2);
    size_t ml = strlen(err.msg);
    CHECK(ml > 0 && err.msg[ml - 1] != '.', "%s: message has no trailing period", label);
  }
  if (rc == EE_OK) ee_model_free(m);
}

/* Rewrite dir/model.safetensors from t after a mutation. */
#define REWRITE(dir, t, n, data_len) write_st_data(dir, "model.safetensors", t, n, 0, -1, data_len)

static int find_t(const tensor *t, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (strcmp(t[i].name, name) == 0) return i;
  return -1;
}

static void truncate_file(const char *dir, const char *name, long len) {
  char p[1024];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  if (truncate(p, len) != 0) perror(p);
}

static long file_size(const char *dir, const char *name) {
  char p[1024];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  struct stat st;
  return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

/* ---- cases: config.json and the sentence-transformers files ----------------------- */

static void config_cases(void) {
  tensor t[MAX_T];
  int n;
  spec s = base_spec();
  const char *dir = make_model("cfg", &s, t, &n);
  expect_load("valid tiny model", dir, NULL, EE_OK, NULL, NULL);

  remove_file(dir, "config.json");
  expect_load("missing config.json", dir, NULL, EE_ERR_IO, "cfg/config.json", "cannot open");
  write_text(dir, "config.json", "{\"model_type\": \"bert\", \"hidden_size\": 8,");
  expect_load("config.json not JSON", dir, NULL, EE_ERR_FORMAT, "cfg/config.json", "invalid JSON");
  write_text(dir, "config.json", "[1, 2]");
  expect_load("config.json an array", dir, NULL, EE_ERR_FORMAT, "cfg/config.json", "not a JSON object");

  struct { const char *label; spec s; ee_status st; const char *sub; } bad[] = {
    {"model_type gpt2", s, EE_ERR_UNSUPPORTED, "unsupported model_type 'gpt2'"},
    {"hidden_act silu", s, EE_ERR_UNSUPPORTED, "unsupported hidden_act 'silu'"},
    {"heads do not divide hidden", s, EE_ERR_FORMAT, "hidden_size 8 is not divisible by num_attention_heads 3"},
    {"negative hidden_size", s, EE_ERR_FORMAT, "\"hidden_size\""},
    {"huge intermediate_size", s, EE_ERR_FORMAT, "\"intermediate_size\""},
    {"zero layers", s, EE_ERR_FORMAT, "\"num_hidden_layers\""},
    {"huge vocab_size", s, EE_ERR_FORMAT, "\"vocab_size\""},
  };
  bad[0].s.model_type = "gpt2";
  bad[1].s.act = "silu";
  bad[2].s.NH = 3;
  bad[3].s.H = -8;
  bad[4].s.I = 2000000;
  bad[5].s.L = 0;
  bad[6].s.V = 1000001;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    write_config(dir, &bad[i].s);
    expect_load(bad[i].label, dir, NULL, bad[i].st, "cfg/config.json", bad[i].sub);
  }
  write_config(dir, &s);
  write_text(dir, "config.json", "{\"model_type\": \"bert\", \"hidden_size\": 8, \"num_hidden_layers\": 1}");
  expect_load("config.json without num_attention_heads", dir, NULL, EE_ERR_FORMAT,
              "cfg/config.json", "missing \"num_attention_heads\"");
  write_text(dir, "config.json", "{\"hidden_size\": 8}");
  expect_load("config.json without model_type", dir, NULL, EE_ERR_FORMAT, "cfg/config.json", "model_type");
  write_text(dir, "config.json",
             "{\"model_type\": \"bert\", \"hidden_size\": 8, \"num_hidden_layers\": 1, "
             "\"num_attention_heads\": 2, \"intermediate_size\": 16, \"vocab_size\": 16, "
             "\"max_position_embeddings\": 16, \"position_embedding_type\": \"relative_key\"}");
  expect_load("relative position embeddings", dir, NULL, EE_ERR_UNSUPPORTED, "cfg/config.json",
              "position_embedding_type 'relative_key'");
  write_config(dir, &s);

  /* sentence-transformers files */
  char pool[600];
  snprintf(pool, sizeof pool, "%s/1_Pooling", dir);
  mkdir(pool, 0700);
  write_text(dir, "modules.json",
             "[{\"idx\": 0, \"name\": \"0\", \"path\": \"\", \"type\": \"sentence_transformers.models.Transformer\"},"
             " {\"idx\": 1, \"name\": \"1\", \"path\": \"1_Pooling\", \"type\": \"sentence_transformers.models.Pooling\"},"
             " {\"idx\": 2, \"name\": \"2\", \"path\": \"2_Normalize\", \"type\": \"sentence_transformers.models.Normalize\"}]");
  write_text(pool, "config.json", "{\"word_embedding_dimension\": 8, \"pooling_mode_cls_token\": true, "
                                   "\"pooling_mode_mean_tokens\": true, \"pooling_mode_max_tokens\": false}");
  expect_load("several pooling modes", dir, NULL, EE_ERR_UNSUPPORTED, "1_Pooling/config.json",
              "unsupported: several pooling modes");
  write_text(pool, "config.json", "{\"pooling_mode_lasttoken\": true, \"pooling_mode_weightedmean_tokens\": true}");
  expect_load("last-token and weighted mean pooling together", dir, NULL, EE_ERR_UNSUPPORTED,
              "1_Pooling/config.json", "several pooling modes (weightedmean_tokens, lasttoken)");
  write_text(pool, "config.json", "{\"word_embedding_dimension\": 9, \"pooling_mode_max_tokens\": true}");
  expect_load("pooling dimension mismatch", dir, NULL, EE_ERR_FORMAT, "1_Pooling/config.json", "does not match hidden_size 8");
  write_text(pool, "config.json", "{\"word_embedding_dimension\": 8, \"pooling_mode_max_tokens\": true}");
  write_text(dir, "sentence_bert_config.json", "{\"max_seq_length\": 1}");
  expect_load("max_seq_length 1", dir, NULL, EE_ERR_FORMAT, "sentence_bert_config.json", "max_seq_length");
  write_text(dir, "sentence_bert_config.json", "{\"max_seq_length\": 12, \"do_lower_case\": \"yes\"}");
  expect_load("do_lower_case a string", dir, NULL, EE_ERR_FORMAT, "sentence_bert_config.json",
              "do_lower_case in");
  write_text(dir, "sentence_bert_config.json", "{\"max_seq_length\": 12, \"do_lower_case\": false}");

  /* Valid: max pooling, normalised, max_length 12, then params overrides. */
  ee_model *m = NULL;
  ee_error err = {0};
  ee_info in;
  CHECK_EQ_INT(ee_model_load(dir, NULL, &m, &err), EE_OK, "sentence-transformers files load (%s)", err.msg);
  ee_model_info(m, &in);
  CHECK(in.pooling == EE_POOL_MAX && in.normalize == 1 && in.max_length == 12,
        "modules.json: pooling %d normalize %d max_length %d", (int)in.pooling, in.normalize, in.max_length);
  ee_model_free(m);
  ee_params p = ee_default_params();
  p.pooling = EE_POOL_MEAN, p.normalize = 0, p.max_length = 1000;
  CHECK_EQ_INT(ee_model_load(dir, &p, &m, &err), EE_OK, "load with params overrides (%s)", err.msg);
  ee_model_info(m, &in);
  CHECK(in.pooling == EE_POOL_MEAN && in.normalize == 0 && in.max_length == 16,
        "params override pooling/normalize, max_length clamped to 16 (got %d %d %d)",
        (int)in.pooling, in.normalize, in.max_length);
  ee_model_free(m);

  write_text(dir, "modules.json", "[{\"path\": \"2_LayerNorm\", \"type\": \"sentence_transformers.models.LayerNorm\"}]");
  expect_load("LayerNorm module", dir, NULL, EE_ERR_UNSUPPORTED, "modules.json", "sentence_transformers.models.LayerNorm");
  write_text(dir, "modules.json", "[{\"path\": \"../x\", \"type\": \"sentence_transformers.models.Pooling\"}]");
  expect_load("pooling path outside", dir, NULL, EE_ERR_FORMAT, "modules.json", "inside the model directory");
  write_text(dir, "modules.json", "{\"a\": 1}");
  expect_load("modules.json not an array", dir, NULL, EE_ERR_FORMAT, "modules.json", "not a JSON array");
  remove_file(dir, "modules.json");
  remove_file(dir, "sentence_bert_config.json");

  struct { const char *label; ee_params p; } badp[] = {
    {"params.max_length 1", ee_default_params()}, {"params.pooling 7", ee_default_params()},
    {"params.normalize 2", ee_default_params()}, {"params.threads -1", ee_default_params()},
    {"params.batch_size -3", ee_default_params()}, {"params.truncate_dim -1", ee_default_params()},
  };
  badp[0].p.max_length = 1;
  badp[1].p.pooling = (ee_pooling)7;
  badp[2].p.normalize = 2;
  badp[3].p.threads = -1;
  badp[4].p.batch_size = -3;
  badp[5].p.truncate_dim = -1;
  for (size_t i = 0; i < sizeof badp / sizeof badp[0]; i++)
    expect_load(badp[i].label, dir, &badp[i].p, EE_ERR_INPUT, "params.", NULL);
  expect_load("NULL directory", NULL, NULL, EE_ERR_INPUT, "directory", NULL);
  ee_params wide = ee_default_params();
  wide.truncate_dim = 9; /* hidden_size 8 */
  expect_load("truncate_dim 9 > hidden_size 8", dir, &wide, EE_ERR_INPUT, "truncate_dim 9 is more than the 8 dimensions", NULL);
}

/* ---- cases: safetensors files ------------------------------------------------------- */

static void safetensors_cases(void) {
  tensor t[MAX_T], u[MAX_T];
  int n;
  spec s = base_spec();
  const char *dir = make_model("st", &s, t, &n);
  expect_load("valid model for safetensors cases", dir, NULL, EE_OK, NULL, NULL);

  remove_file(dir, "model.safetensors");
  expect_load("missing model.safetensors", dir, NULL, EE_ERR_IO, "st/model.safetensors", "missing");

  /* Truncated at several points: in the length, in the header, in the data. */
  write_st(dir, "model.safetensors", t, n, 0, -1);
  long full = file_size(dir, "model.safetensors");
  long cuts[] = {0, 5, 8, 40, full - 4000, full - 1};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    write_st(dir, "model.safetensors", t, n, 0, -1);
    truncate_file(dir, "model.safetensors", cuts[i]);
    char label[96];
    snprintf(label, sizeof label, "truncated at byte %ld of %ld", cuts[i], full);
    expect_load(label, dir, NULL, EE_ERR_FORMAT, "st/model.safetensors", "truncated");
  }

  write_st(dir, "model.safetensors", t, n, 0, (int64_t)1 << 62);
  expect_load("header length 2^62", dir, NULL, EE_ERR_FORMAT, "st/model.safetensors", "over the 100 MB limit");
  write_st(dir, "model.safetensors", t, n, 0, (int64_t)100 * 1024 * 1024 + 1);
  expect_load("header length 100 MB + 1", dir, NULL, EE_ERR_FORMAT, "st/model.safetensors", "100 MB");
  write_st(dir, "model.safetensors", t, n, 0, 100000);
  expect_load("header length past the end", dir, NULL, EE_ERR_FORMAT, "st/model.safetensors", "runs past the end");

  const char *garbage[] = {"{\"a\": ", "not json at all", "[1, 2, 3]", "{\"x\": 1}",
                           "{\"x\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, "
                           "\"x\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 16]}}"};
  const char *garbage_msg[] = {"invalid JSON header", "invalid JSON header", "not a JSON object",
                               "header entry is not an object", "duplicate"};
  for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
    size_t hl = strlen(garbage[i]);
    unsigned char buf[512] = {0};
    for (int k = 0; k < 8; k++) buf[k] = (unsigned char)((uint64_t)hl >> (8 * k));
    memcpy(buf + 8, garbage[i], hl);
    write_file(dir, "model.safetensors", buf, 8 + hl + 16);
    char label[96];
    snprintf(label, sizeof label, "garbage header %zu", i);
    expect_load(label, dir, NULL, EE_ERR_FORMAT, "st/model.safetensors", garbage_msg[i]);
  }

  struct { const char *label; ee_status st; const char *sub; } mut[] = {
    {"1 TB tensor", EE_ERR_FORMAT, "run past the end"},
    {"offsets outside the file", EE_ERR_FORMAT, "run past the end"},
    {"begin after end", EE_ERR_FORMAT, "begin after end"},
    {"size != numel * dtype size", EE_ERR_FORMAT, "needs"},
    {"overlapping tensors", EE_ERR_FORMAT, "overlap"},
    {"shape overflowing int64", EE_ERR_FORMAT, "too large"},
    {"negative dimension", EE_ERR_FORMAT, "non-negative"},
    {"unknown dtype", EE_ERR_FORMAT, "unknown dtype 'X99'"},
    {"dtype I64 where float expected", EE_ERR_FORMAT, "dtype I64"},
    {"dtype F64", EE_ERR_UNSUPPORTED, "dtype F64"},
    {"wrong shape", EE_ERR_FORMAT, "has shape [8, 16], expected [16, 8]"},
    {"missing tensor", EE_ERR_FORMAT, "missing tensor 'encoder.layer.0.output.dense.bias'"},
    {"word embeddings rows != vocab_size", EE_ERR_FORMAT, "vocab_size 16"},
  };
  for (int k = 0; k < (int)(sizeof mut / sizeof mut[0]); k++) {
    memcpy(u, t, sizeof t);
    int m = n;
    int w = find_t(u, m, "embeddings.word_embeddings.weight");
    int lnw = find_t(u, m, "encoder.layer.0.output.LayerNorm.weight");
    int lnb = find_t(u, m, "encoder.layer.0.output.LayerNorm.bias");
    int iw = find_t(u, m, "encoder.layer.0.intermediate.dense.weight");
    int ob = find_t(u, m, "encoder.layer.0.output.dense.bias");
    switch (k) {
      case 0: u[w].shape[0] = 1000000, u[w].shape[1] = 250000, u[w].e = u[w].b + 1000000000000LL; break;
      case 1: u[w].b += 1 << 20, u[w].e += 1 << 20; break;
      case 2: { int64_t x = u[w].b; u[w].b = u[w].e, u[w].e = x; } break;
      case 3: u[w].e -= 4; break;
      case 4: u[lnb].b = u[lnw].b, u[lnb].e = u[lnw].e; break;
      case 5: u[w].shape[0] = 1LL << 40, u[w].shape[1] = 1LL << 40; break;
      case 6: u[w].shape[0] = -16; break;
      case 7: snprintf(u[w].dtype, sizeof u[w].dtype, "X99"); break;
      case 8: snprintf(u[iw].dtype, sizeof u[iw].dtype, "I64"); layout(u, m); break;
      case 9: snprintf(u[iw].dtype, sizeof u[iw].dtype, "F64"); layout(u, m); break;
      case 10: u[iw].shape[0] = 8, u[iw].shape[1] = 16; break;
      case 11: memmove(&u[ob], &u[ob + 1], sizeof(tensor) * (size_t)(m - ob - 1)); m--; layout(u, m); break;
      case 12: u[w].shape[0] = 15; layout(u, m); break;
    }
    REWRITE(dir, u, m, k == 1 ? t[n - 1].e : -1); /* case 1: keep the file size */
    expect_load(mut[k].label, dir, NULL, mut[k].st, "st/model.safetensors", mut[k].sub);
  }
  REWRITE(dir, t, n, -1);
  expect_load("model restored", dir, NULL, EE_OK, NULL, NULL);

  /* Inf in an F16 tensor. */
  spec h = base_spec();
  h.dtype = "F16";
  const char *d16 = make_model("st_f16", &h, u, &n);
  char p[1024];
  snprintf(p, sizeof p, "%s/model.safetensors", d16);
  FILE *f = fopen(p, "r+b");
  unsigned char len8[8];
  if (f && fread(len8, 1, 8, f) == 8) {
    uint64_t hl = 0;
    for (int k = 7; k >= 0; k--) hl = (hl << 8) | len8[k];
    int w = find_t(u, n, "embeddings.word_embeddings.weight");
    fseek(f, (long)(8 + hl + (uint64_t)u[w].b + 6), SEEK_SET);
    unsigned char inf16[2] = {0x00, 0x7c};
    fwrite(inf16, 1, 2, f);
  }
  if (f) fclose(f);
  expect_load("Inf in an F16 tensor", d16, NULL, EE_ERR_FORMAT, "st_f16/model.safetensors", "Inf or NaN at element 3");
  /* The word table stays in the file and is scanned a chunk of rows at a
  ** time (weights.c, bind_word_rows): a NaN in its last value, past the
  ** first chunk, is found at load and named by its element. */
  d16 = make_model("st_f16_last", &h, u, &n);
  snprintf(p, sizeof p, "%s/model.safetensors", d16);
  f = fopen(p, "r+b");
  char want_at[64] = "";
  if (f && fread(len8, 1, 8, f) == 8) {
    uint64_t hl = 0;
    for (int k = 7; k >= 0; k--) hl = (hl << 8) | len8[k];
    int w = find_t(u, n, "embeddings.word_embeddings.weight");
    const int64_t last = u[w].shape[0] * u[w].shape[1] - 1;
    fseek(f, (long)(8 + hl + (uint64_t)u[w].b + 2 * (uint64_t)last), SEEK_SET);
    unsigned char nan16[2] = {0x01, 0x7e};
    fwrite(nan16, 1, 2, f);
    snprintf(want_at, sizeof want_at, "Inf or NaN at element %lld", (long long)last);
  }
  if (f) fclose(f);
  expect_load("NaN in the F16 word table's last value", d16, NULL, EE_ERR_FORMAT, "embeddings.word_embeddings.weight",
              want_at);

  /* Shards: a missing shard, a bad weight_map. */
  spec sh = base_spec();
  sh.shards = 2;
  const char *dsh = make_model("st_shards", &sh, u, &n);
  expect_load("valid shards", dsh, NULL, EE_OK, NULL, NULL);
  remove_file(dsh, "model-00002-of-00002.safetensors");
  expect_load("missing shard", dsh, NULL, EE_ERR_IO, "model-00002-of-00002.safetensors", "cannot open");
  write_text(dsh, "model.safetensors.index.json", "{\"weight_map\": {\"a\": \"../../etc/passwd\"}}");
  expect_load("weight_map escaping the directory", dsh, NULL, EE_ERR_FORMAT, "model.safetensors.index.json", "must name a file");
  write_text(dsh, "model.safetensors.index.json", "{\"metadata\": {}}");
  expect_load("index without weight_map", dsh, NULL, EE_ERR_FORMAT, "model.safetensors.index.json", "weight_map");
  write_text(dsh, "model.safetensors.index.json", "{\"weight_map\": {\"embeddings.word_embeddings.weight\": \"model-00001-of-00002.safetensors\"}}");
  expect_load("index missing tensors", dsh, NULL, EE_ERR_FORMAT, "model.safetensors.index.json", "missing tensor 'encoder.layer.0.");
}

/* ---- cases: tokenizer ------------------------------------------------------------------ */

static void tokenizer_cases(void) {
  tensor t[MAX_T];
  int n;
  spec s = base_spec();
  s.vocab_tokens = 20;
  const char *dir = make_model("tok", &s, t, &n);
  expect_load("vocab larger than the embeddings", dir, NULL, EE_ERR_FORMAT, "tok/vocab.txt",
              "has 20 tokens but the word embeddings in");
  expect_load("vocab larger than the embeddings (names the weights)", dir, NULL, EE_ERR_FORMAT,
              "tok/model.safetensors", "16 rows");
  remove_file(dir, "vocab.txt");
  expect_load("no tokenizer", dir, NULL, EE_ERR_IO, "tok", "vocab.txt");
}

/* ---- valid variants give identical vectors ------------------------------------------------ */

static int embed_all(const char *dir, float *out /* (4, 8) */, ee_error *err) {
  ee_params p = ee_default_params();
  p.pooling = EE_POOL_MEAN;
  p.normalize = 1;
  ee_model *m = NULL;
  if (ee_model_load(dir, &p, &m, err) != EE_OK) return 0;
  ee_context *ctx = ee_context_new(m);
  const char *texts[4] = {"a b c", "", "d [MASK] e e e e e e e e e e e e e e e e e e", "k"};
  size_t lens[4] = {5, 0, strlen(texts[2]), 1};
  int ok = ctx && ee_embed_texts(ctx, 4, texts, lens, out, err) == EE_OK;
  ee_context_free(ctx);
  ee_model_free(m);
  return ok;
}

static void variant_cases(void) {
  tensor t[MAX_T];
  int n;
  float ref[32], got[32];
  ee_error err = {0};
  spec s = base_spec();
  const char *dir = make_model("v_f32", &s, t, &n);
  CHECK(embed_all(dir, ref, &err), "variant F32: embeds 4 texts (%s)", err.msg);
  int finite = 1;
  for (int i = 0; i < 32; i++) finite &= isfinite(ref[i]);
  CHECK(finite, "variant F32: finite vectors");
  struct { const char *name; spec s; } v[] = {
    {"v_misaligned", s}, {"v_f16", s}, {"v_bf16", s}, {"v_prefix", s}, {"v_shards", s}, {"v_prefix_shards", s},
  };
  v[0].s.misalign = 1;
  v[1].s.dtype = "F16";
  v[2].s.dtype = "BF16";
  v[3].s.prefix = "bert.";
  v[4].s.shards = 2;
  v[5].s.prefix = "bert.", v[5].s.shards = 2;
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    const char *d = make_model(v[i].name, &v[i].s, t, &n);
    memset(got, 0, sizeof got);
    int ok = embed_all(d, got, &err);
    CHECK(ok && memcmp(got, ref, sizeof ref) == 0, "%s: loads and gives the F32 vectors bit for bit (%s)",
          v[i].name, ok ? "" : err.msg);
  }
  /* info of the misaligned F32 file: copied, so nothing stays mapped. */
  ee_model *m = NULL;
  ee_info in;
  if (ee_model_load(make_model("v_misaligned", &v[0].s, t, &n), NULL, &m, &err) == EE_OK) {
    ee_model_info(m, &in);
    CHECK(in.bytes_mapped == 0 && strcmp(in.dtype, "F32") == 0, "misaligned F32: copied (bytes_mapped %lld)", (long long)in.bytes_mapped);
    ee_model_free(m);
  }
}

/* ---- prompts (config_sentence_transformers.json) ------------------------------------------ */


/* ---- truncate_dim: the first D values of the normalised vector ---------------------------- */

static void truncate_cases(void) {
  tensor t[MAX_T];
  int n;
  spec s = base_spec();
  const char *dir = make_model("trunc", &s, t, &n);
  ee_params full = ee_default_params(), cut = ee_default_params();
  full.pooling = cut.pooling = EE_POOL_MEAN;
  full.normalize = cut.normalize = 1;
  cut.truncate_dim = 3;
  ee_model *mf = NULL, *mc = NULL;
  ee_error err = {0};
  if (ee_model_load(dir, &full, &mf, &err) != EE_OK || ee_model_load(dir, &cut, &mc, &err) != EE_OK) {
    CHECK(0, "truncate_dim: load (%s)", err.msg);
    ee_model_free(mf);
    return;
  }
  ee_info in;
  ee_model_info(mc, &in);
  CHECK(ee_model_dims(mc) == 3 && in.dims == 3 && in.hidden_size == 8 && ee_model_dims(mf) == 8,
        "truncate_dim 3: dims 3, hidden_size still 8");
  ee_context *cf = ee_context_new(mf), *cc = ee_context_new(mc);
  const char *texts[3] = {"a b c", "", "d e e e e e e e e e e e"};
  size_t lens[3] = {5, 0, strlen(texts[2])};
  float vf[3 * 8], vc[3 * 3 + 1] = {0}, pc[3 * 3 + 1] = {0};
  vc[9] = pc[9] = 42.0f; /* a guard: nothing is written past n x dims */
  int32_t ids[3] = {2, 7, 3}, len3 = 3;
  const int32_t *pid[1] = {ids};
  int ok = cf && cc && ee_embed_texts(cf, 3, texts, lens, vf, &err) == EE_OK &&
           ee_embed_texts(cc, 3, texts, lens, vc, &err) == EE_OK &&
           ee_embed_ids(cc, 1, pid, NULL, &len3, pc, NULL, &err) == EE_OK;
  int same = ok;
  for (int i = 0; i < 3 && same; i++) same = memcmp(vf + i * 8, vc + i * 3, 3 * sizeof(float)) == 0;
  CHECK(same && vc[9] == 42.0f, "truncate_dim 3: each vector is the first 3 of the normalised full one, bit for bit (%s)",
        err.msg);
  float pf[8];
  CHECK(ok && ee_embed_ids(cf, 1, pid, NULL, &len3, pf, NULL, &err) == EE_OK &&
            memcmp(pf, pc, 3 * sizeof(float)) == 0 && pc[9] == 42.0f,
        "truncate_dim 3: ee_embed_ids writes 3 floats a vector too");
  ee_context_free(cf);
  ee_context_free(cc);
  ee_model_free(mf);
  ee_model_free(mc);
}

/* ---- argument errors of the embedding calls ------------------------------------------------ */

static void argument_cases(void) {
  tensor t[MAX_T];
  int n;
  spec s = base_spec();
  const char *dir = make_model("args", &s, t, &n);
  ee_model *m = NULL;
  ee_error err = {0};
  if (ee_model_load(dir, NULL, &m, &err) != EE_OK) {
    CHECK(0, "args: load (%s)", err.msg);
    return;
  }
  ee_context *ctx = ee_context_new(m);
  float out[8 * 4];
  int32_t good[3] = {2, 7, 3}, badid[3] = {2, 16, 3}, negid[3] = {2, -1, 3}, types[3] = {0, 2, 0};
  int32_t long_ids[17] = {2};
  const int32_t *p_good[1] = {good}, *p_bad[1] = {badid}, *p_neg[1] = {negid}, *p_types[1] = {types};
  const int32_t *p_long[1] = {long_ids}, *p_null[1] = {NULL};
  int32_t len3 = 3, len0 = 0, len17 = 17;
  struct { const char *label; ee_status rc; const char *sub; } c[] = {
    {"token id 16 (vocab 16)", ee_embed_ids(ctx, 1, p_bad, NULL, &len3, out, NULL, &err), "token id 16 at position 1"},
    {"token id -1", ee_embed_ids(ctx, 1, p_neg, NULL, &len3, out, NULL, &err), "token id -1"},
    {"type id 2 (type_vocab_size 2)", ee_embed_ids(ctx, 1, p_good, p_types, &len3, out, NULL, &err), "token type id 2"},
    {"length 0", ee_embed_ids(ctx, 1, p_good, NULL, &len0, out, NULL, &err), "0 tokens"},
    {"length 17 > 16 positions", ee_embed_ids(ctx, 1, p_long, NULL, &len17, out, NULL, &err), "17 tokens (expected 1..16)"},
    {"NULL ids row", ee_embed_ids(ctx, 1, p_null, NULL, &len3, out, NULL, &err), "ids is NULL"},
    {"n = -1", ee_embed_ids(ctx, -1, p_good, NULL, &len3, out, NULL, &err), "n is -1"},
    {"NULL context", ee_embed_ids(NULL, 1, p_good, NULL, &len3, out, NULL, &err), "ctx is NULL"},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    CHECK_EQ_INT(c[i].rc, EE_ERR_INPUT, "ee_embed_ids %s: EE_ERR_INPUT", c[i].label);
  }
  /* messages: re-run each to read its own message */
  ee_embed_ids(ctx, 1, p_bad, NULL, &len3, out, NULL, &err);
  CHECK_STR_CONTAINS(err.msg, c[0].sub, "ee_embed_ids message: %s", c[0].label);
  ee_embed_ids(ctx, 1, p_good, p_types, &len3, out, NULL, &err);
  CHECK_STR_CONTAINS(err.msg, c[2].sub, "ee_embed_ids message: %s", c[2].label);
  ee_embed_ids(ctx, 1, p_long, NULL, &len17, out, NULL, &err);
  CHECK_STR_CONTAINS(err.msg, c[4].sub, "ee_embed_ids message: %s", c[4].label);
  CHECK_EQ_INT(ee_embed_ids(ctx, 0, NULL, NULL, NULL, NULL, NULL, &err), EE_OK, "ee_embed_ids n = 0 is a no-op");
  CHECK_EQ_INT(ee_embed_ids(ctx, 1, p_good, NULL, &len3, out, NULL, NULL), EE_OK, "ee_embed_ids with err NULL");
  float out2[8 * 4];
  const int32_t *p_tnull[1] = {NULL};
  CHECK(ee_embed_ids(ctx, 1, p_good, p_tnull, &len3, out2, NULL, &err) == EE_OK &&
            memcmp(out, out2, sizeof(float) * 8) == 0,
        "ee_embed_ids: a NULL type_ids row means all 0");
  float hid[3 * 8];
  CHECK_EQ_INT(ee_embed_ids(ctx, 1, p_good, NULL, &len3, NULL, hid, &err), EE_OK,
               "ee_embed_ids with pooled NULL and hidden only");

  const char *bad_utf8[1] = {"ab\xff" "cd"};
  size_t bl[1] = {5};
  CHECK_EQ_INT(ee_embed_texts(ctx, 1, bad_utf8, bl, out, &err), EE_ERR_INPUT, "ee_embed_texts invalid UTF-8");
  CHECK_STR_CONTAINS(err.msg, "invalid UTF-8", "ee_embed_texts message: invalid UTF-8 (%s)", err.msg);
  const char *two[2] = {"fine", "ab\xff" "cd"};
  size_t two_l[2] = {4, 5};
  CHECK_EQ_INT(ee_embed_texts(ctx, 2, two, two_l, out, &err), EE_ERR_INPUT, "ee_embed_texts invalid UTF-8 in text 1 of 2");
  CHECK(strcmp(err.msg, "text 1: invalid UTF-8 at byte 2") == 0,
        "ee_embed_texts message names the text when there are several (%s)", err.msg);
  const char *null_text[1] = {NULL};
  CHECK_EQ_INT(ee_embed_texts(ctx, 1, null_text, bl, out, &err), EE_ERR_INPUT, "ee_embed_texts NULL text with length 5");
  CHECK_EQ_INT(ee_embed_texts(ctx, 1, NULL, bl, out, &err), EE_ERR_INPUT, "ee_embed_texts NULL texts");
  CHECK_EQ_INT(ee_embed_texts(ctx, 0, NULL, NULL, NULL, &err), EE_OK, "ee_embed_texts n = 0 is a no-op");
  /* A text with an embedded NUL and a long text (truncated to 16 tokens). */
  const char *nul_text[2] = {"a\0b", "a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a"};
  size_t nl[2] = {3, strlen(nul_text[1])};
  CHECK_EQ_INT(ee_embed_texts(ctx, 2, nul_text, nl, out, &err), EE_OK, "ee_embed_texts with NUL byte and truncation (%s)", err.msg);
  CHECK(strcmp(ee_status_string(EE_ERR_FORMAT), "") != 0 && ee_status_string((ee_status)99) != NULL,
        "ee_status_string covers every code");
  ee_context_free(ctx);
  ee_model_free(m);
  CHECK(ee_context_new(NULL) == NULL, "ee_context_new(NULL) is NULL");
  ee_context_free(NULL);
  ee_model_free(NULL);
  CHECK(1, "free functions accept NULL");
}

/* ---- random damage: every outcome is a clean status ---------------------------------------- */

static void damage_cases(void) {
  tensor t[MAX_T];
  int n;
  spec s = base_spec();
  const char *dir = make_model("damage", &s, t, &n);
  char path[1024];
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  FILE *f = fopen(path, "rb");
  unsigned char *orig = malloc(1 << 16);
  size_t size = f ? fread(orig, 1, 1 << 16, f) : 0;
  if (f) fclose(f);
  int clean = 1, loaded = 0, tried = 0;
  uint32_t r = 12345;
  for (int i = 0; i < 400; i++) {
    unsigned char *buf = malloc(size);
    memcpy(buf, orig, size);
    size_t len = size;
    r = r * 1103515245u + 12345u;
    if (i < 200) { /* one to four bytes changed, mostly in the header */
      for (int k = 0; k <= (int)(r >> 28) % 4; k++) {
        r = r * 1103515245u + 12345u;
        size_t at = (r >> 8) % (i % 2 ? size : 2200);
        r = r * 1103515245u + 12345u;
        buf[at] = (unsigned char)(r >> 16);
      }
    } else { /* cut anywhere */
      len = (size_t)(r >> 8) % size;
    }
    write_file(dir, "model.safetensors", buf, len);
    free(buf);
    ee_model *m = NULL;
    ee_error err = {0};
    ee_status rc = ee_model_load(dir, NULL, &m, &err);
    tried++;
    if (rc == EE_OK) {
      loaded++;
      ee_model_free(m);
    } else if ((rc != EE_ERR_FORMAT && rc != EE_ERR_UNSUPPORTED) || m != NULL || !err.msg[0]) {
      clean = 0;
      printf("  note: damage %d gave %s: %s\n", i, ee_status_string(rc), err.msg);
    }
  }
  free(orig);
  CHECK(clean, "%d damaged files: each loads (%d, e.g. a changed weight) or fails with a format "
        "error and a message", tried, loaded);
}

/* ---- allocation failures ------------------------------------------------------------------ */

static void fault_cases(void) {
  tensor t[MAX_T];
  int n;
  spec s = base_spec();
  s.dtype = "F16"; /* conversion buffers too */
  const char *dir = make_model("fault", &s, t, &n);
  int clean = 1, failures_seen = 0;
  for (long k = 0; k < 2000; k++) {
    se_fault_set(k);
    ee_model *m = NULL;
    ee_error err = {0};
    ee_status rc = ee_model_load(dir, NULL, &m, &err);
    ee_context *ctx = rc == EE_OK ? ee_context_new(m) : NULL;
    float out[8];
    const char *texts[1] = {"a b"};
    size_t lens[1] = {3};
    ee_status rc2 = ctx ? ee_embed_texts(ctx, 1, texts, lens, out, &err) : EE_OK;
    long failed = se_fault_failures();
    se_fault_reset();
    if (rc != EE_OK && rc != EE_ERR_NOMEM) clean = 0;
    if (rc2 != EE_OK && rc2 != EE_ERR_NOMEM) clean = 0;
    if (rc != EE_OK && m != NULL) clean = 0;
    ee_context_free(ctx);
    ee_model_free(m);
    if (failed) failures_seen++;
    if (!failed) break; /* every allocation succeeded: done */
  }
  CHECK(clean, "allocation failures give EE_ERR_NOMEM, never another code (%d failure points%s)",
        failures_seen, failures_seen ? "" : "; build with -DSE_FAULT_INJECTION to exercise");
}

/* ---- a double-precision reference for the tiny model ------------------------------------- */

/* Independent of forward.c: straight loops in double over the tiny model's
** weights (weight_value), for the activations and pooling modes the PyTorch
** goldens do not cover (gelu_new, relu, max pooling). */
#define RH 8
#define RI 16
#define RL 16
static const int32_t REF_NO_TYPES[1] = {-1};
/* MPNet (mpnet_cases): positions as transformers' create_position_ids_from_input_ids
** with this padding id (-1: BERT's 0, 1, ...), and, when t holds
** "encoder.relative_attention_bias.weight", its bias added to the scores. */
static int g_ref_pad = -1;
static int g_ref_no_alibi; /* JinaBert's reference without its ALiBi (a sensitivity check) */
/* JinaBert qk-post-norm's reference with one mistake (sensitivity checks) */
enum { CODE_EXACT, CODE_NO_QK_NORM, CODE_ONE_RESIDUAL, CODE_FIRST_HALF };
static int g_ref_code_mistake;

static double wv(const tensor *t, int n, const char *name, int64_t k) {
  int i = find_t(t, n, name);
  return i < 0 ? NAN : (double)weight_value(&t[i], k);
}

static void ref_ln(double *x, const tensor *t, int n, const char *g, const char *b) {
  double mean = 0, var = 0;
  for (int i = 0; i < RH; i++) mean += x[i] / RH;
  for (int i = 0; i < RH; i++) var += (x[i] - mean) * (x[i] - mean) / RH;
  for (int i = 0; i < RH; i++) x[i] = (x[i] - mean) / sqrt(var + 1e-12) * wv(t, n, g, i) + wv(t, n, b, i);
}

/* out (rows, N) = in (rows, K) W^T + b for the Linear `name`. */
static void ref_linear(double *out, const double *in, int rows, int K, int N, const tensor *t, int n,
                       const char *name) {
  char w[160], b[160];
  snprintf(w, sizeof w, "%s.weight", name);
  snprintf(b, sizeof b, "%s.bias", name);
  const int has_bias = find_t(t, n, b) >= 0; /* JinaBert's gated_layers has none */
  for (int r = 0; r < rows; r++)
    for (int o = 0; o < N; o++) {
      double acc = has_bias ? wv(t, n, b, o) : 0.0;
      for (int k = 0; k < K; k++) acc += in[r * K + k] * wv(t, n, w, (int64_t)o * K + k);
      out[r * N + o] = acc;
    }
}

/* skip: tokens mean and max pooling leave out (include_prompt false). */
static void ref_forward(const tensor *t, int n, const int32_t *ids, const int32_t *types, int L,
                        const char *act, ee_pooling pool, int norm, int skip, double *out /* (RH) */) {
  /* types == REF_NO_TYPES: no token type embedding (DistilBERT) */
  double x[RL * RH], q[RL * RH], k[RL * RH], v[RL * RH], ctx[RL * RH], h1[RL * RH], f[RL * RI], o[RL * RH];
  double g[RL * 2 * RI];
  memset(x, 0, sizeof x); /* rows past L are never read; gcc cannot tell */
  int nonpad = 0;
  /* JinaBert: no position table, ALiBi in the scores, a gated FFN; its
  ** qk-post-norm variant (jina-embeddings-v2-base-code) also normalises the
  ** queries and keys and adds the layer input twice */
  const int jina_code = find_t(t, n, "encoder.layer.0.mlp.up_gated_layer.weight") >= 0;
  const int jina = jina_code || find_t(t, n, "encoder.layer.0.mlp.gated_layers.weight") >= 0;
  for (int j = 0; j < L; j++) {
    int64_t pos = j;
    if (g_ref_pad >= 0) { /* cumsum(ids != pad) * (ids != pad) + pad */
      nonpad += ids[j] != g_ref_pad;
      pos = ids[j] == g_ref_pad ? g_ref_pad : g_ref_pad + nonpad;
    }
    for (int i = 0; i < RH; i++)
      x[j * RH + i] = wv(t, n, "embeddings.word_embeddings.weight", (int64_t)ids[j] * RH + i) +
                      (jina ? 0.0 : wv(t, n, "embeddings.position_embeddings.weight", pos * RH + i)) +
                      (types == REF_NO_TYPES ? 0.0
                       : wv(t, n, "embeddings.token_type_embeddings.weight", (int64_t)(types ? types[j] : 0) * RH + i));
    ref_ln(x + j * RH, t, n, "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias");
  }
  const char *p = "encoder.layer.0.";
  char nm[160];
#define NM(suffix) (snprintf(nm, sizeof nm, "%s%s", p, suffix), nm)
  ref_linear(q, x, L, RH, RH, t, n, NM("attention.self.query"));
  ref_linear(k, x, L, RH, RH, t, n, NM("attention.self.key"));
  ref_linear(v, x, L, RH, RH, t, n, NM("attention.self.value"));
  for (int j = 0; jina_code && g_ref_code_mistake != CODE_NO_QK_NORM && j < L; j++) {
    ref_ln(q + j * RH, t, n, NM("attention.self.layer_norm_q.weight"), "encoder.layer.0.attention.self.layer_norm_q.bias");
    ref_ln(k + j * RH, t, n, NM("attention.self.layer_norm_k.weight"), "encoder.layer.0.attention.self.layer_norm_k.bias");
  }
  const int d = RH / 2;
  for (int h = 0; h < 2; h++)
    for (int a = 0; a < L; a++) {
      double sc[RL], mx = -INFINITY, sum = 0;
      for (int b = 0; b < L; b++) {
        sc[b] = 0;
        for (int c = 0; c < d; c++) sc[b] += q[a * RH + h * d + c] * k[b * RH + h * d + c];
        sc[b] /= sqrt((double)d);
        if (find_t(t, n, "encoder.relative_attention_bias.weight") >= 0) {
          /* MPNet's bucket of key b for query a: 16 per direction (keys after
          ** the query in the upper half), exact below 8, then 8 + floor(8
          ** log(n / 8) / log(16)); these tests stay under 16 tokens */
          int rel = b - a, dist = abs(rel);
          int bucket = (rel > 0 ? 16 : 0) + (dist < 8 ? dist : 8 + (int)floor(8 * log(dist / 8.0) / log(16.0)));
          sc[b] += wv(t, n, "encoder.relative_attention_bias.weight", (int64_t)bucket * 2 + h);
        }
        /* ALiBi of 2 heads: slopes 2^-4 and 2^-8 (start 2^(-8/2), ratio start) */
        if (jina && !g_ref_no_alibi) sc[b] -= (h == 0 ? 1.0 / 16 : 1.0 / 256) * abs(b - a);
        mx = fmax(mx, sc[b]);
      }
      for (int b = 0; b < L; b++) sum += (sc[b] = exp(sc[b] - mx));
      for (int c = 0; c < d; c++) {
        double acc = 0;
        for (int b = 0; b < L; b++) acc += sc[b] / sum * v[b * RH + h * d + c];
        ctx[a * RH + h * d + c] = acc;
      }
    }
  ref_linear(o, ctx, L, RH, RH, t, n, NM("attention.output.dense"));
  for (int j = 0; j < L; j++) {
    for (int i = 0; i < RH; i++) h1[j * RH + i] = o[j * RH + i] + x[j * RH + i];
    ref_ln(h1 + j * RH, t, n, "encoder.layer.0.attention.output.LayerNorm.weight",
           "encoder.layer.0.attention.output.LayerNorm.bias");
    if (!jina_code) continue;
    for (int i = 0; g_ref_code_mistake != CODE_ONE_RESIDUAL && i < RH; i++) h1[j * RH + i] += x[j * RH + i];
    ref_ln(h1 + j * RH, t, n, "encoder.layer.0.layer_norm_1.weight", "encoder.layer.0.layer_norm_1.bias");
  }
  if (jina_code) { /* first half * act(second half), down_layer, layer_norm_2(+ h1) */
    ref_linear(g, h1, L, RH, 2 * RI, t, n, NM("mlp.up_gated_layer"));
    const int gate = g_ref_code_mistake == CODE_FIRST_HALF ? 0 : RI;
    for (int j = 0; j < L; j++)
      for (int i = 0; i < RI; i++) {
        double u = g[j * 2 * RI + gate + i];
        u = !strcmp(act, "relu") ? (u > 0 ? u : 0) : 0.5 * u * (1 + erf(u / sqrt(2.0)));
        f[j * RI + i] = u * g[j * 2 * RI + RI - gate + i];
      }
    ref_linear(o, f, L, RI, RH, t, n, NM("mlp.down_layer"));
    for (int j = 0; j < L; j++) {
      for (int i = 0; i < RH; i++) x[j * RH + i] = o[j * RH + i] + h1[j * RH + i];
      ref_ln(x + j * RH, t, n, "encoder.layer.0.layer_norm_2.weight", "encoder.layer.0.layer_norm_2.bias");
    }
    goto pool;
  }
  if (jina) { /* act(first half) * second half, wo, LayerNorm(+ h1) */
    ref_linear(g, h1, L, RH, 2 * RI, t, n, NM("mlp.gated_layers"));
    for (int j = 0; j < L; j++)
      for (int i = 0; i < RI; i++) {
        double u = g[j * 2 * RI + i];
        u = !strcmp(act, "relu") ? (u > 0 ? u : 0) : 0.5 * u * (1 + erf(u / sqrt(2.0)));
        f[j * RI + i] = u * g[j * 2 * RI + RI + i];
      }
    ref_linear(o, f, L, RI, RH, t, n, NM("mlp.wo"));
    for (int j = 0; j < L; j++) {
      for (int i = 0; i < RH; i++) x[j * RH + i] = o[j * RH + i] + h1[j * RH + i];
      ref_ln(x + j * RH, t, n, "encoder.layer.0.mlp.layernorm.weight", "encoder.layer.0.mlp.layernorm.bias");
    }
    goto pool;
  }
  ref_linear(f, h1, L, RH, RI, t, n, NM("intermediate.dense"));
  for (int i = 0; i < L * RI; i++) {
    double u = f[i];
    f[i] = !strcmp(act, "relu") ? (u > 0 ? u : 0)
         : !strcmp(act, "gelu") ? 0.5 * u * (1 + erf(u / sqrt(2.0)))
         : 0.5 * u * (1 + tanh(sqrt(2 / M_PI) * (u + 0.044715 * u * u * u)));
  }
  ref_linear(o, f, L, RI, RH, t, n, NM("output.dense"));
#undef NM
  for (int j = 0; j < L; j++) {
    for (int i = 0; i < RH; i++) x[j * RH + i] = o[j * RH + i] + h1[j * RH + i];
    ref_ln(x + j * RH, t, n, "encoder.layer.0.output.LayerNorm.weight", "encoder.layer.0.output.LayerNorm.bias");
  }
pool:
  /* sentence-transformers' Pooling with the first `skip` tokens masked (CLS ignores the mask) */
  for (int i = 0; i < RH; i++) {
    double sum = 0, wsum = 0, mx = -1e9, last = 0;
    for (int j = skip; j < L; j++) {
      double w = pool == EE_POOL_WEIGHTED_MEAN ? j + 1.0 : 1.0;
      sum += w * x[j * RH + i], wsum += w, mx = fmax(mx, x[j * RH + i]), last = x[j * RH + i];
    }
    out[i] = pool == EE_POOL_CLS ? x[i] : pool == EE_POOL_MAX ? mx : pool == EE_POOL_LAST ? last
           : pool == EE_POOL_MEAN_SQRT_LEN ? sum / sqrt(fmax(wsum, 1e-9)) : sum / fmax(wsum, 1e-9);
  }
  if (norm) {
    double ss = 0;
    for (int i = 0; i < RH; i++) ss += out[i] * out[i];
    for (int i = 0; i < RH; i++) out[i] /= fmax(sqrt(ss), 1e-12);
  }
}

static void reference_cases(void) {
  static const char *acts[] = {"gelu", "gelu_new", "relu"};
  int32_t ids[2][11] = {{2, 5, 9, 15, 7, 7, 3}, {2, 6, 6, 6, 10, 11, 12, 13, 14, 8, 3}};
  int32_t types[2][11] = {{0, 0, 0, 0, 1, 1, 1}, {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1}};
  int32_t lens[2] = {7, 11};
  const int32_t *pid[2] = {ids[0], ids[1]}, *ptt[2] = {types[0], types[1]};
  for (int a = 0; a < 3; a++) {
    tensor t[MAX_T];
    int n;
    spec s = base_spec();
    s.act = acts[a];
    char name[32];
    snprintf(name, sizeof name, "ref_%s", acts[a]);
    const char *dir = make_model(name, &s, t, &n);
    for (int pool = 0; pool < 6; pool++)
      for (int norm = 0; norm < 2; norm++) {
        ee_params p = ee_default_params();
        p.pooling = (ee_pooling)pool, p.normalize = norm;
        ee_model *m = NULL;
        ee_error err = {0};
        float got[2 * RH];
        double worst = INFINITY;
        if (ee_model_load(dir, &p, &m, &err) == EE_OK) {
          ee_context *ctx = ee_context_new(m);
          if (ctx && ee_embed_ids(ctx, 2, pid, ptt, lens, got, NULL, &err) == EE_OK) {
            worst = 0;
            for (int b = 0; b < 2; b++) {
              double want[RH];
              ref_forward(t, n, ids[b], types[b], lens[b], acts[a], (ee_pooling)pool, norm, 0, want);
              for (int i = 0; i < RH; i++) worst = fmax(worst, fabs(got[b * RH + i] - want[i]));
            }
          }
          ee_context_free(ctx);
          ee_model_free(m);
        }
        CHECK(worst <= 2e-6, "reference: %s, pooling %d, normalize %d: max diff %.3g vs double loops (%s)",
              acts[a], pool, norm, worst, err.msg);
      }
  }
}

/* ---- cases: sentence-transformers Dense modules ------------------------------------- */

#define DW_OUT 6 /* 2_Dense: 8 -> 6 (activation varies), bias */
#define DW2_OUT 4 /* 3_Dense: 6 -> 4, identity, no bias, F16 */

static const char *MODS_DENSE =
    "[{\"idx\": 0, \"name\": \"0\", \"path\": \"\", \"type\": \"sentence_transformers.models.Transformer\"},"
    " {\"idx\": 1, \"name\": \"1\", \"path\": \"1_Pooling\", \"type\": \"sentence_transformers.models.Pooling\"},"
    " {\"idx\": 2, \"name\": \"2\", \"path\": \"2_Dense\", \"type\": \"sentence_transformers.models.Dense\"},"
    " {\"idx\": 3, \"name\": \"3\", \"path\": \"3_Dense\", \"type\": \"sentence_transformers.models.Dense\"},"
    " {\"idx\": 4, \"name\": \"4\", \"path\": \"4_Normalize\", \"type\": \"sentence_transformers.models.Normalize\"}]";

static void dense_config(const char *sub, int in, int out, const char *bias, const char *act,
                         const char *extra) {
  write_text(sub, "config.json",
             "{\"in_features\": %d, \"out_features\": %d, \"bias\": %s, \"activation_function\": "
             "\"%s\"%s}", in, out, bias, act, extra);
}

/* The Dense module's file: linear.weight (out, in) [+ linear.bias (out)]. */
static int dense_tensors(tensor *d, const char *dtype, int out, int in, int bias) {
  spec s = base_spec();
  s.dtype = dtype;
  int n = add_t(d, 0, &s, "linear.weight", out, in);
  if (bias) n = add_t(d, n, &s, "linear.bias", out, -1);
  layout(d, n);
  return n;
}

/* double reference of act(W x + b) for a Dense module written by dense_tensors */
static void ref_dense(double *y, const double *x, const tensor *d, int nd, int in, int out,
                      const char *act) {
  for (int o = 0; o < out; o++) {
    double u = nd > 1 ? wv(d, nd, "linear.bias", o) : 0.0;
    for (int i = 0; i < in; i++) u += wv(d, nd, "linear.weight", (int64_t)o * in + i) * x[i];
    y[o] = !strcmp(act, "Tanh") ? tanh(u) : !strcmp(act, "ReLU") ? (u > 0 ? u : 0)
         : !strcmp(act, "GELU") ? 0.5 * u * (1 + erf(u / sqrt(2.0)))
         : !strcmp(act, "Sigmoid") ? 1 / (1 + exp(-u)) : u;
  }
}

static void dense_cases(void) {
  tensor t[MAX_T], d1[2], d2[2];
  int n;
  spec s = base_spec();
  const char *dir0 = make_model("dense", &s, t, &n);
  char dir[600], pool[700], sub2[700], sub3[700];
  snprintf(dir, sizeof dir, "%s", dir0);
  snprintf(pool, sizeof pool, "%s/1_Pooling", dir);
  snprintf(sub2, sizeof sub2, "%s/2_Dense", dir);
  snprintf(sub3, sizeof sub3, "%s/3_Dense", dir);
  mkdir(pool, 0700), mkdir(sub2, 0700), mkdir(sub3, 0700);
  write_text(pool, "config.json", "{\"word_embedding_dimension\": 8, \"pooling_mode_cls_token\": true}");
  write_text(dir, "modules.json", "%s", MODS_DENSE);
  int nd1 = dense_tensors(d1, "F32", DW_OUT, 8, 1), nd2 = dense_tensors(d2, "F16", DW2_OUT, DW_OUT, 0);
  write_st(sub2, "model.safetensors", d1, nd1, 0, -1);
  write_st(sub3, "model.safetensors", d2, nd2, 0, -1);
  dense_config(sub3, DW_OUT, DW2_OUT, "false", "torch.nn.modules.linear.Identity", "");

  /* Valid: each activation against double loops (CLS -> 2_Dense -> 3_Dense -> normalise). */
  int32_t ids[2][7] = {{2, 5, 9, 15, 7, 7, 3}, {2, 6, 11, 3}};
  int32_t lens[2] = {7, 4};
  const int32_t *pid[2] = {ids[0], ids[1]};
  static const char *acts[][2] = {{"torch.nn.modules.activation.Tanh", "Tanh"},
                                  {"torch.nn.modules.activation.ReLU", "ReLU"},
                                  {"torch.nn.modules.activation.GELU", "GELU"},
                                  {"torch.nn.modules.activation.Sigmoid", "Sigmoid"},
                                  {"torch.nn.modules.linear.Identity", "Identity"},
                                  {"torch.nn.Tanh", "Tanh"}};
  for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
    dense_config(sub2, 8, DW_OUT, "true", acts[a][0],
                 a == 0 ? ", \"module_input_name\": \"sentence_embedding\", \"module_output_name\": null" : "");
    ee_model *m = NULL;
    ee_error err = {0};
    float got[2 * DW2_OUT];
    double worst = INFINITY;
    ee_info in = {0};
    char modules[640] = ""; /* in.modules points into the model, freed below */
    if (ee_model_load(dir, NULL, &m, &err) == EE_OK) {
      ee_model_info(m, &in);
      snprintf(modules, sizeof modules, "%s", in.modules ? in.modules : "NULL");
      ee_context *ctx = ee_context_new(m);
      if (ctx && ee_embed_ids(ctx, 2, pid, NULL, lens, got, NULL, &err) == EE_OK) {
        worst = 0;
        for (int b = 0; b < 2; b++) {
          double cls[RH], h[DW_OUT], y[DW2_OUT], ss = 0;
          ref_forward(t, n, ids[b], NULL, lens[b], "gelu", EE_POOL_CLS, 0, 0, cls);
          ref_dense(h, cls, d1, nd1, 8, DW_OUT, acts[a][1]);
          ref_dense(y, h, d2, nd2, DW_OUT, DW2_OUT, "Identity");
          for (int i = 0; i < DW2_OUT; i++) ss += y[i] * y[i];
          for (int i = 0; i < DW2_OUT; i++) worst = fmax(worst, fabs(got[b * DW2_OUT + i] - y[i] / sqrt(ss)));
        }
      }
      ee_context_free(ctx);
      ee_model_free(m);
    }
    CHECK(worst <= 2e-6, "Dense %s: vectors of 2 sequences vs double loops, max diff %.3g (%s)",
          acts[a][0], worst, err.msg);
    if (a == 0) {
      const int64_t want = n ? 8 * DW_OUT + DW_OUT + DW_OUT * DW2_OUT : 0;
      CHECK(in.dims == DW2_OUT && in.hidden_size == 8 && in.normalize == 1,
            "Dense: info.dims %d (the last module's out_features), hidden_size %d", in.dims, in.hidden_size);
      spec e = base_spec();
      int64_t enc = (int64_t)e.V * 8 + e.P * 8 + e.TV * 8 + 2 * 8 + 4 * (8 * 8 + 8) + 2 * 8 + 16 * 8 + 16 + 8 * 16 + 8 + 2 * 8;
      CHECK_EQ_INT(in.n_params, enc + want, "Dense: info.n_params counts the Dense weights");
      CHECK(strcmp(modules, "Pooling(cls), Dense(8->6, tanh), Dense(6->4, identity, no bias), Normalize") == 0,
            "Dense: info.modules describes the pipeline (%s)", modules);
    }
  }
  /* truncate_dim applies to the last module's output, after normalisation. */
  dense_config(sub2, 8, DW_OUT, "true", "torch.nn.modules.activation.Tanh", "");
  {
    ee_params p = ee_default_params();
    ee_model *m = NULL, *m3 = NULL;
    ee_error err = {0};
    float whole[2 * DW2_OUT], cut[2 * 3];
    int ok = ee_model_load(dir, &p, &m, &err) == EE_OK;
    p.truncate_dim = 3;
    ok = ok && ee_model_load(dir, &p, &m3, &err) == EE_OK;
    ee_context *c1 = ok ? ee_context_new(m) : NULL, *c3 = ok ? ee_context_new(m3) : NULL;
    ok = ok && c1 && c3 && ee_embed_ids(c1, 2, pid, NULL, lens, whole, NULL, &err) == EE_OK &&
         ee_embed_ids(c3, 2, pid, NULL, lens, cut, NULL, &err) == EE_OK;
    double worst = ok ? 0 : INFINITY;
    for (int b = 0; ok && b < 2; b++)
      for (int i = 0; i < 3; i++) worst = fmax(worst, fabs(cut[b * 3 + i] - whole[b * DW2_OUT + i]));
    CHECK(ok && worst == 0 && ee_model_dims(m3) == 3,
          "Dense + truncate_dim 3: the first 3 of the normalised 4 (diff %.3g, %s)", worst, err.msg);
    ee_context_free(c1), ee_context_free(c3);
    ee_model_free(m), ee_model_free(m3);
    p.truncate_dim = DW2_OUT + 1;
    expect_load("Dense: truncate_dim past the last out_features", dir, &p, EE_ERR_INPUT,
                "truncate_dim 5 is more than the 4 dimensions", NULL);
  }

  /* Config errors. */
  struct { const char *label; int in, out; const char *bias, *act, *extra; ee_status st; const char *sub; } bad[] = {
    {"in_features mismatch", 9, DW_OUT, "true", "torch.nn.Tanh", "", EE_ERR_FORMAT,
     "in_features 9 in"},
    {"out_features 0", 8, 0, "true", "torch.nn.Tanh", "", EE_ERR_FORMAT, "\"out_features\""},
    {"out_features huge", 8, 2000000, "true", "torch.nn.Tanh", "", EE_ERR_FORMAT, "\"out_features\""},
    {"bias a string", 8, DW_OUT, "\"yes\"", "torch.nn.Tanh", "", EE_ERR_FORMAT, "\"bias\""},
    {"unknown activation", 8, DW_OUT, "true", "torch.nn.modules.activation.SiLU", "", EE_ERR_UNSUPPORTED,
     "activation_function 'torch.nn.modules.activation.SiLU'"},
    {"Dense on token vectors", 8, DW_OUT, "true", "torch.nn.Tanh", ", \"module_input_name\": \"token_embeddings\"",
     EE_ERR_UNSUPPORTED, "module_input_name 'token_embeddings'"},
    {"Dense output elsewhere", 8, DW_OUT, "true", "torch.nn.Tanh", ", \"module_output_name\": \"other\"",
     EE_ERR_UNSUPPORTED, "module_output_name 'other'"},
    {"module_input_name a number", 8, DW_OUT, "true", "torch.nn.Tanh", ", \"module_input_name\": 3",
     EE_ERR_FORMAT, "\"module_input_name\""},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    dense_config(sub2, bad[i].in, bad[i].out, bad[i].bias, bad[i].act, bad[i].extra);
    expect_load(bad[i].label, dir, NULL, bad[i].st, "2_Dense/config.json", bad[i].sub);
  }
  write_text(sub2, "config.json", "{\"in_features\": 8, \"out_features\": 6}");
  expect_load("Dense without activation_function", dir, NULL, EE_ERR_FORMAT, "2_Dense/config.json",
              "missing \"activation_function\"");
  write_text(sub2, "config.json", "[8, 6]");
  expect_load("Dense config.json an array", dir, NULL, EE_ERR_FORMAT, "2_Dense/config.json", "not a JSON object");
  remove_file(sub2, "config.json");
  expect_load("Dense without config.json", dir, NULL, EE_ERR_IO, "2_Dense/config.json", NULL);
  dense_config(sub2, 8, DW_OUT, "true", "torch.nn.Tanh", "");
  dense_config(sub3, DW_OUT + 1, DW2_OUT, "false", "torch.nn.Identity", "");
  expect_load("second Dense in_features mismatch", dir, NULL, EE_ERR_FORMAT, "3_Dense/config.json",
              "does not match the 6 values");
  dense_config(sub3, DW_OUT, DW2_OUT, "false", "torch.nn.Identity", "");
  expect_load("Dense modules load again", dir, NULL, EE_OK, NULL, NULL);

  /* Order and paths in modules.json. */
  write_text(dir, "modules.json",
             "[{\"path\": \"2_Dense\", \"type\": \"sentence_transformers.models.Dense\"},"
             " {\"path\": \"1_Pooling\", \"type\": \"sentence_transformers.models.Pooling\"}]");
  expect_load("Dense before Pooling", dir, NULL, EE_ERR_UNSUPPORTED, "modules.json", "comes before the Pooling module");
  write_text(dir, "modules.json",
             "[{\"path\": \"1_Pooling\", \"type\": \"sentence_transformers.models.Pooling\"},"
             " {\"path\": \"4_Normalize\", \"type\": \"sentence_transformers.models.Normalize\"},"
             " {\"path\": \"2_Dense\", \"type\": \"sentence_transformers.models.Dense\"}]");
  expect_load("Dense after Normalize", dir, NULL, EE_ERR_UNSUPPORTED, "modules.json", "comes after the Normalize module");
  write_text(dir, "modules.json",
             "[{\"path\": \"1_Pooling\", \"type\": \"sentence_transformers.models.Pooling\"},"
             " {\"path\": \"../2_Dense\", \"type\": \"sentence_transformers.models.Dense\"}]");
  expect_load("Dense path outside", dir, NULL, EE_ERR_FORMAT, "modules.json", "Dense module path '../2_Dense'");
  write_text(dir, "modules.json",
             "[{\"path\": \"1_Pooling\", \"type\": \"sentence_transformers.models.Pooling\"},"
             " {\"type\": \"sentence_transformers.models.Dense\"}]");
  expect_load("Dense without path", dir, NULL, EE_ERR_FORMAT, "modules.json", "has no \"path\"");
  {
    /* 9 Dense modules of 8 -> 8 (one directory used 9 times). */
    char mods[4096], sub9[700];
    size_t len = (size_t)snprintf(mods, sizeof mods,
                                  "[{\"path\": \"1_Pooling\", \"type\": \"sentence_transformers.models.Pooling\"}");
    for (int i = 0; i < 9; i++)
      len += (size_t)snprintf(mods + len, sizeof mods - len,
                              ", {\"path\": \"9_Dense\", \"type\": \"sentence_transformers.models.Dense\"}");
    snprintf(mods + len, sizeof mods - len, "]");
    snprintf(sub9, sizeof sub9, "%s/9_Dense", dir);
    mkdir(sub9, 0700);
    dense_config(sub9, 8, 8, "false", "torch.nn.Identity", "");
    write_text(dir, "modules.json", "%s", mods);
    expect_load("9 Dense modules", dir, NULL, EE_ERR_UNSUPPORTED, "modules.json", "more than 8 Dense modules");
  }
  write_text(dir, "modules.json", "%s", MODS_DENSE);

  /* The weights file. */
  remove_file(sub2, "model.safetensors");
  expect_load("Dense without model.safetensors", dir, NULL, EE_ERR_IO, "2_Dense/model.safetensors", NULL);
  write_text(sub2, "pytorch_model.bin", "PK not a zip");
  expect_load("Dense with only a pytorch_model.bin that is not torch.save's", dir, NULL,
              EE_ERR_FORMAT, "2_Dense/pytorch_model.bin", "is not a PyTorch checkpoint");
  remove_file(sub2, "pytorch_model.bin");
  {
    tensor w[2];
    int nw = dense_tensors(w, "F32", 8, DW_OUT, 1); /* transposed: (in, out) */
    write_st(sub2, "model.safetensors", w, nw, 0, -1);
    expect_load("Dense weight transposed", dir, NULL, EE_ERR_FORMAT, "2_Dense/model.safetensors",
                "has shape [8, 6], expected [6, 8] (2_Dense/config.json: out_features 6, in_features 8)");
    nw = dense_tensors(w, "F32", DW_OUT, 8, 0);
    write_st(sub2, "model.safetensors", w, nw, 0, -1);
    expect_load("Dense bias missing", dir, NULL, EE_ERR_FORMAT, "2_Dense/model.safetensors",
                "missing tensor 'linear.bias'");
    nw = dense_tensors(w, "F64", DW_OUT, 8, 1);
    write_st(sub2, "model.safetensors", w, nw, 0, -1);
    expect_load("Dense weight F64", dir, NULL, EE_ERR_UNSUPPORTED, "2_Dense/model.safetensors", "dtype F64");
  }
  write_st(sub2, "model.safetensors", d1, nd1, 0, -1);
  truncate_file(sub2, "model.safetensors", file_size(sub2, "model.safetensors") - 4);
  expect_load("Dense file truncated", dir, NULL, EE_ERR_FORMAT, "2_Dense/model.safetensors", NULL);
  write_st(sub2, "model.safetensors", d1, nd1, 0, -1);
  {
    /* An F16 infinity in 3_Dense's weight. */
    char p[800];
    snprintf(p, sizeof p, "%s/model.safetensors", sub3);
    FILE *f = fopen(p, "r+b");
    unsigned char hl[8], inf[2] = {0x00, 0x7c};
    if (f && fread(hl, 1, 8, f) == 8) {
      uint64_t h = 0;
      for (int i = 0; i < 8; i++) h |= (uint64_t)hl[i] << (8 * i);
      fseek(f, (long)(8 + h + d2[0].b + 2 * 5), SEEK_SET);
      fwrite(inf, 1, 2, f);
    }
    if (f) fclose(f);
    expect_load("Dense weight with an Inf", dir, NULL, EE_ERR_FORMAT, "3_Dense/model.safetensors", "Inf or NaN");
  }
  write_st(sub3, "model.safetensors", d2, nd2, 0, -1);
  expect_load("Dense model restored", dir, NULL, EE_OK, NULL, NULL);
}

/* ---- cases: DistilBERT (model_type "distilbert") ------------------------------------ */

/* The BERT tensors of s renamed by `map` (BERT's part -> another
** architecture's) under the layer prefix `layer` (a format of the layer
** number) and `prefix`, values kept (vname): token types dropped. */
typedef const char *const part_map[2];
static int renamed_tensors(tensor *t, const spec *s, const char *prefix, const char *layer_fmt,
                           part_map *map, size_t nmap) {
  tensor b[MAX_T];
  int nb = make_tensors(b, s), n = 0;
  for (int i = 0; i < nb; i++) {
    if (strstr(b[i].name, "token_type")) continue;
    t[n] = b[i];
    memcpy(t[n].vname, b[i].name, sizeof t[n].vname); /* both 128 bytes */
    int layer;
    char rest[128];
    if (sscanf(b[i].name, "encoder.layer.%d.%127s", &layer, rest) == 2) {
      const char *leaf = strrchr(rest, '.'); /* ".weight" / ".bias" */
      size_t stem = (size_t)(leaf - rest);
      char lp[48];
      snprintf(lp, sizeof lp, layer_fmt, layer);
      for (size_t k = 0; k < nmap; k++)
        if (strlen(map[k][0]) == stem && strncmp(rest, map[k][0], stem) == 0)
          snprintf(t[n].name, sizeof t[n].name, "%.16s%s%s%.8s", prefix, lp, map[k][1], leaf);
    } else {
      snprintf(t[n].name, sizeof t[n].name, "%.16s%.100s", prefix, b[i].name);
    }
    n++;
  }
  layout(t, n);
  return n;
}

static int distil_tensors(tensor *t, const spec *s, const char *prefix) {
  static part_map map[] = {
    {"attention.self.query", "attention.q_lin"}, {"attention.self.key", "attention.k_lin"},
    {"attention.self.value", "attention.v_lin"}, {"attention.output.dense", "attention.out_lin"},
    {"attention.output.LayerNorm", "sa_layer_norm"}, {"intermediate.dense", "ffn.lin1"},
    {"output.dense", "ffn.lin2"}, {"output.LayerNorm", "output_layer_norm"}};
  return renamed_tensors(t, s, prefix, "transformer.layer.%d.", map, sizeof map / sizeof map[0]);
}

static void distil_config(const char *dir, int heads, const char *act) {
  write_text(dir, "config.json",
             "{\"architectures\": [\"DistilBertModel\"], \"model_type\": \"distilbert\", \"activation\": \"%s\",\n"
             " \"dim\": 8, \"n_layers\": 1, \"n_heads\": %d, \"hidden_dim\": 16, \"vocab_size\": 16,\n"
             " \"max_position_embeddings\": 16, \"sinusoidal_pos_embds\": false, \"dropout\": 0.1}\n", act, heads);
}

static void distilbert_cases(void) {
  spec s = base_spec();
  tensor bt[MAX_T], t[MAX_T];
  int nbt = make_tensors(bt, &s);
  layout(bt, nbt);
  char dir[600];
  snprintf(dir, sizeof dir, "%s/distil", g_root);
  mkdir(dir, 0700);
  write_vocab(dir, s.vocab_tokens);
  int32_t ids[2][7] = {{2, 5, 9, 15, 7, 7, 3}, {2, 6, 11, 3}};
  int32_t lens[2] = {7, 4};
  const int32_t *pid[2] = {ids[0], ids[1]};
  static const char *const prefixes[2] = {"", "distilbert."};
  static const char *const acts[2] = {"gelu", "relu"};
  for (int v = 0; v < 2; v++) {
    int n = distil_tensors(t, &s, prefixes[v]);
    write_st(dir, "model.safetensors", t, n, 0, -1);
    distil_config(dir, 2, acts[v]);
    for (int pool = 0; pool < 3; pool++) {
      ee_params p = ee_default_params();
      p.pooling = (ee_pooling)pool;
      ee_model *m = NULL;
      ee_error err = {0};
      float got[2 * RH];
      double worst = INFINITY;
      ee_info in = {0};
      if (ee_model_load(dir, &p, &m, &err) == EE_OK) {
        ee_model_info(m, &in);
        ee_context *ctx = ee_context_new(m);
        if (ctx && ee_embed_ids(ctx, 2, pid, NULL, lens, got, NULL, &err) == EE_OK) {
          worst = 0;
          for (int b = 0; b < 2; b++) {
            double want[RH];
            ref_forward(bt, nbt, ids[b], REF_NO_TYPES, lens[b], acts[v], (ee_pooling)pool, 0, 0, want);
            for (int i = 0; i < RH; i++) worst = fmax(worst, fabs(got[b * RH + i] - want[i]));
          }
        }
        if (pool == 0) {
          int32_t one = 1, *tp = &one;
          const int32_t *ptp[1] = {tp};
          int32_t l1 = 1;
          CHECK(ctx && ee_embed_ids(ctx, 1, pid, ptp, &l1, got, NULL, &err) == EE_ERR_INPUT,
                "DistilBERT: a token type id 1 is refused (no token types) (%s)", err.msg);
        }
        ee_context_free(ctx);
        ee_model_free(m);
      }
      CHECK(worst <= 2e-6, "DistilBERT (prefix '%s', %s, pooling %d): 2 sequences vs double loops without token "
            "types, max diff %.3g (%s)", prefixes[v], acts[v], pool, worst, err.msg);
      if (pool == 0)
        CHECK(in.model_type && strcmp(in.model_type, "distilbert") == 0 && in.hidden_size == 8 &&
                  in.num_layers == 1 && in.intermediate_size == 16 &&
                  in.n_params == (int64_t)16 * 8 + 16 * 8 + 2 * 8 + 4 * (8 * 8 + 8) + 2 * 8 + 16 * 8 + 16 + 8 * 16 + 8 + 2 * 8,
              "DistilBERT: info model_type '%s', sizes from dim/n_layers/hidden_dim, n_params %lld (no token types)",
              in.model_type ? in.model_type : "?", (long long)in.n_params);
    }
  }
  /* errors name DistilBertConfig's keys and tensor names */
  int n = distil_tensors(t, &s, "");
  write_st(dir, "model.safetensors", t, n, 0, -1);
  distil_config(dir, 3, "gelu");
  expect_load("DistilBERT: dim not divisible by n_heads", dir, NULL, EE_ERR_FORMAT, "config.json",
              "dim 8 is not divisible by n_heads 3");
  distil_config(dir, 2, "silu");
  expect_load("DistilBERT: unknown activation", dir, NULL, EE_ERR_UNSUPPORTED, "config.json",
              "unsupported activation 'silu'");
  distil_config(dir, 2, "gelu");
  int up = find_t(t, n, "transformer.layer.0.ffn.lin1.weight");
  t[up].shape[0] = 8, t[up].shape[1] = 16; /* transposed */
  layout(t, n);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  expect_load("DistilBERT: FFN weight transposed", dir, NULL, EE_ERR_FORMAT,
              "tensor 'transformer.layer.0.ffn.lin1.weight'", "expected [16, 8] (config.json: hidden_dim 16, dim 8)");
  n = distil_tensors(t, &s, "");
  int ln = find_t(t, n, "transformer.layer.0.sa_layer_norm.bias");
  t[ln] = t[--n];
  layout(t, n);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  expect_load("DistilBERT: a LayerNorm bias missing", dir, NULL, EE_ERR_FORMAT, "model.safetensors",
              "missing tensor 'transformer.layer.0.sa_layer_norm.bias'");
  write_text(dir, "config.json", "{\"model_type\": \"distilbert\", \"dim\": \"eight\"}");
  expect_load("DistilBERT: dim not an integer", dir, NULL, EE_ERR_FORMAT, "config.json", "\"dim\"");
}

/* ---- cases: MPNet (model_type "mpnet") ------------------------------------------------ */

/* The BERT tensors of s as MPNetModel's (prefix "" or "mpnet."), values
** kept, plus encoder.relative_attention_bias [32, heads]. */
static int mpnet_tensors(tensor *t, const spec *s, const char *prefix) {
  static part_map map[] = {
    {"attention.self.query", "attention.attn.q"}, {"attention.self.key", "attention.attn.k"},
    {"attention.self.value", "attention.attn.v"}, {"attention.output.dense", "attention.attn.o"},
    {"attention.output.LayerNorm", "attention.LayerNorm"}, {"intermediate.dense", "intermediate.dense"},
    {"output.dense", "output.dense"}, {"output.LayerNorm", "output.LayerNorm"}};
  int n = renamed_tensors(t, s, prefix, "encoder.layer.%d.", map, sizeof map / sizeof map[0]);
  add_t(t, n, s, "encoder.relative_attention_bias.weight", 32, s->NH);
  snprintf(t[n].name, sizeof t[n].name, "%.16sencoder.relative_attention_bias.weight", prefix);
  snprintf(t[n].vname, sizeof t[n].vname, "encoder.relative_attention_bias.weight");
  layout(t, n + 1);
  return n + 1;
}

/* extra: more keys, each after ", " */
static void mpnet_config(const char *dir, const char *extra) {
  write_text(dir, "config.json",
             "{\"architectures\": [\"MPNetModel\"], \"model_type\": \"mpnet\", \"hidden_size\": 8,\n"
             " \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"intermediate_size\": 16,\n"
             " \"vocab_size\": 16, \"max_position_embeddings\": 16, \"layer_norm_eps\": 1e-12,\n"
             " \"hidden_act\": \"gelu\"%s}\n", extra);
}

/* The tiny model's vocab.txt puts [CLS] (2) and [SEP] (3) around a text:
** the config names them as bos/eos, and [PAD] (0) as the padding id, so
** positions start at 1 and a 0 inside a text takes position 0. */
#define MPNET_IDS ", \"pad_token_id\": 0, \"bos_token_id\": 2, \"eos_token_id\": 3"

static void mpnet_cases(void) {
  spec s = base_spec();
  tensor bt[MAX_T], t[MAX_T];
  int nbt = make_tensors(bt, &s);
  /* the reference reads the bias under its plain name */
  nbt = add_t(bt, nbt, &s, "encoder.relative_attention_bias.weight", 32, s.NH);
  layout(bt, nbt);
  char dir[600];
  snprintf(dir, sizeof dir, "%s/mpnet", g_root);
  mkdir(dir, 0700);
  write_vocab(dir, s.vocab_tokens);
  /* a pad id inside the first text; the third uses all 15 positions
  ** (distances up to 14: the logarithmic buckets 8 and 9) */
  int32_t ids[3][15] = {{2, 5, 9, 0, 15, 7, 3}, {2, 6, 11, 3},
                        {2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 5, 6, 3}};
  int32_t lens[3] = {7, 4, 15};
  const int32_t *pid[3] = {ids[0], ids[1], ids[2]};
  static const char *const prefixes[2] = {"", "mpnet."};
  static const char *const precs[3] = {"fp32", "bf16", "int8"};
  for (int v = 0; v < 2; v++) {
    int n = mpnet_tensors(t, &s, prefixes[v]);
    write_st(dir, "model.safetensors", t, n, 0, -1);
    mpnet_config(dir, MPNET_IDS);
    for (int pool = 0; pool < 3; pool++)
      for (int pr = 0; pr < (pool == 1 ? 3 : 1); pr++) {
        ee_params p = ee_default_params();
        p.pooling = (ee_pooling)pool;
        p.precision = (ee_precision)pr;
        ee_model *m = NULL;
        ee_error err = {0};
        float got[3 * RH];
        double worst = INFINITY, worst_bert = INFINITY;
        ee_info in = {0};
        if (ee_model_load(dir, &p, &m, &err) == EE_OK) {
          ee_model_info(m, &in);
          ee_context *ctx = ee_context_new(m);
          if (ctx && ee_embed_ids(ctx, 3, pid, NULL, lens, got, NULL, &err) == EE_OK) {
            worst = worst_bert = 0;
            for (int b = 0; b < 3; b++) {
              double want[RH], bert[RH];
              g_ref_pad = 0;
              ref_forward(bt, nbt, ids[b], REF_NO_TYPES, lens[b], "gelu", (ee_pooling)pool, 0, 0, want);
              g_ref_pad = -1; /* BERT's positions, no bias: what the test must tell apart */
              ref_forward(bt, nbt - 1, ids[b], REF_NO_TYPES, lens[b], "gelu", (ee_pooling)pool, 0, 0, bert);
              for (int i = 0; i < RH; i++) {
                worst = fmax(worst, fabs(got[b * RH + i] - want[i]));
                worst_bert = fmax(worst_bert, fabs(got[b * RH + i] - bert[i]));
              }
            }
          }
          if (pool == 0 && pr == 0) {
            int32_t l16 = 16;
            int32_t long_ids[16] = {2, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 3};
            const int32_t *pl[1] = {long_ids};
            CHECK(ctx && ee_embed_ids(ctx, 1, pl, NULL, &l16, got, NULL, &err) == EE_ERR_INPUT &&
                      strstr(err.msg, "16 tokens (expected 1..15)"),
                  "MPNet: 16 tokens refused, positions 1..15 only (%s)", err.msg);
          }
          ee_context_free(ctx);
          ee_model_free(m);
        }
        /* bf16 rounds q, k, p and v; int8 the products' inputs */
        const double tol = pr == 0 ? 2e-6 : pr == 1 ? 5e-3 : 1e-2;
        CHECK(worst <= tol && worst_bert > 10 * tol,
              "MPNet (prefix '%s', pooling %d, %s): 3 sequences vs double loops with MPNet's positions "
              "and relative bias, max diff %.3g (<= %.0e); vs BERT's positions without the bias %.3g (%s)",
              prefixes[v], pool, precs[pr], worst, tol, worst_bert, err.msg);
        if (pool == 0 && pr == 0)
          CHECK(in.model_type && strcmp(in.model_type, "mpnet") == 0 && in.max_length == 15 &&
                    in.n_params == (int64_t)16 * 8 + 16 * 8 + 2 * 8 + 4 * (8 * 8 + 8) + 2 * 8 + 16 * 8 + 16 +
                                       8 * 16 + 8 + 2 * 8 + 32 * 2,
                "MPNet: info model_type '%s', max_length %d (16 positions from 1), n_params %lld (no token "
                "types, the bias table)", in.model_type ? in.model_type : "?", in.max_length,
                (long long)in.n_params);
      }
  }
  g_ref_pad = -1;

  int n = mpnet_tensors(t, &s, "");
  write_st(dir, "model.safetensors", t, n, 0, -1);
  mpnet_config(dir, "");
  expect_load("MPNet: the tokenizer's [CLS]/[SEP] are not config's bos/eos (0, 2 by default)", dir,
              NULL, EE_ERR_FORMAT, "puts ids 2 and 3 around a text",
              "bos_token_id and eos_token_id are 0 and 2");
  mpnet_config(dir, MPNET_IDS ", \"relative_attention_num_buckets\": 64");
  expect_load("MPNet: 64 buckets", dir, NULL, EE_ERR_UNSUPPORTED, "config.json",
              "\"relative_attention_num_buckets\" in");
  mpnet_config(dir, ", \"pad_token_id\": 15, \"bos_token_id\": 2, \"eos_token_id\": 3");
  expect_load("MPNet: pad_token_id past the positions", dir, NULL, EE_ERR_FORMAT, "config.json",
              "\"pad_token_id\" 15");
  mpnet_config(dir, ", \"pad_token_id\": -1");
  expect_load("MPNet: negative pad_token_id", dir, NULL, EE_ERR_FORMAT, "config.json",
              "\"pad_token_id\"");
  mpnet_config(dir, MPNET_IDS);
  t[n - 1].shape[0] = s.NH, t[n - 1].shape[1] = 32; /* transposed */
  layout(t, n);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  expect_load("MPNet: relative bias transposed", dir, NULL, EE_ERR_FORMAT,
              "tensor 'encoder.relative_attention_bias.weight'",
              "expected [32, 2] (config.json: relative_attention_num_buckets 32, num_attention_heads 2)");
  write_st(dir, "model.safetensors", t, n - 1, 0, -1);
  expect_load("MPNet: relative bias missing", dir, NULL, EE_ERR_FORMAT, "model.safetensors",
              "missing tensor 'encoder.relative_attention_bias.weight'");
  n = mpnet_tensors(t, &s, "");
  int q = find_t(t, n, "encoder.layer.0.attention.attn.q.bias");
  t[q] = t[--n];
  layout(t, n);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  expect_load("MPNet: a query bias missing", dir, NULL, EE_ERR_FORMAT, "model.safetensors",
              "missing tensor 'encoder.layer.0.attention.attn.q.bias'");
}

/* ---- cases: NomicBert ------------------------------------------------------------------ */

/* NomicBertModel's tensors for the tiny shape (H 8, 1 layer, 2 heads): the
** word table padded to 64 rows (pad_vocab_size_multiple 64), n_inner 16
** rounded up to 256 features, no position table, no biases. */
static int nomic_tensors(tensor *t, const spec *s, const char *prefix) {
  spec p = *s;
  p.prefix = prefix;
  int n = 0;
  n = add_t(t, n, &p, "embeddings.word_embeddings.weight", 64, s->H);
  n = add_t(t, n, &p, "embeddings.token_type_embeddings.weight", s->TV, s->H);
  n = add_t(t, n, &p, "emb_ln.weight", s->H, -1);
  n = add_t(t, n, &p, "emb_ln.bias", s->H, -1);
  n = add_t(t, n, &p, "encoder.layers.0.attn.Wqkv.weight", 3 * s->H, s->H);
  n = add_t(t, n, &p, "encoder.layers.0.attn.out_proj.weight", s->H, s->H);
  n = add_t(t, n, &p, "encoder.layers.0.norm1.weight", s->H, -1);
  n = add_t(t, n, &p, "encoder.layers.0.norm1.bias", s->H, -1);
  n = add_t(t, n, &p, "encoder.layers.0.mlp.fc11.weight", 256, s->H);
  n = add_t(t, n, &p, "encoder.layers.0.mlp.fc12.weight", 256, s->H);
  n = add_t(t, n, &p, "encoder.layers.0.mlp.fc2.weight", s->H, 256);
  n = add_t(t, n, &p, "encoder.layers.0.norm2.weight", s->H, -1);
  n = add_t(t, n, &p, "encoder.layers.0.norm2.bias", s->H, -1);
  for (int i = 0; i < n; i++) t[i].is_ln_weight = strstr(t[i].name, "norm") && strstr(t[i].name, ".weight");
  layout(t, n);
  return n;
}

/* dir/config.json: "architectures" (arch, or value when key names it), then
** each of base's n keys with its JSON text, key's replaced by value (NULL
** leaves it out), and key added at the end when base lacks it. */
static void write_keyed_config(const char *dir, const char *arch, const char *const (*base)[2],
                               size_t n, const char *key, const char *value) {
  char buf[4096];
  int found = key && strcmp(key, "architectures") == 0;
  size_t len = (size_t)snprintf(buf, sizeof buf, "{\"architectures\": %s", found ? value : arch);
  for (size_t i = 0; i < n; i++) {
    const char *v = base[i][1];
    if (key && strcmp(key, base[i][0]) == 0) v = value, found = 1;
    if (v) len += (size_t)snprintf(buf + len, sizeof buf - len, ", \"%s\": %s", base[i][0], v);
  }
  if (key && !found) len += (size_t)snprintf(buf + len, sizeof buf - len, ", \"%s\": %s", key, value);
  snprintf(buf + len, sizeof buf - len, "}\n");
  write_text(dir, "config.json", "%s", buf);
}

/* A config.json setting the engine does not compute: key set to value (a
** JSON text; NULL leaves it out), refused with status st naming sub. */
typedef struct refusal {
  const char *key, *value, *sub;
  ee_status st;
} refusal;

/* Each refusal through config(dir, key, value), loaded: an error naming
** where (the config file) and its sub.  Labels "<model>: <key> <value>". */
static void expect_refusals(const char *model, const char *dir,
                            void (*config)(const char *, const char *, const char *),
                            const refusal *bad, size_t n, const char *where) {
  for (size_t i = 0; i < n; i++) {
    char label[200];
    config(dir, bad[i].key, bad[i].value);
    snprintf(label, sizeof label, "%s: %s %s", model, bad[i].key, bad[i].value ? bad[i].value : "absent");
    expect_load(label, dir, NULL, bad[i].st, where, bad[i].sub);
  }
}

/* For each name, dir's model.safetensors written as t[0..n) without that
** tensor: the load fails naming it (t itself is left as it is). */
static void expect_missing(const char *model, const char *dir, const tensor *t, int n,
                           const char *const *names, size_t count) {
  for (size_t i = 0; i < count; i++) {
    tensor u[MAX_T];
    char label[128], sub[128];
    memcpy(u, t, sizeof *t * (size_t)n);
    int m = n, k = find_t(u, m, names[i]);
    u[k] = u[--m];
    layout(u, m);
    write_st(dir, "model.safetensors", u, m, 0, -1);
    snprintf(label, sizeof label, "%s: %s missing", model, names[i]);
    snprintf(sub, sizeof sub, "missing tensor '%s'", names[i]);
    expect_load(label, dir, NULL, EE_ERR_FORMAT, "model.safetensors", sub);
  }
}

/* config.json of nomic-embed-text-v1.5's layout at the tiny shape, with key
** set to value (a JSON text; NULL leaves the key out), or key added. */
static void nomic_config(const char *dir, const char *key, const char *value) {
  static const char *const base[][2] = {
    {"model_type", "\"nomic_bert\""}, {"activation_function", "\"swiglu\""},
    {"n_embd", "8"}, {"n_layer", "1"}, {"n_head", "2"}, {"n_inner", "16"}, {"n_positions", "16"},
    {"vocab_size", "16"}, {"pad_vocab_size_multiple", "64"}, {"type_vocab_size", "2"},
    {"layer_norm_epsilon", "1e-12"}, {"rotary_emb_fraction", "1.0"}, {"rotary_emb_base", "1000"},
    {"rotary_emb_interleaved", "false"}, {"rotary_emb_scale_base", "null"},
    {"rotary_scaling_factor", "null"}, {"prenorm", "false"}, {"causal", "false"},
    {"qkv_proj_bias", "false"}, {"mlp_fc1_bias", "false"}, {"mlp_fc2_bias", "false"},
    {"use_rms_norm", "false"}, {"parallel_block", "false"}, {"bos_token_id", "null"},
  };
  write_keyed_config(dir, "[\"NomicBertModel\"]", base, sizeof base / sizeof base[0], key, value);
}

static void nomic_cases(void) {
  spec s = base_spec();
  tensor t[MAX_T];
  char dir[600];
  snprintf(dir, sizeof dir, "%s/nomic", g_root);
  mkdir(dir, 0700);
  write_vocab(dir, s.vocab_tokens);
  int32_t ids[2][12] = {{2, 5, 9, 0, 15, 7, 3}, {2, 6, 11, 12, 13, 14, 15, 5, 6, 7, 8, 3}};
  int32_t lens[2] = {7, 12};
  const int32_t *pid[2] = {ids[0], ids[1]};
  float first[2 * RH];
  static const char *const prefixes[2] = {"", "bert."};
  for (int v = 0; v < 2; v++) {
    int n = nomic_tensors(t, &s, prefixes[v]);
    write_st(dir, "model.safetensors", t, n, 0, -1);
    nomic_config(dir, NULL, NULL);
    for (int pr = 0; pr < 3; pr++) {
      ee_params p = ee_default_params();
      p.precision = (ee_precision)pr;
      p.pooling = EE_POOL_MEAN;
      ee_model *m = NULL;
      ee_error err = {0};
      ee_info in = {0};
      float got[2 * RH], alone[RH];
      int ok = 0;
      double worst = INFINITY, worst_alone = INFINITY;
      if (ee_model_load(dir, &p, &m, &err) == EE_OK) {
        ee_model_info(m, &in);
        ee_context *ctx = ee_context_new(m);
        ok = ctx && ee_embed_ids(ctx, 2, pid, NULL, lens, got, NULL, &err) == EE_OK &&
             ee_embed_ids(ctx, 1, &pid[1], NULL, &lens[1], alone, NULL, &err) == EE_OK;
        if (ok) {
          worst = worst_alone = 0;
          for (int i = 0; i < 2 * RH; i++) {
            if (!isfinite(got[i])) worst = INFINITY;
            else if (v || pr) worst = fmax(worst, fabs(got[i] - first[i]));
            else first[i] = got[i];
          }
          for (int i = 0; i < RH; i++) worst_alone = fmax(worst_alone, fabs(alone[i] - got[RH + i]));
        }
        ee_context_free(ctx);
        ee_model_free(m);
      }
      /* the same weights under either name give the same bits; bf16 and
      ** int8 stay near fp32 (the gated FFN's interleaved panels in each) */
      const double tol = pr == 0 ? 0 : pr == 1 ? 3e-2 : 3e-2;
      CHECK(ok && worst <= tol && worst_alone == 0,
            "NomicBert (prefix '%s', %s): 2 sequences finite, max diff to fp32 %.3g (<= %.0e), "
            "alone vs batch %.3g (%s)", prefixes[v], pr == 0 ? "fp32" : pr == 1 ? "bf16" : "int8",
            worst, tol, worst_alone, err.msg);
      if (pr == 0)
        CHECK(in.model_type && strcmp(in.model_type, "nomic_bert") == 0 && in.vocab_size == 64 &&
                  in.intermediate_size == 256 && in.max_length == 16 &&
                  in.n_params == (int64_t)64 * 8 + 2 * 8 + 2 * 8 + 3 * 8 * 8 + 8 * 8 + 2 * 8 +
                                     3 * 256 * 8 + 2 * 8,
              "NomicBert: info model_type '%s', vocab_size %d (padded to 64), intermediate_size %d "
              "(16 rounded up to 256), max_length %d (no [CLS]/[SEP] offset), n_params %lld (no "
              "position table, no biases)", in.model_type ? in.model_type : "?", in.vocab_size,
              in.intermediate_size, in.max_length, (long long)in.n_params);
    }
  }

  /* each setting the engine does not compute, refused by name */
  static const refusal bad[] = {
    {"activation_function", "\"relu\"", "\"activation_function\": 'relu'", EE_ERR_UNSUPPORTED},
    {"activation_function", NULL, "\"activation_function\": 'gelu_new'", EE_ERR_UNSUPPORTED},
    {"rotary_emb_fraction", "0.5", "\"rotary_emb_fraction\": 0.5", EE_ERR_UNSUPPORTED},
    {"rotary_emb_fraction", NULL, "\"rotary_emb_fraction\": 0 in", EE_ERR_UNSUPPORTED},
    {"rotary_emb_interleaved", "true", "\"rotary_emb_interleaved\": true", EE_ERR_UNSUPPORTED},
    {"rotary_emb_scale_base", "512", "\"rotary_emb_scale_base\": set", EE_ERR_UNSUPPORTED},
    {"rotary_scaling_factor", "2", "\"rotary_scaling_factor\": set", EE_ERR_UNSUPPORTED},
    {"prenorm", "true", "\"prenorm\": true", EE_ERR_UNSUPPORTED},
    {"causal", "true", "\"causal\": true", EE_ERR_UNSUPPORTED},
    {"use_rms_norm", "true", "\"use_rms_norm\": true", EE_ERR_UNSUPPORTED},
    {"parallel_block", "true", "\"parallel_block\": true", EE_ERR_UNSUPPORTED},
    {"qkv_proj_bias", NULL, "\"qkv_proj_bias\": true", EE_ERR_UNSUPPORTED},
    {"mlp_fc2_bias", "true", "\"mlp_fc2_bias\": true", EE_ERR_UNSUPPORTED},
    {"num_heads_kv", "1", "\"num_heads_kv\": not n_head", EE_ERR_UNSUPPORTED},
    {"prenorm", "1", "\"prenorm\" in", EE_ERR_FORMAT},
    {"rotary_emb_base", "\"1000\"", "\"rotary_emb_base\" in", EE_ERR_FORMAT},
    {"rotary_emb_base", "0", "\"rotary_emb_base\" in", EE_ERR_FORMAT},
    {"n_head", "3", "n_embd 8 is not divisible by n_head 3", EE_ERR_FORMAT},
    {"n_head", "8", "head size n_embd / n_head = 1", EE_ERR_FORMAT},
    {"n_inner", "-4", "\"n_inner\" in", EE_ERR_FORMAT},
    {"n_inner", "999999", "n_inner 999999 rounded up to a multiple of 256 is 1000192", EE_ERR_FORMAT},
    {"layer_norm_epsilon", "\"x\"", "\"layer_norm_epsilon\" in", EE_ERR_FORMAT},
  };
  int n = nomic_tensors(t, &s, "");
  write_st(dir, "model.safetensors", t, n, 0, -1);
  expect_refusals("NomicBert", dir, nomic_config, bad, sizeof bad / sizeof bad[0], "nomic/config.json");
  /* n_inner absent: 8/3 of n_embd (21), rounded up to 256 as well */
  nomic_config(dir, "n_inner", "null");
  expect_load("NomicBert: n_inner null", dir, NULL, EE_OK, NULL, NULL);
  /* without pad_vocab_size_multiple the table has vocab_size rows */
  nomic_config(dir, "pad_vocab_size_multiple", NULL);
  expect_load("NomicBert: word table of 64 rows for vocab_size 16", dir, NULL, EE_ERR_FORMAT,
              "tensor 'embeddings.word_embeddings.weight'",
              "expected [16, 8] (config.json: vocab_size 16 (padded), n_embd 8)");
  nomic_config(dir, NULL, NULL);
  int g = find_t(t, n, "encoder.layers.0.mlp.fc12.weight");
  t[g].shape[0] = 16; /* n_inner as written, not rounded */
  layout(t, n);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  expect_load("NomicBert: gate of n_inner rows", dir, NULL, EE_ERR_FORMAT,
              "tensor 'encoder.layers.0.mlp.fc12.weight'", "expected [256, 8] (config.json: n_inner rounded up to 256 = 256");
  n = nomic_tensors(t, &s, "");
  t[g] = t[--n];
  layout(t, n);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  expect_load("NomicBert: gate missing", dir, NULL, EE_ERR_FORMAT, "model.safetensors",
              "missing tensor 'encoder.layers.0.mlp.fc12.weight'");
  n = nomic_tensors(t, &s, "");
  int q = find_t(t, n, "encoder.layers.0.attn.Wqkv.weight");
  t[q].shape[0] = s.H; /* a query-only tensor */
  layout(t, n);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  expect_load("NomicBert: Wqkv of H rows", dir, NULL, EE_ERR_FORMAT,
              "tensor 'encoder.layers.0.attn.Wqkv.weight'", "expected [24, 8] (config.json: 3 x n_embd 8)");
}

/* nomic-embed-text-v2-moe's layout at the tiny shape (H 8, 2 layers, 2
** heads, n_inner 16 not rounded): biases in every product, layer 0 a GELU
** MLP (fc1, fc2), layer 1 a Mixture of 3 experts (router, experts.mlp.w1 and
** w2 [3 x 16, 8], experts.bias). */
static int nomic_moe_tensors(tensor *t, const spec *s) {
  int n = 0;
  n = add_t(t, n, s, "embeddings.word_embeddings.weight", 64, s->H);
  n = add_t(t, n, s, "embeddings.token_type_embeddings.weight", 1, s->H);
  n = add_t(t, n, s, "emb_ln.weight", s->H, -1);
  n = add_t(t, n, s, "emb_ln.bias", s->H, -1);
  for (int l = 0; l < 2; l++) {
    char nm[96];
#define T_(suffix, d0, d1) snprintf(nm, sizeof nm, "encoder.layers.%d." suffix, l), n = add_t(t, n, s, nm, d0, d1)
    T_("attn.Wqkv.weight", 3 * s->H, s->H);
    T_("attn.Wqkv.bias", 3 * s->H, -1);
    T_("attn.out_proj.weight", s->H, s->H);
    T_("attn.out_proj.bias", s->H, -1);
    T_("norm1.weight", s->H, -1);
    T_("norm1.bias", s->H, -1);
    if (l == 0) {
      T_("mlp.fc1.weight", 16, s->H);
      T_("mlp.fc1.bias", 16, -1);
      T_("mlp.fc2.weight", s->H, 16);
      T_("mlp.fc2.bias", s->H, -1);
    } else {
      T_("mlp.router.layer.weight", 3, s->H);
      T_("mlp.experts.mlp.w1", 3 * 16, s->H);
      T_("mlp.experts.mlp.w2", 3 * 16, s->H);
      T_("mlp.experts.bias", s->H, -1);
    }
    T_("norm2.weight", s->H, -1);
    T_("norm2.bias", s->H, -1);
#undef T_
  }
  for (int i = 0; i < n; i++) t[i].is_ln_weight = strstr(t[i].name, "norm") && strstr(t[i].name, ".weight");
  layout(t, n);
  return n;
}

static void nomic_moe_config(const char *dir, const char *key, const char *value) {
  static const char *const base[][2] = {
    {"model_type", "\"nomic_bert\""}, {"activation_function", "\"gelu\""},
    {"n_embd", "8"}, {"n_layer", "2"}, {"n_head", "2"}, {"n_inner", "16"}, {"n_positions", "16"},
    {"vocab_size", "16"}, {"pad_vocab_size_multiple", "64"}, {"type_vocab_size", "1"},
    {"layer_norm_epsilon", "1e-05"}, {"rotary_emb_fraction", "1.0"}, {"rotary_emb_base", "10000"},
    {"rotary_emb_interleaved", "false"}, {"rotary_emb_scale_base", "null"},
    {"rotary_scaling_factor", "null"}, {"prenorm", "false"}, {"causal", "false"},
    {"qkv_proj_bias", "true"}, {"mlp_fc1_bias", "true"}, {"mlp_fc2_bias", "true"},
    {"use_rms_norm", "null"}, {"parallel_block", "false"}, {"num_experts", "3"},
    {"moe_top_k", "2"}, {"moe_every_n_layers", "2"}, {"moe_normalize_expert_weights", "false"},
    {"expert_choice_router", "false"}, {"num_shared_experts", "0"}, {"moe_impl", "\"megablocks\""},
  };
  write_keyed_config(dir, "[\"NomicBertModel\"]", base, sizeof base / sizeof base[0], key, value);
}

/* The Mixture-of-Experts path beyond its golden (test_engine's nomic_moe):
** in every precision the same bits alone, in a batch and on any thread
** count; the settings it does not compute refused by name; its tensors
** checked by name and shape. */
static void nomic_moe_cases(void) {
  spec s = base_spec();
  tensor t[MAX_T];
  char dir[600];
  snprintf(dir, sizeof dir, "%s/nomic_moe", g_root);
  mkdir(dir, 0700);
  write_vocab(dir, s.vocab_tokens);
  int n = nomic_moe_tensors(t, &s);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  nomic_moe_config(dir, NULL, NULL);
  int32_t ids[3][12] = {{2, 5, 9, 0, 15, 7, 3}, {2, 6, 11, 12, 13, 14, 15, 5, 6, 7, 8, 3}, {2, 4, 3}};
  int32_t lens[3] = {7, 12, 3};
  const int32_t *pid[3] = {ids[0], ids[1], ids[2]};
  float fp32[3 * RH], ref[3 * RH];
  static const char *const prec_name[3] = {"fp32", "bf16", "int8"};
  for (int pr = 0; pr < 3; pr++)
    for (int threads = 1; threads <= 3; threads += 2) {
      ee_params p = ee_default_params();
      p.threads = threads;
      p.precision = (ee_precision)pr;
      p.pooling = EE_POOL_MEAN;
      ee_model *m = NULL;
      ee_error err = {0};
      ee_info in = {0};
      float got[3 * RH], alone[3 * RH];
      int ok = ee_model_load(dir, &p, &m, &err) == EE_OK;
      ee_context *ctx = ok ? ee_context_new(m) : NULL;
      ok = ctx && ee_embed_ids(ctx, 3, pid, NULL, lens, got, NULL, &err) == EE_OK;
      for (int i = 0; ok && i < 3; i++)
        ok = ee_embed_ids(ctx, 1, &pid[i], NULL, &lens[i], alone + i * RH, NULL, &err) == EE_OK;
      double batch = INFINITY, thr = INFINITY, to_fp32 = INFINITY;
      if (ok) {
        batch = thr = to_fp32 = 0;
        for (int i = 0; i < 3 * RH; i++) {
          if (!isfinite(got[i])) batch = INFINITY;
          else batch = fmax(batch, fabs(got[i] - alone[i]));
          if (threads == 1) ref[i] = got[i];
          else thr = fmax(thr, fabs(got[i] - ref[i]));
          if (pr == 0) fp32[i] = got[i];
          else to_fp32 = fmax(to_fp32, fabs(got[i] - fp32[i]));
        }
        ee_model_info(m, &in);
      }
      /* bf16 and int8 round the experts' inputs as every product's */
      CHECK(ok && batch == 0 && thr == 0 && to_fp32 <= 3e-2,
            "NomicBert MoE (%s, %d threads): 3 sequences finite, alone vs batch %.3g, vs 1 thread "
            "%.3g, vs fp32 %.3g (<= 3e-2) (%s)", prec_name[pr], threads, batch, thr, to_fp32, err.msg);
      /* word table, one token type, emb_ln; per layer Wqkv + bias, out_proj
      ** + bias, two LayerNorms; fc1 + fc2 with biases (layer 0); router, w1,
      ** w2 and the experts' bias (layer 1) */
      const int64_t H = 8, I = 16, E = 3;
      const int64_t want = 64 * H + H + 2 * H + 2 * (3 * H * H + 3 * H + H * H + H + 4 * H) +
                           (2 * I * H + I + H) + (E * H + 2 * E * I * H + H);
      if (pr == 0)
        CHECK(ok && in.intermediate_size == 16 && in.n_params == want,
              "NomicBert MoE: intermediate_size %d (n_inner, not rounded), n_params %lld (want %lld)",
              in.intermediate_size, (long long)in.n_params, (long long)want);
      ee_context_free(ctx);
      ee_model_free(m);
    }
  static const refusal bad[] = {
    {"moe_normalize_expert_weights", "true", "\"moe_normalize_expert_weights\": set", EE_ERR_UNSUPPORTED},
    {"moe_normalize_expert_weights", "2.0", "\"moe_normalize_expert_weights\": set", EE_ERR_UNSUPPORTED},
    {"num_shared_experts", "1", "\"num_shared_experts\": 1", EE_ERR_UNSUPPORTED},
    {"expert_choice_router", "true", "\"expert_choice_router\": true", EE_ERR_UNSUPPORTED},
    {"moe_top_k", "4", "\"moe_top_k\" in", EE_ERR_FORMAT},
    {"moe_top_k", "0", "\"moe_top_k\" in", EE_ERR_FORMAT},
    {"num_experts", "0", "asks for Mixture-of-Experts layers, but num_experts is 0", EE_ERR_FORMAT},
    {"num_experts", "1025", "\"num_experts\" in", EE_ERR_FORMAT},
    {"num_experts", "\"3\"", "\"num_experts\" in", EE_ERR_FORMAT},
    {"use_rms_norm", "true", "\"use_rms_norm\": true", EE_ERR_UNSUPPORTED},
  };
  expect_refusals("NomicBert MoE", dir, nomic_moe_config, bad, sizeof bad / sizeof bad[0],
                  "nomic_moe/config.json");
  /* with swiglu the biases are refused first; without them, the experts */
  nomic_moe_config(dir, "activation_function", "\"swiglu\"");
  expect_load("NomicBert MoE: swiglu", dir, NULL, EE_ERR_UNSUPPORTED, "nomic_moe/config.json",
              "\"qkv_proj_bias\": true");
  write_text(dir, "config.json", "%s",
             "{\"model_type\": \"nomic_bert\", \"activation_function\": \"swiglu\", \"n_embd\": 8, "
             "\"n_layer\": 2, \"n_head\": 2, \"n_inner\": 16, \"n_positions\": 16, \"vocab_size\": 16, "
             "\"pad_vocab_size_multiple\": 64, \"rotary_emb_fraction\": 1.0, \"qkv_proj_bias\": false, "
             "\"mlp_fc1_bias\": false, \"mlp_fc2_bias\": false, \"num_experts\": 3, \"moe_every_n_layers\": 2}\n");
  expect_load("NomicBert MoE: swiglu without biases", dir, NULL, EE_ERR_UNSUPPORTED, "nomic_moe/config.json",
              "\"activation_function\": swiglu with num_experts");
  /* moe_every_n_layers 0: no MoE layer, so layer 1 is a GELU MLP whose fc1 is missing */
  nomic_moe_config(dir, "moe_every_n_layers", "0");
  expect_load("NomicBert MoE: moe_every_n_layers 0 wants fc1 in layer 1", dir, NULL, EE_ERR_FORMAT,
              "model.safetensors", "missing tensor 'encoder.layers.1.mlp.fc1.weight'");
  nomic_moe_config(dir, NULL, NULL);
  static const char *const moe_names[] = {
    "encoder.layers.1.mlp.router.layer.weight", "encoder.layers.1.mlp.experts.mlp.w1",
    "encoder.layers.1.mlp.experts.mlp.w2", "encoder.layers.1.mlp.experts.bias",
    "encoder.layers.0.attn.Wqkv.bias", "encoder.layers.0.mlp.fc1.bias", "encoder.layers.1.attn.out_proj.bias",
  };
  expect_missing("NomicBert MoE", dir, t, n, moe_names, sizeof moe_names / sizeof moe_names[0]);
  int w2 = find_t(t, n, "encoder.layers.1.mlp.experts.mlp.w2");
  t[w2].shape[0] = s.H, t[w2].shape[1] = 3 * 16; /* (H, E x I): the transposed layout */
  layout(t, n);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  expect_load("NomicBert MoE: w2 transposed", dir, NULL, EE_ERR_FORMAT,
              "tensor 'encoder.layers.1.mlp.experts.mlp.w2'",
              "expected [48, 8] (config.json: num_experts 3 x n_inner 16, n_embd 8)");
}

/* ---- cases: ModernBERT ----------------------------------------------------------------- */

/* ModernBertModel's tensors for the tiny shape (H 8, 2 layers, 2 heads,
** intermediate 16: Wi [32, 8]): no position or token-type table, layer 0
** without attn_norm, no biases anywhere. */
static int modernbert_tensors(tensor *t, const spec *s, const char *prefix) {
  spec p = *s;
  p.prefix = prefix;
  int n = 0;
  n = add_t(t, n, &p, "embeddings.tok_embeddings.weight", 64, s->H);
  n = add_t(t, n, &p, "embeddings.norm.weight", s->H, -1);
  for (int l = 0; l < 2; l++) {
    char name[96];
#define ADD(suffix, d0, d1) \
  snprintf(name, sizeof name, "layers.%d." suffix, l); \
  n = add_t(t, n, &p, name, d0, d1)
    if (l > 0) { ADD("attn_norm.weight", s->H, -1); }
    ADD("attn.Wqkv.weight", 3 * s->H, s->H);
    ADD("attn.Wo.weight", s->H, s->H);
    ADD("mlp_norm.weight", s->H, -1);
    ADD("mlp.Wi.weight", 32, s->H);
    ADD("mlp.Wo.weight", s->H, 16);
#undef ADD
  }
  n = add_t(t, n, &p, "final_norm.weight", s->H, -1);
  for (int i = 0; i < n; i++) t[i].is_ln_weight = strstr(t[i].name, "norm") != NULL;
  layout(t, n);
  return n;
}

/* config.json of ModernBERT-base's layout at the tiny shape: layer 0
** global, layer 1 local with a window of 2 keys on either side; cls and sep
** are the test vocabulary's [CLS] 2 and [SEP] 3.  key set to value as in
** nomic_config. */
static void modernbert_config(const char *dir, const char *key, const char *value) {
  static const char *const base[][2] = {
    {"model_type", "\"modernbert\""}, {"hidden_activation", "\"gelu\""},
    {"hidden_size", "8"}, {"num_hidden_layers", "2"}, {"num_attention_heads", "2"},
    {"intermediate_size", "16"}, {"max_position_embeddings", "16"}, {"vocab_size", "64"},
    {"norm_eps", "1e-05"}, {"global_rope_theta", "160000.0"}, {"local_rope_theta", "10000.0"},
    {"local_attention", "4"}, {"global_attn_every_n_layers", "2"}, {"attention_bias", "false"},
    {"mlp_bias", "false"}, {"norm_bias", "false"}, {"cls_token_id", "2"}, {"sep_token_id", "3"},
    {"pad_token_id", "0"},
  };
  write_keyed_config(dir, "[\"ModernBertModel\"]", base, sizeof base / sizeof base[0], key, value);
}

/* Mean-pooled vectors of the two test sequences (2 * RH floats) through
** dir's model at precision pr; 0 on any failure (err says why). */
static int tiny_mean_embed(const char *dir, int pr, float *got, float *alone, ee_info *in,
                            ee_error *err) {
  static const int32_t ids[2][12] = {{2, 5, 9, 0, 15, 7, 3}, {2, 6, 11, 12, 13, 14, 15, 5, 6, 7, 8, 3}};
  static const int32_t lens[2] = {7, 12};
  const int32_t *pid[2] = {ids[0], ids[1]};
  ee_params p = ee_default_params();
  p.precision = (ee_precision)pr;
  p.pooling = EE_POOL_MEAN;
  ee_model *m = NULL;
  if (ee_model_load(dir, &p, &m, err) != EE_OK) return 0;
  if (in) ee_model_info(m, in);
  ee_context *ctx = ee_context_new(m);
  int ok = ctx && ee_embed_ids(ctx, 2, pid, NULL, lens, got, NULL, err) == EE_OK &&
           ee_embed_ids(ctx, 1, &pid[1], NULL, &lens[1], alone, NULL, err) == EE_OK;
  for (int i = 0; ok && i < 2 * RH; i++) ok = isfinite(got[i]);
  ee_context_free(ctx);
  ee_model_free(m);
  return ok;
}

/* The tiny model of a gated architecture written by tensors() under each of
** the two prefixes (none, and what its For* checkpoints put first) with
** config(dir, NULL, NULL), embedded at each precision: two sequences
** finite, the longer alone as in the batch, fp32 the same bits under either
** prefix (first: fp32's vectors without prefix), bf16 and int8 within 3e-2
** of them.  *in: the info of the fp32 load without prefix. */
static void check_prefixes(const char *model, const char *dir, const spec *s,
                           int (*tensors)(tensor *, const spec *, const char *),
                           void (*config)(const char *, const char *, const char *),
                           const char *const prefixes[2], float *first, ee_info *in) {
  tensor t[MAX_T];
  float got[2 * RH], alone[RH];
  for (int v = 0; v < 2; v++) {
    int n = tensors(t, s, prefixes[v]);
    write_st(dir, "model.safetensors", t, n, 0, -1);
    config(dir, NULL, NULL);
    for (int pr = 0; pr < 3; pr++) {
      ee_error err = {0};
      ee_info info = {0};
      double worst = INFINITY, worst_alone = INFINITY;
      int ok = tiny_mean_embed(dir, pr, got, alone, &info, &err);
      if (ok) {
        worst = worst_alone = 0;
        for (int i = 0; i < 2 * RH; i++) {
          if (v || pr) worst = fmax(worst, fabs(got[i] - first[i]));
          else first[i] = got[i];
        }
        for (int i = 0; i < RH; i++) worst_alone = fmax(worst_alone, fabs(alone[i] - got[RH + i]));
      }
      const double tol = pr == 0 ? 0 : 3e-2;
      CHECK(ok && worst <= tol && worst_alone == 0,
            "%s (prefix '%s', %s): 2 sequences finite, max diff to fp32 %.3g (<= %.0e), alone vs "
            "batch %.3g (%s)", model, prefixes[v], pr == 0 ? "fp32" : pr == 1 ? "bf16" : "int8",
            worst, tol, worst_alone, err.msg);
      if (pr == 0 && v == 0) *in = info;
    }
  }
}

/* ModernBertForSequenceClassification: the encoder under "model.", then
** head.dense (no bias), GELU, head.norm (weight only), classifier, on
** token 0 or the mean of every token.  The head is checked in double
** against the pooled hidden state the same weights give as an embedding
** model (the encoder itself is checked against the goldens in
** test_engine). */
static void modernbert_head_cases(const char *dir, const spec *s) {
  tensor t[MAX_T];
  int n = modernbert_tensors(t, s, "model.");
  spec top = *s;
  top.prefix = "";
  n = add_t(t, n, &top, "head.dense.weight", 8, 8);
  n = add_t(t, n, &top, "head.norm.weight", 8, -1);
  t[n - 1].is_ln_weight = 1;
  n = add_t(t, n, &top, "classifier.weight", 1, 8);
  n = add_t(t, n, &top, "classifier.bias", 1, -1);
  layout(t, n);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  static const int32_t ids[2][12] = {{2, 5, 9, 0, 15, 7, 3}, {2, 6, 11, 12, 13, 14, 15, 5, 6, 7, 8, 3}};
  static const int32_t lens[2] = {7, 12};
  const int32_t *pid[2] = {ids[0], ids[1]};
  static const char *const pools[2] = {"\"cls\"", "\"mean\""};
  for (int pm = 0; pm < 2; pm++) {
    ee_error err = {0};
    float score[2] = {NAN, NAN}, hidden[2 * RH];
    char extra[160];
    snprintf(extra, sizeof extra, "%s, \"id2label\": {\"0\": \"LABEL_0\"}, \"classifier_pooling\": %s",
             "[\"ModernBertForSequenceClassification\"]", pools[pm]);
    modernbert_config(dir, "architectures", extra);
    ee_model *m = NULL;
    ee_info in = {0};
    int ok = ee_model_load(dir, NULL, &m, &err) == EE_OK;
    if (ok) {
      ee_model_info(m, &in);
      ee_context *ctx = ee_context_new(m);
      ok = ctx && ee_embed_ids(ctx, 2, pid, NULL, lens, score, NULL, &err) == EE_OK;
      ee_context_free(ctx);
      ee_model_free(m);
    }
    /* the same weights as an embedding model, pooled as the head pools */
    modernbert_config(dir, NULL, NULL);
    ee_params p = ee_default_params();
    p.pooling = pm ? EE_POOL_MEAN : EE_POOL_CLS;
    if (ok && ee_model_load(dir, &p, &m, &err) == EE_OK) {
      ee_context *ctx = ee_context_new(m);
      ok = ctx && ee_embed_ids(ctx, 2, pid, NULL, lens, hidden, NULL, &err) == EE_OK;
      ee_context_free(ctx);
      ee_model_free(m);
    } else {
      ok = 0;
    }
    double worst = ok ? 0 : INFINITY;
    for (int b = 0; ok && b < 2; b++) {
      double z[RH], mean = 0, var = 0, logit;
      for (int o = 0; o < RH; o++) {
        z[o] = 0;
        for (int k = 0; k < RH; k++) z[o] += wv(t, n, "head.dense.weight", o * RH + k) * hidden[b * RH + k];
        z[o] = 0.5 * z[o] * (1 + erf(z[o] / sqrt(2.0)));
        mean += z[o] / RH;
      }
      for (int o = 0; o < RH; o++) var += (z[o] - mean) * (z[o] - mean) / RH;
      logit = wv(t, n, "classifier.bias", 0);
      for (int o = 0; o < RH; o++)
        logit += wv(t, n, "classifier.weight", o) * (z[o] - mean) / sqrt(var + 1e-5) *
                 wv(t, n, "head.norm.weight", o);
      worst = fmax(worst, fabs(score[b] - 1 / (1 + exp(-logit))));
    }
    CHECK(ok && worst < 1e-6 && in.labels == 1 && in.pooling == (pm ? EE_POOL_MEAN : EE_POOL_CLS),
          "ModernBERT cross-encoder (classifier_pooling %s): 2 scores vs its head in double over "
          "the pooled hidden states, max diff %.3g, labels %d (%s)", pools[pm], worst, in.labels,
          err.msg);
  }
  struct { const char *extra, *sub; ee_status st; } bad[] = {
    {"\"classifier_pooling\": \"max\"", "unsupported classifier_pooling 'max'", EE_ERR_UNSUPPORTED},
    {"\"classifier_pooling\": 1", "\"classifier_pooling\" in", EE_ERR_FORMAT},
    {"\"classifier_activation\": \"silu\"", "unsupported classifier_activation 'silu'", EE_ERR_UNSUPPORTED},
    {"\"classifier_bias\": \"yes\"", "\"classifier_bias\" in", EE_ERR_FORMAT},
    {"\"classifier_bias\": true", "missing tensor 'head.dense.bias'", EE_ERR_FORMAT},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char extra[200], label[160];
    snprintf(extra, sizeof extra, "[\"ModernBertForSequenceClassification\"], \"num_labels\": 1, %s",
             bad[i].extra);
    modernbert_config(dir, "architectures", extra);
    snprintf(label, sizeof label, "ModernBERT cross-encoder: %s", bad[i].extra);
    expect_load(label, dir, NULL, bad[i].st, NULL, bad[i].sub);
  }
  int g = find_t(t, n, "head.norm.weight");
  t[g] = t[--n];
  layout(t, n);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  modernbert_config(dir, "architectures", "[\"ModernBertForSequenceClassification\"], \"num_labels\": 1");
  expect_load("ModernBERT cross-encoder: head.norm missing", dir, NULL, EE_ERR_FORMAT, "model.safetensors",
              "missing tensor 'head.norm.weight'");
}

static void modernbert_cases(void) {
  spec s = base_spec();
  tensor t[MAX_T];
  char dir[600];
  snprintf(dir, sizeof dir, "%s/modernbert", g_root);
  mkdir(dir, 0700);
  write_vocab(dir, s.vocab_tokens);
  float first[2 * RH], got[2 * RH], alone[RH];
  static const char *const prefixes[2] = {"", "model."};
  ee_info in = {0};
  check_prefixes("ModernBERT", dir, &s, modernbert_tensors, modernbert_config, prefixes, first, &in);
  CHECK(in.model_type && strcmp(in.model_type, "modernbert") == 0 && in.vocab_size == 64 &&
            in.intermediate_size == 16 && in.max_length == 16 &&
            in.n_params == (int64_t)64 * 8 + 8 + 8 + 2 * (3 * 8 * 8 + 8 * 8 + 8 + 32 * 8 + 8 * 16) + 8,
        "ModernBERT: info model_type '%s', vocab_size %d, intermediate_size %d, max_length "
        "%d, n_params %lld (no position table, no biases, one attn_norm)",
        in.model_type ? in.model_type : "?", in.vocab_size, in.intermediate_size,
        in.max_length, (long long)in.n_params);

  /* the window and the layer it applies to change the vectors: a window as
  ** wide as the text, or every layer global, gives other vectors */
  int n = modernbert_tensors(t, &s, "");
  write_st(dir, "model.safetensors", t, n, 0, -1);
  static const struct { const char *key, *value, *what; } variants[] = {
    {"local_attention", "32", "a window wider than the text"},
    {"global_attn_every_n_layers", "1", "every layer global"},
    {"local_rope_theta", "10.0", "another local theta (the local layer turns by its own)"},
  };
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
    ee_error err = {0};
    modernbert_config(dir, variants[i].key, variants[i].value);
    int ok = tiny_mean_embed(dir, 0, got, alone, NULL, &err);
    double moved = 0;
    for (int k = 0; ok && k < 2 * RH; k++) moved = fmax(moved, fabs(got[k] - first[k]));
    /* the 7-token text fits in the window of 2 on either side only in part
    ** too, so both texts move */
    CHECK(ok && moved > 1e-4, "ModernBERT: %s moves the vectors (max %.3g) (%s)", variants[i].what,
          moved, err.msg);
  }
  /* local_rope_theta null: the global theta for local layers too */
  modernbert_config(dir, "local_rope_theta", "null");
  {
    ee_error err = {0};
    float same[2 * RH];
    int ok = tiny_mean_embed(dir, 0, same, alone, NULL, &err);
    modernbert_config(dir, "local_rope_theta", "160000.0");
    ok = ok && tiny_mean_embed(dir, 0, got, alone, NULL, &err);
    CHECK(ok && memcmp(same, got, sizeof same) == 0,
          "ModernBERT: local_rope_theta null is global_rope_theta (%s)", err.msg);
  }

  /* each setting the engine does not compute, refused by name */
  static const refusal bad[] = {
    {"attention_bias", "true", "\"attention_bias\": true", EE_ERR_UNSUPPORTED},
    {"mlp_bias", "true", "\"mlp_bias\": true", EE_ERR_UNSUPPORTED},
    {"norm_bias", "true", "\"norm_bias\": true", EE_ERR_UNSUPPORTED},
    {"hidden_activation", "\"silu\"", "\"hidden_activation\": 'silu'", EE_ERR_UNSUPPORTED},
    {"hidden_activation", "5", "\"hidden_activation\" in", EE_ERR_FORMAT},
    {"norm_bias", "0", "\"norm_bias\" in", EE_ERR_FORMAT},
    {"global_rope_theta", "0", "\"global_rope_theta\" in", EE_ERR_FORMAT},
    {"local_rope_theta", "\"x\"", "\"local_rope_theta\" in", EE_ERR_FORMAT},
    {"local_attention", "-2", "\"local_attention\" in", EE_ERR_FORMAT},
    {"global_attn_every_n_layers", "0", "\"global_attn_every_n_layers\" in", EE_ERR_FORMAT},
    {"num_attention_heads", "3", "hidden_size 8 is not divisible by num_attention_heads 3", EE_ERR_FORMAT},
    {"num_attention_heads", "8", "head size hidden_size / num_attention_heads = 1", EE_ERR_FORMAT},
    {"norm_eps", "\"x\"", "\"norm_eps\" in", EE_ERR_FORMAT},
  };
  expect_refusals("ModernBERT", dir, modernbert_config, bad, sizeof bad / sizeof bad[0], "modernbert/config.json");
  /* a tokenizer that puts other ids around a text than cls/sep_token_id */
  modernbert_config(dir, "cls_token_id", "9");
  expect_load("ModernBERT: cls_token_id not the tokenizer's", dir, NULL, EE_ERR_FORMAT,
              "cls_token_id and sep_token_id are 9 and 3", "post_processor adds [CLS] and [SEP]");
  modernbert_config(dir, NULL, NULL);
  static const char *const missing[] = {"layers.1.attn_norm.weight", "final_norm.weight",
                                        "embeddings.norm.weight", "layers.0.mlp.Wi.weight"};
  n = modernbert_tensors(t, &s, "");
  expect_missing("ModernBERT", dir, t, n, missing, sizeof missing / sizeof missing[0]);
  n = modernbert_tensors(t, &s, "");
  int w = find_t(t, n, "layers.1.mlp.Wi.weight");
  t[w].shape[0] = 16; /* input only, no gate */
  layout(t, n);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  expect_load("ModernBERT: Wi of intermediate_size rows", dir, NULL, EE_ERR_FORMAT,
              "tensor 'layers.1.mlp.Wi.weight'",
              "expected [32, 8] (config.json: 2 x intermediate_size 16, hidden_size 8)");
  modernbert_head_cases(dir, &s);
}

/* ---- cases: GTE v1.5 (model_type "new") ------------------------------------------------ */

/* NewModel's tensors for the tiny shape (H 8, 2 layers, 2 heads,
** intermediate 16: up_gate_proj [32, 8]): no position table, a token-type
** table of types rows (none for 0), Q/K/V fused (qkv_proj) or, with split,
** three q/k/v_proj tensors holding the fused one's values. */
static int gte_tensors(tensor *t, const spec *s, const char *prefix, int types, int split) {
  spec p = *s;
  p.prefix = prefix;
  int n = 0;
  n = add_t(t, n, &p, "embeddings.word_embeddings.weight", 64, s->H);
  if (types) n = add_t(t, n, &p, "embeddings.token_type_embeddings.weight", types, s->H);
  n = add_t(t, n, &p, "embeddings.LayerNorm.weight", s->H, -1);
  n = add_t(t, n, &p, "embeddings.LayerNorm.bias", s->H, -1);
  for (int l = 0; l < 2; l++) {
    char name[96];
#define ADD(suffix, d0, d1) \
  snprintf(name, sizeof name, "encoder.layer.%d." suffix, l); \
  n = add_t(t, n, &p, name, d0, d1)
    if (split) {
      static const char *const parts[3] = {"q", "k", "v"};
      for (int q = 0; q < 3; q++) {
        snprintf(name, sizeof name, "encoder.layer.%d.attention.%s_proj.weight", l, parts[q]);
        n = add_t(t, n, &p, name, s->H, s->H);
        snprintf(t[n - 1].vname, sizeof t[n - 1].vname, "encoder.layer.%d.attention.qkv_proj.weight", l);
        t[n - 1].voff = (int64_t)q * s->H * s->H;
        snprintf(name, sizeof name, "encoder.layer.%d.attention.%s_proj.bias", l, parts[q]);
        n = add_t(t, n, &p, name, s->H, -1);
        snprintf(t[n - 1].vname, sizeof t[n - 1].vname, "encoder.layer.%d.attention.qkv_proj.bias", l);
        t[n - 1].voff = (int64_t)q * s->H;
      }
    } else {
      ADD("attention.qkv_proj.weight", 3 * s->H, s->H);
      ADD("attention.qkv_proj.bias", 3 * s->H, -1);
    }
    ADD("attention.o_proj.weight", s->H, s->H);
    ADD("attention.o_proj.bias", s->H, -1);
    ADD("attn_ln.weight", s->H, -1);
    ADD("attn_ln.bias", s->H, -1);
    ADD("mlp.up_gate_proj.weight", 32, s->H);
    ADD("mlp.down_proj.weight", s->H, 16);
    ADD("mlp.down_proj.bias", s->H, -1);
    ADD("mlp_ln.weight", s->H, -1);
    ADD("mlp_ln.bias", s->H, -1);
#undef ADD
  }
  for (int i = 0; i < n; i++)
    t[i].is_ln_weight = strstr(t[i].name, "LayerNorm.weight") || strstr(t[i].name, "_ln.weight");
  layout(t, n);
  return n;
}

/* gte_tensors with fused Q/K/V and no token-type table, as gte-base-en-v1.5 */
static int gte_fused_tensors(tensor *t, const spec *s, const char *prefix) {
  return gte_tensors(t, s, prefix, 0, 0);
}

/* config.json of gte-base-en-v1.5's layout at the tiny shape (NTK factor
** 2, no token types), key set to value as in nomic_config. */
static void gte_config(const char *dir, const char *key, const char *value) {
  static const char *const base[][2] = {
    {"model_type", "\"new\""}, {"hidden_act", "\"gelu\""}, {"hidden_size", "8"},
    {"num_hidden_layers", "2"}, {"num_attention_heads", "2"}, {"intermediate_size", "16"},
    {"max_position_embeddings", "16"}, {"vocab_size", "64"}, {"type_vocab_size", "0"},
    {"layer_norm_eps", "1e-12"}, {"layer_norm_type", "\"layer_norm\""},
    {"position_embedding_type", "\"rope\""}, {"rope_theta", "500000"},
    {"rope_scaling", "{\"factor\": 2.0, \"type\": \"ntk\"}"}, {"logn_attention_scale", "false"},
    {"logn_attention_clip1", "false"}, {"pack_qkv", "true"}, {"unpad_inputs", "false"},
    {"use_memory_efficient_attention", "false"}, {"pad_token_id", "0"},
  };
  write_keyed_config(dir, "[\"NewModel\"]", base, sizeof base / sizeof base[0], key, value);
}

/* max |a - b| over the two test sequences' vectors */
static double max_moved(const float *a, const float *b) {
  double d = 0;
  for (int k = 0; k < 2 * RH; k++) d = fmax(d, fabs(a[k] - b[k]));
  return d;
}

/* NewForSequenceClassification: the encoder under "new.", BertPooler's
** dense + tanh on token 0 (new.pooler.dense), classifier, and CrossEncoder's
** sigmoid for one label, checked in double against token 0's hidden state
** the same weights give as an embedding model. */
static void gte_head_cases(const char *dir, const spec *s) {
  tensor t[MAX_T];
  int n = gte_tensors(t, s, "new.", 0, 0);
  spec top = *s;
  top.prefix = "new.";
  n = add_t(t, n, &top, "pooler.dense.weight", 8, 8);
  n = add_t(t, n, &top, "pooler.dense.bias", 8, -1);
  top.prefix = "";
  n = add_t(t, n, &top, "classifier.weight", 1, 8);
  n = add_t(t, n, &top, "classifier.bias", 1, -1);
  layout(t, n);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  static const int32_t ids[2][12] = {{2, 5, 9, 0, 15, 7, 3}, {2, 6, 11, 12, 13, 14, 15, 5, 6, 7, 8, 3}};
  static const int32_t lens[2] = {7, 12};
  const int32_t *pid[2] = {ids[0], ids[1]};
  ee_error err = {0};
  float score[2] = {NAN, NAN}, hidden[2 * RH];
  gte_config(dir, "architectures", "[\"NewForSequenceClassification\"], \"id2label\": {\"0\": \"LABEL_0\"}");
  ee_model *m = NULL;
  ee_info in = {0};
  int ok = ee_model_load(dir, NULL, &m, &err) == EE_OK;
  if (ok) {
    ee_model_info(m, &in);
    ee_context *ctx = ee_context_new(m);
    ok = ctx && ee_embed_ids(ctx, 2, pid, NULL, lens, score, NULL, &err) == EE_OK;
    ee_context_free(ctx);
    ee_model_free(m);
  }
  gte_config(dir, NULL, NULL);
  ee_params p = ee_default_params();
  p.pooling = EE_POOL_CLS;
  if (ok && ee_model_load(dir, &p, &m, &err) == EE_OK) {
    ee_context *ctx = ee_context_new(m);
    ok = ctx && ee_embed_ids(ctx, 2, pid, NULL, lens, hidden, NULL, &err) == EE_OK;
    ee_context_free(ctx);
    ee_model_free(m);
  } else {
    ok = 0;
  }
  double worst = ok ? 0 : INFINITY;
  for (int b = 0; ok && b < 2; b++) {
    double logit = wv(t, n, "classifier.bias", 0);
    for (int o = 0; o < RH; o++) {
      double z = wv(t, n, "new.pooler.dense.bias", o);
      for (int k = 0; k < RH; k++) z += wv(t, n, "new.pooler.dense.weight", o * RH + k) * hidden[b * RH + k];
      logit += wv(t, n, "classifier.weight", o) * tanh(z);
    }
    worst = fmax(worst, fabs(score[b] - 1 / (1 + exp(-logit))));
  }
  CHECK(ok && worst < 1e-6 && in.labels == 1 && in.pooling == EE_POOL_CLS,
        "GTE cross-encoder: 2 scores vs new.pooler.dense + tanh + classifier + sigmoid in double "
        "over token 0's hidden state, max diff %.3g, labels %d (%s)", worst, in.labels, err.msg);
  int g = find_t(t, n, "new.pooler.dense.weight");
  t[g] = t[--n];
  layout(t, n);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  gte_config(dir, "architectures", "[\"NewForSequenceClassification\"], \"num_labels\": 1");
  expect_load("GTE cross-encoder: pooler missing", dir, NULL, EE_ERR_FORMAT, "model.safetensors",
              "missing tensor 'new.pooler.dense.weight'");
}

static void gte_cases(void) {
  spec s = base_spec();
  tensor t[MAX_T];
  char dir[600];
  snprintf(dir, sizeof dir, "%s/gte", g_root);
  mkdir(dir, 0700);
  write_vocab(dir, s.vocab_tokens);
  float first[2 * RH], got[2 * RH], alone[RH];
  static const char *const prefixes[2] = {"", "new."};
  ee_info in = {0};
  check_prefixes("GTE", dir, &s, gte_fused_tensors, gte_config, prefixes, first, &in);
  CHECK(in.model_type && strcmp(in.model_type, "new") == 0 && in.vocab_size == 64 &&
            in.intermediate_size == 16 && in.max_length == 16 &&
            in.n_params == (int64_t)64 * 8 + 2 * 8 +
                               2 * (3 * 8 * 8 + 3 * 8 + 8 * 8 + 8 + 2 * 8 + 32 * 8 + 8 * 16 + 8 + 2 * 8),
        "GTE: info model_type '%s', vocab_size %d, intermediate_size %d, max_length %d, "
        "n_params %lld (no position or token-type table, no up_gate bias)",
        in.model_type ? in.model_type : "?", in.vocab_size, in.intermediate_size,
        in.max_length, (long long)in.n_params);

  /* pack_qkv false: q_proj, k_proj, v_proj holding the fused tensor's
  ** values give the same bits */
  {
    int n = gte_tensors(t, &s, "", 0, 1);
    write_st(dir, "model.safetensors", t, n, 0, -1);
    gte_config(dir, "pack_qkv", "false");
    ee_error err = {0};
    int ok = tiny_mean_embed(dir, 0, got, alone, NULL, &err);
    CHECK(ok && memcmp(got, first, sizeof got) == 0,
          "GTE: pack_qkv false reads q_proj, k_proj, v_proj: the fused model's bits (%s)", err.msg);
    gte_config(dir, NULL, NULL);
    expect_load("GTE: pack_qkv true over split tensors", dir, NULL, EE_ERR_FORMAT, "model.safetensors",
                "missing tensor 'encoder.layer.0.attention.qkv_proj.weight'");
  }

  /* settings that change the vectors, each checked to move them */
  int n = gte_tensors(t, &s, "", 0, 0);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  static const struct { const char *key, *value, *what; } variants[] = {
    {"rope_scaling", "null", "no NTK scaling"},
    {"rope_scaling", "{\"factor\": 8.0, \"type\": \"ntk\"}", "NTK factor 8"},
    {"rope_theta", "10000", "another rope_theta"},
    {"hidden_act", "\"gelu_new\"", "the tanh GELU"},
    {"hidden_act", "\"silu\"", "SiLU"},
  };
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
    ee_error err = {0};
    gte_config(dir, variants[i].key, variants[i].value);
    int ok = tiny_mean_embed(dir, 0, got, alone, NULL, &err);
    double moved = ok ? max_moved(got, first) : 0;
    CHECK(ok && moved > 1e-5, "GTE: %s moves the vectors (max %.3g) (%s)", variants[i].what, moved,
          err.msg);
  }
  /* factor 1 is no scaling; "swish" is "silu" */
  {
    ee_error err = {0};
    float same[2 * RH];
    gte_config(dir, "rope_scaling", "null");
    int ok = tiny_mean_embed(dir, 0, same, alone, NULL, &err);
    gte_config(dir, "rope_scaling", "{\"type\": \"ntk\", \"factor\": 1}");
    ok = ok && tiny_mean_embed(dir, 0, got, alone, NULL, &err);
    CHECK(ok && memcmp(same, got, sizeof same) == 0, "GTE: NTK factor 1 is no scaling (%s)", err.msg);
    gte_config(dir, "hidden_act", "\"silu\"");
    ok = tiny_mean_embed(dir, 0, same, alone, NULL, &err);
    gte_config(dir, "hidden_act", "\"swish\"");
    ok = ok && tiny_mean_embed(dir, 0, got, alone, NULL, &err);
    CHECK(ok && memcmp(same, got, sizeof same) == 0, "GTE: swish is silu (%s)", err.msg);
  }
  /* a one-row token-type table is added to every token (gte-multilingual) */
  {
    ee_error err = {0};
    n = gte_tensors(t, &s, "", 1, 0);
    write_st(dir, "model.safetensors", t, n, 0, -1);
    gte_config(dir, "type_vocab_size", "1");
    int ok = tiny_mean_embed(dir, 0, got, alone, NULL, &err);
    double moved = ok ? max_moved(got, first) : 0;
    CHECK(ok && moved > 1e-5, "GTE: type_vocab_size 1 adds its row (moved %.3g) (%s)", moved, err.msg);
    gte_config(dir, NULL, NULL); /* type_vocab_size 0: the table is not read */
    ok = tiny_mean_embed(dir, 0, got, alone, NULL, &err);
    CHECK(ok && memcmp(got, first, sizeof got) == 0,
          "GTE: type_vocab_size 0 ignores a token-type tensor (%s)", err.msg);
    gte_config(dir, "type_vocab_size", "2");
    expect_load("GTE: type_vocab_size 2 over a one-row table", dir, NULL, EE_ERR_FORMAT,
                "tensor 'embeddings.token_type_embeddings.weight'",
                "expected [2, 8] (config.json: type_vocab_size 2, hidden_size 8)");
  }

  /* each setting the engine does not compute, refused by name */
  n = gte_tensors(t, &s, "", 0, 0);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  static const refusal bad[] = {
    {"rope_scaling", "{\"type\": \"linear\", \"factor\": 2}", "\"rope_scaling\": type 'linear'", EE_ERR_UNSUPPORTED},
    {"rope_scaling", "{\"type\": \"ntk\", \"factor\": 2, \"mixed_b\": 0.5}", "\"rope_scaling\": mixed_b set", EE_ERR_UNSUPPORTED},
    {"rope_scaling", "{\"type\": \"ntk\", \"factor\": 0.5}", "\"rope_scaling\": factor 0.5", EE_ERR_UNSUPPORTED},
    {"rope_scaling", "{\"type\": \"ntk\"}", "\"rope_scaling\" in", EE_ERR_FORMAT},
    {"rope_scaling", "{\"factor\": 2}", "\"rope_scaling\" in", EE_ERR_FORMAT},
    {"rope_scaling", "\"ntk\"", "\"rope_scaling\" in", EE_ERR_FORMAT},
    {"layer_norm_type", "\"rms_norm\"", "\"layer_norm_type\": 'rms_norm'", EE_ERR_UNSUPPORTED},
    {"position_embedding_type", "\"absolute\"", "\"position_embedding_type\": 'absolute'", EE_ERR_UNSUPPORTED},
    {"position_embedding_type", "7", "\"position_embedding_type\" in", EE_ERR_FORMAT},
    {"logn_attention_scale", "true", "\"logn_attention_scale\": true", EE_ERR_UNSUPPORTED},
    {"logn_attention_scale", "1", "\"logn_attention_scale\" in", EE_ERR_FORMAT},
    {"pack_qkv", "\"yes\"", "\"pack_qkv\" in", EE_ERR_FORMAT},
    {"hidden_act", "\"relu\"", "\"hidden_act\": 'relu'", EE_ERR_UNSUPPORTED},
    {"hidden_act", "null", "\"hidden_act\" in", EE_ERR_FORMAT},
    {"rope_theta", "0", "\"rope_theta\" in", EE_ERR_FORMAT},
    {"type_vocab_size", "-1", "\"type_vocab_size\" in", EE_ERR_FORMAT},
    {"num_attention_heads", "3", "hidden_size 8 is not divisible by num_attention_heads 3", EE_ERR_FORMAT},
    {"num_attention_heads", "8", "head size hidden_size / num_attention_heads = 1", EE_ERR_FORMAT},
    {"layer_norm_eps", "\"x\"", "\"layer_norm_eps\" in", EE_ERR_FORMAT},
  };
  expect_refusals("GTE", dir, gte_config, bad, sizeof bad / sizeof bad[0], "gte/config.json");
  /* one head of 1,024 over a million positions: 4 GB of angles asked for by
  ** config.json alone */
  write_text(dir, "config.json",
             "{\"architectures\": [\"NewModel\"], \"model_type\": \"new\", \"hidden_size\": 1024, "
             "\"num_hidden_layers\": 1, \"num_attention_heads\": 1, \"intermediate_size\": 16, "
             "\"vocab_size\": 16, \"max_position_embeddings\": 1000000}");
  expect_load("GTE: a rotary table of 1G floats", dir, NULL, EE_ERR_UNSUPPORTED, "gte/config.json",
              "rotary angles for max_position_embeddings 1000000 and 1 heads of 1024 in");
  gte_config(dir, NULL, NULL);
  static const char *const missing[] = {"encoder.layer.1.mlp.down_proj.bias",
                                        "encoder.layer.0.attention.qkv_proj.bias",
                                        "embeddings.LayerNorm.bias", "encoder.layer.1.mlp_ln.weight"};
  n = gte_tensors(t, &s, "", 0, 0);
  expect_missing("GTE", dir, t, n, missing, sizeof missing / sizeof missing[0]);
  n = gte_tensors(t, &s, "", 0, 0);
  int w = find_t(t, n, "encoder.layer.1.mlp.up_gate_proj.weight");
  t[w].shape[0] = 16; /* up only, no gate */
  layout(t, n);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  expect_load("GTE: up_gate_proj of intermediate_size rows", dir, NULL, EE_ERR_FORMAT,
              "tensor 'encoder.layer.1.mlp.up_gate_proj.weight'",
              "expected [32, 8] (config.json: 2 x intermediate_size 16, hidden_size 8)");
  gte_head_cases(dir, &s);
}

/* ---- cases: JinaBert (jina-embeddings-v2: model_type bert, ALiBi, GLU) ---------------- */

/* JinaBertModel's tensors for the tiny shape (1 layer, H 8, I 16): BERT's
** without the position table and with mlp.gated_layers [32, 8] (no bias),
** mlp.wo and mlp.layernorm in place of intermediate / output; code: the
** qk-post-norm variant's instead (layer_norm_q / _k, layer_norm_1,
** mlp.up_gated_layer, mlp.down_layer, layer_norm_2). */
static int jina_layout_tensors(tensor *t, const spec *s, int code) {
  int n = 0;
  n = add_t(t, n, s, "embeddings.word_embeddings.weight", s->V, s->H);
  n = add_t(t, n, s, "embeddings.token_type_embeddings.weight", s->TV, s->H);
  n = add_t(t, n, s, "embeddings.LayerNorm.weight", s->H, -1);
  n = add_t(t, n, s, "embeddings.LayerNorm.bias", s->H, -1);
  static const char *const hh[] = {"attention.self.query", "attention.self.key",
                                   "attention.self.value", "attention.output.dense"};
  char nm[128];
  for (int k = 0; k < 4; k++) {
    snprintf(nm, sizeof nm, "encoder.layer.0.%s.weight", hh[k]);
    n = add_t(t, n, s, nm, s->H, s->H);
    snprintf(nm, sizeof nm, "encoder.layer.0.%s.bias", hh[k]);
    n = add_t(t, n, s, nm, s->H, -1);
  }
  n = add_t(t, n, s, "encoder.layer.0.attention.output.LayerNorm.weight", s->H, -1);
  n = add_t(t, n, s, "encoder.layer.0.attention.output.LayerNorm.bias", s->H, -1);
  if (code) {
    static const char *const norms[] = {"attention.self.layer_norm_q", "attention.self.layer_norm_k", "layer_norm_1",
                                        "layer_norm_2"};
    for (int k = 0; k < 4; k++) {
      snprintf(nm, sizeof nm, "encoder.layer.0.%s.weight", norms[k]);
      n = add_t(t, n, s, nm, s->H, -1);
      t[n - 1].is_ln_weight = 1;
      snprintf(nm, sizeof nm, "encoder.layer.0.%s.bias", norms[k]);
      n = add_t(t, n, s, nm, s->H, -1);
    }
  }
  n = add_t(t, n, s, code ? "encoder.layer.0.mlp.up_gated_layer.weight" : "encoder.layer.0.mlp.gated_layers.weight",
            2 * s->I, s->H);
  n = add_t(t, n, s, code ? "encoder.layer.0.mlp.down_layer.weight" : "encoder.layer.0.mlp.wo.weight", s->H, s->I);
  n = add_t(t, n, s, code ? "encoder.layer.0.mlp.down_layer.bias" : "encoder.layer.0.mlp.wo.bias", s->H, -1);
  if (!code) {
    n = add_t(t, n, s, "encoder.layer.0.mlp.layernorm.weight", s->H, -1);
    t[n - 1].is_ln_weight = 1;
    n = add_t(t, n, s, "encoder.layer.0.mlp.layernorm.bias", s->H, -1);
  }
  layout(t, n);
  return n;
}

static int jina_tensors(tensor *t, const spec *s) { return jina_layout_tensors(t, s, 0); }

/* config.json of jina-embeddings-v2-base-en's layout at the tiny shape */
static void jina_config(const char *dir, const char *key, const char *value) {
  static const char *const base[][2] = {
    {"model_type", "\"bert\""}, {"hidden_act", "\"gelu\""}, {"hidden_size", "8"},
    {"num_hidden_layers", "1"}, {"num_attention_heads", "2"}, {"intermediate_size", "16"},
    {"max_position_embeddings", "16"}, {"vocab_size", "16"}, {"type_vocab_size", "2"},
    {"layer_norm_eps", "1e-12"}, {"position_embedding_type", "\"alibi\""},
    {"feed_forward_type", "\"geglu\""}, {"emb_pooler", "\"mean\""}, {"attn_implementation", "\"torch\""},
  };
  write_keyed_config(dir, "[\"JinaBertForMaskedLM\"]", base, sizeof base / sizeof base[0], key, value);
}

/* Mean-pooled, unnormalised vectors of the two typed test sequences
** (2 * RH floats) through the model at path (a directory or a .gguf);
** 0 on any failure (err says why). */
static int jina_mean_embed(const char *path, const int32_t *const *pid, const int32_t *const *ptt,
                           const int32_t *lens, float *got, ee_error *err) {
  ee_params p = ee_default_params();
  p.pooling = EE_POOL_MEAN;
  p.normalize = 0; /* a GGUF file's default is llama.cpp's: normalised */
  ee_model *m = NULL;
  if (ee_model_load(path, &p, &m, err) != EE_OK) return 0;
  ee_context *ctx = ee_context_new(m);
  int ok = ctx && ee_embed_ids(ctx, 2, pid, ptt, lens, got, NULL, err) == EE_OK;
  ee_context_free(ctx);
  ee_model_free(m);
  return ok;
}

/* code: jina-embeddings-v2-base-code's qk-post-norm layout, read by its
** tensors under the same config.json */
static void jina_cases(int code) {
  spec s = base_spec();
  tensor t[MAX_T];
  char dir[600];
  const char *label = code ? "JinaBert qk-post-norm" : "JinaBert";
  snprintf(dir, sizeof dir, "%s/%s", g_root, code ? "jina_code" : "jina");
  mkdir(dir, 0700);
  write_vocab(dir, s.vocab_tokens);
  int n = jina_layout_tensors(t, &s, code);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  int32_t ids[2][11] = {{2, 5, 9, 15, 7, 7, 3}, {2, 6, 6, 6, 10, 11, 12, 13, 14, 8, 3}};
  int32_t types[2][11] = {{0, 0, 0, 0, 1, 1, 1}, {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1}};
  int32_t lens[2] = {7, 11};
  const int32_t *pid[2] = {ids[0], ids[1]}, *ptt[2] = {types[0], types[1]};
  /* the engine against the double reference (ALiBi, GLU), GeGLU and ReGLU,
  ** CLS and mean pooling, each precision */
  static const char *const ffs[2] = {"\"geglu\"", "\"reglu\""};
  float fp32[2 * RH];
  for (int a = 0; a < 2; a++) {
    jina_config(dir, "feed_forward_type", ffs[a]);
    for (int pool = 0; pool < 2; pool++)
      for (int pr = 0; pr < 3; pr++) {
        ee_params p = ee_default_params();
        p.pooling = (ee_pooling)pool, p.precision = (ee_precision)pr;
        ee_model *m = NULL;
        ee_error err = {0};
        ee_info in = {0};
        float got[2 * RH];
        double worst = INFINITY;
        if (ee_model_load(dir, &p, &m, &err) == EE_OK) {
          ee_model_info(m, &in);
          ee_context *ctx = ee_context_new(m);
          if (ctx && ee_embed_ids(ctx, 2, pid, ptt, lens, got, NULL, &err) == EE_OK) {
            worst = 0;
            for (int b = 0; b < 2; b++) {
              double want[RH];
              ref_forward(t, n, ids[b], types[b], lens[b], a ? "relu" : "gelu", (ee_pooling)pool, 0, 0, want);
              for (int i = 0; i < RH; i++) worst = fmax(worst, fabs(got[b * RH + i] - want[i]));
            }
            if (a == 0 && pool == 1 && pr == 0) memcpy(fp32, got, sizeof got);
          }
          ee_context_free(ctx);
          ee_model_free(m);
        }
        const double tol = pr == 0 ? 2e-6 : 3e-2;
        CHECK(worst <= tol, "%s (%s, %s pooling, %s): max diff %.3g vs double loops (<= %.0e) (%s)", label,
              ffs[a], pool ? "mean" : "cls", pr == 0 ? "fp32" : pr == 1 ? "bf16" : "int8", worst, tol,
              err.msg);
        if (a == 0 && pool == 0 && pr == 0)
          CHECK(in.model_type && strcmp(in.model_type, "bert") == 0 && in.max_length == 16 &&
                    in.n_params == (int64_t)16 * 8 + 2 * 8 + 2 * 8 + 4 * (8 * 8 + 8) + 2 * 8 +
                                       32 * 8 + 8 * 16 + 8 + 2 * 8 + (code ? 3 * 2 * 8 : 0),
                "%s: info model_type '%s', max_length %d (all 16 positions: no table), "
                "n_params %lld (no position table, the gated FFN without bias%s)", label,
                in.model_type ? in.model_type : "?", in.max_length, (long long)in.n_params,
                code ? "; layer_norm_q, _k and _1" : "");
      }
  }
  /* the ALiBi term is not idle at this size: the reference without it is far
  ** from what the engine computes */
  {
    double moved = 0;
    g_ref_no_alibi = 1;
    for (int b = 0; b < 2; b++) {
      double want[RH];
      ref_forward(t, n, ids[b], types[b], lens[b], "gelu", EE_POOL_MEAN, 0, 0, want);
      for (int i = 0; i < RH; i++) moved = fmax(moved, fabs(fp32[b * RH + i] - want[i]));
    }
    g_ref_no_alibi = 0;
    CHECK(moved > 1e-3, "%s: the reference without ALiBi is %.3g away (> 1e-3)", label, moved);
  }
  /* nor is any of the qk-post-norm variant's three differences */
  static const char *const mistakes[] = {"", "without the query and key LayerNorms",
                                         "with the layer input added once", "with GELU on the first half"};
  for (int mk = CODE_NO_QK_NORM; code && mk <= CODE_FIRST_HALF; mk++) {
    double moved = 0;
    g_ref_code_mistake = mk;
    for (int b = 0; b < 2; b++) {
      double want[RH];
      ref_forward(t, n, ids[b], types[b], lens[b], "gelu", EE_POOL_MEAN, 0, 0, want);
      for (int i = 0; i < RH; i++) moved = fmax(moved, fabs(fp32[b * RH + i] - want[i]));
    }
    g_ref_code_mistake = CODE_EXACT;
    CHECK(moved > 1e-3, "%s: the reference %s is %.3g away (> 1e-3)", label, mistakes[mk], moved);
  }
  /* the ForMaskedLM checkpoint's "bert." prefix reads the same tensors */
  jina_config(dir, NULL, NULL);
  {
    spec b = s;
    b.prefix = "bert.";
    tensor bt[MAX_T];
    int nb = jina_layout_tensors(bt, &b, code);
    write_st(dir, "model.safetensors", bt, nb, 0, -1);
    ee_error err = {0};
    float got[2 * RH];
    int ok = jina_mean_embed(dir, pid, ptt, lens, got, &err);
    CHECK(ok && memcmp(got, fp32, sizeof got) == 0, "%s: tensors under \"bert.\" give the same bits (%s)", label,
          err.msg);
    write_st(dir, "model.safetensors", t, n, 0, -1);
  }
  static const refusal bad[] = {
    {"feed_forward_type", "\"original\"", "unsupported JinaBert setting \"feed_forward_type\": 'original'", EE_ERR_UNSUPPORTED},
    {"feed_forward_type", NULL, "\"feed_forward_type\": 'original'", EE_ERR_UNSUPPORTED},
    {"feed_forward_type", "\"swiglu\"", "\"feed_forward_type\": 'swiglu'", EE_ERR_UNSUPPORTED},
    {"feed_forward_type", "3", "\"feed_forward_type\" in", EE_ERR_FORMAT},
    {"position_embedding_type", "\"relative_key\"", "unsupported position_embedding_type 'relative_key'", EE_ERR_UNSUPPORTED},
  };
  if (code) { /* as llama.cpp's converter writes it (tests/scripts/make_gguf.py): the same bits */
    char gguf[700], cmd[1600];
    snprintf(gguf, sizeof gguf, "%s/code.gguf", dir);
    write_text(dir, "tokenizer_config.json", "{\"tokenizer_class\": \"BertTokenizer\", \"do_lower_case\": true}");
    snprintf(cmd, sizeof cmd, "python3 tests/scripts/make_gguf.py '%s' '%s' --type f32 --pre default > /dev/null",
             dir, gguf);
    int ok = system(cmd) == 0;
    CHECK(ok, "%s: written as a jina-bert-v2 GGUF (attn_q_norm, attn_k_norm, attn_norm_2, up_gated_layer's "
          "halves as ffn_up and ffn_gate)", label);
    ee_error err = {0};
    float got[2 * RH];
    ok = ok && jina_mean_embed(gguf, pid, ptt, lens, got, &err);
    CHECK(ok && memcmp(got, fp32, sizeof got) == 0, "%s: the GGUF gives the directory's bits (%s)", label, err.msg);
    unlink(gguf);
  }
  if (!code) { /* the variant's config.json is this one: its refusals and table cap too */
    expect_refusals("JinaBert", dir, jina_config, bad, sizeof bad / sizeof bad[0], "jina/config.json");
    /* 64 heads x 1,999,999 distances: a 512 MB table asked for by config.json
    ** alone, refused before any tensor is read */
    write_text(dir, "config.json",
               "{\"architectures\": [\"JinaBertForMaskedLM\"], \"model_type\": \"bert\", "
               "\"hidden_size\": 64, \"num_hidden_layers\": 1, \"num_attention_heads\": 64, "
               "\"intermediate_size\": 16, \"vocab_size\": 16, \"max_position_embeddings\": 1000000, "
               "\"position_embedding_type\": \"alibi\", \"feed_forward_type\": \"geglu\"}");
    expect_load("JinaBert: an ALiBi table of 128M floats", dir, NULL, EE_ERR_UNSUPPORTED, "jina/config.json",
                "ALiBi biases for max_position_embeddings 1000000 and 64 heads of 1 in");
    jina_config(dir, NULL, NULL);
  }
  static const char *const missing[2][5] = {
      {"encoder.layer.0.mlp.wo.bias", "encoder.layer.0.mlp.layernorm.weight",
       "encoder.layer.0.mlp.gated_layers.weight"},
      {"encoder.layer.0.attention.self.layer_norm_q.weight", "encoder.layer.0.attention.self.layer_norm_k.bias",
       "encoder.layer.0.layer_norm_1.weight", "encoder.layer.0.mlp.down_layer.bias",
       "encoder.layer.0.layer_norm_2.weight"}};
  n = jina_layout_tensors(t, &s, code);
  expect_missing(label, dir, t, n, missing[code], code ? 5 : 3);
  /* the gated FFN's weight with one half only */
  const char *ffn = code ? "mlp.up_gated_layer" : "mlp.gated_layers";
  char ffn_w[96], what[128], needle[128];
  snprintf(ffn_w, sizeof ffn_w, "encoder.layer.0.%s.weight", ffn);
  snprintf(what, sizeof what, "%s: %s of intermediate_size rows", label, ffn + 4);
  snprintf(needle, sizeof needle, "tensor '%s'", ffn_w);
  n = jina_layout_tensors(t, &s, code);
  t[find_t(t, n, ffn_w)].shape[0] = 16;
  layout(t, n);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  expect_load(what, dir, NULL, EE_ERR_FORMAT, needle,
              "expected [32, 8] (config.json: 2 x intermediate_size 16, hidden_size 8)");
}

static void prompt_cases(void) {
  tensor t[MAX_T];
  int n;
  spec s = base_spec();
  const char *dir = make_model("prompts", &s, t, &n);
  write_text(dir, "config_sentence_transformers.json",
             "{\"prompts\": {\"q\": \"a \", \"d\": \"k k \"}, \"default_prompt_name\": null}");
  ee_model *m = NULL;
  ee_error err = {0};
  if (ee_model_load(dir, NULL, &m, &err) != EE_OK) {
    CHECK(0, "prompts: load (%s)", err.msg);
    return;
  }
  ee_info in;
  ee_model_info(m, &in);
  CHECK(strcmp(in.prompts, "{\"d\":\"k k \",\"q\":\"a \"}") == 0 && !in.default_prompt_name &&
            in.include_prompt == 1,
        "prompts: info lists them, keys sorted (%s)", in.prompts);
  CHECK(ee_model_prompt(m, "q") && strcmp(ee_model_prompt(m, "q"), "a ") == 0 &&
            !ee_model_prompt(m, "query") && !ee_model_prompt(m, NULL) && !ee_model_prompt(NULL, "q"),
        "prompts: ee_model_prompt finds by name, NULL otherwise");
  ee_context *ctx = ee_context_new(m);
  float joined[2 * 8], prompted[2 * 8], plain[8], none[8];
  const char *jt[2] = {"a b c", "a "}, *texts[2] = {"b c", ""};
  size_t jl[2] = {5, 2}, tl[2] = {3, 0};
  CHECK(ee_embed_texts(ctx, 2, jt, jl, joined, &err) == EE_OK &&
            ee_embed_texts_prompted(ctx, "a ", 2, texts, tl, prompted, &err) == EE_OK &&
            memcmp(joined, prompted, sizeof joined) == 0,
        "prompts: prompt + text is the joined string's vector, bit for bit (%s)", err.msg);
  CHECK(ee_embed_texts(ctx, 1, texts, tl, plain, &err) == EE_OK &&
            ee_embed_texts_prompted(ctx, "", 1, texts, tl, none, &err) == EE_OK &&
            memcmp(plain, none, sizeof plain) == 0 &&
            ee_embed_texts_prompted(ctx, NULL, 1, texts, tl, none, &err) == EE_OK &&
            memcmp(plain, none, sizeof plain) == 0,
        "prompts: an empty or NULL prompt adds nothing");
  const char *bad[2] = {"b", "ab\xff" "cd"};
  size_t bl[2] = {1, 5};
  CHECK(ee_embed_texts_prompted(ctx, "k k ", 1, bad + 1, bl + 1, plain, &err) == EE_ERR_INPUT &&
            strcmp(err.msg, "invalid UTF-8 at byte 2") == 0,
        "prompts: invalid UTF-8 is reported at its byte in the text, not the joined string (%s)", err.msg);
  CHECK(ee_embed_texts_prompted(ctx, "k k ", 2, bad, bl, prompted, &err) == EE_ERR_INPUT &&
            strcmp(err.msg, "text 1: invalid UTF-8 at byte 2") == 0,
        "prompts: ... and names the text among several (%s)", err.msg);
  CHECK(ee_embed_texts_prompted(ctx, "a\xc3", 1, texts, tl, plain, &err) == EE_ERR_INPUT &&
            strcmp(err.msg, "prompt: invalid UTF-8 at byte 1") == 0,
        "prompts: an invalid UTF-8 prompt is refused as the prompt (%s)", err.msg);
  const char *completes[1] = {"\xa9 b"}; /* "a\xc3" + this would read as "a\xc3\xa9 b", valid */
  size_t cl[1] = {4};
  CHECK(ee_embed_texts_prompted(ctx, "a\xc3", 1, completes, cl, plain, &err) == EE_ERR_INPUT &&
            strcmp(err.msg, "prompt: invalid UTF-8 at byte 1") == 0,
        "prompts: ... even when the text's first bytes would complete its last character (%s)", err.msg);
  ee_context_free(ctx);
  ee_model_free(m);

  /* include_prompt false: mean and max pooling leave out [CLS] and the
  ** prompt's tokens (as many as it has alone), CLS pooling is unchanged;
  ** checked against the double loops on the token ids written out by hand
  ** (vocab: [PAD] [UNK] [CLS] [SEP] [MASK] a b c ..., ids 0, 1, 2, 3, 4, 5, ...). */
  char pool[1024];
  snprintf(pool, sizeof pool, "%s/1_Pooling", dir);
  mkdir(pool, 0755);
  write_text(dir, "modules.json", "[{\"type\": \"sentence_transformers.models.Pooling\", \"path\": \"1_Pooling\"}]");
  static const struct { const char *mode; ee_pooling pool; } modes[] = {
    {"mean_tokens", EE_POOL_MEAN}, {"max_tokens", EE_POOL_MAX}, {"cls_token", EE_POOL_CLS},
    {"mean_sqrt_len_tokens", EE_POOL_MEAN_SQRT_LEN}, {"weightedmean_tokens", EE_POOL_WEIGHTED_MEAN},
    {"lasttoken", EE_POOL_LAST}};
  /* "a " + "b c" = [CLS] a b c [SEP], "a " alone [CLS] a [SEP]: skip 2;
  ** "a " + "" = [CLS] a [SEP]: only [SEP] left;
  ** "k k " + "b c" = [CLS] k k b c [SEP], "k k " alone 4 tokens: skip 3. */
  static const char *ptexts[3] = {"b c", "", "b c"}, *pprompts[3] = {"a ", "a ", "k k "};
  static const int32_t pids[3][6] = {{2, 5, 6, 7, 3}, {2, 5, 3}, {2, 15, 15, 6, 7, 3}};
  static const int plens[3] = {5, 3, 6}, pskip[3] = {2, 2, 3};
  for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
    write_text(pool, "config.json", "{\"pooling_mode_%s\": true, \"include_prompt\": false}", modes[k].mode);
    m = NULL;
    if (ee_model_load(dir, NULL, &m, &err) != EE_OK) {
      CHECK(0, "prompts: load with include_prompt false (%s)", err.msg);
      return;
    }
    ee_model_info(m, &in);
    ctx = ee_context_new(m);
    double worst = in.include_prompt == 0 ? 0 : INFINITY;
    for (int c = 0; c < 3; c++) {
      size_t len = strlen(ptexts[c]);
      double want[RH];
      if (ee_embed_texts_prompted(ctx, pprompts[c], 1, &ptexts[c], &len, plain, &err) != EE_OK) {
        worst = INFINITY;
        break;
      }
      ref_forward(t, n, pids[c], NULL, plens[c], "gelu", modes[k].pool, 0, pskip[c], want);
      for (int i = 0; i < RH; i++) worst = fmax(worst, fabs(plain[i] - want[i]));
    }
    CHECK(worst <= 2e-6, "prompts: include_prompt false, %s: 3 prompted texts vs double loops over "
          "the tokens after the prompt's, max diff %.3g (%s)", modes[k].mode, worst, err.msg);
    /* Without a prompt nothing is left out: the plain vector. */
    size_t len = 3;
    double want[RH];
    worst = ee_embed_texts(ctx, 1, texts, &len, plain, &err) == EE_OK ? 0 : INFINITY;
    static const int32_t bc[4] = {2, 6, 7, 3};
    ref_forward(t, n, bc, NULL, 4, "gelu", modes[k].pool, 0, 0, want);
    for (int i = 0; i < RH; i++) worst = fmax(worst, fabs(plain[i] - want[i]));
    CHECK(worst <= 2e-6, "prompts: include_prompt false, %s, no prompt: all tokens pooled (max diff %.3g)",
          modes[k].mode, worst);
    ee_context_free(ctx);
    ee_model_free(m);
  }
}

/* ---- cases: cross-encoders (a *ForSequenceClassification head) ----------------------- */

/* config.json of s as a sequence classifier: architectures [arch], then
** extra keys ("\"id2label\": {...}, ..."), as transformers writes them. */
static void head_config(const char *dir, const spec *s, const char *arch, const char *extra) {
  write_text(dir, "config.json",
             "{\"architectures\": [\"%s\"], \"model_type\": \"%s\", \"hidden_act\": \"gelu\",\n"
             " \"hidden_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": %d,\n"
             " \"intermediate_size\": %d, \"vocab_size\": %d, \"max_position_embeddings\": %d,\n"
             " \"type_vocab_size\": %d, \"layer_norm_eps\": 1e-12%s%s}\n",
             arch, s->model_type, s->H, s->L, s->NH, s->I, s->V, s->P, s->TV, extra[0] ? ", " : "", extra);
}

/* The encoder of s plus BertForSequenceClassification's head: pooler.dense
** (H, H) and classifier (labels, H), under the encoder's prefix and none. */
static int head_tensors(tensor *t, const spec *s, int labels) {
  int n = make_tensors(t, s);
  spec top = *s;
  top.prefix = "";
  n = add_t(t, n, s, "pooler.dense.weight", s->H, s->H);
  n = add_t(t, n, s, "pooler.dense.bias", s->H, -1);
  n = add_t(t, n, &top, "classifier.weight", labels, s->H);
  n = add_t(t, n, &top, "classifier.bias", labels, -1);
  layout(t, n);
  return n;
}

typedef enum head_act { HEAD_IDENTITY, HEAD_SIGMOID, HEAD_TANH } head_act;

/* act(classifier(tanh(pooler(h0)))) in double, from the hidden state of
** token 0 (ref_forward with CLS pooling); DistilBERT's pre_classifier is
** followed by a ReLU instead. */
static void ref_head(double *score, const double *h0, const tensor *t, int n, const char *pooler,
                     int labels, head_act act) {
  double p[RH];
  ref_linear(p, h0, 1, RH, RH, t, n, pooler);
  for (int i = 0; i < RH; i++) p[i] = strcmp(pooler, "pre_classifier") == 0 ? fmax(p[i], 0) : tanh(p[i]);
  ref_linear(score, p, 1, RH, labels, t, n, "classifier");
  for (int i = 0; i < labels; i++)
    score[i] = act == HEAD_SIGMOID ? 1 / (1 + exp(-score[i])) : act == HEAD_TANH ? tanh(score[i]) : score[i];
}

/* JinaBertForSequenceClassification (jina-reranker-v1-turbo-en): the
** JinaBert encoder under "bert.", BERT's pooler and classifier, CrossEncoder's
** sigmoid for one label; against the double reference's token 0. */
static void jina_head_cases(void) {
  spec s = base_spec();
  s.prefix = "bert.";
  tensor t[MAX_T];
  char dir[600];
  snprintf(dir, sizeof dir, "%s/jina_head", g_root);
  mkdir(dir, 0700);
  write_vocab(dir, s.vocab_tokens);
  int n = jina_tensors(t, &s);
  n = add_t(t, n, &s, "pooler.dense.weight", s.H, s.H);
  n = add_t(t, n, &s, "pooler.dense.bias", s.H, -1);
  spec top = s;
  top.prefix = "";
  n = add_t(t, n, &top, "classifier.weight", 1, s.H);
  n = add_t(t, n, &top, "classifier.bias", 1, -1);
  layout(t, n);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  jina_config(dir, "architectures", "[\"JinaBertForSequenceClassification\"], \"num_labels\": 1");
  /* the reference reads unprefixed names: the same values (they hash the
  ** name without the prefix) under BERT's names */
  tensor u[MAX_T];
  spec plain = base_spec();
  int nu = jina_tensors(u, &plain);
  nu = add_t(u, nu, &plain, "pooler.dense.weight", s.H, s.H);
  nu = add_t(u, nu, &plain, "pooler.dense.bias", s.H, -1);
  nu = add_t(u, nu, &plain, "classifier.weight", 1, s.H);
  nu = add_t(u, nu, &plain, "classifier.bias", 1, -1);
  int32_t ids[2][11] = {{2, 5, 9, 15, 7, 7, 3}, {2, 6, 6, 6, 10, 11, 12, 13, 14, 8, 3}};
  int32_t types[2][11] = {{0, 0, 0, 0, 1, 1, 1}, {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1}};
  int32_t lens[2] = {7, 11};
  const int32_t *pid[2] = {ids[0], ids[1]}, *ptt[2] = {types[0], types[1]};
  ee_model *m = NULL;
  ee_error err = {0};
  float score[2] = {NAN, NAN};
  double worst = INFINITY;
  if (ee_model_load(dir, NULL, &m, &err) == EE_OK) {
    ee_context *ctx = ee_context_new(m);
    if (ctx && ee_embed_ids(ctx, 2, pid, ptt, lens, score, NULL, &err) == EE_OK) {
      worst = 0;
      for (int b = 0; b < 2; b++) {
        double h0[RH], want;
        ref_forward(u, nu, ids[b], types[b], lens[b], "gelu", EE_POOL_CLS, 0, 0, h0);
        ref_head(&want, h0, u, nu, "pooler.dense", 1, HEAD_SIGMOID);
        worst = fmax(worst, fabs(score[b] - want));
      }
    }
    ee_context_free(ctx);
    ee_model_free(m);
  }
  CHECK(worst < 1e-6, "JinaBert cross-encoder: 2 pair scores vs the double reference, max diff %.3g (%s)",
        worst, err.msg);
}

static void head_cases(void) {
  /* labels, config keys, the activation sentence-transformers' CrossEncoder applies */
  static const struct { int labels; const char *extra; head_act act; const char *what; } v[] = {
    {1, "\"id2label\": {\"0\": \"LABEL_0\"}, \"sbert_ce_default_activation_function\": "
        "\"torch.nn.modules.linear.Identity\"", HEAD_IDENTITY, "1 label, Identity (ms-marco-MiniLM)"},
    {1, "\"id2label\": {\"0\": \"LABEL_0\"}", HEAD_SIGMOID, "1 label, no activation key: Sigmoid"},
    {3, "\"id2label\": {\"0\": \"a\", \"1\": \"b\", \"2\": \"c\"}", HEAD_IDENTITY,
     "3 labels, no activation key: Identity"},
    {2, "", HEAD_IDENTITY, "no id2label: PretrainedConfig's 2 labels"},
    {1, "\"num_labels\": 1, \"sbert_ce_default_activation_function\": \"torch.nn.modules.linear.Identity\", "
        "\"sentence_transformers\": {\"activation_fn\": \"torch.nn.modules.activation.Tanh\", \"version\": \"4.0\"}",
     HEAD_TANH, "num_labels 1, sentence_transformers.activation_fn before the older key"},
  };
  int32_t ids[2][7] = {{2, 5, 9, 3, 7, 8, 3}, {2, 6, 3, 11, 3}};
  int32_t types[2][7] = {{0, 0, 0, 0, 1, 1, 1}, {0, 0, 0, 1, 1}};
  int32_t lens[2] = {7, 5};
  const int32_t *pid[2] = {ids[0], ids[1]}, *ptt[2] = {types[0], types[1]};
  static const char *const prefixes[2] = {"", "bert."};
  for (size_t c = 0; c < sizeof v / sizeof v[0]; c++) {
    spec s = base_spec();
    tensor t[MAX_T], rt[MAX_T]; /* rt: the same values under unprefixed names, for ref_forward */
    const int nrt = head_tensors(rt, &s, v[c].labels);
    s.prefix = prefixes[c % 2];
    char name[32];
    snprintf(name, sizeof name, "head%zu", c);
    const char *dir = make_model(name, &s, t, &(int){0});
    int n = head_tensors(t, &s, v[c].labels);
    write_st(dir, "model.safetensors", t, n, 0, -1);
    head_config(dir, &s, "BertForSequenceClassification", v[c].extra);
    ee_model *m = NULL;
    ee_error err = {0};
    float got[2 * 3], pair[3];
    double worst = INFINITY, pair_diff = INFINITY;
    ee_info in = {0};
    char head[64] = ""; /* in.head lives as long as the model */
    ee_params p = ee_default_params();
    if (ee_model_load(dir, &p, &m, &err) == EE_OK) {
      ee_model_info(m, &in);
      snprintf(head, sizeof head, "%s", in.head ? in.head : "");
      ee_context *ctx = ee_context_new(m);
      if (ctx && ee_embed_ids(ctx, 2, pid, ptt, lens, got, NULL, &err) == EE_OK) {
        worst = 0;
        for (int b = 0; b < 2; b++) {
          double h0[RH], want[3];
          ref_forward(rt, nrt, ids[b], types[b], lens[b], "gelu", EE_POOL_CLS, 0, 0, h0);
          ref_head(want, h0, rt, nrt, "pooler.dense", v[c].labels, v[c].act);
          for (int i = 0; i < v[c].labels; i++) /* a NaN (a name not found) fails */
            worst = isnan(want[i]) ? INFINITY : fmax(worst, fabs(got[b * v[c].labels + i] - want[i]));
        }
      }
      /* a pair of texts: the ids and type ids wp_encode_pair gives, scored */
      const char *a = "ab", *bt = "c d";
      size_t al = 2, bl = 3;
      wp_encoding enc = {0};
      wp_error werr;
      if (ctx && wp_encode_pair(ee_model_tokenizer(m), a, al, bt, bl, 0, &enc, &werr) == WP_OK &&
          ee_score_pairs(ctx, 1, &a, &al, &bt, &bl, pair, &err) == EE_OK) {
        const int32_t *eid = enc.ids, *ety = enc.type_ids;
        if (ee_embed_ids(ctx, 1, &eid, &ety, &enc.n, got, NULL, &err) == EE_OK) {
          pair_diff = 0;
          for (int i = 0; i < v[c].labels; i++) pair_diff = fmax(pair_diff, fabs(pair[i] - got[i]));
        }
      }
      wp_encoding_free(&enc);
      ee_context_free(ctx);
      ee_model_free(m);
    }
    CHECK(worst <= 2e-6, "cross-encoder (prefix '%s', %s): 2 pairs' scores vs double loops, max diff %.3g (%s)",
          s.prefix, v[c].what, worst, err.msg);
    CHECK(pair_diff == 0, "cross-encoder (%s): ee_score_pairs of a text pair = the head on its "
          "wp_encode_pair ids and type ids (diff %.3g)", v[c].what, pair_diff);
    CHECK(in.labels == v[c].labels && in.dims == v[c].labels && in.pooling == EE_POOL_CLS && !in.normalize &&
              strcmp(head, "BertForSequenceClassification") == 0 &&
              in.n_params == (int64_t)16 * 8 + 16 * 8 + 2 * 8 + 2 * 8 + (4 * (8 * 8 + 8) + 2 * 8 + 16 * 8 + 16 + 8 * 16 + 8 + 2 * 8) +
                                 8 * 8 + 8 + v[c].labels * 8 + v[c].labels,
          "cross-encoder (%s): info labels %d, dims %d, CLS, not normalised, head '%s', n_params %lld",
          v[c].what, in.labels, in.dims, head, (long long)in.n_params);
  }

  /* DistilBertForSequenceClassification: pre_classifier, ReLU, classifier */
  {
    spec s = base_spec();
    tensor t[MAX_T], bt[MAX_T];
    int nbt = make_tensors(bt, &s), n = distil_tensors(t, &s, "distilbert.");
    const spec top = s;
    nbt = add_t(bt, nbt, &top, "pre_classifier.weight", 8, 8);
    nbt = add_t(bt, nbt, &top, "pre_classifier.bias", 8, -1);
    nbt = add_t(bt, nbt, &top, "classifier.weight", 1, 8);
    nbt = add_t(bt, nbt, &top, "classifier.bias", 1, -1);
    for (int i = nbt - 4; i < nbt; i++) t[n++] = bt[i];
    layout(bt, nbt);
    layout(t, n);
    const char *dir = make_model("head_distil", &s, bt, &(int){0});
    write_st(dir, "model.safetensors", t, n, 0, -1);
    write_text(dir, "config.json",
               "{\"architectures\": [\"DistilBertForSequenceClassification\"], \"model_type\": \"distilbert\",\n"
               " \"activation\": \"gelu\", \"dim\": 8, \"n_layers\": 1, \"n_heads\": 2, \"hidden_dim\": 16,\n"
               " \"vocab_size\": 16, \"max_position_embeddings\": 16, \"id2label\": {\"0\": \"LABEL_0\"}}\n");
    ee_model *m = NULL;
    ee_error err = {0};
    ee_params p = ee_default_params();
    float got[2];
    double worst = INFINITY;
    if (ee_model_load(dir, &p, &m, &err) == EE_OK) {
      ee_context *ctx = ee_context_new(m);
      if (ctx && ee_embed_ids(ctx, 2, pid, NULL, lens, got, NULL, &err) == EE_OK) {
        worst = 0;
        for (int b = 0; b < 2; b++) {
          double h0[RH], want;
          ref_forward(bt, nbt, ids[b], REF_NO_TYPES, lens[b], "gelu", EE_POOL_CLS, 0, 0, h0);
          ref_head(&want, h0, bt, nbt, "pre_classifier", 1, HEAD_SIGMOID);
          worst = isnan(want) ? INFINITY : fmax(worst, fabs(got[b] - want));
        }
      }
      ee_context_free(ctx);
      ee_model_free(m);
    }
    CHECK(worst <= 2e-6, "cross-encoder DistilBERT (pre_classifier, ReLU, classifier, Sigmoid): 2 sequences "
          "vs double loops, max diff %.3g (%s)", worst, err.msg);
    /* A pair through the tokenizer: DistilBERT takes no token types, so
    ** the second text's type 1 (BERT's template) is dropped as
    ** DistilBertForSequenceClassification drops it: the score is the one
    ** of the same ids untyped ([CLS] a b [SEP] c [SEP]).  Before, every
    ** pair failed on "token type id 1 ... out of range (0..0)". */
    float pair = NAN, untyped = NAN;
    memset(&err, 0, sizeof err);
    if (ee_model_load(dir, &p, &m, &err) == EE_OK) {
      ee_context *ctx = ee_context_new(m);
      static const int32_t joined[] = {2, 5, 6, 3, 7, 3};
      const int32_t *pj = joined, jl = 6;
      const char *a = "a b", *bt2 = "c";
      const size_t al = 3, bl = 1;
      if (!ctx || ee_score_pairs(ctx, 1, &a, &al, &bt2, &bl, &pair, &err) != EE_OK ||
          ee_embed_ids(ctx, 1, &pj, NULL, &jl, &untyped, NULL, &err) != EE_OK)
        pair = NAN;
      ee_context_free(ctx);
      ee_model_free(m);
    }
    CHECK(!isnan(pair) && memcmp(&pair, &untyped, sizeof pair) == 0,
          "cross-encoder DistilBERT: a text pair scores as its ids untyped (%g, %g) (%s)", pair,
          untyped, err.msg);
  }

  /* what is refused, by name */
  spec s = base_spec();
  tensor t[MAX_T];
  const char *dir = make_model("head_bad", &s, t, &(int){0});
  int n = head_tensors(t, &s, 1);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  head_config(dir, &s, "BertForSequenceClassification",
              "\"id2label\": {\"0\": \"L\"}, \"sbert_ce_default_activation_function\": \"torch.nn.modules.activation.ReLU\"");
  expect_load("cross-encoder: activation ReLU", dir, NULL, EE_ERR_UNSUPPORTED,
              "sbert_ce_default_activation_function 'torch.nn.modules.activation.ReLU'", "supported: torch.nn.modules.linear.Identity");
  head_config(dir, &s, "BertForSequenceClassification", "\"sentence_transformers\": {\"activation_fn\": 3}");
  expect_load("cross-encoder: activation_fn not a string", dir, NULL, EE_ERR_FORMAT,
              "sentence_transformers.activation_fn", "must be a string");
  head_config(dir, &s, "BertForSequenceClassification", "\"id2label\": {}");
  expect_load("cross-encoder: empty id2label", dir, NULL, EE_ERR_FORMAT, "\"id2label\"", "1..4096 labels");
  head_config(dir, &s, "BertForSequenceClassification", "\"num_labels\": 0");
  expect_load("cross-encoder: num_labels 0", dir, NULL, EE_ERR_FORMAT, "\"num_labels\"", "out of range");
  head_config(dir, &s, "BertForSequenceClassification", "\"id2label\": {\"0\": \"a\", \"1\": \"b\"}");
  expect_load("cross-encoder: 2 labels, a classifier of 1 row", dir, NULL, EE_ERR_FORMAT,
              "tensor 'classifier.weight'", "expected [2, 8] (config.json: 2 labels (id2label or num_labels), hidden_size 8)");
  head_config(dir, &s, "BertForSequenceClassification", "\"id2label\": {\"0\": \"a\"}");
  int pw = find_t(t, n, "pooler.dense.weight");
  t[pw] = t[--n];
  layout(t, n);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  expect_load("cross-encoder: pooler missing", dir, NULL, EE_ERR_FORMAT, "model.safetensors",
              "missing tensor 'pooler.dense.weight'");
  n = make_tensors(t, &s); /* an embedding checkpoint whose config.json says classifier */
  layout(t, n);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  expect_load("cross-encoder: no head tensors at all", dir, NULL, EE_ERR_FORMAT, "missing tensor", "pooler.dense");
  nomic_config(dir, "architectures", "[\"NomicBertForSequenceClassification\"]");
  expect_load("cross-encoder: NomicBert head", dir, NULL, EE_ERR_UNSUPPORTED,
              "NomicBertForSequenceClassification", "bert, distilbert, mpnet, roberta, xlm-roberta, modernbert and new");

  /* the calls that do not fit the model */
  const char *emb = make_model("head_emb", &s, t, &(int){0});
  ee_model *m = NULL;
  ee_error err = {0};
  ee_params p = ee_default_params();
  const char *a = "a", *b = "b";
  size_t one = 1;
  float out[2];
  if (ee_model_load(emb, &p, &m, &err) == EE_OK) {
    ee_context *ctx = ee_context_new(m);
    CHECK(ee_score_pairs(ctx, 1, &a, &one, &b, &one, out, &err) == EE_ERR_INPUT &&
              strstr(err.msg, "not a cross-encoder"),
          "ee_score_pairs on an embedding model: EE_ERR_INPUT (%s)", err.msg);
    ee_context_free(ctx);
    ee_model_free(m);
  }
  n = head_tensors(t, &s, 1);
  write_st(dir, "model.safetensors", t, n, 0, -1);
  head_config(dir, &s, "BertForSequenceClassification", "\"id2label\": {\"0\": \"a\"}");
  if (ee_model_load(dir, &p, &m, &err) == EE_OK) {
    ee_context *ctx = ee_context_new(m);
    CHECK(ee_embed_texts(ctx, 1, &a, &one, out, &err) == EE_ERR_INPUT &&
              strstr(err.msg, "cross-encoder (BertForSequenceClassification)"),
          "ee_embed_texts on a cross-encoder: EE_ERR_INPUT (%s)", err.msg);
    CHECK(ee_score_pairs(ctx, 1, NULL, &one, &b, &one, out, &err) == EE_ERR_INPUT &&
              ee_score_pairs(NULL, 1, &a, &one, &b, &one, out, &err) == EE_ERR_INPUT &&
              ee_score_pairs(ctx, -1, &a, &one, &b, &one, out, &err) == EE_ERR_INPUT &&
              ee_score_pairs(ctx, 0, NULL, NULL, NULL, NULL, NULL, &err) == EE_OK,
          "ee_score_pairs: NULL arrays, NULL ctx, n < 0 refused; n = 0 does nothing");
    const char *bad = "\xff";
    CHECK(ee_score_pairs(ctx, 1, &a, &one, &bad, &one, out, &err) == EE_ERR_INPUT &&
              strstr(err.msg, "second text"),
          "ee_score_pairs: invalid UTF-8 in the second text is named (%s)", err.msg);
    ee_context_free(ctx);
    ee_model_free(m);
  }
}

int main(void) {
  snprintf(g_root, sizeof g_root, "/tmp/test_engine_errors.XXXXXX");
  if (!mkdtemp(g_root)) {
    perror("mkdtemp");
    return 2;
  }
  config_cases();
  safetensors_cases();
  tokenizer_cases();
  variant_cases();
  reference_cases();
  dense_cases();
  distilbert_cases();
  mpnet_cases();
  nomic_cases();
  nomic_moe_cases();
  modernbert_cases();
  gte_cases();
  jina_cases(0);
  jina_cases(1);
  head_cases();
  jina_head_cases();
  damage_cases();
  argument_cases();
  prompt_cases();
  truncate_cases();
  fault_cases();
  nftw(g_root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
  return check_finish();
}
