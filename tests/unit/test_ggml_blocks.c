/*
** test_ggml_blocks.c — engine/ggml_blocks.c against llama.cpp's own library.
**
**   build/tests/test_ggml_blocks            (from the repository root)
**
** tests/fixtures/ggml_blocks/ holds, per type, a matrix that llama.cpp's
** ggml_quantize_chunk turned into blocks (TYPE.q) and the floats llama.cpp's
** dequantize_row_TYPE gives back for them (TYPE.f32); both were written by
** tests/scripts/make_ggml_blocks.py through libggml-base.so, never by this
** project's code.  Every float must come back bit for bit.  Then, per type,
** each float16 scale of a block set to Inf or NaN must be reported at that
** block, and the block sizes must agree with the files.
*/
#include "../../engine/engine_int.h"
#include "check.h"
#include <math.h>

#define DIR "tests/fixtures/ggml_blocks/"

typedef struct {
  const char *name;             /* as in manifest.txt (ggml's type name) */
  st_dtype dtype;
  int scale_offsets[2];         /* byte offsets of the block's float16 scales (-1: none) */
} block_type;

/* Offsets from the block structs of ggml-common.h. */
static const block_type TYPES[] = {
  {"q4_0", ST_Q4_0, {0, -1}},   {"q4_1", ST_Q4_1, {0, 2}},     {"q5_0", ST_Q5_0, {0, -1}},
  {"q5_1", ST_Q5_1, {0, 2}},    {"q8_0", ST_Q8_0, {0, -1}},    {"q2_K", ST_Q2_K, {80, 82}},
  {"q3_K", ST_Q3_K, {108, -1}}, {"q4_K", ST_Q4_K, {0, 2}},     {"q5_K", ST_Q5_K, {0, 2}},
  {"q6_K", ST_Q6_K, {208, -1}}, {"iq4_nl", ST_IQ4_NL, {0, -1}}, {"iq4_xs", ST_IQ4_XS, {0, -1}},
};
#define N_TYPES (int)(sizeof TYPES / sizeof *TYPES)

static const block_type *find_type(const char *name) {
  for (int i = 0; i < N_TYPES; i++)
    if (!strcmp(TYPES[i].name, name)) return &TYPES[i];
  return NULL;
}

/* Dequantize the fixture of one type and compare with llama.cpp's floats. */
static void check_type(const block_type *bt, long rows, long cols) {
  char path[256];
  size_t qlen = 0, flen = 0;
  snprintf(path, sizeof path, DIR "%s.q", bt->name);
  unsigned char *q = (unsigned char *)check_slurp(path, &qlen);
  snprintf(path, sizeof path, DIR "%s.f32", bt->name);
  float *want = (float *)(void *)check_slurp(path, &flen);
  const int64_t numel = (int64_t)rows * cols;
  CHECK(q && want, "%s: fixture files read", bt->name);
  if (!q || !want) goto done;
  CHECK_EQ_INT(st_tensor_bytes(bt->dtype, numel), qlen, "%s: %ld x %ld values are %zu bytes of blocks",
               bt->name, rows, cols, qlen);
  CHECK_EQ_INT(flen, 4 * numel, "%s: %lld floats from llama.cpp", bt->name, (long long)numel);
  if ((size_t)st_tensor_bytes(bt->dtype, numel) != qlen || flen != (size_t)(4 * numel)) goto done;

  float *got = malloc(sizeof(float) * (size_t)numel);
  CHECK_EQ_INT(gb_dequantize(bt->dtype, q, numel, got), -1, "%s: no bad scale", bt->name);
  int64_t first = -1, differ = 0;
  for (int64_t i = 0; i < numel; i++)
    if (memcmp(&got[i], &want[i], 4) != 0) {
      if (first < 0) first = i;
      differ++;
    }
  CHECK(differ == 0, "%s: all %lld values are llama.cpp's bit for bit (%lld differ; first at %lld: "
        "%.9g, llama.cpp %.9g)", bt->name, (long long)numel, (long long)differ, (long long)first,
        first >= 0 ? got[first] : 0.0, first >= 0 ? want[first] : 0.0);
  /* the fixture reaches the format: not all zero, some values negative and positive */
  int pos = 0, neg = 0;
  for (int64_t i = 0; i < numel; i++) pos += want[i] > 0, neg += want[i] < 0;
  CHECK(pos > numel / 4 && neg > numel / 4, "%s: the fixture has both signs (%d > 0, %d < 0)",
        bt->name, pos, neg);

  /* an Inf or NaN scale in the third block is reported at that block */
  const int values = gb_block_values(bt->dtype), bytes = gb_block_bytes(bt->dtype);
  for (int s = 0; s < 2; s++) {
    int off = bt->scale_offsets[s];
    if (off < 0) continue;
    static const uint16_t BAD[] = {0x7c00, 0xfc00, 0x7e00};
    for (int b = 0; b < 3; b++) {
      unsigned char *patched = malloc(qlen);
      memcpy(patched, q, qlen);
      patched[2 * bytes + off] = (unsigned char)(BAD[b] & 0xff);
      patched[2 * bytes + off + 1] = (unsigned char)(BAD[b] >> 8);
      CHECK_EQ_INT(gb_dequantize(bt->dtype, patched, numel, got), 2 * values,
                   "%s: scale at byte %d of block 2 = 0x%04x is reported at value %d", bt->name,
                   off, BAD[b], 2 * values);
      free(patched);
    }
  }
  free(got);
done:
  free(q);
  free(want);
}

int main(void) {
  size_t len = 0;
  char *manifest = check_slurp(DIR "manifest.txt", &len);
  CHECK(manifest != NULL, "manifest.txt read");
  if (!manifest) return check_finish();
  int seen = 0;
  for (char *line = strtok(manifest, "\n"); line; line = strtok(NULL, "\n")) {
    char name[32];
    int id;
    long rows, cols;
    if (sscanf(line, "%31s %d %ld %ld", name, &id, &rows, &cols) != 4) continue;
    const block_type *bt = find_type(name);
    CHECK(bt != NULL, "manifest type %s is one the engine reads", name);
    if (!bt) continue;
    CHECK_EQ_INT(gb_block_values(bt->dtype) > 0 && cols % gb_block_values(bt->dtype) == 0, 1,
                 "%s: rows of %ld are whole blocks of %d", name, cols, gb_block_values(bt->dtype));
    check_type(bt, rows, cols);
    seen++;
  }
  CHECK_EQ_INT(seen, N_TYPES, "every block type the engine reads has a fixture");
  /* other dtypes are no block types */
  CHECK(gb_block_values(ST_F32) == 0 && gb_block_bytes(ST_BF16) == 0 && gb_name(ST_F16) == NULL,
        "F32, F16, BF16 are not block types");
  CHECK(!strcmp(st_dtype_name(ST_Q4_K), "Q4_K") && !strcmp(st_dtype_name(ST_IQ4_XS), "IQ4_XS") &&
        !strcmp(st_dtype_name(ST_F32), "F32"), "st_dtype_name names block types");
  free(manifest);
  return check_finish();
}
