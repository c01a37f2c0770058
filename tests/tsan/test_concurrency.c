/*
** test_concurrency.c — eight threads, eight connections, one database, one
** shared model, under ThreadSanitizer.
**
**   make test-tsan [TSAN_SECONDS=20]
**   build-tsan/test_concurrency build-tsan/embed0 MODEL_DIR SECONDS DB_DIR RERANKER_DIR
**
** Built with -fsanitize=thread together with build-tsan/embed0.so (the
** extension, instrumented) and loaded the way a host loads it
** (sqlite3_enable_load_extension + sqlite3_load_extension), into the
** uninstrumented Debian libsqlite3.  Each thread opens its own connection
** to the same WAL database and binds the same model directory, so all of
** them share one ee_model from the process-wide registry (ext/models.c)
** while each has its own context.  For SECONDS the threads mix:
**   - embed() of texts whose vectors the main thread computed once, alone,
**     before any thread started (each result within 1e-6 of that), with
**     the model in fp32 ('m') and at precision bf16 ('mb') and int8 ('mi'),
**     whose passes hand converted inputs between their stages;
**   - KNN on an embed_index whose rows never change, against the top 5
**     computed here by brute force in double precision from those vectors
**     (rank by rank: distance within 1e-5, and each returned rowid's own
**     distance matching), so the index's search code is not its own oracle;
**   - inserts and deletes in a second embed_index (threads 0-2, each on its
**     own rowids, in IMMEDIATE transactions), and KNN searches on it from
**     the others while it changes (run for races, results not checked);
**   - embed_load / embed_unload of a second name for the same path, with the
**     same options (another reference to the shared model) or other
**     options (a second registry entry, loaded and freed concurrently);
**   - embed_each over a JSON array of texts, each row checked;
**   - a cross-encoder (RERANKER_DIR, shared the same way): embed_rerank of
**     one (query, text) pair and embed_rerank_each of a JSON array of
**     texts, each score equal, bit for bit, to the one the main thread
**     computed for that pair alone before the threads started;
**   - KNN on a vectors-only embed_index of 8.6 MB (N_BIG x BIG_DIMS), large
**     enough that each search is split across the extension's own threads
**     (threads = 4), against a top 5 found here by brute force in double.
** At the end, on a fresh connection: PRAGMA integrity_check is ok, the
** index's 'integrity-check' command passes, the second index holds exactly
** the rows the writers say they left, and every row's vector equals the
** reference vector of its text.
**
** A data race makes TSan print a report and exit with status 66
** (TSAN_OPTIONS=halt_on_error=1:exitcode=66, set by tests/tsan/run.sh), which
** the runner counts as a failure.  Prints PASS:/FAIL: lines (tests/unit/check.h).
*/
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../unit/check.h"

#define N_THREADS 8
#define N_WRITERS 3
#define N_TEXTS 48
#define N_STATIC 200 /* rows of the static index: text i % N_TEXTS, rowid i + 1 */
#define K 5
#define MAX_DIMS 1024
#define MAX_LIVE 4096 /* rows a writer keeps at once */
#define N_BIG 2100    /* rows of the vectors-only index: 8.6 MB, over the 8 MB from which a search is split */
#define BIG_DIMS 1024
#define N_BIG_Q 16    /* its first rows are the queries */

static const char *g_ext, *g_model, *g_reranker;
#define RERANK_QUERY "how do i reset my password"
static double g_ref_score[N_TEXTS]; /* embed_rerank('rr', RERANK_QUERY, g_text[i]), computed alone */
static char g_db[1024];
static double g_deadline;
static char g_text[N_TEXTS][600];
static float g_ref[N_TEXTS][MAX_DIMS]; /* embed(g_text[i]), computed before the threads start */
/* the same at reduced precision: model names, their embed_load options, references */
static const char *const g_low_name[2] = {"mb", "mi"};
static const char *const g_low_opts[2] = {"{\"precision\": \"bf16\"}", "{\"precision\": \"int8\"}"};
static float g_ref_low[2][N_TEXTS][MAX_DIMS];
static int g_dims;

/* Per-thread outcome, read by the main thread after pthread_join. */
typedef struct worker {
  int id;
  uint64_t rng;
  long ops[8];           /* embed, knn, write, load/unload, embed_each, knn on the changing index, knn (big),
                            rerank */
  long failures;
  char first_failure[600];
  int n_live;                        /* writers: rows this thread left in docs_dyn */
  sqlite3_int64 live_rowid[MAX_LIVE];
  int live_text[MAX_LIVE];
  sqlite3_int64 next_rowid;
} worker;

static worker g_workers[N_THREADS];

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint32_t rnd(worker *w) { /* xorshift64 */
  w->rng ^= w->rng << 13;
  w->rng ^= w->rng >> 7;
  w->rng ^= w->rng << 17;
  return (uint32_t)(w->rng >> 16);
}

static void fail(worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(worker *w, const char *fmt, ...) {
  if (w->failures++ == 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->first_failure, sizeof w->first_failure, fmt, ap);
    va_end(ap);
  }
}

/* Texts of 1 to ~90 words over plain English words, so some run past the
** 32 tokens at which a forward pass uses the context's worker threads. */
static void make_texts(void) {
  static const char *const words[] = {
    "the", "cat", "sat", "on", "mat", "a", "dog", "ran", "to", "park", "how", "do", "i",
    "reset", "my", "password", "invoices", "are", "sent", "monthly", "search", "index",
    "vector", "model", "fast", "slow", "red", "blue", "green", "river", "mountain", "city",
    "music", "night", "morning", "coffee", "database", "thread", "memory", "language",
  };
  uint64_t s = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < N_TEXTS; i++) {
    int n = i % 6 == 5 ? 60 + i : 1 + i % 13;
    size_t u = 0;
    for (int j = 0; j < n && u + 16 < sizeof g_text[i]; j++) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      u += (size_t)snprintf(g_text[i] + u, sizeof g_text[i] - u, "%s%s", j ? " " : "",
                            words[(s >> 33) % (sizeof words / sizeof words[0])]);
    }
  }
}

/* Opens a connection with the extension loaded and the model bound as 'm'. */
static sqlite3 *open_conn(char *why, size_t n) {
  sqlite3 *db = NULL;
  char *err = NULL;
  if (sqlite3_open_v2(g_db, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
    snprintf(why, n, "open %s: %s", g_db, db ? sqlite3_errmsg(db) : "?");
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_busy_timeout(db, 60000);
  sqlite3_enable_load_extension(db, 1);
  if (sqlite3_load_extension(db, g_ext, "sqlite3_embed_init", &err) != SQLITE_OK) {
    snprintf(why, n, "load_extension %s: %s", g_ext, err ? err : "?");
    sqlite3_free(err);
    sqlite3_close(db);
    return NULL;
  }
  char *sql = sqlite3_mprintf("SELECT embed_load('m', %Q), embed_load(%Q, %Q, %Q), embed_load(%Q, %Q, %Q), "
                              "embed_load('rr', %Q)",
                              g_model, g_low_name[0], g_model, g_low_opts[0], g_low_name[1], g_model,
                              g_low_opts[1], g_reranker);
  int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
  sqlite3_free(sql);
  if (rc != SQLITE_OK) {
    snprintf(why, n, "embed_load: %s", err ? err : "?");
    sqlite3_free(err);
    sqlite3_close(db);
    return NULL;
  }
  return db;
}

static double max_diff(const float *a, const float *b, int n) {
  double d = 0;
  for (int i = 0; i < n; i++) d = fmax(d, fabs((double)a[i] - (double)b[i]));
  return d;
}

/* Checks a float32 BLOB against reference vector ref of text t; label for the message. */
static void check_vec_ref(worker *w, const void *blob, int bytes, const float *ref, int t,
                          const char *label) {
  if (!blob || bytes != g_dims * 4) {
    fail(w, "%s: text %d: BLOB of %d bytes, expected %d", label, t, bytes, g_dims * 4);
    return;
  }
  float v[MAX_DIMS];
  memcpy(v, blob, (size_t)bytes);
  double d = max_diff(v, ref, g_dims);
  if (!(d <= 1e-6)) fail(w, "%s: text %d differs from its reference by %g", label, t, d);
}

static void check_vec(worker *w, const void *blob, int bytes, int t, const char *label) {
  check_vec_ref(w, blob, bytes, g_ref[t], t, label);
}

/* Cosine distance in double, as an independent oracle for the index. */
static double cos_dist_n(const float *a, const float *b, int n) {
  double ab = 0, aa = 0, bb = 0;
  for (int i = 0; i < n; i++) ab += (double)a[i] * b[i], aa += (double)a[i] * a[i], bb += (double)b[i] * b[i];
  return 1.0 - ab / (sqrt(aa) * sqrt(bb));
}

static double cos_dist(const float *a, const float *b) { return cos_dist_n(a, b, g_dims); }

static double g_knn_dist[N_TEXTS][K]; /* expected distances of the top K for query text q */

/* Inserts distance d (of rowid id) into the ascending top K best[] (and
** its rowids in ids[], when not NULL); farther than all of them: no change. */
static void topk_offer(double *best, sqlite3_int64 *ids, double d, sqlite3_int64 id) {
  for (int i = 0; i < K; i++) {
    if (d < best[i]) {
      memmove(best + i + 1, best + i, sizeof(double) * (size_t)(K - 1 - i));
      best[i] = d;
      if (ids) {
        memmove(ids + i + 1, ids + i, sizeof(sqlite3_int64) * (size_t)(K - 1 - i));
        ids[i] = id;
      }
      return;
    }
  }
}

static void expected_knn(void) {
  for (int q = 0; q < N_TEXTS; q++) {
    for (int i = 0; i < K; i++) g_knn_dist[q][i] = INFINITY;
    for (int r = 0; r < N_STATIC; r++) topk_offer(g_knn_dist[q], NULL, cos_dist(g_ref[q], g_ref[r % N_TEXTS]), r + 1);
  }
}

/* Runs sql with text parameter ?1 (and ?2 when given); BUSY is retried by
** the busy handler, anything else is a failure. */
static int step_all(worker *w, sqlite3_stmt *st, const char *label) {
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {}
  if (rc != SQLITE_DONE) fail(w, "%s: %s", label, sqlite3_errmsg(sqlite3_db_handle(st)));
  sqlite3_reset(st);
  return rc == SQLITE_DONE;
}

/* model: "m", or one of g_low_name (checked against g_ref_low). */
static void op_embed(worker *w, sqlite3 *db, const char *model) {
  int t = (int)(rnd(w) % N_TEXTS);
  const float *ref = g_ref[t];
  for (int p = 0; p < 2; p++)
    if (strcmp(model, g_low_name[p]) == 0) ref = g_ref_low[p][t];
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT embed(?1, ?2)", -1, &st, NULL) != SQLITE_OK) {
    fail(w, "prepare embed: %s", sqlite3_errmsg(db));
    return;
  }
  sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, g_text[t], -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW)
    check_vec_ref(w, sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), ref, t, model);
  else
    fail(w, "embed(%s): %s", model, sqlite3_errmsg(db));
  sqlite3_finalize(st);
}

static void op_knn_static(worker *w, sqlite3 *db) {
  int q = (int)(rnd(w) % N_TEXTS);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT rowid, distance FROM docs_static WHERE docs_static MATCH ?1 AND k = 5",
                         -1, &st, NULL) != SQLITE_OK) {
    fail(w, "prepare knn: %s", sqlite3_errmsg(db));
    return;
  }
  sqlite3_bind_text(st, 1, g_text[q], -1, SQLITE_STATIC);
  int n = 0, rc;
  sqlite3_int64 seen[K];
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < K + 1) {
    sqlite3_int64 rowid = sqlite3_column_int64(st, 0);
    double d = sqlite3_column_double(st, 1);
    if (n < K) {
      double own = rowid >= 1 && rowid <= N_STATIC ? cos_dist(g_ref[q], g_ref[(rowid - 1) % N_TEXTS]) : NAN;
      if (!(fabs(d - g_knn_dist[q][n]) < 1e-5) || !(fabs(own - d) < 1e-5))
        fail(w, "knn text %d rank %d: rowid %lld at %.7f, expected distance %.7f (that row's own: %.7f)", q,
             n, (long long)rowid, d, g_knn_dist[q][n], own);
      for (int i = 0; i < n; i++)
        if (seen[i] == rowid) fail(w, "knn text %d: rowid %lld twice", q, (long long)rowid);
      seen[n] = rowid;
    }
    n++;
  }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) fail(w, "knn: %s", sqlite3_errmsg(db));
  else if (n != K) fail(w, "knn text %d: %d rows, expected %d", q, n, K);
  sqlite3_finalize(st);
}

static float g_big[N_BIG][BIG_DIMS];            /* the big index's vectors, rowid r + 1 */
static double g_big_dist[N_BIG_Q][K];            /* brute-force top K of query q: distances */
static sqlite3_int64 g_big_rowid[N_BIG_Q][K];    /* and rowids */

static void make_big(void) {
  uint64_t s = 0x853c49e6748fea9bULL;
  for (int r = 0; r < N_BIG; r++)
    for (int j = 0; j < BIG_DIMS; j++) {
      s ^= s << 13, s ^= s >> 7, s ^= s << 17;
      g_big[r][j] = (float)((double)(s >> 40) / (double)(1 << 23)) - 1.0f;
    }
  for (int q = 0; q < N_BIG_Q; q++) {
    for (int i = 0; i < K; i++) g_big_dist[q][i] = INFINITY, g_big_rowid[q][i] = 0;
    for (int r = 0; r < N_BIG; r++) topk_offer(g_big_dist[q], g_big_rowid[q], cos_dist_n(g_big[q], g_big[r], BIG_DIMS), r + 1);
  }
}

static void op_knn_big(worker *w, sqlite3 *db) {
  int q = (int)(rnd(w) % N_BIG_Q);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT rowid, distance FROM vecs_big WHERE vecs_big MATCH ?1 AND k = 5", -1, &st,
                         NULL) != SQLITE_OK) {
    fail(w, "prepare knn big: %s", sqlite3_errmsg(db));
    return;
  }
  sqlite3_bind_blob(st, 1, g_big[q], (int)sizeof g_big[q], SQLITE_STATIC);
  int n = 0, rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    sqlite3_int64 rowid = sqlite3_column_int64(st, 0);
    double d = sqlite3_column_double(st, 1);
    if (n < K && (rowid != g_big_rowid[q][n] || !(fabs(d - g_big_dist[q][n]) < 1e-5)))
      fail(w, "knn big query %d rank %d: rowid %lld at %.7f, expected rowid %lld at %.7f", q, n, (long long)rowid, d,
           (long long)g_big_rowid[q][n], g_big_dist[q][n]);
    n++;
  }
  if (rc != SQLITE_DONE) fail(w, "knn big: %s", sqlite3_errmsg(db));
  else if (n != K) fail(w, "knn big query %d: %d rows, expected %d", q, n, K);
  sqlite3_finalize(st);
}

/* Writers: a transaction of 1-4 inserts of this thread's own rowids, and
** sometimes a delete of one of its live rows. */
static void op_write(worker *w, sqlite3 *db) {
  char *err = NULL;
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &err) != SQLITE_OK) {
    fail(w, "BEGIN IMMEDIATE: %s", err ? err : "?");
    sqlite3_free(err);
    return;
  }
  sqlite3_stmt *ins = NULL, *del = NULL;
  int ok = sqlite3_prepare_v2(db, "INSERT INTO docs_dyn(rowid, text) VALUES (?1, ?2)", -1, &ins, NULL) == SQLITE_OK &&
           sqlite3_prepare_v2(db, "DELETE FROM docs_dyn WHERE rowid = ?1", -1, &del, NULL) == SQLITE_OK;
  if (!ok) fail(w, "prepare write: %s", sqlite3_errmsg(db));
  int n_live = w->n_live, nins = 1 + (int)(rnd(w) % 4);
  if (nins > MAX_LIVE - n_live) nins = MAX_LIVE - n_live;
  sqlite3_int64 rowid[4];
  int text[4];
  for (int i = 0; ok && i < nins; i++) {
    rowid[i] = w->next_rowid + i;
    text[i] = (int)(rnd(w) % N_TEXTS);
    sqlite3_bind_int64(ins, 1, rowid[i]);
    sqlite3_bind_text(ins, 2, g_text[text[i]], -1, SQLITE_STATIC);
    ok = step_all(w, ins, "insert");
  }
  int victim = -1;
  if (ok && n_live > 0 && rnd(w) % 3 == 0) {
    victim = (int)(rnd(w) % (uint32_t)n_live);
    sqlite3_bind_int64(del, 1, w->live_rowid[victim]);
    ok = step_all(w, del, "delete");
  }
  sqlite3_finalize(ins);
  sqlite3_finalize(del);
  if (ok && sqlite3_exec(db, "COMMIT", NULL, NULL, &err) == SQLITE_OK) {
    /* committed: the rows now exist (record only what the database holds) */
    if (victim >= 0) {
      w->live_rowid[victim] = w->live_rowid[w->n_live - 1];
      w->live_text[victim] = w->live_text[w->n_live - 1];
      w->n_live--;
    }
    for (int i = 0; i < nins; i++) {
      w->live_rowid[w->n_live] = rowid[i];
      w->live_text[w->n_live++] = text[i];
    }
    w->next_rowid += nins;
  } else {
    if (ok) fail(w, "COMMIT: %s", err ? err : "?");
    sqlite3_free(err);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  }
}

/* Binds 'm2' to the same directory, uses it, unbinds it.  Same options as
** 'm' (apart from the per-binding cache): another reference to the shared
** model; max_length 64: a registry entry of its own, which threads load
** and free concurrently. */
static void op_load_unload(worker *w, sqlite3 *db) {
  int other = rnd(w) % 4 == 0;
  char *err = NULL;
  char *sql = sqlite3_mprintf("SELECT embed_load('m2', %Q, %Q)", g_model,
                              other ? "{\"max_length\": 64, \"cache_size\": 0}" : "{\"cache_size\": 0}");
  int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
  sqlite3_free(sql);
  if (rc != SQLITE_OK) {
    fail(w, "embed_load m2: %s", err ? err : "?");
    sqlite3_free(err);
    return;
  }
  if (other) { /* max_length 64 changes only texts longer than 62 tokens: use short ones */
    int t = (int)(rnd(w) % 5);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT embed('m2', ?1)", -1, &st, NULL) == SQLITE_OK) {
      sqlite3_bind_text(st, 1, g_text[t], -1, SQLITE_STATIC);
      if (sqlite3_step(st) == SQLITE_ROW) check_vec(w, sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), t, "m2 (max_length 64)");
      else fail(w, "embed m2: %s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
  } else {
    op_embed(w, db, "m2");
  }
  if (sqlite3_exec(db, "SELECT embed_unload('m2')", NULL, NULL, &err) != SQLITE_OK) {
    fail(w, "embed_unload m2: %s", err ? err : "?");
    sqlite3_free(err);
  }
}

/* A JSON array of 2 to 6 random texts into json; their indices into t; returns how many. */
static int random_texts_json(worker *w, int t[6], char *json, size_t cap) {
  int n = 2 + (int)(rnd(w) % 5);
  size_t u = (size_t)snprintf(json, cap, "[");
  for (int i = 0; i < n; i++) {
    t[i] = (int)(rnd(w) % N_TEXTS);
    u += (size_t)snprintf(json + u, cap - u, "%s\"%s\"", i ? ", " : "", g_text[t[i]]);
  }
  snprintf(json + u, cap - u, "]");
  return n;
}

static void op_embed_each(worker *w, sqlite3 *db) {
  int t[6];
  char json[4096];
  const int n = random_texts_json(w, t, json, sizeof json);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT i, embedding FROM embed_each(?1, 'm') ORDER BY i", -1, &st, NULL) != SQLITE_OK) {
    fail(w, "prepare embed_each: %s", sqlite3_errmsg(db));
    return;
  }
  sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
  int rows = 0, rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int i = sqlite3_column_int(st, 0);
    if (i < 0 || i >= n) fail(w, "embed_each: row i = %d of %d", i, n);
    else check_vec(w, sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1), t[i], "embed_each");
    rows++;
  }
  if (rc != SQLITE_DONE) fail(w, "embed_each: %s", sqlite3_errmsg(db));
  else if (rows != n) fail(w, "embed_each: %d rows for %d texts", rows, n);
  sqlite3_finalize(st);
}

/* A score of text t: the one computed alone before the threads started, exactly. */
static void check_score(worker *w, sqlite3_stmt *st, int col, int t, const char *label) {
  if (sqlite3_column_type(st, col) != SQLITE_FLOAT) {
    fail(w, "%s: text %d: a score of type %d", label, t, sqlite3_column_type(st, col));
    return;
  }
  double s = sqlite3_column_double(st, col);
  if (s != g_ref_score[t]) fail(w, "%s: text %d scores %.9g, alone %.9g", label, t, s, g_ref_score[t]);
}

/* embed_rerank of one pair, or embed_rerank_each of 2 to 6 texts. */
static void op_rerank(worker *w, sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  if (rnd(w) % 2 == 0) {
    int t = (int)(rnd(w) % N_TEXTS);
    if (sqlite3_prepare_v2(db, "SELECT embed_rerank('rr', ?1, ?2)", -1, &st, NULL) != SQLITE_OK) {
      fail(w, "prepare embed_rerank: %s", sqlite3_errmsg(db));
      return;
    }
    sqlite3_bind_text(st, 1, RERANK_QUERY, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, g_text[t], -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) check_score(w, st, 0, t, "embed_rerank");
    else fail(w, "embed_rerank: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return;
  }
  int t[6];
  char json[4096];
  const int n = random_texts_json(w, t, json, sizeof json);
  if (sqlite3_prepare_v2(db, "SELECT i, score FROM embed_rerank_each(?1, ?2, 'rr') ORDER BY i", -1, &st, NULL) !=
      SQLITE_OK) {
    fail(w, "prepare embed_rerank_each: %s", sqlite3_errmsg(db));
    return;
  }
  sqlite3_bind_text(st, 1, RERANK_QUERY, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, json, -1, SQLITE_STATIC);
  int rows = 0, rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int i = sqlite3_column_int(st, 0);
    if (i < 0 || i >= n) fail(w, "embed_rerank_each: row i = %d of %d", i, n);
    else check_score(w, st, 1, t[i], "embed_rerank_each");
    rows++;
  }
  if (rc != SQLITE_DONE) fail(w, "embed_rerank_each: %s", sqlite3_errmsg(db));
  else if (rows != n) fail(w, "embed_rerank_each: %d rows for %d texts", rows, n);
  sqlite3_finalize(st);
}

static void op_knn_dyn(worker *w, sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT rowid, distance FROM docs_dyn WHERE docs_dyn MATCH ?1 AND k = 5", -1, &st,
                         NULL) != SQLITE_OK) {
    fail(w, "prepare knn dyn: %s", sqlite3_errmsg(db));
    return;
  }
  sqlite3_bind_text(st, 1, g_text[rnd(w) % N_TEXTS], -1, SQLITE_STATIC);
  step_all(w, st, "knn on docs_dyn");
  sqlite3_finalize(st);
}

static void *worker_main(void *arg) {
  worker *w = arg;
  char why[600];
  sqlite3 *db = open_conn(why, sizeof why);
  if (!db) {
    fail(w, "thread %d: %s", w->id, why);
    return NULL;
  }
  int writer = w->id < N_WRITERS;
  w->next_rowid = (sqlite3_int64)(w->id + 1) * 1000000000LL;
  while (now() < g_deadline && w->failures < 20) {
    uint32_t r = rnd(w) % 100;
    int op = r < 30 ? 0 : r < 50 ? 1 : r < 55 ? 6 : r < 70 ? (writer ? 2 : 5) : r < 80 ? 3 : r < 88 ? 4
           : r < 95 ? 7 : 5;
    switch (op) {
      case 0: op_embed(w, db, r % 3 == 0 ? "m" : g_low_name[r % 3 - 1]); break;
      case 1: op_knn_static(w, db); break;
      case 2: op_write(w, db); break;
      case 3: op_load_unload(w, db); break;
      case 4: op_embed_each(w, db); break;
      case 5: op_knn_dyn(w, db); break;
      case 6: op_knn_big(w, db); break;
      case 7: op_rerank(w, db); break;
    }
    w->ops[op]++;
  }
  if (sqlite3_close(db) != SQLITE_OK) fail(w, "thread %d: sqlite3_close: %s", w->id, sqlite3_errmsg(db));
  return NULL;
}

static int exec_ok(sqlite3 *db, const char *sql) {
  char *err = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
  if (rc != SQLITE_OK) printf("  %s: %s\n", sql, err ? err : sqlite3_errmsg(db));
  sqlite3_free(err);
  return rc == SQLITE_OK;
}

/* One column of one row as text ("" if none). */
static void query_text(sqlite3 *db, const char *sql, char *out, size_t n) {
  sqlite3_stmt *st = NULL;
  out[0] = '\0';
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
      sqlite3_column_text(st, 0))
    snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
  else
    snprintf(out, n, "(error: %s)", sqlite3_errmsg(db));
  sqlite3_finalize(st);
}

static int setup(void) {
  char why[600];
  sqlite3 *db = open_conn(why, sizeof why);
  if (!db) {
    CHECK(0, "setup connection: %s", why);
    return 0;
  }
  int ok = exec_ok(db, "PRAGMA journal_mode = WAL") &&
           exec_ok(db, "CREATE VIRTUAL TABLE docs_static USING embed_index(model = 'm')") &&
           exec_ok(db, "CREATE VIRTUAL TABLE docs_dyn USING embed_index(model = 'm')");
  sqlite3_stmt *st = NULL;
  /* reference vectors: one text at a time, no other thread running */
  for (int p = -1; p < 2; p++) {
    for (int t = 0; ok && t < N_TEXTS; t++) {
      ok = sqlite3_prepare_v2(db, "SELECT embed(?1, ?2)", -1, &st, NULL) == SQLITE_OK;
      sqlite3_bind_text(st, 1, p < 0 ? "m" : g_low_name[p], -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 2, g_text[t], -1, SQLITE_STATIC);
      ok = ok && sqlite3_step(st) == SQLITE_ROW;
      int bytes = ok ? sqlite3_column_bytes(st, 0) : 0;
      if (p < 0 && t == 0) g_dims = bytes / 4;
      ok = ok && bytes == g_dims * 4 && g_dims > 0 && g_dims <= MAX_DIMS;
      if (ok) memcpy(p < 0 ? g_ref[t] : g_ref_low[p][t], sqlite3_column_blob(st, 0), (size_t)bytes);
      sqlite3_finalize(st);
    }
  }
  /* reference scores: one pair at a time */
  for (int t = 0; ok && t < N_TEXTS; t++) {
    ok = sqlite3_prepare_v2(db, "SELECT embed_rerank('rr', ?1, ?2)", -1, &st, NULL) == SQLITE_OK;
    sqlite3_bind_text(st, 1, RERANK_QUERY, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, g_text[t], -1, SQLITE_STATIC);
    ok = ok && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_FLOAT;
    if (ok) g_ref_score[t] = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
  }
  ok = ok && g_ref_score[0] != g_ref_score[N_TEXTS - 1];
  /* bf16 and int8 must have changed the vectors, or their checks test fp32 again */
  ok = ok && max_diff(g_ref[N_TEXTS - 1], g_ref_low[0][N_TEXTS - 1], g_dims) > 1e-6 &&
       max_diff(g_ref[N_TEXTS - 1], g_ref_low[1][N_TEXTS - 1], g_dims) > 1e-6;
  CHECK(ok, "setup: WAL database, two embed_index tables, %d reference vectors of %d dimensions in fp32, bf16 "
        "and int8, %d reference scores%s%s", N_TEXTS, g_dims, N_TEXTS, ok ? "" : ": ", ok ? "" : sqlite3_errmsg(db));
  ok = ok && exec_ok(db, "BEGIN");
  ok = ok && sqlite3_prepare_v2(db, "INSERT INTO docs_static(rowid, text) VALUES (?1, ?2)", -1, &st, NULL) == SQLITE_OK;
  for (int r = 0; ok && r < N_STATIC; r++) {
    sqlite3_bind_int64(st, 1, r + 1);
    sqlite3_bind_text(st, 2, g_text[r % N_TEXTS], -1, SQLITE_STATIC);
    ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  ok = ok && exec_ok(db, "COMMIT");
  CHECK(ok, "setup: %d rows in the static index", N_STATIC);
  make_big();
  char ddl[200];
  snprintf(ddl, sizeof ddl, "CREATE VIRTUAL TABLE vecs_big USING embed_index(dims = %d, threads = 4)", BIG_DIMS);
  ok = ok && exec_ok(db, ddl) && exec_ok(db, "BEGIN");
  ok = ok && sqlite3_prepare_v2(db, "INSERT INTO vecs_big(rowid, embedding) VALUES (?1, ?2)", -1, &st, NULL) == SQLITE_OK;
  for (int r = 0; ok && r < N_BIG; r++) {
    sqlite3_bind_int64(st, 1, r + 1);
    sqlite3_bind_blob(st, 2, g_big[r], (int)sizeof g_big[r], SQLITE_STATIC);
    ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  ok = ok && exec_ok(db, "COMMIT");
  CHECK(ok, "setup: %d vectors of %d dimensions in the big index", N_BIG, BIG_DIMS);
  sqlite3_close(db);
  expected_knn();
  return ok;
}

static void final_checks(void) {
  char why[600], out[600];
  sqlite3 *db = open_conn(why, sizeof why);
  if (!db) {
    CHECK(0, "final connection: %s", why);
    return;
  }
  query_text(db, "PRAGMA integrity_check", out, sizeof out);
  CHECK(strcmp(out, "ok") == 0, "PRAGMA integrity_check after the run: %s", out);
  CHECK(exec_ok(db, "INSERT INTO docs_dyn(docs_dyn) VALUES ('integrity-check')"),
        "docs_dyn 'integrity-check' command passes");
  CHECK(exec_ok(db, "INSERT INTO docs_static(docs_static) VALUES ('integrity-check')"),
        "docs_static 'integrity-check' command passes");

  /* docs_dyn holds exactly the writers' live rows, each with its text's vector */
  long expected = 0;
  for (int i = 0; i < N_WRITERS; i++) expected += g_workers[i].n_live;
  query_text(db, "SELECT count(*) FROM docs_dyn", out, sizeof out);
  CHECK(atol(out) == expected, "docs_dyn holds %s rows, the writers left %ld", out, expected);
  worker check = {0};
  sqlite3_stmt *st = NULL;
  long rows = 0;
  if (sqlite3_prepare_v2(db, "SELECT text, embedding FROM docs_dyn WHERE rowid = ?1", -1, &st, NULL) == SQLITE_OK) {
    for (int i = 0; i < N_WRITERS; i++) {
      worker *w = &g_workers[i];
      for (int j = 0; j < w->n_live; j++) {
        sqlite3_bind_int64(st, 1, w->live_rowid[j]);
        if (sqlite3_step(st) != SQLITE_ROW) {
          fail(&check, "rowid %lld missing", (long long)w->live_rowid[j]);
        } else {
          const char *text = (const char *)sqlite3_column_text(st, 0);
          if (!text || strcmp(text, g_text[w->live_text[j]]) != 0)
            fail(&check, "rowid %lld has text '%.40s'", (long long)w->live_rowid[j], text ? text : "(null)");
          check_vec(&check, sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1), w->live_text[j], "docs_dyn row");
          rows++;
        }
        sqlite3_reset(st);
      }
    }
  }
  sqlite3_finalize(st);
  CHECK(check.failures == 0, "every docs_dyn row (%ld) has its text and that text's reference vector%s%s", rows,
        check.failures ? ": " : "", check.first_failure);
  CHECK(sqlite3_close(db) == SQLITE_OK, "final connection closes");
}

/* test_concurrency EXTENSION MODEL_DIR SECONDS DB_DIR RERANKER_DIR */
int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s EXTENSION MODEL_DIR SECONDS DB_DIR RERANKER_DIR\n", argv[0]);
    return 2;
  }
  g_ext = argv[1];
  g_model = argv[2];
  g_reranker = argv[5];
  double seconds = atof(argv[3]);
  snprintf(g_db, sizeof g_db, "%s/concurrency.db", argv[4]);
  static const char *const suffix[] = {"", "-wal", "-shm"}; /* a fresh database each run */
  for (int i = 0; i < 3; i++) {
    char p[1100];
    snprintf(p, sizeof p, "%s%s", g_db, suffix[i]);
    remove(p);
  }
  CHECK(sqlite3_threadsafe() != 0, "libsqlite3 is built thread-safe (SQLITE_THREADSAFE=%d)", sqlite3_threadsafe());
  make_texts();
  if (!setup()) return check_finish();

  g_deadline = now() + seconds;
  pthread_t th[N_THREADS];
  for (int i = 0; i < N_THREADS; i++) {
    g_workers[i].id = i;
    g_workers[i].rng = 0x2545F4914F6CDD1DULL * (uint64_t)(i + 1);
    if (pthread_create(&th[i], NULL, worker_main, &g_workers[i]) != 0) {
      CHECK(0, "pthread_create %d", i);
      return check_finish();
    }
  }
  for (int i = 0; i < N_THREADS; i++) pthread_join(th[i], NULL);

  long total[8] = {0};
  for (int i = 0; i < N_THREADS; i++) {
    worker *w = &g_workers[i];
    long n = 0;
    for (int k = 0; k < 8; k++) n += w->ops[k], total[k] += w->ops[k];
    CHECK(w->failures == 0 && n > 0, "thread %d: %ld operations, %ld failed%s%s", i, n, w->failures,
          w->failures ? "; first: " : "", w->first_failure);
  }
  int every = 1;
  for (int k = 0; k < 8; k++) every = every && total[k] > 0;
  CHECK(every,
        "every kind of operation ran: %ld embed, %ld knn (static), %ld write transactions, %ld load/unload, "
        "%ld embed_each, %ld knn (changing), %ld knn (big, split), %ld rerank in %.0f s",
        total[0], total[1], total[2], total[3], total[4], total[5], total[6], total[7], seconds);
  final_checks();
  return check_finish();
}
