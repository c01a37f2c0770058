/*
** nfc.c — Unicode NFC as Hugging Face's tokenizers crate computes it for
** the "NFC" normalizer (ModernBERT's, OLMo's), with the crate's alignments:
** where each normalised character came from in the text.
**
**   wp_nfc n = {0};
**   int changed;
**   wp_nfc_run(&n, "cafe\xcc\x81", 6, &changed);   // n.text "caf\xc3\xa9", 5 bytes
**   wp_nfc_cursor c = wp_nfc_seek(&n, 3);
**   wp_nfc_span(&n, &c, 3, 2, &s, &e);            // é came from [3, 4): the 'e' alone
**   wp_nfc_free(&n);
**
** The crate (unicode-normalization-alignments, driven by NormalizedString's
** transform) works in three steps, and this file copies each, because its
** offsets follow from the order of those steps, not from Unicode:
**  1. Decompose each character fully (Unicode 9.0's canonical mappings,
**     Hangul arithmetically), tagging the first character of a mapping
**     with change 0 and the others with +1 (inserted).
**  2. Reorder each run of non-starters after a starter by combining class
**     (a stable sort: equal classes keep their order).  The tags move with
**     the characters, so an inserted character can end up before the
**     character whose tag is 0.
**  3. Recompose (UAX #15's algorithm, as the crate's Recompositions
**     iterator runs it): a character that composes into the starter
**     before it adds its tag to the starter's, less one.
** Then the transform gives the tagged characters, in output order, the
** original characters in text order: a character tagged 0 or -k takes the
** span of the next original character and uses up k more; one tagged +k
** takes the span of the original character just used up ((0, 0) at the
** start).  So "e" U+0301 becomes é spanning the "e" alone, a Hangul jamo
** sequence becomes one syllable spanning its first jamo, and U+0301 U+0F73
** becomes U+0F71 U+0F72 U+0301 whose spans are U+0301's, U+0301's again
** and U+0F73's: tokens' offsets are what the crate reports, not what a
** reader would guess.
**
** The composition pairs and combining classes are Unicode 9.0's
** (unicode_tables.c), as the crate's: U+11935 U+11930 (Dives Akuru, 13.0)
** stays two characters there and here, where utf8proc (15.0) composes it.
**
** Alignments are kept sparse: a table of the normalised characters whose
** span is not simply "the original character at the same place, shifted
** by the bytes the changes before it added or removed", each with the
** shift that holds after it.  A text with nothing from U+0300 up is its
** own NFC and is not copied at all.
*/
#include "wp_internal.h"
#include "se_alloc.h"
#include <string.h>

/* Hangul (Unicode 3.12). */
#define S_BASE 0xAC00u
#define L_BASE 0x1100u
#define V_BASE 0x1161u
#define T_BASE 0x11A7u
#define L_COUNT 19u
#define V_COUNT 21u
#define T_COUNT 28u
#define S_COUNT (L_COUNT * V_COUNT * T_COUNT)

/* One character on its way through: code point, combining class, tag. */
typedef struct nfc_ch { uint32_t cp; int32_t change; uint8_t ccc; } nfc_ch;

struct wp_nfc_work {
  nfc_ch *grp, *tmp;      /* (cap_grp) a starter and the non-starters after it; sort space */
  size_t n_grp, cap_grp;
  nfc_ch *blk;            /* (cap_blk) non-starters that did not compose, waiting */
  size_t n_blk, cap_blk;
  nfc_ch composee;        /* the starter characters may compose into */
  int has_composee;
  int last_ccc;           /* class of the last waiting character, -1 if none waits */
  const unsigned char *src; /* the original text */
  size_t src_len, cursor; /* its length; the next original character */
  int32_t last_s, last_e; /* span of the original character used up last */
  int oom;                /* an allocation failed */
};


/* The primary composite of (a, b), or 0. */
static uint32_t compose(uint32_t a, uint32_t b) {
  if (a >= L_BASE && a < L_BASE + L_COUNT && b >= V_BASE && b < V_BASE + V_COUNT)
    return S_BASE + ((a - L_BASE) * V_COUNT + (b - V_BASE)) * T_COUNT;
  if (a >= S_BASE && a < S_BASE + S_COUNT && (a - S_BASE) % T_COUNT == 0 && b > T_BASE && b < T_BASE + T_COUNT)
    return a + (b - T_BASE);
  size_t lo = 0, hi = sizeof wpu_compose_pairs / sizeof wpu_compose_pairs[0];
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    const wpu_compose *p = &wpu_compose_pairs[mid];
    if (p->first < a || (p->first == a && p->second < b)) lo = mid + 1;
    else hi = mid;
  }
  if (lo < sizeof wpu_compose_pairs / sizeof wpu_compose_pairs[0] && wpu_compose_pairs[lo].first == a &&
      wpu_compose_pairs[lo].second == b)
    return wpu_compose_pairs[lo].composite;
  return 0;
}

/* The transform: one output character gets its original span. */
static void out_char(wp_nfc *n, nfc_ch c) {
  struct wp_nfc_work *w = n->work;
  unsigned char u[4];
  const int nl = wpu_encode(c.cp, u);
  const size_t npos = n->len;
  int32_t s, e;
  int identity = 0;
  if (c.change > 0) {
    s = w->cursor ? w->last_s : 0, e = w->cursor ? w->last_e : 0;
  } else {
    /* the crate uses up one original character and -change more; the
    ** count always matches the text (every character decomposes into one
    ** tagged 0), the bound is only a guard */
    s = e = (int32_t)w->src_len;
    for (int32_t k = 0; k <= -c.change && w->cursor < w->src_len; k++) {
      uint32_t cp;
      int l = wpu_decode(w->src + w->cursor, &cp);
      w->last_s = (int32_t)w->cursor, w->last_e = (int32_t)w->cursor + l;
      if (k == 0) s = w->last_s, e = w->last_e, identity = c.change == 0 && l == nl;
      w->cursor += (size_t)l;
    }
  }
  char *t = se_grow(n->text, 1, &n->cap, n->len + 4);
  if (!t) { w->oom = 1; return; }
  n->text = t;
  memcpy(n->text + n->len, u, (size_t)nl);
  n->len += (size_t)nl;
  if (identity) return;
  wp_nfc_map *m = se_grow(n->map, sizeof *m, &n->cap_map, n->n_map + 1);
  if (!m) { w->oom = 1; return; }
  n->map = m;
  m[n->n_map++] = (wp_nfc_map){(int32_t)npos, s, e, (int32_t)w->cursor - (int32_t)n->len};
}

static void block(struct wp_nfc_work *w, nfc_ch c) {
  nfc_ch *b = se_grow(w->blk, sizeof *b, &w->cap_blk, w->n_blk + 1);
  if (!b) { w->oom = 1; return; }
  w->blk = b;
  b[w->n_blk++] = c;
  w->last_ccc = c.ccc;
}

/* Out go the starter, then what waited behind it. */
static void flush_composee(wp_nfc *n) {
  struct wp_nfc_work *w = n->work;
  if (w->has_composee) out_char(n, w->composee);
  for (size_t i = 0; i < w->n_blk; i++) out_char(n, w->blk[i]);
  w->has_composee = 0, w->n_blk = 0, w->last_ccc = -1;
}

/* Step 3, one character (the crate's Recompositions::next, state by state). */
static void recompose(wp_nfc *n, nfc_ch c) {
  struct wp_nfc_work *w = n->work;
  if (!w->has_composee) {
    if (c.ccc != 0) out_char(n, c);
    else w->composee = c, w->has_composee = 1;
    return;
  }
  if (w->last_ccc >= 0 && w->last_ccc >= c.ccc) { /* blocked from the starter */
    if (c.ccc != 0) { block(w, c); return; }
    flush_composee(n);
    w->composee = c, w->has_composee = 1;
    return;
  }
  uint32_t r = compose(w->composee.cp, c.cp);
  if (r) {
    w->composee.cp = r, w->composee.ccc = 0;
    w->composee.change += c.change - 1;
    return;
  }
  if (w->last_ccc < 0 && c.ccc == 0) {
    flush_composee(n);
    w->composee = c, w->has_composee = 1;
    return;
  }
  block(w, c);
}

/* Step 2 on the group in w->grp, then its characters through step 3.  A
** counting sort by class is stable and linear (a starter may carry any
** number of marks). */
static void flush_group(wp_nfc *n) {
  struct wp_nfc_work *w = n->work;
  if (w->n_grp > 2) {
    size_t count[257] = {0};
    for (size_t i = 0; i < w->n_grp; i++) count[w->grp[i].ccc + 1]++;
    for (int k = 1; k < 257; k++) count[k] += count[k - 1];
    for (size_t i = 0; i < w->n_grp; i++) w->tmp[count[w->grp[i].ccc]++] = w->grp[i];
    nfc_ch *x = w->grp;
    w->grp = w->tmp, w->tmp = x;
  } else if (w->n_grp == 2 && w->grp[1].ccc < w->grp[0].ccc) {
    nfc_ch x = w->grp[0];
    w->grp[0] = w->grp[1], w->grp[1] = x;
  }
  for (size_t i = 0; i < w->n_grp && !w->oom; i++) recompose(n, w->grp[i]);
  w->n_grp = 0;
}

/* Step 1, one decomposed character. */
static void push(wp_nfc *n, uint32_t cp, int32_t change) {
  struct wp_nfc_work *w = n->work;
  nfc_ch c = {cp, change, (uint8_t)wpu_ccc(cp)};
  if (c.ccc == 0 && w->n_grp) flush_group(n);
  if (w->n_grp == w->cap_grp) { /* the sort's space grows with the group */
    size_t cap = w->cap_grp ? 2 * w->cap_grp : 64;
    nfc_ch *g = se_realloc(w->grp, cap * sizeof *g);
    if (g) w->grp = g;
    nfc_ch *t = g ? se_realloc(w->tmp, cap * sizeof *t) : NULL;
    if (!t) { w->oom = 1; return; }
    w->tmp = t, w->cap_grp = cap;
  }
  w->grp[w->n_grp++] = c;
}

wp_status wp_nfc_run(wp_nfc *n, const char *text, size_t len, int *changed) {
  const unsigned char *u = (const unsigned char *)text;
  size_t i = 0;
  *changed = 0;
  /* below U+0300 nothing decomposes, combines or composes with what follows
  ** it without a mark from U+0300 up (lead bytes 0xCC and above) */
  while (i < len && u[i] < 0xCC) i++;
  if (i == len) return WP_OK;
  /* Offsets are int32: at most three bytes out per byte in (UAX #15's bound for UTF-8). */
  if (len > ((size_t)INT32_MAX - 8) / 3) return WP_ERR_ARG;
  struct wp_nfc_work *w = n->work;
  if (!w && !(w = n->work = se_calloc(1, sizeof *w))) return WP_ERR_NOMEM;
  n->len = n->n_map = 0;
  w->n_grp = w->n_blk = 0;
  w->has_composee = 0, w->last_ccc = -1;
  w->src = u, w->src_len = len, w->cursor = 0, w->last_s = w->last_e = 0;
  w->oom = 0;
  for (i = 0; i < len && !w->oom;) {
    uint32_t cp, d[WPU_MAX_DECOMP];
    i += (size_t)wpu_decode(u + i, &cp);
    int k = (wpu_flags(cp) & WPU_DECOMP) ? wpu_decompose(cp, d) : (d[0] = cp, 1);
    for (int j = 0; j < k; j++) push(n, d[j], j > 0);
  }
  if (!w->oom && w->n_grp) flush_group(n);
  if (!w->oom) flush_composee(n);
  if (w->oom) return WP_ERR_NOMEM;
  *changed = 1;
  return WP_OK;
}

wp_nfc_cursor wp_nfc_seek(const wp_nfc *n, int32_t npos) {
  size_t lo = 0, hi = n->n_map;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (n->map[mid].npos < npos) lo = mid + 1;
    else hi = mid;
  }
  return (wp_nfc_cursor){lo, lo ? n->map[lo - 1].delta : 0};
}

void wp_nfc_span(const wp_nfc *n, wp_nfc_cursor *c, int32_t npos, int32_t nlen, int32_t *start, int32_t *end) {
  while (c->k < n->n_map && n->map[c->k].npos < npos) c->delta = n->map[c->k++].delta;
  if (c->k < n->n_map && n->map[c->k].npos == npos) {
    *start = n->map[c->k].start, *end = n->map[c->k].end;
    c->delta = n->map[c->k++].delta;
    return;
  }
  *start = npos + c->delta, *end = npos + c->delta + nlen;
}

wp_status wp_nfc_string(const char *text, size_t len, char **out, size_t *out_len) {
  wp_nfc n = {0};
  int changed;
  wp_status rc = wp_nfc_run(&n, text, len, &changed);
  const char *z = changed ? n.text : text;
  size_t zl = changed ? n.len : len;
  *out = NULL, *out_len = 0;
  if (rc == WP_OK && !(*out = se_malloc(zl + 1))) rc = WP_ERR_NOMEM;
  if (rc == WP_OK) {
    memcpy(*out, z, zl);
    (*out)[zl] = 0;
    *out_len = zl;
  }
  wp_nfc_free(&n);
  return rc;
}

void wp_nfc_free(wp_nfc *n) {
  if (!n) return;
  struct wp_nfc_work *w = n->work;
  if (w) {
    se_free(w->grp);
    se_free(w->tmp);
    se_free(w->blk);
    se_free(w);
  }
  se_free(n->text);
  se_free(n->map);
  memset(n, 0, sizeof *n);
}
