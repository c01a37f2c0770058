/*
** rerank_funcs.c — embed_rerank(): a cross-encoder's score of a pair.
**
**   SELECT embed_load('rr', '/models/ms-marco-MiniLM-L-6-v2');
**   SELECT embed_rerank('rr', 'how do I reset my password', body) FROM docs;
**   SELECT embed_rerank('how do I reset my password', body) FROM docs;  -- model 'default'
**
** A reranker reads the query and one document together, so it cannot be
** precomputed per document as an embedding can: the usual plan is a
** semantic-index search for a few dozen candidates, then embed_rerank over
** those, ordered by the score.  The score is what sentence-transformers'
** CrossEncoder.predict returns (the model's activation applied: a logit for
** ms-marco-MiniLM, a probability for bge-reranker-base); a REAL for a
** one-label model, a float32 vector (one value per label, embed()'s BLOB
** format) for several, as an NLI cross-encoder's.
**
** NULL query or document gives NULL; any other non-TEXT argument is an
** error naming it, as embed() does.  A binding whose model has no
** classification head (an embedding model) is an error, not a number.
*/
#include "ext_int.h"
#include <string.h>

/* The TEXT argument i (0-based) into *pz and *pn: 1 when usable, 0 when a
** result (NULL or an error) has been set. */
static int text_arg(sqlite3_context *ctx, sqlite3_value **argv, int i, const char *zWhat,
                    const char **pz, size_t *pn) {
  int eType = sqlite3_value_type(argv[i]);
  if (eType == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return 0;
  }
  if (eType != SQLITE_TEXT) {
    embedResultError(ctx, "embed_rerank",
                     sqlite3_mprintf("argument %d (%s) must be TEXT, got %s", i + 1, zWhat,
                                     embedTypeName(eType)));
    return 0;
  }
  *pz = (const char *)sqlite3_value_text(argv[i]);
  *pn = (size_t)sqlite3_value_bytes(argv[i]);
  if (!*pz) {
    sqlite3_result_error_nomem(ctx);
    return 0;
  }
  return 1;
}

void embedRerankFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  embed_conn *pConn = sqlite3_user_data(ctx);
  const int iQuery = argc - 2;
  const char *zModel = NULL, *zQuery, *zDoc;
  size_t nQuery, nDoc;
  if (argc == 3) {
    int eType = sqlite3_value_type(argv[0]);
    if (eType != SQLITE_TEXT) {
      embedResultError(ctx, "embed_rerank", sqlite3_mprintf("argument 1 (model) must be TEXT, got %s",
                                                            embedTypeName(eType)));
      return;
    }
    if (!(zModel = (const char *)sqlite3_value_text(argv[0]))) {
      sqlite3_result_error_nomem(ctx);
      return;
    }
  }
  if (!text_arg(ctx, argv, iQuery, "query", &zQuery, &nQuery) ||
      !text_arg(ctx, argv, iQuery + 1, "document", &zDoc, &nDoc))
    return;
  char *zErr = NULL;
  embed_slot *pSlot = embedConnFindModel(pConn, zModel, &zErr);
  if (!pSlot) {
    embedResultError(ctx, "embed_rerank", zErr);
    return;
  }
  ee_info info;
  ee_model_info(embedSlotModel(pSlot), &info);
  if (!info.labels) {
    embedResultError(ctx, "embed_rerank",
                     sqlite3_mprintf("model '%s' is not a cross-encoder: embed_rerank needs a "
                                     "reranker (config.json's architectures naming a "
                                     "*ForSequenceClassification, e.g. "
                                     "cross-encoder/ms-marco-MiniLM-L-6-v2); this one embeds "
                                     "texts (embed())", pSlot->zName));
    return;
  }
  ee_context *pEngine = embedSlotContext(pSlot);
  float *aScore = sqlite3_malloc64((sqlite3_uint64)info.labels * sizeof(float));
  if (!pEngine || !aScore) {
    sqlite3_free(aScore);
    sqlite3_result_error_nomem(ctx);
    return;
  }
  ee_error err;
  ee_status st = ee_score_pairs(pEngine, 1, &zQuery, &nQuery, &zDoc, &nDoc, aScore, &err);
  if (st != EE_OK) {
    sqlite3_free(aScore);
    if (st == EE_ERR_NOMEM) sqlite3_result_error_nomem(ctx);
    else embedResultError(ctx, "embed_rerank", sqlite3_mprintf("%s", err.msg));
    return;
  }
  if (info.labels == 1) {
    sqlite3_result_double(ctx, (double)aScore[0]);
    sqlite3_free(aScore);
    return;
  }
  sqlite3_result_blob(ctx, aScore, info.labels * (int)sizeof(float), sqlite3_free);
  sqlite3_result_subtype(ctx, EMBED_SUBTYPE_F32);
}
