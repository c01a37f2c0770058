/*
** bpe.c — the BPE model: the merge table and the merges of one word.
**
**   wp_bpe_add_merge(b, id("Ġ"), id("t"), 0, id("Ġt"));   // line 0 of "merges"
**   n = wp_bpe_merge_word(&work, b, ids, starts, ends, n); // in place
**
** A word starts as one symbol per byte.  As in the Hugging Face crate
** (model/bpe/word.rs, merge_all), a min-heap holds every adjacent pair that
** has a merge, ordered by rank, then by position; the top is popped and,
** if its pair is still there and still merges into the same id, merged,
** and the pairs the new symbol forms with its neighbours are pushed.  A
** stale entry is recognised as the crate recognises it (the pair now at
** that position must merge into the same id), so the result is the
** crate's even where two pairs merge into the same token.
*/
#include "wp_internal.h"
#include "se_alloc.h"
#include <string.h>

static uint64_t pair_key(int32_t left, int32_t right) {
  return (uint64_t)(uint32_t)left << 32 | (uint32_t)right;
}

static size_t pair_slot(uint64_t key, size_t mask) {
  uint64_t h = key * 0x9E3779B97F4A7C15ull;
  return (size_t)(h >> 32) & mask;
}

static const wp_merge *find_merge(const wp_bpe *b, int32_t left, int32_t right) {
  if (!b->n_slots) return NULL;
  const uint64_t key = pair_key(left, right);
  const size_t mask = b->n_slots - 1;
  for (size_t i = pair_slot(key, mask);; i = (i + 1) & mask) {
    const wp_merge *m = &b->merges[i];
    if (m->rank < 0) return NULL;
    if (m->pair == key) return m;
  }
}

static wp_status grow(wp_bpe *b) {
  size_t n = b->n_slots ? 2 * b->n_slots : 1024;
  wp_merge *m = se_malloc(n * sizeof *m);
  if (!m) return WP_ERR_NOMEM;
  for (size_t i = 0; i < n; i++) m[i].rank = -1;
  for (size_t i = 0; i < b->n_slots; i++) {
    if (b->merges[i].rank < 0) continue;
    size_t j = pair_slot(b->merges[i].pair, n - 1);
    while (m[j].rank >= 0) j = (j + 1) & (n - 1);
    m[j] = b->merges[i];
  }
  se_free(b->merges);
  b->merges = m;
  b->n_slots = n;
  return WP_OK;
}

wp_status wp_bpe_add_merge(wp_bpe *b, int32_t left, int32_t right, int32_t rank, int32_t into) {
  if (2 * (b->n_merges + 1) > b->n_slots && grow(b) != WP_OK) return WP_ERR_NOMEM;
  const uint64_t key = pair_key(left, right);
  const size_t mask = b->n_slots - 1;
  size_t i = pair_slot(key, mask);
  while (b->merges[i].rank >= 0 && b->merges[i].pair != key) i = (i + 1) & mask;
  if (b->merges[i].rank < 0) b->n_merges++;
  b->merges[i] = (wp_merge){key, rank, into};
  return WP_OK;
}

void wp_bpe_free(wp_bpe *b) {
  if (!b) return;
  se_free(b->merges);
  se_free(b);
}

/* A candidate merge of the symbol at pos with the one after it. */
typedef struct cand { int32_t rank, pos, into; } cand;

/* Words of at most this many bytes are merged by merge_short. */
#define SHORT_WORD 48

struct wp_bpe_work {
  int32_t *prev, *next;   /* (cap) the symbol list; -1 ends it */
  int32_t *rank, *into;   /* (cap) merge_short: the merge of each symbol with the next */
  cand *heap;             /* (heap_cap) min-heap on (rank, pos) */
  size_t cap, heap_cap, n_heap;
};

static int before(const cand *a, const cand *b) {
  return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;
}

static int push(struct wp_bpe_work *w, cand c) {
  if (w->n_heap == w->heap_cap) {
    size_t n = w->heap_cap ? 2 * w->heap_cap : 64;
    cand *h = se_realloc(w->heap, n * sizeof *h);
    if (!h) return -1;
    w->heap = h;
    w->heap_cap = n;
  }
  size_t i = w->n_heap++;
  while (i > 0 && before(&c, &w->heap[(i - 1) / 2])) {
    w->heap[i] = w->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  w->heap[i] = c;
  return 0;
}

static cand pop(struct wp_bpe_work *w) {
  cand top = w->heap[0], last = w->heap[--w->n_heap];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= w->n_heap) break;
    if (c + 1 < w->n_heap && before(&w->heap[c + 1], &w->heap[c])) c++;
    if (!before(&w->heap[c], &last)) break;
    w->heap[i] = w->heap[c];
    i = c;
  }
  if (w->n_heap) w->heap[i] = last;
  return top;
}

/* Push the merge of symbol a with symbol b (its next), if there is one. */
static int push_pair(struct wp_bpe_work *w, const wp_bpe *b, const int32_t *id, int32_t a, int32_t bb) {
  const wp_merge *m = find_merge(b, id[a], id[bb]);
  return m ? push(w, (cand){m->rank, a, m->into}) : 0;
}

/* Short words: each pair's merge kept in rank[]/into[] (-1: none), the
** lowest rank found by a scan, leftmost on a tie as the heap pops it.  The
** same merges as the heap's: a heap entry left stale by a neighbour's
** merge never passes its check, since tokens' texts are distinct. */
static void merge_short(struct wp_bpe_work *w, const wp_bpe *b, int32_t *id, int32_t *e, int32_t n) {
  int32_t *rank = w->rank, *into = w->into;
  for (int32_t i = 0; i + 1 < n; i++) {
    const wp_merge *m = find_merge(b, id[i], id[i + 1]);
    rank[i] = m ? m->rank : -1, into[i] = m ? m->into : -1;
  }
  rank[n - 1] = -1;
  for (;;) {
    int32_t best = -1;
    for (int32_t i = 0; i >= 0; i = w->next[i])
      if (rank[i] >= 0 && (best < 0 || rank[i] < rank[best])) best = i;
    if (best < 0) break;
    const int32_t r = w->next[best];
    id[best] = into[best];
    e[best] = e[r];
    e[r] = -1;
    w->next[best] = w->next[r];
    if (w->next[r] >= 0) w->prev[w->next[r]] = best;
    const int32_t pv = w->prev[best], nx = w->next[best];
    const wp_merge *m = pv >= 0 ? find_merge(b, id[pv], id[best]) : NULL;
    if (pv >= 0) rank[pv] = m ? m->rank : -1, into[pv] = m ? m->into : -1;
    m = nx >= 0 ? find_merge(b, id[best], id[nx]) : NULL;
    rank[best] = m ? m->rank : -1, into[best] = m ? m->into : -1;
  }
}

/* Longer words: the crate's heap (see the top of this file); -1 when out of memory. */
static int merge_heap(struct wp_bpe_work *w, const wp_bpe *b, int32_t *id, int32_t *e, int32_t n) {
  for (int32_t i = 0; i + 1 < n; i++)
    if (push_pair(w, b, id, i, i + 1)) return -1;
  while (w->n_heap) {
    cand c = pop(w);
    if (e[c.pos] < 0 || w->next[c.pos] < 0) continue;
    const int32_t r = w->next[c.pos];
    const wp_merge *m = find_merge(b, id[c.pos], id[r]);
    if (!m || m->into != c.into) continue;
    id[c.pos] = c.into;
    e[c.pos] = e[r];
    e[r] = -1;
    w->next[c.pos] = w->next[r];
    if (w->next[r] >= 0) w->prev[w->next[r]] = c.pos;
    if (w->prev[c.pos] >= 0 && push_pair(w, b, id, w->prev[c.pos], c.pos)) return -1;
    if (w->next[c.pos] >= 0 && push_pair(w, b, id, c.pos, w->next[c.pos])) return -1;
  }
  return 0;
}

int32_t wp_bpe_merge_word(wp_bpe_work **work, const wp_bpe *b, int32_t *id, int32_t *s, int32_t *e,
                          int32_t n) {
  if (n < 2 || !b->n_merges) return n;
  struct wp_bpe_work *w = *work;
  if (!w && !(w = *work = se_calloc(1, sizeof *w))) return -1;
  if ((size_t)n > w->cap) {
    int32_t **arrays[] = {&w->prev, &w->next, &w->rank, &w->into};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
      int32_t *p = se_realloc(*arrays[i], (size_t)n * sizeof *p);
      if (!p) return -1;
      *arrays[i] = p;
    }
    w->cap = (size_t)n;
  }
  w->n_heap = 0;
  for (int32_t i = 0; i < n; i++) {
    w->prev[i] = i - 1;
    w->next[i] = i + 1 < n ? i + 1 : -1;
  }
  if (n <= SHORT_WORD) merge_short(w, b, id, e, n);
  else if (merge_heap(w, b, id, e, n)) return -1;
  int32_t k = 0;
  for (int32_t i = 0; i < n; i++)
    if (e[i] >= 0) id[k] = id[i], s[k] = s[i], e[k] = e[i], k++;
  return k;
}

void wp_bpe_work_free(wp_bpe_work *w) {
  if (!w) return;
  se_free(w->prev);
  se_free(w->next);
  se_free(w->rank);
  se_free(w->into);
  se_free(w->heap);
  se_free(w);
}
