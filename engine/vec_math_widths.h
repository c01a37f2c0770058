/*
** vec_math_widths.h — vec_math.h compiled at 16, 8 and 4 lanes (the
** AVX-512, AVX2 and baseline widths), every name suffixed with its width:
** softmax_forward_body16, layernorm_body8, lanes_sum4, ...  forward.c picks
** one per CPU; tests/unit/test_vec_math.c checks the widths this CPU does
** not run.  Include once, after <stdint.h>, <string.h> and <math.h>.
*/
#ifndef EE_VEC_MATH_WIDTHS_H
#define EE_VEC_MATH_WIDTHS_H

#define INL static inline __attribute__((always_inline))
/* The vector helpers are always inlined, so GCC's note that passing vectors
** wider than the baseline's registers changes the ABI is moot. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#define VN(name) name##16
#define VW 16
#include "vec_math.h"
#undef VN
#undef VW
#define VN(name) name##8
#define VW 8
#include "vec_math.h"
#undef VN
#undef VW
#define VN(name) name##4
#define VW 4
#include "vec_math.h"
#undef VN
#undef VW

#endif
