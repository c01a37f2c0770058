/*
** vec_funcs.c — SQL functions that compute with vectors from any source:
** distances, arithmetic, the mean.
**
**   SELECT vec_similarity(embed('cat'), embed('kitten'));       -- cosine, in [-1, 1]
**   SELECT vec_distance_l2('[1,2,3]', vec_from_json('[1,2,4]')); -- 1.0
**   SELECT vec_distance_l1(vec_int8('[1,2]'), vec_int8('[3,-2]')); -- 6
**   SELECT vec_mean(embedding) FROM docs;                        -- centroid
**
** Vectors are read by vec_arg.c: float32 BLOBs or JSON, int8 and bit
** vectors by subtype, as in sqlite-vec, so vectors from sqlite-vec work here
** and ours work there.  NULL in gives NULL out.  Distances take float32 or
** int8 (both arguments the same type), vec_distance_hamming bit vectors.
** Float sums run in double so that results do not depend on the order of
** accumulation more than float32 rounding allows; int8 sums are exact
** integers.
*/
#include "ext_int.h"
#include "vec_arg.h"
#include "vec_kernels.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define VEC_NUM (VEC_F32 | VEC_I8) /* the types the distances take */

/* Summed in double (SIMD where the CPU has it, see vec_kernels.c) so that
** small exact inputs give exact results; int8 exactly (at most 65536
** products of 2^14 fit int32). */
static double dot_of(const vec_arg *pA, const vec_arg *pB) {
  if (pA->eType == VEC_I8) return (double)vecKernels()->dot_i8(pA->i8, pB->i8, pA->n);
  return vecKernels()->dot_f64(pA->a, pB->a, pA->n);
}

/* Cosine similarity, or sets an error for a zero vector (no direction). */
static int cosine(sqlite3_context *ctx, const char *zFunc, const vec_arg *pA, const vec_arg *pB, double *pOut) {
  double na = dot_of(pA, pA), nb = dot_of(pB, pB);
  if (na == 0 || nb == 0) {
    embedResultError(ctx, zFunc,
                     sqlite3_mprintf("argument %d is a zero vector, which has no direction", na == 0 ? 1 : 2));
    return 0;
  }
  double c = dot_of(pA, pB) / (sqrt(na) * sqrt(nb));
  *pOut = c > 1 ? 1 : c < -1 ? -1 : c; /* rounding can step just outside [-1, 1] */
  return 1;
}

void vecSimilarityFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_arg a, b;
  double c;
  if (!vecArgsRead2(ctx, "vec_similarity", argv, VEC_NUM, &a, &b)) return;
  if (cosine(ctx, "vec_similarity", &a, &b, &c)) sqlite3_result_double(ctx, c);
  vecArgFree(&a);
  vecArgFree(&b);
}

void vecDistanceCosineFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_arg a, b;
  double c;
  if (!vecArgsRead2(ctx, "vec_distance_cosine", argv, VEC_NUM, &a, &b)) return;
  if (cosine(ctx, "vec_distance_cosine", &a, &b, &c)) sqlite3_result_double(ctx, 1.0 - c);
  vecArgFree(&a);
  vecArgFree(&b);
}

void vecDistanceL2Func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_arg a, b;
  if (!vecArgsRead2(ctx, "vec_distance_l2", argv, VEC_NUM, &a, &b)) return;
  if (a.eType == VEC_I8) {
    int64_t sum = 0; /* up to 65536 * 255^2: past int32 */
    for (int i = 0; i < a.n; i++) sum += (int64_t)(a.i8[i] - b.i8[i]) * (a.i8[i] - b.i8[i]);
    sqlite3_result_double(ctx, sqrt((double)sum));
  } else {
    sqlite3_result_double(ctx, sqrt(vecKernels()->l2sq_f64(a.a, b.a, a.n)));
  }
  vecArgFree(&a);
  vecArgFree(&b);
}

/* An INTEGER for int8 vectors, a REAL for float32 ones: sqlite-vec's types. */
void vecDistanceL1Func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_arg a, b;
  if (!vecArgsRead2(ctx, "vec_distance_l1", argv, VEC_NUM, &a, &b)) return;
  if (a.eType == VEC_I8) {
    int64_t sum = 0;
    for (int i = 0; i < a.n; i++) sum += abs(a.i8[i] - b.i8[i]);
    sqlite3_result_int64(ctx, sum);
  } else {
    double sum = 0.0;
    for (int i = 0; i < a.n; i++) sum += fabs((double)a.a[i] - (double)b.a[i]);
    sqlite3_result_double(ctx, sum);
  }
  vecArgFree(&a);
  vecArgFree(&b);
}

void vecDotFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_arg a, b;
  if (!vecArgsRead2(ctx, "vec_dot", argv, VEC_NUM, &a, &b)) return;
  sqlite3_result_double(ctx, dot_of(&a, &b));
  vecArgFree(&a);
  vecArgFree(&b);
}

void vecNormalizeFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_arg a;
  if (!vecArgRead(ctx, "vec_normalize", 0, argv[0], VEC_F32, &a)) return;
  double norm = sqrt(dot_of(&a, &a));
  float *out = NULL;
  if (norm == 0) {
    embedResultError(ctx, "vec_normalize", sqlite3_mprintf("argument 1 is a zero vector, which has no direction"));
  } else if ((out = sqlite3_malloc64((sqlite3_uint64)a.n * sizeof(float))) == NULL) {
    sqlite3_result_error_nomem(ctx);
  } else {
    for (int i = 0; i < a.n; i++) out[i] = (float)(a.a[i] / norm);
    vecResult(ctx, VEC_F32, out, a.n);
  }
  vecArgFree(&a);
}

/* vec_add / vec_sub: elementwise, sign = +1 or -1.  A result outside the
** type's range is an error, not a wrapped or infinite element (sqlite-vec
** wraps int8 sums around: 100 + 100 = -56). */
static void add_scaled(sqlite3_context *ctx, const char *zFunc, sqlite3_value **argv, int sign) {
  vec_arg a, b;
  if (!vecArgsRead2(ctx, zFunc, argv, VEC_NUM, &a, &b)) return;
  void *out = sqlite3_malloc64((sqlite3_uint64)a.n * (a.eType == VEC_I8 ? 1 : sizeof(float)));
  int iBad = -1;
  if (!out) {
    sqlite3_result_error_nomem(ctx);
  } else if (a.eType == VEC_I8) {
    for (int i = 0; i < a.n && iBad < 0; i++) {
      const int v = a.i8[i] + sign * b.i8[i];
      if (v < -128 || v > 127) iBad = i;
      ((int8_t *)out)[i] = (int8_t)v;
    }
  } else {
    for (int i = 0; i < a.n && iBad < 0; i++) {
      const float v = a.a[i] + (float)sign * b.a[i];
      if (!isfinite(v)) iBad = i;
      ((float *)out)[i] = v;
    }
  }
  if (out && iBad >= 0) {
    sqlite3_free(out);
    embedResultError(ctx, zFunc, sqlite3_mprintf("result overflows %s at dimension %d", vecTypeName(a.eType), iBad));
  } else if (out) {
    vecResult(ctx, a.eType, out, a.n);
  }
  vecArgFree(&a);
  vecArgFree(&b);
}

void vecAddFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  add_scaled(ctx, "vec_add", argv, 1);
}

void vecSubFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  add_scaled(ctx, "vec_sub", argv, -1);
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
  /* 8 bytes a popcount where the CPU has it (the index's kernel); at most
  ** 65,536 bits, so an int holds the count */
  sqlite3_result_double(ctx, (double)vecKernels()->hamming(a, b, na));
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
  if (!vecArgRead(ctx, "vec_mean", 0, argv[0], VEC_F32, &a)) {
    p->bFailed = 1;
    return;
  }
  if (!p->aSum) {
    p->aSum = sqlite3_malloc64((sqlite3_uint64)a.n * sizeof(double));
    if (!p->aSum) {
      vecArgFree(&a);
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
    vecArgFree(&a);
    p->bFailed = 1;
    return;
  }
  for (int i = 0; i < a.n; i++) p->aSum[i] += a.a[i];
  p->nRow++;
  vecArgFree(&a);
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
      vecResult(ctx, VEC_F32, out, p->n);
    }
  }
  sqlite3_free(p->aSum);
  p->aSum = NULL;
}
