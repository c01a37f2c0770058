/*
** test_threadpool.c — the engine's worker pool (engine/threadpool.c) and the
** switch that runs a context's passes on the calling thread alone when its
** workers cannot keep up (engine/embed.c, pass_pool).
**
**   TEST_MODELS=build/test-models build/tests/test_threadpool
**
** Checks:
**   - ee_pool_run runs the job exactly once on every thread (tid 0..n-1,
**     nth = n, tid 0 on the caller) for 1..4 threads over many stages, also
**     when the workers have gone to sleep between stages (a lost wake-up
**     would hang or skip a thread); a NULL pool runs the job on the caller.
**   - "late" stages: with every thread pinned to one CPU a worker cannot run
**     while the caller waits, so the caller counts the stage as late;
**     ee_pool_take_late returns the count and the stages run, and resets
**     both.
**   - the contention switch, on the generated MiniLM model with 2 threads
**     pinned to one CPU: a pass of 16 tokens finds its worker late and makes
**     the next EE_POOL_SOLO_PASSES passes run alone (counted down one per
**     pass), then the pool is tried again (whether a pass is late is the
**     scheduler's call: each pool pass gets a few tries); passes below EE_POOL_MIN_TOKENS
**     never use the pool; every vector is bit-identical to a 1-thread
**     model's.
**   - products split by blocks of tasks (engine/forward.c, claim_block):
**     a batch's vectors with 2, 3, 5 and 17 threads (stealing; the shared
**     counter past 16) are the 1-thread bits.
** Timing is not checked: only which path a pass took and what it computed.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_setaffinity */
#endif
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../../engine/engine_int.h"
#include "check.h"

#define MAX_THREADS 4

typedef struct job {
  atomic_int calls[MAX_THREADS]; /* per tid */
  atomic_int bad_nth;            /* calls whose nth was not the pool's size */
  atomic_int caller_not_tid0;    /* tid 0 ran on another thread than the caller */
  int expect_nth;
  pthread_t caller;
} job;

static void job_init(job *j, int nth) {
  memset(j, 0, sizeof *j);
  j->expect_nth = nth;
  j->caller = pthread_self();
}

static void count_call(void *arg, int tid, int nth) {
  job *j = arg;
  if (tid >= 0 && tid < MAX_THREADS) atomic_fetch_add(&j->calls[tid], 1);
  if (nth != j->expect_nth) atomic_fetch_add(&j->bad_nth, 1);
  if (tid == 0 && !pthread_equal(pthread_self(), j->caller)) atomic_fetch_add(&j->caller_not_tid0, 1);
}

/* Every thread of a pool of n runs each of `stages` jobs once; with
** pause_us > 0 the workers fall asleep between stages (SPIN_NS is 0.2 ms). */
static void check_runs(int n, int stages, int pause_us) {
  ee_pool *pool = ee_pool_new(n);
  CHECK(pool != NULL, "pool of %d threads created", n);
  if (!pool) return;
  CHECK_EQ_INT(ee_pool_threads(pool), n, "pool of %d reports its thread count", n);
  job j;
  job_init(&j, n);
  for (int s = 0; s < stages; s++) {
    ee_pool_run(pool, count_call, &j);
    if (pause_us) usleep((useconds_t)pause_us);
  }
  int wrong = 0;
  for (int t = 0; t < MAX_THREADS; t++)
    if (atomic_load(&j.calls[t]) != (t < n ? stages : 0)) wrong++;
  CHECK(wrong == 0, "%d threads, %d stages%s: every tid ran every stage once (calls of tid 0: %d, tid %d: %d)",
        n, stages, pause_us ? " with the workers asleep in between" : "", atomic_load(&j.calls[0]),
        n - 1, atomic_load(&j.calls[n - 1]));
  CHECK_EQ_INT(atomic_load(&j.bad_nth), 0, "%d threads: nth is always %d", n, n);
  CHECK_EQ_INT(atomic_load(&j.caller_not_tid0), 0, "%d threads: tid 0 is the calling thread", n);
  ee_pool_free(pool);
}

static void check_null_pool(void) {
  job j;
  job_init(&j, 1);
  ee_pool_run(NULL, count_call, &j);
  CHECK(atomic_load(&j.calls[0]) == 1 && atomic_load(&j.calls[1]) == 0 && atomic_load(&j.bad_nth) == 0,
        "NULL pool: the job runs once on the caller as tid 0 of 1");
  CHECK_EQ_INT(ee_pool_threads(NULL), 1, "NULL pool counts 1 thread");
  int run = -1;
  CHECK(ee_pool_take_late(NULL, &run) == 0 && run == 0, "NULL pool has no late stages");
  ee_pool_free(NULL);
}

/* Pin the calling thread (and so the threads it creates) to the first CPU
** it may run on; *saved receives the mask to restore. */
static int pin_to_one_cpu(cpu_set_t *saved) {
  if (sched_getaffinity(0, sizeof *saved, saved) != 0) return 0;
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, saved)) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(c, &one);
      return sched_setaffinity(0, sizeof one, &one) == 0;
    }
  return 0;
}

static void busy_call(void *arg, int tid, int nth) {
  count_call(arg, tid, nth);
  volatile double x = 0;
  for (int i = 0; i < 2000; i++) x += i;
}

static void check_late_pinned(void) {
  cpu_set_t saved;
  int pinned = pin_to_one_cpu(&saved);
  CHECK(pinned, "pinned the test to one CPU");
  if (!pinned) return;
  ee_pool *pool = ee_pool_new(2); /* its worker inherits the one-CPU mask */
  job j;
  job_init(&j, 2);
  const int stages = 50;
  for (int s = 0; s < stages; s++) ee_pool_run(pool, busy_call, &j);
  int run = -1, late = ee_pool_take_late(pool, &run);
  /* Seen: 50 of 50.  A worker woken straight onto the CPU before the
  ** caller's wait can join in time, hence only half. */
  CHECK(late >= stages / 2 && late <= stages, "one CPU for 2 threads: %d of %d stages late", late, stages);
  CHECK_EQ_INT(run, stages, "ee_pool_take_late counts the stages run");
  int run_after = -1;
  CHECK(ee_pool_take_late(pool, &run_after) == 0 && run_after == 0, "ee_pool_take_late resets both counts");
  CHECK(atomic_load(&j.calls[0]) == stages && atomic_load(&j.calls[1]) == stages,
        "late stages still ran on both threads (%d, %d)", atomic_load(&j.calls[0]),
        atomic_load(&j.calls[1]));
  ee_pool_free(pool);
  sched_setaffinity(0, sizeof saved, &saved);
}

/* One sequence of len ids through ctx; returns ee_embed_ids' status. */
static ee_status embed_len(ee_context *ctx, int len, float *out) {
  int32_t ids[64];
  for (int i = 0; i < len; i++) ids[i] = i == 0 ? 101 : i == len - 1 ? 102 : 1000 + 37 * i;
  const int32_t *seqs[1] = {ids};
  int32_t lens[1] = {len};
  ee_error err;
  return ee_embed_ids(ctx, 1, seqs, NULL, lens, out, NULL, &err);
}

static ee_model *load(const char *dir, int threads) {
  ee_params p = ee_default_params();
  p.threads = threads;
  ee_model *m = NULL;
  ee_error err;
  if (ee_model_load(dir, &p, &m, &err) != EE_OK) {
    printf("FAIL: load %s with %d threads: %s\n", dir, threads, err.msg);
    check_failures++;
    return NULL;
  }
  return m;
}

static void check_contention_switch(const char *dir) {
  ee_model *m2 = load(dir, 2), *m1 = load(dir, 1);
  if (!m1 || !m2) {
    ee_model_free(m1);
    ee_model_free(m2);
    return;
  }
  const int H = ee_model_dims(m1), len = 16;
  float *want = calloc((size_t)H, sizeof(float)), *got = calloc((size_t)H, sizeof(float));
  ee_context *c1 = ee_context_new(m1);
  CHECK(want && got && c1 && embed_len(c1, len, want) == EE_OK, "1-thread reference vector");

  cpu_set_t saved;
  int pinned = pin_to_one_cpu(&saved);
  CHECK(pinned, "pinned the test to one CPU");
  ee_context *c2 = pinned ? ee_context_new(m2) : NULL; /* workers start pinned too */
  if (c2) {
    /* Whether a pass finds its worker late is up to the scheduler: a worker
    ** woken onto the CPU at once (wake-up preemption of the caller) can
    ** finish its share before the caller gives up spinning.  Seen once in
    ** many runs, under ASan with other jobs on the machine.  So each pool
    ** pass is given up to LATE_TRIES tries to be found late; what is checked
    ** exactly is what follows a late pass: the count down, one solo pass
    ** at a time, then the pool again. */
    enum { LATE_TRIES = 8 };
    int bad_bits = 0, bad_path = 0, tries_first = 0, tries_again = 0;
    for (int round = 0; round < 2; round++) {
      int tries = 0, left = 0;
      while (tries < LATE_TRIES && left != EE_POOL_SOLO_PASSES) {
        if (embed_len(c2, len, got) != EE_OK || memcmp(got, want, sizeof(float) * (size_t)H) != 0)
          bad_bits++;
        left = ee_context_solo_passes(c2);
        tries++;
        /* not late: the pass ran on the pool and left no solo passes */
        if (left != EE_POOL_SOLO_PASSES && left != 0) bad_path++;
      }
      if (round == 0) tries_first = left == EE_POOL_SOLO_PASSES ? tries : 0;
      else tries_again = left == EE_POOL_SOLO_PASSES ? tries : 0;
      if (left != EE_POOL_SOLO_PASSES) break;
      /* the solo passes: alone, counted down one a pass, same bits */
      for (int p = 1; p <= EE_POOL_SOLO_PASSES; p++) {
        if (embed_len(c2, len, got) != EE_OK || memcmp(got, want, sizeof(float) * (size_t)H) != 0)
          bad_bits++;
        int now = ee_context_solo_passes(c2);
        if (now != EE_POOL_SOLO_PASSES - p) {
          if (!bad_path) printf("  solo pass %d: %d solo passes left, expected %d\n", p, now,
                                EE_POOL_SOLO_PASSES - p);
          bad_path++;
        }
      }
    }
    CHECK(tries_first > 0,
          "2 threads on one CPU: a %d-token pass switches the context to its calling thread "
          "(found late on try %d of %d)", len, tries_first, LATE_TRIES);
    CHECK(tries_again > 0, "after %d solo passes the pool is tried again and found late again "
          "(try %d of %d)", EE_POOL_SOLO_PASSES, tries_again, LATE_TRIES);
    CHECK_EQ_INT(bad_path, 0, "solo passes counted down one a pass; a pool pass leaves 0 or %d",
                 EE_POOL_SOLO_PASSES);
    CHECK_EQ_INT(bad_bits, 0, "every pass, on the pool or alone: vectors bit-identical to 1 thread");
    ee_context_free(c2);
  }

  /* Below EE_POOL_MIN_TOKENS the pool is never used, so never found late. */
  ee_context *c3 = pinned ? ee_context_new(m2) : NULL;
  if (c3) {
    int used_pool = 0;
    for (int p = 0; p < 5; p++)
      if (embed_len(c3, EE_POOL_MIN_TOKENS - 1, got) != EE_OK || ee_context_solo_passes(c3) != 0) used_pool++;
    CHECK_EQ_INT(used_pool, 0, "%d-token passes run on the caller alone (below %d tokens)",
                 EE_POOL_MIN_TOKENS - 1, EE_POOL_MIN_TOKENS);
    ee_context_free(c3);
  }
  if (pinned) sched_setaffinity(0, sizeof saved, &saved);
  ee_context_free(c1);
  free(want);
  free(got);
  ee_model_free(m1);
  ee_model_free(m2);
}

/* The first pass of a fresh context (before any switch to solo passes)
** with 2, 3, 5 and 17 threads: products claim their tasks by blocks, with
** stealing when threads outnumber the cores, and past EE_BLOCK_THREADS
** (16) from one counter.  A batch of 4 x 100 tokens has 3 row blocks of
** tasks.  Every way gives the 1-thread bits. */
static void check_thread_counts(const char *dir) {
  enum { NSEQ = 4, LEN = 100 };
  static int32_t ids[NSEQ][LEN];
  const int32_t *seqs[NSEQ];
  int32_t lens[NSEQ];
  for (int s = 0; s < NSEQ; s++) {
    for (int i = 0; i < LEN; i++) ids[s][i] = i == 0 ? 101 : i == LEN - 1 ? 102 : 1000 + 37 * i + 11 * s;
    seqs[s] = ids[s];
    lens[s] = LEN - 7 * s;
  }
  static const int counts[] = {1, 2, 3, 5, 17};
  float *ref = NULL;
  int64_t n = 0;
  for (int ci = 0; ci < 5; ci++) {
    ee_model *m = load(dir, counts[ci]);
    ee_context *ctx = m ? ee_context_new(m) : NULL;
    if (!ctx) {
      CHECK(0, "context with %d threads", counts[ci]);
      ee_model_free(m);
      continue;
    }
    const int H = ee_model_dims(m);
    n = (int64_t)NSEQ * H;
    float *got = calloc((size_t)n, sizeof(float));
    ee_error err;
    ee_status rc = got ? ee_embed_ids(ctx, NSEQ, seqs, NULL, lens, got, NULL, &err) : EE_ERR_NOMEM;
    if (ci == 0) {
      CHECK(rc == EE_OK, "1-thread reference batch of %d x ~%d tokens", NSEQ, LEN);
      ref = got;
    } else {
      CHECK(rc == EE_OK && ref && memcmp(got, ref, sizeof(float) * (size_t)n) == 0,
            "%d threads: the batch's vectors are the 1-thread bits", counts[ci]);
      free(got);
    }
    ee_context_free(ctx);
    ee_model_free(m);
  }
  free(ref);
}

int main(void) {
  check_null_pool();
  for (int n = 1; n <= MAX_THREADS; n++) check_runs(n, 2000, 0);
  check_runs(2, 100, 500);
  check_runs(3, 100, 500);
  check_late_pinned();

  const char *models = getenv("TEST_MODELS");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/minilm", models ? models : "build/test-models");
  if (access(dir, R_OK) == 0) {
    check_contention_switch(dir);
    check_thread_counts(dir);
  } else CHECK(0, "generated model %s exists (run tests/run.sh)", dir);
  return check_finish();
}
