/*
** rerank_each.c — embed_rerank_each(query, json_array_of_documents [, model]),
** a table-valued function that scores one query against many documents with
** a cross-encoder in one batched call, as sentence-transformers'
** CrossEncoder.rank does.
**
**   SELECT i, score FROM embed_rerank_each('reset my password', '["doc one", "doc two"]', 'rr')
**    ORDER BY score DESC;
**
** embed_rerank() in a query's result columns is one encoder pass per row:
** the engine never sees more than one pair.  Here every pair goes to the
** engine at once, which sorts them by length and runs them in batches, so
** short pairs share passes and threads share the work.  Rows: i (0-based
** position), document, score (what embed_rerank gives the pair: a REAL, or
** a float32 vector for a model with several labels; NULL for a null
** element or a NULL query).  Scores are embed_rerank's, bit for bit.
*/
#include "ext_int.h"
#include "../tokenizer/wordpiece.h"
#include <string.h>

enum { COL_I, COL_DOCUMENT, COL_SCORE, COL_QUERY, COL_DOCUMENTS, COL_MODEL };

typedef struct rerank_cursor {
  sqlite3_vtab_cursor base; /* base class: must be first */
  embed_text_array docs;    /* the parsed documents */
  float *aScore;            /* docs.n x nLabel scores (NULL when the query is NULL) */
  int nLabel;               /* values per score */
  int i;                    /* current element */
} rerank_cursor;

static int rerankConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                         char **pzErr) {
  (void)argc, (void)argv, (void)pzErr;
  return embedFnConnect(
      db, pAux, "CREATE TABLE x(i INTEGER, document TEXT, score, query HIDDEN, documents HIDDEN, model HIDDEN)", ppVtab);
}

/* idxNum bit 1: query given, 2: documents, 4: model; arguments in that order. */
static int rerankBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo) {
  (void)pVtab;
  return embedHiddenArgsIndex(pInfo, COL_QUERY, 3, 1000, 50);
}

static int rerankOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  (void)pVtab;
  rerank_cursor *pCur = sqlite3_malloc64(sizeof(*pCur));
  if (!pCur) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  *ppCursor = &pCur->base;
  return SQLITE_OK;
}

static void cursor_reset(rerank_cursor *pCur) {
  embedTextArrayFree(&pCur->docs);
  sqlite3_free(pCur->aScore);
  pCur->aScore = NULL;
  pCur->nLabel = pCur->i = 0;
}

static int rerankClose(sqlite3_vtab_cursor *pCursor) {
  cursor_reset((rerank_cursor *)pCursor);
  sqlite3_free(pCursor);
  return SQLITE_OK;
}

/* The query as text (*pzQuery NULL for a NULL query), or the cursor's error. */
static int read_query(sqlite3_vtab_cursor *pCursor, sqlite3_value *pVal, const char **pzQuery, size_t *pnQuery) {
  *pzQuery = NULL;
  *pnQuery = 0;
  const int eType = sqlite3_value_type(pVal);
  if (eType == SQLITE_NULL) return SQLITE_OK;
  if (eType != SQLITE_TEXT) {
    return embedCursorError(pCursor, sqlite3_mprintf("embed_rerank_each(): argument 1 (query) must be TEXT, got %s",
                                                     embedTypeName(eType)));
  }
  *pzQuery = (const char *)sqlite3_value_text(pVal);
  *pnQuery = (size_t)sqlite3_value_bytes(pVal);
  if (!*pzQuery) return SQLITE_NOMEM;
  /* Checked here so that the error names the query: the engine would name
  ** the first of the pairs it is part of. */
  const size_t nValid = wp_utf8_valid_prefix(*pzQuery, *pnQuery);
  if (nValid != *pnQuery) {
    return embedCursorError(pCursor, sqlite3_mprintf("embed_rerank_each(): argument 1 (query): invalid UTF-8 at byte %llu",
                                                     (unsigned long long)nValid));
  }
  return SQLITE_OK;
}

/* Scores every string of pCur->docs against the query into pCur->aScore. */
static int score_all(sqlite3_vtab_cursor *pCursor, embed_slot *pSlot, const char *zQuery, size_t nQuery) {
  rerank_cursor *pCur = (rerank_cursor *)pCursor;
  const embed_text_array *pDocs = &pCur->docs;
  const int nPair = pDocs->nText ? pDocs->nText : 1;
  float *aTmp = sqlite3_malloc64((sqlite3_uint64)nPair * pCur->nLabel * sizeof(float));
  const char **azQuery = sqlite3_malloc64(sizeof(char *) * (size_t)nPair);
  size_t *anQuery = sqlite3_malloc64(sizeof(size_t) * (size_t)nPair);
  ee_context *pEngine = embedSlotContext(pSlot);
  int rc = SQLITE_OK;
  if (!aTmp || !azQuery || !anQuery || !pEngine) rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK && pDocs->nText > 0) {
    for (int t = 0; t < pDocs->nText; t++) {
      azQuery[t] = zQuery;
      anQuery[t] = nQuery;
    }
    ee_error err;
    ee_status st = ee_score_pairs(pEngine, pDocs->nText, azQuery, anQuery, pDocs->azText, pDocs->anText, aTmp, &err);
    if (st == EE_ERR_NOMEM) rc = SQLITE_NOMEM;
    else if (st != EE_OK) rc = embedCursorError(pCursor, sqlite3_mprintf("embed_rerank_each(): %s", err.msg));
    if (rc == SQLITE_OK) embedTextArrayScatter(pDocs, aTmp, pCur->nLabel, pCur->aScore);
  }
  sqlite3_free(aTmp);
  sqlite3_free(azQuery);
  sqlite3_free(anQuery);
  return rc;
}

static int rerankFilter(sqlite3_vtab_cursor *pCursor, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxStr, (void)argc;
  rerank_cursor *pCur = (rerank_cursor *)pCursor;
  embed_fn_vtab *p = (embed_fn_vtab *)pCursor->pVtab;
  cursor_reset(pCur);
  if ((idxNum & 3) != 3) {
    return embedCursorError(pCursor,
                            sqlite3_mprintf("embed_rerank_each(): needs a query and a JSON array of documents"));
  }
  embed_slot *pSlot;
  const char *zQuery = NULL;
  size_t nQuery = 0;
  int rc = embedCursorSlot(pCursor, p->pConn, "embed_rerank_each", 3, (idxNum & 4) ? argv[2] : NULL, &pSlot);
  if (rc == SQLITE_OK) rc = read_query(pCursor, argv[0], &zQuery, &nQuery);
  if (rc == SQLITE_OK) rc = embedTextArrayRead(pCursor, "embed_rerank_each", "argument 2 (documents)", argv[1], &pCur->docs);
  char *zErr = rc == SQLITE_OK ? embedSlotRerankerError(pSlot, "embed_rerank_each") : NULL;
  if (zErr) rc = embedCursorError(pCursor, sqlite3_mprintf("embed_rerank_each(): %z", zErr));
  if (rc == SQLITE_OK && zQuery && pCur->docs.n > 0) {
    ee_info info;
    ee_model_info(embedSlotModel(pSlot), &info);
    pCur->nLabel = info.labels;
    pCur->aScore = sqlite3_malloc64((sqlite3_uint64)pCur->docs.n * pCur->nLabel * sizeof(float));
    rc = pCur->aScore ? score_all(pCursor, pSlot, zQuery, nQuery) : SQLITE_NOMEM;
  }
  if (rc != SQLITE_OK) cursor_reset(pCur);
  return rc;
}

static int rerankNext(sqlite3_vtab_cursor *pCursor) {
  ((rerank_cursor *)pCursor)->i++;
  return SQLITE_OK;
}

static int rerankEof(sqlite3_vtab_cursor *pCursor) {
  rerank_cursor *pCur = (rerank_cursor *)pCursor;
  return pCur->i >= pCur->docs.n;
}

static int rerankColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx, int iCol) {
  rerank_cursor *pCur = (rerank_cursor *)pCursor;
  const char *zDoc;
  size_t nDoc;
  if (iCol == COL_I) {
    sqlite3_result_int(ctx, pCur->i);
  } else if (!embedTextArrayElement(&pCur->docs, pCur->i, &zDoc, &nDoc)) {
    /* a null element: every other column NULL */
  } else if (iCol == COL_DOCUMENT) {
    sqlite3_result_text64(ctx, zDoc, nDoc, SQLITE_TRANSIENT, SQLITE_UTF8);
  } else if (iCol == COL_SCORE && pCur->aScore) {
    const float *aScore = pCur->aScore + (size_t)pCur->i * pCur->nLabel;
    if (pCur->nLabel == 1) {
      sqlite3_result_double(ctx, (double)aScore[0]);
    } else {
      sqlite3_result_blob(ctx, aScore, pCur->nLabel * (int)sizeof(float), SQLITE_TRANSIENT);
      sqlite3_result_subtype(ctx, EMBED_SUBTYPE_F32);
    }
  }
  return SQLITE_OK;
}

static int rerankRowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *pRowid) {
  *pRowid = ((rerank_cursor *)pCursor)->i;
  return SQLITE_OK;
}

static const sqlite3_module rerank_module = {
    .iVersion = 0,
    .xConnect = rerankConnect,
    .xBestIndex = rerankBestIndex,
    .xDisconnect = embedFnDisconnect,
    .xOpen = rerankOpen,
    .xClose = rerankClose,
    .xFilter = rerankFilter,
    .xNext = rerankNext,
    .xEof = rerankEof,
    .xColumn = rerankColumn,
    .xRowid = rerankRowid,
};

const sqlite3_module *embedRerankEachModule(void) { return &rerank_module; }
