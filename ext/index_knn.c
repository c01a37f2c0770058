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
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

/* A scan of the in-memory copy reading more bytes than this is split
** across threads: 100k x 384 float32 in memory scanned at ~26 GB/s on one
** Zen 5 core and ~50 on two, and starting a thread (~50 us) costs less than
** 2 MB of scanning. */
#define KNN_SPLIT_MIN_BYTES ((sqlite3_int64)8 << 20)

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
  sqlite3_free(p->aCacheByRowid);
  p->aCacheByRowid = NULL;
  sqlite3_free(p->aCacheVec);
  sqlite3_free(p->aCacheRowid);
  sqlite3_free(p->aCacheQ);
  sqlite3_free(p->aCacheScale);
  p->aCacheVec = NULL;
  p->aCacheRowid = NULL;
  p->aCacheQ = NULL;
  p->aCacheScale = NULL;
  p->nCache = 0;
  p->bCacheValid = 0;
  p->nCachePointReads = 0;
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

/* int8: symmetric per-vector scale, q = round(x / s) with s = max|x| / 127,
** so a dot product is s_a * s_b * (q_a . q_b).  binary: one bit per
** dimension, set when the element is positive (sqlite-vec's layout). */
static float quantize_int8(const float *x, int n, int8_t *q) {
  float m = 0;
  for (int i = 0; i < n; i++) m = fabsf(x[i]) > m ? fabsf(x[i]) : m;
  float s = m > 0 ? m / 127.0f : 1.0f;
  for (int i = 0; i < n; i++) q[i] = (int8_t)lrintf(x[i] / s);
  return s;
}

static void quantize_binary(const float *x, int n, uint8_t *q) {
  memset(q, 0, (size_t)(n + 7) / 8);
  for (int i = 0; i < n; i++) {
    if (x[i] > 0) q[i / 8] |= (uint8_t)(1u << (i % 8));
  }
}

/* Stores vector aVec as entry n of the search copy, in its form. */
static void cache_put(index_vtab *p, sqlite3_int64 n, const float *aVec) {
  if (p->aCacheVec) memcpy(p->aCacheVec + (size_t)n * p->nDims, aVec, (size_t)p->nDims * 4);
  if (p->eQuant == QUANT_NONE) {
    return;
  } else if (p->eQuant == QUANT_INT8) {
    int8_t *q = (int8_t *)p->aCacheQ + (size_t)n * p->nQBytes;
    float s = quantize_int8(aVec, p->nDims, q);
    p->aCacheScale[2 * n] = s;
    p->aCacheScale[2 * n + 1] = s * s * (float)vecKernels()->dot_i8(q, q, p->nDims); /* |v|^2 as quantized */
  } else {
    quantize_binary(aVec, p->nDims, (uint8_t *)p->aCacheQ + (size_t)n * p->nQBytes);
  }
}

/* indexStoreScan visitor that fills the search copy. */
typedef struct fill_state {
  index_vtab *p;       /* the table */
  sqlite3_int64 nRow;  /* entries allocated (the count of _rowids) */
  sqlite3_int64 n;     /* entries filled */
} fill_state;

static int cache_visit(void *pCtx, sqlite3_int64 iRowid, const float *aVec) {
  fill_state *st = pCtx;
  if (st->n == st->nRow) return SQLITE_CORRUPT_VTAB; /* more valid slots than rowids: the tables disagree */
  st->p->aCacheRowid[st->n] = iRowid;
  cache_put(st->p, st->n, aVec);
  st->n++;
  return SQLITE_OK;
}

/* Asks Linux to back the 2 MB-aligned part of a large buffer with huge
** pages (transparent huge pages in "madvise" mode, Debian's default): the
** copy is written once, front to back, and each 4 KB page's first touch
** was a fault, which on this VM cost more than the copying (perf: the
** first search of 100k x 384 vectors, 0.5 s, two thirds in page faults).
** Only advice: it changes no result and its failure is ignored. */
static void advise_huge(void *pBuf, size_t nBytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const uintptr_t huge = (uintptr_t)2 << 20;
  uintptr_t lo = ((uintptr_t)pBuf + huge - 1) & ~(huge - 1), hi = ((uintptr_t)pBuf + nBytes) & ~(huge - 1);
  if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
  (void)pBuf, (void)nBytes;
#endif
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
  p->nQBytes = p->eQuant == QUANT_INT8 ? p->nDims : p->eQuant == QUANT_BINARY ? (p->nDims + 7) / 8 : p->nDims * 4;
  if (nRow * (p->nQBytes + 12) > p->nCacheMax) return SQLITE_OK;
  sqlite3_uint64 nAlloc = (sqlite3_uint64)(nRow ? nRow : 1);
  p->aCacheRowid = sqlite3_malloc64(nAlloc * sizeof(sqlite3_int64));
  if (p->eQuant == QUANT_NONE) {
    p->aCacheVec = sqlite3_malloc64(nAlloc * p->nDims * sizeof(float));
  } else {
    p->aCacheQ = sqlite3_malloc64(nAlloc * (sqlite3_uint64)p->nQBytes);
    p->aCacheScale = sqlite3_malloc64(nAlloc * 2 * sizeof(float));
    /* The float32 vectors too, when they fit beside the quantized ones:
    ** re-ranking then reads memory instead of seeking into chunk BLOBs. */
    if (nRow * (p->nQBytes + 12 + p->nDims * 4) <= p->nCacheMax) {
      p->aCacheVec = sqlite3_malloc64(nAlloc * p->nDims * sizeof(float));
    }
  }
  if (p->aCacheVec) advise_huge(p->aCacheVec, nAlloc * p->nDims * sizeof(float));
  if (!p->aCacheRowid || (p->eQuant == QUANT_NONE ? !p->aCacheVec : (!p->aCacheQ || !p->aCacheScale))) {
    indexCacheDrop(p);
    return SQLITE_OK; /* the cache is an optimisation: scan instead */
  }
  fill_state st = {p, nRow, 0};
  rc = indexStoreScan(p, cache_visit, &st);
  if (rc != SQLITE_OK) {
    indexCacheDrop(p);
    return rc;
  }
  sqlite3_int64 n = st.n;
  p->nCache = n;
  p->iCacheVersion = iVersion;
  p->iCacheGen++;
  p->bCacheValid = 1;
  return SQLITE_OK;
}

/* A KNN cursor reads its hits' vectors here rather than from the chunks:
** a read at a random slot walks the chunk BLOB's overflow pages from the
** start (0.44 ms a vector at 384 dimensions, 100k rows, default page
** cache), so `SELECT rowid, embedding ... MATCH ... k = 10` took three times
** as long as the search.  The copy the search ran on is the tables' state
** for the rest of the statement (its read transaction), unless a write of
** ours drops it, which the generation check sees. */
const float *indexCacheVector(index_vtab *p, sqlite3_int64 iGen, sqlite3_int64 iCache) {
  if (!p->bCacheValid || !p->aCacheVec || iGen != p->iCacheGen || iCache < 0 || iCache >= p->nCache) return NULL;
  return p->aCacheVec + (size_t)iCache * p->nDims;
}

/* One thread's share of a scan of the in-memory copy: entries
** [iLo, iHi) offered to its own heap of the nKeep best. */
typedef struct knn_part {
  index_vtab *p;
  const float *q;        /* the query (float32 scans) */
  float qnorm;           /* its norm */
  const int8_t *qq;      /* the quantized query (quantized scans) */
  float qs;              /* its int8 scale */
  sqlite3_int64 iLo, iHi; /* the entries of the copy it scans */
  int nKeep;             /* heap capacity */
  knn_hit *aHeap;        /* (nKeep) */
  int nHeap;             /* entries in it */
} knn_part;

/* Exact float32 distances; hits carry rowids. */
static void scan_float(knn_part *w) {
  index_vtab *p = w->p;
  for (sqlite3_int64 i = w->iLo; i < w->iHi; i++) {
    knn_hit h = {p->aCacheRowid[i],
                 indexDistance(p->eMetric, w->q, w->qnorm, p->aCacheVec + (size_t)i * p->nDims, p->nDims), i};
    heap_offer(w->aHeap, &w->nHeap, w->nKeep, h);
  }
}

/* Approximate distances from the quantized copy; hits carry the cache
** index, which finds the float32 vector for re-ranking. */
static void scan_quantized(knn_part *w) {
  index_vtab *p = w->p;
  const vec_kernels *K = vecKernels();
  for (sqlite3_int64 i = w->iLo; i < w->iHi; i++) {
    const int8_t *v = (const int8_t *)p->aCacheQ + (size_t)i * p->nQBytes;
    float d;
    if (p->eQuant == QUANT_BINARY) {
      d = (float)K->hamming((const uint8_t *)w->qq, (const uint8_t *)v, p->nQBytes);
    } else {
      /* -dot ranks cosine and dot alike once vectors are scaled; l2 uses
      ** |v|^2 - 2 q.v, dropping the query's constant |q|^2. */
      float dot = w->qs * p->aCacheScale[2 * i] * (float)K->dot_i8(w->qq, v, p->nDims);
      float vv = p->aCacheScale[2 * i + 1];
      if (p->eMetric == METRIC_L2) {
        d = vv - 2 * dot;
      } else if (p->eMetric == METRIC_COSINE) {
        d = vv > 0 ? -dot / sqrtf(vv) : 0;
      } else {
        d = -dot;
      }
    }
    knn_hit h = {i, d, i};
    heap_offer(w->aHeap, &w->nHeap, w->nKeep, h);
  }
}

typedef struct knn_job {
  knn_part *pPart;
  void (*xScan)(knn_part *);
} knn_job;

static void *knn_thread(void *pArg) {
  knn_job *pJob = pArg;
  pJob->xScan(pJob->pPart);
  return NULL;
}

/* How many threads scan nBytes of the in-memory copy. */
static int scan_threads(index_vtab *p, sqlite3_int64 nBytes) {
  sqlite3_int64 nMax = nBytes / KNN_SPLIT_MIN_BYTES + 1;
  if (nMax == 1) return 1; /* before sysconf, which reads a /sys file (~7 us) */
  int nThreads = p->nThreads;
  if (nThreads == 0) { /* not set: the CPUs this process may use, at most 4 (memory bandwidth is shared) */
    long nCpu = sysconf(_SC_NPROCESSORS_ONLN);
    nThreads = nCpu < 1 ? 1 : nCpu > 4 ? 4 : (int)nCpu;
  }
  return nThreads < nMax ? nThreads : (int)nMax;
}

/* Runs xScan over the whole in-memory copy, split across threads when it is
** large, and leaves the nKeep best (by distance, then by the id a hit
** carries) in aOut.  Every distance is computed as in a one-thread scan and
** the order is total, so the result does not depend on the split. */
static void scan_cache(knn_part *pTemplate, void (*xScan)(knn_part *), sqlite3_int64 nBytes, knn_hit *aOut,
                       int *pnOut) {
  index_vtab *p = pTemplate->p;
  int nThreads = scan_threads(p, nBytes);
  int nKeep = pTemplate->nKeep;
  knn_part aPart[KNN_THREADS_MAX];
  knn_job aJob[KNN_THREADS_MAX];
  pthread_t aTid[KNN_THREADS_MAX];
  int aStarted[KNN_THREADS_MAX] = {0};
  knn_hit *aHeaps = NULL;
  if (nThreads > 1) {
    aHeaps = sqlite3_malloc64(sizeof(knn_hit) * (sqlite3_uint64)nKeep * (sqlite3_uint64)(nThreads - 1));
    if (!aHeaps) nThreads = 1; /* fewer threads, same result */
  }
  for (int t = 0; t < nThreads; t++) {
    aPart[t] = *pTemplate;
    aPart[t].iLo = p->nCache * t / nThreads;
    aPart[t].iHi = p->nCache * (t + 1) / nThreads;
    aPart[t].aHeap = t == 0 ? aOut : aHeaps + (size_t)(t - 1) * nKeep;
    aPart[t].nHeap = 0;
    aJob[t].pPart = &aPart[t];
    aJob[t].xScan = xScan;
  }
  for (int t = 1; t < nThreads; t++) aStarted[t] = pthread_create(&aTid[t], NULL, knn_thread, &aJob[t]) == 0;
  xScan(&aPart[0]);
  for (int t = 1; t < nThreads; t++) {
    if (aStarted[t]) pthread_join(aTid[t], NULL);
    else xScan(&aPart[t]); /* no thread: the caller scans that share too */
  }
  int nOut = aPart[0].nHeap;
  for (int t = 1; t < nThreads; t++) {
    for (int i = 0; i < aPart[t].nHeap; i++) heap_offer(aOut, &nOut, nKeep, aPart[t].aHeap[i]);
  }
  sqlite3_free(aHeaps);
  *pnOut = nOut;
}

/* Search through the quantized copy: approximate distances pick
** k x nRerank candidates, whose float32 vectors (read from the chunks) give
** the exact distances of the final k. */
static int knn_quantized(index_vtab *p, const float *q, float qnorm, int k, knn_hit *aHits, int *pnHits) {
  sqlite3_int64 nCand64 = (sqlite3_int64)k * p->nRerank;
  int nCand = (int)(nCand64 < p->nCache ? nCand64 : p->nCache);
  knn_hit *aCand = sqlite3_malloc64(sizeof(knn_hit) * (sqlite3_uint64)(nCand ? nCand : 1));
  int8_t *qq = sqlite3_malloc64((sqlite3_uint64)p->nQBytes);
  float *aVec = sqlite3_malloc64((sqlite3_uint64)p->nDims * sizeof(float));
  int rc = SQLITE_OK;
  if (!aCand || !qq || !aVec) rc = SQLITE_NOMEM;
  int nFound = 0;
  if (rc == SQLITE_OK && nCand > 0) {
    knn_part part = {.p = p, .qq = qq, .qs = 1, .nKeep = nCand};
    if (p->eQuant == QUANT_INT8) part.qs = quantize_int8(q, p->nDims, qq);
    else quantize_binary(q, p->nDims, (uint8_t *)qq);
    scan_cache(&part, scan_quantized, p->nCache * p->nQBytes, aCand, &nFound);
  }
  int nHits = 0;
  index_reader reader = {NULL, 0};
  for (int i = 0; i < nFound && rc == SQLITE_OK; i++) {
    sqlite3_int64 iCache = aCand[i].iRowid, iRowid = p->aCacheRowid[iCache];
    const float *v = aVec;
    if (p->aCacheVec) v = p->aCacheVec + (size_t)iCache * p->nDims;
    else rc = indexStoreRead(p, &reader, iRowid, aVec);
    if (rc == SQLITE_OK) {
      knn_hit h = {iRowid, indexDistance(p->eMetric, q, qnorm, v, p->nDims), iCache};
      heap_offer(aHits, &nHits, k, h);
    }
  }
  indexReaderClose(&reader);
  *pnHits = nHits;
  sqlite3_free(aCand);
  sqlite3_free(qq);
  sqlite3_free(aVec);
  return rc;
}

/* indexStoreScan visitor for a search that does not fit in memory. */
typedef struct scan_state {
  index_vtab *p;    /* the table */
  const float *q;   /* the query */
  float qnorm;      /* its norm */
  int k;            /* results wanted */
  knn_hit *aHits;   /* the heap */
  int nHits;        /* entries in it */
} scan_state;

static int scan_visit(void *pCtx, sqlite3_int64 iRowid, const float *aVec) {
  scan_state *st = pCtx;
  knn_hit h = {iRowid, indexDistance(st->p->eMetric, st->q, st->qnorm, aVec, st->p->nDims), -1};
  heap_offer(st->aHits, &st->nHits, st->k, h);
  return SQLITE_OK;
}

static int pair_cmp(const void *a, const void *b) {
  const sqlite3_int64 x = *(const sqlite3_int64 *)a, y = *(const sqlite3_int64 *)b;
  return x < y ? -1 : x > y;
}

/* Makes p->aCacheByRowid for the copy; 0 if memory is short (the caller
** then reads the chunks). */
static int cache_by_rowid(index_vtab *p) {
  if (p->aCacheByRowid) return 1;
  p->aCacheByRowid = sqlite3_malloc64(sizeof(sqlite3_int64) * 2 * (sqlite3_uint64)(p->nCache ? p->nCache : 1));
  if (!p->aCacheByRowid) return 0;
  for (sqlite3_int64 i = 0; i < p->nCache; i++) {
    p->aCacheByRowid[2 * i] = p->aCacheRowid[i];
    p->aCacheByRowid[2 * i + 1] = i;
  }
  qsort(p->aCacheByRowid, (size_t)p->nCache, 2 * sizeof(sqlite3_int64), pair_cmp);
  return 1;
}

/* The entry of the copy that holds rowid, or -1. */
static sqlite3_int64 cache_find(const index_vtab *p, sqlite3_int64 iRowid) {
  sqlite3_int64 lo = 0, hi = p->nCache;
  while (lo < hi) {
    sqlite3_int64 mid = lo + (hi - lo) / 2;
    if (p->aCacheByRowid[2 * mid] < iRowid) lo = mid + 1;
    else hi = mid;
  }
  return lo < p->nCache && p->aCacheByRowid[2 * lo] == iRowid ? p->aCacheByRowid[2 * lo + 1] : -1;
}

/* WHERE rowid = ? (a join from the content table, "more like this") reads
** its vector here when an earlier search left a current copy: a read from
** the chunk walks the chunk BLOB's overflow pages (~0.44 ms at 100k x 384),
** the copy answers in microseconds.  The copy is current when no write of
** ours dropped it (the caller flushed pending rows first) and PRAGMA
** data_version says no other connection committed.  The first reads look
** through the copy's rowids (~30 us at 100k); from the 16th the sorted
** index (~10 ms to make at 100k, once a copy) is worth making. */
int indexCacheFind(index_vtab *p, sqlite3_int64 iRowid, sqlite3_int64 *piEntry) {
  *piEntry = -1;
  if (!p->bCacheValid || !p->aCacheVec) return SQLITE_NOTFOUND;
  sqlite3_int64 iVersion = 0;
  int rc = data_version(p, &iVersion);
  if (rc != SQLITE_OK) return rc;
  if (iVersion != p->iCacheVersion) return SQLITE_NOTFOUND; /* the next search remakes it */
  if (p->aCacheByRowid || (++p->nCachePointReads >= 16 && cache_by_rowid(p))) {
    *piEntry = cache_find(p, iRowid);
  } else {
    for (sqlite3_int64 i = 0; i < p->nCache; i++) {
      if (p->aCacheRowid[i] == iRowid) {
        *piEntry = i;
        break;
      }
    }
  }
  return SQLITE_OK;
}

/* A search limited to the rowids aFilter: from the in-memory copy when it
** has the float32 vectors (made here as for any search), else by reading
** each rowid's vector from its chunk, which costs a walk of the chunk
** BLOB's overflow pages (~80-370 us a rowid at 100k x 384, against ~1 us
** from the copy). */
static int knn_filtered(index_vtab *p, const float *q, float qnorm, int k, const sqlite3_int64 *aFilter,
                        int nFilter, knn_hit *aHits, int *pnHits) {
  int rc = cache_fill(p);
  if (rc != SQLITE_OK) return rc;
  if (p->bCacheValid && p->aCacheVec && cache_by_rowid(p)) {
    for (int i = 0; i < nFilter; i++) {
      const sqlite3_int64 e = cache_find(p, aFilter[i]);
      if (e < 0) continue; /* a filter rowid without a vector is simply not a candidate */
      knn_hit h = {aFilter[i], indexDistance(p->eMetric, q, qnorm, p->aCacheVec + (size_t)e * p->nDims, p->nDims), e};
      heap_offer(aHits, pnHits, k, h);
    }
    return SQLITE_OK;
  }
  float *aVec = sqlite3_malloc64((sqlite3_uint64)p->nDims * sizeof(float));
  if (!aVec) return SQLITE_NOMEM;
  index_reader reader = {NULL, 0};
  for (int i = 0; i < nFilter && rc == SQLITE_OK; i++) {
    rc = indexStoreRead(p, &reader, aFilter[i], aVec);
    if (rc == SQLITE_NOTFOUND) {
      rc = SQLITE_OK;
      continue;
    }
    if (rc == SQLITE_OK) {
      knn_hit h = {aFilter[i], indexDistance(p->eMetric, q, qnorm, aVec, p->nDims), -1};
      heap_offer(aHits, pnHits, k, h);
    }
  }
  indexReaderClose(&reader);
  sqlite3_free(aVec);
  return rc;
}

int indexKnnSearch(index_vtab *p, const float *q, int k, const sqlite3_int64 *aFilter, int nFilter,
                   knn_hit *aHits, int *pnHits) {
  int nHits = 0;
  int rc = SQLITE_OK;
  float qnorm = sqrtf(vecKernels()->dot(q, q, p->nDims));
  *pnHits = 0;
  if (k <= 0) return SQLITE_OK;
  if (aFilter) {
    rc = knn_filtered(p, q, qnorm, k, aFilter, nFilter, aHits, &nHits);
  } else if ((rc = cache_fill(p)) == SQLITE_OK && p->bCacheValid && p->eQuant != QUANT_NONE) {
    rc = knn_quantized(p, q, qnorm, k, aHits, &nHits);
  } else if (rc == SQLITE_OK && p->bCacheValid) {
    knn_part part = {.p = p, .q = q, .qnorm = qnorm, .nKeep = k};
    scan_cache(&part, scan_float, p->nCache * p->nDims * 4, aHits, &nHits);
  } else if (rc == SQLITE_OK) { /* over the memory budget: read the chunks */
    scan_state st = {p, q, qnorm, k, aHits, 0};
    rc = indexStoreScan(p, scan_visit, &st);
    nHits = st.nHits;
  }
  if (rc == SQLITE_OK) {
    qsort(aHits, (size_t)nHits, sizeof(knn_hit), hit_cmp);
    *pnHits = nHits;
  }
  return rc;
}
