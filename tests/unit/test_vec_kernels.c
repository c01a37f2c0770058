/*
** test_vec_kernels.c — every KNN distance kernel this CPU can run (portable,
** AVX2, AVX-512) against a double-precision reference, for lengths that hit
** every tail case.  The kernels are compiled in directly (not through the
** extension) so each can be called by name.
*/
#include "../../ext/vec_kernels.c"
#include "check.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static uint64_t rng_state = 88172645463325252ull;
static float rnd(void) { /* xorshift64: deterministic inputs in [-1, 1) */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (float)((double)(rng_state >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static void check_kernels(const vec_kernels *k) {
  static const int lens[] = {1, 7, 8, 15, 16, 17, 31, 32, 33, 64, 100, 384, 768, 1000, 1536};
  float a[1536], b[1536];
  double worst = 0;
  for (size_t t = 0; t < sizeof(lens) / sizeof(lens[0]); t++) {
    int n = lens[t];
    for (int i = 0; i < n; i++) { a[i] = rnd(); b[i] = rnd(); }
    double dot = 0, l2 = 0, nb = 0, scale = 0;
    for (int i = 0; i < n; i++) {
      dot += (double)a[i] * b[i];
      l2 += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
      nb += (double)b[i] * b[i];
      scale += fabs((double)a[i] * b[i]);
    }
    float d, norm2;
    k->dot_norm(a, b, n, &d, &norm2);
    double e = fabs(k->dot(a, b, n) - dot) / (scale + 1e-30);
    e = fmax(e, fabs(k->l2sq(a, b, n) - l2) / (l2 + 1e-30));
    e = fmax(e, fabs(d - dot) / (scale + 1e-30));
    e = fmax(e, fabs(norm2 - nb) / (nb + 1e-30));
    if (e > worst) worst = e;
  }
  CHECK(worst < 1e-5, "%s kernels match double precision (worst relative error %.2g)", k->zName, worst);
  double worst64 = 0;
  for (size_t t = 0; t < sizeof(lens) / sizeof(lens[0]); t++) {
    int n = lens[t];
    for (int i = 0; i < n; i++) { a[i] = rnd(); b[i] = rnd(); }
    double dot = 0, l2 = 0, scale = 0;
    for (int i = 0; i < n; i++) {
      dot += (double)a[i] * b[i];
      l2 += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
      scale += fabs((double)a[i] * b[i]);
    }
    worst64 = fmax(worst64, fabs(k->dot_f64(a, b, n) - dot) / (scale + 1e-300));
    worst64 = fmax(worst64, fabs(k->l2sq_f64(a, b, n) - l2) / (l2 + 1e-300));
  }
  CHECK(worst64 < 1e-13, "%s double-accumulating kernels match (worst relative error %.2g)", k->zName, worst64);
  int bad = 0;
  for (size_t t = 0; t < sizeof(lens) / sizeof(lens[0]); t++) {
    int n = lens[t];
    int8_t qa[1536], qb[1536];
    int32_t want = 0;
    int wantBits = 0;
    for (int i = 0; i < n; i++) {
      qa[i] = (int8_t)(rnd() * 127.9f);
      qb[i] = (int8_t)(rnd() * 127.9f);
      want += (int32_t)qa[i] * qb[i];
      wantBits += __builtin_popcount((unsigned)((uint8_t)qa[i] ^ (uint8_t)qb[i]));
    }
    bad += k->dot_i8(qa, qb, n) != want;
    bad += k->hamming((const uint8_t *)qa, (const uint8_t *)qb, n) != wantBits;
  }
  CHECK(bad == 0, "%s int8 dot and hamming are exact", k->zName);
}

int main(void) {
  check_kernels(vecKernelsPortable());
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) check_kernels(&kernels_avx2);
  if (__builtin_cpu_supports("avx512f")) check_kernels(&kernels_avx512);
#endif
  CHECK(vecKernels() != NULL, "dispatch picks %s on this CPU", vecKernels()->zName);
  return check_finish();
}
