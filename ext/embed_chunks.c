/*
** embed_chunks.c — embed_chunks(text [, max_tokens [, overlap [, model]]]),
** a table-valued function that cuts a long text into passages the model
** embeds whole, for retrieval over documents longer than its max_length.
**
**   SELECT i, byte_start, chunk FROM embed_chunks(body, 128, 16);
**   INSERT INTO passages(doc_id, byte_start, body)
**     SELECT docs.id, c.byte_start, c.chunk FROM docs, embed_chunks(docs.body) AS c;
**
** Rows: i (0-based), byte_start and byte_end (where the passage lies in the
** text, in bytes), tokens (its tokens, [CLS]/[SEP] not counted) and chunk
** (the text between them, as it stands in the text).  The text is tokenized
** once with the model's tokenizer; a passage holds at most max_tokens
** tokens and the next one starts overlap tokens before its end.  Cuts fall
** between words: never before a "##" continuation token (for a Unigram
** tokenizer, a piece without the leading "▁") unless a single word is
** longer than max_tokens.  So a passage tokenizes by itself into
** exactly its tokens (tests/sql/chunks.test checks it; not a passage that
** starts inside such a word), and is embedded without truncation when
** max_tokens leaves room for the prompt.  With an overlap, a passage that
** would hold no new token starts where the previous one ended instead.
**
** max_tokens defaults to the binding's max_length - 2 less the tokens of
** the prompt its stored texts get (embedSlotRolePrompt), and may not exceed
** max_length - 2; overlap defaults to 0 and must be below max_tokens.  A
** NULL text, or one with no tokens, gives no rows.
*/
#include "ext_int.h"
#include <string.h>

enum { COL_I, COL_BYTE_START, COL_BYTE_END, COL_TOKENS, COL_CHUNK, COL_TEXT, COL_MAX, COL_OVERLAP, COL_MODEL };
#define N_ARGS 4 /* hidden arguments: text, max_tokens, overlap, model */

typedef struct chunk_span { sqlite3_int64 start, end; int tokens; } chunk_span;

typedef struct chunks_cursor {
  sqlite3_vtab_cursor base; /* base class: must be first */
  char *zText;              /* copy of the text, sqlite3_malloc'd */
  chunk_span *aSpan;        /* the passages, sqlite3_malloc'd */
  int n, i;                 /* passages, current one */
} chunks_cursor;

static int chunksConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                         sqlite3_vtab **ppVtab, char **pzErr) {
  (void)argc, (void)argv, (void)pzErr;
  return embedFnConnect(db, pAux,
                        "CREATE TABLE x(i INTEGER, byte_start INTEGER, byte_end INTEGER, tokens INTEGER, "
                        "chunk TEXT, text HIDDEN, max_tokens HIDDEN, overlap HIDDEN, model HIDDEN)",
                        ppVtab);
}

/* idxNum bit k: hidden argument k given (text, max_tokens, overlap, model);
** the given ones are passed to xFilter in that order. */
static int chunksBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo) {
  (void)pVtab;
  return embedHiddenArgsIndex(pInfo, COL_TEXT, N_ARGS, 1000, 20);
}

static int chunksOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  (void)pVtab;
  chunks_cursor *pCur = sqlite3_malloc64(sizeof(*pCur));
  if (!pCur) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  *ppCursor = &pCur->base;
  return SQLITE_OK;
}

static void cursor_reset(chunks_cursor *pCur) {
  sqlite3_free(pCur->zText);
  sqlite3_free(pCur->aSpan);
  pCur->zText = NULL;
  pCur->aSpan = NULL;
  pCur->n = pCur->i = 0;
}

static int chunksClose(sqlite3_vtab_cursor *pCursor) {
  cursor_reset((chunks_cursor *)pCursor);
  sqlite3_free(pCursor);
  return SQLITE_OK;
}

/* An integer argument (a whole REAL too: some drivers bind numbers as
** REAL); NULL leaves *pOut as it is.  0 with an error set otherwise. */
static int int_arg(sqlite3_vtab_cursor *pCursor, sqlite3_value *pVal, const char *zName, sqlite3_int64 *pOut) {
  if (sqlite3_value_type(pVal) == SQLITE_NULL || embedWholeNumber(pVal, pOut)) return 1;
  embedCursorError(pCursor, sqlite3_mprintf("embed_chunks(): %s must be an INTEGER, got %s", zName, embedNotWholeName(pVal)));
  return 0;
}

/* Tokens (content, no [CLS]/[SEP]) of the prompt a binding's stored texts get. */
static int prompt_tokens(embed_slot *pSlot, const ee_model *pModel) {
  const char *zPrompt = embedSlotRolePrompt(pSlot, 0);
  if (!zPrompt || !zPrompt[0]) return 0;
  wp_error werr;
  if (wp_encode(ee_model_tokenizer(pModel), zPrompt, strlen(zPrompt), 0, &pSlot->enc, &werr) != WP_OK) return 0;
  return pSlot->enc.n - 2;
}

/* 1 if content token k (0-based, after [CLS]) continues the word before it. */
static int continues_word(const wp_tokenizer *pTok, const wp_encoding *pEnc, int k) {
  return wp_id_continues_word(pTok, pEnc->ids[k + 1]);
}

/* Where a passage that starts at token start ends (exclusive): nMax tokens
** on, moved back to a word's first token, unless one word fills it. */
static int passage_end(const wp_tokenizer *pTok, const wp_encoding *pEnc, int nTok, int nMax, int start) {
  int end = start + nMax < nTok ? start + nMax : nTok;
  if (end == nTok) return end;
  int e = end;
  while (e > start && continues_word(pTok, pEnc, e)) e--;
  return e > start ? e : end;
}

/* The passages of the nTok content tokens in pEnc (see the header). */
static int cut(chunks_cursor *pCur, const wp_tokenizer *pTok, const wp_encoding *pEnc, int nTok, int nMax,
               int nOverlap) {
  pCur->aSpan = sqlite3_malloc64(sizeof(chunk_span) * (sqlite3_uint64)(nTok ? nTok : 1));
  if (!pCur->aSpan) return SQLITE_NOMEM;
  int start = 0, prev_end = 0;
  while (start < nTok) {
    int end = passage_end(pTok, pEnc, nTok, nMax, start);
    if (end <= prev_end) { /* the overlap left no room for a new word: start after it */
      start = prev_end;
      end = passage_end(pTok, pEnc, nTok, nMax, start);
    }
    chunk_span *s = &pCur->aSpan[pCur->n++];
    s->start = pEnc->offsets[2 * (start + 1)];
    s->end = pEnc->offsets[2 * end + 1];
    s->tokens = end - start;
    if (end == nTok) break;
    prev_end = end;
    int next = end - nOverlap; /* the overlap, moved back to a word's first token */
    while (next > start && next < end && continues_word(pTok, pEnc, next)) next--;
    start = next > start ? next : end;
  }
  return SQLITE_OK;
}

static int chunksFilter(sqlite3_vtab_cursor *pCursor, int idxNum, const char *idxStr, int argc,
                        sqlite3_value **argv) {
  (void)idxStr, (void)argc;
  chunks_cursor *pCur = (chunks_cursor *)pCursor;
  embed_fn_vtab *p = (embed_fn_vtab *)pCursor->pVtab;
  cursor_reset(pCur);
  sqlite3_value *apArg[N_ARGS] = {NULL, NULL, NULL, NULL};
  for (int k = 0, a = 0; k < N_ARGS; k++)
    if (idxNum & (1 << k)) apArg[k] = argv[a++];
  if (!apArg[0]) return embedCursorError(pCursor, sqlite3_mprintf("embed_chunks(): needs a text"));
  embed_slot *pSlot;
  int rc = embedCursorSlot(pCursor, p->pConn, "embed_chunks", 4, apArg[3], &pSlot);
  if (rc != SQLITE_OK) return rc;
  int eType = sqlite3_value_type(apArg[0]);
  if (eType == SQLITE_NULL) return SQLITE_OK; /* no rows */
  if (eType != SQLITE_TEXT)
    return embedCursorError(pCursor, sqlite3_mprintf("embed_chunks(): argument 1 (text) must be TEXT, got %s",
                                              embedTypeName(eType)));
  const ee_model *pModel = embedSlotModel(pSlot);
  ee_info info;
  ee_model_info(pModel, &info);
  const sqlite3_int64 nLimit = info.max_length - 2;
  sqlite3_int64 nMax = nLimit - prompt_tokens(pSlot, pModel), nOverlap = 0;
  if (nMax < 1) nMax = 1;
  if (apArg[1] && !int_arg(pCursor, apArg[1], "max_tokens", &nMax)) return SQLITE_ERROR;
  if (apArg[2] && !int_arg(pCursor, apArg[2], "overlap", &nOverlap)) return SQLITE_ERROR;
  if (nMax < 1 || nMax > nLimit)
    return embedCursorError(pCursor, sqlite3_mprintf("embed_chunks(): max_tokens must be from 1 to %lld (the model's "
                                              "max_length %d less [CLS] and [SEP]), got %lld",
                                              (long long)nLimit, info.max_length, (long long)nMax));
  if (nOverlap < 0 || nOverlap >= nMax)
    return embedCursorError(pCursor, sqlite3_mprintf("embed_chunks(): overlap must be from 0 to max_tokens - 1 (%lld), "
                                              "got %lld", (long long)(nMax - 1), (long long)nOverlap));
  const char *zText = (const char *)sqlite3_value_text(apArg[0]);
  int nText = sqlite3_value_bytes(apArg[0]);
  if (!zText) return SQLITE_NOMEM;
  pCur->zText = sqlite3_malloc64((sqlite3_uint64)nText + 1);
  if (!pCur->zText) return SQLITE_NOMEM;
  memcpy(pCur->zText, zText, (size_t)nText + 1);
  const wp_tokenizer *pTok = ee_model_tokenizer(pModel);
  wp_error werr;
  wp_status st = wp_encode(pTok, pCur->zText, (size_t)nText, 0, &pSlot->enc, &werr);
  if (st == WP_ERR_NOMEM) return SQLITE_NOMEM;
  if (st != WP_OK) return embedCursorError(pCursor, sqlite3_mprintf("embed_chunks(): %s", werr.msg));
  rc = cut(pCur, pTok, &pSlot->enc, pSlot->enc.n - 2, (int)nMax, (int)nOverlap);
  if (rc != SQLITE_OK) cursor_reset(pCur);
  return rc;
}

static int chunksNext(sqlite3_vtab_cursor *pCursor) {
  ((chunks_cursor *)pCursor)->i++;
  return SQLITE_OK;
}

static int chunksEof(sqlite3_vtab_cursor *pCursor) {
  chunks_cursor *pCur = (chunks_cursor *)pCursor;
  return pCur->i >= pCur->n;
}

static int chunksColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx, int iCol) {
  chunks_cursor *pCur = (chunks_cursor *)pCursor;
  const chunk_span *s = &pCur->aSpan[pCur->i];
  switch (iCol) {
    case COL_I: sqlite3_result_int(ctx, pCur->i); break;
    case COL_BYTE_START: sqlite3_result_int64(ctx, s->start); break;
    case COL_BYTE_END: sqlite3_result_int64(ctx, s->end); break;
    case COL_TOKENS: sqlite3_result_int(ctx, s->tokens); break;
    case COL_CHUNK:
      sqlite3_result_text64(ctx, pCur->zText + s->start, (sqlite3_uint64)(s->end - s->start), SQLITE_TRANSIENT,
                            SQLITE_UTF8);
      break;
    default: break; /* the hidden arguments read as NULL */
  }
  return SQLITE_OK;
}

static int chunksRowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *pRowid) {
  *pRowid = ((chunks_cursor *)pCursor)->i;
  return SQLITE_OK;
}

static const sqlite3_module chunks_module = {
    .iVersion = 0,
    .xConnect = chunksConnect,
    .xBestIndex = chunksBestIndex,
    .xDisconnect = embedFnDisconnect,
    .xOpen = chunksOpen,
    .xClose = chunksClose,
    .xFilter = chunksFilter,
    .xNext = chunksNext,
    .xEof = chunksEof,
    .xColumn = chunksColumn,
    .xRowid = chunksRowid,
};

const sqlite3_module *embedChunksModule(void) { return &chunks_module; }
