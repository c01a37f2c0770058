/*
** se_json.h — parse JSON with jansson and tell running out of memory apart
** from a malformed document.
**
**   json_error_t jerr; int nomem;
**   json_t *root = se_json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr, &nomem);
**   if (!root) return nomem ? OUT_OF_MEMORY : FORMAT_ERROR;   // jerr.text says where
**
** Why a wrapper: jansson 2.14's parser never reports json_error_out_of_memory
** (checked against the installed library: every allocation made to fail in
** turn while parsing a config.json).  When an allocation fails it either
** returns NULL without any message, or, when a token's buffer could not be
** allocated, reports a syntax error ("invalid token", "string or '}'
** expected").  se_json_loadb calls it out of memory when
**   - json_error_code() says so (newer jansson may), or
**   - the parse failed without a message (only allocation failures do that
**     in jansson's loader), or
**   - in the fault-injection build (-DSE_FAULT_INJECTION), jansson's
**     allocations go through se_alloc.h and one of them was refused during
**     this call (which also catches the failures reported as syntax errors).
** Worse, when growing a token's buffer fails jansson drops that byte and
** goes on, so a parse can succeed with a key or string missing a byte, and
** inside a number of more than 15 characters it fails an assert and aborts
** (both checked against the installed library).  se_json_loadb therefore
** parses the document behind a string longer than any of its tokens, so
** that the buffer grows only there (se_json.c): a byte lost in it is out of
** memory, and the document's own tokens never need the buffer to grow.
** What remains of jansson's behaviour: a failure it reports as a syntax
** error in a normal build stays a format error (in the fault-injection
** build, -DSE_FAULT_INJECTION, jansson's allocations go through se_alloc.h
** and any refused one makes the failure out of memory).  In a normal build
** jansson keeps its own malloc: json_set_alloc_funcs changes a global of a
** shared library that the host program (or another extension in the same
** process) may be using, so only the test build touches it.
*/
#ifndef SE_JSON_H
#define SE_JSON_H
#include <jansson.h>

/* json_loadb with *nomem set (1: the failure was out of memory, jerr->text
** is then "out of memory").  jerr is always initialised. */
json_t *se_json_loadb(const char *data, size_t len, size_t flags, json_error_t *jerr, int *nomem);

/* json_dumps, or NULL when out of memory: jansson 2.14's json_dumps leaves
** out what it could not append when its buffer cannot grow (a key's closing
** quote, a whole string) and returns the rest, so the text is parsed back
** and must equal `value` (no JSON_REAL_PRECISION, which changes reals).
** Free the text with free(). */
char *se_json_dumps(const json_t *value, size_t flags);

/* Fault-injection build only (a no-op otherwise): whether jansson's
** allocations take part in se_fault_set's countdown (default 1).  A sweep
** over a 30,000-token tokenizer.json turns it off, since every token adds
** allocation points and every point re-parses the whole file. */
void se_fault_json(int on);

#endif
