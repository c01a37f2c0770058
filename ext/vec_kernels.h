/*
** vec_kernels.h — float32 distance kernels for the KNN scan (vec_kernels.c),
** chosen at run time from the CPU's features.  No SQLite here.
*/
#ifndef VEC_KERNELS_H
#define VEC_KERNELS_H
#include <stdint.h>

typedef struct vec_kernels {
  const char *zName;                                  /* "avx512", "avx2" or "portable" */
  float (*dot)(const float *a, const float *b, int n); /* a . b */
  float (*l2sq)(const float *a, const float *b, int n); /* |a - b|^2 */
  /* q . v and v . v in one pass over v (cosine distance) */
  void (*dot_norm)(const float *q, const float *v, int n, float *pDot, float *pNorm2);
  int32_t (*dot_i8)(const int8_t *a, const int8_t *b, int n);          /* int8 dot, exact in int32 */
  int (*hamming)(const uint8_t *a, const uint8_t *b, int nBytes);       /* differing bits */
  /* float32 inputs summed in double, for the SQL functions' exact-looking results */
  double (*dot_f64)(const float *a, const float *b, int n);
  double (*l2sq_f64)(const float *a, const float *b, int n);
} vec_kernels;

/* The best kernels this CPU runs (decided once). */
const vec_kernels *vecKernels(void);
/* The portable kernels, for tests that compare against them. */
const vec_kernels *vecKernelsPortable(void);

#endif
