/*
** se_json.c — jansson's json_loadb, made safe against jansson's lexer under
** out-of-memory, with out-of-memory told apart from bad JSON (se_json.h).
**
**   int nomem; json_error_t jerr;
**   json_t *v = se_json_loadb("[1, 2]", 6, 0, &jerr, &nomem);
**
** Why a prime: jansson 2.14 keeps each token's text in one buffer that it
** grows by doubling, and when growing fails it drops the byte and goes on.
** Inside a string that silently loses a byte of a key or a vocabulary
** token; inside a number of more than 15 characters (the 17-digit scores of
** XLM-R's tokenizer.json) it fails an assert and the process aborts.  The
** buffer lives for one parse and never shrinks, so se_json_loadb parses
**
**   ["xxx...x",
**   <the document>
**   ]
**
** where the string of x is longer than any token of the document: every
** growth happens inside that string, and once it is read whole (its length
** checked) no token of the document can need a larger buffer.  A byte
** dropped from the x's is out of memory, never a wrong document.  The
** document is fed to jansson through json_load_callback, not copied.  An
** invalid document is parsed again for jansson's own message: alone when it
** has no number long enough for the assert, else primed again.
**
** In the fault-injection build the first call routes jansson's allocations
** through se_alloc.h (json_set_alloc_funcs), so that se_fault_set's sweeps
** reach the JSON parser too, and a document parsed while an allocation was
** refused is compared with one parsed without refusals.
*/
#include "se_json.h"
#include "se_alloc.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef SE_FAULT_INJECTION
#include <pthread.h>
#include <stdatomic.h>

/* Set when the shim refuses one of jansson's allocations on this thread. */
static _Thread_local int json_alloc_refused;
/* Set while a check re-parses without refusals. */
static _Thread_local int json_alloc_bypass;
static atomic_int json_faults = 1; /* se_fault_json */

static void *json_fault_malloc(size_t n) {
  if (json_alloc_bypass || !atomic_load(&json_faults)) return malloc(n ? n : 1);
  void *p = se_malloc(n);
  if (!p) json_alloc_refused = 1;
  return p;
}

/* se_free is free(), so blocks jansson allocated before the switch are
** still freed correctly after it. */
static void install_json_alloc(void) { json_set_alloc_funcs(json_fault_malloc, se_free); }
static pthread_once_t json_alloc_once = PTHREAD_ONCE_INIT;

void se_fault_json(int on) { atomic_store(&json_faults, on); }
#else
void se_fault_json(int on) { (void)on; }
#endif

static int is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int is_json_punct(char c) { return c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || c == ','; }
/* The bytes of a number or of true / false / null (and of wrong words). */
static int is_json_word(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '+' ||
         c == '-';
}

/* The most bytes jansson's lexer can hold at once for one token of the
** document: a string from quote to quote, or a number or word, plus the one
** byte of lookahead it saves after a number or a word before giving it back.
** The scan stops where jansson would stop with an error (a control character
** in a string, a byte no token starts with), so a file of NUL bytes is not
** read past its first.  An over-estimate is harmless.  *word: the longest
** number or word alone (the tokens jansson asserts in). */
static size_t longest_token(const char *d, size_t len, size_t *word) {
  size_t longest = 0;
  *word = 0;
  for (size_t i = 0; i < len;) {
    size_t start = i;
    if (d[i] == '"') {
      for (i++; i < len && d[i] != '"'; i++) {
        if ((unsigned char)d[i] < 0x20) return (i + 1 - start > longest ? i + 1 - start : longest) + 1;
        if (d[i] == '\\') i++;
      }
      i = i < len ? i + 1 : len;
    } else if (is_json_space(d[i]) || is_json_punct(d[i])) {
      i++;
      continue;
    } else if (is_json_word(d[i])) {
      while (i < len && is_json_word(d[i])) i++;
      if (i - start > *word) *word = i - start;
    } else {
      /* jansson saves the rest of this UTF-8 sequence for its message, then stops */
      return (longest > 4 ? longest : 4) + 1;
    }
    if (i - start > longest) longest = i - start;
  }
  return longest + 1;
}

/* What json_load_callback reads: "[\"", the x's, "\",\n", the document, "\n]". */
typedef struct json_feed {
  const char *document;
  size_t len[5]; /* bytes of each part */
  int part;      /* the part being read */
  size_t done;   /* bytes of it already given */
} json_feed;

static size_t feed_read(void *buffer, size_t room, void *arg) {
  static const char *const fixed[5] = {"[\"", NULL, "\",\n", NULL, "\n]"};
  json_feed *f = arg;
  char *out = buffer;
  size_t given = 0;
  while (given < room && f->part < 5) {
    size_t n = f->len[f->part] - f->done;
    if (n == 0) {
      f->part++;
      f->done = 0;
      continue;
    }
    if (n > room - given) n = room - given;
    if (f->part == 1) memset(out + given, 'x', n);
    else memcpy(out + given, (f->part == 3 ? f->document : fixed[f->part]) + f->done, n);
    f->done += n;
    given += n;
  }
  return given;
}

/* x's for a token of `longest` bytes: jansson's buffer starts at 16 bytes and
** doubles when a byte would fill it, so the quoted prime of 2^k - 3 x's
** (2^k - 1 bytes) ends in a buffer of 2^k that holds any token of up to
** 2^k - 1 bytes, and neither its last x nor its closing quote is the byte
** that would make it grow. */
static size_t prime_length(size_t longest) {
  size_t buffer = 16;
  while (buffer - 1 < longest && buffer <= SIZE_MAX / 4) buffer *= 2;
  return buffer - 3;
}

/* The document under its prime: NULL with *refused_prime set when the prime
** came back short or failed (only an allocation does that to valid JSON),
** NULL with *refused_prime 0 when the document itself failed (or is more
** than one value), or the document's value.  With `open`, the wrapper is
** not closed: the input ends where the document does, so a truncated
** document fails at the end of input as it does alone (and a whole one
** fails there too).  *prefix: the bytes before the document; *word: its
** longest number or word. */
static json_t *parse_primed(const char *data, size_t len, size_t flags, int open, json_error_t *jerr,
                            int *refused_prime, size_t *prefix, size_t *word) {
  size_t x = prime_length(longest_token(data, len, word));
  json_feed feed = {data, {2, x, 3, len, open ? 0 : 2}, 0, 0};
  *prefix = 2 + x + 3;
  *refused_prime = 0;
  json_t *wrapped = json_load_callback(feed_read, &feed, flags, jerr);
  if (!wrapped) {
    *refused_prime = jerr->text[0] == '\0' || (size_t)jerr->position <= *prefix;
    return NULL;
  }
  json_t *prime = json_array_get(wrapped, 0), *value = json_array_get(wrapped, 1);
  if (json_string_length(prime) != x) {
    *refused_prime = 1;
    value = NULL;
  } else if (json_array_size(wrapped) != 2 ||
             !(flags & JSON_DECODE_ANY || json_is_object(value) || json_is_array(value))) {
    value = NULL;
  }
  json_incref(value);
  json_decref(wrapped);
  return value;
}

json_t *se_json_loadb(const char *data, size_t len, size_t flags, json_error_t *jerr, int *nomem) {
  int refused = 0, refused_prime = 0;
  /* jansson leaves the error code byte unset when it fails without a message. */
  memset(jerr, 0, sizeof *jerr);
#ifdef SE_FAULT_INJECTION
  pthread_once(&json_alloc_once, install_json_alloc);
  json_alloc_refused = 0;
#endif
  /* (JSON_DISABLE_EOF_CHECK would stop inside the wrapper: parsed alone.) */
  size_t prefix = 0, word = 0;
  json_t *root = flags & JSON_DISABLE_EOF_CHECK
                     ? NULL
                     : parse_primed(data, len, flags, 0, jerr, &refused_prime, &prefix, &word);
  int deep = json_error_code(jerr) == json_error_stack_overflow || (flags & JSON_DISABLE_EOF_CHECK);
  if (!root && !refused_prime && word >= 15 && !deep) {
    /* Not one valid value, with a number jansson could assert in: parsed
    ** again under the prime, the wrapper left open, and jansson's message
    ** kept with the document's own line and position.  (Messages differ from
    ** a parse alone only after a whole value: "']' expected" for trailing
    ** text, where jansson alone says "end of file expected".) */
    memset(jerr, 0, sizeof *jerr);
    json_t *whole = parse_primed(data, len, flags, 1, jerr, &refused_prime, &prefix, &word);
    if (whole) { /* cannot happen: the wrapper is open */
      json_decref(whole);
      refused_prime = 1;
    } else if (!refused_prime) {
      jerr->line -= 1;
      jerr->position = (int)((size_t)jerr->position - prefix);
      snprintf(jerr->source, sizeof jerr->source, "<buffer>");
    }
  } else if (!root && !refused_prime) {
    /* Not one valid value: parsed alone, for jansson's own message and
    ** position (no number in it is long enough for jansson's assert).  That
    ** parse has no prime, so if it succeeds where the primed one failed
    ** inside the document, the failure was memory and its result is not
    ** trusted; but for a document nested exactly to jansson's depth limit,
    ** which the wrapper's level takes past it. */
    memset(jerr, 0, sizeof *jerr);
    root = json_loadb(data, len, flags, jerr);
    if (root && !deep) {
      json_decref(root);
      root = NULL;
      refused_prime = 1;
    }
  }
#ifdef SE_FAULT_INJECTION
  refused = json_alloc_refused;
  /* The prime's promise, checked: a document that came through refused
  ** allocations is the one parsed without any. */
  if (refused && root) {
    json_error_t again;
    json_alloc_bypass = 1;
    json_t *clean = json_loadb(data, len, flags, &again);
    json_alloc_bypass = 0;
    if (!json_equal(root, clean)) {
      fprintf(stderr, "se_json_loadb: a document parsed while an allocation was refused differs\n");
      abort();
    }
    json_decref(clean);
  }
#endif
  *nomem = !root && (refused || refused_prime || json_error_code(jerr) == json_error_out_of_memory ||
                     jerr->text[0] == '\0');
  if (*nomem) snprintf(jerr->text, sizeof jerr->text, "out of memory");
  return root;
}

char *se_json_dumps(const json_t *value, size_t flags) {
  char *text = json_dumps(value, flags);
  if (!text) return NULL;
  json_error_t jerr;
  int nomem;
  json_t *back = se_json_loadb(text, strlen(text), JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr, &nomem);
  int same = back && json_equal(back, value);
  json_decref(back);
  if (same) return text;
  free(text);
  return NULL;
}
