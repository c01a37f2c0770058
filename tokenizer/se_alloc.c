/*
** se_alloc.c — allocation shim with optional failure injection.
** See se_alloc.h.  Without SE_FAULT_INJECTION these are thin wrappers.
*/
#include "se_alloc.h"
#include <stdlib.h>
#include <string.h>

#ifdef SE_FAULT_INJECTION
#include <stdatomic.h>
static _Atomic long fault_countdown = -1; /* -1: injection off */
static _Atomic long fault_failures = 0;   /* allocations refused so far */
static _Atomic int fault_once = 0;        /* se_fault_set_once: injection off after one refusal */

static int fault_should_fail(void) {
  long c = atomic_load(&fault_countdown);
  if (c < 0) return 0;
  if (c == 0) {
    atomic_fetch_add(&fault_failures, 1);
    if (atomic_load(&fault_once)) atomic_store(&fault_countdown, -1);
    return 1;
  }
  atomic_fetch_sub(&fault_countdown, 1);
  return 0;
}
void se_fault_set(long countdown) {
  atomic_store(&fault_once, 0);
  atomic_store(&fault_countdown, countdown);
  atomic_store(&fault_failures, 0);
}
void se_fault_set_once(long countdown) {
  se_fault_set(countdown);
  atomic_store(&fault_once, 1);
}
void se_fault_reset(void) { atomic_store(&fault_countdown, -1); }
long se_fault_failures(void) { return atomic_load(&fault_failures); }
#else
static int fault_should_fail(void) { return 0; }
void se_fault_set(long countdown) { (void)countdown; }
void se_fault_set_once(long countdown) { (void)countdown; }
void se_fault_reset(void) {}
long se_fault_failures(void) { return 0; }
#endif

void *se_malloc(size_t n) {
  if (fault_should_fail()) return NULL;
  return malloc(n ? n : 1);
}

void *se_calloc(size_t count, size_t size) {
  if (fault_should_fail()) return NULL;
  return calloc(count ? count : 1, size ? size : 1);
}

void *se_realloc(void *p, size_t n) {
  if (fault_should_fail()) return NULL;
  return realloc(p, n ? n : 1);
}

void se_free(void *p) { free(p); }

char *se_strndup(const char *s, size_t n) {
  char *copy = se_malloc(n + 1);
  if (!copy) return NULL;
  memcpy(copy, s, n);
  copy[n] = '\0';
  return copy;
}

void *se_grow(void *p, size_t size, size_t *cap, size_t need) {
  if (need <= *cap && p) return p;
  size_t c = *cap ? *cap : 64;
  while (c < need) c *= 2;
  void *q = se_realloc(p, c * size);
  if (q) *cap = c;
  return q;
}
