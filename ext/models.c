/*
** models.c — which models a connection can name, and the process-wide
** registry that lets every connection share one copy of each model.
**
**   SELECT embed_load('default', '/models/all-MiniLM-L6-v2');
**   SELECT embed_load('bge', '/models/bge-small-en-v1.5', '{"max_length": 128}');
**   SELECT embed_load('fast', '/models/all-MiniLM-L6-v2', '{"precision": "int8"}');
**   SELECT embed_unload('bge');
**
** How it works: a model is identified by the real path of its directory
** plus the options that change what it computes (pooling, normalize,
** max_length, threads, batch_size, precision, truncate_dim); cache_size, prompt and
** prompt_name belong to the binding.  The registry keeps one ee_model per such
** key with a reference count; embed_load in any connection either finds the
** entry or loads it.  The weights are mmap'd by the engine, so even two
** processes share their pages.  Each connection binds names to entries and
** keeps its own scratch context per name, because a connection runs on one
** thread at a time while a model may be used by many threads at once.
*/
#include "ext_int.h"
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "../tokenizer/se_json.h"

struct embed_shared_model {
  char *zKey;                 /* realpath + "\n" + canonical options, owned */
  ee_model *pModel;           /* the loaded model, owned */
  int nRef;                   /* bindings (in all connections) that use this entry */
  embed_shared_model *pNext;  /* next entry in the registry list */
};

static pthread_mutex_t registry_mutex = PTHREAD_MUTEX_INITIALIZER;
static embed_shared_model *registry_head = NULL; /* guarded by registry_mutex */

static const char *precision_name(ee_precision p) {
  return p == EE_PREC_BF16 ? "bf16" : p == EE_PREC_INT8 ? "int8" : "fp32";
}

static const char *pooling_name(ee_pooling p) {
  return ee_pooling_name(p) ? ee_pooling_name(p) : "default";
}

int embedParseOptions(const char *zOptions, ee_params *pParams, embed_bind_opts *pBind, char **pzErr) {
  *pParams = ee_default_params();
  memset(pBind, 0, sizeof(*pBind));
  pBind->nCache = EMBED_CACHE_DEFAULT;
  if (zOptions == NULL) return SQLITE_OK;
  json_error_t jerr;
  int bNomem = 0;
  json_t *root = se_json_loadb(zOptions, strlen(zOptions), JSON_REJECT_DUPLICATES, &jerr, &bNomem);
  if (!root) {
    if (bNomem) return SQLITE_NOMEM;
    *pzErr = sqlite3_mprintf("options are not valid JSON: %s at character %d", jerr.text, jerr.position);
    return SQLITE_ERROR;
  }
  int rc = SQLITE_OK;
  if (!json_is_object(root)) {
    *pzErr = sqlite3_mprintf("options must be a JSON object, like '{\"pooling\": \"mean\"}'");
    rc = SQLITE_ERROR;
    goto done;
  }
  if (json_object_get(root, "prompt") && json_object_get(root, "prompt_name")) {
    *pzErr = sqlite3_mprintf("options prompt and prompt_name exclude each other: give one");
    rc = SQLITE_ERROR;
    goto done;
  }
  const char *zKey;
  json_t *pVal;
  json_object_foreach(root, zKey, pVal) {
    if (strcmp(zKey, "pooling") == 0) {
      const char *z = json_string_value(pVal);
      int m = EE_POOL_CLS;
      while (z && ee_pooling_name((ee_pooling)m) && strcmp(z, ee_pooling_name((ee_pooling)m)) != 0) m++;
      if (!z || !ee_pooling_name((ee_pooling)m)) {
        *pzErr = sqlite3_mprintf("option pooling must be \"cls\", \"mean\", \"max\", "
                                 "\"mean_sqrt_len_tokens\", \"weightedmean\" or \"lasttoken\"");
        rc = SQLITE_ERROR;
        goto done;
      }
      pParams->pooling = (ee_pooling)m;
    } else if (strcmp(zKey, "precision") == 0) {
      const char *z = json_string_value(pVal);
      if (z && strcmp(z, "fp32") == 0) pParams->precision = EE_PREC_FP32;
      else if (z && strcmp(z, "bf16") == 0) pParams->precision = EE_PREC_BF16;
      else if (z && strcmp(z, "int8") == 0) pParams->precision = EE_PREC_INT8;
      else {
        *pzErr = sqlite3_mprintf("option precision must be \"fp32\", \"bf16\" or \"int8\"");
        rc = SQLITE_ERROR;
        goto done;
      }
    } else if (strcmp(zKey, "prompt") == 0 || strcmp(zKey, "prompt_name") == 0) {
      const char *z = json_string_value(pVal);
      if (!z) {
        *pzErr = sqlite3_mprintf("option %s must be a string", zKey);
        rc = SQLITE_ERROR;
        goto done;
      }
      char **pz = zKey[6] ? &pBind->zPromptName : &pBind->zPrompt;
      *pz = sqlite3_mprintf("%s", z);
      if (!*pz) {
        rc = SQLITE_NOMEM;
        goto done;
      }
    } else if (strcmp(zKey, "normalize") == 0) {
      if (!json_is_boolean(pVal)) {
        *pzErr = sqlite3_mprintf("option normalize must be true or false");
        rc = SQLITE_ERROR;
        goto done;
      }
      pParams->normalize = json_is_true(pVal);
    } else if (strcmp(zKey, "max_length") == 0 || strcmp(zKey, "threads") == 0 ||
               strcmp(zKey, "batch_size") == 0 || strcmp(zKey, "cache_size") == 0 ||
               strcmp(zKey, "truncate_dim") == 0) {
      json_int_t v = json_is_integer(pVal) ? json_integer_value(pVal) : -1;
      json_int_t lo = zKey[0] == 'm' ? 2 : zKey[0] == 'c' ? 0 : 1;
      json_int_t hi = zKey[1] == 'h' ? 256 : 1000000; /* threads */
      if (v < lo || v > hi) {
        *pzErr = sqlite3_mprintf("option %s must be an integer from %lld to %lld", zKey,
                                 (long long)lo, (long long)hi);
        rc = SQLITE_ERROR;
        goto done;
      }
      if (zKey[0] == 'm') pParams->max_length = (int)v;
      else if (zKey[1] == 'h') pParams->threads = (int)v;
      else if (zKey[0] == 't') pParams->truncate_dim = (int)v; /* <= the vector's size: checked at load */
      else if (zKey[0] == 'c') pBind->nCache = (int)v;
      else pParams->batch_size = (int)v;
    } else {
      *pzErr = sqlite3_mprintf("unknown option '%s' (known: pooling, normalize, max_length, threads, batch_size, cache_size, precision, prompt, prompt_name, truncate_dim)", zKey);
      rc = SQLITE_ERROR;
      goto done;
    }
  }
done:
  json_decref(root);
  return rc;
}

/* Finds or loads the registry entry for (zRealPath, params); takes a reference.
** A model file (a .gguf) is keyed by its device and inode, not its path:
** real_model_path keeps a link's own name, and two links to one file (two
** snapshots of a Hugging Face cache entry sharing a blob) are one model. */
static int registry_acquire(const char *zRealPath, const ee_params *pParams,
                            embed_shared_model **ppOut, char **pzErr) {
  struct stat sb;
  char zFileId[64] = "";
  if (stat(zRealPath, &sb) == 0 && S_ISREG(sb.st_mode))
    snprintf(zFileId, sizeof zFileId, "file %llu:%llu", (unsigned long long)sb.st_dev, (unsigned long long)sb.st_ino);
  char *zKey = sqlite3_mprintf("%s\n%s/%d/%d/%d/%d/%s/%d", zFileId[0] ? zFileId : zRealPath, pooling_name(pParams->pooling),
                               pParams->normalize, pParams->max_length, pParams->threads,
                               pParams->batch_size, precision_name(pParams->precision),
                               pParams->truncate_dim);
  if (!zKey) return SQLITE_NOMEM;
  int rc = SQLITE_OK;
  pthread_mutex_lock(&registry_mutex);
  embed_shared_model *p;
  for (p = registry_head; p; p = p->pNext) {
    if (strcmp(p->zKey, zKey) == 0) break;
  }
  if (p) {
    p->nRef++;
    *ppOut = p;
    goto done;
  }
  p = sqlite3_malloc64(sizeof(*p));
  if (!p) { rc = SQLITE_NOMEM; goto done; }
  memset(p, 0, sizeof(*p));
  ee_error err;
  ee_status st = ee_model_load(zRealPath, pParams, &p->pModel, &err);
  if (st != EE_OK) {
    sqlite3_free(p);
    if (st == EE_ERR_NOMEM) { rc = SQLITE_NOMEM; goto done; }
    *pzErr = sqlite3_mprintf("%s", err.msg);
    rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    goto done;
  }
  p->zKey = zKey;
  zKey = NULL; /* owned by the entry now */
  p->nRef = 1;
  p->pNext = registry_head;
  registry_head = p;
  *ppOut = p;
done:
  pthread_mutex_unlock(&registry_mutex);
  sqlite3_free(zKey);
  return rc;
}

static void registry_release(embed_shared_model *p) {
  if (!p) return;
  pthread_mutex_lock(&registry_mutex);
  if (--p->nRef == 0) {
    embed_shared_model **pp = &registry_head;
    while (*pp && *pp != p) pp = &(*pp)->pNext;
    if (*pp) *pp = p->pNext;
  } else {
    p = NULL;
  }
  pthread_mutex_unlock(&registry_mutex);
  if (p) {
    ee_model_free(p->pModel);
    sqlite3_free(p->zKey);
    sqlite3_free(p);
  }
}

const char *embedSharedKey(const embed_shared_model *p) { return p->zKey; }

int embedSharedRefs(const embed_shared_model *p) {
  pthread_mutex_lock(&registry_mutex);
  int n = p->nRef;
  pthread_mutex_unlock(&registry_mutex);
  return n;
}

static void slot_clear(embed_slot *pSlot) {
  embedCacheFree(&pSlot->cache);
  ee_context_free(pSlot->pCtx);
  wp_encoding_free(&pSlot->enc);
  registry_release(pSlot->pShared);
  sqlite3_free(pSlot->zName);
  sqlite3_free(pSlot->zPath);
  sqlite3_free(pSlot->zOptions);
  sqlite3_free(pSlot->zPrompt);
  memset(pSlot, 0, sizeof(*pSlot));
}

/* The binding's prompt, from its options or else the model's
** default_prompt_name, into pSlot->zPrompt (NULL: none). */
static int slot_prompt(embed_slot *pSlot, const embed_bind_opts *pBind, char **pzErr) {
  const ee_model *pModel = pSlot->pShared->pModel;
  ee_info info;
  ee_model_info(pModel, &info);
  const char *zPrompt = pBind->zPrompt;
  if (info.labels && (pBind->zPrompt || pBind->zPromptName)) { /* embed_rerank reads no prompt */
    *pzErr = sqlite3_mprintf("option %s: the model is a cross-encoder (%s), which scores the query "
                             "and document as given; put any prefix in the texts",
                             pBind->zPrompt ? "prompt" : "prompt_name", info.head);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  if (pBind->zPromptName) {
    zPrompt = ee_model_prompt(pModel, pBind->zPromptName);
    if (!zPrompt) {
      *pzErr = sqlite3_mprintf("option prompt_name: the model has no prompt named '%s' (its prompts: %s)",
                               pBind->zPromptName, info.prompts);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
  } else if (!pBind->zPrompt && info.default_prompt_name) {
    zPrompt = ee_model_prompt(pModel, info.default_prompt_name);
  }
  pSlot->bPromptOption = pBind->zPrompt || pBind->zPromptName;
  if (zPrompt && zPrompt[0]) {
    pSlot->zPrompt = sqlite3_mprintf("%s", zPrompt);
    if (!pSlot->zPrompt) return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

/* The real path of a model directory, or of a model file (a .gguf) with its
** own name kept: the link huggingface_hub puts in a snapshot points at a
** blob named by its hash, which would no longer say the file is GGUF.
** Returns zReal (PATH_MAX bytes), or NULL with errno set. */
static char *real_model_path(const char *zDir, char *zReal) {
  struct stat st;
  const char *zSlash = strrchr(zDir, '/');
  if (stat(zDir, &st) != 0 || !S_ISREG(st.st_mode) || (zSlash && !zSlash[1])) return realpath(zDir, zReal);
  char zParent[PATH_MAX] = ".";
  const char *zBase = zDir;
  if (zSlash) {
    size_t n = (size_t)(zSlash - zDir);
    if (n >= sizeof zParent) {
      errno = ENAMETOOLONG;
      return NULL;
    }
    if (n == 0) n = 1; /* "/x.gguf": the root */
    memcpy(zParent, zDir, n);
    zParent[n] = '\0';
    zBase = zSlash + 1;
  }
  char zResolved[PATH_MAX];
  if (!realpath(zParent, zResolved)) return NULL;
  size_t nRes = strlen(zResolved);
  if (nRes + 1 + strlen(zBase) >= PATH_MAX) {
    errno = ENAMETOOLONG;
    return NULL;
  }
  memcpy(zReal, zResolved, nRes);
  if (zResolved[nRes - 1] != '/') zReal[nRes++] = '/';
  memcpy(zReal + nRes, zBase, strlen(zBase) + 1);
  return zReal;
}

/* Loads the model a slot names, if not loaded yet. */
static int slot_load(embed_slot *pSlot, char **pzErr) {
  if (pSlot->pShared) return SQLITE_OK;
  ee_params params;
  embed_bind_opts bind;
  char *zOptErr = NULL;
  int rc = embedParseOptions(pSlot->zOptions, &params, &bind, &zOptErr);
  if (rc != SQLITE_OK) {
    *pzErr = zOptErr;
    goto done;
  }
  pSlot->nCacheSize = bind.nCache;
  /* A Hugging Face name ("BAAI/bge-small-en-v1.5") becomes its snapshot in
  ** the local cache; the real path keys the registry, so a name and the
  ** snapshot's path share one loaded model. */
  char zDir[EE_MODEL_PATH_MAX], zReal[PATH_MAX];
  ee_error err;
  if (ee_model_locate(pSlot->zPath, zDir, &err) != EE_OK) {
    *pzErr = sqlite3_mprintf("%s", err.msg);
    rc = SQLITE_ERROR;
    goto done;
  }
  if (!real_model_path(zDir, zReal)) {
    *pzErr = sqlite3_mprintf("cannot open model directory '%s': %s", zDir, strerror(errno));
    rc = SQLITE_ERROR;
    goto done;
  }
  rc = registry_acquire(zReal, &params, &pSlot->pShared, pzErr);
  if (rc == SQLITE_OK) rc = slot_prompt(pSlot, &bind, pzErr);
  if (rc == SQLITE_OK) rc = embedCacheInit(&pSlot->cache, pSlot->nCacheSize, ee_model_dims(pSlot->pShared->pModel));
  if (rc != SQLITE_OK && pSlot->pShared) {
    /* Not half loaded: a lazy binding tries again on its next use. */
    registry_release(pSlot->pShared);
    pSlot->pShared = NULL;
    sqlite3_free(pSlot->zPrompt);
    pSlot->zPrompt = NULL;
  }
done:
  sqlite3_free(bind.zPrompt);
  sqlite3_free(bind.zPromptName);
  return rc;
}

int embedConnLoad(embed_conn *pConn, const char *zName, const char *zPath,
                  const char *zOptions, int bLazy, char **pzErr) {
  embed_slot fresh;
  memset(&fresh, 0, sizeof(fresh));
  fresh.zName = sqlite3_mprintf("%s", zName);
  fresh.zPath = sqlite3_mprintf("%s", zPath);
  fresh.zOptions = zOptions ? sqlite3_mprintf("%s", zOptions) : NULL;
  int rc = SQLITE_OK;
  if (!fresh.zName || !fresh.zPath || (zOptions && !fresh.zOptions)) {
    rc = SQLITE_NOMEM;
    goto fail;
  }
  if (!bLazy) {
    rc = slot_load(&fresh, pzErr);
    if (rc != SQLITE_OK) goto fail;
  }
  fresh.iId = ++pConn->iLastId;
  for (int i = 0; i < pConn->nSlot; i++) {
    if (strcmp(pConn->aSlot[i].zName, zName) == 0) {
      slot_clear(&pConn->aSlot[i]);
      pConn->aSlot[i] = fresh;
      return SQLITE_OK;
    }
  }
  embed_slot *aNew = sqlite3_realloc64(pConn->aSlot, sizeof(embed_slot) * (pConn->nSlot + 1));
  if (!aNew) {
    rc = SQLITE_NOMEM;
    goto fail;
  }
  pConn->aSlot = aNew;
  pConn->aSlot[pConn->nSlot++] = fresh;
  return SQLITE_OK;
fail:
  slot_clear(&fresh);
  return rc;
}

int embedConnUnload(embed_conn *pConn, const char *zName) {
  for (int i = 0; i < pConn->nSlot; i++) {
    if (strcmp(pConn->aSlot[i].zName, zName) == 0) {
      slot_clear(&pConn->aSlot[i]);
      memmove(&pConn->aSlot[i], &pConn->aSlot[i + 1], sizeof(embed_slot) * (pConn->nSlot - i - 1));
      pConn->nSlot--;
      return 1;
    }
  }
  return 0;
}

void embedConnFree(embed_conn *pConn) {
  if (!pConn) return;
  for (int i = 0; i < pConn->nSlot; i++) slot_clear(&pConn->aSlot[i]);
  sqlite3_free(pConn->aSlot);
  sqlite3_free(pConn);
}

/* "a, b, c" or "none" — for error messages that list what is loaded. */
static char *loaded_names(embed_conn *pConn) {
  if (pConn->nSlot == 0) return sqlite3_mprintf("none");
  sqlite3_str *pStr = sqlite3_str_new(NULL);
  for (int i = 0; i < pConn->nSlot; i++) {
    sqlite3_str_appendf(pStr, "%s%s", i ? ", " : "", pConn->aSlot[i].zName);
  }
  return sqlite3_str_finish(pStr);
}

embed_slot *embedConnFindModel(embed_conn *pConn, const char *zName, char **pzErr) {
  embed_slot *pSlot = NULL;
  const char *zWanted = zName ? zName : "default";
  for (int i = 0; i < pConn->nSlot && !pSlot; i++) {
    if (strcmp(pConn->aSlot[i].zName, zWanted) == 0) pSlot = &pConn->aSlot[i];
  }
  /* With no 'default' and exactly one model, the one-argument forms use it. */
  if (!pSlot && !zName && pConn->nSlot == 1) pSlot = &pConn->aSlot[0];
  if (!pSlot) {
    char *zList = loaded_names(pConn);
    if (!zList) return NULL;
    if (pConn->nSlot == 0) {
      *pzErr = sqlite3_mprintf("no model named '%s'; loaded: none (load one with "
                               "embed_load('%s', '/path/to/model') or set SQLITE_EMBED_MODEL)",
                               zWanted, zWanted);
    } else {
      *pzErr = sqlite3_mprintf("no model named '%s'; loaded: %s", zWanted, zList);
    }
    sqlite3_free(zList);
    return NULL;
  }
  if (!pSlot->pShared) {
    char *zLoadErr = NULL;
    int rc = slot_load(pSlot, &zLoadErr);
    if (rc != SQLITE_OK) {
      *pzErr = zLoadErr ? sqlite3_mprintf("cannot load model '%s' from '%s': %s", pSlot->zName,
                                          pSlot->zPath, zLoadErr)
                        : NULL;
      sqlite3_free(zLoadErr);
      return NULL;
    }
  }
  return pSlot;
}

ee_model *embedSlotModel(embed_slot *pSlot) { return pSlot->pShared->pModel; }

ee_context *embedSlotContext(embed_slot *pSlot) {
  if (!pSlot->pCtx) pSlot->pCtx = ee_context_new(pSlot->pShared->pModel);
  return pSlot->pCtx;
}

const char *embedSlotRolePrompt(embed_slot *pSlot, int bQuery) {
  if (pSlot->bPromptOption) return pSlot->zPrompt;
  static const char *const azDocument[] = {"document", "passage", "corpus"};
  const ee_model *pModel = pSlot->pShared->pModel;
  const char *z = NULL;
  if (bQuery) z = ee_model_prompt(pModel, "query");
  for (int i = 0; !bQuery && !z && i < 3; i++) z = ee_model_prompt(pModel, azDocument[i]);
  return z ? z : pSlot->zPrompt;
}

char *embedSlotCrossEncoderError(embed_slot *pSlot) {
  ee_info info;
  ee_model_info(embedSlotModel(pSlot), &info);
  if (!info.labels) return NULL;
  return sqlite3_mprintf("model '%s' is a cross-encoder (%s): it scores (query, document) pairs "
                         "with embed_rerank(), it does not embed a text", pSlot->zName, info.head);
}

char *embedSlotRerankerError(embed_slot *pSlot, const char *zFunc) {
  ee_info info;
  ee_model_info(embedSlotModel(pSlot), &info);
  if (info.labels) return NULL;
  return sqlite3_mprintf("model '%s' is not a cross-encoder: %s needs a reranker (config.json's architectures "
                         "naming a *ForSequenceClassification, e.g. cross-encoder/ms-marco-MiniLM-L-6-v2); this "
                         "one embeds texts (embed())", pSlot->zName, zFunc);
}

int embedSlotEmbed(embed_slot *pSlot, const char *zPrompt, const char *zText, size_t nText,
                   float *aOut, char **pzErr) {
  if (embedCacheGet(&pSlot->cache, zPrompt, zText, nText, aOut)) return SQLITE_OK;
  if ((*pzErr = embedSlotCrossEncoderError(pSlot)) != NULL) return SQLITE_ERROR;
  ee_context *pEngine = embedSlotContext(pSlot);
  if (!pEngine) return SQLITE_NOMEM;
  ee_error err;
  ee_status st = ee_embed_texts_prompted(pEngine, zPrompt, 1, &zText, &nText, aOut, &err);
  if (st == EE_ERR_NOMEM) return SQLITE_NOMEM;
  if (st != EE_OK) {
    *pzErr = sqlite3_mprintf("%s", err.msg);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  embedCachePut(&pSlot->cache, zPrompt, zText, nText, aOut);
  return SQLITE_OK;
}
