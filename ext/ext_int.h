/*
** ext_int.h — interfaces shared by the files of ext/ (never installed).
**
** ext/ is the only part of the project that knows about SQLite.  It keeps
** two levels of model state:
**   - a process-wide registry of loaded models (models.c), keyed by the
**     model directory's real path and the options that change its weights
**     or outputs, so that every connection naming the same directory shares
**     one mmap'd copy of the weights (reference counted);
**   - per connection, a list of names given with embed_load(), each
**     pointing at a registry entry and owning its own scratch context
**     (a connection is used by one thread at a time).
*/
#ifndef EXT_INT_H
#define EXT_INT_H
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
#include <stdint.h>
#include "../engine/embed_engine.h"

#ifndef SQLITE_SUBTYPE
#define SQLITE_SUBTYPE 0x000100000
#endif
#ifndef SQLITE_RESULT_SUBTYPE
#define SQLITE_RESULT_SUBTYPE 0x001000000 /* SQLite 3.45+; ignored by older versions */
#endif
#ifndef SQLITE_INNOCUOUS
#define SQLITE_INNOCUOUS 0x000200000
#endif
#ifndef SQLITE_DIRECTONLY
#define SQLITE_DIRECTONLY 0x000080000
#endif

/* Subtypes sqlite-vec uses for vector BLOBs, so our vectors work in its
** functions and tables and theirs in ours. */
#define EMBED_SUBTYPE_F32 223
#define EMBED_SUBTYPE_BIT 224
#define EMBED_SUBTYPE_INT8 225

/* ------------------------------------------------------------------ */
/* interface to models.c */

typedef struct embed_shared_model embed_shared_model; /* registry entry (opaque) */

/* interface to embed_cache.c: recent (text -> vector) results of one binding */
typedef struct embed_cache {
  struct embed_cache_entry *aEntry; /* nEntry slots, direct-mapped by text hash */
  int nEntry;                        /* 0: caching off */
  int nDims;                         /* floats per vector */
  sqlite3_int64 nHit, nMiss;         /* lookups answered / not answered */
} embed_cache;
int embedCacheInit(embed_cache *pCache, int nEntry, int nDims);
void embedCacheFree(embed_cache *pCache);
/* Copies the cached vector of zPrefix (a prompt, or NULL) + the text into
** aOut and returns 1, or returns 0. */
int embedCacheGet(embed_cache *pCache, const char *zPrefix, const char *zText, size_t nText,
                  float *aOut);
void embedCachePut(embed_cache *pCache, const char *zPrefix, const char *zText, size_t nText,
                   const float *aVec);

#define EMBED_CACHE_DEFAULT 256 /* entries per binding unless cache_size says otherwise */

typedef struct embed_slot {
  char *zName;                 /* name given to embed_load, owned */
  char *zPath;                 /* directory as given, owned */
  char *zOptions;              /* options JSON as given, or NULL, owned */
  embed_shared_model *pShared; /* NULL until loaded (SQLITE_EMBED_MODEL loads lazily) */
  ee_context *pCtx;            /* scratch for this connection, created on first use */
  wp_encoding enc;             /* reused tokenizer output for embed_tokenize */
  int nCacheSize;              /* cache_size option: entries in cache */
  embed_cache cache;           /* recent embeddings, set up when the model loads */
  char *zPrompt;               /* put before every text (prompt / prompt_name option, else the
                                  model's default_prompt_name), or NULL; owned */
  int bPromptOption;           /* 1 when an option chose zPrompt (even none) */
  sqlite3_int64 iId;           /* this binding's number in its connection, never reused
                                  (lembed_models' rowid: stable while others come and go) */
} embed_slot;

typedef struct embed_conn {
  sqlite3 *db;      /* the connection this state belongs to */
  embed_slot *aSlot; /* loaded names, in load order */
  int nSlot;        /* number of entries in aSlot */
  sqlite3_int64 iLastId; /* the last embed_slot.iId given */
} embed_conn;

/* Finds the slot for zName (NULL: the default model).  On failure returns
** NULL and sets *pzErr to an sqlite3_malloc'd message that names the
** loaded models.  Loads a lazily registered model on first use. */
embed_slot *embedConnFindModel(embed_conn *pConn, const char *zName, char **pzErr);
ee_model *embedSlotModel(embed_slot *pSlot);
/* NULL for an embedding model; for a cross-encoder (a reranker, which scores
** pairs and has no vector for one text) an sqlite3_malloc'd message saying
** so, naming the binding (NULL on OOM too: the engine then refuses the text
** with its own message). */
char *embedSlotCrossEncoderError(embed_slot *pSlot);
/* The converse, for the functions that score pairs (zFunc): NULL for a
** cross-encoder, else a message saying the binding embeds texts. */
char *embedSlotRerankerError(embed_slot *pSlot, const char *zFunc);
/* Embeds zPrompt (NULL: none) + one text through the binding's cache.
** Returns SQLITE_OK, SQLITE_NOMEM, or SQLITE_ERROR with *pzErr set
** (sqlite3_malloc'd). */
int embedSlotEmbed(embed_slot *pSlot, const char *zPrompt, const char *zText, size_t nText,
                   float *aOut, char **pzErr);
/* The prompt a binding puts before a search query (bQuery) or a stored
** document, as sentence-transformers' encode_query / encode_document pick
** it: a prompt / prompt_name option of the binding, else the model's
** "query" prompt, or its first of "document", "passage", "corpus", else
** the binding's prompt (the default_prompt_name's).  NULL: none. */
const char *embedSlotRolePrompt(embed_slot *pSlot, int bQuery);
/* The slot's scratch context, created on first use; NULL on OOM. */
ee_context *embedSlotContext(embed_slot *pSlot);

/* Loads (or finds in the registry) a model and binds it to zName in this
** connection, replacing an existing binding of that name.  zOptions is a
** JSON object or NULL.  bLazy: only record the path; load on first use.
** Returns SQLITE_OK or an error code with *pzErr set (sqlite3_malloc'd). */
int embedConnLoad(embed_conn *pConn, const char *zName, const char *zPath,
                  const char *zOptions, int bLazy, char **pzErr);
/* Returns 1 if zName was bound and is now unbound, 0 if it was not bound. */
int embedConnUnload(embed_conn *pConn, const char *zName);
void embedConnFree(embed_conn *pConn);

/* embed_load's options that are the binding's, not the shared model's. */
typedef struct embed_bind_opts {
  int nCache;                  /* cache_size */
  char *zPrompt;               /* prompt, or NULL if not given; sqlite3_malloc'd */
  char *zPromptName;           /* prompt_name, or NULL if not given; sqlite3_malloc'd */
} embed_bind_opts;
/* Parses an options JSON object into engine params and pBind (whose
** strings the caller frees, whatever the result).  Returns SQLITE_OK,
** or SQLITE_ERROR with *pzErr naming the bad key or value. */
int embedParseOptions(const char *zOptions, ee_params *pParams, embed_bind_opts *pBind, char **pzErr);

/* Registry statistics for the embed_models table. */
const char *embedSharedKey(const embed_shared_model *p);
int embedSharedRefs(const embed_shared_model *p);

/* The model and text arguments of a ([model,] text) or ([model,] query,
** document) call: the last nText (1 or 2) arguments are texts, named
** azWhat[i] in messages; one more before them is the model's name.
** Returns 1 when the arguments are usable, 0 when a result (NULL for a
** NULL text, or an error naming zFunc) has already been set. */
typedef struct embed_args {
  embed_slot *pSlot;     /* the model named, loaded */
  const char *azText[2]; /* the texts (not NUL-terminated for our purposes) */
  size_t anText[2];      /* their lengths in bytes */
} embed_args;
int embedReadArgs(sqlite3_context *ctx, const char *zFunc, int argc, sqlite3_value **argv, int nText,
                  const char *const *azWhat, embed_args *pArgs);
/* Sets the result to the vector of pArgs' (first) text: a float32 BLOB with
** sqlite-vec's subtype; bUnit: scaled to length 1 whatever the model's
** normalisation (sqlite-lembed's lembed() always is).  Errors name zFunc. */
void embedResultVector(sqlite3_context *ctx, const char *zFunc, const embed_args *pArgs, int bUnit);

/* ------------------------------------------------------------------ */
/* SQL function implementations, registered by the one table in
** embed_ext.c.  Those that take an embed_conn get it as user data. */
void embedLoadFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void embedUnloadFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void embedFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void embedTokenizeFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void embedTokenCountFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void embedRerankFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void embedVersionFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);

/* sqlite-lembed's names (lembed_funcs.c), so its SQL runs unchanged. */
void lembedFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void lembedTokenizeJsonFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void lembedTokenToPieceFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void lembedTokenScoreFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void lembedModelFromFileFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void lembedModelOptionsFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void lembedContextOptionsFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);

void vecSimilarityFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecDistanceCosineFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecDistanceL2Func(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecDotFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecDistanceL1Func(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecLengthFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecF32Func(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecNormalizeFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecSliceFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecDimsFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecToJsonFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecFromJsonFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecAddFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecSubFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecQuantizeInt8Func(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecQuantizeBinaryFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecBitFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecInt8Func(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecTypeFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecDistanceHammingFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecMeanStep(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void vecMeanFinal(sqlite3_context *ctx);

/* The eponymous embed_models table (models_table.c); its client data is the embed_conn. */
const sqlite3_module *embedModelsModule(void);
/* A table with one row per binding of the connection (embed_models,
** temp.lembed_models): the vtab and cursor both use, and the methods that do
** not depend on the columns (models_table.c).  embedSlotsConnect declares
** zSchema and applies the sqlite3_vtab_config option eConfig. */
typedef struct embed_slots_vtab {
  sqlite3_vtab base; /* base class: must be first */
  embed_conn *pConn; /* the connection's model bindings */
} embed_slots_vtab;
typedef struct embed_slots_cursor {
  sqlite3_vtab_cursor base; /* base class: must be first */
  int iRow;                 /* index into pConn->aSlot */
} embed_slots_cursor;
int embedSlotsConnect(sqlite3 *db, void *pAux, const char *zSchema, int eConfig, sqlite3_vtab **ppVtab);
int embedSlotsDisconnect(sqlite3_vtab *pVtab);
int embedSlotsOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor);
int embedSlotsClose(sqlite3_vtab_cursor *pCursor);
int embedSlotsFilter(sqlite3_vtab_cursor *pCursor, int idxNum, const char *idxStr, int argc, sqlite3_value **argv);
int embedSlotsNext(sqlite3_vtab_cursor *pCursor);
int embedSlotsEof(sqlite3_vtab_cursor *pCursor);
int embedSlotsBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo);
embed_slot *embedSlotsRow(sqlite3_vtab_cursor *pCursor); /* the cursor's binding */
/* The table-valued function embed_each (embed_each.c). */
const sqlite3_module *embedEachModule(void);
/* The table-valued function embed_rerank_each (rerank_each.c). */
const sqlite3_module *embedRerankEachModule(void);
/* The table-valued function embed_chunks (embed_chunks.c). */
const sqlite3_module *embedChunksModule(void);
/* The eponymous temp.lembed_models table (lembed_models.c): sqlite-lembed's
** way of binding a model name; client data is the embed_conn. */
const sqlite3_module *lembedModelsModule(void);
/* The table-valued function vec_each (vec_each.c). */
const sqlite3_module *vecEachModule(void);

/* Reports an error as "<zFunc>(): <message>" and frees zMsg; NULL zMsg
** means an allocation failed. */
void embedResultError(sqlite3_context *ctx, const char *zFunc, char *zMsg);
/* Finishes pOut and makes its text the result (out of memory if building it
** failed anywhere). */
void embedResultStr(sqlite3_context *ctx, sqlite3_str *pOut);

/* The name SQLite shows for a value's type: "INTEGER", "REAL", "TEXT", "BLOB", "NULL". */
const char *embedTypeName(int eType);

/* 1 with *pOut set when pVal is an INTEGER, or a REAL that holds a whole
** number below 1e15 (drivers such as better-sqlite3 bind numbers as REAL);
** 0 otherwise.  embedNotWholeName words what it was instead, for errors:
** "a fractional REAL", "TEXT", ... */
int embedWholeNumber(sqlite3_value *pVal, sqlite3_int64 *pOut);

/* For the table-valued functions (embed_each, embed_rerank_each, embed_chunks). */
/* Their table: the connection's model bindings (xConnect's client data). */
typedef struct embed_fn_vtab {
  sqlite3_vtab base; /* base class: must be first */
  embed_conn *pConn; /* the connection's model bindings */
} embed_fn_vtab;
/* xConnect's work: declares zSchema and allocates the table for pAux. */
int embedFnConnect(sqlite3 *db, void *pAux, const char *zSchema, sqlite3_vtab **ppVtab);
int embedFnDisconnect(sqlite3_vtab *pVtab);
/* Sets the cursor's table error to zMsg (sqlite3_malloc'd; NULL: out of
** memory) and returns SQLITE_ERROR, or SQLITE_NOMEM for NULL. */
int embedCursorError(sqlite3_vtab_cursor *pCursor, char *zMsg);
/* xBestIndex of a function whose arguments are the hidden columns iFirst..
** iFirst + nArg - 1 (at most EMBED_HIDDEN_ARGS_MAX): each given one (an =
** constraint) is passed to xFilter, in column order, and sets idxNum bit
** k for argument k; SQLITE_CONSTRAINT when one is not usable, so that
** SQLite tries a plan where it is. */
#define EMBED_HIDDEN_ARGS_MAX 8
int embedHiddenArgsIndex(sqlite3_index_info *pInfo, int iFirst, int nArg, double rCost, sqlite3_int64 nRows);
const char *embedNotWholeName(sqlite3_value *pVal);

/* A JSON array of texts, as embed_each and embed_rerank_each take it
** (text_array.c): nText of its n elements are strings, the others null. */
typedef struct embed_text_array {
  void *pArray;        /* the parsed array (a json_t reference, owned); NULL when empty */
  int n;               /* elements */
  int nText;           /* strings among them */
  const char **azText; /* the strings in order, pointing into pArray */
  size_t *anText;      /* their lengths in bytes (a string may hold NUL) */
  int *aiElem;         /* the element each string is */
} embed_text_array;
/* Reads pVal into *p (freeing what it held): NULL gives no elements; not
** TEXT, not a JSON array, more than 1,000,000 elements or an element that
** is neither a string nor null is the cursor's error "<zFunc>(): <zArg> must
** be ...", "element 3 is not a string or null", ... */
int embedTextArrayRead(sqlite3_vtab_cursor *pCursor, const char *zFunc, const char *zArg, sqlite3_value *pVal,
                       embed_text_array *p);
/* Copies row t of src (nText rows of width floats, one per string) to the
** row of dst (n rows) of the element it came from; null elements' rows are
** left as they are. */
void embedTextArrayScatter(const embed_text_array *p, const float *src, int width, float *dst);
/* 1 with element i's text when it is a string; 0 for a null. */
int embedTextArrayElement(const embed_text_array *p, int i, const char **pzText, size_t *pnText);
void embedTextArrayFree(embed_text_array *p);
/* The binding a table-valued function's optional model argument names
** (pModel NULL: the default), or the cursor's error "<zFunc>(): argument
** <iArg> (model) must be TEXT, ..." / "no model named ...". */
int embedCursorSlot(sqlite3_vtab_cursor *pCursor, embed_conn *pConn, const char *zFunc, int iArg, sqlite3_value *pModel,
                    embed_slot **ppSlot);

#endif
