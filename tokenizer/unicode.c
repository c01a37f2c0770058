/*
** unicode.c — UTF-8 validation and the character data the tokenizer needs.
**
**   size_t ok = wpu_valid_prefix(text, len);   // == len when valid
**   if (wpu_flags(cp) & WPU_PUNCT) ...           // inline, in wp_internal.h
**   n = wpu_decompose(0x1EA5, buf);              // a U+0302 U+0301
**
** The tables come from unicode_tables.c (generated; see
** gen_unicode_tables.py for why they are Unicode 8.0/9.0).  Flags and
** combining classes are two-stage lookups; decompositions and lowercase
** mappings are binary searches, reached only for code points whose flags
** say an entry exists, so ASCII text never searches.
*/
#include "wp_internal.h"
#include <string.h>

/* The validity rules are those of Rust's str::from_utf8 (RFC 3629): the
** returned offset is where the first invalid sequence starts, which is
** what Rust reports as valid_up_to(). */
size_t wpu_valid_prefix(const unsigned char *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    /* ASCII runs dominate real text: check eight bytes at a time. */
    while (i + 8 <= len) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= len) break;
    unsigned c = s[i];
    if (c < 0x80) { i++; continue; }
    size_t need;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      if (c == 0xE0) lo = 0xA0;      /* overlong */
      else if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      if (c == 0xF0) lo = 0x90;      /* overlong */
      else if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
      return i; /* stray continuation, C0/C1 overlong lead, or F5..FF */
    }
    if (len - i <= need) return i; /* truncated at the end of the text */
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t k = 2; k <= need; k++)
      if ((s[i + k] & 0xC0) != 0x80) return i;
    i += need + 1;
  }
  return len;
}

size_t wp_utf8_valid_prefix(const char *s, size_t len) {
  return wpu_valid_prefix((const unsigned char *)s, len);
}

int wpu_encode(uint32_t cp, unsigned char *out) {
  if (cp < 0x80) { out[0] = (unsigned char)cp; return 1; }
  if (cp < 0x800) {
    out[0] = (unsigned char)(0xC0 | (cp >> 6));
    out[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (unsigned char)(0xE0 | (cp >> 12));
    out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (unsigned char)(0xF0 | (cp >> 18));
  out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Hangul syllables decompose arithmetically (Unicode ch. 3.12). */
#define HANGUL_S0 0xAC00
#define HANGUL_L0 0x1100
#define HANGUL_V0 0x1161
#define HANGUL_T0 0x11A7
#define HANGUL_NV 21
#define HANGUL_NT 28
#define HANGUL_NS (19 * HANGUL_NV * HANGUL_NT)

int wpu_decompose(uint32_t cp, uint32_t *out) {
  if (cp >= HANGUL_S0 && cp < HANGUL_S0 + HANGUL_NS) {
    uint32_t s = cp - HANGUL_S0;
    out[0] = HANGUL_L0 + s / (HANGUL_NV * HANGUL_NT);
    out[1] = HANGUL_V0 + (s % (HANGUL_NV * HANGUL_NT)) / HANGUL_NT;
    if (s % HANGUL_NT == 0) return 2;
    out[2] = HANGUL_T0 + s % HANGUL_NT;
    return 3;
  }
  size_t lo = 0, hi = sizeof wpu_decomp_index / sizeof wpu_decomp_index[0];
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (wpu_decomp_index[mid].cp < cp) lo = mid + 1;
    else hi = mid;
  }
  if (lo < sizeof wpu_decomp_index / sizeof wpu_decomp_index[0] && wpu_decomp_index[lo].cp == cp) {
    const wpu_decomp *d = &wpu_decomp_index[lo];
    for (int k = 0; k < d->len; k++) out[k] = wpu_decomp_data[d->off + k];
    return d->len;
  }
  out[0] = cp; /* unreachable when the flag says there is an entry */
  return 1;
}

int wpu_lowercase(uint32_t cp, uint32_t *out) {
  if (cp >= 'A' && cp <= 'Z') { out[0] = cp + 32; return 1; }
  size_t n = sizeof wpu_lower_single / sizeof wpu_lower_single[0];
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (wpu_lower_single[mid].cp < cp) lo = mid + 1;
    else hi = mid;
  }
  if (lo < n && wpu_lower_single[lo].cp == cp) { out[0] = wpu_lower_single[lo].lower; return 1; }
  for (size_t k = 0; k < sizeof wpu_lower_multi / sizeof wpu_lower_multi[0]; k++) {
    if (wpu_lower_multi[k].cp == cp) {
      out[0] = wpu_lower_multi[k].lower[0];
      out[1] = wpu_lower_multi[k].lower[1];
      return 2;
    }
  }
  out[0] = cp;
  return 1;
}

static int in_ranges(const uint32_t (*r)[2], size_t n, uint32_t cp) {
  size_t lo = 0, hi = n; /* first range whose last >= cp */
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (r[mid][1] < cp) lo = mid + 1;
    else hi = mid;
  }
  return lo < n && r[lo][0] <= cp;
}

int wpu_is_cased(uint32_t cp) {
  return in_ranges(wpu_cased_ranges, sizeof wpu_cased_ranges / sizeof wpu_cased_ranges[0], cp);
}

int wpu_is_case_ignorable(uint32_t cp) {
  return in_ranges(wpu_case_ignorable_ranges,
                   sizeof wpu_case_ignorable_ranges / sizeof wpu_case_ignorable_ranges[0], cp);
}
