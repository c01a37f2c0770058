/*
** text_array.c — the arguments the batch table-valued functions share:
** a JSON array of texts (embed_each's texts, embed_rerank_each's documents)
** and an optional model name.
**
** A JSON array is how a driver hands SQL many texts in one value (one bound
** parameter, or json_group_array over a query), so both functions read it
** the same way: strings are texts, nulls are kept as rows without a result,
** anything else is an error naming the element.  The strings stay inside the
** parsed array; the encoder gets pointers and byte lengths (a "\u0000" in a
** string is a NUL byte of the text, not its end).
*/
#include "ext_int.h"
#include "../tokenizer/se_json.h"
#include <jansson.h>
#include <string.h>

/* More would be one call holding gigabytes of activations and results; a
** caller with more texts splits them. */
#define TEXT_ARRAY_MAX 1000000

void embedTextArrayFree(embed_text_array *p) {
  json_decref(p->pArray);
  sqlite3_free(p->azText);
  sqlite3_free(p->anText);
  sqlite3_free(p->aiElem);
  memset(p, 0, sizeof(*p));
}

int embedTextArrayRead(sqlite3_vtab_cursor *pCursor, const char *zFunc, const char *zArg, sqlite3_value *pVal,
                       embed_text_array *p) {
  embedTextArrayFree(p);
  const int eType = sqlite3_value_type(pVal);
  if (eType == SQLITE_NULL) return SQLITE_OK; /* no rows */
  if (eType != SQLITE_TEXT) {
    return embedCursorError(pCursor, sqlite3_mprintf("%s(): %s must be a JSON array of texts, got %s", zFunc, zArg,
                                                     embedTypeName(eType)));
  }
  const char *zJson = (const char *)sqlite3_value_text(pVal);
  if (!zJson) return SQLITE_NOMEM;
  json_error_t jerr;
  int bNomem;
  p->pArray = se_json_loadb(zJson, (size_t)sqlite3_value_bytes(pVal), JSON_ALLOW_NUL, &jerr, &bNomem);
  if (bNomem) return SQLITE_NOMEM;
  json_t *pArray = p->pArray;
  if (!pArray || !json_is_array(pArray)) {
    embedTextArrayFree(p);
    return embedCursorError(pCursor, sqlite3_mprintf("%s(): %s must be a JSON array of texts", zFunc, zArg));
  }
  const size_t n = json_array_size(pArray);
  if (n > TEXT_ARRAY_MAX) {
    embedTextArrayFree(p);
    return embedCursorError(pCursor, sqlite3_mprintf("%s(): %llu texts; at most %d per call", zFunc, (unsigned long long)n, TEXT_ARRAY_MAX));
  }
  p->n = (int)n;
  p->azText = sqlite3_malloc64(sizeof(char *) * (n ? n : 1));
  p->anText = sqlite3_malloc64(sizeof(size_t) * (n ? n : 1));
  p->aiElem = sqlite3_malloc64(sizeof(int) * (n ? n : 1));
  if (!p->azText || !p->anText || !p->aiElem) {
    embedTextArrayFree(p);
    return SQLITE_NOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    json_t *pEl = json_array_get(pArray, i);
    if (json_is_null(pEl)) continue;
    if (!json_is_string(pEl)) {
      embedTextArrayFree(p);
      return embedCursorError(pCursor, sqlite3_mprintf("%s(): element %d is not a string or null", zFunc, (int)i));
    }
    p->azText[p->nText] = json_string_value(pEl);
    p->anText[p->nText] = json_string_length(pEl);
    p->aiElem[p->nText++] = (int)i;
  }
  return SQLITE_OK;
}

void embedTextArrayScatter(const embed_text_array *p, const float *src, int width, float *dst) {
  for (int t = 0; t < p->nText; t++)
    memcpy(dst + (size_t)p->aiElem[t] * width, src + (size_t)t * width, sizeof(float) * (size_t)width);
}

int embedTextArrayElement(const embed_text_array *p, int i, const char **pzText, size_t *pnText) {
  json_t *pEl = json_array_get(p->pArray, (size_t)i);
  if (!json_is_string(pEl)) return 0;
  *pzText = json_string_value(pEl);
  *pnText = json_string_length(pEl);
  return 1;
}

int embedCursorSlot(sqlite3_vtab_cursor *pCursor, embed_conn *pConn, const char *zFunc, int iArg, sqlite3_value *pModel,
                    embed_slot **ppSlot) {
  const char *zModel = NULL;
  *ppSlot = NULL;
  if (pModel) {
    if (sqlite3_value_type(pModel) != SQLITE_TEXT) {
      return embedCursorError(pCursor, sqlite3_mprintf("%s(): argument %d (model) must be TEXT, got %s", zFunc, iArg,
                                                       embedTypeName(sqlite3_value_type(pModel))));
    }
    zModel = (const char *)sqlite3_value_text(pModel);
    if (!zModel) return SQLITE_NOMEM;
  }
  char *zErr = NULL;
  *ppSlot = embedConnFindModel(pConn, zModel, &zErr);
  if (!*ppSlot) return embedCursorError(pCursor, zErr ? sqlite3_mprintf("%s(): %z", zFunc, zErr) : NULL);
  return SQLITE_OK;
}
