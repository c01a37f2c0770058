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
**    runs under ASan in make test-asan).
** 4. The pickle machine itself on hand-written pickles: what it builds and
**    each malformed program's error.
** 5. Whole models: the xlmr and dense test models with their weights as
**    torch.save files embed exactly as with model.safetensors, bit for bit.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "../../engine/engine_int.h"
#include "check.h"

#define FIX "tests/fixtures/torch_bin"

static unsigned char *read_all(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc(size > 0 ? (size_t)size : 1);
  if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *n = (size_t)size;
  return buf;
}

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
  unsigned char *buf = read_all(bin, &n);
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
  check_pickles();
  check_model("xlmr");
  check_model("dense");
  return check_finish();
}
