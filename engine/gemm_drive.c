/*
** gemm_drive.c — the loop around every dense product's register tiles, for
** fp32 (kernels.c), bf16 (kernels_bf16.c) and int8 (kernels_int8.c): row
** chunks, then panel groups, then row tiles; the weight prefetch plan; the
** activation epilogue.  The precisions differ only in their tile, reached
** through ee_tiles.tile.
**
** Loop order: rows in chunks of MC = 48 (A's chunk stays in L2), then the
** panels of [p0, p1) (one group of npan panels stays in L1/L2 across the
** chunk's row tiles), then row tiles.  The activation runs on each chunk
** while it is still in cache.  A chunk's rows are shared out evenly over
** the fewest tiles that hold them (16 rows with 6-row tiles: 6, 5, 5, not
** 6, 6, 4): a short tile has fewer independent sums to hide the FMA
** latency behind and runs well below the tile's speed.
**
** Prefetch.  Packed weights do not fit in any cache (MiniLM-L6 is 42 MB,
** bert-base 340 MB), so each panel group comes from DRAM once per chunk.
** Left to the hardware prefetcher, the chunk's first row tile waits for it
** while the others hit cache: at 16 tokens a product streamed its weights
** at ~15 GB/s.  Instead the chunk's tiles fetch the group needed next while
** they compute, each tile an equal share, so fetching overlaps the FMAs
** (~20 GB/s, 1.25x the product's speed at 16 rows, measured on 40 distinct
** 768x3072 weights).  The group needed next is the range's next one, the
** range's first for the next chunk, and after the range, the caller's guess
** of the panels it takes next (`after`).  Every packed layout has 64 bytes
** of a panel per step of its k loop, so `pf_step` bytes per step cover the
** share of a tile.
*/
#include "engine_int.h"

#ifndef MC
#define MC 48 /* rows per chunk; -D to tune */
#endif

void ee_gemm_drive(const ee_tiles *t, float *C, int M, int N, int np_all, int p0, int p1,
                   int after, const float *bias, const float *R, int act) {
  if (p1 > np_all) p1 = np_all;
  if (p0 >= p1 || M <= 0) return;
  const int c0 = p0 * EE_NR, c1 = p1 * EE_NR < N ? p1 * EE_NR : N;
  for (int i0 = 0; i0 < M; i0 += MC) {
    const int i1 = i0 + MC < M ? i0 + MC : M;
    const int ntiles = (i1 - i0 + t->mr - 1) / t->mr;
    const int pf_step = t->npan * 64 / ntiles;
    for (int p = p0; p < p1; p += t->npan) {
      const int np = p1 - p < t->npan ? p1 - p : t->npan;
      const int col = p * EE_NR, ncols = N - col < np * EE_NR ? N - col : np * EE_NR;
      const int pn = p + np < p1                        ? p + np
                     : i1 < M                           ? p0
                     : after >= 0 && after < np_all     ? after
                                                        : -1;
      const char *next = pn >= 0 ? t->panels + pn * t->panel_bytes : NULL;
      for (int k = 0; k < ntiles; k++) {
        const int i = i0 + k * (i1 - i0) / ntiles, mr = i0 + (k + 1) * (i1 - i0) / ntiles - i;
        t->tile(t, C + (int64_t)i * t->ldc + (col - c0), i, mr, t->panels + p * t->panel_bytes, np, col,
                ncols, bias ? bias + col : NULL, R ? R + (int64_t)i * t->ldr + col : NULL,
                next ? next + (int64_t)k * t->ksteps * pf_step : NULL, pf_step);
      }
    }
    if (act >= 0)
      for (int i = i0; i < i1; i++) ee_act_row(C + (int64_t)i * t->ldc, c1 - c0, (ee_act)act);
  }
}
