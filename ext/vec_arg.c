/*
** vec_arg.c — the vec_* functions' argument reader (see vec_arg.h): a
** BLOB by its subtype, or JSON TEXT; everything that is not a well-formed
** vector of a type the function takes is an error naming the argument and
** what is wrong.  A float32 NaN or Inf is refused too: it would sort
** arbitrarily in ORDER BY distance and silently corrupt a ranking.
*/
#include "vec_arg.h"
#include "../tokenizer/se_json.h"
#include <jansson.h>
#include <math.h>
#include <string.h>

void vecArgFree(vec_arg *p) {
  sqlite3_free(p->aOwned);
  p->aOwned = NULL;
}

const char *vecTypeName(int eType) {
  return eType == VEC_I8 ? "int8" : eType == VEC_BIT ? "bit" : "float32";
}

int64_t vecByteCount(int eType, int64_t n) { return eType == VEC_F32 ? n * 4 : eType == VEC_I8 ? n : n / 8; }

const void *vecArgElems(const vec_arg *p) {
  return p->eType == VEC_F32 ? (const void *)p->a : p->eType == VEC_I8 ? (const void *)p->i8 : (const void *)p->bits;
}

/* "float32 vectors", "float32 and int8 vectors", ... for errors */
static const char *accepted_names(int mAccept) {
  switch (mAccept) {
    case VEC_F32: return "float32 vectors";
    case VEC_F32 | VEC_I8: return "float32 and int8 vectors";
    case VEC_BIT: return "bit vectors";
    default: return "float32, int8 and bit vectors";
  }
}

char *vecParseJson(const char *zJson, int nJson, int eType, void **paOut, int *pn) {
  json_error_t jerr;
  int bNomem;
  *paOut = NULL;
  json_t *root = se_json_loadb(zJson, (size_t)nJson, 0, &jerr, &bNomem);
  if (bNomem) return NULL;
  if (!root || !json_is_array(root)) {
    json_decref(root);
    return sqlite3_mprintf(eType == VEC_I8 ? "TEXT is not a JSON array of integers" : "TEXT is not a JSON array of numbers");
  }
  char *zErr = NULL;
  size_t n = json_array_size(root);
  if (n == 0 || n > VEC_MAX_DIMS) {
    zErr = sqlite3_mprintf("JSON array has %d elements; a vector needs 1 to %d", (int)n, VEC_MAX_DIMS);
    goto done;
  }
  void *pOut = sqlite3_malloc64(n * (eType == VEC_I8 ? 1 : sizeof(float)));
  if (!pOut) goto done; /* NULL error, NULL array: out of memory */
  int bBad = 0; /* not zErr: its message may fail to allocate, the element is still bad */
  for (size_t i = 0; i < n && !bBad; i++) {
    json_t *pEl = json_array_get(root, i);
    if (eType == VEC_I8) {
      json_int_t v = json_is_integer(pEl) ? json_integer_value(pEl) : 0;
      bBad = !json_is_integer(pEl) || v < -128 || v > 127;
      if (!json_is_integer(pEl))
        zErr = sqlite3_mprintf("JSON element %d is not an integer", (int)i);
      else if (bBad)
        zErr = sqlite3_mprintf("JSON element %d (%lld) is outside int8 range [-128, 127]", (int)i, (long long)v);
      else
        ((int8_t *)pOut)[i] = (int8_t)v;
    } else if (!json_is_number(pEl)) {
      bBad = 1;
      zErr = sqlite3_mprintf("JSON element %d is not a number", (int)i);
    } else {
      double v = json_number_value(pEl);
      float f = (float)v;
      bBad = !isfinite(f);
      if (bBad) zErr = sqlite3_mprintf("JSON element %d (%g) is outside float32 range", (int)i, v);
      ((float *)pOut)[i] = f;
    }
  }
  if (bBad) {
    sqlite3_free(pOut); /* a NULL zErr with no array: out of memory */
  } else {
    *paOut = pOut;
    *pn = (int)n;
  }
done:
  json_decref(root);
  return zErr;
}

/* A BLOB tagged int8 or bit: checks its size and points into it. */
static char *read_tagged(int iArg, const void *pBlob, int nByte, int eType, vec_arg *p) {
  const int64_t nDims = eType == VEC_BIT ? (int64_t)nByte * 8 : nByte;
  if (nByte == 0 || nDims > VEC_MAX_DIMS)
    return sqlite3_mprintf("argument %d is a%s vector of %lld dimensions; a vector has 1 to %d", iArg + 1,
                           eType == VEC_I8 ? "n int8" : " bit", (long long)nDims, VEC_MAX_DIMS);
  p->eType = eType;
  p->n = (int)nDims;
  if (eType == VEC_I8) p->i8 = pBlob;
  else p->bits = pBlob;
  return NULL;
}

/* An untagged or float32-tagged BLOB. */
static char *read_f32_blob(int iArg, const void *pBlob, int nByte, int mAccept, vec_arg *p, int *pNomem) {
  if (nByte == 0 || nByte % 4 != 0)
    return sqlite3_mprintf("argument %d is a BLOB of %d bytes, not a float32 vector "
                           "(4 bytes per dimension, at least one)%s", iArg + 1, nByte,
                           mAccept & VEC_I8 ? "; vec_int8(b) marks a stored int8 vector" : "");
  if (nByte / 4 > VEC_MAX_DIMS)
    return sqlite3_mprintf("argument %d has %d dimensions; at most %d are supported", iArg + 1, nByte / 4,
                           VEC_MAX_DIMS);
  p->eType = VEC_F32;
  p->n = nByte / 4;
  if (((uintptr_t)pBlob & 3) == 0) {
    p->a = pBlob;
  } else { /* SQLite does not promise aligned BLOBs */
    p->aOwned = sqlite3_malloc64((sqlite3_uint64)nByte);
    if (!p->aOwned) {
      *pNomem = 1;
      return NULL;
    }
    memcpy(p->aOwned, pBlob, (size_t)nByte);
    p->a = p->aOwned;
  }
  return NULL;
}

int vecArgParse(int iArg, sqlite3_value *pVal, int mAccept, vec_arg *p, char **pzErr) {
  memset(p, 0, sizeof(*p));
  *pzErr = NULL;
  const int eType = sqlite3_value_type(pVal);
  char *zErr = NULL;
  int bNomem = 0;
  if (eType == SQLITE_NULL) return SQLITE_DONE;
  if (eType == SQLITE_BLOB) {
    const int nByte = sqlite3_value_bytes(pVal);
    const void *pBlob = sqlite3_value_blob(pVal);
    const int eSub = (int)sqlite3_value_subtype(pVal);
    const int eVec = eSub == EMBED_SUBTYPE_INT8 ? VEC_I8 : eSub == EMBED_SUBTYPE_BIT ? VEC_BIT : VEC_F32;
    if (!(mAccept & eVec)) {
      zErr = sqlite3_mprintf("argument %d is %s; this function takes %s", iArg + 1,
                             eVec == VEC_I8    ? "an int8 vector"
                             : eVec == VEC_BIT ? "a bit vector"
                             : eSub == EMBED_SUBTYPE_F32 ? "a float32 vector"
                                                         : "an untagged BLOB (read as float32)",
                             accepted_names(mAccept));
    } else if (nByte > 0 && !pBlob) {
      bNomem = 1;
    } else if (eVec == VEC_F32) {
      zErr = read_f32_blob(iArg, pBlob, nByte, mAccept, p, &bNomem);
    } else {
      zErr = read_tagged(iArg, pBlob, nByte, eVec, p);
    }
  } else if (eType == SQLITE_TEXT) {
    const char *zJson = (const char *)sqlite3_value_text(pVal);
    if (!zJson) {
      bNomem = 1;
    } else if (!(mAccept & VEC_F32)) {
      zErr = sqlite3_mprintf("argument %d is TEXT (a JSON vector is float32); this function takes %s", iArg + 1,
                             accepted_names(mAccept));
    } else {
      void *pFloats = NULL;
      zErr = vecParseJson(zJson, sqlite3_value_bytes(pVal), VEC_F32, &pFloats, &p->n);
      if (zErr) zErr = sqlite3_mprintf("argument %d: %z", iArg + 1, zErr);
      else if (!pFloats) bNomem = 1;
      p->eType = VEC_F32;
      p->a = p->aOwned = pFloats;
    }
  } else {
    zErr = sqlite3_mprintf("argument %d must be a %s BLOB or a JSON array, got %s", iArg + 1,
                           mAccept == VEC_F32 ? "float32" : "vector", embedTypeName(eType));
  }
  if (!zErr && !bNomem && p->a) {
    for (int i = 0; i < p->n; i++) {
      if (!isfinite(p->a[i])) {
        zErr = sqlite3_mprintf("argument %d has %s at dimension %d", iArg + 1, isnan(p->a[i]) ? "NaN" : "Inf", i);
        break;
      }
    }
  }
  /* Success is an element pointer of the type read: an error message that
  ** could not be allocated leaves none, and must not read as a vector. */
  if (!zErr && !bNomem && vecArgElems(p)) return SQLITE_OK;
  vecArgFree(p);
  *pzErr = zErr; /* NULL when a message could not be allocated either */
  return zErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

int vecArgRead(sqlite3_context *ctx, const char *zFunc, int iArg, sqlite3_value *pVal, int mAccept, vec_arg *p) {
  char *zErr;
  const int rc = vecArgParse(iArg, pVal, mAccept, p, &zErr);
  if (rc == SQLITE_OK) return 1;
  if (rc == SQLITE_DONE) sqlite3_result_null(ctx);
  else if (rc == SQLITE_NOMEM) sqlite3_result_error_nomem(ctx);
  else embedResultError(ctx, zFunc, zErr);
  return 0;
}

int vecArgsRead2(sqlite3_context *ctx, const char *zFunc, sqlite3_value **argv, int mAccept, vec_arg *pA,
                 vec_arg *pB) {
  if (!vecArgRead(ctx, zFunc, 0, argv[0], mAccept, pA)) return 0;
  if (!vecArgRead(ctx, zFunc, 1, argv[1], mAccept, pB)) {
    vecArgFree(pA);
    return 0;
  }
  char *zErr = NULL;
  const int bBad = pA->eType != pB->eType || pA->n != pB->n; /* an error even if its message fails to allocate */
  if (pA->eType != pB->eType) {
    zErr = sqlite3_mprintf("type mismatch: argument 1 is a%s %s vector, argument 2 a%s %s vector; "
                           "vec_int8(b) marks a stored int8 BLOB, vec_quantize_int8(v, 'unit') makes one "
                           "from a float32 vector",
                           pA->eType == VEC_I8 ? "n" : "", vecTypeName(pA->eType),
                           pB->eType == VEC_I8 ? "n" : "", vecTypeName(pB->eType));
  } else if (pA->n != pB->n) {
    const long long nA = (long long)vecByteCount(pA->eType, pA->n), nB = (long long)vecByteCount(pB->eType, pB->n);
    zErr = sqlite3_mprintf("dimension mismatch: argument 1 has %d dimension%s (%lld byte%s), "
                           "argument 2 has %d (%lld byte%s)",
                           pA->n, pA->n == 1 ? "" : "s", nA, nA == 1 ? "" : "s", pB->n, nB, nB == 1 ? "" : "s");
  }
  if (bBad) {
    embedResultError(ctx, zFunc, zErr); /* NULL: out of memory */
    vecArgFree(pA);
    vecArgFree(pB);
    return 0;
  }
  return 1;
}

void vecResult(sqlite3_context *ctx, int eType, void *p, int n) {
  sqlite3_result_blob(ctx, p, (int)vecByteCount(eType, n), sqlite3_free);
  sqlite3_result_subtype(ctx, eType == VEC_I8    ? EMBED_SUBTYPE_INT8
                              : eType == VEC_BIT ? EMBED_SUBTYPE_BIT
                                                 : EMBED_SUBTYPE_F32);
}
