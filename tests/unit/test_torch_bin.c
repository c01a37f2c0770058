/*
** test_torch_bin.c — pytorch_model.bin read without running it
** (engine/torch_bin.c, engine/pickle.c), against files PyTorch wrote.
**
**   TEST_MODELS=build/test-models build/tests/test_torch_bin   (from the repository root)
**
** 1. tests/fixtures/torch_bin/{formats,legacy,proto4,statedict}.bin, each
**    with the tensors torch had in NAME.json (tests/scripts/make_torch_bin.py):
**    every name, dtype, shape and element, read in place.  They cover the
**    zip and legacy formats, pickle protocols 2 and 4, ten dtypes, a scalar,
**    an empty tensor, a view at a storage offset, a shared storage, an
**    nn.Parameter and a real state_dict with its _metadata.
** 2. What must be refused, and how: a transposed view saved as is, a pickle
**    that calls os.system, a dict of dicts.
** 3. Every truncation of the zip and legacy files is an error, and every
**    byte of them changed is an error or a clean read (never a crash: this
**    runs under ASan in make test-asan); archives torch.save does not write
**    (deflated, encrypted, big-endian, no or two data.pkl, a 64 MB + 1
**    sparse data.pkl, a storage entry missing or too short) each get their
**    error.
** 4. The pickle machine itself on hand-written pickles: what it builds and
**    each malformed program's error.
** 5. Whole models: the xlmr and dense test models with their weights as
**    torch.save files embed exactly as with model.safetensors, bit for bit;
**    xlmr also as the one shard of a pytorch_model.bin.index.json.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "../../engine/engine_int.h"
#include "check.h"

#define FIX "tests/fixtures/torch_bin"

static float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15), exp = (h >> 10) & 31u, mant = h & 0x3ffu;
  float v = exp == 0 ? ldexpf((float)mant, -24)
            : exp == 31 ? (mant ? NAN : INFINITY)
                        : ldexpf((float)(mant | 0x400u), (int)exp - 25);
  return sign ? -v : v;
}

/* Element i of t as a double. */
static double element(const st_file *f, const st_tensor *t, int64_t i) {
  const unsigned char *p = f->data + t->begin + i * st_dtype_size(t->dtype);
  union { uint32_t u; float f; } b32;
  switch (t->dtype) {
  case ST_F32: memcpy(&b32.f, p, 4); return b32.f;
  case ST_F64: { double d; memcpy(&d, p, 8); return d; }
  case ST_F16: { uint16_t h; memcpy(&h, p, 2); return half_to_float(h); }
  case ST_BF16: { uint16_t h; memcpy(&h, p, 2); b32.u = (uint32_t)h << 16; return b32.f; }
  case ST_I32: { int32_t x; memcpy(&x, p, 4); return x; }
  case ST_I16: { int16_t x; memcpy(&x, p, 2); return x; }
  case ST_I8: return (int8_t)p[0];
  case ST_U8: case ST_BOOL: return p[0];
  default: return NAN;
  }
}

static int same_value(double got, const json_t *want) {
  if (json_is_string(want)) {
    const char *s = json_string_value(want);
    if (!strcmp(s, "inf")) return isinf(got) && got > 0;
    if (!strcmp(s, "-inf")) return isinf(got) && got < 0;
    if (!strcmp(s, "nan")) return isnan(got);
    if (!strcmp(s, "-0.0")) return got == 0 && signbit(got);
    return 0;
  }
  double w = json_number_value(want);
  return json_is_number(want) && got == w && signbit(got) == signbit(w);
}

/* 1: a fixture against its JSON. */
static void check_fixture(const char *name) {
  char bin[256], js[256];
  snprintf(bin, sizeof bin, FIX "/%s.bin", name);
  snprintf(js, sizeof js, FIX "/%s.json", name);
  json_error_t jerr;
  json_t *root = json_load_file(js, 0, &jerr);
  json_t *want = json_object_get(root, "tensors");
  CHECK(json_is_object(want), "%s: expected tensors in %s", name, js);
  st_file f;
  ee_error err = {0};
  ee_status rc = tb_open(&f, bin, &err);
  CHECK_EQ_INT(rc, EE_OK, "%s opens (%s)", name, err.msg);
  if (rc != EE_OK || !want) {
    json_decref(root);
    return;
  }
  CHECK_EQ_INT(f.n_tensors, json_object_size(want), "%s: as many tensors as torch saved", name);
  const char *key;
  json_t *v;
  json_object_foreach(want, key, v) {
    const st_tensor *t = st_find(&f, key);
    CHECK(t != NULL, "%s: tensor '%s' found", name, key);
    if (!t) continue;
    CHECK(!strcmp(st_dtype_name(t->dtype), json_string_value(json_object_get(v, "dtype"))),
          "%s: '%s' dtype %s", name, key, st_dtype_name(t->dtype));
    json_t *shape = json_object_get(v, "shape"), *vals = json_object_get(v, "values");
    int shape_ok = (size_t)t->ndim == json_array_size(shape);
    for (int i = 0; shape_ok && i < t->ndim; i++)
      shape_ok = t->shape[i] == json_integer_value(json_array_get(shape, (size_t)i));
    CHECK(shape_ok, "%s: '%s' shape", name, key);
    CHECK_EQ_INT(t->numel, json_array_size(vals), "%s: '%s' element count", name, key);
    int64_t bad = -1;
    for (int64_t i = 0; i < t->numel && (size_t)i < json_array_size(vals) && bad < 0; i++) {
      const json_t *w = json_array_get(vals, (size_t)i);
      if (t->dtype == ST_I64) { /* INT64_MIN/MAX: not through a double */
        int64_t x;
        memcpy(&x, f.data + t->begin + 8 * i, 8);
        if (!json_is_integer(w) || json_integer_value(w) != x) bad = i;
      } else if (!same_value(element(&f, t, i), w)) {
        bad = i;
      }
    }
    CHECK(bad < 0, "%s: '%s' every element as torch had it (first wrong: %lld)", name, key,
          (long long)bad);
  }
  st_close(&f);
  json_decref(root);
}

/* 2: refusals. */
static void check_refused(const char *name, ee_status code, const char *needle) {
  char bin[256];
  snprintf(bin, sizeof bin, FIX "/%s.bin", name);
  st_file f;
  ee_error err = {0};
  ee_status rc = tb_open(&f, bin, &err);
  CHECK_EQ_INT(rc, code, "%s is refused with %s", name, ee_status_string(code));
  CHECK_STR_CONTAINS(err.msg, needle, "%s: the message says why", name);
  CHECK_STR_CONTAINS(err.msg, bin, "%s: the message names the file", name);
}

/* 3: truncations and changed bytes. */
static void check_damage(const char *name) {
  char bin[256];
  snprintf(bin, sizeof bin, FIX "/%s.bin", name);
  size_t n = 0;
  unsigned char *buf = (unsigned char *)check_slurp(bin, &n);
  CHECK(buf != NULL && n > 0, "%s read", name);
  if (!buf) return;
  int all_fail = 1;
  for (size_t len = 0; len < n; len++) {
    unsigned char *copy = malloc(len ? len : 1);
    memcpy(copy, buf, len);
    st_file f = {0};
    ee_error err = {0};
    ee_status rc = tb_parse(&f, bin, copy, len, &err);
    if (rc == EE_OK || !err.msg[0]) all_fail = 0;
    st_close(&f);
    free(copy);
  }
  CHECK(all_fail, "%s: each of its %zu truncations is an error with a message", name, n);
  static const unsigned char values[] = {0x00, 0xff, 0x80, 0x7f, 0x01};
  long ok = 0, failed = 0;
  int bad_message = 0;
  unsigned char *copy = malloc(n);
  for (size_t i = 0; i < n; i++)
    for (size_t v = 0; v < sizeof values; v++) {
      if (buf[i] == values[v]) continue;
      memcpy(copy, buf, n);
      copy[i] = values[v];
      st_file f = {0};
      ee_error err = {0};
      if (tb_parse(&f, bin, copy, n, &err) == EE_OK) {
        ok++;
        /* A clean read still keeps every tensor inside the file. */
        for (int t = 0; t < f.n_tensors; t++)
          if (f.tensors[t].begin < 0 || f.tensors[t].end > (int64_t)n) bad_message = 1;
      } else {
        failed++;
        if (!err.msg[0]) bad_message = 1;
      }
      st_close(&f);
    }
  free(copy);
  CHECK(!bad_message && failed > 0,
        "%s: every changed byte reads cleanly inside the file or fails with a message (%ld read, "
        "%ld refused)",
        name, ok, failed);
  free(buf);
}

/* 3b: zip archives torch.save does not write.  zip_entry_t: one stored
** (or not) entry; write_zip lays them out with a central directory. */
typedef struct { const char *name; const void *data; size_t n; int method, flags; } zip_entry_t;

static void put16(unsigned char *p, unsigned v) { p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8); }
static void put32(unsigned char *p, uint32_t v) { put16(p, v & 0xffff), put16(p + 2, v >> 16); }

/* Entries with data NULL are sparse: n zero bytes skipped with fseek. */
static int write_zip(const char *path, const zip_entry_t *e, int n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  uint32_t offs[8];
  for (int i = 0; i < n; i++) {
    unsigned char h[30] = {'P', 'K', 3, 4};
    put16(h + 6, (unsigned)e[i].flags), put16(h + 8, (unsigned)e[i].method);
    put32(h + 18, (uint32_t)e[i].n), put32(h + 22, (uint32_t)e[i].n);
    put16(h + 26, (unsigned)strlen(e[i].name));
    offs[i] = (uint32_t)ftell(f);
    fwrite(h, 1, 30, f);
    fwrite(e[i].name, 1, strlen(e[i].name), f);
    if (e[i].data) fwrite(e[i].data, 1, e[i].n, f);
    else fseek(f, (long)e[i].n, SEEK_CUR);
  }
  long cd = ftell(f);
  for (int i = 0; i < n; i++) {
    unsigned char h[46] = {'P', 'K', 1, 2};
    put16(h + 8, (unsigned)e[i].flags), put16(h + 10, (unsigned)e[i].method);
    put32(h + 20, (uint32_t)e[i].n), put32(h + 24, (uint32_t)e[i].n);
    put16(h + 28, (unsigned)strlen(e[i].name)), put32(h + 42, offs[i]);
    fwrite(h, 1, 46, f);
    fwrite(e[i].name, 1, strlen(e[i].name), f);
  }
  long end = ftell(f);
  unsigned char eocd[22] = {'P', 'K', 5, 6};
  put16(eocd + 8, (unsigned)n), put16(eocd + 10, (unsigned)n);
  put32(eocd + 12, (uint32_t)(end - cd)), put32(eocd + 16, (uint32_t)cd);
  fwrite(eocd, 1, 22, f);
  return fclose(f);
}

static void check_zip_refused(const char *label, const zip_entry_t *e, int n, ee_status code,
                              const char *needle) {
  char path[] = "/tmp/se-torch-bin-XXXXXX";
  int fd = mkstemp(path);
  if (fd >= 0) close(fd);
  CHECK(fd >= 0 && write_zip(path, e, n) == 0, "%s: archive written", label);
  st_file f;
  ee_error err = {0};
  ee_status rc = tb_open(&f, path, &err);
  CHECK_EQ_INT(rc, code, "%s: refused with %s", label, ee_status_string(code));
  CHECK_STR_CONTAINS(err.msg, needle, "%s: the message", label);
  if (rc == EE_OK) st_close(&f);
  unlink(path);
}

/* The central directory record of entry name in a torch.save archive. */
static unsigned char *central(unsigned char *buf, size_t n, const char *name) {
  size_t len = strlen(name);
  for (size_t i = 0; i + 46 + len <= n; i++)
    if (!memcmp(buf + i, "PK\1\2", 4) && buf[i + 28] == len && !memcmp(buf + i + 46, name, len))
      return buf + i;
  return NULL;
}

static void check_zips(void) {
  static const char pkl[] = "\x80\x02}.";
  const zip_entry_t ok = {"a/data.pkl", pkl, 4, 0, 0};
  zip_entry_t e[2] = {ok, ok};
  e[0].method = 8;
  check_zip_refused("data.pkl deflated", e, 1, EE_ERR_UNSUPPORTED, "is compressed (method 8)");
  e[0] = ok, e[0].flags = 1;
  check_zip_refused("data.pkl encrypted", e, 1, EE_ERR_UNSUPPORTED, "a/data.pkl is encrypted");
  e[0] = ok, e[1] = (zip_entry_t){"a/byteorder", "big", 3, 0, 0};
  check_zip_refused("byteorder big", e, 2, EE_ERR_UNSUPPORTED, "a big-endian checkpoint");
  e[0] = (zip_entry_t){"a/version", "3\n", 2, 0, 0};
  check_zip_refused("no data.pkl", e, 1, EE_ERR_FORMAT, "without <dir>/data.pkl");
  e[0] = ok, e[1] = (zip_entry_t){"b/data.pkl", pkl, 4, 0, 0};
  check_zip_refused("two data.pkl", e, 2, EE_ERR_FORMAT, "more than one data.pkl");
  e[0] = ok;
  check_zip_refused("a dict without tensors", e, 1, EE_ERR_FORMAT, "holds no tensors");
  e[0] = (zip_entry_t){"a/data.pkl", NULL, (64u << 20) + 1, 0, 0}; /* sparse: no disk used */
  check_zip_refused("a 64 MB + 1 data.pkl", e, 1, EE_ERR_FORMAT, "over the 64 MB limit");

  /* a storage entry renamed (noncontig.bin's one, noncontig/data/0), or shortened */
  size_t n = 0;
  unsigned char *buf = (unsigned char *)check_slurp(FIX "/noncontig.bin", &n), *cd = NULL;
  CHECK(buf && (cd = central(buf, n, "noncontig/data/0")) != NULL, "noncontig.bin's data/0 found");
  if (!cd) {
    free(buf);
    return;
  }
  st_file f = {0};
  ee_error err = {0};
  cd[46 + 15] = '7';
  CHECK(tb_parse(&f, "x.bin", buf, n, &err) == EE_ERR_FORMAT, "a storage without its entry");
  CHECK_STR_CONTAINS(err.msg, "storage 0 has no entry noncontig/data/0", "  the message");
  st_close(&f);
  free(buf);
  /* formats.bin's f32, [2, 3], in formats/data/0 */
  buf = (unsigned char *)check_slurp(FIX "/formats.bin", &n);
  CHECK(buf && (cd = central(buf, n, "formats/data/0")) != NULL, "formats.bin's data/0 found");
  if (!cd) {
    free(buf);
    return;
  }
  put32(cd + 20, 8), put32(cd + 24, 8);
  memset(&err, 0, sizeof err);
  CHECK(tb_parse(&f, "x.bin", buf, n, &err) == EE_ERR_FORMAT, "a storage entry of 8 bytes for 6 floats");
  CHECK_STR_CONTAINS(err.msg, "tensor 'f32' in x.bin: [2, 3] at element 0 runs past its storage 0 "
                     "(2 elements; truncated file?)", "  the message");
  st_close(&f);
  free(buf);
}

/* 3b': torch objects that are not what torch.save writes, in an archive
** with one storage a/data/0 of 8 bytes.  Pickle pieces: */
#define P_REBUILD "ctorch._utils\n_rebuild_tensor_v2\n"
#define P_PID(type) "(X\x07\0\0\0storagectorch\n" type "\nX\x01\0\0\0" "0X\x03\0\0\0cpuK\x02tQ"
#define P_TENSOR(type) P_REBUILD "(" P_PID(type) "K\x00K\x02\x85K\x01\x85\x89}tR"
#define P_NAME_W "X\x01\0\0\0w"

static void check_pickle_zip(const char *label, const char *pkl, size_t n, ee_status code,
                             const char *needle) {
  static const float storage[2] = {1.0f, 2.0f};
  zip_entry_t e[2] = {{"a/data.pkl", pkl, n, 0, 0}, {"a/data/0", storage, 8, 0, 0}};
  check_zip_refused(label, e, 2, code, needle);
}
#define PICKLE_ZIP(label, pkl, code, needle) check_pickle_zip(label, pkl, sizeof pkl - 1, code, needle)

static void check_torch_objects(void) {
  /* the well-formed one first: the harness can tell a refusal from a typo */
  static const char good[] = "\x80\x02}(" P_NAME_W P_TENSOR("FloatStorage") "u.";
  PICKLE_ZIP("a well-formed hand-written archive (control)", good, EE_OK, "");
  static const char complex[] = "\x80\x02}(" P_NAME_W P_TENSOR("ComplexFloatStorage") "u.";
  PICKLE_ZIP("a complex storage", complex, EE_ERR_UNSUPPORTED,
             "storage type torch.ComplexFloatStorage is not supported");
  static const char short_pid[] = "\x80\x02}(" P_NAME_W P_REBUILD
                                  "((X\x07\0\0\0storageK\x01tQK\x00K\x02\x85K\x01\x85\x89}tRu.";
  PICKLE_ZIP("a storage reference of 2", short_pid, EE_ERR_FORMAT,
             "a persistent reference that is not a ('storage', ...) tuple of 5");
  static const char twice[] = "\x80\x02}(" P_NAME_W P_TENSOR("FloatStorage") P_NAME_W
                              P_TENSOR("FloatStorage") "u.";
  PICKLE_ZIP("one name twice", twice, EE_ERR_FORMAT, "tensor 'w' appears twice");
  static const char int_name[] = "\x80\x02}(K\x01" P_TENSOR("FloatStorage") "u.";
  PICKLE_ZIP("a tensor named by an int", int_name, EE_ERR_FORMAT,
             "a tensor whose name is not a string");
  static const char param[] = "\x80\x02}(" P_NAME_W
                              "ctorch._utils\n_rebuild_parameter\n(K\x01\x88}tRu.";
  PICKLE_ZIP("a parameter of an int", param, EE_ERR_FORMAT, "a parameter that holds no tensor");
  static const char dims[] = "\x80\x02}(" P_NAME_W P_REBUILD "(" P_PID("FloatStorage")
                             "K\x00K\x02\x85K\x01K\x01\x86\x89}tRu.";
  PICKLE_ZIP("sizes of 1, strides of 2", dims, EE_ERR_FORMAT,
             "a tensor without a storage, an offset, and sizes and strides of the same length");
  static const char list[] = "\x80\x02].";
  PICKLE_ZIP("a list at the top", list, EE_ERR_FORMAT, "holds a list, not a dict of tensors");
  static const char eval[] = "\x80\x02}(" P_NAME_W "cbuiltins\neval\nX\x01\0\0\0" "1\x85Ru.";
  PICKLE_ZIP("builtins.eval", eval, EE_ERR_UNSUPPORTED, "refusing to call builtins.eval");
}

/* 3c: legacy files whose header pickles are not torch's. */
static void check_legacy_header(const char *label, size_t at, unsigned char value, ee_status code,
                                const char *needle) {
  size_t n = 0;
  unsigned char *buf = (unsigned char *)check_slurp(FIX "/legacy.bin", &n);
  CHECK(buf && at < n, "%s: byte %zu in legacy.bin", label, at);
  if (!buf || at >= n) {
    free(buf);
    return;
  }
  buf[at] = value;
  st_file f = {0};
  ee_error err = {0};
  CHECK_EQ_INT(tb_parse(&f, "x.bin", buf, n, &err), code, "%s: refused", label);
  CHECK_STR_CONTAINS(err.msg, needle, "%s: the message", label);
  st_close(&f);
  free(buf);
}

static void check_legacy(void) {
  size_t n = 0;
  unsigned char *buf = (unsigned char *)check_slurp(FIX "/legacy.bin", &n);
  /* \x80\x02 LONG1 10 <magic> . \x80\x02 BININT2 1001 . ... 'little_endian' [BINPUT k] NEWTRUE */
  CHECK(buf && n > 20 && buf[2] == 0x8a && buf[17] == 'M' && buf[18] == 0xe9 && buf[19] == 0x03,
        "legacy.bin starts with the magic number and protocol 1001");
  unsigned char *le = buf ? memmem(buf, n, "little_endian", 13) : NULL;
  size_t true_at = 0;
  for (size_t i = le ? (size_t)(le - buf) + 13 : n; i < n && i < (size_t)(le - buf) + 20; i++)
    if (buf[i] == 0x88) {
      true_at = i;
      break;
    }
  CHECK(true_at > 0, "legacy.bin's sys_info says little_endian True");
  free(buf);
  check_legacy_header("a wrong magic number", 5, 0x00, EE_ERR_FORMAT,
                      "not a PyTorch checkpoint (neither a zip archive nor torch's legacy format");
  check_legacy_header("protocol 1002", 18, 0xea, EE_ERR_UNSUPPORTED, "legacy checkpoint protocol 1002");
  if (true_at)
    check_legacy_header("little_endian False", true_at, 0x89, EE_ERR_UNSUPPORTED,
                        "a big-endian checkpoint");
}

/* 4: the machine on hand-written pickles. */
static ee_status refuse_reduce(void *ctx, pk_machine *m, const pk_value *fn, pk_value *args,
                               pk_value **out, ee_error *err) {
  (void)ctx, (void)m, (void)args, (void)out;
  return ee_set_error(err, EE_ERR_UNSUPPORTED, "called %.*s.%.*s", (int)fn->n, fn->s,
                      (int)fn->n2, fn->s2);
}

static ee_status run(const char *bytes, size_t n, pk_machine *m, pk_value **out, ee_error *err) {
  pk_hooks h = {NULL, NULL, refuse_reduce};
  size_t used;
  pk_init(m);
  return pk_load(m, (const unsigned char *)bytes, n, "test.pkl", &h, &used, out, err);
}

static void check_pickle_bad(const char *label, const char *bytes, size_t n, const char *needle) {
  pk_machine m;
  pk_value *out = NULL;
  ee_error err = {0};
  ee_status rc = run(bytes, n, &m, &out, &err);
  CHECK(rc != EE_OK, "pickle %s: an error", label);
  CHECK_STR_CONTAINS(err.msg, needle, "pickle %s: the message", label);
  pk_free(&m);
}

static void check_pickles(void) {
  /* pickle.dumps({'a': [1, -2, 300000, 2**40, 1.5, 'xy', None, True],
  ** 'b': ('a', 'a')}, protocol=2): the tuple's two 'a' are BINGETs of the memo. */
  static const char good[] = {
      '\x80', '\x02', '\x7d', '\x71', '\x00', '\x28', '\x58', '\x01', '\x00', '\x00', '\x00', '\x61',
      '\x71', '\x01', '\x5d', '\x71', '\x02', '\x28', '\x4b', '\x01', '\x4a', '\xfe', '\xff', '\xff',
      '\xff', '\x4a', '\xe0', '\x93', '\x04', '\x00', '\x8a', '\x06', '\x00', '\x00', '\x00', '\x00',
      '\x00', '\x01', '\x47', '\x3f', '\xf8', '\x00', '\x00', '\x00', '\x00', '\x00', '\x00', '\x58',
      '\x02', '\x00', '\x00', '\x00', '\x78', '\x79', '\x71', '\x03', '\x4e', '\x88', '\x65', '\x58',
      '\x01', '\x00', '\x00', '\x00', '\x62', '\x71', '\x04', '\x68', '\x01', '\x68', '\x01', '\x86',
      '\x71', '\x05', '\x75', '\x2e'};
  pk_machine m;
  pk_value *v = NULL;
  ee_error err = {0};
  ee_status rc = run(good, sizeof good, &m, &v, &err);
  CHECK_EQ_INT(rc, EE_OK, "a protocol-2 pickle of a dict, list, ints, float, str, None, bool (%s)",
               err.msg);
  if (rc == EE_OK) {
    CHECK(v->kind == PK_DICT && v->count == 4, "  a dict of two");
    const pk_value *a = v->items[1];
    CHECK(pk_is_str(v->items[0], "a") && a->kind == PK_LIST && a->count == 8, "  'a' a list of 8");
    if (a->kind == PK_LIST && a->count == 8) {
      CHECK(a->items[0]->i == 1 && a->items[1]->i == -2 && a->items[2]->i == 300000 &&
                a->items[3]->i == (int64_t)1 << 40,
            "  its ints: 1, -2, 300000, 2**40");
      CHECK(a->items[4]->kind == PK_FLOAT && a->items[4]->f == 1.5, "  its float 1.5");
      CHECK(pk_is_str(a->items[5], "xy") && a->items[6]->kind == PK_NONE &&
                a->items[7]->kind == PK_BOOL && a->items[7]->i == 1,
            "  'xy', None, True");
    }
    const pk_value *b = v->items[3];
    CHECK(b->kind == PK_TUPLE && b->count == 2 && b->items[0] == v->items[0] &&
              b->items[1] == v->items[0],
          "  'b' a tuple whose items are the memo's 'a'");
  }
  pk_free(&m);

  check_pickle_bad("empty", "", 0, "without STOP");
  check_pickle_bad("STOP of nothing", ".", 1, "STOP without exactly one value");
  check_pickle_bad("two values at STOP", "NN.", 3, "STOP without exactly one value");
  check_pickle_bad("unknown opcode", "\x80\x02S'x'\n.", 8, "unsupported pickle opcode");
  check_pickle_bad("protocol 9", "\x80\x09N.", 4, "unknown pickle protocol");
  check_pickle_bad("memo of nothing", "h\x05.", 3, "memo reference to nothing");
  check_pickle_bad("memo index huge", "Nr\xff\xff\xff\xff.", 7, "memo index too large");
  check_pickle_bad("string past the end", "X\xff\xff\x00\x00" "ab.", 8, "string runs past the end");
  check_pickle_bad("SETITEMS on a list", "](K\x01K\x02u.", 8, "SETITEMS on something not a dict");
  check_pickle_bad("odd SETITEMS", "}(K\x01u.", 6, "odd number");
  check_pickle_bad("APPENDS to a dict", "}(K\x01" "e.", 6, "APPENDS to something not a list");
  check_pickle_bad("APPEND without a list", "K\x01K\x02" "a.", 6, "APPEND to something not a list");
  check_pickle_bad("TUPLE without MARK", "K\x01t.", 4, "container without a MARK");
  check_pickle_bad("TUPLE2 across a MARK", "K\x01(K\x02\x86.", 7, "tuple from an empty stack");
  check_pickle_bad("STOP inside a MARK", "(N.", 3, "STOP inside a MARK");
  check_pickle_bad("REDUCE of a non-global", "K\x01)R.", 5, "REDUCE of something not a global");
  check_pickle_bad("REDUCE of os.system", "cos\nsystem\nX\x02\x00\x00\x00ls\x85R.", 22,
                   "called os.system");
  check_pickle_bad("persistent id unexpected", "NQ.", 3, "persistent reference where none");
  check_pickle_bad("GLOBAL without newline", "cos\nsys", 7, "GLOBAL past the end");
  check_pickle_bad("LONG1 cut", "\x8a\x08\x01\x02", 4, "LONG1 runs past the end");

  /* 100,000 nested MARKs and lists: memory, not recursion. */
  size_t n = 200000 + 1;
  char *deep = malloc(n);
  for (size_t i = 0; i < 100000; i++) deep[2 * i] = '(', deep[2 * i + 1] = ']';
  deep[n - 1] = '.';
  check_pickle_bad("100,000 open MARKs", deep, n, "STOP inside a MARK");
  free(deep);
}

/* 5: whole models, torch.save's weights against safetensors'. */
static int embed_model(const char *dir, int n, const char *const *texts, float **out, int *dims) {
  ee_params p = ee_default_params();
  p.threads = 1;
  ee_model *model = NULL;
  ee_error err = {0};
  if (ee_model_load(dir, &p, &model, &err) != EE_OK) {
    printf("# %s: %s\n", dir, err.msg);
    return 0;
  }
  *dims = ee_model_dims(model);
  *out = calloc((size_t)n * (size_t)*dims, sizeof **out);
  size_t lens[8];
  for (int i = 0; i < n; i++) lens[i] = strlen(texts[i]);
  ee_context *ctx = ee_context_new(model);
  ee_status rc = ctx ? ee_embed_texts(ctx, n, texts, lens, *out, &err) : EE_ERR_NOMEM;
  ee_context_free(ctx);
  ee_model_free(model);
  return rc == EE_OK;
}

static void check_model(const char *shape) {
  const char *models = getenv("TEST_MODELS") ? getenv("TEST_MODELS") : "build/test-models";
  char src[512], dst[512], cmd[2048];
  snprintf(src, sizeof src, "%s/%s", models, shape);
  snprintf(dst, sizeof dst, "%s/%s-torch-bin", models, shape);
  snprintf(cmd, sizeof cmd, "sh tests/tools/torch_bin_model.sh '%s' '" FIX "/%s' '%s'", src, shape,
           dst);
  CHECK(system(cmd) == 0, "%s: a copy with pytorch_model.bin made", shape);
  static const char *const texts[] = {
      "Hello, world!", "", "the quick brown fox", "Café déjà vu 東京 🙂",
      "a much longer text that goes on and on to make several dozen tokens for the encoder"};
  float *a = NULL, *b = NULL;
  int da = 0, db = 0;
  CHECK(embed_model(src, 5, texts, &a, &da), "%s: safetensors embeds", shape);
  CHECK(embed_model(dst, 5, texts, &b, &db), "%s: pytorch_model.bin embeds", shape);
  CHECK(a && b && da == db && da > 0 && memcmp(a, b, sizeof *a * 5 * (size_t)da) == 0,
        "%s: the same vectors, bit for bit (%d dims)", shape, da);
  if (!strcmp(shape, "xlmr")) { /* the same file as the one shard of pytorch_model.bin.index.json */
    char from[600], to[640], index[640];
    snprintf(from, sizeof from, "%s/pytorch_model.bin", dst);
    snprintf(to, sizeof to, "%s/pytorch_model-00001-of-00001.bin", dst);
    snprintf(index, sizeof index, "%s/pytorch_model.bin.index.json", dst);
    st_file f;
    ee_error err = {0};
    int ok = tb_open(&f, from, &err) == EE_OK;
    FILE *out = ok ? fopen(index, "w") : NULL;
    if (out) {
      fprintf(out, "{\"metadata\": {}, \"weight_map\": {");
      for (int i = 0; i < f.n_tensors; i++)
        fprintf(out, "%s\"%s\": \"pytorch_model-00001-of-00001.bin\"", i ? ", " : "",
                f.tensors[i].name);
      fprintf(out, "}}\n");
      fclose(out);
    }
    if (ok) st_close(&f);
    CHECK(out && rename(from, to) == 0, "xlmr: pytorch_model.bin moved into a shard and its index");
    float *c = NULL;
    int dc = 0;
    CHECK(embed_model(dst, 5, texts, &c, &dc), "xlmr: the sharded pytorch_model.bin embeds");
    CHECK(a && c && dc == da && memcmp(a, c, sizeof *a * 5 * (size_t)da) == 0,
          "xlmr: sharded, the same vectors, bit for bit");
    free(c);
  }
  free(a);
  free(b);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dst);
  CHECK(system(cmd) == 0, "%s: copy removed", shape);
}

int main(void) {
  check_fixture("formats");
  check_fixture("legacy");
  check_fixture("proto4");
  check_fixture("statedict");
  check_refused("noncontig", EE_ERR_UNSUPPORTED, "is not stored contiguously");
  check_refused("evil", EE_ERR_UNSUPPORTED, "refusing to call posix.system");
  check_refused("nested", EE_ERR_FORMAT, "holds no tensors at its top level");
  check_damage("formats");
  check_damage("legacy");
  check_zips();
  check_torch_objects();
  check_legacy();
  check_pickles();
  check_model("xlmr");
  check_model("dense");
  return check_finish();
}
