/*
** vec_each.c — vec_each(vector), a table-valued function with one row per
** dimension, as sqlite-vec's vec_each.
**
**   SELECT rowid, value FROM vec_each('[1, 2.5, 3]');        -- (0, 1.0) (1, 2.5) (2, 3.0)
**   SELECT max(value) FROM vec_each(embed('a cat'));
**   SELECT rowid FROM vec_each(vec_quantize_binary(?)) WHERE value = 1;
**
** rowid is the dimension, value the element: a REAL of a float32 vector,
** an INTEGER of an int8 one, 0 or 1 of a bit vector (dimension i is bit
** i % 8 of byte i / 8, as vec_quantize_binary sets it and vec_to_json
** prints it; sqlite-vec 0.1.9's vec_each reads each byte's bits the other
** way round).  NULL gives no rows; a value that is not a vector is an error
** naming what is wrong (sqlite-vec says "SQL logic error").
*/
#include "ext_int.h"
#include "vec_arg.h"
#include <string.h>

enum { COL_VALUE, COL_VECTOR };

typedef struct each_cursor {
  sqlite3_vtab_cursor base; /* base class: must be first */
  int eType;                /* VEC_F32, VEC_I8 or VEC_BIT */
  int n;                    /* dimensions */
  int i;                    /* current dimension */
  void *pData;              /* the vector's elements (bytes of bits), sqlite3_malloc'd */
} each_cursor;

static int vecEachConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                          char **pzErr) {
  (void)pAux;
  (void)argc;
  (void)argv;
  (void)pzErr;
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(value, vector HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  sqlite3_vtab *p = sqlite3_malloc64(sizeof(*p));
  if (!p) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  *ppVtab = p;
  return SQLITE_OK;
}

static int vecEachDisconnect(sqlite3_vtab *pVtab) {
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

/* idxNum bit 1: the vector is given. */
static int vecEachBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo) {
  (void)pVtab;
  return embedHiddenArgsIndex(pInfo, COL_VECTOR, 1, 100, 1000);
}

static int vecEachOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  (void)pVtab;
  each_cursor *pCur = sqlite3_malloc64(sizeof(*pCur));
  if (!pCur) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  *ppCursor = &pCur->base;
  return SQLITE_OK;
}

static int vecEachClose(sqlite3_vtab_cursor *pCursor) {
  sqlite3_free(((each_cursor *)pCursor)->pData);
  sqlite3_free(pCursor);
  return SQLITE_OK;
}

static int vecEachFilter(sqlite3_vtab_cursor *pCursor, int idxNum, const char *idxStr, int argc,
                         sqlite3_value **argv) {
  (void)idxStr;
  (void)argc;
  each_cursor *pCur = (each_cursor *)pCursor;
  sqlite3_free(pCur->pData);
  pCur->pData = NULL;
  pCur->n = pCur->i = 0;
  if (!(idxNum & 1)) return embedCursorError(pCursor, sqlite3_mprintf("vec_each(): needs a vector argument"));
  vec_arg a;
  char *zErr;
  const int rc = vecArgParse(0, argv[0], VEC_F32 | VEC_I8 | VEC_BIT, &a, &zErr);
  if (rc == SQLITE_DONE) return SQLITE_OK; /* NULL: no rows */
  if (rc == SQLITE_NOMEM) return SQLITE_NOMEM;
  if (rc != SQLITE_OK) return embedCursorError(pCursor, sqlite3_mprintf("vec_each(): %z", zErr));
  /* argv[0]'s BLOB may not outlive this call: keep a copy */
  const size_t nByte = (size_t)vecByteCount(a.eType, a.n);
  if (a.aOwned) {
    pCur->pData = a.aOwned; /* takes it */
  } else if ((pCur->pData = sqlite3_malloc64(nByte)) != NULL) {
    memcpy(pCur->pData, vecArgElems(&a), nByte);
  } else {
    return SQLITE_NOMEM;
  }
  pCur->eType = a.eType;
  pCur->n = a.n;
  return SQLITE_OK;
}

static int vecEachNext(sqlite3_vtab_cursor *pCursor) {
  ((each_cursor *)pCursor)->i++;
  return SQLITE_OK;
}

static int vecEachEof(sqlite3_vtab_cursor *pCursor) {
  each_cursor *pCur = (each_cursor *)pCursor;
  return pCur->i >= pCur->n;
}

static int vecEachColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx, int iCol) {
  each_cursor *pCur = (each_cursor *)pCursor;
  const int i = pCur->i;
  if (iCol != COL_VALUE) return SQLITE_OK; /* the hidden argument reads as NULL */
  if (pCur->eType == VEC_F32) sqlite3_result_double(ctx, ((const float *)pCur->pData)[i]);
  else if (pCur->eType == VEC_I8) sqlite3_result_int(ctx, ((const int8_t *)pCur->pData)[i]);
  else sqlite3_result_int(ctx, (((const uint8_t *)pCur->pData)[i / 8] >> (i % 8)) & 1);
  return SQLITE_OK;
}

static int vecEachRowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *pRowid) {
  *pRowid = ((each_cursor *)pCursor)->i;
  return SQLITE_OK;
}

static const sqlite3_module vec_each_module = {
    .iVersion = 0,
    .xConnect = vecEachConnect,
    .xBestIndex = vecEachBestIndex,
    .xDisconnect = vecEachDisconnect,
    .xOpen = vecEachOpen,
    .xClose = vecEachClose,
    .xFilter = vecEachFilter,
    .xNext = vecEachNext,
    .xEof = vecEachEof,
    .xColumn = vecEachColumn,
    .xRowid = vecEachRowid,
};

const sqlite3_module *vecEachModule(void) { return &vec_each_module; }
