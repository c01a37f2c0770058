/*
** bench_tokenizer.c — tokenizer throughput: MB/s and texts/s over a file
** of texts, one per line, on one thread.
**
**   bench_tokenizer MODEL TEXTS [MAX_LENGTH [SECONDS [python_lower]]]
**     MODEL       a model directory (tokenizer.json or vocab.txt) or a vocab.txt
**     TEXTS       one text per line, e.g. /work/shared/data/ag_news/test.csv
**     MAX_LENGTH  truncation as in embedding (default 512; 0 = none)
**     SECONDS     minimum run time (default 2)
**     python_lower  each text through Python's str.lower() first, as for a
**                 model whose sentence_bert_config.json says do_lower_case
**
**   cc -O2 -Itokenizer -o build/bench_tokenizer bench/bench_tokenizer.c \
**      build/libembed.a $(pkg-config --libs jansson) -lm
**
** The whole file is read first; timing covers wp_encode only, looping
** over the texts until SECONDS have passed.  One wp_encoding is reused,
** as a caller encoding in a loop would.
*/
#include "../tokenizer/wordpiece.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL TEXTS [MAX_LENGTH [SECONDS]]\n", argv[0]);
    return 2;
  }
  int32_t max_length = argc > 3 ? atoi(argv[3]) : 512;
  double min_seconds = argc > 4 ? atof(argv[4]) : 2.0;
  wp_tokenizer *tok = NULL;
  wp_error err;
  struct stat st;
  wp_status rc = stat(argv[1], &st) == 0 && S_ISDIR(st.st_mode) ? wp_load_dir(argv[1], &tok, &err)
                                                                 : wp_load_vocab_txt(argv[1], NULL, &tok, &err);
  if (rc == WP_OK && argc > 5 && strcmp(argv[5], "python_lower") == 0) {
    wp_options o = *wp_get_options(tok);
    o.python_lower = 1;
    rc = wp_options_override(tok, &o, &err);
  }
  if (rc != WP_OK) {
    fprintf(stderr, "bench_tokenizer: %s\n", err.msg);
    return 1;
  }
  FILE *f = fopen(argv[2], "rb");
  if (!f) {
    perror(argv[2]);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *data = malloc((size_t)size + 1);
  if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {
    fprintf(stderr, "bench_tokenizer: cannot read %s\n", argv[2]);
    return 1;
  }
  fclose(f);
  /* Line boundaries, computed once. */
  size_t nlines = 0, cap = 1024;
  size_t *start = malloc(cap * sizeof *start), *len = malloc(cap * sizeof *len);
  for (char *p = data; p < data + size;) {
    char *nl = memchr(p, '\n', (size_t)(data + size - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(data + size - p);
    if (nlines == cap) {
      cap *= 2;
      start = realloc(start, cap * sizeof *start);
      len = realloc(len, cap * sizeof *len);
    }
    start[nlines] = (size_t)(p - data);
    len[nlines++] = n;
    p += n + 1;
  }
  wp_encoding enc = {0};
  double bytes = 0, texts = 0, tokens = 0, t0 = now(), dt;
  long bad = 0;
  do {
    for (size_t i = 0; i < nlines; i++) {
      if (wp_encode(tok, data + start[i], len[i], max_length, &enc, &err) != WP_OK) bad++;
      bytes += (double)len[i];
      tokens += enc.n;
    }
    texts += (double)nlines;
    dt = now() - t0;
  } while (dt < min_seconds);
  printf("bench_tokenizer: %s on %s: %.0f texts, %.1f MB in %.2f s: %.1f MB/s, %.0f texts/s, "
         "%.2f M tokens/s (max_length %d%s, %ld failed)\n",
         argv[1], argv[2], texts, bytes / 1e6, dt, bytes / 1e6 / dt, texts / dt, tokens / 1e6 / dt,
         max_length, wp_get_options(tok)->python_lower ? ", python_lower" : "", bad);
  wp_encoding_free(&enc);
  wp_free(tok);
  free(start);
  free(len);
  free(data);
  return bad ? 1 : 0;
}
