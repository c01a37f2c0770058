/*
** fuzz_ggml_blocks.c — libFuzzer target for the GGUF block dequantizers
** (engine/ggml_blocks.c) on arbitrary bits.
**
**   make fuzz FUZZ_TARGETS=fuzz_ggml_blocks
**
** Input: byte 0 picks the block type (Q8_0 .. IQ4_XS), the rest is cut to
** whole blocks and dequantized.  gguf.c only hands over whole blocks inside
** the file, so that is what this feeds; every bit pattern of a block is
** legal except a float16 scale that is Inf or NaN.  Checked: a clean return
** leaves every value finite (no scale can overflow a float: |d| <= 65504
** times at most 127 * 63), and a reported bad scale is at a block boundary
** inside the tensor.
*/
#include "../../engine/engine_int.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const st_dtype TYPES[] = {ST_Q8_0, ST_Q4_0, ST_Q4_1, ST_Q5_0, ST_Q5_1, ST_Q2_K,
                                 ST_Q3_K, ST_Q4_K, ST_Q5_K, ST_Q6_K, ST_IQ4_NL, ST_IQ4_XS};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const st_dtype t = TYPES[data[0] % (sizeof TYPES / sizeof *TYPES)];
  const int values = gb_block_values(t), bytes = gb_block_bytes(t);
  if (values <= 0 || bytes <= 0) abort();
  const int64_t blocks = (int64_t)(size - 1) / bytes, numel = blocks * values;
  if (st_tensor_bytes(t, numel) != blocks * bytes) abort();
  /* a copy of exactly the blocks, so ASan sees any read past them */
  unsigned char *src = malloc((size_t)(blocks * bytes) + 1);
  float *dst = malloc(sizeof(float) * (size_t)(numel ? numel : 1));
  if (!src || !dst) abort();
  memcpy(src, data + 1, (size_t)(blocks * bytes));
  int64_t bad = gb_dequantize(t, src, numel, dst);
  if (bad == -1) {
    for (int64_t i = 0; i < numel; i++)
      if (!isfinite(dst[i])) abort();
  } else if (bad < 0 || bad >= numel || bad % values != 0) {
    abort();
  }
  free(src);
  free(dst);
  return 0;
}
