#!/usr/bin/python3
"""Fit the coefficients of engine/vec_math.h's vf_erf and print them.

    /usr/bin/python3 tests/tools/fit_erf.py      # needs numpy (Debian python3-numpy)

erf(x) ~ x P(x^2) / Q(x^2) on |x| <= 4 (erf(4) is 1 in float), P and Q of
degree 5, Q(0) = 1 and P(0) the float nearest 2/sqrt(pi) (so erf keeps its
relative accuracy as x -> 0).  The fit minimises the largest relative error:
Lawson's iteration on the linearised least squares (P - f Q) / Q_prev,
reweighting the points by their error, in double.  Then the float
coefficients are evaluated as the C code does (Horner in float, with and
without FMA contraction) against math.erf on the same grids as
tests/unit/test_engine.c, whose bound (4.5e-7) these errors must stay under.
"""
import math

import numpy as np

LIMIT = 4.0
DEG_P, DEG_Q = 5, 5
P0 = float(np.float32(2.0 / math.sqrt(math.pi)))


def erf_over_x(x):
    return np.array([math.erf(v) / v if v > 0 else 2.0 / math.sqrt(math.pi) for v in x])


def fit(iters=80):
    x = np.unique(np.concatenate([np.linspace(0.0, LIMIT, 6000),
                                  LIMIT * (1.0 - np.cos(np.linspace(0.0, np.pi / 2, 3000)))]))
    z, f = x * x, erf_over_x(x)
    w, q_prev = np.ones_like(x), np.ones_like(x)
    for _ in range(iters):
        # unknowns p1..p5, q1..q5 of P0 + sum p_i z^i - f (1 + sum q_j z^j) = 0
        a = np.hstack([np.vander(z, DEG_P + 1, increasing=True)[:, 1:],
                       -f[:, None] * np.vander(z, DEG_Q + 1, increasing=True)[:, 1:]])
        scale = w / q_prev / f
        sol, *_ = np.linalg.lstsq(a * scale[:, None], (f - P0) * scale, rcond=None)
        p = np.concatenate([[P0], sol[:DEG_P]])
        q = np.concatenate([[1.0], sol[DEG_P:]])
        q_prev = np.polyval(q[::-1], z)
        err = np.abs(np.polyval(p[::-1], z) / q_prev - f) / f
        w = w * np.sqrt(err / err.max()) + 1e-12
        w /= w.sum()
    return p.astype(np.float32), q.astype(np.float32), err.max()


def erf_float(p, q, x, fma):
    """vf_erf's arithmetic in float32 (an FMA rounds once: the product of two
    floats is exact in double, so double then float rounds as FMA does but
    for rare double-rounding ties)."""
    t = np.minimum(np.abs(x), np.float32(LIMIT))
    s = t * t

    def horner(c):
        acc = np.full_like(s, c[-1])
        for cc in c[-2::-1]:
            if fma:
                acc = (acc.astype(np.float64) * s + np.float64(cc)).astype(np.float32)
            else:
                acc = acc * s + cc
        return acc

    r = np.minimum(t * (horner(p) / horner(q)), np.float32(1.0))
    r = np.where(t >= np.float32(3.875), np.float32(1.0), r)  # erf is 1 in float there
    return np.copysign(r, x)


def main():
    p, q, exact = fit()
    grid = np.linspace(-8.0, 8.0, 400001).astype(np.float32)
    i = np.arange(400001)
    tiny = (np.ldexp(1.0 + (i % 1000) / 1000.0, -((i // 1000) % 120)) * np.where(i % 2, -1.0, 1.0)).astype(np.float32)
    x = np.concatenate([grid, tiny])
    ref = np.array([math.erf(float(v)) for v in x])
    print(f"max relative error in exact arithmetic: {exact:.3g}")
    for fma in (True, False):
        y = erf_float(p, q, x, fma).astype(np.float64)
        rel = np.abs(y - ref) / np.maximum(np.abs(ref), 1e-300)
        print(f"in float, {'with' if fma else 'without'} FMA: max relative error {rel.max():.3g} at {x[rel.argmax()]:g}")
    print("P (highest degree first):", ", ".join(f"{float(c).hex()}" for c in p[::-1]))
    print("Q (highest degree first):", ", ".join(f"{float(c).hex()}" for c in q[::-1]))


if __name__ == "__main__":
    main()
