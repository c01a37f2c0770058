/*
** oom_sqlite.c — allocation-failure injection for the SQLite side: an SQL
** script over every part of the extension runs with the Nth allocation
** failing, for N = 0, 1, 2, ... until the script runs without a failure.
**
**   make test-oom        (builds build-oom/oom_sqlite and runs it)
**
** Not named test_*.c on purpose: it links libsqlite3, which the Makefile's
** pattern rule for tests/unit/test_*.c does not.
**
** How: sqlite3_config(SQLITE_CONFIG_MALLOC) installs a wrapper around
** SQLite's default allocator that fails allocation number N (SQLite's own
** test_malloc.c does the same), in two modes: "transient" fails only that
** allocation, so the script goes on with a connection that has just seen an
** error; "persistent" fails it and every later one until the statement
** ends.  A third sweep, "engine", fails the Nth allocation of the tokenizer
** and engine instead (se_alloc.h, built with -DSE_FAULT_INJECTION) and
** every later one, which the extension must turn into SQLITE_NOMEM or an
** error; "engine-transient" fails only the Nth of those.  The extension is
** linked in and registered with sqlite3_auto_extension(sqlite3_embed_init);
** the model is the tiny one of tests/fuzz/fuzz_model.h, so one run of the
** script takes milliseconds.
**
** For every N, on a file database in a fresh temporary directory:
**   - a statement that succeeds while every one before it succeeded (so on
**     the state of the run without failures) gives that run's rows, as
**     text: an allocation refused and got past must not change a result;
**   - each statement returns SQLITE_OK, SQLITE_NOMEM or another error code
**     (an error is expected when an earlier statement failed: the table it
**     should have created does not exist), and never crashes;
**   - once allocations succeed again, the connection still works (the
**     model can be bound, embed() and a KNN query on the tables that exist
**     run) and closes with SQLITE_OK (no statement or blob left open);
**   - PRAGMA integrity_check is "ok", on that connection and on a new one;
**   - LeakSanitizer finds nothing at the end of each sweep.
** One PASS line per sweep gives the number of allocation points swept.
*/
#include "check.h"
#include <sqlite3.h>
#include "../../ext/sqlite-embed.h"
#include "../../tokenizer/se_alloc.h"
#include "../fuzz/fuzz_model.h"
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
static int leaks_now(void) { return __lsan_do_recoverable_leak_check(); }
#else
static int leaks_now(void) { return 0; }
#endif

static const char *const MODE_NAME[] = {"transient", "persistent", "engine", "engine-transient"};
#define NMODES 4
static int cur_mode = -1; /* the run in progress, for the message if it crashes */
static long cur_n = -1;

static void on_death(void) {
  if (cur_mode >= 0)
    fprintf(stderr, "oom_sqlite: crashed in the %s sweep at N=%ld; reproduce with: "
            "build-oom/oom_sqlite %s %ld\n", MODE_NAME[cur_mode], cur_n, MODE_NAME[cur_mode], cur_n);
}

/* ---- the failing allocator ---------------------------------------------- */

static sqlite3_mem_methods base;   /* SQLite's default allocator */
static long fail_countdown = -1;   /* allocations left before one fails; -1: off */
static int fail_persistent = 0;    /* after the first failure, fail all */
static long fail_count = 0;        /* allocations refused since armed */

static int should_fail(void) {
  if (fail_countdown < 0) return 0;
  if (fail_countdown == 0) {
    fail_count++;
    if (!fail_persistent) fail_countdown = -1;
    return 1;
  }
  fail_countdown--;
  return 0;
}
static void *fail_malloc(int n) { return should_fail() ? NULL : base.xMalloc(n); }
static void *fail_realloc(void *p, int n) { return should_fail() ? NULL : base.xRealloc(p, n); }

static void install_allocator(void) {
  sqlite3_mem_methods m;
  if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &base) != SQLITE_OK) abort();
  m = base;
  m.xMalloc = fail_malloc;
  m.xRealloc = fail_realloc;
  if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK) abort();
}

/* ---- the script ----------------------------------------------------------- */

static char model_dir[256];

static const char *const SCRIPT[] = {
  "SELECT embed_load('m', '$DIR')",
  "SELECT length(embed('m', 'the cat sat on the mat'))",
  "SELECT embed_tokenize('m', 'Hello, world! caf\xc3\xa9')",
  "SELECT embed_token_count('hello world')",
  "SELECT embed_load('q', '$DIR', '{\"prompt\": \"query: \", \"cache_size\": 4}')",
  "SELECT length(embed('q', 'the cat')), length(embed('q', 'the cat'))",
  "SELECT count(*) FROM embed_each('[\"a\", \"b c\"]', 'q')",
  "SELECT i, byte_start, tokens, chunk FROM embed_chunks('one two unbelievably three four five', 3, 1, 'q')",
  "SELECT embed_unload('q')", /* the one-argument forms below take the only model */
  "SELECT vec_to_json(vec_normalize('[3,4]')), vec_similarity('[1,0]', '[1,1]'),"
  " vec_distance_cosine('[1,0]', '[1,1]'), vec_distance_l2(vec_from_json('[0,0]'), '[3,4]'),"
  " vec_dot('[1,2,3]', '[4,5,6]'), vec_dims(embed('x'))",
  "SELECT vec_to_json(vec_add('[1,2]', '[10,20]')), vec_to_json(vec_sub('[1,2]', '[10,20]')),"
  " hex(vec_quantize_int8('[-1,0,0.5]')), hex(vec_quantize_binary('[1,-1,1,-1,-1,-1,-1,1]'))",
  "SELECT vec_to_json(vec_mean(v)) FROM (SELECT '[1,2]' AS v UNION ALL SELECT '[3,4]' UNION ALL SELECT NULL)",
  "SELECT hex(vec_int8('[1,2,-3]')), vec_type(vec_int8('[1]')), vec_to_json(vec_int8('[1,-2]')),"
  " vec_to_json(vec_bit(x'f0')), vec_distance_l1(vec_int8('[1,2]'), vec_int8('[3,-2]')),"
  " hex(vec_slice(vec_int8('[1,2,3]'), 1, 3)), hex(vec_add(vec_int8('[1]'), vec_int8('[2]')))",
  "SELECT sum(value) FROM vec_each('[1,2,3]') UNION ALL SELECT sum(value) FROM vec_each(vec_int8('[1,-2]'))",
  /* errors on purpose (MUST_FAIL below): their messages are allocated too */
  "SELECT vec_similarity('[1,0]', '[1]')",
  "SELECT vec_distance_l2(vec_int8('[1,2]'), '[1,2]')",
  "SELECT vec_int8('[1, \"a\"]')",
  "SELECT vec_dims(x'010203')",
  "SELECT * FROM vec_each(x'010203')",
  "CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT)",
  "CREATE VIRTUAL TABLE idx USING embed_index(model = 'm', content = 'docs', content_rowid = 'id',"
  " column = 'body', sync = 'triggers')",
  "INSERT INTO docs(body) VALUES ('the cat sat on the mat'), ('a dog on a rug'),"
  " ('how do i reset my password'), ('red blue green')",
  "BEGIN; INSERT INTO docs(body) VALUES ('one two three'); INSERT INTO docs(body) VALUES ('hello world'); COMMIT",
  "CREATE VIRTUAL TABLE v USING embed_index(dims = 8, metric = 'l2')",
  "INSERT INTO v(rowid, embedding) VALUES (1, vec_from_json('[1,0,0,0,0,0,0,0]')),"
  " (2, '[0,1,0,0,0,0,0,0]'), (3, embed('m', 'cat'))",
  "CREATE VIRTUAL TABLE st USING embed_index(model = 'm')",
  "INSERT INTO st(rowid, text) VALUES (1, 'the cat'), (2, 'a dog'), (3, 'the mat')",
  "SELECT rowid, distance FROM idx WHERE idx MATCH 'a cat on a mat' AND k = 3",
  "SELECT rowid, distance FROM v WHERE v MATCH '[1,1,0,0,0,0,0,0]' AND k = 2 AND rowid IN (1, 2)",
  "SELECT rowid, distance, text FROM st WHERE st MATCH 'cat' AND k = 2",
  "CREATE VIRTUAL TABLE pr USING embed_index(model = 'm', query_prompt = 'query: ',"
  " document_prompt = 'passage: ')",
  "INSERT INTO pr(rowid, text) VALUES (1, 'the cat'), (2, 'a dog')",
  "SELECT rowid FROM pr WHERE pr MATCH 'cat' AND k = 1",
  "SELECT text, vec_dims(embedding) FROM idx WHERE rowid = 2",
  "SAVEPOINT s; DELETE FROM docs WHERE id = 2; UPDATE docs SET body = 'fast slow' WHERE id = 3;"
  " INSERT INTO st(rowid, text) VALUES (4, 'blue'); ROLLBACK TO s; RELEASE s",
  "INSERT INTO idx(idx) VALUES ('rebuild')",
  "DELETE FROM docs WHERE id = 1",
  "DELETE FROM v WHERE rowid = 2",
  "SELECT embed_load('r', '$DIR/rerank')",
  "SELECT embed_rerank('r', 'how do i reset my password', 'the cat sat on the mat'),"
  " embed_rerank('r', 'a dog', 'a dog on a rug')",
  "SELECT embed_rerank('m', 'a', 'b')",
  "SELECT i, document, score FROM embed_rerank_each('a dog', '[\"a dog on a rug\", null, \"the cat sat\"]', 'r')",
  "SELECT * FROM embed_rerank_each('a', '[\"b\"]', 'm')",
  "SELECT embed('r', 'a')",
  "SELECT name, dims FROM embed_models",
  "SELECT embed_unload('r')",
  /* sqlite-lembed's names */
  "INSERT INTO temp.lembed_models(name, model, model_options, context_options) VALUES ('l', "
  "lembed_model_from_file('$DIR'), lembed_model_options('n_gpu_layers', 1), lembed_context_options('n_ctx', 16, 'seed', 1))",
  "SELECT length(lembed('l', 'the cat sat')), lembed_tokenize_json('l', 'Hello, world!'),"
  " lembed_token_to_piece('l', 5), lembed_token_score('l', 5)",
  "SELECT lembed_context_options('n_threads', 1)",
  "SELECT rowid, name, model FROM temp.lembed_models",
  "DELETE FROM temp.lembed_models WHERE name = 'l'",
  "SELECT embed_unload('m')",
};
#define NSCRIPT ((int)(sizeof SCRIPT / sizeof SCRIPT[0]))

/* Statements of SCRIPT that are errors whatever fails: one that succeeds
** when an allocation is refused took a failed error message for success
** (and went on with a vector it had not read). */
static const char *const MUST_FAIL[] = {
  "SELECT vec_similarity('[1,0]', '[1]')",
  "SELECT vec_distance_l2(vec_int8('[1,2]'), '[1,2]')",
  "SELECT vec_int8('[1, \"a\"]')",
  "SELECT vec_dims(x'010203')",
  "SELECT * FROM vec_each(x'010203')",
  "SELECT embed_rerank('m', 'a', 'b')",
  "SELECT embed('r', 'a')",
  "SELECT * FROM embed_rerank_each('a', '[\"b\"]', 'm')",
  "SELECT lembed_context_options('n_threads', 1)",
};

static int must_fail(const char *zSql) {
  for (size_t i = 0; i < sizeof MUST_FAIL / sizeof MUST_FAIL[0]; i++)
    if (strcmp(zSql, MUST_FAIL[i]) == 0) return 1;
  return 0;
}

static char *script_sql[NSCRIPT];
static char *clean_out[NSCRIPT]; /* each statement's rows in the run without failures (malloc'd) */

/* The rows of a statement as text, "a|b\n" per row, in libc memory so
** that the allocations refused to SQLite do not touch it. */
typedef struct rows_text {
  char *p;
  size_t n, cap;
} rows_text;

static void rows_append(rows_text *r, const char *s) {
  size_t len = strlen(s);
  if (r->n + len + 1 > r->cap) {
    r->cap = (r->n + len + 1) * 2;
    r->p = realloc(r->p, r->cap);
    if (!r->p) abort();
  }
  memcpy(r->p + r->n, s, len + 1);
  r->n += len;
}

static int collect_row(void *arg, int n, char **values, char **names) {
  (void)names;
  for (int i = 0; i < n; i++) {
    if (i) rows_append(arg, "|");
    rows_append(arg, values[i] ? values[i] : "NULL");
  }
  rows_append(arg, "\n");
  return 0;
}

/* Runs one statement of the script; its rows into *rows (malloc'd). */
static int exec_collect(sqlite3 *db, const char *sql, char **rows, char **err) {
  rows_text r = {NULL, 0, 0};
  rows_append(&r, "");
  int rc = sqlite3_exec(db, sql, collect_row, &r, err);
  *rows = r.p;
  return rc;
}

static void prepare_script(void) {
  for (int i = 0; i < NSCRIPT; i++) {
    const char *p = strstr(SCRIPT[i], "$DIR");
    size_t n = strlen(SCRIPT[i]) + strlen(model_dir) + 1;
    script_sql[i] = malloc(n);
    if (!script_sql[i]) abort();
    if (p) snprintf(script_sql[i], n, "%.*s%s%s", (int)(p - SCRIPT[i]), SCRIPT[i], model_dir, p + 4);
    else snprintf(script_sql[i], n, "%s", SCRIPT[i]);
  }
}

static int integrity_ok(sqlite3 *db, char *why, size_t n) {
  sqlite3_stmt *s = NULL;
  int ok = 0;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW) {
    const char *r = (const char *)sqlite3_column_text(s, 0);
    ok = r && strcmp(r, "ok") == 0;
    snprintf(why, n, "%s", r ? r : "(null)");
  } else {
    snprintf(why, n, "cannot run: %s", sqlite3_errmsg(db));
  }
  sqlite3_finalize(s);
  return ok;
}

/* The checks after a run: the connection still works with allocations back. */
static int still_works(sqlite3 *db, char *why, size_t n) {
  static const char *const probe[] = {
    "SELECT embed_load('m', '$DIR')",
    "SELECT length(embed('m', 'the cat')) = 32",
  };
  for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++) {
    char sql[600];
    const char *p = strstr(probe[i], "$DIR");
    if (p) snprintf(sql, sizeof sql, "%.*s%s%s", (int)(p - probe[i]), probe[i], model_dir, p + 4);
    else snprintf(sql, sizeof sql, "%s", probe[i]);
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
      snprintf(why, n, "%.200s: %.300s", sql, err ? err : sqlite3_errmsg(db));
      sqlite3_free(err);
      return 0;
    }
  }
  /* every index that exists answers a query, and its shadow tables agree
  ** (a failure mid-write must leave all of a row or none of it) */
  static const char *const tables[][2] = {
    {"idx", "SELECT count(*) FROM (SELECT rowid FROM idx WHERE idx MATCH 'cat' AND k = 5);"
            "INSERT INTO idx(idx) VALUES ('integrity-check')"},
    {"v", "SELECT count(*) FROM (SELECT rowid FROM v WHERE v MATCH '[1,0,0,0,0,0,0,0]' AND k = 5);"
          "INSERT INTO v(v) VALUES ('integrity-check')"},
    {"st", "SELECT count(*) FROM (SELECT rowid FROM st WHERE st MATCH 'cat' AND k = 5);"
           "INSERT INTO st(st) VALUES ('integrity-check')"},
  };
  for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
    sqlite3_stmt *s = NULL;
    char q[200];
    snprintf(q, sizeof q, "SELECT 1 FROM sqlite_schema WHERE name = '%s'", tables[i][0]);
    int exists = sqlite3_prepare_v2(db, q, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    if (!exists) continue;
    char *err = NULL;
    if (sqlite3_exec(db, tables[i][1], NULL, NULL, &err) != SQLITE_OK) {
      snprintf(why, n, "%.200s: %.300s", tables[i][1], err ? err : sqlite3_errmsg(db));
      sqlite3_free(err);
      return 0;
    }
  }
  return 1;
}

static void remove_db(const char *dir) {
  static const char *const names[] = {"t.db", "t.db-journal", "t.db-wal", "t.db-shm"};
  char p[512];
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, names[i]);
    unlink(p);
  }
}

enum { MODE_TRANSIENT, MODE_PERSISTENT, MODE_ENGINE, MODE_ENGINE_TRANSIENT };

/* Runs the script with failure point n.  Returns the number of allocations
** refused (0: the script ran clean, the sweep is over); bumps *bad on any
** broken property. */
static long run_once(int mode, long n, const char *dbdir, long *bad, long *nomem_seen) {
  char path[512], why[600];
  cur_mode = mode;
  cur_n = n;
  sqlite3 *db = NULL;
  remove_db(dbdir);
  snprintf(path, sizeof path, "%s/t.db", dbdir);
  if (sqlite3_open(path, &db) != SQLITE_OK) abort();
  sqlite3_exec(db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
  long refused = 0;
  int diverged = 0; /* a statement failed that the clean run ran: the state differs from there on */
  for (int i = 0; i < NSCRIPT; i++) {
    if (mode == MODE_ENGINE || mode == MODE_ENGINE_TRANSIENT) {
      if (i == 0 && mode == MODE_ENGINE) se_fault_set(n);
      if (i == 0 && mode == MODE_ENGINE_TRANSIENT) se_fault_set_once(n);
    } else {
      fail_persistent = mode == MODE_PERSISTENT;
      fail_count = 0;
      /* the countdown runs across the whole script */
      if (i == 0) fail_countdown = n;
    }
    char *err = NULL, *rows = NULL;
    int rc = exec_collect(db, script_sql[i], &rows, &err);
    if (rc == SQLITE_NOMEM) (*nomem_seen)++;
    /* a statement that succeeds on the clean run's state gives its rows:
    ** a refused allocation it got past must not change them */
    if (rc == SQLITE_OK && !diverged && clean_out[i] && (!rows || strcmp(rows, clean_out[i]) != 0)) {
      (*bad)++;
      printf("  N=%ld: %s gave other rows:\n%s  instead of\n%s", n, script_sql[i], rows ? rows : "(none)\n",
             clean_out[i]);
    }
    if (rc != SQLITE_OK && !must_fail(script_sql[i])) diverged = 1;
    free(rows);
    if (rc == SQLITE_OK && must_fail(script_sql[i])) {
      (*bad)++;
      printf("  N=%ld: %s succeeded; it must fail\n", n, script_sql[i]);
    }
    if (mode == MODE_PERSISTENT && fail_count) {
      refused += fail_count;
      fail_countdown = -1; /* persistent until the statement ends */
    }
    if (mode == MODE_TRANSIENT) refused += fail_count, fail_count = 0;
    (void)rc;
    sqlite3_free(err);
    if (sqlite3_get_autocommit(db) == 0 && strncmp(script_sql[i], "BEGIN", 5) == 0 && rc != SQLITE_OK)
      sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL); /* a failed multi-statement transaction */
  }
  if (mode == MODE_ENGINE || mode == MODE_ENGINE_TRANSIENT) {
    refused = se_fault_failures();
    se_fault_reset();
  }
  fail_countdown = -1;
  sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL); /* in case a failure left a transaction open */
  if (!integrity_ok(db, why, sizeof why)) {
    (*bad)++;
    printf("  N=%ld: integrity_check on the connection: %s\n", n, why);
  }
  if (!still_works(db, why, sizeof why)) {
    (*bad)++;
    printf("  N=%ld: connection after the failure: %s\n", n, why);
  }
  int rc = sqlite3_close(db);
  if (rc != SQLITE_OK) {
    (*bad)++;
    printf("  N=%ld: sqlite3_close: %s\n", n, sqlite3_errstr(rc));
    sqlite3_close_v2(db);
  }
  if (sqlite3_open(path, &db) != SQLITE_OK || !integrity_ok(db, why, sizeof why)) {
    (*bad)++;
    printf("  N=%ld: integrity_check after reopening: %s\n", n, why);
  }
  sqlite3_close(db);
  return refused;
}

/* bCapped: the caller chose max_n to bound the run time (CI), so stopping
** there is expected; otherwise the sweep must reach a run with no failure. */
static void sweep(int mode, const char *label, const char *dbdir, long max_n, int bCapped) {
  long n, bad = 0, nomem = 0;
  for (n = 0; n < max_n; n++) {
    if (run_once(mode, n, dbdir, &bad, &nomem) == 0) break;
  }
  CHECK(bad == 0 && (n < max_n || bCapped), "%s: %ld allocation points swept%s (%ld statements returned SQLITE_NOMEM), "
        "no crash, connection usable, integrity_check ok", label, n, n == max_n ? " (the cap)" : "", nomem);
  CHECK(!leaks_now(), "%s: no leaks", label);
}

/* oom_sqlite              every sweep
** oom_sqlite MAX           every sweep, at most MAX points each
** oom_sqlite MODE N       one run (MODE transient, persistent or engine), e.g. to
**                         reproduce a crash the sweep reported */
int main(int argc, char **argv) {
  long max_n = argc == 2 ? atol(argv[1]) : 1000000;
  int only_mode = -1;
  long only_n = -1;
  if (argc == 3) {
    for (int m = 0; m < NMODES; m++)
      if (strcmp(argv[1], MODE_NAME[m]) == 0) only_mode = m;
    only_n = atol(argv[2]);
    if (only_mode < 0) {
      fprintf(stderr, "usage: %s [MAX] | %s transient|persistent|engine|engine-transient N\n", argv[0], argv[0]);
      return 2;
    }
  }
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_set_death_callback(on_death);
#endif
  install_allocator();
  sqlite3_auto_extension((void (*)(void))sqlite3_embed_init);
  if (sqlite3_initialize() != SQLITE_OK) abort();
  if (fz_model_dir(model_dir, sizeof model_dir, "oom_sqlite") != 0) abort();
  char rerank_dir[300];
  snprintf(rerank_dir, sizeof rerank_dir, "%s/rerank", model_dir);
  if (mkdir(rerank_dir, 0700) != 0 || fz_cross_encoder_write(rerank_dir) != 0) abort();
  char dbdir[256];
  snprintf(dbdir, sizeof dbdir, "%s", model_dir); /* the database lives next to the model files */
  prepare_script();

  /* a clean run first: the script itself must succeed */
  long bad = 0, nomem = 0;
  fail_countdown = -1;
  sqlite3 *db = NULL;
  char path[512];
  remove_db(dbdir);
  snprintf(path, sizeof path, "%s/t.db", dbdir);
  if (sqlite3_open(path, &db) != SQLITE_OK) abort();
  int clean = 1;
  for (int i = 0; i < NSCRIPT; i++) {
    char *err = NULL;
    const int rc = exec_collect(db, script_sql[i], &clean_out[i], &err);
    if ((rc != SQLITE_OK) != must_fail(script_sql[i]) || !clean_out[i]) {
      printf("  script statement %d %s: %s\n", i, rc == SQLITE_OK ? "succeeded; it must fail" : "failed",
             err ? err : "?");
      clean = 0;
    }
    sqlite3_free(err);
  }
  sqlite3_close(db);
  CHECK(clean, "the script runs without injected failures (%d statements)", NSCRIPT);
  if (only_mode >= 0) {
    long refused = run_once(only_mode, only_n, dbdir, &bad, &nomem);
    CHECK(bad == 0, "%s N=%ld: %ld allocations refused, %ld statements returned SQLITE_NOMEM, "
          "connection usable, integrity_check ok", MODE_NAME[only_mode], only_n, refused, nomem);
    remove_db(dbdir);
    return check_finish();
  }

  sweep(MODE_TRANSIENT, "sqlite3_malloc transient (the Nth allocation fails)", dbdir, max_n, argc == 2);
  sweep(MODE_PERSISTENT, "sqlite3_malloc persistent (the Nth and the rest of its statement fail)", dbdir, max_n, argc == 2);
  sweep(MODE_ENGINE, "engine se_alloc under SQL (the Nth and every later one fail)", dbdir, max_n, argc == 2);
  sweep(MODE_ENGINE_TRANSIENT, "engine se_alloc under SQL, transient (the Nth fails)", dbdir, max_n, argc == 2);

  for (int i = 0; i < NSCRIPT; i++) {
    free(script_sql[i]);
    free(clean_out[i]);
  }
  remove_db(dbdir);
  return check_finish();
}
