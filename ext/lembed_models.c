/*
** lembed_models.c — sqlite-lembed's temp.lembed_models table: a model is
** bound to a name by inserting a row, and unbound by deleting it.
**
**   INSERT INTO temp.lembed_models(name, model)
**     SELECT 'mini', lembed_model_from_file('all-MiniLM-L6-v2.Q8_0.gguf');
**   INSERT INTO temp.lembed_models(name, model, context_options)
**     VALUES ('long', 'nomic-embed-text-v1.5.Q4_K_M.gguf', lembed_context_options('n_ctx', 2048));
**   SELECT name, model FROM temp.lembed_models;
**   DELETE FROM temp.lembed_models WHERE name = 'mini';
**
** It is a view of the connection's bindings, the same ones embed_load makes
** and embed_models lists: an INSERT is embed_load(name, model, options)
** with normalize on (sqlite-lembed's vectors always have length 1) and the
** options translated (n_ctx -> max_length; n_gpu_layers and seed have no
** effect here); inserting a name that is bound replaces its binding, as
** embed_load does (sqlite-lembed keeps both and answers with the first).
** Like embed_load it reads files named in SQL, so it is DIRECTONLY: never
** written from a trigger or a view.  Bindings are not part of transactions
** (nor are embed_load's, or sqlite-lembed's): a ROLLBACK keeps them.
**
** Eponymous only (no CREATE VIRTUAL TABLE), which is how sqlite-lembed's is
** reached as temp.lembed_models.  The rowid is the binding's number
** (embed_slot.iId), stable while other rows come and go, so a DELETE of
** several rows removes the ones its WHERE chose.
*/
#include "ext_int.h"
#include "../tokenizer/se_json.h"
#include <string.h>

enum { COL_NAME, COL_MODEL, COL_MODEL_OPTIONS, COL_CONTEXT_OPTIONS };

static int lmodelsConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                          char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  return embedSlotsConnect(db, pAux,
                           "CREATE TABLE x(name TEXT, model TEXT, model_options HIDDEN, context_options HIDDEN)",
                           SQLITE_VTAB_DIRECTONLY, ppVtab);
}

/* model is the path as given (sqlite-lembed shows a pointer, i.e. NULL);
** the option columns are only for INSERT and read NULL. */
static int lmodelsColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx, int iCol) {
  embed_slot *pSlot = embedSlotsRow(pCursor);
  if (iCol == COL_NAME) sqlite3_result_text(ctx, pSlot->zName, -1, SQLITE_TRANSIENT);
  else if (iCol == COL_MODEL) sqlite3_result_text(ctx, pSlot->zPath, -1, SQLITE_TRANSIENT);
  return SQLITE_OK;
}

static int lmodelsRowid(sqlite3_vtab_cursor *pCursor, sqlite_int64 *pRowid) {
  *pRowid = embedSlotsRow(pCursor)->iId;
  return SQLITE_OK;
}

static int vtab_error(sqlite3_vtab *pVtab, char *zMsg) {
  sqlite3_free(pVtab->zErrMsg);
  pVtab->zErrMsg = zMsg ? sqlite3_mprintf("lembed_models: %s", zMsg) : NULL;
  sqlite3_free(zMsg);
  return pVtab->zErrMsg ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* Reads the JSON object of an option column (lembed_model_options() or
** lembed_context_options(), or the same object written by hand) into
** *pnCtx (n_ctx, 0 when absent).  Keys other than azKeys are an error.
** Returns SQLITE_OK, SQLITE_NOMEM, or SQLITE_ERROR with *pzErr set. */
static int read_options(sqlite3_value *pVal, const char *zColumn, const char *zFunc, const char *const *azKeys,
                        int nKeys, sqlite3_int64 *pnCtx, char **pzErr) {
  const int eType = sqlite3_value_type(pVal);
  if (eType == SQLITE_NULL) return SQLITE_OK;
  const char *z = eType == SQLITE_TEXT ? (const char *)sqlite3_value_text(pVal) : NULL;
  if (eType == SQLITE_TEXT && !z) return SQLITE_NOMEM;
  json_error_t jerr;
  int bNomem = 0;
  json_t *root = z ? se_json_loadb(z, (size_t)sqlite3_value_bytes(pVal), JSON_REJECT_DUPLICATES, &jerr, &bNomem)
                   : NULL;
  if (bNomem) return SQLITE_NOMEM;
  int rc = SQLITE_OK;
  if (!json_is_object(root)) {
    *pzErr = sqlite3_mprintf("%s must be %s(...)'s JSON object, got %s", zColumn, zFunc,
                             root || eType != SQLITE_TEXT ? embedTypeName(eType) : "TEXT that is not JSON");
    rc = SQLITE_ERROR;
  }
  const char *zKey;
  json_t *pItem;
  if (rc == SQLITE_OK) {
    json_object_foreach(root, zKey, pItem) {
      int k = 0;
      while (k < nKeys && strcmp(zKey, azKeys[k])) k++;
      if (k == nKeys || !json_is_integer(pItem)) {
        *pzErr = sqlite3_mprintf("%s: %s '%s' (write it with %s(...))", zColumn,
                                 k == nKeys ? "unknown option" : "not an integer:", zKey, zFunc);
        rc = SQLITE_ERROR;
        break;
      }
      if (strcmp(zKey, "n_ctx") == 0) *pnCtx = json_integer_value(pItem);
    }
  }
  json_decref(root);
  if (rc == SQLITE_OK && *pnCtx != 0 && (*pnCtx < 2 || *pnCtx > 1000000)) {
    *pzErr = sqlite3_mprintf("%s: n_ctx must be from 2 (a [CLS] and a [SEP]) to 1000000, got %lld", zColumn,
                             (long long)*pnCtx);
    rc = SQLITE_ERROR;
  }
  return rc == SQLITE_ERROR && !*pzErr ? SQLITE_NOMEM : rc;
}

static int lmodels_insert(embed_slots_vtab *pTab, sqlite3_value **aCol, sqlite_int64 *pRowid) {
  sqlite3_vtab *pVtab = &pTab->base;
  if (sqlite3_value_type(aCol[COL_NAME]) != SQLITE_TEXT || sqlite3_value_bytes(aCol[COL_NAME]) == 0) {
    return vtab_error(pVtab, sqlite3_mprintf("name must be a non-empty TEXT, got %s",
                                             sqlite3_value_type(aCol[COL_NAME]) == SQLITE_TEXT
                                                 ? "''"
                                                 : embedTypeName(sqlite3_value_type(aCol[COL_NAME]))));
  }
  if (sqlite3_value_type(aCol[COL_MODEL]) != SQLITE_TEXT) {
    return vtab_error(pVtab, sqlite3_mprintf("model must be a path, as lembed_model_from_file('model.gguf') "
                                             "gives it, got %s",
                                             embedTypeName(sqlite3_value_type(aCol[COL_MODEL]))));
  }
  const char *zName = (const char *)sqlite3_value_text(aCol[COL_NAME]);
  const char *zPath = (const char *)sqlite3_value_text(aCol[COL_MODEL]);
  if (!zName || !zPath) return SQLITE_NOMEM;
  static const char *const azModelKeys[] = {"n_gpu_layers"};
  static const char *const azContextKeys[] = {"seed", "n_ctx"};
  sqlite3_int64 nCtx = 0, nUnused = 0;
  char *zErr = NULL;
  int rc = read_options(aCol[COL_MODEL_OPTIONS], "model_options", "lembed_model_options", azModelKeys, 1,
                        &nUnused, &zErr);
  if (rc == SQLITE_OK)
    rc = read_options(aCol[COL_CONTEXT_OPTIONS], "context_options", "lembed_context_options", azContextKeys, 2,
                      &nCtx, &zErr);
  if (rc != SQLITE_OK) return rc == SQLITE_NOMEM ? rc : vtab_error(pVtab, zErr);
  char *zOptions = nCtx ? sqlite3_mprintf("{\"normalize\": true, \"max_length\": %lld}", (long long)nCtx)
                        : sqlite3_mprintf("{\"normalize\": true}");
  if (!zOptions) return SQLITE_NOMEM;
  rc = embedConnLoad(pTab->pConn, zName, zPath, zOptions, 0, &zErr);
  sqlite3_free(zOptions);
  if (rc == SQLITE_NOMEM) {
    sqlite3_free(zErr);
    return rc;
  }
  if (rc != SQLITE_OK) return vtab_error(pVtab, zErr);
  for (int i = 0; i < pTab->pConn->nSlot; i++) {
    if (strcmp(pTab->pConn->aSlot[i].zName, zName) == 0) *pRowid = pTab->pConn->aSlot[i].iId;
  }
  return SQLITE_OK;
}

static int lmodelsUpdate(sqlite3_vtab *pVtab, int argc, sqlite3_value **argv, sqlite_int64 *pRowid) {
  embed_slots_vtab *pTab = (embed_slots_vtab *)pVtab;
  if (argc == 1) { /* DELETE */
    const sqlite3_int64 iId = sqlite3_value_int64(argv[0]);
    for (int i = 0; i < pTab->pConn->nSlot; i++) {
      if (pTab->pConn->aSlot[i].iId == iId) {
        embedConnUnload(pTab->pConn, pTab->pConn->aSlot[i].zName);
        break;
      }
    }
    return SQLITE_OK;
  }
  if (sqlite3_value_type(argv[0]) != SQLITE_NULL) {
    return vtab_error(pVtab, sqlite3_mprintf("UPDATE is not supported: DELETE the row and INSERT it again"));
  }
  return lmodels_insert(pTab, argv + 2, pRowid);
}

static const sqlite3_module lmodels_module = {
    .iVersion = 0,
    .xCreate = 0, /* eponymous only */
    .xConnect = lmodelsConnect,
    .xBestIndex = embedSlotsBestIndex,
    .xDisconnect = embedSlotsDisconnect,
    .xOpen = embedSlotsOpen,
    .xClose = embedSlotsClose,
    .xFilter = embedSlotsFilter,
    .xNext = embedSlotsNext,
    .xEof = embedSlotsEof,
    .xColumn = lmodelsColumn,
    .xRowid = lmodelsRowid,
    .xUpdate = lmodelsUpdate,
};

const sqlite3_module *lembedModelsModule(void) { return &lmodels_module; }
