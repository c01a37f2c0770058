/*
** index_store.c — where an embed_index keeps its vectors: the shadow tables
** described in index_int.h, and the slot allocation inside chunks.
**
** Every write goes through SQLite (SQL statements and incremental BLOB I/O
** on the same connection), so the index is exactly as durable and as
** transactional as the user's own tables: a ROLLBACK undoes it, a crash
** leaves it at the last commit, VACUUM and backups carry it.
**
** BLOB handles count as running statements and would block COMMIT, so they
** are opened for a burst of writes and closed with indexStoreCloseBlobs()
** before control returns to SQLite.
*/
#include "index_int.h"
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

/* Shadow table names and their schemas, one constant per table. */
#define SHADOW_CONFIG "CREATE TABLE \"%w\".\"%w_config\"(key TEXT PRIMARY KEY, value) WITHOUT ROWID"
#define SHADOW_CHUNKS "CREATE TABLE \"%w\".\"%w_chunks\"(id INTEGER PRIMARY KEY, valid BLOB, rowids BLOB, vectors BLOB)"
#define SHADOW_ROWIDS "CREATE TABLE \"%w\".\"%w_rowids\"(rowid INTEGER PRIMARY KEY, chunk INTEGER NOT NULL, slot INTEGER NOT NULL)"
#define SHADOW_FREECHUNKS "CREATE TABLE \"%w\".\"%w_freechunks\"(id INTEGER PRIMARY KEY)"
#define SHADOW_CONTENT "CREATE TABLE \"%w\".\"%w_content\"(rowid INTEGER PRIMARY KEY, text)"

int indexExec(index_vtab *p, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *zSql = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  if (!zSql) return SQLITE_NOMEM;
  int rc = sqlite3_exec(p->db, zSql, 0, 0, 0);
  sqlite3_free(zSql);
  return rc;
}

int indexPrepare(index_vtab *p, sqlite3_stmt **ppStmt, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *zSql = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  *ppStmt = NULL;
  if (!zSql) return SQLITE_NOMEM;
  int rc = sqlite3_prepare_v2(p->db, zSql, -1, ppStmt, 0);
  sqlite3_free(zSql);
  return rc;
}

/* Each index_stmt's SQL: the schema and table name, once or twice. */
static const char *const azStmtSql[STMT_COUNT] = {
    [STMT_LOCATE] = "SELECT chunk, slot FROM \"%w\".\"%w_rowids\" WHERE rowid = ?1",
    [STMT_FREE_FIRST] = "SELECT id FROM \"%w\".\"%w_freechunks\" ORDER BY id LIMIT 1",
    [STMT_FREE_ADD] = "INSERT OR IGNORE INTO \"%w\".\"%w_freechunks\"(id) VALUES (?1)",
    [STMT_ROWID_ADD] = "INSERT INTO \"%w\".\"%w_rowids\"(rowid, chunk, slot) VALUES (?1, ?2, ?3)",
    [STMT_ROWID_REMOVE] = "DELETE FROM \"%w\".\"%w_rowids\" WHERE rowid = ?1",
    [STMT_CONTENT_HAS] = "SELECT 1 FROM \"%w\".\"%w_content\" WHERE rowid = ?1",
    [STMT_CONTENT_PUT] = "REPLACE INTO \"%w\".\"%w_content\"(rowid, text) VALUES (?1, ?2)",
    [STMT_CONTENT_REMOVE] = "DELETE FROM \"%w\".\"%w_content\" WHERE rowid = ?1",
    [STMT_MAX_ROWID] = "SELECT max(coalesce((SELECT max(rowid) FROM \"%w\".\"%w_rowids\"), 0),"
                       " coalesce((SELECT max(rowid) FROM \"%w\".\"%w_content\"), 0))",
};

int indexStmt(index_vtab *p, index_stmt eStmt, sqlite3_stmt **ppStmt) {
  int rc = SQLITE_OK;
  if (!p->apStmt[eStmt]) {
    rc = indexPrepare(p, &p->apStmt[eStmt], azStmtSql[eStmt], p->zSchema, p->zName, p->zSchema, p->zName);
  }
  *ppStmt = p->apStmt[eStmt];
  return rc;
}

int indexStmtRun(sqlite3_stmt *pStmt) {
  int rc = sqlite3_step(pStmt);
  int rcReset = sqlite3_reset(pStmt);
  sqlite3_clear_bindings(pStmt); /* drops the copy of a bound text */
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) return rcReset;
  return rc;
}

int indexStmtRunId(index_vtab *p, index_stmt eStmt, sqlite3_int64 iId) {
  sqlite3_stmt *pStmt;
  int rc = indexStmt(p, eStmt, &pStmt);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_int64(pStmt, 1, iId);
  return indexStmtRun(pStmt);
}

void indexStmtsFinalize(index_vtab *p) {
  for (int i = 0; i < STMT_COUNT; i++) {
    sqlite3_finalize(p->apStmt[i]);
    p->apStmt[i] = NULL;
  }
}

int indexStoreCreate(index_vtab *p) {
  int rc = indexExec(p, SHADOW_CONFIG, p->zSchema, p->zName);
  if (rc == SQLITE_OK) rc = indexExec(p, SHADOW_CHUNKS, p->zSchema, p->zName);
  if (rc == SQLITE_OK) rc = indexExec(p, SHADOW_ROWIDS, p->zSchema, p->zName);
  if (rc == SQLITE_OK) rc = indexExec(p, SHADOW_FREECHUNKS, p->zSchema, p->zName);
  if (rc == SQLITE_OK && !p->zContent) rc = indexExec(p, SHADOW_CONTENT, p->zSchema, p->zName);
  return rc;
}

int indexStoreDestroy(index_vtab *p) {
  indexStoreCloseBlobs(p);
  indexStmtsFinalize(p); /* a prepared statement on a table would block DROP */
  return indexExec(p,
                   "DROP TABLE IF EXISTS \"%w\".\"%w_config\";"
                   "DROP TABLE IF EXISTS \"%w\".\"%w_chunks\";"
                   "DROP TABLE IF EXISTS \"%w\".\"%w_rowids\";"
                   "DROP TABLE IF EXISTS \"%w\".\"%w_freechunks\";"
                   "DROP TABLE IF EXISTS \"%w\".\"%w_content\";",
                   p->zSchema, p->zName, p->zSchema, p->zName, p->zSchema, p->zName, p->zSchema,
                   p->zName, p->zSchema, p->zName);
}

int indexStoreConfigGet(index_vtab *p, const char *zKey, sqlite3_int64 *piVal, char **pzVal) {
  sqlite3_stmt *pStmt;
  int rc = indexPrepare(p, &pStmt, "SELECT value FROM \"%w\".\"%w_config\" WHERE key = ?", p->zSchema, p->zName);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_text(pStmt, 1, zKey, -1, SQLITE_STATIC);
  rc = sqlite3_step(pStmt);
  if (rc == SQLITE_ROW) {
    if (piVal) *piVal = sqlite3_column_int64(pStmt, 0);
    if (pzVal) {
      const unsigned char *z = sqlite3_column_text(pStmt, 0);
      *pzVal = z ? sqlite3_mprintf("%s", z) : NULL;
      if (z && !*pzVal) rc = SQLITE_NOMEM;
    }
    if (rc == SQLITE_ROW) rc = SQLITE_OK;
  } else if (rc == SQLITE_DONE) {
    rc = SQLITE_NOTFOUND;
  }
  sqlite3_finalize(pStmt);
  return rc;
}

int indexStoreConfigSet(index_vtab *p, const char *zKey, sqlite3_int64 iVal, const char *zVal) {
  sqlite3_stmt *pStmt;
  int rc = indexPrepare(p, &pStmt, "REPLACE INTO \"%w\".\"%w_config\"(key, value) VALUES (?, ?)", p->zSchema,
                        p->zName);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_text(pStmt, 1, zKey, -1, SQLITE_STATIC);
  if (zVal) sqlite3_bind_text(pStmt, 2, zVal, -1, SQLITE_STATIC);
  else sqlite3_bind_int64(pStmt, 2, iVal);
  rc = sqlite3_step(pStmt);
  sqlite3_finalize(pStmt);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

void indexStoreCloseBlobs(index_vtab *p) {
  /* Forget the handles before closing them: a close that fails (out of
  ** memory) rolls back, and xRollback comes back here. */
  sqlite3_blob *apBlob[3] = {p->pBlobValid, p->pBlobRowids, p->pBlobVectors};
  p->pBlobValid = p->pBlobRowids = p->pBlobVectors = NULL;
  for (int i = 0; i < 3; i++) sqlite3_blob_close(apBlob[i]);
}

/* The rowid stored in slot iSlot of a chunk's rowids BLOB (int64 LE). */
static sqlite3_int64 slot_rowid(const unsigned char *aRowid, int iSlot) {
  sqlite3_uint64 r = 0;
  for (int b = 0; b < 8; b++) r |= (sqlite3_uint64)aRowid[iSlot * 8 + b] << (8 * b);
  return (sqlite3_int64)r;
}

/* Bytes of a chunk's vectors BLOB: nChunk float32 vectors. */
static sqlite3_int64 chunk_vector_bytes(const index_vtab *p) { return (sqlite3_int64)p->nChunk * p->nDims * 4; }

/* Whether a chunk row's BLOBs have the sizes this table writes. */
static int chunk_sizes_ok(index_vtab *p, sqlite3_int64 nValid, sqlite3_int64 nRowid, sqlite3_int64 nVec) {
  return nValid == p->nChunk / 8 && nRowid == p->nChunk * 8 && nVec == chunk_vector_bytes(p);
}

/* Points the three BLOB handles at chunk iChunk, opening them if needed. */
static int blobs_open(index_vtab *p, sqlite3_int64 iChunk) {
  char *zTable = sqlite3_mprintf("%s_chunks", p->zName);
  if (!zTable) return SQLITE_NOMEM;
  int rc = SQLITE_OK;
  sqlite3_blob **apBlob[3] = {&p->pBlobValid, &p->pBlobRowids, &p->pBlobVectors};
  static const char *azCol[3] = {"valid", "rowids", "vectors"};
  for (int i = 0; i < 3 && rc == SQLITE_OK; i++) {
    if (*apBlob[i]) {
      rc = sqlite3_blob_reopen(*apBlob[i], iChunk);
      if (rc != SQLITE_OK) {
        sqlite3_blob_close(*apBlob[i]);
        *apBlob[i] = NULL;
      }
    }
    if (!*apBlob[i]) rc = sqlite3_blob_open(p->db, p->zSchema, zTable, azCol[i], iChunk, 1, apBlob[i]);
  }
  sqlite3_free(zTable);
  if (rc == SQLITE_OK) {
    /* A chunk whose blobs have the wrong size was not written by us. */
    if (!chunk_sizes_ok(p, sqlite3_blob_bytes(p->pBlobValid), sqlite3_blob_bytes(p->pBlobRowids),
                        sqlite3_blob_bytes(p->pBlobVectors))) {
      rc = SQLITE_CORRUPT_VTAB;
    }
  }
  if (rc != SQLITE_OK) indexStoreCloseBlobs(p);
  return rc;
}

/* Returns the id of a chunk with a free slot, creating one when none has. */
static int chunk_with_space(index_vtab *p, sqlite3_int64 *piChunk) {
  sqlite3_stmt *pStmt;
  int rc = indexStmt(p, STMT_FREE_FIRST, &pStmt);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_step(pStmt);
  if (rc == SQLITE_ROW) *piChunk = sqlite3_column_int64(pStmt, 0);
  int rcReset = sqlite3_reset(pStmt);
  if (rc == SQLITE_ROW) return rcReset;
  if (rc != SQLITE_DONE) return rc;
  rc = indexExec(p,
                 "INSERT INTO \"%w\".\"%w_chunks\"(valid, rowids, vectors) VALUES (zeroblob(%d), zeroblob(%d), zeroblob(%lld));"
                 "INSERT INTO \"%w\".\"%w_freechunks\"(id) VALUES (last_insert_rowid());",
                 p->zSchema, p->zName, p->nChunk / 8, p->nChunk * 8,
                 (long long)chunk_vector_bytes(p), p->zSchema, p->zName);
  if (rc == SQLITE_OK) *piChunk = sqlite3_last_insert_rowid(p->db);
  return rc;
}

/* Longest run of consecutive slots written with one BLOB write. */
#define INSERT_RUN_MAX 64

/* Fills free slots of chunk iChunk, lowest first, with vectors from
** aRowid/aVec until the chunk is full or all n are stored; *pnDone says
** how many it stored.  Consecutive free slots take consecutive vectors in
** one BLOB write each, so a bulk insert writes a chunk's pages once. */
static int chunk_fill(index_vtab *p, sqlite3_int64 iChunk, int n, const sqlite3_int64 *aRowid, const float *aVec,
                      int *pnDone) {
  *pnDone = 0;
  int rc = blobs_open(p, iChunk);
  unsigned char aValid[EMBED_INDEX_CHUNK_MAX / 8];
  const int nValidBytes = p->nChunk / 8;
  if (rc == SQLITE_OK) rc = sqlite3_blob_read(p->pBlobValid, aValid, nValidBytes, 0);
  if (rc != SQLITE_OK) return rc;
  sqlite3_stmt *pAdd;
  rc = indexStmt(p, STMT_ROWID_ADD, &pAdd);
  int iSlot = 0, nDone = 0;
  const size_t nVecBytes = (size_t)p->nDims * 4;
  while (rc == SQLITE_OK && nDone < n) {
    while (iSlot < p->nChunk && (aValid[iSlot / 8] & (1u << (iSlot % 8)))) iSlot++;
    if (iSlot == p->nChunk) break;
    int nRun = 0;
    unsigned char aRowidBytes[INSERT_RUN_MAX * 8];
    while (nRun < INSERT_RUN_MAX && nDone + nRun < n && iSlot + nRun < p->nChunk &&
           !(aValid[(iSlot + nRun) / 8] & (1u << ((iSlot + nRun) % 8)))) {
      sqlite3_uint64 r = (sqlite3_uint64)aRowid[nDone + nRun];
      for (int b = 0; b < 8; b++) aRowidBytes[nRun * 8 + b] = (unsigned char)(r >> (8 * b));
      aValid[(iSlot + nRun) / 8] |= (unsigned char)(1u << ((iSlot + nRun) % 8));
      nRun++;
    }
    rc = sqlite3_blob_write(p->pBlobVectors, aVec + (size_t)nDone * p->nDims, (int)(nRun * nVecBytes),
                            (int)(iSlot * nVecBytes));
    if (rc == SQLITE_OK) rc = sqlite3_blob_write(p->pBlobRowids, aRowidBytes, nRun * 8, iSlot * 8);
    for (int j = 0; j < nRun && rc == SQLITE_OK; j++) {
      sqlite3_bind_int64(pAdd, 1, aRowid[nDone + j]);
      sqlite3_bind_int64(pAdd, 2, iChunk);
      sqlite3_bind_int(pAdd, 3, iSlot + j);
      rc = indexStmtRun(pAdd);
    }
    iSlot += nRun;
    nDone += nRun;
  }
  if (rc == SQLITE_OK && nDone == 0) rc = SQLITE_CORRUPT_VTAB; /* listed as free but full */
  if (rc == SQLITE_OK) rc = sqlite3_blob_write(p->pBlobValid, aValid, nValidBytes, 0);
  int bFull = 1;
  for (int i = 0; i < nValidBytes && bFull; i++) bFull = aValid[i] == 0xff;
  if (rc == SQLITE_OK && bFull) {
    rc = indexExec(p, "DELETE FROM \"%w\".\"%w_freechunks\" WHERE id = %lld", p->zSchema, p->zName,
                   (long long)iChunk);
  }
  *pnDone = nDone;
  return rc;
}

int indexStoreInsert(index_vtab *p, int n, const sqlite3_int64 *aRowid, const float *aVec) {
  indexCacheDrop(p);
  int rc = SQLITE_OK;
  for (int nStored = 0; nStored < n && rc == SQLITE_OK;) {
    sqlite3_int64 iChunk = 0;
    int nDone = 0;
    rc = chunk_with_space(p, &iChunk);
    if (rc == SQLITE_OK) {
      rc = chunk_fill(p, iChunk, n - nStored, aRowid + nStored, aVec + (size_t)nStored * p->nDims, &nDone);
    }
    nStored += nDone;
  }
  return rc;
}

/* Where rowid's vector lives; SQLITE_NOTFOUND if it has none. */
static int locate(index_vtab *p, sqlite3_int64 iRowid, sqlite3_int64 *piChunk, int *piSlot) {
  sqlite3_stmt *pStmt;
  int rc = indexStmt(p, STMT_LOCATE, &pStmt);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_int64(pStmt, 1, iRowid);
  rc = sqlite3_step(pStmt);
  if (rc == SQLITE_ROW) {
    *piChunk = sqlite3_column_int64(pStmt, 0);
    *piSlot = sqlite3_column_int(pStmt, 1);
    rc = (*piSlot >= 0 && *piSlot < p->nChunk) ? SQLITE_OK : SQLITE_CORRUPT_VTAB;
  } else if (rc == SQLITE_DONE) {
    rc = SQLITE_NOTFOUND;
  }
  sqlite3_reset(pStmt);
  return rc;
}

int indexStoreExists(index_vtab *p, sqlite3_int64 iRowid, int *pbExists) {
  sqlite3_int64 iChunk;
  int iSlot;
  int rc = locate(p, iRowid, &iChunk, &iSlot);
  *pbExists = rc == SQLITE_OK;
  return rc == SQLITE_NOTFOUND ? SQLITE_OK : rc;
}

int indexStoreDelete(index_vtab *p, sqlite3_int64 iRowid, int *pbFound) {
  indexCacheDrop(p);
  sqlite3_int64 iChunk;
  int iSlot;
  *pbFound = 0;
  int rc = locate(p, iRowid, &iChunk, &iSlot);
  if (rc == SQLITE_NOTFOUND) rc = SQLITE_OK;
  else if (rc == SQLITE_OK) {
    *pbFound = 1;
    unsigned char b;
    rc = blobs_open(p, iChunk);
    if (rc == SQLITE_OK) rc = sqlite3_blob_read(p->pBlobValid, &b, 1, iSlot / 8);
    if (rc == SQLITE_OK) {
      b &= (unsigned char)~(1u << (iSlot % 8));
      rc = sqlite3_blob_write(p->pBlobValid, &b, 1, iSlot / 8);
    }
    indexStoreCloseBlobs(p); /* the statements below must not run under open handles */
    if (rc == SQLITE_OK) rc = indexStmtRunId(p, STMT_ROWID_REMOVE, iRowid);
    if (rc == SQLITE_OK) rc = indexStmtRunId(p, STMT_FREE_ADD, iChunk);
  }
  return rc;
}

int indexStoreReplace(index_vtab *p, sqlite3_int64 iRowid, const float *aVec, int *pbFound) {
  indexCacheDrop(p);
  sqlite3_int64 iChunk;
  int iSlot;
  *pbFound = 0;
  int rc = locate(p, iRowid, &iChunk, &iSlot);
  if (rc == SQLITE_NOTFOUND) return SQLITE_OK;
  unsigned char b = 0;
  if (rc == SQLITE_OK) rc = blobs_open(p, iChunk);
  if (rc == SQLITE_OK) rc = sqlite3_blob_read(p->pBlobValid, &b, 1, iSlot / 8);
  /* the rowid map points at a free slot: not a table this code wrote */
  if (rc == SQLITE_OK && !(b & (1u << (iSlot % 8)))) rc = SQLITE_CORRUPT_VTAB;
  if (rc == SQLITE_OK) {
    const int nVecBytes = p->nDims * 4;
    rc = sqlite3_blob_write(p->pBlobVectors, aVec, nVecBytes, iSlot * nVecBytes);
  }
  *pbFound = rc == SQLITE_OK;
  indexStoreCloseBlobs(p);
  return rc;
}

void indexReaderClose(index_reader *pReader) {
  sqlite3_blob_close(pReader->pBlob);
  pReader->pBlob = NULL;
}

/* Points pReader at chunk iChunk's vectors, opening or moving its handle. */
static int reader_seek(index_vtab *p, index_reader *pReader, sqlite3_int64 iChunk) {
  if (pReader->pBlob && pReader->iChunk == iChunk) return SQLITE_OK;
  int rc = SQLITE_ERROR;
  if (pReader->pBlob) rc = sqlite3_blob_reopen(pReader->pBlob, iChunk);
  if (rc != SQLITE_OK) {
    indexReaderClose(pReader);
    char *zTable = sqlite3_mprintf("%s_chunks", p->zName);
    if (!zTable) return SQLITE_NOMEM;
    rc = sqlite3_blob_open(p->db, p->zSchema, zTable, "vectors", iChunk, 0, &pReader->pBlob);
    sqlite3_free(zTable);
    if (rc != SQLITE_OK) {
      indexReaderClose(pReader); /* a failed open may still return a handle to close */
      return rc;
    }
  }
  pReader->iChunk = iChunk;
  if (sqlite3_blob_bytes(pReader->pBlob) != chunk_vector_bytes(p)) {
    indexReaderClose(pReader); /* so the next read of this chunk checks again */
    return SQLITE_CORRUPT_VTAB;
  }
  return SQLITE_OK;
}

int indexStoreRead(index_vtab *p, index_reader *pReader, sqlite3_int64 iRowid, float *aVec) {
  sqlite3_int64 iChunk;
  int iSlot;
  int rc = locate(p, iRowid, &iChunk, &iSlot);
  if (rc != SQLITE_OK) return rc;
  rc = reader_seek(p, pReader, iChunk);
  if (rc == SQLITE_OK) rc = sqlite3_blob_read(pReader->pBlob, aVec, p->nDims * 4, iSlot * p->nDims * 4);
  if (rc == SQLITE_ABORT) {
    /* an SQL write of that row expired the kept handle: read through a fresh one */
    indexReaderClose(pReader);
    rc = reader_seek(p, pReader, iChunk);
    if (rc == SQLITE_OK) rc = sqlite3_blob_read(pReader->pBlob, aVec, p->nDims * 4, iSlot * p->nDims * 4);
  }
  return rc;
}

int indexStoreClear(index_vtab *p) {
  indexCacheDrop(p);
  indexStoreCloseBlobs(p);
  return indexExec(p,
                   "DELETE FROM \"%w\".\"%w_chunks\";"
                   "DELETE FROM \"%w\".\"%w_rowids\";"
                   "DELETE FROM \"%w\".\"%w_freechunks\";",
                   p->zSchema, p->zName, p->zSchema, p->zName, p->zSchema, p->zName);
}

int indexStoreScan(index_vtab *p, int (*xVisit)(void *pCtx, sqlite3_int64 iRowid, const float *aVec), void *pCtx) {
  sqlite3_stmt *pStmt;
  int rc = indexPrepare(p, &pStmt, "SELECT valid, rowids, vectors FROM \"%w\".\"%w_chunks\"", p->zSchema, p->zName);
  if (rc != SQLITE_OK) return rc;
  float *aAligned = NULL; /* column BLOBs carry no alignment promise */
  while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    const unsigned char *aValid = sqlite3_column_blob(pStmt, 0);
    const unsigned char *aRowid = sqlite3_column_blob(pStmt, 1);
    const float *aVec = sqlite3_column_blob(pStmt, 2);
    int nVec = sqlite3_column_bytes(pStmt, 2);
    if (!chunk_sizes_ok(p, sqlite3_column_bytes(pStmt, 0), sqlite3_column_bytes(pStmt, 1), nVec) || !aValid ||
        !aRowid || !aVec) {
      rc = SQLITE_CORRUPT_VTAB;
      break;
    }
    if (((uintptr_t)aVec & 3) != 0) {
      if (!aAligned) aAligned = sqlite3_malloc64((sqlite3_uint64)nVec);
      if (!aAligned) {
        rc = SQLITE_NOMEM;
        break;
      }
      memcpy(aAligned, aVec, (size_t)nVec);
      aVec = aAligned;
    }
    for (int s = 0; s < p->nChunk && rc == SQLITE_ROW; s++) {
      if (!(aValid[s / 8] & (1u << (s % 8)))) continue;
      int rcVisit = xVisit(pCtx, slot_rowid(aRowid, s), aVec + (size_t)s * p->nDims);
      if (rcVisit != SQLITE_OK) rc = rcVisit;
    }
    if (rc != SQLITE_ROW) break;
  }
  if (rc == SQLITE_DONE) rc = SQLITE_OK;
  sqlite3_free(aAligned);
  sqlite3_finalize(pStmt);
  return rc;
}

int indexStoreIntegrity(index_vtab *p, char **pzProblem) {
  *pzProblem = NULL;
  indexStoreCloseBlobs(p);
  sqlite3_stmt *pStmt;
  int rc = indexPrepare(p, &pStmt, "SELECT id, valid, rowids, length(vectors) FROM \"%w\".\"%w_chunks\"", p->zSchema,
                        p->zName);
  if (rc != SQLITE_OK) return rc;
  sqlite3_int64 nValid = 0;
  while (!*pzProblem && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    sqlite3_int64 iChunk = sqlite3_column_int64(pStmt, 0);
    const unsigned char *aValid = sqlite3_column_blob(pStmt, 1);
    const unsigned char *aRowid = sqlite3_column_blob(pStmt, 2);
    if (!chunk_sizes_ok(p, sqlite3_column_bytes(pStmt, 1), sqlite3_column_bytes(pStmt, 2),
                        sqlite3_column_int64(pStmt, 3)) || !aValid || !aRowid) {
      *pzProblem = sqlite3_mprintf("chunk %lld has BLOBs of the wrong size", (long long)iChunk);
      break;
    }
    for (int s = 0; s < p->nChunk && !*pzProblem; s++) {
      if (!(aValid[s / 8] & (1u << (s % 8)))) continue;
      nValid++;
      sqlite3_int64 r = slot_rowid(aRowid, s);
      sqlite3_int64 iAt = 0;
      int iSlot = -1;
      int rcLoc = locate(p, r, &iAt, &iSlot);
      if (rcLoc == SQLITE_NOMEM) rc = SQLITE_NOMEM;
      if (rcLoc != SQLITE_OK || iAt != iChunk || iSlot != s) {
        *pzProblem = sqlite3_mprintf("chunk %lld slot %d holds rowid %lld, which %s_rowids does not place there",
                                     (long long)iChunk, s, (long long)r, p->zName);
      }
    }
  }
  sqlite3_finalize(pStmt);
  if (rc == SQLITE_NOMEM) return rc;
  if (!*pzProblem) {
    rc = indexPrepare(p, &pStmt, "SELECT count(*) FROM \"%w\".\"%w_rowids\"", p->zSchema, p->zName);
    if (rc != SQLITE_OK) return rc;
    sqlite3_int64 nRowids = sqlite3_step(pStmt) == SQLITE_ROW ? sqlite3_column_int64(pStmt, 0) : -1;
    sqlite3_finalize(pStmt);
    if (nRowids != nValid) {
      *pzProblem = sqlite3_mprintf("%s_rowids lists %lld rows but the chunks hold %lld vectors", p->zName,
                                   (long long)nRowids, (long long)nValid);
    }
  }
  return SQLITE_OK;
}
