/*
** torch_bin.c — read a PyTorch checkpoint (pytorch_model.bin) as a table
** of tensors, without running anything in it.
**
**   st_file f;
**   if (tb_open(&f, "dir/pytorch_model.bin", &err) != EE_OK) return err.code;
**   const st_tensor *t = st_find(&f, "embeddings.word_embeddings.weight");
**   const float *w = (const float *)(f.data + t->begin);   // f.data: the file's first byte
**   st_close(&f);
**
** Many Hugging Face models, older sentence-transformers Dense modules among
** them, ship only this file.  torch.save writes one of two formats:
**
**   zip (torch >= 1.6)  an uncompressed zip archive:
**                         <dir>/data.pkl     the pickled dict of tensors
**                         <dir>/data/<key>   each storage's raw bytes
**                         <dir>/byteorder    "little" (newer torch; absent = little)
**                         <dir>/version ...  not read
**   legacy (older)      five pickles one after another: a magic number
**                       (0x1950a86a20f9469cfc6c), the protocol 1001, a
**                       sys_info dict (little_endian), the dict of tensors,
**                       and the sorted list of storage keys; then, for each
**                       key in that order, an int64 element count and the
**                       storage's bytes.
**
** In the dict, each tensor is a call of torch._utils._rebuild_tensor_v2
** (storage, storage_offset, size, stride, requires_grad, hooks[, metadata])
** (wrapped by _rebuild_parameter for an nn.Parameter), and each storage a
** persistent reference ('storage', torch.<Type>Storage, key, location,
** numel[, view_metadata]).  pickle.c reads the pickles as data; the two
** hooks below build exactly these objects, plus the empty OrderedDict a
** state_dict is, and refuse any other callable by name: torch.load would
** have run it (a hostile checkpoint's os.system, say).
**
** Every number comes from outside and is checked: zip records inside the
** file and consistent, entries stored (not compressed) and unencrypted,
** storages' bytes inside their entry (or, legacy, inside the file), each
** tensor's dtype known, at most 8 dimensions, its elements counted without
** overflow, row-major contiguous (a view saved as is would need strides we
** do not follow), and inside its storage.  Tensors may share a storage (a
** tied weight and its view): unlike safetensors, the format allows it.
** Names are the dict's keys, unique; other values in the dict (anything
** but a tensor) are skipped, as transformers' loader would not bind them.
*/
#include "engine_int.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TB_STORAGE = 1, TB_TENSOR = 2 }; /* pk_value.i of a PK_OBJECT */

typedef struct tb_storage {
  st_dtype dtype;
  const char *key;              /* points into the pickle */
  size_t nkey;
  int64_t numel;                /* elements, from the reference */
  int64_t begin;                /* file offset of its bytes; -1 until found */
  int64_t avail;                /* bytes there */
} tb_storage;

typedef struct tb_tensor {
  tb_storage *storage;
  int64_t offset;               /* in elements */
  int ndim;
  int64_t shape[ST_MAX_NDIM], stride[ST_MAX_NDIM];
} tb_tensor;

typedef struct tb_ctx {
  const char *path;
  int legacy;                   /* references carry view_metadata */
  tb_storage **storages;        /* every reference, in file order (se_realloc) */
  int64_t n_storages, cap;
} tb_ctx;

static const struct { const char *name; st_dtype dtype; } STORAGE_TYPES[] = {
  {"FloatStorage", ST_F32}, {"HalfStorage", ST_F16},  {"BFloat16Storage", ST_BF16},
  {"DoubleStorage", ST_F64}, {"LongStorage", ST_I64}, {"IntStorage", ST_I32},
  {"ShortStorage", ST_I16}, {"CharStorage", ST_I8},   {"ByteStorage", ST_U8},
  {"BoolStorage", ST_BOOL},
};

static ee_status nomem(const tb_ctx *c, ee_error *err) {
  return ee_set_error(err, EE_ERR_NOMEM, "out of memory reading %s", c->path);
}

/* ---- the two hooks -------------------------------------------------------- */

static ee_status persistent_load(void *ctx, pk_machine *m, pk_value *pid, pk_value **out,
                                 ee_error *err) {
  tb_ctx *c = ctx;
  const int want = c->legacy ? 6 : 5;
  if (pid->kind != PK_TUPLE || pid->count != want || !pk_is_str(pid->items[0], "storage"))
    return ee_set_error(err, EE_ERR_FORMAT,
                        "%s: a persistent reference that is not a ('storage', ...) tuple of %d",
                        c->path, want);
  pk_value **it = pid->items;
  if (it[2]->kind != PK_STR || it[4]->kind != PK_INT || it[4]->i < 0 ||
      (c->legacy && it[5]->kind != PK_NONE))
    return ee_set_error(err, EE_ERR_FORMAT,
                        "%s: a storage reference without a key and an element count%s", c->path,
                        c->legacy ? " (or a view of another storage, which is not read)" : "");
  const pk_value *type = it[1];
  int k = -1;
  if (type->kind == PK_GLOBAL && type->n == 5 && memcmp(type->s, "torch", 5) == 0)
    for (size_t i = 0; i < sizeof STORAGE_TYPES / sizeof *STORAGE_TYPES && k < 0; i++)
      if (type->n2 == strlen(STORAGE_TYPES[i].name) &&
          memcmp(type->s2, STORAGE_TYPES[i].name, type->n2) == 0)
        k = (int)i;
  if (k < 0)
    return ee_set_error(err, EE_ERR_UNSUPPORTED, "%s: storage type %.*s.%.*s is not supported",
                        c->path, type->kind == PK_GLOBAL ? (int)type->n : 1,
                        type->kind == PK_GLOBAL ? type->s : "?",
                        type->kind == PK_GLOBAL ? (int)type->n2 : 1,
                        type->kind == PK_GLOBAL ? type->s2 : "?");
  tb_storage *s = pk_alloc(m, sizeof *s);
  pk_value *v = pk_new(m, PK_OBJECT);
  if (!s || !v) return nomem(c, err);
  s->dtype = STORAGE_TYPES[k].dtype, s->key = it[2]->s, s->nkey = it[2]->n;
  s->numel = it[4]->i, s->begin = -1;
  if (c->n_storages == c->cap) {
    int64_t cap = c->cap ? 2 * c->cap : 64;
    tb_storage **a = se_realloc(c->storages, sizeof *a * (size_t)cap);
    if (!a) return nomem(c, err);
    c->storages = a, c->cap = cap;
  }
  c->storages[c->n_storages++] = s;
  v->i = TB_STORAGE, v->obj = s;
  *out = v;
  return EE_OK;
}

static int is_object(const pk_value *v, int tag) { return v->kind == PK_OBJECT && v->i == tag; }

/* A tuple of ndim non-negative ints (size) or ints (stride) into dims. */
static int read_dims(const pk_value *t, int64_t *dims, int nonneg) {
  if (t->kind != PK_TUPLE || t->count > ST_MAX_NDIM) return 0;
  for (int64_t i = 0; i < t->count; i++) {
    if (t->items[i]->kind != PK_INT || (nonneg && t->items[i]->i < 0)) return 0;
    dims[i] = t->items[i]->i;
  }
  return 1;
}

static ee_status reduce(void *ctx, pk_machine *m, const pk_value *fn, pk_value *args,
                        pk_value **out, ee_error *err) {
  tb_ctx *c = ctx;
  pk_value **a = args->items;
  if (pk_is_global(fn, "collections", "OrderedDict") && args->count == 0) {
    *out = pk_new(m, PK_DICT);
    return *out ? EE_OK : nomem(c, err);
  }
  if ((pk_is_global(fn, "torch._utils", "_rebuild_parameter") && args->count == 3) ||
      (pk_is_global(fn, "torch._utils", "_rebuild_parameter_with_state") && args->count == 4)) {
    if (!is_object(a[0], TB_TENSOR))
      return ee_set_error(err, EE_ERR_FORMAT, "%s: a parameter that holds no tensor", c->path);
    *out = a[0];
    return EE_OK;
  }
  if (pk_is_global(fn, "torch._utils", "_rebuild_tensor_v2") &&
      (args->count == 6 || args->count == 7)) {
    tb_tensor *t = pk_alloc(m, sizeof *t);
    pk_value *v = pk_new(m, PK_OBJECT);
    if (!t || !v) return nomem(c, err);
    if (!is_object(a[0], TB_STORAGE) || a[1]->kind != PK_INT || a[1]->i < 0 ||
        !read_dims(a[2], t->shape, 1) || !read_dims(a[3], t->stride, 0) ||
        a[2]->count != a[3]->count)
      return ee_set_error(err, EE_ERR_FORMAT,
                          "%s: a tensor without a storage, an offset, and sizes and strides of "
                          "the same length (at most %d)",
                          c->path, ST_MAX_NDIM);
    t->storage = a[0]->obj, t->offset = a[1]->i, t->ndim = (int)a[2]->count;
    v->i = TB_TENSOR, v->obj = t;
    *out = v;
    return EE_OK;
  }
  return ee_set_error(err, EE_ERR_UNSUPPORTED,
                      "%s: refusing to call %.*s.%.*s: a model checkpoint holds only tensors, "
                      "and this one asks to run code (torch.load would run it; convert the file "
                      "to safetensors only if you trust it)",
                      c->path, (int)fn->n, fn->s, (int)fn->n2, fn->s2);
}

/* ---- zip ------------------------------------------------------------------- */

typedef struct zip_entry {
  const char *name;             /* into the file, not NUL-terminated */
  size_t nname;
  int64_t data, size;           /* stored bytes: file offset and length */
  int method, flags;
} zip_entry;

static uint64_t rd(const unsigned char *p, int n) {
  uint64_t x = 0;
  for (int i = n - 1; i >= 0; i--) x = (x << 8) | p[i];
  return x;
}

static int cmp_entry(const void *x, const void *y) {
  const zip_entry *a = x, *b = y;
  size_t n = a->nname < b->nname ? a->nname : b->nname;
  int c = memcmp(a->name, b->name, n);
  return c ? c : (a->nname > b->nname) - (a->nname < b->nname);
}

static const zip_entry *zip_find(const zip_entry *e, int64_t n, const char *name, size_t nname) {
  zip_entry key = {name, nname, 0, 0, 0, 0};
  return bsearch(&key, e, (size_t)n, sizeof *e, cmp_entry);
}

static ee_status zip_bad(const char *path, const char *problem, ee_error *err) {
  return ee_set_error(err, EE_ERR_FORMAT, "%s: %s (a damaged or truncated zip archive?)", path,
                      problem);
}

/* The zip64 extra field's values for the fields that were 0xFFFFFFFF. */
static int zip64_extra(const unsigned char *x, size_t n, uint64_t *usize, uint64_t *csize,
                       uint64_t *lho) {
  while (n >= 4) {
    size_t id = (size_t)rd(x, 2), len = (size_t)rd(x + 2, 2);
    if (len > n - 4) return 0;
    if (id == 1) {
      const unsigned char *p = x + 4;
      size_t left = len;
      uint64_t *want[3] = {usize, csize, lho};
      for (int i = 0; i < 3; i++) {
        if (*want[i] != 0xFFFFFFFFu) continue;
        if (left < 8) return 0;
        *want[i] = rd(p, 8), p += 8, left -= 8;
      }
      return 1;
    }
    x += 4 + len, n -= 4 + len;
  }
  return *usize != 0xFFFFFFFFu && *csize != 0xFFFFFFFFu && *lho != 0xFFFFFFFFu;
}

/* The central directory -> *out (sorted by name, se_malloc'd). */
static ee_status zip_read(const unsigned char *buf, size_t size, const char *path,
                          zip_entry **out, int64_t *n_out, ee_error *err) {
  *out = NULL, *n_out = 0;
  if (size < 22) return zip_bad(path, "no end of central directory record", err);
  int64_t eocd = -1;
  for (int64_t i = (int64_t)size - 22; i >= 0 && i >= (int64_t)size - 22 - 65535; i--)
    if (rd(buf + i, 4) == 0x06054b50u) {
      eocd = i;
      break;
    }
  if (eocd < 0) return zip_bad(path, "no end of central directory record", err);
  const unsigned char *e = buf + eocd;
  uint64_t count = rd(e + 10, 2), cd_size = rd(e + 12, 4), cd_off = rd(e + 16, 4);
  if (rd(e + 4, 2) != 0 || rd(e + 6, 2) != 0)
    return ee_set_error(err, EE_ERR_UNSUPPORTED, "%s: a zip archive split across disks", path);
  if (count == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_off == 0xFFFFFFFFu) {
    /* ZIP64: a locator just before the record points at the 64-bit one. */
    if (eocd < 20 || rd(buf + eocd - 20, 4) != 0x07064b50u)
      return zip_bad(path, "ZIP64 sizes without a ZIP64 locator", err);
    uint64_t at = rd(buf + eocd - 20 + 8, 8);
    if (at > size || size - at < 56 || rd(buf + at, 4) != 0x06064b50u)
      return zip_bad(path, "a ZIP64 end record outside the file", err);
    count = rd(buf + at + 32, 8), cd_size = rd(buf + at + 40, 8), cd_off = rd(buf + at + 48, 8);
  }
  if (cd_off > size || cd_size > size - cd_off || count > cd_size / 46)
    return zip_bad(path, "a central directory outside the file", err);
  zip_entry *entries = se_malloc(sizeof *entries * (size_t)(count ? count : 1));
  if (!entries) return ee_set_error(err, EE_ERR_NOMEM, "out of memory reading %s", path);
  const unsigned char *p = buf + cd_off, *end = buf + cd_off + cd_size;
  ee_status rc = EE_OK;
  for (uint64_t k = 0; k < count; k++) {
    if (end - p < 46 || rd(p, 4) != 0x02014b50u) {
      rc = zip_bad(path, "a central directory entry is cut short", err);
      goto fail;
    }
    size_t nlen = (size_t)rd(p + 28, 2), xlen = (size_t)rd(p + 30, 2), clen = (size_t)rd(p + 32, 2);
    if ((size_t)(end - p) - 46 < nlen + xlen + clen) {
      rc = zip_bad(path, "a central directory entry is cut short", err);
      goto fail;
    }
    uint64_t csize = rd(p + 20, 4), usize = rd(p + 24, 4), lho = rd(p + 42, 4);
    if (!zip64_extra(p + 46 + nlen, xlen, &usize, &csize, &lho)) {
      rc = zip_bad(path, "a ZIP64 entry without its sizes", err);
      goto fail;
    }
    if (lho > size || size - lho < 30 || rd(buf + lho, 4) != 0x04034b50u) {
      rc = zip_bad(path, "an entry's local header is outside the file", err);
      goto fail;
    }
    uint64_t data = lho + 30 + rd(buf + lho + 26, 2) + rd(buf + lho + 28, 2);
    if (data > size || csize > size - data) {
      rc = zip_bad(path, "an entry's data runs past the end of the file", err);
      goto fail;
    }
    zip_entry *z = &entries[k];
    z->name = (const char *)p + 46, z->nname = nlen;
    z->data = (int64_t)data, z->size = (int64_t)csize;
    z->method = (int)rd(p + 10, 2), z->flags = (int)rd(p + 8, 2);
    if (z->method == 0 && usize != csize) {
      rc = zip_bad(path, "a stored entry whose two sizes differ", err);
      goto fail;
    }
    p += 46 + nlen + xlen + clen;
  }
  qsort(entries, (size_t)count, sizeof *entries, cmp_entry);
  *out = entries, *n_out = (int64_t)count;
  return EE_OK;
fail:
  se_free(entries);
  return rc;
}

/* The entry's bytes, if it is stored as is. */
static ee_status zip_stored(const zip_entry *z, const char *path, ee_error *err) {
  if (z->flags & 1)
    return ee_set_error(err, EE_ERR_UNSUPPORTED, "%s: entry %.*s is encrypted", path,
                        (int)z->nname, z->name);
  if (z->method != 0)
    return ee_set_error(err, EE_ERR_UNSUPPORTED,
                        "%s: entry %.*s is compressed (method %d); torch.save stores entries "
                        "uncompressed, re-save the checkpoint with torch.save",
                        path, (int)z->nname, z->name, z->method);
  return EE_OK;
}

/* A model's pickle is small (~100 KB for BERT-large: a few opcodes per
** tensor); a larger one would only make the machine's values outgrow memory.
** Legacy files give the pickles no length: each is read within this window. */
#define TB_MAX_PICKLE ((size_t)64 << 20)

static ee_status run_pickle(pk_machine *m, tb_ctx *c, const unsigned char *buf, size_t size,
                            const char *what, int hooks, size_t *used, pk_value **out,
                            ee_error *err) {
  pk_hooks h = {c, hooks ? persistent_load : NULL, reduce};
  if (size > TB_MAX_PICKLE) size = TB_MAX_PICKLE;
  char label[EE_PATH_MAX + 64];
  snprintf(label, sizeof label, "%s (%s)", c->path, what);
  return pk_load(m, buf, size, label, &h, used, out, err);
}

static ee_status read_zip(pk_machine *m, tb_ctx *c, const unsigned char *buf, size_t size,
                          pk_value **root, ee_error *err) {
  zip_entry *e = NULL;
  int64_t n = 0;
  ee_status rc = zip_read(buf, size, c->path, &e, &n, err);
  if (rc != EE_OK) return rc;
  /* The pickle: the one <dir>/data.pkl, whose <dir> names the others. */
  const zip_entry *pkl = NULL;
  size_t ndir = 0;
  for (int64_t i = 0; i < n; i++) {
    const char *slash = memchr(e[i].name, '/', e[i].nname);
    if (!slash) continue;
    size_t d = (size_t)(slash - e[i].name) + 1;
    if (e[i].nname - d == 8 && memcmp(slash + 1, "data.pkl", 8) == 0) {
      if (pkl) {
        rc = ee_set_error(err, EE_ERR_FORMAT, "%s: more than one data.pkl in the archive", c->path);
        goto done;
      }
      pkl = &e[i], ndir = d;
    }
  }
  if (!pkl) {
    rc = ee_set_error(err, EE_ERR_FORMAT,
                      "%s: a zip archive without <dir>/data.pkl (not a torch.save checkpoint)",
                      c->path);
    goto done;
  }
  char name[EE_PATH_MAX];
  if (ndir + 16 > sizeof name) {
    rc = zip_bad(c->path, "an entry name too long", err);
    goto done;
  }
  memcpy(name, pkl->name, ndir);
  memcpy(name + ndir, "byteorder", 9);
  const zip_entry *order = zip_find(e, n, name, ndir + 9);
  if (order && (rc = zip_stored(order, c->path, err)) != EE_OK) goto done;
  if (order && !(order->size == 6 && memcmp(buf + order->data, "little", 6) == 0)) {
    rc = ee_set_error(err, EE_ERR_UNSUPPORTED, "%s: a big-endian checkpoint is not supported",
                      c->path);
    goto done;
  }
  if ((rc = zip_stored(pkl, c->path, err)) != EE_OK) goto done;
  if ((size_t)pkl->size > TB_MAX_PICKLE) {
    rc = ee_set_error(err, EE_ERR_FORMAT, "%s: data.pkl is %lld bytes, over the %zu MB limit",
                      c->path, (long long)pkl->size, TB_MAX_PICKLE >> 20);
    goto done;
  }
  size_t used;
  if ((rc = run_pickle(m, c, buf + pkl->data, (size_t)pkl->size, "data.pkl", 1, &used, root,
                       err)) != EE_OK)
    goto done;
  for (int64_t i = 0; i < c->n_storages; i++) {
    tb_storage *s = c->storages[i];
    if (ndir + 5 + s->nkey > sizeof name) {
      rc = ee_set_error(err, EE_ERR_FORMAT, "%s: a storage key too long", c->path);
      goto done;
    }
    memcpy(name + ndir, "data/", 5);
    memcpy(name + ndir + 5, s->key, s->nkey);
    const zip_entry *z = zip_find(e, n, name, ndir + 5 + s->nkey);
    if (!z) {
      rc = ee_set_error(err, EE_ERR_FORMAT, "%s: storage %.*s has no entry %.*s in the archive",
                        c->path, (int)s->nkey, s->key, (int)(ndir + 5 + s->nkey), name);
      goto done;
    }
    if ((rc = zip_stored(z, c->path, err)) != EE_OK) goto done;
    s->begin = z->data, s->avail = z->size;
  }
done:
  se_free(e);
  return rc;
}

/* ---- legacy ------------------------------------------------------------------ */

static const unsigned char MAGIC[10] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

static int cmp_storage_key(const void *x, const void *y) {
  const tb_storage *a = *(tb_storage *const *)x, *b = *(tb_storage *const *)y;
  size_t n = a->nkey < b->nkey ? a->nkey : b->nkey;
  int c = memcmp(a->key, b->key, n);
  return c ? c : (a->nkey > b->nkey) - (a->nkey < b->nkey);
}

static ee_status read_legacy(pk_machine *m, tb_ctx *c, const unsigned char *buf, size_t size,
                             pk_value **root, ee_error *err) {
  size_t pos = 0, used;
  pk_value *v;
  ee_status rc;
  c->legacy = 1;
  if ((rc = run_pickle(m, c, buf, size, "magic number", 0, &used, &v, err)) != EE_OK) return rc;
  if (v->kind != PK_BIGINT || v->n != sizeof MAGIC || memcmp(v->s, MAGIC, sizeof MAGIC) != 0)
    return ee_set_error(err, EE_ERR_FORMAT,
                        "%s: not a PyTorch checkpoint (neither a zip archive nor torch's legacy "
                        "format, whose first pickle is its magic number)",
                        c->path);
  pos += used;
  if ((rc = run_pickle(m, c, buf + pos, size - pos, "protocol", 0, &used, &v, err)) != EE_OK)
    return rc;
  if (v->kind != PK_INT || v->i != 1001)
    return ee_set_error(err, EE_ERR_UNSUPPORTED, "%s: legacy checkpoint protocol %lld (1001 is read)",
                        c->path, v->kind == PK_INT ? (long long)v->i : -1LL);
  pos += used;
  if ((rc = run_pickle(m, c, buf + pos, size - pos, "sys_info", 0, &used, &v, err)) != EE_OK)
    return rc;
  if (v->kind != PK_DICT)
    return ee_set_error(err, EE_ERR_FORMAT, "%s: sys_info is a %s, not a dict", c->path,
                        pk_kind_name(v->kind));
  for (int64_t i = 0; i + 1 < v->count; i += 2)
    if (pk_is_str(v->items[i], "little_endian") &&
        !(v->items[i + 1]->kind == PK_BOOL && v->items[i + 1]->i == 1))
      return ee_set_error(err, EE_ERR_UNSUPPORTED, "%s: a big-endian checkpoint is not supported",
                          c->path);
  pos += used;
  if ((rc = run_pickle(m, c, buf + pos, size - pos, "tensors", 1, &used, root, err)) != EE_OK)
    return rc;
  pos += used;
  pk_value *keys;
  if ((rc = run_pickle(m, c, buf + pos, size - pos, "storage keys", 0, &used, &keys, err)) != EE_OK)
    return rc;
  pos += used;
  if (keys->kind != PK_LIST)
    return ee_set_error(err, EE_ERR_FORMAT, "%s: the storage keys are a %s, not a list", c->path,
                        pk_kind_name(keys->kind));
  /* Each key's bytes follow in the list's order; the storages that name a
  ** key (several references may) are found by binary search. */
  qsort(c->storages, (size_t)c->n_storages, sizeof *c->storages, cmp_storage_key);
  for (int64_t k = 0; k < keys->count; k++) {
    const pk_value *key = keys->items[k];
    if (key->kind != PK_STR)
      return ee_set_error(err, EE_ERR_FORMAT, "%s: a storage key that is not a string", c->path);
    tb_storage probe = {.key = key->s, .nkey = key->n}, *pp = &probe;
    tb_storage **hit = bsearch(&pp, c->storages, (size_t)c->n_storages, sizeof *c->storages,
                               cmp_storage_key);
    if (!hit)
      return ee_set_error(err, EE_ERR_FORMAT, "%s: storage key %.*s is listed but never used",
                          c->path, (int)key->n, key->s);
    while (hit > c->storages && cmp_storage_key(hit - 1, &pp) == 0) hit--;
    const int64_t elsize = st_dtype_size((*hit)->dtype);
    if (size - pos < 8)
      return ee_set_error(err, EE_ERR_FORMAT, "%s: storage %.*s runs past the end of the file "
                          "(truncated file?)", c->path, (int)key->n, key->s);
    uint64_t count = rd(buf + pos, 8);
    if (count > (uint64_t)(size - pos - 8) / (uint64_t)elsize)
      return ee_set_error(err, EE_ERR_FORMAT, "%s: storage %.*s runs past the end of the file "
                          "(truncated file?)", c->path, (int)key->n, key->s);
    for (tb_storage **s = hit; s < c->storages + c->n_storages && cmp_storage_key(s, &pp) == 0;
         s++) {
      if ((*s)->begin >= 0)
        return ee_set_error(err, EE_ERR_FORMAT, "%s: storage key %.*s is listed twice", c->path,
                            (int)key->n, key->s);
      if ((*s)->dtype != (*hit)->dtype)
        return ee_set_error(err, EE_ERR_FORMAT, "%s: storage %.*s is named with two types",
                            c->path, (int)key->n, key->s);
      (*s)->begin = (int64_t)pos + 8, (*s)->avail = (int64_t)count * elsize;
    }
    pos += 8 + (size_t)count * (size_t)elsize;
  }
  return EE_OK;
}

/* ---- the tensor table ---------------------------------------------------------- */

/* One dict entry -> t; checks against its storage. */
static ee_status make_tensor(st_tensor *t, const tb_tensor *x, const char *path, ee_error *err) {
  const tb_storage *s = x->storage;
  const int64_t elsize = st_dtype_size(s->dtype);
  t->dtype = s->dtype, t->ndim = x->ndim;
  int64_t numel = 1;
  for (int i = 0; i < x->ndim; i++) {
    t->shape[i] = x->shape[i];
    if (x->shape[i] && numel > (INT64_MAX / 8) / x->shape[i])
      return ee_set_error(err, EE_ERR_FORMAT, "tensor '%.200s' in %s: shape is too large",
                          t->name, path);
    numel *= x->shape[i];
  }
  t->numel = numel;
  char shape[160];
  st_format_shape(shape, sizeof shape, t->shape, t->ndim);
  if (numel > 0) {
    int64_t want = 1;
    for (int i = x->ndim - 1; i >= 0; i--) {
      if (x->shape[i] != 1 && x->stride[i] != want)
        return ee_set_error(err, EE_ERR_UNSUPPORTED,
                            "tensor '%.200s' in %s: %s is not stored contiguously (a view saved "
                            "as is); re-save it after .contiguous(), or as safetensors",
                            t->name, path, shape);
      want *= x->shape[i];
    }
  }
  const int64_t have = s->avail / elsize < s->numel ? s->avail / elsize : s->numel;
  if (x->offset > have || numel > have - x->offset)
    return ee_set_error(err, EE_ERR_FORMAT,
                        "tensor '%.200s' in %s: %s at element %lld runs past its storage %.*s "
                        "(%lld elements; truncated file?)",
                        t->name, path, shape, (long long)x->offset, (int)s->nkey, s->key,
                        (long long)have);
  t->begin = s->begin + x->offset * elsize;
  t->end = t->begin + numel * elsize;
  return EE_OK;
}

static int cmp_name(const void *a, const void *b) {
  return strcmp(((const st_tensor *)a)->name, ((const st_tensor *)b)->name);
}

static ee_status collect_tensors(st_file *f, const pk_value *root, const char *path,
                                 ee_error *err) {
  if (root->kind != PK_DICT)
    return ee_set_error(err, EE_ERR_FORMAT, "%s holds a %s, not a dict of tensors", path,
                        pk_kind_name(root->kind));
  f->tensors = se_calloc((size_t)(root->count / 2 + 1), sizeof *f->tensors);
  if (!f->tensors) return ee_set_error(err, EE_ERR_NOMEM, "out of memory reading %s", path);
  for (int64_t i = 0; i + 1 < root->count; i += 2) {
    const pk_value *k = root->items[i], *v = root->items[i + 1];
    if (!is_object(v, TB_TENSOR)) continue;
    if (k->kind != PK_STR || memchr(k->s, 0, k->n))
      return ee_set_error(err, EE_ERR_FORMAT, "%s: a tensor whose name is not a string", path);
    st_tensor *t = &f->tensors[f->n_tensors];
    if (!(t->name = se_strndup(k->s, k->n)))
      return ee_set_error(err, EE_ERR_NOMEM, "out of memory reading %s", path);
    f->n_tensors++;
    ee_status rc = make_tensor(t, v->obj, path, err);
    if (rc != EE_OK) return rc;
  }
  if (!f->n_tensors)
    return ee_set_error(err, EE_ERR_FORMAT,
                        "%s holds no tensors at its top level (a dict of dicts, or a whole "
                        "pickled model?)",
                        path);
  qsort(f->tensors, (size_t)f->n_tensors, sizeof *f->tensors, cmp_name);
  for (int i = 1; i < f->n_tensors; i++)
    if (strcmp(f->tensors[i - 1].name, f->tensors[i].name) == 0)
      return ee_set_error(err, EE_ERR_FORMAT, "%s: tensor '%.200s' appears twice", path,
                          f->tensors[i].name);
  return EE_OK;
}

ee_status tb_parse(st_file *f, const char *path, const unsigned char *buf, size_t size,
                   ee_error *err) {
  if (!f->path && !(f->path = se_strndup(path, strlen(path))))
    return ee_set_error(err, EE_ERR_NOMEM, "out of memory opening %s", path);
  f->data = buf, f->data_size = (int64_t)size;
  pk_machine m;
  pk_init(&m);
  tb_ctx c = {path, 0, NULL, 0, 0};
  pk_value *root = NULL;
  ee_status rc;
  if (size >= 4 && memcmp(buf, "PK\3\4", 4) == 0)
    rc = read_zip(&m, &c, buf, size, &root, err);
  else if (size >= 2 && buf[0] == 0x80)
    rc = read_legacy(&m, &c, buf, size, &root, err);
  else
    rc = ee_set_error(err, EE_ERR_FORMAT,
                      "%s is not a PyTorch checkpoint (neither a zip archive nor torch's legacy "
                      "pickle format)",
                      path);
  for (int64_t i = 0; rc == EE_OK && i < c.n_storages; i++)
    if (c.storages[i]->begin < 0)
      rc = ee_set_error(err, EE_ERR_FORMAT, "%s: storage %.*s has no data in the file", path,
                        (int)c.storages[i]->nkey, c.storages[i]->key);
  if (rc == EE_OK) rc = collect_tensors(f, root, path, err);
  se_free(c.storages);
  pk_free(&m);
  return rc;
}

ee_status tb_open(st_file *f, const char *path, ee_error *err) {
  return st_open_with(f, path, tb_parse, err);
}
