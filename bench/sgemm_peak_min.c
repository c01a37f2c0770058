/*
** sgemm_peak_min.c — a quick ceiling for the encoder numbers, used by
** bench/run.sh when the peers' sgemm_peak is not installed.
**
**   build/bench/bin/sgemm_peak_min [--threads 1,2] [--seconds 0.3]
**
**   cc -std=c11 -O2 -march=native -D_GNU_SOURCE $(pkg-config --cflags openblas) \
**      -o build/bench/bin/sgemm_peak_min bench/sgemm_peak_min.c $(pkg-config --libs openblas) -lpthread -lm
**
** For each thread count it prints one line:
**
**   threads=T fma=G sgemm_128x384x1536=G sgemm_1024x384x384=G core=NAME
**
** fma: FMA throughput of register-only loops (8 independent accumulators
** per thread, the widest vectors the compiler was allowed: AVX-512 with
** -march=native on a CPU that has it, else AVX2/FMA), all threads at once,
** best of 5, in GFLOP/s (one FMA = 2 FLOPs).
** sgemm_MxKxN: cblas_sgemm C[M,N] = A[M,K] * W[N,K]^T (the layout of a
** Linear layer: row-major, W transposed), OpenBLAS threads set with
** openblas_set_num_threads(T); best of the repetitions that fit in
** --seconds after one warm-up call, in GFLOP/s (2*M*N*K per call).
** M = tokens in the batch: 128x384x1536 is MiniLM's FFN-up on 128 tokens,
** 1024x384x384 a Q/K/V projection on 1024 tokens.
*/
#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif

extern void openblas_set_num_threads(int);
extern char *openblas_get_corename(void);

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define FMA_ITERS 20000000L

/* Returns FLOPs done; the result is stored so the loop is not dropped. */
static volatile float fma_sink;
static void *fma_thread(void *arg) {
  double *flops = arg;
#if defined(__AVX512F__)
  __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  __m512 x0 = _mm512_set1_ps(1), x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0, x6 = x0, x7 = x0;
  for (long i = 0; i < FMA_ITERS; i++) {
    x0 = _mm512_fmadd_ps(x0, a, b); x1 = _mm512_fmadd_ps(x1, a, b);
    x2 = _mm512_fmadd_ps(x2, a, b); x3 = _mm512_fmadd_ps(x3, a, b);
    x4 = _mm512_fmadd_ps(x4, a, b); x5 = _mm512_fmadd_ps(x5, a, b);
    x6 = _mm512_fmadd_ps(x6, a, b); x7 = _mm512_fmadd_ps(x7, a, b);
  }
  __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(x0, x1), _mm512_add_ps(x2, x3)),
                           _mm512_add_ps(_mm512_add_ps(x4, x5), _mm512_add_ps(x6, x7)));
  fma_sink = _mm512_reduce_add_ps(s);
  *flops = (double)FMA_ITERS * 8 * 16 * 2;
#elif defined(__FMA__)
  __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  __m256 x0 = _mm256_set1_ps(1), x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0, x6 = x0, x7 = x0;
  for (long i = 0; i < FMA_ITERS; i++) {
    x0 = _mm256_fmadd_ps(x0, a, b); x1 = _mm256_fmadd_ps(x1, a, b);
    x2 = _mm256_fmadd_ps(x2, a, b); x3 = _mm256_fmadd_ps(x3, a, b);
    x4 = _mm256_fmadd_ps(x4, a, b); x5 = _mm256_fmadd_ps(x5, a, b);
    x6 = _mm256_fmadd_ps(x6, a, b); x7 = _mm256_fmadd_ps(x7, a, b);
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(x0, x1), _mm256_add_ps(x2, x3)),
                           _mm256_add_ps(_mm256_add_ps(x4, x5), _mm256_add_ps(x6, x7)));
  float v[8];
  _mm256_storeu_ps(v, s);
  fma_sink = v[0] + v[7];
  *flops = (double)FMA_ITERS * 8 * 8 * 2;
#else
  float x[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  for (long i = 0; i < FMA_ITERS / 16; i++)
    for (int j = 0; j < 8; j++) x[j] = x[j] * 0.999999f + 1e-7f;
  fma_sink = x[0] + x[7];
  *flops = (double)(FMA_ITERS / 16) * 8 * 2;
#endif
  return NULL;
}

static double fma_peak(int threads) {
  double best = 0;
  for (int rep = 0; rep < 5; rep++) {
    pthread_t tid[64];
    double flops[64];
    double t0 = now();
    for (int t = 0; t < threads; t++) pthread_create(&tid[t], NULL, fma_thread, &flops[t]);
    double total = 0;
    for (int t = 0; t < threads; t++) {
      pthread_join(tid[t], NULL);
      total += flops[t];
    }
    double g = total / (now() - t0) / 1e9;
    if (g > best) best = g;
  }
  return best;
}

static double sgemm_best(int M, int K, int N, double seconds) {
  float *A = malloc(sizeof(float) * (size_t)M * (size_t)K);
  float *W = malloc(sizeof(float) * (size_t)N * (size_t)K);
  float *C = malloc(sizeof(float) * (size_t)M * (size_t)N);
  for (size_t i = 0; i < (size_t)M * (size_t)K; i++) A[i] = (float)((i * 7919u) % 1000u) * 1e-3f - 0.5f;
  for (size_t i = 0; i < (size_t)N * (size_t)K; i++) W[i] = (float)((i * 104729u) % 1000u) * 1e-3f - 0.5f;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, A, K, W, K, 0.0f, C, N);
  double best = 1e30, t_start = now();
  int reps = 0;
  while (reps < 3 || now() - t_start < seconds) {
    double t0 = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, A, K, W, K, 0.0f, C, N);
    double dt = now() - t0;
    if (dt < best) best = dt;
    if (++reps >= 100000) break;
  }
  free(A);
  free(W);
  free(C);
  return 2.0 * M * N * K / best / 1e9;
}

int main(int argc, char **argv) {
  int threads[16] = {1, 2}, nth = 2;
  double seconds = 0.3;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
      nth = 0;
      for (char *p = argv[++i]; *p && nth < 16;) {
        threads[nth++] = (int)strtol(p, &p, 10);
        if (*p == ',') p++;
        else if (*p) break;
      }
    } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = atof(argv[++i]);
    } else {
      fprintf(stderr, "usage: %s [--threads 1,2] [--seconds 0.3]\n", argv[0]);
      return 2;
    }
  }
  for (int t = 0; t < nth; t++) {
    if (threads[t] < 1 || threads[t] > 64) return 2;
    openblas_set_num_threads(threads[t]);
    double f = fma_peak(threads[t]);
    double g1 = sgemm_best(128, 384, 1536, seconds);
    double g2 = sgemm_best(1024, 384, 384, seconds);
    printf("threads=%d fma=%.1f sgemm_128x384x1536=%.1f sgemm_1024x384x384=%.1f core=%s\n", threads[t], f, g1,
           g2, openblas_get_corename());
    fflush(stdout);
  }
  return 0;
}
