/*
** bench_engine.c — encoder throughput: sentences/s and GFLOP/s.
**
**   build/bench_engine --model DIR [--threads 1,2] [--batches 1,8,32]
**                      [--seqs 16,64,128,256] [--runs 5] [--texts FILE]
**                      [--precision fp32|bf16|int8]
**
**   cc -std=c11 -O2 -D_GNU_SOURCE $(pkg-config --cflags openblas jansson) \
**      -o build/bench_engine bench/bench_engine.c build/libembed.a \
**      $(pkg-config --libs openblas jansson libutf8proc) -lpthread -lm
**
** For every (threads, batch, seq) point it embeds `batch` random id
** sequences of exactly `seq` tokens ([CLS] random ids [SEP], or the
** tokenizer's own frame) through
** ee_embed_ids, once to warm up and then --runs times (at least 0.5 s in
** all), and prints the median batch time as sentences/s and GFLOP/s, with
** FLOPs per sentence = layers * (2*S*(4H^2 + 2H*I) + 4*S^2*H) (the matmuls
** only, multiply-add = 2, as tools/peers/bert_ref.py flops counts them;
** 3H*I in place of 2H*I for a gated FFN (NomicBert, ModernBERT), 2kH*I
** for a Mixture-of-Experts layer of top k (nomic-embed-text-v2-moe), and for
** ModernBERT's local layers S*min(S, 2w+1) scores in place of S^2, w the
** window on either side: the keys a query attends to, not the ones the
** engine scores in whole panels of 16).
**
** --texts FILE embeds the file's lines (one text per line) through
** ee_embed_texts, tokenizer included: one call over all lines with batches
** of 32 inside the engine (sorted by length), and calls of 32 lines each
** as a caller without sorting would do.  Prints texts/s (median of runs).
**
** threads goes through ee_params.threads: the size of each context's own
** thread pool (OpenBLAS runs single-threaded); the model is reloaded for
** each thread count.
**
** --precision bf16|int8 loads the model at that precision (ee_params) and
** names the kernel it runs; with --texts it also embeds every line with an
** fp32 copy of the model and prints the cosine similarity of each text's
** two vectors: "cosine vs fp32: mean M min m over N texts" (--cosine no
** skips that: the vectors are deterministic, so a repeated run need not).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>
#include <time.h>
#include <math.h>
#include "../engine/engine_int.h" /* kernel names */

#define MAX_LIST 32

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int parse_list(const char *s, int *out) {
  int n = 0;
  while (*s && n < MAX_LIST) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || v <= 0) return -1;
    out[n++] = (int)v;
    s = *end == ',' ? end + 1 : end;
    if (*end && *end != ',') return -1;
  }
  return n;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next_rand(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

static void usage(void) {
  fprintf(stderr, "usage: bench_engine --model DIR [--threads 1,2] [--batches 1,8,32] "
                  "[--seqs 16,64,128,256] [--runs N] [--texts FILE] [--precision fp32|bf16|int8] [--cosine yes|no]\n");
  exit(2);
}

/* Lines of path (without newlines); *n set.  Empty lines are kept. */
static char **read_lines(const char *path, int *n, size_t **lens) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char **lines = NULL;
  size_t cap = 0, cnt = 0;
  *lens = NULL;
  char *line = NULL;
  size_t lcap = 0;
  ssize_t len;
  while ((len = getline(&line, &lcap, f)) >= 0) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
    if (cnt == cap) {
      cap = cap ? 2 * cap : 1024;
      lines = realloc(lines, cap * sizeof *lines);
      *lens = realloc(*lens, cap * sizeof **lens);
    }
    lines[cnt] = malloc((size_t)len + 1);
    memcpy(lines[cnt], line, (size_t)len + 1);
    (*lens)[cnt] = (size_t)len;
    cnt++;
  }
  free(line);
  fclose(f);
  *n = (int)cnt;
  return lines;
}

/* Anonymous resident memory of this process in bytes (RssAnon; -1 without
** /proc): the heap and stacks, not the model file's mapped pages, which
** count in RSS as soon as a batch reads their rows. */
static int64_t resident_bytes(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long long kb = -1;
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "RssAnon: %lld kB", &kb) == 1) break;
  fclose(f);
  return kb < 0 ? -1 : (int64_t)kb * 1024;
}

static int bench_ids(ee_model *m, int threads, int batch, int seq, int runs) {
  ee_info in;
  ee_model_info(m, &in);
  if (seq > in.max_position_embeddings) {
    printf("%7d %6d %5d   (skipped: longer than max_position_embeddings %d)\n", threads, batch,
           seq, in.max_position_embeddings);
    return 0;
  }
  /* Memory the batch adds: resident bytes of the context (activation arena,
  ** thread pool, buffers) once the runs are done, over those before it. */
  const int64_t rss0 = resident_bytes();
  ee_context *ctx = ee_context_new(m);
  int32_t **ids = malloc(sizeof *ids * (size_t)batch);
  int32_t *lens = malloc(sizeof *lens * (size_t)batch);
  float *pooled = malloc(sizeof *pooled * (size_t)batch * (size_t)in.hidden_size);
  const ee_info *I = &in;
  const wp_tokenizer *tok = ee_model_tokenizer(m);
  int32_t cls, sep; /* the frame's ends: [CLS] ... [SEP], or <s> ... </s> (XLM-R's Unigram) */
  wp_sequence_ids(tok, &cls, &sep);
  int32_t lo = I->vocab_size > 2000 ? 999 : 5;
  if (cls < 0) cls = lo;
  if (sep < 0) sep = lo;
  for (int b = 0; b < batch; b++) {
    ids[b] = malloc(sizeof(int32_t) * (size_t)seq);
    for (int j = 0; j < seq; j++) ids[b][j] = lo + (int32_t)(next_rand() % (uint32_t)(I->vocab_size - lo));
    ids[b][0] = cls;
    if (seq > 1) ids[b][seq - 1] = sep;
    lens[b] = seq;
  }
  ee_error err;
  double times[256];
  int nt = 0;
  double total = 0.0;
  int rc = 0;
  if (ee_embed_ids(ctx, batch, (const int32_t *const *)ids, NULL, lens, pooled, NULL, &err) != EE_OK) {
    fprintf(stderr, "ee_embed_ids: %s\n", err.msg);
    rc = 1;
    goto done;
  }
  while (nt < 256 && (nt < runs || total < 0.5)) {
    double t0 = now();
    ee_embed_ids(ctx, batch, (const int32_t *const *)ids, NULL, lens, pooled, NULL, &err);
    double dt = now() - t0;
    times[nt++] = dt;
    total += dt;
  }
  double med = median(times, nt);
  double H = I->hidden_size, FF = I->intermediate_size, S = seq;
  /* a gated FFN (NomicBert's SwiGLU, ModernBERT's GeGLU) has three (I,H)
  ** products: up, gate, down */
  const ee_config *c = &m->cfg;
  const double ffn = c->glu ? 3 : 2;
  double flops = 0.0;
  for (int l = 0; l < c->num_layers; l++) {
    /* a ModernBERT local layer: each query's keys within the window */
    const int local = c->global_every > 0 && l % c->global_every != 0;
    const double keys = local && 2.0 * c->window + 1 < S ? 2.0 * c->window + 1 : S;
    /* a Mixture-of-Experts layer: each token through moe_top_k experts'
    ** two products (the router's E x H is left out, as biases are) */
    const double ffn_l = ee_moe_layer(c, l) ? 2.0 * c->moe_top_k : ffn;
    flops += 2.0 * S * (4 * H * H + ffn_l * H * FF) + 4.0 * S * keys * H;
  }
  const int64_t rss1 = resident_bytes();
  printf("%7d %6d %5d %10.3f %10.1f %9.1f %5d %9.1f\n", threads, batch, seq, med * 1e3, batch / med,
         flops * batch / med / 1e9, nt, rss0 >= 0 && rss1 >= 0 ? (double)(rss1 - rss0) / 1048576.0 : -1.0);
  fflush(stdout);
done:
  for (int b = 0; b < batch; b++) free(ids[b]);
  free(ids);
  free(lens);
  free(pooled);
  ee_context_free(ctx);
  return rc;
}

/* Cosine of each line's vector from m vs an fp32 copy of the model. */
static int compare_fp32(const char *dir, ee_model *m, int threads, char **lines, size_t *lens,
                        int n) {
  ee_params p = ee_default_params();
  p.threads = threads;
  p.batch_size = 32;
  ee_model *ref = NULL;
  ee_error err;
  if (ee_model_load(dir, &p, &ref, &err) != EE_OK) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  const int H = ee_model_dims(m);
  ee_context *a = ee_context_new(m), *b = ee_context_new(ref);
  float *va = malloc(sizeof(float) * (size_t)n * (size_t)H + 1);
  float *vb = malloc(sizeof(float) * (size_t)n * (size_t)H + 1);
  int rc = 0;
  if (!a || !b || !va || !vb ||
      ee_embed_texts(a, n, (const char *const *)lines, lens, va, &err) != EE_OK ||
      ee_embed_texts(b, n, (const char *const *)lines, lens, vb, &err) != EE_OK) {
    fprintf(stderr, "compare: %s\n", err.msg);
    rc = 1;
  } else {
    double sum = 0.0, mn = 2.0;
    for (int i = 0; i < n; i++) {
      double dot = 0.0, na = 0.0, nb = 0.0;
      for (int j = 0; j < H; j++) {
        double x = va[(size_t)i * H + j], y = vb[(size_t)i * H + j];
        dot += x * y, na += x * x, nb += y * y;
      }
      double c = dot / sqrt(na * nb);
      sum += c;
      mn = c < mn ? c : mn;
    }
    printf("cosine vs fp32: mean %.6f min %.6f over %d texts\n", sum / n, mn, n);
  }
  free(va);
  free(vb);
  ee_context_free(a);
  ee_context_free(b);
  ee_model_free(ref);
  return rc;
}

static int bench_texts(ee_model *m, int threads, char **lines, size_t *lens, int n, int runs) {
  ee_context *ctx = ee_context_new(m);
  float *out = malloc(sizeof(float) * (size_t)n * (size_t)ee_model_dims(m) + 1);
  ee_error err;
  double t_all[64], t_32[64];
  int rc = 0;
  for (int r = 0; r < runs + 1 && r < 64; r++) {
    double t0 = now();
    if (ee_embed_texts(ctx, n, (const char *const *)lines, lens, out, &err) != EE_OK) {
      fprintf(stderr, "ee_embed_texts: %s\n", err.msg);
      rc = 1;
      break;
    }
    double t1 = now();
    for (int i = 0; i < n; i += 32) {
      int k = n - i < 32 ? n - i : 32;
      ee_embed_texts(ctx, k, (const char *const *)lines + i, lens + i,
                     out + (size_t)i * (size_t)ee_model_dims(m), &err);
    }
    double t2 = now();
    if (r > 0) t_all[r - 1] = t1 - t0, t_32[r - 1] = t2 - t1; /* run 0 warms up */
  }
  if (!rc && runs > 0) {
    double a = median(t_all, runs), b = median(t_32, runs);
    printf("texts: threads %d, %d lines: %.1f texts/s (one call, sorted, batches of 32), "
           "%.1f texts/s (calls of 32 lines in file order)\n", threads, n, n / a, n / b);
  }
  free(out);
  ee_context_free(ctx);
  return rc;
}

int main(int argc, char **argv) {
  const char *model = NULL, *texts = NULL;
  int threads[MAX_LIST] = {1, 2}, batches[MAX_LIST] = {1, 8, 32}, seqs[MAX_LIST] = {16, 64, 128, 256};
  int nth = 2, nb = 3, ns = 4, runs = 5;
  ee_precision prec = EE_PREC_FP32;
  int cosine = 1;
#ifdef __GLIBC__
  /* A fixed mmap threshold: glibc otherwise raises it when a large block is
  ** freed, and the next point's arena would reuse the last one's heap pages,
  ** hiding its memory from the "extra MB" column. */
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) usage();
    if (!strcmp(a, "--model")) model = v;
    else if (!strcmp(a, "--texts")) texts = v;
    else if (!strcmp(a, "--threads")) nth = parse_list(v, threads);
    else if (!strcmp(a, "--batches")) nb = parse_list(v, batches);
    else if (!strcmp(a, "--seqs")) ns = parse_list(v, seqs);
    else if (!strcmp(a, "--runs")) runs = atoi(v);
    else if (!strcmp(a, "--precision") && !strcmp(v, "fp32")) prec = EE_PREC_FP32;
    else if (!strcmp(a, "--precision") && !strcmp(v, "bf16")) prec = EE_PREC_BF16;
    else if (!strcmp(a, "--precision") && !strcmp(v, "int8")) prec = EE_PREC_INT8;
    else if (!strcmp(a, "--cosine") && !strcmp(v, "yes")) cosine = 1;
    else if (!strcmp(a, "--cosine") && !strcmp(v, "no")) cosine = 0;
    else usage();
    if (nth < 0 || nb < 0 || ns < 0 || runs < 1 || runs > 200) usage();
    i++;
  }
  if (!model) usage();

  char **lines = NULL;
  size_t *line_lens = NULL;
  int nlines = 0;
  if (texts && !(lines = read_lines(texts, &nlines, &line_lens))) {
    fprintf(stderr, "cannot read %s\n", texts);
    return 1;
  }
  int rc = 0;
  for (int t = 0; t < nth && !rc; t++) {
    ee_params p = ee_default_params();
    p.threads = threads[t];
    p.batch_size = 32;
    p.precision = prec;
    ee_model *m = NULL;
    ee_error err;
    if (ee_model_load(model, &p, &m, &err) != EE_OK) {
      fprintf(stderr, "%s\n", err.msg);
      return 1;
    }
    if (t == 0) {
      ee_info in;
      ee_model_info(m, &in);
      printf("model %s: %s, %d layers, hidden %d, heads %d, FFN %d, %lld params\n", model,
             in.dtype, in.num_layers, in.hidden_size, in.num_heads, in.intermediate_size,
             (long long)in.n_params);
      printf("precision %s: kernel %s, packed weights %lld bytes\n", in.precision,
             prec == EE_PREC_BF16   ? ee_bf16_kernel_name()
             : prec == EE_PREC_INT8 ? ee_int8_kernel_name()
                                    : ee_kernel_name(),
             (long long)in.bytes_packed);
      printf("%7s %6s %5s %10s %10s %9s %5s %9s\n", "threads", "batch", "seq", "ms/batch", "sent/s",
             "GFLOP/s", "runs", "extra MB");
    }
    for (int b = 0; b < nb && !rc; b++)
      for (int s = 0; s < ns && !rc; s++) rc = bench_ids(m, threads[t], batches[b], seqs[s], runs);
    if (lines && !rc) rc = bench_texts(m, threads[t], lines, line_lens, nlines, runs < 3 ? runs : 3);
    if (lines && !rc && t == 0 && prec != EE_PREC_FP32 && cosine)
      rc = compare_fp32(model, m, threads[t], lines, line_lens, nlines);
    ee_model_free(m);
  }
  for (int i = 0; i < nlines; i++) free(lines[i]);
  free(lines);
  free(line_lens);
  return rc;
}
