/*
** vec_funcs.c — SQL functions over vectors from any source.
**
**   SELECT vec_similarity(embed('cat'), embed('kitten'));       -- cosine, in [-1, 1]
**   SELECT vec_distance_l2('[1,2,3]', vec_from_json('[1,2,4]')); -- 1.0
**   SELECT vec_to_json(vec_normalize('[3,4]'));                  -- [0.6,0.8]
**   SELECT vec_mean(embedding) FROM docs;                        -- centroid
**
** A vector is what sqlite-vec calls float32: a BLOB of little-endian
** IEEE floats, 4 bytes per dimension, no header (subtype 223 on results),
** or a JSON array as TEXT.  So vectors from sqlite-vec work here and ours
** work there.  NULL in gives NULL out.  Everything else that is not a
** well-formed finite vector is an error naming the argument and what is
** wrong: a NaN would otherwise sort arbitrarily in ORDER BY distance and
** silently corrupt a ranking.  Sums run in double so that results do not
** depend on the order of accumulation more than float32 rounding allows.
*/
#include "ext_int.h"
#include "vec_kernels.h"
#include "../tokenizer/se_json.h"
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define VEC_MAX_DIMS 65536 /* like sqlite-vec's limit; bigger blobs are not vectors */

/* One vector argument, read from a BLOB or JSON text. */
typedef struct vec_arg {
  const float *a; /* the elements (points into aOwned or the BLOB) */
  int n;          /* number of dimensions */
  float *aOwned;  /* sqlite3_malloc'd copy when the value needed converting, else NULL */
} vec_arg;

static void vec_arg_free(vec_arg *p) {
  sqlite3_free(p->aOwned);
  p->aOwned = NULL;
}

/* Parses a JSON array of numbers into a new float array (*paOut, *pn).
** Returns NULL on success or an error message (sqlite3_malloc'd). */
static char *parse_json_vector(const char *zJson, int nJson, float **paOut, int *pn) {
  json_error_t jerr;
  int bNomem;
  json_t *root = se_json_loadb(zJson, (size_t)nJson, 0, &jerr, &bNomem);
  if (bNomem) return NULL; /* NULL error with NULL result: out of memory */
  if (!root || !json_is_array(root)) {
    json_decref(root);
    return sqlite3_mprintf("TEXT is not a JSON array of numbers");
  }
  char *zErr = NULL;
  size_t n = json_array_size(root);
  if (n == 0 || n > VEC_MAX_DIMS) {
    zErr = sqlite3_mprintf("JSON array has %d elements; a vector needs 1 to %d", (int)n, VEC_MAX_DIMS);
    goto done;
  }
  float *a = sqlite3_malloc64(n * sizeof(float));
  if (!a) goto done; /* NULL error with NULL result: out of memory */
  for (size_t i = 0; i < n; i++) {
    json_t *pEl = json_array_get(root, i);
    if (!json_is_number(pEl)) {
      zErr = sqlite3_mprintf("JSON element %d is not a number", (int)i);
      sqlite3_free(a);
      goto done;
    }
    double v = json_number_value(pEl);
    a[i] = (float)v;
    if (!isfinite(a[i])) {
      zErr = sqlite3_mprintf("JSON element %d (%g) is outside float32 range", (int)i, v);
      sqlite3_free(a);
      goto done;
    }
  }
  *paOut = a;
  *pn = (int)n;
done:
  json_decref(root);
  return zErr;
}

/* Reads argument iArg (0-based) of zFunc.  Returns 1 with *p filled, or 0
** after setting the result (NULL for a NULL argument, or an error). */
static int vec_arg_read(sqlite3_context *ctx, const char *zFunc, int iArg, sqlite3_value *pVal, vec_arg *p) {
  memset(p, 0, sizeof(*p));
  int eType = sqlite3_value_type(pVal);
  char *zErr = NULL;
  if (eType == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return 0;
  }
  if (eType == SQLITE_BLOB) {
    int nByte = sqlite3_value_bytes(pVal);
    const void *pBlob = sqlite3_value_blob(pVal);
    int eSub = (int)sqlite3_value_subtype(pVal);
    if (eSub == EMBED_SUBTYPE_INT8 || eSub == EMBED_SUBTYPE_BIT) {
      zErr = sqlite3_mprintf("argument %d is a%s vector; this function takes float32 vectors", iArg + 1,
                             eSub == EMBED_SUBTYPE_INT8 ? "n int8" : " bit");
    } else if (nByte == 0 || nByte % 4 != 0) {
      zErr = sqlite3_mprintf("argument %d is a BLOB of %d bytes, not a float32 vector "
                             "(4 bytes per dimension, at least one)", iArg + 1, nByte);
    } else if (nByte / 4 > VEC_MAX_DIMS) {
      zErr = sqlite3_mprintf("argument %d has %d dimensions; at most %d are supported", iArg + 1,
                             nByte / 4, VEC_MAX_DIMS);
    } else if (!pBlob) {
      sqlite3_result_error_nomem(ctx);
      return 0;
    } else {
      p->n = nByte / 4;
      if (((uintptr_t)pBlob & 3) == 0) {
        p->a = pBlob;
      } else { /* SQLite does not promise aligned BLOBs */
        p->aOwned = sqlite3_malloc64((sqlite3_uint64)nByte);
        if (!p->aOwned) {
          sqlite3_result_error_nomem(ctx);
          return 0;
        }
        memcpy(p->aOwned, pBlob, (size_t)nByte);
        p->a = p->aOwned;
      }
    }
  } else if (eType == SQLITE_TEXT) {
    const char *zJson = (const char *)sqlite3_value_text(pVal);
    if (!zJson) {
      sqlite3_result_error_nomem(ctx);
      return 0;
    }
    zErr = parse_json_vector(zJson, sqlite3_value_bytes(pVal), &p->aOwned, &p->n);
    if (!zErr && !p->aOwned) {
      sqlite3_result_error_nomem(ctx);
      return 0;
    }
    if (zErr) {
      char *zFull = sqlite3_mprintf("argument %d: %z", iArg + 1, zErr);
      zErr = zFull;
    }
    p->a = p->aOwned;
  } else {
    zErr = sqlite3_mprintf("argument %d must be a float32 BLOB or a JSON array, got %s", iArg + 1,
                           embedTypeName(eType));
  }
  if (!zErr && p->a) {
    for (int i = 0; i < p->n; i++) {
      if (!isfinite(p->a[i])) {
        zErr = sqlite3_mprintf("argument %d has %s at dimension %d", iArg + 1,
                               isnan(p->a[i]) ? "NaN" : "Inf", i);
        break;
      }
    }
  }
  if (zErr || !p->a) {
    vec_arg_free(p);
    embedResultError(ctx, zFunc, zErr);
    return 0;
  }
  return 1;
}

/* Reads two vectors of equal dimension.  Returns 1, or 0 with the result set. */
static int vec_args_read2(sqlite3_context *ctx, const char *zFunc, sqlite3_value **argv, vec_arg *pA,
                          vec_arg *pB) {
  if (!vec_arg_read(ctx, zFunc, 0, argv[0], pA)) return 0;
  if (!vec_arg_read(ctx, zFunc, 1, argv[1], pB)) {
    vec_arg_free(pA);
    return 0;
  }
  if (pA->n != pB->n) {
    embedResultError(ctx, zFunc,
                     sqlite3_mprintf("dimension mismatch: argument 1 has %d dimensions (%d bytes), "
                                     "argument 2 has %d (%d bytes)",
                                     pA->n, pA->n * 4, pB->n, pB->n * 4));
    vec_arg_free(pA);
    vec_arg_free(pB);
    return 0;
  }
  return 1;
}

/* Summed in double (SIMD where the CPU has it, see vec_kernels.c) so that
** small exact inputs give exact results. */
static double dot_f32(const float *a, const float *b, int n) { return vecKernels()->dot_f64(a, b, n); }

/* Cosine similarity, or sets an error for a zero vector (no direction). */
static int cosine(sqlite3_context *ctx, const char *zFunc, const vec_arg *pA, const vec_arg *pB, double *pOut) {
  double na = dot_f32(pA->a, pA->a, pA->n), nb = dot_f32(pB->a, pB->a, pB->n);
  if (na == 0 || nb == 0) {
    embedResultError(ctx, zFunc,
                     sqlite3_mprintf("argument %d is a zero vector, which has no direction", na == 0 ? 1 : 2));
    return 0;
  }
  double c = dot_f32(pA->a, pB->a, pA->n) / (sqrt(na) * sqrt(nb));
  *pOut = c > 1 ? 1 : c < -1 ? -1 : c; /* rounding can step just outside [-1, 1] */
  return 1;
}

void vecSimilarityFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_arg a, b;
  double c;
  if (!vec_args_read2(ctx, "vec_similarity", argv, &a, &b)) return;
  if (cosine(ctx, "vec_similarity", &a, &b, &c)) sqlite3_result_double(ctx, c);
  vec_arg_free(&a);
  vec_arg_free(&b);
}

void vecDistanceCosineFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_arg a, b;
  double c;
  if (!vec_args_read2(ctx, "vec_distance_cosine", argv, &a, &b)) return;
  if (cosine(ctx, "vec_distance_cosine", &a, &b, &c)) sqlite3_result_double(ctx, 1.0 - c);
  vec_arg_free(&a);
  vec_arg_free(&b);
}

void vecDistanceL2Func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_arg a, b;
  if (!vec_args_read2(ctx, "vec_distance_l2", argv, &a, &b)) return;
  sqlite3_result_double(ctx, sqrt(vecKernels()->l2sq_f64(a.a, b.a, a.n)));
  vec_arg_free(&a);
  vec_arg_free(&b);
}

void vecDistanceL1Func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_arg a, b;
  if (!vec_args_read2(ctx, "vec_distance_l1", argv, &a, &b)) return;
  double sum = 0.0;
  for (int i = 0; i < a.n; i++) sum += fabs((double)a.a[i] - (double)b.a[i]);
  sqlite3_result_double(ctx, sum);
  vec_arg_free(&a);
  vec_arg_free(&b);
}

void vecDotFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_arg a, b;
  if (!vec_args_read2(ctx, "vec_dot", argv, &a, &b)) return;
  sqlite3_result_double(ctx, dot_f32(a.a, b.a, a.n));
  vec_arg_free(&a);
  vec_arg_free(&b);
}

/* Hands a new float32 vector to SQLite as the result (takes ownership). */
static void result_f32(sqlite3_context *ctx, float *a, int n) {
  sqlite3_result_blob(ctx, a, n * (int)sizeof(float), sqlite3_free);
  sqlite3_result_subtype(ctx, EMBED_SUBTYPE_F32);
}

void vecNormalizeFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_arg a;
  if (!vec_arg_read(ctx, "vec_normalize", 0, argv[0], &a)) return;
  double norm = sqrt(dot_f32(a.a, a.a, a.n));
  float *out = NULL;
  if (norm == 0) {
    embedResultError(ctx, "vec_normalize", sqlite3_mprintf("argument 1 is a zero vector, which has no direction"));
  } else if ((out = sqlite3_malloc64((sqlite3_uint64)a.n * sizeof(float))) == NULL) {
    sqlite3_result_error_nomem(ctx);
  } else {
    for (int i = 0; i < a.n; i++) out[i] = (float)(a.a[i] / norm);
    result_f32(ctx, out, a.n);
  }
  vec_arg_free(&a);
}

/* An index argument of vec_slice: an INTEGER, or a REAL holding a whole
** number (drivers such as better-sqlite3 bind JS numbers as REAL). */
static int slice_index(sqlite3_context *ctx, sqlite3_value *pVal, int iArg, const char *zName,
                       sqlite3_int64 *pOut) {
  if (embedWholeNumber(pVal, pOut)) return 1;
  embedResultError(ctx, "vec_slice", sqlite3_mprintf("argument %d (%s) must be an INTEGER, got %s", iArg, zName,
                                                     embedNotWholeName(pVal)));
  return 0;
}

/* vec_slice(v, start, end): elements [start, end), as sqlite-vec's
** vec_slice; for Matryoshka models, the first N of a vector. */
void vecSliceFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  sqlite3_int64 iStart, iEnd;
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
  if (!slice_index(ctx, argv[1], 2, "start", &iStart) || !slice_index(ctx, argv[2], 3, "end", &iEnd)) return;
  vec_arg a;
  if (!vec_arg_read(ctx, "vec_slice", 0, argv[0], &a)) return;
  if (iStart < 0 || iEnd > a.n || iStart >= iEnd) {
    embedResultError(ctx, "vec_slice",
                     sqlite3_mprintf("slice [%lld, %lld) is not a non-empty range of the %d dimensions of argument 1",
                                     (long long)iStart, (long long)iEnd, a.n));
  } else {
    int n = (int)(iEnd - iStart);
    float *out = sqlite3_malloc64((sqlite3_uint64)n * sizeof(float));
    if (!out) {
      sqlite3_result_error_nomem(ctx);
    } else {
      memcpy(out, a.a + iStart, sizeof(float) * (size_t)n);
      result_f32(ctx, out, n);
    }
  }
  vec_arg_free(&a);
}

static void dims_of(sqlite3_context *ctx, const char *zFunc, sqlite3_value *pVal) {
  vec_arg a;
  if (!vec_arg_read(ctx, zFunc, 0, pVal, &a)) return;
  sqlite3_result_int(ctx, a.n);
  vec_arg_free(&a);
}

void vecDimsFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  dims_of(ctx, "vec_dims", argv[0]);
}

/* sqlite-vec's name for vec_dims, so its queries run unchanged. */
void vecLengthFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  dims_of(ctx, "vec_length", argv[0]);
}

/* vec_f32(v): a JSON array or a float32 BLOB as a float32 vector (checked,
** subtype 223), as sqlite-vec's vec_f32. */
void vecF32Func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_arg a;
  if (!vec_arg_read(ctx, "vec_f32", 0, argv[0], &a)) return;
  float *out = a.aOwned;
  if (!out) {
    out = sqlite3_malloc64((sqlite3_uint64)a.n * sizeof(float));
    if (!out) {
      sqlite3_result_error_nomem(ctx);
      return;
    }
    memcpy(out, a.a, (size_t)a.n * sizeof(float));
  }
  result_f32(ctx, out, a.n); /* takes the copy: nothing left for vec_arg_free */
}

void vecToJsonFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_arg a;
  if (!vec_arg_read(ctx, "vec_to_json", 0, argv[0], &a)) return;
  sqlite3_str *pOut = sqlite3_str_new(NULL);
  sqlite3_str_appendchar(pOut, 1, '[');
  /* SQLite's printf is locale-independent; 9 significant digits make
  ** every float32 round-trip exactly through vec_from_json. */
  for (int i = 0; i < a.n; i++) sqlite3_str_appendf(pOut, "%s%.9g", i ? "," : "", (double)a.a[i]);
  sqlite3_str_appendchar(pOut, 1, ']');
  vec_arg_free(&a);
  int rc = sqlite3_str_errcode(pOut);
  char *z = sqlite3_str_finish(pOut);
  if (rc != SQLITE_OK || !z) {
    sqlite3_free(z);
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, z, -1, sqlite3_free);
}

void vecFromJsonFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT && sqlite3_value_type(argv[0]) != SQLITE_NULL) {
    embedResultError(ctx, "vec_from_json",
                     sqlite3_mprintf("argument 1 must be TEXT holding a JSON array, got %s",
                                     embedTypeName(sqlite3_value_type(argv[0]))));
    return;
  }
  vec_arg a;
  if (!vec_arg_read(ctx, "vec_from_json", 0, argv[0], &a)) return;
  result_f32(ctx, a.aOwned, a.n); /* JSON input is always an owned copy */
}

/* vec_add / vec_sub: elementwise, sign = +1 or -1. */
static void add_scaled(sqlite3_context *ctx, const char *zFunc, sqlite3_value **argv, float sign) {
  vec_arg a, b;
  if (!vec_args_read2(ctx, zFunc, argv, &a, &b)) return;
  float *out = sqlite3_malloc64((sqlite3_uint64)a.n * sizeof(float));
  if (!out) {
    sqlite3_result_error_nomem(ctx);
  } else {
    int bFinite = 1;
    for (int i = 0; i < a.n; i++) {
      out[i] = a.a[i] + sign * b.a[i];
      bFinite &= isfinite(out[i]) != 0;
    }
    if (bFinite) {
      result_f32(ctx, out, a.n);
    } else {
      sqlite3_free(out);
      embedResultError(ctx, zFunc, sqlite3_mprintf("result overflows float32"));
    }
  }
  vec_arg_free(&a);
  vec_arg_free(&b);
}

void vecAddFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  add_scaled(ctx, "vec_add", argv, 1.0f);
}

void vecSubFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  add_scaled(ctx, "vec_sub", argv, -1.0f);
}

/* Maps [-1, 1] linearly onto [-128, 127] with sqlite-vec's arithmetic
** (vec_quantize_int8(v, 'unit'): a float step of 2/255, the quotient in
** double, truncated) so both give the same bytes; values outside [-1, 1]
** are clamped rather than overflowing. */
void vecQuantizeInt8Func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  /* sqlite-vec names its quantization; 'unit' is the one this is */
  if (argc == 2) {
    const char *zKind = (const char *)sqlite3_value_text(argv[1]);
    if (sqlite3_value_type(argv[1]) != SQLITE_TEXT || !zKind || strcmp(zKind, "unit") != 0) {
      embedResultError(ctx, "vec_quantize_int8",
                       sqlite3_mprintf("argument 2 must be 'unit' (values in [-1, 1]), the only "
                                       "quantization supported"));
      return;
    }
  }
  vec_arg a;
  if (!vec_arg_read(ctx, "vec_quantize_int8", 0, argv[0], &a)) return;
  int8_t *out = sqlite3_malloc64((sqlite3_uint64)a.n);
  if (!out) {
    sqlite3_result_error_nomem(ctx);
  } else {
    for (int i = 0; i < a.n; i++) {
      const float step = (float)(2.0 / 255);
      double q = ((double)a.a[i] + 1.0) / (double)step - 128.0;
      q = q < -128 ? -128 : q > 127 ? 127 : q;
      out[i] = (int8_t)q;
    }
    sqlite3_result_blob(ctx, out, a.n, sqlite3_free);
    sqlite3_result_subtype(ctx, EMBED_SUBTYPE_INT8);
  }
  vec_arg_free(&a);
}

/* One bit per dimension, set when the element is positive, least
** significant bit first (sqlite-vec's bit vector layout). */
void vecQuantizeBinaryFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_arg a;
  if (!vec_arg_read(ctx, "vec_quantize_binary", 0, argv[0], &a)) return;
  if (a.n % 8 != 0) {
    embedResultError(ctx, "vec_quantize_binary",
                     sqlite3_mprintf("argument 1 has %d dimensions; binary quantization needs a multiple of 8", a.n));
    vec_arg_free(&a);
    return;
  }
  unsigned char *out = sqlite3_malloc64((sqlite3_uint64)a.n / 8);
  if (!out) {
    sqlite3_result_error_nomem(ctx);
  } else {
    memset(out, 0, (size_t)a.n / 8);
    for (int i = 0; i < a.n; i++) {
      if (a.a[i] > 0) out[i / 8] |= (unsigned char)(1u << (i % 8));
    }
    sqlite3_result_blob(ctx, out, a.n / 8, sqlite3_free);
    sqlite3_result_subtype(ctx, EMBED_SUBTYPE_BIT);
  }
  vec_arg_free(&a);
}

/* A bit vector argument: a BLOB tagged with the bit subtype, by
** vec_quantize_binary or vec_bit.  A stored BLOB has lost its subtype, and
** a float32 vector's bytes would read as bits without a word, so an
** untagged one is refused with the way to tag it (sqlite-vec refuses it
** too).  Returns 1 with *pa, *pnByte set, or 0 after setting the result. */
static int bit_arg_read(sqlite3_context *ctx, const char *zFunc, int iArg, sqlite3_value *pVal,
                        const unsigned char **pa, int *pnByte) {
  const int eType = sqlite3_value_type(pVal);
  if (eType == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return 0;
  }
  const int eSub = (int)sqlite3_value_subtype(pVal);
  if (eType != SQLITE_BLOB) {
    embedResultError(ctx, zFunc, sqlite3_mprintf("argument %d is %s, not a bit vector (a BLOB from "
                                                 "vec_quantize_binary or vec_bit)", iArg + 1,
                                                 embedTypeName(eType)));
    return 0;
  }
  if (eSub != EMBED_SUBTYPE_BIT) {
    embedResultError(ctx, zFunc, sqlite3_mprintf(
        "argument %d is %s, not a bit vector; vec_quantize_binary(v) makes one from a float32 "
        "vector, vec_bit(b) marks a stored one", iArg + 1,
        eSub == EMBED_SUBTYPE_F32 ? "a float32 vector" : eSub == EMBED_SUBTYPE_INT8 ? "an int8 vector" : "an untagged BLOB"));
    return 0;
  }
  *pnByte = sqlite3_value_bytes(pVal);
  *pa = sqlite3_value_blob(pVal);
  if (*pnByte > 0 && !*pa) {
    sqlite3_result_error_nomem(ctx);
    return 0;
  }
  return 1;
}

/* vec_bit(b): the BLOB b (a stored bit vector) tagged as one, as sqlite-vec's
** vec_bit does, so vec_distance_hamming takes it.  A float32 or int8
** vector is refused: its bytes are not one bit per dimension. */
void vecBitFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  const int eType = sqlite3_value_type(argv[0]);
  if (eType == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  const int eSub = (int)sqlite3_value_subtype(argv[0]);
  const int nByte = sqlite3_value_bytes(argv[0]);
  if (eType != SQLITE_BLOB) {
    embedResultError(ctx, "vec_bit", sqlite3_mprintf("argument 1 is %s, not a BLOB", embedTypeName(eType)));
  } else if (eSub == EMBED_SUBTYPE_F32 || eSub == EMBED_SUBTYPE_INT8) {
    embedResultError(ctx, "vec_bit", sqlite3_mprintf("argument 1 is a%s vector, not bits; "
                                                     "vec_quantize_binary(v) makes a bit vector of a float32 one",
                                                     eSub == EMBED_SUBTYPE_F32 ? " float32" : "n int8"));
  } else if (nByte == 0 || (int64_t)nByte * 8 > VEC_MAX_DIMS) {
    embedResultError(ctx, "vec_bit", sqlite3_mprintf("argument 1 is a BLOB of %d bytes; a bit vector has "
                                                     "1 to %d bytes (8 dimensions a byte)", nByte, VEC_MAX_DIMS / 8));
  } else {
    sqlite3_result_value(ctx, argv[0]);
    sqlite3_result_subtype(ctx, EMBED_SUBTYPE_BIT);
  }
}

/* vec_distance_hamming(a, b): the number of dimensions whose bits differ,
** as a REAL, as sqlite-vec returns it. */
void vecDistanceHammingFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  const unsigned char *a, *b;
  int na, nb;
  if (!bit_arg_read(ctx, "vec_distance_hamming", 0, argv[0], &a, &na)) return;
  if (!bit_arg_read(ctx, "vec_distance_hamming", 1, argv[1], &b, &nb)) return;
  if (na != nb) {
    embedResultError(ctx, "vec_distance_hamming",
                     sqlite3_mprintf("dimension mismatch: argument 1 has %lld dimensions, argument 2 has %lld",
                                     (long long)na * 8, (long long)nb * 8));
    return;
  }
  int64_t differ = 0;
  for (int i = 0; i < na; i++) differ += __builtin_popcount((unsigned)(a[i] ^ b[i]));
  sqlite3_result_double(ctx, (double)differ);
}

/* vec_mean: the aggregate's state lives in SQLite's aggregate context. */
typedef struct vec_mean_state {
  double *aSum;    /* running sum per dimension, sqlite3_malloc'd */
  int n;           /* dimensions (set by the first non-NULL row) */
  sqlite3_int64 nRow; /* rows summed */
  int bFailed;     /* an error was reported; ignore further rows */
} vec_mean_state;

void vecMeanStep(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_mean_state *p = sqlite3_aggregate_context(ctx, sizeof(*p));
  if (!p) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if (p->bFailed || sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
  vec_arg a;
  if (!vec_arg_read(ctx, "vec_mean", 0, argv[0], &a)) {
    p->bFailed = 1;
    return;
  }
  if (!p->aSum) {
    p->aSum = sqlite3_malloc64((sqlite3_uint64)a.n * sizeof(double));
    if (!p->aSum) {
      vec_arg_free(&a);
      p->bFailed = 1;
      sqlite3_result_error_nomem(ctx);
      return;
    }
    memset(p->aSum, 0, (size_t)a.n * sizeof(double));
    p->n = a.n;
  } else if (a.n != p->n) {
    embedResultError(ctx, "vec_mean",
                     sqlite3_mprintf("dimension mismatch: row %lld has %d dimensions (%d bytes), "
                                     "earlier rows have %d (%d bytes)",
                                     p->nRow + 1, a.n, a.n * 4, p->n, p->n * 4));
    vec_arg_free(&a);
    p->bFailed = 1;
    return;
  }
  for (int i = 0; i < a.n; i++) p->aSum[i] += a.a[i];
  p->nRow++;
  vec_arg_free(&a);
}

void vecMeanFinal(sqlite3_context *ctx) {
  vec_mean_state *p = sqlite3_aggregate_context(ctx, 0);
  if (!p) return; /* no rows: NULL */
  if (!p->bFailed && p->nRow > 0) {
    float *out = sqlite3_malloc64((sqlite3_uint64)p->n * sizeof(float));
    if (!out) {
      sqlite3_result_error_nomem(ctx);
    } else {
      for (int i = 0; i < p->n; i++) out[i] = (float)(p->aSum[i] / (double)p->nRow);
      result_f32(ctx, out, p->n);
    }
  }
  sqlite3_free(p->aSum);
  p->aSum = NULL;
}
