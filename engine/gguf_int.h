/*
** gguf_int.h — a GGUF file's metadata as gguf.c reads it, shared with
** gguf_vocab.c (the tokenizer it holds).  Internal to the engine.
*/
#ifndef GGUF_INT_H
#define GGUF_INT_H

#include "engine_int.h"
#include <stdint.h>

/* GGUF's value types, numbered as in the file. */
enum { GG_U8, GG_I8, GG_U16, GG_I16, GG_U32, GG_I32, GG_F32, GG_BOOL, GG_STR, GG_ARR, GG_U64,
       GG_I64, GG_F64, GG_NTYPES };

typedef struct gg_kv {
  const char *key;
  size_t nkey;
  uint32_t type;
  const unsigned char *val;     /* the value (arrays: their first element) */
  uint32_t arr_type;            /* arrays */
  uint64_t arr_n;
} gg_kv;

typedef struct gg_header {
  gg_kv *kv;                    /* se_malloc'd */
  int64_t n_kv;
  uint64_t n_tensors;
  size_t tensors_at;            /* the first tensor info */
} gg_header;

/* A cursor over the mapped file; errors name path. */
typedef struct gg_reader {
  const unsigned char *buf;
  size_t size, pos;
  const char *path;
  ee_error *err;
} gg_reader;

/* The file mapped and its header read (every value's extent checked): *f to
** st_close, h->kv to se_free. */
ee_status gg_open_header(const char *path, st_file *f, gg_header *h, ee_error *err);
/* The entry named key, or NULL. */
const gg_kv *gg_find_kv(const gg_header *h, const char *key);
/* 1 and *out for a value of any integer type; 0 if kv is NULL or not one. */
int gg_kv_int(const gg_kv *kv, int64_t *out);
/* A string value's bytes and length cut to 64, for messages ("" and 0 when
** kv is NULL or no string). */
const char *gg_kv_str64(const gg_kv *kv, int *n);
/* 1 if kv is the string s. */
int gg_kv_is_str(const gg_kv *kv, const char *s);
/* A little-endian unsigned integer of n bytes. */
uint64_t gg_rd(const unsigned char *p, int n);
/* The next string at r (not NUL-terminated); 0 if the file ends first. */
int gg_take_str(gg_reader *r, const char **s, size_t *n);

#endif
