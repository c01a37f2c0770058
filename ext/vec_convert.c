/*
** vec_convert.c — SQL functions that make, mark, inspect and convert
** vectors: JSON in and out, the type markers, slices, quantization.
**
**   SELECT vec_to_json(vec_normalize('[3,4]'));     -- [0.600000024,0.800000012]
**   SELECT vec_type(vec_int8('[1,-2,3]'));          -- int8
**   SELECT vec_slice(embedding, 0, 256) FROM docs;  -- Matryoshka prefix
**   SELECT vec_quantize_binary(embed('a cat'));     -- 1 bit per dimension
**
** The spellings and bytes are sqlite-vec's (vec_f32, vec_int8, vec_bit,
** vec_type, vec_length, vec_quantize_int8(v, 'unit'), ...), so its queries
** run unchanged.  Where sqlite-vec would pass bytes of one type off as
** another (vec_int8 of a float32 vector, vec_quantize_int8 of an int8 one),
** this refuses with the function that does the conversion.
*/
#include "ext_int.h"
#include "vec_arg.h"
#include <stdint.h>
#include <string.h>

#define VEC_ANY (VEC_F32 | VEC_I8 | VEC_BIT)

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
** vec_slice, of the same type; for Matryoshka models, the first N of a
** vector.  A bit vector is sliced at whole bytes, as in sqlite-vec. */
void vecSliceFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  sqlite3_int64 iStart, iEnd;
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
  if (!slice_index(ctx, argv[1], 2, "start", &iStart) || !slice_index(ctx, argv[2], 3, "end", &iEnd)) return;
  vec_arg a;
  if (!vecArgRead(ctx, "vec_slice", 0, argv[0], VEC_ANY, &a)) return;
  if (iStart < 0 || iEnd > a.n || iStart >= iEnd) {
    embedResultError(ctx, "vec_slice",
                     sqlite3_mprintf("slice [%lld, %lld) is not a non-empty range of the %d dimensions of argument 1",
                                     (long long)iStart, (long long)iEnd, a.n));
  } else if (a.eType == VEC_BIT && (iStart % 8 != 0 || iEnd % 8 != 0)) {
    embedResultError(ctx, "vec_slice",
                     sqlite3_mprintf("slice [%lld, %lld) of a bit vector must start and end at a multiple of 8",
                                     (long long)iStart, (long long)iEnd));
  } else {
    const int n = (int)(iEnd - iStart);
    const size_t nByte = (size_t)vecByteCount(a.eType, n); /* bits: start and end are whole bytes */
    void *out = sqlite3_malloc64(nByte);
    if (!out) {
      sqlite3_result_error_nomem(ctx);
    } else {
      memcpy(out, (const char *)vecArgElems(&a) + vecByteCount(a.eType, iStart), nByte);
      vecResult(ctx, a.eType, out, n);
    }
  }
  vecArgFree(&a);
}

static void dims_of(sqlite3_context *ctx, const char *zFunc, sqlite3_value *pVal) {
  vec_arg a;
  if (!vecArgRead(ctx, zFunc, 0, pVal, VEC_ANY, &a)) return;
  sqlite3_result_int(ctx, a.n);
  vecArgFree(&a);
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

/* vec_type(v): 'float32', 'int8' or 'bit', as sqlite-vec's vec_type; an
** untagged BLOB is float32 (it is checked as one). */
void vecTypeFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_arg a;
  if (!vecArgRead(ctx, "vec_type", 0, argv[0], VEC_ANY, &a)) return;
  sqlite3_result_text(ctx, vecTypeName(a.eType), -1, SQLITE_STATIC);
  vecArgFree(&a);
}

/* vec_f32(v): a JSON array or a float32 BLOB as a float32 vector (checked,
** subtype 223), as sqlite-vec's vec_f32. */
void vecF32Func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_arg a;
  if (!vecArgRead(ctx, "vec_f32", 0, argv[0], VEC_F32, &a)) return;
  float *out = a.aOwned;
  if (!out) {
    out = sqlite3_malloc64((sqlite3_uint64)a.n * sizeof(float));
    if (!out) {
      sqlite3_result_error_nomem(ctx);
      return;
    }
    memcpy(out, a.a, (size_t)a.n * sizeof(float));
  }
  vecResult(ctx, VEC_F32, out, a.n); /* takes the copy: nothing left for vecArgFree */
}

/* vec_int8(v): a JSON array of integers in [-128, 127], or a BLOB (a
** stored int8 vector, one byte per dimension), as an int8 vector (subtype
** 225), as sqlite-vec's vec_int8.  A float32 or bit vector is refused:
** its bytes are not int8 elements (sqlite-vec would take them). */
void vecInt8Func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  const int eType = sqlite3_value_type(argv[0]);
  if (eType == SQLITE_NULL) return;
  if (eType == SQLITE_TEXT) {
    const char *zJson = (const char *)sqlite3_value_text(argv[0]);
    void *out = NULL;
    int n = 0;
    char *zErr = zJson ? vecParseJson(zJson, sqlite3_value_bytes(argv[0]), VEC_I8, &out, &n) : NULL;
    if (zErr) embedResultError(ctx, "vec_int8", sqlite3_mprintf("argument 1: %z", zErr));
    else if (!out) sqlite3_result_error_nomem(ctx);
    else vecResult(ctx, VEC_I8, out, n);
    return;
  }
  const int eSub = (int)sqlite3_value_subtype(argv[0]);
  const int nByte = sqlite3_value_bytes(argv[0]);
  if (eType != SQLITE_BLOB) {
    embedResultError(ctx, "vec_int8", sqlite3_mprintf("argument 1 must be a BLOB or a JSON array of integers, "
                                                      "got %s", embedTypeName(eType)));
  } else if (eSub == EMBED_SUBTYPE_F32) {
    embedResultError(ctx, "vec_int8", sqlite3_mprintf("argument 1 is a float32 vector, not int8; "
                                                      "vec_quantize_int8(v, 'unit') makes an int8 vector of one"));
  } else if (eSub == EMBED_SUBTYPE_BIT) {
    embedResultError(ctx, "vec_int8", sqlite3_mprintf("argument 1 is a bit vector, not int8"));
  } else if (nByte == 0 || nByte > VEC_MAX_DIMS) {
    embedResultError(ctx, "vec_int8", sqlite3_mprintf("argument 1 is a BLOB of %d bytes; an int8 vector has "
                                                      "1 to %d bytes (1 a dimension)", nByte, VEC_MAX_DIMS));
  } else {
    sqlite3_result_value(ctx, argv[0]);
    sqlite3_result_subtype(ctx, EMBED_SUBTYPE_INT8);
  }
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

/* vec_to_json(v): float32 elements with 9 significant digits (every float32
** round-trips exactly through vec_from_json), int8 elements as integers,
** bits as 0 and 1 (sqlite-vec's form). */
void vecToJsonFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_arg a;
  if (!vecArgRead(ctx, "vec_to_json", 0, argv[0], VEC_ANY, &a)) return;
  sqlite3_str *pOut = sqlite3_str_new(NULL);
  sqlite3_str_appendchar(pOut, 1, '[');
  /* SQLite's printf is locale-independent */
  for (int i = 0; i < a.n; i++) {
    const char *zSep = i ? "," : "";
    if (a.eType == VEC_F32) sqlite3_str_appendf(pOut, "%s%.9g", zSep, (double)a.a[i]);
    else if (a.eType == VEC_I8) sqlite3_str_appendf(pOut, "%s%d", zSep, a.i8[i]);
    else sqlite3_str_appendf(pOut, "%s%d", zSep, (a.bits[i / 8] >> (i % 8)) & 1);
  }
  sqlite3_str_appendchar(pOut, 1, ']');
  vecArgFree(&a);
  embedResultStr(ctx, pOut);
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
  if (!vecArgRead(ctx, "vec_from_json", 0, argv[0], VEC_F32, &a)) return;
  vecResult(ctx, VEC_F32, a.aOwned, a.n); /* JSON input is always an owned copy */
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
  if (!vecArgRead(ctx, "vec_quantize_int8", 0, argv[0], VEC_F32, &a)) return;
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
    vecResult(ctx, VEC_I8, out, a.n);
  }
  vecArgFree(&a);
}

/* One bit per dimension, set when the element is positive, least
** significant bit first (sqlite-vec's bit vector layout); of a float32 or
** an int8 vector. */
void vecQuantizeBinaryFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  vec_arg a;
  if (!vecArgRead(ctx, "vec_quantize_binary", 0, argv[0], VEC_F32 | VEC_I8, &a)) return;
  if (a.n % 8 != 0) {
    embedResultError(ctx, "vec_quantize_binary",
                     sqlite3_mprintf("argument 1 has %d dimensions; binary quantization needs a multiple of 8", a.n));
    vecArgFree(&a);
    return;
  }
  unsigned char *out = sqlite3_malloc64((sqlite3_uint64)a.n / 8);
  if (!out) {
    sqlite3_result_error_nomem(ctx);
  } else {
    memset(out, 0, (size_t)a.n / 8);
    for (int i = 0; i < a.n; i++) {
      if (a.eType == VEC_I8 ? a.i8[i] > 0 : a.a[i] > 0) out[i / 8] |= (unsigned char)(1u << (i % 8));
    }
    vecResult(ctx, VEC_BIT, out, a.n);
  }
  vecArgFree(&a);
}
