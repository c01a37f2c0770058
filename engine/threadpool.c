/*
** threadpool.c — the engine's own worker threads, one pool per ee_context.
**
**   ee_pool *pool = ee_pool_new(4);            // caller + 3 workers
**   ee_pool_run(pool, fn, arg);                // fn(arg, 0..3, 4), returns when all are done
**   ee_pool_free(pool);                        // joins the workers
**
** Why our own: OpenBLAS's pool is process-global (two connections fight
** over it), it spins while our own loops (attention, LayerNorm, GELU) ran
** on one core, and it repacked weights per call.  The engine now calls
** OpenBLAS with one thread and splits every stage itself (forward.c).
**
** Waiting.  A forward pass is ~40 short stages, so a worker that finished
** one spins (with a pause instruction) for up to SPIN_NS waiting for the
** next generation before it sleeps on a condition variable; the caller
** spins on the count of unfinished workers for up to WAIT_SPIN_NS, then
** sleeps until the last worker signals done_cv (same protocol, `waiting`).  So between
** stages nobody enters the kernel, and once a call returns the workers go
** to sleep within SPIN_NS: no busy loop is left behind.
**
** Wake-up without a lost signal: a worker registers in `sleepers` and
** re-checks `gen` under the mutex before waiting; the caller bumps `gen`
** and then reads `sleepers` (both sequentially consistent), taking the
** mutex to broadcast only if someone sleeps.  Either the worker sees the
** new generation or the caller sees the sleeper.
**
** If pthread_create fails the pool simply has fewer workers: results do
** not depend on the thread count (see kernels.c), only speed does.
*/
#include "engine_int.h"
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#define SPIN_NS 200000     /* 0.2 ms: longer than any gap between two stages */
#define WAIT_SPIN_NS 50000 /* the caller's spin before it sleeps on done_cv */

typedef struct worker { struct ee_pool *pool; int id; } worker;

struct ee_pool {
  int n;                       /* threads taking part: the caller + started workers */
  pthread_t *tids;             /* (n - 1) */
  worker *args;                /* (n - 1) */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  atomic_uint gen;             /* bumped once per job (and to quit) */
  atomic_int pending;          /* workers still running the current job */
  atomic_int joined;           /* workers that have started the current job */
  atomic_int sleepers;         /* workers waiting on cv */
  atomic_int waiting;          /* 1 while the caller sleeps on done_cv */
  pthread_cond_t done_cv;      /* the last worker of a job signals the caller */
  atomic_int quit;
  int late;                    /* caller-only: stages it slept through, see ee_pool_take_late */
  int stages;                  /* caller-only: stages run on the workers since the last take */
  void (*fn)(void *, int, int); /* the current job; written before gen is bumped */
  void *arg;
};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *worker_main(void *p) {
  worker *w = p;
  ee_pool *pool = w->pool;
  unsigned seen = 0;
  for (;;) {
    unsigned g = atomic_load(&pool->gen);
    if (g == seen) {
      int64_t t0 = now_ns();
      for (int i = 1; (g = atomic_load(&pool->gen)) == seen; i++) {
        cpu_relax();
        if ((i & 255) == 0 && now_ns() - t0 > SPIN_NS) break;
      }
    }
    if (g == seen) {
      pthread_mutex_lock(&pool->mu);
      atomic_fetch_add(&pool->sleepers, 1);
      while ((g = atomic_load(&pool->gen)) == seen) pthread_cond_wait(&pool->cv, &pool->mu);
      atomic_fetch_sub(&pool->sleepers, 1);
      pthread_mutex_unlock(&pool->mu);
    }
    seen = g;
    if (atomic_load(&pool->quit)) break;
    atomic_fetch_add(&pool->joined, 1);
    pool->fn(pool->arg, w->id, pool->n);
    if (atomic_fetch_sub(&pool->pending, 1) == 1 && atomic_load(&pool->waiting)) {
      pthread_mutex_lock(&pool->mu);
      pthread_cond_signal(&pool->done_cv);
      pthread_mutex_unlock(&pool->mu);
    }
  }
  return NULL;
}

ee_pool *ee_pool_new(int nthreads) {
  if (nthreads < 1) nthreads = 1;
  ee_pool *pool = se_calloc(1, sizeof *pool);
  if (!pool) return NULL;
  pool->n = 1;
  if (nthreads == 1) return pool;
  pool->tids = se_calloc((size_t)nthreads - 1, sizeof *pool->tids);
  pool->args = se_calloc((size_t)nthreads - 1, sizeof *pool->args);
  if (!pool->tids || !pool->args) {
    se_free(pool->tids);
    se_free(pool->args);
    se_free(pool);
    return NULL;
  }
  pthread_mutex_init(&pool->mu, NULL);
  pthread_cond_init(&pool->cv, NULL);
  pthread_cond_init(&pool->done_cv, NULL);
  atomic_init(&pool->waiting, 0);
  atomic_init(&pool->gen, 0);
  atomic_init(&pool->pending, 0);
  atomic_init(&pool->joined, 0);
  atomic_init(&pool->sleepers, 0);
  atomic_init(&pool->quit, 0);
  for (int i = 0; i < nthreads - 1; i++) {
    pool->args[i] = (worker){pool, i + 1};
    if (pthread_create(&pool->tids[i], NULL, worker_main, &pool->args[i]) != 0) break;
    pool->n = i + 2;
  }
  return pool;
}

int ee_pool_threads(const ee_pool *pool) { return pool ? pool->n : 1; }

/* Wake every worker for a new generation (the job or quit is already set). */
static void bump(ee_pool *pool) {
  atomic_fetch_add(&pool->gen, 1);
  if (atomic_load(&pool->sleepers) > 0) {
    pthread_mutex_lock(&pool->mu);
    pthread_cond_broadcast(&pool->cv);
    pthread_mutex_unlock(&pool->mu);
  }
}

void ee_pool_run(ee_pool *pool, void (*fn)(void *arg, int tid, int nth), void *arg) {
  if (!pool || pool->n == 1) {
    fn(arg, 0, 1);
    return;
  }
  pool->stages++;
  pool->fn = fn;
  pool->arg = arg;
  atomic_store(&pool->pending, pool->n - 1);
  atomic_store(&pool->joined, 0);
  bump(pool);
  fn(arg, 0, pool->n);
  int64_t t0 = now_ns();
  for (int i = 1; atomic_load(&pool->pending) > 0; i++) {
    cpu_relax();
    if ((i & 255) == 0 && now_ns() - t0 > WAIT_SPIN_NS) {
      /* A worker is slow or descheduled (more threads than free cores):
      ** sleep until the last one signals, so as not to take its core. */
      /* Late: a worker had not even started this stage (not running), as
      ** opposed to one still busy with its last task. */
      if (atomic_load(&pool->joined) < pool->n - 1) pool->late++;
      pthread_mutex_lock(&pool->mu);
      atomic_store(&pool->waiting, 1);
      while (atomic_load(&pool->pending) > 0) pthread_cond_wait(&pool->done_cv, &pool->mu);
      atomic_store(&pool->waiting, 0);
      pthread_mutex_unlock(&pool->mu);
      break;
    }
  }
}

int ee_pool_take_late(ee_pool *pool, int *stages) {
  if (stages) *stages = pool ? pool->stages : 0;
  if (!pool) return 0;
  int n = pool->late;
  pool->late = 0;
  pool->stages = 0;
  return n;
}

void ee_pool_free(ee_pool *pool) {
  if (!pool) return;
  if (pool->n > 1) {
    atomic_store(&pool->quit, 1);
    bump(pool);
    for (int i = 0; i < pool->n - 1; i++) pthread_join(pool->tids[i], NULL);
  }
  if (pool->tids) {
    pthread_mutex_destroy(&pool->mu);
    pthread_cond_destroy(&pool->cv);
    pthread_cond_destroy(&pool->done_cv);
  }
  se_free(pool->tids);
  se_free(pool->args);
  se_free(pool);
}
