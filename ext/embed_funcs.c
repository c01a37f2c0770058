/*
** embed_funcs.c — the SQL functions that run a model: embed(),
** embed_tokenize(), embed_token_count() and embed_rerank().
**
**   SELECT embed('a cat sits');                    -- model 'default'
**   SELECT embed('bge', 'a cat sits');             -- a named model
**   SELECT embed_tokenize('Hello, world!');
**     -- {"ids":[101,7592,1010,2088,999,102],"tokens":["[CLS]","hello",",","world","!","[SEP]"],"type_ids":[0,0,0,0,0,0]}
**   SELECT embed_token_count('Hello, world!');     -- 4 (no [CLS]/[SEP], before truncation)
**   SELECT embed_rerank('rr', 'how do I reset my password', body) FROM docs;
**
** Every function takes (text) or (model, text), embed_rerank (query,
** document) or (model, query, document).  A NULL text gives NULL; a text
** that is not TEXT is an error naming the argument and its type, since
** silently embedding "42" for an integer would hide a schema mistake.  Texts
** are read with their byte length, never as C strings: they may contain NUL.
**
** A reranker (cross-encoder) reads the query and one document together, so
** it cannot be precomputed per document as an embedding can: the usual plan
** is a semantic-index search for a few dozen candidates, then embed_rerank
** over those, ordered by the score.  The score is what sentence-transformers'
** CrossEncoder.predict returns (the model's activation applied: a logit for
** ms-marco-MiniLM, a probability for bge-reranker-base); a REAL for a
** one-label model, a float32 vector (one value per label, embed()'s BLOB
** format) for several, as an NLI cross-encoder's.  A binding whose model
** has no classification head (an embedding model) is an error, not a number.
*/
#include "ext_int.h"
#include <math.h>
#include <string.h>

int embedReadArgs(sqlite3_context *ctx, const char *zFunc, int argc, sqlite3_value **argv, int nText,
                  const char *const *azWhat, embed_args *pArgs) {
  embed_conn *pConn = sqlite3_user_data(ctx);
  const char *zModel = NULL;
  if (argc > nText) {
    int eType = sqlite3_value_type(argv[0]);
    if (eType != SQLITE_TEXT) {
      embedResultError(ctx, zFunc,
                       sqlite3_mprintf("argument 1 (model) must be TEXT, got %s", embedTypeName(eType)));
      return 0;
    }
    zModel = (const char *)sqlite3_value_text(argv[0]);
    if (!zModel) {
      sqlite3_result_error_nomem(ctx);
      return 0;
    }
  }
  for (int i = 0; i < nText; i++) {
    const int iArg = argc - nText + i;
    int eType = sqlite3_value_type(argv[iArg]);
    if (eType == SQLITE_NULL) {
      sqlite3_result_null(ctx);
      return 0;
    }
    if (eType != SQLITE_TEXT) {
      embedResultError(ctx, zFunc, sqlite3_mprintf("argument %d (%s) must be TEXT, got %s", iArg + 1,
                                                   azWhat[i], embedTypeName(eType)));
      return 0;
    }
    pArgs->azText[i] = (const char *)sqlite3_value_text(argv[iArg]);
    pArgs->anText[i] = (size_t)sqlite3_value_bytes(argv[iArg]);
    if (!pArgs->azText[i]) {
      sqlite3_result_error_nomem(ctx);
      return 0;
    }
  }
  char *zErr = NULL;
  pArgs->pSlot = embedConnFindModel(pConn, zModel, &zErr);
  if (!pArgs->pSlot) {
    embedResultError(ctx, zFunc, zErr);
    return 0;
  }
  return 1;
}

static const char *const TEXT_ARG[1] = {"text"};

void embedResultVector(sqlite3_context *ctx, const char *zFunc, const embed_args *pArgs, int bUnit) {
  int nDims = ee_model_dims(embedSlotModel(pArgs->pSlot));
  float *aVec = sqlite3_malloc64((sqlite3_uint64)nDims * sizeof(float));
  if (!aVec) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  char *zErr = NULL;
  int rc = embedSlotEmbed(pArgs->pSlot, pArgs->pSlot->zPrompt, pArgs->azText[0], pArgs->anText[0], aVec, &zErr);
  if (rc != SQLITE_OK) {
    sqlite3_free(aVec);
    if (rc == SQLITE_NOMEM) sqlite3_result_error_nomem(ctx);
    else embedResultError(ctx, zFunc, zErr);
    return;
  }
  if (bUnit) {
    double sum = 0.0;
    for (int i = 0; i < nDims; i++) sum += (double)aVec[i] * aVec[i];
    /* A zero vector has no direction; it stays as it is rather than NaN. */
    const double inv = sum > 0.0 ? 1.0 / sqrt(sum) : 1.0;
    for (int i = 0; i < nDims; i++) aVec[i] = (float)(aVec[i] * inv);
  }
  /* Vectors are little-endian float32 on every platform we build for
  ** (x86-64, arm64), which is the byte order sqlite-vec reads. */
  sqlite3_result_blob(ctx, aVec, nDims * (int)sizeof(float), sqlite3_free);
  sqlite3_result_subtype(ctx, EMBED_SUBTYPE_F32);
}

void embedFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  embed_args args;
  if (!embedReadArgs(ctx, "embed", argc, argv, 1, TEXT_ARG, &args)) return;
  embedResultVector(ctx, "embed", &args, 0);
}

/* Tokenizes the text with the model's tokenizer and max_length into the
** slot's reusable encoding.  Returns 1 on success, else sets an error. */
static int tokenize_args(sqlite3_context *ctx, const char *zFunc, embed_args *pArgs) {
  ee_model *pModel = embedSlotModel(pArgs->pSlot);
  ee_info info;
  ee_model_info(pModel, &info);
  wp_error err;
  wp_status st = wp_encode(ee_model_tokenizer(pModel), pArgs->azText[0], pArgs->anText[0], info.max_length,
                           &pArgs->pSlot->enc, &err);
  if (st == WP_ERR_NOMEM) {
    sqlite3_result_error_nomem(ctx);
    return 0;
  }
  if (st != WP_OK) {
    embedResultError(ctx, zFunc, sqlite3_mprintf("%s", err.msg));
    return 0;
  }
  return 1;
}

/* Appends s (n bytes) as a JSON string literal. */
static void append_json_string(sqlite3_str *pOut, const char *s, size_t n) {
  sqlite3_str_appendchar(pOut, 1, '"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      sqlite3_str_appendf(pOut, "\\%c", c);
    } else if (c < 0x20) {
      sqlite3_str_appendf(pOut, "\\u%04x", c);
    } else {
      sqlite3_str_appendchar(pOut, 1, (char)c);
    }
  }
  sqlite3_str_appendchar(pOut, 1, '"');
}

void embedTokenizeFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  embed_args args;
  if (!embedReadArgs(ctx, "embed_tokenize", argc, argv, 1, TEXT_ARG, &args)) return;
  if (!tokenize_args(ctx, "embed_tokenize", &args)) return;
  const wp_encoding *pEnc = &args.pSlot->enc;
  const wp_tokenizer *pTok = ee_model_tokenizer(embedSlotModel(args.pSlot));
  sqlite3_str *pOut = sqlite3_str_new(NULL);
  sqlite3_str_appendall(pOut, "{\"ids\":[");
  for (int32_t i = 0; i < pEnc->n; i++) sqlite3_str_appendf(pOut, "%s%d", i ? "," : "", pEnc->ids[i]);
  sqlite3_str_appendall(pOut, "],\"tokens\":[");
  for (int32_t i = 0; i < pEnc->n; i++) {
    size_t nTok = 0;
    const char *zTok = wp_id_to_token(pTok, pEnc->ids[i], &nTok);
    if (i) sqlite3_str_appendchar(pOut, 1, ',');
    append_json_string(pOut, zTok ? zTok : "", zTok ? nTok : 0);
  }
  sqlite3_str_appendall(pOut, "],\"type_ids\":[");
  for (int32_t i = 0; i < pEnc->n; i++) sqlite3_str_appendf(pOut, "%s%d", i ? "," : "", pEnc->type_ids[i]);
  sqlite3_str_appendall(pOut, "]}");
  embedResultStr(ctx, pOut);
}

void embedTokenCountFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  embed_args args;
  if (!embedReadArgs(ctx, "embed_token_count", argc, argv, 1, TEXT_ARG, &args)) return;
  if (!tokenize_args(ctx, "embed_token_count", &args)) return;
  sqlite3_result_int(ctx, args.pSlot->enc.n_untruncated);
}

void embedRerankFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  static const char *const azWhat[2] = {"query", "document"};
  embed_args args;
  if (!embedReadArgs(ctx, "embed_rerank", argc, argv, 2, azWhat, &args)) return;
  char *zErr = embedSlotRerankerError(args.pSlot, "embed_rerank");
  if (zErr) {
    embedResultError(ctx, "embed_rerank", zErr);
    return;
  }
  ee_info info;
  ee_model_info(embedSlotModel(args.pSlot), &info);
  ee_context *pEngine = embedSlotContext(args.pSlot);
  float *aScore = sqlite3_malloc64((sqlite3_uint64)info.labels * sizeof(float));
  if (!pEngine || !aScore) {
    sqlite3_free(aScore);
    sqlite3_result_error_nomem(ctx);
    return;
  }
  ee_error err;
  ee_status st = ee_score_pairs(pEngine, 1, args.azText, args.anText, args.azText + 1,
                                args.anText + 1, aScore, &err);
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
