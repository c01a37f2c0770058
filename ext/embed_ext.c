/*
** embed_ext.c — the extension's entry point and its one registration table.
**
**   .load ./build/embed0
**   SELECT embed_load('default', 'models/all-MiniLM-L6-v2');
**   SELECT vec_similarity(embed('a cat'), embed('a kitten'));
**
** sqlite3_embed_init (the entry point SQLite derives from "embed0.so")
** creates the connection's model state, registers every function from the
** table below, stopping at the first failure, and, when SQLITE_EMBED_MODEL
** names a directory, binds it as 'default' (loaded on first use, so a bad
** path cannot make the extension itself fail to load).
**
** The connection state is reference counted by the functions that hold it:
** SQLite calls the destructor when a function is replaced or the
** connection closes, and the state goes with the last one.
*/
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1
#include "ext_int.h"
#include "index_int.h"
#include "sqlite-embed.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct embed_conn_ref {
  embed_conn conn; /* must stay first: functions receive &ref->conn */
  int nRef;        /* registrations that hold this state */
} embed_conn_ref;

static void conn_release(void *p) {
  embed_conn_ref *pRef = (embed_conn_ref *)p;
  if (--pRef->nRef > 0) return;
  embedConnFree(&pRef->conn); /* frees pRef too: conn is its first member */
}

void embedResultError(sqlite3_context *ctx, const char *zFunc, char *zMsg) {
  if (!zMsg) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  char *zFull = sqlite3_mprintf("%s(): %s", zFunc, zMsg);
  sqlite3_free(zMsg);
  if (!zFull) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_error(ctx, zFull, -1);
  sqlite3_free(zFull);
}

void embedResultStr(sqlite3_context *ctx, sqlite3_str *pOut) {
  int rc = sqlite3_str_errcode(pOut);
  char *z = sqlite3_str_finish(pOut);
  if (rc != SQLITE_OK || !z) {
    sqlite3_free(z);
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, z, -1, sqlite3_free);
}

int embedFnConnect(sqlite3 *db, void *pAux, const char *zSchema, sqlite3_vtab **ppVtab) {
  int rc = sqlite3_declare_vtab(db, zSchema);
  if (rc != SQLITE_OK) return rc;
  embed_fn_vtab *p = sqlite3_malloc64(sizeof(*p));
  if (!p) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  p->pConn = pAux;
  *ppVtab = &p->base;
  return SQLITE_OK;
}

int embedFnDisconnect(sqlite3_vtab *pVtab) {
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

int embedCursorError(sqlite3_vtab_cursor *pCursor, char *zMsg) {
  sqlite3_free(pCursor->pVtab->zErrMsg);
  pCursor->pVtab->zErrMsg = zMsg;
  return zMsg ? SQLITE_ERROR : SQLITE_NOMEM;
}

int embedHiddenArgsIndex(sqlite3_index_info *pInfo, int iFirst, int nArg, double rCost, sqlite3_int64 nRows) {
  int aiCons[EMBED_HIDDEN_ARGS_MAX];
  for (int k = 0; k < nArg; k++) aiCons[k] = -1;
  for (int i = 0; i < pInfo->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &pInfo->aConstraint[i];
    if (c->op != SQLITE_INDEX_CONSTRAINT_EQ || c->iColumn < iFirst || c->iColumn >= iFirst + nArg) continue;
    if (!c->usable) return SQLITE_CONSTRAINT; /* try a plan where it is */
    aiCons[c->iColumn - iFirst] = i;
  }
  int nUsed = 0;
  pInfo->idxNum = 0;
  for (int k = 0; k < nArg; k++) {
    if (aiCons[k] < 0) continue;
    pInfo->aConstraintUsage[aiCons[k]].argvIndex = ++nUsed;
    pInfo->aConstraintUsage[aiCons[k]].omit = 1;
    pInfo->idxNum |= 1 << k;
  }
  pInfo->estimatedCost = rCost;
  pInfo->estimatedRows = nRows;
  return SQLITE_OK;
}

int embedWholeNumber(sqlite3_value *pVal, sqlite3_int64 *pOut) {
  const int eType = sqlite3_value_type(pVal);
  const double d = sqlite3_value_double(pVal);
  if (eType == SQLITE_INTEGER) *pOut = sqlite3_value_int64(pVal);
  else if (eType == SQLITE_FLOAT && d > -1e15 && d < 1e15 && d == (double)(sqlite3_int64)d) *pOut = (sqlite3_int64)d;
  else return 0;
  return 1;
}

const char *embedNotWholeName(sqlite3_value *pVal) {
  const int eType = sqlite3_value_type(pVal);
  return eType == SQLITE_FLOAT ? "a fractional REAL" : embedTypeName(eType);
}

const char *embedTypeName(int eType) {
  switch (eType) {
    case SQLITE_INTEGER: return "INTEGER";
    case SQLITE_FLOAT: return "REAL";
    case SQLITE_TEXT: return "TEXT";
    case SQLITE_BLOB: return "BLOB";
    default: return "NULL";
  }
}

/* embed_load(name, path [, options_json]) -> name */
void embedLoadFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  embed_conn *pConn = sqlite3_user_data(ctx);
  for (int i = 0; i < argc; i++) {
    int eType = sqlite3_value_type(argv[i]);
    if (eType != SQLITE_TEXT) {
      static const char *azArg[] = {"name", "path", "options"};
      embedResultError(ctx, "embed_load",
                       sqlite3_mprintf("argument %d (%s) must be TEXT, got %s", i + 1, azArg[i],
                                       embedTypeName(eType)));
      return;
    }
  }
  const char *zName = (const char *)sqlite3_value_text(argv[0]);
  const char *zPath = (const char *)sqlite3_value_text(argv[1]);
  const char *zOptions = argc > 2 ? (const char *)sqlite3_value_text(argv[2]) : NULL;
  if (!zName || !zPath || (argc > 2 && !zOptions)) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if (zName[0] == '\0') {
    embedResultError(ctx, "embed_load", sqlite3_mprintf("model name must not be empty"));
    return;
  }
  char *zErr = NULL;
  int rc = embedConnLoad(pConn, zName, zPath, zOptions, 0, &zErr);
  if (rc == SQLITE_NOMEM) {
    sqlite3_free(zErr);
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if (rc != SQLITE_OK) {
    embedResultError(ctx, "embed_load", zErr);
    return;
  }
  sqlite3_result_value(ctx, argv[0]);
}

/* embed_unload(name) -> 1 if it was loaded, else an error */
void embedUnloadFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  embed_conn *pConn = sqlite3_user_data(ctx);
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
    embedResultError(ctx, "embed_unload",
                     sqlite3_mprintf("argument 1 (name) must be TEXT, got %s",
                                     embedTypeName(sqlite3_value_type(argv[0]))));
    return;
  }
  const char *zName = (const char *)sqlite3_value_text(argv[0]);
  if (!zName) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if (!embedConnUnload(pConn, zName)) {
    char *zErr = NULL;
    embedConnFindModel(pConn, zName, &zErr); /* builds the "no model named" message */
    embedResultError(ctx, "embed_unload", zErr);
    return;
  }
  sqlite3_result_int(ctx, 1);
}

void embedVersionFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  sqlite3_result_text(ctx, SQLITE_EMBED_VERSION, -1, SQLITE_STATIC);
}

#define F_PURE (SQLITE_UTF8 | SQLITE_INNOCUOUS | SQLITE_DETERMINISTIC)
#define F_VEC_IN (F_PURE | SQLITE_SUBTYPE)
#define F_VEC_OUT (F_PURE | SQLITE_SUBTYPE | SQLITE_RESULT_SUBTYPE)

static const struct {
  const char *zName;                 /* SQL name */
  int nArg;                          /* number of arguments, -1 for any */
  int flags;                         /* encoding and function flags */
  void (*xFunc)(sqlite3_context *, int, sqlite3_value **); /* scalar */
  void (*xStep)(sqlite3_context *, int, sqlite3_value **); /* aggregate step */
  void (*xFinal)(sqlite3_context *);                       /* aggregate final */
  int bConn;                         /* 1: receives the connection state */
} aFunc[] = {
    /* Model loading reads files named in SQL: never from triggers or views. */
    {"embed_load", 2, SQLITE_UTF8 | SQLITE_DIRECTONLY, embedLoadFunc, 0, 0, 1},
    {"embed_load", 3, SQLITE_UTF8 | SQLITE_DIRECTONLY, embedLoadFunc, 0, 0, 1},
    {"embed_unload", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, embedUnloadFunc, 0, 0, 1},
    /* DETERMINISTIC: for a given binding of names the result depends only on the arguments. */
    {"embed", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_RESULT_SUBTYPE, embedFunc, 0, 0, 1},
    {"embed", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_RESULT_SUBTYPE, embedFunc, 0, 0, 1},
    {"embed_tokenize", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, embedTokenizeFunc, 0, 0, 1},
    {"embed_tokenize", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, embedTokenizeFunc, 0, 0, 1},
    {"embed_token_count", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, embedTokenCountFunc, 0, 0, 1},
    {"embed_token_count", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, embedTokenCountFunc, 0, 0, 1},
    {"embed_rerank", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_RESULT_SUBTYPE, embedRerankFunc, 0, 0, 1},
    {"embed_rerank", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_RESULT_SUBTYPE, embedRerankFunc, 0, 0, 1},
    {"embed_version", 0, F_PURE, embedVersionFunc, 0, 0, 0},
    /* sqlite-lembed's names (lembed_funcs.c, lembed_models.c). */
    {"lembed", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_RESULT_SUBTYPE, lembedFunc, 0, 0, 1},
    {"lembed", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_RESULT_SUBTYPE, lembedFunc, 0, 0, 1},
    {"lembed_tokenize_json", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, lembedTokenizeJsonFunc, 0, 0, 1},
    {"lembed_token_to_piece", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, lembedTokenToPieceFunc, 0, 0, 1},
    {"lembed_token_score", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, lembedTokenScoreFunc, 0, 0, 1},
    {"lembed_model_from_file", 1, F_PURE, lembedModelFromFileFunc, 0, 0, 0},
    {"lembed_model_options", -1, F_PURE, lembedModelOptionsFunc, 0, 0, 0},
    {"lembed_context_options", -1, F_PURE, lembedContextOptionsFunc, 0, 0, 0},
    {"vec_similarity", 2, F_VEC_IN, vecSimilarityFunc, 0, 0, 0},
    {"vec_distance_cosine", 2, F_VEC_IN, vecDistanceCosineFunc, 0, 0, 0},
    {"vec_distance_l2", 2, F_VEC_IN, vecDistanceL2Func, 0, 0, 0},
    {"vec_distance_l1", 2, F_VEC_IN, vecDistanceL1Func, 0, 0, 0},
    {"vec_dot", 2, F_VEC_IN, vecDotFunc, 0, 0, 0},
    {"vec_normalize", 1, F_VEC_OUT, vecNormalizeFunc, 0, 0, 0},
    {"vec_slice", 3, F_VEC_OUT, vecSliceFunc, 0, 0, 0},
    {"vec_dims", 1, F_VEC_IN, vecDimsFunc, 0, 0, 0},
    {"vec_length", 1, F_VEC_IN, vecLengthFunc, 0, 0, 0},
    {"vec_f32", 1, F_VEC_OUT, vecF32Func, 0, 0, 0},
    {"vec_to_json", 1, F_VEC_IN, vecToJsonFunc, 0, 0, 0},
    {"vec_from_json", 1, F_VEC_OUT, vecFromJsonFunc, 0, 0, 0},
    {"vec_add", 2, F_VEC_OUT, vecAddFunc, 0, 0, 0},
    {"vec_sub", 2, F_VEC_OUT, vecSubFunc, 0, 0, 0},
    {"vec_quantize_int8", 1, F_VEC_OUT, vecQuantizeInt8Func, 0, 0, 0},
    {"vec_quantize_int8", 2, F_VEC_OUT, vecQuantizeInt8Func, 0, 0, 0},
    {"vec_quantize_binary", 1, F_VEC_OUT, vecQuantizeBinaryFunc, 0, 0, 0},
    {"vec_bit", 1, F_VEC_OUT, vecBitFunc, 0, 0, 0},
    {"vec_int8", 1, F_VEC_OUT, vecInt8Func, 0, 0, 0},
    {"vec_type", 1, F_VEC_IN, vecTypeFunc, 0, 0, 0},
    {"vec_distance_hamming", 2, F_VEC_IN, vecDistanceHammingFunc, 0, 0, 0},
    {"vec_mean", 1, F_VEC_OUT, 0, vecMeanStep, vecMeanFinal, 0},
};

#ifdef _WIN32
__declspec(dllexport)
#else
__attribute__((visibility("default")))
#endif
int sqlite3_embed_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi) {
  /* SQLITE_EXTENSION_INIT2 stores pApi in the global sqlite3_api each time a
  ** connection loads the extension, while other threads' connections read
  ** it on every sqlite3_* call: a data race (ThreadSanitizer reports it).
  ** Only the first load stores it, under a mutex; a later load from another
  ** thread then only reads, and finds the same routines (one libsqlite3). */
  static pthread_mutex_t api_mutex = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&api_mutex);
  if (sqlite3_api != pApi) SQLITE_EXTENSION_INIT2(pApi);
  pthread_mutex_unlock(&api_mutex);
  embed_conn_ref *pRef = sqlite3_malloc64(sizeof(*pRef));
  if (!pRef) return SQLITE_NOMEM;
  memset(pRef, 0, sizeof(*pRef));
  pRef->conn.db = db;
  pRef->nRef = 1; /* held by this function until registration is done */
  int rc = SQLITE_OK;
  for (size_t i = 0; i < sizeof(aFunc) / sizeof(aFunc[0]) && rc == SQLITE_OK; i++) {
    void *pUser = NULL;
    void (*xDestroy)(void *) = NULL;
    if (aFunc[i].bConn) {
      pRef->nRef++; /* SQLite calls xDestroy even when registration fails */
      pUser = &pRef->conn;
      xDestroy = conn_release;
    }
    rc = sqlite3_create_function_v2(db, aFunc[i].zName, aFunc[i].nArg, aFunc[i].flags, pUser,
                                    aFunc[i].xFunc, aFunc[i].xStep, aFunc[i].xFinal, xDestroy);
    if (rc != SQLITE_OK) {
      *pzErrMsg = sqlite3_mprintf("sqlite-embed: cannot register %s(): %s", aFunc[i].zName,
                                  sqlite3_errmsg(db));
    }
  }
  static const struct {
    const char *zName;               /* module name */
    const sqlite3_module *(*xModule)(void); /* its definition */
  } aModule[] = {
      {"embed_models", embedModelsModule},
      {"embed_each", embedEachModule},
      {"embed_rerank_each", embedRerankEachModule},
      {"embed_chunks", embedChunksModule},
      {"vec_each", vecEachModule},
      {"embed_index", embedIndexModule},
      {"lembed_models", lembedModelsModule},
  };
  for (size_t i = 0; i < sizeof(aModule) / sizeof(aModule[0]) && rc == SQLITE_OK; i++) {
    pRef->nRef++; /* as for functions, the destructor also runs on failure */
    rc = sqlite3_create_module_v2(db, aModule[i].zName, aModule[i].xModule(), &pRef->conn, conn_release);
    if (rc != SQLITE_OK) {
      *pzErrMsg = sqlite3_mprintf("sqlite-embed: cannot register %s: %s", aModule[i].zName, sqlite3_errmsg(db));
    }
  }
  if (rc == SQLITE_OK) {
    const char *zEnvModel = getenv("SQLITE_EMBED_MODEL");
    if (zEnvModel && zEnvModel[0]) {
      char *zErr = NULL;
      rc = embedConnLoad(&pRef->conn, "default", zEnvModel, NULL, 1, &zErr);
      sqlite3_free(zErr); /* lazy binding only fails on OOM */
    }
  }
  conn_release(pRef);
  return rc;
}
