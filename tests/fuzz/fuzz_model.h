/*
** fuzz_model.h — a tiny valid BERT model directory for the fuzzers and the
** OOM tests, written in a few hundred microseconds.
**
**   char dir[256];
**   if (fz_model_dir(dir, sizeof dir, "fuzz_sql") != 0) abort();
**   ... ee_model_load(dir, ...) or embed_load('m', dir) ...
**
** The model: hidden 8, 1 layer, 2 heads, FFN 16, 32 positions, 2 token
** types, F32, and a vocabulary of FZ_VOCAB_N tokens (the five BERT specials,
** some words, "##" pieces and punctuation), so loading takes well under a
** millisecond and an input is embedded in microseconds.  Weights are a
** fixed pseudo-random sequence (vectors carry no meaning).  The directory
** also gets the sentence-transformers files (modules.json with a Pooling
** and a Normalize module, 1_Pooling/config.json with mean pooling and
** sentence_bert_config.json with max_seq_length 24), so every parser the
** model loader has is on the path.  fz_model_* return 0 on success.
**
** Header-only (static functions) so each fuzzer is one .c file.
*/
#ifndef FUZZ_MODEL_H
#define FUZZ_MODEL_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FZ_H 8
#define FZ_L 1
#define FZ_HEADS 2
#define FZ_I 16
#define FZ_P 32
#define FZ_TV 2

static const char *const fz_vocab[] = {
  "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "a", "an", "cat", "dog", "sat", "on",
  "mat", "rug", "is", "are", "was", "how", "do", "i", "reset", "my", "password", "invoice",
  "##s", "##ing", "##ed", "##er", "##ly", "un", "##able", "hello", "world", "search", "index",
  "vector", "model", "text", "fast", "slow", "red", "blue", "green", "one", "two", "three",
  "and", "or", "not", "to", "of", "in", "it", "we", "you", "they", "caf", "##e", "\xc3\xa9",
  "na", "##ive", "\xe4\xb8\x96", "\xe7\x95\x8c", "\xce\xb1", "##\xce\xb2", ",", ".", "!", "?",
  "'", "-", "(", ")", ":", ";", "\"", "#", "##a", "##b", "##c", "##d", "##i", "##o", "##t",
  "##n", "x", "y", "z", "0", "1", "2", "##0", "##1", "##2", "k", "m", "[", "]", "embed", "sql",
};
#define FZ_VOCAB_N ((int)(sizeof fz_vocab / sizeof fz_vocab[0]))

/* Contents of the small JSON files, usable as seeds and restored by fuzz_config. */
#define FZ_CONFIG_JSON                                                                        \
  "{\"model_type\": \"bert\", \"hidden_size\": 8, \"num_hidden_layers\": 1,\n"                \
  " \"num_attention_heads\": 2, \"intermediate_size\": 16, \"vocab_size\": 100,\n"            \
  " \"max_position_embeddings\": 32, \"type_vocab_size\": 2, \"layer_norm_eps\": 1e-12,\n"    \
  " \"hidden_act\": \"gelu\", \"position_embedding_type\": \"absolute\"}\n"
#define FZ_MODULES_JSON                                                                       \
  "[{\"idx\": 0, \"name\": \"0\", \"path\": \"\", \"type\": \"sentence_transformers.models.Transformer\"},\n" \
  " {\"idx\": 1, \"name\": \"1\", \"path\": \"1_Pooling\", \"type\": \"sentence_transformers.models.Pooling\"},\n" \
  " {\"idx\": 2, \"name\": \"2\", \"path\": \"2_Dense\", \"type\": \"sentence_transformers.models.Dense\"},\n" \
  " {\"idx\": 3, \"name\": \"3\", \"path\": \"3_Normalize\", \"type\": \"sentence_transformers.models.Normalize\"}]\n"
#define FZ_POOLING_JSON                                                                       \
  "{\"word_embedding_dimension\": 8, \"pooling_mode_cls_token\": false,\n"                    \
  " \"pooling_mode_mean_tokens\": true, \"pooling_mode_max_tokens\": false}\n"
/* a Dense module 8 -> 8 after the pooling (2_Dense/model.safetensors: fz_dense_safetensors) */
#define FZ_DENSE_JSON                                                                         \
  "{\"in_features\": 8, \"out_features\": 8, \"bias\": true,\n"                              \
  " \"activation_function\": \"torch.nn.modules.activation.Tanh\"}\n"
#define FZ_SBERT_JSON "{\"max_seq_length\": 24, \"do_lower_case\": true}\n"
#define FZ_TOKCONFIG_JSON "{\"do_lower_case\": true, \"strip_accents\": null, \"tokenize_chinese_chars\": true}\n"

static int fz_write(const char *dir, const char *name, const void *data, size_t n) {
  char path[512];
  if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) return -1;
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = n ? fwrite(data, 1, n, f) : 0;
  return (fclose(f) == 0 && w == n) ? 0 : -1;
}

static int fz_write_str(const char *dir, const char *name, const char *s) {
  return fz_write(dir, name, s, strlen(s));
}

/* One tensor of the tiny model: name and shape (d1 = 0: 1-D). */
typedef struct fz_tensor { char name[96]; int d0, d1; int ln; } fz_tensor;

static int fz_tensors(fz_tensor *t) {
  int n = 0;
#define FZ_T(nm, a, b, isln) (snprintf(t[n].name, sizeof t[n].name, "%s", nm), t[n].d0 = (a), t[n].d1 = (b), t[n].ln = (isln), n++)
  FZ_T("embeddings.word_embeddings.weight", FZ_VOCAB_N, FZ_H, 0);
  FZ_T("embeddings.position_embeddings.weight", FZ_P, FZ_H, 0);
  FZ_T("embeddings.token_type_embeddings.weight", FZ_TV, FZ_H, 0);
  FZ_T("embeddings.LayerNorm.weight", FZ_H, 0, 1);
  FZ_T("embeddings.LayerNorm.bias", FZ_H, 0, 0);
  for (int l = 0; l < FZ_L; l++) {
    static const struct { const char *s; int d0, d1, ln; } per[] = {
      {"attention.self.query.weight", FZ_H, FZ_H, 0}, {"attention.self.query.bias", FZ_H, 0, 0},
      {"attention.self.key.weight", FZ_H, FZ_H, 0},   {"attention.self.key.bias", FZ_H, 0, 0},
      {"attention.self.value.weight", FZ_H, FZ_H, 0}, {"attention.self.value.bias", FZ_H, 0, 0},
      {"attention.output.dense.weight", FZ_H, FZ_H, 0}, {"attention.output.dense.bias", FZ_H, 0, 0},
      {"attention.output.LayerNorm.weight", FZ_H, 0, 1}, {"attention.output.LayerNorm.bias", FZ_H, 0, 0},
      {"intermediate.dense.weight", FZ_I, FZ_H, 0},   {"intermediate.dense.bias", FZ_I, 0, 0},
      {"output.dense.weight", FZ_H, FZ_I, 0},         {"output.dense.bias", FZ_H, 0, 0},
      {"output.LayerNorm.weight", FZ_H, 0, 1},        {"output.LayerNorm.bias", FZ_H, 0, 0},
    };
    for (size_t i = 0; i < sizeof per / sizeof per[0]; i++) {
      char nm[96];
      snprintf(nm, sizeof nm, "encoder.layer.%d.%s", l, per[i].s);
      FZ_T(nm, per[i].d0, per[i].d1, per[i].ln);
    }
  }
#undef FZ_T
  return n;
}

/* The safetensors image of tensors t[0..n) (malloc'd, *size set), F32 or F16
** (f16 != 0), values from one xorshift stream. */
static unsigned char *fz_st_image(const fz_tensor *t, int n, size_t *size, int f16) {
  char *hdr = malloc(16384);
  if (!hdr) return NULL;
  int esz = f16 ? 2 : 4;
  size_t used = (size_t)snprintf(hdr, 16384, "{\"__metadata__\":{\"format\":\"pt\"}");
  long off = 0;
  for (int i = 0; i < n; i++) {
    long numel = (long)t[i].d0 * (t[i].d1 ? t[i].d1 : 1);
    if (t[i].d1)
      used += (size_t)snprintf(hdr + used, 16384 - used, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[%d,%d],\"data_offsets\":[%ld,%ld]}",
                               t[i].name, f16 ? "F16" : "F32", t[i].d0, t[i].d1, off, off + numel * esz);
    else
      used += (size_t)snprintf(hdr + used, 16384 - used, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[%d],\"data_offsets\":[%ld,%ld]}",
                               t[i].name, f16 ? "F16" : "F32", t[i].d0, off, off + numel * esz);
    off += numel * esz;
  }
  used += (size_t)snprintf(hdr + used, 16384 - used, "}");
  while (used % 8) hdr[used++] = ' ';
  *size = 8 + used + (size_t)off;
  unsigned char *buf = malloc(*size);
  if (!buf) { free(hdr); return NULL; }
  for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)used >> (8 * i));
  memcpy(buf + 8, hdr, used);
  free(hdr);
  unsigned char *p = buf + 8 + used;
  uint64_t s = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < n; i++) {
    long numel = (long)t[i].d0 * (t[i].d1 ? t[i].d1 : 1);
    for (long k = 0; k < numel; k++) {
      s ^= s << 13, s ^= s >> 7, s ^= s << 17; /* xorshift64 */
      float v = (float)((double)(s >> 40) / (double)(1 << 24) - 0.5) * 0.2f;
      if (t[i].ln) v += 1.0f;
      if (f16) { /* small values: a plain conversion is enough (no rounding care needed) */
        uint32_t bits;
        memcpy(&bits, &v, 4);
        uint32_t sign = (bits >> 16) & 0x8000u;
        int e = (int)((bits >> 23) & 0xff) - 127 + 15;
        uint16_t h = e <= 0 ? (uint16_t)sign : (uint16_t)(sign | ((uint32_t)e << 10) | ((bits >> 13) & 0x3ffu));
        memcpy(p, &h, 2);
        p += 2;
      } else {
        memcpy(p, &v, 4);
        p += 4;
      }
    }
  }
  return buf;
}

/* The model.safetensors image (malloc'd, *size set), F32 or F16 (f16 != 0). */
static unsigned char *fz_safetensors(size_t *size, int f16) {
  fz_tensor t[64];
  int n = fz_tensors(t);
  return fz_st_image(t, n, size, f16);
}

/* 2_Dense/model.safetensors: linear.weight (8, 8) and linear.bias (8). */
static unsigned char *fz_dense_safetensors(size_t *size) {
  static const fz_tensor t[2] = {{"linear.bias", FZ_H, 0, 0}, {"linear.weight", FZ_H, FZ_H, 0}};
  return fz_st_image(t, 2, size, 0);
}

/* The vocab.txt bytes (malloc'd, *size set). */
static char *fz_vocab_txt(size_t *size) {
  size_t n = 0;
  for (int i = 0; i < FZ_VOCAB_N; i++) n += strlen(fz_vocab[i]) + 1;
  char *v = malloc(n + 1);
  if (!v) return NULL;
  size_t u = 0;
  for (int i = 0; i < FZ_VOCAB_N; i++) u += (size_t)sprintf(v + u, "%s\n", fz_vocab[i]);
  *size = u;
  return v;
}

/* Writes every file of the tiny model into dir (which must exist). */
static int fz_model_write(const char *dir) {
  size_t n;
  char cfg[1024];
  /* vocab_size follows the vocabulary list */
  snprintf(cfg, sizeof cfg,
           "{\"model_type\": \"bert\", \"hidden_size\": %d, \"num_hidden_layers\": %d,\n"
           " \"num_attention_heads\": %d, \"intermediate_size\": %d, \"vocab_size\": %d,\n"
           " \"max_position_embeddings\": %d, \"type_vocab_size\": %d, \"layer_norm_eps\": 1e-12,\n"
           " \"hidden_act\": \"gelu\", \"position_embedding_type\": \"absolute\"}\n",
           FZ_H, FZ_L, FZ_HEADS, FZ_I, FZ_VOCAB_N, FZ_P, FZ_TV);
  char sub[512];
  if (snprintf(sub, sizeof sub, "%s/1_Pooling", dir) >= (int)sizeof sub) return -1;
  mkdir(sub, 0700);
  if (snprintf(sub, sizeof sub, "%s/2_Dense", dir) >= (int)sizeof sub) return -1;
  mkdir(sub, 0700);
  unsigned char *st = fz_safetensors(&n, 0);
  int rc = st ? fz_write(dir, "model.safetensors", st, n) : -1;
  free(st);
  st = fz_dense_safetensors(&n);
  if (rc == 0) rc = st ? fz_write(dir, "2_Dense/model.safetensors", st, n) : -1;
  free(st);
  if (rc == 0) rc = fz_write_str(dir, "2_Dense/config.json", FZ_DENSE_JSON);
  char *voc = fz_vocab_txt(&n);
  if (rc == 0) rc = voc ? fz_write(dir, "vocab.txt", voc, n) : -1;
  free(voc);
  if (rc == 0) rc = fz_write_str(dir, "config.json", cfg);
  if (rc == 0) rc = fz_write_str(dir, "modules.json", FZ_MODULES_JSON);
  if (rc == 0) rc = fz_write_str(dir, "1_Pooling/config.json", FZ_POOLING_JSON);
  if (rc == 0) rc = fz_write_str(dir, "sentence_bert_config.json", FZ_SBERT_JSON);
  if (rc == 0) rc = fz_write_str(dir, "tokenizer_config.json", FZ_TOKCONFIG_JSON);
  return rc;
}

/* The tiny model as a cross-encoder in dir (which must exist): its tensors
** plus BertForSequenceClassification's head (pooler.dense 8 x 8 and a
** one-label classifier), config.json naming that architecture, vocab.txt,
** and no sentence-transformers files (a CrossEncoder directory has none). */
static inline int fz_cross_encoder_write(const char *dir) {
  fz_tensor t[64];
  int n = fz_tensors(t);
  static const fz_tensor head[4] = {{"pooler.dense.weight", FZ_H, FZ_H, 0}, {"pooler.dense.bias", FZ_H, 0, 0},
                                    {"classifier.weight", 1, FZ_H, 0}, {"classifier.bias", 1, 0, 0}};
  for (int i = 0; i < 4; i++) t[n++] = head[i];
  size_t size;
  unsigned char *st = fz_st_image(t, n, &size, 0);
  int rc = st ? fz_write(dir, "model.safetensors", st, size) : -1;
  free(st);
  char cfg[1024];
  snprintf(cfg, sizeof cfg,
           "{\"architectures\": [\"BertForSequenceClassification\"], \"model_type\": \"bert\",\n"
           " \"hidden_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": %d,\n"
           " \"intermediate_size\": %d, \"vocab_size\": %d, \"max_position_embeddings\": %d,\n"
           " \"type_vocab_size\": %d, \"id2label\": {\"0\": \"LABEL_0\"},\n"
           " \"sbert_ce_default_activation_function\": \"torch.nn.modules.linear.Identity\"}\n",
           FZ_H, FZ_L, FZ_HEADS, FZ_I, FZ_VOCAB_N, FZ_P, FZ_TV);
  if (rc == 0) rc = fz_write_str(dir, "config.json", cfg);
  char *voc = fz_vocab_txt(&size);
  if (rc == 0) rc = voc ? fz_write(dir, "vocab.txt", voc, size) : -1;
  free(voc);
  return rc;
}

/* Makes a fresh temporary directory (removed by nobody: it lives in $TMPDIR
** and is a few kilobytes) holding the tiny model; its path into dir. */
static inline int fz_model_dir(char *dir, size_t n, const char *tag) { /* inline: not every includer uses it */
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, n, "%s/se-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", tag);
  if (!mkdtemp(dir)) return -1;
  return fz_model_write(dir);
}

#endif
