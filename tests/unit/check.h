/*
** check.h — the unit tests' only harness.  Each CHECK prints one line,
** "PASS: label" or "FAIL: label (file:line: detail)", which tests/run.sh
** counts; a test program exits non-zero when any check failed.
**
**   int main(void) {
**     CHECK(1 + 1 == 2, "arithmetic");
**     CHECK_EQ_INT(f(), 3, "f returns three");
**     return check_finish();
**   }
*/
#ifndef CHECK_H
#define CHECK_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures = 0;
static int check_passes = 0;

#define CHECK(cond, ...) do {                                              \
    if (cond) { check_passes++; printf("PASS: "); printf(__VA_ARGS__); printf("\n"); } \
    else { check_failures++; printf("FAIL: "); printf(__VA_ARGS__);       \
           printf(" (%s:%d: %s)\n", __FILE__, __LINE__, #cond); }         \
    fflush(stdout);                                                        \
  } while (0)

#define CHECK_EQ_INT(actual, expected, ...) do {                           \
    long long check_a_ = (long long)(actual), check_e_ = (long long)(expected); \
    if (check_a_ == check_e_) { check_passes++; printf("PASS: "); printf(__VA_ARGS__); printf("\n"); } \
    else { check_failures++; printf("FAIL: "); printf(__VA_ARGS__);       \
           printf(" (%s:%d: got %lld, expected %lld)\n", __FILE__, __LINE__, check_a_, check_e_); } \
    fflush(stdout);                                                        \
  } while (0)

#define CHECK_STR_CONTAINS(haystack, needle, ...) do {                     \
    const char *check_h_ = (haystack), *check_n_ = (needle);               \
    if (check_h_ && strstr(check_h_, check_n_)) { check_passes++; printf("PASS: "); printf(__VA_ARGS__); printf("\n"); } \
    else { check_failures++; printf("FAIL: "); printf(__VA_ARGS__);       \
           printf(" (%s:%d: \"%s\" does not contain \"%s\")\n", __FILE__, __LINE__, \
                  check_h_ ? check_h_ : "(null)", check_n_); }             \
    fflush(stdout);                                                        \
  } while (0)

/* The whole file at path, NUL-terminated (malloc'd: the caller frees), its
** length in *len (may be NULL); NULL if it cannot be read. */
static inline char *check_slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  if (buf) buf[n] = 0;
  fclose(f);
  if (len) *len = n >= 0 ? (size_t)n : 0;
  return buf;
}

/* FNV-1a 64 of ids (each as 4 bytes, little-endian), the hash fixtures give
** for long texts' ids and offsets: start from 0xcbf29ce484222325. */
static inline unsigned long long check_fnv1a64_i32(unsigned long long h, const int *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    for (int b = 0; b < 4; b++) h = (h ^ (((unsigned)v[i] >> (8 * b)) & 0xff)) * 0x100000001b3ull;
  return h;
}

static inline int check_finish(void) {
  fprintf(stderr, "%d checks passed, %d failed\n", check_passes, check_failures);
  return check_failures ? 1 : 0;
}
#endif
