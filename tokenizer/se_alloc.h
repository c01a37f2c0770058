/*
** se_alloc.h — the one allocation shim used by tokenizer/ and engine/.
**
** Every heap allocation outside ext/ goes through these three functions so
** that a test build (-DSE_FAULT_INJECTION) can make the Nth allocation fail
** and check that every caller turns it into a clean error.  ext/ uses
** sqlite3_malloc64 instead, whose failures SQLite's own hooks can inject.
*/
#ifndef SE_ALLOC_H
#define SE_ALLOC_H
#include <stddef.h>

void *se_malloc(size_t n);            /* NULL on failure (or injected failure) */
void *se_calloc(size_t count, size_t size);
void *se_realloc(void *p, size_t n);  /* returns the new block; p stays valid on NULL */
void se_free(void *p);                /* accepts NULL */
char *se_strndup(const char *s, size_t n);
/* p reallocated (capacity doubling from 64) to hold at least `need`
** elements of `size` bytes, *cap updated; p itself when it is big enough.
** On failure NULL, and p and *cap stay valid. */
void *se_grow(void *p, size_t size, size_t *cap, size_t need);

/* Fault injection (only effective when compiled with SE_FAULT_INJECTION):
** after `countdown` more successful allocations, every allocation fails
** until se_fault_reset().  Returns how many allocations failed so far. */
void se_fault_set(long countdown);
/* The same, but only that one allocation fails: the ones after it succeed
** (a transient shortage, which code can survive by dropping something). */
void se_fault_set_once(long countdown);
void se_fault_reset(void);
long se_fault_failures(void);

#endif
