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
#define softmax_forward_body VN(softmax_forward_body)
#define row_max VN(row_max)
#define layernorm_body VN(layernorm_body)

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
** 1e-7 (within ~2 ulp of libm's expf).  Inputs are clamped to [-87, 88]:
** softmax feeds x - max <= 0, and e^-87 ~ 1.6e-38 is as good as 0 there.
** glibc's scalar expf and the loop around it were ~10% of a forward pass at
** 128 tokens; this is several times cheaper, and deterministic. */
INL vf vf_exp(vf x) {
  x = vf_max(x, VB(-87.0f));
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

/* erf(x) for 4 floats: Norbert Juffa's single-precision erff (max error
** ~1 ulp with FMA), branch-free.  |x| < 0.921875: x + x p(x^2), a minimax
** polynomial; above: 1 - exp(-q(|x|)), q a minimax polynomial, with the
** sign copied from x.  Both are computed and blended.  The max error against
** erf() in double over a dense grid is checked in tests/unit/test_engine.c
** (Abramowitz-Stegun 7.1.26, ~1e-7 absolute but far worse relative near
** 0, was not accurate enough). */
INL vf vf_erf(vf a) {
  vi sign = vf_bits_i(a) & VI(INT32_MIN);
  vf t = vf_bits_f(vf_bits_i(a) & VI(INT32_MAX));
  vf s = a * a;
  vf p = VB(-0x1.3a1a82p-11f);
  p = p * s + VB(0x1.473f48p-08f);
  p = p * s + VB(-0x1.b68bd2p-06f);
  p = p * s + VB(0x1.ce1a46p-04f);
  p = p * s + VB(-0x1.8126e0p-02f);
  p = p * s + VB(0x1.06eba6p-03f);
  p = p * a + a;
  vf r = VB(0x1.222900p-16f) * t + VB(-0x1.91d2ccp-12f);
  vf u = VB(0x1.fd1336p-09f) * t + VB(-0x1.8d6300p-06f);
  r = r * s + u;
  r = r * t + VB(0x1.b55cb0p-4f);
  r = r * t + VB(0x1.450aa0p-1f);
  r = r * t + VB(0x1.079d0cp-3f);
  r = r * t + t;
  r = VB(1.0f) - vf_exp(-r);
  r = vf_bits_f(vf_bits_i(r) | sign);
  vi big = t >= VB(0.921875f);
  return vf_bits_f((big & vf_bits_i(r)) | (~big & vf_bits_i(p)));
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
  float mx = vmx[0];
  for (int k = 1; k < VW; k++) mx = vmx[k] > mx ? vmx[k] : mx;
  for (; j < cols; j++) mx = row[j] > mx ? row[j] : mx;
  return mx;
}

/* Softmax of each of the rows of x (rows, cols) in place, max subtracted.
** VW columns at a time, the tail through a zero-padded vector.  The
** summation order depends only on cols, so a row's result does not depend
** on the batch it is in. */
INL void softmax_forward_body(float *x, int rows, int cols) {
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
    float sum = 0.0f;
    for (int k = 0; k < VW; k++) sum += vsum[k];
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
INL void layernorm_body(float *x, int rows, int H, const float *g, const float *b, float eps) {
  for (int r = 0; r < rows; r++) {
    float *row = x + (int64_t)r * H;
    vf acc = VB(0.0f), v, vg, vb;
    int j = 0;
    for (; j + VW <= H; j += VW) {
      memcpy(&v, row + j, sizeof v);
      acc += v;
    }
    float sum = 0.0f;
    for (int k = 0; k < VW; k++) sum += acc[k];
    for (; j < H; j++) sum += row[j];
    const float mean = sum / (float)H;
    const vf vm = VB(mean);
    acc = VB(0.0f);
    for (j = 0; j + VW <= H; j += VW) {
      memcpy(&v, row + j, sizeof v);
      v -= vm;
      acc += v * v;
    }
    float var = 0.0f;
    for (int k = 0; k < VW; k++) var += acc[k];
    for (; j < H; j++) var += (row[j] - mean) * (row[j] - mean);
    const float rstd = 1.0f / sqrtf(var / (float)H + eps);
    const vf vr = VB(rstd);
    for (j = 0; j + VW <= H; j += VW) {
      memcpy(&v, row + j, sizeof v);
      memcpy(&vg, g + j, sizeof vg);
      memcpy(&vb, b + j, sizeof vb);
      v = (v - vm) * vr * vg + vb;
      memcpy(row + j, &v, sizeof v);
    }
    for (; j < H; j++) row[j] = (row[j] - mean) * rstd * g[j] + b[j];
  }
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
#undef softmax_forward_body
#undef row_max
#undef layernorm_body
