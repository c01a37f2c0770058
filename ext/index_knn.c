/*
** index_knn.c — exact k-nearest-neighbour search over an embed_index.
**
** The query is compared with every valid slot of every chunk (or with the
** rowids of a filter only), keeping the k best in a bounded max-heap, so a
** query over N vectors costs N distance computations and O(k) memory.
** Ties are broken by rowid so results never depend on storage order.
**
** Distances: cosine = 1 - cos(q, v); l2 = Euclidean; dot = -(q . v), so
** that for every metric smaller means nearer and ORDER BY distance works.
*/
#include "index_int.h"
#include "vec_kernels.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

float indexDistance(index_metric eMetric, const float *q, float qnorm, const float *v, int n) {
  const vec_kernels *k = vecKernels();
  switch (eMetric) {
    case METRIC_L2: return sqrtf(k->l2sq(q, v, n));
    case METRIC_DOT: return -k->dot(q, v, n);
    default: {
      float dot, vnorm2;
      k->dot_norm(q, v, n, &dot, &vnorm2);
      if (vnorm2 == 0 || qnorm == 0) return 1.0f; /* no direction: neither near nor far */
      return 1.0f - dot / (qnorm * sqrtf(vnorm2));
    }
  }
}

/* a is worse (farther) than b */
static int hit_worse(const knn_hit *a, const knn_hit *b) {
  return a->distance > b->distance || (a->distance == b->distance && a->iRowid > b->iRowid);
}

/* Offers one candidate to the max-heap aHeap (worst at the root). */
static void heap_offer(knn_hit *aHeap, int *pn, int k, knn_hit h) {
  int n = *pn;
  if (n < k) {
    int i = n++;
    aHeap[i] = h;
    while (i > 0 && hit_worse(&aHeap[i], &aHeap[(i - 1) / 2])) {
      knn_hit t = aHeap[i];
      aHeap[i] = aHeap[(i - 1) / 2];
      aHeap[(i - 1) / 2] = t;
      i = (i - 1) / 2;
    }
    *pn = n;
    return;
  }
  if (!hit_worse(&aHeap[0], &h)) return;
  aHeap[0] = h;
  int i = 0;
  for (;;) {
    int l = 2 * i + 1, r = l + 1, w = i;
    if (l < n && hit_worse(&aHeap[l], &aHeap[w])) w = l;
    if (r < n && hit_worse(&aHeap[r], &aHeap[w])) w = r;
    if (w == i) break;
    knn_hit t = aHeap[i];
    aHeap[i] = aHeap[w];
    aHeap[w] = t;
    i = w;
  }
}

static int hit_cmp(const void *a, const void *b) {
  const knn_hit *x = a, *y = b;
  if (hit_worse(x, y)) return 1;
  if (hit_worse(y, x)) return -1;
  return 0;
}

void indexCacheDrop(index_vtab *p) {
  sqlite3_free(p->aCacheVec);
  sqlite3_free(p->aCacheRowid);
  p->aCacheVec = NULL;
  p->aCacheRowid = NULL;
  p->nCache = 0;
  p->bCacheValid = 0;
}

/* PRAGMA data_version of the table's schema: it changes when another
** connection commits to the file. */
static int data_version(index_vtab *p, sqlite3_int64 *piVersion) {
  sqlite3_stmt *pStmt;
  int rc = indexPrepare(p, &pStmt, "PRAGMA \"%w\".data_version", p->zSchema);
  if (rc != SQLITE_OK) return rc;
  if (sqlite3_step(pStmt) == SQLITE_ROW) *piVersion = sqlite3_column_int64(pStmt, 0);
  return sqlite3_finalize(pStmt);
}

/* Makes sure p->aCacheVec holds every stored vector.  Leaves the cache
** empty (and returns SQLITE_OK) when the vectors exceed the memory budget;
** the caller then scans the chunks directly. */
static int cache_fill(index_vtab *p) {
  sqlite3_int64 iVersion = 0;
  int rc = data_version(p, &iVersion);
  if (rc != SQLITE_OK) return rc;
  if (p->bCacheValid && p->iCacheVersion == iVersion) return SQLITE_OK;
  indexCacheDrop(p);
  sqlite3_stmt *pStmt;
  rc = indexPrepare(p, &pStmt, "SELECT count(*) FROM \"%w\".\"%w_rowids\"", p->zSchema, p->zName);
  if (rc != SQLITE_OK) return rc;
  sqlite3_int64 nRow = sqlite3_step(pStmt) == SQLITE_ROW ? sqlite3_column_int64(pStmt, 0) : 0;
  rc = sqlite3_finalize(pStmt);
  if (rc != SQLITE_OK) return rc;
  if (nRow * p->nDims * 4 > EMBED_INDEX_CACHE_MAX) return SQLITE_OK;
  p->aCacheVec = sqlite3_malloc64((sqlite3_uint64)(nRow ? nRow : 1) * p->nDims * sizeof(float));
  p->aCacheRowid = sqlite3_malloc64((sqlite3_uint64)(nRow ? nRow : 1) * sizeof(sqlite3_int64));
  if (!p->aCacheVec || !p->aCacheRowid) {
    indexCacheDrop(p);
    return SQLITE_OK; /* the cache is an optimisation: scan instead */
  }
  rc = indexPrepare(p, &pStmt, "SELECT valid, rowids, vectors FROM \"%w\".\"%w_chunks\"", p->zSchema, p->zName);
  if (rc != SQLITE_OK) {
    indexCacheDrop(p);
    return rc;
  }
  sqlite3_int64 n = 0;
  while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
    const unsigned char *aValid = sqlite3_column_blob(pStmt, 0);
    const unsigned char *aRowid = sqlite3_column_blob(pStmt, 1);
    const unsigned char *aVec = sqlite3_column_blob(pStmt, 2);
    if (sqlite3_column_bytes(pStmt, 0) != EMBED_INDEX_CHUNK / 8 || sqlite3_column_bytes(pStmt, 1) != EMBED_INDEX_CHUNK * 8 ||
        sqlite3_column_bytes(pStmt, 2) != EMBED_INDEX_CHUNK * p->nDims * 4 || !aValid || !aRowid || !aVec) {
      rc = SQLITE_CORRUPT_VTAB;
      break;
    }
    for (int s = 0; s < EMBED_INDEX_CHUNK; s++) {
      if (!(aValid[s / 8] & (1u << (s % 8)))) continue;
      if (n == nRow) { /* more valid slots than rowids: the tables disagree */
        rc = SQLITE_CORRUPT_VTAB;
        break;
      }
      sqlite3_uint64 r = 0;
      for (int b = 0; b < 8; b++) r |= (sqlite3_uint64)aRowid[s * 8 + b] << (8 * b);
      p->aCacheRowid[n] = (sqlite3_int64)r;
      memcpy(p->aCacheVec + (size_t)n * p->nDims, aVec + (size_t)s * p->nDims * 4, (size_t)p->nDims * 4);
      n++;
    }
    if (rc != SQLITE_ROW) break;
  }
  sqlite3_finalize(pStmt);
  if (rc != SQLITE_DONE) {
    indexCacheDrop(p);
    return rc == SQLITE_ROW ? SQLITE_OK : rc;
  }
  p->nCache = n;
  p->iCacheVersion = iVersion;
  p->bCacheValid = 1;
  return SQLITE_OK;
}

int indexKnnSearch(index_vtab *p, const float *q, int k, const sqlite3_int64 *aFilter, int nFilter,
                   knn_hit *aHits, int *pnHits) {
  int nHits = 0;
  int rc = SQLITE_OK;
  float qnorm = sqrtf(vecKernels()->dot(q, q, p->nDims));
  *pnHits = 0;
  if (k <= 0) return SQLITE_OK;
  if (aFilter) {
    float *aVec = sqlite3_malloc64((sqlite3_uint64)p->nDims * sizeof(float));
    if (!aVec) return SQLITE_NOMEM;
    for (int i = 0; i < nFilter && rc == SQLITE_OK; i++) {
      rc = indexStoreRead(p, aFilter[i], aVec);
      if (rc == SQLITE_NOTFOUND) {
        rc = SQLITE_OK; /* a filter rowid without a vector is simply not a candidate */
        continue;
      }
      if (rc == SQLITE_OK) {
        knn_hit h = {aFilter[i], indexDistance(p->eMetric, q, qnorm, aVec, p->nDims)};
        heap_offer(aHits, &nHits, k, h);
      }
    }
    sqlite3_free(aVec);
  } else if ((rc = cache_fill(p)) == SQLITE_OK && p->bCacheValid) {
    for (sqlite3_int64 i = 0; i < p->nCache; i++) {
      knn_hit h = {p->aCacheRowid[i], indexDistance(p->eMetric, q, qnorm, p->aCacheVec + (size_t)i * p->nDims, p->nDims)};
      heap_offer(aHits, &nHits, k, h);
    }
  } else if (rc == SQLITE_OK) {
    sqlite3_stmt *pStmt;
    rc = indexPrepare(p, &pStmt, "SELECT valid, rowids, vectors FROM \"%w\".\"%w_chunks\"", p->zSchema, p->zName);
    if (rc != SQLITE_OK) return rc;
    float *aAligned = NULL; /* column BLOBs carry no alignment promise */
    while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
      const unsigned char *aValid = sqlite3_column_blob(pStmt, 0);
      int nValid = sqlite3_column_bytes(pStmt, 0);
      const unsigned char *aRowid = sqlite3_column_blob(pStmt, 1);
      int nRowid = sqlite3_column_bytes(pStmt, 1);
      const float *aVec = sqlite3_column_blob(pStmt, 2);
      int nVec = sqlite3_column_bytes(pStmt, 2);
      if (nValid != EMBED_INDEX_CHUNK / 8 || nRowid != EMBED_INDEX_CHUNK * 8 ||
          nVec != EMBED_INDEX_CHUNK * p->nDims * 4 || !aValid || !aRowid || !aVec) {
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
      for (int s = 0; s < EMBED_INDEX_CHUNK; s++) {
        if (!(aValid[s / 8] & (1u << (s % 8)))) continue;
        sqlite3_uint64 r = 0;
        for (int b = 0; b < 8; b++) r |= (sqlite3_uint64)aRowid[s * 8 + b] << (8 * b);
        knn_hit h = {(sqlite3_int64)r, indexDistance(p->eMetric, q, qnorm, aVec + (size_t)s * p->nDims, p->nDims)};
        heap_offer(aHits, &nHits, k, h);
      }
    }
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
    sqlite3_free(aAligned);
    sqlite3_finalize(pStmt);
  }
  if (rc == SQLITE_OK) {
    qsort(aHits, (size_t)nHits, sizeof(knn_hit), hit_cmp);
    *pnHits = nHits;
  }
  return rc;
}
