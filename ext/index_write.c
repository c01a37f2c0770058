/*
** index_write.c — writes to an embed_index: INSERT, UPDATE and DELETE through
** xUpdate, the commands ('rebuild', 'index', 'clear') written into the
** hidden column named after the table, and the transaction hooks.
**
**   INSERT INTO docs_idx(rowid, text) VALUES (42, 'some text');
**   INSERT INTO docs_idx(rowid, embedding) VALUES (43, vec_from_json('[...]'));
**   INSERT INTO docs_idx(docs_idx) VALUES ('rebuild');        -- all content rows
**   INSERT INTO docs_idx(docs_idx, rank) VALUES ('index', 1000); -- the next 1000 not yet indexed
**   INSERT INTO docs_idx(docs_idx) VALUES ('clear');          -- drop every vector
**
** Texts go through a queue so that the encoder sees batches: a statement
** that inserts many rows, or a rebuild, runs the encoder on up to
** EMBED_INDEX_PENDING_MAX texts at once.  The queue is flushed at every
** savepoint and before commit, so it never outlives a transaction, and is
** emptied on rollback (the shadow-table writes are undone by SQLite).
** 'index' records where it stopped in _config in the same transaction as
** the vectors it wrote, so an interrupted run resumes exactly there.
*/
#include "index_int.h"
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

void indexSetError(index_vtab *p, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  sqlite3_free(p->base.zErrMsg);
  p->base.zErrMsg = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
}

void indexSetCorrupt(index_vtab *p) {
  indexSetError(p, "embed_index: %s is corrupt: its shadow tables disagree (INSERT INTO %s(%s) VALUES "
                   "('integrity-check') says where)", p->zName, p->zName, p->zName);
}

void indexPendingDiscard(index_vtab *p) {
  for (int i = 0; i < p->nPending; i++) sqlite3_free(p->azPendingText[i]);
  p->nPending = 0;
}

/* The model the table embeds texts with, or NULL with the error set. */
embed_slot *indexTableModel(index_vtab *p) {
  if (!p->zModel) {
    indexSetError(p, "embed_index: table %s has no model, so it takes only embeddings (create it with model = 'name')", p->zName);
    return NULL;
  }
  char *zErr = NULL;
  embed_slot *pSlot = embedConnFindModel(p->pConn, p->zModel, &zErr);
  if (!pSlot) {
    indexSetError(p, "embed_index: %s", zErr ? zErr : "out of memory");
    sqlite3_free(zErr);
    return NULL;
  }
  int nDims = ee_model_dims(embedSlotModel(pSlot));
  if (nDims != p->nDims) {
    indexSetError(p, "embed_index: model '%s' makes %d-dimension vectors but table %s holds %d", p->zModel, nDims,
              p->zName, p->nDims);
    return NULL;
  }
  return pSlot;
}

/* Embeds the queued texts azPendingText[iFirst..iEnd) into their rows of aBatchOut. */
static int embed_run(index_vtab *p, int iFirst, int iEnd) {
  embed_slot *pSlot = indexTableModel(p);
  if (!pSlot) return SQLITE_ERROR;
  ee_context *pCtx = embedSlotContext(pSlot);
  if (!pCtx) return SQLITE_NOMEM;
  ee_error err;
  ee_status st = ee_embed_texts_prompted(pCtx, p->zDocumentPrompt, iEnd - iFirst,
                                         (const char *const *)p->azPendingText + iFirst,
                                         p->anPendingText + iFirst,
                                         p->aBatchOut + (size_t)iFirst * p->nDims, &err);
  if (st != EE_OK) {
    indexSetError(p, "embed_index: %s", err.msg);
    return st == EE_ERR_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* Embeds the queued texts and stores every queued vector.  A queued vector
** (no text) already sits in its row of aBatchOut; texts are embedded in
** runs of consecutive ones, so a statement inserting only texts gives the
** encoder whole batches. */
int indexPendingFlush(index_vtab *p) {
  if (p->nPending == 0) return SQLITE_OK;
  int rc = SQLITE_OK;
  for (int i = 0; i < p->nPending && rc == SQLITE_OK;) {
    int iEnd = i;
    while (iEnd < p->nPending && p->azPendingText[iEnd]) iEnd++;
    if (iEnd > i) rc = embed_run(p, i, iEnd);
    i = iEnd == i ? i + 1 : iEnd;
  }
  if (rc == SQLITE_OK) {
    rc = indexStoreInsert(p, p->nPending, p->aPendingRowid, p->aBatchOut);
    if (rc == SQLITE_CORRUPT_VTAB) indexSetCorrupt(p);
  }
  indexStoreCloseBlobs(p);
  indexPendingDiscard(p);
  return rc;
}

int indexPendingFlushEarlier(index_vtab *p) {
  int rc = indexPendingFlush(p);
  if (rc != SQLITE_OK && p->rcUnstored == SQLITE_OK) p->rcUnstored = rc;
  return rc;
}

static int pending_contains(index_vtab *p, sqlite3_int64 iRowid) {
  for (int i = 0; i < p->nPending; i++) {
    if (p->aPendingRowid[i] == iRowid) return 1;
  }
  return 0;
}

/* Makes room for one more queued row: a full queue is stored first. */
static int pending_room(index_vtab *p) {
  return p->nPending == EMBED_INDEX_PENDING_MAX ? indexPendingFlush(p) : SQLITE_OK;
}

/* Queues rowid with its text (an owned copy), or with NULL when its vector
** is already in the next row of aBatchOut. */
static void pending_add(index_vtab *p, sqlite3_int64 iRowid, char *zText, size_t nText) {
  p->aPendingRowid[p->nPending] = iRowid;
  p->azPendingText[p->nPending] = zText;
  p->anPendingText[p->nPending] = nText;
  p->nPending++;
}

/* Checks that a text tokenizes (so bad input fails now, not at commit)
** and queues a copy of it. */
static int queue_text(index_vtab *p, sqlite3_int64 iRowid, sqlite3_value *pText) {
  if (sqlite3_value_type(pText) != SQLITE_TEXT) {
    indexSetError(p, "embed_index: text for rowid %lld must be TEXT, got %s", (long long)iRowid,
              embedTypeName(sqlite3_value_type(pText)));
    return SQLITE_MISMATCH;
  }
  embed_slot *pSlot = indexTableModel(p);
  if (!pSlot) return SQLITE_ERROR;
  const char *zText = (const char *)sqlite3_value_text(pText);
  size_t nText = (size_t)sqlite3_value_bytes(pText);
  if (!zText) return SQLITE_NOMEM;
  ee_info info;
  ee_model_info(embedSlotModel(pSlot), &info);
  wp_error werr;
  wp_status st = wp_encode(ee_model_tokenizer(embedSlotModel(pSlot)), zText, nText, info.max_length, &pSlot->enc, &werr);
  if (st != WP_OK) {
    indexSetError(p, "embed_index: rowid %lld: %s", (long long)iRowid, werr.msg);
    return st == WP_ERR_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
  }
  int rc = pending_room(p);
  if (rc != SQLITE_OK) return rc;
  char *zCopy = sqlite3_malloc64(nText + 1);
  if (!zCopy) return SQLITE_NOMEM;
  memcpy(zCopy, zText, nText);
  zCopy[nText] = '\0';
  pending_add(p, iRowid, zCopy, nText);
  return SQLITE_OK;
}

/* Checks a vector value and queues it for rowid (stored at the next flush,
** with the texts, so a bulk insert writes each chunk once). */
static int queue_vector(index_vtab *p, sqlite3_int64 iRowid, sqlite3_value *pEmbedding) {
  int rc = pending_room(p);
  if (rc == SQLITE_OK) rc = indexReadVector(p, pEmbedding, p->aBatchOut + (size_t)p->nPending * p->nDims, "embedding");
  if (rc == SQLITE_OK) pending_add(p, iRowid, NULL, 0);
  return rc;
}

/* Reads a vector value (float32 BLOB or JSON array) of the table's dims
** into aOut.  Returns SQLITE_OK or an error with the message set. */
int indexReadVector(index_vtab *p, sqlite3_value *pVal, float *aOut, const char *zWhat) {
  int eType = sqlite3_value_type(pVal);
  int rc = SQLITE_OK;
  if (eType == SQLITE_BLOB) {
    int nByte = sqlite3_value_bytes(pVal);
    if (nByte != p->nDims * 4) {
      indexSetError(p, "embed_index: %s is a BLOB of %d bytes but table %s holds %d-dimension float32 vectors (%d bytes)",
                zWhat, nByte, p->zName, p->nDims, p->nDims * 4);
      return SQLITE_MISMATCH;
    }
    const void *pBlob = sqlite3_value_blob(pVal);
    if (!pBlob) return SQLITE_NOMEM;
    memcpy(aOut, pBlob, (size_t)nByte);
  } else if (eType == SQLITE_TEXT) {
    /* Reuse vec_from_json's parser through SQL so both accept the same JSON. */
    sqlite3_stmt *pStmt;
    rc = sqlite3_prepare_v2(p->db, "SELECT vec_from_json(?)", -1, &pStmt, 0);
    if (rc != SQLITE_OK) return rc;
    sqlite3_bind_value(pStmt, 1, pVal);
    rc = sqlite3_step(pStmt);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(pStmt, 0) == p->nDims * 4) {
      memcpy(aOut, sqlite3_column_blob(pStmt, 0), (size_t)p->nDims * 4);
      rc = SQLITE_OK;
    } else if (rc == SQLITE_ROW) {
      indexSetError(p, "embed_index: %s has %d dimensions but table %s holds %d", zWhat,
                sqlite3_column_bytes(pStmt, 0) / 4, p->zName, p->nDims);
      rc = SQLITE_MISMATCH;
    } else {
      indexSetError(p, "embed_index: %s: %s", zWhat, sqlite3_errmsg(p->db));
    }
    sqlite3_finalize(pStmt);
    return rc;
  } else {
    indexSetError(p, "embed_index: %s must be a float32 BLOB or a JSON array, got %s", zWhat, embedTypeName(eType));
    return SQLITE_MISMATCH;
  }
  for (int i = 0; i < p->nDims; i++) {
    if (!(aOut[i] - aOut[i] == 0)) { /* NaN or Inf */
      indexSetError(p, "embed_index: %s has NaN or Inf at dimension %d", zWhat, i);
      return SQLITE_MISMATCH;
    }
  }
  return SQLITE_OK;
}


/* Stores (or replaces) the text of a row of an index without external content. */
static int content_store(index_vtab *p, sqlite3_int64 iRowid, sqlite3_value *pText) {
  if (p->zContent) return SQLITE_OK;
  sqlite3_stmt *pStmt;
  int rc = indexStmt(p, STMT_CONTENT_PUT, &pStmt);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_int64(pStmt, 1, iRowid);
  sqlite3_bind_value(pStmt, 2, pText);
  return indexStmtRun(pStmt);
}

/* Whether rowid is indexed, queued or (internal content) has a stored text. */
static int rowid_taken(index_vtab *p, sqlite3_int64 iRowid, int *pbTaken) {
  *pbTaken = pending_contains(p, iRowid);
  if (*pbTaken) return SQLITE_OK;
  int rc = indexStoreExists(p, iRowid, pbTaken);
  if (rc == SQLITE_OK && !*pbTaken && !p->zContent) {
    sqlite3_stmt *pStmt;
    rc = indexStmt(p, STMT_CONTENT_HAS, &pStmt);
    if (rc == SQLITE_OK) {
      sqlite3_bind_int64(pStmt, 1, iRowid);
      int rcStep = sqlite3_step(pStmt);
      *pbTaken = rcStep == SQLITE_ROW;
      rc = sqlite3_reset(pStmt);
      if (rcStep != SQLITE_ROW && rcStep != SQLITE_DONE) rc = rcStep;
    }
  }
  return rc;
}

/* Removes a row entirely (vector and stored text). */
static int row_delete(index_vtab *p, sqlite3_int64 iRowid) {
  int rc = indexPendingFlush(p);
  int bFound = 0;
  if (rc == SQLITE_OK) rc = indexStoreDelete(p, iRowid, &bFound);
  if (rc == SQLITE_OK && !p->zContent) rc = indexStmtRunId(p, STMT_CONTENT_REMOVE, iRowid);
  return rc;
}

/* Next free rowid for an INSERT that gave none (only tables that store
** their texts: an external content table gives the rowid). */
static int next_rowid(index_vtab *p, sqlite3_int64 *piRowid) {
  sqlite3_stmt *pStmt;
  int rc = indexStmt(p, STMT_MAX_ROWID, &pStmt);
  if (rc != SQLITE_OK) return rc;
  sqlite3_int64 iMax = 0;
  if (sqlite3_step(pStmt) == SQLITE_ROW) iMax = sqlite3_column_int64(pStmt, 0);
  rc = sqlite3_reset(pStmt);
  for (int i = 0; i < p->nPending; i++) {
    if (p->aPendingRowid[i] > iMax) iMax = p->aPendingRowid[i];
  }
  if (rc == SQLITE_OK && iMax == INT64_MAX) {
    indexSetError(p, "embed_index: %s already holds rowid %lld, the largest; INSERT with an explicit rowid",
                  p->zName, (long long)iMax);
    return SQLITE_FULL;
  }
  *piRowid = iMax + 1;
  return rc;
}

/* Inserts one row whose rowid is free: text (queued) or vector. */
static int row_insert(index_vtab *p, sqlite3_int64 iRowid, sqlite3_value *pText, sqlite3_value *pEmbedding) {
  int rc;
  if (sqlite3_value_type(pEmbedding) != SQLITE_NULL) {
    rc = queue_vector(p, iRowid, pEmbedding);
    if (rc == SQLITE_OK && sqlite3_value_type(pText) != SQLITE_NULL) rc = content_store(p, iRowid, pText);
    return rc;
  }
  if (sqlite3_value_type(pText) == SQLITE_NULL) {
    indexSetError(p, "embed_index: INSERT into %s needs text or embedding", p->zName);
    return SQLITE_CONSTRAINT;
  }
  rc = queue_text(p, iRowid, pText);
  if (rc == SQLITE_OK) rc = content_store(p, iRowid, pText);
  return rc;
}

/* 'rebuild' (bAll) or 'index' (the next nLimit rows not yet indexed). */
static int command_index(index_vtab *p, int bAll, sqlite3_int64 nLimit) {
  int rc = indexPendingFlush(p);
  sqlite3_int64 iNext = INT64_MIN;
  if (rc == SQLITE_OK && bAll) rc = indexStoreClear(p);
  if (rc == SQLITE_OK && !bAll) {
    rc = indexStoreConfigGet(p, "index_next", &iNext, NULL);
    if (rc == SQLITE_NOTFOUND) rc = SQLITE_OK;
  }
  if (rc != SQLITE_OK) return rc;
  sqlite3_stmt *pStmt;
  if (p->zContent) {
    rc = indexPrepare(p, &pStmt, "SELECT \"%w\", \"%w\" FROM \"%w\".\"%w\" WHERE \"%w\" >= ? ORDER BY 1",
                      p->zContentRowid, p->zColumn, p->zSchema, p->zContent, p->zContentRowid);
  } else {
    rc = indexPrepare(p, &pStmt, "SELECT rowid, text FROM \"%w\".\"%w_content\" WHERE rowid >= ? ORDER BY 1",
                      p->zSchema, p->zName);
  }
  if (rc != SQLITE_OK) {
    indexSetError(p, "embed_index: cannot read content of %s: %s", p->zName, sqlite3_errmsg(p->db));
    return rc;
  }
  sqlite3_bind_int64(pStmt, 1, iNext);
  sqlite3_int64 nDone = 0;
  while (rc == SQLITE_OK && (bAll || nDone < nLimit)) {
    int rcStep = sqlite3_step(pStmt);
    if (rcStep == SQLITE_DONE) break; /* rows added later start after iNext */
    if (rcStep != SQLITE_ROW) {
      rc = rcStep;
      break;
    }
    sqlite3_int64 iRowid = sqlite3_column_int64(pStmt, 0);
    iNext = iRowid == INT64_MAX ? INT64_MAX : iRowid + 1;
    sqlite3_value *pText = sqlite3_column_value(pStmt, 1);
    if (sqlite3_value_type(pText) == SQLITE_NULL) continue;
    int bTaken = 0;
    if (!bAll) rc = indexStoreExists(p, iRowid, &bTaken);
    if (rc == SQLITE_OK && !bTaken && !pending_contains(p, iRowid)) {
      rc = queue_text(p, iRowid, pText);
      nDone++;
    }
  }
  sqlite3_finalize(pStmt);
  if (rc == SQLITE_OK) rc = indexPendingFlush(p);
  if (rc == SQLITE_OK) rc = indexStoreConfigSet(p, "index_next", iNext, NULL);
  return rc;
}

static int run_command(index_vtab *p, sqlite3_value *pCmd, sqlite3_value *pRank) {
  const char *zCmd = (const char *)sqlite3_value_text(pCmd);
  if (!zCmd) return SQLITE_NOMEM;
  if (strcmp(zCmd, "rebuild") == 0) return command_index(p, 1, 0);
  if (strcmp(zCmd, "index") == 0) {
    sqlite3_int64 n = sqlite3_value_type(pRank) == SQLITE_NULL ? 1000 : sqlite3_value_int64(pRank);
    if (sqlite3_value_type(pRank) != SQLITE_NULL && sqlite3_value_type(pRank) != SQLITE_INTEGER) n = 0;
    if (n < 1) {
      indexSetError(p, "embed_index: 'index' takes a positive row count in rank, e.g. "
                       "INSERT INTO %s(%s, rank) VALUES ('index', 1000)", p->zName, p->zName);
      return SQLITE_ERROR;
    }
    return command_index(p, 0, n);
  }
  if (strcmp(zCmd, "clear") == 0) {
    int rc = indexPendingFlush(p);
    if (rc == SQLITE_OK) rc = indexStoreClear(p);
    if (rc == SQLITE_OK) rc = indexStoreConfigSet(p, "index_next", INT64_MIN, NULL);
    return rc;
  }
  if (strcmp(zCmd, "integrity-check") == 0) {
    char *zProblem = NULL;
    int rc = indexPendingFlush(p);
    if (rc == SQLITE_OK) rc = indexStoreIntegrity(p, &zProblem);
    if (rc == SQLITE_OK && zProblem) {
      indexSetError(p, "embed_index: %s is corrupt: %s", p->zName, zProblem);
      rc = SQLITE_CORRUPT_VTAB;
    }
    sqlite3_free(zProblem);
    return rc;
  }
  indexSetError(p, "embed_index: unknown command '%s' (known: rebuild, index, clear, integrity-check)", zCmd);
  return SQLITE_ERROR;
}

static int update_row(index_vtab *p, int argc, sqlite3_value **argv, sqlite3_int64 *pRowid) {
  if (argc == 1) return row_delete(p, sqlite3_value_int64(argv[0]));
  sqlite3_value *pText = argv[2 + 0], *pEmbedding = argv[2 + 1];
  sqlite3_value *pCmd = argv[2 + 4], *pRank = argv[2 + 5];
  int rc = SQLITE_OK;
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) { /* INSERT */
    if (sqlite3_value_type(pCmd) != SQLITE_NULL) return run_command(p, pCmd, pRank);
    sqlite3_int64 iRowid;
    if (sqlite3_value_type(argv[1]) == SQLITE_NULL) {
      if (p->zContent) {
        indexSetError(p, "embed_index: INSERT into %s needs a rowid (the id of its row in %s)", p->zName, p->zContent);
        return SQLITE_CONSTRAINT;
      }
      rc = next_rowid(p, &iRowid);
      if (rc != SQLITE_OK) return rc;
    } else {
      if (sqlite3_value_type(argv[1]) != SQLITE_INTEGER) {
        indexSetError(p, "embed_index: rowid must be an INTEGER, got %s", embedTypeName(sqlite3_value_type(argv[1])));
        return SQLITE_MISMATCH;
      }
      iRowid = sqlite3_value_int64(argv[1]);
      int bTaken = 0;
      rc = rowid_taken(p, iRowid, &bTaken);
      if (rc != SQLITE_OK) return rc;
      if (bTaken) {
        if (sqlite3_vtab_on_conflict(p->db) != SQLITE_REPLACE) {
          indexSetError(p, "UNIQUE constraint failed: %s.rowid (rowid %lld is already indexed)", p->zName,
                        (long long)iRowid);
          return SQLITE_CONSTRAINT;
        }
        rc = row_delete(p, iRowid);
        if (rc != SQLITE_OK) return rc;
      }
    }
    *pRowid = iRowid;
    return row_insert(p, iRowid, pText, pEmbedding);
  }
  /* UPDATE: columns the statement does not set arrive as "no change". */
  sqlite3_int64 iOld = sqlite3_value_int64(argv[0]);
  if (sqlite3_value_type(argv[1]) != SQLITE_INTEGER) {
    indexSetError(p, "embed_index: rowid must be an INTEGER, got %s", embedTypeName(sqlite3_value_type(argv[1])));
    return SQLITE_MISMATCH;
  }
  sqlite3_int64 iNew = sqlite3_value_int64(argv[1]);
  int bTextChanged = !sqlite3_value_nochange(pText);
  int bEmbChanged = !sqlite3_value_nochange(pEmbedding);
  rc = indexPendingFlush(p);
  if (rc != SQLITE_OK) return rc;
  if (iNew != iOld) {
    int bTaken = 0;
    rc = rowid_taken(p, iNew, &bTaken);
    if (rc == SQLITE_OK && bTaken) {
      indexSetError(p, "UNIQUE constraint failed: %s.rowid (rowid %lld is already indexed)", p->zName, (long long)iNew);
      return SQLITE_CONSTRAINT;
    }
  }
  if (bTextChanged && sqlite3_value_type(pText) != SQLITE_NULL) {
    rc = row_delete(p, iOld);
    if (rc == SQLITE_OK) rc = row_insert(p, iNew, pText, pEmbedding);
    return rc;
  }
  if (bEmbChanged && sqlite3_value_type(pEmbedding) != SQLITE_NULL) {
    /* keep the stored text (internal content) while replacing the vector */
    float *aVec = sqlite3_malloc64((sqlite3_uint64)p->nDims * sizeof(float));
    if (!aVec) return SQLITE_NOMEM;
    rc = indexReadVector(p, pEmbedding, aVec, "embedding");
    int bFound = 0;
    /* Same rowid: the vector is rewritten in its slot, one BLOB write
    ** instead of freeing the slot and filling one (every row of 100k x 384
    ** updated in one transaction from Python: 26 -> 20 us a row) */
    if (rc == SQLITE_OK && iNew == iOld) rc = indexStoreReplace(p, iOld, aVec, &bFound);
    if (rc == SQLITE_OK && !bFound) {
      rc = indexStoreDelete(p, iOld, &bFound);
      if (rc == SQLITE_OK) rc = indexStoreInsert(p, 1, &iNew, aVec);
    }
    indexStoreCloseBlobs(p);
    if (rc == SQLITE_OK && iNew != iOld && !p->zContent) {
      rc = indexExec(p, "UPDATE \"%w\".\"%w_content\" SET rowid = %lld WHERE rowid = %lld", p->zSchema, p->zName,
                     (long long)iNew, (long long)iOld);
    }
    sqlite3_free(aVec);
    return rc;
  }
  if (iNew != iOld) {
    indexSetError(p, "embed_index: changing only the rowid is not supported; delete and insert instead");
    return SQLITE_CONSTRAINT;
  }
  return SQLITE_OK; /* nothing that changes the vector */
}

int indexUpdate(sqlite3_vtab *pVtab, int argc, sqlite3_value **argv, sqlite3_int64 *pRowid) {
  index_vtab *p = (index_vtab *)pVtab;
  int rc = update_row(p, argc, argv, pRowid);
  if (rc == SQLITE_CORRUPT_VTAB && !p->base.zErrMsg) indexSetCorrupt(p); /* keep a more precise one */
  return rc;
}

int indexSync(sqlite3_vtab *pVtab) {
  index_vtab *p = (index_vtab *)pVtab;
  if (p->rcUnstored != SQLITE_OK) {
    /* The statements that queued those rows reported success; committing
    ** without their vectors would leave the index silently incomplete. */
    indexSetError(p, "embed_index: rows inserted into %s earlier in this transaction could not be stored (%s); "
                     "ROLLBACK the transaction", p->zName, sqlite3_errstr(p->rcUnstored));
    return p->rcUnstored;
  }
  return indexPendingFlush(p);
}

/* Forgets what the rolled-back writes left in memory. */
static void rollback_memory(index_vtab *p) {
  indexCacheDrop(p); /* it may hold vectors that are now undone */
  indexPendingDiscard(p);
  indexStoreCloseBlobs(p);
}

int indexRollback(sqlite3_vtab *pVtab) {
  index_vtab *p = (index_vtab *)pVtab;
  rollback_memory(p);
  p->rcUnstored = SQLITE_OK;
  return SQLITE_OK;
}

int indexSavepoint(sqlite3_vtab *pVtab, int iSavepoint) {
  (void)iSavepoint;
  return indexPendingFlushEarlier((index_vtab *)pVtab);
}

int indexRollbackTo(sqlite3_vtab *pVtab, int iSavepoint) {
  (void)iSavepoint;
  rollback_memory((index_vtab *)pVtab); /* a refused commit stays refused */
  return SQLITE_OK;
}
