/*
** se_json.c — jansson's json_loadb, with out-of-memory told apart from bad
** JSON (see se_json.h for why jansson's own error code is not enough).
**
**   int nomem; json_error_t jerr;
**   json_t *v = se_json_loadb("[1, 2]", 6, 0, &jerr, &nomem);
**
** In the fault-injection build the first call routes jansson's allocations
** through se_alloc.h (json_set_alloc_funcs), so that se_fault_set's sweeps
** reach the JSON parser too.
*/
#include "se_json.h"
#include "se_alloc.h"
#include <stdio.h>
#include <string.h>

#ifdef SE_FAULT_INJECTION
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* Set when the shim refuses one of jansson's allocations on this thread. */
static _Thread_local int json_alloc_refused;
static atomic_int json_faults = 1; /* se_fault_json */

static void *json_fault_malloc(size_t n) {
  if (!atomic_load(&json_faults)) return malloc(n ? n : 1);
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

json_t *se_json_loadb(const char *data, size_t len, size_t flags, json_error_t *jerr, int *nomem) {
  int refused = 0;
  /* jansson leaves the error code byte unset when it fails without a message. */
  memset(jerr, 0, sizeof *jerr);
#ifdef SE_FAULT_INJECTION
  pthread_once(&json_alloc_once, install_json_alloc);
  json_alloc_refused = 0;
#endif
  json_t *root = json_loadb(data, len, flags, jerr);
#ifdef SE_FAULT_INJECTION
  refused = json_alloc_refused;
  /* A refused allocation while a token's buffer grows makes jansson drop that
  ** byte and carry on ("a_long_key" parsed as "a_lng_key"), so a document
  ** parsed while any allocation was refused cannot be trusted. */
  if (refused && root) {
    json_decref(root);
    root = NULL;
  }
#endif
  *nomem = !root && (refused || json_error_code(jerr) == json_error_out_of_memory ||
                     jerr->text[0] == '\0');
  if (*nomem) snprintf(jerr->text, sizeof jerr->text, "out of memory");
  return root;
}
