/*
** pickle.c — a Python pickle read as data, never run: the unpickler under
** torch_bin.c's reader of pytorch_model.bin.
**
**   pk_machine m;
**   pk_init(&m);
**   pk_hooks h = {ctx, my_persistent_load, my_reduce};
**   pk_value *root;
**   size_t used;
**   if (pk_load(&m, buf, size, "x/data.pkl", &h, &used, &root, &err) == EE_OK) ...
**   pk_free(&m);                       // frees root and every value
**
** A pickle is a program for a small stack machine: opcodes push values,
** build containers from the values above a MARK, keep values in a memo for
** later references, and call functions (GLOBAL names one, REDUCE calls it
** with a tuple; BUILD sets an object's state).  Python's unpickler calls
** whatever a file names, which is why loading an untrusted checkpoint with
** torch.load runs its code.  Here nothing is called: GLOBAL only records a
** module and a name; REDUCE and BINPERSID (torch's storage references) go
** to the caller's hooks, which build the few objects a tensor checkpoint
** holds and refuse every other callable by name.  BUILD's state is read
** and dropped (torch puts a state dict's _metadata there).
**
** Opcodes: those of protocols 2 and 4 that torch.save's objects use (dicts,
** lists, tuples, ints, floats, str, None, bools, memo, MARK, GLOBAL and
** STACK_GLOBAL, REDUCE, BUILD, BINPERSID, FRAME); any other is an error
** naming it and its byte offset.
**
** The file comes from outside: every read is bounds-checked, the stack,
** marks and memo are checked before use, containers take only the types
** they need, and memory is bounded by the pickle's size (each opcode makes
** at most one value; container arrays double).  Values live in an arena
** freed at once by pk_free, so the value graph (which the memo may make
** cyclic) is never walked to free it.
*/
#include "engine_int.h"
#include <stdio.h>
#include <string.h>

#define PK_BLOCK (64 * 1024)
#define PK_MAX_MEMO (1 << 24) /* memo indices; torch's grow one by one from 0 */

typedef struct pk_block {
  struct pk_block *next;
  size_t used, size;
  _Alignas(16) unsigned char data[];
} pk_block;

void pk_init(pk_machine *m) { memset(m, 0, sizeof *m); }

void pk_free(pk_machine *m) {
  pk_block *b = m->blocks;
  while (b) {
    pk_block *next = b->next;
    se_free(b);
    b = next;
  }
  se_free(m->stack);
  se_free(m->marks);
  se_free(m->memo);
  memset(m, 0, sizeof *m);
}

void *pk_alloc(pk_machine *m, size_t n) {
  n = (n + 15) & ~(size_t)15;
  pk_block *b = m->blocks;
  if (!b || b->size - b->used < n) {
    size_t size = n > PK_BLOCK ? n : PK_BLOCK;
    if (!(b = se_malloc(sizeof *b + size))) return NULL;
    b->size = size, b->used = 0;
    b->next = m->blocks;
    m->blocks = b;
  }
  void *p = b->data + b->used;
  b->used += n;
  memset(p, 0, n);
  return p;
}

pk_value *pk_new(pk_machine *m, pk_kind kind) {
  pk_value *v = pk_alloc(m, sizeof *v);
  if (v) v->kind = kind;
  return v;
}

/* Appends x to the container v (a dict takes key and value as two items). */
static int pk_append(pk_machine *m, pk_value *v, pk_value *x) {
  if (v->count == v->cap) {
    int64_t cap = v->cap ? 2 * v->cap : 4;
    pk_value **items = pk_alloc(m, sizeof *items * (size_t)cap);
    if (!items) return 0;
    if (v->count) memcpy(items, v->items, sizeof *items * (size_t)v->count);
    v->items = items, v->cap = cap;
  }
  v->items[v->count++] = x;
  return 1;
}

const char *pk_kind_name(pk_kind k) {
  static const char *names[] = {"None", "bool", "int", "int", "float", "str", "tuple",
                                "list", "dict", "global", "object"};
  return (unsigned)k < sizeof names / sizeof *names ? names[k] : "?";
}

int pk_is_str(const pk_value *v, const char *s) {
  return v && v->kind == PK_STR && v->n == strlen(s) && memcmp(v->s, s, v->n) == 0;
}

int pk_is_global(const pk_value *v, const char *module, const char *name) {
  return v && v->kind == PK_GLOBAL && v->n == strlen(module) && memcmp(v->s, module, v->n) == 0 &&
         v->n2 == strlen(name) && memcmp(v->s2, name, v->n2) == 0;
}

/* ---- the machine -------------------------------------------------------- */

typedef struct pk_run {
  pk_machine *m;
  const unsigned char *buf;
  size_t size, pos, op_pos;        /* op_pos: the current opcode, for messages */
  const char *what;                /* "path/data.pkl", for messages */
  ee_error *err;
} pk_run;

static ee_status bad(pk_run *r, const char *problem) {
  return ee_set_error(r->err, EE_ERR_FORMAT, "%s: %s at byte %zu (opcode 0x%02x)", r->what,
                      problem, r->op_pos, r->op_pos < r->size ? r->buf[r->op_pos] : 0);
}

static ee_status nomem(pk_run *r) {
  return ee_set_error(r->err, EE_ERR_NOMEM, "out of memory reading %s", r->what);
}

static int take(pk_run *r, size_t n, const unsigned char **p) {
  if (r->size - r->pos < n) return 0;
  *p = r->buf + r->pos;
  r->pos += n;
  return 1;
}

static uint64_t le(const unsigned char *p, int n) {
  uint64_t x = 0;
  for (int i = n - 1; i >= 0; i--) x = (x << 8) | p[i];
  return x;
}

static ee_status push(pk_run *r, pk_value *v) {
  pk_machine *m = r->m;
  if (!v) return nomem(r);
  if (m->depth == m->stack_cap) {
    int64_t cap = m->stack_cap ? 2 * m->stack_cap : 64;
    pk_value **s = se_realloc(m->stack, sizeof *s * (size_t)cap);
    if (!s) return nomem(r);
    m->stack = s, m->stack_cap = cap;
  }
  m->stack[m->depth++] = v;
  return EE_OK;
}

static pk_value *pop(pk_run *r) {
  pk_machine *m = r->m;
  int64_t floor = m->n_marks ? m->marks[m->n_marks - 1] : 0;
  return m->depth > floor ? m->stack[--m->depth] : NULL;
}

static pk_value *top(pk_run *r) {
  pk_machine *m = r->m;
  int64_t floor = m->n_marks ? m->marks[m->n_marks - 1] : 0;
  return m->depth > floor ? m->stack[m->depth - 1] : NULL;
}

/* Drops the last MARK: *first is the base of the values above it. */
static int pop_mark(pk_run *r, int64_t *first) {
  pk_machine *m = r->m;
  if (!m->n_marks) return 0;
  *first = m->marks[--m->n_marks];
  return 1;
}

/* The value just under the MARK that pop_mark dropped (APPENDS' list,
** SETITEMS' dict), if no earlier MARK hides it. */
static pk_value *below(pk_run *r, int64_t first) {
  pk_machine *m = r->m;
  int64_t floor = m->n_marks ? m->marks[m->n_marks - 1] : 0;
  return first > floor ? m->stack[first - 1] : NULL;
}

static ee_status memo_put(pk_run *r, uint64_t idx) {
  pk_machine *m = r->m;
  pk_value *v = top(r);
  if (!v) return bad(r, "memo store from an empty stack");
  /* A pickle numbers its memo entries from 0, one per opcode at most. */
  if (idx >= PK_MAX_MEMO || idx > r->size) return bad(r, "memo index too large");
  if ((int64_t)idx >= m->memo_cap) {
    int64_t cap = m->memo_cap ? m->memo_cap : 64;
    while (cap <= (int64_t)idx) cap *= 2;
    pk_value **memo = se_realloc(m->memo, sizeof *memo * (size_t)cap);
    if (!memo) return nomem(r);
    memset(memo + m->memo_cap, 0, sizeof *memo * (size_t)(cap - m->memo_cap));
    m->memo = memo, m->memo_cap = cap;
  }
  m->memo[idx] = v;
  if ((int64_t)idx >= m->memo_len) m->memo_len = (int64_t)idx + 1;
  return EE_OK;
}

static ee_status memo_get(pk_run *r, uint64_t idx) {
  pk_machine *m = r->m;
  if ((int64_t)idx >= m->memo_len || !m->memo[idx]) return bad(r, "memo reference to nothing");
  return push(r, m->memo[idx]);
}

/* A container of kind from the stack values [first, depth), which are popped. */
static ee_status collect(pk_run *r, pk_value *into, int64_t first) {
  pk_machine *m = r->m;
  for (int64_t i = first; i < m->depth; i++)
    if (!pk_append(m, into, m->stack[i])) return nomem(r);
  m->depth = first;
  return EE_OK;
}

static ee_status set_items(pk_run *r, pk_value *dict, int64_t first) {
  pk_machine *m = r->m;
  if ((m->depth - first) % 2) return bad(r, "SETITEMS with an odd number of values");
  if (!dict || dict->kind != PK_DICT) return bad(r, "SETITEMS on something not a dict");
  return collect(r, dict, first);
}

static ee_status op_global(pk_run *r, const char *mod, size_t nmod, const char *name,
                           size_t nname) {
  pk_value *g = pk_new(r->m, PK_GLOBAL);
  if (!g) return nomem(r);
  g->s = mod, g->n = nmod, g->s2 = name, g->n2 = nname;
  return push(r, g);
}

/* GLOBAL's two newline-terminated strings. */
static int line(pk_run *r, const char **s, size_t *n) {
  const unsigned char *start = r->buf + r->pos;
  const unsigned char *nl = memchr(start, '\n', r->size - r->pos);
  if (!nl) return 0;
  *s = (const char *)start, *n = (size_t)(nl - start);
  r->pos += *n + 1;
  return 1;
}

static ee_status op_str(pk_run *r, int len_bytes) {
  const unsigned char *p;
  if (!take(r, (size_t)len_bytes, &p)) return bad(r, "string length past the end");
  uint64_t n = le(p, len_bytes);
  if (n > r->size - r->pos) return bad(r, "string runs past the end");
  pk_value *v = pk_new(r->m, PK_STR);
  if (!v) return nomem(r);
  v->s = (const char *)r->buf + r->pos, v->n = (size_t)n;
  r->pos += (size_t)n;
  return push(r, v);
}

static ee_status op_int(pk_run *r, int64_t x) {
  pk_value *v = pk_new(r->m, PK_INT);
  if (!v) return nomem(r);
  v->i = x;
  return push(r, v);
}

/* LONG1: n bytes, little-endian two's complement.  Up to 8 fit an int64;
** longer ones (legacy torch's magic number) keep their bytes. */
static ee_status op_long1(pk_run *r) {
  const unsigned char *p;
  if (!take(r, 1, &p)) return bad(r, "LONG1 past the end");
  size_t n = p[0];
  if (!take(r, n, &p)) return bad(r, "LONG1 runs past the end");
  if (n > 8) {
    pk_value *v = pk_new(r->m, PK_BIGINT);
    if (!v) return nomem(r);
    v->s = (const char *)p, v->n = n;
    return push(r, v);
  }
  uint64_t u = n ? le(p, (int)n) : 0;
  if (n && n < 8 && (p[n - 1] & 0x80)) u |= ~(uint64_t)0 << (8 * n); /* sign-extend */
  int64_t x;
  memcpy(&x, &u, sizeof x);
  return op_int(r, x);
}

static ee_status op_float(pk_run *r) {
  const unsigned char *p;
  if (!take(r, 8, &p)) return bad(r, "BINFLOAT past the end");
  uint64_t u = 0;
  for (int i = 0; i < 8; i++) u = (u << 8) | p[i]; /* big-endian */
  pk_value *v = pk_new(r->m, PK_FLOAT);
  if (!v) return nomem(r);
  memcpy(&v->f, &u, sizeof v->f);
  return push(r, v);
}

static ee_status op_tuple(pk_run *r, int n) {
  pk_value *t = pk_new(r->m, PK_TUPLE);
  if (!t) return nomem(r);
  pk_value *items[3];
  for (int i = n - 1; i >= 0; i--)
    if (!(items[i] = pop(r))) return bad(r, "tuple from an empty stack");
  for (int i = 0; i < n; i++)
    if (!pk_append(r->m, t, items[i])) return nomem(r);
  return push(r, t);
}

static ee_status op_reduce(pk_run *r, const pk_hooks *h) {
  pk_value *args = pop(r), *fn = pop(r), *out = NULL;
  if (!args || !fn) return bad(r, "REDUCE from a short stack");
  if (fn->kind != PK_GLOBAL || args->kind != PK_TUPLE)
    return bad(r, "REDUCE of something not a global with a tuple");
  ee_status rc = h->reduce(h->ctx, r->m, fn, args, &out, r->err);
  if (rc != EE_OK) return rc;
  return push(r, out);
}

static ee_status op_persid(pk_run *r, const pk_hooks *h) {
  pk_value *pid = pop(r), *out = NULL;
  if (!pid) return bad(r, "BINPERSID from an empty stack");
  if (!h->persistent_load) return bad(r, "persistent reference where none is expected");
  ee_status rc = h->persistent_load(h->ctx, r->m, pid, &out, r->err);
  if (rc != EE_OK) return rc;
  return push(r, out);
}

static ee_status step(pk_run *r, const pk_hooks *h, int *stop) {
  pk_machine *m = r->m;
  const unsigned char *p;
  r->op_pos = r->pos;
  if (!take(r, 1, &p)) return bad(r, "pickle ends without STOP (truncated file?)");
  const unsigned char op = p[0];
  switch (op) {
  case 0x80: /* PROTO */
    if (!take(r, 1, &p) || p[0] > 5) return bad(r, "unknown pickle protocol");
    return EE_OK;
  case 0x95: /* FRAME: a length hint only */
    return take(r, 8, &p) ? EE_OK : bad(r, "FRAME past the end");
  case '.': { /* STOP */
    if (m->n_marks) return bad(r, "STOP inside a MARK");
    pk_value *v = pop(r);
    if (!v || m->depth) return bad(r, "STOP without exactly one value");
    m->result = v;
    *stop = 1;
    return EE_OK;
  }
  case '(': /* MARK */
    if (m->n_marks == m->marks_cap) {
      int64_t cap = m->marks_cap ? 2 * m->marks_cap : 16;
      int64_t *marks = se_realloc(m->marks, sizeof *marks * (size_t)cap);
      if (!marks) return nomem(r);
      m->marks = marks, m->marks_cap = cap;
    }
    m->marks[m->n_marks++] = m->depth;
    return EE_OK;
  case 'N': return push(r, pk_new(m, PK_NONE));
  case 0x88: /* NEWTRUE */
  case 0x89: { /* NEWFALSE */
    pk_value *v = pk_new(m, PK_BOOL);
    if (v) v->i = op == 0x88;
    return push(r, v);
  }
  case 'K': return take(r, 1, &p) ? op_int(r, p[0]) : bad(r, "BININT1 past the end");
  case 'M': return take(r, 2, &p) ? op_int(r, (int64_t)le(p, 2)) : bad(r, "BININT2 past the end");
  case 'J': {
    if (!take(r, 4, &p)) return bad(r, "BININT past the end");
    int32_t x;
    uint32_t u = (uint32_t)le(p, 4);
    memcpy(&x, &u, sizeof x);
    return op_int(r, x);
  }
  case 0x8a: return op_long1(r);
  case 'G': return op_float(r);
  case 'X': return op_str(r, 4);    /* BINUNICODE */
  case 0x8c: return op_str(r, 1);   /* SHORT_BINUNICODE */
  case 'c': { /* GLOBAL module\nname\n */
    const char *mod, *name;
    size_t nmod, nname;
    if (!line(r, &mod, &nmod) || !line(r, &name, &nname)) return bad(r, "GLOBAL past the end");
    return op_global(r, mod, nmod, name, nname);
  }
  case 0x93: { /* STACK_GLOBAL */
    pk_value *name = pop(r), *mod = pop(r);
    if (!name || !mod || name->kind != PK_STR || mod->kind != PK_STR)
      return bad(r, "STACK_GLOBAL without two strings");
    return op_global(r, mod->s, mod->n, name->s, name->n);
  }
  case ')': return push(r, pk_new(m, PK_TUPLE));
  case ']': return push(r, pk_new(m, PK_LIST));
  case '}': return push(r, pk_new(m, PK_DICT));
  case 0x85: return op_tuple(r, 1);
  case 0x86: return op_tuple(r, 2);
  case 0x87: return op_tuple(r, 3);
  case 't':   /* TUPLE */
  case 'l':   /* LIST */
  case 'd': { /* DICT */
    int64_t first;
    if (!pop_mark(r, &first)) return bad(r, "container without a MARK");
    pk_value *v = pk_new(m, op == 't' ? PK_TUPLE : op == 'l' ? PK_LIST : PK_DICT);
    if (!v) return nomem(r);
    ee_status rc = op == 'd' ? set_items(r, v, first) : collect(r, v, first);
    return rc != EE_OK ? rc : push(r, v);
  }
  case 'q': return take(r, 1, &p) ? memo_put(r, p[0]) : bad(r, "BINPUT past the end");
  case 'r': return take(r, 4, &p) ? memo_put(r, le(p, 4)) : bad(r, "LONG_BINPUT past the end");
  case 0x94: return memo_put(r, (uint64_t)m->memo_len); /* MEMOIZE */
  case 'h': return take(r, 1, &p) ? memo_get(r, p[0]) : bad(r, "BINGET past the end");
  case 'j': return take(r, 4, &p) ? memo_get(r, le(p, 4)) : bad(r, "LONG_BINGET past the end");
  case 'a': { /* APPEND */
    pk_value *x = pop(r), *list = top(r);
    if (!x || !list || list->kind != PK_LIST) return bad(r, "APPEND to something not a list");
    return pk_append(m, list, x) ? EE_OK : nomem(r);
  }
  case 'e': { /* APPENDS */
    int64_t first;
    if (!pop_mark(r, &first)) return bad(r, "APPENDS without a MARK");
    pk_value *list = below(r, first);
    if (!list || list->kind != PK_LIST) return bad(r, "APPENDS to something not a list");
    return collect(r, list, first);
  }
  case 's': { /* SETITEM */
    pk_value *v = pop(r), *k = pop(r), *dict = top(r);
    if (!v || !k || !dict || dict->kind != PK_DICT) return bad(r, "SETITEM on something not a dict");
    return pk_append(m, dict, k) && pk_append(m, dict, v) ? EE_OK : nomem(r);
  }
  case 'u': { /* SETITEMS */
    int64_t first;
    if (!pop_mark(r, &first)) return bad(r, "SETITEMS without a MARK");
    return set_items(r, below(r, first), first);
  }
  case 'R': return op_reduce(r, h);
  case 'b': { /* BUILD: the state is dropped (see the top comment) */
    pk_value *state = pop(r);
    if (!state || !top(r)) return bad(r, "BUILD from a short stack");
    return EE_OK;
  }
  case 'Q': return op_persid(r, h); /* BINPERSID */
  default: return bad(r, "unsupported pickle opcode (not a tensor checkpoint torch.save wrote?)");
  }
}

ee_status pk_load(pk_machine *m, const unsigned char *buf, size_t size, const char *what,
                  const pk_hooks *h, size_t *used, pk_value **out, ee_error *err) {
  pk_run r = {m, buf, size, 0, 0, what, err};
  m->depth = 0, m->n_marks = 0, m->memo_len = 0, m->result = NULL;
  if (m->memo) memset(m->memo, 0, sizeof *m->memo * (size_t)m->memo_cap);
  int stop = 0;
  while (!stop) {
    ee_status rc = step(&r, h, &stop);
    if (rc != EE_OK) return rc;
  }
  *used = r.pos;
  *out = m->result;
  return EE_OK;
}
