/*
** pylower.c — Python's str.lower(), which sentence-transformers runs on
** every text before tokenizing when sentence_bert_config.json says
** "do_lower_case": true (bge-small-en-v1.5 does).
**
**   wp_lowered lo = {0};
**   wp_py_lower(&lo, "ΟΔΟΣ [SEP]", 14);       // "οδος [sep]": final ς
**   int32_t s = wp_lowered_start(&lo, 3);      // source byte of lowered byte 3
**   wp_lowered_free(&lo);
**
** Why not the tokenizer's own lowercasing: that one runs per character
** after special tokens are split out (as the Rust crate does), so "[SEP]"
** typed in a text stays a special token and "Σ" always becomes "σ".
** Python lowers the whole string first: "[SEP]" becomes "[sep]", three
** ordinary tokens, and a capital sigma at the end of a word becomes "ς"
** (Unicode's Final_Sigma: a cased letter before it, none after it,
** case-ignorable characters such as "'" or accents skipped both ways;
** CPython's handle_capital_sigma).  Every other character takes its full
** lowercase mapping (U+0130 "İ" becomes "i" + U+0307), the same mapping
** the tokenizer uses.
**
** Lowercasing can change a character's byte length (U+212A KELVIN SIGN,
** 3 bytes, becomes "k", 1 byte), so the tokenizer's offsets, which index
** the lowered text, are mapped back through the list of such characters.
*/
#include "wp_internal.h"
#include "se_alloc.h"
#include <string.h>

#define CAPITAL_SIGMA 0x3A3u
#define SMALL_SIGMA 0x3C3u
#define FINAL_SIGMA 0x3C2u

/* Final_Sigma's left side: a cased character comes before s[i] once
** case-ignorable ones are skipped.  Scanning back only at a sigma keeps the
** common path free of property lookups; each scan stops at the first
** character that is not ignorable (an earlier sigma is one), so a text is
** crossed at most twice in all. */
static int cased_before(const unsigned char *s, size_t i) {
  while (i > 0) {
    uint32_t cp;
    i = wpu_decode_before(s, i, &cp);
    if (!wpu_is_case_ignorable(cp)) return wpu_is_cased(cp);
  }
  return 0;
}

/* Final_Sigma's right side: no cased character follows the sigma that ends
** at s[i], once case-ignorable ones are skipped. */
static int nothing_cased_after(const unsigned char *s, size_t i, size_t len) {
  while (i < len) {
    uint32_t cp;
    i += (size_t)wpu_decode(s + i, &cp);
    if (!wpu_is_case_ignorable(cp)) return !wpu_is_cased(cp);
  }
  return 1;
}

static int reserve_bytes(wp_lowered *lo, size_t need) {
  if (need <= lo->cap) return 0;
  size_t cap = lo->cap ? lo->cap : 256;
  while (cap < need) cap *= 2;
  char *p = se_realloc(lo->text, cap);
  if (!p) return 1;
  lo->text = p;
  lo->cap = cap;
  return 0;
}

static int note_change(wp_lowered *lo, size_t lo_start, size_t lo_end, size_t src_start,
                       size_t src_end) {
  if (lo->n_changes == lo->cap_changes) {
    size_t cap = lo->cap_changes ? lo->cap_changes * 2 : 16;
    wp_len_change *p = se_realloc(lo->changes, cap * sizeof *p);
    if (!p) return 1;
    lo->changes = p;
    lo->cap_changes = cap;
  }
  lo->changes[lo->n_changes++] = (wp_len_change){(int32_t)lo_start, (int32_t)lo_end,
                                                 (int32_t)src_start, (int32_t)src_end};
  return 0;
}

wp_status wp_py_lower(wp_lowered *lo, const char *text, size_t len) {
  const unsigned char *s = (const unsigned char *)text;
  lo->len = 0;
  lo->n_changes = 0;
  /* A lowercase is at most 3/2 of its character's bytes (U+0130, 2 bytes,
  ** to 3), so this one reservation is enough, and a result that fits it
  ** fits the int32 offsets. */
  size_t most = len + len / 2 + 1;
  if (most > (size_t)INT32_MAX - 8) return WP_ERR_ARG;
  if (reserve_bytes(lo, most)) return WP_ERR_NOMEM;
  unsigned char *out = (unsigned char *)lo->text;
  for (size_t i = 0; i < len;) {
    if (s[i] < 0x80) { /* ASCII: same length, no lookups */
      out[lo->len++] = (unsigned char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
      i++;
      continue;
    }
    uint32_t cp, low[2];
    int n = wpu_decode(s + i, &cp), nl = 1;
    if (cp == CAPITAL_SIGMA) {
      low[0] = cased_before(s, i) && nothing_cased_after(s, i + (size_t)n, len) ? FINAL_SIGMA : SMALL_SIGMA;
    } else if (wpu_flags(cp) & WPU_LOWER) {
      nl = wpu_lowercase(cp, low);
    } else {
      memcpy(out + lo->len, s + i, (size_t)n);
      lo->len += (size_t)n;
      i += (size_t)n;
      continue;
    }
    size_t start = lo->len;
    for (int k = 0; k < nl; k++) lo->len += (size_t)wpu_encode(low[k], out + lo->len);
    if (lo->len - start != (size_t)n && note_change(lo, start, lo->len, i, i + (size_t)n))
      return WP_ERR_NOMEM;
    i += (size_t)n;
  }
  return WP_OK;
}

/* Index of the last change with lo_start < pos (or <= pos when inclusive), or -1. */
static ptrdiff_t last_change_before(const wp_lowered *lo, int32_t pos, int inclusive) {
  size_t a = 0, b = lo->n_changes; /* first change past pos */
  while (a < b) {
    size_t mid = (a + b) / 2;
    int32_t st = lo->changes[mid].lo_start;
    if (st < pos || (inclusive && st == pos)) a = mid + 1;
    else b = mid;
  }
  return (ptrdiff_t)a - 1;
}

int32_t wp_lowered_start(const wp_lowered *lo, int32_t pos) {
  ptrdiff_t k = last_change_before(lo, pos, 1);
  if (k < 0) return pos;
  const wp_len_change *c = &lo->changes[k];
  return pos < c->lo_end ? c->src_start : pos - c->lo_end + c->src_end;
}

int32_t wp_lowered_end(const wp_lowered *lo, int32_t pos) {
  ptrdiff_t k = last_change_before(lo, pos, 0);
  if (k < 0) return pos;
  const wp_len_change *c = &lo->changes[k];
  return pos <= c->lo_end ? c->src_end : pos - c->lo_end + c->src_end;
}

void wp_lowered_free(wp_lowered *lo) {
  if (!lo) return;
  se_free(lo->text);
  se_free(lo->changes);
  memset(lo, 0, sizeof *lo);
}
