/*
** test_vec_math.c — engine/vec_math.h at 4 and 8 lanes, the widths that
** forward.c runs on CPUs without AVX-512 (AVX2) and without AVX2.  The
** engine tests only reach the width this CPU picks, so here the header is
** compiled at every width through vec_math_widths.h, as forward.c is, and
** the 4- and 8-lane ones (and the 16-lane lane folds) are checked against
** double precision: exp through softmax, erf and GELU, LayerNorm, the
** embedding row, and the lane folds that sum a row's lanes.
*/
#include "../../engine/engine_int.h"
#include "check.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/vec_math_widths.h"

#define MAXC 70

static uint32_t rng = 12345u;
static float frand(float lo, float hi) {
  rng = rng * 1664525u + 1013904223u;
  return lo + (hi - lo) * (float)(rng >> 8) / (float)(1u << 24);
}

static uint32_t bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* The fold's order written out: lanes k and k + w/2 for w = n, n/2, ... */
static float tree_sum(const float *v, int n) {
  float t[16];
  memcpy(t, v, sizeof(float) * (size_t)n);
  for (int w = n / 2; w > 0; w /= 2)
    for (int k = 0; k < w; k++) t[k] += t[k + w];
  return t[0];
}

static void check_lanes(void) {
  int sum_ok = 1, max_ok = 1;
  for (int it = 0; it < 1000; it++) {
    float a[16];
    for (int k = 0; k < 16; k++) a[k] = frand(-1e3f, 1e3f);
    vf16 v16;
    vf8 v8;
    vf4 v4;
    memcpy(&v16, a, sizeof v16);
    memcpy(&v8, a, sizeof v8);
    memcpy(&v4, a, sizeof v4);
    float m16 = a[0], m8 = a[0], m4 = a[0];
    for (int k = 1; k < 16; k++) m16 = a[k] > m16 ? a[k] : m16;
    for (int k = 1; k < 8; k++) m8 = a[k] > m8 ? a[k] : m8;
    for (int k = 1; k < 4; k++) m4 = a[k] > m4 ? a[k] : m4;
    if (bits(lanes_sum16(v16)) != bits(tree_sum(a, 16)) || bits(lanes_sum8(v8)) != bits(tree_sum(a, 8)) ||
        bits(lanes_sum4(v4)) != bits(tree_sum(a, 4)))
      sum_ok = 0;
    if (lanes_max16(v16) != m16 || lanes_max8(v8) != m8 || lanes_max4(v4) != m4) max_ok = 0;
  }
  CHECK(sum_ok, "lane sums at 16, 8 and 4 lanes add by halves, bit for bit (1000 vectors)");
  CHECK(max_ok, "lane maxima at 16, 8 and 4 lanes (1000 vectors)");
}

/* Softmax of rows of 1..MAXC columns against double; the unscaled form
** times its 1/sum gives the same bits. */
static void check_softmax(void) {
  double worst8 = 0, worst4 = 0;
  int same = 1;
  for (int cols = 1; cols <= MAXC; cols++) {
    float x[MAXC], y8[MAXC], y4[MAXC], u8[MAXC], u4[MAXC], inv8, inv4;
    for (int j = 0; j < cols; j++) x[j] = frand(-30.0f, 30.0f);
    /* x - max rounds to float, as in torch's float softmax (at 60 apart
    ** that alone moves exp by ~4e-6): the reference starts from it too. */
    float mx = x[0];
    double sum = 0, ref[MAXC];
    for (int j = 1; j < cols; j++) mx = x[j] > mx ? x[j] : mx;
    for (int j = 0; j < cols; j++) sum += (ref[j] = exp((double)(x[j] - mx)));
    memcpy(y8, x, sizeof x), memcpy(y4, x, sizeof x), memcpy(u8, x, sizeof x), memcpy(u4, x, sizeof x);
    softmax_forward_body8(y8, 1, cols, NULL);
    softmax_forward_body4(y4, 1, cols, NULL);
    softmax_forward_body8(u8, 1, cols, &inv8);
    softmax_forward_body4(u4, 1, cols, &inv4);
    for (int j = 0; j < cols; j++) {
      const double r = ref[j] / sum, scale = r > 1e-30 ? r : 1e-30;
      worst8 = fmax(worst8, fabs(y8[j] - r) / scale);
      worst4 = fmax(worst4, fabs(y4[j] - r) / scale);
      if (bits(u8[j] * inv8) != bits(y8[j]) || bits(u4[j] * inv4) != bits(y4[j])) same = 0;
    }
  }
  CHECK(worst8 < 1e-6, "softmax at 8 lanes within 1e-6 relative of double (worst %.2e)", worst8);
  CHECK(worst4 < 1e-6, "softmax at 4 lanes within 1e-6 relative of double (worst %.2e)", worst4);
  CHECK(same, "unscaled softmax times its 1/sum is the softmax, bit for bit, at 8 and 4 lanes");
}

/* Scores that spread far (a peaked attention head) must not leave
** subnormal probabilities, which make the products after them slow: every
** probability is 0 or a normal float, at 8 and 4 lanes and at the width
** this CPU runs (ee_softmax_rows). */
static int all_normal(const float *p, int n) {
  for (int j = 0; j < n; j++)
    if (p[j] != 0.0f && fabsf(p[j]) < 1.17549435e-38f) return 0;
  return 1;
}

static void check_softmax_no_subnormals(void) {
  enum { C = 512 };
  static float x[C], y[C];
  int ok8 = 1, ok4 = 1, ok = 1;
  for (int cols = 2; cols <= C; cols += cols < 64 ? 1 : 37) {
    for (int j = 0; j < cols; j++) x[j] = j % 3 ? frand(-1.0f, 0.0f) : frand(-300.0f, -60.0f);
    memcpy(y, x, sizeof(float) * (size_t)cols);
    softmax_forward_body8(y, 1, cols, NULL);
    ok8 &= all_normal(y, cols);
    memcpy(y, x, sizeof(float) * (size_t)cols);
    softmax_forward_body4(y, 1, cols, NULL);
    ok4 &= all_normal(y, cols);
    memcpy(y, x, sizeof(float) * (size_t)cols);
    ee_softmax_rows(y, 1, cols);
    ok &= all_normal(y, cols);
  }
  CHECK(ok8 && ok4, "softmax leaves no subnormal probability at 8 and 4 lanes (scores spread over 300)");
  CHECK(ok, "softmax leaves no subnormal probability at this CPU's width (%s)", "ee_softmax_rows");
}

/* LayerNorm against double, and the embedding row as the sum then the
** same LayerNorm. */
static void check_layernorm(void) {
  double worst8 = 0, worst4 = 0;
  int same = 1;
  for (int H = 1; H <= MAXC; H++) {
    float x[MAXC], l8[MAXC], l4[MAXC], g[MAXC], b[MAXC], wd[MAXC], ps[MAXC], ty[MAXC];
    float e8[MAXC], e4[MAXC], s8[MAXC], s4[MAXC];
    for (int j = 0; j < H; j++) {
      x[j] = frand(-3.0f, 5.0f), g[j] = frand(0.5f, 1.5f), b[j] = frand(-0.5f, 0.5f);
      wd[j] = frand(-1.0f, 1.0f), ps[j] = frand(-0.1f, 0.1f), ty[j] = frand(-0.01f, 0.01f);
    }
    memcpy(l8, x, sizeof x), memcpy(l4, x, sizeof x);
    layernorm_body8(l8, l8, 1, H, g, b, 1e-12f);
    layernorm_body4(l4, l4, 1, H, g, b, 1e-12f);
    double m = 0, v = 0;
    for (int j = 0; j < H; j++) m += x[j];
    m /= H;
    for (int j = 0; j < H; j++) v += (x[j] - m) * (x[j] - m);
    v /= H;
    for (int j = 0; j < H; j++) {
      const double r = (x[j] - m) / sqrt(v + 1e-12) * g[j] + b[j];
      worst8 = fmax(worst8, fabs(l8[j] - r));
      worst4 = fmax(worst4, fabs(l4[j] - r));
    }
    embed_row_body8(e8, wd, ps, ty, H, g, b, 1e-12f);
    embed_row_body4(e4, wd, ps, ty, H, g, b, 1e-12f);
    for (int j = 0; j < H; j++) s8[j] = s4[j] = wd[j] + ps[j] + ty[j];
    layernorm_body8(s8, s8, 1, H, g, b, 1e-12f);
    layernorm_body4(s4, s4, 1, H, g, b, 1e-12f);
    if (memcmp(e8, s8, sizeof(float) * (size_t)H) || memcmp(e4, s4, sizeof(float) * (size_t)H)) same = 0;
  }
  /* H = 1 normalises to b exactly; the others are O(1) values. */
  CHECK(worst8 < 1e-5, "LayerNorm at 8 lanes within 1e-5 of double (worst %.2e)", worst8);
  CHECK(worst4 < 1e-5, "LayerNorm at 4 lanes within 1e-5 of double (worst %.2e)", worst4);
  CHECK(same, "embedding row = (word + position) + type, then LayerNorm, bit for bit, at 8 and 4 lanes");
}

/* erf and exact GELU against double over [-6, 6], tails included. */
static void check_erf_gelu(void) {
  enum { N = 20001 };
  float *x = malloc(sizeof(float) * N), *y8 = malloc(sizeof(float) * N), *y4 = malloc(sizeof(float) * N);
  float *g8 = malloc(sizeof(float) * N), *g4 = malloc(sizeof(float) * N);
  if (!x || !y8 || !y4 || !g8 || !g4) {
    CHECK(0, "allocation for the erf check");
    return;
  }
  for (int i = 0; i < N; i++) x[i] = -6.0f + 12.0f * (float)i / (float)(N - 1);
  erf_body8(y8, x, N);
  erf_body4(y4, x, N);
  memcpy(g8, x, sizeof(float) * N), memcpy(g4, x, sizeof(float) * N);
  act_row_body8(g8, N, EE_ACT_GELU);
  act_row_body4(g4, N, EE_ACT_GELU);
  double e8 = 0, e4 = 0, ge8 = 0, ge4 = 0;
  for (int i = 0; i < N; i++) {
    const double r = erf((double)x[i]), s = fabs(r) > 1e-30 ? fabs(r) : 1e-30;
    e8 = fmax(e8, fabs(y8[i] - r) / s);
    e4 = fmax(e4, fabs(y4[i] - r) / s);
    const double gr = 0.5 * x[i] * (1.0 + erf(x[i] / sqrt(2.0))), m = fabs(x[i]) > 1 ? fabs(x[i]) : 1;
    ge8 = fmax(ge8, fabs(g8[i] - gr) / m);
    ge4 = fmax(ge4, fabs(g4[i] - gr) / m);
  }
  /* Bounds as test_engine's for the width this CPU runs (erf: 4.5e-7
  ** relative), with room for the separate multiply and add that these
  ** widths compile to without FMA. */
  CHECK(e8 < 4.5e-7 && e4 < 4.5e-7, "erf at 8 and 4 lanes within 4.5e-7 relative of double (worst %.2e, %.2e)",
        e8, e4);
  CHECK(ge8 < 3e-7 && ge4 < 3e-7, "GELU at 8 and 4 lanes within 3e-7 of double, relative to max(1, |x|) (worst %.2e, %.2e)",
        ge8, ge4);
  free(x), free(y8), free(y4), free(g8), free(g4);
}

int main(void) {
  check_lanes();
  check_softmax();
  check_softmax_no_subnormals();
  check_layernorm();
  check_erf_gelu();
  return check_finish();
}
