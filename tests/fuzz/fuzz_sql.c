/*
** fuzz_sql.c — libFuzzer target for random statement sequences over the
** extension's functions and embed_index tables on a tiny model, through the
** real SQLite (extension linked in, registered with sqlite3_auto_extension).
**
**   make fuzz                                   (builds build-fuzz/fuzz_sql)
**   build-fuzz/fuzz_sql -dict=tests/fuzz/fuzz_sql.dict CORPUS_DIR
**
** Each input gets a fresh in-memory database with the tiny model
** (fuzz_model.h, made once at start-up) bound as 'm' and a table
** docs(id INTEGER PRIMARY KEY, body TEXT).  The input is then read as up to
** 64 operations: one byte picks a statement template from TEMPLATES (model
** functions, sqlite-lembed's names (lembed(), temp.lembed_models), a GGUF
** model and a table over it, a cross-encoder's embed_rerank, three embed_index tables of
** different kinds, content-table writes that fire the sync triggers,
** commands, KNN queries, transactions, a ModernBERT model and its cross-encoder
** and savepoints, and deliberate damage to the shadow tables), and each
** parameter of it takes a value from the following bytes (see read_value:
** NULL, integers, words of the vocabulary, raw text, raw BLOBs, 8-dimension
** float32 BLOBs and JSON vectors).  Every statement may fail; the bug is a
** crash, sanitizer report, leak or hang, a connection that does not close
** cleanly, or a database whose PRAGMA integrity_check is not "ok".
**
** FUZZ_SQL_TRACE=1 build-fuzz/fuzz_sql INPUT prints each statement (with its
** parameters) and its outcome, to read a crashing input or check a seed.
*/
#include <sqlite3.h>
#include "../../ext/sqlite-embed.h"
#include "fuzz_model.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const TEMPLATES[] = {
  /* model functions */
  "SELECT embed(?1)",
  "SELECT embed('m', ?1)",
  "SELECT embed(?1, ?2)",
  "SELECT embed_tokenize(?1), embed_tokenize('m', ?2)",
  "SELECT embed_token_count(?1)",
  "SELECT vec_similarity(embed(?1), embed(?2))",
  "SELECT embed_load('m2', '$DIR', ?1)",
  "SELECT embed_unload(?1)",
  "SELECT embed_unload('m2')",
  "SELECT embed_load('m2', '$DIR', '{\"precision\": \"bf16\"}')",
  "SELECT embed_load('m2', '$DIR', '{\"precision\": \"int8\", \"threads\": 2}')",
  "SELECT embed('m2', ?1)",
  "SELECT * FROM embed_models",
  /* tables */
  "CREATE VIRTUAL TABLE IF NOT EXISTS idx USING embed_index(model='m', content='docs', content_rowid='id', column='body', sync='triggers')",
  "CREATE VIRTUAL TABLE IF NOT EXISTS st USING embed_index(model='m', metric='l2')",
  "CREATE VIRTUAL TABLE IF NOT EXISTS v USING embed_index(dims=8, metric='dot')",
  "CREATE VIRTUAL TABLE IF NOT EXISTS m2idx USING embed_index(model='m2')",
  "INSERT INTO docs(body) VALUES (?1)",
  "INSERT INTO docs(id, body) VALUES (?1, ?2)",
  "UPDATE docs SET body = ?2 WHERE id = ?1",
  "DELETE FROM docs WHERE id = ?1",
  "INSERT INTO idx(idx) VALUES ('rebuild')",
  "INSERT INTO idx(idx) VALUES ('clear')",
  "INSERT INTO idx(idx, rank) VALUES ('index', ?1)",
  "INSERT INTO idx(idx, rank) VALUES (?1, ?2)",
  "INSERT INTO idx(rowid, text) VALUES (?1, ?2)",
  "INSERT INTO st(rowid, text) VALUES (?1, ?2)",
  "INSERT INTO st(rowid, embedding) VALUES (?1, ?2)",
  "INSERT INTO st(text) VALUES (?1)",
  "INSERT OR REPLACE INTO st(rowid, text) VALUES (?1, ?2)",
  "UPDATE st SET text = ?2 WHERE rowid = ?1",
  "DELETE FROM st WHERE rowid = ?1",
  "INSERT INTO v(rowid, embedding) VALUES (?1, ?2)",
  "INSERT INTO v(embedding) VALUES (?1)",
  "UPDATE v SET embedding = ?2 WHERE rowid = ?1",
  "UPDATE v SET rowid = ?2 WHERE rowid = ?1",
  "DELETE FROM v WHERE rowid = ?1",
  "INSERT INTO m2idx(rowid, text) VALUES (?1, ?2)",
  /* queries */
  "SELECT rowid, distance FROM idx WHERE idx MATCH ?1 AND k = ?2",
  "SELECT rowid, distance FROM idx WHERE idx MATCH ?1 AND k = ?2 AND rowid IN (SELECT id FROM docs WHERE id > ?3)",
  "SELECT rowid, distance, text FROM st WHERE st MATCH ?1 AND k = ?2",
  "SELECT rowid, distance FROM v WHERE v MATCH ?1 AND k = ?2",
  "SELECT rowid, distance FROM v WHERE v MATCH ?1 AND k = ?2 AND rowid IN (?3, ?1, 5)",
  "SELECT rowid, distance FROM v WHERE v MATCH ?1 LIMIT ?2",
  "SELECT docs.body, i.distance FROM idx AS i JOIN docs ON docs.id = i.rowid WHERE i.idx MATCH ?1 AND i.k = ?2",
  "SELECT text, embedding FROM idx WHERE rowid = ?1",
  "SELECT rowid, text, vec_dims(embedding) FROM st",
  "SELECT * FROM v WHERE rowid BETWEEN ?1 AND ?2",
  "SELECT count(*), vec_to_json(vec_mean(embedding)) FROM v",
  "SELECT rowid FROM st WHERE text = ?1 OR rowid > ?2",
  /* transactions */
  "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT s1", "ROLLBACK TO s1", "RELEASE s1",
  /* schema changes */
  "DROP TABLE IF EXISTS st",
  "DROP TABLE IF EXISTS idx",
  "ALTER TABLE v RENAME TO v_renamed",
  "ALTER TABLE v_renamed RENAME TO v",
  "VACUUM",
  /* damage to the shadow tables */
  "UPDATE st_chunks SET vectors = ?1",
  "UPDATE st_chunks SET valid = ?1 WHERE id = ?2",
  "UPDATE v_chunks SET rowids = ?1",
  "UPDATE v_rowids SET chunk = ?1, slot = ?2",
  "UPDATE v_config SET value = ?2 WHERE key = ?1",
  "DELETE FROM v_freechunks",
  "INSERT INTO v_freechunks VALUES (?1)",
  "DELETE FROM st_chunks WHERE id = ?1",
  "DELETE FROM st_rowids WHERE rowid = ?1",
  "DELETE FROM st_content",
  "UPDATE idx_config SET value = ?1 WHERE key = 'index_next'",
  "INSERT INTO idx_rowids VALUES (?1, ?2, ?3)",
  /* prompts, truncate_dim, vec_slice */
  "SELECT embed_load('m2', '$DIR', '{\"prompt\": \"query: \", \"truncate_dim\": 8}')",
  "CREATE VIRTUAL TABLE IF NOT EXISTS pr USING embed_index(model='m', query_prompt='query: ', document_prompt='passage: ')",
  "INSERT INTO pr(rowid, text) VALUES (?1, ?2)",
  "SELECT rowid, distance FROM pr WHERE pr MATCH ?1 AND k = ?2",
  "SELECT vec_slice(?1, ?2, ?3)",
  "SELECT i, byte_start, byte_end, tokens, chunk FROM embed_chunks(?1, ?2, ?3)",
  "SELECT count(*) FROM docs, embed_chunks(docs.body, ?1, ?2, 'm')",
  /* a cross-encoder (fz_cross_encoder_write) beside the embedding model */
  "SELECT embed_load('r', '$DIR/rerank')",
  "SELECT embed_rerank('r', ?1, ?2)",
  "SELECT embed_rerank(?1, ?2, ?3)",
  "SELECT d.id, embed_rerank('r', ?1, d.body) FROM docs d ORDER BY 2 DESC LIMIT ?2",
  "SELECT embed('r', ?1)",
  "SELECT i, document, score FROM embed_rerank_each(?1, ?2, 'r')",
  "SELECT i, score FROM embed_rerank_each(?1, ?2, ?3)",
  "SELECT count(*), max(score) FROM embed_rerank_each(?1, (SELECT json_group_array(body) FROM docs), 'r')",
  "SELECT i, text, length(embedding) FROM embed_each(?1, ?2)",
  "CREATE VIRTUAL TABLE IF NOT EXISTS rr USING embed_index(model='r')",
  /* sqlite-lembed's names (lembed_funcs.c, lembed_models.c) */
  "INSERT INTO temp.lembed_models(name, model, context_options) VALUES (?1, lembed_model_from_file('$DIR'), ?2)",
  "INSERT INTO temp.lembed_models(name, model, context_options) VALUES ('l', '$DIR', lembed_context_options('n_ctx', ?1, 'seed', ?2))",
  "DELETE FROM temp.lembed_models WHERE name = ?1 OR rowid = ?2",
  "SELECT * FROM temp.lembed_models",
  "SELECT lembed(?1), lembed('l', ?2), lembed(?1, ?2)",
  "SELECT lembed_tokenize_json(?1, ?2), lembed_token_to_piece(?1, ?2), lembed_token_score('m', ?3)",
  "SELECT lembed_model_options(?1, ?2), lembed_context_options(?1, ?2, ?3, ?1)",
  /* a GGUF model (what sqlite-lembed users load; run from the repository's root) */
  "SELECT embed_load('gg', 'tests/fuzz/corpus/fuzz_gguf/tiny_f32.gguf', ?1)",
  "CREATE VIRTUAL TABLE IF NOT EXISTS gi USING embed_index(model='gg', quantize='int8')",
  "INSERT INTO gi(rowid, text) VALUES (?1, ?2)",
  "SELECT rowid, distance FROM gi WHERE gi MATCH ?1 AND k = ?2",
  "SELECT embed('gg', ?1), lembed('gg', ?2)",
  /* ModernBERT (pre-LayerNorm, windowed layers, NFC BPE) and its cross-encoder: gen_model's test
     models, which `make fuzz` generates (run from the repository's root) */
  "SELECT embed_load('mb', 'build/test-models/modernbert', ?1)",
  "SELECT embed('mb', ?1), embed_token_count('mb', ?2), embed_tokenize('mb', ?1)",
  "CREATE VIRTUAL TABLE IF NOT EXISTS mbi USING embed_index(model='mb', query_prompt='search_query: ', document_prompt='search_document: ')",
  "INSERT INTO mbi(rowid, text) VALUES (?1, ?2)",
  "SELECT rowid, distance FROM mbi WHERE mbi MATCH ?1 AND k = ?2",
  "SELECT embed_load('rmb', 'build/test-models/rerank_modernbert', ?1)",
  "SELECT embed_rerank('rmb', ?1, ?2)",
  /* GTE v1.5 (NTK rotary, GeGLU with biases) and its cross-encoder; JinaBert (ALiBi, GeGLU) */
  "SELECT embed_load('gt', 'build/test-models/gte', ?1)",
  "SELECT embed('gt', ?1), embed_token_count('gt', ?2), embed_tokenize('gt', ?1)",
  "SELECT embed_load('rgt', 'build/test-models/rerank_gte', ?1)",
  "SELECT embed_rerank('rgt', ?1, ?2)",
  "SELECT embed_load('jb', 'build/test-models/jina', ?1)",
  "SELECT embed_load('jc', 'build/test-models/jina_code', ?1)",
  "SELECT embed('jc', ?1), embed_token_count('jc', ?2), embed_tokenize('jc', ?1)",
  "SELECT embed('jb', ?1), embed_token_count('jb', ?2)",
};
#define NTEMPLATE ((int)(sizeof TEMPLATES / sizeof TEMPLATES[0]))

static char model_dir[256];
static char *sql[NTEMPLATE];
static sqlite3 *keeper; /* keeps the model in the process-wide registry between inputs */
static int trace;       /* FUZZ_SQL_TRACE=1: print each statement and its outcome */

static char *subst_dir(const char *t) {
  const char *p = strstr(t, "$DIR");
  size_t n = strlen(t) + strlen(model_dir) + 1;
  char *s = malloc(n);
  if (!s) abort();
  if (!p) {
    memcpy(s, t, strlen(t) + 1);
  } else {
    snprintf(s, n, "%.*s%s%s", (int)(p - t), t, model_dir, p + 4);
  }
  return s;
}

static sqlite3 *open_db(void) {
  sqlite3 *db;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) abort();
  char *setup = sqlite3_mprintf("SELECT embed_load('m', %Q, '{\"threads\": 1}');"
                                "CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT);", model_dir);
  char *err = NULL;
  if (!setup || sqlite3_exec(db, setup, NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "setup failed: %s\n", err ? err : "?");
    abort();
  }
  sqlite3_free(setup);
  return db;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (fz_model_dir(model_dir, sizeof model_dir, "fuzz_sql") != 0) abort();
  char rerank_dir[300];
  snprintf(rerank_dir, sizeof rerank_dir, "%s/rerank", model_dir);
  if (mkdir(rerank_dir, 0700) != 0 || fz_cross_encoder_write(rerank_dir) != 0) abort();
  for (int i = 0; i < NTEMPLATE; i++) sql[i] = subst_dir(TEMPLATES[i]);
  sqlite3_auto_extension((void (*)(void))sqlite3_embed_init);
  keeper = open_db();
  trace = getenv("FUZZ_SQL_TRACE") != NULL;
  return 0;
}

typedef struct reader { const uint8_t *p; size_t n; } reader;

static int next(reader *r) {
  if (!r->n) return 0;
  r->n--;
  return *r->p++;
}

/* Binds parameter i from the next bytes of r. */
static void read_value(reader *r, sqlite3_stmt *s, int i) {
  int type = next(r);
  switch (type % 9) {
    case 0: sqlite3_bind_null(s, i); break;
    case 1: sqlite3_bind_int(s, i, (int8_t)next(r)); break;
    case 2: { /* a wide integer: up to 8 bytes */
      uint64_t v = 0;
      for (int k = 0; k < 8; k++) v = (v << 8) | (uint64_t)next(r);
      sqlite3_bind_int64(s, i, (sqlite3_int64)v);
      break;
    }
    case 3: { /* 1..8 words of the vocabulary (pieces without "##") */
      char buf[512];
      size_t u = 0;
      int nw = 1 + (next(r) & 7);
      for (int k = 0; k < nw; k++) {
        const char *w = fz_vocab[next(r) % FZ_VOCAB_N];
        if (w[0] == '#' && w[1] == '#') w += 2;
        u += (size_t)snprintf(buf + u, sizeof buf - u, "%s%s", k ? " " : "", w);
      }
      sqlite3_bind_text(s, i, buf, (int)u, SQLITE_TRANSIENT);
      break;
    }
    case 4: case 5: { /* raw bytes as TEXT or BLOB */
      size_t len = (size_t)next(r);
      if (len > r->n) len = r->n;
      if (type % 9 == 4) sqlite3_bind_text(s, i, (const char *)r->p, (int)len, SQLITE_TRANSIENT);
      else sqlite3_bind_blob(s, i, r->p, (int)len, SQLITE_TRANSIENT);
      r->p += len, r->n -= len;
      break;
    }
    case 6: case 7: { /* an 8-dimension vector, as float32 BLOB or JSON */
      float v[FZ_H];
      char buf[256];
      size_t u = 0;
      for (int k = 0; k < FZ_H; k++) {
        v[k] = (float)((int)next(r) - 128) / 32.0f;
        u += (size_t)snprintf(buf + u, sizeof buf - u, "%s%g", k ? "," : "[", (double)v[k]);
      }
      snprintf(buf + u, sizeof buf - u, "]");
      if (type % 9 == 6) sqlite3_bind_blob(s, i, v, sizeof v, SQLITE_TRANSIENT);
      else sqlite3_bind_text(s, i, buf, -1, SQLITE_TRANSIENT);
      break;
    }
    default: sqlite3_bind_double(s, i, (double)(int8_t)next(r) / 4.0); break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sqlite3 *db = open_db();
  reader r = {data, size};
  for (int op = 0; op < 64 && r.n; op++) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql[next(&r) % NTEMPLATE], -1, &s, NULL) != SQLITE_OK) {
      sqlite3_finalize(s);
      continue;
    }
    for (int i = 1; i <= sqlite3_bind_parameter_count(s); i++) read_value(&r, s, i);
    char *expanded = trace ? sqlite3_expanded_sql(s) : NULL;
    int rc = SQLITE_OK, rows = 0;
    while (rows < 2000 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
      rows++;
      for (int c = 0; c < sqlite3_column_count(s); c++) {
        (void)sqlite3_column_blob(s, c);
        (void)sqlite3_column_text(s, c);
      }
    }
    if (trace)
      fprintf(stderr, "%s\n  -> %d rows, %s\n", expanded ? expanded : "?", rows,
              rc == SQLITE_DONE || rc == SQLITE_ROW ? "ok" : sqlite3_errmsg(db));
    sqlite3_free(expanded);
    sqlite3_finalize(s);
  }
  sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL); /* leave any open transaction */
  sqlite3_stmt *chk = NULL;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &chk, NULL) != SQLITE_OK) abort();
  if (sqlite3_step(chk) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(chk, 0), "ok") != 0) {
    fprintf(stderr, "integrity_check: %s\n", sqlite3_column_text(chk, 0));
    abort();
  }
  sqlite3_finalize(chk);
  if (sqlite3_close(db) != SQLITE_OK) abort(); /* nothing left open by the extension */
  return 0;
}
