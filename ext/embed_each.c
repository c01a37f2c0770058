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
#include <string.h>

enum { COL_I, COL_TEXT, COL_EMBEDDING, COL_TEXTS, COL_MODEL };

typedef struct each_cursor {
  sqlite3_vtab_cursor base; /* base class: must be first */
  embed_text_array texts;   /* the parsed texts */
  float *aVec;              /* texts.n x nDims vectors, sqlite3_malloc'd */
  int nDims;                /* floats per vector */
  int i;                    /* current element */
} each_cursor;

static int eachConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                       char **pzErr) {
  (void)argc, (void)argv, (void)pzErr;
  return embedFnConnect(db, pAux, "CREATE TABLE x(i INTEGER, text TEXT, embedding BLOB, texts HIDDEN, model HIDDEN)",
                        ppVtab);
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
  embedTextArrayFree(&pCur->texts);
  sqlite3_free(pCur->aVec);
  pCur->aVec = NULL;
  pCur->i = 0;
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
  embed_fn_vtab *p = (embed_fn_vtab *)pCursor->pVtab;
  cursor_reset(pCur);
  if (!(idxNum & 1)) return embedCursorError(pCursor, sqlite3_mprintf("embed_each(): needs a JSON array of texts"));
  embed_slot *pSlot;
  int rc = embedCursorSlot(pCursor, p->pConn, "embed_each", 2, (idxNum & 2) ? argv[1] : NULL, &pSlot);
  if (rc == SQLITE_OK) rc = embedTextArrayRead(pCursor, "embed_each", "argument 1", argv[0], &pCur->texts);
  char *zErr = rc == SQLITE_OK ? embedSlotCrossEncoderError(pSlot) : NULL;
  if (zErr) rc = embedCursorError(pCursor, sqlite3_mprintf("embed_each(): %z", zErr));
  if (rc != SQLITE_OK || pCur->texts.n == 0) {
    cursor_reset(pCur);
    return rc;
  }
  ee_context *pEngine = embedSlotContext(pSlot);
  const embed_text_array *pTexts = &pCur->texts;
  pCur->nDims = ee_model_dims(embedSlotModel(pSlot));
  pCur->aVec = sqlite3_malloc64((sqlite3_uint64)pTexts->n * pCur->nDims * sizeof(float));
  /* Only the strings go to the encoder; null elements get a NULL row. */
  float *aTmp = sqlite3_malloc64((sqlite3_uint64)(pTexts->nText ? pTexts->nText : 1) * pCur->nDims * sizeof(float));
  if (!pEngine || !pCur->aVec || !aTmp) rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK && pTexts->nText > 0) {
    ee_error err;
    ee_status st = ee_embed_texts_prompted(pEngine, pSlot->zPrompt, pTexts->nText, pTexts->azText, pTexts->anText,
                                           aTmp, &err);
    if (st == EE_ERR_NOMEM) rc = SQLITE_NOMEM;
    else if (st != EE_OK) rc = embedCursorError(pCursor, sqlite3_mprintf("embed_each(): %s", err.msg));
    if (rc == SQLITE_OK) embedTextArrayScatter(pTexts, aTmp, pCur->nDims, pCur->aVec);
  }
  sqlite3_free(aTmp);
  if (rc != SQLITE_OK) cursor_reset(pCur);
  return rc;
}

static int eachNext(sqlite3_vtab_cursor *pCursor) {
  ((each_cursor *)pCursor)->i++;
  return SQLITE_OK;
}

static int eachEof(sqlite3_vtab_cursor *pCursor) {
  each_cursor *pCur = (each_cursor *)pCursor;
  return pCur->i >= pCur->texts.n;
}

static int eachColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx, int iCol) {
  each_cursor *pCur = (each_cursor *)pCursor;
  const char *zText;
  size_t nText;
  if (iCol == COL_I) {
    sqlite3_result_int(ctx, pCur->i);
  } else if (!embedTextArrayElement(&pCur->texts, pCur->i, &zText, &nText)) {
    /* a null element: every other column NULL */
  } else if (iCol == COL_TEXT) {
    sqlite3_result_text64(ctx, zText, nText, SQLITE_TRANSIENT, SQLITE_UTF8);
  } else if (iCol == COL_EMBEDDING) {
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
    .xDisconnect = embedFnDisconnect,
    .xOpen = eachOpen,
    .xClose = eachClose,
    .xFilter = eachFilter,
    .xNext = eachNext,
    .xEof = eachEof,
    .xColumn = eachColumn,
    .xRowid = eachRowid,
};

const sqlite3_module *embedEachModule(void) { return &each_module; }
