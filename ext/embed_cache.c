/*
** embed_cache.c — a small per-connection cache of recent embeddings, so the
** same text embedded again (a search text in a loop, a self-join, the same
** MATCH query) costs a hash lookup instead of a forward pass.
**
**   SELECT embed_load('default', '/models/minilm', '{"cache_size": 1024}');
**   SELECT cache_hits, cache_misses FROM embed_models;
**
** Direct-mapped: a text's 64-bit hash picks one slot, which keeps the most
** recent text that hashed there (a copy of the text and its vector).  A hit
** needs the whole text to match, so a hash collision can never return
** another text's vector.  The key is the string the model embeds: a
** prompt, when there is one, then the text (so 'query: ' + 'x' and no
** prompt + 'query: x', which give the same vector, share an entry).  One
** cache per model binding and connection: a connection runs on one thread
** at a time, so no locking.
*/
#include "ext_int.h"
#include <string.h>

struct embed_cache_entry {
  sqlite3_uint64 hash; /* hash of the text */
  char *zText;         /* copy of the key (prompt + text), sqlite3_malloc'd */
  size_t nText;        /* its length in bytes */
  float *aVec;         /* its vector (nDims floats), sqlite3_malloc'd */
};

/* FNV-1a over the bytes of prefix then text: fast, and quality does not
** matter for correctness. */
static sqlite3_uint64 key_hash(const char *zPrefix, size_t nPrefix, const char *z, size_t n) {
  sqlite3_uint64 h = 14695981039346656037ull;
  for (size_t i = 0; i < nPrefix; i++) {
    h ^= (unsigned char)zPrefix[i];
    h *= 1099511628211ull;
  }
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)z[i];
    h *= 1099511628211ull;
  }
  return h;
}

int embedCacheInit(embed_cache *pCache, int nEntry, int nDims) {
  memset(pCache, 0, sizeof(*pCache));
  if (nEntry <= 0) return SQLITE_OK;
  pCache->aEntry = sqlite3_malloc64(sizeof(struct embed_cache_entry) * (sqlite3_uint64)nEntry);
  if (!pCache->aEntry) return SQLITE_NOMEM;
  memset(pCache->aEntry, 0, sizeof(struct embed_cache_entry) * (size_t)nEntry);
  pCache->nEntry = nEntry;
  pCache->nDims = nDims;
  return SQLITE_OK;
}

void embedCacheFree(embed_cache *pCache) {
  for (int i = 0; i < pCache->nEntry; i++) {
    sqlite3_free(pCache->aEntry[i].zText);
    sqlite3_free(pCache->aEntry[i].aVec);
  }
  sqlite3_free(pCache->aEntry);
  memset(pCache, 0, sizeof(*pCache));
}

int embedCacheGet(embed_cache *pCache, const char *zPrefix, const char *zText, size_t nText,
                  float *aOut) {
  if (pCache->nEntry == 0) return 0;
  const size_t nPrefix = zPrefix ? strlen(zPrefix) : 0;
  sqlite3_uint64 h = key_hash(zPrefix, nPrefix, zText, nText);
  struct embed_cache_entry *e = &pCache->aEntry[h % (sqlite3_uint64)pCache->nEntry];
  if (e->aVec && e->hash == h && e->nText == nPrefix + nText &&
      memcmp(e->zText, zPrefix ? zPrefix : "", nPrefix) == 0 &&
      memcmp(e->zText + nPrefix, zText, nText) == 0) {
    memcpy(aOut, e->aVec, sizeof(float) * (size_t)pCache->nDims);
    pCache->nHit++;
    return 1;
  }
  pCache->nMiss++;
  return 0;
}

void embedCachePut(embed_cache *pCache, const char *zPrefix, const char *zText, size_t nText,
                   const float *aVec) {
  if (pCache->nEntry == 0) return;
  const size_t nPrefix = zPrefix ? strlen(zPrefix) : 0;
  sqlite3_uint64 h = key_hash(zPrefix, nPrefix, zText, nText);
  nText += nPrefix; /* the key's length from here on */
  struct embed_cache_entry *e = &pCache->aEntry[h % (sqlite3_uint64)pCache->nEntry];
  /* Reuse the slot's buffers when they are big enough; a failed allocation
  ** just leaves the slot empty (the cache is an optimisation). */
  if (!e->aVec) e->aVec = sqlite3_malloc64(sizeof(float) * (sqlite3_uint64)pCache->nDims);
  if (!e->zText || e->nText < nText) {
    sqlite3_free(e->zText);
    e->zText = sqlite3_malloc64(nText + 1);
  }
  if (!e->aVec || !e->zText) {
    sqlite3_free(e->zText);
    sqlite3_free(e->aVec);
    e->zText = NULL;
    e->aVec = NULL;
    e->nText = 0;
    return;
  }
  memcpy(e->zText, zPrefix ? zPrefix : "", nPrefix);
  memcpy(e->zText + nPrefix, zText, nText - nPrefix);
  memcpy(e->aVec, aVec, sizeof(float) * (size_t)pCache->nDims);
  e->nText = nText;
  e->hash = h;
}
