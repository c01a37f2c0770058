/*
** embed_each.c — embed_each(json_array_of_texts [, model]), a table-valued
** function that embeds many texts as one batch.
**
**   SELECT i, embedding FROM embed_each('["first text", "second", null]');
**   SELECT i, vec_dims(embedding) FROM embed_each(?, 'bge');
**   INSERT INTO docs(body, embedding)
**     SELECT value, embedding FROM json_each(?1) JOIN embed_each(?1) ON i = key;
**
** For callers that hold many texts at once (a driver binding an array), one
** call runs the encoder on length-sorted batches instead of one forward pass
** per row.  Rows: i (0-based position), text, embedding (NULL for a JSON
** null).  Elements must be strings or null.
*/
#include "ext_int.h"
#include "../tokenizer/se_json.h"
#include <jansson.h>
#include <string.h>

enum { COL_I, COL_TEXT, COL_EMBEDDING, COL_TEXTS, COL_MODEL };

typedef struct each_vtab {
  sqlite3_vtab base;  /* base class: must be first */
  embed_conn *pConn;  /* the connection's model bindings */
} each_vtab;

typedef struct each_cursor {
  sqlite3_vtab_cursor base; /* base class: must be first */
  json_t *pArray;           /* the parsed texts (owned reference) */
  float *aVec;              /* n x nDims vectors, sqlite3_malloc'd */
  int nDims;                /* floats per vector */
  int n;                    /* number of elements */
  int i;                    /* current element */
} each_cursor;

static int eachConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                       char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(i INTEGER, text TEXT, embedding BLOB, texts HIDDEN, model HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  each_vtab *p = sqlite3_malloc64(sizeof(*p));
  if (!p) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  p->pConn = pAux;
  *ppVtab = &p->base;
  return SQLITE_OK;
}

static int eachDisconnect(sqlite3_vtab *pVtab) {
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

/* idxNum bit 1: texts given, bit 2: model given; arguments in that order. */
static int eachBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo) {
  (void)pVtab;
  return embedHiddenArgsIndex(pInfo, COL_TEXTS, 2, 1000, 100);
}

static int eachOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  (void)pVtab;
  each_cursor *pCur = sqlite3_malloc64(sizeof(*pCur));
  if (!pCur) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  *ppCursor = &pCur->base;
  return SQLITE_OK;
}

static void cursor_reset(each_cursor *pCur) {
  json_decref(pCur->pArray);
  pCur->pArray = NULL;
  sqlite3_free(pCur->aVec);
  pCur->aVec = NULL;
  pCur->n = pCur->i = 0;
}

static int eachClose(sqlite3_vtab_cursor *pCursor) {
  cursor_reset((each_cursor *)pCursor);
  sqlite3_free(pCursor);
  return SQLITE_OK;
}

static int eachFilter(sqlite3_vtab_cursor *pCursor, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxStr;
  (void)argc;
  each_cursor *pCur = (each_cursor *)pCursor;
  each_vtab *p = (each_vtab *)pCursor->pVtab;
  cursor_reset(pCur);
  if (!(idxNum & 1)) return embedCursorError(pCursor, sqlite3_mprintf("embed_each(): needs a JSON array of texts"));
  sqlite3_value *pTexts = argv[0];
  const char *zModel = NULL;
  if (idxNum & 2) {
    if (sqlite3_value_type(argv[1]) != SQLITE_TEXT) {
      return embedCursorError(pCursor, sqlite3_mprintf("embed_each(): argument 2 (model) must be TEXT, got %s",
                                                embedTypeName(sqlite3_value_type(argv[1]))));
    }
    zModel = (const char *)sqlite3_value_text(argv[1]);
    if (!zModel) return SQLITE_NOMEM;
  }
  if (sqlite3_value_type(pTexts) == SQLITE_NULL) return SQLITE_OK; /* no rows */
  if (sqlite3_value_type(pTexts) != SQLITE_TEXT) {
    return embedCursorError(pCursor, sqlite3_mprintf("embed_each(): argument 1 must be a JSON array of texts, got %s",
                                              embedTypeName(sqlite3_value_type(pTexts))));
  }
  json_error_t jerr;
  const char *zJson = (const char *)sqlite3_value_text(pTexts);
  if (!zJson) return SQLITE_NOMEM;
  int bNomem;
  pCur->pArray = se_json_loadb(zJson, (size_t)sqlite3_value_bytes(pTexts), JSON_ALLOW_NUL, &jerr, &bNomem);
  if (bNomem) return SQLITE_NOMEM;
  if (!pCur->pArray || !json_is_array(pCur->pArray)) {
    return embedCursorError(pCursor, sqlite3_mprintf("embed_each(): argument 1 must be a JSON array of texts"));
  }
  size_t n = json_array_size(pCur->pArray);
  if (n > 1000000) return embedCursorError(pCursor, sqlite3_mprintf("embed_each(): %zu texts; at most 1000000 per call", n));
  char *zErr = NULL;
  embed_slot *pSlot = embedConnFindModel(p->pConn, zModel, &zErr);
  if (!pSlot) return embedCursorError(pCursor, zErr ? sqlite3_mprintf("embed_each(): %z", zErr) : NULL);
  if ((zErr = embedSlotCrossEncoderError(pSlot)) != NULL)
    return embedCursorError(pCursor, sqlite3_mprintf("embed_each(): %z", zErr));
  ee_model *pModel = embedSlotModel(pSlot);
  ee_context *pEngine = embedSlotContext(pSlot);
  pCur->nDims = ee_model_dims(pModel);
  pCur->n = (int)n;
  pCur->aVec = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * pCur->nDims * sizeof(float));
  const char **azText = sqlite3_malloc64(sizeof(char *) * (n ? n : 1));
  size_t *anText = sqlite3_malloc64(sizeof(size_t) * (n ? n : 1));
  int *aiElem = sqlite3_malloc64(sizeof(int) * (n ? n : 1));
  int rc = SQLITE_OK;
  if (!pEngine || !pCur->aVec || !azText || !anText || !aiElem) rc = SQLITE_NOMEM;
  /* Only the strings go to the encoder; null elements get a NULL row. */
  int nText = 0;
  for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
    json_t *pEl = json_array_get(pCur->pArray, i);
    if (json_is_null(pEl)) continue;
    if (!json_is_string(pEl)) {
      rc = embedCursorError(pCursor, sqlite3_mprintf("embed_each(): element %d is not a string or null", (int)i));
      break;
    }
    azText[nText] = json_string_value(pEl);
    anText[nText] = json_string_length(pEl);
    aiElem[nText++] = (int)i;
  }
  float *aTmp = NULL;
  if (rc == SQLITE_OK && nText > 0) {
    aTmp = sqlite3_malloc64((sqlite3_uint64)nText * pCur->nDims * sizeof(float));
    if (!aTmp) rc = SQLITE_NOMEM;
  }
  if (rc == SQLITE_OK && nText > 0) {
    ee_error err;
    ee_status st = ee_embed_texts_prompted(pEngine, pSlot->zPrompt, nText, azText, anText, aTmp, &err);
    if (st == EE_ERR_NOMEM) rc = SQLITE_NOMEM;
    else if (st != EE_OK) rc = embedCursorError(pCursor, sqlite3_mprintf("embed_each(): %s", err.msg));
    for (int t = 0; t < nText && rc == SQLITE_OK; t++) {
      memcpy(pCur->aVec + (size_t)aiElem[t] * pCur->nDims, aTmp + (size_t)t * pCur->nDims,
             sizeof(float) * (size_t)pCur->nDims);
    }
  }
  sqlite3_free(aTmp);
  sqlite3_free(azText);
  sqlite3_free(anText);
  sqlite3_free(aiElem);
  if (rc != SQLITE_OK) cursor_reset(pCur);
  return rc;
}

static int eachNext(sqlite3_vtab_cursor *pCursor) {
  ((each_cursor *)pCursor)->i++;
  return SQLITE_OK;
}

static int eachEof(sqlite3_vtab_cursor *pCursor) {
  each_cursor *pCur = (each_cursor *)pCursor;
  return pCur->i >= pCur->n;
}

static int eachColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx, int iCol) {
  each_cursor *pCur = (each_cursor *)pCursor;
  json_t *pEl = json_array_get(pCur->pArray, (size_t)pCur->i);
  if (iCol == COL_I) {
    sqlite3_result_int(ctx, pCur->i);
  } else if (iCol == COL_TEXT && json_is_string(pEl)) {
    sqlite3_result_text64(ctx, json_string_value(pEl), json_string_length(pEl), SQLITE_TRANSIENT, SQLITE_UTF8);
  } else if (iCol == COL_EMBEDDING && json_is_string(pEl)) {
    sqlite3_result_blob(ctx, pCur->aVec + (size_t)pCur->i * pCur->nDims, pCur->nDims * 4, SQLITE_TRANSIENT);
    sqlite3_result_subtype(ctx, EMBED_SUBTYPE_F32);
  }
  return SQLITE_OK;
}

static int eachRowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *pRowid) {
  *pRowid = ((each_cursor *)pCursor)->i;
  return SQLITE_OK;
}

static const sqlite3_module each_module = {
    .iVersion = 0,
    .xConnect = eachConnect,
    .xBestIndex = eachBestIndex,
    .xDisconnect = eachDisconnect,
    .xOpen = eachOpen,
    .xClose = eachClose,
    .xFilter = eachFilter,
    .xNext = eachNext,
    .xEof = eachEof,
    .xColumn = eachColumn,
    .xRowid = eachRowid,
};

const sqlite3_module *embedEachModule(void) { return &each_module; }
