/*
** vec_math.h — the forward pass's elementwise and row operations (exp, erf,
** GELU, softmax, LayerNorm) on GCC/Clang vector extensions, written once
** and compiled at three widths.  forward.c includes this file once per
** width, with VW (lanes) and VN(name) (the name with the width appended)
** defined, and picks a width per CPU: 16 lanes (one zmm) for AVX-512, 8 (one
** ymm) for AVX2, 4 (one xmm, or a NEON register on arm64) otherwise.
**
** Why not one width for all: GCC 12 does not lower a vector wider than the
** target's registers well.  With 64-byte vectors in the AVX2 variant it
** turned each comparison into 16 scalar ones and kept loop-carried vectors
** in memory, moved through xmm halves; on Zen 3 softmax, GELU and LayerNorm
** took 21% of a MiniLM 8 x 128 pass, 8% at their register width.
**
** No include guard: it is meant to be included several times.  The lane
** count sets the summation order of the row sums (softmax, LayerNorm), so
** the variants differ in the last bits; a CPU always runs the same one.
*/
#define vf VN(vf)
#define vi VN(vi)
#define vf_bits_f VN(vf_bits_f)
#define vf_bits_i VN(vf_bits_i)
#define vf_max VN(vf_max)
#define vf_exp VN(vf_exp)
#define vf_erf VN(vf_erf)
#define erf_body VN(erf_body)
#define act_row_body VN(act_row_body)
#define glu_row_body VN(glu_row_body)
#define glu_val VN(glu_val)
#define softmax_forward_body VN(softmax_forward_body)
#define row_max VN(row_max)
#define lanes_sum VN(lanes_sum)
#define lanes_max VN(lanes_max)
#define layernorm_body VN(layernorm_body)
#define embed_row_body VN(embed_row_body)
#define rotary_row_body VN(rotary_row_body)

typedef float vf __attribute__((vector_size(VW * 4)));
typedef int32_t vi __attribute__((vector_size(VW * 4)));
#define VB(x) ((vf){0} + (x))
#define VI(x) ((vi){0} + (x))

INL vf vf_bits_f(vi i) { vf f; memcpy(&f, &i, sizeof f); return f; }
INL vi vf_bits_i(vf f) { vi i; memcpy(&i, &f, sizeof i); return i; }

INL vf vf_max(vf a, vf b) {
  vi m = a > b; /* -1 where a > b */
  return vf_bits_f((m & vf_bits_i(a)) | (~m & vf_bits_i(b)));
}

/* exp(x) for VW floats at once.  Cephes' expf: x = n ln2 + r with |r| <= ln2/2,
** e^r by a polynomial, 2^n put into the exponent bits; relative error about
** 1e-7 (within ~2 ulp of libm's expf).  Inputs are clamped to [-75, 88]:
** softmax feeds x - max <= 0, and e^-75 ~ 2.7e-33 is as good as 0 there (a
** row sums to at least 1).  Not lower: e^-87 divided by a row's sum was a
** subnormal probability, and products with subnormal operands run slowly on
** Zen 5: an attention head at 128 tokens whose scores spread wider than 87
** took 27.4 us, 18.1 with this clamp, as fast as with the CPU flushing
** subnormals to zero (the softmax itself hardly changed).  e^-75 / 8192
** (the most tokens a batch takes) is still a normal float.
** glibc's scalar expf and the loop around it were ~10% of a forward pass at
** 128 tokens; this is several times cheaper, and deterministic. */
INL vf vf_exp(vf x) {
  x = vf_max(x, VB(-75.0f));
  x = -vf_max(-x, VB(-88.0f));        /* min(x, 88) */
  const vf magic = VB(12582912.0f);  /* 1.5 * 2^23: adding it rounds to an integer */
  vf t = x * VB(1.44269504088896341f) + magic;
  vf n = t - magic;                  /* round(x / ln2) */
  vf r = x - n * VB(0.693359375f);   /* ln2 split in two for accuracy */
  r = r - n * VB(-2.12194440e-4f);
  vf p = VB(1.9875691500e-4f);
  p = p * r + VB(1.3981999507e-3f);
  p = p * r + VB(8.3334519073e-3f);
  p = p * r + VB(4.1665795894e-2f);
  p = p * r + VB(1.6666665459e-1f);
  p = p * r + VB(5.0000001201e-1f);
  p = p * r * r + r + VB(1.0f);
  vi e = ((vf_bits_i(t) - vf_bits_i(magic)) + 127) << 23; /* 2^n as float bits */
  return p * vf_bits_f(e);
}

/* erf(x) for VW floats: x P(x^2) / Q(x^2) with |x| clamped to 4 (erf(4)
** is 1 in float), P and Q of degree 5, P(0) the float nearest 2/sqrt(pi),
** fitted for relative error on [0, 4] (Lawson's iteration on the
** linearised least squares, in double: 5e-8 in exact arithmetic; evaluated
** in float, ~3e-7 relative at worst, where erf is near 1, ~5 ulp; checked
** in tests/unit/test_engine.c; tests/tools/fit_erf.py refits and prints
** these coefficients).  One division, ten multiply-adds and one blend (to
** 1 from 3.875), no exp: Juffa's erff that this replaced (~1 ulp; two
** branches, one with an exp, both computed and blended) took twice the
** time, 5-7% of a forward pass. */
INL vf vf_erf(vf a) {
  vi sign = vf_bits_i(a) & VI(INT32_MIN);
  vf t = vf_bits_f(vf_bits_i(a) & VI(INT32_MAX));
  t = -vf_max(VB(-4.0f), -t); /* min(|x|, 4), NaN kept (vf_max returns b unless a > b) */
  vf s = t * t;
  vf p = VB(0x1.192bc8p-19f);
  p = p * s + VB(0x1.1ea68ep-12f);
  p = p * s + VB(0x1.b5a44ap-09f);
  p = p * s + VB(0x1.a518ecp-05f);
  p = p * s + VB(0x1.721a2ep-03f);
  p = p * s + VB(0x1.20dd76p+00f);
  vf q = VB(0x1.3e7838p-15f);
  q = q * s + VB(0x1.14d45cp-10f);
  q = q * s + VB(0x1.ce4bacp-07f);
  q = q * s + VB(0x1.c2c082p-04f);
  q = q * s + VB(0x1.f954f4p-02f);
  q = q * s + VB(1.0f);
  vf r = t * (p / q);
  r = -vf_max(VB(-1.0f), -r); /* min(r, 1) */
  /* From 3.875 on erf is 1 in float (1 - erfc, erfc < half an ulp); the fit
  ** a few ulp off would leave erf(Inf) at 1 - 2^-24. */
  vi one = t >= VB(3.875f);
  r = vf_bits_f((one & vf_bits_i(VB(1.0f))) | (~one & vf_bits_i(r)));
  return vf_bits_f(vf_bits_i(r) | sign);
}

INL void erf_body(float *y, const float *x, int64_t n) {
  int64_t i = 0;
  vf v;
  for (; i + VW <= n; i += VW) {
    memcpy(&v, x + i, sizeof v);
    v = vf_erf(v);
    memcpy(y + i, &v, sizeof v);
  }
  if (i < n) {
    v = VB(0.0f);
    memcpy(&v, x + i, sizeof(float) * (size_t)(n - i));
    v = vf_erf(v);
    memcpy(y + i, &v, sizeof(float) * (size_t)(n - i));
  }
}

/* x (n) = act(x) in place: exact GELU 0.5 x (1 + erf(x / sqrt 2))
** (transformers' "gelu"), the tanh form for "gelu_new", or ReLU.  Called by
** kernels.c on each block of rows right after its product (bias already
** added), while it is in cache.  Elementwise, so thread-count independent. */
INL void act_row_body(float *x, int n, ee_act act) {
  int i = 0;
  vf v;
  switch (act) {
    case EE_ACT_GELU:
      for (; i + VW <= n; i += VW) {
        memcpy(&v, x + i, sizeof v);
        v = VB(0.5f) * v * (VB(1.0f) + vf_erf(v * VB((float)M_SQRT1_2)));
        memcpy(x + i, &v, sizeof v);
      }
      if (i < n) {
        v = VB(0.0f);
        memcpy(&v, x + i, sizeof(float) * (size_t)(n - i));
        v = VB(0.5f) * v * (VB(1.0f) + vf_erf(v * VB((float)M_SQRT1_2)));
        memcpy(x + i, &v, sizeof(float) * (size_t)(n - i));
      }
      break;
    case EE_ACT_GELU_TANH: /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
      for (; i < n; i++) {
        float u = x[i];
        x[i] = 0.5f * u * (1.0f + tanhf(0.7978845608028654f * (u + 0.044715f * u * u * u)));
      }
      break;
    case EE_ACT_RELU:
      for (; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
      break;
  }
}

/* out (n) = up * silu(gate) = up * gate / (1 + e^-gate): a gated FFN's
** activation (NomicBert's SwiGLU, F.silu), on a task's block of rows right
** after its product.  vf_exp's clamp keeps e^-gate finite: a gate under
** -88 gives up * gate / (1 + e^88), as good as torch's 0 at 1e-4.  With
** gelu, up * gelu(gate), the exact erf GELU (ModernBERT's GeGLU, its
** "input" being gate here): in one pass, where GELU on the gates then a
** product cost a call per 16 values of every row. */
INL vf glu_val(vf u, vf g, int gelu) {
  if (gelu) return u * (VB(0.5f) * g * (VB(1.0f) + vf_erf(g * VB((float)M_SQRT1_2))));
  return u * (g / (VB(1.0f) + vf_exp(-g)));
}

INL void glu_row_body(float *out, const float *up, const float *gate, int n, int gelu) {
  int i = 0;
  vf u, g;
  for (; i + VW <= n; i += VW) {
    memcpy(&u, up + i, sizeof u);
    memcpy(&g, gate + i, sizeof g);
    u = glu_val(u, g, gelu);
    memcpy(out + i, &u, sizeof u);
  }
  if (i < n) {
    u = g = VB(0.0f);
    memcpy(&u, up + i, sizeof(float) * (size_t)(n - i));
    memcpy(&g, gate + i, sizeof(float) * (size_t)(n - i));
    u = glu_val(u, g, gelu);
    memcpy(out + i, &u, sizeof(float) * (size_t)(n - i));
  }
}

/* One row of a query or key turned by its position's angles, in place:
** each pair (x_i, x_{i + half}) to (x_i cos - x_{i+half} sin, x_{i+half} cos
** + x_i sin), GPT-NeoX's halves (rotate_half).  In vectors: the scalar loop
** was 6% of a ModernBERT-base pass at 8 x 128 on 2 threads (Zen 5). */
INL void rotary_row_body(float *x, const float *cs, const float *sn, int half) {
  int i = 0;
  vf a, b, c, s;
  for (; i + VW <= half; i += VW) {
    memcpy(&a, x + i, sizeof a);
    memcpy(&b, x + half + i, sizeof b);
    memcpy(&c, cs + i, sizeof c);
    memcpy(&s, sn + i, sizeof s);
    vf lo = a * c - b * s, hi = b * c + a * s;
    memcpy(x + i, &lo, sizeof lo);
    memcpy(x + half + i, &hi, sizeof hi);
  }
  for (; i < half; i++) {
    const float x1 = x[i], x2 = x[i + half];
    x[i] = x1 * cs[i] - x2 * sn[i];
    x[i + half] = x2 * cs[i] + x1 * sn[i];
  }
}

/* The sum and the largest of v's lanes, by halves (lanes k and k + VW/2,
** then a quarter apart, ...): a chain of log2(VW) latencies instead of VW.
** Short rows pay it once per VW values: softmax of 16-column rows took
** 1.9 ns a value with the lanes added one after the other, 1.1 this way
** (37 columns: 2.3 and 1.3; 128 and more: the same).  The order depends
** only on VW, so a row's result still does not depend on its batch.
** (GCC before 12 has no __builtin_shufflevector, clang no __builtin_shuffle.) */
#if defined(__clang__)
#define LANES_ROT(v, ...) __builtin_shufflevector(v, v, __VA_ARGS__)
#else
#define LANES_ROT(v, ...) __builtin_shuffle(v, (vi){__VA_ARGS__})
#endif
#if VW == 16
#define LANES_FOLD(v, OP)                                                              \
  v = OP(v, LANES_ROT(v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));       \
  v = OP(v, LANES_ROT(v, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3));       \
  v = OP(v, LANES_ROT(v, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1));       \
  v = OP(v, LANES_ROT(v, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0))
#elif VW == 8
#define LANES_FOLD(v, OP)                                  \
  v = OP(v, LANES_ROT(v, 4, 5, 6, 7, 0, 1, 2, 3));         \
  v = OP(v, LANES_ROT(v, 2, 3, 4, 5, 6, 7, 0, 1));         \
  v = OP(v, LANES_ROT(v, 1, 2, 3, 4, 5, 6, 7, 0))
#else
#define LANES_FOLD(v, OP)                      \
  v = OP(v, LANES_ROT(v, 2, 3, 0, 1));         \
  v = OP(v, LANES_ROT(v, 1, 2, 3, 0))
#endif
#define LANES_ADD(a, b) ((a) + (b))
#define LANES_MAX(a, b) vf_max(b, a)
INL float lanes_sum(vf v) {
  LANES_FOLD(v, LANES_ADD);
  return v[0];
}

INL float lanes_max(vf v) {
  LANES_FOLD(v, LANES_MAX);
  return v[0];
}
#undef LANES_FOLD
#undef LANES_ROT
#undef LANES_ADD
#undef LANES_MAX

/* The largest of row[0..cols). */
INL float row_max(const float *row, int cols) {
  /* Four running maxima: each step is a compare and a blend, and one chain
  ** through them held this loop to their latency (a fifth of softmax at 512
  ** tokens, Zen 5).  The maximum does not depend on the order. */
  vf vmx = VB(row[0]), m1 = vmx, m2 = vmx, m3 = vmx, v, w;
  int j = 0;
  for (; j + 4 * VW <= cols; j += 4 * VW) {
    memcpy(&v, row + j, sizeof v);
    vmx = vf_max(vmx, v);
    memcpy(&w, row + j + VW, sizeof w);
    m1 = vf_max(m1, w);
    memcpy(&v, row + j + 2 * VW, sizeof v);
    m2 = vf_max(m2, v);
    memcpy(&w, row + j + 3 * VW, sizeof w);
    m3 = vf_max(m3, w);
  }
  vmx = vf_max(vf_max(vmx, m1), vf_max(m2, m3));
  for (; j + VW <= cols; j += VW) {
    memcpy(&v, row + j, sizeof v);
    vmx = vf_max(vmx, v);
  }
  float mx = lanes_max(vmx);
  for (; j < cols; j++) mx = row[j] > mx ? row[j] : mx;
  return mx;
}

/* Softmax of each of the rows of x (rows, cols) in place, max subtracted.
** VW columns at a time, the tail through a zero-padded vector.  The
** summation order depends only on cols, so a row's result does not depend
** on the batch it is in. */
INL void softmax_forward_body(float *x, int rows, int cols, float *inv_out) {
  for (int r = 0; r < rows; r++) {
    float *row = x + (int64_t)r * cols;
    vf v, vsum = VB(0.0f), vm = VB(row_max(row, cols));
    int j;
    for (j = 0; j + VW <= cols; j += VW) {
      memcpy(&v, row + j, sizeof v);
      v = vf_exp(v - vm);
      memcpy(row + j, &v, sizeof v);
      vsum += v;
    }
    float sum = lanes_sum(vsum);
    if (j < cols) {
      int tail = cols - j;
      v = VB(0.0f);
      memcpy(&v, row + j, sizeof(float) * (size_t)tail);
      v = vf_exp(v - vm);
      for (int k = 0; k < tail; k++) {
        row[j + k] = v[k];
        sum += v[k];
      }
    }
    const float inv = 1.0f / sum;
    if (inv_out) { /* the caller scales (ee_softmax_rows_unscaled) */
      inv_out[r] = inv;
      continue;
    }
    const vf vinv = VB(inv);
    for (j = 0; j + VW <= cols; j += VW) { /* (GCC left the plain loop scalar) */
      memcpy(&v, row + j, sizeof v);
      v *= vinv;
      memcpy(row + j, &v, sizeof v);
    }
    for (; j < cols; j++) row[j] *= inv;
  }
}

/* LayerNorm of each of the rows of x (rows, H) in place:
** (x - mean) / sqrt(var + eps) * g + b, the biased variance as torch.
** Sums run in VW float lanes (then the lanes in order), two passes (mean,
** then squared deviations): the order depends only on H, so results do not
** depend on the batch; float sums of a few thousand terms stay within
** ~1e-6 relative, far inside the 1e-4 contract, at a fraction of the cost
** of the double scalar loops this replaced (~5% of a forward pass). */
INL void layernorm_body(float *dst, const float *src, int rows, int H, const float *g, const float *b,
                        float eps) {
  for (int r = 0; r < rows; r++) {
    const float *row = src + (int64_t)r * H;
    float *out = dst + (int64_t)r * H;
    vf acc = VB(0.0f), v, vg, vb;
    int j = 0;
    for (; j + VW <= H; j += VW) {
      memcpy(&v, row + j, sizeof v);
      acc += v;
    }
    float sum = lanes_sum(acc);
    for (; j < H; j++) sum += row[j];
    const float mean = sum / (float)H;
    const vf vm = VB(mean);
    acc = VB(0.0f);
    for (j = 0; j + VW <= H; j += VW) {
      memcpy(&v, row + j, sizeof v);
      v -= vm;
      acc += v * v;
    }
    float var = lanes_sum(acc);
    for (; j < H; j++) var += (row[j] - mean) * (row[j] - mean);
    const float rstd = 1.0f / sqrtf(var / (float)H + eps);
    const vf vr = VB(rstd);
    for (j = 0; j + VW <= H; j += VW) {
      memcpy(&v, row + j, sizeof v);
      memcpy(&vg, g + j, sizeof vg);
      memcpy(&vb, b + j, sizeof vb);
      v = (v - vm) * vr * vg + vb;
      memcpy(out + j, &v, sizeof v);
    }
    for (; j < H; j++) out[j] = (row[j] - mean) * rstd * g[j] + b[j];
  }
}

/* One token's input row: out (H) = LayerNorm(word + pos + type), the sum
** in the order (word + pos) + type, then layernorm_body.  In vectors: the
** plain loop stayed scalar (GCC -O2 does not version it for aliasing). */
INL void embed_row_body(float *out, const float *word, const float *pos, const float *type, int H,
                        const float *g, const float *b, float eps) {
  vf u, v, w;
  int i = 0;
  for (; i + VW <= H; i += VW) {
    memcpy(&u, word + i, sizeof u);
    memcpy(&v, pos + i, sizeof v);
    memcpy(&w, type + i, sizeof w);
    u = u + v + w;
    memcpy(out + i, &u, sizeof u);
  }
  for (; i < H; i++) out[i] = word[i] + pos[i] + type[i];
  layernorm_body(out, out, 1, H, g, b, eps);
}

#undef VB
#undef VI
#undef vf
#undef vi
#undef vf_bits_f
#undef vf_bits_i
#undef vf_max
#undef vf_exp
#undef vf_erf
#undef erf_body
#undef act_row_body
#undef glu_row_body
#undef glu_val
#undef softmax_forward_body
#undef row_max
#undef lanes_sum
#undef lanes_max
#undef layernorm_body
#undef embed_row_body
#undef rotary_row_body
