/*
** charsmap.c — SentencePiece's precompiled normalisation map, the
** "Precompiled" normalizer of an XLM-R style tokenizer.json.
**
**   wp_charsmap *m;
**   wp_charsmap_load(blob, blob_len, &m);       // blob: base64-decoded
**   size_t n;
**   const char *to = wp_charsmap_lookup(m, (const unsigned char *)"\xef\xbc\xa1", 3, &n);
**   // "A" (n == 1): full-width A, as NFKC maps it
**
** The blob is a little-endian u32 trie size in bytes, a darts-clone
** double-array trie of that size (u32 units), then the replacement strings,
** each NUL-terminated; a trie leaf's value is the byte offset of its string.
** The file is untrusted, so every unit index and string offset is checked;
** a lookup that would leave the blob, or a string that is not whole UTF-8
** characters, is reported as WP_ERR_FORMAT by the caller.
*/
#include "wp_internal.h"
#include "se_alloc.h"
#include <string.h>

struct wp_charsmap {
  uint32_t *units;   /* (n_units) the double array */
  size_t n_units;
  char *strings;     /* (n_strings) replacement strings, each NUL-terminated */
  size_t n_strings;
};

/* darts-clone's unit layout */
static inline int unit_has_leaf(uint32_t u) { return (u >> 8) & 1; }
static inline uint32_t unit_value(uint32_t u) { return u & 0x7fffffffu; }
static inline uint32_t unit_label(uint32_t u) { return u & 0x800000ffu; }
static inline size_t unit_offset(uint32_t u) { return (size_t)(u >> 10) << ((u & (1u << 9)) >> 6); }

wp_status wp_charsmap_load(const unsigned char *blob, size_t len, wp_charsmap **out) {
  *out = NULL;
  if (len < 4) return WP_ERR_FORMAT;
  size_t trie_bytes = (size_t)blob[0] | (size_t)blob[1] << 8 | (size_t)blob[2] << 16 | (size_t)blob[3] << 24;
  if (trie_bytes == 0 || trie_bytes % 4 || trie_bytes > len - 4) return WP_ERR_FORMAT;
  size_t n_strings = len - 4 - trie_bytes;
  /* Strings must be UTF-8 (NUL separators are valid UTF-8). */
  if (wpu_valid_prefix(blob + 4 + trie_bytes, n_strings) != n_strings) return WP_ERR_FORMAT;
  wp_charsmap *m = se_calloc(1, sizeof *m);
  if (!m) return WP_ERR_NOMEM;
  m->n_units = trie_bytes / 4;
  m->n_strings = n_strings;
  m->units = se_malloc(trie_bytes);
  m->strings = se_malloc(n_strings + 1); /* + 1: a NUL after the last string, so every lookup ends */
  if (!m->units || !m->strings) {
    wp_charsmap_free(m);
    return WP_ERR_NOMEM;
  }
  for (size_t i = 0; i < m->n_units; i++) {
    const unsigned char *p = blob + 4 + 4 * i;
    m->units[i] = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  }
  memcpy(m->strings, blob + 4 + trie_bytes, n_strings);
  m->strings[n_strings] = 0;
  *out = m;
  return WP_OK;
}

void wp_charsmap_free(wp_charsmap *m) {
  if (!m) return;
  se_free(m->units);
  se_free(m->strings);
  se_free(m);
}

/* The shortest key that is a prefix of s (or the longest), its length in
** *key_len; 1 with *to and *to_len set, 0 for none, -1 for a corrupt map. */
static int walk(const wp_charsmap *m, const unsigned char *s, size_t len, int longest, size_t *key_len,
                const char **to, size_t *to_len) {
  size_t pos = unit_offset(m->units[0]);
  int found = 0;
  for (size_t i = 0; i < len && s[i]; i++) {
    pos ^= s[i];
    if (pos >= m->n_units) break;
    uint32_t u = m->units[pos];
    if (unit_label(u) != s[i]) break;
    pos ^= unit_offset(u);
    if (pos >= m->n_units) return -1;
    if (unit_has_leaf(u)) {
      uint32_t v = unit_value(m->units[pos]);
      if (v >= m->n_strings) return -1;
      size_t n = strlen(m->strings + v);
      /* A value inside a character would make invalid UTF-8. */
      if (wpu_valid_prefix((const unsigned char *)m->strings + v, n) != n) return -1;
      *to = m->strings + v;
      *to_len = n;
      *key_len = i + 1;
      found = 1;
      if (!longest) break;
    }
  }
  return found;
}

/* Hugging Face's Precompiled takes the first hit of darts' common prefix
** search, i.e. the SHORTEST key that is a prefix of s; so does this. */
int wp_charsmap_lookup(const wp_charsmap *m, const unsigned char *s, size_t len, const char **to,
                       size_t *to_len) {
  size_t key_len;
  return walk(m, s, len, 0, &key_len, to, to_len);
}

/* SentencePiece (and llama.cpp) take the LONGEST key that prefixes the rest
** of the text. */
int wp_charsmap_longest(const wp_charsmap *m, const unsigned char *s, size_t len, size_t *key_len,
                        const char **to, size_t *to_len) {
  return walk(m, s, len, 1, key_len, to, to_len);
}
