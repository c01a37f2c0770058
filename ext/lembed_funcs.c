/*
** lembed_funcs.c — sqlite-lembed's scalar functions under its names, so
** SQL written for it (asg017/sqlite-lembed 0.0.1-alpha.8) runs unchanged:
**
**   INSERT INTO temp.lembed_models(name, model)
**     SELECT 'mini', lembed_model_from_file('all-MiniLM-L6-v2.Q8_0.gguf');
**   SELECT lembed('mini', 'hello');           -- float32 BLOB, length 1
**   SELECT lembed('hello');                   -- the model named 'default'
**   SELECT lembed_tokenize_json('mini', 'Hello, world!');  -- [101,7592,1010,2088,999,102]
**   SELECT lembed_token_to_piece('mini', 7592);             -- ' hello'
**
** The names are bindings of this connection, whichever way they were made
** (lembed_models or embed_load).  lembed() returns the vector scaled to
** length 1, as sqlite-lembed always does, whatever the binding's
** normalisation.  Where sqlite-lembed asserts, aborts or reads a NULL
** pointer (a key it does not know, a text that is not TEXT, a missing
** model), these report an error naming the function and the argument.
**
** lembed_model_from_file returns its path as TEXT (sqlite-lembed: a pointer
** value, which SQL cannot show), and the two option functions a JSON object
** of the keys given, which temp.lembed_models reads (lembed_models.c).
*/
#include "ext_int.h"
#include <string.h>

static const char *const TEXT_ARG[1] = {"text"};

void lembedFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  embed_args args;
  if (!embedReadArgs(ctx, "lembed", argc, argv, 1, TEXT_ARG, &args)) return;
  embedResultVector(ctx, "lembed", &args, 1);
}

/* lembed_tokenize_json(model, text): the ids as a JSON array, [CLS] and
** [SEP] included and nothing truncated, as llama.cpp's tokenizer gives them
** (special tokens typed in the text are special, as in Hugging Face's). */
void lembedTokenizeJsonFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  embed_args args;
  if (!embedReadArgs(ctx, "lembed_tokenize_json", argc, argv, 1, TEXT_ARG, &args)) return;
  wp_encoding *pEnc = &args.pSlot->enc;
  wp_error err;
  wp_status st = wp_encode(ee_model_tokenizer(embedSlotModel(args.pSlot)), args.azText[0], args.anText[0],
                           0, pEnc, &err);
  if (st != WP_OK) {
    if (st == WP_ERR_NOMEM) sqlite3_result_error_nomem(ctx);
    else embedResultError(ctx, "lembed_tokenize_json", sqlite3_mprintf("%s", err.msg));
    return;
  }
  sqlite3_str *pOut = sqlite3_str_new(NULL);
  sqlite3_str_appendchar(pOut, 1, '[');
  for (int32_t i = 0; i < pEnc->n; i++) sqlite3_str_appendf(pOut, "%s%d", i ? "," : "", pEnc->ids[i]);
  sqlite3_str_appendchar(pOut, 1, ']');
  embedResultStr(ctx, pOut);
}

/* The model and token id of lembed_token_to_piece / lembed_token_score.
** Returns the tokenizer, or NULL when a result has been set. */
static const wp_tokenizer *token_args(sqlite3_context *ctx, const char *zFunc, int argc,
                                      sqlite3_value **argv, int32_t *pId) {
  static const char *const azWhat[1] = {"token id"};
  embed_args args;
  sqlite3_int64 iId = 0;
  if (sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return NULL;
  }
  if (!embedWholeNumber(argv[1], &iId)) {
    embedResultError(ctx, zFunc, sqlite3_mprintf("argument 2 (token id) must be an INTEGER, got %s",
                                                 embedNotWholeName(argv[1])));
    return NULL;
  }
  /* Only the model's name, argument 1, is read there (no texts). */
  if (!embedReadArgs(ctx, zFunc, argc - 1, argv, 0, azWhat, &args)) return NULL;
  const wp_tokenizer *pTok = ee_model_tokenizer(embedSlotModel(args.pSlot));
  if (iId < 0 || iId >= wp_vocab_size(pTok)) {
    embedResultError(ctx, zFunc,
                     sqlite3_mprintf("token id %lld is outside the vocabulary of model '%s' (ids 0 to %d)",
                                     (long long)iId, args.pSlot->zName, (int)wp_vocab_size(pTok) - 1));
    return NULL;
  }
  *pId = (int32_t)iId;
  return pTok;
}

/* lembed_token_to_piece(model, id): the text the token stands for (see
** wp_id_piece); NULL for a special token, as llama.cpp's empty piece. */
void lembedTokenToPieceFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  int32_t id = 0;
  const wp_tokenizer *pTok = token_args(ctx, "lembed_token_to_piece", argc, argv, &id);
  if (!pTok) return;
  size_t n = 0;
  if (!wp_id_to_token(pTok, id, &n)) return; /* an id with no token: NULL */
  char *zPiece = sqlite3_malloc64(n + 1);
  if (!zPiece) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  int32_t nPiece = wp_id_piece(pTok, id, zPiece, n + 1);
  if (nPiece < 0) {
    sqlite3_free(zPiece);
    return;
  }
  sqlite3_result_text(ctx, zPiece, nPiece, sqlite3_free);
}

/* lembed_token_score(model, id): the vocabulary's score for the token. */
void lembedTokenScoreFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  int32_t id = 0;
  const wp_tokenizer *pTok = token_args(ctx, "lembed_token_score", argc, argv, &id);
  if (pTok) sqlite3_result_double(ctx, wp_id_score(pTok, id));
}

void lembedModelFromFileFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  int eType = sqlite3_value_type(argv[0]);
  if (eType != SQLITE_TEXT) {
    embedResultError(ctx, "lembed_model_from_file",
                     sqlite3_mprintf("argument 1 (path) must be TEXT, got %s", embedTypeName(eType)));
    return;
  }
  sqlite3_result_value(ctx, argv[0]);
}

/* The keys each option function takes; bInt: an integer value, bPositive:
** above 0.  rope_* change the model's positions, which only a NomicBert has
** and this engine runs as trained: refused rather than ignored. */
typedef struct option_key {
  const char *zKey;
  int bPositive;
  const char *zRefused; /* why the key is refused, or NULL */
} option_key;

static const option_key MODEL_KEYS[] = {{"n_gpu_layers", 0, NULL}};
static const option_key CONTEXT_KEYS[] = {
    {"seed", 1, NULL},
    {"n_ctx", 1, NULL},
    {"rope_scaling_type", 0, "rotary scaling is not supported (the model runs at its trained positions)"},
    {"rope_freq_scale", 0, "rotary scaling is not supported (the model runs at its trained positions)"},
};

/* key, value, key, value, ... -> a JSON object of them, e.g. {"n_ctx":256}. */
static void options_func(sqlite3_context *ctx, const char *zFunc, const option_key *aKey, int nKey, int argc,
                         sqlite3_value **argv) {
  if (argc % 2) {
    embedResultError(ctx, zFunc, sqlite3_mprintf("takes key, value pairs; got %d arguments", argc));
    return;
  }
  sqlite3_str *pOut = sqlite3_str_new(NULL);
  sqlite3_str_appendchar(pOut, 1, '{');
  char *zErr = NULL;
  int bNomem = 0;
  for (int i = 0; i < argc && !zErr && !bNomem; i += 2) {
    const int eType = sqlite3_value_type(argv[i]);
    const char *zKey = eType == SQLITE_TEXT ? (const char *)sqlite3_value_text(argv[i]) : NULL;
    int k = 0;
    while (zKey && k < nKey && sqlite3_stricmp(zKey, aKey[k].zKey)) k++;
    sqlite3_int64 v = 0;
    if (eType != SQLITE_TEXT) {
      zErr = sqlite3_mprintf("argument %d (an option name) must be TEXT, got %s", i + 1, embedTypeName(eType));
      bNomem = !zErr;
    } else if (!zKey) {
      bNomem = 1;
    } else if (k == nKey) {
      sqlite3_str *pKnown = sqlite3_str_new(NULL);
      for (int j = 0; j < nKey; j++) sqlite3_str_appendf(pKnown, "%s%s", j ? ", " : "", aKey[j].zKey);
      char *zKnown = sqlite3_str_finish(pKnown);
      zErr = zKnown ? sqlite3_mprintf("unknown option '%s' (known: %s)", zKey, zKnown) : NULL;
      sqlite3_free(zKnown);
      bNomem = !zErr;
    } else if (aKey[k].zRefused) {
      zErr = sqlite3_mprintf("%s: %s", aKey[k].zKey, aKey[k].zRefused);
      bNomem = !zErr;
    } else if (!embedWholeNumber(argv[i + 1], &v) || (aKey[k].bPositive && v <= 0) || v > INT32_MAX ||
               v < INT32_MIN) {
      zErr = sqlite3_mprintf("%s must be %s integer", aKey[k].zKey, aKey[k].bPositive ? "a positive" : "an");
      bNomem = !zErr;
    } else {
      sqlite3_str_appendf(pOut, "%s\"%s\":%lld", i ? "," : "", aKey[k].zKey, (long long)v);
    }
  }
  if (zErr || bNomem) {
    sqlite3_free(sqlite3_str_finish(pOut));
    if (zErr) embedResultError(ctx, zFunc, zErr);
    else sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_str_appendchar(pOut, 1, '}');
  embedResultStr(ctx, pOut);
}

/* lembed_model_options('n_gpu_layers', N): accepted and without effect
** here (the engine runs on the CPU). */
void lembedModelOptionsFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  options_func(ctx, "lembed_model_options", MODEL_KEYS, (int)(sizeof MODEL_KEYS / sizeof MODEL_KEYS[0]), argc,
               argv);
}

/* lembed_context_options('n_ctx', N, 'seed', S): n_ctx becomes the
** binding's max_length (longer texts are truncated: llama.cpp refuses
** them); seed has no effect (nothing here is random). */
void lembedContextOptionsFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  options_func(ctx, "lembed_context_options", CONTEXT_KEYS,
               (int)(sizeof CONTEXT_KEYS / sizeof CONTEXT_KEYS[0]), argc, argv);
}
