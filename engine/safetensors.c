/*
** safetensors.c — map one .safetensors file and validate its header.
**
**   st_file f = {0};
**   if (st_open(&f, "dir/model.safetensors", &err) != EE_OK) return err.code;
**   const st_tensor *t = st_find(&f, "embeddings.word_embeddings.weight");
**   const float *w = (const float *)(f.data + t->begin);   // if t->dtype == ST_F32
**   st_close(&f);
**
** Format (https://github.com/huggingface/safetensors):
**
**   bytes 0..7     N, little-endian u64: length of the JSON header
**   bytes 8..8+N   JSON object {"name": {"dtype": "F32", "shape": [384, 1536],
**                  "data_offsets": [begin, end]}, ..., "__metadata__": {...}}
**   bytes 8+N..    the data section; offsets are relative to its start,
**                  tensors stored row-major, little-endian
**
** The file comes from outside, so every field is checked before use and a
** bad file gives EE_ERR_FORMAT naming the file (and tensor) at fault:
**   - the file holds at least the 8-byte length, the header is <= 100 MB and
**     ends inside the file;
**   - the header is one JSON object without duplicate names; each entry has a
**     known dtype, a shape of at most 8 non-negative dims and two offsets;
**   - numel * dtype size is computed in int64 with overflow checks and must
**     equal end - begin; begin <= end <= size of the data section;
**   - no two non-empty tensors overlap.
** The mapping is MAP_SHARED/PROT_READ: the kernel shares the page cache
** between processes, and nothing ever writes through it.
*/
#include "engine_int.h"
#include "../tokenizer/se_file.h"
#include "../tokenizer/se_json.h"
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const struct { const char *name; int size; } dtypes[ST_DTYPE_COUNT] = {
  [ST_BOOL] = {"BOOL", 1},       [ST_U8] = {"U8", 1},   [ST_I8] = {"I8", 1},
  [ST_F8_E5M2] = {"F8_E5M2", 1}, [ST_F8_E4M3] = {"F8_E4M3", 1},
  [ST_I16] = {"I16", 2},         [ST_U16] = {"U16", 2}, [ST_F16] = {"F16", 2},
  [ST_BF16] = {"BF16", 2},       [ST_I32] = {"I32", 4}, [ST_U32] = {"U32", 4},
  [ST_F32] = {"F32", 4},         [ST_F64] = {"F64", 8}, [ST_I64] = {"I64", 8},
  [ST_U64] = {"U64", 8},
};

const char *st_dtype_name(st_dtype t) {
  if (gb_name(t)) return gb_name(t);
  return (unsigned)t < ST_DTYPE_COUNT ? dtypes[t].name : "?";
}
int st_dtype_size(st_dtype t) { return (unsigned)t < ST_DTYPE_COUNT ? dtypes[t].size : 0; }

int64_t st_tensor_bytes(st_dtype t, int64_t numel) {
  if (gb_block_values(t)) return numel / gb_block_values(t) * gb_block_bytes(t);
  return numel * st_dtype_size(t);
}

void st_format_shape(char *buf, size_t n, const int64_t *shape, int ndim) {
  size_t used = 0;
  used += (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < ndim && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, "%s%lld", i ? ", " : "", (long long)shape[i]);
  if (used < n) snprintf(buf + used, n - used, "]");
}

static int cmp_name(const void *a, const void *b) {
  return strcmp(((const st_tensor *)a)->name, ((const st_tensor *)b)->name);
}

/* A tensor's byte range, sorted by begin for the overlap check. */
typedef struct st_span { int64_t begin, end; int idx; } st_span;
static int cmp_begin(const void *a, const void *b) {
  const st_span *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return 0;
}

/* One header entry -> t (name already set).  Checks dtype, shape, offsets. */
static ee_status parse_entry(st_tensor *t, const json_t *v, const char *path,
                             int64_t data_size, ee_error *err) {
  const char *name = t->name;
  if (!json_is_object(v))
    return ee_set_error(err, EE_ERR_FORMAT, "tensor '%.200s' in %s: header entry is not an object",
                        name, path);
  const char *dt = json_string_value(json_object_get(v, "dtype"));
  if (!dt)
    return ee_set_error(err, EE_ERR_FORMAT, "tensor '%.200s' in %s: missing \"dtype\"", name, path);
  int k;
  for (k = 0; k < ST_DTYPE_COUNT; k++) /* GGUF's block types have no entry */
    if (dtypes[k].size && strcmp(dt, dtypes[k].name) == 0) break;
  if (k == ST_DTYPE_COUNT)
    return ee_set_error(err, EE_ERR_FORMAT, "tensor '%.200s' in %s: unknown dtype '%.32s'", name,
                        path, dt);
  t->dtype = (st_dtype)k;

  const json_t *shape = json_object_get(v, "shape");
  if (!json_is_array(shape))
    return ee_set_error(err, EE_ERR_FORMAT, "tensor '%.200s' in %s: missing \"shape\" array", name,
                        path);
  size_t nd = json_array_size(shape);
  if (nd > ST_MAX_NDIM)
    return ee_set_error(err, EE_ERR_FORMAT, "tensor '%.200s' in %s: %zu dimensions (at most %d)",
                        name, path, nd, ST_MAX_NDIM);
  t->ndim = (int)nd;
  /* numel * 8 must fit in int64: bound the running product by INT64_MAX / 8. */
  const int64_t limit = INT64_MAX / 8;
  int64_t numel = 1;
  for (size_t i = 0; i < nd; i++) {
    const json_t *d = json_array_get(shape, i);
    if (!json_is_integer(d) || json_integer_value(d) < 0)
      return ee_set_error(err, EE_ERR_FORMAT,
                          "tensor '%.200s' in %s: shape dimension %zu is not a non-negative integer",
                          name, path, i);
    int64_t x = (int64_t)json_integer_value(d);
    t->shape[i] = x;
    if (x != 0 && numel > limit / x)
      return ee_set_error(err, EE_ERR_FORMAT, "tensor '%.200s' in %s: shape is too large", name,
                          path);
    numel *= x;
  }
  t->numel = numel;

  const json_t *off = json_object_get(v, "data_offsets");
  const json_t *b = json_array_get(off, 0), *e = json_array_get(off, 1);
  if (!json_is_array(off) || json_array_size(off) != 2 || !json_is_integer(b) ||
      !json_is_integer(e) || json_integer_value(b) < 0 || json_integer_value(e) < 0)
    return ee_set_error(err, EE_ERR_FORMAT,
                        "tensor '%.200s' in %s: \"data_offsets\" must be two non-negative integers",
                        name, path);
  t->begin = (int64_t)json_integer_value(b);
  t->end = (int64_t)json_integer_value(e);
  if (t->begin > t->end)
    return ee_set_error(err, EE_ERR_FORMAT,
                        "tensor '%.200s' in %s: data_offsets [%lld, %lld] begin after end", name,
                        path, (long long)t->begin, (long long)t->end);
  if (t->end > data_size)
    return ee_set_error(err, EE_ERR_FORMAT,
                        "tensor '%.200s' in %s: data_offsets [%lld, %lld] run past the end of the "
                        "file (data section is %lld bytes; truncated file?)",
                        name, path, (long long)t->begin, (long long)t->end, (long long)data_size);
  int64_t want = numel * dtypes[k].size;
  if (t->end - t->begin != want) {
    char s[160];
    st_format_shape(s, sizeof s, t->shape, t->ndim);
    return ee_set_error(err, EE_ERR_FORMAT,
                        "tensor '%.200s' in %s: data_offsets [%lld, %lld] hold %lld bytes, but "
                        "%s %s needs %lld",
                        name, path, (long long)t->begin, (long long)t->end,
                        (long long)(t->end - t->begin), dt, s, (long long)want);
  }
  return EE_OK;
}

ee_status st_parse(st_file *f, const char *path, const unsigned char *buf, size_t size,
                   ee_error *err) {
  ee_status rc = EE_OK;
  json_t *root = NULL;
  st_span *order = NULL;
  if (!f->path && !(f->path = se_strndup(path, strlen(path))))
    return ee_set_error(err, EE_ERR_NOMEM, "out of memory opening %s", path);
  if (size < 8)
    return ee_set_error(err, EE_ERR_FORMAT,
                        "%s is %zu bytes, too short for the 8-byte header length (truncated file?)",
                        path, size);
  uint64_t n = 0;
  for (int i = 7; i >= 0; i--) n = (n << 8) | buf[i];
  if (n > (uint64_t)EE_MAX_HEADER)
    return ee_set_error(err, EE_ERR_FORMAT, "header length %llu in %s is over the 100 MB limit",
                        (unsigned long long)n, path);
  if (n > size - 8)
    return ee_set_error(err, EE_ERR_FORMAT,
                        "header length %llu in %s runs past the end of the file (%zu bytes; "
                        "truncated file?)",
                        (unsigned long long)n, path, size);
  f->data = buf + 8 + n;
  f->data_size = (int64_t)(size - 8 - n);

  json_error_t jerr;
  int nomem;
  root = se_json_loadb((const char *)buf + 8, (size_t)n, JSON_REJECT_DUPLICATES, &jerr, &nomem);
  if (!root && nomem)
    return ee_set_error(err, EE_ERR_NOMEM, "out of memory reading the header of %s", path);
  if (!root)
    return ee_set_error(err, EE_ERR_FORMAT, "invalid JSON header in %s: %s (byte %d)", path,
                        jerr.text, jerr.position + 8);
  if (!json_is_object(root)) {
    rc = ee_set_error(err, EE_ERR_FORMAT, "header of %s is not a JSON object", path);
    goto done;
  }
  size_t count = json_object_size(root);
  f->tensors = se_calloc(count ? count : 1, sizeof *f->tensors);
  if (!f->tensors) {
    rc = ee_set_error(err, EE_ERR_NOMEM, "out of memory reading the header of %s", path);
    goto done;
  }
  const char *key;
  json_t *v;
  json_object_foreach(root, key, v) {
    if (strcmp(key, "__metadata__") == 0) continue;
    st_tensor *t = &f->tensors[f->n_tensors];
    if (!(t->name = se_strndup(key, strlen(key)))) {
      rc = ee_set_error(err, EE_ERR_NOMEM, "out of memory reading the header of %s", path);
      goto done;
    }
    f->n_tensors++;
    if ((rc = parse_entry(t, v, path, f->data_size, err)) != EE_OK) goto done;
  }
  qsort(f->tensors, (size_t)f->n_tensors, sizeof *f->tensors, cmp_name);

  /* Overlap check: sort indices by begin; each non-empty tensor must start
  ** at or after the end of every earlier one. */
  order = se_malloc(sizeof *order * (size_t)(f->n_tensors ? f->n_tensors : 1));
  if (!order) {
    rc = ee_set_error(err, EE_ERR_NOMEM, "out of memory reading the header of %s", path);
    goto done;
  }
  int m = 0;
  for (int i = 0; i < f->n_tensors; i++)
    if (f->tensors[i].end > f->tensors[i].begin)
      order[m++] = (st_span){f->tensors[i].begin, f->tensors[i].end, i};
  qsort(order, (size_t)m, sizeof *order, cmp_begin);
  for (int i = 1; i < m; i++) {
    const st_tensor *a = &f->tensors[order[i - 1].idx], *b = &f->tensors[order[i].idx];
    if (b->begin < a->end) {
      rc = ee_set_error(err, EE_ERR_FORMAT,
                        "tensors '%.150s' [%lld, %lld) and '%.150s' [%lld, %lld) overlap in %s",
                        a->name, (long long)a->begin, (long long)a->end, b->name,
                        (long long)b->begin, (long long)b->end, path);
      goto done;
    }
  }
done:
  se_free(order);
  json_decref(root);
  return rc;
}

ee_status st_open_with(st_file *f, const char *path, st_parse_fn parse, ee_error *err) {
  memset(f, 0, sizeof *f);
  /* se_file.h's policy: links followed, regular files only, never blocks. */
  char msg[sizeof err->msg];
  int64_t size;
  se_file_status fs;
  int fd = se_file_open(path, &size, &fs, msg, sizeof msg);
  if (fd < 0) return ee_set_error(err, EE_ERR_IO, "%s", msg);
  ee_status rc = EE_OK;
  if (size < 8) {
    rc = ee_set_error(err, EE_ERR_FORMAT, "%s is %lld bytes, too short to be a model file (truncated file?)",
                      path, (long long)size);
    goto done;
  }
  void *p = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    rc = ee_set_error(err, EE_ERR_IO, "cannot mmap %s: %s", path, strerror(errno));
    goto done;
  }
  f->map = p;
  f->map_size = (size_t)size;
  rc = parse(f, path, f->map, f->map_size, err);
done:
  close(fd);
  if (rc != EE_OK) st_close(f);
  return rc;
}

ee_status st_open(st_file *f, const char *path, ee_error *err) {
  return st_open_with(f, path, st_parse, err);
}

void st_close(st_file *f) {
  if (!f) return;
  if (f->map) munmap(f->map, f->map_size);
  for (int i = 0; i < f->n_tensors; i++) se_free(f->tensors[i].name);
  se_free(f->tensors);
  se_free(f->path);
  memset(f, 0, sizeof *f);
}

const st_tensor *st_find(const st_file *f, const char *name) {
  int lo = 0, hi = f->n_tensors - 1;
  while (lo <= hi) {
    int mid = lo + (hi - lo) / 2;
    int c = strcmp(name, f->tensors[mid].name);
    if (c == 0) return &f->tensors[mid];
    if (c < 0) hi = mid - 1; else lo = mid + 1;
  }
  return NULL;
}
