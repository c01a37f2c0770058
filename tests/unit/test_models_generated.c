/*
** test_models_generated.c — the models CI generates with build/tools/gen_model
** are the reference's models: the sha256 of every safetensors file in
** build/test-models/<shape>/ must equal the value recorded in
** tests/fixtures/models/<shape>/golden.json ("files"), which
** tests/models/make_golden.py computed from its own (Python) generator.
** Names are paths relative to the model directory: the dense shape's
** sentence-transformers Dense modules are "2_Dense/model.safetensors" and
** "3_Dense/model.safetensors" (distil: "2_Dense/model.safetensors"), and
** every module its golden.json lists under "dense" must have its file's hash
** recorded.  The cross-encoders (rerank, rerank_xlmr, rerank_modernbert,
** rerank_gte, rerank_jina) keep their head in model.safetensors, next to
** the encoder.
**
** Env: TEST_MODELS (default build/test-models), GOLDEN_DIR (default
** tests/fixtures/models).  Run from the repository root.
*/
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* ---- SHA-256 (FIPS 180-4) ---- */
typedef struct {
  uint32_t h[8];
  uint64_t len;
  unsigned char buf[64];
  size_t n;
} Sha256;

static const uint32_t K256[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(Sha256 *s, const unsigned char *p) {
  uint32_t w[64], a, b, c, d, e, f, g, h;
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
    uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
  }
  s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
  s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha_init(Sha256 *s) {
  static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->h, h0, sizeof h0);
  s->len = 0;
  s->n = 0;
}

static void sha_update(Sha256 *s, const unsigned char *p, size_t n) {
  s->len += n;
  while (n > 0) {
    if (s->n == 0 && n >= 64) {
      sha_block(s, p);
      p += 64, n -= 64;
      continue;
    }
    size_t k = 64 - s->n < n ? 64 - s->n : n;
    memcpy(s->buf + s->n, p, k);
    s->n += k, p += k, n -= k;
    if (s->n == 64) {
      sha_block(s, s->buf);
      s->n = 0;
    }
  }
}

static void sha_hex(Sha256 *s, char out[65]) {
  uint64_t bits = s->len * 8;
  unsigned char pad[72] = {0x80};
  size_t padlen = (s->n < 56 ? 56 : 120) - s->n;
  for (int i = 0; i < 8; i++) pad[padlen + i] = (unsigned char)(bits >> (56 - 8 * i));
  sha_update(s, pad, padlen + 8);
  for (int i = 0; i < 8; i++) snprintf(out + 8 * i, 9, "%08x", s->h[i]);
}

/* 0 on success; out = lowercase hex digest */
static int sha256_file(const char *path, char out[65]) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  Sha256 s;
  sha_init(&s);
  static unsigned char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) sha_update(&s, buf, n);
  int err = ferror(f);
  fclose(f);
  if (err) return -1;
  sha_hex(&s, out);
  return 0;
}

static void sha256_str(const char *str, char out[65]) {
  Sha256 s;
  sha_init(&s);
  sha_update(&s, (const unsigned char *)str, strlen(str));
  sha_hex(&s, out);
}

int main(void) {
  const char *models = getenv("TEST_MODELS");
  const char *golden = getenv("GOLDEN_DIR");
  if (!models || !*models) models = "build/test-models";
  if (!golden || !*golden) golden = "tests/fixtures/models";
  static const char *const shapes[] = {"minilm", "bge", "multi", "f16", "bf16", "dense", "instr", "distil", "mpnet",
                                       "xlmr", "xlmroberta", "roberta", "nomic", "rerank", "rerank_xlmr",
                                       "modernbert", "rerank_modernbert", "gte", "rerank_gte", "jina",
                                       "rerank_jina", "jina_code", "nomic_moe"};

  /* the hash itself, on the FIPS 180-2 test vectors */
  char hex[65];
  sha256_str("abc", hex);
  CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0,
        "sha256(\"abc\")");
  sha256_str("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", hex);
  CHECK(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0,
        "sha256(448-bit message)");

  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/golden.json", golden, shapes[i]);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    CHECK(root != NULL, "%s: golden.json loads (%s)", shapes[i], root ? path : err.text);
    if (!root) continue;
    json_t *files = json_object_get(root, "files");
    CHECK(json_is_object(files) && json_object_size(files) > 0, "%s: golden.json lists safetensors files",
          shapes[i]);
    /* a Dense module whose file were missing from "files" would go unchecked */
    json_t *dense = json_object_get(root, "dense");
    size_t di;
    json_t *dm;
    json_array_foreach(dense, di, dm) {
      const char *dpath = json_string_value(json_object_get(dm, "path"));
      snprintf(path, sizeof path, "%s/model.safetensors", dpath ? dpath : "(no path)");
      CHECK(dpath && json_object_get(files, path) != NULL, "%s: golden.json lists %s", shapes[i], path);
    }
    const char *name;
    json_t *val;
    json_object_foreach(files, name, val) {
      const char *want = json_string_value(val);
      /* names are joined to the model directory as they are: keep them inside it */
      CHECK(name[0] != '/' && strstr(name, "..") == NULL, "%s: %s is a relative path inside the model", shapes[i],
            name);
      snprintf(path, sizeof path, "%s/%s/%s", models, shapes[i], name);
      int rc = sha256_file(path, hex);
      CHECK(rc == 0, "%s: %s exists (generate with build/tools/gen_model --shape %s --out %s/%s)", shapes[i],
            path, shapes[i], models, shapes[i]);
      if (rc != 0) continue;
      CHECK(want && strcmp(hex, want) == 0, "%s: sha256(%s) = %s (golden %s)", shapes[i], name, hex,
            want ? want : "(missing)");
    }
    json_decref(root);
  }
  return check_finish();
}
