/*
** ggml_blocks.c — llama.cpp's quantized tensor types, turned back into floats.
**
** A GGUF file from `llama-quantize` (Q4_K_M, Q5_0, IQ4_XS, ...) stores each
** row of a weight as blocks: a few float16 scales and packed small integers.
** The engine multiplies in fp32 (or its own bf16/int8, from fp32), so gguf.c
** maps the file and weights.c calls gb_dequantize once per tensor at load.
**
** Each layout below is the block struct of ggml's ggml-common.h, and each
** value is computed with the same float operations in the same order as
** ggml's dequantize_row_<type> (ggml-quants.c), so the floats are ggml's bit
** for bit: tests/unit/test_ggml_blocks.c checks every type against floats
** that llama.cpp's own library produced (tests/scripts/make_ggml_blocks.py).
** Every block is read whole from a buffer the caller has bounds-checked
** (st_tensor_bytes), and every float16 scale is checked finite.
*/
#include "engine_int.h"
#include <string.h>

typedef struct gb_format {
  const char *name;
  int values;                   /* per block */
  int bytes;                    /* per block */
} gb_format;

static const gb_format FORMATS[ST_DTYPE_COUNT] = {
  [ST_Q4_0] = {"Q4_0", 32, 18},     [ST_Q4_1] = {"Q4_1", 32, 20},
  [ST_Q5_0] = {"Q5_0", 32, 22},     [ST_Q5_1] = {"Q5_1", 32, 24},
  [ST_Q8_0] = {"Q8_0", 32, 34},     [ST_Q2_K] = {"Q2_K", 256, 84},
  [ST_Q3_K] = {"Q3_K", 256, 110},   [ST_Q4_K] = {"Q4_K", 256, 144},
  [ST_Q5_K] = {"Q5_K", 256, 176},   [ST_Q6_K] = {"Q6_K", 256, 210},
  [ST_IQ4_NL] = {"IQ4_NL", 32, 18}, [ST_IQ4_XS] = {"IQ4_XS", 256, 136},
};

int gb_block_values(st_dtype t) { return (unsigned)t < ST_DTYPE_COUNT ? FORMATS[t].values : 0; }
int gb_block_bytes(st_dtype t) { return (unsigned)t < ST_DTYPE_COUNT ? FORMATS[t].bytes : 0; }
const char *gb_name(st_dtype t) { return (unsigned)t < ST_DTYPE_COUNT ? FORMATS[t].name : NULL; }

/* The float16 at p, or 0 with *bad set when it is Inf or NaN. */
static float half_at(const unsigned char *p, int *bad) {
  uint16_t h = (uint16_t)(p[0] | p[1] << 8);
  if (((h >> 10) & 0x1f) == 0x1f) {
    *bad = 1;
    return 0;
  }
  return ee_f16_to_f32(h);
}

/* IQ4_NL's 16 levels: a non-uniform 4-bit grid (ggml-common.h kvalues_iq4nl). */
static const int8_t IQ4_LEVELS[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                      1,    13,   25,  38,  53,  69,  89,  113};

/* Q4_K and Q5_K pack eight 6-bit scales and eight 6-bit mins into 12 bytes:
** the first four of each whole in bytes 0-7, the last four split between
** the low or high nibble of bytes 8-11 and the top two bits of bytes 0-7. */
static void k4_scale_min(int j, const unsigned char *q, int *scale, int *min) {
  if (j < 4) {
    *scale = q[j] & 63;
    *min = q[j + 4] & 63;
  } else {
    *scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

/* 32 values from 16 bytes of nibbles (low nibbles first) and, for the 5-bit
** types, 32 high bits; x = q * d + m or (q - offset) * d. */
static void block_32(const unsigned char *qs, uint32_t high, int offset, float d, float m,
                     int has_min, float *y) {
  for (int j = 0; j < 16; j++) {
    int x0 = (int)((qs[j] & 0x0F) | (((high >> j) << 4) & 0x10)) - offset;
    int x1 = (int)((qs[j] >> 4) | ((high >> (j + 12)) & 0x10)) - offset;
    if (has_min) {
      y[j] = (float)x0 * d + m;
      y[j + 16] = (float)x1 * d + m;
    } else {
      y[j] = (float)x0 * d;
      y[j + 16] = (float)x1 * d;
    }
  }
}

static void q2_k(const unsigned char *b, float *y, int *bad) {
  const unsigned char *scales = b, *q = b + 16;
  const float d = half_at(b + 80, bad), min = half_at(b + 82, bad);
  int is = 0;
  for (int n = 0; n < 256; n += 128, q += 32) {
    for (int shift = 0; shift < 8; shift += 2) {
      for (int half = 0; half < 2; half++) {
        int sc = scales[is++];
        float dl = d * (float)(sc & 0xF), ml = min * (float)(sc >> 4);
        for (int l = 0; l < 16; l++) *y++ = dl * (float)((q[l + 16 * half] >> shift) & 3) - ml;
      }
    }
  }
}

static void q3_k(const unsigned char *b, float *y, int *bad) {
  const unsigned char *hm = b, *q = b + 32;
  const float d_all = half_at(b + 108, bad);
  /* 16 signed 6-bit scales: low nibbles in bytes 0-7, high pairs in 8-11 */
  uint32_t aux[4], tmp;
  memcpy(aux, b + 96, 12);
  tmp = aux[2];
  aux[2] = ((aux[0] >> 4) & 0x0f0f0f0fu) | (((tmp >> 4) & 0x03030303u) << 4);
  aux[3] = ((aux[1] >> 4) & 0x0f0f0f0fu) | (((tmp >> 6) & 0x03030303u) << 4);
  aux[0] = (aux[0] & 0x0f0f0f0fu) | (((tmp >> 0) & 0x03030303u) << 4);
  aux[1] = (aux[1] & 0x0f0f0f0fu) | (((tmp >> 2) & 0x03030303u) << 4);
  signed char scales[16];
  memcpy(scales, aux, 16);
  int is = 0;
  unsigned m = 1;
  for (int n = 0; n < 256; n += 128, q += 32) {
    for (int shift = 0; shift < 8; shift += 2, m <<= 1) {
      for (int half = 0; half < 2; half++) {
        float dl = d_all * (float)(scales[is++] - 32);
        for (int l = 16 * half; l < 16 * half + 16; l++)
          *y++ = dl * (float)(((q[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4));
      }
    }
  }
}

/* Q4_K (qh NULL) and Q5_K: eight sub-blocks of 32, value = d*scale*q - dmin*min. */
static void q45_k(const unsigned char *b, const unsigned char *qh, const unsigned char *ql,
                  float *y, int *bad) {
  const float d = half_at(b, bad), min = half_at(b + 2, bad);
  const unsigned char *scales = b + 4;
  unsigned u1 = 1, u2 = 2;
  for (int is = 0; is < 8; is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
    int sc, mn;
    k4_scale_min(is, scales, &sc, &mn);
    const float d1 = d * (float)sc, m1 = min * (float)mn;
    k4_scale_min(is + 1, scales, &sc, &mn);
    const float d2 = d * (float)sc, m2 = min * (float)mn;
    for (int l = 0; l < 32; l++)
      *y++ = d1 * (float)((ql[l] & 0xF) + (qh && (qh[l] & u1) ? 16 : 0)) - m1;
    for (int l = 0; l < 32; l++)
      *y++ = d2 * (float)((ql[l] >> 4) + (qh && (qh[l] & u2) ? 16 : 0)) - m2;
  }
}

static void q6_k(const unsigned char *b, float *y, int *bad) {
  const unsigned char *ql = b, *qh = b + 128;
  const signed char *sc = (const signed char *)(b + 192);
  const float d = half_at(b + 208, bad);
  for (int n = 0; n < 256; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
    for (int l = 0; l < 32; l++) {
      int is = l / 16;
      int q1 = (int)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      int q2 = (int)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      int q3 = (int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      int q4 = (int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l] = d * (float)sc[is + 0] * (float)q1;
      y[l + 32] = d * (float)sc[is + 2] * (float)q2;
      y[l + 64] = d * (float)sc[is + 4] * (float)q3;
      y[l + 96] = d * (float)sc[is + 6] * (float)q4;
    }
  }
}

static void iq4_32(const unsigned char *qs, float d, float *y) {
  for (int j = 0; j < 16; j++) {
    y[j] = d * (float)IQ4_LEVELS[qs[j] & 0xf];
    y[j + 16] = d * (float)IQ4_LEVELS[qs[j] >> 4];
  }
}

static void iq4_xs(const unsigned char *b, float *y, int *bad) {
  const float d = half_at(b, bad);
  const unsigned scales_h = (unsigned)(b[2] | b[3] << 8);
  const unsigned char *scales_l = b + 4, *qs = b + 8;
  for (int ib = 0; ib < 8; ib++, y += 32, qs += 16) {
    int ls = ((scales_l[ib / 2] >> 4 * (ib % 2)) & 0xf) | (int)(((scales_h >> 2 * ib) & 3) << 4);
    iq4_32(qs, d * (float)(ls - 32), y);
  }
}

static uint32_t u32_at(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One block of t at b -> values at y; *bad set if a scale is Inf/NaN. */
static void dequantize_block(st_dtype t, const unsigned char *b, float *y, int *bad) {
  switch (t) {
  case ST_Q4_0: block_32(b + 2, 0, 8, half_at(b, bad), 0, 0, y); break;
  case ST_Q4_1: block_32(b + 4, 0, 0, half_at(b, bad), half_at(b + 2, bad), 1, y); break;
  case ST_Q5_0: block_32(b + 6, u32_at(b + 2), 16, half_at(b, bad), 0, 0, y); break;
  case ST_Q5_1: block_32(b + 8, u32_at(b + 4), 0, half_at(b, bad), half_at(b + 2, bad), 1, y); break;
  case ST_Q8_0: {
    const float d = half_at(b, bad);
    for (int j = 0; j < 32; j++) y[j] = d * (float)(signed char)b[2 + j];
    break;
  }
  case ST_Q2_K: q2_k(b, y, bad); break;
  case ST_Q3_K: q3_k(b, y, bad); break;
  case ST_Q4_K: q45_k(b, NULL, b + 16, y, bad); break;
  case ST_Q5_K: q45_k(b, b + 16, b + 48, y, bad); break;
  case ST_Q6_K: q6_k(b, y, bad); break;
  case ST_IQ4_NL: iq4_32(b + 2, half_at(b, bad), y); break;
  case ST_IQ4_XS: iq4_xs(b, y, bad); break;
  default: *bad = 1; break;
  }
}

int64_t gb_dequantize(st_dtype t, const unsigned char *src, int64_t numel, float *dst) {
  const int values = gb_block_values(t), bytes = gb_block_bytes(t);
  if (!values) return 0;
  for (int64_t k = 0; k < numel / values; k++) {
    int bad = 0;
    dequantize_block(t, src + bytes * k, dst + values * k, &bad);
    if (bad) return values * k;
  }
  return -1;
}
