/*
** models_table.c — the eponymous virtual table embed_models: one row per
** model name bound in this connection.
**
**   SELECT name, dims, max_length, pooling, normalize FROM embed_models;
**
** A model bound lazily through SQLITE_EMBED_MODEL and not used yet shows
** loaded = 0 and NULL for what only loading can tell.  shared_by counts the
** bindings, across all connections of the process, that share its weights.
** precision is the dense layers' arithmetic ("fp32", "bf16", "int8") and
** bytes_packed the heap those layers' packed weights take at it; kernel
** names the tile that computes them on this CPU (engine/kernels*.c), so a
** user can see whether bf16/int8 get their fast instructions here.
** prompt is what the binding puts before every text (NULL: nothing) and
** prompts the model's named prompts (config_sentence_transformers.json).
**
** The methods that only walk the bindings (embedSlots*) are here too, and
** temp.lembed_models (lembed_models.c) uses them with its own columns.
*/
#include "ext_int.h"
#include <string.h>

enum {
  COL_NAME, COL_PATH, COL_LOADED, COL_MODEL_TYPE, COL_DIMS, COL_LAYERS, COL_HEADS,
  COL_INTERMEDIATE, COL_VOCAB_SIZE, COL_MAX_LENGTH, COL_POOLING, COL_NORMALIZE,
  COL_DTYPE, COL_PARAMS, COL_BYTES_MAPPED, COL_SHARED_BY, COL_OPTIONS, COL_CACHE_SIZE,
  COL_CACHE_HITS, COL_CACHE_MISSES, COL_PRECISION, COL_BYTES_PACKED, COL_KERNEL, COL_PROMPT,
  COL_PROMPTS, COL_HIDDEN, COL_MODULES, COL_DIR, COL_SIMILARITY, COL_TOKENIZER
};

int embedSlotsConnect(sqlite3 *db, void *pAux, const char *zSchema, int eConfig, sqlite3_vtab **ppVtab) {
  int rc = sqlite3_declare_vtab(db, zSchema);
  if (rc != SQLITE_OK) return rc;
  embed_slots_vtab *pTab = sqlite3_malloc64(sizeof(*pTab));
  if (!pTab) return SQLITE_NOMEM;
  memset(pTab, 0, sizeof(*pTab));
  pTab->pConn = pAux;
  sqlite3_vtab_config(db, eConfig);
  *ppVtab = &pTab->base;
  return SQLITE_OK;
}

int embedSlotsDisconnect(sqlite3_vtab *pVtab) {
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

int embedSlotsOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  (void)pVtab;
  embed_slots_cursor *pCur = sqlite3_malloc64(sizeof(*pCur));
  if (!pCur) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  *ppCursor = &pCur->base;
  return SQLITE_OK;
}

int embedSlotsClose(sqlite3_vtab_cursor *pCursor) {
  sqlite3_free(pCursor);
  return SQLITE_OK;
}

int embedSlotsFilter(sqlite3_vtab_cursor *pCursor, int idxNum, const char *idxStr, int argc,
                     sqlite3_value **argv) {
  (void)idxNum;
  (void)idxStr;
  (void)argc;
  (void)argv;
  ((embed_slots_cursor *)pCursor)->iRow = 0;
  return SQLITE_OK;
}

int embedSlotsNext(sqlite3_vtab_cursor *pCursor) {
  ((embed_slots_cursor *)pCursor)->iRow++;
  return SQLITE_OK;
}

int embedSlotsEof(sqlite3_vtab_cursor *pCursor) {
  return ((embed_slots_cursor *)pCursor)->iRow >= ((embed_slots_vtab *)pCursor->pVtab)->pConn->nSlot;
}

int embedSlotsBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo) {
  (void)pVtab;
  pInfo->estimatedCost = 10;
  pInfo->estimatedRows = 10;
  return SQLITE_OK;
}

embed_slot *embedSlotsRow(sqlite3_vtab_cursor *pCursor) {
  return &((embed_slots_vtab *)pCursor->pVtab)->pConn->aSlot[((embed_slots_cursor *)pCursor)->iRow];
}

static int modelsConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                         sqlite3_vtab **ppVtab, char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  return embedSlotsConnect(db, pAux,
      "CREATE TABLE x(name TEXT, path TEXT, loaded INTEGER, model_type TEXT, dims INTEGER, "
      "layers INTEGER, heads INTEGER, intermediate INTEGER, vocab_size INTEGER, max_length INTEGER, "
      "pooling TEXT, normalize INTEGER, dtype TEXT, params INTEGER, bytes_mapped INTEGER, "
      "shared_by INTEGER, options TEXT, cache_size INTEGER, cache_hits INTEGER, cache_misses INTEGER, "
      "precision TEXT, bytes_packed INTEGER, kernel TEXT, prompt TEXT, prompts TEXT, "
      "hidden INTEGER, modules TEXT, dir TEXT, similarity TEXT, tokenizer TEXT)",
      SQLITE_VTAB_INNOCUOUS, ppVtab);
}

static int modelsColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx, int iCol) {
  embed_slot *pSlot = embedSlotsRow(pCursor);
  if (iCol == COL_NAME) {
    sqlite3_result_text(ctx, pSlot->zName, -1, SQLITE_TRANSIENT);
    return SQLITE_OK;
  }
  if (iCol == COL_PATH) {
    sqlite3_result_text(ctx, pSlot->zPath, -1, SQLITE_TRANSIENT);
    return SQLITE_OK;
  }
  if (iCol == COL_OPTIONS) {
    if (pSlot->zOptions) sqlite3_result_text(ctx, pSlot->zOptions, -1, SQLITE_TRANSIENT);
    return SQLITE_OK;
  }
  if (iCol == COL_LOADED) {
    sqlite3_result_int(ctx, pSlot->pShared != NULL);
    return SQLITE_OK;
  }
  if (!pSlot->pShared) return SQLITE_OK; /* NULL until loaded */
  if (iCol == COL_CACHE_SIZE) {
    sqlite3_result_int(ctx, pSlot->cache.nEntry);
    return SQLITE_OK;
  }
  if (iCol == COL_CACHE_HITS || iCol == COL_CACHE_MISSES) {
    sqlite3_result_int64(ctx, iCol == COL_CACHE_HITS ? pSlot->cache.nHit : pSlot->cache.nMiss);
    return SQLITE_OK;
  }
  ee_info info;
  ee_model_info(embedSlotModel(pSlot), &info);
  switch (iCol) {
    case COL_MODEL_TYPE: sqlite3_result_text(ctx, info.model_type, -1, SQLITE_TRANSIENT); break;
    case COL_DIMS: sqlite3_result_int(ctx, info.dims); break;
    case COL_LAYERS: sqlite3_result_int(ctx, info.num_layers); break;
    case COL_HEADS: sqlite3_result_int(ctx, info.num_heads); break;
    case COL_INTERMEDIATE: sqlite3_result_int(ctx, info.intermediate_size); break;
    case COL_VOCAB_SIZE: sqlite3_result_int(ctx, info.vocab_size); break;
    case COL_MAX_LENGTH: sqlite3_result_int(ctx, info.max_length); break;
    case COL_POOLING:
      if (ee_pooling_name(info.pooling))
        sqlite3_result_text(ctx, ee_pooling_name(info.pooling), -1, SQLITE_STATIC);
      break;
    case COL_NORMALIZE: sqlite3_result_int(ctx, info.normalize); break;
    case COL_DTYPE: sqlite3_result_text(ctx, info.dtype, -1, SQLITE_TRANSIENT); break;
    case COL_PARAMS: sqlite3_result_int64(ctx, info.n_params); break;
    case COL_BYTES_MAPPED: sqlite3_result_int64(ctx, info.bytes_mapped); break;
    case COL_SHARED_BY: sqlite3_result_int(ctx, embedSharedRefs(pSlot->pShared)); break;
    case COL_PRECISION: sqlite3_result_text(ctx, info.precision, -1, SQLITE_STATIC); break;
    case COL_BYTES_PACKED: sqlite3_result_int64(ctx, info.bytes_packed); break;
    case COL_KERNEL: sqlite3_result_text(ctx, info.kernel, -1, SQLITE_STATIC); break;
    case COL_PROMPT:
      if (pSlot->zPrompt) sqlite3_result_text(ctx, pSlot->zPrompt, -1, SQLITE_TRANSIENT);
      break;
    case COL_PROMPTS: sqlite3_result_text(ctx, info.prompts, -1, SQLITE_TRANSIENT); break;
    case COL_HIDDEN: sqlite3_result_int(ctx, info.hidden_size); break;
    case COL_MODULES: sqlite3_result_text(ctx, info.modules, -1, SQLITE_TRANSIENT); break;
    case COL_DIR: sqlite3_result_text(ctx, info.dir, -1, SQLITE_TRANSIENT); break;
    case COL_SIMILARITY: sqlite3_result_text(ctx, info.similarity, -1, SQLITE_STATIC); break;
    case COL_TOKENIZER: sqlite3_result_text(ctx, info.tokenizer, -1, SQLITE_STATIC); break;
    default: break;
  }
  return SQLITE_OK;
}

static int modelsRowid(sqlite3_vtab_cursor *pCursor, sqlite_int64 *pRowid) {
  *pRowid = ((embed_slots_cursor *)pCursor)->iRow + 1;
  return SQLITE_OK;
}

static const sqlite3_module models_module = {
    .iVersion = 0,
    .xCreate = 0, /* eponymous only: no CREATE VIRTUAL TABLE */
    .xConnect = modelsConnect,
    .xBestIndex = embedSlotsBestIndex,
    .xDisconnect = embedSlotsDisconnect,
    .xOpen = embedSlotsOpen,
    .xClose = embedSlotsClose,
    .xFilter = embedSlotsFilter,
    .xNext = embedSlotsNext,
    .xEof = embedSlotsEof,
    .xColumn = modelsColumn,
    .xRowid = modelsRowid,
};

const sqlite3_module *embedModelsModule(void) { return &models_module; }
