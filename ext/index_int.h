/*
** index_int.h — interfaces between the files of the embed_index virtual
** table: index_vtab.c (the SQLite module), index_store.c (shadow tables and
** vector storage) and index_knn.c (distance kernels and top-k search).
**
** Storage (all in the user's database, so it follows its transactions):
**
**   <t>_config(key TEXT PRIMARY KEY, value) WITHOUT ROWID
**       format version, dims, metric, model, content table settings, and
**       the resumable indexing position 'index_next'.
**   <t>_chunks(id INTEGER PRIMARY KEY, valid BLOB, rowids BLOB, vectors BLOB)
**       vectors in chunks of nChunk slots (fixed per table): a validity
**       bitmap, the rowid of each slot (int64 LE) and the float32 vectors
**       back to back, so a KNN query reads contiguous memory instead of one
**       B-tree row per vector.  Rows are written in place with incremental
**       BLOB I/O, which journals only the pages touched.  A chunk's
**       vectors are one BLOB whose pages SQLite chains, and reaching a slot
**       walks that chain from its start, so chunks are kept small enough
**       (64 slots by default) for a read or write of one vector to stay cheap.
**   <t>_rowids(rowid INTEGER PRIMARY KEY, chunk INTEGER, slot INTEGER)
**       where each rowid's vector lives: rowid lookups are B-tree seeks.
**   <t>_freechunks(id INTEGER PRIMARY KEY)
**       chunks with at least one free slot, so deleted space is reused and an
**       insert never scans the chunk table.
**   <t>_content(rowid INTEGER PRIMARY KEY, text)
**       the texts, only when the index has no external content table.
*/
#ifndef INDEX_INT_H
#define INDEX_INT_H
#include "ext_int.h"

#define EMBED_INDEX_CHUNK_DEFAULT 64   /* slots per chunk of a new table (chunk_size) */
#define EMBED_INDEX_CHUNK_MAX 1024     /* the largest chunk_size, and format 1's fixed one */
#define EMBED_INDEX_FORMAT 2           /* stored in _config 'format'; 2 adds 'chunk_size' */
#define EMBED_INDEX_PENDING_MAX 64     /* rows queued before they are stored */
#define KNN_THREADS_MAX 16             /* the largest threads = option */

typedef enum index_metric { METRIC_COSINE = 0, METRIC_L2 = 1, METRIC_DOT = 2 } index_metric;

/* What the in-memory search copy holds.  float32 vectors on disk stay the
** truth; int8 / binary copies are 4x / 32x smaller and faster to scan, and
** their best candidates are re-ranked with the exact float32 distance. */
typedef enum index_quant { QUANT_NONE = 0, QUANT_INT8 = 1, QUANT_BINARY = 2 } index_quant;

/* Statements every row write or lookup runs, prepared once per table and
** kept (parsing them per row cost as much as the writes themselves). */
typedef enum index_stmt {
  STMT_LOCATE,         /* SELECT chunk, slot FROM _rowids WHERE rowid = ?1 */
  STMT_FREE_FIRST,     /* the first chunk with a free slot */
  STMT_FREE_ADD,       /* ?1 has a free slot */
  STMT_ROWID_ADD,      /* rowid ?1 lives in chunk ?2, slot ?3 */
  STMT_ROWID_REMOVE,   /* rowid ?1 has no vector */
  STMT_CONTENT_HAS,    /* SELECT 1 if _content has rowid ?1 */
  STMT_CONTENT_PUT,    /* REPLACE rowid ?1's text by ?2 */
  STMT_CONTENT_REMOVE, /* rowid ?1 has no stored text */
  STMT_MAX_ROWID,      /* the largest rowid with a vector or a stored text */
  STMT_COUNT
} index_stmt;

/* One embed_index table, as connected. */
typedef struct index_vtab {
  sqlite3_vtab base;      /* base class: must be first */
  sqlite3 *db;            /* the connection */
  embed_conn *pConn;      /* model bindings of the connection */
  char *zSchema;          /* schema name ("main"), owned */
  char *zName;            /* table name, owned */
  char *zModel;           /* model name for texts, or NULL (vectors only), owned */
  char *zContent;         /* external content table, or NULL, owned */
  char *zContentRowid;    /* its rowid column ("rowid" by default), owned */
  char *zColumn;          /* its text column, owned */
  char *zQueryPrompt;     /* query_prompt option ("" for none), or NULL: the model's choice; owned */
  char *zDocumentPrompt;  /* the prompt every stored text gets ("" or NULL: none), fixed when the
                             table is made (_config 'document_prompt'; the document_prompt option
                             or the model's choice); owned */
  int nDims;              /* dimensions of every vector */
  int nChunk;             /* slots per chunk: a multiple of 8 up to EMBED_INDEX_CHUNK_MAX */
  index_metric eMetric;   /* distance used by MATCH */
  int bMetricGiven;        /* metric = ... was in the constructor (else the model's similarity) */
  index_quant eQuant;     /* search copy: float32, int8 or binary */
  int nRerank;            /* quantized search keeps k x nRerank candidates for re-ranking */
  int nThreads;           /* threads a large scan may use; 0: the CPUs, up to KNN_THREADS_MAX */
  sqlite3_int64 nCacheMax; /* bytes the in-memory copy may take (cache_mb), else KNN reads the chunks */
  /* Rows inserted but not yet stored: texts wait for the encoder to run on a
  ** batch, vectors (azPendingText NULL, already in aBatchOut) to be written
  ** a chunk at a time. */
  sqlite3_int64 *aPendingRowid; /* (EMBED_INDEX_PENDING_MAX) */
  char **azPendingText;   /* (EMBED_INDEX_PENDING_MAX) sqlite3_malloc'd copies */
  size_t *anPendingText;  /* their lengths in bytes */
  int nPending;           /* number queued */
  float *aBatchOut;       /* (EMBED_INDEX_PENDING_MAX x nDims) queued and encoded vectors */
  int rcUnstored;         /* rows of an earlier statement could not be stored: refuse to commit */
  /* Incremental BLOB handles for the chunk being written, reopened per chunk. */
  sqlite3_blob *pBlobValid, *pBlobRowids, *pBlobVectors;
  sqlite3_stmt *apStmt[STMT_COUNT]; /* prepared on first use, reset after each */
  /* A copy of every stored vector, so repeated KNN scans run from memory
  ** instead of re-reading chunk BLOBs through the pager.  Dropped by any
  ** write of ours and on rollback; checked against PRAGMA data_version for
  ** commits by other connections.  Only kept under nCacheMax bytes. */
  float *aCacheVec;            /* (nCache x nDims) when eQuant is QUANT_NONE */
  signed char *aCacheQ;        /* (nCache x nQBytes) int8 or bit vectors otherwise */
  float *aCacheScale;          /* (2 x nCache) int8: scale and quantized |v|^2 of each vector */
  int nQBytes;                 /* bytes per quantized vector */
  sqlite3_int64 *aCacheRowid;  /* (nCache) */
  sqlite3_int64 *aCacheByRowid; /* (2 x nCache) rowid, entry pairs sorted by rowid, for filtered
                                ** searches; made on first use */
  sqlite3_int64 nCache;        /* vectors in the copy */
  sqlite3_int64 iCacheVersion; /* data_version when it was made */
  sqlite3_int64 iCacheGen;     /* copies made so far: names this one for a cursor */
  int bCacheValid;             /* the copy matches the tables */
  int nCachePointReads;        /* WHERE rowid = ? reads answered by this copy (indexCacheFind) */
} index_vtab;

#define EMBED_INDEX_CACHE_MB 512        /* default cache_mb: MB of vectors kept in memory per table */
#define EMBED_INDEX_CACHE_MB_MAX (1 << 20) /* the largest cache_mb accepted (1 TB) */

/* Drops the in-memory copy of the vectors (index_knn.c). */
void indexCacheDrop(index_vtab *p);
/* The float32 vector of entry iCache of copy iGen (a KNN hit's), or NULL
** when that copy is gone or holds no float32 vectors. */
const float *indexCacheVector(index_vtab *p, sqlite3_int64 iGen, sqlite3_int64 iCache);
/* For a read of one rowid: SQLITE_OK with *piEntry its entry in the copy
** (-1: the copy is current and has no vector for it), SQLITE_NOTFOUND when
** there is no current copy of the float32 vectors (read the chunks), or an
** error.  Never makes the copy. */
int indexCacheFind(index_vtab *p, sqlite3_int64 iRowid, sqlite3_int64 *piEntry);

/* The module, registered by embed_ext.c with the embed_conn as client data. */
const sqlite3_module *embedIndexModule(void);

/* ------------------------------------------------------------------ */
/* interface to index_store.c */

int indexStoreCreate(index_vtab *p);   /* creates the shadow tables (xCreate) */
int indexStoreDestroy(index_vtab *p);  /* drops them (xDestroy) */
int indexStoreConfigGet(index_vtab *p, const char *zKey, sqlite3_int64 *piVal, char **pzVal);
int indexStoreConfigSet(index_vtab *p, const char *zKey, sqlite3_int64 iVal, const char *zVal);
/* Writes n vectors (aVec, n x nDims) for the rowids aRowid, none of which
** may be present, filling the lowest free slots first. */
int indexStoreInsert(index_vtab *p, int n, const sqlite3_int64 *aRowid, const float *aVec);
/* Removes rowid's vector (not its stored text); *pbFound says whether it was there. */
int indexStoreDelete(index_vtab *p, sqlite3_int64 iRowid, int *pbFound);
/* Overwrites rowid's vector in its slot; *pbFound says whether it was there
** (if not, nothing is written). */
int indexStoreReplace(index_vtab *p, sqlite3_int64 iRowid, const float *aVec, int *pbFound);
/* A read handle on chunks' vectors kept between reads: a fresh BLOB handle
** walks the chunk's overflow pages from the start for every vector (14 us
** a read at 384 dimensions), a kept one remembers them.  Its owner closes it
** before control leaves the search or the cursor (an open handle is a
** running statement and would hold the read transaction). */
typedef struct index_reader {
  sqlite3_blob *pBlob;   /* on <t>_chunks.vectors, or NULL */
  sqlite3_int64 iChunk;  /* the row it points at */
} index_reader;
/* Reads rowid's vector into aVec (nDims floats) through pReader (zeroed
** before its first use); SQLITE_NOTFOUND if absent. */
int indexStoreRead(index_vtab *p, index_reader *pReader, sqlite3_int64 iRowid, float *aVec);
void indexReaderClose(index_reader *pReader);
int indexStoreExists(index_vtab *p, sqlite3_int64 iRowid, int *pbExists);
int indexStoreClear(index_vtab *p);    /* removes every vector */
/* Calls xVisit(pCtx, rowid, vector) for every stored vector, chunk by
** chunk (vectors aligned, sizes checked); stops at the first non-OK
** return, which it returns. */
int indexStoreScan(index_vtab *p, int (*xVisit)(void *pCtx, sqlite3_int64 iRowid, const float *aVec), void *pCtx);
/* Cross-checks chunks and rowids; sets *pzProblem (sqlite3_malloc'd) to
** the first inconsistency found, or NULL when there is none. */
int indexStoreIntegrity(index_vtab *p, char **pzProblem);
void indexStoreCloseBlobs(index_vtab *p);
/* Runs a printf-formatted statement (%w/%q allowed) on the vtab's database. */
int indexExec(index_vtab *p, const char *zFmt, ...);
/* Prepares a printf-formatted statement; NULL *ppStmt on error. */
int indexPrepare(index_vtab *p, sqlite3_stmt **ppStmt, const char *zFmt, ...);
/* The table's statement eStmt, prepared on first use.  The caller binds,
** steps and resets it (indexStmtRun does all three for writes), so a kept
** statement never holds a read or a write open. */
int indexStmt(index_vtab *p, index_stmt eStmt, sqlite3_stmt **ppStmt);
/* Steps a bound write statement once and resets it: SQLITE_OK or the error. */
int indexStmtRun(sqlite3_stmt *pStmt);
/* Runs write statement eStmt with ?1 bound to iId. */
int indexStmtRunId(index_vtab *p, index_stmt eStmt, sqlite3_int64 iId);
/* Finalizes the kept statements (they would block DROP TABLE and close). */
void indexStmtsFinalize(index_vtab *p);

/* ------------------------------------------------------------------ */
/* interface to index_write.c */

void indexSetError(index_vtab *p, const char *zFmt, ...); /* replaces zErrMsg */
int indexPendingFlush(index_vtab *p);   /* embeds the queued texts, stores the queued vectors */
/* The same, where the queue may hold rows of statements that already
** succeeded (a query, a savepoint): a failure refuses the COMMIT. */
int indexPendingFlushEarlier(index_vtab *p);
void indexSetCorrupt(index_vtab *p);   /* the error for SQLITE_CORRUPT_VTAB */
void indexPendingDiscard(index_vtab *p);
embed_slot *indexTableModel(index_vtab *p); /* NULL with the error set */
/* Reads a float32 BLOB or JSON vector of the table's dims into aOut. */
int indexReadVector(index_vtab *p, sqlite3_value *pVal, float *aOut, const char *zWhat);
int indexUpdate(sqlite3_vtab *pVtab, int argc, sqlite3_value **argv, sqlite3_int64 *pRowid);
int indexSync(sqlite3_vtab *pVtab);
int indexRollback(sqlite3_vtab *pVtab);
int indexSavepoint(sqlite3_vtab *pVtab, int iSavepoint);
int indexRollbackTo(sqlite3_vtab *pVtab, int iSavepoint);

/* ------------------------------------------------------------------ */
/* interface to index_knn.c */

typedef struct knn_hit {
  sqlite3_int64 iRowid; /* row */
  float distance;       /* its distance to the query */
  sqlite3_int64 iCache; /* its entry in the in-memory copy, or -1 (see indexCacheVector) */
} knn_hit;

/* Distance between a query and one stored vector under a metric. qnorm is
** the query's L2 norm (used by cosine). */
float indexDistance(index_metric eMetric, const float *q, float qnorm, const float *v, int n);

/* Exact k-nearest search over every stored vector, or only over the rowids
** in aFilter (nFilter of them) when aFilter is not NULL.  Fills aHits
** (room for k) in ascending distance and sets *pnHits. */
int indexKnnSearch(index_vtab *p, const float *q, int k, const sqlite3_int64 *aFilter, int nFilter,
                   knn_hit *aHits, int *pnHits);

#endif
